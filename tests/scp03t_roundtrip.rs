//! SCP03t end to end, SM-DP ([`Host`]) ↔ ISD-P ([`Card`]): the handshake,
//! segments and responses for every key length and security level, and
//! the refusals (any changed bit, a replayed or reordered segment, a wrong
//! key, a command out of sequence, an oversized segment).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use proptest::prelude::*;
use smsr::scp03t::segment::{self, SGP22_MAX_SEGMENT_LEN};
use smsr::scp03t::{Card, ErrorKind, Host, SecurityLevel, StaticKeys, Step, sw};

const AID: [u8; 16] = [
    0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x10, 0x00,
];

fn keys(n: usize, seed: u8) -> StaticKeys {
    let enc: Vec<u8> = (0..n as u8).map(|i| i ^ seed).collect();
    let mac: Vec<u8> = (0..n as u8)
        .map(|i| i.wrapping_mul(3) ^ seed ^ 0x5A)
        .collect();
    StaticKeys::from_bytes(&enc, &mac).unwrap()
}

/// Runs the `84` / `85` handshake; returns both ends with the session open.
fn open(n: usize, level: SecurityLevel) -> (Host, Card) {
    let mut host = Host::new(keys(n, 1), 0x30, 0x00, [0x11; 8], level).unwrap();
    let mut card = Card::new(keys(n, 1), 0x30, &AID, 5, SGP22_MAX_SEGMENT_LEN).unwrap();
    let (mut cmd, mut rsp, mut plain) = (Vec::new(), Vec::new(), [0u8; 64]);
    host.initialize_update(&mut cmd).unwrap();
    assert_eq!(
        card.handle(&cmd, &mut plain, &mut rsp).unwrap(),
        Step::Initialized
    );
    assert_eq!(card.sequence_counter(), 6);
    assert_eq!(rsp[2 + 10..2 + 13], [0x30, 0x03, 0x70]);
    host.handle_initialize_update_response(&rsp).unwrap();
    cmd.clear();
    rsp.clear();
    host.external_authenticate(&mut cmd).unwrap();
    assert_eq!(
        card.handle(&cmd, &mut plain, &mut rsp).unwrap(),
        Step::Opened(level)
    );
    assert_eq!(rsp, [0x85, 0x00]);
    host.handle_external_authenticate_response(&rsp).unwrap();
    assert!(host.is_open() && card.is_open());
    (host, card)
}

fn package(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

/// Wraps `pkg` into segments on the host.
fn segments(host: &mut Host, pkg: &[u8], max: usize) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for c in segment::chunks(pkg, max, segment::Protection::Scp03t).unwrap() {
        let mut s = Vec::new();
        host.session().unwrap().wrap(0x86, c.data, &mut s).unwrap();
        assert!(s.len() <= max);
        out.push(s);
    }
    out
}

/// Wraps `pkg` segment by segment, feeds each to the card and answers it
/// (`ack i`), checking every answer on the host as it comes (an R-MAC is
/// computed over the chaining value of the command it answers); returns
/// the reassembled plaintext and the segments.
fn load(host: &mut Host, card: &mut Card, pkg: &[u8], max: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut back = Vec::new();
    let mut segs = Vec::new();
    let mut plain = vec![0u8; 2048];
    for (i, c) in segment::chunks(pkg, max, segment::Protection::Scp03t)
        .unwrap()
        .enumerate()
    {
        let mut s = Vec::new();
        host.session().unwrap().wrap(0x86, c.data, &mut s).unwrap();
        assert!(s.len() <= max);
        let Step::Segment(p) = card.handle(&s, &mut plain, &mut Vec::new()).unwrap() else {
            panic!("not a segment step");
        };
        back.extend_from_slice(p);
        let ack = format!("ack {i}");
        let mut rsp = Vec::new();
        card.respond(ack.as_bytes(), &mut rsp).unwrap();
        let mut out = [0u8; 64];
        let (tag, data) = host
            .session()
            .unwrap()
            .unwrap_response(&rsp, &mut out)
            .unwrap();
        assert_eq!((tag, data), (0x86, ack.as_bytes()));
        // An R-MACed answer with a changed bit is refused by the host.
        if host.session().unwrap().level().r_mac() {
            let mut bad = rsp.clone();
            let last = bad.len() - 1;
            bad[last] ^= 0x01;
            let e = host
                .session()
                .unwrap()
                .unwrap_response(&bad, &mut out)
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::MacMismatch);
        }
        segs.push(s);
    }
    (back, segs)
}

