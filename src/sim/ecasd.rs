//! The simulated card's ECASD in ES8.EstablishISDPKeySet (scenario #3,
//! SGP.02 §4.1.3.1 / §5.5.2; GP Card Specification Amendment E): its own
//! key pair (NIST P-256 by default, or brainpoolP256r1) and certificate
//! signed by a test CI (P-256), both derived from a seed; it verifies the SM-DP certificate against the CI key, checks the
//! signed key agreement data, derives the ISD-P key set and answers
//! challenge, DR and receipt.
//!
//! Each certificate and key agreement must fit one STORE DATA block (the
//! card refuses a continued block with `6A86`). Status words, chosen from
//! GP v2.3 §11.11.3 as the public sources give no ES8 table (UNCONFIRMED):
//! `6982` a signature (certificate or key agreement) that does not verify,
//! `6A88` a certificate from another CI (its `42` CA identifier is not the
//! test CI's), `6A80` a malformed certificate, CRT or key, an unknown
//! curve, an ephemeral key on another curve than the ECASD's, or a CRT asking for something other than three AES keys,
//! `6985` key agreement data without a verified certificate first, `6A80`
//! also for a certificate that is not an SM-DP's (`C8 01 01`), or for the
//! ISD-R (SM-SR change, `ecasd/isdr.rs`) not an SM-SR's (`C8 01 02`). A
//! refused command changes nothing (a pending certificate is forgotten).

mod isdr;

use alloc::vec::Vec;
use core::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::card::Rapdu;
use crate::apdu::gp::{Dgi, DgiReader};
use crate::apdu::{CommandView, StatusWord};
use crate::crypto::ecka::{Curve, PrivateKey, PublicKey, Signature};
use crate::es8::certificate::{
    Certificate, CertificateRef, DISCRETIONARY_SM_DP, DISCRETIONARY_SM_SR,
};
use crate::es8::crt::ScenarioParameters;
use crate::es8::establish::{self, KeyAgreementData};
use crate::es8::public_key::PublicKeyDo;
use crate::es8::{Error, KeySet, tags};
use crate::isdr::Aid;
use crate::tlv::{self, Encode};

/// CA identifier (`42`) of the simulator's test CI.
pub const TEST_CI_ID: [u8; 4] = *b"TCI1";
/// Length of the challenge and DR the simulated card draws.
const RANDOM_LEN: usize = 16;
/// Key usage `0080` the simulator writes in its certificates
/// (sgp02.md §1.7; njiwa writes one octet `88`: UNCONFIRMED).
const KEY_USAGE: [u8; 2] = [0x00, 0x80];
/// Certificate type `C8 01 03` for the ECASD in the discretionary data
/// (an assumption after SM-DP `01` / SM-SR `02`: UNCONFIRMED).
const DISCRETIONARY_ECASD: [u8; 3] = [0xC8, 0x01, 0x03];

/// A key on `curve` derived from `label ‖ seed` (SHA-256, a counter
/// appended until the digest is a valid scalar).
fn seeded_key(curve: Curve, label: &[u8], seed: &[u8]) -> PrivateKey {
    let mut counter = 0u32;
    loop {
        let d = Sha256::new()
            .chain_update(label)
            .chain_update(seed)
            .chain_update(counter.to_be_bytes())
            .finalize();
        if let Ok(k) = PrivateKey::from_bytes_on(curve, &d) {
            return k;
        }
        counter = counter.wrapping_add(1);
    }
}

/// The test CI's private key (the same for every simulated card, as a
/// real CI is): sign SM-DP certificates with it in tests.
#[must_use]
pub fn test_ci() -> PrivateKey {
    seeded_key(Curve::NistP256, b"smsr-sim test CI", &[])
}

