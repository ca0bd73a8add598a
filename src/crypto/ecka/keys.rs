//! Key pairs and the ECKA shared secret (BSI TR-03111 §4.3.1, ECKA-EG:
//! the off-card entity's ephemeral key with the ECASD's static key, GP
//! Card Specification Amendment E scenario #3) on NIST P-256
//! (RustCrypto `p256`) or brainpoolP256r1 (RustCrypto `bp256`).

use core::fmt;

use bp256::BrainpoolP256r1;
use elliptic_curve::sec1::ToSec1Point;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{Curve, Error};

/// Octets of a scalar or field element (both curves are 256-bit).
pub const SCALAR_LEN: usize = 32;
/// Octets of an uncompressed point `04 ‖ X ‖ Y` (SEC 1 §2.3.3), the
/// form SGP.02 carries in tag `B0` of `7F49`.
pub const POINT_LEN: usize = 65;

/// A brainpoolP256r1 public key.
pub(super) type Bp256PublicKey = elliptic_curve::PublicKey<BrainpoolP256r1>;

/// The scalar of a private key, on its curve.
#[derive(Clone)]
pub(super) enum Secret {
    /// On NIST P-256.
    P256(p256::SecretKey),
    /// On brainpoolP256r1.
    Bp256(bp256::r1::SecretKey),
}

/// A private key (the scalar `d`) on a [`Curve`], with its public key
/// `Q = d·G` computed once (signing and the `7F49` of an ephemeral key
/// need it, and a scalar multiplication is the costly step); the scalar
/// is zeroized on drop, never printed.
#[derive(Clone)]
pub struct PrivateKey {
    secret: Secret,
    public: PublicKey,
}

impl PrivateKey {
    /// The NIST P-256 key whose scalar is the 32 big-endian octets `d`
    /// (see [`PrivateKey::from_bytes_on`]).
    ///
    /// # Errors
    /// [`Error::PrivateKey`] unless `d` is 32 octets in `1..n`.
    pub fn from_bytes(d: &[u8]) -> Result<Self, Error> {
        Self::from_bytes_on(Curve::NistP256, d)
    }

    /// The key on `curve` whose scalar is the 32 big-endian octets `d`.
    /// The caller brings the randomness (the library has no RNG): 32
    /// uniformly random octets make a valid key with overwhelming
    /// probability.
    ///
    /// # Errors
    /// [`Error::PrivateKey`] unless `d` is 32 octets in `1..n`.
    pub fn from_bytes_on(curve: Curve, d: &[u8]) -> Result<Self, Error> {
        let d: &[u8; SCALAR_LEN] = d.try_into().map_err(|_| Error::PrivateKey)?;
        let secret = match curve {
            Curve::NistP256 => p256::SecretKey::from_bytes(&(*d).into()).map(Secret::P256),
            Curve::BrainpoolP256r1 => {
                bp256::r1::SecretKey::from_bytes(&(*d).into()).map(Secret::Bp256)
            }
        }
        .map_err(|_| Error::PrivateKey)?;
        let public = PublicKey(match &secret {
            Secret::P256(k) => Public::P256(k.public_key()),
            Secret::Bp256(k) => Public::Bp256(k.public_key()),
        });
        Ok(Self { secret, public })
    }

    /// The curve of this key.
    #[must_use]
    pub const fn curve(&self) -> Curve {
        self.public.curve()
    }

    /// The scalar, for export to a key store (handle with care).
    #[must_use]
    pub fn dangerous_to_bytes(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        Zeroizing::new(match &self.secret {
            Secret::P256(k) => k.to_bytes().into(),
            Secret::Bp256(k) => k.to_bytes().into(),
        })
    }

    /// The public key `Q = d·G` (computed when the key was made).
    #[must_use]
    pub const fn public_key(&self) -> PublicKey {
        self.public
    }

    /// ECKA (ECDH) with `peer`: the X coordinate of `d·Q_peer`
    /// (BSI TR-03111 §4.3.1; NIST SP 800-56A §5.7.1.2).
    ///
    /// # Errors
    /// [`Error::CurveMismatch`] when `peer` is on another curve.
    pub fn ecka(&self, peer: &PublicKey) -> Result<SharedSecret, Error> {
        let z: [u8; SCALAR_LEN] = match (&self.secret, &peer.0) {
            (Secret::P256(d), Public::P256(q)) => (*d.diffie_hellman(q).raw_secret_bytes()).into(),
            (Secret::Bp256(d), Public::Bp256(q)) => {
                (*d.diffie_hellman(q).raw_secret_bytes()).into()
            }
            _ => {
                return Err(Error::CurveMismatch {
                    ours: self.curve(),
                    theirs: peer.curve(),
                });
            }
        };
        Ok(SharedSecret(z))
    }

    pub(super) const fn inner(&self) -> &Secret {
        &self.secret
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({}, ..)", self.curve())
    }
}

/// A public point, on its curve.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Public {
    /// On NIST P-256.
    P256(p256::PublicKey),
    /// On brainpoolP256r1.
    Bp256(Bp256PublicKey),
}

/// A public key, a point on a [`Curve`] other than the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(Public);

impl PublicKey {
    /// Parses the uncompressed NIST P-256 point `04 ‖ X ‖ Y`
    /// (see [`PublicKey::from_uncompressed_on`]).
    ///
    /// # Errors
    /// As [`PublicKey::from_uncompressed_on`].
    pub fn from_uncompressed(point: &[u8]) -> Result<Self, Error> {
        Self::from_uncompressed_on(Curve::NistP256, point)
    }

