#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! ES5 builders inside TS 102 226 expanded scripts, responses out of
//! expanded response scripts, notification round trips.

use proptest::prelude::*;
use smsr::apdu::CommandView;
use smsr::isdr::es5;
use smsr::isdr::notification::{DeviceId, TAG_AID};
use smsr::isdr::response::{self, Es5Error};
use smsr::isdr::{Aid, Eid, Notification, NotificationType, Tar};
use smsr::remote::expanded::{c_apdu, command_script};
use smsr::remote::{Coding, CommandScript, ResponseScript};
use smsr::tlv::{Encode, Tag};

fn aid(tar: u32) -> Aid {
    Aid::isd_p(Tar::from_value(tar)).unwrap()
}

#[test]
fn builders_are_valid_apdus_and_survive_a_script() {
    let a = aid(0x10);
    let apdus = [
        es5::create_isdp(&a, Some(70_000)).unwrap(),
        es5::enable_profile(&a).unwrap(),
        es5::disable_profile(&a).unwrap(),
        es5::delete_isdp(&a).unwrap(),
        es5::set_fallback_attribute(&a).unwrap(),
        es5::set_emergency_profile_attribute(&a).unwrap(),
        es5::handle_notification_confirmation(0xFFFF).unwrap(),
        es5::audit_card_resources().unwrap(),
        es5::audit_isdp_status(Some(&a)).unwrap(),
        es5::install_for_personalization(&a).unwrap(),
        es5::master_delete(&a, &[0x42, 0x01, 0x00], &[0xAA; 16]).unwrap(),
        es5::update_smsr_addressing_parameters(&[0x81, 0x01, 0x00]).unwrap(),
    ];
    for c in &apdus {
        CommandView::parse(c.as_bytes()).unwrap();
    }
    let items: Vec<_> = apdus.iter().map(|c| c_apdu(c.as_bytes())).collect();
    for coding in [Coding::Definite, Coding::Indefinite] {
        let script = command_script(&items[..], coding).to_vec().unwrap();
        let (parsed, rest) = CommandScript::parse(&script).unwrap();
        assert!(rest.is_empty());
        let back: Vec<&[u8]> = parsed.c_apdus().map(Result::unwrap).collect();
        assert_eq!(back.len(), apdus.len());
        for (b, c) in back.iter().zip(&apdus) {
            assert_eq!(*b, c.as_bytes());
        }
    }
}

/// The real card answer quoted in scp80-scp81.md §4.2 (`AF 80 23 02 6A88
/// 00 00`, otaman live trace) read as an ES5 result: unknown ISD-P.
#[test]
fn response_script_to_typed_error() {
    let body = [0xAF, 0x80, 0x23, 0x02, 0x6A, 0x88, 0x00, 0x00];
    let (script, _) = ResponseScript::parse(&body).unwrap();
    let last = script.last_r_apdu().unwrap().unwrap();
    assert_eq!(
        response::check(&last),
        Err(Es5Error::ReferencedDataNotFound)
    );
}

#[test]
fn eid_from_whty_test_comment_is_valid() {
    // whty ReceiveNotificationBySmsHandler comment: eidString = "89001012012341234012345678901224".
    Eid::parse_digits("89001012012341234012345678901224").unwrap();
}

/// EIDs start with `89` (SGP.29 §4); [`Eid::from_get_data`] relies on it
/// to tell the byte orders apart.
fn any_eid() -> impl Strategy<Value = Eid> {
    proptest::collection::vec(0u8..10, 28).prop_map(|d| {
        let s: String = "89"
            .chars()
            .chain(d.iter().map(|x| char::from(b'0' + x)))
            .collect();
        Eid::with_check_digits(&s).unwrap()
    })
}

fn any_notification() -> impl Strategy<Value = Notification> {
    (
        any_eid(),
        any::<u8>(),
        any::<u16>(),
        proptest::option::of((
            0x10u32..0xFFFF,
            prop::sample::select(vec![0x2F_u32, 0xAF, 0x4F]),
        )),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16)),
    )
        .prop_map(|(eid, kind, seq, aid_t, imei, meid)| Notification {
            eid,
            kind: NotificationType(kind),
            sequence_number: seq,
            isd_p_aid: aid_t.map(|(t, _)| aid(t)),
            aid_tag: aid_t.map_or(TAG_AID, |(_, tag)| Tag::new(tag)),
            imei: imei.map(|v| DeviceId {
                tag: Tag::new(0x14),
                value: heapless::Vec::from_slice(&v).unwrap(),
            }),
            meid: meid.map(|v| DeviceId {
                tag: Tag::new(0xED),
                value: heapless::Vec::from_slice(&v).unwrap(),
            }),
        })
}

proptest! {
    #[test]
    fn notification_emit_parse_inverse(n in any_notification()) {
        let bytes = n.to_vec().unwrap();
        prop_assert_eq!(bytes.len(), n.encoded_len());
        let back = Notification::parse(&bytes).unwrap();
        prop_assert_eq!(&back, &n);
        prop_assert_eq!(back.to_vec().unwrap(), bytes);
    }

    #[test]
    fn notification_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = Notification::parse(&bytes);
    }

    #[test]
    fn eid_check_digits_always_verify(e in any_eid()) {
        prop_assert!(e.verify().is_ok());
        prop_assert_eq!(Eid::parse_digits(&e.to_string()).unwrap(), e);
        prop_assert_eq!(Eid::from_get_data(&e.to_get_data()).unwrap(), e);
    }
}

proptest! {
    /// Every ISD-P TAR gives well-formed ES5 commands whose data carry the
    /// AID as `4F 10 <AID>` (DGI value for STORE DATA, plain for DELETE).
    #[test]
    fn builders_carry_the_isdp_aid(tar in 0x10u32..=0xFFFF, seq in any::<u16>(), mem in proptest::option::of(any::<u32>())) {
        let a = aid(tar);
        let mut tagged = vec![0x4F, 0x10];
        tagged.extend_from_slice(a.as_bytes());
        for (c, dgi) in [
            (es5::enable_profile(&a).unwrap(), Some([0x3A, 0x03])),
            (es5::disable_profile(&a).unwrap(), Some([0x3A, 0x04])),
            (es5::set_fallback_attribute(&a).unwrap(), Some([0x3A, 0x05])),
            (es5::delete_isdp(&a).unwrap(), None),
        ] {
            let v = CommandView::parse(c.as_bytes()).unwrap();
            match dgi {
                Some(d) => {
                    prop_assert_eq!(&v.data()[..2], &d[..]);
                    prop_assert_eq!(usize::from(v.data()[2]), v.data().len() - 3);
                    prop_assert_eq!(&v.data()[3..], &tagged[..]);
                }
                None => prop_assert_eq!(v.data(), &tagged[..]),
            }
        }
        let c = es5::create_isdp(&a, mem).unwrap();
        let v = CommandView::parse(c.as_bytes()).unwrap();
        prop_assert_eq!((v.p1(), v.p2()), (0x0C, 0x00));
        prop_assert_eq!(&v.data()[35..51], a.as_bytes());
        let n = es5::handle_notification_confirmation(seq).unwrap();
        prop_assert_eq!(&n.as_bytes()[10..12], &seq.to_be_bytes()[..]);
    }
}
