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
//! SCP80 refusals through the simulator: every error status of TS 102
//! 225 table 5 it can produce, with no state change, and the injected
//! faults.

mod sim_support;

use proptest::prelude::*;
use sim_support::Server;
use smsr::apdu::StatusWord;
use smsr::isdr::{Aid, Tar, es5};
use smsr::scp80::{
    self, Cntr, CommandHeader, Framing, KeySet, Kic, PorStatus, ResponsePacket, Spi,
};
use smsr::sim::{Euicc, Fault, OutgoingKind, Reception, fleet};

fn setup() -> (Euicc, Server) {
    let cfg = fleet::member(11, 3).unwrap();
    let server = Server::new(&cfg);
    (Euicc::new(cfg, 5), server)
}

fn create(aid_tar: u32) -> Vec<u8> {
    let aid = Aid::isd_p(Tar::from_value(aid_tar)).unwrap();
    let c = es5::create_isdp(&aid, None).unwrap();
    Server::script_bytes(&[c.as_bytes()], smsr::remote::Coding::Definite)
}

/// Reads an unsecured PoR (the card had no keys for it).
fn clear_por(tp_ud: &[u8]) -> (PorStatus, [u8; 3]) {
    let p = ResponsePacket::new_checked(&tp_ud[3..], Framing::SmsPp).unwrap();
    assert_eq!(p.checksum_len(), 0);
    (p.status(), p.tar().0)
}

#[test]
fn counter_replay_is_refused_without_state_change() {
    let (mut sim, mut server) = setup();
    let header = server.header();
    let segs = server.segments(&header, &create(0x10));
    let ex = server.deliver(&mut sim, &header, &segs);
    assert_eq!(ex.status, Some(PorStatus::OK));
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    assert_eq!(sim.counter(header.tar, 1), header.cntr);
    // The same packet again: CNTR low, PoR secured, nothing changes.
    let before = sim.snapshot();
    let ex = server.deliver(&mut sim, &header, &segs);
    assert_eq!(ex.status, Some(PorStatus::CNTR_LOW));
    assert!(ex.data.is_empty());
    assert_eq!(sim.snapshot(), before);
    // An older counter is refused as well; a higher one (gap allowed in
    // mode "higher") is accepted.
    server.cntr = 100;
    let ex = server.send(&mut sim, &create(0x11));
    assert_eq!(ex.status, Some(PorStatus::OK));
    server.cntr = 50;
    let ex = server.send(&mut sim, &create(0x12));
    assert_eq!(ex.status, Some(PorStatus::CNTR_LOW));
    assert_eq!(sim.card().profiles.len(), 2);
}

#[test]
fn counter_must_be_one_higher_and_blocked() {
    let (mut sim, mut server) = setup();
    server.spi = Spi([0x1E, 0x39]); // CC, ciphered, counter exactly +1
    server.cntr = 0;
    assert_eq!(
        server.send(&mut sim, &create(0x10)).status,
        Some(PorStatus::OK)
    );
    server.cntr = 5; // next is 6, expected 2
    let before = sim.snapshot();
    assert_eq!(
        server.send(&mut sim, &create(0x11)).status,
        Some(PorStatus::CNTR_HIGH)
    );
    assert_eq!(sim.snapshot(), before);
    server.cntr = 1;
    assert_eq!(
        server.send(&mut sim, &create(0x11)).status,
        Some(PorStatus::OK)
    );
    // A receiver at the highest counter is blocked.
    sim.set_counter(scp80::Tar([0, 0, 1]), 1, Cntr::MAX);
    server.spi = Spi([0x16, 0x39]);
    assert_eq!(
        server.send(&mut sim, &create(0x12)).status,
        Some(PorStatus::CNTR_BLOCKED)
    );
}

