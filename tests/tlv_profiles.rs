//! Walks every TLV of the seven real TS.48 SAIP profile packages in
//! `../shared/testdata/profiles` and checks the figures against the
//! independently produced `expected.json` (`raw_ber` of each profile:
//! asn1tools 0.169.0 plus a hand-written raw BER walker, cross-checked with
//! pySim; see that directory's README), then re-emits every package from
//! its parsed tree and compares the bytes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use smsr::tlv::{self, Encode, Options, Reader, Tlv};

fn testdata() -> Option<PathBuf> {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"));
    dir.join("profiles/expected.json").is_file().then_some(dir)
}

#[derive(Default, Debug, PartialEq)]
struct Stats {
    tlv_count: u64,
    max_depth: u64,
    multibyte: BTreeMap<String, u64>,
    length_octets: BTreeMap<String, u64>,
    max_value_len: u64,
    indefinite: u64,
}

/// Walks with an explicit stack (depth 0 = top-level PE).
fn walk(bytes: &[u8]) -> Stats {
    let mut s = Stats::default();
    let mut stack = vec![Reader::new(bytes)];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(t) => {
                let t = t.unwrap_or_else(|e| panic!("strict walk failed: {e}"));
                s.tlv_count += 1;
                s.max_depth = s.max_depth.max(u64::from(t.depth()));
                if t.tag().len() > 1 {
                    *s.multibyte.entry(t.tag().to_string()).or_default() += 1;
                }
                let len_octets = t.header_len() - t.tag().len();
                *s.length_octets.entry(len_octets.to_string()).or_default() += 1;
                s.max_value_len = s.max_value_len.max(t.value().len() as u64);
                s.indefinite += u64::from(t.is_indefinite());
                if t.tag().is_constructed() {
                    stack.push(t.children());
                }
            }
            None => {
                stack.pop();
            }
        }
    }
    s
}

/// Rebuilds a TLV from its parts: a constructed TLV from its re-emitted
/// children, a primitive one from its value.
fn rebuild(t: &Tlv<'_>) -> Vec<u8> {
    if t.tag().is_constructed() {
        let mut inner = Vec::new();
        for c in t.children() {
            inner.extend(rebuild(&c.unwrap()));
        }
        tlv::tlv(t.tag(), &inner[..]).to_vec().unwrap()
    } else {
        tlv::tlv(t.tag(), t.value()).to_vec().unwrap()
    }
}

fn counts(v: &serde_json::Value) -> BTreeMap<String, u64> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
        .collect()
}

#[test]
fn ts48_packages_match_expected_json() {
    let Some(dir) = testdata() else {
        eprintln!("tlv_profiles: ../shared/testdata not found (set SMSR_TESTDATA); skipping");
        return;
    };
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("profiles/expected.json")).unwrap())
            .unwrap();
    let profiles = expected["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 7);
    for p in profiles {
        let file = p["file"].as_str().unwrap();
        let bytes = std::fs::read(dir.join("profiles").join(file)).unwrap();
        assert_eq!(bytes.len() as u64, p["size"].as_u64().unwrap(), "{file}");
        let raw = &p["raw_ber"];
        let s = walk(&bytes);
        assert_eq!(
            s.tlv_count,
            raw["tlv_count"].as_u64().unwrap(),
            "{file}: tlv_count"
        );
        assert_eq!(
            s.max_depth,
            raw["max_nesting_depth"].as_u64().unwrap(),
            "{file}: max depth"
        );
        assert_eq!(
            s.multibyte,
            counts(&raw["multibyte_tags"]),
            "{file}: multibyte tags"
        );
        assert_eq!(
            s.length_octets,
            counts(&raw["length_octets_histogram"]),
            "{file}: length octets"
        );
        assert_eq!(
            s.max_value_len,
            raw["max_value_len"].as_u64().unwrap(),
            "{file}: max value length"
        );
        assert_eq!(s.indefinite, raw["indefinite_lengths"].as_u64().unwrap());
        // Top-level PEs: count and outer tags.
        let pes: Vec<Tlv<'_>> = Reader::new(&bytes).map(Result::unwrap).collect();
        assert_eq!(
            pes.len() as u64,
            p["pe_count"].as_u64().unwrap(),
            "{file}: PEs"
        );
        let tags: Vec<String> = pes.iter().map(|t| t.tag().to_string()).collect();
        let want: Vec<String> = p["pe_tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_uppercase())
            .collect();
        assert_eq!(tags, want, "{file}: PE tags");
        // Re-emit the whole package from the parsed tree.
        let mut again = Vec::with_capacity(bytes.len());
        for pe in &pes {
            again.extend(rebuild(pe));
        }
        assert!(again == bytes, "{file}: re-emitted package differs");
        // Lenient parsing of canonical data sees the same tree.
        let lenient = Reader::with_options(&bytes, Options::lenient()).count();
        assert_eq!(lenient, pes.len());
    }
}

#[test]
fn corrupted_package_reports_offset() {
    let Some(dir) = testdata() else {
        eprintln!("tlv_profiles: ../shared/testdata not found (set SMSR_TESTDATA); skipping");
        return;
    };
    let mut bytes = std::fs::read(dir.join("profiles/ts48v1A_saip2.1.der")).unwrap();
    // Truncate the package one octet before the end of the 3rd PE.
    let third = Reader::new(&bytes).nth(2).unwrap().unwrap();
    let cut = third.offset() + third.raw().len() - 1;
    bytes.truncate(cut);
    let err = Reader::new(&bytes)
        .find_map(Result::err)
        .expect("truncated package must fail");
    assert_eq!(err.kind, tlv::ErrorKind::UnexpectedEnd);
    assert_eq!(err.offset, cut);
}
