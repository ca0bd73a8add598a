//! Scenario #3 key establishment (ES8.EstablishISDPKeySet): each side as a
//! whole (target: under 1 ms per side), on NIST P-256 and (`_bp256`)
//! brainpoolP256r1, and its primitives, ECKA (ECDH), the X9.63 KDF of an
//! AES-128 SCP03 key set and ECDSA sign / verify.
#![allow(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use smsr::apdu::{CommandView, Response, StatusWord};
use smsr::crypto::ecka::{
    Curve, DerivedKeys, KeyUsageQualifier, PrivateKey, SharedInfo, Signature,
};
use smsr::es8::crt::{KeyAgreementCrt, ScenarioParameters};
use smsr::es8::establish::SmDp;
use smsr::isdr::{Aid, Tar};
use smsr::sim::ecasd::{self, Ecasd};

fn crt() -> KeyAgreementCrt {
    KeyAgreementCrt {
        parameters: ScenarioParameters(0x0A),
        key_usage: KeyUsageQualifier::SCP03_KEY_SET,
        key_access: None,
        key_type: 0x88,
        key_length: 16,
        key_id: 1,
        key_version: 0x30,
        initial_counter: Some(heapless::Vec::new()),
        sdin: None,
        host_id: None,
    }
}

/// SM-DP side: sign the key agreement data, then ECKA, KDF and the
/// receipt check on the card's answer. Card side: verify the SM-DP
/// certificate, verify the signed key agreement data, ECKA, KDF, receipt.
fn sides(c: &mut Criterion) {
    sides_on(c, Curve::NistP256, "");
    sides_on(c, Curve::BrainpoolP256r1, "_bp256");
}

fn sides_on(c: &mut Criterion, curve: Curve, suffix: &str) {
    let card = Ecasd::from_seed_on(curve, b"bench").unwrap();
    let aid = Aid::isd_p(Tar::from_value(0x10)).unwrap();
    let pk_ecasd = card.public_key();
    let sk_dp = PrivateKey::from_bytes_on(curve, &[0x59; 32]).unwrap();
    let cert = ecasd::test_sm_dp_certificate(&sk_dp.public_key())
        .unwrap()
        .to_vec()
        .unwrap();
    let esk = PrivateKey::from_bytes_on(curve, &[0x0E; 32]).unwrap();
    let dp = SmDp::new(crt(), esk.clone(), pk_ecasd, None).unwrap();
    let first = dp.certificate_commands(aid.as_bytes(), &cert).unwrap();
    let mut warm = card.clone();
    let r = warm.store_data(aid, &CommandView::parse(&first[1]).unwrap());
    let challenge = r.data[2..].to_vec();
    let ka = dp
        .key_agreement_commands(&sk_dp, Some(&challenge), 1)
        .unwrap();
    let answer = warm.store_data(aid, &CommandView::parse(&ka[0]).unwrap());
    assert!(answer.sw.is_success());
    c.bench_function(&format!("establish_sm_dp_side{suffix}"), |b| {
        b.iter(|| {
            let dp = SmDp::new(crt(), esk.clone(), pk_ecasd, None).unwrap();
            let cmds = dp
                .key_agreement_commands(&sk_dp, Some(&challenge), 1)
                .unwrap();
            let keys = dp
                .finish(&Response::new(&answer.data, StatusWord::SUCCESS))
                .unwrap();
            black_box((cmds, keys))
        })
    });
    c.bench_function(&format!("establish_card_side{suffix}"), |b| {
        b.iter_batched(
            || card.clone(),
            |mut card| {
                let r = card.store_data(aid, &CommandView::parse(&first[1]).unwrap());
                let a = card.store_data(aid, &CommandView::parse(&ka[0]).unwrap());
                assert!(a.sw.is_success());
                black_box((r, a))
            },
            BatchSize::SmallInput,
        )
    });
}

fn bench(c: &mut Criterion) {
    bench_on(c, Curve::NistP256, "p256");
    bench_on(c, Curve::BrainpoolP256r1, "bp256");
}

fn bench_on(c: &mut Criterion, curve: Curve, name: &str) {
    let esk = PrivateKey::from_bytes_on(curve, &[0x0E; 32]).unwrap();
    let ecasd = PrivateKey::from_bytes_on(curve, &[0x7C; 32])
        .unwrap()
        .public_key();
    let dr = [0x5A; 16];
    let info = SharedInfo {
        key_usage: KeyUsageQualifier::SCP03_KEY_SET,
        key_type: 0x88,
        key_length: 16,
        derivation_random: Some(&dr),
        host_id: None,
        sin_sdin: None,
    };
    c.bench_function(&format!("ecka_{name}"), |b| {
        b.iter(|| black_box(&esk).ecka(black_box(&ecasd)).unwrap())
    });
    let z = esk.ecka(&ecasd).unwrap();
    c.bench_function(&format!("kdf_scp03_aes128_{name}"), |b| {
        b.iter(|| DerivedKeys::derive(black_box(&z), black_box(&info)).unwrap())
    });
    let msg = [0xA6u8; 180];
    c.bench_function(&format!("ecdsa_sign_{name}"), |b| {
        b.iter(|| Signature::sign(&esk, black_box(&msg)))
    });
    let sig = Signature::sign(&esk, &msg);
    let pk = esk.public_key();
    c.bench_function(&format!("ecdsa_verify_{name}"), |b| {
        b.iter(|| sig.verify(black_box(&pk), black_box(&msg)).unwrap())
    });
    let d = [0x0E; 32];
    c.bench_function(&format!("private_key_from_bytes_{name}"), |b| {
        b.iter(|| PrivateKey::from_bytes_on(curve, black_box(&d)).unwrap())
    });
}

criterion_group!(benches, sides, bench);
criterion_main!(benches);
