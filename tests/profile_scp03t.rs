//! SCP03 / SCP03t known-answer tests.
//!
//! Sources (vectors only, no code):
//! * GP Amendment D session keys, cryptograms, C-MAC chaining and command
//!   encryption: osmocom/pysim @ 597f1e0, `tests/unittests/test_globalplatform.py`,
//!   classes `SCP03_Test_AES128_11`, `_03`, `_33` (APDU mode; we rebuild the
//!   MACed / encrypted APDUs from the session primitives).
//! * TLV segment wrapping (SGP.22 BSP = SCP03t): osmocom/pysim @ 597f1e0,
//!   `tests/unittests/test_esim_bsp.py`, `BSP_Test_mode51.test_ciphering`
//!   (vectors from a third-party SM-DP+ trace); data in `tests/data/scp03t/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use smsr::profile::scp03t::{Key, Session, SessionKeys, kdf};
use smsr::profile::segment::{self, Protection};
use smsr::profile::{ErrorKind, Package};

fn h(s: &str) -> Vec<u8> {
    hex::decode(s.trim()).unwrap()
}

fn k16(s: &str) -> Key {
    Key(h(s).try_into().unwrap())
}

fn data(name: &str) -> Vec<u8> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/scp03t")
        .join(name);
    h(&std::fs::read_to_string(p).unwrap())
}

