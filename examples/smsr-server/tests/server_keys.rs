#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Secrets at rest (keys/): the eUICC keys are sealed in the database
//! under a master key; a wrong master key or a database with clear
//! secrets refuses to start and changes nothing; `smsr-server rekey`
//! re-seals the store under a new key (and migrates clear secrets), after
//! which the old key is refused and every eUICC is still reachable.

mod server_keys_support;
mod server_support;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use server_keys_support::*;
use server_support::*;

#[test]
fn rekey_reseals_the_store_and_a_wrong_master_key_changes_nothing() {
    let dir = tmpdir("keys-rekey");
    let SealedFleet {
        fleet,
        members,
        db,
        key: old,
    } = sealed_fleet(&dir, 5, <[Value]>::to_vec);
    let new = keygen(&dir, "new.key");

    // A copy of the database holds no key, in its rows or its octets.
    let dump = sqlite_dump(&db);
    assert!(dump.contains("AES-256-GCM"), "{dump}");
    assert_no_key("the SQLite dump", dump.as_bytes(), &members);
    assert_no_key("the SQLite files", &sqlite_bytes(&db), &members);

    // A wrong master key: a clear error, nothing changed.
    let before = sqlite_dump(&db);
    let err = refused(&dir, &db, &new, &smsc(&fleet));
    assert!(err.contains("wrong master key"), "{err}");
    assert_eq!(
        sqlite_dump(&db),
        before,
        "the refused start changed the database"
    );

    // The last record as the old key sealed it (to stage an unfinished
    // rekey below).
    let last_eid = members.iter().map(eid_of).max().unwrap();
    let last_row = |db: &Path| -> String {
        rusqlite::Connection::open(db)
            .unwrap()
            .query_row(
                "SELECT json FROM secrets WHERE eid = ?1",
                [&last_eid],
                |r| r.get(0),
            )
            .unwrap()
    };
    let old_last = last_row(&db);

    // Rekey from the old key to the new one, by chunks of 2.
    let (ok, v, err) = rekey(
        &db,
        &[
            "--old-key-file".as_ref(),
            old.as_os_str(),
            "--new-key-file".as_ref(),
            new.as_os_str(),
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(v, json!({"Resealed": 5, "Kept": 0}));
    // Again (a resumed rekey): every record found under the new key.
    let (ok, v, err) = rekey(
        &db,
        &[
            "--old-key-file".as_ref(),
            old.as_os_str(),
            "--new-key-file".as_ref(),
            new.as_os_str(),
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(v, json!({"Resealed": 0, "Kept": 5}));
    // An unfinished rekey (the last record still under the old key): the
    // new key is refused at start too, and a rerun finishes the job.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE secrets SET json = ?2 WHERE eid = ?1",
            rusqlite::params![last_eid, old_last],
        )
        .unwrap();
    let err = refused(&dir, &db, &new, &smsc(&fleet));
    assert!(err.contains("wrong master key"), "{err}");
    let (ok, v, err) = rekey(
        &db,
        &[
            "--old-key-file".as_ref(),
            old.as_os_str(),
            "--new-key-file".as_ref(),
            new.as_os_str(),
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(v, json!({"Resealed": 1, "Kept": 4}));
    assert_ne!(last_row(&db), old_last);
    assert_no_key("the rekeyed SQLite files", &sqlite_bytes(&db), &members);

    // The old key is refused now; the new one serves every eUICC.
    let err = refused(&dir, &db, &old, &smsc(&fleet));
    assert!(err.contains("wrong master key"), "{err}");
    let server = start_server(
        &dir,
        &db,
        &smsc(&fleet),
        &["--master-key-file", new.to_str().unwrap()],
    );
    audit_all(api(&server), &members);
}

#[test]
fn clear_secrets_are_refused_until_rekey_from_clear_seals_them() {
    let dir = tmpdir("keys-clear");
    let SealedFleet {
        fleet,
        members,
        db,
        key,
    } = sealed_fleet(&dir, 3, <[Value]>::to_vec);
    // The database as a server from before sealing left it: clear
    // secrets JSON in the secrets table.
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        for m in &members {
            c.execute(
                "UPDATE secrets SET json = ?2 WHERE eid = ?1",
                rusqlite::params![eid_of(m), m["Secrets"].to_string()],
            )
            .unwrap();
        }
    }
    let before = sqlite_dump(&db);
    let err = refused(&dir, &db, &key, &smsc(&fleet));
    assert!(
        err.contains("stored in clear") && err.contains("rekey --from-clear"),
        "{err}"
    );
    assert_eq!(
        sqlite_dump(&db),
        before,
        "the refused start changed the database"
    );

    // --from-clear needs clear records: the wrong mode is refused.
    let other = keygen(&dir, "other.key");
    let (ok, _, err) = rekey(
        &db,
        &[
            "--old-key-file".as_ref(),
            other.as_os_str(),
            "--new-key-file".as_ref(),
            key.as_os_str(),
        ],
    );
    assert!(!ok && err.contains("stored in clear"), "{err}");
    assert_eq!(
        sqlite_dump(&db),
        before,
        "a failed rekey changed the database"
    );

    let (ok, v, err) = rekey(
        &db,
        &[
            "--from-clear".as_ref(),
            "--new-key-file".as_ref(),
            key.as_os_str(),
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(v, json!({"Resealed": 3, "Kept": 0}));
    // The clear rows are gone from the file too (secure delete, vacuum).
    assert_no_key("the migrated SQLite files", &sqlite_bytes(&db), &members);
    let server = start_server(
        &dir,
        &db,
        &smsc(&fleet),
        &["--master-key-file", key.to_str().unwrap()],
    );
    audit_all(api(&server), &members);
}

/// `smsr-server import-keys FILE`.
fn import_keys(db: &Path, key: &Path, file: &Path) -> (bool, Value, String) {
    let out = Command::new(binary())
        .arg("import-keys")
        .arg("--db")
        .arg(db)
        .arg("--master-key-file")
        .arg(key)
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

/// The key-file line of member `m` (keys/import.rs format).
fn key_line(m: &Value) -> String {
    let mut v = m["Secrets"].clone();
    v["Eid"] = json!(eid_of(m));
    v.to_string()
}

#[test]
fn import_keys_seals_the_eum_key_file_into_the_store() {
    let dir = tmpdir("keys-import");
    // Registered with keys that are not the cards' (the EUM's key file
    // comes later): every SCP80/SCP81 key replaced by another.
    let stand_in = |members: &[Value]| -> Vec<Value> {
        members
            .iter()
            .map(|m| {
                let mut m = m.clone();
                for k in ["Scp80Kic", "Scp80Kid", "Scp81Psk"] {
                    m["Secrets"][k] = json!("5A".repeat(16));
                }
                m
            })
            .collect()
    };
    let SealedFleet {
        fleet,
        members,
        db,
        key,
    } = sealed_fleet(&dir, 3, stand_in);
    let before = sqlite_dump(&db);

    // A bad file: its line named, nothing changed.
    let file = dir.join("keys.jsonl");
    let mut lines: Vec<String> = members.iter().map(key_line).collect();
    let unknown = {
        let mut v = members[0]["Secrets"].clone();
        v["Eid"] = json!(
            smsr::isdr::Eid::with_check_digits("890490320000000000000000099999")
                .unwrap()
                .to_string()
        );
        v.to_string()
    };
    lines.push(unknown);
    std::fs::write(&file, lines.join("\n")).unwrap();
    let (ok, _, err) = import_keys(&db, &key, &file);
    assert!(
        !ok && err.contains("line 4") && err.contains("not registered"),
        "{err}"
    );
    assert_eq!(
        sqlite_dump(&db),
        before,
        "a refused import changed the database"
    );
    let wrong = keygen(&dir, "wrong.key");
    let (ok, _, err) = import_keys(&db, &wrong, &file);
    assert!(!ok && err.contains("wrong master key"), "{err}");
    assert_eq!(
        sqlite_dump(&db),
        before,
        "a refused import changed the database"
    );

    // The good file: sealed, and the cards answer with the imported keys.
    lines.pop();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let (ok, v, err) = import_keys(&db, &key, &file);
    assert!(ok, "{err}");
    assert_eq!(v, json!({"Imported": 3}));
    assert_no_key(
        "the SQLite files after import-keys",
        &sqlite_bytes(&db),
        &members,
    );
    let server = start_server(
        &dir,
        &db,
        &smsc(&fleet),
        &["--master-key-file", key.to_str().unwrap()],
    );
    audit_all(api(&server), &members);
}

/// A lifecycle at trace level (register, install, enable and audit, one
/// eUICC over SCP81 and one over SCP80 only): no key in the server's
/// whole log output, in any API answer (GetEIS with its audit trail, the
/// operation record, the stats) or in the database.
#[test]
fn no_key_in_the_trace_log_the_api_answers_or_the_database() {
    let dir = tmpdir("keys-trace");
    let fleet = start_fleet(&dir, 2);
    let mut members = members(&fleet);
    members[1]["Eis"]["EumSignedInfo"]["EuiccCapabilities"]["HttpSupport"] = json!(false);
    // The search finds keys where they are: the fleet's ready file (the
    // EUM side) holds them, in upper-case hex.
    let ready = std::fs::read(dir.join("fleet.json")).unwrap();
    assert!(find_key(&ready, &members).is_some_and(|k| k.ends_with("upper hex")));
    assert!(
        find_key(
            &hex::decode(members[0]["Secrets"]["Scp81Psk"].as_str().unwrap()).unwrap(),
            &members
        )
        .is_some()
    );
    let db = dir.join("db.sqlite");
    let server = start_server_env(&dir, &db, &smsc(&fleet), &[], &[("RUST_LOG", "trace")]);
    let api = api(&server);
    register_all(api, &members, 2);
    let mut answers = Vec::new();
    for (i, m) in members.iter().enumerate() {
        let (eid, msisdn, ic) = (eid_of(m), msisdn_of(m), iccid(1, i));
        install(api, MNO_A, &eid, &ic, &msisdn);
        let v = ok(
            api,
            MNO_A,
            "/es4/EnableProfile",
            json!({"Eid": eid, "Iccid": ic}),
        );
        let id = v["OperationId"].as_i64().unwrap();
        answers.push(v);
        let v = ok(api, MNO_A, "/es4/AuditEIS", json!({"Eid": eid}));
        assert_eq!(state(&v["Eis"], &ic).as_deref(), Some("Enabled"), "{v}");
        answers.push(v);
        let v = ok(api, MNO_A, "/es4/GetEIS", json!({"Eid": eid}));
        assert!(
            !v["Eis"]["AuditTrail"]["Record"]
                .as_array()
                .unwrap()
                .is_empty(),
            "{v}"
        );
        answers.push(v);
        answers.push(
            call(
                api,
                MNO_A,
                "GET",
                &format!("/operations/{id}"),
                &Value::Null,
            )
            .1,
        );
    }
    let (_, stats) = call(api, MNO_A, "GET", "/stats", &Value::Null);
    assert!(
        stats["Engine"]["Scp81Sessions"].as_u64().unwrap() > 0,
        "{stats}"
    );
    answers.push(stats);
    drop(server);
    for a in &answers {
        assert_no_key(
            &format!("the API answer {a}"),
            a.to_string().as_bytes(),
            &members,
        );
    }
    let log = std::fs::read(dir.join("server.log")).unwrap();
    // Below info: the level asked for took effect (nothing in the server
    // logs at trace proper; its dependencies may).
    let text = String::from_utf8_lossy(&log);
    assert!(
        text.contains("DEBUG") && text.contains("RegisterEIS"),
        "the server did not log below info: {text}"
    );
    assert_no_key("the server's trace log", &log, &members);
    assert_no_key("the SQLite dump", sqlite_dump(&db).as_bytes(), &members);
    assert_no_key("the SQLite files", &sqlite_bytes(&db), &members);
}

/// The EID is the associated data: secrets rows swapped between two
/// eUICCs (a copy moved to another EID) do not open, and the server
/// refuses to start on them, changing nothing.
#[test]
fn secrets_moved_to_another_eid_do_not_open() {
    let dir = tmpdir("keys-moved");
    let SealedFleet {
        fleet,
        members,
        db,
        key,
    } = sealed_fleet(&dir, 2, <[Value]>::to_vec);
    {
        let c = rusqlite::Connection::open(&db).unwrap();
        let (a, b) = (eid_of(&members[0]), eid_of(&members[1]));
        let row = |e: &str| -> String {
            c.query_row("SELECT json FROM secrets WHERE eid = ?1", [e], |r| r.get(0))
                .unwrap()
        };
        let (ra, rb) = (row(&a), row(&b));
        for (e, r) in [(&a, &rb), (&b, &ra)] {
            c.execute(
                "UPDATE secrets SET json = ?2 WHERE eid = ?1",
                rusqlite::params![e, r],
            )
            .unwrap();
        }
    }
    let before = sqlite_dump(&db);
    let err = refused(&dir, &db, &key, &smsc(&fleet));
    assert!(err.contains("moved from another EID or altered"), "{err}");
    assert_eq!(
        sqlite_dump(&db),
        before,
        "the refused start changed the database"
    );
}