#[test]
fn every_key_length_and_security_level_round_trips() {
    let pkg = package(5000);
    for n in [16, 24, 32] {
        for level in SecurityLevel::DEFINED {
            let (mut host, mut card) = open(n, level);
            let (back, segs) = load(&mut host, &mut card, &pkg, SGP22_MAX_SEGMENT_LEN);
            assert_eq!(segs.len(), pkg.len().div_ceil(1007));
            assert_eq!(back, pkg, "key length {n}, level {level:?}");
            // Enciphered segments do not show the plaintext.
            if level.c_decryption() {
                assert!(!segs[0].windows(16).any(|w| w == &pkg[..16]));
            }
        }
    }
}

#[test]
fn undefined_security_levels_are_refused_on_both_sides() {
    for bad in [0x00, 0x02, 0x10, 0x21, 0x31, 0x73] {
        let e = Host::new(keys(16, 1), 0x30, 0, [0; 8], SecurityLevel(bad)).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadSecurityLevel(bad));
    }
}

/// A host with other keys than the card: the card cryptogram does not
/// verify, the host stops before EXTERNAL AUTHENTICATE.
#[test]
fn wrong_key_is_refused() {
    let mut host = Host::new(keys(16, 2), 0x30, 0, [0x11; 8], SecurityLevel::ALL).unwrap();
    let mut card = Card::new(keys(16, 1), 0x30, &AID, 0, 1020).unwrap();
    let (mut cmd, mut rsp) = (Vec::new(), Vec::new());
    host.initialize_update(&mut cmd).unwrap();
    card.handle(&cmd, &mut [0; 8], &mut rsp).unwrap();
    let e = host.handle_initialize_update_response(&rsp).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CryptogramMismatch);
    assert!(host.session().is_err());
}

#[test]
fn card_refuses_out_of_sequence_unknown_kvn_and_oversized_segments() {
    let mut card = Card::new(keys(16, 1), 0x30, &AID, 0, 1020).unwrap();
    let mut rsp = Vec::new();
    // A segment before the handshake.
    let e = card
        .handle(&[0x86, 0x01, 0x00], &mut [0; 8], &mut rsp)
        .unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutOfSequence("segment"));
    assert_eq!(rsp, [0x9F, 0x46, 0x02, 0x69, 0x85]);
    // A key version the card does not hold.
    rsp.clear();
    let mut iu = vec![0x84, 0x0A, 0x31, 0x00];
    iu.extend_from_slice(&[0; 8]);
    assert!(card.handle(&iu, &mut [0; 8], &mut rsp).is_err());
    assert_eq!(rsp, [0x9F, 0x44, 0x02, 0x6A, 0x88]);
    assert_eq!(card.sequence_counter(), 0, "nothing consumed");
    // An oversized segment on an open session closes it.
    let (mut host, mut card) = open(16, SecurityLevel::ALL);
    let big = segments(&mut host, &package(1500), 1500).remove(0);
    let mut plain = vec![0u8; 2048];
    rsp.clear();
    let e = card.handle(&big, &mut plain, &mut rsp).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::SegmentTooLarge {
            len: big.len(),
            max: 1020
        }
    );
    assert_eq!(rsp, [0x9F, 0x46, 0x02, 0x67, 0x00]);
    assert!(!card.is_open());
    // EXTERNAL AUTHENTICATE without INITIALIZE UPDATE.
    rsp.clear();
    let mut ea = vec![0x85, 0x11, 0x33];
    ea.extend_from_slice(&[0; 16]);
    let e = card.handle(&ea, &mut plain, &mut rsp).unwrap_err();
    assert_eq!(e.kind, ErrorKind::OutOfSequence("EXTERNAL AUTHENTICATE"));
    assert_eq!(rsp, [0x9F, 0x45, 0x02, 0x69, 0x85]);
}

