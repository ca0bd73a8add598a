//! `smsr-server bench`: the fleet-scale load bench (issue 14). Prints one
//! JSON object.
//!
//! ```text
//! cargo run --release -p smsr-server -- bench --fleet 10000
//! cargo run --release -p smsr-server -- bench --fleet 10000 \
//!     --db postgres://postgres@127.0.0.1:5432/postgres --instances 1,3
//! ```
//!
//! Each run (one per `--instances` count) writes the fleet's RegisterEIS
//! bodies to a JSON Lines file and registers them with `smsr-server
//! import` (timed) into a fresh store, starts a simulated fleet in its own
//! process (`--fleet-only`, its SMPP SMSC) and N server processes on that
//! store (each bound to the SMSC; an instance's trigger names its own
//! SCP81 listener, and queued operations are claimed by lease, as in
//! `tests/server_failover.rs`), and measures, over SCP81:
//!
//! * each server's resident memory idle with the whole fleet registered;
//! * a fleet-wide AuditEIS (`/batch/AuditEIS` by filter): ops/s;
//! * single AuditEIS calls, 16 at a time: p50/p99 latency;
//! * a fleet-wide EnableProfile over `--enable-fleet` eUICCs (each given
//!   a disabled profile first, through CreateISDP, SendData and
//!   ProfileDownloadCompleted): ops/s;
//! * each server's peak resident memory (`VmHWM`), and their total;
//! * CPU seconds of the servers, the fleet and (PostgreSQL) the database
//!   backends serving the run, so that rates per CPU second compare
//!   fairly on a shared machine;
//! * (PostgreSQL) the transactions committed in the run's database per
//!   AuditEIS and per EnableProfile (`pg_stat_database.xact_commit`, read
//!   once the backends have reported their statistics);
//! * the scaling factor: each run's rates over the 1-instance run's;
//! * in the same run, the rate of bare PSK-TLS 1.2 handshakes on loopback
//!   with the listener's TLS settings ([`crate::scp81::server_builder`])
//!   and the card's client ([`crate::fleet::tls_connect`], the same
//!   cipher suite), 64 at a time: the floor of one SCP81 operation, and
//!   the ratio of the AuditEIS rate to it.
//!
//! `--db` takes `sqlite:PATH` (the default: a temporary file; one
//! instance only) or `postgres://…`: the URL of any database on a cluster
//! where its user may `CREATE DATABASE`; each run gets a throw-away
//! database `smsr_bench_PID_N` there, dropped at the end (kept with
//! `--keep`).

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use openssl::ssl::Ssl;
use serde_json::{Value, json};
use tokio_openssl::SslStream;

use crate::config::Db;
use crate::demo::Client;

const EUM: (&str, &str) = ("EUM-DEMO", "bench-eum-token");
const MNO: (&str, &str) = ("MNO-A", "bench-mno-token");
const SMSR_ID: &str = "SMSR-BENCH";

/// The command line of `smsr-server bench`.
#[derive(Debug, Parser)]
#[command(
    name = "smsr-server bench",
    about = "Fleet-scale load bench; prints JSON"
)]
pub struct BenchArgs {
    /// Registered eUICCs (all audited).
    #[arg(long, default_value_t = 10_000)]
    fleet: u64,
    /// eUICCs given a profile and then enabled fleet-wide [default: the
    /// fleet, at most 10000].
    #[arg(long = "enable-fleet", value_name = "N")]
    enable_fleet: Option<u64>,
    /// Store: `sqlite:PATH` or `postgres://…` (a database on the cluster
    /// the runs' databases are created on) [default: a temporary SQLite
    /// file].
    #[arg(long, value_name = "sqlite:PATH|postgres://URL", value_parser = crate::config::parse_db)]
    db: Option<Db>,
    /// Server instances sharing the store, one run per count (`1,3`: the
    /// scaling factor of 3 against 1 in the same invocation).
    #[arg(long, value_delimiter = ',', default_value = "1",
          value_parser = clap::value_parser!(u32).range(1..=16))]
    instances: Vec<u32>,
    /// The server's MaxParallel (eUICCs served at once).
    #[arg(long = "max-parallel", default_value_t = 64)]
    max_parallel: usize,
    /// Single AuditEIS calls timed for the latency figures.
    #[arg(long = "latency-calls", default_value_t = 400)]
    latency_calls: usize,
    /// Seconds of bare PSK-TLS handshakes.
    #[arg(long = "handshake-seconds", default_value_t = 5)]
    handshake_seconds: u64,
    /// Only register the fleet (import) and measure the idle server's
    /// memory.
    #[arg(long = "idle-only")]
    idle_only: bool,
    /// Keep the work directory (database, logs).
    #[arg(long)]
    keep: bool,
    /// Run the server under this command (e.g. `valgrind
    /// --tool=callgrind`), split at spaces.
    #[arg(long = "wrap-server", value_name = "CMD")]
    wrap_server: Option<String>,
}

