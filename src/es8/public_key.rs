//! The public key data object `7F49` { `B0` Q, `F0` key parameter
//! reference } (GP Card Specification Amendment E table 4-26; SGP.02
//! table 24; njiwa `Utils.ECC.encode`).

use super::{Error, read, tags};
use crate::crypto::ecka::{self, POINT_LEN};
use crate::tlv::{self, Buffer, Encode, Reader, Tlv};

/// The curve of a key (tag `F0`; GP Amd E table 4-3, SGP.02 table 24 as
/// njiwa lists them). An open value: unknown references are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyParameterReference(pub u8);

impl KeyParameterReference {
    /// NIST P-256.
    pub const NIST_P256: Self = Self(0x00);
    /// brainpoolP256r1 (not computed by this crate yet).
    pub const BRAINPOOL_P256R1: Self = Self(0x03);
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
    /// The data object of a P-256 key.
    #[must_use]
    pub fn p256(key: &ecka::PublicKey) -> Self {
        Self {
            q: key.to_uncompressed(),
            curve: KeyParameterReference::NIST_P256,
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

    /// The P-256 key this object holds.
    ///
    /// # Errors
    /// [`Error::UnsupportedCurve`] for another curve, [`Error::Crypto`]
    /// for a point not on P-256.
    pub fn to_p256(&self) -> Result<ecka::PublicKey, Error> {
        if self.curve != KeyParameterReference::NIST_P256 {
            return Err(Error::UnsupportedCurve(self.curve.0));
        }
        Ok(ecka::PublicKey::from_uncompressed(&self.q)?)
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
        let pk = PublicKeyDo::p256(&sk.public_key());
        let bytes = pk.to_vec().unwrap();
        // njiwa layout: B0 41 04.. F0 01 00.
        assert_eq!(bytes[..3], [0xB0, 0x41, 0x04]);
        assert_eq!(bytes[bytes.len() - 3..], [0xF0, 0x01, 0x00]);
        let back = PublicKeyDo::parse_bytes(&bytes, 0).unwrap();
        assert_eq!(back, pk);
        assert_eq!(back.to_p256().unwrap(), sk.public_key());
        let bp = PublicKeyDo {
            curve: KeyParameterReference::BRAINPOOL_P256R1,
            ..pk
        };
        assert_eq!(bp.to_p256().unwrap_err(), Error::UnsupportedCurve(3));
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
}
