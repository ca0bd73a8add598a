//! ECDSA with SHA-256 over P-256 (FIPS 186-5; BSI TR-03111 §4.2.1), the
//! signature in the plain `r ‖ s` format of tag `5F37` (GP Card
//! Specification Amendment E; BSI TR-03111 §5.2.1).

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{SigningKey, VerifyingKey};

use super::{Error, PrivateKey, PublicKey};

/// Octets of a P-256 plain signature `r ‖ s`.
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

    /// Signs `message` with `key`, SHA-256 digest, deterministic nonce
    /// (RFC 6979), so the same input always gives the same signature.
    #[must_use]
    pub fn sign(key: &PrivateKey, message: &[u8]) -> Self {
        let sk = SigningKey::from(key.inner());
        let sig: p256::ecdsa::Signature = sk.sign(message);
        Self(sig.to_bytes().into())
    }

    /// Verifies this signature of `message` under `key`.
    ///
    /// # Errors
    /// [`Error::SignatureFormat`] when `r` or `s` is out of range,
    /// [`Error::SignatureMismatch`] when it does not verify.
    pub fn verify(&self, key: &PublicKey, message: &[u8]) -> Result<(), Error> {
        let sig =
            p256::ecdsa::Signature::from_slice(&self.0).map_err(|_| Error::SignatureFormat)?;
        VerifyingKey::from(key.inner())
            .verify(message, &sig)
            .map_err(|_| Error::SignatureMismatch)
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
}