/// Runs `smsr-server bench` (the arguments after `bench`).
pub fn main(args: impl IntoIterator<Item = std::ffi::OsString>) -> ExitCode {
    crate::subcommand("bench", args, |a: &BenchArgs| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        rt.block_on(run(a)).map(Some)
    })
}

/// A child process of the bench, stopped when dropped: SIGTERM (the
/// server and the fleet stop cleanly on it, and a profiler wrapping the
/// server writes its data), then SIGKILL after `grace`.
struct Proc(Child, Duration);

impl Drop for Proc {
    fn drop(&mut self) {
        let term = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        if let Err(e) = term {
            tracing::debug!("bench child: kill -TERM: {e}");
        }
        let deadline = Instant::now() + self.1;
        while Instant::now() < deadline && matches!(self.0.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if let Err(e) = self.0.kill() {
            tracing::debug!("bench child: {e}");
        }
        if let Err(e) = self.0.wait() {
            tracing::debug!("bench child: {e}");
        }
    }
}

/// CPU seconds (user + system) of process `pid` from `/proc/PID/stat`
/// (fields 14 and 15, in the kernel's USER_HZ of 100 per second).
pub fn cpu_seconds(pid: &str) -> Result<f64, String> {
    let path = format!("/proc/{pid}/stat");
    let s = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    // The command name (field 2) may hold spaces: count after its ')'.
    let rest = s.rsplit_once(')').map(|(_, r)| r).ok_or("no ')' in stat")?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| format!("{path}: field {}", i + 3))
    };
    // After ')': field 3 is index 0, so utime (14) is 11 and stime (15) 12.
    #[allow(clippy::cast_precision_loss)]
    Ok((tick(11)? + tick(12)?) as f64 / 100.0)
}

impl Proc {
    /// CPU seconds used so far.
    fn cpu(&self) -> Result<f64, String> {
        cpu_seconds(&self.0.id().to_string())
    }

    /// `VmRSS` and `VmHWM` (peak) of the process, KiB.
    fn memory_kib(&self) -> Result<(u64, u64), String> {
        Ok((self.status("VmRSS:")?, self.status("VmHWM:")?))
    }

    /// The process's threads now.
    fn threads(&self) -> Result<u64, String> {
        self.status("Threads:")
    }

    /// The number after `name` in `/proc/PID/status`.
    fn status(&self, name: &str) -> Result<u64, String> {
        let path = format!("/proc/{}/status", self.0.id());
        let s = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| format!("{path}: no {name}"))
    }
}

fn exe() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("current executable: {e}"))
}

fn log(dir: &Path, name: &str) -> Result<Stdio, String> {
    std::fs::File::create(dir.join(name))
        .map(Stdio::from)
        .map_err(|e| format!("{name}: {e}"))
}

/// Waits for a child's ready file (JSON) for up to `limit`.
async fn ready(child: &mut Proc, file: &Path, limit: Duration) -> Result<Value, String> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(text) = std::fs::read_to_string(file)
            && let Ok(v) = serde_json::from_str::<Value>(&text)
        {
            return Ok(v);
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            return Err(format!("{} exited: {status}", file.display()));
        }
        if Instant::now() > deadline {
            return Err(format!("{} not ready in {limit:?}", file.display()));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Writes the RegisterEIS bodies of fleet members `0..n` (the seeded fleet
/// the `--fleet-only` process simulates) as JSON Lines.
fn write_eis_file(path: &Path, n: u64) -> Result<(), String> {
    let f = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut w = std::io::BufWriter::new(f);
    for i in 0..n {
        let c = smsr::sim::fleet::member(crate::fleet::SEED, i).map_err(String::from)?;
        let eis = smsr::sim::fleet::eis(&c, EUM.0, SMSR_ID);
        let secrets = crate::fleet::secrets_of(&c, &crate::fleet::msisdn(i))?;
        let line = json!({"Eis": eis, "Secrets": secrets}).to_string();
        writeln!(w, "{line}").map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())
}

/// A run's store, as `--db` of the server and of `smsr-server import`.
fn store_arg(db: &Db) -> String {
    match db {
        Db::Sqlite(p) => format!("sqlite:{}", p.display()),
        Db::Postgres(url) => url.clone(),
    }
}

/// `url` naming database `name` instead of its own (the query kept).
fn with_database(url: &str, name: &str) -> Result<String, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or("--db: a PostgreSQL URL has ://")?;
    let (authority, tail) = rest.split_once('/').unwrap_or((rest, ""));
    Ok(match tail.split_once('?') {
        Some((_, query)) => format!("{scheme}://{authority}/{name}?{query}"),
        None => format!("{scheme}://{authority}/{name}"),
    })
}

/// Runs `sql` on the PostgreSQL database `url`.
async fn pg_execute(url: &str, sql: &str) -> Result<(), String> {
    let redacted = crate::config::redact_url(url);
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("{redacted}: {e}"))?;
    let conn = tokio::spawn(conn);
    let done = client
        .batch_execute(sql)
        .await
        .map_err(|e| format!("{redacted}: {sql}: {e}"));
    drop(client);
    conn.await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{redacted}: {e}"))?;
    done
}

