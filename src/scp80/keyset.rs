//! A prepared OTA key set: the KIc and KID keys of one key version,
//! expanded once and used for many packets (ETSI TS 102 225 §5.1.2,
//! §5.1.3).

use core::fmt;

use crate::crypto::{Checksum, ChecksumAlgorithm, CipherAlgorithm, Key, Provider, Software};

use super::error::{KeyKind, KeyRole};
use super::secure::{Check, Field};
use super::{Error, Integrity, KeyAlgorithm, Kic, Kid, RcAlgorithm, Spi};

/// The keys for ciphering (KIc) and RC/CC (KID), held by a crypto
/// [`Provider`]: by default [`Software`] (expanded in memory, from raw
/// keys with [`KeySet::with_kic`] / [`KeySet::with_kid`]); with
/// [`KeySet::with_provider`] any provider's key handles, so the SCP80
/// code only ever passes handles to the provider (an HSM keeps the
/// octets).
///
/// The KIc / KID octets of a packet select the algorithm; the key set
/// must hold a key of that algorithm (or the nibble is `0`, implicit,
/// and the key set's algorithm is used). For an RC the KID needs no key:
/// CRC16 and CRC32 are always available, and an implicit RC uses the
/// CRC given with [`KeySet::with_implicit_rc`].
pub struct KeySet<P: Provider = Software> {
    provider: P,
    kic: Option<P::Key>,
    kid: Option<P::Key>,
    implicit_rc: Option<Checksum>,
    aes_cc_len: usize,
}

impl<P: Provider + Clone> Clone for KeySet<P>
where
    P::Key: Clone,
{
    fn clone(&self) -> Self {
        Self {
            provider: self.provider.clone(),
            kic: self.kic.clone(),
            kid: self.kid.clone(),
            implicit_rc: self.implicit_rc.clone(),
            aes_cc_len: self.aes_cc_len,
        }
    }
}

impl<P: Provider> fmt::Debug for KeySet<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let algo = |k: &Option<P::Key>| k.as_ref().map(|k| self.provider.key_algorithm(k));
        f.debug_struct("KeySet")
            .field("kic", &algo(&self.kic))
            .field("kid", &algo(&self.kid))
            .field("implicit_rc", &self.implicit_rc)
            .field("aes_cc_len", &self.aes_cc_len)
            .finish_non_exhaustive()
    }
}

impl Default for KeySet {
    fn default() -> Self {
        Self::new()
    }
}

impl KeySet {
    /// An empty in-memory key set (enough for unsecured packets and CRCs).
    #[must_use]
    pub const fn new() -> Self {
        Self::with_provider(Software)
    }

    /// With the ciphering key (KIc), expanded in memory.
    #[must_use]
    pub fn with_kic(self, key: &Key) -> Self {
        self.with_kic_handle(crate::crypto::SoftwareKey::new(key))
    }

    /// With the cryptographic checksum key (KID), expanded in memory.
    #[must_use]
    pub fn with_kid(self, key: &Key) -> Self {
        self.with_kid_handle(crate::crypto::SoftwareKey::new(key))
    }
}

impl<P: Provider> KeySet<P> {
    /// An empty key set whose keys `provider` holds.
    #[must_use]
    pub const fn with_provider(provider: P) -> Self {
        Self {
            provider,
            kic: None,
            kid: None,
            implicit_rc: None,
            aes_cc_len: 8,
        }
    }

    /// With the provider's ciphering key (KIc).
    #[must_use]
    pub fn with_kic_handle(mut self, key: P::Key) -> Self {
        self.kic = Some(key);
        self
    }

    /// With the provider's cryptographic checksum key (KID).
    #[must_use]
    pub fn with_kid_handle(mut self, key: P::Key) -> Self {
        self.kid = Some(key);
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
    pub fn with_aes_cc_len_4(mut self) -> Self {
        self.aes_cc_len = 4;
        self
    }

    /// The provider holding the keys.
    pub const fn provider(&self) -> &P {
        &self.provider
    }

    /// The ciphering key that a packet with this KIc uses.
    ///
    /// # Errors
    /// [`Error::MissingKey`], [`Error::KeyMismatch`] or
    /// [`Error::UnsupportedAlgorithm`].
    pub fn cipher_for(&self, kic: Kic) -> Result<&P::Key, Error> {
        let code = kic.algorithm();
        let key = self.kic.as_ref().ok_or(Error::MissingKey(KeyRole::Kic))?;
        let have = self.provider.key_algorithm(key);
        let ok = fits(code, have).ok_or(Error::UnsupportedAlgorithm {
            role: KeyRole::Kic,
            code: code.0,
        })?;
        if ok {
            Ok(key)
        } else {
            Err(Error::KeyMismatch {
                role: KeyRole::Kic,
                code: code.0,
                have: KeyKind::Cipher(have),
            })
        }
    }

    /// The checksum and its field length for `integrity` with this KID
    /// (`None` when the integrity is [`Integrity::None`]).
    ///
    /// # Errors
    /// [`Error::DigitalSignature`], [`Error::MissingKey`],
    /// [`Error::KeyMismatch`] or [`Error::UnsupportedAlgorithm`].
    pub(crate) fn checksum_for(
        &self,
        integrity: Integrity,
        kid: Kid,
    ) -> Result<Option<Field<'_, P::Key>>, Error> {
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
                Ok(Some((Check::Rc(c), c.algorithm().default_len())))
            }
            Integrity::Cc => {
                let code = kid.cc_algorithm();
                let key = self.kid.as_ref().ok_or(Error::MissingKey(KeyRole::Kid))?;
                let key_algo = self.provider.key_algorithm(key);
                let algorithm = ChecksumAlgorithm::for_key(key_algo);
                let ok = fits(code, key_algo).filter(|_| code != KeyAlgorithm::DES_ECB);
                match ok {
                    None => Err(Error::UnsupportedAlgorithm {
                        role: KeyRole::Kid,
                        code: code.0,
                    }),
                    Some(false) => Err(Error::KeyMismatch {
                        role: KeyRole::Kid,
                        code: code.0,
                        have: KeyKind::Checksum(algorithm),
                    }),
                    Some(true) => {
                        let len = if key_algo.is_aes() {
                            self.aes_cc_len
                        } else {
                            8
                        };
                        Ok(Some((Check::Cc(key, algorithm), len)))
                    }
                }
            }
        }
    }

    /// The RC/CC/DS length this SPI / KID pair puts in the header.
    ///
    /// # Errors
    /// As [`KeySet::cipher_for`]: [`Error::DigitalSignature`],
    /// [`Error::MissingKey`], [`Error::KeyMismatch`] or
    /// [`Error::UnsupportedAlgorithm`].
    pub fn checksum_len(&self, integrity: Integrity, kid: Kid) -> Result<usize, Error> {
        Ok(self.checksum_for(integrity, kid)?.map_or(0, |(_, l)| l))
    }

    /// The cipher key for a command with this SPI, if it is ciphered.
    pub(crate) fn command_cipher(&self, spi: Spi, kic: Kic) -> Result<Option<&P::Key>, Error> {
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
        KeyAlgorithm::DES
        | KeyAlgorithm::TDES_2KEY
        | KeyAlgorithm::TDES_3KEY
        | KeyAlgorithm::AES => KeyAlgorithm::of_cipher(have) == code,
        _ => return None,
    })
}
