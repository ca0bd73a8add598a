//! Errors of the SCP81 layer: trigger TLVs, PSK identities, the HTTP admin
//! codec and the sessions.

use crate::tlv::{self, Tag};
use crate::{remote, scp80};

/// What went wrong in the SCP81 layer, and where (byte offsets for parsers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The BER-TLV framing itself is broken.
    #[error("TLV: {0}")]
    Tlv(#[from] tlv::Error),
    /// A command or response script is not a valid TS 102 226 expanded
    /// script.
    #[error("remote script: {0}")]
    Remote(#[from] remote::Error),
    /// Securing the push for SMS failed.
    #[error("SCP80: {0}")]
    Scp80(#[from] scp80::Error),
    /// A TLV with a tag that does not belong at this place.
    #[error("unexpected tag {tag} in {context} at byte offset {offset}")]
    UnexpectedTag {
        /// The tag found.
        tag: Tag,
        /// The structure being parsed.
        context: &'static str,
        /// Offset of the tag.
        offset: usize,
    },
    /// The same TLV appears twice in one template.
    #[error("{what} appears twice at byte offset {offset}")]
    Duplicate {
        /// The field.
        what: &'static str,
        /// Offset of the second occurrence.
        offset: usize,
    },
    /// A mandatory field is absent.
    #[error("{what} missing in the structure at byte offset {offset}")]
    MissingField {
        /// The field.
        what: &'static str,
        /// Offset of the enclosing structure.
        offset: usize,
    },
    /// A field has a length its definition does not allow.
    #[error("{what} has a bad length ({len}) at byte offset {offset}")]
    BadLength {
        /// The field.
        what: &'static str,
        /// The length found.
        len: usize,
        /// Offset of the field.
        offset: usize,
    },
    /// A field has a value its definition does not allow.
    #[error("{what} has a bad value at byte offset {offset}")]
    BadValue {
        /// The field.
        what: &'static str,
        /// Offset of the field (for text: of the character).
        offset: usize,
    },
    /// A value is longer than the fixed-size storage that holds it.
    #[error("{what} longer than {max} bytes")]
    TooLong {
        /// The field.
        what: &'static str,
        /// The capacity.
        max: usize,
    },
    /// An HTTP message is malformed.
    #[error("HTTP: malformed {what} at byte offset {offset}")]
    Malformed {
        /// The part of the message.
        what: &'static str,
        /// Offset in the message.
        offset: usize,
    },
    /// An HTTP feature this codec does not implement (or the protocol forbids).
    #[error("HTTP: unsupported {what} at byte offset {offset}")]
    Unsupported {
        /// The feature.
        what: &'static str,
        /// Offset in the message.
        offset: usize,
    },
    /// More header fields than [`Limits::max_headers`](super::http::Limits::max_headers).
    #[error("HTTP: more than {limit} header fields")]
    TooManyHeaders {
        /// The limit.
        limit: usize,
    },
    /// Start line and header fields longer than
    /// [`Limits::max_head_len`](super::http::Limits::max_head_len).
    #[error("HTTP: header section longer than {limit} bytes")]
    HeadersTooLarge {
        /// The limit.
        limit: usize,
    },
    /// A body larger than [`Limits::max_body_len`](super::http::Limits::max_body_len).
    #[error("HTTP: body of at least {size} bytes exceeds the limit of {limit}")]
    BodyTooLarge {
        /// The size announced or seen so far.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A header the admin protocol requires is absent.
    #[error("HTTP: header {name} missing")]
    MissingHeader {
        /// The header name.
        name: &'static str,
    },
    /// A header has a value the admin protocol does not allow.
    #[error("HTTP: bad value for header {name}")]
    BadHeaderValue {
        /// The header name.
        name: &'static str,
    },
    /// The output buffer cannot hold the encoding.
    #[error("output buffer too small: {needed} bytes needed, {available} available")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The peer broke the admin protocol's sequence.
    #[error("session: {what}")]
    Protocol {
        /// What happened.
        what: &'static str,
    },
    /// No complete request or response arrived in time.
    #[error("session: timed out")]
    Timeout,
    /// The script queue is full.
    #[error("session: script queue full ({capacity} scripts)")]
    QueueFull {
        /// The queue's capacity.
        capacity: usize,
    },
    /// The session has ended; it takes no more input.
    #[error("session: already ended")]
    Ended,
}
