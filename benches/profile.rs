//! Profile packages over a real TS.48 package (about 12 KB, 30 elements):
//! `parse_ts48` iterates every element (type, PEHeader) and decodes the
//! ProfileHeader; `validate_ts48` runs the full validation (every TLV walked,
//! every typed element decoded, strict DER); `scp03t_wrap_ts48` wraps the
//! package into `86` segments.
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

fn bench(c: &mut Criterion) {
    let Some(pkg) = testdata() else {
        eprintln!("profile bench: ../shared/testdata not found (set SMSR_TESTDATA); skipping");
        return;
    };
    let mut g = c.benchmark_group("profile");
    g.throughput(Throughput::Bytes(pkg.len() as u64));
    g.bench_function("parse_ts48", |b| b.iter(|| parse(black_box(&pkg))));
    g.bench_function("validate_ts48", |b| {
        b.iter(|| {
            validate(
                &Package::new(black_box(&pkg)),
                ValidateOptions { strict_der: true },
                &mut |_| {},
            )
        })
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
