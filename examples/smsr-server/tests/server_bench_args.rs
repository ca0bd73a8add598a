//! `smsr-server bench` refuses what it cannot run, before starting
//! anything: several instances on an SQLite file (one process's store),
//! an instance count of 0, and a `--db` that is neither SQLite nor
//! PostgreSQL.
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
