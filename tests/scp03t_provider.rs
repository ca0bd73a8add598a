#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! SCP03 / SCP03t through the crypto provider seam
//! (`smsr::crypto::Scp03Provider`): the handle-only test provider of
//! `tests/common/vault.rs`, whose keys are opaque handles into a vault only
//! it reads, that derives the session keys inside itself and buffers each
//! streamed MAC as an HSM session would, counting every call. The pySim GP Amendment D vectors (osmocom/pysim @
//! 597f1e0, `tests/unittests/test_globalplatform.py`, classes
//! `SCP03_Test_AES{128,192,256}_{11,03,33}`: the INITIALIZE UPDATE pair and
//! the cryptograms) pass through it; a whole package load SM-DP → ISD-P
//! through handles on both ends gives the bytes the in-memory keys give;
//! a provider that goes away fails the operation with its error.

#[path = "common/vault.rs"]
mod vault;

use smsr::crypto::provider::Failure;
use smsr::crypto::{self, Scp03Provider};
use smsr::scp03t::segment::{self, SGP22_MAX_SEGMENT_LEN};
use smsr::scp03t::{
    Card, ErrorKind, Host, InitializeUpdateResponse, SecurityLevel, Session, SessionKeys,
    StaticKeys, Step,
};
use vault::Vault;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// pySim `SCP03_Test_AES{128,192,256}_{11,03,33}`: (Key-ENC, Key-MAC,
/// INITIALIZE UPDATE command, its response, EXTERNAL AUTHENTICATE).
const PYSIM: [(&str, &str, &str, &str, &str); 9] = [
    // L11
    (
        "000102030405060708090a0b0c0d0e0f",
        "101112131415161718191a1b1c1d1e1f",
        "8050300008b13e5f938fc108c400",
        "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
        "84821100107d5f5826a993ebc89eea24957fa0b3ce",
    ),
    // L03
    (
        "000102030405060708090a0b0c0d0e0f",
        "101112131415161718191a1b1c1d1e1f",
        "80503000088e1552d0513c60f300",
        "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
        "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
    ),
    // L33
    (
        "000102030405060708090a0b0c0d0e0f",
        "101112131415161718191a1b1c1d1e1f",
        "8050300008fdf38259a1e0de4400",
        "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
        "84823300108c36f96bcc00724a4e13ad591d7da3f0",
    ),
    // L192_11
    (
        "000102030405060708090a0b0c0d0e0f0001020304050607",
        "101112131415161718191a1b1c1d1e1f1011121314151617",
        "80503100087396430b768b085b00",
        "000000000000000000003103708cfc23522ffdbf1e5df5542cac8fd866000003",
        "84821100102145ed30b146f5db252fb7e624cec244",
    ),
    // L192_03
    (
        "000102030405060708090a0b0c0d0e0f0001020304050607",
        "101112131415161718191a1b1c1d1e1f1011121314151617",
        "805031000869c65da8202bf19f00",
        "00000000000000000000310370b570a67be38446717729d6dd3d2ec5b1000001",
        "848203001065df4f1a356a887905466516d9e5b7c1",
    ),
    // L192_33
    (
        "000102030405060708090a0b0c0d0e0f0001020304050607",
        "101112131415161718191a1b1c1d1e1f1011121314151617",
        "80503100089b3f2eef0e8c937400",
        "00000000000000000000310370f6bb305a15bae1a68f79fb08212fbed7000002",
        "84823300109100bc22d58b45b86a26365ce39ff3cf",
    ),
    // L256_11
    (
        "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f",
        "101112131415161718191a1b1c1d1e1f101112131415161718191a1b1c1d1e1f",
        "805032000811666d57866c6f5400",
        "0000000000000000000032037053ea8847efa7674e41498a4d66cf0dee000003",
        "84821100102f2ad190eff2fafc4908996d1cebd310",
    ),
    // L256_03
    (
        "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f",
        "101112131415161718191a1b1c1d1e1f101112131415161718191a1b1c1d1e1f",
        "8050320008c6066990fc426e1d00",
        "000000000000000000003203708682cd81bbd8919f2de3f2664581f118000001",
        "848203001077c493b632edadaf865a1e64acc07ce9",
    ),
    // L256_33
    (
        "000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f",
        "101112131415161718191a1b1c1d1e1f101112131415161718191a1b1c1d1e1f",
        "805032000897b2055fe58599fd00",
        "00000000000000000000320370a8439a22cedf045fa9f1903b2834f26e000002",
        "8482330010508a0fd959d2e547c6b33154a6be2057",
    ),
];

