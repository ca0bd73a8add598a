#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
#![cfg(feature = "sim")]
//! A simulated fleet whose cards hold their ECASD key pair on NIST P-256
//! and brainpoolP256r1 in turn (`fleet::fleet_on`): for each card, the
//! SM-DP reads the curve from the published ECASD certificate, takes its
//! ephemeral key on it and runs ES8.EstablishISDPKeySet through the SM-SR
//! relay (SCP80 to the ISD-R, INSTALL [for personalization] to the ISD-P);
//! both sides end with the same key set. An ephemeral key on the other
//! curve is refused and installs nothing.

mod sim_support;

use sim_support::Server;
use smsr::apdu::{Response, StatusWord};
use smsr::crypto::ecka::{Curve, KeyUsageQualifier, PrivateKey};
use smsr::es8::certificate::CertificateRef;
use smsr::es8::crt::{KeyAgreementCrt, ScenarioParameters};
use smsr::es8::establish::{self, SmDp};
use smsr::isdr::{Aid, Tar, es5};
use smsr::scp80::PorStatus;
use smsr::sim::ecasd::{self, Ecasd};
use smsr::sim::{Euicc, EuiccConfig, fleet};

fn crt() -> KeyAgreementCrt {
    KeyAgreementCrt {
        parameters: ScenarioParameters(
            ScenarioParameters::INCLUDE_DR.0 | ScenarioParameters::CERTIFICATE_FIRST.0,
        ),
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

/// Runs `apdus` as one SCP80 script; the R-APDUs.
fn run(server: &mut Server, sim: &mut Euicc, apdus: &[Vec<u8>]) -> Vec<(Vec<u8>, StatusWord)> {
    let refs: Vec<&[u8]> = apdus.iter().map(Vec::as_slice).collect();
    let ex = server.run(sim, &refs);
    assert_eq!(ex.status, Some(PorStatus::OK));
    ex.rapdus
}

/// Key establishment with `cfg`'s card, the SM-DP's ephemeral key on
/// `esk_curve`: the key agreement's SW, and whether both sides hold the
/// same key set afterwards.
fn establish_with(cfg: &EuiccConfig, esk_curve: Curve) -> (StatusWord, bool) {
    let mut server = Server::new(cfg);
    // What the EUM publishes: the ECASD certificate, its F0 naming the curve.
    let published = Ecasd::of(cfg).unwrap();
    let cert = CertificateRef::parse(published.certificate()).unwrap();
    cert.verify(&ecasd::test_ci().public_key()).unwrap();
    let pk_ecasd = cert.public_key.to_key().unwrap();
    assert_eq!(pk_ecasd.curve(), cfg.ecasd_curve);
    let mut sim = Euicc::new(cfg.clone(), 5);
    let aid = Aid::isd_p(Tar::from_value(0x10)).unwrap();
    let create = es5::create_isdp(&aid, Some(40_000)).unwrap();
    assert_eq!(
        server.run(&mut sim, &[create.as_bytes()]).sw(0),
        StatusWord::SUCCESS
    );
    // 0x59.. is below both group orders (brainpoolP256r1's starts A9FB).
    let sk_dp = PrivateKey::from_bytes_on(Curve::NistP256, &[0x59; 32]).unwrap();
    let esk = PrivateKey::from_bytes_on(esk_curve, &[0x3C; 32]).unwrap();
    // The SM-DP computes Z only with a key on the ECASD's curve; for the
    // refusal case it is handed its own public key instead.
    let peer = if esk_curve == pk_ecasd.curve() {
        pk_ecasd
    } else {
        esk.public_key()
    };
    let dp = SmDp::new(crt(), esk, peer, None).unwrap();
    let dp_cert = ecasd::test_sm_dp_certificate(&sk_dp.public_key())
        .unwrap()
        .to_vec()
        .unwrap();
    let first = dp.certificate_commands(aid.as_bytes(), &dp_cert).unwrap();
    let r = run(&mut server, &mut sim, &first);
    let challenge = establish::parse_certificate_response(&Response::new(&r[1].0, r[1].1))
        .unwrap()
        .unwrap();
    let mut second = vec![
        es5::install_for_personalization(&aid)
            .unwrap()
            .as_bytes()
            .to_vec(),
    ];
    second.extend(
        dp.key_agreement_commands(&sk_dp, Some(&challenge), 1)
            .unwrap(),
    );
    let r = run(&mut server, &mut sim, &second);
    let sw = r[1].1;
    let card = sim.card().isdp_key_set(&aid);
    if sw != StatusWord::SUCCESS {
        return (sw, card.is_none());
    }
    let keys = dp.finish(&Response::new(&r[1].0, sw)).unwrap();
    let card = card.unwrap();
    let same = keys.s_enc.dangerous_bytes() == card.s_enc.dangerous_bytes()
        && keys.s_mac.dangerous_bytes() == card.s_mac.dangerous_bytes()
        && keys.dek.dangerous_bytes() == card.dek.dangerous_bytes()
        && (keys.kvn, keys.key_id) == (card.kvn, card.key_id);
    (sw, same)
}

#[test]
fn a_fleet_on_both_curves_establishes_keys_with_every_card() {
    let curves = [Curve::NistP256, Curve::BrainpoolP256r1];
    let configs = fleet::fleet_on(12, 4, &curves).unwrap();
    let on: Vec<Curve> = configs.iter().map(|c| c.ecasd_curve).collect();
    assert_eq!(on, [curves[0], curves[1], curves[0], curves[1]]);
    for cfg in &configs {
        let (sw, same) = establish_with(cfg, cfg.ecasd_curve);
        assert_eq!(sw, StatusWord::SUCCESS, "{:?}", cfg.ecasd_curve);
        assert!(same, "both sides hold one key set on {:?}", cfg.ecasd_curve);
    }
    // The default builder is unchanged: P-256 for every member.
    assert!(
        fleet::fleet(12, 3)
            .unwrap()
            .iter()
            .all(|c| c.ecasd_curve == Curve::NistP256)
    );
}

#[test]
fn an_ephemeral_key_on_the_other_curve_is_refused() {
    let configs = fleet::fleet_on(12, 2, &[Curve::NistP256, Curve::BrainpoolP256r1]).unwrap();
    for (cfg, other) in configs
        .iter()
        .zip([Curve::BrainpoolP256r1, Curve::NistP256])
    {
        let (sw, nothing_installed) = establish_with(cfg, other);
        assert_ne!(sw, StatusWord::SUCCESS, "{:?} card", cfg.ecasd_curve);
        assert!(nothing_installed, "{:?} card", cfg.ecasd_curve);
    }
}