/// A certificate of `key` signed by the test CI.
///
/// # Errors
/// Only for an over-long field.
pub fn test_certificate(
    key: &PublicKey,
    subject_id: &[u8],
    discretionary_data: &[u8],
) -> Result<Certificate, Error> {
    let digest: [u8; 32] = Sha256::digest(key.to_uncompressed()).into();
    let [a, b, c, d, e, f, g, h, ..] = digest;
    let serial = [a, b, c, d, e, f, g, h];
    let mut cert = Certificate {
        serial: Vec::from(serial),
        ca_id: Vec::from(TEST_CI_ID),
        subject_id: Vec::from(subject_id),
        key_usage: Vec::from(KEY_USAGE),
        effective_date: Some([0x20, 0x26, 0x01, 0x01]),
        expiration_date: [0x20, 0x46, 0x12, 0x31],
        discretionary_data: Vec::from(discretionary_data),
        public_key: PublicKeyDo::of(key),
        signature: Signature([0; 64]),
    };
    cert.sign(&test_ci())?;
    Ok(cert)
}

/// An SM-DP certificate signed by the test CI, for tests and tools.
///
/// # Errors
/// As [`test_certificate`].
pub fn test_sm_dp_certificate(sm_dp: &PublicKey) -> Result<Certificate, Error> {
    test_certificate(sm_dp, b"SM-DP test", &DISCRETIONARY_SM_DP)
}

/// An SM-SR certificate (`C8 01 02`) signed by the test CI, for SM-SR
/// change tests and tools.
///
/// # Errors
/// As [`test_certificate`].
pub fn test_sm_sr_certificate(sm_sr: &PublicKey) -> Result<Certificate, Error> {
    test_certificate(sm_sr, b"SM-SR test", &DISCRETIONARY_SM_SR)
}

/// Key agreement data whose signature verified, with the DR drawn and the
/// shared secret.
struct Agreed {
    ka: KeyAgreementData,
    dr: Option<[u8; RANDOM_LEN]>,
    z: crate::crypto::ecka::SharedSecret,
}

/// A verified certificate waiting for its key agreement.
#[derive(Clone, PartialEq, Eq)]
struct Pending {
    aid: Aid,
    sm_dp: PublicKey,
    challenge: [u8; RANDOM_LEN],
}

/// The ECASD of one simulated eUICC.
#[derive(Clone)]
pub struct Ecasd {
    sk: PrivateKey,
    ci: PublicKey,
    certificate: Vec<u8>,
    sin: Vec<u8>,
    seed: Vec<u8>,
    draws: u32,
    pending: Option<Pending>,
    key_sets: Vec<(Aid, KeySet)>,
    /// ISD-R keys derived for SM-SR2, not yet taken by the ISD-R
    /// ([`isdr`]).
    isdr_keys: Vec<(
        crate::isdr::handover::IsdrKeys,
        crate::es8::crt::ScenarioParameters,
    )>,
}

impl Ecasd {
    /// The ECASD whose P-256 key pair, SIN and randoms derive from `seed`
    /// (the card uses its EID); its certificate is signed by [`test_ci`].
    ///
    /// # Errors
    /// Only for an over-long field.
    pub fn from_seed(seed: &[u8]) -> Result<Self, Error> {
        Self::from_seed_on(Curve::NistP256, seed)
    }

    /// As [`Ecasd::from_seed`], with the ECASD key pair on `curve` (its
    /// certificate's `F0` says which; the SM-DP's ephemeral key must be
    /// on the same curve).
    ///
    /// # Errors
    /// Only for an over-long field.
    pub fn from_seed_on(curve: Curve, seed: &[u8]) -> Result<Self, Error> {
        let sk = seeded_key(curve, b"smsr-sim ECASD", seed);
        let certificate =
            test_certificate(&sk.public_key(), b"ECASD", &DISCRETIONARY_ECASD)?.to_vec()?;
        Ok(Self {
            ci: test_ci().public_key(),
            sk,
            certificate,
            sin: Vec::from(*b"SIN1"),
            seed: Vec::from(seed),
            draws: 0,
            pending: None,
            key_sets: Vec::new(),
            isdr_keys: Vec::new(),
        })
    }

