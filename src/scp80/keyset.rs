//! A prepared OTA key set: the KIc and KID keys of one key version,
//! expanded once and used for many packets (ETSI TS 102 225 §5.1.2,
//! §5.1.3).

use crate::crypto::{Checksum, Cipher, CipherAlgorithm, Key};

use super::error::{KeyKind, KeyRole};
use super::{Error, Integrity, KeyAlgorithm, Kic, Kid, RcAlgorithm, Spi};

/// Expanded keys for ciphering (KIc) and RC/CC (KID).
///
/// The KIc / KID octets of a packet select the algorithm; the key set
/// must hold a key of that algorithm (or the nibble is `0`, implicit,
/// and the key set's algorithm is used). For an RC the KID needs no key:
/// CRC16 and CRC32 are always available, and an implicit RC uses the
/// CRC given with [`KeySet::with_implicit_rc`].
#[derive(Debug, Clone)]
pub struct KeySet {
    cipher: Option<Cipher>,
    cc: Option<Checksum>,
    implicit_rc: Option<Checksum>,
    aes_cc_len: usize,
}

impl Default for KeySet {
    fn default() -> Self {
        Self::new()
    }
}

impl KeySet {
    /// An empty key set (enough for unsecured packets and CRCs).
    #[must_use]
    pub const fn new() -> Self {
        Self {
            cipher: None,
            cc: None,
            implicit_rc: None,
            aes_cc_len: 8,
        }
    }

    /// With the ciphering key (KIc).
    #[must_use]
    pub fn with_kic(mut self, key: &Key) -> Self {
        self.cipher = Some(Cipher::new(key));
        self
    }

    /// With the cryptographic checksum key (KID).
    #[must_use]
    pub fn with_kid(mut self, key: &Key) -> Self {
        self.cc = Some(Checksum::cc(key));
        self
    }

    /// With the CRC used when the KID says "implicit" for an RC.
    #[must_use]
    pub fn with_implicit_rc(mut self, crc: Checksum) -> Self {
        self.implicit_rc = Some(crc);
        self
    }

    /// With AES-CMAC checksums truncated to 4 octets instead of 8 (for
    /// receivers provisioned that way; 8 is the common length).
    #[must_use]
    pub const fn with_aes_cc_len_4(mut self) -> Self {
        self.aes_cc_len = 4;
        self
    }

    /// The expanded ciphering key, if any.
    #[must_use]
    pub const fn cipher(&self) -> Option<&Cipher> {
        self.cipher.as_ref()
    }

    /// The cipher that a packet with this KIc uses.
    ///
    /// # Errors
    /// [`Error::MissingKey`], [`Error::KeyMismatch`] or
    /// [`Error::UnsupportedAlgorithm`].
    pub fn cipher_for(&self, kic: Kic) -> Result<&Cipher, Error> {
        let code = kic.algorithm();
        let cipher = self
            .cipher
            .as_ref()
            .ok_or(Error::MissingKey(KeyRole::Kic))?;
        let ok = fits(code, cipher.algorithm()).ok_or(Error::UnsupportedAlgorithm {
            role: KeyRole::Kic,
            code: code.0,
        })?;
        if ok {
            Ok(cipher)
        } else {
            Err(Error::KeyMismatch {
                role: KeyRole::Kic,
                code: code.0,
                have: KeyKind::Cipher(cipher.algorithm()),
            })
        }
    }

    /// The checksum and its field length for `integrity` with this KID
    /// (`None` when the integrity is [`Integrity::None`]).
    ///
    /// # Errors
    /// [`Error::DigitalSignature`], [`Error::MissingKey`],
    /// [`Error::KeyMismatch`] or [`Error::UnsupportedAlgorithm`].
    pub fn checksum_for(
        &self,
        integrity: Integrity,
        kid: Kid,
    ) -> Result<Option<(&Checksum, usize)>, Error> {
        static CRC16: Checksum = Checksum::crc16();
        static CRC32: Checksum = Checksum::crc32();
        match integrity {
            Integrity::None => Ok(None),
            Integrity::Ds => Err(Error::DigitalSignature),
            Integrity::Rc => {
                let c = match kid.rc_algorithm() {
                    RcAlgorithm::CRC16 => &CRC16,
                    RcAlgorithm::CRC32 => &CRC32,
                    RcAlgorithm::IMPLICIT => self
                        .implicit_rc
                        .as_ref()
                        .ok_or(Error::MissingKey(KeyRole::Kid))?,
                    other => {
                        return Err(Error::UnsupportedAlgorithm {
                            role: KeyRole::Kid,
                            code: other.0,
                        });
                    }
                };
                Ok(Some((c, c.algorithm().default_len())))
            }
            Integrity::Cc => {
                let code = kid.cc_algorithm();
                let cc = self.cc.as_ref().ok_or(Error::MissingKey(KeyRole::Kid))?;
                let mismatch = Error::KeyMismatch {
                    role: KeyRole::Kid,
                    code: code.0,
                    have: KeyKind::Checksum(cc.algorithm()),
                };
                // `cc` comes from `Checksum::cc`, so it is always keyed;
                // a keyless CRC here would be a mismatch, not a stand-in.
                let key_algo = cc.algorithm().key_algorithm().ok_or(mismatch)?;
                let ok = fits(code, key_algo).filter(|_| code != KeyAlgorithm::DES_ECB);
                match ok {
                    None => Err(Error::UnsupportedAlgorithm {
                        role: KeyRole::Kid,
                        code: code.0,
                    }),
                    Some(false) => Err(mismatch),
                    Some(true) => {
                        let len = if key_algo.is_aes() {
                            self.aes_cc_len
                        } else {
                            8
                        };
                        Ok(Some((cc, len)))
                    }
                }
            }
        }
    }

    /// The RC/CC/DS length this SPI / KID pair puts in the header.
    ///
    /// # Errors
    /// As [`KeySet::checksum_for`].
    pub fn checksum_len(&self, integrity: Integrity, kid: Kid) -> Result<usize, Error> {
        Ok(self.checksum_for(integrity, kid)?.map_or(0, |(_, l)| l))
    }

    /// The cipher for a command with this SPI, if it is ciphered.
    pub(crate) fn command_cipher(&self, spi: Spi, kic: Kic) -> Result<Option<&Cipher>, Error> {
        if spi.ciphered() {
            self.cipher_for(kic).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Whether a key of `have` serves algorithm `code`; `None` when the code
/// is not a supported CBC algorithm.
fn fits(code: KeyAlgorithm, have: CipherAlgorithm) -> Option<bool> {
    Some(match code {
        KeyAlgorithm::IMPLICIT => true,
        KeyAlgorithm::DES => have == CipherAlgorithm::Des,
        KeyAlgorithm::TDES_2KEY => have == CipherAlgorithm::Tdes2,
        KeyAlgorithm::TDES_3KEY => have == CipherAlgorithm::Tdes3,
        KeyAlgorithm::AES => have.is_aes(),
        _ => return None,
    })
}
