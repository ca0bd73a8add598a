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

mod server_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server_support::*;

/// A fresh master key file `dir/name` (`smsr-server keygen`).
fn keygen(dir: &Path, name: &str) -> PathBuf {
    let f = dir.join(name);
    let out = Command::new(binary())
        .arg("keygen")
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["KeyId"].as_str().unwrap().len(), 16, "{v}");
    // Never overwritten.
    let again = Command::new(binary())
        .arg("keygen")
        .arg(&f)
        .output()
        .unwrap();
    assert!(!again.status.success());
    f
}

/// Every key of the members, as the needles a leak would show: upper and
/// lower hex and the raw octets.
fn needles(members: &[Value]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for m in members {
        for k in ["Scp80Kic", "Scp80Kid", "Scp81Psk"] {
            let hex = m["Secrets"][k].as_str().unwrap().to_owned();
            let raw = hex::decode(&hex).unwrap();
            assert!(raw.len() >= 16, "{k} {hex}");
            out.push((format!("{k} upper hex"), hex.to_uppercase().into_bytes()));
            out.push((format!("{k} lower hex"), hex.to_lowercase().into_bytes()));
            out.push((format!("{k} raw"), raw));
        }
    }
    out
}

/// Fails naming the first key of `members` found in `hay`.
fn assert_no_key(what: &str, hay: &[u8], members: &[Value]) {
    for (name, needle) in needles(members) {
        assert!(
            !hay.windows(needle.len()).any(|w| w == needle.as_slice()),
            "{what} holds a key ({name})"
        );
    }
}

/// The database files' octets (main file, WAL, shared memory).
fn sqlite_bytes(db: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        if let Ok(b) = std::fs::read(&p) {
            out.extend(b);
        }
    }
    assert!(!out.is_empty(), "no database at {}", db.display());
    out
}

/// Every row of every table of the SQLite file, as text (values in
/// order, blobs in hex): what a copy of the database shows.
fn sqlite_dump(db: &Path) -> String {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    let tables: Vec<String> = c
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(tables.iter().any(|t| t == "secrets"), "{tables:?}");
    let mut out = String::new();
    for t in tables {
        let mut st = c.prepare(&format!("SELECT * FROM \"{t}\"")).unwrap();
        let n = st.column_count();
        let mut rows = st.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            out.push_str(&t);
            for i in 0..n {
                use rusqlite::types::ValueRef;
                let v = match row.get_ref(i).unwrap() {
                    ValueRef::Null => "NULL".to_owned(),
                    ValueRef::Integer(x) => x.to_string(),
                    ValueRef::Real(x) => x.to_string(),
                    ValueRef::Text(s) => String::from_utf8_lossy(s).into_owned(),
                    ValueRef::Blob(b) => hex::encode(b),
                };
                out.push('|');
                out.push_str(&v);
            }
            out.push('\n');
        }
    }
    out
}

/// Starts a server on `db` under `key` that must refuse to start; its
/// error output.
fn refused(dir: &Path, db: &Path, key: &Path, smsc: &str) -> String {
    let mut child = Command::new(binary())
        .args(["--api", "127.0.0.1:0", "--scp81", "127.0.0.1:0", "--db"])
        .arg(db)
        .arg("--master-key-file")
        .arg(key)
        .args(["--smsc", &format!("smpp://smsr:smsr@{smsc}")])
        .arg("--ready-file")
        .arg(dir.join("refused.json"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started on a database it must refuse");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert!(!status.success(), "{err}");
    assert!(
        !dir.join("refused.json").exists(),
        "it got as far as listening"
    );
    err
}

/// `smsr-server rekey ARGS`: success, standard output, standard error.
fn rekey(db: &Path, args: &[&std::ffi::OsStr]) -> (bool, Value, String) {
    let out = Command::new(binary())
        .arg("rekey")
        .arg("--db")
        .arg(db)
        .args(["--chunk", "2"])
        .args(args)
        .output()
        .unwrap();
    let v = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.success(),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A batch AuditEIS of every member succeeds: each eUICC is reachable
/// with the keys the store holds.
fn audit_all(api: std::net::SocketAddr, members: &[Value]) {
    let eids: Vec<String> = members.iter().map(eid_of).collect();
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/batch/AuditEIS",
        &json!({ "Eids": eids }),
    );
    assert_eq!(s, 202, "{v}");
    let p = wait_batch(
        api,
        MNO_A,
        v["BatchId"].as_i64().unwrap(),
        Duration::from_secs(60),
    );
    assert_eq!(p["Succeeded"], members.len(), "{p}");
}

#[test]
fn rekey_reseals_the_store_and_a_wrong_master_key_changes_nothing() {
    let dir = tmpdir("keys-rekey");
    let fleet = start_fleet(&dir, 5);
    let members = members(&fleet);
    let db = dir.join("db.sqlite");
    let (old, new) = (keygen(&dir, "old.key"), keygen(&dir, "new.key"));
    let old_arg = ["--master-key-file".as_ref(), old.as_os_str()];
    let server = start_server(
        &dir,
        &db,
        &smsc(&fleet),
        &[old_arg[0].to_str().unwrap(), old.to_str().unwrap()],
    );
    register_all(api(&server), &members, 4);
    drop(server);

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
    let fleet = start_fleet(&dir, 3);
    let members = members(&fleet);
    let db = dir.join("db.sqlite");
    let key = keygen(&dir, "master.key");
    let server = start_server(
        &dir,
        &db,
        &smsc(&fleet),
        &["--master-key-file", key.to_str().unwrap()],
    );
    register_all(api(&server), &members, 3);
    drop(server);
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
    let fleet = start_fleet(&dir, 3);
    let members = members(&fleet);
    let db = dir.join("db.sqlite");
    let key = keygen(&dir, "master.key");
    // Registered with keys that are not the cards' (the EUM's key file
    // comes later): every SCP80/SCP81 key replaced by another.
    let stand_in: Vec<Value> = members
        .iter()
        .map(|m| {
            let mut m = m.clone();
            for k in ["Scp80Kic", "Scp80Kid", "Scp81Psk"] {
                m["Secrets"][k] = json!("5A".repeat(16));
            }
            m
        })
        .collect();
    let server = start_server(
        &dir,
        &db,
        &smsc(&fleet),
        &["--master-key-file", key.to_str().unwrap()],
    );
    register_all(api(&server), &stand_in, 3);
    drop(server);
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
