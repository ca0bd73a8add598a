//! `smsr-tool scp81 ...`: SCP81 helpers.
//!
//! * `scp81 psk-id build EID AID KEY_ID KVN` prints the SGP.02 PSK identity.
//! * `scp81 psk-id parse TEXT [--json]` decodes one.
//! * `scp81 trigger FILE|-` reads a JSON description of an HTTPS session
//!   trigger and prints the `81` TLV and, with an `scp80` object, the push
//!   it travels in: secured data, SCP80 command packet (SMS-PP form) and
//!   the TP-UD of each SMS (UDH included; TP-PID 7F, TP-DCS F6).
//!
//! Trigger JSON: `eid` (32 hex digits), `isd_r_aid` (default
//! `A0000005591010FFFFFFFF8900000100`), `admin_host`, `agent_id` (default
//! `//se-id/eid/<EID>;//aa-id/aid/<RID>/<PIX>`), `admin_uri`, `connection`
//! (hex of the `84` value), `psk` `{identity | key_id, kvn}` (the identity
//! defaults to the SGP.02 form), `retry` `{counter, delay: "hhmmss" octets,
//! report}`, `scp80` `{spi, kic: {algo, kvn, key}, kid: {...}, tar, cntr,
//! concat_ref, framing: "raw" | "command-script"}`.

use clap::Subcommand;
use serde_json::{Value, json};
use smsr::crypto::{CipherAlgorithm, Key};
use smsr::scp80::sms::{ConcatReference, segments};
use smsr::scp80::{Cntr, CommandHeader, KeySet, Kic, Kid, Spi, Tar};
use smsr::scp81::http::AidBuf;
use smsr::scp81::psk_id::{FORMAT_SGP02, MAX_AGENT_ID_LEN, PskIdentity, write_agent_id};
use smsr::scp81::push::{PushFraming, push_payload, push_payload_len, wrap_push};
use smsr::scp81::trigger::{
    HttpPostParams, RetryPolicy, SecurityParams, SessionParams, TimerValue, TriggerParams,
};

use crate::common::{Outcome, parse_hex, print, print_json, println};

/// `smsr-tool scp81 ...`: SCP81 (GlobalPlatform Card Specification Amendment B).
#[derive(Subcommand)]
pub enum Scp81Command {
    /// The SGP.02 PSK-TLS identity (SGP.02 §2.4.4.1, table 4: 80/81/4F/82/83 TLVs in hex).
    #[command(subcommand)]
    PskId(PskIdCommand),
    /// JSON in (eid, isd_r_aid, admin_host, agent_id, admin_uri, psk, retry,
    /// connection, scp80 {...}), from FILE or '-' for stdin: the HTTPS
    /// trigger TLV and its push SMS segments.
    Trigger {
        /// The JSON description, or '-' for stdin.
        #[arg(value_name = "FILE|-")]
        input: String,
    },
}

/// `smsr-tool scp81 psk-id ...`.
#[derive(Subcommand)]
pub enum PskIdCommand {
    /// Build the identity of an eUICC's ISD-R key.
    Build {
        /// The EID, 32 hex digits.
        #[arg(value_name = "EID")]
        eid: String,
        /// The ISD-R AID, 5 to 16 octets in hex.
        #[arg(value_name = "AID")]
        aid: String,
        /// The key identifier, one hex octet.
        #[arg(value_name = "KEY_ID")]
        key_id: String,
        /// The key version number, one hex octet.
        #[arg(value_name = "KVN")]
        kvn: String,
    },
    /// Decode an identity given as text (its hex form).
    Parse {
        /// The identity.
        #[arg(value_name = "TEXT")]
        text: String,
        /// Print JSON instead of one field per line.
        #[arg(long)]
        json: bool,
    },
}

