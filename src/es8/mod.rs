//! ES8 (SM-DP ↔ ISD-P, relayed by the SM-SR over ES3/ES5; SGP.02 §4.1.3
//! and §5.5): scenario #3 key establishment (ES8.EstablishISDPKeySet,
//! GP Card Specification Amendment E) and the SGP.02 certificates
//! (DGI `3A01` / tag `7F21`), the profile download over SCP03t
//! (ES8.DownloadAndInstallation) and the connectivity parameters over
//! SCP03 (ES8.UpdateConnectivityParameters).
//!
//! The key-agreement crypto lives in [`crate::crypto::ecka`] and the
//! secure channel in [`crate::scp03t`]; this module owns the byte layouts
//! and the two sides of each exchange.

#[cfg(feature = "alloc")]
pub mod certificate;
#[cfg(feature = "alloc")]
pub mod connectivity;
pub mod crt;
#[cfg(feature = "alloc")]
pub mod download;
mod error;
#[cfg(feature = "alloc")]
pub mod establish;
mod key_set;
pub mod public_key;
mod read;
pub mod tags;

pub use error::Error;
pub use key_set::KeySet;
