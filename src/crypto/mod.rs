//! Symmetric primitives of the OTA security layer (ETSI TS 102 225 §5.1,
//! 3GPP TS 31.115): CBC ciphering with a zero IV, the cryptographic
//! checksums (DES/3DES CBC-MAC, AES-CMAC) and the redundancy checks
//! (CRC16 X.25, CRC32).
//!
//! Everything is built on RustCrypto (`des`, `aes`, `cbc`, `cbc-mac`,
//! `cmac`) and `crc`; nothing here allocates. Keys are typed by algorithm
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
pub use provider::{Provider, Software, SoftwareKey};
