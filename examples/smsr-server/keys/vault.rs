//! The keys OTA and the SCP81 listener work with, whatever the custody:
//! [`EuiccKeys`] holds an eUICC's SCP80 KIc / KID as a [`KeySet`] over a
//! [`Vault`] (the crypto provider the custody chose at start: in memory,
//! or a PKCS#11 token holding the keys) and its SCP81 PSK as a [`Psk`]
//! that gives the octets only for one handshake.
//!
//! The SCP80 wrap, checksum, PoR verify and unwrap go through
//! [`smsr::crypto::Provider`] (ETSI TS 102 225 §5.1.2 ciphering, §5.1.3
//! checksums): on the PKCS#11 custody with object handles only, so the
//! clear [`Secrets`] exist only on the in-memory (sealed) custody.

use std::sync::Arc;

use smsr::crypto::provider::{Failure, Operation};
use smsr::crypto::{self, CipherAlgorithm, Key, Provider, Software, SoftwareKey, Tag};
use smsr::scp80::{KeySet, Kic, Kid};
use zeroize::Zeroizing;

use super::guard::Guarded;
use crate::hsm::HsmKey;
use crate::store::{Secrets, scp80_kic_kid};

/// The provider the custody chose at start.
#[derive(Clone)]
pub enum Vault {
    /// RustCrypto in memory (the sealed custody).
    Memory,
    /// A PKCS#11 token, relogged in automatically ([`Guarded`]).
    Hsm(Arc<Guarded>),
}

/// A key of a [`Vault`].
pub enum VaultKey {
    /// An expanded in-memory key (its schedules are large: boxed).
    Memory(Box<SoftwareKey>),
    /// A token object, by label.
    Hsm(HsmKey),
}

/// A key of one vault handed to the other: never happens with keys the
/// custody made, and is an error rather than a stand-in.
fn mismatch(operation: Operation) -> crypto::Error {
    crypto::Error::Provider {
        operation,
        failure: Failure::NotFound,
        code: 0,
    }
}

impl Provider for Vault {
    type Key = VaultKey;

    fn key_algorithm(&self, key: &VaultKey) -> CipherAlgorithm {
        match key {
            VaultKey::Memory(k) => Software.key_algorithm(k),
            VaultKey::Hsm(k) => k.algorithm(),
        }
    }

    fn encrypt_cbc(&self, key: &VaultKey, buf: &mut [u8]) -> Result<(), crypto::Error> {
        match (self, key) {
            (Self::Memory, VaultKey::Memory(k)) => Software.encrypt_cbc(k, buf),
            (Self::Hsm(h), VaultKey::Hsm(k)) => h.run(|hsm| hsm.encrypt_cbc(k, buf)),
            _ => Err(mismatch(Operation::Encrypt)),
        }
    }

    fn decrypt_cbc(&self, key: &VaultKey, buf: &mut [u8]) -> Result<(), crypto::Error> {
        match (self, key) {
            (Self::Memory, VaultKey::Memory(k)) => Software.decrypt_cbc(k, buf),
            (Self::Hsm(h), VaultKey::Hsm(k)) => h.run(|hsm| hsm.decrypt_cbc(k, buf)),
            _ => Err(mismatch(Operation::Decrypt)),
        }
    }

    fn mac(&self, key: &VaultKey, parts: &[&[u8]]) -> Result<Tag, crypto::Error> {
        match (self, key) {
            (Self::Memory, VaultKey::Memory(k)) => Software.mac(k, parts),
            (Self::Hsm(h), VaultKey::Hsm(k)) => h.run(|hsm| hsm.mac(k, parts)),
            _ => Err(mismatch(Operation::Mac)),
        }
    }

    fn import(&self, key: &Key) -> Result<VaultKey, crypto::Error> {
        match self {
            Self::Memory => Software.import(key).map(|k| VaultKey::Memory(Box::new(k))),
            Self::Hsm(h) => h.run(|hsm| hsm.import(key)).map(VaultKey::Hsm),
        }
    }
}

/// The SCP81 PSK of an eUICC.
pub enum Psk {
    /// In memory (the sealed custody), zeroized on drop.
    Memory(Zeroizing<Vec<u8>>),
    /// Wrapped under the token's key-wrap key; unwrapped by [`Psk::reveal`].
    Wrapped {
        /// The token.
        hsm: Arc<Guarded>,
        /// The label of the key-wrap key.
        wrap_key: Arc<str>,
        /// The `CKM_AES_KEY_WRAP_PAD` output.
        blob: Vec<u8>,
        /// The PSK's length in octets.
        len: usize,
    },
}

impl Psk {
    /// The PSK octets for one TLS handshake, zeroized when dropped.
    ///
    /// # Errors
    /// The token fails to unwrap the PSK.
    pub fn reveal(&self) -> Result<Zeroizing<Vec<u8>>, crypto::Error> {
        match self {
            Self::Memory(k) => Ok(k.clone()),
            Self::Wrapped {
                hsm,
                wrap_key,
                blob,
                len,
            } => hsm.run(|h| h.unwrap_psk(wrap_key, blob, *len)),
        }
    }
}

/// The keys of one eUICC, as OTA and the SCP81 listener use them.
pub struct EuiccKeys {
    /// MSISDN the SMS for this eUICC go to.
    pub msisdn: String,
    /// SCP80 key version of the ISD-R key set.
    pub scp80_kvn: u8,
    /// SCP81 key version (`40`–`4F`).
    pub scp81_kvn: u8,
    /// SCP81 key identifier.
    pub scp81_key_id: u8,
    /// The algorithm of the SCP80 KIc and KID (AES or 3DES).
    pub scp80_algorithm: CipherAlgorithm,
    /// The SCP80 KIc and KID.
    pub scp80: KeySet<Vault>,
    /// The SCP81 PSK.
    pub psk: Psk,
}

impl EuiccKeys {
    /// The keys of clear `secrets`, expanded in memory.
    ///
    /// # Errors
    /// A KIc or KID of the wrong length.
    pub fn in_memory(s: &Secrets) -> Result<Self, String> {
        let algorithm = s.scp80_algorithm;
        let kic = algorithm
            .key(&s.scp80_kic)
            .map_err(|e| format!("KIc key: {e}"))?;
        let kid = algorithm
            .key(&s.scp80_kid)
            .map_err(|e| format!("KID key: {e}"))?;
        Ok(Self {
            msisdn: s.msisdn.clone(),
            scp80_kvn: s.scp80_kvn,
            scp81_kvn: s.scp81_kvn,
            scp81_key_id: s.scp81_key_id,
            scp80_algorithm: kic.algorithm(),
            scp80: KeySet::with_provider(Vault::Memory)
                .with_kic_handle(VaultKey::Memory(Box::new(SoftwareKey::new(&kic))))
                .with_kid_handle(VaultKey::Memory(Box::new(SoftwareKey::new(&kid)))),
            psk: Psk::Memory(Zeroizing::new(s.scp81_psk.clone())),
        })
    }

    /// The KIc and KID of the SM-SR's SCP80 command packets to this eUICC.
    pub fn scp80_kic_kid(&self) -> (Kic, Kid) {
        scp80_kic_kid(self.scp80_kvn, self.scp80_algorithm)
    }
}

impl core::fmt::Debug for EuiccKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "EuiccKeys(msisdn {}, keys held)", self.msisdn)
    }
}
