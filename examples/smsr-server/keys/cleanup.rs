//! Token objects no registration references: what a registration that
//! fails after its keys were imported leaves, and how it is cleaned up.
//!
//! * [`super::sealing::Sealing`] undoes the seals of a store transaction
//!   that does not commit (the database refusing, a bulk registration
//!   rolled back): the stores seal through it and call
//!   [`super::sealing::Sealing::keep`] after the commit; dropped without
//!   it, every record it sealed is discarded ([`super::Custody::discard`]:
//!   on PKCS#11 its token objects are destroyed, by label and the seal's
//!   own random `CKA_ID`, so a concurrent registration's objects are never
//!   touched).
//! * `smsr-server hsm-gc FILE --db DB [--delete]` ([`main`]) lists the
//!   token's eUICC key objects (labels `<EID>/scp80|scp03/<kvn>/<role>`,
//!   [`crate::hsm::key_label`]) whose (label, `CKA_ID`) no record of the
//!   database names (a seal interrupted by a crash, keys replaced by
//!   `import-keys`), and destroys them with `--delete` (a dry run
//!   otherwise). Other objects (the PSK key-wrap key, anything not named
//!   so) are never listed. Run it while no registration is in flight: a
//!   registration between its seal and its commit has objects no record
//!   names yet.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use smsr::isdr::Eid;

use super::pkcs11::Pkcs11;
use crate::config::Db;
use crate::store::held::HeldKeys;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;

/// The command line of `smsr-server hsm-gc`.
#[derive(Debug, Parser)]
#[command(
    name = "smsr-server hsm-gc",
    about = "List (and with --delete destroy) the token's eUICC key objects no registration references"
)]
pub struct HsmGcArgs {
    /// The token file, as `--keys pkcs11:FILE` names it.
    file: PathBuf,
    /// The inventory: sqlite:PATH (or PATH) or postgres://URL.
    #[arg(long = "db", value_name = "sqlite:PATH|postgres://URL", value_parser = crate::config::parse_db)]
    database: Db,
    /// Destroy the objects listed (else only list them).
    #[arg(long)]
    delete: bool,
}

/// Whether `label` names an eUICC key ([`crate::hsm::key_label`] with
/// protocol `scp80` or `scp03`).
fn is_euicc_key(label: &str) -> bool {
    let mut parts = label.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(eid), Some("scp80" | "scp03"), Some(kvn), Some(_)) => {
            parts.next().is_none() && eid.parse::<Eid>().is_ok() && kvn.parse::<u8>().is_ok()
        }
        _ => false,
    }
}

/// The `(label, CKA_ID)` every record of `store` names.
fn referenced(store: &dyn HeldKeys) -> Result<HashSet<(String, Vec<u8>)>, String> {
    let mut out = HashSet::new();
    for (eid, record) in store.records().map_err(|e| format!("store: {e}"))? {
        let eid: Eid = eid
            .parse()
            .map_err(|e| format!("store: secrets EID {eid}: {e}"))?;
        out.extend(Pkcs11::referenced(&eid, &record).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

fn run(args: &HsmGcArgs) -> Result<serde_json::Value, String> {
    let custody = Arc::new(Pkcs11::open(&args.file)?);
    let store: Box<dyn HeldKeys> = match &args.database {
        Db::Sqlite(p) => Box::new(
            SqliteStore::open(p, false, custody.clone())
                .map_err(|e| format!("{}: {e}", p.display()))?,
        ),
        Db::Postgres(url) => Box::new(
            PostgresStore::open(url, 2, custody.clone())
                .map_err(|e| format!("{}: {e}", crate::config::redact_url(url)))?,
        ),
    };
    let referenced = referenced(&*store)?;
    let on_token = custody
        .token()
        .run(|h| h.list_keys())
        .map_err(|e| format!("listing the token's keys: {e}"))?;
    let orphans: Vec<(String, Vec<u8>)> = on_token
        .into_iter()
        .filter(|(label, id)| {
            label != custody.wrap_key_label()
                && is_euicc_key(label)
                && !referenced.contains(&(label.clone(), id.clone()))
        })
        .collect();
    let mut deleted = 0usize;
    if args.delete {
        for (label, id) in &orphans {
            custody
                .token()
                .run(|h| h.destroy_key(label, id))
                .map_err(|e| format!("destroying {label} ({deleted} destroyed before): {e}"))?;
            deleted += 1;
        }
    }
    let listed: Vec<serde_json::Value> = orphans
        .iter()
        .map(|(l, id)| serde_json::json!({"Label": l, "Id": hex::encode_upper(id)}))
        .collect();
    Ok(serde_json::json!({
        "Referenced": referenced.len(),
        "Orphans": listed,
        "Deleted": deleted,
        "DryRun": !args.delete,
    }))
}

/// Runs `smsr-server hsm-gc` (the arguments after `hsm-gc`): prints
/// `{"Referenced": n, "Orphans": [{"Label", "Id"}], "Deleted": n,
/// "DryRun": bool}`.
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    crate::subcommand("hsm-gc", args, |a: &HsmGcArgs| run(a).map(Some))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_euicc_key_labels_are_listed() {
        let eid = Eid::with_check_digits("890490320000000000000000000001").unwrap();
        assert!(is_euicc_key(&format!("{eid}/scp80/1/kic")));
        assert!(is_euicc_key(&format!("{eid}/scp03/48/dek")));
        assert!(!is_euicc_key("smsr/scp81/psk-wrap"));
        assert!(!is_euicc_key(&format!("{eid}/scp81/1/psk")));
        assert!(!is_euicc_key(&format!("{eid}/scp80/1/kic/x")));
        assert!(!is_euicc_key("8904/scp80/1/kic"));
    }
}
