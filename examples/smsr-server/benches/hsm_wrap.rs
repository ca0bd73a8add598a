//! Issue 15's HSM figure: the SCP80 wrap of bench
//! `scp80/wrap_aes128_cc_ciph_96` (96-octet payload, SPI `16 39`, AES-128
//! CC + ciphering, counter mode 10) through the PKCS#11 provider on
//! SoftHSM2 and through the in-memory provider, in the same run; and the
//! same for one SCP03t `86` segment (1,020 octets, C-MAC + C-DEC) with
//! session keys derived inside the token. One JSON line per pair: ops/s
//! each and the ratio.
//!
//! Needs the token `.ci/softhsm.sh` makes (`source .ci/softhsm.sh`), and
//! fails loudly without it. Short by default; `--measurement-time S`
//! (seconds per side, default 3) and `--warm-up-time S` (default 1):
//! `cargo bench -p smsr-server --bench hsm_wrap -- --measurement-time 3`.
#![allow(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[allow(dead_code)]
#[path = "../hsm.rs"]
mod hsm;

use std::hint::black_box;
use std::time::{Duration, Instant};

use hsm::{Hsm, HsmConfig, PinSource};
use smsr::crypto::{Key, Provider, Scp03Provider};
use smsr::scp03t::{SecurityLevel, Session, StaticKeys};
use smsr::scp80::{Cntr, CommandHeader, Framing, KeySet, Kic, Kid, Spi, Tar, command};

const SETUP: &str = "run `source .ci/softhsm.sh` in this shell first (it creates a SoftHSM2 \
     token and exports SMSR_TEST_PKCS11_MODULE, SOFTHSM2_CONF, SMSR_TEST_PKCS11_TOKEN, \
     SMSR_TEST_PKCS11_PIN)";

fn open() -> Hsm {
    let var = |n: &str| std::env::var(n).unwrap_or_else(|_| panic!("{n} is not set: {SETUP}"));
    var("SOFTHSM2_CONF");
    var("SMSR_TEST_PKCS11_PIN");
    Hsm::open(&HsmConfig {
        module: var("SMSR_TEST_PKCS11_MODULE").into(),
        token_label: var("SMSR_TEST_PKCS11_TOKEN"),
        pin: PinSource::Env("SMSR_TEST_PKCS11_PIN".into()),
    })
    .unwrap_or_else(|e| panic!("{e}: {SETUP}"))
}

/// `--name S` from the command line, in seconds.
fn seconds(name: &str, default: f64) -> Duration {
    let args: Vec<String> = std::env::args().collect();
    let v = args
        .iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map_or(default, |s| {
            s.parse().unwrap_or_else(|_| panic!("{name} {s}"))
        });
    Duration::from_secs_f64(v)
}

/// Operations per second of `op`, after a warm-up.
fn rate(warm: Duration, measure: Duration, mut op: impl FnMut()) -> f64 {
    let start = Instant::now();
    while start.elapsed() < warm {
        op();
    }
    let (start, mut n) = (Instant::now(), 0u64);
    while start.elapsed() < measure {
        op();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn report(bench: &str, hsm: f64, memory: f64) {
    println!(
        "{{\"bench\":\"{bench}\",\"softhsm2_per_s\":{hsm:.0},\"memory_per_s\":{memory:.0},\"memory_over_softhsm2\":{:.1}}}",
        memory / hsm
    );
}

fn scp80(hsm: &Hsm, warm: Duration, measure: Duration) {
    let header = CommandHeader {
        spi: Spi([0x16, 0x39]),
        kic: Kic(0x12),
        kid: Kid(0x12),
        tar: Tar([0x00, 0x00, 0x01]),
        cntr: Cntr::from_u64(0x42).unwrap(),
    };
    let (kic, kid) = (
        Key::aes(&[0x11; 16]).unwrap(),
        Key::aes(&[0x22; 16]).unwrap(),
    );
    let through = KeySet::with_provider(hsm)
        .with_kic_handle(hsm.import(&kic).unwrap())
        .with_kid_handle(hsm.import(&kid).unwrap());
    let memory = KeySet::new().with_kic(&kic).with_kid(&kid);
    let payload = [0xA5u8; 96];
    let mut out = [0u8; 160];
    let h = rate(warm, measure, || {
        black_box(command::wrap(Framing::SmsPp, &header, &payload, &through, &mut out).unwrap());
    });
    let m = rate(warm, measure, || {
        black_box(command::wrap(Framing::SmsPp, &header, &payload, &memory, &mut out).unwrap());
    });
    report("scp80/wrap_aes128_cc_ciph_96", h, m);
}

fn scp03t(hsm: &Hsm, warm: Duration, measure: Duration) {
    let (enc, mac) = (
        Key::aes(&[0x41; 16]).unwrap(),
        Key::aes(&[0x42; 16]).unwrap(),
    );
    let through = StaticKeys::with_provider(
        hsm,
        hsm.import_static(&enc).unwrap(),
        hsm.import_static(&mac).unwrap(),
    )
    .unwrap();
    let memory = StaticKeys::new(enc, mac).unwrap();
    let level = SecurityLevel::parse(0x03).unwrap();
    let mut a = Session::derive(&through, &[1; 8], &[2; 8], level).unwrap();
    let mut b = Session::derive(&memory, &[1; 8], &[2; 8], level).unwrap();
    let segment = [0x5Au8; 1020];
    let mut out = Vec::with_capacity(1100);
    let h = rate(warm, measure, || {
        out.clear();
        a.wrap(0x86, &segment, &mut out).unwrap();
        black_box(out.len());
    });
    let m = rate(warm, measure, || {
        out.clear();
        b.wrap(0x86, &segment, &mut out).unwrap();
        black_box(out.len());
    });
    report("scp03t/wrap_segment_1020_aes128_cmac_cdec", h, m);
}

fn main() {
    let warm = seconds("--warm-up-time", 1.0);
    let measure = seconds("--measurement-time", 3.0);
    let hsm = open();
    scp80(&hsm, warm, measure);
    scp03t(&hsm, warm, measure);
}
