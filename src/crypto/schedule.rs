//! The expanded block-cipher key schedule of a [`Key`], shared by
//! ciphering ([`super::Cipher`]) and cryptographic checksums
//! ([`super::Checksum`]): one expansion per algorithm (ETSI TS 102 225
//! §5.1.2, §5.1.3.1), zeroized on drop by the RustCrypto types.

use aes::{Aes128, Aes192, Aes256};
use cipher::KeyInit;
use des::{Des, TdesEde2, TdesEde3};

use super::Key;
use super::key::Material;

/// A key schedule for one of the TS 102 225 block ciphers.
#[derive(Clone)]
pub(crate) enum Schedule {
    Des(Des),
    Tdes2(TdesEde2),
    Tdes3(TdesEde3),
    Aes128(Aes128),
    Aes192(Aes192),
    Aes256(Aes256),
}

impl Schedule {
    /// Expands `key`. Infallible: a [`Key`] holds exactly the octets its
    /// algorithm needs, so every algorithm gets its own schedule and no
    /// fallback exists.
    pub(crate) fn expand(key: &Key) -> Self {
        match key.material() {
            Material::Des(k) => Self::Des(Des::new(k.into())),
            Material::Tdes2(k) => Self::Tdes2(TdesEde2::new(k.into())),
            Material::Tdes3(k) => Self::Tdes3(TdesEde3::new(k.into())),
            Material::Aes128(k) => Self::Aes128(Aes128::new(k.into())),
            Material::Aes192(k) => Self::Aes192(Aes192::new(k.into())),
            Material::Aes256(k) => Self::Aes256(Aes256::new(k.into())),
        }
    }
}
