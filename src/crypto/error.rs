//! Errors of the crypto layer.

use super::CipherAlgorithm;
use super::provider::{Failure, Operation};

/// What went wrong in a crypto primitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key of the wrong length was given for an algorithm.
    #[error("key of {actual} octets does not fit {algorithm:?} (needs {expected})")]
    KeyLength {
        /// The algorithm the key was meant for.
        algorithm: CipherAlgorithm,
        /// The length that algorithm needs.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// An AES key that is neither 16, 24 nor 32 octets long.
    #[error("AES key of {0} octets (must be 16, 24 or 32)")]
    AesKeyLength(usize),
    /// CBC input that is not a whole number of cipher blocks.
    #[error("{len} octets is not a multiple of the {block}-octet cipher block")]
    NotBlockAligned {
        /// The input length.
        len: usize,
        /// The block length of the cipher.
        block: usize,
    },
    /// A checksum length the algorithm cannot produce.
    #[error("a {algorithm:?} checksum cannot be {len} octets long")]
    TagLength {
        /// The checksum algorithm.
        algorithm: super::ChecksumAlgorithm,
        /// The length asked for.
        len: usize,
    },
    /// An SP 800-108 output length the GP fixed input cannot express
    /// (empty, or over 255 blocks).
    #[error("a KDF output of {0} octets (must be 1..=4080)")]
    KdfLength(usize),
    /// The crypto provider (an HSM) failed; nothing fell back.
    #[error("crypto provider failed ({operation:?}, {failure:?}, code {code:#x})")]
    Provider {
        /// What it was asked to do.
        operation: Operation,
        /// Why it failed.
        failure: Failure,
        /// The provider's own code (a PKCS#11 `CKR_` value for an HSM).
        code: u64,
    },
}
