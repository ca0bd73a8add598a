//! Symmetric primitives of the OTA security layer (ETSI TS 102 225 §5.1,
//! 3GPP TS 31.115): CBC ciphering with a zero IV, the cryptographic
//! checksums (DES/3DES CBC-MAC, AES-CMAC) and the redundancy checks
//! (CRC16 X.25, CRC32).
//!
//! The block ciphers are RustCrypto's (`des`, `aes`, `cbc` for
//! decryption); CBC encryption, CBC-MAC and CMAC run over our own
//! expanded schedules (one backend session per operation, AES-CMAC
//! subkeys derived once), checked against RustCrypto's `cbc-mac` and
//! `cmac` crates in the tests; CRCs are `crc`'s. Nothing here allocates. Keys are typed by algorithm
//! and length, are zeroized on drop and never printed. A [`Cipher`] or
//! [`Checksum`] holds an expanded key schedule: prepare it once and use it
//! for many packets. The [`provider`] seam runs the same operations
//! against key handles, so an HSM can hold the keys.

mod checksum;
mod cipher;
pub mod ecka;
mod error;
mod key;
pub mod provider;
mod schedule;

pub use checksum::{Checksum, ChecksumAlgorithm, Tag};
pub use cipher::Cipher;
pub use error::Error;
pub use key::{CipherAlgorithm, Key};
pub use provider::{EckaProvider, Provider, Scp03Provider, Software, SoftwareKey};
