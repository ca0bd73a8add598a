//! Status words SW1 SW2 (ISO/IEC 7816-4 §5.6, GlobalPlatform Card
//! Specification v2.3 chapter 11, SGP.02).

use core::fmt;

/// A status word `SW1 SW2`, kept as the 16-bit value `SW1 << 8 | SW2`.
///
/// The set is open: any value is representable and kept; the named
/// constants are the ones ISO 7816-4, GlobalPlatform and SGP.02 give a
/// meaning to. `Debug` prints the name when there is one.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusWord(pub u16);

macro_rules! status_words {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $text:literal;)*) => {
        impl StatusWord {
            $($(#[$doc])* pub const $name: Self = Self($value);)*

            /// The meaning of a named status word (or of its `SW1` group for
            /// `61xx` and `6Cxx`), `None` for other values.
            pub const fn description(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => match self.sw1() {
                        0x61 => Some("response bytes still available (SW2 = count)"),
                        0x6C => Some("wrong Le (SW2 = exact length)"),
                        _ => None,
                    },
                }
            }

            const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some(stringify!($name)),)*
                    _ => None,
                }
            }
        }
    };
}

status_words! {
    /// `9000`: normal processing, no further qualification.
    SUCCESS = 0x9000, "normal processing";
    /// `6100`: the `61xx` group, SW2 response bytes still available (T=0).
    BYTES_AVAILABLE = 0x6100, "response bytes still available";
    /// `6200`: warning, state of non-volatile memory unchanged.
    WARNING = 0x6200, "warning: no information given";
    /// `6283`: selected file (application) invalidated / locked.
    SELECTED_FILE_INVALIDATED = 0x6283, "selected file invalidated";
    /// `62F1`: TS 102 226 — response data truncated.
    TRUNCATED_RESPONSE = 0x62F1, "more data available, response truncated";
    /// `6310`: GlobalPlatform GET STATUS / GET DATA — more data available
    /// (GP Card Specification v2.3 §11.4.3).
    MORE_DATA = 0x6310, "more data available";
    /// `6400`: execution error, non-volatile memory unchanged.
    EXECUTION_ERROR = 0x6400, "execution error";
    /// `6581`: memory failure.
    MEMORY_FAILURE = 0x6581, "memory failure";
    /// `6700`: wrong length (Lc or Le).
    WRONG_LENGTH = 0x6700, "wrong length";
    /// `6881`: logical channel not supported.
    LOGICAL_CHANNEL_NOT_SUPPORTED = 0x6881, "logical channel not supported";
    /// `6882`: secure messaging not supported.
    SECURE_MESSAGING_NOT_SUPPORTED = 0x6882, "secure messaging not supported";
    /// `6982`: security status not satisfied.
    SECURITY_STATUS_NOT_SATISFIED = 0x6982, "security status not satisfied";
    /// `6983`: authentication method blocked.
    AUTHENTICATION_METHOD_BLOCKED = 0x6983, "authentication method blocked";
    /// `6984`: reference data not usable.
    REFERENCE_DATA_NOT_USABLE = 0x6984, "reference data not usable";
    /// `6985`: conditions of use not satisfied (e.g. wrong life-cycle state).
    CONDITIONS_NOT_SATISFIED = 0x6985, "conditions of use not satisfied";
    /// `6986`: command not allowed (no current EF).
    COMMAND_NOT_ALLOWED = 0x6986, "command not allowed";
    /// `6999`: GlobalPlatform — applet selection failed.
    SELECTION_FAILED = 0x6999, "applet selection failed";
    /// `69E1`: SGP.02 — POL1 of the Profile prevents this action.
    POL1_PREVENTS_ACTION = 0x69E1, "POL1 of the Profile prevents this action";
    /// `6A80`: incorrect values in the command data.
    INCORRECT_DATA = 0x6A80, "incorrect values in command data";
    /// `6A81`: function not supported.
    FUNCTION_NOT_SUPPORTED = 0x6A81, "function not supported";
    /// `6A82`: file or application not found.
    NOT_FOUND = 0x6A82, "file or application not found";
    /// `6A84`: not enough memory space.
    NOT_ENOUGH_MEMORY = 0x6A84, "not enough memory space";
    /// `6A86`: incorrect P1 P2.
    INCORRECT_P1_P2 = 0x6A86, "incorrect P1 P2";
    /// `6A88`: referenced data not found.
    REFERENCED_DATA_NOT_FOUND = 0x6A88, "referenced data not found";
    /// `6B00`: wrong parameters P1 P2.
    WRONG_P1_P2 = 0x6B00, "wrong parameters P1 P2";
    /// `6C00`: the `6Cxx` group, wrong Le (SW2 = exact length).
    WRONG_LE = 0x6C00, "wrong Le";
    /// `6D00`: instruction code not supported or invalid.
    INS_NOT_SUPPORTED = 0x6D00, "instruction not supported";
    /// `6E00`: class not supported.
    CLA_NOT_SUPPORTED = 0x6E00, "class not supported";
    /// `6F00`: no precise diagnosis.
    NO_PRECISE_DIAGNOSIS = 0x6F00, "no precise diagnosis";
    /// `9484`: GlobalPlatform — algorithm not supported.
    ALGORITHM_NOT_SUPPORTED = 0x9484, "algorithm not supported";
    /// `9485`: GlobalPlatform — invalid key check value.
    INVALID_KEY_CHECK_VALUE = 0x9485, "invalid key check value";
}

