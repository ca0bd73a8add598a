//! The master key of the sealed custody ([`super::sealed`]): 32 octets
//! (AES-256), written as 64 hex digits, read from a file
//! (`--master-key-file`) or the `SMSR_MASTER_KEY` environment variable,
//! never from the database or the config file. Its identifier
//! ([`MasterKey::id`]) is the key check value: the first 8 octets of the
//! AES-256 encryption of a zero block (the KCV of ANSI X9.24 / GP
//! practice, here 8 octets), stored with every sealed record so that a
//! wrong key is named at once.

use std::path::Path;

use aes::Aes256;
use aes::cipher::{Array, BlockCipherEncrypt, KeyInit};
use zeroize::Zeroizing;

use super::CustodyError;

/// The environment variable holding the master key (hex).
pub const ENV: &str = "SMSR_MASTER_KEY";

/// An AES-256 master key (zeroized on drop, never in Debug).
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl core::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "MasterKey({}, redacted)", self.id())
    }
}

impl MasterKey {
    /// The key written as 64 hex digits (surrounding whitespace ignored).
    ///
    /// # Errors
    /// Not 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, CustodyError> {
        let mut key = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text.trim(), &mut *key).map_err(|_| {
            CustodyError::MasterKey("not 64 hex digits (an AES-256 key, 32 octets)".into())
        })?;
        Ok(Self(key))
    }

    /// The key in the file `path` (64 hex digits).
    ///
    /// # Errors
    /// The file cannot be read or does not hold 64 hex digits.
    pub fn from_file(path: &Path) -> Result<Self, CustodyError> {
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|e| CustodyError::MasterKey(format!("{}: {e}", path.display())))?,
        );
        Self::from_hex(&text)
            .map_err(|e| CustodyError::MasterKey(format!("{}: {e}", path.display())))
    }

    /// The key of `file` when given, else of [`ENV`]; `None` when neither.
    ///
    /// # Errors
    /// The file or the variable does not hold a key.
    pub fn from_sources(file: Option<&Path>) -> Result<Option<Self>, CustodyError> {
        if let Some(f) = file {
            return Self::from_file(f).map(Some);
        }
        match std::env::var(ENV) {
            Ok(v) => Self::from_hex(&Zeroizing::new(v))
                .map(Some)
                .map_err(|e| CustodyError::MasterKey(format!("{ENV}: {e}"))),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(CustodyError::MasterKey(format!("{ENV}: not 64 hex digits")))
            }
        }
    }

    /// A fresh random key (the demo's temporary database, `keygen`).
    ///
    /// # Errors
    /// The system random generator failed.
    pub fn generate() -> Result<Self, CustodyError> {
        use aes_gcm::aead::Generate;
        let k = Zeroizing::new(
            aes_gcm::Key::<aes_gcm::Aes256Gcm>::try_generate()
                .map_err(|e| CustodyError::Random(e.to_string()))?,
        );
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(k.as_slice());
        Ok(Self(key))
    }

    /// The key as 64 hex digits (to write a new key file).
    pub fn dangerous_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode_upper(*self.0))
    }

    /// The key octets (for the AEAD).
    pub(super) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key identifier: the first 8 octets of AES-256(key, 0¹²⁸), hex.
    pub fn id(&self) -> String {
        let aes = Aes256::new(&Array::from(*self.0));
        let mut block = Array::from([0u8; 16]);
        aes.encrypt_block(&mut block);
        hex::encode_upper(block.iter().take(8).copied().collect::<Vec<u8>>())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    /// The key identifier is AES-256 of a zero block, so the cipher is
    /// checked against NIST FIPS 197 Appendix C.3 (key 00…1F, plaintext
    /// 00112233…FF) and the identifier against Python `cryptography`.
    #[test]
    fn key_id_is_aes256_of_a_zero_block() {
        let k = MasterKey::from_hex(&hex::encode((0u8..32).collect::<Vec<u8>>())).unwrap();
        // FIPS 197 C.3: AES-256(000102…1F, 00112233445566778899AABBCCDDEEFF)
        // = 8EA2B7CA516745BFEAFC49904B496089.
        let aes = Aes256::new(&Array::from(*k.0));
        let mut block =
            Array::from(*b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff");
        aes.encrypt_block(&mut block);
        assert_eq!(hex::encode_upper(block), "8EA2B7CA516745BFEAFC49904B496089");
        // Python `cryptography`: Cipher(algorithms.AES(bytes(range(32))),
        // modes.ECB()).encryptor().update(bytes(16)) = F29000B62A499FD0….
        assert_eq!(k.id(), "F29000B62A499FD0");
        assert_ne!(k.id(), MasterKey::from_hex(&"00".repeat(32)).unwrap().id());
    }

    #[test]
    fn bad_keys_are_refused_and_debug_shows_no_key() {
        assert!(MasterKey::from_hex("00").is_err());
        assert!(MasterKey::from_hex(&"zz".repeat(32)).is_err());
        let k = MasterKey::from_hex(&"A5".repeat(32)).unwrap();
        let d = format!("{k:?}");
        assert!(!d.contains("A5A5") && !d.contains("a5a5"), "{d}");
    }
}
