#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Round trips of the SCP80 layer: wrap → unwrap and PoR build → verify
//! over every algorithm, integrity, ciphering, framing and payload length
//! 0..=255 (every padding edge), plus proptest over the whole SPI space,
//! Repr parse ⇄ emit, tampering and SMS segmentation ⇄ reassembly.

use proptest::prelude::*;
use smsr::crypto::{Checksum, CipherAlgorithm, Key};
use smsr::scp80::sms::{self, ConcatReference, Progress, Reassembler};
use smsr::scp80::{
    Cntr, CommandHeader, CommandPacket, CommandRepr, CounterMode, Error, Framing, Integrity,
    KeySet, Kic, Kid, PorStatus, ResponsePacket, ResponseRepr, Spi, Tar, command, response,
};

const ALGOS: [(CipherAlgorithm, u8); 6] = [
    (CipherAlgorithm::Des, 0x1),
    (CipherAlgorithm::Tdes2, 0x5),
    (CipherAlgorithm::Tdes3, 0x9),
    (CipherAlgorithm::Aes128, 0x2),
    (CipherAlgorithm::Aes192, 0x2),
    (CipherAlgorithm::Aes256, 0x2),
];

fn key(algo: CipherAlgorithm, seed: u8) -> Key {
    let bytes: Vec<u8> = (0..algo.key_len() as u8)
        .map(|i| i.wrapping_mul(37) ^ seed)
        .collect();
    Key::new(algo, &bytes).unwrap()
}

fn keyset(algo: CipherAlgorithm) -> KeySet {
    KeySet::new()
        .with_kic(&key(algo, 0x5A))
        .with_kid(&key(algo, 0xC3))
}

/// KID octet for an integrity: the algorithm nibble for a CC, CRC16 (1)
/// or CRC32 (5) for an RC.
fn kid_for(integrity: Integrity, nibble: u8, crc32: bool) -> Kid {
    match integrity {
        Integrity::Rc => Kid(0x10 | if crc32 { 5 } else { 1 }),
        _ => Kid(0x10 | nibble),
    }
}

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(13) ^ seed)
        .collect()
}

#[test]
fn every_algorithm_integrity_and_length() {
    let mut n = 0;
    for (algo, nibble) in ALGOS {
        let keys = keyset(algo);
        for (integrity, crc32) in [
            (Integrity::None, false),
            (Integrity::Rc, false),
            (Integrity::Rc, true),
            (Integrity::Cc, false),
        ] {
            for ciphered in [false, true] {
                for framing in [Framing::SmsPp, Framing::Generic] {
                    let spi = Spi::default()
                        .with_integrity(integrity)
                        .with_ciphering(ciphered)
                        .with_counter_mode(CounterMode::Higher);
                    let header = CommandHeader {
                        spi,
                        kic: Kic(0x10 | nibble),
                        kid: kid_for(integrity, nibble, crc32),
                        tar: Tar([0xB0, 0x00, 0x10]),
                        cntr: Cntr::from_u64(0x0102030405).unwrap(),
                    };
                    for len in 0..=255usize {
                        let data = payload(len, len as u8);
                        let mut out = [0u8; 320];
                        let size = command::wrap(framing, &header, &data, &keys, &mut out).unwrap();
                        let packet = &mut out[..size];
                        let view = CommandPacket::new_checked(&*packet, framing).unwrap();
                        if ciphered {
                            assert_eq!(view.ciphered_part().len() % algo.block_len(), 0);
                        }
                        let stored = Cntr::from_u64(0x0102030404).unwrap();
                        let got = command::unwrap(framing, packet, &keys, stored).unwrap();
                        assert_eq!(got.payload, &data[..], "{algo:?} {integrity:?} {len}");
                        assert_eq!(got.header, header);
                        assert_eq!(got.new_counter, Some(header.cntr));
                        if ciphered {
                            assert!(usize::from(got.pcntr) < algo.block_len());
                        } else {
                            assert_eq!(got.pcntr, 0);
                        }
                        // The deciphered packet parses into a Repr that
                        // emits the same bytes.
                        let plain = CommandPacket::new_checked(&*packet, framing).unwrap();
                        let repr = CommandRepr::parse(&plain);
                        assert_eq!(repr.buffer_len(framing), size);
                        let mut again = [0u8; 320];
                        assert_eq!(repr.emit(framing, &mut again).unwrap(), size);
                        assert_eq!(&again[..size], &*packet);
                        n += 1;
                    }
                }
            }
        }
    }
    assert_eq!(n, 6 * 4 * 2 * 2 * 256);
}