    /// The ECASD of the card `config` builds (key pair on
    /// [`EuiccConfig::ecasd_curve`](super::EuiccConfig::ecasd_curve),
    /// derived from its EID): what its EUM publishes in the EIS.
    ///
    /// # Errors
    /// Only for an over-long field.
    pub fn of(config: &super::EuiccConfig) -> Result<Self, Error> {
        Self::from_seed_on(config.ecasd_curve, config.eid.as_bcd())
    }

    /// PK.ECASD.ECKA.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.sk.public_key()
    }

    /// The ECASD certificate (`7F21` TLV).
    #[must_use]
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// The SIN that enters SharedInfo when the CRT carries SDIN / HostID.
    #[must_use]
    pub fn sin(&self) -> &[u8] {
        &self.sin
    }

    /// The key set established for the ISD-P `aid`, for SCP03t.
    #[must_use]
    pub fn isdp_key_set(&self, aid: &Aid) -> Option<&KeySet> {
        self.key_sets.iter().find(|(a, _)| a == aid).map(|(_, k)| k)
    }

    fn draw(&mut self) -> [u8; RANDOM_LEN] {
        let d: [u8; 32] = Sha256::new()
            .chain_update(b"smsr-sim ECASD random")
            .chain_update(&self.seed)
            .chain_update(self.draws.to_be_bytes())
            .finalize()
            .into();
        self.draws = self.draws.wrapping_add(1);
        let [a, b, c, e, f, g, h, i, j, k, l, m, n, o, p, q, ..] = d;
        [a, b, c, e, f, g, h, i, j, k, l, m, n, o, p, q]
    }

    /// `true` when a STORE DATA to an ISD-P is key establishment (DGI
    /// `3A01` or `3A02` first), which the ISD-P hands to the ECASD.
    #[must_use]
    pub fn is_key_establishment(view: &CommandView<'_>) -> bool {
        view.ins() == 0xE2 && matches!(view.data(), [0x3A, 0x01 | 0x02, ..])
    }

    /// STORE DATA of key establishment for the ISD-P `aid`.
    pub fn store_data(&mut self, aid: Aid, view: &CommandView<'_>) -> Rapdu {
        let pending = self.pending.take();
        let answer = match DgiReader::new(view.data()).next() {
            Some(Ok(d)) if d.tag == Dgi::CERTIFICATE && view.p2() == 0 => {
                if d.raw.len() != view.data().len() {
                    Err(StatusWord::INCORRECT_DATA)
                } else {
                    self.certificate_received(aid, d.value)
                }
            }
            Some(Ok(d)) if d.tag == Dgi::KEY_AGREEMENT && view.p2() == 1 => match pending {
                Some(p) if p.aid == aid => self.key_agreement(&p, view.data()),
                _ => Err(StatusWord::CONDITIONS_NOT_SATISFIED),
            },
            Some(Ok(_)) => Err(StatusWord(0x6A86)),
            _ => Err(StatusWord::INCORRECT_DATA),
        };
        match answer {
            Ok(data) => Rapdu {
                data,
                sw: StatusWord::SUCCESS,
            },
            Err(sw) => {
                self.pending = None;
                Rapdu {
                    data: Vec::new(),
                    sw,
                }
            }
        }
    }

    fn certificate_received(&mut self, aid: Aid, cert: &[u8]) -> Result<Vec<u8>, StatusWord> {
        let cert = CertificateRef::parse(cert).map_err(|_| StatusWord::INCORRECT_DATA)?;
        if cert.ca_id != TEST_CI_ID {
            return Err(StatusWord::REFERENCED_DATA_NOT_FOUND);
        }
        cert.verify(&self.ci)
            .map_err(|_| StatusWord::SECURITY_STATUS_NOT_SATISFIED)?;
        // An ISD-P takes keys only from an SM-DP, the ISD-R only from an
        // SM-SR (SGP.02 table 77 / table 39: C8 01 01 / C8 01 02).
        let wanted = if aid == Aid::ISD_R {
            DISCRETIONARY_SM_SR
        } else {
            DISCRETIONARY_SM_DP
        };
        if !cert.has_type(&wanted) {
            return Err(StatusWord::INCORRECT_DATA);
        }
        let sm_dp = cert
            .public_key
            .to_key()
            .map_err(|_| StatusWord::INCORRECT_DATA)?;
        let challenge = self.draw();
        let answer = encode(tlv::tlv(tags::RANDOM, &challenge[..]))?;
        self.pending = Some(Pending {
            aid,
            sm_dp,
            challenge,
        });
        Ok(answer)
    }

    /// Parses the key agreement data, checks the ephemeral key's curve and
    /// the signature over them and the challenge of `p`, draws DR when the
    /// CRT asks for one and computes the shared secret.
    fn agree(&mut self, p: &Pending, data: &[u8]) -> Result<Agreed, StatusWord> {
        let ka = KeyAgreementData::parse(data).map_err(|_| StatusWord::INCORRECT_DATA)?;
        let epk = ka.epk.to_key().map_err(|_| StatusWord::INCORRECT_DATA)?;
        if epk.curve() != self.sk.curve() {
            return Err(StatusWord::INCORRECT_DATA);
        }
        let signed = establish::signed_data(&ka.crt, &ka.epk, Some(&p.challenge))
            .map_err(|_| StatusWord::INCORRECT_DATA)?;
        ka.signature
            .verify(&p.sm_dp, &signed)
            .map_err(|_| StatusWord::SECURITY_STATUS_NOT_SATISFIED)?;
        let include_dr = ka.crt.parameters.contains(ScenarioParameters::INCLUDE_DR);
        let dr = include_dr.then(|| self.draw());
        let z = self.sk.ecka(&epk).map_err(|_| StatusWord::INCORRECT_DATA)?;
        Ok(Agreed { ka, dr, z })
    }

    fn key_agreement(&mut self, p: &Pending, data: &[u8]) -> Result<Vec<u8>, StatusWord> {
        if p.aid == Aid::ISD_R {
            return self.isdr_key_agreement(p, data);
        }
        let Agreed { ka, dr, z } = self.agree(p, data)?;
        let sin = ka.crt.sdin.as_ref().map(|_| self.sin.as_slice());
        let d = establish::derive(&z, &ka.crt, dr.as_ref().map(|d| &d[..]), sin)
            .map_err(|_| StatusWord::INCORRECT_DATA)?;
        let answer = encode((
            dr.as_ref().map(|dr| tlv::tlv(tags::RANDOM, *dr)),
            tlv::tlv(tags::RECEIPT, d.receipt),
        ))?;
        self.key_sets.retain(|(a, _)| *a != p.aid);
        self.key_sets.push((p.aid, d.key_set));
        Ok(answer)
    }
}

