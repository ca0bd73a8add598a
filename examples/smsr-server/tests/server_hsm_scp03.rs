#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! SCP03 / SCP03t and scenario #3 ECKA through the PKCS#11 provider
//! (`hsm_scp03.rs`) against a real SoftHSM2 token (`source
//! .ci/softhsm.sh`): session keys derived inside the token give the pySim
//! GP Amendment D vectors; ECDH inside the token gives the Python
//! `cryptography` Z / KeyData of `src/crypto/ecka/scenario3.rs` on P-256 and
//! brainpoolP256r1; what SoftHSM2 cannot do inside is refused, never done
//! in memory. The example SM-DP (`smsr_smdp::Download`) downloads the
//! TS.48 package through a live server to a P-256 and a brainpoolP256r1
//! card with every key of its side in the token.

// The provider module is shared with `server_hsm.rs`; this test uses its
// SCP03 / ECKA part only.
#[allow(dead_code)]
#[path = "../hsm.rs"]
mod hsm;
mod hsm_support;
mod server_support;

use hsm::Hsm;
use hsm_support::hsm;
use smsr::crypto::ecka::{
    Curve, DerivedKeys, KeyUsageQualifier, PrivateKey, PublicKey, SharedInfo,
};
use smsr::crypto::provider::{Failure, Operation};
use smsr::crypto::{self, CipherAlgorithm, EckaProvider, Key, Provider, Scp03Provider, Software};
use smsr::scp03t::{SecurityLevel, Session, SessionKeys, StaticKeys};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn statics<'a>(hsm: &'a Hsm, enc: &[u8], mac: &[u8]) -> StaticKeys<&'a Hsm> {
    let enc = hsm.import_static(&Key::aes(enc).unwrap()).unwrap();
    let mac = hsm.import_static(&Key::aes(mac).unwrap()).unwrap();
    StaticKeys::with_provider(hsm, enc, mac).unwrap()
}

/// osmocom/pysim @ 597f1e0 `tests/unittests/test_globalplatform.py`,
/// classes `SCP03_Test_AES128_{11,03,33}`: (INITIALIZE UPDATE command, its
/// response, EXTERNAL AUTHENTICATE), static keys 00..0f / 10..1f.
const PYSIM_AES128: [(&str, &str, &str); 3] = [
    (
        "8050300008b13e5f938fc108c400",
        "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
        "84821100107d5f5826a993ebc89eea24957fa0b3ce",
    ),
    (
        "80503000088e1552d0513c60f300",
        "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
        "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
    ),
    (
        "8050300008fdf38259a1e0de4400",
        "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
        "84823300108c36f96bcc00724a4e13ad591d7da3f0",
    ),
];
const K_ENC: &str = "000102030405060708090a0b0c0d0e0f";
const K_MAC: &str = "101112131415161718191a1b1c1d1e1f";

/// S-ENC, S-MAC and S-RMAC derived inside SoftHSM2 (CKM_AES_CBC_ENCRYPT_DATA
/// finishing the CMAC) give pySim's card cryptogram, host cryptogram and
/// EXTERNAL AUTHENTICATE C-MAC; the segments they wrap equal the
/// in-memory session's byte for byte.
#[test]
fn pysim_aes128_session_keys_derived_inside_softhsm2() {
    let hsm = hsm();
    for (iu, rsp, ea) in PYSIM_AES128 {
        let (iu, rsp, ea) = (h(iu), h(rsp), h(ea));
        let host: [u8; 8] = iu[5..13].try_into().unwrap();
        let card: [u8; 8] = rsp[13..21].try_into().unwrap();
        let level = SecurityLevel::parse(ea[2]).unwrap();
        let keys = statics(&hsm, &h(K_ENC), &h(K_MAC));
        let mut s = Session::derive(&keys, &host, &card, level).unwrap();
        assert_eq!(s.card_cryptogram(&host, &card).unwrap(), rsp[21..29]);
        assert_eq!(s.host_cryptogram(&host, &card).unwrap(), ea[5..13]);
        assert_eq!(s.c_mac(&[&ea[..13]]).unwrap(), ea[13..21]);
        let raw = StaticKeys::from_bytes(&h(K_ENC), &h(K_MAC)).unwrap();
        let mut soft =
            Session::new(&SessionKeys::derive(&raw, &host, &card).unwrap(), level).unwrap();
        soft.c_mac(&[&ea[..13]]).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        s.wrap(0x86, &[0x5A; 300], &mut a).unwrap();
        soft.wrap(0x86, &[0x5A; 300], &mut b).unwrap();
        assert_eq!(a, b);
    }
}

