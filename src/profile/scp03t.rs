//! SCP03t: SCP03 (GlobalPlatform Card Specification v2.3 Amendment D)
//! applied to the TLV-carried commands that load a profile package into an
//! ISD-P (SGP.02 §4.1.3.3 / §5.4.4, as implemented by the open-source SGP.02
//! server njiwa; SGP.22 names the same protection "BSP", §2.6.4).
//!
//! * [`kdf`]: the Amendment D §4.1.5 key derivation (NIST SP 800-108 KDF in
//!   counter mode, PRF = AES-CMAC), [`SessionKeys::derive`] for S-ENC
//!   (constant `04`), S-MAC (`06`) and S-RMAC (`07`) and the card / host
//!   cryptograms (`00` / `01`).
//! * [`Session`]: C-MAC chaining (each full 16-byte CMAC is the next
//!   chaining value, 8 bytes are sent), command encryption with
//!   ICV = AES(S-ENC, counter block) and `80 00..` padding, and the TLV
//!   wrapping of one segment: `tag | final length | ciphertext | C-MAC`
//!   with the C-MAC over `chaining value | tag | final length | ciphertext`.
//!
//! Only AES-128 keys (the SGP.02 ISD-P key set, key type `88`) and S8 mode
//! are supported. Keys are zeroized on drop and never shown by `Debug`.

use core::fmt;

use aes::Aes128;
use cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use cmac::{Cmac, Mac};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::tlv::{self, Buffer, Options, Tlv};

use super::segment::{self, MAC_LEN, Protection};
use super::{Error, ErrorKind};

/// An AES-128 key. Zeroized on drop; `Debug` shows nothing of it.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct Key(pub [u8; 16]);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

fn cmac_parts(key: &Key, parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = <Cmac<Aes128> as KeyInit>::new((&key.0).into());
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// GP Amendment D §4.1.5 data derivation: NIST SP 800-108 KDF in counter
/// mode with AES-CMAC, fixed input = 11 zero bytes | `constant` | `00` |
/// L (2 bytes, bits) | i (1 byte) | `context`. Fills `out` (L = 8 × its
/// length). The one-byte counter and two-byte L bound the output to 255
/// blocks; a longer `out` is refused at compile time, so no counter or L
/// ever wraps or saturates.
pub fn kdf<const N: usize>(key: &Key, constant: u8, context: &[u8], out: &mut [u8; N]) {
    const {
        assert!(
            N <= 255 * 16,
            "SP 800-108 counter i is one byte: at most 255 blocks"
        );
    }
    let [l0, l1] = ((N * 8) as u16).to_be_bytes();
    for (block, counter) in out.chunks_mut(16).zip(1u8..=255) {
        let mut label = [0u8; 16];
        let [.., c, sep, b0, b1, i] = &mut label;
        (*c, *sep, *b0, *b1, *i) = (constant, 0, l0, l1, counter);
        let k = cmac_parts(key, &[&label, context]);
        for (d, s) in block.iter_mut().zip(k) {
            *d = s;
        }
    }
}

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

/// The session keys of one secure channel session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionKeys {
    /// S-ENC.
    pub s_enc: Key,
    /// S-MAC.
    pub s_mac: Key,
    /// S-RMAC.
    pub s_rmac: Key,
}

impl SessionKeys {
    /// Derives S-ENC, S-MAC and S-RMAC from the static keys and the
    /// challenges (GP Amendment D §6.2.1: context = host challenge | card
    /// challenge, 8 octets each in S8 mode).
    pub fn derive(
        key_enc: &Key,
        key_mac: &Key,
        host_challenge: &[u8; 8],
        card_challenge: &[u8; 8],
    ) -> Self {
        let mut context = [0u8; 16];
        for (d, s) in context
            .iter_mut()
            .zip(host_challenge.iter().chain(card_challenge))
        {
            *d = *s;
        }
        let mut s_enc = Key([0; 16]);
        let mut s_mac = Key([0; 16]);
        let mut s_rmac = Key([0; 16]);
        kdf(key_enc, constant::S_ENC, &context, &mut s_enc.0);
        kdf(key_mac, constant::S_MAC, &context, &mut s_mac.0);
        kdf(key_mac, constant::S_RMAC, &context, &mut s_rmac.0);
        context.zeroize();
        Self {
            s_enc,
            s_mac,
            s_rmac,
        }
    }

