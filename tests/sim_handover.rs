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
//! SM-SR change end to end on the simulated card (SGP.02 §3.8), in the
//! library: SM-SR1 relays SM-SR2's certificate and key agreement over its
//! SCP80 key set (`isdr::handover::relay`), SM-SR2 derives the new ISD-R
//! key set (`isdr::handover::SmSr2`) and, over it, deletes SM-SR1's key
//! sets (FinaliseISDRhandover); SM-SR1's packets then get PoR `06` and its
//! PSK opens no admin session, while SM-SR2's work. Fleet on both curves;
//! a wrong certificate, a bad signature and a tampered receipt change
//! nothing. The ISD-R keeps a minimum key set (a FinaliseISDRhandover of
//! the arrival key set or of every SCP80 key set: `6985`, nothing
//! deleted), and scenario parameter `01` deletes the old key sets at
//! establishment.

mod sim_support;

use sim_support::Server;
use smsr::apdu::{Response, StatusWord};
use smsr::crypto::Key;
use smsr::crypto::ecka::{Curve, PrivateKey, PublicKey};
use smsr::es8::Error;
use smsr::es8::certificate::CertificateRef;
use smsr::es8::crt::{Field, ScenarioParameters};
use smsr::isdr::es5;
use smsr::isdr::handover::relay::{
    authenticate_smsr_commands, parse_authenticate_smsr_response, parse_key_agreement_response,
};
use smsr::isdr::handover::{
    IsdrKeySetRequest, IsdrKeySetType, IsdrKeys, KeyRange, SmSr2, finalise_isdr_handover,
    parse_finalise_response,
};
use smsr::scp80::{KeyAlgorithm, KeySet, Kic, Kid, PorStatus};
use smsr::sim::ecasd::{self, Ecasd};
use smsr::sim::{AdminSessionRequest, Euicc, EuiccConfig, fleet};

/// What SM-SR2 reads from the EIS SM-SR1 handed over: PK.ECASD.ECKA from
/// the ECASD certificate (checked against the CI) and the ISD-R SIN.
fn from_eis(cfg: &EuiccConfig) -> (PublicKey, Vec<u8>) {
    let published = Ecasd::of(cfg).unwrap();
    let cert = CertificateRef::parse(published.certificate()).unwrap();
    cert.verify(&ecasd::test_ci().public_key()).unwrap();
    (cert.public_key.to_key().unwrap(), published.sin().to_vec())
}

/// Card 0 of fleet `seed`: its configuration, PK.ECASD.ECKA from the EIS,
/// SM-SR1's SCP80 server and the simulated eUICC.
fn one_card(seed: u64) -> (EuiccConfig, PublicKey, Server, Euicc) {
    let cfg = fleet::member(seed, 0).unwrap();
    let (pk_ecasd, _) = from_eis(&cfg);
    let sm_sr1 = Server::new(&cfg);
    let sim = Euicc::new(cfg.clone(), seed);
    (cfg, pk_ecasd, sm_sr1, sim)
}

fn sk_sr() -> PrivateKey {
    PrivateKey::from_bytes(&[0x52; 32]).unwrap()
}

fn sr_cert(sk: &PrivateKey) -> Vec<u8> {
    ecasd::test_sm_sr_certificate(&sk.public_key())
        .unwrap()
        .to_vec()
        .unwrap()
}

fn ok_run(server: &mut Server, sim: &mut Euicc, apdus: &[Vec<u8>]) -> Vec<(Vec<u8>, StatusWord)> {
    let refs: Vec<&[u8]> = apdus.iter().map(Vec::as_slice).collect();
    let ex = server.run(sim, &refs);
    assert_eq!(ex.status, Some(PorStatus::OK));
    ex.rapdus
}

fn request(kind: IsdrKeySetType, kvn: u8, host: bool) -> IsdrKeySetRequest {
    let p = ScenarioParameters::INCLUDE_DR.0 | ScenarioParameters::CERTIFICATE_FIRST.0;
    IsdrKeySetRequest {
        key_set: kind,
        kvn,
        initial_counter: 0x10,
        parameters: ScenarioParameters(if host {
            p | ScenarioParameters::HOST_ID.0
        } else {
            p
        }),
        host_id: host.then(|| Field::from_slice(b"SM-SR2-HOST").unwrap()),
        sdin: host.then(|| Field::from_slice(b"SDIN-R").unwrap()),
    }
}

