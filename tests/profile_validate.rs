//! Validation of broken packages derived from a real TS.48 package: each
//! problem is found, with the right element index and byte offset.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use std::path::PathBuf;

use smsr::profile::{
    ErrorKind, Iccid, OidList, Package, PackageWriter, PeType, Problem, ProblemKind, ProfileHeader,
    Services, ValidateOptions, validate,
};
use smsr::tlv;

fn v1a() -> Option<Vec<u8>> {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"));
    let b = std::fs::read(dir.join("profiles/ts48v1A_saip2.1.der")).ok();
    if b.is_none() {
        eprintln!("profile_validate: shared/testdata not found; skipping");
    }
    b
}

fn problems(bytes: &[u8], strict_der: bool) -> Vec<Problem> {
    let mut v = vec![];
    let n = validate(
        &Package::new(bytes),
        ValidateOptions { strict_der },
        &mut |p| v.push(p),
    );
    assert_eq!(n, v.len());
    v
}

fn has(ps: &[Problem], kind: ProblemKind, index: Option<usize>, offset: usize) {
    assert!(
        ps.iter()
            .any(|p| p.kind == kind && p.pe_index == index && p.offset == offset),
        "{kind:?} at {index:?}/{offset} not in {ps:#?}"
    );
}

/// The elements' raw bytes.
fn parts(bytes: &[u8]) -> Vec<Vec<u8>> {
    Package::new(bytes)
        .elements()
        .map(|e| e.unwrap().raw().to_vec())
        .collect()
}

/// The package with its header re-encoded after `edit`.
fn with_header<'a>(bytes: &'a [u8], edit: impl FnOnce(&mut ProfileHeader<'a>)) -> Vec<u8> {
    let pkg = Package::new(bytes);
    let mut h = pkg.header().unwrap();
    edit(&mut h);
    let mut out = Vec::new();
    let mut w = PackageWriter::new(&mut out);
    w.push_header(&h).unwrap();
    for pe in pkg.elements().skip(1) {
        w.push(&pe.unwrap()).unwrap();
    }
    out
}

#[test]
fn real_package_is_valid() {
    let Some(b) = v1a() else { return };
    assert!(problems(&b, true).is_empty());
}

#[test]
fn order_end_and_duplicates() {
    let Some(b) = v1a() else { return };
    let p = parts(&b);

    // header second
    let mut x = p.clone();
    x.swap(0, 1);
    let ps = problems(&x.concat(), false);
    has(&ps, ProblemKind::HeaderNotFirst, Some(0), 0);
    has(&ps, ProblemKind::DuplicateHeader, Some(1), p[1].len());

    // no end
    let x = p[..p.len() - 1].concat();
    let last = p.len() - 2;
    let ps = problems(&x, false);
    assert_eq!(ps.len(), 1, "{ps:?}");
    has(
        &ps,
        ProblemKind::EndNotLast,
        Some(last),
        x.len() - p[last].len(),
    );

    // an element after end (a second end: same identification too)
    let x = [b.clone(), p[p.len() - 1].clone()].concat();
    let ps = problems(&x, false);
    has(&ps, ProblemKind::ElementAfterEnd, Some(p.len()), b.len());
    has(
        &ps,
        ProblemKind::DuplicateIdentification(29),
        Some(p.len()),
        b.len(),
    );

    // mf identification 4 -> 5 (= pukCodes): reported at pukCodes, offset 903
    let mut x = b.clone();
    assert_eq!(
        x[140..151],
        [
            0xB0, 0x82, 0x02, 0xF7, 0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x04
        ]
    );
    x[150] = 5;
    let ps = problems(&x, false);
    assert_eq!(ps.len(), 1, "{ps:?}");
    has(&ps, ProblemKind::DuplicateIdentification(5), Some(2), 903);

    // two mf elements
    let mut x = p.clone();
    x.insert(2, p[1].clone());
    let ps = problems(&x.concat(), false);
    has(
        &ps,
        ProblemKind::DuplicateElement(PeType::MF),
        Some(2),
        140 + p[1].len(),
    );
}

