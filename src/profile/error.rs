//! Errors of the profile-package layer.

use crate::tlv;

use super::PeType;

/// What was wrong with a profile package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A malformed BER-TLV encoding.
    Tlv(tlv::ErrorKind),
    /// A mandatory SEQUENCE member is absent (its ASN.1 name).
    MissingField(&'static str),
    /// A member has a value its ASN.1 type does not allow (its ASN.1 name).
    BadValue(&'static str),
    /// A typed accessor was asked for a ProfileElement of another type.
    WrongType {
        /// The type the accessor decodes.
        expected: PeType,
        /// The type of the element it was given.
        found: PeType,
    },
    /// A file-system accessor was given an element that is not built from
    /// a template.
    NotTemplate(PeType),
    /// The output buffer is too small.
    BufferTooSmall,
}

/// A profile-package error: what was wrong and at which byte of the outermost
/// input (the package, or the segment being processed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// What was wrong.
    pub kind: ErrorKind,
    /// Offset of the offending byte in the outermost input.
    pub offset: usize,
}

impl Error {
    /// An error of `kind` at `offset`.
    pub const fn new(kind: ErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
}

impl From<tlv::Error> for Error {
    fn from(e: tlv::Error) -> Self {
        Self::new(ErrorKind::Tlv(e.kind), e.offset)
    }
}

impl core::error::Error for Error {}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.kind {
            // The TLV layer words its own errors (with the offset).
            ErrorKind::Tlv(kind) => return write!(f, "{}", tlv::Error::new(kind, self.offset)),
            ErrorKind::MissingField(name) => write!(f, "missing mandatory member '{name}'")?,
            ErrorKind::BadValue(name) => write!(f, "invalid value of '{name}'")?,
            ErrorKind::WrongType { expected, found } => {
                write!(f, "expected a {expected} element, found {found}")?;
            }
            ErrorKind::NotTemplate(t) => write!(f, "{t} is not a file-system template element")?,
            ErrorKind::BufferTooSmall => f.write_str("output buffer too small")?,
        }
        write!(f, " at byte offset {}", self.offset)
    }
}