    fn cryptogram(&self, c: u8, host_challenge: &[u8; 8], card_challenge: &[u8; 8]) -> [u8; 8] {
        let mut context = [0u8; 16];
        context[..8].copy_from_slice(host_challenge);
        context[8..].copy_from_slice(card_challenge);
        let mut out = [0u8; 8];
        kdf(&self.s_mac, c, &context, &mut out);
        out
    }

    /// The card cryptogram (GP Amendment D §6.2.2.2), S8 mode.
    pub fn card_cryptogram(&self, host_challenge: &[u8; 8], card_challenge: &[u8; 8]) -> [u8; 8] {
        self.cryptogram(constant::CARD_CRYPTOGRAM, host_challenge, card_challenge)
    }

    /// The host cryptogram (GP Amendment D §6.2.2.3), S8 mode.
    pub fn host_cryptogram(&self, host_challenge: &[u8; 8], card_challenge: &[u8; 8]) -> [u8; 8] {
        self.cryptogram(constant::HOST_CRYPTOGRAM, host_challenge, card_challenge)
    }
}

/// The command-side state of an SCP03(t) session: MAC chaining value and
/// encryption counter.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct Session {
    #[zeroize(skip)]
    keys: SessionKeys,
    mac_chain: [u8; 16],
    counter: u64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session right after key derivation: chaining value 16 × `00`, the
    /// first command uses counter 1 (GP Amendment D §6.2.4, §6.2.6).
    pub fn new(keys: SessionKeys) -> Self {
        Self::with_chaining_value(keys, [0; 16])
    }

    /// A session with an explicit initial MAC chaining value (SGP.22 BSP
    /// derives one with its keys).
    pub fn with_chaining_value(keys: SessionKeys, mac_chain: [u8; 16]) -> Self {
        Self {
            keys,
            mac_chain,
            counter: 1,
        }
    }

    /// The counter the next encrypted command will use.
    pub const fn counter(&self) -> u64 {
        self.counter
    }

    /// Skips a counter value: a command without data still consumes one
    /// (GP Amendment D §6.2.6), as does a MAC-only segment (SGP.22 §2.6.4.4).
    pub fn skip_counter(&mut self) {
        self.counter += 1;
    }

    /// C-MAC over `chaining value | parts`; the full CMAC becomes the next
    /// chaining value and its first 8 bytes are returned (GP Amendment D
    /// §6.2.4).
    pub fn c_mac(&mut self, parts: &[&[u8]]) -> [u8; 8] {
        let mut mac = <Cmac<Aes128> as KeyInit>::new((&self.keys.s_mac.0).into());
        mac.update(&self.mac_chain);
        for p in parts {
            mac.update(p);
        }
        self.mac_chain = mac.finalize().into_bytes().into();
        let mut out = [0u8; 8];
        out.copy_from_slice(&self.mac_chain[..8]);
        out
    }

    /// R-MAC over `chaining value | parts` with S-RMAC (the chaining value
    /// is not changed; GP Amendment D §6.2.5).
    pub fn r_mac(&self, parts: &[&[u8]]) -> [u8; 8] {
        let mut v = [&self.mac_chain[..]; 1]
            .into_iter()
            .chain(parts.iter().copied());
        let mut mac = <Cmac<Aes128> as KeyInit>::new((&self.keys.s_rmac.0).into());
        for p in v.by_ref() {
            mac.update(p);
        }
        let full: [u8; 16] = mac.finalize().into_bytes().into();
        let mut out = [0u8; 8];
        out.copy_from_slice(&full[..8]);
        out
    }

    fn icv(&self, aes: &Aes128) -> [u8; 16] {
        let mut block = [0u8; 16];
        block[8..].copy_from_slice(&self.counter.to_be_bytes());
        let mut b = aes::Block::from(block);
        aes.encrypt_block(&mut b);
        b.into()
    }

    /// Encrypts `plaintext` padded with `80 00..` to a multiple of 16 bytes
    /// with AES-CBC under S-ENC and ICV = AES(S-ENC, counter block); writes
    /// the ciphertext block by block, passing each block to `each` too;
    /// consumes one counter value.
    fn encrypt_stream(
        &mut self,
        plaintext: &[u8],
        out: &mut dyn Buffer,
        each: &mut dyn FnMut(&[u8; 16]),
    ) -> Result<(), tlv::Error> {
        let aes = Aes128::new((&self.keys.s_enc.0).into());
        let mut prev = self.icv(&aes);
        // The whole blocks, then the last partial (possibly empty) one
        // that always takes the `80 00..` padding.
        let whole = plaintext.chunks_exact(16);
        let last = whole.remainder();
        for src in whole.chain(core::iter::once(last)) {
            let mut block = [0u8; 16];
            let n = src.len();
            for (d, s) in block.iter_mut().zip(src) {
                *d = *s;
            }
            if let Some(pad) = block.get_mut(n) {
                *pad = 0x80;
            }
            for (b, p) in block.iter_mut().zip(prev) {
                *b ^= p;
            }
            let mut b = aes::Block::from(block);
            aes.encrypt_block(&mut b);
            prev = b.into();
            out.put(&prev)?;
            each(&prev);
            block.zeroize();
        }
        self.counter += 1;
        Ok(())
    }

    /// Encrypts `plaintext` (C-DECRYPTION) and writes the ciphertext; returns
    /// its length (always a multiple of 16, padding always added).
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    pub fn encrypt(&mut self, plaintext: &[u8], out: &mut dyn Buffer) -> Result<usize, tlv::Error> {
        self.encrypt_stream(plaintext, out, &mut |_| {})?;
        Ok((plaintext.len() / 16 + 1) * 16)
    }

    /// Wraps one segment with C-DECRYPTION and C-MAC as the TLV
    /// `tag | L | ciphertext | C-MAC`, where L counts the MAC; returns the
    /// TLV length.
    ///
    /// # Errors
    /// The buffer's error when it is too small (the session state is then
    /// unusable, as a partial segment was sent).
    pub fn wrap(
        &mut self,
        tag: u8,
        plaintext: &[u8],
        out: &mut dyn Buffer,
    ) -> Result<usize, tlv::Error> {
        let value_len = Protection::Scp03t.value_len(plaintext.len());
        let header = length_octets(value_len)?;
        let len_len = header.len();
        let header = header.as_slice();
        let mut mac = <Cmac<Aes128> as KeyInit>::new((&self.keys.s_mac.0).into());
        mac.update(&self.mac_chain);
        mac.update(&[tag]);
        mac.update(header);
        out.put(&[tag])?;
        out.put(header)?;
        self.encrypt_stream(plaintext, out, &mut |b| mac.update(b))?;
        self.mac_chain = mac.finalize().into_bytes().into();
        out.put(&self.mac_chain[..MAC_LEN])?;
        Ok(1 + len_len + value_len)
    }

    /// Wraps one TLV with C-MAC only: `tag | L | data | C-MAC`; the
    /// encryption counter still advances (SGP.22 §2.6.4.4); returns the TLV
    /// length.
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    pub fn wrap_mac_only(
        &mut self,
        tag: u8,
        data: &[u8],
        out: &mut dyn Buffer,
    ) -> Result<usize, tlv::Error> {
        let value_len = data.len() + MAC_LEN;
        let header = length_octets(value_len)?;
        let len_len = header.len();
        let header = header.as_slice();
        let m = self.c_mac(&[&[tag], header, data]);
        out.put(&[tag])?;
        out.put(header)?;
        out.put(data)?;
        out.put(&m)?;
        self.counter += 1;
        Ok(1 + len_len + value_len)
    }

    /// Cuts `package` into the largest chunks that fit `max_segment_len`
    /// once protected and writes each as a wrapped `86` segment; returns the
    /// number of segments.
    ///
    /// # Errors
    /// [`ErrorKind::SegmentSizeTooSmall`] or the buffer's error.
    pub fn wrap_package(
        &mut self,
        package: &[u8],
        max_segment_len: usize,
        out: &mut dyn Buffer,
    ) -> Result<usize, Error> {
        let mut n = 0;
        for c in segment::chunks(package, max_segment_len, Protection::Scp03t)? {
            self.wrap(segment::SEGMENT_TAG, c.data, out)?;
            n += 1;
        }
        Ok(n)
    }

    /// The receiving side (ISD-P): verifies the C-MAC of one wrapped TLV,
    /// decrypts it into `out` and strips the padding; returns the tag and
    /// the plaintext.
    ///
    /// # Errors
    /// As [`Session::unwrap_to`]; [`ErrorKind::BufferTooSmall`] when `out`
    /// cannot hold the plaintext.
    pub fn unwrap<'o>(
        &mut self,
        wrapped: &[u8],
        out: &'o mut [u8],
    ) -> Result<(u8, &'o [u8]), Error> {
        let mut buf = tlv::SliceBuffer::new(out);
        let (tag, _) = self.unwrap_to(wrapped, &mut buf)?;
        Ok((tag, buf.into_written()))
    }

    /// The receiving side (ISD-P): verifies the C-MAC of one wrapped TLV
    /// (`tag | L | ciphertext | C-MAC`), then decrypts it block by block
    /// into `out`, checking and stripping the `80 00..` padding (always
    /// within the last block); returns the tag and the plaintext length.
    ///
    /// # Errors
    /// A malformed TLV, [`ErrorKind::MacMismatch`] (the session state is
    /// then unchanged), [`ErrorKind::BadCiphertextLength`],
    /// [`ErrorKind::BadPadding`] or the buffer's error.
    pub fn unwrap_to(
        &mut self,
        wrapped: &[u8],
        out: &mut dyn Buffer,
    ) -> Result<(u8, usize), Error> {
        let t = Tlv::parse_exact(wrapped, Options::strict())?;
        let tag = u8::try_from(t.tag().raw()).map_err(|_| Error::new(ErrorKind::NotASegment, 0))?;
        let v = t.value();
        let split = v
            .len()
            .checked_sub(MAC_LEN)
            .ok_or(Error::new(ErrorKind::BadCiphertextLength, t.value_offset()))?;
        let (ct, mac) = v.split_at(split);
        let (header, _) = t
            .raw()
            .split_at_checked(t.header_len())
            .ok_or(Error::new(ErrorKind::Tlv(tlv::ErrorKind::UnexpectedEnd), 0))?;
        let mut m = <Cmac<Aes128> as KeyInit>::new((&self.keys.s_mac.0).into());
        m.update(&self.mac_chain);
        m.update(header);
        m.update(ct);
        let full: [u8; 16] = m.finalize().into_bytes().into();
        if !bool::from(full[..MAC_LEN].ct_eq(mac)) {
            return Err(Error::new(ErrorKind::MacMismatch, t.value_offset() + split));
        }
        if ct.is_empty() || ct.len() % 16 != 0 {
            return Err(Error::new(ErrorKind::BadCiphertextLength, t.value_offset()));
        }
        self.mac_chain = full;
        let aes = Aes128::new((&self.keys.s_enc.0).into());
        let mut prev = self.icv(&aes);
        self.counter += 1;
        let blocks = ct.len() / 16;
        let mut written = 0;
        for (i, src) in ct.chunks_exact(16).enumerate() {
            let mut b = aes::Block::try_from(src)
                .map_err(|_| Error::new(ErrorKind::BadCiphertextLength, t.value_offset()))?;
            aes.decrypt_block(&mut b);
            let mut plain = [0u8; 16];
            for ((o, x), p) in plain.iter_mut().zip(b.iter()).zip(prev) {
                *o = x ^ p;
            }
            prev.copy_from_slice(src);
            let keep = if i + 1 == blocks {
                let end = plain
                    .iter()
                    .rposition(|b| *b != 0)
                    .filter(|e| plain.get(*e) == Some(&0x80))
                    .ok_or(Error::new(ErrorKind::BadPadding, t.value_offset() + 16 * i))?;
                plain
                    .get(..end)
                    .ok_or(Error::new(ErrorKind::BadPadding, t.value_offset() + 16 * i))?
            } else {
                &plain[..]
            };
            out.put(keep)?;
            written += keep.len();
            plain.zeroize();
        }
        Ok((tag, written))
    }

    /// The receiving side for a stream of wrapped `86` segments (as written
    /// by [`Session::wrap_package`]): unwraps each in order and appends the
    /// plaintext to `out`; returns the number of segments.
    ///
    /// # Errors
    /// A malformed TLV or a TLV other than `86` (offsets in `stream`), or
    /// any error of [`Session::unwrap_to`].
    pub fn unwrap_package(&mut self, stream: &[u8], out: &mut dyn Buffer) -> Result<usize, Error> {
        let mut n = 0;
        for t in tlv::Reader::with_options(stream, Options::strict()) {
            let t = t?;
            if t.tag().raw() != u32::from(segment::SEGMENT_TAG) {
                return Err(Error::new(ErrorKind::NotASegment, t.offset()));
            }
            self.unwrap_to(t.raw(), out)
                .map_err(|e| Error::new(e.kind, t.offset() + e.offset))?;
            n += 1;
        }
        Ok(n)
    }
}