/// The store of run `k` in `dir`: the SQLite file (`--db`'s, or a new
/// one), or a fresh PostgreSQL database on `--db`'s cluster, and the
/// statement that drops it afterwards (on `--db` itself).
async fn run_store(args: &BenchArgs, dir: &Path, k: usize) -> Result<(Db, Option<String>), String> {
    match &args.db {
        None => Ok((Db::Sqlite(dir.join("inventory.db")), None)),
        Some(Db::Sqlite(p)) => Ok((Db::Sqlite(p.clone()), None)),
        Some(Db::Postgres(url)) => {
            let name = format!("smsr_bench_{}_{k}", std::process::id());
            pg_execute(url, &format!("CREATE DATABASE {name}")).await?;
            let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            Ok((Db::Postgres(with_database(url, &name)?), Some(drop)))
        }
    }
}

/// The bench's master key file in `dir` (made once, `smsr-server
/// keygen`'s code): the import and the server seal the secrets under it.
fn master_key(dir: &Path) -> Result<PathBuf, String> {
    let f = dir.join("master.key");
    if !f.exists() {
        crate::keys::keygen(&f)?;
    }
    Ok(f)
}

/// Imports the fleet's EIS file into `db` with `smsr-server import`.
fn import(dir: &Path, db: &Db, n: u64) -> Result<Value, String> {
    let file = dir.join("fleet.jsonl");
    let t = Instant::now();
    write_eis_file(&file, n)?;
    let written = t.elapsed().as_secs_f64();
    let out = Command::new(exe()?)
        .args(["import", "--smsr-id", SMSR_ID, "--db", &store_arg(db)])
        .arg("--master-key-file")
        .arg(master_key(dir)?)
        .arg(&file)
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("import: {e}"))?;
    if !out.status.success() {
        return Err(format!("import failed: {}", out.status));
    }
    if let Err(e) = std::fs::remove_file(&file) {
        tracing::warn!("{}: {e}", file.display());
    }
    let mut v: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("import: {e}"))?;
    if let Some(o) = v.as_object_mut() {
        o.insert("EisFileSeconds".into(), json!(written));
    }
    Ok(v)
}

/// Starts the simulated fleet; returns it and its SMSC address.
async fn start_fleet(dir: &Path, n: u64) -> Result<(Proc, String), String> {
    let file = dir.join("fleet-ready.json");
    let child = Command::new(exe()?)
        .args(["--fleet-only", "127.0.0.1:0", "--fleet", &n.to_string()])
        .arg("--ready-file")
        .arg(&file)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log(dir, "fleet.log")?)
        .spawn()
        .map_err(|e| format!("fleet: {e}"))?;
    let mut p = Proc(child, Duration::from_secs(5));
    let v = ready(&mut p, &file, Duration::from_secs(600)).await?;
    let smsc = v
        .get("Smsc")
        .and_then(Value::as_str)
        .ok_or("fleet ready file without Smsc")?
        .to_owned();
    Ok((p, smsc))
}

