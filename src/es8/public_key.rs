//! The public key data object `7F49` { `B0` Q, `F0` key parameter
//! reference } (GP Card Specification Amendment E table 4-26; SGP.02
//! table 24; njiwa `Utils.ECC.encode`).

use super::{Error, read, tags};
use crate::crypto::ecka::{self, Curve, POINT_LEN};
use crate::tlv::{self, Buffer, Encode, Reader, Tlv};

/// The curve of a key (tag `F0`; GP Amd E table 4-3, SGP.02 table 24 as
/// njiwa `Utils.ECC.KNOWN_ECC_CURVES` lists them: `00` P-256, `03`
/// brainpoolP256r1). An open value: unknown references are kept, and
/// refused as unsupported when a key is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyParameterReference(pub u8);

impl KeyParameterReference {
    /// NIST P-256.
    pub const NIST_P256: Self = Self(0x00);
    /// brainpoolP256r1.
    pub const BRAINPOOL_P256R1: Self = Self(0x03);

    /// The reference of `curve`.
    #[must_use]
    pub const fn of(curve: Curve) -> Self {
        match curve {
            Curve::NistP256 => Self::NIST_P256,
            Curve::BrainpoolP256r1 => Self::BRAINPOOL_P256R1,
        }
    }

    /// The curve this reference names, if this crate computes on it.
    #[must_use]
    pub const fn curve(self) -> Option<Curve> {
        match self {
            Self::NIST_P256 => Some(Curve::NistP256),
            Self::BRAINPOOL_P256R1 => Some(Curve::BrainpoolP256r1),
            _ => None,
        }
    }
}

/// The value of a `7F49` public key data object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKeyDo {
    /// The uncompressed point `04 ‖ X ‖ Y` (tag `B0`).
    pub q: [u8; POINT_LEN],
    /// The curve (tag `F0`).
    pub curve: KeyParameterReference,
}

impl PublicKeyDo {
    /// The data object of `key`, its reference from its curve.
    #[must_use]
    pub fn of(key: &ecka::PublicKey) -> Self {
        Self {
            q: key.to_uncompressed(),
            curve: KeyParameterReference::of(key.curve()),
        }
    }

    /// Parses the value of `7F49` (`B0` then `F0`, nothing else).
    ///
    /// # Errors
    /// A missing or mis-sized `B0`/`F0`, or trailing TLVs.
    pub fn parse_value(t: &Tlv<'_>) -> Result<Self, Error> {
        let mut r = t.children();
        Self::read(&mut r)
    }

    /// Parses `B0` and `F0` from `value` (the value of DGI `7F49`, whose
    /// offsets start at `base`).
    ///
    /// # Errors
    /// As [`PublicKeyDo::parse_value`].
    pub fn parse_bytes(value: &[u8], base: usize) -> Result<Self, Error> {
        let mut r = Reader::with_base(value, base, tlv::Options::strict());
        Self::read(&mut r)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        let q = read::fixed::<POINT_LEN>(&read::expect(r, tags::PUBLIC_KEY_Q)?, "public key Q")?;
        let curve = read::byte(
            &read::expect(r, tags::KEY_PARAMETER_REFERENCE)?,
            "key parameter reference",
        )?;
        read::end(r)?;
        Ok(Self {
            q,
            curve: KeyParameterReference(curve),
        })
    }

    /// The key this object holds, on the curve its `F0` names.
    ///
    /// # Errors
    /// [`Error::UnsupportedCurve`] for a reference other than P-256 or
    /// brainpoolP256r1, [`Error::Crypto`] for a point not on that curve.
    pub fn to_key(&self) -> Result<ecka::PublicKey, Error> {
        let curve = self
            .curve
            .curve()
            .ok_or(Error::UnsupportedCurve(self.curve.0))?;
        Ok(ecka::PublicKey::from_uncompressed_on(curve, &self.q)?)
    }

    fn parts(&self) -> impl Encode + '_ {
        (
            tlv::tlv(tags::PUBLIC_KEY_Q, &self.q[..]),
            tlv::tlv(tags::KEY_PARAMETER_REFERENCE, [self.curve.0]),
        )
    }
}

/// Encodes the value of `7F49` (without the `7F49` tag itself).
impl Encode for PublicKeyDo {
    fn encoded_len(&self) -> usize {
        self.parts().encoded_len()
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        self.parts().encode(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;

    #[test]
    fn round_trip_and_refusals() {
        let sk = ecka::PrivateKey::from_bytes(&[0x42; 32]).unwrap();
        let pk = PublicKeyDo::of(&sk.public_key());
        let bytes = pk.to_vec().unwrap();
        // njiwa layout: B0 41 04.. F0 01 00.
        assert_eq!(bytes[..3], [0xB0, 0x41, 0x04]);
        assert_eq!(bytes[bytes.len() - 3..], [0xF0, 0x01, 0x00]);
        let back = PublicKeyDo::parse_bytes(&bytes, 0).unwrap();
        assert_eq!(back, pk);
        assert_eq!(back.to_key().unwrap(), sk.public_key());
        // A P-256 point labelled brainpoolP256r1 is not on that curve.
        let bp = PublicKeyDo {
            curve: KeyParameterReference::BRAINPOOL_P256R1,
            ..pk
        };
        assert_eq!(
            bp.to_key().unwrap_err(),
            Error::Crypto(ecka::Error::PublicKey)
        );
        // Unknown references are kept on parse and refused as unsupported.
        for r in [0x01, 0x04, 0xFF] {
            let mut b = bytes.clone();
            let last = b.len() - 1;
            b[last] = r;
            let back = PublicKeyDo::parse_bytes(&b, 0).unwrap();
            assert_eq!(back.curve, KeyParameterReference(r));
            assert_eq!(back.curve.curve(), None);
            assert_eq!(back.to_key().unwrap_err(), Error::UnsupportedCurve(r));
            assert_eq!(back.to_vec().unwrap(), b);
        }
        assert!(matches!(
            PublicKeyDo::parse_bytes(&bytes[..bytes.len() - 3], 0),
            Err(Error::MissingTag { .. })
        ));
        let mut extra = bytes.clone();
        extra.extend_from_slice(&[0x01, 0x00]);
        assert!(PublicKeyDo::parse_bytes(&extra, 0).is_err());
        let mut short = bytes;
        short[1] = 0x40;
        assert!(PublicKeyDo::parse_bytes(&short, 0).is_err());
    }

    /// A brainpoolP256r1 key is written `F0 01 03` (njiwa
    /// `Utils.ECC.KNOWN_ECC_CURVES`: 3 = brainpoolP256r1) and read back on
    /// that curve.
    #[test]
    fn brainpool_round_trip() {
        let sk = ecka::PrivateKey::from_bytes_on(Curve::BrainpoolP256r1, &[0x42; 32]).unwrap();
        let pk = PublicKeyDo::of(&sk.public_key());
        assert_eq!(pk.curve, KeyParameterReference::BRAINPOOL_P256R1);
        let bytes = pk.to_vec().unwrap();
        assert_eq!(bytes[bytes.len() - 3..], [0xF0, 0x01, 0x03]);
        let back = PublicKeyDo::parse_bytes(&bytes, 0).unwrap();
        assert_eq!(back.to_key().unwrap(), sk.public_key());
        assert_eq!(back.to_key().unwrap().curve(), Curve::BrainpoolP256r1);
        for c in [Curve::NistP256, Curve::BrainpoolP256r1] {
            assert_eq!(KeyParameterReference::of(c).curve(), Some(c));
        }
    }
}