fn encode<E: Encode>(e: E) -> Result<Vec<u8>, StatusWord> {
    e.to_vec().map_err(|_| StatusWord::INCORRECT_DATA)
}

fn same_keys(a: &KeySet, b: &KeySet) -> bool {
    let eq = |x: &crate::crypto::Key, y: &crate::crypto::Key| {
        x.algorithm() == y.algorithm() && bool::from(x.dangerous_bytes().ct_eq(y.dangerous_bytes()))
    };
    a.kvn == b.kvn
        && a.key_id == b.key_id
        && eq(&a.s_enc, &b.s_enc)
        && eq(&a.s_mac, &b.s_mac)
        && eq(&a.dek, &b.dek)
}

/// Two ECASDs are equal when they hold the same key pair, certificate,
/// pending state and ISD-P key sets (keys compared in constant time).
impl PartialEq for Ecasd {
    fn eq(&self, other: &Self) -> bool {
        self.public_key() == other.public_key()
            && self.certificate == other.certificate
            && self.sin == other.sin
            && self.seed == other.seed
            && self.draws == other.draws
            && self.pending == other.pending
            && self.isdr_keys.len() == other.isdr_keys.len()
            && self.key_sets.len() == other.key_sets.len()
            && self
                .key_sets
                .iter()
                .zip(&other.key_sets)
                .all(|((a, x), (b, y))| a == b && same_keys(x, y))
    }
}

