#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The crypto provider seam (`smsr::crypto::provider`): the SCP80
//! known-answer vectors of `tests/data/scp80_vectors.json` (pySim,
//! gsm0348 and real-card PoRs; provenance in `tests/data/README.md`)
//! pass byte-exact through the handle-only test provider of
//! `tests/common/vault.rs` (keys are opaque handles into a vault only the
//! provider reads; it counts every call):
//! the SCP80 code holds handles, never key octets. A provider that fails
//! fails the operation with the provider's error and no fallback.

#[path = "common/vault.rs"]
mod vault;

use serde_json::Value;
use smsr::crypto::provider::{Failure, Operation};
use smsr::crypto::{self, CipherAlgorithm, Key, Provider};
use smsr::scp80::{
    Cntr, CommandHeader, CommandPacket, Error, Framing, KeySet, Kic, Kid, PorStatus, Spi, Tar,
    command, response,
};
use vault::Vault as Counting;

fn vectors() -> Value {
    serde_json::from_str(include_str!("data/scp80_vectors.json")).unwrap()
}

fn h(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn key(algo: &str, bytes: &[u8]) -> Option<Key> {
    match algo {
        "des" => Key::new(CipherAlgorithm::Des, bytes).ok(),
        "3des2" => Key::new(CipherAlgorithm::Tdes2, bytes).ok(),
        "3des3" => Key::new(CipherAlgorithm::Tdes3, bytes).ok(),
        "aes" => Key::aes(bytes).ok(),
        _ => None,
    }
}

/// The vector's keys imported into `p`; the key set gets handles only.
fn keyset<'p>(p: &'p Counting, v: &Value) -> KeySet<&'p Counting> {
    let algo = v["algo"].as_str().unwrap();
    let kid_algo = v.get("kid_algo").and_then(Value::as_str).unwrap_or(algo);
    let mut ks = KeySet::with_provider(p);
    if let Some(k) = key(algo, &h(&v["kic_key"])) {
        ks = ks.with_kic_handle(p.import(&k).unwrap());
    }
    if let Some(k) = key(kid_algo, &h(&v["kid_key"])) {
        ks = ks.with_kid_handle(p.import(&k).unwrap());
    }
    if v.get("cc_len").and_then(Value::as_u64) == Some(4) {
        ks = ks.with_aes_cc_len_4();
    }
    ks
}

fn cntr(v: &Value) -> Cntr {
    Cntr(h(v).try_into().unwrap())
}

#[test]
fn command_vectors_through_handles() {
    let p = Counting::default();
    let v = vectors();
    let cmds = v["commands"].as_array().unwrap();
    assert!(cmds.len() > 600, "{}", cmds.len());
    let (mut ciphered, mut with_cc) = (0, 0);
    for c in cmds {
        let name = c["name"].as_str().unwrap();
        let packet = h(&c["packet"]);
        let payload = h(&c["payload"]);
        let keys = keyset(&p, c);
        let view = CommandPacket::new_checked(&packet[..], Framing::SmsPp).unwrap();
        let header = CommandHeader {
            spi: view.spi(),
            kic: view.kic(),
            kid: view.kid(),
            tar: view.tar(),
            cntr: cntr(&c["cntr"]),
        };
        let before = (p.encrypts.get(), p.decrypts.get(), p.macs.get());
        let mut out = vec![0u8; 600];
        let n = command::wrap(Framing::SmsPp, &header, &payload, &keys, &mut out)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex::encode(&out[..n]), hex::encode(&packet), "wrap {name}");
        let stored = Cntr::from_u64(header.cntr.to_u64().saturating_sub(1)).unwrap();
        let mut buf = packet.clone();
        match command::unwrap(Framing::SmsPp, &mut buf, &keys, stored) {
            Ok(got) => assert_eq!(got.payload, &payload[..], "unwrap {name}"),
            Err(Error::Counter(s)) => assert_eq!(s, PorStatus::CNTR_LOW, "{name}"),
            Err(e) => panic!("unwrap {name}: {e}"),
        }
        // Every ciphered packet went through the provider once each way,
        // every CC twice (wrap and verify): the KIc / KID were handles.
        let cc = header.spi.integrity() == smsr::scp80::Integrity::Cc;
        let ciph = header.spi.ciphered();
        assert_eq!(
            (p.encrypts.get(), p.decrypts.get(), p.macs.get()),
            (
                before.0 + usize::from(ciph),
                before.1 + usize::from(ciph),
                before.2 + 2 * usize::from(cc)
            ),
            "{name}"
        );
        ciphered += usize::from(ciph);
        with_cc += usize::from(cc);
    }
    assert!(ciphered > 100 && with_cc > 100, "{ciphered} {with_cc}");
}

