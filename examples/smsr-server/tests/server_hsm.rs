#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The PKCS#11 provider (`hsm.rs`) against a real SoftHSM2 token, which
//! `.ci/softhsm.sh` installs and initialises (`source .ci/softhsm.sh`):
//! SCP80 wrap / unwrap / PoR through the HSM give the bytes of the
//! known-answer vectors (`tests/data/scp80_vectors.json`: pySim, gsm0348
//! and real-card PoRs) and of the in-memory provider; imported keys cannot
//! be read back; an HSM that goes away fails operations cleanly and works
//! again after re-login. The wrap rate through SoftHSM2 versus in memory is
//! the bench `benches/hsm_wrap.rs`.

// The token clean-up and the SCP03 key import are server_hsm_cleanup.rs's.
#[allow(dead_code)]
#[path = "../hsm.rs"]
mod hsm;
mod hsm_support;

use hsm::{Hsm, HsmKey, PinSource, key_label};
use hsm_support::hsm;
use serde_json::Value;
use smsr::crypto::provider::{Failure, Operation};
use smsr::crypto::{self, CipherAlgorithm, Key, Provider};
use smsr::scp80::{
    Cntr, CommandHeader, CommandPacket, Error, Framing, KeySet, Kic, Kid, PorStatus, Spi, Tar,
    command, response,
};
use std::collections::HashMap;

fn vectors() -> Value {
    serde_json::from_str(include_str!("../../../tests/data/scp80_vectors.json")).unwrap()
}

fn h(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap()).unwrap()
}

fn key(algo: &str, bytes: &[u8]) -> Option<Key> {
    match algo {
        "3des2" => Key::new(CipherAlgorithm::Tdes2, bytes).ok(),
        "3des3" => Key::new(CipherAlgorithm::Tdes3, bytes).ok(),
        "aes" => Key::aes(bytes).ok(),
        _ => None,
    }
}

/// Imports each distinct key once (session objects).
#[derive(Default)]
struct Imported(HashMap<(String, Vec<u8>), HsmKey>);

impl Imported {
    fn get(&mut self, hsm: &Hsm, algo: &str, bytes: &[u8]) -> Option<HsmKey> {
        let k = key(algo, bytes)?;
        Some(
            self.0
                .entry((algo.into(), bytes.to_vec()))
                .or_insert_with(|| hsm.import(&k).unwrap())
                .clone(),
        )
    }
}

/// The vector's key sets through the HSM and in memory, or `None` for a
/// vector with single DES keys (refused by the HSM provider).
fn keysets<'h>(hsm: &'h Hsm, cache: &mut Imported, v: &Value) -> Option<(KeySet<&'h Hsm>, KeySet)> {
    let algo = v["algo"].as_str().unwrap();
    let kid_algo = v.get("kid_algo").and_then(Value::as_str).unwrap_or(algo);
    if algo == "des" || kid_algo == "des" {
        return None;
    }
    let (kic, kid) = (h(&v["kic_key"]), h(&v["kid_key"]));
    let mut ks = KeySet::with_provider(hsm);
    let mut mem = KeySet::new();
    if let Some(k) = cache.get(hsm, algo, &kic) {
        ks = ks.with_kic_handle(k);
        mem = mem.with_kic(&key(algo, &kic).unwrap());
    }
    if let Some(k) = cache.get(hsm, kid_algo, &kid) {
        ks = ks.with_kid_handle(k);
        mem = mem.with_kid(&key(kid_algo, &kid).unwrap());
    }
    if v.get("cc_len").and_then(Value::as_u64) == Some(4) {
        ks = ks.with_aes_cc_len_4();
        mem = mem.with_aes_cc_len_4();
    }
    Some((ks, mem))
}

