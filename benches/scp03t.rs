//! SCP03t over a real TS.48 package (about 12 KB): `wrap_ts48` cuts and
//! protects it into `86` segments (C-DECRYPTION + C-MAC, level `33`,
//! 1020-octet TLVs) on the SM-DP side; `unwrap_ts48` verifies and
//! deciphers every segment on the ISD-P side; both as MB/s (criterion
//! throughput). The `aes` crate picks AES-NI at run time (cpufeatures), no
//! RUSTFLAGS needed. Quick run:
//! `cargo bench --bench scp03t -- --warm-up-time 1 --measurement-time 3`.
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
use smsr::scp03t::segment::SGP22_MAX_SEGMENT_LEN;
use smsr::scp03t::{SecurityLevel, Session, SessionKeys};

fn testdata() -> Option<Vec<u8>> {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"));
    std::fs::read(dir.join("profiles/ts48v5_saip2.3_bertlv_suci.der")).ok()
}

fn bench(c: &mut Criterion) {
    let Some(pkg) = testdata() else {
        eprintln!("scp03t bench: ../shared/testdata not found (set SMSR_TESTDATA); skipping");
        return;
    };
    let keys = SessionKeys::from_bytes(&[1; 16], &[2; 16], &[3; 16]).unwrap();
    let fresh = || Session::new(&keys, SecurityLevel::ALL).unwrap();
    let mut stream = Vec::with_capacity(pkg.len() + 512);
    fresh()
        .wrap_package(&pkg, SGP22_MAX_SEGMENT_LEN, &mut stream)
        .unwrap();
    let segments: Vec<&[u8]> = smsr::tlv::Reader::new(&stream)
        .map(|t| t.unwrap().raw())
        .collect();
    let mut g = c.benchmark_group("scp03t");
    g.throughput(Throughput::Bytes(pkg.len() as u64));
    let mut out = Vec::with_capacity(stream.len());
    g.bench_function("wrap_ts48", |b| {
        b.iter(|| {
            out.clear();
            fresh()
                .wrap_package(black_box(&pkg), SGP22_MAX_SEGMENT_LEN, &mut out)
                .unwrap()
        })
    });
    let mut plain = vec![0u8; SGP22_MAX_SEGMENT_LEN];
    g.bench_function("unwrap_ts48", |b| {
        b.iter(|| {
            let mut s = fresh();
            let mut n = 0;
            for seg in &segments {
                n += s.unwrap(black_box(seg), &mut plain).unwrap().1.len();
            }
            assert_eq!(n, pkg.len());
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
