#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! 3DES SCP80 in use (keys/des3.rs): eUICCs whose `Secrets` say
//! `3DES-2KEY` or `3DES-3KEY` (ETSI TS 102 225 §5.1.2 outer-CBC 3DES
//! ciphering, §5.1.3 CBC-MAC with 3DES) go through RegisterEIS, a
//! profile install and enable, and an AuditEIS, with their keys in memory
//! (the sealed custody) and in the SoftHSM2 token of `.ci/softhsm.sh`
//! (`CKM_DES3_CBC`, the CC as the last block of a zero-IV DES3 CBC). The
//! simulated cards hold 3DES keys only (`--fleet-scp80`), so a packet
//! coded or keyed for AES would be refused by them. The known answers of
//! the 3DES wrap (pySim) are in `keys::des3`'s unit tests and
//! `server_hsm.rs`.

mod server_keys_support;
mod server_support;

use serde_json::json;
use server_keys_support::*;
use server_support::*;

/// Registers a fleet of two `algorithm` eUICCs (one over SCP80 only, one
/// over SCP81) on a server with `custody` arguments, installs and enables
/// a profile on each, checks every EIS against its card and audits them
/// after a restart. The database file, for the caller to inspect.
fn lifecycle(name: &str, algorithm: &str, key_len: usize, custody: &[&str]) -> Vec<u8> {
    let dir = tmpdir(name);
    let fleet = start_fleet_with(&dir, 2, &["--fleet-scp80", algorithm], &[]);
    let mut members = members(&fleet);
    for m in &members {
        assert_eq!(m["Secrets"]["Scp80Algorithm"], algorithm, "{m}");
        let kic = m["Secrets"]["Scp80Kic"].as_str().unwrap();
        assert_eq!(kic.len(), 2 * key_len, "{m}");
    }
    members[1]["Eis"]["EumSignedInfo"]["EuiccCapabilities"]["HttpSupport"] = json!(false);
    let db = dir.join("db.sqlite");
    let server = start_server(&dir, &db, &smsc(&fleet), custody);
    let addr = api(&server);
    register_all(addr, &members, 2);
    install_enable_and_compare(addr, &smsc(&fleet), &members);
    let report = fleet_report(&smsc(&fleet));
    assert_eq!(
        report["PacketsRefused"], 0,
        "a card refused a packet: {report}"
    );
    for m in &members {
        let counters = &report["Cards"][msisdn_of(m).as_str()]["Counters"];
        let used: u64 = counters
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert!(used > 0, "no packet reached {}: {report}", eid_of(m));
    }
    drop(server);
    let server = start_server(&dir, &db, &smsc(&fleet), custody);
    audit_all(api(&server), &members);
    drop(server);
    let bytes = sqlite_bytes(&db);
    assert_no_key("the SQLite files", &bytes, &members);
    sqlite_dump(&db).into_bytes()
}

fn sealed() -> Vec<String> {
    vec![
        "--master-key-file".into(),
        master_key_file().to_str().unwrap().to_owned(),
    ]
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn two_key_3des_in_memory() {
    let dump = lifecycle("des3-2-sealed", "3DES-2KEY", 16, &strs(&sealed()));
    assert!(String::from_utf8(dump).unwrap().contains("AES-256-GCM"));
}

#[test]
fn three_key_3des_in_memory() {
    lifecycle("des3-3-sealed", "3DES-3KEY", 24, &strs(&sealed()));
}

fn on_token(name: &str, algorithm: &str, key_len: usize) {
    let keys = ["--keys".to_owned(), pkcs11_keys_arg()];
    let dump = String::from_utf8(lifecycle(name, algorithm, key_len, &strs(&keys))).unwrap();
    // The records name 3DES token objects.
    assert!(
        dump.contains(&format!("\"Algorithm\":\"{algorithm}\"")),
        "{dump}"
    );
}

#[test]
fn two_key_3des_in_the_token() {
    on_token("des3-2-hsm", "3DES-2KEY", 16);
}

#[test]
fn three_key_3des_in_the_token() {
    on_token("des3-3-hsm", "3DES-3KEY", 24);
}

/// A `Scp80Algorithm` the server does not know is refused at the start.
#[test]
fn an_unknown_fleet_algorithm_is_refused() {
    let out = std::process::Command::new(binary())
        .args(["--fleet-only", "127.0.0.1:0", "--fleet-scp80", "DES"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("3DES-2KEY"), "{err}");
}
