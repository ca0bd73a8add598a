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

/// Key octets typed by algorithm: each variant holds exactly the octets
/// its algorithm needs, so expanding a key schedule from it cannot fail
/// (see [`crate::crypto::Cipher::new`], [`crate::crypto::Checksum::cc`]).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) enum Material {
    /// Single DES.
    Des([u8; 8]),
    /// 2-key 3DES.
    Tdes2([u8; 16]),
    /// 3-key 3DES.
    Tdes3([u8; 24]),
    /// AES-128.
    Aes128([u8; 16]),
    /// AES-192.
    Aes192([u8; 24]),
    /// AES-256.
    Aes256([u8; 32]),
}

/// A secret key for one [`CipherAlgorithm`]. Zeroized on drop; `Debug`
/// shows the algorithm only. The octets are held in an array of the
/// algorithm's exact key length, so no key of the wrong kind or length
/// can exist.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Key {
    material: Material,
}

/// `bytes` as an array of `N` octets, or the [`Error::KeyLength`] for
/// `algorithm`.
fn exact<const N: usize>(algorithm: CipherAlgorithm, bytes: &[u8]) -> Result<[u8; N], Error> {
    <[u8; N]>::try_from(bytes).map_err(|_| Error::KeyLength {
        algorithm,
        expected: N,
        actual: bytes.len(),
    })
}

impl Key {
    /// A key for `algorithm`.
    ///
    /// # Errors
    /// [`Error::KeyLength`] when `bytes` is not exactly
    /// [`CipherAlgorithm::key_len`] octets long.
    pub fn new(algorithm: CipherAlgorithm, bytes: &[u8]) -> Result<Self, Error> {
        let a = algorithm;
        let material = match algorithm {
            CipherAlgorithm::Des => Material::Des(exact(a, bytes)?),
            CipherAlgorithm::Tdes2 => Material::Tdes2(exact(a, bytes)?),
            CipherAlgorithm::Tdes3 => Material::Tdes3(exact(a, bytes)?),
            CipherAlgorithm::Aes128 => Material::Aes128(exact(a, bytes)?),
            CipherAlgorithm::Aes192 => Material::Aes192(exact(a, bytes)?),
            CipherAlgorithm::Aes256 => Material::Aes256(exact(a, bytes)?),
        };
        Ok(Self { material })
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
        match self.material {
            Material::Des(_) => CipherAlgorithm::Des,
            Material::Tdes2(_) => CipherAlgorithm::Tdes2,
            Material::Tdes3(_) => CipherAlgorithm::Tdes3,
            Material::Aes128(_) => CipherAlgorithm::Aes128,
            Material::Aes192(_) => CipherAlgorithm::Aes192,
            Material::Aes256(_) => CipherAlgorithm::Aes256,
        }
    }

    /// The key octets typed by algorithm, for the key schedules.
    pub(crate) const fn material(&self) -> &Material {
        &self.material
    }

    /// The key octets. Handle with care: copies are not zeroized for you.
    #[must_use]
    pub const fn dangerous_bytes(&self) -> &[u8] {
        match &self.material {
            Material::Des(k) => k,
            Material::Tdes2(k) | Material::Aes128(k) => k,
            Material::Tdes3(k) | Material::Aes192(k) => k,
            Material::Aes256(k) => k,
        }
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("algorithm", &self.algorithm())
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

    /// Every algorithm keeps its own octets, exactly `key_len` of them.
    #[test]
    fn material_matches_algorithm() {
        for a in [
            CipherAlgorithm::Des,
            CipherAlgorithm::Tdes2,
            CipherAlgorithm::Tdes3,
            CipherAlgorithm::Aes128,
            CipherAlgorithm::Aes192,
            CipherAlgorithm::Aes256,
        ] {
            let bytes: heapless::Vec<u8, 32> = (1..=a.key_len() as u8).collect();
            let k = Key::new(a, &bytes).unwrap();
            assert_eq!(k.algorithm(), a);
            assert_eq!(k.dangerous_bytes(), &bytes[..], "{a:?}");
            for wrong in [a.key_len() - 1, a.key_len() + 1] {
                assert_eq!(
                    Key::new(a, &[0; 33][..wrong]).unwrap_err(),
                    Error::KeyLength {
                        algorithm: a,
                        expected: a.key_len(),
                        actual: wrong
                    }
                );
            }
        }
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