/// Starts a server on `db` with the bench's operators, bound to the
/// fleet's SMPP SMSC, opening the secrets with the master key in
/// `key` (the one the import sealed them under).
async fn start_server(
    dir: &Path,
    db: &Db,
    key: &Path,
    smsc: &str,
    args: &BenchArgs,
) -> Result<(Proc, SocketAddr), String> {
    let config = dir.join("config.json");
    let c = json!({
        "SmsrId": SMSR_ID,
        "Operators": [
            {"Id": EUM.0, "Token": EUM.1, "Roles": ["eum"]},
            {"Id": MNO.0, "Token": MNO.1, "Roles": ["mno", "smdp"]},
        ],
        "MaxParallel": args.max_parallel,
        "MaxBatchSize": args.fleet.max(1),
        "ValiditySeconds": 3600,
    });
    std::fs::write(&config, c.to_string()).map_err(|e| e.to_string())?;
    let file = dir.join("server-ready.json");
    let mut cmd = match args.wrap_server.as_deref().map(str::split_whitespace) {
        Some(mut w) => {
            let mut c = Command::new(w.next().ok_or("--wrap-server: empty")?);
            c.args(w).arg(exe()?);
            c
        }
        None => Command::new(exe()?),
    };
    let child = cmd
        .arg("--config")
        .arg(&config)
        .args(["--api", "127.0.0.1:0", "--insecure-http"])
        .args(["--scp81", "127.0.0.1:0"])
        .args(["--db", &store_arg(db)])
        .args(["--smsc", &format!("smpp://smsr:smsr@{smsc}")])
        .arg("--master-key-file")
        .arg(key)
        .arg("--ready-file")
        .arg(&file)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log(dir, "server.log")?)
        .spawn()
        .map_err(|e| format!("server: {e}"))?;
    let grace = Duration::from_secs(if args.wrap_server.is_some() { 120 } else { 5 });
    let mut p = Proc(child, grace);
    let v = ready(&mut p, &file, Duration::from_secs(600)).await?;
    let api = v
        .get("Api")
        .and_then(Value::as_str)
        .ok_or("server ready file without Api")?
        .parse()
        .map_err(|e| format!("server Api: {e}"))?;
    Ok((p, api))
}

/// A count in a JSON answer.
fn count(v: &Value, key: &str) -> Result<u64, String> {
    v.get(key)
        .and_then(Value::as_u64)
        .ok_or_else(|| format!("no {key} in {v}"))
}

/// Runs a batch (`path`, `body`) to its end; returns its progress and the
/// seconds it took.
async fn batch(
    c: &Client,
    path: &str,
    body: Value,
    limit: Duration,
) -> Result<(Value, f64), String> {
    let t = Instant::now();
    let (status, v) = c.call("POST", path, Some(&body)).await?;
    if status != 202 {
        return Err(format!("{path}: {status} {v}"));
    }
    let id = count(&v, "BatchId")?;
    // Progress is a count over the batch's operations (GET /batch was
    // 6.5 % of the server's instructions in the callgrind profile, polled
    // every 200 ms): a big batch is polled once a second.
    let every = Duration::from_millis(if count(&v, "Queued")? > 20_000 {
        1000
    } else {
        200
    });
    loop {
        tokio::time::sleep(every).await;
        let (_, p) = c.call("GET", &format!("/batch/{id}"), None).await?;
        if count(&p, "Pending")? == 0 {
            return Ok((p, t.elapsed().as_secs_f64()));
        }
        if t.elapsed() > limit {
            return Err(format!("{path} not done in {limit:?}: {p}"));
        }
    }
}

/// The `q` quantile of sorted `xs`, milliseconds.
fn quantile(xs: &[f64], q: f64) -> Option<f64> {
    let last = xs.len().checked_sub(1)?;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let i = ((last as f64) * q).round() as usize;
    xs.get(i.min(last)).copied()
}

/// `width` clients, spread round-robin over the instances' APIs.
fn clients(apis: &[SocketAddr], width: usize) -> Vec<Arc<Client>> {
    apis.iter()
        .cycle()
        .take(width)
        .map(|a| Arc::new(Client::new(*a, MNO.1)))
        .collect()
}

/// Single AuditEIS calls, 16 at a time (spread over the instances), over
/// the first members: their latencies, sorted, milliseconds.
async fn latencies(apis: &[SocketAddr], calls: usize, fleet: u64) -> Result<Vec<f64>, String> {
    let out = Arc::new(std::sync::Mutex::new(Vec::with_capacity(calls)));
    let clients = clients(apis, 16);
    let items: Vec<(usize, u64)> = (0..calls).map(|i| (i, i as u64 % fleet.max(1))).collect();
    let o = out.clone();
    crate::demo::parallel(items, 16, move |(i, member)| {
        let c = clients.get(i % 16).cloned();
        let o = o.clone();
        async move {
            let c = c.ok_or("no client")?;
            let cfg = smsr::sim::fleet::member(crate::fleet::SEED, member).map_err(String::from)?;
            let t = Instant::now();
            c.ok("/es4/AuditEIS", json!({"Eid": cfg.eid.to_string()}))
                .await?;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            o.lock().map_err(|_| "poisoned")?.push(ms);
            Ok(())
        }
    })
    .await?;
    let mut v = out.lock().map_err(|_| "poisoned")?.clone();
    v.sort_by(f64::total_cmp);
    Ok(v)
}

