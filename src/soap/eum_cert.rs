//! The EUM certificate behind an EIS signature, checked against the CI
//! (SGP.02 §2.3 certificate chain: the GSMA CI issues the EUM's
//! certificate, the EUM signs the EIS, [`super::eum_signature`]).
//!
//! The EUM and CI certificates are X.509 (RFC 5280), as the signature's
//! `KeyInfo/X509Data/X509Certificate` carries the EUM's and as njiwa's
//! `ES1SignatureVerifyHandler` checks it (`X509Certificate.verify` with
//! the CI's key); SGP.22 §4.5.2 defines CERT.EUM.ECDSA the same way (the
//! exact SGP.02 profile of the EUM certificate is UNCONFIRMED). What
//! [`verify_eum_certificate`] requires:
//!
//! * both certificates' keys `id-ecPublicKey` on NIST P-256
//!   (`prime256v1`, RFC 5480 §2.1.1.1) or brainpoolP256r1 (RFC 5639 §4.1),
//!   the two curves of SGP.02;
//! * the EUM certificate's issuer the CI's subject, its signature
//!   `ecdsa-with-SHA256` (RFC 5758 §3.2) in the outer and the TBS
//!   algorithm alike, verifying under the CI's key over the DER of
//!   `tbsCertificate`;
//! * `now` (seconds since the Unix epoch, from the caller: this crate has
//!   no clock) within both certificates' validity (RFC 5280 §4.1.2.5,
//!   bounds included).
//!
//! It answers the EUM's public key, for [`super::eum_signature::verify`].

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use x509_cert::Certificate;

use crate::crypto::ecka::{Curve, PublicKey, SIGNATURE_LEN, Signature};

/// `id-ecPublicKey` (RFC 5480 §2.1.1).
pub const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// `prime256v1` / NIST P-256 (RFC 5480 §2.1.1.1).
pub const PRIME256V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// `brainpoolP256r1` (RFC 5639 §4.1).
pub const BRAINPOOL_P256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.36.3.3.2.8.1.1.7");
/// `ecdsa-with-SHA256` (RFC 5758 §3.2).
pub const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// Which certificate a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The CI's (the configured trust anchor).
    Ci,
    /// The EUM's.
    Eum,
}

impl core::fmt::Display for Which {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Ci => "CI",
            Self::Eum => "EUM",
        })
    }
}

/// Why an EUM certificate is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EumCertError {
    /// Not a DER X.509 certificate.
    #[error("{0} certificate: not a DER X.509 certificate")]
    Malformed(Which),
    /// A key that is not EC on P-256 or brainpoolP256r1, or not a point
    /// of its curve.
    #[error("{0} certificate: key not on P-256 or brainpoolP256r1")]
    Key(Which),
    /// A signature algorithm other than ecdsa-with-SHA256.
    #[error("EUM certificate: signature algorithm not ecdsa-with-SHA256")]
    Algorithm,
    /// The EUM certificate's issuer is not the CI.
    #[error("EUM certificate: issuer is not the CI")]
    Issuer,
    /// The CI's signature does not verify.
    #[error("EUM certificate: not signed by the CI")]
    Signature,
    /// `now` is outside the certificate's validity.
    #[error("{0} certificate: not valid at this time")]
    Expired(Which),
}

fn parse(der_bytes: &[u8], which: Which) -> Result<Certificate, EumCertError> {
    Certificate::from_der(der_bytes).map_err(|_| EumCertError::Malformed(which))
}

/// The certified EC public key.
fn public_key(c: &Certificate, which: Which) -> Result<PublicKey, EumCertError> {
    let spki = c.tbs_certificate().subject_public_key_info();
    let bad = || EumCertError::Key(which);
    if spki.algorithm.oid != ID_EC_PUBLIC_KEY {
        return Err(bad());
    }
    let curve_oid: ObjectIdentifier = spki
        .algorithm
        .parameters
        .as_ref()
        .ok_or_else(bad)?
        .decode_as()
        .map_err(|_| bad())?;
    let curve = match curve_oid {
        PRIME256V1 => Curve::NistP256,
        BRAINPOOL_P256R1 => Curve::BrainpoolP256r1,
        _ => return Err(bad()),
    };
    let point = spki.subject_public_key.as_bytes().ok_or_else(bad)?;
    PublicKey::from_uncompressed_on(curve, point).map_err(|_| bad())
}

fn valid_at(c: &Certificate, now: u64, which: Which) -> Result<(), EumCertError> {
    let v = c.tbs_certificate().validity();
    let from = v.not_before.to_unix_duration().as_secs();
    let until = v.not_after.to_unix_duration().as_secs();
    if now < from || now > until {
        return Err(EumCertError::Expired(which));
    }
    Ok(())
}

/// The universal tags of `ECDSA-Sig-Value` (X.690 §8.9, §8.3).
const SEQUENCE: crate::tlv::Tag = crate::tlv::Tag::new(0x30);
const INTEGER: crate::tlv::Tag = crate::tlv::Tag::new(0x02);

/// `r ‖ s` of a DER `ECDSA-Sig-Value` (RFC 5480 §2.2.3 / X9.62), each
/// integer at most 32 octets once its sign octet is dropped.
fn plain_signature(der_sig: &[u8]) -> Option<Signature> {
    let seq = crate::tlv::Tlv::parse_exact(der_sig, crate::tlv::Options::strict()).ok()?;
    if seq.tag() != SEQUENCE {
        return None;
    }
    let mut out = [0u8; SIGNATURE_LEN];
    let mut r = seq.children();
    for half in out.chunks_exact_mut(SIGNATURE_LEN / 2) {
        let i = r.next()?.ok()?;
        if i.tag() != INTEGER {
            return None;
        }
        let v = i.value();
        let v = v.strip_prefix(&[0]).unwrap_or(v);
        let start = half.len().checked_sub(v.len())?;
        half.get_mut(start..)?.copy_from_slice(v);
    }
    r.next().is_none().then_some(Signature(out))
}

