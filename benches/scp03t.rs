//! SCP03t over a real TS.48 package (about 12 KB): `wrap_ts48` cuts and
//! protects it into `86` segments (C-DECRYPTION + C-MAC, level `33`,
//! 1020-octet TLVs) on the SM-DP side; `unwrap_ts48` verifies and
//! deciphers every segment on the ISD-P side; both as MB/s (criterion
//! throughput). The `aes` crate picks AES-NI at run time (cpufeatures), no
//! RUSTFLAGS needed. After criterion, one JSON line gives the unwrap rate
//! in on-CPU time (this thread's, from `/proc/thread-self/schedstat`), so
//! other load on a shared machine does not skew it; target 200 MB/s
//! (issue 12). Quick run:
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
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
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

/// This thread's on-CPU time in nanoseconds (Linux
/// `/proc/thread-self/schedstat`, first field), if the kernel gives it.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The JSON line: unwrap of the whole package (fresh session, every
/// segment verified and deciphered), best of twenty quarter-second runs
/// in on-CPU time (wall time when the kernel does not report it).
fn on_cpu(pkg: &[u8]) {
    let keys = SessionKeys::from_bytes(&[1; 16], &[2; 16], &[3; 16]).unwrap();
    let mut stream = Vec::new();
    Session::new(&keys, SecurityLevel::ALL)
        .unwrap()
        .wrap_package(pkg, SGP22_MAX_SEGMENT_LEN, &mut stream)
        .unwrap();
    let segments: Vec<&[u8]> = smsr::tlv::Reader::new(&stream)
        .map(|t| t.unwrap().raw())
        .collect();
    let mut plain = vec![0u8; SGP22_MAX_SEGMENT_LEN];
    let clock = if cpu_ns().is_some() { "cpu" } else { "wall" };
    let mut best = f64::MAX;
    for _ in 0..20 {
        let (start, cpu0, mut n) = (Instant::now(), cpu_ns(), 0u64);
        while start.elapsed() < Duration::from_millis(250) {
            let mut s = Session::new(&keys, SecurityLevel::ALL).unwrap();
            for seg in &segments {
                black_box(s.unwrap(black_box(seg), &mut plain).unwrap());
            }
            n += 1;
        }
        let spent = match (cpu0, cpu_ns()) {
            (Some(a), Some(b)) => (b - a) as f64,
            _ => start.elapsed().as_nanos() as f64,
        };
        best = best.min(spent / n as f64);
    }
    let mb_s = pkg.len() as f64 / best * 1e3;
    println!(
        "{{\"bench\":\"scp03t/unwrap_ts48_on_cpu\",\"clock\":\"{clock}\",\"bytes\":{},\"ns\":{best:.0},\"mb_s\":{mb_s:.1},\"target_mb_s\":200}}",
        pkg.len()
    );
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if std::env::args().any(|a| a == "--test" || a == "--list" || a == "--profile-time") {
        return;
    }
    match testdata() {
        Some(pkg) => on_cpu(&pkg),
        None => eprintln!("scp03t bench: ../shared/testdata not found (set SMSR_TESTDATA)"),
    }
}