/// Gives members `0..n` a disabled MNO-A profile, 64 at a time (spread
/// over the instances).
async fn install(apis: &[SocketAddr], n: u64) -> Result<f64, String> {
    let t = Instant::now();
    let clients = clients(apis, 64);
    let items: Vec<u64> = (0..n).collect();
    crate::demo::parallel(items, 64, move |i| {
        let c = usize::try_from(i % 64)
            .ok()
            .and_then(|k| clients.get(k).cloned());
        async move {
            let c = c.ok_or("no client")?;
            let cfg = smsr::sim::fleet::member(crate::fleet::SEED, i).map_err(String::from)?;
            let idx = usize::try_from(i).map_err(|e| e.to_string())?;
            let eid = cfg.eid.to_string();
            crate::demo::install(
                &c,
                &eid,
                &crate::demo::iccid(1, idx),
                &crate::fleet::msisdn(i),
            )
            .await
            .map(drop)
        }
    })
    .await?;
    Ok(t.elapsed().as_secs_f64())
}

/// Bare PSK-TLS 1.2 handshakes on loopback for `secs` seconds, 64 at a
/// time: the listener's TLS settings against the card's client, a fixed
/// key, nothing sent after the handshake. Returns handshakes per second
/// and their number.
async fn handshake_floor(secs: u64) -> Result<(f64, f64), String> {
    const KEY: [u8; 16] = [0x5A; 16];
    let mut b = crate::scp81::server_builder().map_err(|e| e.to_string())?;
    b.set_psk_server_callback(|_, _, out| {
        out.get_mut(..KEY.len()).map_or(Ok(0), |o| {
            o.copy_from_slice(&KEY);
            Ok(KEY.len())
        })
    });
    let ctx = Arc::new(b.build());
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let (listener, addr) = crate::server::bind(loopback, "bare-handshake listener").await?;
    let server = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let ctx = ctx.clone();
            tokio::spawn(async move {
                let Ok(ssl) = Ssl::new(&ctx) else { return };
                let Ok(mut s) = SslStream::new(ssl, tcp) else {
                    return;
                };
                if std::pin::Pin::new(&mut s).accept().await.is_ok() {
                    let mut b = [0u8; 16];
                    // Until the client closes.
                    if tokio::io::AsyncReadExt::read(&mut s, &mut b).await.is_err() {
                        tracing::debug!("floor: read after handshake failed");
                    }
                }
            });
        }
    });
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut clients = Vec::new();
    for _ in 0..64 {
        let done = done.clone();
        clients.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let s = crate::fleet::tls_connect(addr, b"bench-floor-identity", &KEY).await?;
                done.fetch_add(1, Ordering::Relaxed);
                drop(s);
            }
            Ok::<(), String>(())
        }));
    }
    let t = Instant::now();
    for c in clients {
        c.await.map_err(|e| e.to_string())??;
    }
    server.abort();
    #[allow(clippy::cast_precision_loss)]
    let n = done.load(Ordering::Relaxed) as f64;
    Ok((n / t.elapsed().as_secs_f64(), n))
}

/// Rounds to 1 decimal for the report.
fn r1(x: f64) -> f64 {
    // `+ 0.0` makes a rounded -0.0 print as 0.
    (x * 10.0).round() / 10.0 + 0.0
}

