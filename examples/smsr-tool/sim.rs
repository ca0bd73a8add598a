//! `smsr-tool sim`: one simulated eUICC (`smsr::sim`) as a filter. Each
//! stdin line is the hex TP-UD of one SMS to the eUICC (UDH included);
//! each SMS the eUICC sends back (PoR `0271…`, notification `0270…`) is
//! one hex line on stdout. Keys and EID default to fleet member `--index`
//! of `--seed` (see `--show-config`).

use std::io::BufRead;

use clap::Args;

use serde_json::json;
use smsr::crypto::Key;
use smsr::isdr::Eid;
use smsr::sim::{Euicc, EuiccConfig, PskKey, Reception, fleet};

use crate::common::{Outcome, eprintln, parse_hex, print, print_json};

/// `smsr-tool sim [OPTIONS]`: the eUICC and its faults.
#[derive(Args)]
#[command(after_help = "\
stdin: one TP-UD in hex per line; a line 'lost' is a loss of connectivity, a
line starting with '#' a comment. stdout: each SMS the eUICC sends (PoR,
notification) as a hex line. stderr: 'admin-session: {json}' for each
administration session the eUICC asks for.")]
pub struct SimArgs {
    /// The fleet seed the default keys and EID come from (and the faults).
    #[arg(long, value_name = "N", default_value = "0")]
    seed: String,
    /// The fleet member whose keys and EID are used.
    #[arg(long, value_name = "N", default_value = "0")]
    index: String,
    /// The EID, 32 decimal digits with valid check digits.
    #[arg(long, value_name = "DIGITS32")]
    eid: Option<String>,
    /// The SCP80 key version number, 1 to 15 (default 1).
    #[arg(long, value_name = "N")]
    kvn: Option<String>,
    /// The SCP80 KIc, an AES-128 key in hex.
    #[arg(long, value_name = "HEX16")]
    kic: Option<String>,
    /// The SCP80 KID, an AES-128 key in hex.
    #[arg(long, value_name = "HEX16")]
    kid: Option<String>,
    /// The SCP81 PSK (key version 40, key id 01) in hex.
    #[arg(long, value_name = "HEX")]
    psk: Option<String>,
    /// Drop this share of PoRs, in per mille (0 to 1000).
    #[arg(long = "drop-por", value_name = "PERMILLE", default_value = "0")]
    drop_por: String,
    /// Corrupt this share of responses, in per mille (0 to 1000).
    #[arg(long = "corrupt-por", value_name = "PERMILLE", default_value = "0")]
    corrupt_por: String,
    /// Print the eUICC's EID and keys as JSON and exit.
    #[arg(long = "show-config")]
    show_config: bool,
}

fn key16(text: &str, what: &str) -> Result<[u8; 16], String> {
    parse_hex(text)?
        .try_into()
        .map_err(|_| format!("{what} must be 16 octets (AES-128)"))
}

/// What the command line asks for.
struct Options {
    config: EuiccConfig,
    show: bool,
    seed: u64,
    drop_por: u16,
    corrupt_por: u16,
}

fn per_mille(text: &str, what: &str) -> Result<u16, String> {
    match text.parse::<u16>() {
        Ok(v) if v <= 1000 => Ok(v),
        _ => Err(format!("{what}: a rate in per mille, 0 to 1000")),
    }
}

/// A number given as `what VALUE`.
fn number<T: core::str::FromStr>(text: &str, what: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("{what}: not a number"))
}

/// The key version: 1 to 15 (ETSI TS 102 225 §5.1.2, the KIc/KID high nibble).
fn kvn_arg(text: Option<&str>) -> Result<Option<u8>, String> {
    let kvn: Option<u8> = text.map(|t| number(t, "--kvn")).transpose()?;
    match kvn {
        Some(v) if !(1..=15).contains(&v) => Err("--kvn must be 1 to 15".into()),
        other => Ok(other),
    }
}

