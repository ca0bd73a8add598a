// Shared by the ES8 test binaries, each using part of it.
#![allow(dead_code)]

//! The ES8 test set-up shared by `tests/es8_establish.rs` and
//! `tests/es8_download_e2e.rs`: a scenario #3 CRT, a fleet eUICC with one
//! ISD-P created over SCP80 (its ECASD key read from the certificate the
//! EUM publishes, checked against the test CI), a script runner, and
//! steps 1-3 of ES8.EstablishISDPKeySet up to the key agreement commands.
//! The including test declares `mod sim_support;` at its root.

use smsr::apdu::{Response, StatusWord};
use smsr::crypto::EckaProvider;
use smsr::crypto::ecka::{KeyUsageQualifier, PublicKey};
use smsr::es8::certificate::CertificateRef;
use smsr::es8::crt::{KeyAgreementCrt, ScenarioParameters};
use smsr::es8::establish::{self, SmDp};
use smsr::isdr::{Aid, Tar, es5};
use smsr::scp80::PorStatus;
use smsr::sim::ecasd::{self, Ecasd};
use smsr::sim::{Euicc, fleet};

use crate::sim_support::Server;

/// The CRT of an AES key set `key_length` long with KVN `kvn` (DR
/// included, certificate first; SDIN and HostID when `host`).
pub fn crt(key_length: u8, kvn: u8, host: bool) -> KeyAgreementCrt {
    let p = ScenarioParameters::INCLUDE_DR.0 | ScenarioParameters::CERTIFICATE_FIRST.0;
    let p = if host {
        p | ScenarioParameters::HOST_ID.0
    } else {
        p
    };
    KeyAgreementCrt {
        parameters: ScenarioParameters(p),
        key_usage: KeyUsageQualifier::SCP03_KEY_SET,
        key_access: None,
        key_type: 0x88,
        key_length,
        key_id: 1,
        key_version: kvn,
        initial_counter: Some(heapless::Vec::new()),
        sdin: host.then(|| heapless::Vec::from_slice(b"SDIN01").unwrap()),
        host_id: host.then(|| heapless::Vec::from_slice(b"HOST0001").unwrap()),
    }
}

/// A fleet eUICC and its SM-SR side, with one ISD-P.
pub struct Card {
    pub sim: Euicc,
    pub server: Server,
    pub aid: Aid,
    /// PK.ECASD.ECKA from the published certificate.
    pub pk_ecasd: PublicKey,
    /// The ECASD's SIN.
    pub sin: Vec<u8>,
}

/// Fleet member `member` (of 12), its simulator seeded `seed`, with the
/// ISD-P of TAR `tar` created by CreateISDP with `quota` octets.
pub fn card(member: u64, seed: u64, tar: u32, quota: u32) -> Card {
    let cfg = fleet::member(12, member).unwrap();
    let mut server = Server::new(&cfg);
    let published = Ecasd::from_seed(cfg.eid.as_bcd()).unwrap();
    let cert = CertificateRef::parse(published.certificate()).unwrap();
    cert.verify(&ecasd::test_ci().public_key()).unwrap();
    let pk_ecasd = cert.public_key.to_key().unwrap();
    let mut sim = Euicc::new(cfg, seed);
    let aid = Aid::isd_p(Tar::from_value(tar)).unwrap();
    let create = es5::create_isdp(&aid, Some(quota)).unwrap();
    assert_eq!(
        server.run(&mut sim, &[create.as_bytes()]).sw(0),
        StatusWord::SUCCESS
    );
    Card {
        sim,
        server,
        aid,
        pk_ecasd,
        sin: published.sin().to_vec(),
    }
}

/// Runs `apdus` as one script (its PoR OK); the R-APDUs (data, SW).
pub fn run(c: &mut Card, apdus: &[Vec<u8>]) -> Vec<(Vec<u8>, StatusWord)> {
    let refs: Vec<&[u8]> = apdus.iter().map(Vec::as_slice).collect();
    let ex = c.server.run(&mut c.sim, &refs);
    assert_eq!(ex.status, Some(PorStatus::OK));
    ex.rapdus
}

/// Steps 1-2 (INSTALL [for personalization], the certificate of
/// `pk_dp` signed by the test CI) run on the card, then the key agreement
/// commands signed with `sk_dp`, INSTALL [for personalization] first
/// again (a new script starts a new session); with the card's challenge.
pub fn exchange<P: EckaProvider>(
    c: &mut Card,
    dp: &SmDp<P>,
    sk_dp: &P::PrivateKey,
    pk_dp: &PublicKey,
) -> (Vec<Vec<u8>>, Vec<u8>) {
    let cert = ecasd::test_sm_dp_certificate(pk_dp)
        .unwrap()
        .to_vec()
        .unwrap();
    let first = dp.certificate_commands(c.aid.as_bytes(), &cert).unwrap();
    assert_eq!(first[1][..4], [0x80, 0xE2, 0x09, 0x00]);
    let r = run(c, &first);
    let challenge = establish::parse_certificate_response(&Response::new(&r[1].0, r[1].1))
        .unwrap()
        .unwrap();
    assert_eq!(challenge.len(), 16);
    let mut second = vec![
        es5::install_for_personalization(&c.aid)
            .unwrap()
            .as_bytes()
            .to_vec(),
    ];
    second.extend(
        dp.key_agreement_commands(sk_dp, Some(&challenge), 1)
            .unwrap(),
    );
    assert_eq!(second[1][..4], [0x80, 0xE2, 0x89, 0x01]);
    (second, challenge.to_vec())
}