#[test]
fn unknown_and_reserved_elements() {
    let Some(b) = v1a() else { return };
    let p = parts(&b);
    let end_at = b.len() - 9;
    let mut x = p.clone();
    // A future CHOICE alternative [34] with a PEHeader, and rfu1 (PE-Dummy).
    x.insert(
        p.len() - 1,
        vec![0xBF, 0x22, 0x05, 0xA0, 0x03, 0x81, 0x01, 0x63],
    );
    x.insert(p.len(), vec![0xAB, 0x00]);
    let bytes = x.concat();
    let ps = problems(&bytes, false);
    assert_eq!(ps.len(), 2, "{ps:?}");
    has(
        &ps,
        ProblemKind::UnknownElement(PeType(tlv::Tag::new(0xBF22))),
        Some(p.len() - 1),
        end_at,
    );
    has(
        &ps,
        ProblemKind::ReservedElement(PeType::RFU1),
        Some(p.len()),
        end_at + 8,
    );
    // The unknown element keeps its tag and PEHeader.
    let pe = Package::new(&bytes)
        .elements()
        .nth(p.len() - 1)
        .unwrap()
        .unwrap();
    assert_eq!(pe.pe_type().name(), None);
    assert_eq!(pe.pe_header().unwrap().unwrap().identification, 0x63);
}

#[test]
fn services_templates_and_iccid_consistency() {
    let Some(b) = v1a() else { return };
    let pes: Vec<_> = Package::new(&b).elements().map(Result::unwrap).collect();
    let at = |t: PeType| pes.iter().find(|e| e.pe_type() == t).unwrap();

    let x = with_header(&b, |h| {
        h.mandatory_services =
            Services(h.mandatory_services.0 & !Services::from_name("usim").unwrap().0);
    });
    // The header is 2 bytes shorter ('81 00' gone).
    assert_eq!(b.len() - x.len(), 2);
    let ps = problems(&x, false);
    assert_eq!(ps.len(), 1, "{ps:?}");
    let usim = at(PeType::USIM);
    has(
        &ps,
        ProblemKind::ServiceNotDeclared("usim"),
        Some(usim.index()),
        usim.offset() - 2,
    );

    let x = with_header(&b, |h| {
        h.mandatory_services = Services(
            h.mandatory_services.0 & !Services::from_name("usim-test-algorithm").unwrap().0,
        );
    });
    let ps = problems(&x, false);
    let akas: Vec<_> = pes
        .iter()
        .filter(|e| e.pe_type() == PeType::AKA_PARAMETER)
        .collect();
    assert_eq!(ps.len(), akas.len(), "{ps:?}");
    for a in akas {
        has(
            &ps,
            ProblemKind::ServiceNotDeclared("usim-test-algorithm"),
            Some(a.index()),
            a.offset() - 2,
        );
    }

    // Drop 2.23.143.1.2.11 (opt-csim) from the GFSTE list.
    let h = Package::new(&b).header().unwrap();
    let list = h.gfste_list.as_bytes();
    let cut = &list[..list.len() - 8];
    let x = with_header(&b, |h| h.gfste_list = OidList::new_checked(cut, 0).unwrap());
    let ps = problems(&x, false);
    assert_eq!(ps.len(), 1, "{ps:?}");
    let oc = at(PeType::OPT_CSIM);
    has(
        &ps,
        ProblemKind::TemplateNotDeclared,
        Some(oc.index()),
        oc.offset() - 8,
    );

    // Header ICCID differs from EF.ICCID.
    let other = Iccid::from_digits("89000123456789012358").unwrap();
    let x = with_header(&b, |h| h.iccid_raw = other.to_header());
    let ps = problems(&x, false);
    assert_eq!(ps.len(), 1, "{ps:?}");
    has(&ps, ProblemKind::IccidMismatch, Some(1), 140);

    // Not BCD.
    let x = with_header(&b, |h| h.iccid_raw[0] = 0xA9);
    has(&problems(&x, false), ProblemKind::BadIccid, Some(0), 0);
}