/// SM-SR1 relays AuthenticateSMSR and CreateAdditionalKeySet for `sr2`;
/// SM-SR2 checks the receipt. The keys, or the error of `finish`.
fn establish(
    sm_sr1: &mut Server,
    sim: &mut Euicc,
    sr2: &SmSr2,
    sdin: Option<&[u8]>,
    tamper: bool,
) -> Result<IsdrKeys, Error> {
    let sk = sk_sr();
    let r = ok_run(
        sm_sr1,
        sim,
        &authenticate_smsr_commands(&sr_cert(&sk)).unwrap(),
    );
    let challenge = parse_authenticate_smsr_response(&Response::new(&r[0].0, r[0].1))?;
    let es7 = sr2.create_additional_key_set(&sk, &challenge).unwrap();
    let crt = es7.crt(sdin).unwrap();
    let r = ok_run(sm_sr1, sim, &es7.commands(sdin, 1).unwrap());
    let mut a = parse_key_agreement_response(&Response::new(&r[0].0, r[0].1), &crt)?;
    if tamper {
        a.receipt[0] ^= 1;
    }
    sr2.finish(a.dr.as_deref(), &a.receipt)
}

/// SM-SR2's SCP80 server with its new key set.
fn sm_sr2_server(cfg: &EuiccConfig, keys: &IsdrKeys) -> Server {
    let IsdrKeys::Scp80 {
        kvn,
        kic,
        kid,
        initial_counter,
        ..
    } = keys
    else {
        panic!("not SCP80")
    };
    let mut s = Server::new(cfg);
    let (kic, kid) = (
        Key::aes(kic.dangerous_bytes()).unwrap(),
        Key::aes(kid.dangerous_bytes()).unwrap(),
    );
    s.keys = KeySet::new().with_kic(&kic).with_kid(&kid);
    s.kic = Kic::new(*kvn, KeyAlgorithm::AES);
    s.kid = Kid::new(*kvn, KeyAlgorithm::AES.0);
    s.cntr = *initial_counter;
    s
}

/// The whole hand-over on every card of a fleet on both curves, with and
/// without HostID / SDIN.
#[test]
fn handover_of_a_fleet() {
    let fleet = fleet::fleet_on(21, 4, &[Curve::NistP256, Curve::BrainpoolP256r1]).unwrap();
    for (i, cfg) in fleet.into_iter().enumerate() {
        let host = i % 2 == 1;
        let (pk_ecasd, sin) = from_eis(&cfg);
        let mut sm_sr1 = Server::new(&cfg);
        let mut sim = Euicc::new(cfg.clone(), 7);
        let esk = PrivateKey::from_bytes_on(cfg.ecasd_curve, &[0x30 + i as u8; 32]).unwrap();
        let sr2 = SmSr2::new(
            request(IsdrKeySetType::Scp80, 0x02, host),
            esk,
            pk_ecasd,
            host.then_some(&sin[..]),
        )
        .unwrap();
        let sdin = host.then_some(&b"SDIN-R"[..]);
        let keys = establish(&mut sm_sr1, &mut sim, &sr2, sdin, false).unwrap();
        // The card holds both key sets now, SM-SR2's equal to its own.
        let kvns: Vec<u8> = sim.config().scp80.iter().map(|k| k.kvn).collect();
        assert_eq!(kvns, [0x01, 0x02]);
        let IsdrKeys::Scp80 { kic, kid, .. } = &keys else {
            panic!()
        };
        let card = &sim.config().scp80[1];
        assert_eq!(card.kic.dangerous_bytes(), kic.dangerous_bytes());
        assert_eq!(card.kid.dangerous_bytes(), kid.dangerous_bytes());

        // SM-SR2, over its own key set: an SCP81 PSK, then
        // FinaliseISDRhandover of SM-SR1's SCP80 and SCP81 key sets.
        let mut sm_sr2 = sm_sr2_server(&cfg, &keys);
        let (pk_ecasd, _) = from_eis(&cfg);
        let psk_esk = PrivateKey::from_bytes_on(cfg.ecasd_curve, &[0x60; 32]).unwrap();
        let psk_run = SmSr2::new(
            request(IsdrKeySetType::Scp81Psk, 0x41, false),
            psk_esk,
            pk_ecasd,
            None,
        )
        .unwrap();
        let psk = establish_direct(&mut sm_sr2, &mut sim, &psk_run);
        let IsdrKeys::Scp81Psk { kvn, key_id, psk } = &psk else {
            panic!()
        };
        assert_eq!(
            sim.psk(*kvn, *key_id).unwrap().dangerous_value(),
            psk.dangerous_bytes()
        );
        let finalise = finalise_isdr_handover(&[
            KeyRange {
                kvn: 0x01,
                first_key_id: 1,
                last_key_id: 3,
            },
            KeyRange {
                kvn: 0x40,
                first_key_id: 1,
                last_key_id: 2,
            },
        ])
        .unwrap();
        let r = ok_run(&mut sm_sr2, &mut sim, &[finalise]);
        parse_finalise_response(&Response::new(&r[0].0, r[0].1)).unwrap();
        assert_eq!(
            sim.config().scp80.iter().map(|k| k.kvn).collect::<Vec<_>>(),
            [0x02]
        );
        assert!(sim.psk(0x40, 1).is_none());
        assert!(sim.psk(0x41, 1).is_some());
        // SM-SR1 is refused (PoR 06, its PSK opens no admin session);
        // SM-SR2's PSK does.
        sm_sr1_is_refused(&mut sm_sr1, &mut sim);
        assert!(sim.open_admin_session(admin(0x41)).is_ok());
        // SM-SR2 works.
        let audit = es5::audit_card_resources().unwrap();
        let r = ok_run(&mut sm_sr2, &mut sim, &[audit.as_bytes().to_vec()]);
        assert_eq!(r[0].1, StatusWord::SUCCESS);
    }
}

