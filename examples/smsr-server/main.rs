//! `smsr-server`: an example SM-SR built on the smsr crate, runnable as is.
//!
//! ```text
//! cargo run --release -p smsr-server -- --demo --exit
//! ```
//!
//! It wires the library together: the EIS and its rules
//! ([`smsr::inventory`]), ES5 commands ([`smsr::isdr`]) in TS 102 226
//! scripts ([`smsr::remote`]), SCP80 packets over SMS ([`smsr::scp80`]) and
//! SCP81 sessions over PSK-TLS ([`smsr::scp81`], OpenSSL), with an
//! operator API (`api.rs`), an SQLite inventory store behind a trait
//! (`store/`), a delivery engine with per-eUICC queues, retries and expiry
//! (`engine.rs`), and in demo mode a simulated fleet ([`smsr::sim`],
//! `fleet.rs`) driven through the API by a scripted lifecycle (`demo.rs`).
//! See `config.rs` for flags and the config file, `api.rs` for the API.
//!
//! `--fleet-only ADDR` runs just the simulated fleet behind a TCP SMSC link
//! (`smsc_tcp.rs`) so that a server started with `--smsc tcp:ADDR` can be
//! killed and restarted while the eUICCs keep their state.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod api;
mod bench;
mod config;
mod demo;
mod engine;
mod fleet;
mod import;
mod ops;
mod ota;
mod scp81;
mod server;
mod smsc_tcp;
mod store;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use config::{ArgsError, Config};
use fleet::{Fleet, MoSink};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{Mutex, mpsc};

/// The exit status of a usage error: 2, clap's and the POSIX utilities'
/// convention.
const USAGE_ERROR: u8 = 2;

/// `--help` / `--version` on stdout with exit 0; a usage error on stderr
/// with exit 2.
fn usage(e: &clap::Error) -> ExitCode {
    if e.print().is_err() {
        // The stream is closed: nowhere is left to say anything; the exit
        // status below still tells what happened.
    }
    if e.use_stderr() {
        ExitCode::from(USAGE_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    // `smsr-server import …`: a command of its own (import.rs).
    if std::env::args_os().nth(1).is_some_and(|a| a == "import") {
        return import::main(std::env::args_os().skip(2));
    }
    // `smsr-server bench …`: the load bench (bench.rs).
    if std::env::args_os().nth(1).is_some_and(|a| a == "bench") {
        return bench::main(std::env::args_os().skip(2));
    }
    let config = match Config::from_args(std::env::args_os()) {
        Ok(c) => c,
        Err(ArgsError::Usage(e)) => return usage(&e),
        Err(ArgsError::Invalid(e)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let default_level = if config.demo { "warn" } else { "info" };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(async move {
        match config.fleet_only {
            Some(addr) => fleet_only(addr, &config).await,
            None => run(config).await,
        }
    });
    rt.shutdown_timeout(Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), String> {
    let demo = config.demo;
    let exit = config.exit;
    let temporary = demo && config.database.is_none();
    let running = server::start(config.clone()).await?;
    println!("operator API on http://{}", running.api);
    println!("SCP81 PSK-TLS listener on {}", running.scp81);
    println!("inventory database {}", running.database.display());
    let database = running.database.clone();
    let mut fleet_handle = None;
    if demo {
        let lb = running
            .loopback
            .clone()
            .ok_or("--demo runs its fleet on the loopback SMSC")?;
        let sink = lb.clone();
        let mo: MoSink = Arc::new(move |sms| sink.mo(sms));
        let fleet = Fleet::start(
            0,
            config.fleet,
            "EUM-DEMO",
            &config.smsr_id,
            mo,
            running.scp81,
        )?;
        for (m, tx) in &fleet.inboxes {
            lb.attach(m, tx.clone());
        }
        println!(
            "simulated fleet of {} eUICCs on the loopback SMSC",
            fleet.members.len()
        );
        demo::run(running.api, &fleet).await?;
        fleet_handle = Some(fleet);
    }
    if demo && exit {
        running.stop(Duration::from_secs(2)).await;
        if temporary {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = database.clone().into_os_string();
                p.push(suffix);
                match std::fs::remove_file(&p) {
                    // The -wal and -shm files may be gone already.
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        tracing::warn!("cannot remove {}: {e}", p.to_string_lossy());
                    }
                    _ => {}
                }
            }
        }
        return Ok(());
    }
    if demo {
        println!(
            "server running; try: curl -s -H 'Authorization: Bearer mno-a-token' http://{}/stats",
            running.api
        );
        println!(
            "operators: EUM-DEMO eum-demo-token, MNO-A mno-a-token, MNO-B mno-b-token; Ctrl-C stops"
        );
    }
    stop_signal().await?;
    tracing::info!("shutting down");
    drop(fleet_handle);
    running.stop(Duration::from_secs(3)).await;
    Ok(())
}

/// Ctrl-C (SIGINT) or SIGTERM.
async fn stop_signal() -> Result<(), String> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("SIGTERM handler: {e}"))?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.map_err(|e| format!("Ctrl-C handler: {e}")),
        _ = term.recv() => Ok(()),
    }
}

