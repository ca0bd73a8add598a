//! The Toolkit Application Reference (ETSI TS 101 220 §6, TS 102 225 §5.1.1).

use core::fmt;

/// A 3-octet Toolkit Application Reference: the TAR of a secured command
/// packet header (TS 102 225 §5.1.1), allocated per TS 101 220 §6.
///
/// The one TAR type of the crate: [`crate::isdr::Tar`] names the same type
/// and adds the SGP.02 Annex H values (ISD-R, ECASD, the ISD-P range).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct Tar(pub [u8; 3]);

impl Tar {
    /// The TAR with the 24-bit value `v` (upper byte ignored).
    pub const fn from_value(v: u32) -> Tar {
        let [_, a, b, c] = v.to_be_bytes();
        Tar([a, b, c])
    }

    /// The TAR as a 24-bit number.
    pub const fn value(self) -> u32 {
        let [a, b, c] = self.0;
        u32::from_be_bytes([0, a, b, c])
    }
}

impl fmt::Debug for Tar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tar({self})")
    }
}

impl fmt::Display for Tar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c] = self.0;
        write!(f, "{a:02X}{b:02X}{c:02X}")
    }
}

/// Serialized as its 6 upper-case hex digits (`"000001"`).
#[cfg(feature = "serde")]
mod serde_impls {
    use super::Tar;
    use alloc::string::String;
    use serde::de::Error as _;

    impl serde::Serialize for Tar {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
    }
    impl<'de> serde::Deserialize<'de> for Tar {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            let mut b = [0u8; 3];
            match hex::decode_to_slice(&s, &mut b) {
                Ok(()) => Ok(Tar(b)),
                Err(_) => Err(D::Error::custom("a TAR is 6 hex digits")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Tar;

    #[test]
    fn value_round_trip() {
        assert_eq!(Tar::from_value(0x12_3456), Tar([0x12, 0x34, 0x56]));
        assert_eq!(Tar::from_value(0xFF12_3456), Tar([0x12, 0x34, 0x56]));
        assert_eq!(Tar([0xB0, 0x00, 0x10]).value(), 0xB0_0010);
        assert_eq!(Tar::default(), Tar([0, 0, 0]));
    }

    /// The EIS stores TARs as their 6 hex digits (serialized through
    /// `Display`); anything else is refused.
    #[cfg(feature = "serde")]
    #[test]
    fn serde_hex() {
        use serde::Deserialize;
        use serde::de::value::{Error, StrDeserializer};
        let de = |s: &'static str| Tar::deserialize(StrDeserializer::<Error>::new(s));
        let tar = Tar([0x00, 0x00, 0x1A]);
        assert_eq!(alloc::format!("{tar}"), "00001A");
        assert_eq!(de("00001a"), Ok(tar));
        for bad in ["0001", "0000001A", "00001", "00001G"] {
            assert!(de(bad).is_err(), "{bad}");
        }
    }
}