/// The session keys derived inside the provider give pySim's card and
/// host cryptograms, and every further operation equals the in-memory
/// session derived from the same raw keys: the SCP03 code needed no key
/// octets.
#[test]
fn pysim_cryptograms_through_handles() {
    let vault = Vault::default();
    for (enc, mac, iu, rsp, ea) in PYSIM {
        let (iu, rsp, ea) = (h(iu), h(rsp), h(ea));
        let host: [u8; 8] = iu[5..13].try_into().unwrap();
        let card: [u8; 8] = rsp[13..21].try_into().unwrap();
        let level = SecurityLevel::parse(ea[2]).unwrap();
        let before = vault.derives.get();
        let mut s = Session::derive(&vault.statics(&h(enc), &h(mac)), &host, &card, level).unwrap();
        assert_eq!(vault.derives.get(), before + 3, "S-ENC, S-MAC, S-RMAC");
        assert_eq!(s.card_cryptogram(&host, &card).unwrap(), rsp[21..29]);
        assert_eq!(s.host_cryptogram(&host, &card).unwrap(), ea[5..13]);
        // The APDU-form EXTERNAL AUTHENTICATE C-MAC of the vector.
        assert_eq!(s.c_mac(&[&ea[..13]]).unwrap(), ea[13..21]);
        // The same session in memory: the same chaining and ciphertexts.
        let raw = StaticKeys::from_bytes(&h(enc), &h(mac)).unwrap();
        let mut soft =
            Session::new(&SessionKeys::derive(&raw, &host, &card).unwrap(), level).unwrap();
        soft.c_mac(&[&ea[..13]]).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        s.wrap(0x86, &[0x5A; 300], &mut a).unwrap();
        soft.wrap(0x86, &[0x5A; 300], &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(s.mac_chaining_value(), soft.mac_chaining_value());
    }
    // The Host takes pySim's INITIALIZE UPDATE response through handles.
    let (enc, mac, iu, rsp, ea) = PYSIM[8];
    let (iu, ea) = (h(iu), h(ea));
    let level = SecurityLevel::parse(ea[2]).unwrap();
    let host_challenge = iu[5..13].try_into().unwrap();
    let mut host = Host::new(
        vault.statics(&h(enc), &h(mac)),
        iu[2],
        iu[3],
        host_challenge,
        level,
    )
    .unwrap();
    let mut tlv = Vec::new();
    InitializeUpdateResponse::parse(&h(rsp))
        .unwrap()
        .emit_tlv(&mut tlv)
        .unwrap();
    host.handle_initialize_update_response(&tlv).unwrap();
    let mut out = Vec::new();
    host.external_authenticate(&mut out).unwrap();
    assert_eq!(out[3..11], ea[5..13], "host cryptogram");
}

/// Opens a session between a host and a card over `host_keys` /
/// `card_keys`, then loads `package` in `86` segments; returns the wire
/// bytes of every command and answer, and the package as the card
/// deciphered it.
fn load<P: Scp03Provider + Clone, Q: Scp03Provider + Clone>(
    host_keys: StaticKeys<P>,
    card_keys: StaticKeys<Q>,
    package: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), smsr::scp03t::Error> {
    let mut host = Host::new(host_keys, 0x30, 0, [0x11; 8], SecurityLevel::ALL)?;
    let mut card = Card::new(card_keys, 0x30, &[0xA0, 0, 0, 5, 0x59], 7, 1100)?;
    let (mut wire, mut got) = (Vec::new(), Vec::new());
    let mut plain = vec![0u8; 1100];
    let mut cmd = Vec::new();
    host.initialize_update(&mut cmd)?;
    let mut rsp = Vec::new();
    card.handle(&cmd, &mut plain, &mut rsp)?;
    host.handle_initialize_update_response(&rsp)?;
    wire.extend([&cmd[..], &rsp].concat());
    let (mut cmd, mut rsp) = (Vec::new(), Vec::new());
    host.external_authenticate(&mut cmd)?;
    card.handle(&cmd, &mut plain, &mut rsp)?;
    host.handle_external_authenticate_response(&rsp)?;
    wire.extend([&cmd[..], &rsp].concat());
    // Each answer is checked before the next segment: its R-MAC covers
    // the chaining value of the command it answers.
    for c in segment::chunks(package, SGP22_MAX_SEGMENT_LEN, segment::Protection::Scp03t)? {
        let mut seg = Vec::new();
        host.session()?.wrap(0x86, c.data, &mut seg)?;
        let mut rsp = Vec::new();
        let Step::Segment(p) = card.handle(&seg, &mut plain, &mut rsp)? else {
            panic!("not a segment");
        };
        got.extend_from_slice(p);
        card.respond(&[0x90, 0x00], &mut rsp)?;
        let mut back = [0u8; 32];
        let (_, answer) = host.session()?.unwrap_response(&rsp, &mut back)?;
        assert_eq!(answer, [0x90, 0x00]);
        wire.extend([&seg[..], &rsp].concat());
    }
    Ok((wire, got))
}

/// A 5,000-octet package through handles on both ends (every key length):
/// byte for byte the exchange of in-memory keys; the session keys were
/// derived in the vault (3 per side) and every MAC and cipher operation
/// went through it.
#[test]
fn package_load_through_handles_equals_memory() {
    let package: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
    for n in [16, 24, 32] {
        let (enc, mac) = (vec![0x41; n], vec![0x42; n]);
        let vault = Vault::default();
        let (wire, got) = load(
            vault.statics(&enc, &mac),
            vault.statics(&enc, &mac),
            &package,
        )
        .unwrap();
        assert_eq!(got, package);
        assert_eq!(vault.derives.get(), 6);
        assert!(vault.macs.get() > 20 && vault.ciphers() > 20);
        let soft = || StaticKeys::from_bytes(&enc, &mac).unwrap();
        let (soft_wire, _) = load(soft(), soft(), &package).unwrap();
        assert_eq!(wire, soft_wire, "AES-{}", n * 8);
        // And one end in the vault, the other in memory.
        let (mixed, _) = load(vault.statics(&enc, &mac), soft(), &package).unwrap();
        assert_eq!(mixed, soft_wire);
    }
}

/// A provider that goes away fails the operation with its own error,
/// never a segment with a MAC of another key; the card side refuses and
/// closes the session.
#[test]
fn a_failing_provider_fails_the_operation() {
    let vault = Vault::default();
    let package = [0x33u8; 3000];
    let mut host = Host::new(
        vault.statics(&[1; 16], &[2; 16]),
        0x30,
        0,
        [9; 8],
        SecurityLevel::ALL,
    )
    .unwrap();
    let mut card = Card::new(
        vault.statics(&[1; 16], &[2; 16]),
        0x30,
        &[0xA0, 0, 0, 5],
        0,
        1100,
    )
    .unwrap();
    let mut plain = vec![0u8; 1100];
    let (mut cmd, mut rsp) = (Vec::new(), Vec::new());
    host.initialize_update(&mut cmd).unwrap();
    card.handle(&cmd, &mut plain, &mut rsp).unwrap();
    host.handle_initialize_update_response(&rsp).unwrap();
    let (mut cmd, mut rsp) = (Vec::new(), Vec::new());
    host.external_authenticate(&mut cmd).unwrap();
    card.handle(&cmd, &mut plain, &mut rsp).unwrap();
    host.handle_external_authenticate_response(&rsp).unwrap();
    vault.down.set(true);
    let e = host
        .session()
        .unwrap()
        .wrap_package(&package, SGP22_MAX_SEGMENT_LEN, &mut Vec::new())
        .unwrap_err();
    assert!(
        matches!(
            e.kind,
            ErrorKind::Key(crypto::Error::Provider {
                failure: Failure::Unavailable,
                code: 0xB3,
                ..
            })
        ),
        "{e:?}"
    );
    vault.down.set(false);
    let mut seg = Vec::new();
    host.session()
        .unwrap()
        .wrap(0x86, &package[..500], &mut seg)
        .unwrap();
    vault.down.set(true);
    let mut answer = Vec::new();
    let e = card.handle(&seg, &mut plain, &mut answer).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Key(_)), "{e:?}");
    assert!(!card.is_open());
    assert_eq!(answer[0], 0x9F, "the card answered its error TLV");
}