fn config(args: &SimArgs) -> Result<Options, String> {
    let seed = number(&args.seed, "--seed")?;
    let index = number(&args.index, "--index")?;
    let mut cfg = fleet::member(seed, index).map_err(String::from)?;
    if let Some(text) = &args.eid {
        cfg.eid = Eid::parse_digits(text).map_err(|e| format!("--eid: {e}"))?;
    }
    let kvn = kvn_arg(args.kvn.as_deref())?;
    let ks = cfg.scp80.first_mut().ok_or("no key set")?;
    if let Some(v) = kvn {
        ks.kvn = v;
    }
    if let Some(text) = &args.kic {
        ks.kic = Key::aes(&key16(text, "--kic")?).map_err(|e| e.to_string())?;
    }
    if let Some(text) = &args.kid {
        ks.kid = Key::aes(&key16(text, "--kid")?).map_err(|e| e.to_string())?;
    }
    if let Some(text) = &args.psk {
        let p = parse_hex(text)?;
        if p.is_empty() {
            return Err("--psk must not be empty".into());
        }
        cfg.scp81 = vec![PskKey::new(0x40, 0x01, &p)];
    }
    Ok(Options {
        config: cfg,
        show: args.show_config,
        seed,
        drop_por: per_mille(&args.drop_por, "--drop-por")?,
        corrupt_por: per_mille(&args.corrupt_por, "--corrupt-por")?,
    })
}

fn show(cfg: &EuiccConfig) -> Outcome {
    let ks = cfg.scp80.first().ok_or("no key set")?;
    let psk = cfg.scp81.first().ok_or("no PSK key")?;
    let v = json!({
        "eid": cfg.eid.to_string(),
        "isd_r_tar": hex::encode_upper(cfg.isd_r_tar.0),
        "scp80": {
            "kvn": ks.kvn,
            "kic": hex::encode_upper(ks.kic.dangerous_bytes()),
            "kid": hex::encode_upper(ks.kid.dangerous_bytes()),
            "kic_octet": format!("{:02X}", (ks.kvn << 4) | 0x02),
            "kid_octet": format!("{:02X}", (ks.kvn << 4) | 0x02),
        },
        "scp81": {
            "kvn": psk.kvn,
            "kid": psk.kid,
            "psk": hex::encode_upper(psk.dangerous_value()),
        },
    });
    print_json(&v)
}

pub fn run(args: &SimArgs) -> Outcome {
    let o = config(args)?;
    if o.show {
        return show(&o.config);
    }
    let mut sim = Euicc::new(o.config, o.seed);
    sim.faults.rates.drop_por = o.drop_por;
    sim.faults.rates.corrupt_response = o.corrupt_por;
    let stdin = std::io::stdin();
    for (n, line) in stdin.lock().lines().enumerate() {
        let line = line.map_err(|e| format!("stdin: {e}"))?;
        let text = line.trim();
        let now = n as u64;
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if text == "lost" {
            sim.connectivity_lost(now);
        } else {
            let tp_ud = parse_hex(text).map_err(|e| format!("line {}: {e}", n + 1))?;
            receive(&mut sim, &tp_ud, now, n + 1)?;
        }
        let mut out = String::new();
        for o in sim.take_outgoing(u64::MAX) {
            out.push_str(&hex::encode_upper(&o.tp_ud));
            out.push('\n');
        }
        print(&out)?;
    }
    Ok(())
}

/// Hands one SMS (line `line_no` of stdin) to the eUICC; an administration
/// session it asks for is reported on stderr.
fn receive(sim: &mut Euicc, tp_ud: &[u8], now: u64, line_no: usize) -> Outcome {
    match sim.receive(tp_ud, now) {
        Ok(Reception::Processed(p)) => match p.admin_session {
            Some(r) => {
                let v = json!({
                    "psk_identity": String::from_utf8_lossy(&r.psk_identity),
                    "kvn": r.kvn, "kid": r.kid, "host": r.host,
                    "agent_id": r.agent_id, "uri": r.uri,
                    "connection": hex::encode_upper(&r.connection),
                    "address": r.address.as_ref().map(|(t, a)| json!({
                        "type": t, "octets": hex::encode_upper(a),
                    })),
                    "transport": r.transport.map(|(p, port)| json!({
                        "protocol": p, "port": port,
                    })),
                });
                eprintln(&format!("admin-session: {v}"))
            }
            None => Ok(()),
        },
        Ok(Reception::Partial { .. }) => Ok(()),
        Err(e) => eprintln(&format!("line {line_no}: dropped by the eUICC: {e}")),
    }
}