/// A context that ends in a partial block (the padded CMAC last block,
/// K2) and one of a single octet: the key derived inside the token MACs
/// and enciphers as the key `provider::derive_key` derives in memory.
#[test]
fn derive_with_partial_last_block_equals_memory() {
    let hsm = hsm();
    let raw = Key::aes(&h(K_MAC)).unwrap();
    let base = hsm.import_static(&raw).unwrap();
    let soft = Software.import(&raw).unwrap();
    for context in [&b"0123456789abcdefXYZ"[..], b"x", &[0x11; 32]] {
        let inside = hsm
            .derive(&base, 0x04, context, CipherAlgorithm::Aes128)
            .unwrap();
        let memory = Software
            .derive(&soft, 0x04, context, CipherAlgorithm::Aes128)
            .unwrap();
        assert_eq!(
            hsm.mac(&inside, &[b"segment"]).unwrap(),
            Software.mac(&memory, &[b"segment"]).unwrap()
        );
        let (mut a, mut b) = ([0x77u8; 32], [0x77u8; 32]);
        hsm.encrypt_cbc(&inside, &mut a).unwrap();
        Software.encrypt_cbc(&memory, &mut b).unwrap();
        assert_eq!(a, b, "context {context:02x?}");
    }
}

/// AES-192 / AES-256 session keys need two PRF blocks in one key, which
/// SoftHSM2 2.6.1 cannot join (no CKM_SP800_108_COUNTER_KDF, no
/// CKM_CONCATENATE_BASE_AND_KEY): refused with NotAllowed, not derived in
/// memory; a 3DES base key is refused too.
#[test]
fn what_softhsm2_cannot_derive_inside_is_refused() {
    let hsm = hsm();
    let base = hsm.import_static(&Key::aes(&[0x42; 32]).unwrap()).unwrap();
    for algorithm in [CipherAlgorithm::Aes192, CipherAlgorithm::Aes256] {
        let e = hsm.derive(&base, 0x04, &[0; 16], algorithm).unwrap_err();
        assert!(matches!(
            e,
            crypto::Error::Provider {
                operation: Operation::Derive,
                failure: Failure::NotAllowed,
                code: 0x70
            }
        ));
    }
    let keys = statics(&hsm, &[0x42; 32], &[0x43; 32]);
    assert!(Session::derive(&keys, &[1; 8], &[2; 8], SecurityLevel::ALL).is_err());
    let des = Key::new(CipherAlgorithm::Tdes2, &[0x42; 16]).unwrap();
    assert!(hsm.import_static(&des).is_err());
}

const ESK_DP: &str = "0c3d1e5a0e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819203";

/// The Python `cryptography` 48.0.0 cross-check of
/// `src/crypto/ecka/scenario3.rs` (ESK.DP, PK.ECASD, Z, KeyData for the
/// AES-128 SharedInfo with DR 00..0f), on each curve: Z from
/// CKM_ECDH1_DERIVE inside SoftHSM2, then the X9.63 KDF.
const ECKA: [(Curve, &str, &str, &str); 2] = [
    (
        Curve::NistP256,
        "043a3d0dd6791c0a73adb9041556e1bf53b14f9ba34e583875f90747cd2d23fe0a4721d19c040b3a2f05ed7144c90b9482cd67b08a57e091376ce3d25b4840857c",
        "86716ec62f7136732fd8dd83db28ae93908befdb317354af5651d3d0669121fd",
        "eff1ec87b5f3157547c5d6fa1b1f8295ca2f374a3642c2702f2e833a5b53b28b85376d47fe2e1fb3b43d9c2ca7cfdf4d3322338c50e7a001faa7e11ac72573c3",
    ),
    (
        Curve::BrainpoolP256r1,
        "04872285eace5f34f00ce209b45cffaf8cc048b7e4226b4df464c07d88015e55b93766a1d4b63c3b1cf39d478d47b2829383c4e8248c60ab59f213de34be9df50d",
        "7906871e440763d60e1972c2515dbefea2805b293b3eb6520bf828bd78d9020b",
        "1df81b30a77715404c8747e7f4008f5914cd24479b1d9733c9c4cca113bff51280d6ea733c79efc67b4d25c13a45f756d938f4f53ad653416cc4f1c32b6a8125",
    ),
];

