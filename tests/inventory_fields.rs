#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Properties of the SGP.02 element types (`smsr::inventory::field`).

use proptest::prelude::*;
use smsr::inventory::field::{self, ElementType, Problem, luhn_valid};
use smsr::isdr::Eid;

/// The Luhn check digit that completes `body` (ISO/IEC 7812-1 Annex B).
fn luhn_digit(body: &[u8]) -> u8 {
    (0..10)
        .find(|d| luhn_valid(&[body, &[*d]].concat()))
        .expect("one of ten digits completes any body")
}

fn text(d: &[u8]) -> String {
    d.iter().map(|d| char::from(b'0' + d)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// No input panics, whatever the element.
    #[test]
    fn any_text_is_answered(s in ".{0,80}", name in prop::sample::select(
        vec!["Eid", "Iccid", "sd-aid", "Tar", "Msisdn", "Imsi", "Mno-id"])) {
        let (name, ty) = ElementType::of(name).unwrap();
        if let Err(e) = ty.check(name, &s) {
            prop_assert_eq!(e.element, name);
        }
    }

    /// A 19- or 20-digit `89…` ICCID with its Luhn digit is accepted, and
    /// changing any one digit is refused (Luhn catches every single-digit
    /// error).
    #[test]
    fn luhn_iccids(body in prop::collection::vec(0u8..10, 16..=17), at in 0usize..20, to in 0u8..10) {
        let mut d = [&[8u8, 9][..], &body].concat();
        let check = luhn_digit(&d);
        prop_assert_eq!(field::luhn_digit(&d), check);
        d.push(check);
        let good = text(&d);
        prop_assert_eq!(field::iccid(&good).unwrap().to_string(), good.clone());
        let at = at % d.len();
        prop_assume!(at >= 2 && d[at] != to);
        d[at] = to;
        prop_assert_eq!(field::iccid(&text(&d)), Err(Problem::CheckDigits));
    }

    /// Every `89…` EID with its MOD 97-10 digits is accepted; one changed
    /// digit is refused.
    #[test]
    fn mod97_eids(body in prop::collection::vec(0u8..10, 28), at in 2usize..32, to in 0u8..10) {
        let first30 = format!("89{}", text(&body));
        let eid = Eid::with_check_digits(&first30).unwrap().to_string();
        prop_assert!(field::eid(&eid).is_ok());
        let mut b = eid.into_bytes();
        prop_assume!(b[at] != b'0' + to);
        b[at] = b'0' + to;
        let changed = String::from_utf8(b).unwrap();
        prop_assert_eq!(field::eid(&changed), Err(Problem::CheckDigits));
    }

    /// AIDs: every 5 to 16 octets of a category other than B, C, E parse
    /// and print back.
    #[test]
    fn aids(bytes in prop::collection::vec(any::<u8>(), 5..=16)) {
        let hex = hex::encode_upper(&bytes);
        match field::aid(&hex) {
            Ok(a) => prop_assert_eq!(a.as_bytes(), &bytes[..]),
            Err(e) => prop_assert_eq!(e, Problem::ReservedCategory { nibble: bytes[0] >> 4 }),
        }
    }
}
