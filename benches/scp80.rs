//! SCP80 command packets: wrap (OTA server) and unwrap (card) of a
//! 96-octet payload with CC + ciphering and counter mode 10 (SPI `16 39`),
//! the key set prepared once.
//!
//! After the criterion groups, `floor` prints one JSON line comparing the
//! AES-128 wrap with OpenSSL's floor measured in the same run: two
//! 112-octet AES-128-CBC encryptions (`openssl speed -evp aes-128-cbc
//! -bytes 112`, spawned when the `openssl` command is present; the JSON
//! says so when it is absent). Issue 15 target: ratio at most 2.
#![allow(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
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

/// Nanoseconds per AES-128 wrap of the 96-octet payload: the best of
/// twenty quarter-second runs, in on-CPU time when the kernel reports it
/// (`openssl speed` reports CPU time too, so other load on the machine
/// skews neither), else wall-clock time. Returns the figure and its
/// clock's name.
fn wrap_ns() -> (f64, &'static str) {
    let payload = [0xA5u8; 96];
    let aes = KeySet::new()
        .with_kic(&Key::aes(&[0x11; 16]).unwrap())
        .with_kid(&Key::aes(&[0x22; 16]).unwrap());
    let h = header(0x2);
    let mut out = [0u8; 160];
    let mut best = f64::MAX;
    let clock = if cpu_ns().is_some() { "cpu" } else { "wall" };
    for _ in 0..20 {
        let (start, cpu0, mut n) = (Instant::now(), cpu_ns(), 0u64);
        while start.elapsed() < Duration::from_millis(250) {
            for _ in 0..1000 {
                black_box(
                    command::wrap(Framing::SmsPp, &h, black_box(&payload), &aes, &mut out).unwrap(),
                );
            }
            n += 1000;
        }
        let spent = match (cpu0, cpu_ns()) {
            (Some(a), Some(b)) => (b - a) as f64,
            _ => start.elapsed().as_nanos() as f64,
        };
        best = best.min(spent / n as f64);
    }
    (best, clock)
}

/// Nanoseconds per 112-octet AES-128-CBC encryption by `openssl speed`
/// (its "1000s of bytes per second" figure for 112-byte blocks), or why
/// there is none.
fn openssl_cbc_112_ns() -> Result<f64, String> {
    let out = Command::new("openssl")
        .args([
            "speed",
            "-evp",
            "aes-128-cbc",
            "-bytes",
            "112",
            "-seconds",
            "3",
        ])
        .output()
        .map_err(|e| format!("openssl not run: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("AES-128-CBC") || l.starts_with("aes-128-cbc"))
        .ok_or_else(|| format!("no AES-128-CBC line in openssl speed output: {text}"))?;
    let kbytes: f64 = line
        .split_whitespace()
        .last()
        .and_then(|v| v.trim_end_matches('k').parse().ok())
        .ok_or_else(|| format!("unreadable openssl speed line: {line}"))?;
    Ok(112.0 / (kbytes * 1000.0) * 1e9)
}

/// The JSON line with both figures and their ratio, the same run.
fn floor() {
    let (ours, clock) = wrap_ns();
    match openssl_cbc_112_ns() {
        Ok(one) => println!(
            "{{\"bench\":\"scp80/wrap_aes128_cc_ciph_96_vs_openssl\",\"clock\":\"{clock}\",\"wrap_ns\":{ours:.1},\"openssl_cbc112_ns\":{one:.1},\"openssl_floor_ns\":{:.1},\"ratio\":{:.2},\"target_ratio\":2.0}}",
            2.0 * one,
            ours / (2.0 * one)
        ),
        Err(why) => println!(
            "{{\"bench\":\"scp80/wrap_aes128_cc_ciph_96_vs_openssl\",\"clock\":\"{clock}\",\"wrap_ns\":{ours:.1},\"openssl_floor_ns\":null,\"why\":{why:?}}}"
        ),
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    if !std::env::args().any(|a| a == "--test" || a == "--list" || a == "--profile-time") {
        floor();
    }
}
