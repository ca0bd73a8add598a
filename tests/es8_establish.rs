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
//! ES8.EstablishISDPKeySet end to end: the SM-DP side (`es8::establish`)
//! against the simulated eUICC's ECASD, relayed as the SM-SR would (SCP80
//! expanded scripts to the ISD-R, INSTALL [for personalization] routing the
//! STORE DATA to the ISD-P), for every AES key length, with and without
//! HostID / SDIN; any single-bit change of the receipt, the signature or
//! the CRT is refused.

#[path = "common/es8_card.rs"]
mod es8_card;
mod sim_support;

use es8_card::{Card, run};
use proptest::prelude::*;
use smsr::apdu::CommandView;
use smsr::apdu::{Response, StatusWord};
use smsr::crypto::ecka::{Curve, KeyUsageQualifier, PrivateKey, PublicKey};
use smsr::es8::certificate::CertificateRef;
use smsr::es8::crt::KeyAgreementCrt;
use smsr::es8::establish::{self, SmDp};
use smsr::es8::{Error, KeySet};
use smsr::isdr::{Aid, Tar, es5};
use smsr::sim::ecasd::{self, Ecasd};

/// The CRT of these tests: KVN `30`.
fn crt(key_length: u8, host: bool) -> KeyAgreementCrt {
    es8_card::crt(key_length, 0x30, host)
}

/// Fleet member 0 with the ISD-P of TAR `10` (40,000 octets).
fn setup() -> Card {
    es8_card::card(0, 3, 0x10, 40_000)
}

/// Steps 1-2 then the key agreement commands (`es8_card::exchange`).
fn exchange(s: &mut Card, dp: &SmDp, sk_dp: &PrivateKey) -> (Vec<Vec<u8>>, Vec<u8>) {
    es8_card::exchange(s, dp, sk_dp, &sk_dp.public_key())
}

fn same(a: &KeySet, b: &KeySet) {
    assert_eq!(
        (a.kvn, a.key_id, a.key_len()),
        (b.kvn, b.key_id, b.key_len())
    );
    assert_eq!(a.s_enc.dangerous_bytes(), b.s_enc.dangerous_bytes());
    assert_eq!(a.s_mac.dangerous_bytes(), b.s_mac.dangerous_bytes());
    assert_eq!(a.dek.dangerous_bytes(), b.dek.dangerous_bytes());
}

#[test]
fn round_trip_every_key_length() {
    for (len, host) in [(16, false), (24, true), (32, false), (16, true)] {
        let mut s = setup();
        let sk_dp = PrivateKey::from_bytes(&[0xD9; 32]).unwrap();
        let esk = PrivateKey::from_bytes(&[len; 32]).unwrap();
        let sin = host.then_some(s.sin.clone());
        let dp = SmDp::new(crt(len, host), esk, s.pk_ecasd, sin.as_deref()).unwrap();
        let (second, _) = exchange(&mut s, &dp, &sk_dp);
        let r = run(&mut s, &second);
        assert_eq!(r[1].1, StatusWord::SUCCESS, "key length {len}");
        let keys = dp.finish(&Response::new(&r[1].0, r[1].1)).unwrap();
        assert_eq!(keys.key_len(), usize::from(len));
        same(&keys, s.sim.card().isdp_key_set(&s.aid).unwrap());
        assert_ne!(keys.s_enc.dangerous_bytes(), keys.s_mac.dangerous_bytes());
    }
}

