//! The expanded block-cipher key schedule of a [`Key`], shared by
//! ciphering ([`super::Cipher`]), cryptographic checksums
//! ([`super::Checksum`]) and the default provider
//! ([`super::SoftwareKey`]): one expansion per algorithm (ETSI TS 102 225
//! §5.1.2, §5.1.3.1), zeroized on drop by the RustCrypto types; AES keys
//! carry their CMAC subkeys, derived once (NIST SP 800-38B §6.1).
//!
//! Each operation runs in one block-cipher backend session
//! (`encrypt_with_backend`): the `aes` crate sets its backend up per
//! session (on AVX-512 machines it broadcasts the round keys), so a
//! per-block or per-update session costs more than the AES rounds of a
//! short packet.

use aes::{Aes128, Aes192, Aes256};
use cipher::block_padding::NoPadding;
use cipher::consts::U16;
use cipher::{
    Block, BlockCipherDecrypt, BlockCipherEncBackend, BlockCipherEncClosure, BlockCipherEncrypt,
    BlockModeDecrypt, BlockSizeUser, InnerIvInit, KeyInit,
};
use des::{Des, TdesEde2, TdesEde3};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::key::Material;
use super::{CipherAlgorithm, Error, Key};

/// The CMAC subkeys K1 and K2 of an AES key (NIST SP 800-38B §6.1).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub(crate) struct Subkeys {
    k1: [u8; 16],
    k2: [u8; 16],
}

/// A key schedule for one of the TS 102 225 block ciphers.
#[derive(Clone)]
pub(crate) enum Schedule {
    Des(Des),
    Tdes2(TdesEde2),
    Tdes3(TdesEde3),
    Aes128(Aes128, Subkeys),
    Aes192(Aes192, Subkeys),
    Aes256(Aes256, Subkeys),
}

/// A checksum output: one DES block (CBC-MAC) or one AES block (CMAC).
pub(crate) enum MacOutput {
    Eight([u8; 8]),
    Sixteen([u8; 16]),
}

/// Doubling in GF(2^128) (SP 800-38B §6.1 step 2/3, R_128 = 0x87),
/// without a secret-dependent branch.
pub(crate) fn dbl(block: [u8; 16]) -> [u8; 16] {
    let v = u128::from_be_bytes(block);
    ((v << 1) ^ ((v >> 127) * 0x87)).to_be_bytes()
}

/// K1 and K2 from L = CIPH_K(0^128) (SP 800-38B §6.1).
fn subkeys<C: BlockCipherEncrypt<BlockSize = U16>>(cipher: &C) -> Subkeys {
    let mut l = Block::<C>::default();
    cipher.encrypt_block(&mut l);
    let mut l_bytes: [u8; 16] = l.into();
    let k1 = dbl(l_bytes);
    let k2 = dbl(k1);
    l_bytes.zeroize();
    Subkeys { k1, k2 }
}

/// `a ^= b` over their common length.
fn xor(a: &mut [u8], b: &[u8]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// Zero-IV CBC encryption of whole blocks in one backend session
/// (TS 102 225 §5.1.2).
struct CbcEncrypt<'a, C> {
    buf: &'a mut [u8],
    cipher: core::marker::PhantomData<C>,
}

impl<C: BlockSizeUser> BlockSizeUser for CbcEncrypt<'_, C> {
    type BlockSize = C::BlockSize;
}

impl<C: BlockSizeUser> BlockCipherEncClosure for CbcEncrypt<'_, C> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = C::BlockSize>>(self, backend: &B) {
        let mut chain = Block::<C>::default();
        for block in self.buf.chunks_exact_mut(C::block_size()) {
            xor(&mut chain, block);
            backend.encrypt_block((&mut chain).into());
            for (d, s) in block.iter_mut().zip(chain.iter()) {
                *d = *s;
            }
        }
    }
}

/// A CBC-MAC or CMAC in progress over a [`Schedule`]: the chaining value
/// with the last block still open (`fill` octets XORed in, up to a whole
/// block), so the end of the message is known before that block is
/// enciphered (SP 800-38B §6.2 steps 4-6). Zeroized on drop; only ever
/// fed to the schedule that started it.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub(crate) struct MacState {
    x: [u8; 16],
    fill: usize,
}

/// How a MAC ends.
#[derive(Clone, Copy)]
enum Finish<'a> {
    /// ISO/IEC 9797-1 MAC algorithm 1, padding method 1 (TS 102 225
    /// §5.1.3.1): a partial last block is zero-padded (it already is, as
    /// nothing was XORed into the rest) and enciphered; an empty message
    /// leaves the zero block, as RustCrypto's `cbc-mac` does.
    CbcMac,
    /// AES-CMAC (SP 800-38B §6.2): M_n XOR K1 when complete, else padded
    /// `80 00..` and XOR K2, then enciphered.
    Cmac(&'a Subkeys),
}