/// `84` INITIALIZE UPDATE command TLV of SCP03t: KVN, KID and the 8-byte
/// host challenge (SGP.02 §4.1.3.3 as implemented by njiwa; GP Amendment D
/// §7.1.1 for the APDU form); returns its length.
///
/// # Errors
/// The buffer's error when it is too small.
pub fn initialize_update(
    kvn: u8,
    kid: u8,
    host_challenge: &[u8; 8],
    out: &mut dyn Buffer,
) -> Result<usize, tlv::Error> {
    out.put(&[0x84, 10, kvn, kid])?;
    out.put(host_challenge)?;
    Ok(12)
}

/// The INITIALIZE UPDATE response data (GP Amendment D §7.1.1.6,
/// table 7-3), S8 mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitializeUpdateResponse {
    /// Key diversification data.
    pub key_diversification_data: [u8; 10],
    /// Key version number.
    pub kvn: u8,
    /// SCP identifier (`03`).
    pub scp_id: u8,
    /// SCP03 "i" parameter (`70` in SGP.02: pseudo-random card challenge,
    /// R-MAC and R-ENCRYPTION supported).
    pub i_param: u8,
    /// Card challenge.
    pub card_challenge: [u8; 8],
    /// Card cryptogram.
    pub card_cryptogram: [u8; 8],
    /// Sequence counter (pseudo-random challenge mode).
    pub sequence_counter: Option<[u8; 3]>,
}

