//! `smsr-server import`: bulk ES1.RegisterEIS (SGP.02 §5.3.1) from a JSON
//! Lines file, one RegisterEIS body (`{"Eis": {…}, "Secrets": {…}}`) per
//! line, straight into the store.
//!
//! ```text
//! smsr-server import --db inventory.db --smsr-id SMSR-1 fleet.jsonl
//! smsr-server import --db postgres://smsr@127.0.0.1:5432/smsr fleet.jsonl
//! ```
//!
//! Every record gets the validation of a single RegisterEIS
//! ([`check_registration`]). Two passes over the file: the first parses
//! and checks every line, finds EIDs repeated in the file or already
//! registered, and writes nothing, so a bad record stops the import with
//! its line number before anything changed; the second stores the records
//! in chunks ([`Store::register_many`]: one transaction, one commit per
//! chunk, cached prepared statements). Parsing runs on every core, the
//! store writes on one thread.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Instant;

use clap::Parser;
use serde::Deserialize;
use smsr::inventory::Eis;

use crate::keys::Custody;
use smsr::isdr::Eid;

use crate::config::Db;
use crate::store::Secrets;
use crate::store::Store;
use crate::store::postgres::PostgresStore;
use crate::store::sqlite::SqliteStore;

/// The command line of `smsr-server import`.
#[derive(Debug, Parser)]
#[command(
    name = "smsr-server import",
    about = "Bulk ES1.RegisterEIS from a JSON Lines file (one RegisterEIS body per line)"
)]
pub struct ImportArgs {
    /// The store, as the server's `--db`: `sqlite:PATH` (or a bare path)
    /// or `postgres://…` [default: sqlite:smsr-inventory.db].
    #[arg(long = "db", value_name = "sqlite:PATH|postgres://URL", value_parser = crate::config::parse_db)]
    database: Option<Db>,
    /// The SM-SR identity written into every EIS (`Smsr-id`), as the
    /// server's `SmsrId` [default: SMSR-EXAMPLE].
    #[arg(long = "smsr-id", value_name = "ID")]
    smsr_id: Option<String>,
    /// Records per transaction, at least 1 [default: 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    chunk: Option<u64>,
    /// SQLite synchronous=FULL (PostgreSQL commits durably anyway).
    #[arg(long = "power-safe")]
    power_safe: bool,
    /// The master key sealing the secrets at rest (64 hex digits)
    /// [default: the SMSR_MASTER_KEY environment variable].
    #[arg(long = "master-key-file", value_name = "FILE")]
    master_key_file: Option<PathBuf>,
    /// The key custody: `sealed` or `pkcs11:FILE` (as the server's
    /// `--keys`) [default: sealed].
    #[arg(long = "keys", value_name = "BACKEND", default_value = "sealed")]
    keys: crate::keys::Backend,
    /// The JSON Lines file.
    file: PathBuf,
}

/// One RegisterEIS body (the API's `POST /es1/RegisterEIS` body).
#[derive(Deserialize)]
pub struct Registration {
    /// The EIS.
    #[serde(rename = "Eis")]
    pub eis: Eis,
    /// Its keys.
    #[serde(rename = "Secrets")]
    pub secrets: Secrets,
}

/// The checks of ES1.RegisterEIS, for the API and the import alike: the
/// EIS keeps its invariants, and it is registered with this SM-SR's
/// identity.
///
/// # Errors
/// The invariant the EIS breaks.
pub fn check_registration(eis: &mut Eis, smsr_id: &str) -> Result<(), String> {
    eis.check_invariants()
        .map_err(|e| format!("EIS breaks an invariant: {e}"))?;
    eis.smsr_id = smsr_id.to_owned();
    Ok(())
}

/// One line parsed and checked.
fn parse_line(line: &str, smsr_id: &str) -> Result<Registration, String> {
    let mut r: Registration =
        serde_json::from_str(line).map_err(|e| format!("malformed record: {e}"))?;
    check_registration(&mut r.eis, smsr_id)?;
    Ok(r)
}