async fn run(args: &BenchArgs) -> Result<Value, String> {
    if matches!(args.db, None | Some(Db::Sqlite(_))) && args.instances != [1] {
        return Err(
            "--instances other than 1 needs --db postgres://… (an SQLite file serves one process)"
                .into(),
        );
    }
    let dir = std::env::temp_dir().join(format!("smsr-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = measure(args, &dir).await;
    if !args.keep
        && let Err(e) = std::fs::remove_dir_all(&dir)
    {
        tracing::warn!("{}: {e}", dir.display());
    }
    result
}

/// Sets `k` of the report.
fn set(r: &mut Value, k: &str, v: Value) {
    if let Some(o) = r.as_object_mut() {
        o.insert(k.to_owned(), v);
    }
}

/// A ratio rounded to 3 decimals.
fn ratio(a: f64, b: f64) -> f64 {
    (a / b * 1000.0).round() / 1000.0
}

/// CPU seconds per process, keyed by (role, pid).
type CpuSample = HashMap<(&'static str, String), f64>;

/// The processes a run's work runs on: the servers, the fleet and, on
/// PostgreSQL, the backends connected to the run's database.
struct Cpu<'a> {
    servers: &'a [Proc],
    fleet: Option<&'a Proc>,
    db: Option<&'a str>,
}

/// The PIDs of the backends connected to database `url` (but this one).
async fn backends(url: &str) -> Result<Vec<String>, String> {
    pg_texts(
        url,
        "SELECT pid::text FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .await
}

/// How long PostgreSQL (15) backends may keep their statistics before
/// reporting them: an idle backend reports within 10 s.
const STATS_FLUSH: Duration = Duration::from_secs(11);

/// Transactions committed in database `url` so far
/// (`pg_stat_database.xact_commit`, as the backends have reported them;
/// this query's own transaction is one).
async fn commits(url: &str) -> Result<f64, String> {
    let v = pg_texts(
        url,
        "SELECT xact_commit::text FROM pg_stat_database WHERE datname = current_database()",
    )
    .await?;
    v.first()
        .and_then(|c| c.parse::<f64>().ok())
        .ok_or_else(|| format!("pg_stat_database: no xact_commit in {v:?}"))
}

/// The first column, as text, of the rows of `sql` on `url`.
async fn pg_texts(url: &str, sql: &str) -> Result<Vec<String>, String> {
    let redacted = crate::config::redact_url(url);
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|e| format!("{redacted}: {e}"))?;
    let conn = tokio::spawn(conn);
    let rows = client
        .query(sql, &[])
        .await
        .map_err(|e| format!("{redacted}: {sql}: {e}"));
    drop(client);
    conn.await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{redacted}: {e}"))?;
    rows?
        .iter()
        .map(|r| r.try_get::<_, String>(0).map_err(|e| e.to_string()))
        .collect()
}

impl Cpu<'_> {
    /// CPU seconds of every process now.
    async fn sample(&self) -> Result<CpuSample, String> {
        let mut m = CpuSample::new();
        for p in self.servers {
            m.insert(("Servers", p.0.id().to_string()), p.cpu()?);
        }
        if let Some(f) = self.fleet {
            m.insert(("Fleet", f.0.id().to_string()), f.cpu()?);
        }
        if let Some(url) = self.db {
            for pid in backends(url).await? {
                // A backend may end between the query and the read; a
                // cluster on another machine has none here (the report
                // counts the backends read).
                match cpu_seconds(&pid) {
                    Ok(c) => drop(m.insert(("Database", pid), c)),
                    Err(e) => tracing::debug!("backend {pid}: {e}"),
                }
            }
            // After the CPU figures: the wait is idle time.
            tokio::time::sleep(STATS_FLUSH).await;
            m.insert(("Commits", String::new()), commits(url).await?);
        }
        Ok(m)
    }
}

/// CPU seconds of `role` (all roles: `None`) between samples `a` and
/// `b`. A process only in `b` started after `a`: all its CPU counts.
fn spent(a: &CpuSample, b: &CpuSample, role: Option<&str>) -> f64 {
    b.iter()
        .filter(|((r, _), _)| role.map_or(*r != "Commits", |x| x == *r))
        .map(|(k, c)| c - a.get(k).map_or(0.0, |c0| *c0))
        .sum()
}

/// The CPU report of a phase: seconds per role and in all.
fn cpu_report(a: &CpuSample, b: &CpuSample) -> Value {
    let db = b.keys().filter(|(r, _)| *r == "Database").count();
    json!({
        "Servers": r1(spent(a, b, Some("Servers"))),
        "Fleet": r1(spent(a, b, Some("Fleet"))),
        "Database": r1(spent(a, b, Some("Database"))),
        "DatabaseBackends": db,
        "Total": r1(spent(a, b, None)),
    })
}

/// On PostgreSQL, sets the phase's committed transactions between
/// samples `a` and `b` (but the second sample's own) and their number per
/// operation (of `ops`).
fn commits_per_op(a: &CpuSample, b: &CpuSample, ops: f64, phase: &mut Value) {
    if !b.contains_key(&("Commits", String::new())) {
        return;
    }
    let n = spent(a, b, Some("Commits")) - 1.0;
    set(phase, "DatabaseCommits", json!(n));
    set(phase, "CommitsPerOp", json!(r1(n / ops.max(1.0))));
}

/// The fleet-wide AuditEIS: returns its rate per second and per CPU
/// second of servers, fleet and database together (the figure a machine
/// shared with other jobs still gives fairly).
async fn audit_phase(c: &Client, cpu: &Cpu<'_>, report: &mut Value) -> Result<(f64, f64), String> {
    let cpu0 = cpu.sample().await?;
    let body = json!({"Filter": {"Eum-Id": EUM.0}});
    let (p, secs) = batch(c, "/batch/AuditEIS", body, Duration::from_secs(3600)).await?;
    let cpu1 = cpu.sample().await?;
    let used = spent(&cpu0, &cpu1, None);
    #[allow(clippy::cast_precision_loss)]
    let audited = count(&p, "Succeeded")? as f64;
    let (rate, per_cpu) = (audited / secs, audited / used.max(1e-9));
    let mut v = json!({
        "Succeeded": count(&p, "Succeeded")?, "Failed": count(&p, "Failed")?,
        "Seconds": r1(secs), "OpsPerSecond": r1(rate),
        "CpuSeconds": cpu_report(&cpu0, &cpu1), "OpsPerCpuSecond": r1(per_cpu),
    });
    commits_per_op(&cpu0, &cpu1, audited, &mut v);
    set(report, "AuditEis", v);
    Ok((rate, per_cpu))
}

/// Members `0..m` get a profile, then a fleet-wide EnableProfile of it:
/// returns its rate per second.
async fn enable_phase(
    apis: &[SocketAddr],
    cpu: &Cpu<'_>,
    m: u64,
    report: &mut Value,
) -> Result<f64, String> {
    let installed = install(apis, m).await?;
    let targets: Vec<Value> = (0..m)
        .map(|i| {
            let cfg = smsr::sim::fleet::member(crate::fleet::SEED, i).map_err(String::from)?;
            let idx = usize::try_from(i).map_err(|e| e.to_string())?;
            Ok(json!({"Eid": cfg.eid.to_string(), "Iccid": crate::demo::iccid(1, idx)}))
        })
        .collect::<Result<_, String>>()?;
    let body = json!({ "Targets": targets });
    let c = Client::new(*apis.first().ok_or("no instance")?, MNO.1);
    let cpu0 = cpu.sample().await?;
    let (p, secs) = batch(&c, "/batch/EnableProfile", body, Duration::from_secs(3600)).await?;
    let cpu1 = cpu.sample().await?;
    #[allow(clippy::cast_precision_loss)]
    let enabled = count(&p, "Succeeded")? as f64;
    let rate = enabled / secs;
    let mut v = json!({
        "Euiccs": m, "InstallSeconds": r1(installed),
        "Succeeded": count(&p, "Succeeded")?, "Failed": count(&p, "Failed")?,
        "Seconds": r1(secs), "OpsPerSecond": r1(rate),
        "CpuSeconds": cpu_report(&cpu0, &cpu1),
        "OpsPerCpuSecond": r1(enabled / spent(&cpu0, &cpu1, None).max(1e-9)),
    });
    commits_per_op(&cpu0, &cpu1, enabled, &mut v);
    set(report, "EnableProfile", v);
    Ok(rate)
}

/// Starts `n` servers on `db`, each in its own directory under `dir`,
/// with `dir`'s master key (the import's).
async fn start_servers(
    dir: &Path,
    db: &Db,
    smsc: &str,
    n: u32,
    args: &BenchArgs,
) -> Result<(Vec<Proc>, Vec<SocketAddr>), String> {
    let (mut servers, mut apis) = (Vec::new(), Vec::new());
    let key = master_key(dir)?;
    for i in 0..n {
        let d = dir.join(format!("instance{i}"));
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        let (p, api) = start_server(&d, db, &key, smsc, args).await?;
        servers.push(p);
        apis.push(api);
    }
    Ok((servers, apis))
}

/// Each server's resident memory (`VmRSS`, or `VmHWM` with `peak`) and
/// their total, MiB.
fn memory(servers: &[Proc], peak: bool) -> Result<Value, String> {
    let mut each = Vec::new();
    for s in servers {
        let (rss, hwm) = s.memory_kib()?;
        each.push(kib_to_mib(if peak { hwm } else { rss }));
    }
    let total: f64 = each.iter().sum();
    // Threads now: a synchronous store call blocking a runtime worker
    // makes the runtime start another.
    let threads = servers
        .iter()
        .map(Proc::threads)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(json!({
        "PerInstance": each.into_iter().map(r1).collect::<Vec<_>>(), "Total": r1(total),
        "Threads": threads,
    }))
}

/// What a run's rates were, for the ratios and the scaling factor.
#[derive(Clone, Copy)]
struct Rates {
    audit: f64,
    audit_per_cpu: f64,
    enable: f64,
}

/// One run on `instances` servers, in `dir`: import, idle memory, the
/// fleet-wide AuditEIS, latencies, the fleet-wide EnableProfile, peak
/// memory. `None` rates with `--idle-only`.
async fn run_once(
    args: &BenchArgs,
    dir: &Path,
    db: &Db,
    instances: u32,
) -> Result<(Value, Option<Rates>), String> {
    let mut report = json!({"Instances": instances, "Import": import(dir, db, args.fleet)?});
    let (fleet, smsc) = if args.idle_only {
        (None, "127.0.0.1:9".to_owned())
    } else {
        let (f, s) = start_fleet(dir, args.fleet).await?;
        (Some(f), s)
    };
    let (servers, apis) = start_servers(dir, db, &smsc, instances, args).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    set(&mut report, "ServerIdleRssMiB", memory(&servers, false)?);
    if args.idle_only {
        return Ok((report, None));
    }
    let url = match db {
        Db::Postgres(url) => Some(url.as_str()),
        Db::Sqlite(_) => None,
    };
    let cpu = Cpu {
        servers: &servers,
        fleet: fleet.as_ref(),
        db: url,
    };
    let c = Client::new(*apis.first().ok_or("no instance")?, MNO.1);
    let (audit, audit_per_cpu) = audit_phase(&c, &cpu, &mut report).await?;
    let lat = latencies(&apis, args.latency_calls, args.fleet).await?;
    let v = json!({
        "Calls": lat.len(), "Concurrency": 16,
        "P50": quantile(&lat, 0.5).map(r1), "P99": quantile(&lat, 0.99).map(r1),
    });
    set(&mut report, "AuditEisLatencyMs", v);
    let m = args
        .enable_fleet
        .unwrap_or(args.fleet.min(10_000))
        .min(args.fleet);
    let enable = enable_phase(&apis, &cpu, m, &mut report).await?;
    set(&mut report, "ServerPeakRssMiB", memory(&servers, true)?);
    if let Some(f) = &fleet {
        let peak = json!(r1(kib_to_mib(f.memory_kib()?.1)));
        set(&mut report, "FleetPeakRssMiB", peak);
    }
    let rates = Rates {
        audit,
        audit_per_cpu,
        enable,
    };
    Ok((report, Some(rates)))
}

/// Every run, one per `--instances` count, each on a fresh store (a
/// PostgreSQL database dropped after it unless `--keep`).
async fn runs(args: &BenchArgs, dir: &Path) -> Result<Vec<(Value, Option<Rates>)>, String> {
    let mut out = Vec::new();
    for (k, n) in args.instances.iter().enumerate() {
        let d = dir.join(format!("run{k}"));
        std::fs::create_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        let (db, drop_sql) = run_store(args, &d, k).await?;
        let result = run_once(args, &d, &db, *n).await;
        if let (Some(sql), Some(Db::Postgres(url)), false) = (drop_sql, &args.db, args.keep) {
            pg_execute(url, &sql).await?;
        }
        out.push(result?);
    }
    Ok(out)
}

/// Adds to each run its ratios to the handshake floor (`floor`,
/// `floor_per_cpu`) and its scaling factor against the 1-instance run.
fn compare(runs: &mut [(Value, Option<Rates>)], floor: f64, floor_per_cpu: f64) {
    let one = runs
        .iter()
        .find(|(v, _)| v.get("Instances").and_then(Value::as_u64) == Some(1))
        .and_then(|(_, r)| *r);
    for (v, rates) in runs.iter_mut() {
        let Some(r) = rates else { continue };
        set(v, "AuditToHandshakeRatio", json!(ratio(r.audit, floor)));
        let per_cpu = ratio(r.audit_per_cpu, floor_per_cpu);
        set(v, "AuditToHandshakeRatioPerCpu", json!(per_cpu));
        set(v, "EnableToHandshakeRatio", json!(ratio(r.enable, floor)));
        if let Some(o) = one {
            let f = json!({
                "AuditEis": ratio(r.audit, o.audit),
                "AuditEisPerCpu": ratio(r.audit_per_cpu, o.audit_per_cpu),
                "EnableProfile": ratio(r.enable, o.enable),
            });
            set(v, "ScalingFactorVsOneInstance", f);
        }
    }
}

async fn measure(args: &BenchArgs, dir: &Path) -> Result<Value, String> {
    let store = match args.db {
        Some(Db::Postgres(_)) => "postgres",
        _ => "sqlite",
    };
    let mut runs = runs(args, dir).await?;
    let mut report = json!({
        "Fleet": args.fleet,
        "Store": store,
        "MaxParallel": args.max_parallel,
        "Cpus": std::thread::available_parallelism().map(usize::from).map_err(|e| e.to_string())?,
    });
    if !args.idle_only {
        let own0 = cpu_seconds("self")?;
        let (floor, handshakes) = handshake_floor(args.handshake_seconds).await?;
        let floor_per_cpu = handshakes / (cpu_seconds("self")? - own0).max(1e-9);
        set(&mut report, "BareHandshakesPerSecond", json!(r1(floor)));
        let v = json!(r1(floor_per_cpu));
        set(&mut report, "BareHandshakesPerCpuSecond", v);
        compare(&mut runs, floor, floor_per_cpu);
    }
    let runs: Vec<Value> = runs.into_iter().map(|(v, _)| v).collect();
    set(&mut report, "Runs", json!(runs));
    Ok(report)
}

#[allow(clippy::cast_precision_loss)]
fn kib_to_mib(k: u64) -> f64 {
    k as f64 / 1024.0
}
