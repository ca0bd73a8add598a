//! `smsr-server import-keys`: the eUICC keys of an EUM key file (the
//! output of the EUM's key ceremony) sealed into the store, replacing
//! those the eUICCs were registered with.
//!
//! ```text
//! smsr-server import-keys --db inventory.db --master-key-file master.key keys.jsonl
//! ```
//!
//! The key file is JSON Lines, one eUICC per line (blank lines skipped),
//! the fields of RegisterEIS's `Secrets` object plus the EID:
//!
//! ```json
//! {"Eid": "89049032000000000000000000000123", "Msisdn": "316100000001",
//!  "Scp80Kvn": 1, "Scp80Kic": "<AES key, hex>", "Scp80Kid": "<AES key, hex>",
//!  "Scp81Kvn": 64, "Scp81KeyId": 1, "Scp81Psk": "<16-64 octets, hex>"}
//! ```
//!
//! `Scp80Algorithm` (`AES` when absent, `3DES-2KEY`, `3DES-3KEY`) says
//! what the KIc and KID are (keys/des3.rs).
//! `Scp80Kvn` is the key version number of the ISD-R's SCP80 key set
//! (1-15, the KIc/KID key index of ETSI TS 102 225 §5.1.2/§5.1.3),
//! `Scp81Kvn`/`Scp81KeyId` name the SCP81 PSK (GP Amendment B; key
//! version `40`-`4F`). Every line is checked first (a malformed line,
//! a key of the wrong length, an EID repeated) and nothing is written
//! unless all pass; then every record is replaced in one transaction,
//! which fails as a whole on an EID that is not registered. No error
//! message repeats a value of the file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use serde::Deserialize;
use smsr::isdr::Eid;
use zeroize::Zeroizing;

use crate::config::Db;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;
use crate::store::{KeyImport, Secrets};

/// The command line of `smsr-server import-keys`.
#[derive(Debug, Parser)]
#[command(
    name = "smsr-server import-keys",
    about = "Seal the eUICC keys of an EUM key file (JSON Lines) into the store"
)]
pub struct ImportKeysArgs {
    /// The inventory: sqlite:PATH (or PATH) or postgres://URL.
    #[arg(long = "db", value_name = "sqlite:PATH|postgres://URL", value_parser = crate::config::parse_db)]
    database: Db,
    /// The master key sealing the secrets at rest [default: the
    /// SMSR_MASTER_KEY environment variable].
    #[arg(long = "master-key-file", value_name = "FILE")]
    master_key_file: Option<PathBuf>,
    /// The key custody: `sealed` or `pkcs11:FILE` (as the server's
    /// `--keys`) [default: sealed].
    #[arg(long = "keys", value_name = "BACKEND", default_value = "sealed")]
    keys: crate::keys::Backend,
    /// The key file (JSON Lines).
    file: PathBuf,
}

/// The EID of a key-file line (the rest of the line is a `Secrets`).
#[derive(Deserialize)]
struct LineEid {
    #[serde(rename = "Eid")]
    eid: String,
}

/// The most octets a PSK of the key file may have (RFC 4279 §5.3 asks
/// for up to 64 octets to be supported).
const PSK_MAX: usize = 64;

/// The key lengths a key file must keep: KIc and KID AES keys, a PSK of
/// 16 to 64 octets, key versions in their ranges.
///
/// # Errors
/// The first field out of bounds (named, its value not shown).
pub fn check_keys(s: &Secrets) -> Result<(), String> {
    let a = s.scp80_algorithm;
    let len = "(AES: 16, 24 or 32 octets; 3DES-2KEY: 16; 3DES-3KEY: 24)";
    a.key(&s.scp80_kic)
        .map_err(|_| format!("Scp80Kic is not a key of Scp80Algorithm {len}"))?;
    a.key(&s.scp80_kid)
        .map_err(|_| format!("Scp80Kid is not a key of Scp80Algorithm {len}"))?;
    if !(16..=PSK_MAX).contains(&s.scp81_psk.len()) {
        return Err(format!("Scp81Psk must be 16 to {PSK_MAX} octets"));
    }
    if !(1..=0x0F).contains(&s.scp80_kvn) {
        return Err("Scp80Kvn must be 1 to 15".into());
    }
    if !(0x40..=0x4F).contains(&s.scp81_kvn) {
        return Err("Scp81Kvn must be 64 to 79 (40-4F)".into());
    }
    Ok(())
}

/// One line: its EID and keys.
///
/// # Errors
/// Malformed (the error's position only, never its text, which may quote
/// a key) or a key out of bounds.
fn parse_line(line: &str) -> Result<(Eid, Secrets), String> {
    let at = |e: serde_json::Error| {
        format!(
            "malformed key record ({:?} at column {})",
            e.classify(),
            e.column()
        )
    };
    let eid: LineEid = serde_json::from_str(line).map_err(at)?;
    let eid: Eid = eid.eid.parse().map_err(|e| format!("Eid: {e}"))?;
    let secrets: Secrets = serde_json::from_str(line).map_err(at)?;
    check_keys(&secrets)?;
    Ok((eid, secrets))
}

/// Every record of `text`, checked; the first bad line stops it.
///
/// # Errors
/// `line N: why`.
pub fn parse_file(text: &str) -> Result<Vec<(u64, Eid, Secrets)>, String> {
    let mut seen: HashMap<Eid, u64> = HashMap::new();
    let mut out = Vec::new();
    for (n, line) in (1u64..).zip(text.lines()) {
        if line.trim().is_empty() {
            continue;
        }
        let (eid, secrets) = parse_line(line).map_err(|e| format!("line {n}: {e}"))?;
        if let Some(first) = seen.insert(eid, n) {
            return Err(format!("line {n}: EID {eid} already on line {first}"));
        }
        out.push((n, eid, secrets));
    }
    Ok(out)
}

