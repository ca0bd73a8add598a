//! The ISD-P key set established by ES8.EstablishISDPKeySet.

use crate::crypto::{self, Key, Scp03Provider};
use crate::scp03t::{self, StaticKeys};

/// The SCP03 key set of an ISD-P after scenario #3 (SGP.02 §4.1.3.1; GP
/// Amd A table 3-29 key order S-ENC, S-MAC, DEK), ready for SCP03t.
///
/// `K` is how the keys are held: raw [`Key`]s (the default, zeroized on
/// drop, as the in-memory KDF produces them), or a crypto provider's
/// handles after [`KeySet::into_provider`] (an HSM's objects; the SM-DP
/// then runs SCP03t through [`KeySet::static_keys`] without key octets).
/// Keys are not printed.
#[derive(Clone)]
pub struct KeySet<K = Key> {
    /// Key version number (CRT tag `83`).
    pub kvn: u8,
    /// Key identifier of the first key (CRT tag `82`).
    pub key_id: u8,
    /// Secure channel encryption key.
    pub s_enc: K,
    /// Secure channel MAC key.
    pub s_mac: K,
    /// Data encryption key.
    pub dek: K,
}

impl KeySet {
    /// Length of each key in octets (16, 24 or 32).
    #[must_use]
    pub const fn key_len(&self) -> usize {
        self.s_enc.algorithm().key_len()
    }

    /// The same key set held by `provider`: S-ENC and S-MAC as static SCP03
    /// keys ([`Scp03Provider::import_static`], the base keys of the session
    /// key derivation), DEK with [`crypto::Provider::import`]; the raw keys
    /// are zeroized as `self` drops.
    ///
    /// # Errors
    /// The provider's [`crypto::Error::Provider`].
    pub fn into_provider<P: Scp03Provider>(
        self,
        provider: &P,
    ) -> Result<KeySet<P::Key>, crypto::Error> {
        Ok(KeySet {
            kvn: self.kvn,
            key_id: self.key_id,
            s_enc: provider.import_static(&self.s_enc)?,
            s_mac: provider.import_static(&self.s_mac)?,
            dek: provider.import(&self.dek)?,
        })
    }
}

impl<K: Clone> KeySet<K> {
    /// The SCP03t static keys (Key-ENC = S-ENC, Key-MAC = S-MAC) of this
    /// key set, held by `provider`.
    ///
    /// # Errors
    /// As [`StaticKeys::with_provider`] (keys not AES or of two lengths).
    pub fn static_keys<P: Scp03Provider<Key = K>>(
        &self,
        provider: P,
    ) -> Result<StaticKeys<P>, scp03t::Error> {
        StaticKeys::with_provider(provider, self.s_enc.clone(), self.s_mac.clone())
    }
}

impl<K> core::fmt::Debug for KeySet<K> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("KeySet")
            .field("kvn", &self.kvn)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{CipherAlgorithm, Provider, Software};

    /// Moved into the in-memory provider, the keys MAC as the raw keys do;
    /// `Debug` shows no key.
    #[test]
    fn into_provider_keeps_the_keys() {
        let raw = KeySet {
            kvn: 0x30,
            key_id: 1,
            s_enc: Key::aes(&[1; 16]).unwrap(),
            s_mac: Key::aes(&[2; 16]).unwrap(),
            dek: Key::aes(&[3; 16]).unwrap(),
        };
        let direct = Software.import(&raw.dek).unwrap();
        let held = raw.clone().into_provider(&Software).unwrap();
        assert_eq!((held.kvn, held.key_id), (0x30, 1));
        assert_eq!(
            Software.mac(&held.dek, &[b"x"]).unwrap(),
            Software.mac(&direct, &[b"x"]).unwrap()
        );
        let statics = held.static_keys(Software).unwrap();
        assert_eq!(statics.algorithm(), CipherAlgorithm::Aes128);
        let shown = alloc::format!("{held:?} {raw:?}");
        assert!(
            !shown.contains("01, 01") && !shown.contains("[1"),
            "{shown}"
        );
    }
}
