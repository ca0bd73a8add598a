//! Key material typed by algorithm (ETSI TS 102 225 §5.1.2, §5.1.3).

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::Error;

/// A block cipher and key length used by SCP80 (KIc and KID algorithm
/// codings of ETSI TS 102 225 §5.1.2 / §5.1.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CipherAlgorithm {
    /// Single DES, 8-octet key.
    Des,
    /// Triple DES (EDE) with two keys, 16-octet key.
    Tdes2,
    /// Triple DES (EDE) with three keys, 24-octet key.
    Tdes3,
    /// AES with a 16-octet key.
    Aes128,
    /// AES with a 24-octet key.
    Aes192,
    /// AES with a 32-octet key.
    Aes256,
}

impl CipherAlgorithm {
    /// The key length in octets.
    #[must_use]
    pub const fn key_len(self) -> usize {
        match self {
            Self::Des => 8,
            Self::Tdes2 | Self::Aes128 => 16,
            Self::Tdes3 | Self::Aes192 => 24,
            Self::Aes256 => 32,
        }
    }

    /// The cipher block length in octets (8 for DES/3DES, 16 for AES).
    #[must_use]
    pub const fn block_len(self) -> usize {
        match self {
            Self::Des | Self::Tdes2 | Self::Tdes3 => 8,
            Self::Aes128 | Self::Aes192 | Self::Aes256 => 16,
        }
    }

    /// Whether this is one of the AES variants.
    #[must_use]
    pub const fn is_aes(self) -> bool {
        matches!(self, Self::Aes128 | Self::Aes192 | Self::Aes256)
    }

    /// The AES variant for a key of `len` octets.
    ///
    /// # Errors
    /// [`Error::AesKeyLength`] unless `len` is 16, 24 or 32.
    pub const fn aes_for_len(len: usize) -> Result<Self, Error> {
        match len {
            16 => Ok(Self::Aes128),
            24 => Ok(Self::Aes192),
            32 => Ok(Self::Aes256),
            other => Err(Error::AesKeyLength(other)),
        }
    }
}

/// A secret key for one [`CipherAlgorithm`]. Zeroized on drop; `Debug`
/// shows the algorithm only.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key {
    #[zeroize(skip)]
    algorithm: CipherAlgorithm,
    bytes: [u8; 32],
}

impl Key {
    /// A key for `algorithm`.
    ///
    /// # Errors
    /// [`Error::KeyLength`] when `bytes` is not exactly
    /// [`CipherAlgorithm::key_len`] octets long.
    pub fn new(algorithm: CipherAlgorithm, bytes: &[u8]) -> Result<Self, Error> {
        let expected = algorithm.key_len();
        if bytes.len() != expected {
            return Err(Error::KeyLength {
                algorithm,
                expected,
                actual: bytes.len(),
            });
        }
        let mut key = Self {
            algorithm,
            bytes: [0; 32],
        };
        if let Some(dst) = key.bytes.get_mut(..expected) {
            dst.copy_from_slice(bytes);
        }
        Ok(key)
    }

    /// An AES key whose variant follows from its length (16, 24 or 32).
    ///
    /// # Errors
    /// [`Error::AesKeyLength`] for any other length.
    pub fn aes(bytes: &[u8]) -> Result<Self, Error> {
        Self::new(CipherAlgorithm::aes_for_len(bytes.len())?, bytes)
    }

    /// The algorithm this key is for.
    #[must_use]
    pub const fn algorithm(&self) -> CipherAlgorithm {
        self.algorithm
    }

    /// The key octets. Handle with care: copies are not zeroized for you.
    #[must_use]
    pub fn dangerous_bytes(&self) -> &[u8] {
        self.bytes
            .get(..self.algorithm.key_len())
            .unwrap_or_default()
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_checked() {
        assert!(Key::new(CipherAlgorithm::Des, &[0; 8]).is_ok());
        assert_eq!(
            Key::new(CipherAlgorithm::Tdes3, &[0; 16]).unwrap_err(),
            Error::KeyLength {
                algorithm: CipherAlgorithm::Tdes3,
                expected: 24,
                actual: 16
            }
        );
        assert_eq!(
            Key::aes(&[0; 24]).unwrap().algorithm(),
            CipherAlgorithm::Aes192
        );
        assert_eq!(Key::aes(&[0; 20]).unwrap_err(), Error::AesKeyLength(20));
    }

    #[test]
    fn debug_hides_the_key() {
        extern crate std;
        let k = Key::new(CipherAlgorithm::Des, &[0xAB; 8]).unwrap();
        let s = std::format!("{k:?}");
        assert!(
            !s.contains("171") && !s.to_lowercase().contains("ab,"),
            "{s}"
        );
        assert!(s.contains("Des"));
    }
}