impl InitializeUpdateResponse {
    /// Decodes the response data (29 or 32 bytes).
    ///
    /// # Errors
    /// [`ErrorKind::BadValue`] for another length or SCP identifier.
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let bad = |at| Error::new(ErrorKind::BadValue("INITIALIZE UPDATE response"), at);
        let (key_diversification_data, rest) = data.split_first_chunk::<10>().ok_or(bad(0))?;
        let ([kvn, scp_id, i_param], rest) = rest.split_first_chunk::<3>().ok_or(bad(0))?;
        let (card_challenge, rest) = rest.split_first_chunk::<8>().ok_or(bad(0))?;
        let (card_cryptogram, rest) = rest.split_first_chunk::<8>().ok_or(bad(0))?;
        let sequence_counter = match *rest {
            [] => None,
            [a, b, c] => Some([a, b, c]),
            _ => return Err(bad(0)),
        };
        if *scp_id != 0x03 {
            return Err(bad(11));
        }
        Ok(Self {
            key_diversification_data: *key_diversification_data,
            kvn: *kvn,
            scp_id: *scp_id,
            i_param: *i_param,
            card_challenge: *card_challenge,
            card_cryptogram: *card_cryptogram,
            sequence_counter,
        })
    }
}

/// Host side of the handshake: derives the session keys from the static
/// keys, checks the card cryptogram in constant time and returns the new
/// session with the host cryptogram to send in EXTERNAL AUTHENTICATE.
///
/// # Errors
/// [`ErrorKind::MacMismatch`] when the card cryptogram does not verify.
pub fn establish(
    key_enc: &Key,
    key_mac: &Key,
    host_challenge: &[u8; 8],
    response: &InitializeUpdateResponse,
) -> Result<(Session, [u8; 8]), Error> {
    let keys = SessionKeys::derive(key_enc, key_mac, host_challenge, &response.card_challenge);
    let expected = keys.card_cryptogram(host_challenge, &response.card_challenge);
    if !bool::from(expected.ct_eq(&response.card_cryptogram)) {
        return Err(Error::new(ErrorKind::MacMismatch, 21));
    }
    let host = keys.host_cryptogram(host_challenge, &response.card_challenge);
    Ok((Session::new(keys), host))
}

