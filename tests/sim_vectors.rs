#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
#![cfg(feature = "sim")]
//! The simulator against public vectors:
//! * real-card PoRs (sysmoISIM-SJA5, osmocom/pysim
//!   @597f1e0398bb81d6832dc92ee4dfdcada59d3d82 tests/unittests/test_ota.py,
//!   transcribed in tests/data/scp80_vectors.json): the simulator, given
//!   the same command packets and an RFM applet answering SELECT MF with
//!   `6132` as that card did, sends byte for byte the same TP-UD;
//! * the whty CreateISDP APDU and notification confirmation APDU
//!   (/work/notes/sgp02-findings.md: whty HexTest id 42197888474,
//!   ReceiveNotificationBySmsHandler id 42353630657) run through SCP80;
//! * the fleet's EIS as an EUM registers it.

mod sim_support;

use serde_json::Value;
use sim_support::Server;
use smsr::apdu::{CommandView, StatusWord};
use smsr::crypto::{CipherAlgorithm, Key};
use smsr::isdr::{Aid, response};
use smsr::scp80::{PorStatus, Tar};
use smsr::sim::{Applet, Euicc, EuiccConfig, MinimumSecurityLevel, Scp80KeySet, fleet};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/scp80_vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn h(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

/// The USIM RFM applet of the SJA5 as far as these vectors go: SELECT of
/// the MF answers `61 32` (FCP of 0x32 octets available).
struct RfmSelect;

impl Applet for RfmSelect {
    fn process(&mut self, apdu: &CommandView<'_>) -> (Vec<u8>, StatusWord) {
        match (apdu.ins(), apdu.data()) {
            (0xA4, [0x3F, 0x00]) => (Vec::new(), StatusWord(0x6132)),
            _ => (Vec::new(), StatusWord::INS_NOT_SUPPORTED),
        }
    }
}

#[test]
fn real_card_pors_byte_exact() {
    let v = vectors();
    let commands = v["commands"].as_array().unwrap();
    let mut matched = 0;
    for r in v["responses"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        if !name.contains("SJA5") {
            continue;
        }
        // The command with the same name: its packet is what the card got.
        let c = commands.iter().find(|c| c["name"] == r["name"]).unwrap();
        let algo = match r["algo"].as_str().unwrap() {
            "aes" => CipherAlgorithm::Aes128,
            _ => CipherAlgorithm::Tdes2,
        };
        let kic = h(&r["kic"])[0];
        let mut cfg = fleet::member(1, 0).unwrap();
        cfg.scp80 = vec![Scp80KeySet {
            kvn: kic >> 4,
            kic: Key::new(algo, &h(&r["kic_key"])).unwrap(),
            kid: Key::new(algo, &h(&r["kid_key"])).unwrap(),
        }];
        let mut sim = Euicc::new(cfg, 0);
        sim.add_applet(
            Tar([0xB0, 0x00, 0x11]),
            MinimumSecurityLevel::NONE,
            Box::new(RfmSelect),
        );
        let mut tp_ud = vec![0x02, 0x70, 0x00];
        tp_ud.extend_from_slice(&h(&c["packet"]));
        sim.receive(&tp_ud, 0).unwrap();
        let out = sim.take_outgoing(0);
        assert_eq!(out.len(), 1, "{name}");
        assert_eq!(
            hex::encode(&out[0].tp_ud),
            r["resp"].as_str().unwrap(),
            "{name}"
        );
        matched += 1;
    }
    assert_eq!(matched, 4);
}

#[test]
fn whty_create_isdp_and_confirmation_bytes() {
    let cfg: EuiccConfig = fleet::member(2, 0).unwrap();
    let mut server = Server::new(&cfg);
    let mut sim = Euicc::new(cfg, 0);
    let create = hex::decode("80E60C003F10A0000005591010FFFFFFFF8900000D0010A0000005591010FFFFFFFF8900000E0010A0000005591010FFFFFFFF89000013000380C00006C9048102037000").unwrap();
    let ex = server.run(&mut sim, &[&create]);
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    let aid = Aid::new(&hex::decode("A0000005591010FFFFFFFF8900001300").unwrap()).unwrap();
    let p = sim.card().profile(&aid).unwrap();
    assert_eq!(
        (p.life_cycle, p.privileges.as_slice()),
        (0x07, &[0x80, 0xC0, 0x00][..])
    );

    // A notification to confirm: load the profile and enable it.
    let perso = smsr::isdr::es5::install_for_personalization(&aid).unwrap();
    let pkg = sim_support::profile_header([0x98; 10], None);
    let store = hex::decode(format!("80E29000{:02X}{}", pkg.len(), hex::encode(&pkg))).unwrap();
    let enable = smsr::isdr::es5::enable_profile(&aid).unwrap();
    let ex = server.run(&mut sim, &[perso.as_bytes(), &store]);
    assert_eq!(
        ex.rapdus.iter().map(|r| r.1).collect::<Vec<_>>(),
        [StatusWord::SUCCESS; 2]
    );
    // In the same script as INSTALL [for personalization] a STORE DATA
    // still goes to the ISD-P, so the enable comes in a script of its own.
    let ex = server.run(&mut sim, &[enable.as_bytes()]);
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    let seq = ex.notifications[0].sequence_number;
    // whty: "80E28900073A08044E02" + seq + "00".
    let confirm = hex::decode(format!("80E28900073A08044E02{seq:04X}00")).unwrap();
    let ex = server.run(&mut sim, &[&confirm]);
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    assert_eq!(ex.rapdus[0].0, [0x80, 0x00]);
    assert_eq!(
        response::notification_confirmation(&ex.rapdu(0))
            .unwrap()
            .count(),
        0
    );
    assert!(sim.card().pending.is_empty());
}

#[test]
fn fleet_eis_as_registered_drives_the_simulator() {
    let configs = fleet::fleet(2026, 4).unwrap();
    for cfg in configs {
        let eis = fleet::eis(&cfg, "EUM-SIM", "SMSR-1");
        eis.check_invariants().unwrap();
        assert_eq!(eis.eid(), cfg.eid);
        assert!(eis.eid().verify().is_ok());
        // The SM-SR takes the keys from the EIS (as registered over ES1)
        // and reaches the eUICC with them.
        let ks = eis
            .isd_r
            .key_sets
            .iter()
            .find(|k| k.key_set_type == Some(smsr::inventory::KeySetType::Scp80))
            .unwrap();
        let kic = Key::aes(
            ks.keys
                .iter()
                .find(|k| k.index == 1)
                .unwrap()
                .value
                .expose(),
        )
        .unwrap();
        let kid = Key::aes(
            ks.keys
                .iter()
                .find(|k| k.index == 2)
                .unwrap()
                .value
                .expose(),
        )
        .unwrap();
        let mut server = Server::new(&cfg);
        server.keys = smsr::scp80::KeySet::new().with_kic(&kic).with_kid(&kid);
        let mut sim = Euicc::new(cfg, 0);
        let ex = server.run(
            &mut sim,
            &[smsr::isdr::es5::audit_card_resources().unwrap().as_bytes()],
        );
        assert_eq!(ex.status, Some(PorStatus::OK));
        assert_eq!(ex.sw(0), StatusWord::SUCCESS);
        let psk = eis
            .isd_r
            .key_sets
            .iter()
            .find(|k| k.key_set_type == Some(smsr::inventory::KeySetType::Scp81))
            .unwrap();
        assert_eq!(psk.version, 0x40);
        assert_eq!(
            psk.keys[0].value.expose(),
            sim.psk(0x40, 0x01).unwrap().dangerous_value()
        );
    }
}

/// The notification SMS recorded in whty's code (sgp02-findings: ids
/// 42050713693 / 42059202836 for the SMS, 42032072547 for the `E1` test
/// vector): after CreateISDP `…1300`, download and enable, the eUICC with
/// EID 89001012012341234012345678901224 and IMEI 1122334455667788 sends
/// `02 70 00 | 00 4D 15 02 00 10 12 00 00 01 00 00 00 00 00 00 <CC 8> |
/// E1 35 4C10 <EID> 4D01 02 4E02 0000 4F10 <AID> 1408 <IMEI>`. The CC is
/// over the recorder's unknown keys, so it is checked with ours.
#[test]
fn whty_recorded_notification_sms() {
    let mut cfg = fleet::member(3, 0).unwrap();
    cfg.eid = smsr::isdr::Eid::parse_digits("89001012012341234012345678901224").unwrap();
    cfg.imei = Some([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]);
    let mut server = Server::new(&cfg);
    let mut sim = Euicc::new(cfg, 0);
    let create = hex::decode("80E60C003F10A0000005591010FFFFFFFF8900000D0010A0000005591010FFFFFFFF8900000E0010A0000005591010FFFFFFFF89000013000380C00006C9048102037000").unwrap();
    let aid = Aid::new(&hex::decode("A0000005591010FFFFFFFF8900001300").unwrap()).unwrap();
    let perso = smsr::isdr::es5::install_for_personalization(&aid).unwrap();
    let pkg = sim_support::profile_header([0x98; 10], None);
    let store = hex::decode(format!("80E29000{:02X}{}", pkg.len(), hex::encode(&pkg))).unwrap();
    server.run(&mut sim, &[&create, perso.as_bytes(), &store]);
    let enable = smsr::isdr::es5::enable_profile(&aid).unwrap();
    let header = server.header();
    let script = Server::script_bytes(&[enable.as_bytes()], smsr::remote::Coding::Definite);
    for s in server.segments(&header, &script) {
        sim.receive(&s, 0).unwrap();
    }
    let out = sim.take_outgoing(0);
    let n: Vec<_> = out
        .iter()
        .filter(|o| matches!(o.kind, smsr::sim::OutgoingKind::Notification(_)))
        .collect();
    assert_eq!(n.len(), 1);
    let sms = hex::encode_upper(&n[0].tp_ud);
    assert_eq!(
        &sms[..38],
        "027000004D15020010120000010000000000".to_owned() + "00"
    );
    assert_eq!(
        &sms[54..],
        "E1354C10890010120123412340123456789012244D01024E0200004F10A0000005591010FFFFFFFF890000130014081122334455667788"
    );
    // And the SM-SR verifies its CC with the ISD-R keys.
    let parsed = server.notification(&n[0].tp_ud);
    assert_eq!(parsed.sequence_number, 0);
}
