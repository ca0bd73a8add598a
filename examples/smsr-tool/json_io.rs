//! The JSON-in / JSON-out convention of the `es8`, `scp03t` and `scp80`
//! subcommands: one object or an array of objects on stdin, the same shape
//! on stdout with `{"error": ...}` in place of each object that failed,
//! plus the field readers they share.

use std::io::Read;

use serde_json::{Map, Value, json};

use crate::common::{Outcome, parse_hex, print_json};

/// One JSON object in, one JSON value out (or why not).
pub type Op = fn(&Map<String, Value>) -> Result<Value, String>;

/// Reads stdin, applies `op` to the object (or to each object of the
/// array) and prints the result; a bad object gives its `error` entry and
/// the others still run.
pub fn run(op: Op) -> Outcome {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read stdin: {e}"))?;
    let input: Value = serde_json::from_str(&text).map_err(|e| format!("bad JSON: {e}"))?;
    let one = |v: &Value| match v.as_object() {
        Some(o) => op(o).unwrap_or_else(|e| json!({ "error": e })),
        None => json!({ "error": "expected a JSON object" }),
    };
    let out = match &input {
        Value::Array(items) => Value::Array(items.iter().map(one).collect()),
        other => one(other),
    };
    print_json(&out)
}

/// The hex string field `name`, `None` when absent or `null`.
pub fn opt_hex(o: &Map<String, Value>, name: &str) -> Result<Option<Vec<u8>>, String> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_hex(s).map(Some).map_err(|e| format!("{name}: {e}")),
        Some(_) => Err(format!("{name}: expected a hex string")),
    }
}

/// The hex string field `name`, which must be present.
pub fn hex_field(o: &Map<String, Value>, name: &str) -> Result<Vec<u8>, String> {
    opt_hex(o, name)?.ok_or_else(|| format!("missing string field '{name}'"))
}

/// The hex string field `name` of exactly `N` octets.
pub fn fixed<const N: usize>(o: &Map<String, Value>, name: &str) -> Result<[u8; N], String> {
    let v = hex_field(o, name)?;
    let len = v.len();
    v.try_into()
        .map_err(|_| format!("{name}: {len} octets, expected {N}"))
}