pub fn run(cmd: &Scp81Command) -> Outcome {
    match cmd {
        Scp81Command::PskId(PskIdCommand::Build {
            eid,
            aid,
            key_id,
            kvn,
        }) => psk_id_build(eid, aid, key_id, kvn),
        Scp81Command::PskId(PskIdCommand::Parse { text, json }) => psk_id_parse(text, *json),
        Scp81Command::Trigger { input } => trigger(input),
    }
}

fn byte_arg(text: &str, what: &str) -> Result<u8, String> {
    let t = text.trim_start_matches("0x");
    u8::from_str_radix(t, 16).map_err(|_| format!("{what}: expected one hex octet, got '{text}'"))
}

fn eid_from(text: &str) -> Result<[u8; 16], String> {
    parse_hex(text)?
        .try_into()
        .map_err(|_| "EID: expected 16 octets (32 hex digits)".to_string())
}

fn aid_from(text: &str) -> Result<AidBuf, String> {
    let v = parse_hex(text)?;
    AidBuf::from_slice(&v)
        .ok()
        .filter(|a| a.len() >= 5)
        .ok_or_else(|| "AID: expected 5 to 16 octets".to_string())
}

fn psk_id_build(eid: &str, aid: &str, key_id: &str, kvn: &str) -> Outcome {
    let id = PskIdentity {
        format: FORMAT_SGP02,
        eid: eid_from(eid)?,
        isd_r_aid: aid_from(aid)?,
        key_id: byte_arg(key_id, "KEY_ID")?,
        key_version: byte_arg(kvn, "KVN")?,
    };
    println(&id.to_text().map_err(|e| e.to_string())?)
}

fn psk_id_parse(text: &str, json_out: bool) -> Outcome {
    let id = PskIdentity::parse(text.trim().as_bytes()).map_err(|e| e.to_string())?;
    if json_out {
        print_json(&json!({
            "format": format!("{:02X}", id.format),
            "eid": hex::encode_upper(id.eid),
            "isd_r_aid": hex::encode_upper(&id.isd_r_aid),
            "key_id": format!("{:02X}", id.key_id),
            "key_version": format!("{:02X}", id.key_version),
        }))
    } else {
        print(&format!(
            "format      {:02X}\nEID         {}\nISD-R AID   {}\nkey id      {:02X}\nkey version {:02X}\n",
            id.format,
            hex::encode_upper(id.eid),
            hex::encode_upper(&id.isd_r_aid),
            id.key_id,
            id.key_version
        ))
    }
}

fn read_json(path: &str) -> Result<Value, String> {
    let text = if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("cannot read stdin: {e}"))?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?
    };
    serde_json::from_str(&text).map_err(|e| format!("bad JSON: {e}"))
}

fn str_field<'v>(v: &'v Value, name: &str) -> Result<Option<&'v str>, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("'{name}' must be a string")),
    }
}

fn req_str<'v>(v: &'v Value, name: &str) -> Result<&'v str, String> {
    str_field(v, name)?.ok_or_else(|| format!("'{name}' missing"))
}

fn u64_field(v: &Value, name: &str) -> Result<Option<u64>, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(n) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| format!("'{name}' must be a non-negative integer")),
    }
}

/// Everything a trigger needs, owned.
pub struct TriggerInput {
    pub eid: [u8; 16],
    pub aid: AidBuf,
    pub connection: Option<Vec<u8>>,
    pub psk_identity: Option<Vec<u8>>,
    pub kvn: u8,
    pub kid: u8,
    pub retry: Option<(u16, [u8; 3], Vec<u8>)>,
    pub host: Option<String>,
    pub agent_id: String,
    pub uri: Option<String>,
}