#[test]
fn por_vectors_through_handles() {
    let p = Counting::default();
    let v = vectors();
    for r in v["responses"].as_array().unwrap() {
        let name = r["name"].as_str().unwrap();
        let keys = keyset(&p, r);
        let header = CommandHeader {
            spi: Spi(h(&r["spi"]).try_into().unwrap()),
            kic: Kic(h(&r["kic"])[0]),
            kid: Kid(h(&r["kid"])[0]),
            tar: Tar(h(&r["tar"]).try_into().unwrap()),
            cntr: cntr(&r["cntr"]),
        };
        let mut buf = h(&r["resp"]);
        let por = response::verify_sms(&header, &keys, &mut buf)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(hex::encode(por.data), r["data"].as_str().unwrap(), "{name}");
    }
    assert!(
        p.macs.get() > 0,
        "no PoR checksum went through the provider"
    );
    for r in v["bad_responses"].as_array().unwrap() {
        let keys = keyset(&p, r);
        let header = CommandHeader {
            spi: Spi(h(&r["spi"]).try_into().unwrap()),
            kic: Kic(h(&r["kic"])[0]),
            kid: Kid(h(&r["kid"])[0]),
            tar: Tar([0xB0, 0x00, 0x11]),
            cntr: Cntr::default(),
        };
        let mut buf = h(&r["resp"]);
        assert_eq!(
            response::verify_sms(&header, &keys, &mut buf).unwrap_err(),
            Error::ChecksumFailed
        );
    }
}

/// A provider that goes away mid-batch fails each operation with its
/// own error (never a packet without its CC, never another key); when it
/// returns, the same key set works again.
#[test]
fn a_failing_provider_fails_the_operation() {
    let p = Counting::default();
    let keys = KeySet::with_provider(&p)
        .with_kic_handle(p.import(&Key::aes(&[0x11; 16]).unwrap()).unwrap())
        .with_kid_handle(p.import(&Key::aes(&[0x22; 16]).unwrap()).unwrap());
    let header = CommandHeader {
        spi: Spi([0x16, 0x39]),
        kic: Kic(0x12),
        kid: Kid(0x12),
        tar: Tar([0, 0, 1]),
        cntr: Cntr::from_u64(1).unwrap(),
    };
    let mut out = [0u8; 64];
    let mut sent = Vec::new();
    for i in 0..6 {
        p.down.set(i == 3);
        let got = command::wrap(Framing::SmsPp, &header, b"payload", &keys, &mut out);
        if i == 3 {
            assert_eq!(
                got,
                Err(Error::Crypto(crypto::Error::Provider {
                    operation: Operation::Mac,
                    failure: Failure::Unavailable,
                    code: 0xB3
                }))
            );
        } else {
            sent.push(out[..got.unwrap()].to_vec());
        }
    }
    assert_eq!(sent.len(), 5);
    assert!(sent.windows(2).all(|w| w[0] == w[1]));
    // The same packet from in-memory keys: the handles did the same work.
    let soft = KeySet::new()
        .with_kic(&Key::aes(&[0x11; 16]).unwrap())
        .with_kid(&Key::aes(&[0x22; 16]).unwrap());
    let n = command::wrap(Framing::SmsPp, &header, b"payload", &soft, &mut out).unwrap();
    assert_eq!(sent[0], out[..n]);
    // Unwrap with the provider down: the deciphering fails cleanly.
    p.down.set(true);
    let mut buf = sent[0].clone();
    let calls = p.calls();
    assert!(matches!(
        command::unwrap(Framing::SmsPp, &mut buf, &keys, Cntr::default()),
        Err(Error::Crypto(crypto::Error::Provider {
            operation: Operation::Decrypt,
            ..
        }))
    ));
    assert_eq!(p.calls(), calls + 1);
    p.down.set(false);
    let mut buf = sent[0].clone();
    let got = command::unwrap(Framing::SmsPp, &mut buf, &keys, Cntr::default()).unwrap();
    assert_eq!(got.payload, b"payload");
}
