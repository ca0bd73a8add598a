//! One SCP03 secure channel session applied to TLVs (SCP03t, SGP.02
//! §4.1.3.3 / §5.4.4): the MAC chaining value, the encryption counter and
//! the protection of command and response TLVs.
//!
//! * C-MAC (GP Amendment D §6.2.4): CMAC under S-MAC over `chaining value |
//!   tag | final length | data`; the full 16-byte CMAC becomes the next
//!   chaining value, its first 8 octets (S8 mode) end the TLV.
//! * C-DECRYPTION (§6.2.6): the data, padded `80 00..` to a multiple of 16
//!   (always padded), AES-CBC under S-ENC with ICV = AES(S-ENC, counter
//!   block); the counter starts at 1 and each enciphered command uses the
//!   next value.
//! * R-MAC (§6.2.5): CMAC under S-RMAC over `chaining value (the C-MAC of
//!   the command) | tag | final length | data`, 8 octets; the chaining value
//!   does not change.
//! * R-ENCRYPTION (§6.2.7): as C-DECRYPTION with the ICV from the command's
//!   counter block whose most significant octet is set to `80`; an empty
//!   response is not enciphered.
//!
//! The TLV form of the MAC input (tag and final length instead of an APDU
//! header) is the SGP.22 BSP one (§2.6.4), checked against the pySim BSP
//! vectors; njiwa uses the same for commands.

use core::fmt;

use crate::crypto::{Scp03Provider, Software, SoftwareKey};
use zeroize::Zeroize;

use crate::tlv::{self, Buffer, Options, Tlv};

use super::kdf::{constant, cryptogram};
use super::segment::{self, Protection};
use super::{CHALLENGE_LEN, Error, ErrorKind, MAC_LEN, SecurityLevel, SessionKeys, StaticKeys};

const BLOCK: usize = 16;

/// The command and response state of one SCP03t session, on either side,
/// with the session keys held by a crypto provider ([`Software`] by
/// default: key schedules in memory, zeroized on drop; any
/// [`Scp03Provider`]'s handles with [`Session::from_handles`], e.g. keys
/// an HSM derived). `Debug` shows the level and the counter only.
#[derive(Clone)]
pub struct Session<P: Scp03Provider = Software> {
    provider: P,
    s_enc: P::Key,
    s_mac: P::Key,
    s_rmac: P::Key,
    level: SecurityLevel,
    mac_chain: [u8; BLOCK],
    counter: u64,
}

impl<P: Scp03Provider> fmt::Debug for Session<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("level", &self.level)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// The 16 octets of an AES-CMAC.
fn block_of(tag: &crate::crypto::Tag) -> Result<[u8; BLOCK], Error> {
    <[u8; BLOCK]>::try_from(tag.as_bytes())
        .map_err(|_| Error::new(ErrorKind::BadValue("SCP03 key (not AES)"), 0))
}

/// The first 8 octets of a block.
fn s8(block: &[u8; BLOCK]) -> [u8; MAC_LEN] {
    let mut m = [0u8; MAC_LEN];
    for (d, s) in m.iter_mut().zip(block) {
        *d = *s;
    }
    m
}

/// The BER length octets of `n` (X.690 §8.1.3, at most 5 octets).
fn length_octets(n: usize) -> Result<heapless::Vec<u8, 5>, tlv::Error> {
    let mut b = heapless::Vec::new();
    tlv::write_length(&mut b, n)?;
    Ok(b)
}

/// The parts of a received protected TLV: tag, header octets, data (before
/// the MAC), MAC, and the offset of the data.
struct Received<'a> {
    tag: u8,
    header: &'a [u8],
    data: &'a [u8],
    mac: &'a [u8],
    at: usize,
}