/// A forged EXTERNAL AUTHENTICATE (right cryptogram, wrong C-MAC, or a
/// wrong cryptogram) is refused with `9F45 6982`.
#[test]
fn card_refuses_a_forged_external_authenticate() {
    for flip in [3usize, 12] {
        let mut host = Host::new(keys(16, 1), 0x30, 0, [0x11; 8], SecurityLevel::ALL).unwrap();
        let mut card = Card::new(keys(16, 1), 0x30, &AID, 0, 1020).unwrap();
        let (mut cmd, mut rsp) = (Vec::new(), Vec::new());
        host.initialize_update(&mut cmd).unwrap();
        card.handle(&cmd, &mut [0; 8], &mut rsp).unwrap();
        host.handle_initialize_update_response(&rsp).unwrap();
        cmd.clear();
        rsp.clear();
        host.external_authenticate(&mut cmd).unwrap();
        cmd[flip] ^= 0x40;
        assert!(card.handle(&cmd, &mut [0; 8], &mut rsp).is_err());
        assert_eq!(rsp, [0x9F, 0x45, 0x02, 0x69, 0x82]);
        assert!(!card.is_open());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any single changed bit in any segment is refused with the card's
    /// `9F46 6982` (or a TLV error where the header changed), and closes
    /// the session.
    #[test]
    fn any_bit_flip_in_a_segment_is_refused(
        len in 1usize..3000,
        which in any::<prop::sample::Index>(),
        bit in any::<prop::sample::Index>(),
        n in prop::sample::select(vec![16usize, 24, 32]),
    ) {
        let (mut host, mut card) = open(n, SecurityLevel::ALL);
        let segs = segments(&mut host, &package(len), 600);
        let i = which.index(segs.len());
        let mut plain = vec![0u8; 2048];
        for s in &segs[..i] {
            card.handle(s, &mut plain, &mut Vec::new()).unwrap();
        }
        let mut bad = segs[i].clone();
        let b = bit.index(bad.len() * 8);
        bad[b / 8] ^= 1 << (b % 8);
        let mut rsp = Vec::new();
        prop_assert!(card.handle(&bad, &mut plain, &mut rsp).is_err());
        prop_assert_eq!(rsp.len(), 5);
        prop_assert_eq!(rsp[0], 0x9F);
        prop_assert!(!card.is_open());
        // The genuine segment cannot resume the closed session.
        prop_assert!(card.handle(&segs[i], &mut plain, &mut Vec::new()).is_err());
    }

    /// A replayed or reordered segment is refused (the MAC chain differs).
    #[test]
    fn replayed_or_reordered_segments_are_refused(
        len in 1200usize..4000,
        replay in any::<bool>(),
        which in any::<prop::sample::Index>(),
    ) {
        let (mut host, mut card) = open(16, SecurityLevel::ALL);
        let segs = segments(&mut host, &package(len), 600);
        prop_assert!(segs.len() >= 3);
        let i = 1 + which.index(segs.len() - 2);
        let mut plain = vec![0u8; 2048];
        for s in &segs[..i] {
            card.handle(s, &mut plain, &mut Vec::new()).unwrap();
        }
        let wrong = if replay { &segs[i - 1] } else { &segs[i + 1] };
        let mut rsp = Vec::new();
        let e = card.handle(wrong, &mut plain, &mut rsp).unwrap_err();
        prop_assert_eq!(e.kind, ErrorKind::MacMismatch);
        prop_assert_eq!(rsp, vec![0x9F, 0x46, 0x02, 0x69, 0x82]);
        prop_assert_eq!(sw::SECURITY_STATUS_NOT_SATISFIED, 0x6982);
    }
}

/// The encryption counter never wraps: at its last value the next
/// enciphered command is refused and the session stays unusable; the card
/// refuses the 3-octet sequence counter beyond `FFFFFF`.
#[test]
fn counters_are_exhausted_not_wrapped() {
    use smsr::scp03t::{Session, SessionKeys};
    let keys = SessionKeys::from_bytes(&[1; 16], &[2; 16], &[3; 16]).unwrap();
    let mut s = Session::resume(&keys, SecurityLevel::ALL, [0; 16], u64::MAX - 1).unwrap();
    let mut out = Vec::new();
    s.wrap(0x86, b"last", &mut out).unwrap();
    assert_eq!(s.counter(), u64::MAX);
    let e = s.wrap(0x86, b"one more", &mut Vec::new()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CounterExhausted);
    assert!(Session::resume(&keys, SecurityLevel::ALL, [0; 16], 0).is_err());
    assert!(Card::new(keys_of_len(16), 0x30, &AID, 0x0100_0000, 1020).is_err());
    let mut card = Card::new(keys_of_len(16), 0x30, &AID, 0x00FF_FFFF, 1020).unwrap();
    let host = Host::new(keys_of_len(16), 0x30, 0, [1; 8], SecurityLevel::ALL).unwrap();
    let (mut c, mut r) = (Vec::new(), Vec::new());
    host.initialize_update(&mut c).unwrap();
    card.handle(&c, &mut [0; 8], &mut r).unwrap();
    assert_eq!(r[2 + 29..], [0xFF, 0xFF, 0xFF]);
    r.clear();
    let e = card.handle(&c, &mut [0; 8], &mut r).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CounterExhausted);
    assert_eq!(r, [0x9F, 0x44, 0x02, 0x69, 0x85]);
}

fn keys_of_len(n: usize) -> StaticKeys {
    keys(n, 1)
}
