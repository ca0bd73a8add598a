//! Package-level validation rules over variants of real TS.48 packages,
//! built here at test time (elements dropped, moved, header services or
//! algorithm changed) with our own parser and `PackageWriter`.
//!
//! Each test says what pySim (osmocom/pysim 597f1e0, `saip-tool.py check`
//! = `pySim.esim.saip.validation.CheckBasicStructure`) reported for the
//! same variant of `ts48v7_saip2.3_nobertlv.der`, built with pySim's own
//! `ProfileElementSequence` (PEs removed / moved, header services edited,
//! `to_der()`, then loaded again as `saip-tool.py` does). That run was made
//! outside this repository; nothing of pySim is in it.
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

use serde_json::Value;
use smsr::profile::{
    Package, PackageWriter, PeType, Problem, ProblemKind, ProfileHeader, Services, ValidateOptions,
    validate,
};

fn dir() -> PathBuf {
    let d = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"));
    assert!(
        d.join("profiles/expected.json").is_file(),
        "profile_rules: no test data at {} (set SMSR_TESTDATA to shared/testdata)",
        d.display()
    );
    d
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(dir().join("profiles").join(name)).unwrap()
}

fn v7() -> Vec<u8> {
    read("ts48v7_saip2.3_nobertlv.der")
}

fn problems(bytes: &[u8]) -> Vec<Problem> {
    let mut v = vec![];
    let n = validate(
        &Package::new(bytes),
        ValidateOptions { strict_der: true },
        &mut |p| v.push(p),
    );
    assert_eq!(n, v.len());
    v
}

/// The elements' raw bytes with their types.
fn parts(bytes: &[u8]) -> Vec<(PeType, Vec<u8>)> {
    Package::new(bytes)
        .elements()
        .map(|e| {
            let e = e.unwrap();
            (e.pe_type(), e.raw().to_vec())
        })
        .collect()
}

fn join(p: &[(PeType, Vec<u8>)]) -> Vec<u8> {
    p.iter().flat_map(|(_, b)| b.clone()).collect()
}