fn split_received(wrapped: &[u8], with_mac: bool) -> Result<Received<'_>, Error> {
    let t = Tlv::parse_exact(wrapped, Options::strict())?;
    let raw = t.tag().raw();
    let tag = u8::try_from(raw)
        .map_err(|_| Error::new(ErrorKind::BadValue("SCP03t tag (not one octet)"), 0))?;
    let v = t.value();
    let keep = if with_mac { MAC_LEN } else { 0 };
    let split = v
        .len()
        .checked_sub(keep)
        .ok_or(Error::new(ErrorKind::BadCiphertextLength, t.value_offset()))?;
    let (data, mac) = v.split_at(split);
    let (header, _) = wrapped
        .split_at_checked(t.header_len())
        .ok_or(Error::new(ErrorKind::Tlv(tlv::ErrorKind::UnexpectedEnd), 0))?;
    Ok(Received {
        tag,
        header,
        data,
        mac,
        at: t.value_offset(),
    })
}

impl Session {
    /// A session right after key derivation: chaining value 16 × `00`, the
    /// first enciphered command uses counter 1 (GP Amendment D §6.2.4,
    /// §6.2.6).
    ///
    /// # Errors
    /// [`ErrorKind::BadValue`] when a session key is not AES.
    pub fn new(keys: &SessionKeys, level: SecurityLevel) -> Result<Self, Error> {
        Self::resume(keys, level, [0; BLOCK], 1)
    }

    /// A session with an explicit initial MAC chaining value (SGP.22 BSP
    /// derives one with its keys).
    ///
    /// # Errors
    /// As [`Session::new`].
    pub fn with_chaining_value(
        keys: &SessionKeys,
        level: SecurityLevel,
        mac_chain: [u8; BLOCK],
    ) -> Result<Self, Error> {
        Self::resume(keys, level, mac_chain, 1)
    }

    /// A session resumed in the middle: chaining value and the counter the
    /// next enciphered command uses (for tools driving a real card).
    ///
    /// # Errors
    /// As [`Session::new`]; [`ErrorKind::BadValue`] for counter 0.
    pub fn resume(
        keys: &SessionKeys,
        level: SecurityLevel,
        mac_chain: [u8; BLOCK],
        counter: u64,
    ) -> Result<Self, Error> {
        let keys = [&keys.s_enc, &keys.s_mac, &keys.s_rmac].map(SoftwareKey::new);
        Self::from_handles(Software, keys, level, mac_chain, counter)
    }
}

impl<P: Scp03Provider + Clone> Session<P> {
    /// A session right after key derivation (chaining value 16 × `00`,
    /// counter 1): S-ENC, S-MAC and S-RMAC derived from `keys` inside its
    /// provider with context = host challenge | card challenge (GP
    /// Amendment D §6.2.1); the session holds their handles only.
    ///
    /// # Errors
    /// A provider failure ([`ErrorKind::Key`]).
    pub fn derive(
        keys: &StaticKeys<P>,
        host_challenge: &[u8; CHALLENGE_LEN],
        card_challenge: &[u8; CHALLENGE_LEN],
        level: SecurityLevel,
    ) -> Result<Self, Error> {
        let handles = keys.derive_session(host_challenge, card_challenge)?;
        Self::from_handles(keys.provider().clone(), handles, level, [0; BLOCK], 1)
    }
}

impl<P: Scp03Provider> Session<P> {
    /// The card cryptogram under S-MAC (GP Amendment D §6.2.2.2), S8 mode.
    ///
    /// # Errors
    /// A provider failure ([`ErrorKind::Key`]).
    pub fn card_cryptogram(
        &self,
        host: &[u8; CHALLENGE_LEN],
        card: &[u8; CHALLENGE_LEN],
    ) -> Result<[u8; CHALLENGE_LEN], Error> {
        cryptogram(
            &self.provider,
            &self.s_mac,
            constant::CARD_CRYPTOGRAM,
            host,
            card,
        )
    }

