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
//! SMS go over SMPP 3.4 (`smpp/`): the server's ESME binds to the SMSC
//! of `--smsc smpp://…`; the demo's fleet sits behind an SMPP SMSC of its
//! own on 127.0.0.1. `--fleet-only ADDR` runs just the simulated fleet
//! behind its SMPP SMSC on ADDR, so that a server started with
//! `--smsc smpp://user:pass@ADDR` can be killed and restarted while the
//! eUICCs keep their state.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod api;
mod api_tls;
mod bench;
mod config;
mod demo;
mod demo_pki;
mod demo_soap;
mod engine;
mod es_tls;
mod fields;
mod fleet;
mod hsm;
mod import;
mod keys;
#[cfg(test)]
mod openapi_check;
mod ops;
mod ota;
mod scp81;
mod server;
mod smpp;
mod soap;
mod store;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use config::{ArgsError, Config, Smsc};
use fleet::{Fleet, MoSink};
use smpp::smsc::FleetSmsc;

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

/// Runs the command `smsr-server NAME`: parses `args` (those after
/// `NAME`) as `A`, answering a bad command line as [`usage`] does; runs
/// `run` and prints its JSON answer, if it has one, on stdout, or
/// `error: …` on stderr with exit status 1.
fn subcommand<A: clap::Parser>(
    name: &str,
    args: impl IntoIterator<Item = std::ffi::OsString>,
    run: impl FnOnce(&A) -> Result<Option<serde_json::Value>, String>,
) -> ExitCode {
    let program = std::ffi::OsString::from(format!("smsr-server {name}"));
    let args = match A::try_parse_from(std::iter::once(program).chain(args)) {
        Ok(a) => a,
        Err(e) => return usage(&e),
    };
    match run(&args) {
        Ok(answer) => {
            if let Some(v) = answer {
                println!("{v}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    // `smsr-server import …`: a command of its own (import.rs).
    if std::env::args_os().nth(1).is_some_and(|a| a == "import") {
        return import::main(std::env::args_os().skip(2));
    }
    // `smsr-server keygen FILE`: a fresh master key (keys/).
    if std::env::args_os().nth(1).is_some_and(|a| a == "keygen") {
        return keygen(std::env::args_os().nth(2));
    }
    // `smsr-server hsm-init FILE`: the PKCS#11 token's key-wrap key (keys/).
    if std::env::args_os().nth(1).is_some_and(|a| a == "hsm-init") {
        return keys::pkcs11::init_main(std::env::args_os().nth(2));
    }
    // `smsr-server hsm-gc FILE --db …`: unreferenced token objects (keys/).
    if std::env::args_os().nth(1).is_some_and(|a| a == "hsm-gc") {
        return keys::cleanup::main(std::env::args_os().skip(2));
    }
    // `smsr-server import-keys …`: an EUM key file into the store.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "import-keys")
    {
        return keys::import::main(std::env::args_os().skip(2));
    }
    // `smsr-server rekey …`: re-seal the secrets under a new master key.
    if std::env::args_os().nth(1).is_some_and(|a| a == "rekey") {
        return keys::rekey::main(std::env::args_os().skip(2));
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

/// `smsr-server keygen FILE`: writes a fresh master key, prints its
/// identifier.
fn keygen(file: Option<std::ffi::OsString>) -> ExitCode {
    let Some(file) = file else {
        eprintln!("usage: smsr-server keygen FILE");
        return ExitCode::from(USAGE_ERROR);
    };
    match keys::keygen(std::path::Path::new(&file)) {
        Ok(id) => {
            println!("{{\"KeyId\":\"{id}\"}}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The demo's SMSC on 127.0.0.1 and the account the server binds with
/// (two sessions, a window of 32 each).
async fn demo_smsc() -> Result<(Arc<FleetSmsc>, Smsc), String> {
    let (smsc, addr) =
        FleetSmsc::listen("127.0.0.1:0".parse().map_err(|e| format!("{e}"))?).await?;
    let url = format!("smpp://demo:demo@{addr}?binds=2&window=32");
    let account = smpp::config::SmppConfig::parse(&url)?;
    Ok((smsc, Smsc::Smpp(account)))
}

/// The fleet's MO SMS go to `smsc`, its MT SMS come from it.
fn fleet_behind(
    smsc: &Arc<FleetSmsc>,
    first: u64,
    config: &Config,
    fallback: std::net::SocketAddr,
) -> Result<Arc<Fleet>, String> {
    let sink = smsc.clone();
    let mo: MoSink = Arc::new(move |sms| sink.mo(sms));
    let fleet = Arc::new(Fleet::start(
        first,
        (config.fleet, config.fleet_scp80),
        "EUM-DEMO",
        &config.smsr_id,
        mo,
        fallback,
    )?);
    for (m, tx) in &fleet.inboxes {
        smsc.attach(m, tx.clone());
    }
    let f = fleet.clone();
    smsc.set_report(Arc::new(move || {
        let f = f.clone();
        Box::pin(async move { f.report().await.to_string() })
    }));
    Ok(fleet)
}

async fn run(mut config: Config) -> Result<(), String> {
    let demo = config.demo;
    let mut demo_smsc_handle = None;
    let mut demo_soap = None;
    if demo {
        if config.smsc != Smsc::Loopback {
            return Err(
                "--demo runs its fleet behind its own SMSC: leave --smsc at loopback".into(),
            );
        }
        let (smsc, account) = demo_smsc().await?;
        config.smsc = account;
        demo_smsc_handle = Some(smsc);
        demo_soap = Some(demo_soap::Soap::prepare(&mut config).await?);
    }
    let exit = config.exit;
    let temporary = demo && config.database.is_none();
    let running = server::start(config.clone()).await?;
    let scheme = if config.api_tls.is_some() {
        "https"
    } else {
        "http"
    };
    println!("operator API on {scheme}://{}", running.api);
    println!("SCP81 PSK-TLS listener on {}", running.scp81);
    if let Some(es) = running.es {
        println!("ES SOAP listener (mutual TLS) on https://{es}/ (WSDL: ?wsdl)");
    }
    println!("inventory database {}", running.database.display());
    let database = running.database.clone();
    let mut fleet_handle = None;
    if let Some(smsc) = &demo_smsc_handle {
        let fleet = fleet_behind(smsc, 0, &config, running.scp81)?;
        println!(
            "simulated fleet of {} eUICCs behind an SMPP SMSC on 127.0.0.1",
            fleet.members.len()
        );
        let (es, soap) = running
            .es
            .zip(demo_soap.as_ref())
            .ok_or("--demo without its ES listener")?;
        demo::run(running.api, es, soap, &fleet).await?;
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

/// `--fleet-only`: the simulated fleet behind its SMPP SMSC on `addr`.
/// Writes the members' RegisterEIS bodies to the ready file.
async fn fleet_only(addr: std::net::SocketAddr, config: &Config) -> Result<(), String> {
    let (smsc, bound) = FleetSmsc::listen(addr).await?;
    let fleet = fleet_behind(&smsc, u64::from(config.fleet_first), config, config.scp81)?;
    if let Some(f) = &config.ready_file {
        write_fleet_ready(f, bound, &fleet)?;
    }
    println!(
        "simulated fleet of {} eUICCs, SMPP SMSC on {bound}",
        fleet.members.len()
    );
    stop_signal().await
}
