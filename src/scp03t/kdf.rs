//! The SCP03 key derivation (GP Card Specification v2.3 Amendment D
//! §4.1.5), the session keys (§6.2.1), the cryptograms (§6.2.2.2,
//! §6.2.2.3) and the pseudo-random card challenge (§6.2.2.1).

use core::fmt;

use crate::crypto::provider::{self, Provider, Scp03Provider};
use crate::crypto::{CipherAlgorithm, Key, Software, SoftwareKey};

use super::{CHALLENGE_LEN, Error, ErrorKind};

/// Derivation constants (GP Amendment D §4.1.5, table 4-1).
pub mod constant {
    /// Card cryptogram.
    pub const CARD_CRYPTOGRAM: u8 = 0x00;
    /// Host cryptogram.
    pub const HOST_CRYPTOGRAM: u8 = 0x01;
    /// Card challenge generation.
    pub const CARD_CHALLENGE: u8 = 0x02;
    /// S-ENC.
    pub const S_ENC: u8 = 0x04;
    /// S-MAC.
    pub const S_MAC: u8 = 0x06;
    /// S-RMAC.
    pub const S_RMAC: u8 = 0x07;
}

/// `algorithm` if it is AES (GP Amendment D §6.1: SCP03 keys are AES-128,
/// AES-192 or AES-256).
fn aes_algorithm(algorithm: CipherAlgorithm) -> Result<CipherAlgorithm, Error> {
    if algorithm.is_aes() {
        Ok(algorithm)
    } else {
        Err(Error::new(ErrorKind::BadValue("SCP03 key (not AES)"), 0))
    }
}

/// GP Amendment D §4.1.5 data derivation: NIST SP 800-108 KDF in counter
/// mode with PRF = AES-CMAC under `key`; each PRF input is 11 zero bytes |
/// `constant` | `00` | L (2 bytes, bits) | i (1 byte) | `context`. Fills
/// `out` (L = 8 × its length). The one implementation is
/// [`crate::crypto::provider::kdf`]; this runs it in memory.
///
/// # Errors
/// [`ErrorKind::BadValue`] for a key that is not AES, or an `out` longer
/// than the one-byte counter allows (255 blocks).
pub fn kdf(key: &Key, constant: u8, context: &[u8], out: &mut [u8]) -> Result<(), Error> {
    aes_algorithm(key.algorithm())?;
    provider::kdf(&Software, &SoftwareKey::new(key), constant, context, out).map_err(|e| match e {
        crate::crypto::Error::KdfLength(_) => {
            Error::new(ErrorKind::BadValue("KDF output length"), 0)
        }
        other => Error::from(other),
    })
}

/// The static SCP03 keys of a security domain (here the ISD-P key set that
/// ES8.EstablishISDPKeySet creates): Key-ENC and Key-MAC, both AES and of
/// the same length, held by a crypto provider ([`Software`] by default,
/// from raw keys with [`StaticKeys::new`]; any [`Scp03Provider`]'s
/// handles with [`StaticKeys::with_provider`], so the SCP03t code only
/// passes handles and the session keys are derived inside the provider).
/// `Debug` shows the algorithm only.
#[derive(Clone)]
pub struct StaticKeys<P: Scp03Provider = Software> {
    provider: P,
    enc: P::Key,
    mac: P::Key,
}

impl<P: Scp03Provider> fmt::Debug for StaticKeys<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticKeys")
            .field("algorithm", &self.provider.key_algorithm(&self.enc))
            .finish_non_exhaustive()
    }
}

impl StaticKeys {
    /// A key set from two AES keys of the same length, expanded in memory.
    ///
    /// # Errors
    /// [`ErrorKind::BadValue`] when a key is not AES or the lengths differ.
    pub fn new(enc: Key, mac: Key) -> Result<Self, Error> {
        Self::with_provider(Software, SoftwareKey::new(&enc), SoftwareKey::new(&mac))
    }

    /// A key set from raw Key-ENC and Key-MAC octets (16, 24 or 32 each).
    ///
    /// # Errors
    /// [`ErrorKind::Key`] for another length; as [`StaticKeys::new`].
    pub fn from_bytes(enc: &[u8], mac: &[u8]) -> Result<Self, Error> {
        Self::new(Key::aes(enc)?, Key::aes(mac)?)
    }
}

