//! Errors of the BER-TLV layer.

/// What was wrong with a TLV encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended inside a tag, a length or a value.
    UnexpectedEnd,
    /// A tag number needs more than the 4 tag octets this crate supports.
    TagTooLong,
    /// The first subsequent tag octet is `80` (X.690 §8.1.2.4.2 c forbids
    /// it), or a tag `00` inside an indefinite-length value, where only the
    /// end-of-contents octets `00 00` may start with `00` (X.690 §8.1.5).
    InvalidTag,
    /// A length field longer than 4 octets (`85` and above) or the reserved `FF`.
    LengthTooLong,
    /// A long-form length that a shorter form could have encoded (strict mode).
    NonMinimalLength,
    /// An indefinite length (`80`) where the caller did not allow one.
    IndefiniteNotAllowed,
    /// An indefinite length on a primitive tag (X.690 §8.1.3.2 a).
    IndefinitePrimitive,
    /// An indefinite-length value without its end-of-contents octets `00 00`.
    MissingEndOfContents,
    /// Nesting deeper than [`Options::max_depth`](super::Options::max_depth).
    TooDeep,
    /// Bytes left after the TLV that should have covered the whole input.
    TrailingData,
    /// The output buffer is too small for the encoding.
    BufferTooSmall,
    /// A value longer than a 4-octet length field can express.
    ValueTooLong,
    /// A tag number below 31 in the multi-octet form (strict mode; X.690
    /// §8.1.2.2 requires the single octet).
    NonMinimalTag,
}

/// A BER-TLV error: what was wrong and at which byte of the outermost input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} at byte offset {offset}", kind_text(.kind))]
pub struct Error {
    /// What was wrong.
    pub kind: ErrorKind,
    /// Offset of the offending byte in the outermost input (for writers:
    /// the number of bytes already written).
    pub offset: usize,
}

impl Error {
    /// An error of `kind` at `offset`.
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
}

fn kind_text(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::UnexpectedEnd => "input ends inside a TLV",
        ErrorKind::TagTooLong => "tag longer than 4 octets",
        ErrorKind::InvalidTag => "malformed multi-octet tag",
        ErrorKind::LengthTooLong => "length field longer than 4 octets",
        ErrorKind::NonMinimalLength => "non-minimal length encoding",
        ErrorKind::IndefiniteNotAllowed => "indefinite length not allowed here",
        ErrorKind::IndefinitePrimitive => "indefinite length on a primitive tag",
        ErrorKind::MissingEndOfContents => "indefinite length without end-of-contents",
        ErrorKind::TooDeep => "TLV nesting too deep",
        ErrorKind::TrailingData => "trailing bytes after TLV",
        ErrorKind::BufferTooSmall => "output buffer too small",
        ErrorKind::ValueTooLong => "value too long for a 4-octet length",
        ErrorKind::NonMinimalTag => "tag number below 31 in the multi-octet form",
    }
}