#[test]
fn bad_cc_unknown_tar_unknown_key_and_low_security() {
    let (mut sim, mut server) = setup();
    let before = sim.snapshot();
    // Bad CC: one bit of the ciphered part flipped.
    let header = server.header();
    let mut segs = server.segments(&header, &create(0x10));
    let last = segs[0].len() - 1;
    segs[0][last] ^= 0x80;
    let ex = server.deliver(&mut sim, &header, &segs);
    assert_eq!(ex.status, Some(PorStatus::RC_CC_DS_FAILED));
    assert_eq!(sim.snapshot(), before);

    // Unknown TAR: status 09 in a PoR without security.
    server.tar = scp80::Tar([0xB0, 0x00, 0x00]);
    let header = server.header();
    let segs = server.segments(&header, &create(0x10));
    for s in &segs {
        sim.receive(s, 0).unwrap();
    }
    let out = sim.take_outgoing(0);
    assert_eq!(out.len(), 1);
    assert_eq!(
        clear_por(&out[0].tp_ud),
        (PorStatus::TAR_UNKNOWN, [0xB0, 0x00, 0x00])
    );
    assert_eq!(sim.snapshot(), before);

    // Unknown key version: 06.
    server.tar = scp80::Tar([0, 0, 1]);
    server.kic = Kic(0x72);
    let header = server.header();
    let segs = server.segments(&header, &create(0x10));
    sim.receive(&segs[0], 0).unwrap();
    let out = sim.take_outgoing(0);
    assert_eq!(
        clear_por(&out[0].tp_ud).0,
        PorStatus::UNIDENTIFIED_SECURITY_ERROR
    );
    assert_eq!(sim.snapshot(), before);

    // Below the ISD-R's minimum security level (no ciphering): 0A, with
    // a secured PoR.
    server.kic = Kic(0x12);
    server.spi = Spi([0x12, 0x29]); // CC + counter, not ciphered; PoR CC
    let ex = server.send(&mut sim, &create(0x10));
    assert_eq!(ex.status, Some(PorStatus::INSUFFICIENT_SECURITY_LEVEL));
    assert_eq!(sim.snapshot(), before);

    // PoR only on error: an accepted packet sends none.
    server.spi = Spi([0x16, 0x3A]);
    let ex = server.send(&mut sim, &create(0x10));
    assert_eq!(ex.status, None);
    assert_eq!(sim.card().profiles.len(), 1);
}

#[test]
fn injected_faults() {
    let (mut sim, mut server) = setup();
    // Dropped PoR: the command still ran.
    sim.faults.inject(Fault::DropPor);
    assert_eq!(server.send(&mut sim, &create(0x10)).status, None);
    assert_eq!(sim.card().profiles.len(), 1);
    // Delayed PoR: nothing now, the PoR at +2 s.
    sim.faults.inject(Fault::DelayPor(2_000));
    let header = server.header();
    let segs = server.segments(&header, &create(0x11));
    let ex = server.deliver(&mut sim, &header, &segs);
    assert_eq!(ex.status, None);
    assert_eq!(sim.held_back(), 1);
    assert!(sim.take_outgoing(1_999).is_empty());
    let out = sim.take_outgoing(2_000);
    assert_eq!(out[0].kind, OutgoingKind::Por);
    assert_eq!(server.read(&header, &out).status, Some(PorStatus::OK));
    // Corrupted PoR: the server's verification fails.
    sim.faults.inject(Fault::CorruptResponse);
    let header = server.header();
    for s in server.segments(&header, &create(0x12)) {
        sim.receive(&s, 0).unwrap();
    }
    let out = sim.take_outgoing(0);
    let mut tp = out[0].tp_ud.clone();
    let n = scp80::sms::por_udh_len(&tp);
    assert!(scp80::response::verify(Framing::SmsPp, &header, &server.keys, &mut tp[n..]).is_err());
    // Out of memory: PoR 07, nothing executed, counter not taken.
    sim.faults.inject(Fault::OutOfMemory);
    let before = sim.snapshot();
    let ex = server.send(&mut sim, &create(0x13));
    assert_eq!(ex.status, Some(PorStatus::INSUFFICIENT_MEMORY));
    assert_eq!(sim.snapshot(), before);
    assert_eq!(sim.faults.scheduled(), 0);
}

#[test]
fn random_faults_repeat_for_a_seed() {
    let run = |seed: u64| {
        let cfg = fleet::member(11, 3).unwrap();
        let mut server = Server::new(&cfg);
        let mut sim = Euicc::new(cfg, seed);
        sim.faults.rates.drop_por = 300;
        sim.faults.rates.corrupt_response = 300;
        (0..20u32)
            .map(|i| {
                let header = server.header();
                for s in server.segments(&header, &create(0x10 + i)) {
                    sim.receive(&s, 0).unwrap();
                }
                sim.take_outgoing(0).len()
            })
            .collect::<Vec<_>>()
    };
    let a = run(9);
    assert_eq!(a, run(9));
    assert!(a.contains(&0) && a.contains(&1), "{a:?}");
    assert_ne!(a, run(10));
}

