//! Redundancy checks and cryptographic checksums (ETSI TS 102 225
//! §5.1.3): DES / 3DES CBC-MAC (ISO/IEC 9797-1 MAC algorithm 1, padding
//! method 1, full 3DES on every block), AES-CMAC (NIST SP 800-38B),
//! CRC16 (X.25) and CRC32 (ISO-HDLC).

use core::fmt;

use aes::{Aes128, Aes192, Aes256};
use cbc_mac::CbcMac;
use cipher::KeyInit;
use cmac::digest::InnerInit;
use cmac::{Cmac, Mac};
use crc::{CRC_16_IBM_SDLC, CRC_32_ISO_HDLC, Crc};
use des::{Des, TdesEde2, TdesEde3};
use subtle::ConstantTimeEq;

use super::{CipherAlgorithm, Key};

static CRC16: Crc<u16> = Crc::<u16>::new(&CRC_16_IBM_SDLC);
static CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// The algorithm behind an RC or CC field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// CBC-MAC with single DES.
    DesCbcMac,
    /// CBC-MAC with 2-key 3DES on every block.
    Tdes2CbcMac,
    /// CBC-MAC with 3-key 3DES on every block.
    Tdes3CbcMac,
    /// AES-128 CMAC.
    Aes128Cmac,
    /// AES-192 CMAC.
    Aes192Cmac,
    /// AES-256 CMAC.
    Aes256Cmac,
    /// CRC-16/X.25: poly 1021, init FFFF, reflected, xorout FFFF.
    Crc16,
    /// CRC-32 (ISO-HDLC / zlib).
    Crc32,
}

impl ChecksumAlgorithm {
    /// The length of the field this algorithm fills by default: 8 for a
    /// CC (AES-CMAC truncated to its leftmost 8 octets), 2 / 4 for CRCs.
    #[must_use]
    pub const fn default_len(self) -> usize {
        match self {
            Self::Crc16 => 2,
            Self::Crc32 => 4,
            _ => 8,
        }
    }

    /// Whether a field of `len` octets can carry this checksum: CBC-MAC
    /// 8, AES-CMAC 8 or 4 (leftmost octets), CRC16 2, CRC32 4.
    #[must_use]
    pub const fn allows_len(self, len: usize) -> bool {
        match self {
            Self::DesCbcMac | Self::Tdes2CbcMac | Self::Tdes3CbcMac => len == 8,
            Self::Aes128Cmac | Self::Aes192Cmac | Self::Aes256Cmac => len == 8 || len == 4,
            Self::Crc16 => len == 2,
            Self::Crc32 => len == 4,
        }
    }

    /// Whether this is a cryptographic checksum (needs a key).
    #[must_use]
    pub const fn is_cc(self) -> bool {
        !matches!(self, Self::Crc16 | Self::Crc32)
    }
}

/// A computed checksum (up to 16 octets), compared in constant time.
#[derive(Clone, Copy)]
pub struct Tag {
    bytes: [u8; 16],
    len: usize,
}

impl Tag {
    /// The checksum octets (big-endian for CRCs).
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// The leftmost `len` octets, or `None` if the tag is shorter.
    #[must_use]
    pub fn truncated(&self, len: usize) -> Option<&[u8]> {
        self.as_bytes().get(..len)
    }

    /// Constant-time check that `received` equals the leftmost octets of
    /// this tag (an empty or over-long `received` never matches).
    #[must_use]
    pub fn matches(&self, received: &[u8]) -> bool {
        match self.truncated(received.len()) {
            Some(mine) if !received.is_empty() => mine.ct_eq(received).into(),
            _ => false,
        }
    }

