#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The ISD-R's SCP03 key set at RegisterEIS (keys/scp03_import.rs): on
//! the PKCS#11 custody its Key-ENC / Key-MAC / Key-DEK become
//! non-extractable token objects (SoftHSM2 of `.ci/softhsm.sh`) and the
//! database keeps their labels only; the objects derive SCP03 session
//! keys inside the token that give pySim's card cryptogram. On the sealed
//! custody the keys are sealed with the rest. The server itself never
//! opens SCP03 with the ISD-R (SCP80 and SCP81 reach it).

#[allow(dead_code)]
#[path = "../hsm.rs"]
mod hsm;
mod hsm_support;
mod server_keys_support;
mod server_support;

use hsm::HsmKey;
use serde_json::{Value, json};
use server_keys_support::*;
use server_support::*;
use smsr::crypto::CipherAlgorithm;
use smsr::scp03t::{SecurityLevel, Session, StaticKeys};

/// pySim's GP Amendment D static keys and its first AES-128 exchange
/// (osmocom/pysim @ 597f1e0 `tests/unittests/test_globalplatform.py`,
/// `SCP03_Test_AES128_11`: INITIALIZE UPDATE, its response), as in
/// `server_hsm_scp03.rs`.
const K_ENC: &str = "000102030405060708090A0B0C0D0E0F";
const K_MAC: &str = "101112131415161718191A1B1C1D1E1F";
const K_DEK: &str = "202122232425262728292A2B2C2D2E2F";
const INITIALIZE_UPDATE: &str = "8050300008b13e5f938fc108c400";
const RESPONSE: &str = "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002";

/// The fleet's members with the SCP03 key set added to their `Secrets`.
fn with_scp03(members: &[Value]) -> Vec<Value> {
    members
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m["Secrets"]["Scp03"] = json!({"Kvn": 0x30, "Enc": K_ENC, "Mac": K_MAC, "Dek": K_DEK});
            m
        })
        .collect()
}

fn assert_no_scp03_key(what: &str, hay: &[u8]) {
    for k in [K_ENC, K_MAC, K_DEK] {
        let raw = hex::decode(k).unwrap();
        for needle in [k.as_bytes().to_vec(), k.to_lowercase().into_bytes(), raw] {
            assert!(
                !hay.windows(needle.len()).any(|w| w == needle.as_slice()),
                "{what} holds SCP03 key {k}"
            );
        }
    }
}

#[test]
fn scp03_keys_go_into_the_token_and_the_database_keeps_labels() {
    let dir = tmpdir("scp03-keys-hsm");
    let fleet = start_fleet(&dir, 1);
    let members = with_scp03(&members(&fleet));
    let eid = eid_of(&members[0]);
    let db = dir.join("db.sqlite");
    let keys = pkcs11_keys_arg();
    let server = start_server(&dir, &db, &smsc(&fleet), &["--keys", &keys]);
    register_all(api(&server), &members, 1);
    drop(server);

    let dump = sqlite_dump(&db);
    let record: Value = serde_json::from_str(
        dump.lines()
            .find(|l| l.starts_with("secrets|"))
            .and_then(|l| l.split('|').nth(3))
            .unwrap(),
    )
    .unwrap();
    let held = &record["Scp03"];
    let labels: Vec<String> = ["enc", "mac", "dek"]
        .iter()
        .map(|r| format!("{eid}/scp03/48/{r}"))
        .collect();
    assert_eq!(held["Labels"], json!(labels), "{record}");
    assert_eq!(held["Bits"], 128, "{record}");
    assert_no_scp03_key("the SQLite dump", dump.as_bytes());
    assert_no_scp03_key("the SQLite files", &sqlite_bytes(&db));
    assert_no_key("the SQLite dump", dump.as_bytes(), &members);

    // The token holds them, hidden, under the record's CKA_ID.
    let id = hex::decode(record["Id"].as_str().unwrap()).unwrap();
    let hsm = hsm_support::hsm();
    for l in &labels {
        let k = hsm.find_key(l, &id, CipherAlgorithm::Aes128).unwrap();
        assert!(hsm.value_is_hidden(&k).unwrap(), "{l} readable");
    }
    // Session keys derived inside the token from them give pySim's card
    // cryptogram.
    let key = |l: &str| HsmKey::by_label_id(l, &id, CipherAlgorithm::Aes128);
    let statics = StaticKeys::with_provider(&*hsm, key(&labels[0]), key(&labels[1])).unwrap();
    let (iu, rsp) = (
        hex::decode(INITIALIZE_UPDATE).unwrap(),
        hex::decode(RESPONSE).unwrap(),
    );
    let host: [u8; 8] = iu[5..13].try_into().unwrap();
    let card: [u8; 8] = rsp[13..21].try_into().unwrap();
    let s = Session::derive(&statics, &host, &card, SecurityLevel::parse(0x11).unwrap()).unwrap();
    assert_eq!(s.card_cryptogram(&host, &card).unwrap(), rsp[21..29]);
    drop(hsm);

    // The record's SCP03 labels are checked at start: the server starts,
    // and its eUICC is reached.
    let server = start_server(&dir, &db, &smsc(&fleet), &["--keys", &keys]);
    audit_all(api(&server), &members);
}

#[test]
fn scp03_keys_are_sealed_on_the_sealed_custody() {
    let dir = tmpdir("scp03-keys-sealed");
    let f = sealed_fleet(&dir, 1, with_scp03);
    assert_no_scp03_key("the SQLite files", &sqlite_bytes(&f.db));
    assert_no_scp03_key("the SQLite dump", sqlite_dump(&f.db).as_bytes());
}

/// A key set of keys of different lengths, or not AES, is refused and
/// nothing is registered.
#[test]
fn a_bad_scp03_key_set_is_refused() {
    let dir = tmpdir("scp03-keys-bad");
    // EIDs no other test registers on the shared token.
    let fleet = start_fleet_with(&dir, 1, &["--fleet-first", "9300"], &[]);
    let mut m = with_scp03(&members(&fleet)).remove(0);
    m["Secrets"]["Scp03"]["Dek"] = json!("00".repeat(24));
    let db = dir.join("db.sqlite");
    let server = start_server(&dir, &db, &smsc(&fleet), &["--keys", &pkcs11_keys_arg()]);
    let (status, v) = call(api(&server), EUM, "POST", "/es1/RegisterEIS", &m);
    assert_ne!(status, 200, "{v}");
    drop(server);
    let dump = sqlite_dump(&db);
    assert!(
        !dump.contains("secrets|"),
        "registered after a refusal: {dump}"
    );
    let prefix = format!("{}/", eid_of(&m));
    assert_eq!(hsm_support::keys_labelled(&prefix), vec![], "objects left");
}