    /// The host cryptogram under S-MAC (GP Amendment D §6.2.2.3), S8 mode.
    ///
    /// # Errors
    /// A provider failure ([`ErrorKind::Key`]).
    pub fn host_cryptogram(
        &self,
        host: &[u8; CHALLENGE_LEN],
        card: &[u8; CHALLENGE_LEN],
    ) -> Result<[u8; CHALLENGE_LEN], Error> {
        cryptogram(
            &self.provider,
            &self.s_mac,
            constant::HOST_CRYPTOGRAM,
            host,
            card,
        )
    }

    /// A session over the provider's session key handles `[S-ENC, S-MAC,
    /// S-RMAC]`, with the MAC chaining value and the counter the next
    /// enciphered command uses (`[0; 16]` and 1 right after key
    /// derivation).
    ///
    /// # Errors
    /// [`ErrorKind::BadValue`] when a session key is not AES, or for
    /// counter 0.
    pub fn from_handles(
        provider: P,
        keys: [P::Key; 3],
        level: SecurityLevel,
        mac_chain: [u8; BLOCK],
        counter: u64,
    ) -> Result<Self, Error> {
        if keys.iter().any(|k| !provider.key_algorithm(k).is_aes()) {
            return Err(Error::new(ErrorKind::BadValue("SCP03 key (not AES)"), 0));
        }
        if counter == 0 {
            return Err(Error::new(ErrorKind::BadValue("encryption counter 0"), 0));
        }
        let [s_enc, s_mac, s_rmac] = keys;
        Ok(Self {
            provider,
            s_enc,
            s_mac,
            s_rmac,
            level,
            mac_chain,
            counter,
        })
    }

    /// The security level.
    pub const fn level(&self) -> SecurityLevel {
        self.level
    }

    /// The counter the next enciphered command will use.
    pub const fn counter(&self) -> u64 {
        self.counter
    }

    /// The current MAC chaining value.
    pub const fn mac_chaining_value(&self) -> &[u8; BLOCK] {
        &self.mac_chain
    }

    /// Takes the next counter value. At `u64::MAX` the session is
    /// exhausted and refuses (the counter never wraps to a used value).
    fn take_counter(&mut self) -> Result<u64, Error> {
        let c = self.counter;
        self.counter = c
            .checked_add(1)
            .ok_or(Error::new(ErrorKind::CounterExhausted, 0))?;
        Ok(c)
    }

    /// The counter of the last command (the one a response answers).
    fn last_counter(&self) -> Result<u64, Error> {
        self.counter
            .checked_sub(1)
            .ok_or(Error::new(ErrorKind::BadValue("encryption counter 0"), 0))
    }

    /// Skips a counter value: a command without data still consumes one
    /// (GP Amendment D §6.2.6), as does a MAC-only BSP TLV (SGP.22
    /// §2.6.4.4).
    ///
    /// # Errors
    /// [`ErrorKind::CounterExhausted`].
    pub fn skip_counter(&mut self) -> Result<(), Error> {
        self.take_counter().map(|_| ())
    }

    /// C-MAC over `chaining value | parts`; the full CMAC becomes the next
    /// chaining value and its first 8 octets are returned (§6.2.4).
    ///
    /// # Errors
    /// A provider failure ([`ErrorKind::Key`]).
    pub fn c_mac(&mut self, parts: &[&[u8]]) -> Result<[u8; MAC_LEN], Error> {
        self.mac_chain = self.chained_mac(&self.s_mac, parts)?;
        Ok(s8(&self.mac_chain))
    }

    /// Puts back the chaining value a refused C-MAC replaced.
    pub(super) const fn restore_mac_chain(&mut self, mac_chain: [u8; BLOCK]) {
        self.mac_chain = mac_chain;
    }

    /// R-MAC over `chaining value | parts` with S-RMAC (the chaining value
    /// does not change; §6.2.5).
    ///
    /// # Errors
    /// A provider failure ([`ErrorKind::Key`]).
    pub fn r_mac(&self, parts: &[&[u8]]) -> Result<[u8; MAC_LEN], Error> {
        Ok(s8(&self.chained_mac(&self.s_rmac, parts)?))
    }

