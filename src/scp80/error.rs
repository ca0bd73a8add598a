//! Errors of the SCP80 layer, each mapped to the PoR status a card would
//! answer (ETSI TS 102 225 §5.2.1 table 5).

use super::PorStatus;
use crate::crypto;

/// Which key of a key set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRole {
    /// The ciphering key (KIc).
    Kic,
    /// The RC/CC/DS key (KID).
    Kid,
}

/// The algorithm of a key-set entry, as reported in
/// [`Error::KeyMismatch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// A block cipher key.
    Cipher(crypto::CipherAlgorithm),
    /// A checksum (keyed CC or CRC).
    Checksum(crypto::ChecksumAlgorithm),
}

/// What was wrong with a packet, a key set or an SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ends before a field.
    #[error("truncated: {field} needs {needed} octets at offset {offset}, {have} available")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Its offset.
        offset: usize,
        /// Octets needed from the offset.
        needed: usize,
        /// Octets available from the offset.
        have: usize,
    },
    /// A length field disagrees with the data.
    #[error("{field} at offset {offset} says {declared}, but {actual} octets follow")]
    LengthMismatch {
        /// CPL, CHL, RPL, RHL or UDL.
        field: &'static str,
        /// Its offset.
        offset: usize,
        /// The value it holds.
        declared: usize,
        /// What the data gives.
        actual: usize,
    },
    /// A header length the SPI and KID cannot produce.
    #[error("{field} {declared} does not fit a {expected}-octet RC/CC/DS")]
    HeaderLength {
        /// CHL or RHL.
        field: &'static str,
        /// The value held.
        declared: usize,
        /// The RC/CC/DS length the SPI and KID ask for.
        expected: usize,
    },
    /// A malformed BER length (generic framing).
    #[error("bad BER length at offset {offset}")]
    BadLength {
        /// The offset of the length.
        offset: usize,
    },
    /// The CPI / RPI / CHI / RHI octet is not the expected one.
    #[error("unexpected identifier {found:#04X} at offset {offset}")]
    Identifier {
        /// The offset.
        offset: usize,
        /// The octet found.
        found: u8,
    },
    /// The ciphered part is not whole cipher blocks.
    #[error("ciphered part of {len} octets is not a multiple of {block}")]
    CipherLength {
        /// Its length.
        len: usize,
        /// The block length.
        block: usize,
    },
    /// PCNTR names more padding than the packet holds or than ciphering
    /// can add.
    #[error("padding counter {pcntr} is wrong for {data_len} octets of secured data")]
    Padding {
        /// The PCNTR octet.
        pcntr: u8,
        /// Secured data length including padding.
        data_len: usize,
        /// Whether the packet was ciphered.
        ciphered: bool,
    },
    /// The RC, CC or DS did not verify.
    #[error("RC/CC/DS verification failed")]
    ChecksumFailed,
    /// The SPI asks for a digital signature, which is not supported.
    #[error("digital signatures (DS) are not supported")]
    DigitalSignature,
    /// The KIc / KID algorithm is reserved, proprietary or unsupported.
    #[error("unsupported {role:?} algorithm {code:#X}")]
    UnsupportedAlgorithm {
        /// Which identifier.
        role: KeyRole,
        /// The algorithm nibble.
        code: u8,
    },
    /// The key set has no key for this role.
    #[error("no {0:?} key in the key set")]
    MissingKey(KeyRole),
    /// The key set's key is not for the algorithm the packet names.
    #[error("the {role:?} key ({have:?}) does not fit algorithm {code:#X}")]
    KeyMismatch {
        /// Which identifier.
        role: KeyRole,
        /// The algorithm nibble of the packet.
        code: u8,
        /// The key set's algorithm for this role.
        have: KeyKind,
    },
    /// The counter was refused (status `02`, `03` or `04`).
    #[error("counter refused: {0}")]
    Counter(PorStatus),
    /// The counter store failed.
    #[error("counter store failed")]
    CounterStore,
    /// An output buffer is too small.
    #[error("output buffer of {have} octets, {needed} needed")]
    BufferTooSmall {
        /// Octets needed.
        needed: usize,
        /// Octets available.
        have: usize,
    },
    /// The packet is longer than its length fields or the bearer allow.
    #[error("packet of {len} octets exceeds the maximum of {max}")]
    TooLong {
        /// The length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// A malformed SMS TPDU or user data header.
    #[error("malformed SMS: {what} at offset {offset}")]
    Sms {
        /// What was wrong.
        what: &'static str,
        /// Where.
        offset: usize,
    },
    /// A concatenated SMS could not be reassembled.
    #[error("concatenation: {what} (segment {seq} of {total})")]
    Concatenation {
        /// What was wrong.
        what: &'static str,
        /// The sequence number concerned.
        seq: u8,
        /// The total announced.
        total: u8,
    },
    /// A crypto primitive failed.
    #[error(transparent)]
    Crypto(#[from] crypto::Error),
}

impl Error {
    /// The PoR status a card answers for this error, if any (errors of
    /// the sending side and of SMS framing have none).
    #[must_use]
    pub const fn por_status(&self) -> Option<PorStatus> {
        Some(match self {
            Self::ChecksumFailed => PorStatus::RC_CC_DS_FAILED,
            Self::Counter(s) => *s,
            Self::CipherLength { .. } | Self::Padding { ciphered: true, .. } => {
                PorStatus::CIPHERING_ERROR
            }
            Self::UnsupportedAlgorithm { .. }
            | Self::MissingKey(_)
            | Self::KeyMismatch { .. }
            | Self::DigitalSignature
            | Self::HeaderLength { .. }
            | Self::Padding {
                ciphered: false, ..
            }
            | Self::Crypto(_) => PorStatus::UNIDENTIFIED_SECURITY_ERROR,
            Self::CounterStore | Self::BufferTooSmall { .. } => PorStatus::INSUFFICIENT_MEMORY,
            _ => return None,
        })
    }
}
