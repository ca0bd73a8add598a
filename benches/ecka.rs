//! Scenario #3 key establishment primitives: ECKA (ECDH P-256), the X9.63
//! KDF of an AES-128 SCP03 key set and ECDSA sign / verify.
#![allow(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use smsr::crypto::ecka::{DerivedKeys, KeyUsageQualifier, PrivateKey, SharedInfo, Signature};

fn bench(c: &mut Criterion) {
    let esk = PrivateKey::from_bytes(&[0x0E; 32]).unwrap();
    let ecasd = PrivateKey::from_bytes(&[0xEC; 32]).unwrap().public_key();
    let dr = [0x5A; 16];
    let info = SharedInfo {
        key_usage: KeyUsageQualifier::SCP03_KEY_SET,
        key_type: 0x88,
        key_length: 16,
        derivation_random: Some(&dr),
        host_id: None,
        sin_sdin: None,
    };
    c.bench_function("ecka_p256", |b| {
        b.iter(|| black_box(&esk).ecka(black_box(&ecasd)))
    });
    let z = esk.ecka(&ecasd);
    c.bench_function("kdf_scp03_aes128", |b| {
        b.iter(|| DerivedKeys::derive(black_box(&z), black_box(&info)).unwrap())
    });
    let msg = [0xA6u8; 180];
    c.bench_function("ecdsa_sign", |b| {
        b.iter(|| Signature::sign(&esk, black_box(&msg)))
    });
    let sig = Signature::sign(&esk, &msg);
    let pk = esk.public_key();
    c.bench_function("ecdsa_verify", |b| {
        b.iter(|| sig.verify(black_box(&pk), black_box(&msg)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