/// One key establishment straight against an ECASD on `card_curve`, the
/// SM-DP signing on `dp_curve` and its ephemeral key on `esk_curve`; the
/// key set both sides hold, or the SW of the key agreement.
fn direct(
    card_curve: Curve,
    dp_curve: Curve,
    esk_curve: Curve,
    len: u8,
) -> Result<(KeySet, KeySet), StatusWord> {
    let mut card = Ecasd::from_seed_on(card_curve, b"bp256 eUICC").unwrap();
    // What the EUM publishes: the ECASD certificate, its F0 naming the curve.
    let cert = CertificateRef::parse(card.certificate()).unwrap();
    cert.verify(&ecasd::test_ci().public_key()).unwrap();
    let pk_ecasd = cert.public_key.to_key().unwrap();
    assert_eq!(pk_ecasd.curve(), card_curve);
    assert_eq!(pk_ecasd, card.public_key());
    let aid = Aid::isd_p(Tar::from_value(0x10)).unwrap();
    // 0xD9.. is above the brainpoolP256r1 order (A9FB..): 0x59.. fits both.
    let sk_dp = PrivateKey::from_bytes_on(dp_curve, &[0x59; 32]).unwrap();
    let esk = PrivateKey::from_bytes_on(esk_curve, &[len; 32]).unwrap();
    let dp_cert = ecasd::test_sm_dp_certificate(&sk_dp.public_key())
        .unwrap()
        .to_vec()
        .unwrap();
    // The peer's key on another curve: the SM-DP cannot compute Z either.
    let pk = if esk_curve == card_curve {
        pk_ecasd
    } else {
        esk.public_key()
    };
    let dp = SmDp::new(crt(len, false), esk, pk, None).unwrap();
    let first = dp.certificate_commands(aid.as_bytes(), &dp_cert).unwrap();
    let r = card.store_data(aid, &CommandView::parse(&first[1]).unwrap());
    assert_eq!(r.sw, StatusWord::SUCCESS);
    let challenge = establish::parse_certificate_response(&Response::new(&r.data, r.sw))
        .unwrap()
        .unwrap();
    let ka = dp
        .key_agreement_commands(&sk_dp, Some(&challenge), 1)
        .unwrap();
    let a = card.store_data(aid, &CommandView::parse(&ka[0]).unwrap());
    if a.sw != StatusWord::SUCCESS {
        assert!(card.isdp_key_set(&aid).is_none(), "nothing installed");
        return Err(a.sw);
    }
    let keys = dp.finish(&Response::new(&a.data, a.sw)).unwrap();
    Ok((keys, card.isdp_key_set(&aid).unwrap().clone()))
}

#[test]
fn round_trip_both_curves() {
    use Curve::{BrainpoolP256r1 as Bp, NistP256 as P};
    for (card, dp) in [(Bp, Bp), (Bp, P), (P, Bp), (P, P)] {
        for len in [16, 24, 32] {
            let (ours, card_keys) = direct(card, dp, card, len).unwrap();
            same(&ours, &card_keys);
            assert_eq!(ours.key_len(), usize::from(len));
        }
    }
    // An ephemeral key on another curve than the ECASD's: 6A80, no keys.
    assert_eq!(
        direct(Bp, Bp, P, 16).unwrap_err(),
        StatusWord::INCORRECT_DATA
    );
    assert_eq!(
        direct(P, P, Bp, 16).unwrap_err(),
        StatusWord::INCORRECT_DATA
    );
}