#[test]
fn scp80_wrap_unwrap_and_por_through_the_hsm() {
    let hsm = hsm();
    let mut cache = Imported::default();
    let v = vectors();
    let mut done = 0;
    for c in v["commands"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let Some((keys, mem)) = keysets(&hsm, &mut cache, c) else {
            continue;
        };
        let packet = h(&c["packet"]);
        let payload = h(&c["payload"]);
        let view = CommandPacket::new_checked(&packet[..], Framing::SmsPp).unwrap();
        let header = CommandHeader {
            spi: view.spi(),
            kic: view.kic(),
            kid: view.kid(),
            tar: view.tar(),
            cntr: Cntr(h(&c["cntr"]).try_into().unwrap()),
        };
        let mut out = vec![0u8; 600];
        let n = command::wrap(Framing::SmsPp, &header, &payload, &keys, &mut out)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            hex::encode(&out[..n]),
            hex::encode(&packet),
            "HSM wrap {name}"
        );
        let mut mine = vec![0u8; 600];
        let m = command::wrap(Framing::SmsPp, &header, &payload, &mem, &mut mine).unwrap();
        assert_eq!(out[..n], mine[..m], "HSM vs memory {name}");
        let stored = Cntr::from_u64(header.cntr.to_u64().saturating_sub(1)).unwrap();
        let mut buf = packet.clone();
        match command::unwrap(Framing::SmsPp, &mut buf, &keys, stored) {
            Ok(got) => assert_eq!(got.payload, &payload[..], "HSM unwrap {name}"),
            Err(Error::Counter(s)) => assert_eq!(s, PorStatus::CNTR_LOW, "{name}"),
            Err(e) => panic!("HSM unwrap {name}: {e}"),
        }
        done += 1;
    }
    assert!(done > 400, "{done} command vectors through the HSM");
    let mut pors = 0;
    for r in v["responses"].as_array().unwrap() {
        let Some((keys, _)) = keysets(&hsm, &mut cache, r) else {
            continue;
        };
        let header = CommandHeader {
            spi: Spi(h(&r["spi"]).try_into().unwrap()),
            kic: Kic(h(&r["kic"])[0]),
            kid: Kid(h(&r["kid"])[0]),
            tar: Tar(h(&r["tar"]).try_into().unwrap()),
            cntr: Cntr(h(&r["cntr"]).try_into().unwrap()),
        };
        let mut buf = h(&r["resp"]);
        let por = response::verify_sms(&header, &keys, &mut buf).unwrap();
        assert_eq!(hex::encode(por.data), r["data"].as_str().unwrap());
        pors += 1;
    }
    assert!(pors >= 10, "{pors} PoRs through the HSM");
    let mut refused = 0;
    for r in v["bad_responses"].as_array().unwrap() {
        let Some((keys, _)) = keysets(&hsm, &mut cache, r) else {
            continue;
        };
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
        refused += 1;
    }
    assert!(refused > 0, "no tampered PoR through the HSM");
}

fn aes_header() -> CommandHeader {
    CommandHeader {
        spi: Spi([0x16, 0x39]),
        kic: Kic(0x12),
        kid: Kid(0x12),
        tar: Tar([0, 0, 1]),
        cntr: Cntr::from_u64(7).unwrap(),
    }
}

#[test]
fn imported_keys_cannot_be_read_back() {
    let hsm = hsm();
    let eid = "89049032000000000000000000000123";
    let label = key_label(eid, "scp80", 1, "kic");
    let k = hsm
        .import_key(&label, b"id-1", &Key::aes(&[0x5A; 16]).unwrap())
        .unwrap();
    assert!(
        hsm.value_is_hidden(&k).unwrap(),
        "CKA_VALUE of {label} was readable"
    );
    let again = hsm
        .find_key(&label, b"id-1", CipherAlgorithm::Aes128)
        .unwrap();
    assert_eq!(again, k);
    assert_eq!(again.algorithm(), CipherAlgorithm::Aes128);
    assert!(hsm.value_is_hidden(&again).unwrap());
    let t = hsm
        .import_key(
            &key_label(eid, "scp80", 1, "kid"),
            b"id-1",
            &Key::new(CipherAlgorithm::Tdes2, &[0x33; 16]).unwrap(),
        )
        .unwrap();
    assert!(hsm.value_is_hidden(&t).unwrap());
    assert_eq!(
        hsm.import_key(
            "x/des",
            b"id-1",
            &Key::new(CipherAlgorithm::Des, &[1; 8]).unwrap()
        ),
        Err(crypto::Error::Provider {
            operation: Operation::Import,
            failure: Failure::NotAllowed,
            code: 0x63
        })
    );
    assert!(matches!(
        hsm.find_key("no/such/key", b"id-1", CipherAlgorithm::Aes128),
        Err(crypto::Error::Provider {
            failure: Failure::NotFound,
            ..
        })
    ));
}

