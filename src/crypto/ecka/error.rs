//! Errors of the ECKA / ECDSA layer.

/// What went wrong in key agreement, derivation or a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A private key that is not a scalar in `1..n` of the curve.
    #[error("the private key is not a valid scalar of its curve (1..n, 32 octets)")]
    PrivateKey,
    /// A public key that is not an uncompressed point on the curve.
    #[error("the public key is not an uncompressed point on its curve (04 ‖ X ‖ Y, 65 octets)")]
    PublicKey,
    /// Two keys on different curves used together (ECKA or a signature).
    #[error("a {ours} key cannot be used with a {theirs} key")]
    CurveMismatch {
        /// The curve of our (private or verifying) key.
        ours: super::Curve,
        /// The curve of the other key.
        theirs: super::Curve,
    },
    /// A signature of the wrong length or with `r`/`s` out of range.
    #[error("the signature is not 64 octets r ‖ s with r, s in 1..n")]
    SignatureFormat,
    /// A well-formed signature that does not verify.
    #[error("the signature does not verify")]
    SignatureMismatch,
    /// More KDF output than X9.63 can produce (counter overflow) or than
    /// the output buffer holds.
    #[error("{len} octets of key data cannot be derived")]
    KeyDataLength {
        /// The length asked for.
        len: usize,
    },
    /// A SharedInfo field longer than its one-octet length allows.
    #[error("SharedInfo field {what} of {len} octets is too long (at most 127)")]
    SharedInfoField {
        /// Which field.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// A key usage qualifier that names no key set SGP.02 establishes.
    #[error("key usage qualifier {0:02X} is neither 10 (three SCP03 keys) nor 5C (one key)")]
    KeyUsage(u8),
    /// A key length that is not an AES key length.
    #[error("key length {0} is not 16, 24 or 32")]
    KeyLength(u8),
    /// The crypto provider holding the private key (an HSM) failed;
    /// nothing fell back.
    #[error("{0}")]
    Provider(crate::crypto::Error),
}
