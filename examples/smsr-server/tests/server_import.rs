#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! `smsr-server import`: bulk RegisterEIS from JSON Lines. A bad record
//! (malformed, an EIS breaking an invariant, an EID repeated in the file
//! or already registered) fails the import with its line number and
//! changes nothing; a good file registers every record, and the server
//! then serves those eUICCs over SCP81 with the imported keys.

mod server_support;

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use server_support::*;
use smsr::inventory::{Eis, ProfileInfo, ProfileState};

fn import(db: &Path, file: &Path) -> (bool, String, String) {
    let out = Command::new(binary())
        .args(["import", "--smsr-id", "SMSR-TEST", "--chunk", "2", "--db"])
        .arg(db)
        .arg("--master-key-file")
        .arg(master_key_file())
        .arg(file)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The number of EIS in `db`: the `Total` of an import of an empty file.
fn registered(dir: &Path, db: &Path) -> u64 {
    let empty = dir.join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let (ok, out, err) = import(db, &empty);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["Total"].as_u64().unwrap()
}

#[test]
fn a_bad_record_names_its_line_and_changes_nothing() {
    let dir = tmpdir("import");
    let fleet = start_fleet(&dir, 5);
    let members = members(&fleet);
    let good: Vec<String> = members.iter().map(Value::to_string).collect();
    let db = dir.join("db.sqlite");
    let file = dir.join("fleet.jsonl");

    // Malformed: line 4 has no Secrets.
    let mut lines = good.clone();
    lines[3] = json!({"Eis": members[3]["Eis"]}).to_string();
    write_lines(&file, &lines);
    let (ok, _, err) = import(&db, &file);
    assert!(!ok);
    assert!(err.contains("line 4") && err.contains("Secrets"), "{err}");
    assert_eq!(registered(&dir, &db), 0);

    // An EIS that breaks an invariant (two profiles with one ICCID).
    let mut eis: Eis = serde_json::from_value(members[1]["Eis"].clone()).unwrap();
    for t in [0x10, 0x11] {
        let aid = smsr::isdr::Aid::isd_p(smsr::isdr::Tar([0, t, 0])).unwrap();
        eis.profiles.push(ProfileInfo::new(
            "8931010000000000001",
            aid,
            "MNO-A",
            ProfileState::Disabled,
        ));
    }
    let mut lines = good.clone();
    lines[1] = json!({"Eis": eis, "Secrets": members[1]["Secrets"]}).to_string();
    write_lines(&file, &lines);
    let (ok, _, err) = import(&db, &file);
    assert!(!ok);
    assert!(err.contains("line 2") && err.contains("invariant"), "{err}");
    assert_eq!(registered(&dir, &db), 0);

    // An EID twice in the file: named at its second line.
    let mut lines = good.clone();
    lines.push(good[2].clone());
    write_lines(&file, &lines);
    let (ok, _, err) = import(&db, &file);
    assert!(!ok);
    assert!(err.contains("line 6") && err.contains("line 3"), "{err}");
    assert_eq!(registered(&dir, &db), 0);

    // A good file (with a blank line): every record registered.
    let mut lines = good.clone();
    lines.insert(2, String::new());
    write_lines(&file, &lines);
    let (ok, out, err) = import(&db, &file);
    assert!(ok, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Registered"], 5, "{v}");
    assert_eq!(registered(&dir, &db), 5);

    // The same file again: already registered, nothing changed.
    let (ok, _, err) = import(&db, &file);
    assert!(!ok);
    assert!(
        err.contains("line 1") && err.contains("already registered"),
        "{err}"
    );
    assert_eq!(registered(&dir, &db), 5);

    // The server serves the imported eUICCs: their EIS as imported and
    // an SCP81 audit with the imported PSK.
    let server = start_server(&dir, &db, &smsc(&fleet), &[]);
    let api = api(&server);
    for m in &members {
        let e = server_support::eis(api, MNO_A, &eid_of(m));
        assert_eq!(e["EumSignedInfo"]["Eid"], m["Eis"]["EumSignedInfo"]["Eid"]);
        assert_eq!(e["Smsr-id"], "SMSR-TEST", "{e}");
    }
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
        std::time::Duration::from_secs(60),
    );
    assert_eq!(p["Succeeded"], 5, "{p}");
}