    fn from_slice(s: &[u8]) -> Self {
        let mut bytes = [0u8; 16];
        let len = s.len().min(16);
        if let (Some(dst), Some(src)) = (bytes.get_mut(..len), s.get(..len)) {
            dst.copy_from_slice(src);
        }
        Self { bytes, len }
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl PartialEq for Tag {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && bool::from(self.as_bytes().ct_eq(other.as_bytes()))
    }
}

impl Eq for Tag {}

#[derive(Clone)]
enum Inner {
    Des(Des),
    Tdes2(TdesEde2),
    Tdes3(TdesEde3),
    Aes128(Aes128),
    Aes192(Aes192),
    Aes256(Aes256),
    Crc16,
    Crc32,
}

/// A prepared checksum: for a CC, the expanded key schedule, computed
/// once; each computation borrows it (nothing is copied per packet).
#[derive(Clone)]
pub struct Checksum {
    inner: Inner,
}

fn schedule<C: KeyInit>(key: &Key) -> Option<C> {
    C::new_from_slice(key.dangerous_bytes()).ok()
}

impl Checksum {
    /// A cryptographic checksum keyed with `key`: CBC-MAC for DES / 3DES,
    /// CMAC for AES.
    #[must_use]
    pub fn cc(key: &Key) -> Self {
        let inner = match key.algorithm() {
            CipherAlgorithm::Des => schedule(key).map(Inner::Des),
            CipherAlgorithm::Tdes2 => schedule(key).map(Inner::Tdes2),
            CipherAlgorithm::Tdes3 => schedule(key).map(Inner::Tdes3),
            CipherAlgorithm::Aes128 => schedule(key).map(Inner::Aes128),
            CipherAlgorithm::Aes192 => schedule(key).map(Inner::Aes192),
            CipherAlgorithm::Aes256 => schedule(key).map(Inner::Aes256),
        };
        // `Key` guarantees the length; the fallback only keeps this total.
        Self {
            inner: inner.unwrap_or(Inner::Crc32),
        }
    }

    /// The CRC16 (X.25) redundancy check.
    #[must_use]
    pub const fn crc16() -> Self {
        Self {
            inner: Inner::Crc16,
        }
    }

    /// The CRC32 redundancy check.
    #[must_use]
    pub const fn crc32() -> Self {
        Self {
            inner: Inner::Crc32,
        }
    }

    /// The algorithm.
    #[must_use]
    pub const fn algorithm(&self) -> ChecksumAlgorithm {
        match self.inner {
            Inner::Des(_) => ChecksumAlgorithm::DesCbcMac,
            Inner::Tdes2(_) => ChecksumAlgorithm::Tdes2CbcMac,
            Inner::Tdes3(_) => ChecksumAlgorithm::Tdes3CbcMac,
            Inner::Aes128(_) => ChecksumAlgorithm::Aes128Cmac,
            Inner::Aes192(_) => ChecksumAlgorithm::Aes192Cmac,
            Inner::Aes256(_) => ChecksumAlgorithm::Aes256Cmac,
            Inner::Crc16 => ChecksumAlgorithm::Crc16,
            Inner::Crc32 => ChecksumAlgorithm::Crc32,
        }
    }

    /// Starts a computation over data given in pieces.
    #[must_use]
    pub fn start(&self) -> ChecksumState<'_> {
        let state = match &self.inner {
            Inner::Des(c) => State::Des(CbcMac::inner_init(c)),
            Inner::Tdes2(c) => State::Tdes2(CbcMac::inner_init(c)),
            Inner::Tdes3(c) => State::Tdes3(CbcMac::inner_init(c)),
            Inner::Aes128(c) => State::Aes128(Cmac::inner_init(c)),
            Inner::Aes192(c) => State::Aes192(Cmac::inner_init(c)),
            Inner::Aes256(c) => State::Aes256(Cmac::inner_init(c)),
            Inner::Crc16 => State::Crc16(CRC16.digest()),
            Inner::Crc32 => State::Crc32(CRC32.digest()),
        };
        ChecksumState { state }
    }