/// Checks the EUM certificate `eum` (DER) against the CI certificate `ci`
/// (DER) at `now` (Unix seconds) and answers the EUM's public key.
///
/// # Errors
/// [`EumCertError`]: which certificate, and what is wrong with it.
pub fn verify_eum_certificate(eum: &[u8], ci: &[u8], now: u64) -> Result<PublicKey, EumCertError> {
    let ci = parse(ci, Which::Ci)?;
    let ci_key = public_key(&ci, Which::Ci)?;
    valid_at(&ci, now, Which::Ci)?;
    let cert = parse(eum, Which::Eum)?;
    let tbs = cert.tbs_certificate();
    if cert.signature_algorithm().oid != ECDSA_WITH_SHA256
        || tbs.signature().oid != ECDSA_WITH_SHA256
        || cert.signature_algorithm().parameters.is_some()
    {
        return Err(EumCertError::Algorithm);
    }
    if tbs.issuer() != ci.tbs_certificate().subject() {
        return Err(EumCertError::Issuer);
    }
    // The DER decoder accepted only DER, so the re-encoding is the
    // signed octets.
    let signed = tbs
        .to_der()
        .map_err(|_| EumCertError::Malformed(Which::Eum))?;
    let sig = cert
        .signature()
        .as_bytes()
        .and_then(plain_signature)
        .ok_or(EumCertError::Signature)?;
    sig.verify(&ci_key, &signed)
        .map_err(|_| EumCertError::Signature)?;
    valid_at(&cert, now, Which::Eum)?;
    public_key(&cert, Which::Eum)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/eum_cert/");

    fn read(f: &str) -> alloc::vec::Vec<u8> {
        std::fs::read(alloc::format!("{DIR}{f}")).unwrap()
    }

    /// 2030-01-01T00:00:00Z: inside every certificate but `eum_expired.der`.
    const NOW: u64 = 1_893_456_000;

    /// Certificates made by Python `cryptography` (`make.py`): the chain
    /// verifies on both curves and answers the EUM's key.
    #[test]
    fn a_chain_made_by_openssl_verifies_on_both_curves() {
        let key = verify_eum_certificate(&read("eum.der"), &read("ci.der"), NOW).unwrap();
        let want = std::fs::read_to_string(alloc::format!("{DIR}eum_public_key.hex")).unwrap();
        assert_eq!(hex::encode(key.to_uncompressed()), want.trim());
        verify_eum_certificate(&read("eum_bp.der"), &read("ci_bp.der"), NOW).unwrap();
    }

    #[test]
    fn a_certificate_not_from_the_ci_is_refused() {
        let (eum, ci) = (read("eum.der"), read("ci.der"));
        // Same issuer name, another CI key.
        assert_eq!(
            verify_eum_certificate(&read("eum_rogue.der"), &ci, NOW),
            Err(EumCertError::Signature)
        );
        // Another CI as the trust anchor: the issuer is not its subject.
        assert_eq!(
            verify_eum_certificate(&eum, &read("ci_bp.der"), NOW),
            Err(EumCertError::Issuer)
        );
        // One changed letter of the signed subject name (`EUM-1` → `EUM-2`).
        let mut bad = eum.clone();
        let at = bad.windows(5).position(|w| w == b"EUM-1").unwrap();
        bad[at + 4] = b'2';
        assert_eq!(
            verify_eum_certificate(&bad, &ci, NOW),
            Err(EumCertError::Signature)
        );
        assert_eq!(
            verify_eum_certificate(&eum[..eum.len() - 1], &ci, NOW),
            Err(EumCertError::Malformed(Which::Eum))
        );
        assert_eq!(
            verify_eum_certificate(&eum, b"\x30\x00", NOW),
            Err(EumCertError::Malformed(Which::Ci))
        );
    }

    #[test]
    fn validity_is_checked_at_the_callers_time() {
        let (eum, ci) = (read("eum.der"), read("ci.der"));
        assert_eq!(
            verify_eum_certificate(&read("eum_expired.der"), &ci, NOW),
            Err(EumCertError::Expired(Which::Eum))
        );
        // 2025-12-31: before both; 2040: the EUM's is over, the CI's not.
        assert_eq!(
            verify_eum_certificate(&eum, &ci, 1_767_139_200),
            Err(EumCertError::Expired(Which::Ci))
        );
        assert_eq!(
            verify_eum_certificate(&eum, &ci, 2_208_988_800),
            Err(EumCertError::Expired(Which::Eum))
        );
    }

    #[test]
    fn der_signatures_become_r_s() {
        // r = 0x00 0x80…(sign octet), s = 1.
        let mut der = alloc::vec![0x30, 0x26, 0x02, 0x21, 0x00, 0x80];
        der.extend([0u8; 31]);
        der.extend([0x02, 0x01, 0x01]);
        let s = plain_signature(&der).unwrap();
        assert_eq!(s.0[0], 0x80);
        assert_eq!(s.0[63], 1);
        // Trailing data, a third integer, a 33-octet value: refused.
        let mut three = der.clone();
        three[1] += 3;
        three.extend([0x02, 0x01, 0x01]);
        assert!(plain_signature(&three).is_none());
        let mut long = alloc::vec![0x30, 0x26, 0x02, 0x21, 0x01];
        long.extend([0u8; 32]);
        long.extend([0x02, 0x01, 0x01]);
        assert!(plain_signature(&long).is_none());
    }
}