fn run(args: &ImportKeysArgs) -> Result<usize, String> {
    let text = Zeroizing::new(
        std::fs::read_to_string(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?,
    );
    let records = parse_file(&text)?;
    let custody = super::custody_for(&args.keys, args.master_key_file.as_deref(), false)?;
    let store: Box<dyn KeyImport> = match &args.database {
        Db::Sqlite(p) => Box::new(
            SqliteStore::open(p, false, custody).map_err(|e| format!("{}: {e}", p.display()))?,
        ),
        Db::Postgres(url) => Box::new(
            PostgresStore::open(url, 2, custody)
                .map_err(|e| format!("{}: {e}", crate::config::redact_url(url)))?,
        ),
    };
    let (lines, pairs): (Vec<u64>, Vec<(Eid, Secrets)>) =
        records.into_iter().map(|(n, e, s)| (n, (e, s))).unzip();
    match store
        .replace_secrets(&pairs)
        .map_err(|e| format!("store: {e} (nothing imported)"))?
    {
        None => Ok(pairs.len()),
        Some(i) => Err(match (lines.get(i), pairs.get(i)) {
            (Some(n), Some((eid, _))) => {
                format!(
                    "line {n}: EID {eid} is not registered (RegisterEIS first); nothing imported"
                )
            }
            _ => format!("record {i} refused; nothing imported"),
        }),
    }
}

/// Runs `smsr-server import-keys` (the arguments after `import-keys`).
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    crate::subcommand("import-keys", args, |a: &ImportKeysArgs| {
        run(a).map(|n| Some(serde_json::json!({ "Imported": n })))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    const EID: &str = "89049032000000000000000000000000";

    fn line(eid: &str, kic: &str, psk: &str, kvn: u8) -> String {
        serde_json::json!({
            "Eid": eid, "Msisdn": "316100000001", "Scp80Kvn": kvn,
            "Scp80Kic": kic, "Scp80Kid": "22".repeat(16),
            "Scp81Kvn": 64, "Scp81KeyId": 1, "Scp81Psk": psk,
        })
        .to_string()
    }

    fn eid(n: u32) -> String {
        Eid::with_check_digits(&format!("8904903200000000000000{n:08}"))
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_good_file_parses_with_blank_lines() {
        let text = format!(
            "{}\n\n{}\n",
            line(&eid(1), &"11".repeat(16), &"33".repeat(16), 1),
            line(&eid(2), &"11".repeat(32), &"33".repeat(64), 15)
        );
        let r = parse_file(&text).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].0, r[1].0), (1, 3));
        assert_eq!(r[1].2.scp80_kic, vec![0x11; 32]);
    }

    /// The key lengths follow `Scp80Algorithm` (keys/des3.rs): 24
    /// octets are a three-key 3DES key, 16 are not.
    #[test]
    fn the_key_lengths_follow_the_scp80_algorithm() {
        let tdes3 = |kic: &str, kid: &str| {
            line(&eid(1), kic, &"33".repeat(16), 1)
                .replace(&"22".repeat(16), kid)
                .replace("{", r#"{"Scp80Algorithm":"3DES-3KEY","#)
        };
        let r = parse_file(&tdes3(&"11".repeat(24), &"22".repeat(24))).unwrap();
        assert_eq!(
            r[0].2.scp80_algorithm,
            crate::keys::des3::Scp80Algorithm::Tdes3Key
        );
        let e = parse_file(&tdes3(&"AB".repeat(16), &"22".repeat(24))).unwrap_err();
        assert!(e.contains("Scp80Kic") && !e.contains("ABAB"), "{e}");
        let e = parse_file(&tdes3(&"11".repeat(24), &"CD".repeat(32))).unwrap_err();
        assert!(e.contains("Scp80Kid") && !e.contains("CDCD"), "{e}");
    }

    #[test]
    fn each_bad_line_is_named_and_no_value_is_repeated() {
        let good = line(&eid(1), &"11".repeat(16), &"33".repeat(16), 1);
        let cases = [
            (
                line(&eid(1), &"AB".repeat(15), &"33".repeat(16), 1),
                "Scp80Kic",
            ),
            (
                line(&eid(1), &"11".repeat(16), &"CD".repeat(15), 1),
                "Scp81Psk",
            ),
            (
                line(&eid(1), &"11".repeat(16), &"CD".repeat(65), 1),
                "Scp81Psk",
            ),
            (
                line(&eid(1), &"11".repeat(16), &"33".repeat(16), 0),
                "Scp80Kvn",
            ),
            (line(EID, &"11".repeat(16), &"33".repeat(16), 1), "Eid"),
            (
                line(&eid(1), &"EF".repeat(16), &"33".repeat(16), 1)
                    .replace("\"Scp80Kvn\":1", "\"Scp80Kvn\":\"EFEFEFEFEFEF\""),
                "malformed",
            ),
            (
                line(&eid(1), &"XY".repeat(16), &"33".repeat(16), 1),
                "malformed",
            ),
            ("{".to_owned(), "malformed"),
            (good.clone(), "already on line 1"),
        ];
        for (bad, what) in cases {
            let text = format!("{good}\n{bad}\n");
            let e = parse_file(&text).unwrap_err();
            assert!(e.starts_with("line 2: ") && e.contains(what), "{e}");
            for v in ["ABAB", "CDCD", "EFEF", "XYXY"] {
                assert!(!e.contains(v), "{e}");
            }
        }
    }
}
