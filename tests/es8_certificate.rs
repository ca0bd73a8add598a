#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! SGP.02 certificates (DGI `3A01` / `7F21`): build, sign, parse, emit,
//! verify; every single-bit change refused.

use proptest::prelude::*;
use smsr::crypto::ecka::{PrivateKey, Signature};
use smsr::es8::Error;
use smsr::es8::certificate::{Certificate, CertificateRef, DISCRETIONARY_SM_DP};
use smsr::es8::public_key::PublicKeyDo;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// A test CI and SM-DP key (fixed scalars, no meaning).
fn ci() -> PrivateKey {
    PrivateKey::from_bytes(&[0x1C; 32]).unwrap()
}

fn sm_dp_certificate() -> Certificate {
    let dp = PrivateKey::from_bytes(&[0xD9; 32]).unwrap();
    let mut cert = Certificate {
        serial: h("0102030405060708"),
        ca_id: h("89490200"),
        subject_id: h("534D2D44502D5445535431"),
        key_usage: h("0080"),
        effective_date: Some([0x20, 0x26, 0x01, 0x01]),
        expiration_date: [0x20, 0x36, 0x12, 0x31],
        discretionary_data: DISCRETIONARY_SM_DP.to_vec(),
        public_key: PublicKeyDo::of(&dp.public_key()),
        signature: Signature([0; 64]),
    };
    cert.sign(&ci()).unwrap();
    cert
}

/// The certificate bytes (tag order of njiwa `makeCertSigningData`) and
/// its signature, verified OUTSIDE the repository with Python
/// `cryptography` 48.0.0: `ec.EllipticCurvePublicKey.from_encoded_point(
/// SECP256R1, CI).verify(encode_dss_signature(r, s), signed_data,
/// ECDSA(SHA256))` printed OK for these octets (the signed data is the
/// `7F21` value up to, not including, `5F37`).
const CI: &str = "043351051faea550356310a7cfafc5f752d61b5bb02bd7e6842771f5ed783b9b65\
5e54c95bad9fc70158dbe567e388ca3fd41597083906faf14e937f82f1d66dc2";
const CERT: &str = "7f2181c1930801020304050607084204894902005f200b534d2d44502d5445535431\
950200805f2504202601015f2404203612317303c801017f4946b04104afb30887a7cc66ec643306368d3e01e0\
e657d6299d56636554e4d6b102a07509cd9926970379dd58c511521d9b1dba19ae20af0e337fb96826088fec6f\
b2b93ef001005f3740ddbb3c343c96e696a6ccb05b09a4194525d035d01faf9b7380cbed2675fd4d8b2c1bfea2\
4daaa831ce55ff3f2e447a80f24ffc3357056964d01a6796a475db14";

#[test]
fn build_emit_parse_verify() {
    let cert = sm_dp_certificate();
    let bytes = cert.to_vec().unwrap();
    assert_eq!(bytes.len(), cert.buffer_len());
    let mut buf = vec![0u8; cert.buffer_len()];
    assert_eq!(cert.emit(&mut buf).unwrap(), bytes.len());
    assert_eq!(buf, bytes);
    assert!(cert.emit(&mut buf[..10]).is_err());
    // Exact inverses.
    let view = CertificateRef::parse(&bytes).unwrap();
    assert_eq!(view.to_owned(), cert);
    assert_eq!(view.signed_data, &cert.signed_data().unwrap()[..]);
    assert_eq!(view.raw, &bytes[..]);
    view.verify(&ci().public_key()).unwrap();
    cert.verify(&ci().public_key()).unwrap();
    // Another CI does not verify it.
    let other = PrivateKey::from_bytes(&[0x2C; 32]).unwrap().public_key();
    assert!(matches!(view.verify(&other), Err(Error::Crypto(_))));
    // The independently verified octets.
    assert_eq!(ci().public_key().to_uncompressed()[..], h(CI)[..]);
    assert_eq!(bytes, h(CERT));
}

#[test]
fn malformed_certificates_are_refused() {
    let cert = sm_dp_certificate();
    let bytes = cert.to_vec().unwrap();
    // Truncated anywhere.
    for n in 0..bytes.len() {
        assert!(CertificateRef::parse(&bytes[..n]).is_err(), "prefix {n}");
    }
    // Trailing data.
    let mut b = bytes.clone();
    b.push(0);
    assert!(CertificateRef::parse(&b).is_err());
    // No effective date is fine; a date that is not BCD is not.
    let mut c = cert.clone();
    c.effective_date = None;
    let b = c.to_vec().unwrap();
    assert_eq!(Certificate::parse(&b).unwrap(), c);
    c.expiration_date = [0x20, 0x3A, 0x12, 0x31];
    assert!(matches!(
        Certificate::parse(&c.to_vec().unwrap()),
        Err(Error::FieldValue {
            what: "expiration date",
            ..
        })
    ));
    // A key usage of three octets.
    let mut c = cert.clone();
    c.key_usage = vec![0, 0x80, 0];
    assert!(matches!(
        Certificate::parse(&c.to_vec().unwrap()),
        Err(Error::FieldLength {
            what: "key usage",
            ..
        })
    ));
    // Wrong outer tag.
    let mut b = bytes;
    b[1] = 0x22;
    assert!(CertificateRef::parse(&b).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any single-bit change of a signed certificate is refused: either
    /// it no longer parses, or its signature no longer verifies.
    #[test]
    fn any_bit_flip_is_refused(bit in 0usize..(8 * 228)) {
        let cert = sm_dp_certificate();
        let mut bytes = cert.to_vec().unwrap();
        let bit = bit % (8 * bytes.len());
        bytes[bit / 8] ^= 1 << (bit % 8);
        let verdict = CertificateRef::parse(&bytes).and_then(|c| c.verify(&ci().public_key()));
        prop_assert!(verdict.is_err());
    }
}

/// A brainpoolP256r1 CI and SM-DP key: the certified key comes back on
/// the curve its `F0 01 03` names; the signature verifies under the
/// brainpool CI only; an unknown curve reference is kept and refused.
#[test]
fn brainpool_certificate() {
    use smsr::crypto::ecka::Curve;
    use smsr::es8::public_key::KeyParameterReference;
    let bp = Curve::BrainpoolP256r1;
    let ci = PrivateKey::from_bytes_on(bp, &[0x1C; 32]).unwrap();
    let dp = PrivateKey::from_bytes_on(bp, &[0x59; 32]).unwrap();
    let mut cert = sm_dp_certificate();
    cert.public_key = PublicKeyDo::of(&dp.public_key());
    cert.sign(&ci).unwrap();
    let bytes = cert.to_vec().unwrap();
    let view = CertificateRef::parse(&bytes).unwrap();
    assert_eq!(
        view.public_key.curve,
        KeyParameterReference::BRAINPOOL_P256R1
    );
    assert_eq!(view.public_key.to_key().unwrap(), dp.public_key());
    view.verify(&ci.public_key()).unwrap();
    // The P-256 key of the same scalar is another key.
    assert!(
        view.verify(&PrivateKey::from_bytes(&[0x1C; 32]).unwrap().public_key())
            .is_err()
    );
    let mut unknown = cert.clone();
    unknown.public_key.curve = KeyParameterReference(0x04);
    unknown.sign(&ci).unwrap();
    let bytes = unknown.to_vec().unwrap();
    let view = CertificateRef::parse(&bytes).unwrap();
    assert_eq!(view.public_key.curve, KeyParameterReference(0x04));
    view.verify(&ci.public_key()).unwrap();
    assert_eq!(
        view.public_key.to_key().unwrap_err(),
        Error::UnsupportedCurve(4)
    );
}
