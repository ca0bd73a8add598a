//! TS 102 226 expanded scripts and C-APDU views: parse and build a script of
//! ten STORE DATA commands (about 2.4 KB, the size of an SCP81 profile
//! download chunk).
#![allow(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use smsr::apdu::CommandView;
use smsr::apdu::gp::{StoreData, StoreDataP1};
use smsr::remote::expanded::{c_apdu, command_script};
use smsr::remote::{Coding, CommandItem, CommandScript};
use smsr::tlv::Encode;

fn bench(c: &mut Criterion) {
    let data: Vec<u8> = (0..2300u32).map(|i| (i % 251) as u8).collect();
    let cmds: Vec<_> = StoreData::new(StoreDataP1::DGI, &data)
        .blocks()
        .unwrap()
        .collect();
    let items: Vec<_> = cmds.iter().map(c_apdu).collect();
    let script = command_script(&items[..], Coding::Definite)
        .to_vec()
        .unwrap();

    let mut g = c.benchmark_group("remote");
    g.throughput(Throughput::Bytes(script.len() as u64));
    g.bench_function("parse_script", |b| {
        b.iter(|| {
            let (s, _) = CommandScript::parse(black_box(&script)).unwrap();
            let mut n = 0;
            for item in s.items() {
                if let CommandItem::CApdu(a) = item.unwrap() {
                    n += CommandView::parse(a).unwrap().data().len();
                }
            }
            n
        })
    });
    let mut out = vec![0u8; script.len()];
    g.bench_function("build_script", |b| {
        b.iter(|| {
            let items: Vec<_> = black_box(&cmds).iter().map(c_apdu).collect();
            command_script(&items[..], Coding::Definite)
                .encode_to_slice(&mut out)
                .unwrap()
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
