//! KIc and KID (ETSI TS 102 225 §5.1.2, §5.1.3.1, §5.1.3.2).

use core::fmt;

use crate::crypto::CipherAlgorithm;

/// The algorithm nibble of KIc, or of KID when the SPI asks for a CC
/// (b4..b1). An open type: every value is kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyAlgorithm(pub u8);

impl KeyAlgorithm {
    /// `0000`: algorithm known implicitly by both entities.
    pub const IMPLICIT: Self = Self(0x0);
    /// `0001`: DES in CBC mode (CBC-MAC for a KID).
    pub const DES: Self = Self(0x1);
    /// `0101`: triple DES outer-CBC with two keys.
    pub const TDES_2KEY: Self = Self(0x5);
    /// `1001`: triple DES outer-CBC with three keys.
    pub const TDES_3KEY: Self = Self(0x9);
    /// `1101`: DES in ECB mode (KIc); reserved for a KID.
    pub const DES_ECB: Self = Self(0xD);
    /// `0010`: AES (CBC for KIc, CMAC for KID); key length from the key.
    pub const AES: Self = Self(0x2);

    /// The CBC code (KIc; for a KID, the CBC-MAC / CMAC code) of keys of
    /// `algorithm`: `DES`, `TDES_2KEY`, `TDES_3KEY` or `AES` (TS 102 225
    /// §5.1.2, §5.1.3; AES's key length comes from the key).
    #[must_use]
    pub const fn of_cipher(algorithm: CipherAlgorithm) -> Self {
        match algorithm {
            CipherAlgorithm::Des => Self::DES,
            CipherAlgorithm::Tdes2 => Self::TDES_2KEY,
            CipherAlgorithm::Tdes3 => Self::TDES_3KEY,
            CipherAlgorithm::Aes128 | CipherAlgorithm::Aes192 | CipherAlgorithm::Aes256 => {
                Self::AES
            }
        }
    }

    /// Whether b2 b1 = `11` (proprietary implementations).
    #[must_use]
    pub const fn is_proprietary(self) -> bool {
        self.0 & 0x3 == 0x3
    }
}

impl fmt::Debug for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Self::IMPLICIT => "IMPLICIT",
            Self::DES => "DES",
            Self::TDES_2KEY => "TDES_2KEY",
            Self::TDES_3KEY => "TDES_3KEY",
            Self::DES_ECB => "DES_ECB",
            Self::AES => "AES",
            _ => return write!(f, "KeyAlgorithm({:X})", self.0),
        };
        f.write_str(name)
    }
}

/// The algorithm nibble of KID when the SPI asks for an RC (§5.1.3.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RcAlgorithm(pub u8);

impl RcAlgorithm {
    /// `0000`: algorithm known implicitly by both entities.
    pub const IMPLICIT: Self = Self(0x0);
    /// `0001`: CRC16.
    pub const CRC16: Self = Self(0x1);
    /// `0101`: CRC32.
    pub const CRC32: Self = Self(0x5);

    /// Whether b2 b1 = `11` (proprietary implementations).
    #[must_use]
    pub const fn is_proprietary(self) -> bool {
        self.0 & 0x3 == 0x3
    }
}

impl fmt::Debug for RcAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::IMPLICIT => f.write_str("IMPLICIT"),
            Self::CRC16 => f.write_str("CRC16"),
            Self::CRC32 => f.write_str("CRC32"),
            _ => write!(f, "RcAlgorithm({:X})", self.0),
        }
    }
}

/// Key and algorithm Identifier for ciphering (§5.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Kic(pub u8);

impl Kic {
    /// From key version number (0..=15) and algorithm nibble.
    #[must_use]
    pub const fn new(kvn: u8, algorithm: KeyAlgorithm) -> Self {
        Self((kvn << 4) | (algorithm.0 & 0x0F))
    }

    /// The key version number (b8..b5).
    #[must_use]
    pub const fn kvn(self) -> u8 {
        self.0 >> 4
    }

    /// The algorithm (b4..b1).
    #[must_use]
    pub const fn algorithm(self) -> KeyAlgorithm {
        KeyAlgorithm(self.0 & 0x0F)
    }
}

/// Key and algorithm Identifier for RC/CC/DS (§5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Kid(pub u8);

impl Kid {
    /// From key version number (0..=15) and algorithm nibble.
    #[must_use]
    pub const fn new(kvn: u8, algorithm: u8) -> Self {
        Self((kvn << 4) | (algorithm & 0x0F))
    }

    /// The key version number (b8..b5); not used for an RC.
    #[must_use]
    pub const fn kvn(self) -> u8 {
        self.0 >> 4
    }

    /// The algorithm read as a CC algorithm (§5.1.3.1).
    #[must_use]
    pub const fn cc_algorithm(self) -> KeyAlgorithm {
        KeyAlgorithm(self.0 & 0x0F)
    }

    /// The algorithm read as an RC algorithm (§5.1.3.2).
    #[must_use]
    pub const fn rc_algorithm(self) -> RcAlgorithm {
        RcAlgorithm(self.0 & 0x0F)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TS 102 225 §5.1.2 / §5.1.3: the codes of each key algorithm.
    #[test]
    fn codes_are_those_of_ts_102_225() {
        assert_eq!(KeyAlgorithm::of_cipher(CipherAlgorithm::Des).0, 0b0001);
        assert_eq!(KeyAlgorithm::of_cipher(CipherAlgorithm::Tdes2).0, 0b0101);
        assert_eq!(KeyAlgorithm::of_cipher(CipherAlgorithm::Tdes3).0, 0b1001);
        assert_eq!(KeyAlgorithm::of_cipher(CipherAlgorithm::Aes128).0, 0b0010);
        assert_eq!(KeyAlgorithm::of_cipher(CipherAlgorithm::Aes256).0, 0b0010);
    }

    #[test]
    fn fields() {
        let k = Kic(0x32);
        assert_eq!(k.kvn(), 3);
        assert_eq!(k.algorithm(), KeyAlgorithm::AES);
        assert_eq!(Kic::new(3, KeyAlgorithm::AES), k);
        assert!(KeyAlgorithm(0x7).is_proprietary());
        assert_eq!(Kid(0x15).rc_algorithm(), RcAlgorithm::CRC32);
        assert_eq!(Kid(0x15).cc_algorithm(), KeyAlgorithm::TDES_2KEY);
        assert_eq!(Kid::new(1, 5), Kid(0x15));
    }
}
