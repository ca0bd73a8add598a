//! Response Status Codes of the PoR (ETSI TS 102 225 §5.2.1 table 5,
//! 3GPP TS 31.115 §7 for `0B` and `0C`).

use core::fmt;

/// A PoR status octet. An open type: unknown values are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PorStatus(pub u8);

impl PorStatus {
    /// `00`: PoR OK.
    pub const OK: Self = Self(0x00);
    /// `01`: RC/CC/DS failed.
    pub const RC_CC_DS_FAILED: Self = Self(0x01);
    /// `02`: CNTR low.
    pub const CNTR_LOW: Self = Self(0x02);
    /// `03`: CNTR high.
    pub const CNTR_HIGH: Self = Self(0x03);
    /// `04`: CNTR blocked.
    pub const CNTR_BLOCKED: Self = Self(0x04);
    /// `05`: ciphering error.
    pub const CIPHERING_ERROR: Self = Self(0x05);
    /// `06`: unidentified security error (e.g. unknown key).
    pub const UNIDENTIFIED_SECURITY_ERROR: Self = Self(0x06);
    /// `07`: insufficient memory to process incoming message.
    pub const INSUFFICIENT_MEMORY: Self = Self(0x07);
    /// `08`: more time needed to process the command packet.
    pub const MORE_TIME: Self = Self(0x08);
    /// `09`: TAR unknown.
    pub const TAR_UNKNOWN: Self = Self(0x09);
    /// `0A`: insufficient security level.
    pub const INSUFFICIENT_SECURITY_LEVEL: Self = Self(0x0A);
    /// `0B`: actual response data to be sent using SMS-SUBMIT (TS 31.115).
    pub const RESPONSE_VIA_SMS_SUBMIT: Self = Self(0x0B);
    /// `0C`: actual response data to be sent using USSD (TS 31.115).
    pub const RESPONSE_VIA_USSD: Self = Self(0x0C);

    /// Whether this is `00`.
    #[must_use]
    pub const fn is_ok(self) -> bool {
        self.0 == 0
    }

    /// The name of a defined code.
    #[must_use]
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x00 => "PoR OK",
            0x01 => "RC/CC/DS failed",
            0x02 => "CNTR low",
            0x03 => "CNTR high",
            0x04 => "CNTR blocked",
            0x05 => "ciphering error",
            0x06 => "unidentified security error",
            0x07 => "insufficient memory",
            0x08 => "more time needed",
            0x09 => "TAR unknown",
            0x0A => "insufficient security level",
            0x0B => "response via SMS-SUBMIT",
            0x0C => "response via USSD",
            _ => return None,
        })
    }
}

impl fmt::Debug for PorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{:02X} ({n})", self.0),
            None => write!(f, "{:02X}", self.0),
        }
    }
}

impl fmt::Display for PorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
