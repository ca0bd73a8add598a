//! `smsr-server`: an example SM-SR built on the smsr crate, runnable as is.
//!
//! ```text
//! cargo run --release --example smsr-server -- --demo --exit
//! ```
//!
//! It wires the library together: the EIS and its rules
//! ([`smsr::inventory`]), ES5 commands ([`smsr::isdr`]) in TS 102 226
//! scripts ([`smsr::remote`]), SCP80 packets over SMS ([`smsr::scp80`]) and
//! SCP81 sessions over PSK-TLS ([`smsr::scp81`], OpenSSL), with an
//! operator API (`api.rs`), an SQLite inventory store behind a trait
//! (`store/`), a delivery engine with per-eUICC queues, retries and expiry
//! (`engine.rs`), and in demo mode a simulated fleet ([`smsr::sim`]).
//! See `config.rs` for flags and the config file, `api.rs` for the API.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod api;
mod config;
mod engine;
mod ops;
mod ota;
mod scp81;
mod server;
mod smsc_tcp;
mod store;

use std::process::ExitCode;
use std::time::Duration;

use config::Config;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::from_args(&args) {
        Ok(Some(c)) => c,
        Ok(None) => {
            print!("{}", config::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
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
    match rt.block_on(run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config) -> Result<(), String> {
    let running = server::start(config).await?;
    println!("operator API on http://{}", running.api);
    println!("SCP81 PSK-TLS listener on {}", running.scp81);
    println!("inventory database {}", running.database.display());
    if running.loopback.is_some() {
        println!("SMS through the in-process loopback SMSC");
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("Ctrl-C handler: {e}"))?;
    tracing::info!("Ctrl-C: shutting down");
    running.stop(Duration::from_secs(3)).await;
    Ok(())
}
