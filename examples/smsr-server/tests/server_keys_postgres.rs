#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Secrets at rest on the PostgreSQL store: a `pg_dump` of the tables
//! holds no key; a wrong master key refuses to start and changes nothing;
//! `smsr-server rekey` re-seals the store (one transaction per chunk),
//! after which the old key is refused and every eUICC is still reachable;
//! on the PKCS#11 custody the dump holds token labels and no key (that
//! test needs the SoftHSM2 token of `source .ci/softhsm.sh` too).
//! Needs the cluster `SMSR_TEST_POSTGRES_URL` names (`source
//! .ci/postgres.sh`) and fails saying so without it.

mod server_keys_support;
mod server_support;

use std::path::Path;
use std::process::Command;

use serde_json::json;
use server_keys_support::*;
use server_support::*;

/// The cluster's URL (`postgres://USER@HOST:PORT/DB`).
fn cluster_url() -> String {
    std::env::var("SMSR_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "SMSR_TEST_POSTGRES_URL is not set: this test needs a PostgreSQL cluster; \
             start a throw-away one with `source .ci/postgres.sh` (Debian package \
             `postgresql`) and run the tests from that shell"
        )
    })
}

/// `psql` on `url`, stopping at the first error.
fn psql(url: &str, sql: &str) {
    let out = Command::new("psql")
        .args(["-v", "ON_ERROR_STOP=1", "-qAt", url, "-c", sql])
        .output()
        .expect("psql (Debian package postgresql-client)");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A fresh database `name` of the cluster; its URL.
fn fresh_db(name: &str) -> String {
    let url = cluster_url();
    psql(
        &url,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    psql(&url, &format!("CREATE DATABASE {name}"));
    let (base, _) = url.rsplit_once('/').expect("URL ends with /DBNAME");
    format!("{base}/{name}")
}

/// `pg_dump --data-only` of every table (without the `\restrict`
/// guard lines, whose token changes each run).
fn pg_dump(url: &str) -> String {
    let out = Command::new("pg_dump")
        .args(["--data-only", "--no-owner", url])
        .output()
        .expect("pg_dump (Debian package postgresql-client)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 dump");
    assert!(
        text.contains("COPY public.secrets"),
        "the dump has no secrets table"
    );
    text.lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn postgres_dump_holds_no_key_and_rekey_reseals_it() {
    let dir = tmpdir("keys-postgres");
    let fleet = start_fleet(&dir, 4);
    let members = members(&fleet);
    let url = fresh_db("smsr_keys_rekey");
    let db = Path::new(&url);
    let (old, new) = (keygen(&dir, "old.key"), keygen(&dir, "new.key"));
    let server = start_server(
        &dir,
        db,
        &smsc(&fleet),
        &["--master-key-file", old.to_str().unwrap()],
    );
    register_all(api(&server), &members, 4);
    audit_all(api(&server), &members);
    drop(server);

    let dump = pg_dump(&url);
    assert!(dump.contains("AES-256-GCM"));
    assert_no_key("the pg_dump", dump.as_bytes(), &members);

    let err = refused(&dir, db, &new, &smsc(&fleet));
    assert!(err.contains("wrong master key"), "{err}");
    assert_eq!(
        pg_dump(&url),
        dump,
        "the refused start changed the database"
    );

    let (ok, v, err) = rekey(
        db,
        &[
            "--old-key-file".as_ref(),
            old.as_os_str(),
            "--new-key-file".as_ref(),
            new.as_os_str(),
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(v, json!({"Resealed": 4, "Kept": 0}));
    let err = refused(&dir, db, &old, &smsc(&fleet));
    assert!(err.contains("wrong master key"), "{err}");
    let server = start_server(
        &dir,
        db,
        &smsc(&fleet),
        &["--master-key-file", new.to_str().unwrap()],
    );
    audit_all(api(&server), &members);
    drop(server);
    assert_no_key(
        "the pg_dump after rekey",
        pg_dump(&url).as_bytes(),
        &members,
    );
}

/// The PKCS#11 custody on PostgreSQL: a `pg_dump` holds the token labels
/// and no key, and a second start finds the keys on the token again.
#[test]
fn postgres_dump_holds_labels_and_no_key_on_the_pkcs11_custody() {
    let dir = tmpdir("keys-postgres-hsm");
    let fleet = start_fleet(&dir, 3);
    let members = members(&fleet);
    let url = fresh_db("smsr_keys_hsm");
    let db = Path::new(&url);
    let keys = pkcs11_keys_arg();
    let server = start_server(&dir, db, &smsc(&fleet), &["--keys", &keys]);
    register_all(api(&server), &members, 3);
    audit_all(api(&server), &members);
    drop(server);

    let dump = pg_dump(&url);
    assert!(dump.contains("PKCS#11") && !dump.contains("AES-256-GCM"));
    for m in &members {
        let label = format!("{}/scp80/1/kid", eid_of(m));
        assert!(dump.contains(&label), "no {label} in the dump");
    }
    assert_no_key("the pg_dump", dump.as_bytes(), &members);
    let server = start_server(&dir, db, &smsc(&fleet), &["--keys", &keys]);
    audit_all(api(&server), &members);
}
