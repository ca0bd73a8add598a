//! `smsr-server bench` refuses what it cannot run, before starting
//! anything: several instances on an SQLite file (one process's store),
//! an instance count of 0, and a `--db` that is neither SQLite nor
//! PostgreSQL. And it runs: a small fleet on PostgreSQL with one and two
//! instances completes every operation (it needs the throw-away cluster
//! of `.ci/postgres.sh`, `SMSR_TEST_POSTGRES_URL`, and fails saying so
//! without it).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

mod server_support;

use std::process::Command;

fn bench(args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(server_support::binary())
        .arg("bench")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bench_refuses_what_it_cannot_run() {
    let (code, err) = bench(&["--fleet", "10", "--instances", "1,3"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("--db postgres://"), "{err}");
    let (code, err) = bench(&[
        "--fleet",
        "10",
        "--db",
        "sqlite:/tmp/x.db",
        "--instances",
        "3",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("SQLite"), "{err}");
    for bad in [
        &["--instances", "0"][..],
        &["--instances", "1,x"],
        &["--db", "sqlite:"],
    ] {
        let (code, err) = bench(bad);
        assert_eq!(code, Some(2), "{bad:?}: {err}");
    }
}

#[test]
fn bench_runs_a_small_fleet_on_postgres_with_two_instances() {
    let url = std::env::var("SMSR_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "SMSR_TEST_POSTGRES_URL is not set: this test needs the throw-away PostgreSQL \
             cluster of `source .ci/postgres.sh` (Debian package `postgresql`)"
        )
    });
    let out = Command::new(server_support::binary())
        .args(["bench", "--db", &url, "--instances", "1,2", "--fleet", "12"])
        .args(["--enable-fleet", "4", "--latency-calls", "8"])
        .args(["--handshake-seconds", "1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench failed: {err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let runs = v["Runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{v}");
    for (run, instances) in runs.iter().zip([1, 2]) {
        assert_eq!(run["Instances"], instances, "{run}");
        assert_eq!(run["Import"]["Registered"], 12, "{run}");
        assert_eq!(run["AuditEis"]["Succeeded"], 12, "{run}");
        assert_eq!(run["AuditEis"]["Failed"], 0, "{run}");
        assert_eq!(run["EnableProfile"]["Succeeded"], 4, "{run}");
        assert_eq!(run["EnableProfile"]["Failed"], 0, "{run}");
        assert_eq!(run["AuditEisLatencyMs"]["Calls"], 8, "{run}");
    }
    assert!(v["BareHandshakesPerSecond"].as_f64().unwrap() > 0.0, "{v}");
}
