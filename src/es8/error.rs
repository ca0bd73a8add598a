//! Errors of the ES8 layer.

use crate::apdu::StatusWord;
use crate::crypto::ecka;
use crate::tlv::{self, Tag};

/// What was wrong with an ES8 structure, a card answer or a request.
/// Parser errors carry the byte offset in the parsed input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The BER-TLV layer refused the input.
    #[error(transparent)]
    Tlv(#[from] tlv::Error),
    /// The DGI / APDU layer refused the input or a builder argument.
    #[error(transparent)]
    Apdu(#[from] crate::apdu::Error),
    /// Key agreement, derivation or a signature failed.
    #[error(transparent)]
    Crypto(#[from] ecka::Error),
    /// Another tag (or the end) where a given one is required.
    #[error("expected tag {expected} at byte offset {offset}")]
    MissingTag {
        /// The tag required there.
        expected: Tag,
        /// Where it should have started.
        offset: usize,
    },
    /// A field of the wrong length.
    #[error("{what} of {len} octets at byte offset {offset} has the wrong length")]
    FieldLength {
        /// The field.
        what: &'static str,
        /// Its length.
        len: usize,
        /// Offset of its value.
        offset: usize,
    },
    /// A field with a value the layout does not allow.
    #[error("{what} at byte offset {offset} has a value SGP.02 does not allow")]
    FieldValue {
        /// The field.
        what: &'static str,
        /// Offset of its value.
        offset: usize,
    },
    /// A curve (key parameter reference `F0`) this crate cannot compute on.
    #[error("key parameter reference {0:02X} is neither NIST P-256 (00) nor brainpoolP256r1 (03)")]
    UnsupportedCurve(u8),
    /// The receipt of the card does not match the one computed.
    #[error("the receipt does not match")]
    ReceiptMismatch,
    /// The card refused a command.
    #[error("the card answered {0}")]
    Refused(StatusWord),
    /// A step called out of order.
    #[error("ES8 key establishment step called out of order")]
    OutOfOrder,
}
