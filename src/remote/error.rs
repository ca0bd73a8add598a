//! Errors of the remote command layer.

use crate::{apdu, tlv};

/// What was wrong with a TS 102 226 remote command or response structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The BER-TLV encoding is malformed.
    #[error(transparent)]
    Tlv(#[from] tlv::Error),
    /// A template or item tag that does not belong where it was found.
    #[error("unexpected tag {tag} at byte offset {offset}")]
    UnexpectedTag {
        /// The tag found.
        tag: tlv::Tag,
        /// Offset of the tag.
        offset: usize,
    },
    /// An item whose value has the wrong size or form.
    #[error("malformed {what} at byte offset {offset}")]
    BadValue {
        /// Which item.
        what: &'static str,
        /// Offset of the item's tag.
        offset: usize,
    },
    /// A compact-format command or response that ends too early.
    #[error("{what} truncated at byte offset {offset}")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Offset where more octets were needed.
        offset: usize,
    },
    /// An APDU inside the structure is malformed.
    #[error(transparent)]
    Apdu(#[from] apdu::Error),
}