#[test]
fn malformed_user_data_is_dropped() {
    let (mut sim, _) = setup();
    let before = sim.snapshot();
    for bad in [
        &[][..],
        &[0x05, 0x00],
        &[0x02, 0x71, 0x00, 0x00],
        &[0x02, 0x70, 0x00, 0x00, 0x30],
    ] {
        assert!(sim.receive(bad, 0).is_err());
    }
    assert_eq!(sim.snapshot(), before);
    assert!(sim.take_outgoing(u64::MAX).is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A valid packet with one octet changed is refused with an error PoR
    /// (or dropped), and then nothing changed; or, when the change hit a
    /// field the card does not check (e.g. the PoR SPI octet), it is
    /// accepted exactly once.
    #[test]
    fn tampered_packets_change_nothing(pos in 0usize..200, xor in 1u8..=255) {
        let (mut sim, mut server) = setup();
        let header = server.header();
        let segs = server.segments(&header, &create(0x10));
        prop_assume!(segs.len() == 1);
        let mut seg = segs[0].clone();
        let pos = pos % seg.len();
        seg[pos] ^= xor;
        let before = sim.snapshot();
        match sim.receive(&seg, 0) {
            Ok(Reception::Processed(p)) if p.executed => {
                prop_assert!(p.status.is_ok());
            }
            _ => prop_assert_eq!(sim.snapshot(), before),
        }
    }
}

#[test]
fn por_keys_do_not_fit_falls_back_to_clear() {
    // A KIc naming DES for an AES key set: unwrap reports a key mismatch
    // (06) and the PoR cannot be secured with it, so it goes in clear.
    let (mut sim, mut server) = setup();
    let header = CommandHeader {
        kic: Kic(0x11),
        ..server.header()
    };
    let mut buf = vec![0u8; 128];
    let keys = KeySet::new()
        .with_kic(&smsr::crypto::Key::new(smsr::crypto::CipherAlgorithm::Des, &[1; 8]).unwrap())
        .with_kid(&smsr::crypto::Key::aes(sim.config().scp80[0].kid.dangerous_bytes()).unwrap());
    let n = scp80::command::wrap(Framing::SmsPp, &header, &create(0x10), &keys, &mut buf).unwrap();
    let mut tp = vec![0x02, 0x70, 0x00];
    tp.extend_from_slice(&buf[..n]);
    let before = sim.snapshot();
    sim.receive(&tp, 0).unwrap();
    let out = sim.take_outgoing(0);
    assert_eq!(
        clear_por(&out[0].tp_ud).0,
        PorStatus::UNIDENTIFIED_SECURITY_ERROR
    );
    assert_eq!(sim.snapshot(), before);
    let _ = &mut server;
}

#[test]
fn counter_modes_without_checks_and_the_msl() {
    // With the minimum security level lowered, modes 00 (no counter) and
    // 01 (counter present, not checked) accept a replay and store nothing.
    let mut cfg = fleet::member(11, 4).unwrap();
    cfg.isd_r_msl = smsr::sim::MinimumSecurityLevel::NONE;
    let mut server = Server::new(&cfg);
    let mut sim = Euicc::new(cfg, 0);
    for spi in [Spi([0x06, 0x39]), Spi([0x0E, 0x39])] {
        server.spi = spi;
        let header = server.header();
        let segs = server.segments(&header, &create(0x10));
        let first = server.deliver(&mut sim, &header, &segs);
        let again = server.deliver(&mut sim, &header, &segs);
        assert_eq!(
            (first.status, again.status),
            (Some(PorStatus::OK), Some(PorStatus::OK))
        );
        assert_eq!(
            again.sw(0),
            StatusWord::INCORRECT_DATA,
            "the ISD-P exists already"
        );
        assert_eq!(sim.counter(header.tar, 1), Cntr::default());
        let ex = server.send(
            &mut sim,
            &Server::script_bytes(
                &[
                    es5::delete_isdp(&Aid::isd_p(Tar::from_value(0x10)).unwrap())
                        .unwrap()
                        .as_bytes(),
                ],
                smsr::remote::Coding::Definite,
            ),
        );
        assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    }
    // The SGP.02 level refuses the same packets with 0A.
    let (mut sim, mut server) = setup();
    server.spi = Spi([0x0E, 0x39]);
    let before = sim.snapshot();
    assert_eq!(
        server.send(&mut sim, &create(0x10)).status,
        Some(PorStatus::INSUFFICIENT_SECURITY_LEVEL)
    );
    assert_eq!(sim.snapshot(), before);
}

/// A concatenated packet whose last segment is lost must not block the next
/// one: the first segment of a new message (another reference) starts a new
/// assembly and the stale parts are dropped (3GPP TS 23.040 §9.2.3.24.1: a
/// receiver keys concatenation on the reference number).
#[test]
fn lost_segment_does_not_block_later_concatenated_packets() {
    let (mut sim, mut server) = setup();
    // A GET STATUS script padded with a large GET DATA so it needs 2+ SMS.
    let big = [&[0x80_u8, 0xCA, 0xFF, 0x21, 0x00][..]; 40];
    let script = Server::script_bytes(&big, smsr::remote::Coding::Definite);

    let lost_header = server.header();
    let lost = server.segments(&lost_header, &script);
    assert!(lost.len() >= 2, "{} segments", lost.len());
    for s in &lost[..lost.len() - 1] {
        assert!(matches!(
            sim.receive(s, 0).unwrap(),
            Reception::Partial { .. }
        ));
    }
    assert!(sim.take_outgoing(0).is_empty());

    // The next concatenated packet is processed in full.
    let header = server.header();
    let segs = server.segments(&header, &script);
    let ex = server.deliver(&mut sim, &header, &segs);
    assert_eq!(ex.status, Some(PorStatus::OK));
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
}
