//! Helpers of the key-custody tests (server_keys*.rs): master keys,
//! the needles a key leak would show, database dumps, a server start that
//! must be refused, `smsr-server rekey`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::server_support::*;

/// A fresh master key file `dir/name` (`smsr-server keygen`).
pub fn keygen(dir: &Path, name: &str) -> PathBuf {
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

/// A fleet whose eUICCs are registered, sealed under a fresh master key,
/// in a SQLite database, the server that registered them stopped.
pub struct SealedFleet {
    /// The fleet (running).
    pub fleet: Proc,
    /// Its members, with their keys.
    pub members: Vec<Value>,
    /// The database, `dir/db.sqlite`.
    pub db: PathBuf,
    /// The master key, `dir/master.key`.
    pub key: PathBuf,
}

impl SealedFleet {
    /// The fleet's SMSC address.
    pub fn smsc(&self) -> String {
        smsc(&self.fleet)
    }
}

/// Starts a fleet of `n`, makes `dir/master.key`, and registers what
/// `registered` makes of the members (the members themselves, or
/// stand-ins) through a server under that key, then stops the server.
pub fn sealed_fleet(
    dir: &Path,
    n: usize,
    registered: impl FnOnce(&[Value]) -> Vec<Value>,
) -> SealedFleet {
    let fleet = start_fleet(dir, n);
    let members = members(&fleet);
    let db = dir.join("db.sqlite");
    let key = keygen(dir, "master.key");
    let server = start_server(
        dir,
        &db,
        &smsc(&fleet),
        &["--master-key-file", key.to_str().unwrap()],
    );
    register_all(api(&server), &registered(&members), n.min(4));
    drop(server);
    SealedFleet {
        fleet,
        members,
        db,
        key,
    }
}

/// Every key of the members, as the needles a leak would show: upper and
/// lower hex and the raw octets.
pub fn needles(members: &[Value]) -> Vec<(String, Vec<u8>)> {
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

/// The first key of `members` found in `hay`, named.
pub fn find_key(hay: &[u8], members: &[Value]) -> Option<String> {
    needles(members)
        .into_iter()
        .find(|(_, needle)| hay.windows(needle.len()).any(|w| w == needle.as_slice()))
        .map(|(name, _)| name)
}

/// Fails naming the first key of `members` found in `hay`.
pub fn assert_no_key(what: &str, hay: &[u8], members: &[Value]) {
    if let Some(name) = find_key(hay, members) {
        panic!("{what} holds a key ({name})");
    }
}

/// The database files' octets (main file, WAL, shared memory).
pub fn sqlite_bytes(db: &Path) -> Vec<u8> {
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
pub fn sqlite_dump(db: &Path) -> String {
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
pub fn refused(dir: &Path, db: &Path, key: &Path, smsc: &str) -> String {
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
pub fn rekey(db: &Path, args: &[&std::ffi::OsStr]) -> (bool, Value, String) {
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
pub fn audit_all(api: std::net::SocketAddr, members: &[Value]) {
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

/// Installs and enables profile `iccid(1, i)` on every member, then
/// checks each EIS against its card: the profile Enabled in the EIS,
/// selected (`3F`) on the card, under the same ISD-P AID; no counter
/// reused.
pub fn install_enable_and_compare(api: std::net::SocketAddr, smsc: &str, members: &[Value]) {
    for (i, m) in members.iter().enumerate() {
        let (eid, msisdn, ic) = (eid_of(m), msisdn_of(m), iccid(1, i));
        install(api, MNO_A, &eid, &ic, &msisdn);
        ok(
            api,
            MNO_A,
            "/es4/EnableProfile",
            json!({"Eid": eid, "Iccid": ic}),
        );
    }
    let report = fleet_report(smsc);
    assert_eq!(report["CounterRefusals"], 0, "a counter was reused");
    for (i, m) in members.iter().enumerate() {
        let e = eis(api, MNO_A, &eid_of(m));
        assert_eq!(state(&e, &iccid(1, i)).as_deref(), Some("Enabled"), "{e}");
        let card = &report["Cards"][msisdn_of(m).as_str()];
        let aid = e["ProfileInfo"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["Iccid"] == iccid(1, i))
            .unwrap()["Isd-p-aid"]
            .clone();
        let on_card = card["Profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["Aid"] == aid)
            .unwrap_or_else(|| panic!("{aid} not on the card: {card}"));
        assert_eq!(on_card["LifeCycle"], "3F", "{card}");
    }
}