    /// The checksum of the concatenation of `parts`.
    #[must_use]
    pub fn compute(&self, parts: &[&[u8]]) -> Tag {
        let mut s = self.start();
        for p in parts {
            s.update(p);
        }
        s.finalize()
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksum")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

enum State<'k> {
    Des(CbcMac<&'k Des>),
    Tdes2(CbcMac<&'k TdesEde2>),
    Tdes3(CbcMac<&'k TdesEde3>),
    Aes128(Cmac<&'k Aes128>),
    Aes192(Cmac<&'k Aes192>),
    Aes256(Cmac<&'k Aes256>),
    Crc16(crc::Digest<'static, u16>),
    Crc32(crc::Digest<'static, u32>),
}

/// A checksum computation in progress (see [`Checksum::start`]).
pub struct ChecksumState<'k> {
    state: State<'k>,
}

impl ChecksumState<'_> {
    /// Feeds more data.
    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            State::Des(m) => m.update(data),
            State::Tdes2(m) => m.update(data),
            State::Tdes3(m) => m.update(data),
            State::Aes128(m) => m.update(data),
            State::Aes192(m) => m.update(data),
            State::Aes256(m) => m.update(data),
            State::Crc16(d) => d.update(data),
            State::Crc32(d) => d.update(data),
        }
    }

    /// The full checksum: 8 octets for CBC-MAC (the trailing partial
    /// block zero-padded), 16 for CMAC, 2 / 4 big-endian for CRCs.
    #[must_use]
    pub fn finalize(self) -> Tag {
        match self.state {
            State::Des(m) => Tag::from_slice(&m.finalize().into_bytes()),
            State::Tdes2(m) => Tag::from_slice(&m.finalize().into_bytes()),
            State::Tdes3(m) => Tag::from_slice(&m.finalize().into_bytes()),
            State::Aes128(m) => Tag::from_slice(&m.finalize().into_bytes()),
            State::Aes192(m) => Tag::from_slice(&m.finalize().into_bytes()),
            State::Aes256(m) => Tag::from_slice(&m.finalize().into_bytes()),
            State::Crc16(d) => Tag::from_slice(&d.finalize().to_be_bytes()),
            State::Crc32(d) => Tag::from_slice(&d.finalize().to_be_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> heapless::Vec<u8, 80> {
        let mut v = heapless::Vec::new();
        v.resize(s.len() / 2, 0).unwrap();
        hex::decode_to_slice(s, &mut v).unwrap();
        v
    }

    #[test]
    fn crc_check_values() {
        // Catalogue check values (reveng CRC catalogue).
        assert_eq!(
            Checksum::crc16().compute(&[b"123456789"]).as_bytes(),
            &[0x90, 0x6E]
        );
        assert_eq!(
            Checksum::crc32().compute(&[b"1234", b"56789"]).as_bytes(),
            &[0xCB, 0xF4, 0x39, 0x26]
        );
    }

    /// RFC 4493 §4, examples 1 and 2.
    #[test]
    fn aes_cmac_rfc4493() {
        let key = Key::aes(&h("2b7e151628aed2a6abf7158809cf4f3c")).unwrap();
        let c = Checksum::cc(&key);
        assert_eq!(c.algorithm(), ChecksumAlgorithm::Aes128Cmac);
        assert_eq!(
            c.compute(&[]).as_bytes(),
            &h("bb1d6929e95937287fa37d129b756746")[..]
        );
        let t = c.compute(&[&h("6bc1bee22e409f96"), &h("e93d7e117393172a")]);
        assert_eq!(t.as_bytes(), &h("070a16b46b4d4144f79bdd9dd04a287c")[..]);
        assert!(t.matches(&h("070a16b46b4d4144")));
        assert!(t.matches(&h("070a16b4")));
        assert!(!t.matches(&h("070a16b46b4d4145")));
        assert!(!t.matches(&[]));
    }

    /// CBC-MAC = last block of a zero-IV CBC encryption of the zero-padded data.
    #[test]
    fn cbc_mac_is_last_cbc_block() {
        for (algo, key) in [
            (CipherAlgorithm::Des, &h("0123456789abcdef")[..]),
            (
                CipherAlgorithm::Tdes2,
                &h("0123456789abcdeffedcba9876543210")[..],
            ),
            (
                CipherAlgorithm::Tdes3,
                &h("0123456789abcdeffedcba987654321089abcdef01234567")[..],
            ),
        ] {
            let key = Key::new(algo, key).unwrap();
            let data = b"thirteen byte";
            let mut padded = [0u8; 16];
            padded[..13].copy_from_slice(data);
            crate::crypto::Cipher::new(&key)
                .encrypt_cbc(&mut padded)
                .unwrap();
            let tag = Checksum::cc(&key).compute(&[&data[..5], &data[5..]]);
            assert_eq!(tag.as_bytes(), &padded[8..], "{algo:?}");
        }
    }

    #[test]
    fn lengths() {
        assert!(ChecksumAlgorithm::Aes128Cmac.allows_len(4));
        assert!(!ChecksumAlgorithm::DesCbcMac.allows_len(4));
        assert!(ChecksumAlgorithm::Crc16.allows_len(2));
        assert!(!ChecksumAlgorithm::Crc32.allows_len(8));
    }
}
