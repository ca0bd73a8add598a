//! ES8.DownloadAndInstallation and ES8.UpdateConnectivityParameters, SM-DP
//! side, against the SCP03t card side: a real TS.48 package (from
//! `../shared/testdata/profiles`) goes through in `86` segments and comes
//! out byte-exact; answers are checked with the R-MAC of the segment they
//! answer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

use smsr::es8::connectivity::{self, ConnectivityParameters, Outcome};
use smsr::es8::download::{self, EuiccResponse};
use smsr::scp03t::segment::SGP22_MAX_SEGMENT_LEN;
use smsr::scp03t::{Card, ErrorKind, Host, SecurityLevel, StaticKeys, Step};

fn ts48() -> Option<Vec<u8>> {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata")
        });
    let p = dir.join("profiles/ts48v5_saip2.3_bertlv_suci.der");
    let r = std::fs::read(&p).ok();
    if r.is_none() {
        eprintln!(
            "scp03t_es8: {} NOT FOUND (set SMSR_TESTDATA); skipping",
            p.display()
        );
    }
    r
}

fn open(level: SecurityLevel) -> (Host, Card) {
    let keys = StaticKeys::from_bytes(&[0x41; 16], &[0x42; 16]).unwrap();
    let mut host = Host::new(keys.clone(), 0x30, 0, [7; 8], level).unwrap();
    let mut card = Card::new(
        keys,
        0x30,
        &[0xA0, 0, 0, 5, 0x59, 0x10, 0x10, 1],
        1,
        SGP22_MAX_SEGMENT_LEN,
    )
    .unwrap();
    let (mut c, mut r) = (Vec::new(), Vec::new());
    host.initialize_update(&mut c).unwrap();
    card.handle(&c, &mut [0; 8], &mut r).unwrap();
    host.handle_initialize_update_response(&r).unwrap();
    c.clear();
    r.clear();
    host.external_authenticate(&mut c).unwrap();
    card.handle(&c, &mut [0; 8], &mut r).unwrap();
    host.handle_external_authenticate_response(&r).unwrap();
    (host, card)
}

#[test]
fn download_and_installation_of_a_ts48_package() {
    let Some(pkg) = ts48() else { return };
    let (mut host, mut card) = open(SecurityLevel::ALL);
    let segs = download::segments(host.session().unwrap(), &pkg, SGP22_MAX_SEGMENT_LEN).unwrap();
    assert_eq!(segs.len(), pkg.len().div_ceil(1007));
    assert!(
        segs.iter()
            .rev()
            .skip(1)
            .all(download::Segment::more_to_follow)
    );
    assert!(!segs.last().unwrap().more_to_follow());
    // The SM-SR relays every segment before any answer comes back; each
    // answer is checked against the state of its own segment.
    let mut answers = Vec::new();
    let mut back = Vec::new();
    let mut plain = vec![0u8; 2048];
    for s in &segs {
        assert!(s.tlv().len() <= SGP22_MAX_SEGMENT_LEN);
        let Step::Segment(p) = card.handle(s.tlv(), &mut plain, &mut Vec::new()).unwrap() else {
            panic!("segment")
        };
        back.extend_from_slice(p);
        let data = if s.more_to_follow() {
            Vec::new()
        } else {
            EuiccResponse::ok().to_vec().unwrap()
        };
        let mut a = Vec::new();
        card.respond(&data, &mut a).unwrap();
        answers.push(a);
    }
    assert_eq!(back, pkg);
    for (s, a) in segs.iter().zip(&answers).rev() {
        let data = s.check_answer(a).unwrap();
        if !s.more_to_follow() {
            assert!(EuiccResponse::parse(&data).unwrap().is_ok());
        } else {
            assert!(data.is_empty());
        }
    }
    // An answer checked against another segment's state is refused, and a
    // card refusal comes back typed.
    assert_eq!(
        segs[0].check_answer(&answers[1]).unwrap_err().kind,
        ErrorKind::MacMismatch
    );
    let e = segs[0]
        .check_answer(&[0x9F, 0x46, 0x02, 0x6A, 0x84])
        .unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::CardError {
            tag: 0x86,
            sw: 0x6A84
        }
    );
    assert!(download::segments(host.session().unwrap(), &[], 1020).is_err());
}

#[test]
fn update_connectivity_parameters_over_scp03() {
    for level in SecurityLevel::DEFINED {
        let (mut host, _card) = open(level);
        let params = ConnectivityParameters::sms("447700900123");
        let before = host.session().unwrap().clone();
        let apdu = connectivity::command(host.session().unwrap(), &params).unwrap();
        let b = apdu.as_bytes();
        assert_eq!(b[..4], [0x84, 0xE2, 0x88, 0x00]);
        let plain_len = 3 + params.to_vec().unwrap().len();
        let body = if level.c_decryption() {
            (plain_len / 16 + 1) * 16
        } else {
            plain_len
        };
        assert_eq!(usize::from(b[4]), body + 8);
        if !level.c_decryption() {
            assert_eq!(b[5..8], [0x3A, 0x07, 0x0B]);
        }
        assert_eq!(
            host.session().unwrap().counter(),
            before.counter() + u64::from(level.c_decryption())
        );
        // The card's 9000 with its R-MAC (over chaining value | SW).
        let s = host.session().unwrap().clone();
        let mut rapdu = Vec::new();
        if level.r_mac() {
            rapdu.extend_from_slice(&s.r_mac(&[&[], &[0x90, 0x00]]).unwrap());
        }
        rapdu.extend_from_slice(&[0x90, 0x00]);
        assert_eq!(connectivity::outcome(&s, &rapdu).unwrap(), Outcome::Updated);
        assert_eq!(
            connectivity::outcome(&s, &[0x6A, 0x80]).unwrap(),
            Outcome::Refused(smsr::apdu::StatusWord(0x6A80))
        );
        if level.r_mac() {
            rapdu[0] ^= 1;
            assert_eq!(
                connectivity::outcome(&s, &rapdu).unwrap_err().kind,
                ErrorKind::MacMismatch
            );
        }
    }
}
