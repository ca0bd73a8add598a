//! Elliptic-curve key agreement and signatures of SGP.02 scenario #3
//! (ES8.EstablishISDPKeySet; GP Card Specification Amendment A / E,
//! BSI TR-03111): ECKA-EG on NIST P-256 or brainpoolP256r1, the ANSI
//! X9.63 KDF with SHA-256 and ECDSA with SHA-256 in the plain `r ‖ s`
//! format of tag `5F37`.
//!
//! Built on RustCrypto `p256`, `bp256` and `sha2` (one `elliptic-curve`
//! generation); no curve arithmetic is written here. A key knows its
//! [`Curve`]; keys of different curves are never mixed. Private keys and
//! the shared secret are zeroized on drop and never printed.

mod curve;
mod error;
mod kdf;
mod keys;
mod scenario3;
mod signature;

pub use curve::Curve;
pub use error::Error;
pub use kdf::x963_kdf_sha256;
pub use keys::{POINT_LEN, PrivateKey, PublicKey, SCALAR_LEN, SharedSecret};
pub use scenario3::{DerivedKeys, KeyUsageQualifier, RECEIPT_LEN, SharedInfo, receipt};
pub use signature::{SIGNATURE_LEN, Signature};
