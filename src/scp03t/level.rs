//! The SCP03 security level (GP Card Specification v2.3 Amendment D §5.1,
//! the P1 of EXTERNAL AUTHENTICATE, table 7-4).

/// A security level: which of C-MAC, C-DECRYPTION, R-MAC and R-ENCRYPTION
/// protect the session. An open type: [`SecurityLevel::parse`] says
/// whether GP Amendment D defines the combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SecurityLevel(pub u8);

impl SecurityLevel {
    /// `01`: C-MAC.
    pub const C_MAC: Self = Self(0x01);
    /// `03`: C-DECRYPTION and C-MAC.
    pub const C_DEC_C_MAC: Self = Self(0x03);
    /// `11`: C-MAC and R-MAC.
    pub const C_MAC_R_MAC: Self = Self(0x11);
    /// `13`: C-DECRYPTION, C-MAC and R-MAC.
    pub const C_DEC_C_MAC_R_MAC: Self = Self(0x13);
    /// `33`: C-DECRYPTION, R-ENCRYPTION, C-MAC and R-MAC; the level SGP.02
    /// uses for SCP03t (as njiwa sends it in its `85` TLV).
    pub const ALL: Self = Self(0x33);
    /// Every level GP Amendment D §5.1 defines for a session.
    pub const DEFINED: [Self; 5] = [
        Self::C_MAC,
        Self::C_DEC_C_MAC,
        Self::C_MAC_R_MAC,
        Self::C_DEC_C_MAC_R_MAC,
        Self::ALL,
    ];

    /// `level` if GP Amendment D defines it (C-MAC always on; C-DECRYPTION
    /// only with C-MAC, R-ENCRYPTION only with C-DECRYPTION and R-MAC).
    pub fn parse(level: u8) -> Option<Self> {
        Self::DEFINED.into_iter().find(|l| l.0 == level)
    }

    /// Commands carry a C-MAC.
    pub const fn c_mac(self) -> bool {
        self.0 & 0x01 != 0
    }

    /// Command data is enciphered.
    pub const fn c_decryption(self) -> bool {
        self.0 & 0x02 != 0
    }

    /// Responses carry an R-MAC.
    pub const fn r_mac(self) -> bool {
        self.0 & 0x10 != 0
    }

    /// Response data is enciphered.
    pub const fn r_encryption(self) -> bool {
        self.0 & 0x20 != 0
    }
}