struct Apdu {
    init_upd_cmd: &'static str,
    init_upd_rsp: &'static str,
    ext_auth_cmd: &'static str,
    get_eid_cmd: &'static str,
    cases: [&'static str; 4],
}

const KEY_ENC: &str = "000102030405060708090a0b0c0d0e0f";
const KEY_MAC: &str = "101112131415161718191a1b1c1d1e1f";
const PLAIN: [&str; 4] = [
    "80F22002",
    "80ca006600",
    "80F220020a4f0212345c054f9f70c5",
    "80f28002024f0000",
];
const GET_EID: &str = "80E2910006BF3E035C015A00";

/// pySim `SCP03_Test_AES128_11` (C-MAC + R-MAC).
const L11: Apdu = Apdu {
    init_upd_cmd: "8050300008b13e5f938fc108c400",
    init_upd_rsp: "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
    ext_auth_cmd: "84821100107d5f5826a993ebc89eea24957fa0b3ce",
    get_eid_cmd: "84e291000ebf3e035c015a558d036518a2829700",
    cases: [
        "84f220020863a63f8959827fb2",
        "84ca006608a0c6a4a74166f7ce00",
        "84f22002124f0212345c054f9f70c52249b50272656536",
        "84f280020a4f00e91443f6dce6b8ed00",
    ],
};

/// pySim `SCP03_Test_AES128_03` (C-DECRYPTION + C-MAC).
const L03: Apdu = Apdu {
    init_upd_cmd: "80503000088e1552d0513c60f300",
    init_upd_rsp: "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
    ext_auth_cmd: "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
    get_eid_cmd: "84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00",
    cases: [
        "84f2200208c9811b11f1264cf1",
        "84ca006608e10ab60b3054798800",
        "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
        "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800",
    ],
};

/// pySim `SCP03_Test_AES128_33` (C-DEC, C-MAC, R-ENC, R-MAC).
const L33: Apdu = Apdu {
    init_upd_cmd: "8050300008fdf38259a1e0de4400",
    init_upd_rsp: "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
    ext_auth_cmd: "84823300108c36f96bcc00724a4e13ad591d7da3f0",
    get_eid_cmd: "84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
    cases: [
        "84f2200208ac6a59024bed84cc",
        "84ca006608409912ad8fb7aed000",
        "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
        "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00",
    ],
};

/// Rebuilds a short-Lc command APDU under SCP03: (C-DEC) then C-MAC over
/// the modified header (CLA | 04, Lc + 8) and data (GP Amendment D §6.2.4).
fn wrap_apdu(s: &mut Session, plain: &[u8], cdec: bool) -> Vec<u8> {
    let (hdr, rest) = plain.split_at(4);
    let (data, le): (Vec<u8>, bool) = match rest.len() {
        0 => (vec![], false),
        1 => (vec![], true),
        _ => {
            let lc = rest[0] as usize;
            (rest[1..1 + lc].to_vec(), rest.len() > 1 + lc)
        }
    };
    let data = if cdec {
        if data.is_empty() {
            s.skip_counter();
            data
        } else {
            let mut ct = Vec::new();
            s.encrypt(&data, &mut ct).unwrap();
            ct
        }
    } else {
        data
    };
    let mut m = vec![
        (hdr[0] & 0xF0) | 0x04,
        hdr[1],
        hdr[2],
        hdr[3],
        (data.len() + 8) as u8,
    ];
    m.extend_from_slice(&data);
    let mac = s.c_mac(&[&m]);
    m.extend_from_slice(&mac);
    if le {
        m.push(0);
    }
    m
}

fn run_apdu_vectors(v: &Apdu, level: u8) {
    let iu = h(v.init_upd_cmd);
    let host: [u8; 8] = iu[5..13].try_into().unwrap();
    let rsp = h(v.init_upd_rsp);
    let card: [u8; 8] = rsp[13..21].try_into().unwrap();
    let card_cryptogram: [u8; 8] = rsp[21..29].try_into().unwrap();
    let keys = SessionKeys::derive(&k16(KEY_ENC), &k16(KEY_MAC), &host, &card);
    assert_eq!(keys.card_cryptogram(&host, &card), card_cryptogram);
    let host_cryptogram = keys.host_cryptogram(&host, &card);
    let mut s = Session::new(keys);
    // EXTERNAL AUTHENTICATE: C-MAC only, no counter change.
    let mut ea = vec![0x84, 0x82, level, 0x00, 0x10];
    ea.extend_from_slice(&host_cryptogram);
    let mac = s.c_mac(&[&ea]);
    ea.extend_from_slice(&mac);
    assert_eq!(hex::encode(&ea), v.ext_auth_cmd);
    let cdec = level & 0x02 != 0;
    assert_eq!(
        hex::encode(wrap_apdu(&mut s, &h(GET_EID), cdec)),
        v.get_eid_cmd
    );
    for (p, e) in PLAIN.iter().zip(v.cases) {
        assert_eq!(hex::encode(wrap_apdu(&mut s, &h(p), cdec)), e);
    }
}

#[test]
fn gp_amd_d_session_keys_cmac_chaining_security_level_11() {
    run_apdu_vectors(&L11, 0x11);
}

#[test]
fn gp_amd_d_command_encryption_security_level_03() {
    run_apdu_vectors(&L03, 0x03);
}

#[test]
fn gp_amd_d_command_encryption_security_level_33() {
    run_apdu_vectors(&L33, 0x33);
}

#[test]
fn gp_amd_d_r_mac() {
    // AES128_11: GET EID response, R-MAC over data | 9000 after the
    // GET EID command (pySim test_05).
    let v = &L11;
    let iu = h(v.init_upd_cmd);
    let rsp = h(v.init_upd_rsp);
    let keys = SessionKeys::derive(
        &k16(KEY_ENC),
        &k16(KEY_MAC),
        &iu[5..13].try_into().unwrap(),
        &rsp[13..21].try_into().unwrap(),
    );
    let hc = keys.host_cryptogram(
        &iu[5..13].try_into().unwrap(),
        &rsp[13..21].try_into().unwrap(),
    );
    let mut s = Session::new(keys);
    s.c_mac(&[&[0x84, 0x82, 0x11, 0x00, 0x10], &hc]);
    wrap_apdu(&mut s, &h(GET_EID), false);
    let data = h("bf3e125a1089882119900000000000000000000005");
    assert_eq!(
        hex::encode(s.r_mac(&[&data, &[0x90, 0x00]])),
        "971be68992dbbdfa"
    );
}

#[test]
fn kdf_output_longer_than_one_block() {
    // Two PRF blocks with L = 256: the second block uses i = 2 and the same
    // L, so its first half differs from a fresh L = 128 derivation.
    let key = k16(KEY_ENC);
    let mut long = [0u8; 32];
    let mut short = [0u8; 16];
    kdf(&key, 0x04, b"context", &mut long);
    kdf(&key, 0x04, b"context", &mut short);
    assert_ne!(long[..16], short);
}

fn bsp_session() -> Session {
    let keys = SessionKeys {
        s_enc: k16("01010203040506070809 0a0b0c0d0e0f"
            .replace(' ', "")
            .as_str()),
        s_mac: k16("02010203040506070809 0a0b0c0d0e0f"
            .replace(' ', "")
            .as_str()),
        s_rmac: k16(KEY_MAC),
    };
    Session::with_chaining_value(
        keys,
        h("000102030405060708090a0b0c0d0e0f").try_into().unwrap(),
    )
}

#[test]
fn scp03t_86_segments_match_third_party_trace() {
    let mut s = bsp_session();
    for (p, w) in [
        ("bsp_segment0_plain.hex", "bsp_segment0_wrapped.hex"),
        ("bsp_segment1_plain.hex", "bsp_segment1_wrapped.hex"),
    ] {
        let plain = data(p);
        let mut out = Vec::new();
        let n = s.wrap(0x86, &plain, &mut out).unwrap();
        assert_eq!(n, 1020);
        assert_eq!(hex::encode(&out), hex::encode(data(w)));
    }
    assert_eq!(s.counter(), 3);
}

#[test]
fn scp03t_unwrap_inverts_wrap_and_rejects_tampering() {
    let mut card = bsp_session();
    let mut buf = [0u8; 1024];
    for name in ["bsp_segment0", "bsp_segment1"] {
        let wrapped = data(&format!("{name}_wrapped.hex"));
        let mut bad = wrapped.clone();
        bad[100] ^= 1;
        let err = card.clone().unwrap(&bad, &mut buf).unwrap_err();
        assert_eq!(err.kind, ErrorKind::MacMismatch);
        let (tag, plain) = card.unwrap(&wrapped, &mut buf).unwrap();
        assert_eq!(tag, 0x86);
        assert_eq!(plain, &data(&format!("{name}_plain.hex"))[..]);
    }
}

#[test]
fn wrap_package_segments_a_real_package_within_1020_bytes() {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata")
        });
    let Ok(pkg) = std::fs::read(dir.join("profiles/ts48v5_saip2.3_bertlv_suci.der")) else {
        eprintln!("profile_scp03t: shared/testdata not found; skipping");
        return;
    };
    let mut host = bsp_session();
    let mut card = host.clone();
    let mut stream = Vec::new();
    let n = host
        .wrap_package(&pkg, segment::SGP22_MAX_SEGMENT_LEN, &mut stream)
        .unwrap();
    assert_eq!(n, pkg.len().div_ceil(1007));
    let mut back = Vec::new();
    let mut buf = [0u8; 1024];
    let mut rest = &stream[..];
    while !rest.is_empty() {
        let (t, after) = smsr::tlv::Tlv::parse(rest).unwrap();
        assert!(t.raw().len() <= 1020);
        let (_, p) = card.unwrap(t.raw(), &mut buf).unwrap();
        back.extend_from_slice(p);
        rest = after;
    }
    assert_eq!(back, pkg);
    assert!(Package::new(&back).count().is_ok());
    // The same through unwrap_package, from a fresh receiving session.
    let mut card = bsp_session();
    let mut back = Vec::new();
    assert_eq!(card.unwrap_package(&stream, &mut back).unwrap(), n);
    assert_eq!(back, pkg);
    // A stream with another tag inside is refused at that TLV's offset.
    let mut bad = stream.clone();
    bad[1020] = 0x87;
    let err = bsp_session()
        .unwrap_package(&bad, &mut Vec::new())
        .unwrap_err();
    assert_eq!((err.kind, err.offset), (ErrorKind::NotASegment, 1020));
    assert_eq!(
        segment::max_chunk_len(1020, Protection::Scp03t).unwrap(),
        1007
    );
}

