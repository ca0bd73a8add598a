#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Token objects no registration references (keys/sealing.rs,
//! keys/cleanup.rs), against the SoftHSM2 token of `.ci/softhsm.sh`: a
//! RegisterEIS the database refuses after the keys were imported leaves
//! no token object; `smsr-server hsm-gc FILE --db DB` lists the eUICC key
//! objects no record names (a dry run), destroys them with `--delete`,
//! and never touches the objects of registered eUICCs or the PSK
//! key-wrap key.

#[allow(dead_code)]
#[path = "../hsm.rs"]
mod hsm;
mod hsm_support;
mod server_keys_support;
mod server_support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use server_keys_support::*;
use server_support::*;
use smsr::crypto::{CipherAlgorithm, Key};

/// `smsr-server hsm-gc FILE --db DB ARGS`: its answer.
fn hsm_gc(db: &Path, args: &[&str]) -> Value {
    let out = Command::new(binary())
        .arg("hsm-gc")
        .arg(pkcs11_file())
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "hsm-gc: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The token is shared with every PKCS#11 test (and the same seeded EIDs
/// are registered by many): each test here uses EIDs of its own
/// (`--fleet-first`) and runs alone, and a GC's answer is read for those
/// EIDs only (`prefixes`).
static ALONE: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn alone() -> std::sync::MutexGuard<'static, ()> {
    ALONE.lock().unwrap_or_else(|p| p.into_inner())
}

/// The labels of the orphans of `v` under `prefixes`.
fn orphan_labels(v: &Value, prefixes: &[String]) -> Vec<String> {
    let mut l: Vec<String> = v["Orphans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["Label"].as_str().unwrap().to_owned())
        .filter(|l| prefixes.iter().any(|p| l.starts_with(p.as_str())))
        .collect();
    l.sort();
    l
}

#[test]
fn a_registration_the_database_refuses_leaves_no_token_object() {
    let _alone = alone();
    let dir = tmpdir("hsm-cleanup-refused");
    let fleet = start_fleet_with(&dir, 2, &["--fleet-first", "9100"], &[]);
    let members = members(&fleet);
    let db = dir.join("db.sqlite");
    let keys = pkcs11_keys_arg();
    // The schema, then a trigger refusing the counters of the second
    // eUICC: its registration fails after its keys went into the token.
    drop(start_server(&dir, &db, &smsc(&fleet), &["--keys", &keys]));
    let refused = eid_of(&members[1]);
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(&format!(
            "CREATE TRIGGER refuse_test BEFORE INSERT ON counters WHEN NEW.eid = '{refused}' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
        ))
        .unwrap();
    let server = start_server(&dir, &db, &smsc(&fleet), &["--keys", &keys]);
    register_all(api(&server), &members[..1], 1);
    let (status, v) = call(api(&server), EUM, "POST", "/es1/RegisterEIS", &members[1]);
    assert_ne!(status, 200, "{v}");
    drop(server);
    assert!(
        !sqlite_dump(&db).contains(&refused),
        "the refused registration was stored"
    );
    assert_eq!(
        hsm_support::keys_labelled(&format!("{refused}/")),
        vec![],
        "the refused registration left token objects"
    );
    let kept = hsm_support::keys_labelled(&format!("{}/", eid_of(&members[0])));
    assert_eq!(kept.len(), 2, "{kept:?}");
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap_or_default();
    assert!(!log.contains("not destroyed"), "{log}");
}

#[test]
fn hsm_gc_lists_then_deletes_only_unreferenced_key_objects() {
    let _alone = alone();
    let dir = tmpdir("hsm-cleanup-gc");
    let fleet = start_fleet_with(&dir, 2, &["--fleet-first", "9200"], &[]);
    let members = members(&fleet);
    let db = dir.join("db.sqlite");
    let keys = pkcs11_keys_arg();
    let server = start_server(&dir, &db, &smsc(&fleet), &["--keys", &keys]);
    register_all(api(&server), &members, 2);
    drop(server);
    // What a crash between a seal and its commit leaves: objects of a
    // registered eUICC under another CKA_ID, and of an unregistered one.
    let registered = eid_of(&members[0]);
    let unregistered = smsr::isdr::Eid::with_check_digits("890490320000000000000000929999")
        .unwrap()
        .to_string();
    let key = Key::aes(&[0x5A; 16]).unwrap();
    let orphans = [
        format!("{registered}/scp80/1/kic"),
        format!("{unregistered}/scp80/1/kid"),
        format!("{unregistered}/scp03/48/enc"),
    ];
    {
        let hsm = hsm_support::hsm();
        for l in &orphans {
            hsm.import_key(l, b"orphan", &key).unwrap();
        }
        // Not an eUICC key: never listed.
        hsm.import_key("smsr-test/other", b"orphan", &key).unwrap();
    }
    let mut want: Vec<String> = orphans.to_vec();
    want.sort();
    let mut prefixes: Vec<String> = members.iter().map(|m| format!("{}/", eid_of(m))).collect();
    prefixes.push(format!("{unregistered}/"));

    let dry = hsm_gc(&db, &[]);
    assert_eq!(dry["DryRun"], true, "{dry}");
    assert_eq!(dry["Deleted"], 0, "{dry}");
    assert_eq!(dry["Referenced"], 4, "{dry}");
    assert_eq!(orphan_labels(&dry, &prefixes), want, "{dry}");
    // A dry run changes nothing.
    assert_eq!(orphan_labels(&hsm_gc(&db, &[]), &prefixes), want);

    let done = hsm_gc(&db, &["--delete"]);
    assert!(done["Deleted"].as_u64().unwrap() >= 3, "{done}");
    assert_eq!(orphan_labels(&done, &prefixes), want, "{done}");
    let after = hsm_gc(&db, &[]);
    assert_eq!(after["Orphans"], serde_json::json!([]), "{after}");
    // The registered eUICCs' objects are kept.
    for m in &members {
        let kept = hsm_support::keys_labelled(&format!("{}/", eid_of(m)));
        assert_eq!(kept.len(), 2, "{kept:?}");
    }
    let hsm = hsm_support::hsm();
    assert!(
        hsm.find_key("smsr-test/other", b"orphan", CipherAlgorithm::Aes128)
            .is_ok(),
        "a foreign object was destroyed"
    );
    drop(hsm);
    // The registered eUICCs still have their keys.
    let server = start_server(&dir, &db, &smsc(&fleet), &["--keys", &keys]);
    audit_all(api(&server), &members);
}

#[test]
fn hsm_gc_refuses_a_sealed_database() {
    let _alone = alone();
    let dir = tmpdir("hsm-cleanup-sealed");
    let f = sealed_fleet(&dir, 1, <[Value]>::to_vec);
    let out = Command::new(binary())
        .arg("hsm-gc")
        .arg(pkcs11_file())
        .arg("--db")
        .arg(&f.db)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("AES-256-GCM") || err.contains("sealed"),
        "{err}"
    );
}
