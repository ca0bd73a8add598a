//! Walks every TLV of a real TS.48 profile package (about 12 KB, 2,400 TLVs).
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
use smsr::tlv::{Reader, Tlv};

fn testdata() -> Option<Vec<u8>> {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"));
    std::fs::read(dir.join("profiles/ts48v5_saip2.3_bertlv_suci.der")).ok()
}

/// Visits every TLV with an explicit stack (no recursion) and counts them.
fn walk(input: &[u8]) -> usize {
    let mut count = 0;
    let mut stack: Vec<Reader<'_>> = vec![Reader::new(input)];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(tlv) => {
                let tlv: Tlv<'_> = tlv.unwrap();
                count += 1;
                if tlv.tag().is_constructed() {
                    stack.push(tlv.children());
                }
            }
            None => {
                stack.pop();
            }
        }
    }
    count
}

fn bench(c: &mut Criterion) {
    let Some(pkg) = testdata() else {
        eprintln!("tlv bench: ../shared/testdata not found (set SMSR_TESTDATA); skipping");
        return;
    };
    let mut g = c.benchmark_group("tlv");
    g.throughput(Throughput::Bytes(pkg.len() as u64));
    g.bench_function("walk_ts48", |b| b.iter(|| walk(black_box(&pkg))));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
