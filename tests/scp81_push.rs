#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The HTTPS trigger push end to end against pySim (trigger TLV and SCP80
//! packet; see tests/data/scp81/README.md), and its SMS split.

use smsr::crypto::{CipherAlgorithm, Key};
use smsr::scp80::sms::{ConcatReference, segments};
use smsr::scp80::{Cntr, CommandHeader, KeySet, Kic, Kid, Spi, Tar};
use smsr::scp81::push::{PushFraming, wrap_push};
use smsr::scp81::trigger::{HttpPostParams, SecurityParams, SessionParams, TriggerParams};

fn oracle() -> serde_json::Value {
    serde_json::from_str(include_str!("data/scp81/push_pysim.json")).unwrap()
}

fn trigger() -> TriggerParams<'static> {
    TriggerParams {
        session: Some(SessionParams {
            security: Some(SecurityParams {
                psk_identity: b"smsr-psk-1",
                kvn: 0x40,
                kid: 0x01,
                extra: &[],
            }),
            http_post: Some(HttpPostParams {
                host: Some("smsr.example"),
                agent_id: None,
                uri: Some("/gp/adm"),
            }),
            ..SessionParams::default()
        }),
        dns: None,
    }
}

#[test]
fn trigger_tlv_matches_pysim() {
    let v = oracle();
    let expect = hex::decode(v["trigger_tlv"].as_str().unwrap()).unwrap();
    let t = trigger();
    let mut out = vec![0u8; t.buffer_len()];
    t.emit(&mut out).unwrap();
    assert_eq!(out, expect);
    assert_eq!(TriggerParams::parse(&expect).unwrap(), t);
}

#[test]
fn secured_push_matches_pysim_byte_for_byte() {
    let v = oracle();
    for case in v["cases"].as_array().unwrap() {
        let key_bytes = hex::decode(case["key"].as_str().unwrap()).unwrap();
        let (algo, kic, kid, spi) = match case["algo"].as_str().unwrap() {
            "aes_cbc" => (CipherAlgorithm::Aes128, 0x12, 0x12, [0x16, 0x39]),
            "triple_des_cbc2" => (CipherAlgorithm::Tdes2, 0x15, 0x15, [0x16, 0x00]),
            other => panic!("{other}"),
        };
        let key = Key::new(algo, &key_bytes).unwrap();
        let keys = KeySet::new().with_kic(&key).with_kid(&key);
        let header = CommandHeader {
            spi: Spi(spi),
            kic: Kic(kic),
            kid: Kid(kid),
            tar: Tar([0x00, 0x00, 0x01]),
            cntr: Cntr([0, 0, 0, 0x01, 0x02]),
        };
        let mut packet = [0u8; 256];
        let n = wrap_push(&trigger(), PushFraming::Raw, &header, &keys, &mut packet).unwrap();
        assert_eq!(
            hex::encode(&packet[..n]),
            case["packet"].as_str().unwrap(),
            "{}",
            case["name"]
        );
        // Fits one SMS: TP-UD = 02 70 00 ‖ packet.
        let segs: Vec<_> = segments(&packet[..n], ConcatReference::Ref8(1))
            .unwrap()
            .collect();
        assert_eq!(segs.len(), 1);
        assert_eq!(&segs[0][..3], &[0x02, 0x70, 0x00]);
        assert_eq!(&segs[0][3..], &packet[..n]);
    }
}