impl<P: Scp03Provider> StaticKeys<P> {
    /// A key set from the handles of Key-ENC and Key-MAC that `provider`
    /// holds.
    ///
    /// # Errors
    /// [`ErrorKind::BadValue`] when a key is not AES or the lengths differ.
    pub fn with_provider(provider: P, enc: P::Key, mac: P::Key) -> Result<Self, Error> {
        let a = aes_algorithm(provider.key_algorithm(&enc))?;
        if aes_algorithm(provider.key_algorithm(&mac))? != a {
            return Err(Error::new(ErrorKind::BadValue("SCP03 key lengths"), 0));
        }
        Ok(Self { provider, enc, mac })
    }

    /// The key length in octets (16, 24 or 32).
    pub fn key_len(&self) -> usize {
        self.algorithm().key_len()
    }

    /// The AES variant of the keys.
    pub fn algorithm(&self) -> CipherAlgorithm {
        self.provider.key_algorithm(&self.enc)
    }

    /// The provider holding the keys.
    pub const fn provider(&self) -> &P {
        &self.provider
    }

    /// The pseudo-random card challenge (GP Amendment D §6.2.2.1): KDF under
    /// Key-ENC with constant `02`, context = sequence counter (3 octets) |
    /// the AID of the security domain, L = 64.
    ///
    /// # Errors
    /// As [`kdf`]; [`ErrorKind::Key`] for a provider failure.
    pub fn card_challenge(
        &self,
        sequence_counter: [u8; 3],
        aid: &[u8],
    ) -> Result<[u8; CHALLENGE_LEN], Error> {
        let mut context = heapless::Vec::<u8, 19>::new();
        context
            .extend_from_slice(&sequence_counter)
            .and_then(|()| context.extend_from_slice(aid))
            .map_err(|_| Error::new(ErrorKind::BadValue("AID length"), 0))?;
        let mut out = [0u8; CHALLENGE_LEN];
        provider::kdf(
            &self.provider,
            &self.enc,
            constant::CARD_CHALLENGE,
            &context,
            &mut out,
        )?;
        Ok(out)
    }

    /// S-ENC (from Key-ENC), S-MAC and S-RMAC (from Key-MAC) derived
    /// inside the provider with context = host challenge | card challenge
    /// (GP Amendment D §6.2.1), as handles: `[S-ENC, S-MAC, S-RMAC]`.
    pub(super) fn derive_session(
        &self,
        host_challenge: &[u8; CHALLENGE_LEN],
        card_challenge: &[u8; CHALLENGE_LEN],
    ) -> Result<[P::Key; 3], Error> {
        let c = context(host_challenge, card_challenge);
        let a = self.algorithm();
        let p = &self.provider;
        Ok([
            p.derive(&self.enc, constant::S_ENC, &c, a)?,
            p.derive(&self.mac, constant::S_MAC, &c, a)?,
            p.derive(&self.mac, constant::S_RMAC, &c, a)?,
        ])
    }
}

/// The session keys of one secure channel session, of the static keys'
/// length. `Debug` shows the algorithm only.
#[derive(Clone)]
pub struct SessionKeys {
    /// S-ENC.
    pub s_enc: Key,
    /// S-MAC.
    pub s_mac: Key,
    /// S-RMAC.
    pub s_rmac: Key,
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKeys")
            .field("algorithm", &self.s_enc.algorithm())
            .finish_non_exhaustive()
    }
}

/// `host challenge | card challenge`, the derivation context (S8 mode).
pub(super) fn context(
    host: &[u8; CHALLENGE_LEN],
    card: &[u8; CHALLENGE_LEN],
) -> [u8; 2 * CHALLENGE_LEN] {
    let mut c = [0u8; 2 * CHALLENGE_LEN];
    for (d, s) in c.iter_mut().zip(host.iter().chain(card)) {
        *d = *s;
    }
    c
}

/// A cryptogram (GP Amendment D §6.2.2.2 card `00`, §6.2.2.3 host `01`),
/// S8 mode: KDF under S-MAC, context = host challenge | card challenge,
/// L = 64.
pub(super) fn cryptogram<P: Provider>(
    provider: &P,
    s_mac: &P::Key,
    c: u8,
    host: &[u8; CHALLENGE_LEN],
    card: &[u8; CHALLENGE_LEN],
) -> Result<[u8; CHALLENGE_LEN], Error> {
    let mut out = [0u8; CHALLENGE_LEN];
    provider::kdf(provider, s_mac, c, &context(host, card), &mut out)?;
    Ok(out)
}