    /// Parses the uncompressed point `04 ‖ X ‖ Y` on `curve`
    /// (SEC 1 §2.3.4).
    ///
    /// # Errors
    /// [`Error::PublicKey`] for another length or form, or a point that
    /// is not on the curve.
    pub fn from_uncompressed_on(curve: Curve, point: &[u8]) -> Result<Self, Error> {
        if point.len() != POINT_LEN || point.first() != Some(&0x04) {
            return Err(Error::PublicKey);
        }
        let public = match curve {
            Curve::NistP256 => p256::PublicKey::from_sec1_bytes(point).map(Public::P256),
            Curve::BrainpoolP256r1 => Bp256PublicKey::from_sec1_bytes(point).map(Public::Bp256),
        };
        public.map(Self).map_err(|_| Error::PublicKey)
    }

    /// The curve of this key.
    #[must_use]
    pub const fn curve(&self) -> Curve {
        match self.0 {
            Public::P256(_) => Curve::NistP256,
            Public::Bp256(_) => Curve::BrainpoolP256r1,
        }
    }

    /// The uncompressed point `04 ‖ X ‖ Y`.
    #[must_use]
    pub fn to_uncompressed(&self) -> [u8; POINT_LEN] {
        let mut out = [0u8; POINT_LEN];
        match &self.0 {
            Public::P256(q) => out.copy_from_slice(q.to_sec1_point(false).as_bytes()),
            Public::Bp256(q) => out.copy_from_slice(q.to_sec1_point(false).as_bytes()),
        }
        out
    }

    pub(super) const fn inner(&self) -> &Public {
        &self.0
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({}, ", self.curve())?;
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
            assert_eq!(sk.ecka(&peer).unwrap().dangerous_bytes()[..], h(z)[..]);
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

    /// RFC 7027 appendix A.1 (brainpoolP256r1 ECDH): dA, qA, dB, qB and the
    /// X coordinate of Z; the same values were recomputed with Python
    /// `cryptography` 48.0.0 (`ec.BrainpoolP256R1()`, `ec.ECDH()`) outside
    /// the repository.
    const RFC7027_BP256: [&str; 7] = [
        "81DB1EE100150FF2EA338D708271BE38300CB54241D79950F77B063039804F1D",
        "44106E913F92BC02A1705D9953A8414DB95E1AAA49E81D9E85F929A8E3100BE5",
        "8AB4846F11CACCB73CE49CBDD120F5A900A69FD32C272223F789EF10EB089BDC",
        "55E40BC41E37E3E2AD25C3C6654511FFA8474A91A0032087593852D3E7D76BD3",
        "8D2D688C6CF93E1160AD04CC4429117DC2C41825E1E9FCA0ADDD34E6F1B39F7B",
        "990C57520812BE512641E47034832106BC7D3E8DD0E4C7F1136D7006547CEC6A",
        "89AFC39D41D3B327814B80940B042590F96556EC91E6AE7939BCE31F3A18BF2B",
    ];

    #[test]
    fn rfc7027_brainpool_p256r1_ecdh() {
        let [da, xa, ya, db, xb, yb, z] = RFC7027_BP256;
        let bp = Curve::BrainpoolP256r1;
        let a = PrivateKey::from_bytes_on(bp, &h(da)).unwrap();
        let b = PrivateKey::from_bytes_on(bp, &h(db)).unwrap();
        assert_eq!(a.curve(), bp);
        let qa = h(&alloc::format!("04{xa}{ya}"));
        let qb = h(&alloc::format!("04{xb}{yb}"));
        assert_eq!(a.public_key().to_uncompressed()[..], qa[..]);
        assert_eq!(b.public_key().to_uncompressed()[..], qb[..]);
        let pb = PublicKey::from_uncompressed_on(bp, &qb).unwrap();
        let pa = PublicKey::from_uncompressed_on(bp, &qa).unwrap();
        assert_eq!(pb.curve(), bp);
        assert_eq!(a.ecka(&pb).unwrap().dangerous_bytes()[..], h(z)[..]);
        assert_eq!(b.ecka(&pa).unwrap().dangerous_bytes()[..], h(z)[..]);
        assert_eq!(&a.dangerous_to_bytes()[..], &h(da)[..]);
        // A brainpool point is not on P-256 and vice versa.
        assert_eq!(
            PublicKey::from_uncompressed(&qb).unwrap_err(),
            Error::PublicKey
        );
        let nist = h(&alloc::format!("04{}{}", CAVP_P256[0][0], CAVP_P256[0][1]));
        assert_eq!(
            PublicKey::from_uncompressed_on(bp, &nist).unwrap_err(),
            Error::PublicKey
        );
        // Mixing curves in ECKA is refused, whichever side.
        let p = PublicKey::from_uncompressed(&nist).unwrap();
        assert_eq!(
            a.ecka(&p).unwrap_err(),
            Error::CurveMismatch {
                ours: bp,
                theirs: Curve::NistP256
            }
        );
        let n = PrivateKey::from_bytes(&h(CAVP_P256[0][2])).unwrap();
        assert!(matches!(n.ecka(&pb), Err(Error::CurveMismatch { .. })));
        assert_eq!(alloc::format!("{a:?}"), "PrivateKey(brainpoolP256r1, ..)");
        // The brainpool order n is below 2^256 - 1: all-FF is out of range.
        assert_eq!(
            PrivateKey::from_bytes_on(bp, &[0xFF; 32]).unwrap_err(),
            Error::PrivateKey
        );
        assert_eq!(
            PrivateKey::from_bytes_on(bp, &[0; 32]).unwrap_err(),
            Error::PrivateKey
        );
    }
}
