//! Errors of the SCP03t layer.

use crate::{crypto, tlv};

/// What was wrong with an SCP03t command or response TLV, or with the
/// state of the secure channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A malformed BER-TLV encoding.
    Tlv(tlv::ErrorKind),
    /// A key that is not an AES key, or static keys of different lengths
    /// (GP Amendment D §6.1: one AES key length per key set).
    Key(crypto::Error),
    /// A field of a command or response has a value SGP.02 / GP Amd D does
    /// not allow (which field).
    BadValue(&'static str),
    /// A TLV with another tag than the one expected at this point.
    UnexpectedTag {
        /// The tag expected.
        expected: u8,
        /// The tag found.
        found: u32,
    },
    /// The INITIALIZE UPDATE response announces S16 mode (i bit b1 set);
    /// SGP.02 fixes i = `70` (S8 mode), so S16 is refused.
    S16NotSupported,
    /// A security level GP Amendment D §5.1 does not define, or one that
    /// SGP.02 does not allow here.
    BadSecurityLevel(u8),
    /// The card cryptogram (host side) or host cryptogram (card side) does
    /// not verify.
    CryptogramMismatch,
    /// A C-MAC or R-MAC that does not verify.
    MacMismatch,
    /// Deciphered data whose padding is not `80 00 .. 00`.
    BadPadding,
    /// A ciphertext whose length is not a positive multiple of 16.
    BadCiphertextLength,
    /// A segment TLV larger than the negotiated maximum.
    SegmentTooLarge {
        /// The TLV length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A maximum segment size too small to carry any data.
    SegmentSizeTooSmall,
    /// A TLV that is not an `86` segment where one was expected.
    NotASegment,
    /// The encryption counter or the card's sequence counter has reached
    /// its maximum: the session (or the key set) must not be used again
    /// (GP Amendment D §6.2.6, §6.2.2.1).
    CounterExhausted,
    /// A command that is not allowed in the current session state (which
    /// command).
    OutOfSequence(&'static str),
    /// The card answered with an SCP03t error TLV `9F xx` carrying this
    /// status word.
    CardError {
        /// The tag of the refused command TLV.
        tag: u8,
        /// The status word.
        sw: u16,
    },
}

/// An SCP03t error: what was wrong and at which byte of the outermost input
/// (the TLV or stream being processed; 0 for a state error).
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

    /// The same error `base` bytes further into an enclosing input.
    #[must_use]
    pub const fn shifted(self, base: usize) -> Self {
        Self::new(self.kind, self.offset + base)
    }
}

impl From<tlv::Error> for Error {
    fn from(e: tlv::Error) -> Self {
        Self::new(ErrorKind::Tlv(e.kind), e.offset)
    }
}

impl From<crypto::Error> for Error {
    fn from(e: crypto::Error) -> Self {
        Self::new(ErrorKind::Key(e), 0)
    }
}

impl core::error::Error for Error {}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.kind {
            ErrorKind::Tlv(kind) => return write!(f, "{}", tlv::Error::new(kind, self.offset)),
            ErrorKind::Key(e) => write!(f, "SCP03 key: {e}")?,
            ErrorKind::BadValue(name) => write!(f, "invalid {name}")?,
            ErrorKind::UnexpectedTag { expected, found } => {
                write!(f, "expected tag '{expected:02X}', found '{found:X}'")?;
            }
            ErrorKind::S16NotSupported => f.write_str("S16 mode (SGP.02 uses S8, i = '70')")?,
            ErrorKind::BadSecurityLevel(l) => write!(f, "security level '{l:02X}' not allowed")?,
            ErrorKind::CryptogramMismatch => f.write_str("cryptogram does not verify")?,
            ErrorKind::MacMismatch => f.write_str("MAC does not verify")?,
            ErrorKind::BadPadding => f.write_str("bad '80 00..' padding")?,
            ErrorKind::BadCiphertextLength => {
                f.write_str("ciphertext length not a positive multiple of 16")?;
            }
            ErrorKind::SegmentTooLarge { len, max } => {
                write!(f, "segment of {len} bytes exceeds the maximum of {max}")?;
            }
            ErrorKind::SegmentSizeTooSmall => f.write_str("maximum segment size too small")?,
            ErrorKind::NotASegment => f.write_str("not an '86' segment TLV")?,
            ErrorKind::CounterExhausted => f.write_str("counter exhausted: session closed")?,
            ErrorKind::OutOfSequence(what) => write!(f, "{what} out of sequence")?,
            ErrorKind::CardError { tag, sw } => {
                write!(f, "card refused '{tag:02X}' with status '{sw:04X}'")?;
            }
        }
        write!(f, " at byte offset {}", self.offset)
    }
}