impl Session {
    /// `85` EXTERNAL AUTHENTICATE command TLV of SCP03t: security level and
    /// host cryptogram, C-MAC only (the C-MAC input is chaining value | `85`
    /// | final length | data, as for `86`); the encryption counter does not
    /// change (GP Amendment D §7.1.2). Returns its length.
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    pub fn external_authenticate(
        &mut self,
        security_level: u8,
        host_cryptogram: &[u8; 8],
        out: &mut dyn Buffer,
    ) -> Result<usize, tlv::Error> {
        let header = [0x85, 1 + 8 + MAC_LEN as u8];
        let mac = self.c_mac(&[&header, &[security_level], host_cryptogram]);
        out.put(&header)?;
        out.put(&[security_level])?;
        out.put(host_cryptogram)?;
        out.put(&mac)?;
        Ok(2 + 1 + 8 + MAC_LEN)
    }
}

/// The BER length octets of `n` (X.690 §8.1.3, at most 5 octets).
///
/// # Errors
/// [`tlv::ErrorKind::ValueTooLong`] beyond what a length field holds.
fn length_octets(n: usize) -> Result<heapless::Vec<u8, 5>, tlv::Error> {
    let mut b = heapless::Vec::new();
    tlv::write_length(&mut b, n)?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field comes from its own octets; any length but 29 or 32 and
    /// any SCP identifier but `03` is refused (never zero-filled).
    #[test]
    fn initialize_update_response_fields() {
        let mut data = [0u8; 32];
        for (i, b) in data.iter_mut().enumerate() {
            *b = i as u8 + 0x40;
        }
        data[11] = 0x03;
        let r = InitializeUpdateResponse::parse(&data).unwrap();
        assert_eq!(r.key_diversification_data, data[..10]);
        assert_eq!((r.kvn, r.scp_id, r.i_param), (0x4A, 0x03, 0x4C));
        assert_eq!(r.card_challenge, data[13..21]);
        assert_eq!(r.card_cryptogram, data[21..29]);
        assert_eq!(r.sequence_counter, Some([0x5D, 0x5E, 0x5F]));
        let r29 = InitializeUpdateResponse::parse(&data[..29]).unwrap();
        assert_eq!(r29.sequence_counter, None);
        for len in [0, 10, 28, 30, 31, 33] {
            let mut v = [0u8; 33];
            v[..32].copy_from_slice(&data);
            assert!(InitializeUpdateResponse::parse(&v[..len]).is_err(), "{len}");
        }
        data[11] = 0x02;
        assert_eq!(
            InitializeUpdateResponse::parse(&data).unwrap_err().offset,
            11
        );
    }

    /// The longest output the one-byte counter allows is derived block by
    /// block with distinct counters (no block repeats).
    #[test]
    fn kdf_longest_output_has_distinct_blocks() {
        let mut out = [0u8; 255 * 16];
        kdf(&Key([7; 16]), constant::S_ENC, b"ctx", &mut out);
        let first = &out[..16];
        assert!(out.chunks(16).skip(1).all(|b| b != first));
        assert_ne!(&out[out.len() - 16..], &out[out.len() - 32..out.len() - 16]);
    }
}
