//! `smsr-tool scp03t wrap | unwrap`: SCP03t (SGP.02 §4.1.3.3) for driving
//! a real card. JSON on stdin (one object or an array), JSON on stdout in
//! the same shape; an input error gives `{"error": "..."}` in its place.

use clap::Subcommand;
use serde_json::{Map, Value, json};
use smsr::scp03t::segment::{self, Protection};
use smsr::scp03t::{SecurityLevel, Session, SessionKeys, StaticKeys};

use crate::common::{Outcome, parse_hex};
use crate::json_io::{fixed, hex_field};

const KEYS_HELP: &str = "\
Keys: either the session keys {\"s_enc\", \"s_mac\", \"s_rmac\"} or the static
keys and challenges {\"key_enc\", \"key_mac\", \"host_challenge\",
\"card_challenge\"} (then the output adds the card and host cryptograms);
AES-128/192/256 (hex). Session state: \"level\" (hex, e.g. \"33\"),
\"mac_chaining_value\" (16 octets hex) and \"counter\" (the counter the next
enciphered command uses, from 1). The output gives the state after the
last segment, to continue with.";

/// `smsr-tool scp03t ...`.
#[derive(Subcommand)]
pub enum Scp03tCommand {
    /// JSON on stdin: {keys, level, mac_chaining_value, counter, and either
    /// "package" (hex, cut at "max_segment_len", default 1020) or
    /// "segments" (hex plaintexts)[, "tag" (hex, default 86)]} ->
    /// segments (hex TLVs), mac_chaining_value, counter.
    #[command(after_help = KEYS_HELP)]
    Wrap,
    /// JSON on stdin: {keys, level, mac_chaining_value, counter, "segments"
    /// (hex TLVs) or "stream" (hex, concatenated TLVs)} -> plaintexts,
    /// package (joined), mac_chaining_value, counter; the first refused
    /// segment ends the run with its index and error.
    #[command(after_help = KEYS_HELP)]
    Unwrap,
}

pub fn run(cmd: &Scp03tCommand) -> Outcome {
    let op: crate::json_io::Op = match cmd {
        Scp03tCommand::Wrap => wrap,
        Scp03tCommand::Unwrap => unwrap,
    };
    crate::json_io::run(op)
}

fn byte(o: &Map<String, Value>, name: &str) -> Result<u8, String> {
    Ok(fixed::<1>(o, name)?[0])
}

fn hex_list(o: &Map<String, Value>, name: &str) -> Result<Vec<Vec<u8>>, String> {
    let items = o
        .get(name)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("missing array field '{name}'"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let s = v
                .as_str()
                .ok_or_else(|| format!("{name}[{i}]: expected a hex string"))?;
            parse_hex(s).map_err(|e| format!("{name}[{i}]: {e}"))
        })
        .collect()
}

/// The session from the input, and the cryptograms when derived.
fn session(o: &Map<String, Value>, extra: &mut Map<String, Value>) -> Result<Session, String> {
    let keys = if o.contains_key("s_enc") {
        SessionKeys::from_bytes(
            &hex_field(o, "s_enc")?,
            &hex_field(o, "s_mac")?,
            &hex_field(o, "s_rmac")?,
        )
        .map_err(|e| e.to_string())?
    } else {
        let statics = StaticKeys::from_bytes(&hex_field(o, "key_enc")?, &hex_field(o, "key_mac")?)
            .map_err(|e| e.to_string())?;
        let host = fixed::<8>(o, "host_challenge")?;
        let card = fixed::<8>(o, "card_challenge")?;
        let keys = SessionKeys::derive(&statics, &host, &card).map_err(|e| e.to_string())?;
        let cc = keys
            .card_cryptogram(&host, &card)
            .map_err(|e| e.to_string())?;
        let hc = keys
            .host_cryptogram(&host, &card)
            .map_err(|e| e.to_string())?;
        extra.insert("card_cryptogram".into(), json!(hex::encode(cc)));
        extra.insert("host_cryptogram".into(), json!(hex::encode(hc)));
        keys
    };
    let level = byte(o, "level")?;
    let level = SecurityLevel::parse(level)
        .ok_or_else(|| format!("level: '{level:02x}' is not defined"))?;
    let mcv = fixed::<16>(o, "mac_chaining_value")?;
    let counter = o
        .get("counter")
        .and_then(Value::as_u64)
        .ok_or("missing number field 'counter'")?;
    Session::resume(&keys, level, mcv, counter).map_err(|e| e.to_string())
}

fn state(s: &Session, out: &mut Map<String, Value>) {
    out.insert(
        "mac_chaining_value".into(),
        json!(hex::encode(s.mac_chaining_value())),
    );
    out.insert("counter".into(), json!(s.counter()));
}

fn wrap(o: &Map<String, Value>) -> Result<Value, String> {
    let mut out = Map::new();
    let mut s = session(o, &mut out)?;
    let tag = if o.contains_key("tag") {
        byte(o, "tag")?
    } else {
        segment::SEGMENT_TAG
    };
    let plain = if o.contains_key("package") {
        let pkg = hex_field(o, "package")?;
        let max = match o.get("max_segment_len") {
            None => segment::SGP22_MAX_SEGMENT_LEN,
            Some(v) => v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or("max_segment_len: expected a number")?,
        };
        segment::chunks(&pkg, max, Protection::Scp03t)
            .map_err(|e| format!("max_segment_len {max}: {e}"))?
            .map(|c| c.data.to_vec())
            .collect()
    } else {
        hex_list(o, "segments")?
    };
    let mut segs = Vec::new();
    for (i, p) in plain.iter().enumerate() {
        let mut t = Vec::new();
        s.wrap(tag, p, &mut t)
            .map_err(|e| format!("segment {i}: {e}"))?;
        segs.push(json!(hex::encode(t)));
    }
    out.insert("segments".into(), Value::Array(segs));
    state(&s, &mut out);
    Ok(Value::Object(out))
}

fn unwrap(o: &Map<String, Value>) -> Result<Value, String> {
    let mut out = Map::new();
    let mut s = session(o, &mut out)?;
    let tlvs = if o.contains_key("stream") {
        let stream = hex_field(o, "stream")?;
        let mut v = Vec::new();
        for t in smsr::tlv::Reader::new(&stream) {
            v.push(t.map_err(|e| format!("stream: {e}"))?.raw().to_vec());
        }
        v
    } else {
        hex_list(o, "segments")?
    };
    let mut plain = Vec::new();
    let mut package = Vec::new();
    for (i, t) in tlvs.iter().enumerate() {
        let mut buf = vec![0u8; t.len()];
        match s.unwrap(t, &mut buf) {
            Ok((_, p)) => {
                package.extend_from_slice(p);
                plain.push(json!(hex::encode(p)));
            }
            Err(e) => {
                out.insert("error".into(), json!(format!("segment {i}: {e}")));
                out.insert("refused_segment".into(), json!(i));
                break;
            }
        }
    }
    out.insert("plaintexts".into(), Value::Array(plain));
    out.insert("package".into(), json!(hex::encode(package)));
    state(&s, &mut out);
    Ok(Value::Object(out))
}