impl SessionKeys {
    /// Derives S-ENC (from Key-ENC), S-MAC and S-RMAC (from Key-MAC) with
    /// context = host challenge | card challenge (GP Amendment D §6.2.1).
    ///
    /// # Errors
    /// As [`kdf`] (never for keys a [`StaticKeys`] holds).
    pub fn derive(
        keys: &StaticKeys,
        host_challenge: &[u8; CHALLENGE_LEN],
        card_challenge: &[u8; CHALLENGE_LEN],
    ) -> Result<Self, Error> {
        let c = context(host_challenge, card_challenge);
        let raw = |k: &SoftwareKey, constant| {
            let mut out = zeroize::Zeroizing::new([0u8; 32]);
            let part = out
                .get_mut(..k.algorithm().key_len())
                .ok_or(Error::new(ErrorKind::BadValue("SCP03 key length"), 0))?;
            provider::kdf(&Software, k, constant, &c, part)?;
            Ok::<_, Error>(Key::aes(part)?)
        };
        Ok(Self {
            s_enc: raw(&keys.enc, constant::S_ENC)?,
            s_mac: raw(&keys.mac, constant::S_MAC)?,
            s_rmac: raw(&keys.mac, constant::S_RMAC)?,
        })
    }

    /// Session keys from raw octets (all of one AES length).
    ///
    /// # Errors
    /// [`ErrorKind::Key`] for a length that is not 16, 24 or 32.
    pub fn from_bytes(s_enc: &[u8], s_mac: &[u8], s_rmac: &[u8]) -> Result<Self, Error> {
        Ok(Self {
            s_enc: Key::aes(s_enc)?,
            s_mac: Key::aes(s_mac)?,
            s_rmac: Key::aes(s_rmac)?,
        })
    }

    fn cryptogram(
        &self,
        c: u8,
        host: &[u8; CHALLENGE_LEN],
        card: &[u8; CHALLENGE_LEN],
    ) -> Result<[u8; CHALLENGE_LEN], Error> {
        cryptogram(&Software, &SoftwareKey::new(&self.s_mac), c, host, card)
    }

    /// The card cryptogram (GP Amendment D §6.2.2.2), S8 mode.
    ///
    /// # Errors
    /// As [`kdf`].
    pub fn card_cryptogram(
        &self,
        host: &[u8; CHALLENGE_LEN],
        card: &[u8; CHALLENGE_LEN],
    ) -> Result<[u8; CHALLENGE_LEN], Error> {
        self.cryptogram(constant::CARD_CRYPTOGRAM, host, card)
    }

    /// The host cryptogram (GP Amendment D §6.2.2.3), S8 mode.
    ///
    /// # Errors
    /// As [`kdf`].
    pub fn host_cryptogram(
        &self,
        host: &[u8; CHALLENGE_LEN],
        card: &[u8; CHALLENGE_LEN],
    ) -> Result<[u8; CHALLENGE_LEN], Error> {
        self.cryptogram(constant::HOST_CRYPTOGRAM, host, card)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The longest output the one-byte counter allows is derived block by
    /// block with distinct counters (no block repeats); one more block is
    /// refused rather than wrapping the counter.
    #[test]
    fn kdf_longest_output_has_distinct_blocks() {
        let key = Key::aes(&[7; 16]).unwrap();
        let mut out = [0u8; 255 * 16];
        kdf(&key, constant::S_ENC, b"ctx", &mut out).unwrap();
        let first = &out[..16];
        assert!(out.chunks(16).skip(1).all(|b| b != first));
        assert_ne!(&out[out.len() - 16..], &out[out.len() - 32..out.len() - 16]);
        let mut more = [0u8; 255 * 16 + 1];
        assert!(kdf(&key, constant::S_ENC, b"ctx", &mut more).is_err());
    }

    /// Non-AES keys and mixed lengths are refused.
    #[test]
    fn static_keys_are_aes_of_one_length() {
        assert!(StaticKeys::from_bytes(&[1; 16], &[2; 24]).is_err());
        assert!(StaticKeys::from_bytes(&[1; 15], &[2; 15]).is_err());
        let des = Key::new(CipherAlgorithm::Tdes2, &[1; 16]).unwrap();
        assert!(StaticKeys::new(des.clone(), des).is_err());
        for n in [16, 24, 32] {
            let k = StaticKeys::from_bytes(&vec_of(n, 1), &vec_of(n, 2)).unwrap();
            assert_eq!(k.key_len(), n);
            let s = SessionKeys::derive(&k, &[3; 8], &[4; 8]).unwrap();
            assert_eq!(s.s_enc.dangerous_bytes().len(), n);
            assert_ne!(s.s_mac.dangerous_bytes(), s.s_rmac.dangerous_bytes());
        }
    }

    fn vec_of(n: usize, b: u8) -> heapless::Vec<u8, 32> {
        core::iter::repeat_n(b, n).collect()
    }
}
