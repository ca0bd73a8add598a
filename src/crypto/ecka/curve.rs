//! The curves scenario #3 keys live on (GP Card Specification Amendment E
//! table 4-3, SGP.02 table 24): NIST P-256 and brainpoolP256r1, both with
//! 32-octet scalars and 65-octet uncompressed points. The wire code of a
//! curve (the key parameter reference, tag `F0`) is
//! `es8::KeyParameterReference`.

use core::fmt;

/// A curve this crate computes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Curve {
    /// NIST P-256 (FIPS 186-5, secp256r1).
    NistP256,
    /// brainpoolP256r1 (RFC 5639 §3.4, BSI TR-03111).
    BrainpoolP256r1,
}

impl Curve {
    /// The curve's name as RFC 5639 / FIPS 186-5 spell it.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::NistP256 => "P-256",
            Self::BrainpoolP256r1 => "brainpoolP256r1",
        }
    }

    /// The curve named `name` (`P-256`, also `NIST P-256` / `secp256r1`;
    /// `brainpoolP256r1`), if this crate computes on it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "P-256" | "NIST P-256" | "secp256r1" | "prime256v1" => Some(Self::NistP256),
            "brainpoolP256r1" => Some(Self::BrainpoolP256r1),
            _ => None,
        }
    }
}

impl fmt::Display for Curve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in [Curve::NistP256, Curve::BrainpoolP256r1] {
            assert_eq!(Curve::from_name(c.name()), Some(c));
        }
        assert_eq!(Curve::from_name("brainpoolP256t1"), None);
        assert_eq!(Curve::from_name(""), None);
    }
}
