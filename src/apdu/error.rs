//! Errors of the APDU layer.

use crate::tlv;

/// What was wrong with an APDU or with the request to build one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A C-APDU shorter than its 4-octet header.
    #[error("C-APDU of {len} octets is shorter than its 4-octet header")]
    TooShort {
        /// Octets present.
        len: usize,
    },
    /// An R-APDU without its two status octets.
    #[error("R-APDU of {len} octets has no SW1 SW2")]
    MissingStatus {
        /// Octets present.
        len: usize,
    },
    /// The octets after the header fit none of the cases of ISO/IEC 7816-4
    /// §5.1 (Lc and the body length disagree, or `Lc` is zero).
    #[error("C-APDU body does not match ISO 7816-4 cases 1-4 (Lc/Le at byte offset {offset})")]
    BadBody {
        /// Offset of the length field that does not fit.
        offset: usize,
    },
    /// Command data longer than 65,535 octets.
    #[error("command data of {len} octets exceeds 65,535")]
    DataTooLong {
        /// Requested data length.
        len: usize,
    },
    /// Ne (the Le value) outside 1..=65,536.
    #[error("Le (Ne) {ne} outside 1..=65536")]
    BadLe {
        /// Requested Ne.
        ne: usize,
    },
    /// A GlobalPlatform builder argument out of range (an AID longer than
    /// 16 octets, more than 256 STORE DATA blocks, ...).
    #[error("invalid {what}")]
    Invalid {
        /// What was out of range.
        what: &'static str,
    },
    /// A GlobalPlatform data structure (DGI, TLV) in command or response
    /// data is malformed.
    #[error("malformed {what} at byte offset {offset}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// Offset in the data.
        offset: usize,
    },
    /// Writing into the caller's buffer failed (too small) or a TLV was malformed.
    #[error(transparent)]
    Tlv(#[from] tlv::Error),
}