/// The members' RegisterEIS bodies and the SMSC address, written to `file`
/// (atomically: a temporary file renamed) for the tests that start a fleet.
fn write_fleet_ready(
    file: &std::path::Path,
    smsc: std::net::SocketAddr,
    fleet: &Fleet,
) -> Result<(), String> {
    let members: Vec<serde_json::Value> = fleet
        .members
        .iter()
        .map(|m| serde_json::json!({"Eis": m.eis, "Secrets": m.secrets}))
        .collect();
    let v = serde_json::json!({"Smsc": smsc.to_string(), "Members": members});
    let tmp = file.with_extension("tmp");
    std::fs::write(&tmp, v.to_string())
        .and_then(|()| std::fs::rename(&tmp, file))
        .map_err(|e| format!("{}: {e}", file.display()))
}

/// The connection that bound as the SM-SR (the latest `BIND`): where MO
/// SMS go.
type BoundLink = Arc<Mutex<Option<OwnedWriteHalf>>>;

/// Forwards the fleet's MO SMS to the bound link (dropped while none is).
async fn forward_mo(mut mo_rx: mpsc::UnboundedReceiver<ota::MoSms>, link: BoundLink) {
    while let Some(sms) = mo_rx.recv().await {
        let l = smsc_tcp::line("MO", &sms.from, &sms.tp_ud);
        let mut w = link.lock().await;
        if let Some(out) = w.as_mut()
            && out.write_all(l.as_bytes()).await.is_err()
        {
            *w = None;
        }
    }
}

/// One SMSC link: `BIND` (this connection takes the MO SMS), `STATS` (the
/// fleet's report) and `MT` lines (an SMS to a member).
async fn serve_link(
    tcp: tokio::net::TcpStream,
    fleet: Arc<Fleet>,
    inboxes: Arc<HashMap<String, mpsc::UnboundedSender<Vec<u8>>>>,
    bound_link: BoundLink,
) {
    let (r, w) = tcp.into_split();
    let mut w = Some(w);
    let mut lines = BufReader::new(r).lines();
    while let Ok(Some(l)) = lines.next_line().await {
        let l = l.trim();
        if l == "BIND" {
            if let Some(w) = w.take() {
                *bound_link.lock().await = Some(w);
            }
        } else if l == "STATS" {
            let r = format!("STATS {}\n", fleet.report().await);
            if let Some(w) = w.as_mut()
                && w.write_all(r.as_bytes()).await.is_err()
            {
                return;
            }
        } else if let Some(("MT", to, tp_ud)) = smsc_tcp::parse_line(l)
            && let Some(inbox) = inboxes.get(to)
            && inbox.send(tp_ud).is_err()
        {
            tracing::debug!(%to, "MT SMS for a stopped eUICC: dropped");
        }
    }
}

/// `--fleet-only`: the simulated fleet behind a TCP SMSC link. Writes the
/// members' RegisterEIS bodies to the ready file.
async fn fleet_only(addr: std::net::SocketAddr, config: &Config) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("SMSC listener {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    let (mo_tx, mo_rx) = mpsc::unbounded_channel::<ota::MoSms>();
    let mo: MoSink = Arc::new(move |sms| {
        if mo_tx.send(sms).is_err() {
            tracing::debug!("MO SMS after the SMSC link stopped: dropped");
        }
    });
    let fleet = Fleet::start(
        u64::from(config.fleet_first),
        config.fleet,
        "EUM-DEMO",
        &config.smsr_id,
        mo,
        config.scp81,
    )?;
    let inboxes: HashMap<String, mpsc::UnboundedSender<Vec<u8>>> =
        fleet.inboxes.iter().cloned().collect();
    if let Some(f) = &config.ready_file {
        write_fleet_ready(f, bound, &fleet)?;
    }
    println!(
        "simulated fleet of {} eUICCs, SMSC on {bound}",
        fleet.members.len()
    );
    let bound_link: BoundLink = Arc::new(Mutex::new(None));
    tokio::spawn(forward_mo(mo_rx, bound_link.clone()));
    let fleet = Arc::new(fleet);
    let inboxes = Arc::new(inboxes);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop_signal() => return Ok(()),
        };
        let Ok((tcp, _)) = accepted else {
            continue;
        };
        tokio::spawn(serve_link(
            tcp,
            fleet.clone(),
            inboxes.clone(),
            bound_link.clone(),
        ));
    }
}