/// After a re-login the cache of handles is empty: a key is found again by
/// one sweep over the token's secret keys, by label, `CKA_ID` and key
/// type; a label and id two objects share, or the wrong key type, is not
/// found, as a search by template would not find it.
#[test]
fn keys_are_found_again_by_label_id_and_type_after_relogin() {
    let hsm = hsm();
    let base = format!("sweep/{}", std::process::id());
    let kic = format!("{base}/scp80/1/kic");
    let k = hsm
        .import_key(&kic, b"sw-1", &Key::aes(&[0x42; 16]).unwrap())
        .unwrap();
    let dup = format!("{base}/dup");
    for byte in [1, 2] {
        hsm.import_key(&dup, b"dup", &Key::aes(&[byte; 16]).unwrap())
            .unwrap();
    }
    let mut before = [0x5Au8; 32];
    hsm.encrypt_cbc(&k, &mut before).unwrap();
    hsm.relogin().unwrap();
    let again = hsm
        .find_key(&kic, b"sw-1", CipherAlgorithm::Aes128)
        .unwrap();
    let mut after = [0x5Au8; 32];
    hsm.encrypt_cbc(&again, &mut after).unwrap();
    assert_eq!(before, after, "another object answered after the sweep");
    let not_found = |r: Result<HsmKey, crypto::Error>| {
        matches!(
            r,
            Err(crypto::Error::Provider {
                operation: Operation::Lookup,
                failure: Failure::NotFound,
                ..
            })
        )
    };
    assert!(not_found(hsm.find_key(
        &dup,
        b"dup",
        CipherAlgorithm::Aes128
    )));
    assert!(not_found(hsm.find_key(
        &kic,
        b"sw-1",
        CipherAlgorithm::Tdes2
    )));
    assert!(not_found(hsm.find_key(
        &kic,
        b"sw-2",
        CipherAlgorithm::Aes128
    )));
}

/// Logged out mid-batch, every wrap fails with the HSM's error (no
/// packet leaves without its CC, nothing is ciphered in memory); after
/// re-login the same key set and handles work again, byte-identical.
#[test]
fn an_hsm_that_goes_away_fails_cleanly_and_comes_back() {
    let hsm = hsm();
    let kic = hsm
        .import_key("test/scp80/2/kic", b"id-2", &Key::aes(&[0x11; 16]).unwrap())
        .unwrap();
    let kid = hsm
        .import_key("test/scp80/2/kid", b"id-2", &Key::aes(&[0x22; 16]).unwrap())
        .unwrap();
    let keys = KeySet::with_provider(&*hsm)
        .with_kic_handle(kic)
        .with_kid_handle(kid);
    let mem = KeySet::new()
        .with_kic(&Key::aes(&[0x11; 16]).unwrap())
        .with_kid(&Key::aes(&[0x22; 16]).unwrap());
    let header = aes_header();
    let session_key = hsm.import(&Key::aes(&[0x44; 16]).unwrap()).unwrap();
    assert!(hsm.mac(&session_key, &[b"x"]).is_ok());
    let mut want = [0u8; 64];
    let n = command::wrap(Framing::SmsPp, &header, b"batch", &mem, &mut want).unwrap();
    let mut out = [0u8; 64];
    assert_eq!(
        command::wrap(Framing::SmsPp, &header, b"batch", &keys, &mut out),
        Ok(n)
    );
    assert_eq!(out[..n], want[..n]);
    hsm.logout().unwrap();
    for _ in 0..3 {
        let e = command::wrap(Framing::SmsPp, &header, b"batch", &keys, &mut out).unwrap_err();
        assert!(
            matches!(
                e,
                Error::Crypto(crypto::Error::Provider {
                    operation: Operation::Mac,
                    failure: Failure::Unavailable | Failure::NotFound,
                    ..
                })
            ),
            "{e:?}"
        );
        let mut buf = want[..n].to_vec();
        assert!(matches!(
            command::unwrap(Framing::SmsPp, &mut buf, &keys, Cntr::default()),
            Err(Error::Crypto(crypto::Error::Provider { .. }))
        ));
    }
    hsm.relogin().unwrap();
    let mut out = [0u8; 64];
    assert_eq!(
        command::wrap(Framing::SmsPp, &header, b"batch", &keys, &mut out),
        Ok(n)
    );
    assert_eq!(out[..n], want[..n]);
    let mut buf = want[..n].to_vec();
    let got = command::unwrap(Framing::SmsPp, &mut buf, &keys, Cntr::default()).unwrap();
    assert_eq!(got.payload, b"batch");
    // A session object dies with its session: after re-login it is gone,
    // and using it is an error, not a stand-in.
    assert!(matches!(
        hsm.mac(&session_key, &[b"x"]),
        Err(crypto::Error::Provider {
            failure: Failure::NotFound,
            ..
        })
    ));
}