/// A run of consecutive lines: its index among the chunks, the number of
/// its first line, and the lines (blank ones included, skipped later).
struct Lines {
    index: u64,
    first: u64,
    lines: Vec<String>,
}

/// A chunk's records and their line numbers, or the first bad line.
type Parsed = Result<Vec<(u64, Registration)>, String>;

fn parse_chunk(c: &Lines, smsr_id: &str) -> Parsed {
    let mut out = Vec::with_capacity(c.lines.len());
    for (n, line) in (c.first..).zip(&c.lines) {
        if line.trim().is_empty() {
            continue;
        }
        let r = parse_line(line, smsr_id).map_err(|e| format!("line {n}: {e}"))?;
        out.push((n, r));
    }
    Ok(out)
}

/// Reads `file` in chunks of `chunk` lines, parses them on every core and
/// hands `sink` each chunk's records in file order; stops at the first
/// error (a bad line, an unreadable file, or `sink`'s own).
fn pipeline(
    file: &Path,
    chunk: usize,
    smsr_id: &str,
    mut sink: impl FnMut(Vec<(u64, Registration)>) -> Result<(), String>,
) -> Result<(), String> {
    let f = std::fs::File::open(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let threads = std::thread::available_parallelism().map_or(2, usize::from);
    let (line_tx, line_rx) = mpsc::sync_channel::<Lines>(threads * 2);
    let line_rx = Arc::new(Mutex::new(line_rx));
    let (done_tx, done_rx) = mpsc::sync_channel::<(u64, Parsed)>(threads * 2);
    std::thread::scope(|s| {
        for _ in 0..threads {
            let (rx, tx) = (line_rx.clone(), done_tx.clone());
            s.spawn(move || {
                loop {
                    let next = rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|r| r.recv().map_err(|_| ()));
                    let Ok(c) = next else { return };
                    if tx.send((c.index, parse_chunk(&c, smsr_id))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        let reader = s.spawn(move || read_chunks(f, chunk, &line_tx));
        let mut pending = BTreeMap::new();
        let mut next = 0u64;
        let mut outcome = Ok(());
        for (index, parsed) in done_rx.iter() {
            pending.insert(index, parsed);
            while let Some(p) = pending.remove(&next) {
                next += 1;
                outcome = outcome.and(p).and_then(&mut sink);
            }
            if outcome.is_err() {
                // Dropping the receiver stops the parsers and the reader.
                break;
            }
        }
        drop(done_rx);
        let read = reader
            .join()
            .map_err(|_| "the reader thread panicked".to_owned())?;
        outcome.and(read)
    })
}

/// Sends `f`'s lines in chunks of `chunk`; stops early when nobody
/// listens (an error downstream).
fn read_chunks(f: std::fs::File, chunk: usize, tx: &mpsc::SyncSender<Lines>) -> Result<(), String> {
    let mut lines = std::io::BufReader::with_capacity(1 << 20, f).lines();
    let (mut index, mut first) = (0u64, 1u64);
    loop {
        let mut batch = Vec::with_capacity(chunk);
        for l in lines.by_ref().take(chunk) {
            let n = first + batch.len() as u64;
            batch.push(l.map_err(|e| format!("line {n}: {e}"))?);
        }
        if batch.is_empty() {
            return Ok(());
        }
        let count = batch.len() as u64;
        let c = Lines {
            index,
            first,
            lines: batch,
        };
        if tx.send(c).is_err() {
            return Ok(());
        }
        index += 1;
        first += count;
    }
}

/// Pass 1: every line parses and passes the checks, no EID repeats in the
/// file or is registered already. Returns the number of records.
fn validate(store: &dyn Store, file: &Path, chunk: usize, smsr_id: &str) -> Result<u64, String> {
    let mut seen: HashMap<Eid, u64> = HashMap::new();
    // Into an empty store no EID is registered yet: the lookups (a round
    // trip each on PostgreSQL) are skipped; one registered meanwhile by
    // the server is still refused by `register_many`.
    let empty = store.count().map_err(|e| e.to_string())? == 0;
    pipeline(file, chunk, smsr_id, |records| {
        for (n, r) in records {
            let eid = r.eis.eid();
            if let Some(first) = seen.insert(eid, n) {
                return Err(format!("line {n}: EID {eid} already on line {first}"));
            }
            if !empty && store.eis(&eid).map_err(|e| e.to_string())?.is_some() {
                return Err(format!("line {n}: EID {eid} already registered"));
            }
        }
        Ok(())
    })?;
    Ok(seen.len() as u64)
}

/// Pass 2: stores the records, one transaction per chunk. Returns the
/// number stored.
fn store_all(store: &dyn Store, file: &Path, chunk: usize, smsr_id: &str) -> Result<u64, String> {
    let mut stored = 0u64;
    pipeline(file, chunk, smsr_id, |records| {
        let lines: Vec<u64> = records.iter().map(|(n, _)| *n).collect();
        let regs: Vec<(Eis, Secrets)> = records
            .into_iter()
            .map(|(_, r)| (r.eis, r.secrets))
            .collect();
        match store.register_many(&regs) {
            Ok(None) => {
                stored += regs.len() as u64;
                Ok(())
            }
            // Registered meanwhile by someone else (the server's API).
            Ok(Some(i)) => Err(match (lines.get(i), regs.get(i)) {
                (Some(n), Some((eis, _))) => format!(
                    "line {n}: EID {} already registered ({stored} records before its chunk stored)",
                    eis.eid()
                ),
                _ => format!("the store refused record {i} of a chunk of {}", regs.len()),
            }),
            Err(e) => Err(format!("store: {e} ({stored} records stored)")),
        }
    })?;
    Ok(stored)
}

/// Runs `smsr-server import` (the arguments after `import`).
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    crate::subcommand("import", args, |a: &ImportArgs| run(a).map(|()| None))
}

/// PostgreSQL connections of the import: the store writes on one thread.
const POSTGRES_POOL: usize = 2;

/// Opens the store `db` names.
fn open(db: &Db, power_safe: bool, custody: Arc<dyn Custody>) -> Result<Box<dyn Store>, String> {
    let failed = |e| format!("{db:?}: {e}");
    Ok(match db {
        Db::Sqlite(p) => Box::new(SqliteStore::open(p, power_safe, custody).map_err(failed)?),
        Db::Postgres(url) => {
            Box::new(PostgresStore::open(url, POSTGRES_POOL, custody).map_err(failed)?)
        }
    })
}

fn run(args: &ImportArgs) -> Result<(), String> {
    let database = args
        .database
        .clone()
        .unwrap_or_else(|| Db::Sqlite(PathBuf::from(crate::server::DEFAULT_DATABASE)));
    let smsr_id = args
        .smsr_id
        .clone()
        .unwrap_or_else(|| crate::config::Config::defaults().smsr_id);
    let chunk = usize::try_from(args.chunk.unwrap_or(1000)).map_err(|e| e.to_string())?;
    let custody = crate::keys::custody_for(&args.keys, args.master_key_file.as_deref(), false)?;
    let store = open(&database, args.power_safe, custody)?;
    let store = store.as_ref();
    let t = Instant::now();
    let n = validate(store, &args.file, chunk, &smsr_id)?;
    let checked = t.elapsed();
    let stored = store_all(store, &args.file, chunk, &smsr_id)?;
    let secs = t.elapsed().as_secs_f64();
    let total = store.count().map_err(|e| e.to_string())?;
    println!(
        "{}",
        serde_json::json!({
            "Registered": stored,
            "Total": total,
            "Checked": n,
            "CheckSeconds": checked.as_secs_f64(),
            "Seconds": secs,
            "CpuSeconds": crate::bench::cpu_seconds("self")?,
            "PerSecond": stored as f64 / secs.max(1e-9),
            "Database": format!("{database:?}"),
        })
    );
    Ok(())
}
