//! P-256 key pairs and the ECKA shared secret (BSI TR-03111 §4.3.1,
//! ECKA-EG: the off-card entity's ephemeral key with the ECASD's static
//! key, GP Card Specification Amendment E scenario #3).

use core::fmt;

use p256::elliptic_curve::sec1::ToSec1Point;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::Error;

/// Octets of a P-256 scalar or field element.
pub const SCALAR_LEN: usize = 32;
/// Octets of an uncompressed P-256 point `04 ‖ X ‖ Y` (SEC 1 §2.3.3), the
/// form SGP.02 carries in tag `B0` of `7F49`.
pub const POINT_LEN: usize = 65;

/// A P-256 private key (the scalar `d`); zeroized on drop, never printed.
#[derive(Clone)]
pub struct PrivateKey(p256::SecretKey);

impl PrivateKey {
    /// The key whose scalar is the 32 big-endian octets `d`. The caller
    /// brings the randomness (the library has no RNG): 32 uniformly random
    /// octets make a valid key with overwhelming probability.
    ///
    /// # Errors
    /// [`Error::PrivateKey`] unless `d` is 32 octets in `1..n`.
    pub fn from_bytes(d: &[u8]) -> Result<Self, Error> {
        let d: &[u8; SCALAR_LEN] = d.try_into().map_err(|_| Error::PrivateKey)?;
        p256::SecretKey::from_bytes(&(*d).into())
            .map(Self)
            .map_err(|_| Error::PrivateKey)
    }

    /// The scalar, for export to a key store (handle with care).
    #[must_use]
    pub fn dangerous_to_bytes(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        Zeroizing::new(self.0.to_bytes().into())
    }

    /// The public key `Q = d·G`.
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.public_key())
    }

    /// ECKA (ECDH) with `peer`: the X coordinate of `d·Q_peer`
    /// (BSI TR-03111 §4.3.1; NIST SP 800-56A §5.7.1.2).
    #[must_use]
    pub fn ecka(&self, peer: &PublicKey) -> SharedSecret {
        let z = self.0.diffie_hellman(&peer.0);
        SharedSecret((*z.raw_secret_bytes()).into())
    }

    pub(super) const fn inner(&self) -> &p256::SecretKey {
        &self.0
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(P-256, ..)")
    }
}

/// A P-256 public key, a point on the curve other than the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(p256::PublicKey);

impl PublicKey {
    /// Parses the uncompressed point `04 ‖ X ‖ Y` (SEC 1 §2.3.4).
    ///
    /// # Errors
    /// [`Error::PublicKey`] for another length or form, or a point that
    /// is not on the curve.
    pub fn from_uncompressed(point: &[u8]) -> Result<Self, Error> {
        if point.len() != POINT_LEN || point.first() != Some(&0x04) {
            return Err(Error::PublicKey);
        }
        p256::PublicKey::from_sec1_bytes(point)
            .map(Self)
            .map_err(|_| Error::PublicKey)
    }

    /// The uncompressed point `04 ‖ X ‖ Y`.
    #[must_use]
    pub fn to_uncompressed(&self) -> [u8; POINT_LEN] {
        let mut out = [0u8; POINT_LEN];
        out.copy_from_slice(self.0.to_sec1_point(false).as_bytes());
        out
    }

    pub(super) const fn inner(&self) -> &p256::PublicKey {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PublicKey(")?;
        for b in self.to_uncompressed() {
            write!(f, "{b:02X}")?;
        }
        f.write_str(")")
    }
}

/// The shared secret `Z` (ShS) of ECKA; zeroized on drop, never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SharedSecret([u8; SCALAR_LEN]);

impl SharedSecret {
    /// A shared secret given directly (e.g. computed by an HSM).
    ///
    /// # Errors
    /// [`Error::KeyDataLength`] unless `z` is 32 octets.
    pub fn from_bytes(z: &[u8]) -> Result<Self, Error> {
        let z: [u8; SCALAR_LEN] = z
            .try_into()
            .map_err(|_| Error::KeyDataLength { len: z.len() })?;
        Ok(Self(z))
    }

    /// The octets of `Z`, to feed the KDF (handle with care).
    #[must_use]
    pub const fn dangerous_bytes(&self) -> &[u8; SCALAR_LEN] {
        &self.0
    }
}

impl fmt::Debug for SharedSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SharedSecret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::vec::Vec;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// NIST CAVP "ECC CDH Primitive" test vectors (SP 800-56A §5.7.1.2),
    /// `ecccdhtestvectors.zip` / `KAS_ECC_CDH_PrimitiveTest.txt`,
    /// `[P-256]` COUNT = 0 and 1: (QCAVSx, QCAVSy, dIUT, QIUTx, QIUTy, ZIUT).
    const CAVP_P256: [[&str; 6]; 2] = [
        [
            "700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287",
            "db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac",
            "7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534",
            "ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230",
            "28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141",
            "46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b",
        ],
        [
            "809f04289c64348c01515eb03d5ce7ac1a8cb9498f5caa50197e58d43a86a7ae",
            "b29d84e811197f25eba8f5194092cb6ff440e26d4421011372461f579271cda3",
            "38f65d6dce47676044d58ce5139582d568f64bb16098d179dbab07741dd5caf5",
            "119f2f047902782ab0c9e27a54aff5eb9b964829ca99c06b02ddba95b0a3f6d0",
            "8f52b726664cac366fc98ac7a012b2682cbd962e5acb544671d41b9445704d1d",
            "057d636096cb80b67a8c038c890e887d1adfa4195e9b3ce241c8a778c59cda67",
        ],
    ];

    #[test]
    fn cavp_ecc_cdh_p256() {
        for [qx, qy, d, ix, iy, z] in CAVP_P256 {
            let peer = PublicKey::from_uncompressed(&h(&alloc::format!("04{qx}{qy}"))).unwrap();
            let sk = PrivateKey::from_bytes(&h(d)).unwrap();
            assert_eq!(
                sk.public_key().to_uncompressed()[..],
                h(&alloc::format!("04{ix}{iy}"))[..]
            );
            assert_eq!(sk.ecka(&peer).dangerous_bytes()[..], h(z)[..]);
        }
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!(
            PrivateKey::from_bytes(&[0; 32]).unwrap_err(),
            Error::PrivateKey
        );
        assert_eq!(
            PrivateKey::from_bytes(&[0xFF; 32]).unwrap_err(),
            Error::PrivateKey
        );
        assert_eq!(
            PrivateKey::from_bytes(&[1; 31]).unwrap_err(),
            Error::PrivateKey
        );
        let mut p = h(&alloc::format!("04{}{}", CAVP_P256[0][0], CAVP_P256[0][1]));
        assert!(PublicKey::from_uncompressed(&p).is_ok());
        // Off the curve.
        if let Some(last) = p.last_mut() {
            *last ^= 1;
        }
        assert_eq!(
            PublicKey::from_uncompressed(&p).unwrap_err(),
            Error::PublicKey
        );
        // Compressed or truncated forms are not what SGP.02 carries.
        assert!(PublicKey::from_uncompressed(&p[..33]).is_err());
        assert!(PublicKey::from_uncompressed(&[]).is_err());
    }

    #[test]
    fn secrets_are_not_printed() {
        let sk = PrivateKey::from_bytes(&h(CAVP_P256[0][2])).unwrap();
        assert_eq!(alloc::format!("{sk:?}"), "PrivateKey(P-256, ..)");
        let z = SharedSecret::from_bytes(&[7; 32]).unwrap();
        assert_eq!(alloc::format!("{z:?}"), "SharedSecret(..)");
    }
}