#[test]
fn card_refusals_change_nothing() {
    let mut s = setup();
    let sk_dp = PrivateKey::from_bytes(&[0xD9; 32]).unwrap();
    let dp = SmDp::new(
        crt(16, false),
        PrivateKey::from_bytes(&[7; 32]).unwrap(),
        s.pk_ecasd,
        None,
    )
    .unwrap();
    // An SM-DP certificate signed by another CI: 6A88 if its CA id is
    // unknown, 6982 if it claims the test CI but the signature fails.
    let rogue = PrivateKey::from_bytes(&[0x66; 32]).unwrap();
    let mut cert = ecasd::test_sm_dp_certificate(&sk_dp.public_key()).unwrap();
    cert.sign(&rogue).unwrap();
    let cmds = dp
        .certificate_commands(s.aid.as_bytes(), &cert.to_vec().unwrap())
        .unwrap();
    let before = s.sim.snapshot();
    assert_eq!(
        run(&mut s, &cmds)[1].1,
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
    cert.ca_id = b"XCI9".to_vec();
    cert.sign(&rogue).unwrap();
    let cmds = dp
        .certificate_commands(s.aid.as_bytes(), &cert.to_vec().unwrap())
        .unwrap();
    assert_eq!(
        run(&mut s, &cmds)[1].1,
        StatusWord::REFERENCED_DATA_NOT_FOUND
    );
    // A well-signed certificate that is not an SM-DP's (SM-SR type): 6A80.
    let mut sr = ecasd::test_sm_dp_certificate(&sk_dp.public_key()).unwrap();
    sr.discretionary_data = smsr::es8::certificate::DISCRETIONARY_SM_SR.to_vec();
    sr.sign(&ecasd::test_ci()).unwrap();
    let cmds = dp
        .certificate_commands(s.aid.as_bytes(), &sr.to_vec().unwrap())
        .unwrap();
    assert_eq!(run(&mut s, &cmds)[1].1, StatusWord::INCORRECT_DATA);
    // Key agreement without a verified certificate: 6985.
    let mut ka = vec![
        es5::install_for_personalization(&s.aid)
            .unwrap()
            .as_bytes()
            .to_vec(),
    ];
    ka.extend(
        dp.key_agreement_commands(&sk_dp, Some(&[0; 16]), 1)
            .unwrap(),
    );
    assert_eq!(run(&mut s, &ka)[1].1, StatusWord::CONDITIONS_NOT_SATISFIED);
    assert!(s.sim.card().isdp_key_set(&s.aid).is_none());
    assert_eq!(s.sim.snapshot().card, before.card);

    // A key agreement signed over another challenge: 6982, nothing installed.
    let (second, _) = exchange(&mut s, &dp, &sk_dp);
    let mut stale = vec![second[0].clone()];
    stale.extend(
        dp.key_agreement_commands(&sk_dp, Some(&[1; 16]), 1)
            .unwrap(),
    );
    assert_eq!(
        run(&mut s, &stale)[1].1,
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
    assert!(s.sim.card().isdp_key_set(&s.aid).is_none());
    // The refusal forgot the certificate: the good data is now out of order.
    assert_eq!(
        run(&mut s, &second)[1].1,
        StatusWord::CONDITIONS_NOT_SATISFIED
    );

    // A bad CRT (one key, 5C) and a curve other than P-256: 6A80.
    for bad in [
        KeyAgreementCrt {
            key_usage: KeyUsageQualifier::ONE_KEY,
            ..crt(16, false)
        },
        KeyAgreementCrt {
            key_length: 20,
            ..crt(16, false)
        },
    ] {
        let dp = SmDp::new(
            bad,
            PrivateKey::from_bytes(&[7; 32]).unwrap(),
            s.pk_ecasd,
            None,
        )
        .unwrap();
        let (second, _) = exchange(&mut s, &dp, &sk_dp);
        assert_eq!(run(&mut s, &second)[1].1, StatusWord::INCORRECT_DATA);
    }
    let (mut second, _) = exchange(&mut s, &dp, &sk_dp);
    // F0 01 00 -> F0 01 03 (brainpoolP256r1) inside DGI 7F49.
    let ka = &mut second[1];
    let f0 = ka.windows(3).position(|w| w == [0xF0, 0x01, 0x00]).unwrap();
    ka[f0 + 2] = 0x03;
    assert_eq!(run(&mut s, &second)[1].1, StatusWord::INCORRECT_DATA);
    assert!(s.sim.card().isdp_key_set(&s.aid).is_none());
}

#[test]
fn sm_dp_refusals() {
    let mut s = setup();
    let sk_dp = PrivateKey::from_bytes(&[0xD9; 32]).unwrap();
    let dp = SmDp::new(
        crt(16, false),
        PrivateKey::from_bytes(&[7; 32]).unwrap(),
        s.pk_ecasd,
        None,
    )
    .unwrap();
    let (second, _) = exchange(&mut s, &dp, &sk_dp);
    let r = run(&mut s, &second);
    let answer = r[1].0.clone();
    assert!(
        dp.finish(&Response::new(&answer, StatusWord::SUCCESS))
            .is_ok()
    );
    assert_eq!(
        dp.finish(&Response::new(
            &answer,
            StatusWord::SECURITY_STATUS_NOT_SATISFIED
        ))
        .unwrap_err(),
        Error::Refused(StatusWord::SECURITY_STATUS_NOT_SATISFIED)
    );
    // Receipt missing, DR missing, trailing data.
    assert!(
        dp.finish(&Response::new(&answer[..18], StatusWord::SUCCESS))
            .is_err()
    );
    assert!(
        dp.finish(&Response::new(&answer[18..], StatusWord::SUCCESS))
            .is_err()
    );
    let mut long = answer.clone();
    long.extend_from_slice(&[0x90, 0x00]);
    assert!(
        dp.finish(&Response::new(&long, StatusWord::SUCCESS))
            .is_err()
    );
    // An ephemeral key other than the one the card used: receipt mismatch.
    let other = SmDp::new(
        crt(16, false),
        PrivateKey::from_bytes(&[8; 32]).unwrap(),
        s.pk_ecasd,
        None,
    )
    .unwrap();
    assert_eq!(
        other
            .finish(&Response::new(&answer, StatusWord::SUCCESS))
            .unwrap_err(),
        Error::ReceiptMismatch
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Any single-bit change of the card's answer (DR or receipt) is
    /// refused by the SM-DP, and any single-bit change of the key
    /// agreement data (CRT, ePK, signature) is refused by the card.
    #[test]
    fn any_bit_flip_is_refused(bit in 0usize..4096, answer_side in any::<bool>()) {
        let mut s = setup();
        let sk_dp = PrivateKey::from_bytes(&[0xD9; 32]).unwrap();
        let dp = SmDp::new(crt(16, false), PrivateKey::from_bytes(&[7; 32]).unwrap(), s.pk_ecasd, None).unwrap();
        let (mut second, _) = exchange(&mut s, &dp, &sk_dp);
        if answer_side {
            let r = run(&mut s, &second);
            let mut answer = r[1].0.clone();
            let bit = bit % (8 * answer.len());
            answer[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(dp.finish(&Response::new(&answer, StatusWord::SUCCESS)).is_err());
        } else {
            // Flip a bit of the STORE DATA's data (after the 5-octet header).
            let ka = &mut second[1];
            let data_len = ka.len() - 6;
            let bit = bit % (8 * data_len);
            ka[5 + bit / 8] ^= 1 << (bit % 8);
            let r = run(&mut s, &second);
            prop_assert_ne!(r[1].1, StatusWord::SUCCESS);
            prop_assert!(s.sim.card().isdp_key_set(&s.aid).is_none());
        }
    }
}

/// An EC key vault that hands out indices only and counts its calls (an
/// HSM holding ESK.DP.ECKA and SK.DP.ECDSA).
#[derive(Default)]
struct EcVault {
    keys: std::cell::RefCell<Vec<PrivateKey>>,
    calls: std::cell::Cell<usize>,
    down: std::cell::Cell<bool>,
}

impl EcVault {
    fn keep(&self, k: PrivateKey) -> usize {
        let mut v = self.keys.borrow_mut();
        v.push(k);
        v.len() - 1
    }

    fn key(&self, h: usize) -> Result<PrivateKey, smsr::crypto::ecka::Error> {
        self.calls.set(self.calls.get() + 1);
        if self.down.get() {
            return Err(smsr::crypto::ecka::Error::Provider(
                smsr::crypto::Error::Provider {
                    operation: smsr::crypto::provider::Operation::Agree,
                    failure: smsr::crypto::provider::Failure::Unavailable,
                    code: 0xB3,
                },
            ));
        }
        Ok(self.keys.borrow()[h].clone())
    }
}

impl smsr::crypto::EckaProvider for EcVault {
    type PrivateKey = usize;

    fn public_key(&self, key: &usize) -> Result<PublicKey, smsr::crypto::ecka::Error> {
        Ok(self.key(*key)?.public_key())
    }

    fn agree(
        &self,
        key: &usize,
        peer: &PublicKey,
    ) -> Result<smsr::crypto::ecka::SharedSecret, smsr::crypto::ecka::Error> {
        self.key(*key)?.ecka(peer)
    }

    fn sign(
        &self,
        key: &usize,
        message: &[u8],
    ) -> Result<smsr::crypto::ecka::Signature, smsr::crypto::ecka::Error> {
        Ok(smsr::crypto::ecka::Signature::sign(
            &self.key(*key)?,
            message,
        ))
    }
    fn import_private(&self, key: &PrivateKey) -> Result<usize, smsr::crypto::ecka::Error> {
        let mut keys = self.keys.borrow_mut();
        keys.push(key.clone());
        Ok(keys.len() - 1)
    }
}

/// The SM-DP side through EC key handles: the same key agreement STORE
/// DATA (RFC 6979 signatures are deterministic) and the same key set as
/// in-memory keys, the card verifying both; a provider gone away fails
/// the step with its error.
#[test]
fn sm_dp_keys_as_provider_handles() {
    let mut s = setup();
    let vault = EcVault::default();
    let sk_dp = PrivateKey::from_bytes(&[0xD9; 32]).unwrap();
    let esk = PrivateKey::from_bytes(&[0x24; 32]).unwrap();
    let (sk_h, esk_h) = (vault.keep(sk_dp.clone()), vault.keep(esk.clone()));
    let soft = SmDp::new(crt(24, false), esk, s.pk_ecasd, None).unwrap();
    let dp = SmDp::with_provider(&vault, crt(24, false), esk_h, s.pk_ecasd, None).unwrap();
    let (second, challenge) = exchange(&mut s, &soft, &sk_dp);
    let through = dp
        .key_agreement_commands(&sk_h, Some(&challenge), 1)
        .unwrap();
    assert_eq!(second[1..], through[..]);
    assert_eq!(vault.calls.get(), 2, "public key and signature");
    let r = run(&mut s, &second);
    assert_eq!(r[1].1, StatusWord::SUCCESS);
    let answer = Response::new(&r[1].0, r[1].1);
    let keys = dp.finish(&answer).unwrap();
    same(&keys, &soft.finish(&answer).unwrap());
    same(&keys, s.sim.card().isdp_key_set(&s.aid).unwrap());
    vault.down.set(true);
    assert!(matches!(
        dp.finish(&answer),
        Err(Error::Crypto(smsr::crypto::ecka::Error::Provider(_)))
    ));
}