fn admin(kvn: u8) -> AdminSessionRequest {
    AdminSessionRequest {
        psk_identity: b"psk-identity".to_vec(),
        kvn,
        kid: 1,
        host: None,
        agent_id: None,
        uri: "/".into(),
        connection: Vec::new(),
        address: None,
        transport: None,
    }
}

/// Once SM-SR1's key sets are gone: its PSK (`40`) opens no admin session,
/// and its SCP80 packets get PoR `06` in clear and change nothing.
fn sm_sr1_is_refused(sm_sr1: &mut Server, sim: &mut Euicc) {
    assert!(sim.open_admin_session(admin(0x40)).is_err());
    let before = sim.snapshot();
    let header = sm_sr1.header();
    let audit = es5::audit_card_resources().unwrap();
    let script = Server::script_bytes(
        &[audit.as_bytes()],
        smsr::remote::expanded::Coding::Definite,
    );
    for s in sm_sr1.segments(&header, &script) {
        sim.receive(&s, 0).unwrap();
    }
    let out = sim.take_outgoing(0);
    assert_eq!(out.len(), 1);
    let por =
        smsr::scp80::ResponsePacket::new_checked(&out[0].tp_ud[3..], smsr::scp80::Framing::SmsPp)
            .unwrap();
    assert_eq!(por.status(), PorStatus::UNIDENTIFIED_SECURITY_ERROR);
    assert_eq!(sim.snapshot(), before);
}

/// Certificate then key agreement sent by SM-SR2 itself.
fn establish_direct(server: &mut Server, sim: &mut Euicc, run: &SmSr2) -> IsdrKeys {
    let sk = sk_sr();
    let r = ok_run(
        server,
        sim,
        &authenticate_smsr_commands(&sr_cert(&sk)).unwrap(),
    );
    let challenge = parse_authenticate_smsr_response(&Response::new(&r[0].0, r[0].1)).unwrap();
    let r = ok_run(
        server,
        sim,
        &run.key_agreement_commands(&sk, &challenge, 1).unwrap(),
    );
    let a = parse_key_agreement_response(&Response::new(&r[0].0, r[0].1), run.crt()).unwrap();
    run.finish(a.dr.as_deref(), &a.receipt).unwrap()
}

