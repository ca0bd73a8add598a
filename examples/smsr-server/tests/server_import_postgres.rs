//! `smsr-server import --db postgres://…`: the bulk RegisterEIS into
//! PostgreSQL (`register_many` as one `UNNEST` statement per table per
//! chunk). A good file registers every record; a file naming an EID
//! already registered is refused with its line and stores nothing, not
//! even its new records. Needs the throw-away cluster of
//! `.ci/postgres.sh` (`SMSR_TEST_POSTGRES_URL`); without it this test
//! fails, saying so.
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

use serde_json::Value;
use server_support::*;

/// A fresh database on the cluster; its URL.
fn fresh_db(name: &str) -> String {
    let url = std::env::var("SMSR_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "SMSR_TEST_POSTGRES_URL is not set: this test needs the throw-away PostgreSQL \
             cluster of `source .ci/postgres.sh` (Debian package `postgresql`)"
        )
    });
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        let out = Command::new("psql")
            .args([&url, "-v", "ON_ERROR_STOP=1", "-qc", &sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "psql {sql}: {out:?}");
    }
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

fn import(db: &str, file: &std::path::Path) -> (bool, Value, String) {
    let out = Command::new(binary())
        .args([
            "import",
            "--smsr-id",
            "SMSR-TEST",
            "--chunk",
            "2",
            "--db",
            db,
        ])
        .arg("--master-key-file")
        .arg(master_key_file())
        .arg(file)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.success(),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn import_into_postgres_is_all_or_nothing() {
    let dir = tmpdir("import-pg");
    let fleet = start_fleet(&dir, 7);
    let members = members(&fleet);
    let lines: Vec<String> = members.iter().map(Value::to_string).collect();
    let db = fresh_db("smsr_import_test");
    let file = dir.join("fleet.jsonl");

    std::fs::write(&file, lines[..5].join("\n") + "\n").unwrap();
    let (ok, v, err) = import(&db, &file);
    assert!(ok, "{err}");
    assert_eq!(
        (v["Registered"].as_u64(), v["Total"].as_u64()),
        (Some(5), Some(5)),
        "{v}"
    );
    assert!(!v.to_string().contains("password"), "{v}");

    // Two new records and one already registered: refused, none stored.
    let mixed = [lines[5].clone(), lines[6].clone(), lines[2].clone()];
    std::fs::write(&file, mixed.join("\n") + "\n").unwrap();
    let (ok, _, err) = import(&db, &file);
    assert!(!ok);
    assert!(
        err.contains("line 3") && err.contains("already registered"),
        "{err}"
    );
    std::fs::write(&file, "").unwrap();
    let (ok, v, err) = import(&db, &file);
    assert!(ok, "{err}");
    assert_eq!(v["Total"], 5, "nothing of the refused file stored: {v}");

    // The two new ones alone go in.
    std::fs::write(&file, lines[5..].join("\n") + "\n").unwrap();
    let (ok, v, err) = import(&db, &file);
    assert!(ok, "{err}");
    assert_eq!(
        (v["Registered"].as_u64(), v["Total"].as_u64()),
        (Some(2), Some(7)),
        "{v}"
    );
}
