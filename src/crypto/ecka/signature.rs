//! ECDSA with SHA-256 over NIST P-256 or brainpoolP256r1 (FIPS 186-5;
//! BSI TR-03111 §4.2.1), the signature in the plain `r ‖ s` format of tag
//! `5F37` (GP Card Specification Amendment E; BSI TR-03111 §5.2.1).

use bp256::BrainpoolP256r1;
use ecdsa::hazmat::sign_prehashed_rfc6979;
use ecdsa::signature::Verifier;
use sha2::{Digest, Sha256};

use super::keys::{Public, Secret};
use super::{Error, PrivateKey, PublicKey};

/// Octets of a plain signature `r ‖ s` on a 256-bit curve.
pub const SIGNATURE_LEN: usize = 64;

/// An ECDSA signature, `r ‖ s`, 32 octets each.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; SIGNATURE_LEN]);

impl Signature {
    /// The signature carried in `5F37`.
    ///
    /// # Errors
    /// [`Error::SignatureFormat`] unless `bytes` is 64 octets.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        bytes
            .try_into()
            .map(Self)
            .map_err(|_| Error::SignatureFormat)
    }

    /// Signs `message` with `key` on its curve, SHA-256 digest,
    /// deterministic nonce (RFC 6979 §3.2), so the same input always gives
    /// the same signature. Signs with the scalar directly: an
    /// `ecdsa::SigningKey` would first compute `d·G`, a second scalar
    /// multiplication the signature does not use.
    #[must_use]
    pub fn sign(key: &PrivateKey, message: &[u8]) -> Self {
        let z = Sha256::digest(message);
        Self(match key.inner() {
            Secret::P256(sk) => {
                let d = sk.to_nonzero_scalar();
                let (sig, _) = sign_prehashed_rfc6979::<p256::NistP256, Sha256>(&d, &z, &[]);
                sig.to_bytes().into()
            }
            Secret::Bp256(sk) => {
                let d = sk.to_nonzero_scalar();
                let (sig, _) = sign_prehashed_rfc6979::<BrainpoolP256r1, Sha256>(&d, &z, &[]);
                sig.to_bytes().into()
            }
        })
    }

    /// Verifies this signature of `message` under `key`, on its curve.
    ///
    /// # Errors
    /// [`Error::SignatureFormat`] when `r` or `s` is out of range,
    /// [`Error::SignatureMismatch`] when it does not verify.
    pub fn verify(&self, key: &PublicKey, message: &[u8]) -> Result<(), Error> {
        let format = |_| Error::SignatureFormat;
        let mismatch = |_| Error::SignatureMismatch;
        match key.inner() {
            Public::P256(pk) => {
                let sig = p256::ecdsa::Signature::from_slice(&self.0).map_err(format)?;
                p256::ecdsa::VerifyingKey::from(pk)
                    .verify(message, &sig)
                    .map_err(mismatch)
            }
            Public::Bp256(pk) => {
                let sig = bp256::r1::ecdsa::Signature::from_slice(&self.0).map_err(format)?;
                ecdsa::VerifyingKey::<BrainpoolP256r1>::from(pk)
                    .verify(message, &sig)
                    .map_err(mismatch)
            }
        }
    }
}

impl core::fmt::Debug for Signature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Signature(")?;
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6979 appendix A.2.5 (ECDSA, P-256, SHA-256, message "sample"):
    /// the deterministic signature is the RFC's r and s.
    #[test]
    fn rfc6979_p256_sha256_sample() {
        let x = hex::decode("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
            .unwrap();
        let sk = PrivateKey::from_bytes(&x).unwrap();
        let sig = Signature::sign(&sk, b"sample");
        let rs = hex::decode(
            "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716\
             F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
        )
        .unwrap();
        assert_eq!(sig.0[..], rs[..]);
        sig.verify(&sk.public_key(), b"sample").unwrap();
    }

    #[test]
    fn sign_verify_and_refuse_changes() {
        let sk = PrivateKey::from_bytes(&[0x11; 32]).unwrap();
        let pk = sk.public_key();
        let sig = Signature::sign(&sk, b"7F21 body");
        assert_eq!(sig, Signature::sign(&sk, b"7F21 body"));
        sig.verify(&pk, b"7F21 body").unwrap();
        assert_eq!(sig.verify(&pk, b"7F21 bodz"), Err(Error::SignatureMismatch));
        let mut bad = sig;
        bad.0[40] ^= 0x01;
        assert!(bad.verify(&pk, b"7F21 body").is_err());
        let other = PrivateKey::from_bytes(&[0x22; 32]).unwrap().public_key();
        assert_eq!(
            sig.verify(&other, b"7F21 body"),
            Err(Error::SignatureMismatch)
        );
        assert_eq!(
            Signature([0; 64]).verify(&pk, b"x"),
            Err(Error::SignatureFormat)
        );
        assert_eq!(Signature::from_bytes(&[0; 63]), Err(Error::SignatureFormat));
    }

    /// A brainpoolP256r1 ECDSA-SHA256 signature made by Python
    /// `cryptography` 48.0.0 (`ec.ECDSA(hashes.SHA256())`, DER decoded to
    /// r ‖ s) outside the repository with RFC 7027's dA over "7F21 body":
    /// it verifies here, and our own signatures verify and refuse changes.
    #[test]
    fn brainpool_p256r1_python_cross_check() {
        use crate::crypto::ecka::Curve;
        let da = hex::decode("81DB1EE100150FF2EA338D708271BE38300CB54241D79950F77B063039804F1D")
            .unwrap();
        let sk = PrivateKey::from_bytes_on(Curve::BrainpoolP256r1, &da).unwrap();
        let pk = sk.public_key();
        let py = Signature::from_bytes(
            &hex::decode(
                "1da6553a96ce54adc926fffbe8ecd95d3e027efaffdebe6f419eb5063d9fddde\
                 13948cebeefc1930a3e26004017b5df5cea076739119ee68de68e927f8fef1eb",
            )
            .unwrap(),
        )
        .unwrap();
        py.verify(&pk, b"7F21 body").unwrap();
        assert_eq!(py.verify(&pk, b"7F21 bodz"), Err(Error::SignatureMismatch));
        let ours = Signature::sign(&sk, b"7F21 body");
        assert_eq!(ours, Signature::sign(&sk, b"7F21 body"));
        ours.verify(&pk, b"7F21 body").unwrap();
        let mut bad = ours;
        bad.0[3] ^= 0x80;
        assert!(bad.verify(&pk, b"7F21 body").is_err());
        // A P-256 key with the same scalar does not verify it.
        let nist = PrivateKey::from_bytes(&da).unwrap().public_key();
        assert!(ours.verify(&nist, b"7F21 body").is_err());
        assert_eq!(
            Signature([0; 64]).verify(&pk, b"x"),
            Err(Error::SignatureFormat)
        );
    }
}
