//! The ISD-P key set established by ES8.EstablishISDPKeySet.

use crate::crypto::Key;

/// The SCP03 key set of an ISD-P after scenario #3 (SGP.02 §4.1.3.1; GP
/// Amd A table 3-29 key order S-ENC, S-MAC, DEK), ready for SCP03t. Keys
/// are zeroized on drop and not printed.
#[derive(Clone)]
pub struct KeySet {
    /// Key version number (CRT tag `83`).
    pub kvn: u8,
    /// Key identifier of the first key (CRT tag `82`).
    pub key_id: u8,
    /// Secure channel encryption key.
    pub s_enc: Key,
    /// Secure channel MAC key.
    pub s_mac: Key,
    /// Data encryption key.
    pub dek: Key,
}

impl KeySet {
    /// Length of each key in octets (16, 24 or 32).
    #[must_use]
    pub const fn key_len(&self) -> usize {
        self.s_enc.algorithm().key_len()
    }
}

impl core::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySet")
            .field("kvn", &self.kvn)
            .field("key_id", &self.key_id)
            .field("key_len", &self.key_len())
            .finish_non_exhaustive()
    }
}