#[test]
fn ecka_inside_softhsm2_on_both_curves() {
    let hsm = hsm();
    let dr = h("000102030405060708090a0b0c0d0e0f");
    for (curve, pk, z, key_data) in ECKA {
        let esk = PrivateKey::from_bytes_on(curve, &h(ESK_DP)).unwrap();
        let handle = hsm.import_private(&esk).unwrap();
        assert_eq!(hsm.public_key(&handle).unwrap(), esk.public_key());
        let peer = PublicKey::from_uncompressed_on(curve, &h(pk)).unwrap();
        let shared = hsm.agree(&handle, &peer).unwrap();
        assert_eq!(shared.dangerous_bytes()[..], h(z)[..], "{curve}");
        let info = SharedInfo {
            key_usage: KeyUsageQualifier::SCP03_KEY_SET,
            key_type: 0x88,
            key_length: 16,
            derivation_random: Some(&dr),
            host_id: None,
            sin_sdin: None,
        };
        let keys = DerivedKeys::derive(&shared, &info).unwrap();
        let got: Vec<u8> = std::iter::once(keys.receipt_key())
            .chain(keys.keys())
            .flat_map(|k| k.dangerous_bytes().to_vec())
            .collect();
        assert_eq!(got, h(key_data), "{curve}");
        // ECDSA by the token verifies under the public key.
        let signature = hsm.sign(&handle, b"signed data").unwrap();
        signature.verify(&esk.public_key(), b"signed data").unwrap();
        assert!(signature.verify(&esk.public_key(), b"other data").is_err());
        // A peer on the other curve is refused before the token is asked.
        let (other, other_pk) = match curve {
            Curve::NistP256 => (ECKA[1].0, ECKA[1].1),
            _ => (ECKA[0].0, ECKA[0].1),
        };
        let other = PublicKey::from_uncompressed_on(other, &h(other_pk)).unwrap();
        assert!(matches!(
            hsm.agree(&handle, &other),
            Err(smsr::crypto::ecka::Error::CurveMismatch { .. })
        ));
    }
}

/// The example SM-DP with the token as its key provider: ESK.DP.ECKA and
/// SK.DP.ECDSA as token objects, the ISD-P key set imported from the KDF
/// and the SCP03t session keys derived inside; the TS.48 package lands on
/// a P-256 card and a brainpoolP256r1 card (the demo fleet's odd cards)
/// through a live server, as the in-memory SM-DP's download does.
#[test]
fn smdp_download_with_keys_in_softhsm2() {
    use server_support::*;
    use smsr_smdp::{Download, Identity, Order, package};
    let hsm = hsm();
    let dir = tmpdir("hsm-download");
    let fleet = start_fleet(&dir, 2);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let members = members(&fleet);
    register_all(api(&server), &members, 2);
    let path = package::testdata_dir().join(package::TS48);
    let base = package::read(&path).unwrap_or_else(|e| panic!("{e} (set SMSR_TESTDATA)"));
    let id = Identity::signed_by_test_ci(&[0xD7; 32]).unwrap();
    for (i, m) in members.iter().enumerate() {
        let (eid, ic) = (eid_of(m), iccid(1, i));
        let order = Order {
            eid: eid.clone(),
            package: package::with_iccid(&base, &ic).unwrap(),
            iccid: ic.clone(),
            required_memory: 60_000,
            key_length: 16,
            segments_per_call: 1,
            ephemeral: [0x40 + i as u8; 32],
            host_challenge: [i as u8; 8],
            msisdn: None,
        };
        let mut dl = Download::with_provider(&id, order, &*hsm);
        let mut call = Some(dl.start());
        while let Some(c) = call {
            let (status, answer) =
                server_support::call(api(&server), MNO_A, "POST", c.path, &c.body);
            call = dl
                .handle(status, &answer)
                .unwrap_or_else(|e| panic!("{eid}: {e}"));
        }
        let r = dl.report().unwrap();
        assert_eq!((r.iccid.as_str(), r.bytes), (ic.as_str(), base.len()));
        let v = eis(api(&server), MNO_A, &eid);
        assert_eq!(state(&v, &ic).as_deref(), Some("Disabled"), "{v}");
    }
}
