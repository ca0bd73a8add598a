//! ES8 (SM-DP ↔ ISD-P, relayed by the SM-SR over ES3/ES5; SGP.02 §4.1.3,
//! §5.5): the profile download over SCP03t and the connectivity parameters
//! over SCP03.

#[cfg(feature = "alloc")]
pub mod connectivity;
#[cfg(feature = "alloc")]
pub mod download;