#[test]
fn every_por_security_and_length() {
    for (algo, nibble) in ALGOS {
        let keys = keyset(algo);
        for (integrity, crc32) in [
            (Integrity::None, false),
            (Integrity::Rc, false),
            (Integrity::Rc, true),
            (Integrity::Cc, false),
        ] {
            for ciphered in [false, true] {
                for framing in [Framing::SmsPp, Framing::Generic] {
                    let spi = Spi([0x16, 0x21])
                        .with_por_integrity(integrity)
                        .with_por_ciphering(ciphered);
                    let command = CommandHeader {
                        spi,
                        kic: Kic(0x20 | nibble),
                        kid: kid_for(integrity, nibble, crc32),
                        tar: Tar([0x00, 0x00, 0x01]),
                        cntr: Cntr::from_u64(77).unwrap(),
                    };
                    for len in 0..=255usize {
                        let data = payload(len, 0x33);
                        let status = PorStatus((len % 13) as u8);
                        let mut out = [0u8; 320];
                        let size =
                            response::build(framing, &command, &keys, status, &data, &mut out)
                                .unwrap();
                        let mut sms_ud;
                        let por = if framing == Framing::SmsPp && len % 2 == 0 {
                            // With the UDH in front, as in an SMS-SUBMIT.
                            sms_ud = vec![0x02, 0x71, 0x00];
                            sms_ud.extend_from_slice(&out[..size]);
                            response::verify_sms(&command, &keys, &mut sms_ud).unwrap()
                        } else {
                            response::verify(framing, &command, &keys, &mut out[..size]).unwrap()
                        };
                        assert_eq!(por.data, &data[..], "{algo:?} {integrity:?} {len}");
                        assert_eq!(
                            (por.status, por.tar, por.cntr),
                            (status, command.tar, command.cntr)
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn aes_cc_of_four_octets() {
    let keys = keyset(CipherAlgorithm::Aes128).with_aes_cc_len_4();
    let header = CommandHeader {
        spi: Spi([0x16, 0x39]),
        kic: Kic(0x12),
        kid: Kid(0x12),
        tar: Tar([0, 0, 1]),
        cntr: Cntr::from_u64(2).unwrap(),
    };
    let mut out = [0u8; 64];
    let n = command::wrap(Framing::SmsPp, &header, b"abc", &keys, &mut out).unwrap();
    assert_eq!(out[2], 13 + 4, "CHL");
    // A receiver set up for 8-octet CMACs still accepts the 4-octet form
    // (CHL tells the length).
    let got = command::unwrap(
        Framing::SmsPp,
        &mut out[..n],
        &keyset(CipherAlgorithm::Aes128),
        Cntr::default(),
    )
    .unwrap();
    assert_eq!(got.payload, b"abc");
}

fn arb_algo() -> impl Strategy<Value = (CipherAlgorithm, u8)> {
    proptest::sample::select(ALGOS.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Any SPI: DS is refused, everything else round-trips, and the
    /// counter check follows the SPI's mode.
    #[test]
    fn any_spi_round_trips(spi0 in any::<u8>(), spi1 in any::<u8>(), (algo, nibble) in arb_algo(),
                           crc32 in any::<bool>(), len in 0usize..=255, cntr in 1u64..(1 << 40),
                           generic in any::<bool>()) {
        let framing = if generic { Framing::Generic } else { Framing::SmsPp };
        let spi = Spi([spi0, spi1]);
        let keys = keyset(algo);
        let header = CommandHeader {
            spi, kic: Kic(0x30 | nibble), kid: kid_for(spi.integrity(), nibble, crc32),
            tar: Tar([1, 2, 3]), cntr: Cntr::from_u64(cntr).unwrap(),
        };
        let data = payload(len, spi0);
        let mut out = [0u8; 320];
        match command::wrap(framing, &header, &data, &keys, &mut out) {
            Err(e) => prop_assert_eq!(e, Error::DigitalSignature),
            Ok(n) => {
                prop_assert!(spi.integrity() != Integrity::Ds);
                let original = out[..n].to_vec();
                let below = Cntr::from_u64(cntr - 1).unwrap();
                let mut buf = original.clone();
                let got = command::unwrap(framing, &mut buf, &keys, below).unwrap();
                prop_assert_eq!(got.payload, &data[..]);
                // Replaying with the receiver already at CNTR.
                let mut buf = original.clone();
                let replay = command::unwrap(framing, &mut buf, &keys, header.cntr);
                match spi.counter_mode() {
                    CounterMode::Higher | CounterMode::OneHigher =>
                        prop_assert_eq!(replay.unwrap_err(), Error::Counter(PorStatus::CNTR_LOW)),
                    _ => prop_assert!(replay.is_ok()),
                }
            }
        }
    }

    /// A single flipped bit anywhere in a packet with an RC or CC is
    /// always refused with a PoR status.
    #[test]
    fn tampering_is_detected(bit in any::<prop::sample::Index>(), (algo, nibble) in arb_algo(),
                             cc in any::<bool>(), ciphered in any::<bool>(), len in 0usize..=200) {
        let integrity = if cc { Integrity::Cc } else { Integrity::Rc };
        let spi = Spi::default().with_integrity(integrity).with_ciphering(ciphered)
            .with_counter_mode(CounterMode::NoCheck);
        let keys = keyset(algo);
        let header = CommandHeader { spi, kic: Kic(0x10 | nibble), kid: kid_for(integrity, nibble, true),
            tar: Tar([1, 2, 3]), cntr: Cntr::default() };
        let mut out = [0u8; 320];
        let n = command::wrap(Framing::SmsPp, &header, &payload(len, 1), &keys, &mut out).unwrap();
        let i = bit.index(n * 8);
        out[i / 8] ^= 1 << (i % 8);
        let e = command::unwrap(Framing::SmsPp, &mut out[..n], &keys, Cntr::default()).unwrap_err();
        // CPL / CHL damage is a framing error the card cannot answer; all else
        // maps to a PoR status.
        prop_assert!(e.por_status().is_some() || i < 24, "{:?} at bit {}", e, i);
    }

    /// Arbitrary bytes never panic the parsers, and what parses re-emits
    /// identically.
    #[test]
    fn parse_emit_inverse(bytes in proptest::collection::vec(any::<u8>(), 0..300), generic in any::<bool>()) {
        let framing = if generic { Framing::Generic } else { Framing::SmsPp };
        if let Ok(p) = CommandPacket::new_checked(&bytes[..], framing) {
            let repr = CommandRepr::parse(&p);
            let mut out = vec![0u8; repr.buffer_len(framing)];
            repr.emit(framing, &mut out).unwrap();
            // Non-minimal BER lengths are refused, so this is canonical.
            prop_assert_eq!(&out, &bytes);
        }
        if let Ok(p) = ResponsePacket::new_checked(&bytes[..], framing) {
            let repr = ResponseRepr::parse(&p);
            let mut out = vec![0u8; repr.buffer_len(framing)];
            repr.emit(framing, &mut out).unwrap();
            prop_assert_eq!(&out, &bytes);
        }
        let mut buf = bytes.clone();
        let _ = command::unwrap(framing, &mut buf, &keyset(CipherAlgorithm::Aes128), Cntr::default());
        let mut buf = bytes.clone();
        let h = CommandHeader { spi: Spi([0x16, 0x39]), kic: Kic(0x12), kid: Kid(0x12), tar: Tar::default(), cntr: Cntr::default() };
        let _ = response::verify_sms(&h, &keyset(CipherAlgorithm::Aes128), &mut buf);
    }

    /// Segmentation and reassembly are inverse, in any arrival order and
    /// with duplicates.
    #[test]
    fn segments_reassemble(len in 1usize..2000, r16 in any::<bool>(), reference in any::<u16>(),
                           order in any::<u64>()) {
        let packet = payload(len, 9);
        let reference = if r16 { ConcatReference::Ref16(reference) } else { ConcatReference::Ref8(reference as u8) };
        let mut segs: Vec<_> = sms::segments(&packet, reference).unwrap().collect();
        prop_assert_eq!(segs.len(), sms::segment_count(len, reference));
        prop_assert!(segs.iter().all(|s| s.len() <= sms::MAX_TP_UD));
        // All but the last are full.
        prop_assert!(segs.iter().rev().skip(1).all(|s| s.len() == sms::MAX_TP_UD));
        let mut rng = order;
        for i in (1..segs.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            segs.swap(i, (rng >> 33) as usize % (i + 1));
        }
        let mut r = Reassembler::<16>::new();
        let mut last = Progress::Incomplete { have: 0, total: 0 };
        for s in &segs {
            last = r.push(s).unwrap();
            prop_assert_eq!(r.push(s).unwrap(), last, "duplicate accepted");
        }
        prop_assert_eq!(last, Progress::Complete);
        prop_assert_eq!(r.packet_iei(), Some(sms::IEI_COMMAND_PACKET));
        let mut out = vec![0u8; len];
        prop_assert_eq!(r.assemble(&mut out).unwrap(), len);
        prop_assert_eq!(out, packet);
    }
}

/// A PoR too long for one SMS: the card splits it over SMS-SUBMITs with
/// IEI 71, the server reassembles (out of order) and verifies it; the
/// checksum still covers `02 71 00`.
#[test]
fn long_por_over_concatenated_submits() {
    let keys = keyset(CipherAlgorithm::Aes128);
    let command = CommandHeader {
        spi: Spi([0x16, 0x39]),
        kic: Kic(0x12),
        kid: Kid(0x12),
        tar: Tar([0, 0, 1]),
        cntr: Cntr::from_u64(9).unwrap(),
    };
    let data = payload(300, 4);
    let mut out = [0u8; 400];
    let n = response::build(
        Framing::SmsPp,
        &command,
        &keys,
        PorStatus::OK,
        &data,
        &mut out,
    )
    .unwrap();
    let segs: Vec<_> = sms::response_segments(&out[..n], ConcatReference::Ref16(0xBEEF))
        .unwrap()
        .collect();
    assert_eq!(segs.len(), 3);
    let mut r = Reassembler::<4>::new();
    for s in segs.iter().rev() {
        r.push(s).unwrap();
    }
    assert_eq!(r.packet_iei(), Some(sms::IEI_RESPONSE_PACKET));
    let mut packet = [0u8; 400];
    let len = r.assemble(&mut packet).unwrap();
    let por = response::verify(Framing::SmsPp, &command, &keys, &mut packet[..len]).unwrap();
    assert_eq!((por.status, por.data), (PorStatus::OK, &data[..]));
}

#[test]
fn reassembly_errors() {
    let packet = payload(400, 1);
    let segs: Vec<_> = sms::segments(&packet, ConcatReference::Ref8(7))
        .unwrap()
        .collect();
    assert_eq!(segs.len(), 3);
    let mut r = Reassembler::<4>::new();
    r.push(&segs[2]).unwrap();
    r.push(&segs[0]).unwrap();
    let mut out = [0u8; 400];
    assert_eq!(
        r.assemble(&mut out).unwrap_err(),
        Error::Concatenation {
            what: "missing segment",
            seq: 2,
            total: 3
        }
    );
    let mut other = segs[1].clone();
    other[3] = 8; // another reference
    assert!(matches!(
        r.push(&other),
        Err(Error::Concatenation {
            what: "segment of another message",
            ..
        })
    ));
    let mut conflicting = segs[0].clone();
    let last = conflicting.len() - 1;
    conflicting[last] ^= 1;
    assert!(matches!(
        r.push(&conflicting),
        Err(Error::Concatenation {
            what: "conflicting duplicate",
            ..
        })
    ));
    let mut bad_seq = segs[1].clone();
    bad_seq[5] = 4;
    assert!(matches!(
        r.push(&bad_seq),
        Err(Error::Concatenation {
            what: "sequence number out of range",
            ..
        })
    ));
    assert_eq!(r.push(&segs[1]).unwrap(), Progress::Complete);
    assert_eq!(r.assemble(&mut out).unwrap(), 400);
    assert_eq!(&out[..], &packet[..]);
    assert!(matches!(
        Reassembler::<1>::new().assemble(&mut out),
        Err(Error::Concatenation { .. })
    ));
    // Truncated UDH.
    assert!(matches!(
        Reassembler::<1>::new().push(&[0x05, 0x00, 0x03]),
        Err(Error::Sms { .. })
    ));
}

#[test]
fn segment_sizes() {
    // 137 octets fit one SMS behind 02 70 00; 138 need two.
    let r = ConcatReference::Ref8(1);
    assert_eq!(sms::segment_count(137, r), 1);
    assert_eq!(sms::segment_count(138, r), 2);
    assert_eq!(sms::segment_count(132 + 134, r), 2);
    assert_eq!(sms::segment_count(132 + 134 + 1, r), 3);
    let r16 = ConcatReference::Ref16(0x1234);
    assert_eq!(sms::segment_count(131 + 133, r16), 2);
    assert_eq!(sms::segment_count(131 + 133 + 1, r16), 3);
    let segs: Vec<_> = sms::segments(&payload(300, 0), r16).unwrap().collect();
    assert_eq!(
        &segs[0][..9],
        &[0x08, 0x08, 0x04, 0x12, 0x34, 0x03, 0x01, 0x70, 0x00]
    );
    assert_eq!(&segs[1][..7], &[0x06, 0x08, 0x04, 0x12, 0x34, 0x03, 0x02]);
    assert!(sms::segments(&payload(70000, 0), r).is_err());
}

/// The largest payloads that still fit one SMS (137-octet packet):
/// 3DES + CC + ciphering 106, AES + CC + ciphering 98, CC alone 113
/// (shared/reference/scp80-scp81.md §1.1, from pySim's `*-maxSingleSms`).
#[test]
fn largest_single_sms_payloads() {
    for (algo, nibble, spi0, max) in [
        (CipherAlgorithm::Tdes2, 5u8, 0x16u8, 106usize),
        (CipherAlgorithm::Aes128, 2, 0x16, 98),
        (CipherAlgorithm::Aes128, 2, 0x12, 113),
    ] {
        let header = CommandHeader {
            spi: Spi([spi0, 0x39]),
            kic: Kic(0x10 | nibble),
            kid: Kid(0x10 | nibble),
            tar: Tar([0, 0, 1]),
            cntr: Cntr::from_u64(1).unwrap(),
        };
        let mut out = [0u8; 200];
        let fits = command::wrap(
            Framing::SmsPp,
            &header,
            &payload(max, 0),
            &keyset(algo),
            &mut out,
        )
        .unwrap();
        let over = command::wrap(
            Framing::SmsPp,
            &header,
            &payload(max + 1, 0),
            &keyset(algo),
            &mut out,
        )
        .unwrap();
        assert!(
            fits <= sms::MAX_SINGLE_PACKET && over > sms::MAX_SINGLE_PACKET,
            "{algo:?} {fits} {over}"
        );
    }
}

#[test]
fn error_statuses() {
    let keys = keyset(CipherAlgorithm::Aes128);
    let header = CommandHeader {
        spi: Spi([0x1E, 0x39]),
        kic: Kic(0x12),
        kid: Kid(0x12),
        tar: Tar([0, 0, 1]),
        cntr: Cntr::from_u64(10).unwrap(),
    };
    let mut out = [0u8; 64];
    let n = command::wrap(Framing::SmsPp, &header, b"hello", &keys, &mut out).unwrap();
    let packet = out[..n].to_vec();
    let at = |v: u64| Cntr::from_u64(v).unwrap();
    let status = |keys: &KeySet, stored: Cntr| {
        let mut b = packet.clone();
        command::unwrap(Framing::SmsPp, &mut b, keys, stored)
            .map(|_| ())
            .map_err(|e| e.por_status())
    };
    assert_eq!(status(&keys, at(9)), Ok(()));
    assert_eq!(status(&keys, at(10)), Err(Some(PorStatus::CNTR_LOW)));
    assert_eq!(status(&keys, at(8)), Err(Some(PorStatus::CNTR_HIGH)));
    assert_eq!(status(&keys, Cntr::MAX), Err(Some(PorStatus::CNTR_BLOCKED)));
    assert_eq!(
        status(&keyset(CipherAlgorithm::Aes256), at(9)),
        Err(Some(PorStatus::RC_CC_DS_FAILED))
    );
    assert_eq!(
        status(&keyset(CipherAlgorithm::Tdes2), at(9)),
        Err(Some(PorStatus::UNIDENTIFIED_SECURITY_ERROR))
    );
    assert_eq!(
        status(&KeySet::new(), at(9)),
        Err(Some(PorStatus::UNIDENTIFIED_SECURITY_ERROR))
    );
    // Ciphered part cut to a non-block length, CPL fixed up.
    let mut short = packet[..n - 1].to_vec();
    short[1] -= 1;
    let e = command::unwrap(Framing::SmsPp, &mut short, &keys, at(9)).unwrap_err();
    assert_eq!(e.por_status(), Some(PorStatus::CIPHERING_ERROR));
    // CPL disagreeing with the length, truncated packets.
    for cut in 0..n {
        let mut b = packet[..cut].to_vec();
        assert!(command::unwrap(Framing::SmsPp, &mut b, &keys, at(9)).is_err());
    }
    let mut b = packet.clone();
    b[1] += 1;
    assert!(matches!(
        command::unwrap(Framing::SmsPp, &mut b, &keys, at(9)),
        Err(Error::LengthMismatch { field: "CPL", .. })
    ));
    // Unknown / proprietary algorithm.
    let bad = CommandHeader {
        kic: Kic(0x13),
        ..header
    };
    assert_eq!(
        command::wrap(Framing::SmsPp, &bad, b"x", &keys, &mut out).unwrap_err(),
        Error::UnsupportedAlgorithm {
            role: smsr::scp80::KeyRole::Kic,
            code: 3
        }
    );
    // Output buffer too small.
    assert!(matches!(
        command::wrap(Framing::SmsPp, &header, b"hello", &keys, &mut out[..10]),
        Err(Error::BufferTooSmall { .. })
    ));
    // Wrong padding count in an unciphered packet (CC recomputed by a
    // sender that set PCNTR = 1).
    let plain = CommandHeader {
        spi: Spi([0x01, 0x00]),
        kid: Kid(0x05),
        ..header
    };
    let crc_keys = KeySet::new().with_implicit_rc(Checksum::crc32());
    let n = command::wrap(Framing::SmsPp, &plain, b"hello", &crc_keys, &mut out).unwrap();
    out[15] = 1;
    let tag = Checksum::crc32().compute(&[&out[..16], &out[20..n]]);
    out[16..20].copy_from_slice(tag.as_bytes());
    let e = command::unwrap(Framing::SmsPp, &mut out[..n], &crc_keys, at(9)).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Padding {
                pcntr: 1,
                ciphered: false,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn store_backed_unwrap() {
    use smsr::scp80::{CounterStore, MemoryCounterStore};
    let keys = keyset(CipherAlgorithm::Tdes3);
    let mut store = MemoryCounterStore::<4>::new();
    let mut header = CommandHeader {
        spi: Spi([0x1E, 0x00]),
        kic: Kic(0x19),
        kid: Kid(0x19),
        tar: Tar([0, 0, 2]),
        cntr: Cntr::from_u64(1).unwrap(),
    };
    let mut out = [0u8; 64];
    for (c, ok) in [(1, true), (1, false), (3, false), (2, true)] {
        header.cntr = Cntr::from_u64(c).unwrap();
        let n = command::wrap(Framing::SmsPp, &header, b"x", &keys, &mut out).unwrap();
        let r = command::unwrap_with_store(Framing::SmsPp, &mut out[..n], &keys, &mut store);
        assert_eq!(r.is_ok(), ok, "cntr {c}");
    }
    assert_eq!(
        store.load(&header.counter_key()),
        Ok(Cntr::from_u64(2).unwrap())
    );
}
