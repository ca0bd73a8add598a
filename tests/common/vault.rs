// Shared by several test binaries, each using part of it.
#![allow(dead_code)]

//! A handle-only crypto provider for the provider-seam tests
//! (`tests/crypto_provider.rs`, `tests/scp03t_provider.rs`): its keys are
//! opaque handles into a vault only it reads, it derives SCP03 session
//! keys inside itself and buffers each streamed MAC as an HSM session
//! would, counts every call, and can be switched off (an HSM gone away).
//! The protocol code under test only ever holds [`Handle`]s.

use std::cell::{Cell, RefCell};

use smsr::crypto::provider::{Failure, Operation};
use smsr::crypto::{
    self, CipherAlgorithm, Key, Provider, Scp03Provider, Software, SoftwareKey, Tag,
};
use smsr::scp03t::StaticKeys;

/// An opaque key handle: an index into the vault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handle(usize);

/// The provider (see the module documentation).
#[derive(Default)]
pub struct Vault {
    keys: RefCell<Vec<SoftwareKey>>,
    /// CBC encryptions.
    pub encrypts: Cell<usize>,
    /// CBC decryptions.
    pub decrypts: Cell<usize>,
    /// MACs (one-shot and finished streams).
    pub macs: Cell<usize>,
    /// Session keys derived inside.
    pub derives: Cell<usize>,
    /// When set, every operation fails as an HSM that went away.
    pub down: Cell<bool>,
}

impl Vault {
    fn key(&self, h: &Handle, op: Operation) -> Result<SoftwareKey, crypto::Error> {
        if self.down.get() {
            return Err(crypto::Error::Provider {
                operation: op,
                failure: Failure::Unavailable,
                code: 0xB3,
            });
        }
        self.keys
            .borrow()
            .get(h.0)
            .cloned()
            .ok_or(crypto::Error::Provider {
                operation: Operation::Lookup,
                failure: Failure::NotFound,
                code: 0x82,
            })
    }

    fn keep(&self, k: SoftwareKey) -> Handle {
        let mut v = self.keys.borrow_mut();
        v.push(k);
        Handle(v.len() - 1)
    }

    /// Encryptions and decryptions.
    pub fn ciphers(&self) -> usize {
        self.encrypts.get() + self.decrypts.get()
    }

    /// Every block operation.
    pub fn calls(&self) -> usize {
        self.ciphers() + self.macs.get()
    }

    /// Static SCP03 keys imported into the vault, as handles.
    pub fn statics(&self, enc: &[u8], mac: &[u8]) -> StaticKeys<&Vault> {
        let enc = self.import_static(&Key::aes(enc).unwrap()).unwrap();
        let mac = self.import_static(&Key::aes(mac).unwrap()).unwrap();
        StaticKeys::with_provider(self, enc, mac).unwrap()
    }
}

impl Provider for Vault {
    type Key = Handle;

    fn key_algorithm(&self, key: &Handle) -> CipherAlgorithm {
        self.keys.borrow()[key.0].algorithm()
    }

    fn encrypt_cbc(&self, key: &Handle, buf: &mut [u8]) -> Result<(), crypto::Error> {
        self.encrypts.set(self.encrypts.get() + 1);
        Software.encrypt_cbc(&self.key(key, Operation::Encrypt)?, buf)
    }

    fn decrypt_cbc(&self, key: &Handle, buf: &mut [u8]) -> Result<(), crypto::Error> {
        self.decrypts.set(self.decrypts.get() + 1);
        Software.decrypt_cbc(&self.key(key, Operation::Decrypt)?, buf)
    }

    fn mac(&self, key: &Handle, parts: &[&[u8]]) -> Result<Tag, crypto::Error> {
        self.macs.set(self.macs.get() + 1);
        Software.mac(&self.key(key, Operation::Mac)?, parts)
    }

    fn import(&self, key: &Key) -> Result<Handle, crypto::Error> {
        Ok(self.keep(SoftwareKey::new(key)))
    }
}

impl Scp03Provider for Vault {
    /// The data fed so far, kept on the provider's side of the seam.
    type MacState = Vec<u8>;

    fn derive(
        &self,
        key: &Handle,
        constant: u8,
        context: &[u8],
        algorithm: CipherAlgorithm,
    ) -> Result<Handle, crypto::Error> {
        self.derives.set(self.derives.get() + 1);
        let parent = self.key(key, Operation::Derive)?;
        Ok(self.keep(Software.derive(&parent, constant, context, algorithm)?))
    }

    fn mac_start(&self, key: &Handle) -> Result<Vec<u8>, crypto::Error> {
        self.key(key, Operation::Mac).map(|_| Vec::new())
    }

    fn mac_update(
        &self,
        key: &Handle,
        state: &mut Vec<u8>,
        data: &[u8],
    ) -> Result<(), crypto::Error> {
        self.key(key, Operation::Mac)?;
        state.extend_from_slice(data);
        Ok(())
    }

    fn mac_finish(&self, key: &Handle, state: Vec<u8>) -> Result<Tag, crypto::Error> {
        self.mac(key, &[&state])
    }
}
