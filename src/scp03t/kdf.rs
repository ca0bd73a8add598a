//! The SCP03 key derivation (GP Card Specification v2.3 Amendment D
//! §4.1.5), the session keys (§6.2.1), the cryptograms (§6.2.2.2,
//! §6.2.2.3) and the pseudo-random card challenge (§6.2.2.1).

use core::fmt;

use crate::crypto::{CipherAlgorithm, Key};

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

/// `key` if it is an AES key (GP Amendment D §6.1: SCP03 keys are AES-128,
/// AES-192 or AES-256).
fn aes(key: &Key) -> Result<&Key, Error> {
    match key.algorithm() {
        CipherAlgorithm::Aes128 | CipherAlgorithm::Aes192 | CipherAlgorithm::Aes256 => Ok(key),
        _ => Err(Error::new(ErrorKind::BadValue("SCP03 key (not AES)"), 0)),
    }
}

/// GP Amendment D §4.1.5 data derivation: NIST SP 800-108 KDF in counter
/// mode with PRF = AES-CMAC under `key`; each PRF input is 11 zero bytes |
/// `constant` | `00` | L (2 bytes, bits) | i (1 byte) | `context`. Fills
/// `out` (L = 8 × its length).
///
/// # Errors
/// [`ErrorKind::BadValue`] for a key that is not AES, or an `out` longer
/// than the one-byte counter allows (255 blocks).
pub fn kdf(key: &Key, constant: u8, context: &[u8], out: &mut [u8]) -> Result<(), Error> {
    let prf = crate::crypto::Checksum::cc(aes(key)?);
    let bad = Error::new(ErrorKind::BadValue("KDF output length"), 0);
    if out.len() > 255 * 16 {
        return Err(bad);
    }
    let [l0, l1] = u16::try_from(out.len() * 8).map_err(|_| bad)?.to_be_bytes();
    for (block, i) in out.chunks_mut(16).zip(1u8..=255) {
        let mut label = [0u8; 16];
        let [.., c, sep, b0, b1, n] = &mut label;
        (*c, *sep, *b0, *b1, *n) = (constant, 0, l0, l1, i);
        let k = prf.compute(&[&label, context]);
        for (d, s) in block.iter_mut().zip(k.as_bytes()) {
            *d = *s;
        }
    }
    Ok(())
}

/// The static SCP03 keys of a security domain (here the ISD-P key set that
/// ES8.EstablishISDPKeySet creates): Key-ENC and Key-MAC, both AES and of
/// the same length. `Debug` shows the algorithm only.
#[derive(Clone, Debug)]
pub struct StaticKeys {
    enc: Key,
    mac: Key,
}

impl StaticKeys {
    /// A key set from two AES keys of the same length.
    ///
    /// # Errors
    /// [`ErrorKind::BadValue`] when a key is not AES or the lengths differ.
    pub fn new(enc: Key, mac: Key) -> Result<Self, Error> {
        aes(&enc)?;
        aes(&mac)?;
        if enc.algorithm() != mac.algorithm() {
            return Err(Error::new(ErrorKind::BadValue("SCP03 key lengths"), 0));
        }
        Ok(Self { enc, mac })
    }

    /// A key set from raw Key-ENC and Key-MAC octets (16, 24 or 32 each).
    ///
    /// # Errors
    /// [`ErrorKind::Key`] for another length; as [`StaticKeys::new`].
    pub fn from_bytes(enc: &[u8], mac: &[u8]) -> Result<Self, Error> {
        Self::new(Key::aes(enc)?, Key::aes(mac)?)
    }

    /// The key length in octets (16, 24 or 32).
    pub const fn key_len(&self) -> usize {
        self.enc.algorithm().key_len()
    }

    /// The pseudo-random card challenge (GP Amendment D §6.2.2.1): KDF under
    /// Key-ENC with constant `02`, context = sequence counter (3 octets) |
    /// the AID of the security domain, L = 64.
    ///
    /// # Errors
    /// As [`kdf`].
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
        kdf(&self.enc, constant::CARD_CHALLENGE, &context, &mut out)?;
        Ok(out)
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
fn context(host: &[u8; CHALLENGE_LEN], card: &[u8; CHALLENGE_LEN]) -> [u8; 2 * CHALLENGE_LEN] {
    let mut c = [0u8; 2 * CHALLENGE_LEN];
    for (d, s) in c.iter_mut().zip(host.iter().chain(card)) {
        *d = *s;
    }
    c
}

/// One session key of `key`'s length derived from it.
fn derive_one(key: &Key, constant: u8, context: &[u8]) -> Result<Key, Error> {
    let mut out = zeroize::Zeroizing::new([0u8; 32]);
    let len = key.algorithm().key_len();
    let part = out
        .get_mut(..len)
        .ok_or(Error::new(ErrorKind::BadValue("SCP03 key length"), 0))?;
    kdf(key, constant, context, part)?;
    Ok(Key::aes(part)?)
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
        Ok(Self {
            s_enc: derive_one(&keys.enc, constant::S_ENC, &c)?,
            s_mac: derive_one(&keys.mac, constant::S_MAC, &c)?,
            s_rmac: derive_one(&keys.mac, constant::S_RMAC, &c)?,
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
        let mut out = [0u8; CHALLENGE_LEN];
        kdf(&self.s_mac, c, &context(host, card), &mut out)?;
        Ok(out)
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
