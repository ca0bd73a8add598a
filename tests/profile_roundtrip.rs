//! Property tests: emit and parse are inverses (PEHeader, ProfileHeader,
//! ICCID codings), segmentation and SCP03t wrapping round-trip, and no input
//! makes the parser, the typed views or the validator panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use proptest::prelude::*;
use smsr::profile::{
    AidList, Iccid, OidList, Package, PeHeader, PeType, ProfileHeader, Services, ValidateOptions,
    validate,
};
use smsr::scp03t::segment::{self, Protection};
use smsr::scp03t::{SecurityLevel, Session, SessionKeys};
use smsr::tlv::{self, Encode, Tag, Tlv};

/// X.690 §8.19 content octets of an OID with arcs `a.b.rest..`.
fn oid_bytes(a: u64, b: u64, rest: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in std::iter::once(a * 40 + b).chain(rest.iter().copied()) {
        let mut tmp = vec![(s & 0x7F) as u8];
        let mut v = s >> 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7F) as u8);
            v >>= 7;
        }
        tmp.reverse();
        out.extend(tmp);
    }
    out
}

fn enc(e: impl Encode) -> Vec<u8> {
    e.to_vec().unwrap()
}

prop_compose! {
    fn arb_oid()(a in 0u64..3, b in 0u64..40, rest in prop::collection::vec(0u64..(1 << 40), 0..6)) -> (String, Vec<u8>) {
        let mut text = format!("{a}.{b}");
        for r in &rest { text.push_str(&format!(".{r}")); }
        (text, oid_bytes(a, b, &rest))
    }
}