    /// The full CMAC under `key` over `chaining value | parts`.
    fn chained_mac(&self, key: &P::Key, parts: &[&[u8]]) -> Result<[u8; BLOCK], Error> {
        let mut s = self.provider.mac_start(key)?;
        self.provider.mac_update(key, &mut s, &self.mac_chain)?;
        for part in parts {
            self.provider.mac_update(key, &mut s, part)?;
        }
        block_of(&self.provider.mac_finish(key, s)?)
    }

    /// The full CMAC under `key` over `chaining value | header | data` in
    /// one provider call (a received TLV, all at hand).
    fn received_mac(&self, key: &P::Key, r: &Received<'_>) -> Result<[u8; BLOCK], Error> {
        block_of(
            &self
                .provider
                .mac(key, &[&self.mac_chain, r.header, r.data])?,
        )
    }

    /// ICV = AES(S-ENC, counter block), with the most significant octet
    /// set to `80` for a response (§6.2.6, §6.2.7).
    fn icv(&self, counter: u64, response: bool) -> Result<[u8; BLOCK], Error> {
        let mut block = [0u8; BLOCK];
        let (hi, lo) = block.split_at_mut(BLOCK - 8);
        lo.copy_from_slice(&counter.to_be_bytes());
        if let (true, Some(b)) = (response, hi.first_mut()) {
            *b = 0x80;
        }
        self.provider.encrypt_cbc(&self.s_enc, &mut block)?;
        Ok(block)
    }

