//! Runs the `smsr-tool` binary Cargo built for this test run on JSON
//! input, as a test-tool author would pipe it.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// `smsr-tool ARGS` with `input` on stdin; the process must succeed and
/// print one JSON value, which is returned.
pub fn json(args: &[&str], input: &Value) -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smsr-tool"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "smsr-tool {args:?} failed");
    serde_json::from_slice(&out.stdout).unwrap()
}
