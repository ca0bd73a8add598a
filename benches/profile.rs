//! Profile packages over a real TS.48 package (about 12 KB, 30 elements):
//! `parse_ts48` iterates every element (type, PEHeader) and decodes the
//! ProfileHeader; `validate_ts48` runs the full validation (every TLV walked,
//! every typed element decoded, strict DER); `scp03t_wrap_ts48` wraps the
//! package into `86` segments.
//!
//! Before the criterion runs, `validate/parse` prints one JSON line with the
//! validate-to-parse ratio of the same package in the same run: the two
//! are timed in alternating batches and each keeps its fastest batch, so
//! load from other processes (which only ever slows a batch) cancels out.
//! Target (issue 12): validation at most 10 times the parse time.
#![allow(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsr::profile::{Package, ValidateOptions, validate};
use smsr::scp03t::{SecurityLevel, Session, SessionKeys};

fn testdata() -> Option<Vec<u8>> {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"));
    std::fs::read(dir.join("profiles/ts48v5_saip2.3_bertlv_suci.der")).ok()
}

/// Every element with its PEHeader, plus the decoded ProfileHeader.
fn parse(pkg: &[u8]) -> usize {
    let p = Package::new(pkg);
    let mut ids = 0usize;
    for pe in p.elements() {
        let pe = pe.unwrap();
        if let Some(h) = pe.pe_header().unwrap() {
            ids += usize::from(h.identification);
        }
    }
    let h = p.header().unwrap();
    ids + usize::from(h.major_version) + h.gfste_list.iter().count()
}

/// Full validation with strict DER, as `validate_ts48`.
fn validate_strict(pkg: &[u8]) -> usize {
    validate(
        &Package::new(pkg),
        ValidateOptions { strict_der: true },
        &mut |_| {},
    )
}

/// The fastest per-call time of `f` over `rounds` batches of `n` calls.
fn fastest(f: &dyn Fn() -> usize, n: u32, best: &mut Duration) {
    let t = Instant::now();
    for _ in 0..n {
        black_box(f());
    }
    *best = (*best).min(t.elapsed() / n);
}

/// Prints `{"bench":"validate/parse",...}`: fastest batch of each,
/// alternated 300 times (about a second in all).
fn ratio(pkg: &[u8]) {
    assert_eq!(validate_strict(pkg), 0, "the bench package must be valid");
    let (mut p, mut v) = (Duration::MAX, Duration::MAX);
    for _ in 0..300 {
        fastest(&|| parse(black_box(pkg)), 200, &mut p);
        fastest(&|| validate_strict(black_box(pkg)), 20, &mut v);
    }
    println!(
        "{{\"bench\":\"validate/parse\",\"bytes\":{},\"parse_ns\":{},\"validate_ns\":{},\"ratio\":{:.1}}}",
        pkg.len(),
        p.as_nanos(),
        v.as_nanos(),
        v.as_secs_f64() / p.as_secs_f64()
    );
}

fn bench(c: &mut Criterion) {
    let Some(pkg) = testdata() else {
        eprintln!("profile bench: ../shared/testdata not found (set SMSR_TESTDATA); skipping");
        return;
    };
    ratio(&pkg);
    let mut g = c.benchmark_group("profile");
    g.throughput(Throughput::Bytes(pkg.len() as u64));
    g.bench_function("parse_ts48", |b| b.iter(|| parse(black_box(&pkg))));
    g.bench_function("validate_ts48", |b| {
        b.iter(|| validate_strict(black_box(&pkg)))
    });
    let keys = SessionKeys::from_bytes(&[1; 16], &[2; 16], &[3; 16]).unwrap();
    let mut out = Vec::with_capacity(pkg.len() + 512);
    g.bench_function("scp03t_wrap_ts48", |b| {
        b.iter(|| {
            out.clear();
            let mut s = Session::new(&keys, SecurityLevel::ALL).unwrap();
            s.wrap_package(black_box(&pkg), 1020, &mut out).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