/// The package without the elements of the types in `drop`.
fn without(bytes: &[u8], drop: &[PeType]) -> Vec<u8> {
    let p: Vec<_> = parts(bytes)
        .into_iter()
        .filter(|(t, _)| !drop.contains(t))
        .collect();
    join(&p)
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

fn unflag(bytes: &[u8], name: &str) -> Vec<u8> {
    with_header(bytes, |h| {
        let s = Services::from_name(name).unwrap();
        assert!(h.mandatory_services.contains(s));
        h.mandatory_services = Services(h.mandatory_services.0 & !s.0);
    })
}

/// Exactly these problems (kind, PE index, offset), in this order.
fn exactly(bytes: &[u8], want: &[(ProblemKind, Option<usize>, usize)]) {
    let got: Vec<_> = problems(bytes)
        .iter()
        .map(|p| (p.kind, p.pe_index, p.offset))
        .collect();
    assert_eq!(got, want);
}

/// Index and offset of the first element of type `t`.
fn at(bytes: &[u8], t: PeType) -> (usize, usize) {
    let pe = Package::new(bytes)
        .elements()
        .map(Result::unwrap)
        .find(|e| e.pe_type() == t)
        .unwrap();
    (pe.index(), pe.offset())
}

#[test]
fn all_seven_packages_validate() {
    let exp: Value =
        serde_json::from_slice(&std::fs::read(dir().join("profiles/expected.json")).unwrap())
            .unwrap();
    let profiles = exp["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 7);
    for p in profiles {
        let file = p["file"].as_str().unwrap();
        let b = read(file);
        assert_eq!(b.len() as u64, p["size"].as_u64().unwrap(), "{file}");
        let ps = problems(&b);
        assert!(ps.is_empty(), "{file}: {ps:?}");
        let types: Vec<String> = Package::new(&b)
            .elements()
            .map(|e| e.unwrap().pe_type().to_string())
            .collect();
        let want: Vec<&str> = p["pe_sequence"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(types, want, "{file}");
    }
}

/// pySim: "ProfileError: no PE-ISIM for mandatory isim service".
#[test]
fn isim_service_without_isim_elements() {
    let x = without(&v7(), &[PeType::ISIM, PeType::OPT_ISIM]);
    exactly(
        &x,
        &[(
            ProblemKind::ServiceWithoutElement("isim", PeType::ISIM),
            Some(0),
            0,
        )],
    );
    assert_eq!(
        problems(&x)[0].to_string(),
        "mandatory service 'isim' but no 'isim' element at byte offset 0 (element 0)"
    );
}

/// pySim: "ProfileError: no PE-ISIM for mandatory csim service" (sic: its
/// message names ISIM for the csim check).
#[test]
fn csim_service_without_csim_elements() {
    let x = without(
        &v7(),
        &[PeType::CSIM, PeType::OPT_CSIM, PeType::CDMA_PARAMETER],
    );
    exactly(
        &x,
        &[(
            ProblemKind::ServiceWithoutElement("csim", PeType::CSIM),
            Some(0),
            0,
        )],
    );
}

/// pySim: "ProfileError: usim-test-algorithm mandatory, but no related
/// algorithm_id in akaParameter".
#[test]
fn test_algorithm_service_without_aka_parameters() {
    let x = without(&v7(), &[PeType::AKA_PARAMETER]);
    exactly(
        &x,
        &[(
            ProblemKind::ServiceWithoutAlgorithm("usim-test-algorithm"),
            Some(0),
            0,
        )],
    );
}

/// pySim fails to load it: "ValueError: FsNodeMF(3F00) doesn't contain
/// child 7FD0" (the GFM PEs select ADF.USIM's temporary FID).
#[test]
fn usim_group_dropped() {
    let b = v7();
    let x = without(
        &b,
        &[
            PeType::USIM,
            PeType::OPT_USIM,
            PeType::GSM_ACCESS,
            PeType::DF_5GS,
            PeType::DF_SAIP,
        ],
    );
    exactly(
        &x,
        &[(
            ProblemKind::ServiceWithoutElement("usim", PeType::USIM),
            Some(0),
            0,
        )],
    );
}

/// pySim fails to load it: "AttributeError: 'NoneType' object has no
/// attribute 'files'". Every element of the USIM group then lacks its base.
#[test]
fn usim_element_alone_dropped() {
    let b = v7();
    let x = without(&b, &[PeType::USIM]);
    let (opt, opt_at) = at(&x, PeType::OPT_USIM);
    let (gsm, gsm_at) = at(&x, PeType::GSM_ACCESS);
    let (g5, g5_at) = at(&x, PeType::DF_5GS);
    let (saip, saip_at) = at(&x, PeType::DF_SAIP);
    exactly(
        &x,
        &[
            (
                ProblemKind::WithoutBase(PeType::OPT_USIM, PeType::USIM),
                Some(opt),
                opt_at,
            ),
            (
                ProblemKind::WithoutBase(PeType::GSM_ACCESS, PeType::USIM),
                Some(gsm),
                gsm_at,
            ),
            (
                ProblemKind::WithoutBase(PeType::DF_5GS, PeType::USIM),
                Some(g5),
                g5_at,
            ),
            (
                ProblemKind::WithoutBase(PeType::DF_SAIP, PeType::USIM),
                Some(saip),
                saip_at,
            ),
            (
                ProblemKind::ServiceWithoutElement("usim", PeType::USIM),
                Some(0),
                0,
            ),
        ],
    );
}

/// pySim fails to load it: "AttributeError: 'NoneType' object has no
/// attribute 'add_file'". Without mf, EF.ICCID cannot be compared either.
#[test]
fn mf_dropped() {
    let x = without(&v7(), &[PeType::MF]);
    exactly(&x, &[(ProblemKind::MissingElement(PeType::MF), None, 0)]);
    assert_eq!(
        problems(&x)[0].to_string(),
        "no 'mf' element at byte offset 0"
    );
}

/// pySim: "ProfileError: first element is not header".
#[test]
fn header_not_first() {
    let b = v7();
    let mut p = parts(&b);
    let h = p.remove(0);
    p.insert(1, h);
    let x = join(&p);
    let mf_len = p[0].1.len();
    exactly(
        &x,
        &[
            (ProblemKind::HeaderNotFirst, Some(0), 0),
            (ProblemKind::DuplicateHeader, Some(1), mf_len),
        ],
    );
}

/// pySim fails to load it: "AttributeError: 'NoneType' object has no
/// attribute 'add_file'" (mf moved after telecom).
#[test]
fn mf_after_telecom() {
    let b = v7();
    let mut p = parts(&b);
    let mf = p.remove(1);
    let tel = p.iter().position(|(t, _)| *t == PeType::TELECOM).unwrap();
    p.insert(tel + 1, mf);
    let x = join(&p);
    let (i, o) = at(&x, PeType::TELECOM);
    exactly(&x, &[(ProblemKind::BeforeMf(PeType::TELECOM), Some(i), o)]);
}

/// pySim: "ProfileError: last element is not end".
#[test]
fn end_not_last() {
    let b = v7();
    let mut p = parts(&b);
    let end = p.pop().unwrap();
    let n = p.len();
    p.insert(n - 1, end);
    let x = join(&p);
    let last_at = x.len() - p[n].1.len();
    exactly(
        &x,
        &[
            (ProblemKind::ElementAfterEnd, Some(n), last_at),
            (ProblemKind::EndNotLast, Some(n), last_at),
        ],
    );
}

/// The other direction, elements without their service. pySim: "All
/// good!" for each of these (it checks only service -> PE).
#[test]
fn elements_without_their_service() {
    let b = v7();
    for (svc, t) in [
        ("isim", PeType::ISIM),
        ("csim", PeType::CSIM),
        ("usim", PeType::USIM),
    ] {
        let x = unflag(&b, svc);
        // The header is 2 bytes shorter ('8x 00' gone).
        let (i, o) = at(&x, t);
        exactly(&x, &[(ProblemKind::ServiceNotDeclared(svc), Some(i), o)]);
    }
    // Two akaParameter elements (USIM's and ISIM's) with algorithmID 3.
    let x = unflag(&b, "usim-test-algorithm");
    let akas: Vec<_> = Package::new(&x)
        .elements()
        .map(Result::unwrap)
        .filter(|e| e.pe_type() == PeType::AKA_PARAMETER)
        .map(|e| {
            (
                ProblemKind::ServiceNotDeclared("usim-test-algorithm"),
                Some(e.index()),
                e.offset(),
            )
        })
        .collect();
    assert_eq!(akas.len(), 2);
    exactly(&x, &akas);
}

/// A service that builds on a NAA without it: pySim "gba-usim mandatory,
/// but no usim" (its `check_mandatory_services`). Built from the package
/// without the USIM group and its usim service, with gba-usim added.
#[test]
fn service_without_its_base_service() {
    let b = v7();
    let x = without(
        &b,
        &[
            PeType::USIM,
            PeType::OPT_USIM,
            PeType::GSM_ACCESS,
            PeType::DF_5GS,
            PeType::DF_SAIP,
        ],
    );
    let x = with_header(&x, |h| {
        let usim = Services::from_name("usim").unwrap();
        let gba = Services::from_name("gba-usim").unwrap();
        h.mandatory_services = Services((h.mandatory_services.0 & !usim.0) | gba.0);
    });
    exactly(
        &x,
        &[(
            ProblemKind::ServiceWithoutService("gba-usim", "usim"),
            Some(0),
            0,
        )],
    );
}

/// akaParameter algorithmID 3 -> 1 (milenage) while the header keeps
/// usim-test-algorithm. pySim: "ProfileError: usim-test-algorithm
/// mandatory, but no related algorithm_id in akaParameter". We also report
/// the akaParameters' milenage not in eUICC-Mandatory-services.
#[test]
fn algorithm_id_other_than_the_service() {
    let b = v7();
    let mut x = b.clone();
    let mut akas = vec![];
    for pe in Package::new(&b).elements().map(Result::unwrap) {
        if pe.pe_type() != PeType::AKA_PARAMETER {
            continue;
        }
        // algoParameter [1] { algorithmID [0] INTEGER ... }: 'A1 len 80 01 03'
        let raw = pe.raw();
        let k = raw
            .windows(3)
            .position(|w| w == [0x80, 0x01, 0x03])
            .unwrap();
        x[pe.offset() + k + 2] = 0x01;
        akas.push((pe.index(), pe.offset()));
    }
    assert_eq!(akas.len(), 2);
    exactly(
        &x,
        &[
            (
                ProblemKind::ServiceNotDeclared("milenage"),
                Some(akas[0].0),
                akas[0].1,
            ),
            (
                ProblemKind::ServiceNotDeclared("milenage"),
                Some(akas[1].0),
                akas[1].1,
            ),
            (
                ProblemKind::ServiceWithoutAlgorithm("usim-test-algorithm"),
                Some(0),
                0,
            ),
        ],
    );
}

/// cdmaParameter needs the CSIM it parameterises, before it (pySim counts
/// it in the CSIM NAA's PEs; its check is silent on the order).
#[test]
fn cdma_parameter_before_csim() {
    let b = v7();
    let mut p = parts(&b);
    let c = p
        .iter()
        .position(|(t, _)| *t == PeType::CDMA_PARAMETER)
        .unwrap();
    let cdma = p.remove(c);
    let csim = p.iter().position(|(t, _)| *t == PeType::CSIM).unwrap();
    p.insert(csim, cdma);
    let x = join(&p);
    let (i, o) = at(&x, PeType::CDMA_PARAMETER);
    exactly(
        &x,
        &[(
            ProblemKind::WithoutBase(PeType::CDMA_PARAMETER, PeType::CSIM),
            Some(i),
            o,
        )],
    );
}

/// EF.ICCID of the mf not BCD digits: reported (it was passed over
/// before), at the ef-iccid member of the mf element.
#[test]
fn malformed_ef_iccid_is_reported() {
    use smsr::profile::{ErrorKind, FileSystem};
    let mut b = v7();
    let (mf_index, member_at, content_at) = {
        let pkg = Package::new(&b);
        let pe = pkg.find(PeType::MF).unwrap().unwrap();
        let fs = FileSystem::from_element(&pe).unwrap();
        let f = fs.file("ef-iccid").unwrap();
        let c = f.initial_content().unwrap();
        (
            pe.index(),
            f.tlv().value_offset(),
            c.as_ptr() as usize - b.as_ptr() as usize,
        )
    };
    b[content_at..content_at + 10].fill(0xAA);
    exactly(
        &b,
        &[(
            ProblemKind::Malformed(ErrorKind::BadValue("ef-iccid")),
            Some(mf_index),
            member_at,
        )],
    );
}

/// Both akaParameters TUAK (algorithmID 2) with their 16-byte keys while
/// the header asks for tuak256 instead of usim-test-algorithm: no
/// akaParameter has a 256-bit key. pySim: "All good!" (its tuak256 check
/// is inverted: it raises only when a 32-byte TUAK key is present).
#[test]
fn tuak256_service_with_128_bit_keys() {
    let b = v7();
    let mut x = b.clone();
    for pe in Package::new(&b).elements().map(Result::unwrap) {
        if pe.pe_type() == PeType::AKA_PARAMETER {
            let k = pe
                .raw()
                .windows(3)
                .position(|w| w == [0x80, 0x01, 0x03])
                .unwrap();
            x[pe.offset() + k + 2] = 0x02;
        }
    }
    let x = with_header(&x, |h| {
        let test = Services::from_name("usim-test-algorithm").unwrap();
        let tuak = Services::from_name("tuak256").unwrap();
        h.mandatory_services = Services((h.mandatory_services.0 & !test.0) | tuak.0);
    });
    exactly(
        &x,
        &[(ProblemKind::ServiceWithoutAlgorithm("tuak256"), Some(0), 0)],
    );
}
