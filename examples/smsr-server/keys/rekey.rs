//! `smsr-server rekey`: re-seals every eUICC's secrets under a new master
//! key, or seals the clear secrets of a database from before sealing.
//!
//! ```text
//! smsr-server rekey --db inventory.db --old-key-file old.key --new-key-file new.key
//! smsr-server rekey --db postgres://smsr@db/smsr --from-clear --new-key-file new.key
//! ```
//!
//! The `secrets` table is walked in EID order, one transaction per chunk
//! (`--chunk`, default 1000): each record is opened (under the old key,
//! or read as clear with `--from-clear`) and sealed again under the new
//! key in the same transaction. A record that does not open stops the
//! command with its EID; the chunks before it are committed, and a rerun
//! with the same keys resumes (records already under the new key are
//! checked and left as they are). Run it with the server stopped.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use rusqlite::{TransactionBehavior, params};
use smsr::isdr::Eid;

use super::master::MasterKey;
use super::sealed::{Sealed, is_clear, record_key_id};
use super::{Custody, CustodyError};
use crate::config::Db;
use crate::store::Secrets;

/// The command line of `smsr-server rekey`.
#[derive(Debug, Parser)]
#[command(
    name = "smsr-server rekey",
    about = "Re-seal every eUICC's secrets under a new master key (or seal clear secrets)"
)]
pub struct RekeyArgs {
    /// The inventory: sqlite:PATH (or PATH) or postgres://URL.
    #[arg(long = "db", value_name = "sqlite:PATH|postgres://URL", value_parser = crate::config::parse_db)]
    database: Db,
    /// The master key the secrets are sealed under now.
    #[arg(
        long = "old-key-file",
        value_name = "FILE",
        required_unless_present = "from_clear"
    )]
    old_key_file: Option<PathBuf>,
    /// The secrets are in the clear (a database from before sealing).
    #[arg(long = "from-clear", conflicts_with = "old_key_file")]
    from_clear: bool,
    /// The master key to seal them under.
    #[arg(long = "new-key-file", value_name = "FILE")]
    new_key_file: PathBuf,
    /// Records per transaction, at least 1 [default: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    chunk: Option<u32>,
}

/// What a rekey did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    /// Records sealed again under the new key.
    pub resealed: u64,
    /// Records found under the new key already (a resumed rekey).
    pub kept: u64,
}

/// The record of `eid` under `new`: `None` when it is under `new`
/// already (checked), else opened under `old` (or read as clear when
/// `old` is `None`) and sealed again.
///
/// # Errors
/// The record does not open, or is not clear with `--from-clear`.
pub fn reseal(
    eid: &Eid,
    record: &str,
    old: Option<&Sealed>,
    new: &Sealed,
) -> Result<Option<String>, CustodyError> {
    if record_key_id(record).as_deref() == Some(new.key_id()) {
        new.open(eid, record)?;
        return Ok(None);
    }
    let secrets: Secrets = match old {
        Some(old) => old.open(eid, record)?,
        None if is_clear(record) => {
            serde_json::from_str(record).map_err(|e| CustodyError::Malformed {
                eid: eid.to_string(),
                why: e.to_string(),
            })?
        }
        None => {
            return Err(CustodyError::Malformed {
                eid: eid.to_string(),
                why: "--from-clear, but the record is not clear secrets".into(),
            });
        }
    };
    new.seal(eid, &secrets).map(Some)
}

/// Reseals one chunk of `(eid, record)` rows: the rows to write back.
fn reseal_rows(
    rows: &[(String, String)],
    old: Option<&Sealed>,
    new: &Sealed,
    tally: &mut Tally,
) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::with_capacity(rows.len());
    for (eid, record) in rows {
        let parsed: Eid = eid
            .parse()
            .map_err(|e| format!("secrets row {eid}: EID: {e}"))?;
        match reseal(&parsed, record, old, new).map_err(|e| e.to_string())? {
            Some(sealed) => {
                tally.resealed += 1;
                out.push((eid.clone(), sealed));
            }
            None => tally.kept += 1,
        }
    }
    Ok(out)
}