impl StatusWord {
    /// The status word `sw1 sw2`.
    pub const fn new(sw1: u8, sw2: u8) -> Self {
        Self(((sw1 as u16) << 8) | sw2 as u16)
    }

    /// SW1.
    pub const fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// SW2.
    pub const fn sw2(self) -> u8 {
        self.0 as u8
    }

    /// The two octets as sent.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// `true` for `9000` and `61xx` (normal processing, ISO 7816-4 §5.6).
    pub const fn is_success(self) -> bool {
        self.0 == 0x9000 || self.sw1() == 0x61
    }

    /// `true` for the warning groups `62xx` and `63xx`.
    pub const fn is_warning(self) -> bool {
        matches!(self.sw1(), 0x62 | 0x63)
    }

    /// `true` for anything that is neither success nor a warning.
    pub const fn is_error(self) -> bool {
        !self.is_success() && !self.is_warning()
    }
}

impl From<u16> for StatusWord {
    fn from(v: u16) -> Self {
        Self(v)
    }
}

impl From<StatusWord> for u16 {
    fn from(sw: StatusWord) -> Self {
        sw.0
    }
}

impl From<[u8; 2]> for StatusWord {
    fn from(b: [u8; 2]) -> Self {
        Self(u16::from_be_bytes(b))
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)?;
        if let Some(text) = self.description() {
            write!(f, " ({text})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "StatusWord::{name}"),
            None => write!(f, "StatusWord({:04X})", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::format;

    #[test]
    fn parts_and_classes() {
        let sw = StatusWord::new(0x6A, 0x88);
        assert_eq!(sw, StatusWord::REFERENCED_DATA_NOT_FOUND);
        assert_eq!((sw.sw1(), sw.sw2()), (0x6A, 0x88));
        assert_eq!(sw.to_bytes(), [0x6A, 0x88]);
        assert!(sw.is_error());
        assert!(StatusWord::SUCCESS.is_success());
        assert!(StatusWord(0x6132).is_success());
        assert!(StatusWord::MORE_DATA.is_warning());
        assert!(!StatusWord::MORE_DATA.is_error());
        assert_eq!(
            StatusWord::from([0x69, 0xE1]),
            StatusWord::POL1_PREVENTS_ACTION
        );
    }

    #[test]
    fn unknown_values_are_kept() {
        let sw = StatusWord::from(0x9F12);
        assert_eq!(u16::from(sw), 0x9F12);
        assert_eq!(format!("{sw}"), "9F12");
        assert_eq!(format!("{sw:?}"), "StatusWord(9F12)");
        assert_eq!(
            format!("{:?}", StatusWord(0x6A88)),
            "StatusWord::REFERENCED_DATA_NOT_FOUND"
        );
        assert_eq!(
            format!("{}", StatusWord(0x6985)),
            "6985 (conditions of use not satisfied)"
        );
        assert_eq!(
            StatusWord(0x6C10).description(),
            Some("wrong Le (SW2 = exact length)")
        );
    }
}
