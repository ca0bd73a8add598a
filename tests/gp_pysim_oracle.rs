//! `smsr::apdu::gp` builders against APDUs produced by osmocom pySim
//! (597f1e0) — see tests/data/README.md for how they were produced.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use smsr::apdu::StatusWord;
use smsr::apdu::gp::{
    Delete, GetStatus, InstallForInstall, InstallForPersonalization, StoreData, StoreDataP1,
};
use smsr::tlv::Encode;

fn oracle() -> serde_json::Value {
    serde_json::from_str(include_str!("data/pysim_gp_apdus.json")).unwrap()
}

fn hexes(v: &serde_json::Value) -> Vec<Vec<u8>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| hex::decode(h.as_str().unwrap()).unwrap())
        .collect()
}

#[test]
fn store_data_all_p1_combinations() {
    let o = oracle();
    let data = hex::decode(o["store_data_300"]["data_hex"].as_str().unwrap()).unwrap();
    let cases = o["store_data_300"]["apdus"].as_object().unwrap();
    assert_eq!(cases.len(), 18);
    for (key, apdus) in cases {
        let parts: Vec<&str> = key.split('/').collect();
        let structure = match parts[0] {
            "none" => StoreDataP1::NONE,
            "dgi" => StoreDataP1::DGI,
            "ber_tlv" => StoreDataP1::BER_TLV,
            other => panic!("{other}"),
        };
        let encryption = match parts[1] {
            "none" => StoreDataP1::NONE,
            "application_dependent" => StoreDataP1::ENCRYPTION_APPLICATION_DEPENDENT,
            "encrypted" => StoreDataP1::ENCRYPTED,
            other => panic!("{other}"),
        };
        let response = if parts[2] == "True" {
            StoreDataP1::RESPONSE_EXPECTED
        } else {
            StoreDataP1::NONE
        };
        // pySim appends Le 00 to every STORE DATA.
        let ours: Vec<Vec<u8>> = StoreData::new(structure | encryption | response, &data)
            .with_le(true)
            .blocks()
            .unwrap()
            .map(|c| c.to_vec().unwrap())
            .collect();
        assert_eq!(ours, hexes(apdus), "{key}");
    }
}

#[test]
fn get_status_with_more_data() {
    let o = oracle();
    let want = hexes(&o["get_status_applications_6310"]);
    let aid = hex::decode("A0000005591010FFFFFFFF8900001000").unwrap();
    let tags = [0x4F, 0x9F, 0x70, 0xC5, 0xCC];
    let first = GetStatus::new(GetStatus::APPLICATIONS)
        .aid(&aid)
        .tag_list(&tags);
    let next = first.next_occurrence(StatusWord::MORE_DATA).unwrap();
    assert_eq!(first.command().unwrap().to_vec().unwrap(), want[0]);
    assert_eq!(next.command().unwrap().to_vec().unwrap(), want[1]);
    let isd = GetStatus::new(GetStatus::ISSUER_SECURITY_DOMAIN).tag_list(&tags);
    assert_eq!(
        isd.command().unwrap().to_vec().unwrap(),
        hexes(&o["get_status_isd"])[0]
    );
}

#[test]
fn install_and_delete() {
    let o = oracle();
    let isdp = hex::decode("A0000005591010FFFFFFFF8900001000").unwrap();
    assert_eq!(
        InstallForPersonalization::new(&isdp)
            .with_le(true)
            .command()
            .unwrap()
            .to_vec()
            .unwrap(),
        hexes(&o["install_for_personalization"])[0]
    );
    // The SGP.02 CreateISDP shape (equal to whty's vector plus Le).
    let elf = hex::decode("A0000005591010FFFFFFFF8900000D00").unwrap();
    let module = hex::decode("A0000005591010FFFFFFFF8900000E00").unwrap();
    let app = hex::decode("A0000005591010FFFFFFFF8900001300").unwrap();
    let cmd = InstallForInstall::new(&elf, &module, &app)
        .privileges(&[0x80, 0xC0, 0x00])
        .parameters(&[0xC9, 0x04, 0x81, 0x02, 0x03, 0x70])
        .make_selectable(true)
        .with_le(true)
        .command()
        .unwrap();
    assert_eq!(
        cmd.to_vec().unwrap(),
        hexes(&o["install_for_install_selectable"])[0]
    );
    for (key, related) in [
        ("delete_related_False", false),
        ("delete_related_True", true),
    ] {
        let d = if related {
            Delete::object_and_related(&isdp)
        } else {
            Delete::object(&isdp)
        };
        assert_eq!(
            d.command().unwrap().to_vec().unwrap(),
            hexes(&o[key])[0],
            "{key}"
        );
    }
}
