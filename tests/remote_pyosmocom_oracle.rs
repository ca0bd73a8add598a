//! `smsr::remote::expanded` against scripts built with pyosmocom's BER-TLV
//! codec (see tests/data/README.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use smsr::apdu::{CommandView, Response};
use smsr::remote::expanded::{c_apdu, command_script, executed_count, r_apdu, response_script};
use smsr::remote::{Coding, CommandItem, CommandScript, ResponseItem, ResponseScript};
use smsr::tlv::Encode;

fn hexes(v: &serde_json::Value) -> Vec<Vec<u8>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| hex::decode(h.as_str().unwrap()).unwrap())
        .collect()
}

fn h(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

#[test]
fn scripts_match_pyosmocom() {
    let o: serde_json::Value =
        serde_json::from_str(include_str!("data/pyosmocom_remote_scripts.json")).unwrap();
    let cases = o["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 12);
    let mut long_forms = 0;
    for (i, c) in cases.iter().enumerate() {
        let apdus = hexes(&c["c_apdus"]);
        let items: Vec<_> = apdus.iter().map(|a| c_apdu(&a[..])).collect();
        for (coding, key) in [
            (Coding::Definite, "command_definite"),
            (Coding::Indefinite, "command_indefinite"),
        ] {
            let want = h(&c[key]);
            let built = command_script(&items[..], coding);
            assert_eq!(built.encoded_len(), want.len(), "case {i} {key}");
            assert_eq!(built.to_vec().unwrap(), want, "case {i} {key}");
            let (s, rest) = CommandScript::parse(&want).unwrap();
            assert!(rest.is_empty());
            let parsed: Vec<&[u8]> = s
                .items()
                .map(|it| match it.unwrap() {
                    CommandItem::CApdu(a) => a,
                    other => panic!("{other:?}"),
                })
                .collect();
            assert_eq!(parsed, apdus.iter().map(Vec::as_slice).collect::<Vec<_>>());
            for a in &parsed {
                CommandView::parse(a).unwrap();
            }
            long_forms += usize::from(want[1] == 0x81 || want[1] == 0x82);
        }
        let rapdus = hexes(&c["r_apdus"]);
        let responses: Vec<_> = rapdus
            .iter()
            .map(|r| r_apdu(Response::parse(r).unwrap()))
            .collect();
        let n = u8::try_from(rapdus.len()).unwrap();
        let want = h(&c["response_definite"]);
        let built = response_script((executed_count(n), &responses[..]), Coding::Definite);
        assert_eq!(built.to_vec().unwrap(), want, "case {i} response");
        let (s, _) = ResponseScript::parse(&want).unwrap();
        assert_eq!(s.executed_count().unwrap(), Some(u32::from(n)));
        let want = h(&c["response_indefinite"]);
        let built = response_script(&responses[..], Coding::Indefinite);
        assert_eq!(
            built.to_vec().unwrap(),
            want,
            "case {i} response indefinite"
        );
        let (s, _) = ResponseScript::parse(&want).unwrap();
        assert_eq!(s.executed_count().unwrap(), None);
        let got: Vec<Vec<u8>> = s
            .items()
            .map(|it| match it.unwrap() {
                ResponseItem::RApdu(r) => r.to_vec().unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(got, rapdus);
    }
    assert!(long_forms > 4, "the cases exercise long-form lengths");
}