/// The SCP81 PSK is wrapped under a key-wrap key the token generates
/// (SoftHSM2 has `CKM_AES_KEY_WRAP_PAD`, RFC 5649): the blob is not the
/// PSK, unwraps to it, and an altered blob or another wrap key does not
/// unwrap (an error, never other octets).
#[test]
fn the_psk_is_wrapped_in_the_token_and_unwrapped_for_one_handshake() {
    let hsm = hsm();
    // No key-wrap key yet: an error, not a key made on the fly.
    assert!(matches!(
        hsm.wrap_psk("test/psk-wrap", &[1; 16]),
        Err(crypto::Error::Provider {
            failure: Failure::NotFound,
            ..
        })
    ));
    assert!(hsm.create_wrap_key("test/psk-wrap").unwrap());
    assert!(!hsm.create_wrap_key("test/psk-wrap").unwrap(), "made twice");
    hsm.find_wrap_key("test/psk-wrap").unwrap();
    assert!(hsm.create_wrap_key("test/other-wrap").unwrap());
    // A PSK of 16 octets, and one of 21 (not a multiple of 8: the padded
    // variant of the key wrap).
    for psk in [vec![0xA5u8; 16], (1..=21).collect::<Vec<u8>>()] {
        let blob = hsm.wrap_psk("test/psk-wrap", &psk).unwrap();
        assert_eq!(blob.len(), psk.len().div_ceil(8) * 8 + 8, "RFC 5649 length");
        assert!(!blob.windows(psk.len()).any(|w| w == psk.as_slice()));
        assert_eq!(
            *hsm.unwrap_psk("test/psk-wrap", &blob, psk.len()).unwrap(),
            psk
        );
        let mut altered = blob.clone();
        altered[3] ^= 1;
        assert!(matches!(
            hsm.unwrap_psk("test/psk-wrap", &altered, psk.len()),
            Err(crypto::Error::Provider {
                operation: Operation::Decrypt,
                ..
            })
        ));
        assert!(hsm.unwrap_psk("test/other-wrap", &blob, psk.len()).is_err());
    }
}

/// The PIN comes from a file's first line or an environment variable;
/// an empty or missing source is an error, never an empty PIN.
#[test]
fn pin_sources() {
    let dir = std::env::temp_dir().join(format!("smsr-hsm-pin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pin");
    std::fs::write(&file, "1234\n").unwrap();
    assert!(PinSource::File(file.clone()).read().is_ok());
    std::fs::write(&file, "\n").unwrap();
    assert_eq!(
        PinSource::File(file.clone()).read().err().as_deref(),
        Some("the PIN source is empty")
    );
    assert!(PinSource::File(dir.join("absent")).read().is_err());
    assert!(
        PinSource::Env("SMSR_TEST_NO_SUCH_PIN_VARIABLE".into())
            .read()
            .is_err()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