fn trigger_input(v: &Value) -> Result<TriggerInput, String> {
    let eid = eid_from(req_str(v, "eid")?)?;
    let aid = aid_from(str_field(v, "isd_r_aid")?.unwrap_or("A0000005591010FFFFFFFF8900000100"))?;
    let connection = str_field(v, "connection")?.map(parse_hex).transpose()?;
    let psk = v.get("psk").cloned().unwrap_or(Value::Null);
    let kvn = match u64_field(&psk, "kvn")? {
        None => 0x40,
        Some(n) => u8::try_from(n).map_err(|_| "'psk.kvn' must be 0..255".to_string())?,
    };
    let kid = match u64_field(&psk, "key_id")? {
        None => 0x01,
        Some(n) => u8::try_from(n).map_err(|_| "'psk.key_id' must be 0..255".to_string())?,
    };
    let psk_identity = if psk.is_null() {
        None
    } else if let Some(text) = str_field(&psk, "identity")? {
        Some(text.as_bytes().to_vec())
    } else {
        let id = PskIdentity {
            format: FORMAT_SGP02,
            eid,
            isd_r_aid: aid.clone(),
            key_id: kid,
            key_version: kvn,
        };
        Some(id.to_text().map_err(|e| e.to_string())?.as_bytes().to_vec())
    };
    let retry = match v.get("retry") {
        None | Some(Value::Null) => None,
        Some(r) => {
            let counter = u64_field(r, "counter")?.ok_or("'retry.counter' missing")?;
            let counter = u16::try_from(counter).map_err(|_| "'retry.counter' must be 0..65535")?;
            let delay: [u8; 3] = parse_hex(req_str(r, "delay")?)?.try_into().map_err(
                |_| "'retry.delay' must be 3 octets (hh mm ss as coded in the timer value)",
            )?;
            // No failure report given: an empty one.
            let report = match str_field(r, "report")? {
                Some(text) => parse_hex(text)?,
                None => Vec::new(),
            };
            Some((counter, delay, report))
        }
    };
    let agent_id = match str_field(v, "agent_id")? {
        Some(a) => a.to_owned(),
        None => {
            let mut buf = [0u8; MAX_AGENT_ID_LEN];
            let n = write_agent_id(&eid, &aid, &mut buf).map_err(|e| e.to_string())?;
            let text = buf.get(..n).ok_or("agent id longer than its buffer")?;
            String::from_utf8_lossy(text).into_owned()
        }
    };
    Ok(TriggerInput {
        eid,
        aid,
        connection,
        psk_identity,
        kvn,
        kid,
        retry,
        host: str_field(v, "admin_host")?.map(str::to_owned),
        agent_id,
        uri: str_field(v, "admin_uri")?.map(str::to_owned),
    })
}

