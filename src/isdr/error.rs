//! Errors of the ES5 / ISD-R layer.

use crate::tlv::{self, Tag};

/// What was wrong with an identifier, a command argument or an eUICC
/// response. Parser errors carry the byte offset in the parsed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An AID outside the 5 to 16 bytes of ISO/IEC 7816-5.
    #[error("an AID has 5 to 16 bytes, got {len}")]
    AidLength {
        /// The length given.
        len: usize,
    },
    /// A TAR outside the ISD-P range of SGP.02 Annex H.
    #[error("TAR {tar:06X} is outside the ISD-P range 000010..00FFFF (SGP.02 Annex H)")]
    IsdpTarOutOfRange {
        /// The TAR, as a 24-bit number.
        tar: u32,
    },
    /// An EID that is not 32 digits (or 16 BCD bytes) long.
    #[error("an EID has 32 digits (16 BCD bytes), got {len}")]
    EidLength {
        /// Digits (or bytes for BCD input) found.
        len: usize,
    },
    /// A character or nibble of an EID that is not a decimal digit.
    #[error("EID digit {offset} is not a decimal digit (found 0x{found:02X})")]
    EidDigit {
        /// Position of the digit (0-based).
        offset: usize,
        /// The character or nibble found.
        found: u8,
    },
    /// EID check digits that fail ISO/IEC 7064 MOD 97-10.
    #[error(
        "EID check digits are {found:02}, expected {expected:02} (ISO/IEC 7064 MOD 97-10, SGP.29 §10)"
    )]
    EidCheckDigits {
        /// The check digits the first 30 digits call for.
        expected: u8,
        /// The check digits given.
        found: u8,
    },
    /// The BER-TLV layer rejected the input.
    #[error(transparent)]
    Tlv(#[from] tlv::Error),
    /// A TLV with another tag where a given one is required.
    #[error("expected tag {expected}, found {found} at byte offset {offset}")]
    UnexpectedTag {
        /// The tag required.
        expected: Tag,
        /// The tag found.
        found: Tag,
        /// Offset of the TLV.
        offset: usize,
    },
    /// A mandatory data object is absent.
    #[error("{context}: mandatory tag {tag} missing (TLV at byte offset {offset})")]
    MissingTag {
        /// The missing tag.
        tag: Tag,
        /// The structure it belongs to.
        context: &'static str,
        /// Offset of the enclosing TLV.
        offset: usize,
    },
    /// A data object whose value has a length the specification forbids.
    #[error("tag {tag} at byte offset {offset}: value of {len} bytes, expected {expected}")]
    ValueLength {
        /// The tag.
        tag: Tag,
        /// Offset of the TLV.
        offset: usize,
        /// Length found.
        len: usize,
        /// What the specification allows.
        expected: &'static str,
    },
    /// The same data object twice where only one is allowed.
    #[error("tag {tag} repeated at byte offset {offset}")]
    DuplicateTag {
        /// The tag.
        tag: Tag,
        /// Offset of the second occurrence.
        offset: usize,
    },
    /// The APDU layer rejected a command or response.
    #[error(transparent)]
    Apdu(#[from] crate::apdu::Error),
    /// A command argument out of range.
    #[error("{what} out of range")]
    OutOfRange {
        /// Which argument.
        what: &'static str,
    },
}