/// Absorbs `parts` into `state` in one backend session, then ends the MAC
/// when `finish` says how (the streaming update passes `None`).
struct Absorb<'a, N> {
    state: &'a mut MacState,
    parts: &'a [&'a [u8]],
    finish: Option<Finish<'a>>,
    size: core::marker::PhantomData<N>,
}

impl<N: cipher::array::ArraySize> BlockSizeUser for Absorb<'_, N> {
    type BlockSize = N;
}

impl<N: cipher::array::ArraySize> BlockCipherEncClosure for Absorb<'_, N> {
    #[inline(always)]
    fn call<B: BlockCipherEncBackend<BlockSize = N>>(self, backend: &B) {
        let bs = N::USIZE;
        let mut x = Block::<B>::default();
        xor(&mut x, &self.state.x);
        let mut fill = self.state.fill;
        for part in self.parts {
            let mut rest: &[u8] = part;
            while !rest.is_empty() {
                // A full open block is enciphered only once more data follows.
                if fill == bs {
                    backend.encrypt_block((&mut x).into());
                    fill = 0;
                }
                let take = rest.len().min(bs - fill);
                let (now, later) = rest.split_at(take);
                if take == bs {
                    xor(&mut x, now);
                } else if let Some(s) = x.get_mut(fill..fill + take) {
                    xor(s, now);
                }
                fill += take;
                rest = later;
            }
        }
        match self.finish {
            Some(Finish::CbcMac) if fill > 0 => backend.encrypt_block((&mut x).into()),
            None | Some(Finish::CbcMac) => {}
            Some(Finish::Cmac(k)) => {
                if fill == bs {
                    xor(&mut x, &k.k1);
                } else {
                    if let Some(b) = x.get_mut(fill) {
                        *b ^= 0x80;
                    }
                    xor(&mut x, &k.k2);
                }
                backend.encrypt_block((&mut x).into());
            }
        }
        self.state.x = [0; 16];
        xor(&mut self.state.x, &x);
        self.state.fill = fill;
    }
}

/// Zero-IV CBC decryption (parallel blocks via the `cbc` crate).
fn cbc_decrypt<C>(cipher: C, buf: &mut [u8]) -> Result<(), Error>
where
    C: BlockCipherDecrypt + BlockSizeUser,
{
    let (len, block) = (buf.len(), C::block_size());
    cbc::Decryptor::<C>::inner_iv_init(cipher, &Default::default())
        .decrypt_padded::<NoPadding>(buf)
        .map(|_| ())
        .map_err(|_| Error::NotBlockAligned { len, block })
}

impl Schedule {
    /// Expands `key`. Infallible: a [`Key`] holds exactly the octets its
    /// algorithm needs, so every algorithm gets its own schedule and no
    /// fallback exists.
    pub(crate) fn expand(key: &Key) -> Self {
        match key.material() {
            Material::Des(k) => Self::Des(Des::new(k.into())),
            Material::Tdes2(k) => Self::Tdes2(TdesEde2::new(k.into())),
            Material::Tdes3(k) => Self::Tdes3(TdesEde3::new(k.into())),
            Material::Aes128(k) => {
                let c = Aes128::new(k.into());
                let s = subkeys(&c);
                Self::Aes128(c, s)
            }
            Material::Aes192(k) => {
                let c = Aes192::new(k.into());
                let s = subkeys(&c);
                Self::Aes192(c, s)
            }
            Material::Aes256(k) => {
                let c = Aes256::new(k.into());
                let s = subkeys(&c);
                Self::Aes256(c, s)
            }
        }
    }

    /// The algorithm of this schedule.
    pub(crate) const fn algorithm(&self) -> CipherAlgorithm {
        match self {
            Self::Des(_) => CipherAlgorithm::Des,
            Self::Tdes2(_) => CipherAlgorithm::Tdes2,
            Self::Tdes3(_) => CipherAlgorithm::Tdes3,
            Self::Aes128(..) => CipherAlgorithm::Aes128,
            Self::Aes192(..) => CipherAlgorithm::Aes192,
            Self::Aes256(..) => CipherAlgorithm::Aes256,
        }
    }

    /// [`Error::NotBlockAligned`] unless `len` is whole blocks.
    const fn aligned(&self, len: usize) -> Result<(), Error> {
        let block = self.algorithm().block_len();
        if len.is_multiple_of(block) {
            Ok(())
        } else {
            Err(Error::NotBlockAligned { len, block })
        }
    }