/// A wrong SM-SR2 certificate (an SM-DP's, another CI's, a bad CI
/// signature), a signature by another key, key agreement without a
/// certificate and a tampered receipt: refused, and the card's key sets
/// are as before.
#[test]
fn refusals_change_nothing() {
    let (_, pk_ecasd, mut sm_sr1, mut sim) = one_card(22);
    let kvns = |sim: &Euicc| sim.config().scp80.iter().map(|k| k.kvn).collect::<Vec<_>>();
    let sk = sk_sr();
    let store_cert = |c: &[u8]| {
        let mut v = vec![
            0x80,
            0xE2,
            0x09,
            0x00,
            (c.len() + 3) as u8,
            0x3A,
            0x01,
            c.len() as u8,
        ];
        v.extend_from_slice(c);
        v.push(0);
        v
    };
    // An SM-DP certificate to the ISD-R: 6A80.
    let dp = ecasd::test_sm_dp_certificate(&sk.public_key())
        .unwrap()
        .to_vec()
        .unwrap();
    let r = ok_run(&mut sm_sr1, &mut sim, &[store_cert(&dp)]);
    assert_eq!(r[0].1, StatusWord::INCORRECT_DATA);
    // Another CI (CA id changed, re-signed by another key): 6A88; the test
    // CI's id with another key's signature: 6982.
    let other_ci = PrivateKey::from_bytes(&[0x0C; 32]).unwrap();
    let mut c = ecasd::test_sm_sr_certificate(&sk.public_key()).unwrap();
    c.ca_id = b"XCI9".to_vec();
    c.sign(&other_ci).unwrap();
    let r = ok_run(&mut sm_sr1, &mut sim, &[store_cert(&c.to_vec().unwrap())]);
    assert_eq!(r[0].1, StatusWord::REFERENCED_DATA_NOT_FOUND);
    let mut c = ecasd::test_sm_sr_certificate(&sk.public_key()).unwrap();
    c.sign(&other_ci).unwrap();
    let r = ok_run(&mut sm_sr1, &mut sim, &[store_cert(&c.to_vec().unwrap())]);
    assert_eq!(r[0].1, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    assert_eq!(kvns(&sim), [0x01]);

    // Key agreement with no certificate first: 6985.
    let esk = PrivateKey::from_bytes(&[0x33; 32]).unwrap();
    let sr2 = SmSr2::new(
        request(IsdrKeySetType::Scp80, 0x02, false),
        esk,
        pk_ecasd,
        None,
    )
    .unwrap();
    let es7 = sr2.create_additional_key_set(&sk, &[0u8; 16]).unwrap();
    let r = ok_run(&mut sm_sr1, &mut sim, &es7.commands(None, 1).unwrap());
    assert_eq!(r[0].1, StatusWord::CONDITIONS_NOT_SATISFIED);
    // Signed by another key than the certificate's: 6982.
    let r = ok_run(
        &mut sm_sr1,
        &mut sim,
        &authenticate_smsr_commands(&sr_cert(&sk)).unwrap(),
    );
    let challenge = parse_authenticate_smsr_response(&Response::new(&r[0].0, r[0].1)).unwrap();
    let forged = sr2
        .create_additional_key_set(&other_ci, &challenge)
        .unwrap();
    let r = ok_run(&mut sm_sr1, &mut sim, &forged.commands(None, 1).unwrap());
    assert_eq!(r[0].1, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    assert_eq!(kvns(&sim), [0x01]);

    // A tampered receipt: SM-SR2 refuses (the card did install its keys;
    // SM-SR1's stay, so SM-SR1 still manages the eUICC).
    let got = establish(&mut sm_sr1, &mut sim, &sr2, None, true);
    assert_eq!(got.unwrap_err(), Error::ReceiptMismatch);
    let ok = ok_run(
        &mut sm_sr1,
        &mut sim,
        &[es5::audit_card_resources().unwrap().as_bytes().to_vec()],
    );
    assert_eq!(ok[0].1, StatusWord::SUCCESS);

    // A malformed FinaliseISDRhandover: 6A80, nothing deleted.
    let r = ok_run(
        &mut sm_sr1,
        &mut sim,
        &[hex::decode("80E4000004F202010100").unwrap()],
    );
    assert_eq!(r[0].1, StatusWord::INCORRECT_DATA);
    assert!(kvns(&sim).contains(&0x01));
}

/// The ISD-R's key sets: SCP80 KVNs and (KVN, key id) of its PSKs.
fn key_sets(sim: &Euicc) -> (Vec<u8>, Vec<(u8, u8)>) {
    let c = sim.config();
    (
        c.scp80.iter().map(|k| k.kvn).collect(),
        c.scp81.iter().map(|k| (k.kvn, k.kid)).collect(),
    )
}

fn range(kvn: u8) -> KeyRange {
    KeyRange {
        kvn,
        first_key_id: 1,
        last_key_id: 3,
    }
}

/// FinaliseISDRhandover keeps the ISD-R a key set: deleting the key set
/// the command arrived under, or every SCP80 key set, is refused with
/// `6985` (conditions of use not satisfied) and deletes nothing; the
/// other key set may go.
#[test]
fn finalise_keeps_a_minimum_key_set() {
    let (cfg, pk_ecasd, mut sm_sr1, mut sim) = one_card(23);
    let esk = PrivateKey::from_bytes(&[0x34; 32]).unwrap();
    let req = request(IsdrKeySetType::Scp80, 0x02, false);
    let sr2 = SmSr2::new(req, esk, pk_ecasd, None).unwrap();
    let keys = establish(&mut sm_sr1, &mut sim, &sr2, None, false).unwrap();
    let mut sm_sr2 = sm_sr2_server(&cfg, &keys);
    let both = key_sets(&sim);
    assert_eq!(both.0, [0x01, 0x02]);
    let finalise = |ranges: &[KeyRange]| vec![finalise_isdr_handover(ranges).unwrap()];
    // SM-SR1, under 01, deleting 01; SM-SR2, under 02, deleting 02, or
    // both; and a range naming 02's KID alone.
    let cases: [(bool, Vec<KeyRange>); 4] = [
        (true, vec![range(0x01)]),
        (false, vec![range(0x02)]),
        (false, vec![range(0x01), range(0x02)]),
        (
            false,
            vec![KeyRange {
                kvn: 0x02,
                first_key_id: 2,
                last_key_id: 2,
            }],
        ),
    ];
    for (by_sm_sr1, ranges) in cases {
        let server = if by_sm_sr1 { &mut sm_sr1 } else { &mut sm_sr2 };
        let r = ok_run(server, &mut sim, &finalise(&ranges));
        assert_eq!(r[0].1, StatusWord::CONDITIONS_NOT_SATISFIED, "{ranges:?}");
        assert!(r[0].0.is_empty());
        assert_eq!(key_sets(&sim), both, "{ranges:?}");
    }
    // In one script, deleting 01 then 02 under 02: the second is refused
    // against the first's pending change; the first alone applies.
    let r = ok_run(
        &mut sm_sr2,
        &mut sim,
        &[
            finalise_isdr_handover(&[range(0x01)]).unwrap(),
            finalise_isdr_handover(&[range(0x02)]).unwrap(),
        ],
    );
    let sws: Vec<StatusWord> = r.iter().map(|x| x.1).collect();
    assert_eq!(
        sws,
        [StatusWord::SUCCESS, StatusWord::CONDITIONS_NOT_SATISFIED]
    );
    assert_eq!(key_sets(&sim).0, [0x02]);
    // SM-SR2 still works.
    let audit = es5::audit_card_resources().unwrap();
    let r = ok_run(&mut sm_sr2, &mut sim, &[audit.as_bytes().to_vec()]);
    assert_eq!(r[0].1, StatusWord::SUCCESS);
}

/// Scenario parameter `01` asked by SM-SR2 (`deleting_existing`): the
/// ISD-R keeps only the new key set; SM-SR1's packets get PoR `06`, its
/// PSK opens no admin session; SM-SR2's key set works. Without `01` the
/// old key sets stay (`handover_of_a_fleet`).
#[test]
fn delete_existing_keys_on_establishment() {
    let (cfg, pk_ecasd, mut sm_sr1, mut sim) = one_card(24);
    assert!(sim.psk(0x40, 1).is_some());
    let esk = PrivateKey::from_bytes(&[0x35; 32]).unwrap();
    let req = request(IsdrKeySetType::Scp80, 0x03, false).deleting_existing();
    assert!(req.parameters.contains(ScenarioParameters::DELETE_KEYS));
    let sr2 = SmSr2::new(req, esk, pk_ecasd, None).unwrap();
    let es7 = sr2.create_additional_key_set(&sk_sr(), &[0; 16]).unwrap();
    assert!(
        es7.scenario_parameters
            .contains(ScenarioParameters::DELETE_KEYS)
    );
    let keys = establish(&mut sm_sr1, &mut sim, &sr2, None, false).unwrap();
    assert_eq!(key_sets(&sim), (vec![0x03], vec![]));
    sm_sr1_is_refused(&mut sm_sr1, &mut sim);
    let mut sm_sr2 = sm_sr2_server(&cfg, &keys);
    let audit = es5::audit_card_resources().unwrap();
    let r = ok_run(&mut sm_sr2, &mut sim, &[audit.as_bytes().to_vec()]);
    assert_eq!(r[0].1, StatusWord::SUCCESS);
    // The last key set left cannot be deleted either.
    let r = ok_run(
        &mut sm_sr2,
        &mut sim,
        &[finalise_isdr_handover(&[range(0x03)]).unwrap()],
    );
    assert_eq!(r[0].1, StatusWord::CONDITIONS_NOT_SATISFIED);
    assert_eq!(key_sets(&sim), (vec![0x03], vec![]));
}