impl Eq for Ecasd {}

impl fmt::Debug for Ecasd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ecasd")
            .field("public_key", &self.public_key())
            .field("key_sets", &self.key_sets.len())
            .finish_non_exhaustive()
    }
}

/// The ECASD of a [`Card`](super::Card), made on first use: a card whose
/// ECASD was never made equals one whose ECASD is still as made, so
/// making it (e.g. for a refused command) is no change of state.
#[derive(Clone, Debug)]
pub(super) struct EcasdSlot {
    /// The curve of the key pair it is made with.
    curve: Curve,
    ecasd: Option<alloc::boxed::Box<Ecasd>>,
}

impl Default for EcasdSlot {
    /// An ECASD on NIST P-256, as [`Ecasd::from_seed`].
    fn default() -> Self {
        Self::on(Curve::NistP256)
    }
}

impl EcasdSlot {
    /// An ECASD (not made yet) whose key pair will be on `curve`.
    pub(super) const fn on(curve: Curve) -> Self {
        Self { curve, ecasd: None }
    }

    /// The ECASD derived from `seed`, made now if needed; `None` only if
    /// its certificate cannot be encoded.
    pub(super) fn get_or_make(&mut self, seed: &[u8]) -> Option<&mut Ecasd> {
        if self.ecasd.is_none() {
            let made = Ecasd::from_seed_on(self.curve, seed).ok()?;
            self.ecasd = Some(alloc::boxed::Box::new(made));
        }
        self.ecasd.as_deref_mut()
    }

    /// The ECASD, if made.
    pub(super) fn get(&self) -> Option<&Ecasd> {
        self.ecasd.as_deref()
    }
}

impl Ecasd {
    /// As made: no random drawn, nothing pending, no key set.
    fn is_pristine(&self) -> bool {
        self.draws == 0
            && self.pending.is_none()
            && self.key_sets.is_empty()
            && self.isdr_keys.is_empty()
    }
}

impl PartialEq for EcasdSlot {
    fn eq(&self, other: &Self) -> bool {
        if self.curve != other.curve {
            return false;
        }
        match (self.get(), other.get()) {
            (None, None) => true,
            (Some(a), Some(b)) => a == b,
            (Some(e), None) | (None, Some(e)) => e.is_pristine(),
        }
    }
}

impl Eq for EcasdSlot {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_but_unused_ecasd_is_no_change() {
        let mut slot = EcasdSlot::default();
        let empty = slot.clone();
        assert!(slot.get_or_make(b"seed").is_some());
        assert_eq!(slot, empty);
        if let Some(e) = slot.get_or_make(b"seed") {
            e.draw();
        }
        assert_ne!(slot, empty);
    }

    #[test]
    fn the_slot_makes_its_ecasd_on_its_curve() {
        let mut bp = EcasdSlot::on(Curve::BrainpoolP256r1);
        let mut p = EcasdSlot::default();
        assert_ne!(bp, p, "the curve is part of the card's state");
        let bp_key = bp.get_or_make(b"seed").unwrap().public_key();
        assert_eq!(bp_key.curve(), Curve::BrainpoolP256r1);
        assert_eq!(
            p.get_or_make(b"seed").unwrap().public_key().curve(),
            Curve::NistP256
        );
        let again = Ecasd::from_seed_on(Curve::BrainpoolP256r1, b"seed").unwrap();
        assert_eq!(bp_key, again.public_key());
    }
}
