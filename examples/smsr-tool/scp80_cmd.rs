//! `smsr-tool scp80 encode-cmd | decode-resp | decode-cmd`: JSON on stdin
//! (one object or an array), JSON on stdout in the same shape; an input
//! error gives `{"error": "..."}` in its place.

use clap::Subcommand;
use serde_json::{Map, Value, json};
use smsr::crypto::{Checksum, CipherAlgorithm, Key};
use smsr::scp80::sms::{self, ConcatReference, Reassembler};
use smsr::scp80::{
    Cntr, CommandHeader, CommandPacket, Framing, KeySet, Kic, Kid, Spi, Tar, command, response,
};

use crate::common::Outcome;
use crate::json_io::{fixed, hex_field};

/// The key objects, shared by the three commands.
const KEYS_HELP: &str = "\
Keys: {\"algo\", \"kvn\", \"key\"} with algo des | 3des2 | 3des3 | aes | implicit
(KID also crc16 | crc32); an implicit key takes its algorithm from
\"implicit_as\" or from its length. Input: one JSON object or an array of
them on stdin; output: the same shape on stdout, {\"error\": ...} in place
of an object that could not be processed.";

/// `smsr-tool scp80 ...` (ETSI TS 102 225 secured packets, SMS-PP form).
#[derive(Subcommand)]
pub enum Scp80Command {
    /// JSON on stdin: {kic:{algo,kvn,key}, kid:{algo,kvn,key}, spi, tar, cntr,
    /// payload[, concat_ref]} -> command_packet_hex, sms_user_data_hex,
    /// sms_segments_hex.
    #[command(after_help = KEYS_HELP)]
    EncodeCmd,
    /// JSON on stdin: {kic, kid, spi, resp} -> tar, cntr, pcntr, status,
    /// secured_data.
    #[command(after_help = KEYS_HELP)]
    DecodeResp,
    /// JSON on stdin: {kic, kid, cmd[, card_cntr]} -> header fields,
    /// payload, por_status (card side).
    #[command(after_help = KEYS_HELP)]
    DecodeCmd,
}

pub fn run(cmd: &Scp80Command) -> Outcome {
    let op: crate::json_io::Op = match cmd {
        Scp80Command::EncodeCmd => encode_cmd,
        Scp80Command::DecodeResp => decode_resp,
        Scp80Command::DecodeCmd => decode_cmd,
    };
    crate::json_io::run(op)
}

/// The algorithm nibble and (if a key is given) the key of a `kic` / `kid`
/// object.
struct KeySpec {
    nibble: u8,
    kvn: u8,
    key: Option<Key>,
    crc: Option<Checksum>,
}

fn cipher_algo(name: &str, key_len: usize) -> Result<Option<CipherAlgorithm>, String> {
    Ok(Some(match name {
        "des" => CipherAlgorithm::Des,
        "3des2" => CipherAlgorithm::Tdes2,
        "3des3" => CipherAlgorithm::Tdes3,
        "aes" => CipherAlgorithm::aes_for_len(key_len).map_err(|e| e.to_string())?,
        "crc16" | "crc32" => return Ok(None),
        other => return Err(format!("unknown algorithm '{other}'")),
    }))
}

fn key_spec(o: &Map<String, Value>, field: &str, kid: bool) -> Result<KeySpec, String> {
    let obj = o
        .get(field)
        .and_then(Value::as_object)
        .ok_or_else(|| format!("missing object '{field}'"))?;
    let algo = obj
        .get("algo")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{field}.algo missing"))?;
    let kvn = match obj.get("kvn") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .filter(|k| *k <= 15)
            .ok_or_else(|| format!("{field}.kvn must be 0-15"))? as u8,
    };
    let key_hex = obj.get("key").and_then(Value::as_str).unwrap_or("");
    let key_bytes = crate::common::parse_hex(key_hex).map_err(|e| format!("{field}.key: {e}"))?;
    let nibble = match (algo, kid) {
        ("implicit", _) => 0x0,
        ("des", _) => 0x1,
        ("3des2", _) => 0x5,
        ("3des3", _) => 0x9,
        ("aes", _) => 0x2,
        ("crc16", true) => 0x1,
        ("crc32", true) => 0x5,
        (other, _) => return Err(format!("{field}.algo: unknown algorithm '{other}'")),
    };
    let effective = if algo == "implicit" {
        match obj.get("implicit_as").and_then(Value::as_str) {
            Some(a) => a,
            None => match key_bytes.len() {
                0 => "crc32",
                8 => "des",
                16 => "3des2",
                24 => "3des3",
                _ => "aes",
            },
        }
    } else {
        algo
    };
    let crc = match effective {
        "crc16" => Some(Checksum::crc16()),
        "crc32" => Some(Checksum::crc32()),
        _ => None,
    };
    let key = if key_bytes.is_empty() {
        None
    } else {
        match cipher_algo(effective, key_bytes.len()).map_err(|e| format!("{field}: {e}"))? {
            Some(a) => Some(Key::new(a, &key_bytes).map_err(|e| format!("{field}.key: {e}"))?),
            None => None,
        }
    };
    Ok(KeySpec {
        nibble,
        kvn,
        key,
        crc,
    })
}