proptest! {
    #[test]
    fn pe_header_round_trip(mandated: bool, id in 0u16..=0x7FFF) {
        let h = PeHeader { mandated, identification: id };
        let mut v = Vec::new();
        h.emit(&mut v).unwrap();
        prop_assert_eq!(v.len(), h.buffer_len());
        let (t, rest) = Tlv::parse(&v).unwrap();
        prop_assert!(rest.is_empty());
        prop_assert_eq!(PeHeader::parse(&t).unwrap(), h);
    }

    #[test]
    fn oid_display(o in arb_oid()) {
        let (text, bytes) = o;
        prop_assert_eq!(smsr::profile::Oid::new(&bytes).unwrap().to_string(), text);
    }

    #[test]
    fn iccid_codings(digits in "89[0-9]{16,18}") {
        let i = Iccid::from_digits(&digits).unwrap();
        prop_assert_eq!(i.to_string(), digits.clone());
        prop_assert_eq!(Iccid::from_header(&i.to_header()), Some(i));
        prop_assert_eq!(Iccid::from_ef_iccid(&i.to_ef_iccid()), Some(i));
    }

    #[test]
    fn profile_header_round_trip(
        major: u8,
        minor: u8,
        profile_type in proptest::option::of("[ -~]{1,100}"),
        digits in "89[0-9]{16,18}",
        pol in proptest::option::of(prop::collection::vec(any::<u8>(), 0..4)),
        services: u64,
        oids in prop::collection::vec(arb_oid(), 0..12),
        conn in proptest::option::of(prop::collection::vec(any::<u8>(), 0..40)),
        aids in proptest::option::of(prop::collection::vec((prop::collection::vec(any::<u8>(), 5..=16), any::<[u8; 2]>()), 0..4)),
        pix in proptest::option::of(prop::collection::vec(any::<u8>(), 7..=11)),
    ) {
        let gfste: Vec<u8> = oids.iter().flat_map(|(_, b)| enc(tlv::tlv(Tag::new(0x06), &b[..]))).collect();
        let aid_bytes: Option<Vec<u8>> = aids.as_ref().map(|l| l.iter().flat_map(|(a, v)| enc(tlv::tlv(
            Tag::new(0x30),
            (tlv::tlv(Tag::new(0x80), &a[..]), tlv::tlv(Tag::new(0x81), &v[..])),
        ))).collect());
        let h = ProfileHeader {
            major_version: major,
            minor_version: minor,
            profile_type: profile_type.as_deref(),
            iccid_raw: Iccid::from_digits(&digits).unwrap().to_header(),
            pol: pol.as_deref(),
            mandatory_services: Services(services),
            gfste_list: OidList::new_checked(&gfste, 0).unwrap(),
            connectivity_parameters: conn.as_deref(),
            mandatory_aids: aid_bytes.as_deref().map(|b| AidList::new_checked(b, 0).unwrap()),
            iot_pix: pix.as_deref(),
        };
        let mut v = Vec::new();
        h.emit(&mut v).unwrap();
        prop_assert_eq!(v.len(), h.buffer_len());
        let back = Package::new(&v).header().unwrap();
        prop_assert_eq!(back, h);
        let texts: Vec<String> = back.gfste_list.iter().map(|o| o.to_string()).collect();
        let exp: Vec<String> = oids.iter().map(|(t, _)| t.clone()).collect();
        prop_assert_eq!(texts, exp);
        if let Some(l) = &aids {
            let got: Vec<(Vec<u8>, [u8; 2])> = back.mandatory_aids.unwrap().iter().map(|a| (a.aid.to_vec(), a.version)).collect();
            prop_assert_eq!(&got, l);
        }
        // The encoding is DER (strict reading accepts it, nothing trails).
        prop_assert!(Tlv::parse_exact(&v, tlv::Options::strict()).is_ok());
    }

    #[test]
    fn plain_segments_round_trip(data in prop::collection::vec(any::<u8>(), 0..3000), max in 3usize..2000) {
        let mut stream = Vec::new();
        for c in segment::chunks(&data, max, Protection::None).unwrap() {
            prop_assert!(c.buffer_len() <= max);
            c.emit(&mut stream).unwrap();
        }
        let mut back = Vec::new();
        segment::reassemble([&stream[..]], &mut back).unwrap();
        prop_assert_eq!(back, data);
    }

    #[test]
    fn scp03t_segments_round_trip(
        data in prop::collection::vec(any::<u8>(), 1..3000),
        max in 26usize..1100,
        enc_key: [u8; 16],
        mac_key: [u8; 16],
        mcv: [u8; 16],
    ) {
        let keys = SessionKeys::from_bytes(&enc_key, &mac_key, &[0; 16]).unwrap();
        let mut host = Session::with_chaining_value(&keys, SecurityLevel::ALL, mcv).unwrap();
        let mut card = host.clone();
        let mut stream = Vec::new();
        let n = host.wrap_package(&data, max, &mut stream).unwrap();
        let mut rest = &stream[..];
        let mut back = Vec::new();
        let mut buf = vec![0u8; 2048];
        let mut seen = 0;
        while !rest.is_empty() {
            let (t, after) = Tlv::parse(rest).unwrap();
            prop_assert!(t.raw().len() <= max);
            let (tag, p) = card.unwrap(t.raw(), &mut buf).unwrap();
            prop_assert_eq!(tag, 0x86);
            back.extend_from_slice(p);
            rest = after;
            seen += 1;
        }
        prop_assert_eq!(seen, n);
        prop_assert_eq!(back, data);
        prop_assert_eq!(host.counter(), card.counter());
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        let pkg = Package::new(&data);
        for pe in pkg.elements().flatten() {
            let _ = pe.pe_header();
            let _ = smsr::profile::FileSystem::from_element(&pe).map(|f| f.files().count());
            let _ = smsr::profile::SecurityDomain::from_element(&pe).map(|s| s.keys().count());
            let _ = smsr::profile::Rfm::from_element(&pe).map(|r| r.tars().count());
            let _ = smsr::profile::AkaParameter::from_element(&pe).map(|a| a.sqn_init().count());
            let _ = smsr::profile::PinCodes::from_element(&pe).map(|p| p.configs().count());
            let _ = smsr::profile::PukCodes::from_element(&pe).map(|p| p.configs().count());
            let _ = smsr::profile::GenericFileManagement::from_element(&pe).map(|g| g.commands().count());
            prop_assert!(pe.pe_type() == PeType(pe.tlv().tag()));
        }
        let _ = pkg.header();
        validate(&pkg, ValidateOptions { strict_der: true }, &mut |p| assert!(p.offset <= data.len()));
    }
}
