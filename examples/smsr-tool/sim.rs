//! `smsr-tool sim`: one simulated eUICC (`smsr::sim`) as a filter. Each
//! stdin line is the hex TP-UD of one SMS to the eUICC (UDH included);
//! each SMS the eUICC sends back (PoR `0271…`, notification `0270…`) is
//! one hex line on stdout. Keys and EID default to fleet member `--index`
//! of `--seed` (see `--show-config`).

use std::io::{BufRead, Write};

use serde_json::json;
use smsr::crypto::Key;
use smsr::isdr::Eid;
use smsr::sim::{Euicc, EuiccConfig, PskKey, Reception, fleet};

use crate::common::parse_hex;

pub const USAGE: &str = "\
\x20 sim [--seed N] [--index N] [--eid DIGITS32] [--kvn N] [--kic HEX16] [--kid HEX16]
      [--psk HEX] [--drop-por PERMILLE] [--corrupt-por PERMILLE] [--show-config]
      one simulated eUICC: TP-UD hex lines on stdin (a line 'lost' = loss of
      connectivity, '#' = comment), the SMS it sends (PoR, notification) as hex
      lines on stdout, administration session requests on stderr; keys and EID
      default to fleet member --index (0) of --seed (0), AES-128 KVN 1, PSK 40/01;
      --drop-por / --corrupt-por inject faults at that rate, drawn from --seed
";

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

fn config(args: &[String]) -> Result<Options, String> {
    let mut seed = 0u64;
    let mut index = 0u64;
    let mut eid = None;
    let mut kvn = None;
    let mut kic = None;
    let mut kid = None;
    let mut psk = None;
    let mut show = false;
    let mut drop_por = 0;
    let mut corrupt_por = 0;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--seed" => seed = value()?.parse().map_err(|_| "--seed: not a number")?,
            "--index" => index = value()?.parse().map_err(|_| "--index: not a number")?,
            "--eid" => {
                eid = Some(Eid::parse_digits(value()?).map_err(|e| format!("--eid: {e}"))?);
            }
            "--kvn" => {
                let v: u8 = value()?.parse().map_err(|_| "--kvn: not a number")?;
                if !(1..=15).contains(&v) {
                    return Err("--kvn must be 1 to 15".into());
                }
                kvn = Some(v);
            }
            "--kic" => kic = Some(key16(value()?, "--kic")?),
            "--kid" => kid = Some(key16(value()?, "--kid")?),
            "--psk" => psk = Some(parse_hex(value()?)?),
            "--drop-por" => drop_por = per_mille(value()?, "--drop-por")?,
            "--corrupt-por" => corrupt_por = per_mille(value()?, "--corrupt-por")?,
            "--show-config" => show = true,
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    let mut cfg = fleet::member(seed, index).map_err(String::from)?;
    if let Some(e) = eid {
        cfg.eid = e;
    }
    let ks = cfg.scp80.first_mut().ok_or("no key set")?;
    if let Some(v) = kvn {
        ks.kvn = v;
    }
    if let Some(k) = kic {
        ks.kic = Key::aes(&k).map_err(|e| e.to_string())?;
    }
    if let Some(k) = kid {
        ks.kid = Key::aes(&k).map_err(|e| e.to_string())?;
    }
    if let Some(p) = psk {
        if p.is_empty() {
            return Err("--psk must not be empty".into());
        }
        cfg.scp81 = vec![PskKey::new(0x40, 0x01, &p)];
    }
    Ok(Options {
        config: cfg,
        show,
        seed,
        drop_por,
        corrupt_por,
    })
}

fn show(cfg: &EuiccConfig) -> Result<(), String> {
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
    println!(
        "{}",
        serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
    );
    Ok(())
}

pub fn run(args: &[String]) -> Result<(), String> {
    let o = config(args)?;
    if o.show {
        return show(&o.config);
    }
    let mut sim = Euicc::new(o.config, o.seed);
    sim.faults.rates.drop_por = o.drop_por;
    sim.faults.rates.corrupt_response = o.corrupt_por;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
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
            match sim.receive(&tp_ud, now) {
                Ok(Reception::Processed(p)) => {
                    if let Some(r) = p.admin_session {
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
                        eprintln!("admin-session: {v}");
                    }
                }
                Ok(Reception::Partial { .. }) => {}
                Err(e) => eprintln!("line {}: dropped by the eUICC: {e}", n + 1),
            }
        }
        for o in sim.take_outgoing(u64::MAX) {
            writeln!(out, "{}", hex::encode_upper(&o.tp_ud)).map_err(|e| e.to_string())?;
        }
        out.flush().map_err(|e| e.to_string())?;
    }
    Ok(())
}