    /// CBC-encrypts `buf` in place with a zero IV.
    pub(crate) fn encrypt_cbc(&self, buf: &mut [u8]) -> Result<(), Error> {
        use core::marker::PhantomData as P;
        self.aligned(buf.len())?;
        match self {
            Self::Des(c) => c.encrypt_with_backend(CbcEncrypt::<Des> { buf, cipher: P }),
            Self::Tdes2(c) => c.encrypt_with_backend(CbcEncrypt::<TdesEde2> { buf, cipher: P }),
            Self::Tdes3(c) => c.encrypt_with_backend(CbcEncrypt::<TdesEde3> { buf, cipher: P }),
            Self::Aes128(c, _) => c.encrypt_with_backend(CbcEncrypt::<Aes128> { buf, cipher: P }),
            Self::Aes192(c, _) => c.encrypt_with_backend(CbcEncrypt::<Aes192> { buf, cipher: P }),
            Self::Aes256(c, _) => c.encrypt_with_backend(CbcEncrypt::<Aes256> { buf, cipher: P }),
        }
        Ok(())
    }

    /// CBC-decrypts `buf` in place with a zero IV.
    pub(crate) fn decrypt_cbc(&self, buf: &mut [u8]) -> Result<(), Error> {
        self.aligned(buf.len())?;
        match self {
            Self::Des(c) => cbc_decrypt(c, buf),
            Self::Tdes2(c) => cbc_decrypt(c, buf),
            Self::Tdes3(c) => cbc_decrypt(c, buf),
            Self::Aes128(c, _) => cbc_decrypt(c, buf),
            Self::Aes192(c, _) => cbc_decrypt(c, buf),
            Self::Aes256(c, _) => cbc_decrypt(c, buf),
        }
    }

    /// The cryptographic checksum of the concatenation of `parts`:
    /// CBC-MAC for DES / 3DES, CMAC for AES (TS 102 225 §5.1.3.1), in
    /// one backend session.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> MacOutput {
        let mut state = MacState::default();
        self.absorb(&mut state, parts, true);
        self.output(&state)
    }

    /// Feeds `data` to a MAC this schedule started (one backend session).
    pub(crate) fn mac_update(&self, state: &mut MacState, data: &[u8]) {
        self.absorb(state, &[data], false);
    }

    /// Ends a MAC this schedule started: equal to [`Schedule::mac`] over
    /// everything fed to it.
    pub(crate) fn mac_finish(&self, mut state: MacState) -> MacOutput {
        self.absorb(&mut state, &[], true);
        self.output(&state)
    }

    /// The MAC in `state` after its finish: one block of this algorithm.
    fn output(&self, state: &MacState) -> MacOutput {
        let [head @ .., _, _, _, _, _, _, _, _] = state.x;
        if self.algorithm().is_aes() {
            MacOutput::Sixteen(state.x)
        } else {
            MacOutput::Eight(head)
        }
    }

    /// [`Absorb`] with this schedule's backend and finish.
    fn absorb(&self, state: &mut MacState, parts: &[&[u8]], finish: bool) {
        use cipher::consts::U8;
        use core::marker::PhantomData as P;
        let cbc = finish.then_some(Finish::CbcMac);
        let des = |state, parts| Absorb::<U8> {
            state,
            parts,
            finish: cbc,
            size: P,
        };
        let aes = |state, parts, s| Absorb::<U16> {
            state,
            parts,
            finish: finish.then_some(Finish::Cmac(s)),
            size: P,
        };
        match self {
            Self::Des(c) => c.encrypt_with_backend(des(state, parts)),
            Self::Tdes2(c) => c.encrypt_with_backend(des(state, parts)),
            Self::Tdes3(c) => c.encrypt_with_backend(des(state, parts)),
            Self::Aes128(c, s) => c.encrypt_with_backend(aes(state, parts, s)),
            Self::Aes192(c, s) => c.encrypt_with_backend(aes(state, parts, s)),
            Self::Aes256(c, s) => c.encrypt_with_backend(aes(state, parts, s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SP 800-38B D.1 (AES-128): K1 = fbeed618357133667c85e08f7236a8de,
    /// K2 = f7ddac306ae266ccf90bc11ee46d513b.
    #[test]
    fn subkeys_sp800_38b() {
        let mut k = [0u8; 16];
        hex::decode_to_slice("2b7e151628aed2a6abf7158809cf4f3c", &mut k).unwrap();
        let key = Key::aes(&k).unwrap();
        let Schedule::Aes128(_, s) = Schedule::expand(&key) else {
            unreachable!("an AES-128 key")
        };
        assert_eq!(hex::encode(s.k1), "fbeed618357133667c85e08f7236a8de");
        assert_eq!(hex::encode(s.k2), "f7ddac306ae266ccf90bc11ee46d513b");
    }
}