#[test]
fn pin_and_puk_references() {
    let Some(b) = v1a() else { return };
    // PIN1 (first pinCodes, offset 945) unblocked by PUK 1 -> PUK 3, undefined.
    let mut x = b.clone();
    assert_eq!(x[973..976], [0x82, 0x01, 0x01]);
    x[975] = 3;
    let ps = problems(&x, false);
    assert_eq!(ps.len(), 1, "{ps:?}");
    has(&ps, ProblemKind::UndefinedPuk(3), Some(3), 945);

    // The second PUK's keyReference 129 ('00 81') -> 1 ('00 01', a
    // non-minimal INTEGER): defined twice.
    let mut x = b.clone();
    assert_eq!(x[931..935], [0x80, 0x02, 0x00, 0x81]);
    x[934] = 0x01;
    let ps = problems(&x, false);
    has(&ps, ProblemKind::DuplicateKeyReference(1), Some(2), 903);
    // PIN references to PUK 129 are now undefined.
    assert!(ps.iter().any(|p| p.kind == ProblemKind::UndefinedPuk(129)));
}

#[test]
fn malformed_members_and_tlvs() {
    let Some(b) = v1a() else { return };
    // pukCodes: first keyReference tag 80 -> 83.
    let mut x = b.clone();
    assert_eq!(x[916..919], [0x80, 0x01, 0x01]);
    x[916] = 0x83;
    let ps = problems(&x, false);
    has(
        &ps,
        ProblemKind::Malformed(ErrorKind::MissingField("keyReference")),
        Some(2),
        916,
    );

    // Truncated: the element that runs past the end.
    let x = &b[..5000];
    let ps = problems(x, false);
    has(
        &ps,
        ProblemKind::Malformed(ErrorKind::Tlv(tlv::ErrorKind::UnexpectedEnd)),
        Some(8),
        5000,
    );

    // A child running past its parent (rfm 'A0' PEHeader length 05 -> 25).
    let mut x = b.clone();
    assert_eq!(x[11545..11549], [0xA7, 0x22, 0xA0, 0x05]);
    x[11548] = 0x25;
    let ps = problems(&x, false);
    has(
        &ps,
        ProblemKind::Malformed(ErrorKind::Tlv(tlv::ErrorKind::UnexpectedEnd)),
        Some(23),
        11581,
    );
}

#[test]
fn strict_der_on_request() {
    let Some(b) = v1a() else { return };
    // end element with a non-minimal length: AA 81 07 ...
    let n = b.len();
    let x = [&b[..n - 9], &[0xAA, 0x81, 0x07], &b[n - 7..]].concat();
    assert!(problems(&x, false).is_empty());
    let ps = problems(&x, true);
    assert_eq!(ps.len(), 1, "{ps:?}");
    has(
        &ps,
        ProblemKind::NotDer(tlv::ErrorKind::NonMinimalLength),
        Some(27),
        n - 8,
    );

    // identification as a non-minimal INTEGER: 81 02 00 1D.
    let x = [
        &b[..n - 9],
        &[0xAA, 0x08, 0xA0, 0x06, 0x80, 0x00, 0x81, 0x02, 0x00, 0x1D],
    ]
    .concat();
    assert!(problems(&x, false).is_empty());
    let ps = problems(&x, true);
    assert_eq!(ps.len(), 1, "{ps:?}");
    has(&ps, ProblemKind::NonMinimalInteger, Some(27), n - 9 + 8);
}

