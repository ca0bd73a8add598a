//! `smsr-smdp`: downloads a profile package into eUICCs through a running
//! SM-SR's ES3 API (JSON binding), one [`smsr_smdp::Download`] per eUICC.
//!
//! ```text
//! smsr-smdp --smsr http://127.0.0.1:8080 --token mno-a-token \
//!     --eid 89049032... --eid ... --package ts48.der
//! ```
//!
//! Each eUICC gets the package with its own ICCID (`--iccid`, one per
//! `--eid`, or the package's with its last six digits before the check
//! digit set to the eUICC's index). Without `--package` the shared TS.48
//! test package is used, or a package built with `PackageWriter` when
//! that is absent (said on the output).
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use serde_json::json;
use smsr_smdp::{Client, Download, Identity, Order, package};

/// Command line.
#[derive(Parser)]
#[command(
    name = "smsr-smdp",
    about = "An example SM-DP: profile download through an SM-SR"
)]
struct Args {
    /// The SM-SR's operator API (`http://HOST:PORT`).
    #[arg(long)]
    smsr: String,
    /// Bearer token of this SM-DP at the SM-SR.
    #[arg(long)]
    token: String,
    /// eUICCs (EIDs) to download into.
    #[arg(long, required = true)]
    eid: Vec<String>,
    /// The package (SAIP DER).
    #[arg(long)]
    package: Option<PathBuf>,
    /// ICCIDs, one per `--eid` (derived from the package's when absent).
    #[arg(long)]
    iccid: Vec<String>,
    /// ISD-P quota asked for (octets).
    #[arg(long, default_value_t = 60_000)]
    required_memory: u32,
    /// SCP03 key length: 16, 24 or 32.
    #[arg(long, default_value_t = 16)]
    key_length: u8,
    /// `86` segments per ES3.SendData.
    #[arg(long, default_value_t = 1)]
    segments_per_call: usize,
}

/// The ICCID for eUICC `i` from the package's: its last six digits before
/// the check digit replaced by `i`, and the Luhn check digit recomputed
/// (ITU-T E.118; the SM-SR refuses an ICCID whose check digit is wrong).
fn derived_iccid(base: &str, i: usize) -> String {
    let keep = base.len().saturating_sub(7);
    let prefix = base.get(..keep).unwrap_or(base);
    let body = format!("{prefix}{:06}", i % 1_000_000);
    let digits: Vec<u8> = body.bytes().map(|b| b.wrapping_sub(b'0')).collect();
    format!("{body}{}", smsr::inventory::field::luhn_digit(&digits))
}

fn api_addr(url: &str) -> Result<SocketAddr, String> {
    let hostport = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{url}: only http:// is served by the JSON API"))?;
    let hostport = hostport.trim_end_matches('/');
    hostport
        .parse()
        .map_err(|e| format!("{url}: {e} (give an IP address and port)"))
}

async fn run(args: Args) -> Result<(), String> {
    let addr = api_addr(&args.smsr)?;
    let base = match &args.package {
        Some(p) => package::read(p).map_err(|e| e.to_string())?,
        None => {
            let (p, real) = package::ts48_or_built().map_err(|e| e.to_string())?;
            if !real {
                println!(
                    "no TS.48 package at {}: using one built with PackageWriter (header and end only; a validating card refuses it)",
                    package::testdata_dir().join(package::TS48).display()
                );
            }
            p
        }
    };
    let base_iccid = package::iccid_of(&base).map_err(|e| e.to_string())?;
    let client = Client::new(addr, &args.token);
    let (d, _) = smsr_smdp::randomness()?;
    let id = Identity::signed_by_test_ci(&d).map_err(|e| e.to_string())?;
    let mut failed = 0usize;
    for (i, eid) in args.eid.iter().enumerate() {
        let iccid = args
            .iccid
            .get(i)
            .cloned()
            .unwrap_or_else(|| derived_iccid(&base_iccid, i));
        let pkg = package::with_iccid(&base, &iccid).map_err(|e| e.to_string())?;
        let (ephemeral, host_challenge) = smsr_smdp::randomness()?;
        let order = Order {
            eid: eid.clone(),
            package: pkg,
            iccid,
            required_memory: args.required_memory,
            key_length: args.key_length,
            segments_per_call: args.segments_per_call,
            ephemeral,
            host_challenge,
            msisdn: None,
        };
        let mut dl = Download::new(&id, order);
        match smsr_smdp::run(&client, &mut dl).await {
            Ok(r) => println!(
                "{}",
                json!({"Eid": r.eid, "Iccid": r.iccid, "Isd-p-aid": r.isd_p_aid.to_string(),
                       "Bytes": r.bytes, "Segments": r.segments, "SendData": r.send_data})
            ),
            Err(e) => {
                failed += 1;
                eprintln!("{eid}: {e}");
            }
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of {} downloads failed", args.eid.len()));
    }
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("smsr-smdp: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::derived_iccid;
    use smsr::inventory::field::luhn_valid;

    /// Each eUICC gets its own ICCID, and each passes the Luhn check
    /// (the ICCID of the TS.48 v5 package, 8949449999999990015, is).
    #[test]
    fn derived_iccids_are_distinct_and_luhn_valid() {
        let base = "8949449999999990015";
        let a = derived_iccid(base, 0);
        let b = derived_iccid(base, 1);
        assert_ne!(a, b);
        for iccid in [&a, &b, &derived_iccid(base, 999_999)] {
            assert_eq!(iccid.len(), base.len());
            assert!(iccid.starts_with("894944999999"), "{iccid}");
            let digits: Vec<u8> = iccid.bytes().map(|d| d - b'0').collect();
            assert!(luhn_valid(&digits), "{iccid}");
        }
    }
}