    /// Enciphers `plaintext` padded `80 00..` with AES-CBC from `icv`,
    /// writing the ciphertext to `out` and to `each`, a run of blocks at a
    /// time (one cipher call per run, not per block).
    fn encrypt_blocks(
        &self,
        icv: [u8; BLOCK],
        plaintext: &[u8],
        out: &mut dyn Buffer,
        each: &mut dyn FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<(), Error> {
        const RUN: usize = 32 * BLOCK;
        let mut prev = icv;
        let mut buf = [0u8; RUN];
        let mut rest = plaintext;
        loop {
            // A full run, or the last one with the `80 00..` padding.
            let last = rest.len() < RUN;
            let take = rest.len().min(RUN);
            let (src, after) = rest.split_at(take);
            rest = after;
            let len = if last {
                Protection::padded_len(take)
            } else {
                RUN
            };
            let run = buf
                .get_mut(..len)
                .ok_or(Error::new(ErrorKind::BadCiphertextLength, 0))?;
            run.fill(0);
            for (d, s) in run.iter_mut().zip(src) {
                *d = *s;
            }
            if let (true, Some(pad)) = (last, run.get_mut(take)) {
                *pad = 0x80;
            }
            for (b, p) in run.iter_mut().zip(prev) {
                *b ^= p;
            }
            self.provider.encrypt_cbc(&self.s_enc, run)?;
            if let Some(tail) = run.last_chunk::<BLOCK>() {
                prev = *tail;
            }
            out.put(run)?;
            each(run)?;
            if last {
                break;
            }
        }
        buf.zeroize();
        Ok(())
    }

    /// Deciphers `ct` (AES-CBC from `icv`) into `out` without the `80
    /// 00..` padding, which must lie in the last block; returns the
    /// plaintext length. `out` needs room for the plaintext only.
    fn decrypt_into(&self, icv: [u8; BLOCK], ct: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let bad_len = Error::new(ErrorKind::BadCiphertextLength, 0);
        if ct.is_empty() || !ct.len().is_multiple_of(BLOCK) {
            return Err(bad_len);
        }
        let split = ct.len() - BLOCK;
        let (head, last) = ct.split_at(split);
        let small = Error::new(ErrorKind::Tlv(tlv::ErrorKind::BufferTooSmall), 0);
        let (body, tail) = out.split_at_mut_checked(split).ok_or(small)?;
        body.copy_from_slice(head);
        self.provider.decrypt_cbc(&self.s_enc, body)?;
        for (b, i) in body.iter_mut().zip(icv) {
            *b ^= i;
        }
        // The last block: its chaining input is the previous ciphertext
        // block, or the ICV for a single block.
        let prev = head.rchunks_exact(BLOCK).next().unwrap_or(&icv);
        let mut block = <[u8; BLOCK]>::try_from(last).map_err(|_| bad_len)?;
        self.provider.decrypt_cbc(&self.s_enc, &mut block)?;
        for (b, p) in block.iter_mut().zip(prev) {
            *b ^= p;
        }
        let end = block
            .iter()
            .rposition(|b| *b != 0)
            .filter(|e| block.get(*e) == Some(&0x80))
            .ok_or(Error::new(ErrorKind::BadPadding, split))?;
        let (data, _) = block.split_at(end);
        tail.get_mut(..end).ok_or(small)?.copy_from_slice(data);
        block.zeroize();
        Ok(split + end)
    }

    /// C-DECRYPTION undone on the card side for the APDU form: AES-CBC
    /// from the ICV of the next counter, which it takes (§6.2.6); returns
    /// the plaintext length.
    pub(super) fn decrypt_command(&mut self, ct: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let icv = self.icv(self.counter, false)?;
        self.take_counter()?;
        self.decrypt_into(icv, ct, out)
    }

    /// R-ENCRYPTION on the card side for the APDU form, from the ICV of
    /// the last command's counter (§6.2.7); returns the ciphertext length.
    #[cfg(feature = "alloc")]
    pub(super) fn encrypt_response(
        &self,
        data: &[u8],
        out: &mut dyn Buffer,
    ) -> Result<usize, Error> {
        let icv = self.icv(self.last_counter()?, true)?;
        self.encrypt_blocks(icv, data, out, &mut |_| Ok(()))?;
        Ok(Protection::padded_len(data.len()))
    }

    /// Enciphers `plaintext` (C-DECRYPTION) and writes the ciphertext;
    /// returns its length (a multiple of 16, padding always added).
    ///
    /// # Errors
    /// The buffer's error; [`ErrorKind::CounterExhausted`].
    pub fn encrypt(&mut self, plaintext: &[u8], out: &mut dyn Buffer) -> Result<usize, Error> {
        let counter = self.take_counter()?;
        let icv = self.icv(counter, false)?;
        self.encrypt_blocks(icv, plaintext, out, &mut |_| Ok(()))?;
        Ok(Protection::padded_len(plaintext.len()))
    }

    /// Wraps one command TLV `tag | L | data | C-MAC` where L counts the
    /// MAC; the data is enciphered when the level has C-DECRYPTION. Returns
    /// the TLV length.
    ///
    /// # Errors
    /// The buffer's error (the session is then unusable, as a partial TLV
    /// was written); [`ErrorKind::CounterExhausted`].
    pub fn wrap(
        &mut self,
        tag: u8,
        plaintext: &[u8],
        out: &mut dyn Buffer,
    ) -> Result<usize, Error> {
        if !self.level.c_decryption() {
            return self.mac_only(tag, plaintext, out);
        }
        let value_len = Protection::Scp03t.value_len(plaintext.len());
        let header = length_octets(value_len)?;
        let counter = self.take_counter()?;
        let icv = self.icv(counter, false)?;
        let (p, key) = (&self.provider, &self.s_mac);
        let mut mac = p.mac_start(key)?;
        for part in [&self.mac_chain[..], &[tag], &header] {
            p.mac_update(key, &mut mac, part)?;
        }
        out.put(&[tag])?;
        out.put(&header)?;
        self.encrypt_blocks(icv, plaintext, out, &mut |b| {
            Ok(p.mac_update(key, &mut mac, b)?)
        })?;
        self.mac_chain = block_of(&p.mac_finish(key, mac)?)?;
        out.put(&s8(&self.mac_chain))?;
        Ok(1 + header.len() + value_len)
    }

    /// `tag | L | data | C-MAC` without enciphering nor counter change.
    fn mac_only(&mut self, tag: u8, data: &[u8], out: &mut dyn Buffer) -> Result<usize, Error> {
        let value_len = data.len() + MAC_LEN;
        let header = length_octets(value_len)?;
        let m = self.c_mac(&[&[tag], &header, data])?;
        out.put(&[tag])?;
        out.put(&header)?;
        out.put(data)?;
        out.put(&m)?;
        Ok(1 + header.len() + value_len)
    }

    /// Wraps one TLV with C-MAC only; the encryption counter still advances
    /// (the SGP.22 BSP `88` TLV, §2.6.4.4). Returns the TLV length.
    ///
    /// # Errors
    /// The buffer's error; [`ErrorKind::CounterExhausted`].
    pub fn wrap_mac_only(
        &mut self,
        tag: u8,
        data: &[u8],
        out: &mut dyn Buffer,
    ) -> Result<usize, Error> {
        let n = self.mac_only(tag, data, out)?;
        self.skip_counter()?;
        Ok(n)
    }

    /// The receiving side of [`Session::wrap`]: verifies the C-MAC in
    /// constant time, then deciphers into `out` (C-DECRYPTION) or copies
    /// the data; returns the tag and the plaintext.
    ///
    /// # Errors
    /// A malformed TLV; [`ErrorKind::MacMismatch`] (the session is then
    /// unchanged); [`ErrorKind::BadCiphertextLength`],
    /// [`ErrorKind::BadPadding`]; the TLV layer's `BufferTooSmall` when
    /// `out` is shorter than the data.
    pub fn unwrap<'o>(
        &mut self,
        wrapped: &[u8],
        out: &'o mut [u8],
    ) -> Result<(u8, &'o [u8]), Error> {
        let r = split_received(wrapped, true)?;
        let full = self.received_mac(&self.s_mac, &r)?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&s8(&full)[..], r.mac)) {
            return Err(Error::new(ErrorKind::MacMismatch, r.at + r.data.len()));
        }
        if !self.level.c_decryption() {
            let buf = out.get_mut(..r.data.len()).ok_or(Error::new(
                ErrorKind::Tlv(tlv::ErrorKind::BufferTooSmall),
                r.at,
            ))?;
            buf.copy_from_slice(r.data);
            self.mac_chain = full;
            return Ok((r.tag, buf));
        }
        if r.data.is_empty() || !r.data.len().is_multiple_of(BLOCK) {
            return Err(Error::new(ErrorKind::BadCiphertextLength, r.at));
        }
        let icv = self.icv(self.counter, false)?;
        self.mac_chain = full;
        self.take_counter()?;
        let n = self
            .decrypt_into(icv, r.data, out)
            .map_err(|e| e.shifted(r.at))?;
        let (plain, _) = out.split_at(n);
        Ok((r.tag, plain))
    }

    /// Wraps one response TLV (card side): the data is enciphered when the
    /// level has R-ENCRYPTION and there is data, an R-MAC ends it when the
    /// level has R-MAC. Returns the TLV length.
    ///
    /// # Errors
    /// The buffer's error.
    pub fn wrap_response(
        &self,
        tag: u8,
        data: &[u8],
        out: &mut dyn Buffer,
    ) -> Result<usize, Error> {
        let enc = self.level.r_encryption() && !data.is_empty();
        let body = if enc {
            Protection::padded_len(data.len())
        } else {
            data.len()
        };
        let value_len = body + if self.level.r_mac() { MAC_LEN } else { 0 };
        let header = length_octets(value_len)?;
        let (p, key) = (&self.provider, &self.s_rmac);
        let mut mac = p.mac_start(key)?;
        for part in [&self.mac_chain[..], &[tag], &header] {
            p.mac_update(key, &mut mac, part)?;
        }
        out.put(&[tag])?;
        out.put(&header)?;
        if enc {
            let icv = self.icv(self.last_counter()?, true)?;
            self.encrypt_blocks(icv, data, out, &mut |b| Ok(p.mac_update(key, &mut mac, b)?))?;
        } else {
            out.put(data)?;
            p.mac_update(key, &mut mac, data)?;
        }
        if self.level.r_mac() {
            out.put(&s8(&block_of(&p.mac_finish(key, mac)?)?))?;
        }
        Ok(1 + header.len() + value_len)
    }

    /// The receiving side of [`Session::wrap_response`] (host side):
    /// verifies the R-MAC, deciphers into `out`; returns the tag and data.
    ///
    /// # Errors
    /// As [`Session::unwrap`].
    pub fn unwrap_response<'o>(
        &self,
        wrapped: &[u8],
        out: &'o mut [u8],
    ) -> Result<(u8, &'o [u8]), Error> {
        let r = split_received(wrapped, self.level.r_mac())?;
        if self.level.r_mac() {
            let full = self.received_mac(&self.s_rmac, &r)?;
            if !bool::from(subtle::ConstantTimeEq::ct_eq(&s8(&full)[..], r.mac)) {
                return Err(Error::new(ErrorKind::MacMismatch, r.at + r.data.len()));
            }
        }
        if !self.level.r_encryption() || r.data.is_empty() {
            let buf = out.get_mut(..r.data.len()).ok_or(Error::new(
                ErrorKind::Tlv(tlv::ErrorKind::BufferTooSmall),
                r.at,
            ))?;
            buf.copy_from_slice(r.data);
            return Ok((r.tag, buf));
        }
        let n = self
            .decrypt_response(r.data, out)
            .map_err(|e| e.shifted(r.at))?;
        let (plain, _) = out.split_at(n);
        Ok((r.tag, plain))
    }

    /// R-ENCRYPTION undone (host side, also for the APDU form): AES-CBC
    /// under S-ENC from the ICV of the last command's counter with its most
    /// significant octet `80` (§6.2.7); writes the plaintext without the
    /// padding to `out` and returns its length.
    ///
    /// # Errors
    /// [`ErrorKind::BadCiphertextLength`], [`ErrorKind::BadPadding`], the
    /// TLV layer's `BufferTooSmall`.
    pub fn decrypt_response(&self, ct: &[u8], out: &mut [u8]) -> Result<usize, Error> {
        let icv = self.icv(self.last_counter()?, true)?;
        self.decrypt_into(icv, ct, out)
    }

    /// Cuts `package` into the largest chunks that fit `max_segment_len`
    /// once protected and writes each as a wrapped `86` segment; returns the
    /// number of segments.
    ///
    /// # Errors
    /// [`ErrorKind::SegmentSizeTooSmall`], or as [`Session::wrap`].
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

    /// The receiving side for a stream of wrapped `86` segments (as
    /// [`Session::wrap_package`] writes them): unwraps each in order and
    /// returns the joined plaintext.
    ///
    /// # Errors
    /// A malformed TLV or a TLV other than `86` (offsets in `stream`), or
    /// any error of [`Session::unwrap`].
    #[cfg(feature = "alloc")]
    pub fn unwrap_package(&mut self, stream: &[u8]) -> Result<alloc::vec::Vec<u8>, Error> {
        let mut back = alloc::vec::Vec::with_capacity(stream.len());
        let mut scratch = alloc::vec::Vec::new();
        for t in tlv::Reader::with_options(stream, Options::strict()) {
            let t = t?;
            if t.tag().raw() != u32::from(segment::SEGMENT_TAG) {
                return Err(Error::new(ErrorKind::NotASegment, t.offset()));
            }
            scratch.resize(t.value().len(), 0);
            let (_, p) = self
                .unwrap(t.raw(), &mut scratch)
                .map_err(|e| e.shifted(t.offset()))?;
            back.extend_from_slice(p);
        }
        Ok(back)
    }
}