#[test]
fn empty_and_garbage() {
    let ps = problems(&[], false);
    assert_eq!(ps.len(), 1);
    assert_eq!(ps[0].kind, ProblemKind::Empty);
    let ps = problems(&[0xA0, 0x02, 0x80], false);
    has(
        &ps,
        ProblemKind::Malformed(ErrorKind::Tlv(tlv::ErrorKind::UnexpectedEnd)),
        Some(0),
        3,
    );
}

#[test]
fn application_and_non_standard_elements() {
    use smsr::profile::{Application, NonStandard};
    use smsr::tlv::{Encode, tlv as t};
    let Some(b) = v1a() else { return };
    let tg = tlv::Tag::new;
    // PE-Application: load package A0000000871005 with a 3-byte load block
    // object and one instance (lifeCycleState left at its DEFAULT '07').
    let pkg_aid = [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x05];
    let inst_aid = [0xA0, 0x00, 0x00, 0x00, 0x87, 0x10, 0x05, 0x01];
    let app = t(
        tg(0xA8),
        (
            t(
                tg(0xA0),
                (t(tg(0x80), &[0u8; 0][..]), t(tg(0x81), &[0x64][..])),
            ),
            t(
                tg(0xA1),
                (t(tg(0x4F), &pkg_aid[..]), t(tg(0xC4), &[1, 2, 3][..])),
            ),
            t(
                tg(0xA2),
                t(
                    tg(0x30),
                    (
                        t(tg(0x4F), &pkg_aid[..]),
                        t(tg(0x4F), &inst_aid[..]),
                        t(tg(0x4F), &inst_aid[..]),
                        t(tg(0x82), &[0x00][..]),
                        t(tg(0xC9), &[0x81, 0x00][..]),
                    ),
                ),
            ),
        ),
    )
    .to_vec()
    .unwrap();
    let oid = [0x2B, 0x06, 0x01, 0x04, 0x01]; // 1.3.6.1.4.1
    let ns = t(
        tg(0xA9),
        (
            t(tg(0xA0), t(tg(0x81), &[0x65][..])),
            t(tg(0x81), &oid[..]),
            t(tg(0x82), &[0xCA, 0xFE][..]),
        ),
    )
    .to_vec()
    .unwrap();
    let mut p = parts(&b);
    let end = p.pop().unwrap();
    p.push(app.clone());
    p.push(ns.clone());
    p.push(end);
    let x = p.concat();
    // v1A lists 'javacard': valid.
    assert!(problems(&x, true).is_empty(), "{:?}", problems(&x, true));
    let pes: Vec<_> = Package::new(&x).elements().map(Result::unwrap).collect();
    let a = Application::from_element(&pes[pes.len() - 3]).unwrap();
    assert_eq!(a.header.identification, 0x64);
    let lp = a.load_block.unwrap();
    assert_eq!(lp.load_package_aid, pkg_aid);
    assert_eq!(lp.security_domain_aid, None);
    assert_eq!(lp.load_block_object, [1, 2, 3]);
    let insts: Vec<_> = a.instances().collect();
    assert_eq!(insts.len(), 1);
    assert_eq!(insts[0].class_aid, inst_aid);
    assert_eq!(insts[0].life_cycle_state, 0x07);
    let n = NonStandard::from_element(&pes[pes.len() - 2]).unwrap();
    assert_eq!(n.issuer_id.to_string(), "1.3.6.1.4.1");
    assert!(!n.header.mandated);
    assert_eq!(n.content, [0xCA, 0xFE]);

    // Without 'javacard' (and no 'multos') the application is reported.
    let y = with_header(&x, |h| {
        h.mandatory_services =
            Services(h.mandatory_services.0 & !Services::from_name("javacard").unwrap().0);
    });
    let app_at = y.len() - 9 - ns.len() - app.len();
    let ps = problems(&y, false);
    assert_eq!(ps.len(), 1, "{ps:?}");
    has(
        &ps,
        ProblemKind::ServiceNotDeclared("javacard"),
        Some(pes.len() - 3),
        app_at,
    );
}
