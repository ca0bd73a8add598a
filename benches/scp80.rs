//! SCP80 command packets: wrap (OTA server) and unwrap (card) of a
//! 96-octet payload with CC + ciphering and counter mode 10 (SPI `16 39`),
//! the key set prepared once.
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
use smsr::crypto::{CipherAlgorithm, Key};
use smsr::scp80::{Cntr, CommandHeader, Framing, KeySet, Kic, Kid, Spi, Tar, command};

fn header(algo_nibble: u8) -> CommandHeader {
    CommandHeader {
        spi: Spi([0x16, 0x39]),
        kic: Kic(0x10 | algo_nibble),
        kid: Kid(0x10 | algo_nibble),
        tar: Tar([0x00, 0x00, 0x01]),
        cntr: Cntr::from_u64(0x42).unwrap(),
    }
}

fn bench(c: &mut Criterion) {
    let payload = [0xA5u8; 96];
    let aes = KeySet::new()
        .with_kic(&Key::aes(&[0x11; 16]).unwrap())
        .with_kid(&Key::aes(&[0x22; 16]).unwrap());
    let tdes = KeySet::new()
        .with_kic(&Key::new(CipherAlgorithm::Tdes2, &[0x33; 16]).unwrap())
        .with_kid(&Key::new(CipherAlgorithm::Tdes2, &[0x44; 16]).unwrap());
    let mut g = c.benchmark_group("scp80");
    g.throughput(Throughput::Bytes(payload.len() as u64));
    let mut out = [0u8; 160];

    let h = header(0x2);
    g.bench_function("wrap_aes128_cc_ciph_96", |b| {
        b.iter(|| {
            command::wrap(
                Framing::SmsPp,
                black_box(&h),
                black_box(&payload),
                &aes,
                &mut out,
            )
            .unwrap()
        })
    });

    let n = command::wrap(Framing::SmsPp, &h, &payload, &aes, &mut out).unwrap();
    let packet = out[..n].to_vec();
    let stored = Cntr::from_u64(0x41).unwrap();
    let mut buf = packet.clone();
    g.bench_function("unwrap_aes128_cc_ciph_96", |b| {
        b.iter(|| {
            buf.copy_from_slice(&packet);
            let got = command::unwrap(Framing::SmsPp, black_box(&mut buf), &aes, stored).unwrap();
            black_box(got.payload.len())
        })
    });

    let h = header(0x5);
    g.bench_function("wrap_3des2_cc_ciph_96", |b| {
        b.iter(|| {
            command::wrap(
                Framing::SmsPp,
                black_box(&h),
                black_box(&payload),
                &tdes,
                &mut out,
            )
            .unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