/// The `81` TLV for `t`.
pub fn trigger_tlv(t: &TriggerInput) -> Result<Vec<u8>, String> {
    let params = TriggerParams {
        session: Some(SessionParams {
            connection: t.connection.as_deref(),
            security: t.psk_identity.as_deref().map(|id| SecurityParams {
                psk_identity: id,
                kvn: t.kvn,
                kid: t.kid,
                extra: &[],
            }),
            extended_security: None,
            retry_policy: t.retry.as_ref().map(|(c, hms, rep)| RetryPolicy {
                counter: *c,
                waiting_delay: TimerValue {
                    comprehension_required: false,
                    hms: *hms,
                },
                failure_report: rep,
            }),
            http_post: Some(HttpPostParams {
                host: t.host.as_deref(),
                agent_id: Some(&t.agent_id),
                uri: t.uri.as_deref(),
            }),
        }),
        dns: None,
    };
    let mut out = vec![0u8; params.buffer_len()];
    params.emit(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

/// A `kic` / `kid` object: `{"algo": "aes"|"3des2"|"3des3"|"des", "kvn": 0..15, "key": HEX}`
/// gives the KIc/KID octet and the key.
fn scp80_key(o: &Value, field: &str) -> Result<(u8, Key), String> {
    let obj = o
        .get(field)
        .ok_or_else(|| format!("'scp80.{field}' missing"))?;
    let algo = req_str(obj, "algo").map_err(|e| format!("scp80.{field}: {e}"))?;
    let key = parse_hex(req_str(obj, "key").map_err(|e| format!("scp80.{field}: {e}"))?)?;
    let kvn = u64_field(obj, "kvn")?.unwrap_or(1);
    let kvn = u8::try_from(kvn)
        .ok()
        .filter(|k| *k <= 15)
        .ok_or_else(|| format!("'scp80.{field}.kvn' must be 0..15"))?;
    let (nibble, alg) = match algo {
        "des" => (0x1, CipherAlgorithm::Des),
        "3des2" => (0x5, CipherAlgorithm::Tdes2),
        "3des3" => (0x9, CipherAlgorithm::Tdes3),
        "aes" => (
            0x2,
            CipherAlgorithm::aes_for_len(key.len()).map_err(|e| format!("scp80.{field}: {e}"))?,
        ),
        other => {
            return Err(format!(
                "scp80.{field}.algo: unknown algorithm '{other}' (des, 3des2, 3des3, aes)"
            ));
        }
    };
    let key = Key::new(alg, &key).map_err(|e| format!("scp80.{field}.key: {e}"))?;
    Ok(((kvn << 4) | nibble, key))
}

fn fixed_hex<const N: usize>(o: &Value, name: &str) -> Result<[u8; N], String> {
    let v = parse_hex(req_str(o, name).map_err(|e| format!("scp80: {e}"))?)?;
    let len = v.len();
    v.try_into()
        .map_err(|_| format!("scp80.{name}: {len} octets, expected {N}"))
}

fn trigger(path: &str) -> Outcome {
    let v = read_json(path)?;
    let input = trigger_input(&v)?;
    let tlv = trigger_tlv(&input)?;
    let params = smsr::scp81::trigger::TriggerParams::parse(&tlv).map_err(|e| e.to_string())?;
    let mut out = json!({
        "eid": hex::encode_upper(input.eid),
        "isd_r_aid": hex::encode_upper(&input.aid),
        "trigger_tlv": hex::encode_upper(&tlv),
    });
    let Some(scp80) = v.get("scp80").filter(|s| !s.is_null()) else {
        return print_json(&out);
    };
    let framing = match str_field(scp80, "framing")? {
        None | Some("raw") => PushFraming::Raw,
        Some("command-script") => PushFraming::CommandScript,
        Some(other) => {
            return Err(format!("scp80.framing: '{other}' (raw or command-script)").into());
        }
    };
    let (kic, kic_key) = scp80_key(scp80, "kic")?;
    let (kid, kid_key) = scp80_key(scp80, "kid")?;
    let keys = KeySet::new().with_kic(&kic_key).with_kid(&kid_key);
    let header = CommandHeader {
        spi: Spi(fixed_hex(scp80, "spi")?),
        kic: Kic(kic),
        kid: Kid(kid),
        tar: Tar(fixed_hex(scp80, "tar")?),
        cntr: Cntr(fixed_hex(scp80, "cntr")?),
    };
    let mut payload = vec![0u8; push_payload_len(&params, framing)];
    push_payload(&params, framing, &mut payload).map_err(|e| e.to_string())?;
    let mut packet = vec![0u8; payload.len() + 64];
    let n = wrap_push(&params, framing, &header, &keys, &mut packet).map_err(|e| e.to_string())?;
    packet.truncate(n);
    let reference = match u64_field(scp80, "concat_ref")? {
        None => ConcatReference::Ref8(0),
        Some(r) => {
            ConcatReference::Ref8(u8::try_from(r).map_err(|_| "'scp80.concat_ref' must be 0..255")?)
        }
    };
    let segs: Vec<String> = segments(&packet, reference)
        .map_err(|e| e.to_string())?
        .map(|s| hex::encode_upper(&s))
        .collect();
    if let Value::Object(map) = &mut out {
        map.insert("secured_data".into(), hex::encode_upper(&payload).into());
        map.insert("command_packet".into(), hex::encode_upper(&packet).into());
        map.insert("sms_user_data".into(), segs.into());
        map.insert("tp_pid".into(), "7F".into());
        map.insert("tp_dcs".into(), "F6".into());
    }
    print_json(&out)
}