/// Rekeys the SQLite file at `path`.
///
/// # Errors
/// The database fails or a record does not open (its EID named).
pub fn rekey_sqlite(
    path: &std::path::Path,
    old: Option<&Sealed>,
    new: &Sealed,
    chunk: u32,
) -> Result<Tally, String> {
    let db = |e: rusqlite::Error| format!("{}: {e}", path.display());
    let mut conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)
            .map_err(db)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db)?;
    // The records replaced are overwritten with zeros, not left in free
    // space (SQLite `secure_delete`).
    conn.pragma_update(None, "secure_delete", "ON")
        .map_err(db)?;
    let (mut tally, mut after) = (Tally::default(), String::new());
    loop {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let rows = tx
            .prepare("SELECT eid, json FROM secrets WHERE eid > ?1 ORDER BY eid LIMIT ?2")
            .and_then(|mut st| {
                st.query_map(params![after, chunk], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<(String, String)>>>()
            })
            .map_err(db)?;
        let Some((last, _)) = rows.last() else {
            drop(tx);
            scrub_sqlite(&conn, old.is_none()).map_err(db)?;
            return Ok(tally);
        };
        after.clone_from(last);
        for (eid, sealed) in reseal_rows(&rows, old, new, &mut tally)? {
            tx.execute(
                "UPDATE secrets SET json = ?2 WHERE eid = ?1",
                params![eid, sealed],
            )
            .map_err(db)?;
        }
        tx.commit().map_err(db)?;
    }
}

/// Leaves no replaced record behind in the SQLite files: after a
/// migration from clear secrets (`vacuum`) the file is rebuilt, and the
/// WAL is checkpointed and truncated (its old frames held the replaced
/// pages).
fn scrub_sqlite(conn: &rusqlite::Connection, vacuum: bool) -> rusqlite::Result<()> {
    if vacuum {
        conn.execute_batch("VACUUM")?;
    }
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
}

/// Rekeys the PostgreSQL database at `url`.
///
/// # Errors
/// The database fails or a record does not open (its EID named).
pub fn rekey_postgres(
    url: &str,
    old: Option<&Sealed>,
    new: &Sealed,
    chunk: u32,
) -> Result<Tally, String> {
    let shown = crate::config::redact_url(url);
    let db = |e: tokio_postgres::Error| format!("{shown}: {e}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("tokio runtime: {e}"))?;
    rt.block_on(async {
        let (mut client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .map_err(db)?;
        let driver = tokio::spawn(conn);
        let (mut tally, mut after) = (Tally::default(), String::new());
        let limit = i64::from(chunk);
        loop {
            let tx = client.transaction().await.map_err(db)?;
            let rows: Vec<(String, String)> = tx
                .query(
                    "SELECT eid, json FROM secrets WHERE eid > $1 ORDER BY eid LIMIT $2 FOR UPDATE",
                    &[&after, &limit],
                )
                .await
                .map_err(db)?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<_, tokio_postgres::Error>>()
                .map_err(db)?;
            let Some((last, _)) = rows.last() else {
                drop(tx);
                if old.is_none() {
                    // The clear rows replaced live on in dead tuples
                    // until the table is rewritten.
                    client
                        .batch_execute("VACUUM FULL secrets")
                        .await
                        .map_err(db)?;
                }
                break;
            };
            after.clone_from(last);
            for (eid, sealed) in reseal_rows(&rows, old, new, &mut tally)? {
                tx.execute(
                    "UPDATE secrets SET json = $2 WHERE eid = $1",
                    &[&eid, &sealed],
                )
                .await
                .map_err(db)?;
            }
            tx.commit().await.map_err(db)?;
        }
        drop(client);
        driver
            .await
            .map_err(|e| format!("{shown}: {e}"))?
            .map_err(db)?;
        Ok(tally)
    })
}

fn run(args: &RekeyArgs) -> Result<Tally, String> {
    let key = |p: &PathBuf| MasterKey::from_file(p).map_err(|e| e.to_string());
    let old = args
        .old_key_file
        .as_ref()
        .map(key)
        .transpose()?
        .map(|k| Sealed::new(&k));
    let new = Sealed::new(&key(&args.new_key_file)?);
    if old.as_ref().is_some_and(|o| o.key_id() == new.key_id()) {
        return Err("the old and the new master key are the same key".into());
    }
    let chunk = args.chunk.unwrap_or(1000);
    match &args.database {
        Db::Sqlite(p) => rekey_sqlite(p, old.as_ref(), &new, chunk),
        Db::Postgres(url) => rekey_postgres(url, old.as_ref(), &new, chunk),
    }
}

/// Runs `smsr-server rekey` (the arguments after `rekey`).
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    crate::subcommand("rekey", args, |a: &RekeyArgs| {
        run(a).map(|t| Some(serde_json::json!({"Resealed": t.resealed, "Kept": t.kept})))
    })
}
