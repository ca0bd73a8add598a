//! CBC ciphering with a zero IV (ETSI TS 102 225 §5.1.2: DES-CBC, 3DES
//! outer-CBC with two or three keys, AES-CBC).

use core::fmt;

use super::schedule::Schedule;
use super::{CipherAlgorithm, Error, Key};

/// An expanded cipher key schedule, ready to cipher many packets.
/// The schedule is zeroized on drop and never printed.
#[derive(Clone)]
pub struct Cipher {
    inner: Schedule,
}

impl Cipher {
    /// Expands `key` for ciphering. Infallible: a [`Key`] holds exactly
    /// the octets its algorithm needs (ETSI TS 102 225 §5.1.2), so every
    /// algorithm gets its own schedule and no fallback exists.
    #[must_use]
    pub fn new(key: &Key) -> Self {
        Self {
            inner: Schedule::expand(key),
        }
    }

    /// The algorithm of this key schedule.
    #[must_use]
    pub const fn algorithm(&self) -> CipherAlgorithm {
        self.inner.algorithm()
    }

    /// The cipher block length (8 or 16).
    #[must_use]
    pub const fn block_len(&self) -> usize {
        self.algorithm().block_len()
    }

    /// CBC-encrypts `buf` in place with a zero IV, in one block-cipher
    /// session.
    ///
    /// # Errors
    /// [`Error::NotBlockAligned`] when `buf` is not whole blocks.
    pub fn encrypt_cbc(&self, buf: &mut [u8]) -> Result<(), Error> {
        self.inner.encrypt_cbc(buf)
    }

    /// CBC-decrypts `buf` in place with a zero IV.
    ///
    /// # Errors
    /// [`Error::NotBlockAligned`] when `buf` is not whole blocks.
    pub fn decrypt_cbc(&self, buf: &mut [u8]) -> Result<(), Error> {
        self.inner.decrypt_cbc(buf)
    }
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cipher")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> heapless::Vec<u8, 64> {
        let mut v = heapless::Vec::new();
        v.resize(s.len() / 2, 0).unwrap();
        hex::decode_to_slice(s, &mut v).unwrap();
        v
    }

    /// NIST SP 800-38A F.2.1 (CBC-AES128.Encrypt), first two blocks, but
    /// with the IV folded into the plaintext so that the zero-IV CBC gives
    /// the published ciphertext.
    #[test]
    fn aes128_cbc_sp800_38a() {
        let key = Key::aes(&h("2b7e151628aed2a6abf7158809cf4f3c")).unwrap();
        let c = Cipher::new(&key);
        // P1 xor IV (000102..0f) = 6bc1bee2.. ^ 0001..0f
        let mut p1 = h("6bc1bee22e409f96e93d7e117393172a");
        for (i, b) in p1.iter_mut().enumerate() {
            *b ^= i as u8;
        }
        let mut buf = [0u8; 32];
        buf[..16].copy_from_slice(&p1);
        buf[16..].copy_from_slice(&h("ae2d8a571e03ac9c9eb76fac45af8e51"));
        c.encrypt_cbc(&mut buf).unwrap();
        assert_eq!(
            &buf[..],
            &h("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2")[..]
        );
        c.decrypt_cbc(&mut buf).unwrap();
        assert_eq!(&buf[..16], &p1[..]);
        assert_eq!(
            c.encrypt_cbc(&mut [0u8; 15]),
            Err(Error::NotBlockAligned { len: 15, block: 16 })
        );
    }

    /// FIPS 81 / NBS DES test: key 0123456789ABCDEF, "Now is t" -> 3FA40E8A984D4815.
    #[test]
    fn des_single_block() {
        let key = Key::new(CipherAlgorithm::Des, &h("0123456789abcdef")).unwrap();
        let mut buf = *b"Now is t";
        Cipher::new(&key).encrypt_cbc(&mut buf).unwrap();
        assert_eq!(&buf[..], &h("3fa40e8a984d4815")[..]);
    }

    /// Every key gets a schedule of its own algorithm (never a stand-in
    /// such as a zero-key DES): the same plaintext ciphers differently
    /// under each, and as single DES under 3DES keys with equal parts.
    #[test]
    fn each_algorithm_gets_its_own_schedule() {
        let expect_des = h("3fa40e8a984d4815");
        for (algo, key) in [
            (CipherAlgorithm::Des, h("0123456789abcdef")),
            (
                CipherAlgorithm::Tdes2,
                h("0123456789abcdef0123456789abcdef"),
            ),
            (
                CipherAlgorithm::Tdes3,
                h("0123456789abcdef0123456789abcdef0123456789abcdef"),
            ),
        ] {
            let c = Cipher::new(&Key::new(algo, &key).unwrap());
            assert_eq!(c.algorithm(), algo);
            let mut buf = *b"Now is t";
            c.encrypt_cbc(&mut buf).unwrap();
            assert_eq!(&buf[..], &expect_des[..], "{algo:?}");
        }
        let zero = Cipher::new(&Key::new(CipherAlgorithm::Des, &[0; 8]).unwrap());
        let mut z = *b"Now is t";
        zero.encrypt_cbc(&mut z).unwrap();
        assert_ne!(&z[..], &expect_des[..]);
        // FIPS 197 C.2 / C.3: AES-192 and AES-256 single-block vectors.
        for (key, ct) in [
            (
                h("000102030405060708090a0b0c0d0e0f1011121314151617"),
                h("dda97ca4864cdfe06eaf70a0ec0d7191"),
            ),
            (
                h("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
                h("8ea2b7ca516745bfeafc49904b496089"),
            ),
        ] {
            let c = Cipher::new(&Key::aes(&key).unwrap());
            assert!(c.algorithm().is_aes());
            let mut buf = h("00112233445566778899aabbccddeeff");
            c.encrypt_cbc(&mut buf).unwrap();
            assert_eq!(buf, ct);
        }
    }

    /// 2-key 3DES with K1 = K2 degenerates to single DES.
    #[test]
    fn tdes2_with_equal_halves_is_des() {
        let key = Key::new(
            CipherAlgorithm::Tdes2,
            &h("0123456789abcdef0123456789abcdef"),
        )
        .unwrap();
        let mut buf = *b"Now is t";
        Cipher::new(&key).encrypt_cbc(&mut buf).unwrap();
        assert_eq!(&buf[..], &h("3fa40e8a984d4815")[..]);
    }
}