#[test]
fn bsp_mac_only_segment_advances_the_counter() {
    // pySim test_esim_bsp.py BSP_Test_mode51.test_ciphering, first part:
    // 87 (encrypted + MAC), 88 (MAC only), 87 again, in one session.
    let keys = SessionKeys {
        s_enc: k16("472f5bfadd97f21d34f3ce9b51b92751"),
        s_mac: k16("9ec07f5b36a13e12a991d66e294e6242"),
        s_rmac: k16(KEY_MAC),
    };
    let mut s = Session::with_chaining_value(
        keys,
        h("406d507b448a699e7a36a38494debbde").try_into().unwrap(),
    );
    let mut out = Vec::new();
    s.wrap(0x87, &h("bf2400"), &mut out).unwrap();
    assert_eq!(
        hex::encode(&out),
        "8718f6fe031e4b9cfe87c8e1e62f3fde85c49412d7722a6a2d89"
    );
    out.clear();
    s.wrap_mac_only(
        0x88,
        &h("bf252d5a0a98001032547698103214910947534d415f54455354921147534d415f544553545f50524f46494c45950100"),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        hex::encode(&out),
        "8838bf252d5a0a98001032547698103214910947534d415f54455354921147534d415f544553545f50524f46494c459501008a62cc9adbb5ccbc"
    );
    out.clear();
    s.wrap(
        0x87,
        &h("bf26368010000102030405060708090a0b0c0d0e0f8110010102030405060708090a0b0c0d0e0f8210020102030405060708090a0b0c0d0e0f"),
        &mut out,
    )
    .unwrap();
    assert_eq!(
        hex::encode(&out),
        "8748a14c800a001992351cd46ad2945654674369701d82b7b46567652bc8fbed234939fc57fba748015525fd6c651e9d3d1330652d42a0cfad950e912122af4ec5362d3c0bc535729c40"
    );
}