/// KIc, KID and the key set from the `kic` / `kid` objects.
fn keys(o: &Map<String, Value>) -> Result<(Kic, Kid, KeySet), String> {
    let kic = key_spec(o, "kic", false)?;
    let kid = key_spec(o, "kid", true)?;
    let mut ks = KeySet::new();
    if let Some(k) = &kic.key {
        ks = ks.with_kic(k);
    }
    if let Some(k) = &kid.key {
        ks = ks.with_kid(k);
    }
    if let Some(c) = kid.crc {
        ks = ks.with_implicit_rc(c);
    }
    Ok((
        Kic((kic.kvn << 4) | kic.nibble),
        Kid((kid.kvn << 4) | kid.nibble),
        ks,
    ))
}

/// Hex output in lower case, as pySim and the TS 102 225 tools print it.
fn hex(b: &[u8]) -> String {
    hex::encode(b)
}

fn encode_cmd(o: &Map<String, Value>) -> Result<Value, String> {
    let (kic, kid, ks) = keys(o)?;
    let cntr = Cntr(fixed(o, "cntr")?);
    let header = CommandHeader {
        spi: Spi(fixed(o, "spi")?),
        kic,
        kid,
        tar: Tar(fixed(o, "tar")?),
        cntr,
    };
    let payload = hex_field(o, "payload")?;
    let mut out = vec![0u8; payload.len() + 64];
    let n = command::wrap(Framing::SmsPp, &header, &payload, &ks, &mut out)
        .map_err(|e| e.to_string())?;
    out.truncate(n);
    let packet = out.as_slice();
    let reference = match o.get("concat_ref") {
        None | Some(Value::Null) => cntr.0[4],
        Some(v) => v
            .as_u64()
            .and_then(|r| u8::try_from(r).ok())
            .ok_or("concat_ref must be 0-255")?,
    };
    let segs: Vec<Value> = sms::segments(packet, ConcatReference::Ref8(reference))
        .map_err(|e| e.to_string())?
        .map(|s| Value::String(hex(&s)))
        .collect();
    let single = if packet.len() <= sms::MAX_SINGLE_PACKET {
        Value::String(format!("027000{}", hex(packet)))
    } else {
        Value::Null
    };
    Ok(json!({
        "command_packet_hex": hex(packet),
        "sms_user_data_hex": single,
        "sms_segments_hex": segs,
    }))
}

fn decode_resp(o: &Map<String, Value>) -> Result<Value, String> {
    let (kic, kid, ks) = keys(o)?;
    let header = CommandHeader {
        spi: Spi(fixed(o, "spi")?),
        kic,
        kid,
        tar: Tar::default(),
        cntr: Cntr::default(),
    };
    let mut resp = hex_field(o, "resp")?;
    let por = response::verify_sms(&header, &ks, &mut resp).map_err(|e| e.to_string())?;
    Ok(json!({
        "tar": hex(&por.tar.0),
        "cntr": hex(&por.cntr.0),
        "pcntr": por.pcntr,
        "status": por.status.0,
        "secured_data": hex(por.data),
    }))
}

/// The command packet of `cmd`: one TP-UD, or an array of concatenated
/// TP-UD segments in any order.
fn command_bytes(o: &Map<String, Value>) -> Result<Vec<u8>, String> {
    match o.get("cmd") {
        Some(Value::Array(parts)) => {
            let mut r = Reassembler::<255>::new();
            for p in parts {
                let s = p.as_str().ok_or("cmd segments must be hex strings")?;
                r.push(&crate::common::parse_hex(s)?)
                    .map_err(|e| e.to_string())?;
            }
            let mut out = vec![0u8; 255 * sms::MAX_TP_UD];
            let n = r.assemble(&mut out).map_err(|e| e.to_string())?;
            out.truncate(n);
            Ok(out)
        }
        _ => Ok(sms::command_packet(&hex_field(o, "cmd")?).to_vec()),
    }
}

fn decode_cmd(o: &Map<String, Value>) -> Result<Value, String> {
    let (_, _, ks) = keys(o)?;
    let mut packet = command_bytes(o)?;
    let stored = match o.get("card_cntr") {
        None | Some(Value::Null) => Cntr::default(),
        Some(_) => Cntr(fixed(o, "card_cntr")?),
    };
    let view =
        CommandPacket::new_checked(&packet[..], Framing::SmsPp).map_err(|e| e.to_string())?;
    let mut m = Map::new();
    m.insert("cpl".into(), view.cpl().into());
    m.insert("chl".into(), view.chl().into());
    m.insert("spi".into(), hex(&view.spi().0).into());
    m.insert("kic".into(), hex(&[view.kic().0]).into());
    m.insert("kid".into(), hex(&[view.kid().0]).into());
    m.insert("tar".into(), hex(&view.tar().0).into());
    match command::unwrap(Framing::SmsPp, &mut packet, &ks, stored) {
        Ok(got) => {
            m.insert("cntr".into(), hex(&got.header.cntr.0).into());
            m.insert("pcntr".into(), got.pcntr.into());
            m.insert("payload".into(), hex(got.payload).into());
            m.insert("por_status".into(), 0.into());
            if let Some(c) = got.new_counter {
                m.insert("new_card_cntr".into(), hex(&c.0).into());
            }
        }
        Err(e) => {
            let status = e
                .por_status()
                .ok_or_else(|| format!("no PoR possible: {e}"))?;
            m.insert("payload".into(), Value::Null);
            m.insert("por_status".into(), status.0.into());
            m.insert("error".into(), e.to_string().into());
        }
    }
    Ok(Value::Object(m))
}