#[test]
fn establish_from_initialize_update_response() {
    use smsr::profile::scp03t::{InitializeUpdateResponse, establish, initialize_update};
    for v in [&L11, &L03, &L33] {
        let iu = h(v.init_upd_cmd);
        let host: [u8; 8] = iu[5..13].try_into().unwrap();
        let mut tlv = Vec::new();
        initialize_update(0x30, 0x00, &host, &mut tlv).unwrap();
        // The TLV carries the same KVN / P2 / challenge as the APDU.
        assert_eq!(tlv[2..], [&iu[2..4], &iu[5..13]].concat()[..]);
        let rsp = InitializeUpdateResponse::parse(&h(v.init_upd_rsp)).unwrap();
        assert_eq!((rsp.kvn, rsp.scp_id, rsp.i_param), (0x30, 0x03, 0x70));
        assert!(rsp.sequence_counter.is_some());
        let (_, host_cryptogram) = establish(&k16(KEY_ENC), &k16(KEY_MAC), &host, &rsp).unwrap();
        assert_eq!(host_cryptogram[..], h(v.ext_auth_cmd)[5..13]);
        let mut bad = rsp;
        bad.card_cryptogram[0] ^= 1;
        let err = establish(&k16(KEY_ENC), &k16(KEY_MAC), &host, &bad).unwrap_err();
        assert_eq!(err.kind, ErrorKind::MacMismatch);
    }
    assert!(InitializeUpdateResponse::parse(&[0; 28]).is_err());
}

#[test]
fn unwrap_rejects_missing_padding() {
    // A correctly MACed segment whose single ciphertext block decrypts to
    // 16 data bytes without '80 00..' padding.
    let mut host = bsp_session();
    let card = host.clone();
    let mut ct = Vec::new();
    host.encrypt(&[0x11; 16], &mut ct).unwrap();
    ct.truncate(16);
    let mac = host.c_mac(&[&[0x86, 0x18], &ct]);
    let seg = [&[0x86, 0x18][..], &ct, &mac].concat();
    let err = card.clone().unwrap(&seg, &mut [0u8; 64]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadPadding);
    // Output too small for the plaintext.
    let mut host = bsp_session();
    let mut w = Vec::new();
    host.wrap(0x86, &[0x22; 40], &mut w).unwrap();
    let err = card.clone().unwrap(&w, &mut [0u8; 20]).unwrap_err();
    assert_eq!(
        err.kind,
        ErrorKind::Tlv(smsr::tlv::ErrorKind::BufferTooSmall)
    );
    let mut out = [0u8; 40];
    let (_, p) = card.clone().unwrap(&w, &mut out).unwrap();
    assert_eq!(p, [0x22; 40]);
}
