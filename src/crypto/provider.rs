//! The crypto provider seam (in the style of rustls' `CryptoProvider`):
//! the block operations of SCP80 (ETSI TS 102 225 §5.1.2 ciphering,
//! §5.1.3 cryptographic checksums) and SCP03 / SCP03t (GlobalPlatform
//! Amendment D §4.1.5 SP 800-108 derivation, §6.2.4 C-MAC, §6.2.6
//! C-DECRYPTION) run against a key *handle* that the provider resolves,
//! so a hardware security module can keep the keys and perform the
//! operations inside itself: the protocol code never sees key octets.
//!
//! [`Software`] is the default provider: RustCrypto over in-memory,
//! zeroized key schedules ([`SoftwareKey`]). A PKCS#11 provider lives in
//! the example server (`examples/smsr-server/hsm.rs`).
//!
//! Every operation returns a [`Result`]: a provider that fails (an HSM
//! logged out, a session closed, a key refused) fails the operation with
//! [`Error::Provider`], and the caller sees it; nothing falls back to
//! another key or provider.
//!
//! CBC is always zero-IV. A protocol with an IV (SCP03's ICV) XORs it
//! into the first plaintext block before [`Provider::encrypt_cbc`], and
//! into the first block after [`Provider::decrypt_cbc`]: CBC with IV `v`
//! is exactly zero-IV CBC of the message with `v` XORed into its first
//! block. An ECB block (SCP03's ICV itself) is a one-block zero-IV CBC.
//!
//! SCP03 / SCP03t (`scp03t`) run through [`Scp03Provider`]: the static
//! keys are handles, the session keys S-ENC, S-MAC and S-RMAC are derived
//! inside the provider ([`Scp03Provider::derive`]), the C-MAC / R-MAC
//! is fed piece by piece ([`Scp03Provider::mac_start`]), the ICV and
//! C-DECRYPTION / R-ENCRYPTION are [`Provider::encrypt_cbc`] /
//! [`Provider::decrypt_cbc`] as above. ECKA and ECDSA of the SM-DP side
//! of scenario #3 run through [`EckaProvider`].

use core::fmt;

use zeroize::Zeroize;

use super::schedule::{MacState, Schedule};
use super::{CipherAlgorithm, Error, Key, Tag, ecka};

/// What a provider was asked to do, for [`Error::Provider`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// CBC encryption.
    Encrypt,
    /// CBC decryption.
    Decrypt,
    /// A CBC-MAC or CMAC.
    Mac,
    /// Bringing a key into the provider.
    Import,
    /// Finding a key by its handle or label.
    Lookup,
    /// Key agreement (ECKA).
    Agree,
    /// Deriving a key inside the provider (SCP03 session keys).
    Derive,
}

/// Why a provider failed, for [`Error::Provider`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Failure {
    /// The device, session or login is gone (it may come back).
    Unavailable,
    /// The key or mechanism is not allowed for this operation.
    NotAllowed,
    /// No key with that handle or label.
    NotFound,
    /// Any other failure the device reported.
    Device,
}

/// Symmetric block operations against provider-held keys.
///
/// Implemented for references too, so a key set can borrow a provider
/// (`KeySet<&Hsm>`).
pub trait Provider {
    /// The provider's reference to a key: for [`Software`] the expanded
    /// key itself, for an HSM an object handle.
    type Key;

    /// The algorithm (and so the block and key length) of `key`.
    fn key_algorithm(&self, key: &Self::Key) -> CipherAlgorithm;

    /// CBC-encrypts whole blocks in place with a zero IV (TS 102 225
    /// §5.1.2).
    ///
    /// # Errors
    /// [`Error::NotBlockAligned`], or [`Error::Provider`]; on error `buf`
    /// must not be used.
    fn encrypt_cbc(&self, key: &Self::Key, buf: &mut [u8]) -> Result<(), Error>;

    /// CBC-decrypts whole blocks in place with a zero IV.
    ///
    /// # Errors
    /// As [`Provider::encrypt_cbc`].
    fn decrypt_cbc(&self, key: &Self::Key, buf: &mut [u8]) -> Result<(), Error>;

    /// The cryptographic checksum of the concatenation of `parts` (TS 102
    /// 225 §5.1.3.1): DES / 3DES CBC-MAC (ISO/IEC 9797-1 algorithm 1,
    /// padding method 1) or AES-CMAC (NIST SP 800-38B), full length.
    ///
    /// # Errors
    /// [`Error::Provider`].
    fn mac(&self, key: &Self::Key, parts: &[&[u8]]) -> Result<Tag, Error>;

    /// Brings `key` into the provider (an HSM creates a session object;
    /// [`Software`] expands it). Used for keys derived in memory, such as
    /// SCP03 session keys by [`derive_key`].
    ///
    /// # Errors
    /// [`Error::Provider`].
    fn import(&self, key: &Key) -> Result<Self::Key, Error>;
}

impl<P: Provider + ?Sized> Provider for &P {
    type Key = P::Key;

    fn key_algorithm(&self, key: &Self::Key) -> CipherAlgorithm {
        (**self).key_algorithm(key)
    }

    fn encrypt_cbc(&self, key: &Self::Key, buf: &mut [u8]) -> Result<(), Error> {
        (**self).encrypt_cbc(key, buf)
    }

    fn decrypt_cbc(&self, key: &Self::Key, buf: &mut [u8]) -> Result<(), Error> {
        (**self).decrypt_cbc(key, buf)
    }

    fn mac(&self, key: &Self::Key, parts: &[&[u8]]) -> Result<Tag, Error> {
        (**self).mac(key, parts)
    }

    fn import(&self, key: &Key) -> Result<Self::Key, Error> {
        (**self).import(key)
    }
}

/// ECKA-EG and ECDSA with a provider-held EC private key (BSI TR-03111
/// §4.3.1 key agreement, §4.2.1 signatures, as SGP.02 §3.1.3 /
/// GlobalPlatform Amendment E scenario #3 uses them): the SM-DP's
/// ephemeral key ESK.DP.ECKA and its signing key SK.DP.ECDSA can stay in
/// an HSM (`CKM_ECDH1_DERIVE`, `CKM_ECDSA`); the protocol code
/// (`es8::establish::SmDp`) holds handles only.
pub trait EckaProvider {
    /// The provider's reference to an EC private key.
    type PrivateKey;

    /// The public key of `key`.
    ///
    /// # Errors
    /// [`ecka::Error::Provider`].
    fn public_key(&self, key: &Self::PrivateKey) -> Result<ecka::PublicKey, ecka::Error>;

    /// ECKA (ECDH) of `key` with `peer`: the X coordinate of `d·Q_peer`.
    ///
    /// # Errors
    /// [`ecka::Error::CurveMismatch`], [`ecka::Error::Provider`].
    fn agree(
        &self,
        key: &Self::PrivateKey,
        peer: &ecka::PublicKey,
    ) -> Result<ecka::SharedSecret, ecka::Error>;

    /// ECDSA-SHA256 of `message` under `key`, `r ‖ s`.
    ///
    /// # Errors
    /// [`ecka::Error::Provider`].
    fn sign(&self, key: &Self::PrivateKey, message: &[u8]) -> Result<ecka::Signature, ecka::Error>;

    /// Brings the EC private key `key` into the provider (an HSM creates
    /// a sensitive, non-extractable object for `CKM_ECDH1_DERIVE` and
    /// `CKM_ECDSA`; [`Software`] keeps it).
    ///
    /// # Errors
    /// [`ecka::Error::Provider`].
    fn import_private(&self, key: &ecka::PrivateKey) -> Result<Self::PrivateKey, ecka::Error>;

    /// Draws a fresh EC key pair on `curve` inside the provider (an HSM:
    /// `CKM_EC_KEY_PAIR_GEN`, the private key a sensitive, non-extractable
    /// session object), for an ephemeral key such as ESK.DP.ECKA (SGP.02
    /// §3.1.3.1 scenario #3); `None` when the provider draws no keys, and
    /// the caller draws the scalar and brings it in with
    /// [`EckaProvider::import_private`] ([`Software`]: the library is
    /// sans-IO and has no randomness of its own).
    ///
    /// # Errors
    /// [`ecka::Error::Provider`].
    fn generate_private(
        &self,
        _curve: ecka::Curve,
    ) -> Result<Option<Self::PrivateKey>, ecka::Error> {
        Ok(None)
    }
}

impl<P: EckaProvider + ?Sized> EckaProvider for &P {
    type PrivateKey = P::PrivateKey;

    fn public_key(&self, key: &Self::PrivateKey) -> Result<ecka::PublicKey, ecka::Error> {
        (**self).public_key(key)
    }

    fn agree(
        &self,
        key: &Self::PrivateKey,
        peer: &ecka::PublicKey,
    ) -> Result<ecka::SharedSecret, ecka::Error> {
        (**self).agree(key, peer)
    }

    fn sign(&self, key: &Self::PrivateKey, message: &[u8]) -> Result<ecka::Signature, ecka::Error> {
        (**self).sign(key, message)
    }

    fn import_private(&self, key: &ecka::PrivateKey) -> Result<Self::PrivateKey, ecka::Error> {
        (**self).import_private(key)
    }

    fn generate_private(
        &self,
        curve: ecka::Curve,
    ) -> Result<Option<Self::PrivateKey>, ecka::Error> {
        (**self).generate_private(curve)
    }
}

/// In memory: RustCrypto's `p256` / `bp256` over a zeroized scalar (its
/// public key computed once, when the key was made).
impl EckaProvider for Software {
    type PrivateKey = ecka::PrivateKey;

    fn public_key(&self, key: &ecka::PrivateKey) -> Result<ecka::PublicKey, ecka::Error> {
        Ok(key.public_key())
    }

    fn agree(
        &self,
        key: &ecka::PrivateKey,
        peer: &ecka::PublicKey,
    ) -> Result<ecka::SharedSecret, ecka::Error> {
        key.ecka(peer)
    }

    fn sign(&self, key: &ecka::PrivateKey, message: &[u8]) -> Result<ecka::Signature, ecka::Error> {
        Ok(ecka::Signature::sign(key, message))
    }

    fn import_private(&self, key: &ecka::PrivateKey) -> Result<ecka::PrivateKey, ecka::Error> {
        Ok(key.clone())
    }
}

/// GlobalPlatform Amendment D §4.1.5 data derivation through a
/// provider: the NIST SP 800-108 KDF in counter mode with AES-CMAC as
/// PRF, fixed input = 11 zero octets | `constant` | `00` | L (2 octets,
/// bits) | i (1 octet) | `context`, into `out` (L = 8 × its length, at
/// most 255 blocks).
///
/// # Errors
/// [`Error::KdfLength`] for an empty or over-long `out`;
/// [`Error::Provider`].
pub fn kdf<P: Provider>(
    provider: &P,
    key: &P::Key,
    constant: u8,
    context: &[u8],
    out: &mut [u8],
) -> Result<(), Error> {
    let bits = out.len().checked_mul(8).and_then(|b| u16::try_from(b).ok());
    let [l0, l1] = match bits {
        Some(b) if b > 0 && out.len() <= 255 * 16 => b.to_be_bytes(),
        _ => return Err(Error::KdfLength(out.len())),
    };
    for (block, counter) in out.chunks_mut(16).zip(1u8..=255) {
        let label = kdf_label(constant, [l0, l1], counter);
        let k = provider.mac(key, &[&label, context])?;
        for (d, s) in block.iter_mut().zip(k.as_bytes()) {
            *d = *s;
        }
    }
    Ok(())
}

/// The first 16 octets of each GP Amendment D §4.1.5 PRF input (the
/// "label" part of the fixed input before the context): 11 zero octets |
/// `constant` | `00` (separation indicator) | L (`bits`, 2 octets) | i
/// (`counter`).
#[must_use]
pub const fn kdf_label(constant: u8, bits: [u8; 2], counter: u8) -> [u8; 16] {
    let mut label = [0u8; 16];
    let [.., c, _, b0, b1, i] = &mut label;
    (*c, *b0, *b1, *i) = (constant, bits[0], bits[1], counter);
    label
}

/// The last block of a message as AES-CMAC enciphers it (NIST SP 800-38B
/// §6.2 steps 1-4), from `l` = CIPH_K(0^128) (§6.1) and the message's last
/// `last` octets (1 to 16; 0 for the empty message): `last ⊕ K1` when it
/// is a complete block, else `(last ‖ 10…0) ⊕ K2`. CMAC(K, M) is then the
/// zero-IV CBC of the earlier blocks followed by this one, which lets an
/// HSM without an SP 800-108 mechanism finish a CMAC inside a key
/// derivation (`CKM_AES_CBC_ENCRYPT_DATA`).
///
/// # Errors
/// [`Error::NotBlockAligned`] for `last` over 16 octets.
pub fn cmac_last_block(l: &[u8; 16], last: &[u8]) -> Result<[u8; 16], Error> {
    let n = last.len();
    if n > 16 {
        return Err(Error::NotBlockAligned { len: n, block: 16 });
    }
    let mut k1 = super::schedule::dbl(*l);
    let mut subkey = if n == 16 {
        k1
    } else {
        super::schedule::dbl(k1)
    };
    let mut block = [0u8; 16];
    if let Some(head) = block.get_mut(..n) {
        head.copy_from_slice(last);
    }
    if let Some(pad) = block.get_mut(n) {
        *pad = 0x80;
    }
    for (b, k) in block.iter_mut().zip(&subkey) {
        *b ^= k;
    }
    k1.zeroize();
    subkey.zeroize();
    Ok(block)
}

/// An AES session key derived with [`kdf`] (GP Amendment D §6.2.1:
/// S-ENC, S-MAC, S-RMAC) and handed to the provider with
/// [`Provider::import`]; the derived octets are zeroized before return.
///
/// # Errors
/// As [`kdf`] and [`Provider::import`].
pub fn derive_key<P: Provider>(
    provider: &P,
    key: &P::Key,
    constant: u8,
    context: &[u8],
    algorithm: CipherAlgorithm,
) -> Result<P::Key, Error> {
    let mut octets = [0u8; 32];
    let out = octets
        .get_mut(..algorithm.key_len())
        .ok_or(Error::KdfLength(algorithm.key_len()))?;
    let derived = kdf(provider, key, constant, context, out)
        .and_then(|()| Key::new(algorithm, out))
        .and_then(|k| provider.import(&k));
    octets.zeroize();
    derived
}

/// The SCP03 / SCP03t operations beyond [`Provider`]: session keys
/// derived *inside* the provider (GP Amendment D §6.2.1, the §4.1.5 KDF),
/// so an HSM never exports them, and a C-MAC / R-MAC fed in pieces as the
/// ciphertext is produced (§6.2.4, §6.2.5; PKCS#11 `C_SignInit` /
/// `C_SignUpdate` / `C_SignFinal` with `CKM_AES_CMAC`).
///
/// Key handles are cloned into each session (for an HSM a handle is a
/// number); the SCP03t state machines also clone the provider, so an HSM
/// provider is passed by reference (`Host<&Hsm>`).
pub trait Scp03Provider: Provider<Key: Clone> {
    /// A MAC in progress; only ever fed to the key that started it.
    type MacState;

    /// The key of `algorithm` derived from `key` with the GP Amendment D
    /// §4.1.5 KDF (as [`kdf`]) for `constant` and `context`; it stays in
    /// the provider.
    ///
    /// # Errors
    /// [`Error::KdfLength`], [`Error::Provider`].
    fn derive(
        &self,
        key: &Self::Key,
        constant: u8,
        context: &[u8],
        algorithm: CipherAlgorithm,
    ) -> Result<Self::Key, Error>;

    /// Brings a static key (Key-ENC, Key-MAC) into the provider as a base
    /// key of [`Scp03Provider::derive`] (an HSM marks it `CKA_DERIVE`);
    /// [`Provider::import`] by default.
    ///
    /// # Errors
    /// [`Error::Provider`].
    fn import_static(&self, key: &Key) -> Result<Self::Key, Error> {
        self.import(key)
    }

    /// Starts a CBC-MAC / CMAC under `key` (as [`Provider::mac`]).
    ///
    /// # Errors
    /// [`Error::Provider`].
    fn mac_start(&self, key: &Self::Key) -> Result<Self::MacState, Error>;

    /// Feeds `data` to a MAC `key` started.
    ///
    /// # Errors
    /// [`Error::Provider`].
    fn mac_update(
        &self,
        key: &Self::Key,
        state: &mut Self::MacState,
        data: &[u8],
    ) -> Result<(), Error>;

    /// Ends the MAC: equal to [`Provider::mac`] over everything fed.
    ///
    /// # Errors
    /// [`Error::Provider`].
    fn mac_finish(&self, key: &Self::Key, state: Self::MacState) -> Result<Tag, Error>;
}

impl<P: Scp03Provider + ?Sized> Scp03Provider for &P {
    type MacState = P::MacState;

    fn derive(
        &self,
        key: &Self::Key,
        constant: u8,
        context: &[u8],
        algorithm: CipherAlgorithm,
    ) -> Result<Self::Key, Error> {
        (**self).derive(key, constant, context, algorithm)
    }

    fn import_static(&self, key: &Key) -> Result<Self::Key, Error> {
        (**self).import_static(key)
    }

    fn mac_start(&self, key: &Self::Key) -> Result<Self::MacState, Error> {
        (**self).mac_start(key)
    }

    fn mac_update(
        &self,
        key: &Self::Key,
        state: &mut Self::MacState,
        data: &[u8],
    ) -> Result<(), Error> {
        (**self).mac_update(key, state, data)
    }

    fn mac_finish(&self, key: &Self::Key, state: Self::MacState) -> Result<Tag, Error> {
        (**self).mac_finish(key, state)
    }
}

/// The default provider: RustCrypto in memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Software;

/// A key held by [`Software`]: the expanded key schedule (with the CMAC
/// subkeys for AES), zeroized on drop; `Debug` shows the algorithm only.
#[derive(Clone)]
pub struct SoftwareKey {
    schedule: Schedule,
}

impl SoftwareKey {
    /// Expands `key`.
    #[must_use]
    pub fn new(key: &Key) -> Self {
        Self {
            schedule: Schedule::expand(key),
        }
    }

    /// The algorithm of this key.
    #[must_use]
    pub const fn algorithm(&self) -> CipherAlgorithm {
        self.schedule.algorithm()
    }
}

impl fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SoftwareKey")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

impl Provider for Software {
    type Key = SoftwareKey;

    fn key_algorithm(&self, key: &SoftwareKey) -> CipherAlgorithm {
        key.algorithm()
    }

    fn encrypt_cbc(&self, key: &SoftwareKey, buf: &mut [u8]) -> Result<(), Error> {
        key.schedule.encrypt_cbc(buf)
    }

    fn decrypt_cbc(&self, key: &SoftwareKey, buf: &mut [u8]) -> Result<(), Error> {
        key.schedule.decrypt_cbc(buf)
    }

    fn mac(&self, key: &SoftwareKey, parts: &[&[u8]]) -> Result<Tag, Error> {
        Ok(Tag::from_mac(key.schedule.mac(parts)))
    }

    fn import(&self, key: &Key) -> Result<SoftwareKey, Error> {
        Ok(SoftwareKey::new(key))
    }
}

/// A MAC in progress in [`Software`]: the chaining value and the open
/// last block, zeroized on drop; `Debug` shows nothing of it.
#[derive(Clone, Default)]
pub struct SoftwareMac(MacState);

impl fmt::Debug for SoftwareMac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SoftwareMac(<redacted>)")
    }
}

impl Scp03Provider for Software {
    type MacState = SoftwareMac;

    /// Derived in memory (the memory is this provider's).
    fn derive(
        &self,
        key: &SoftwareKey,
        constant: u8,
        context: &[u8],
        algorithm: CipherAlgorithm,
    ) -> Result<SoftwareKey, Error> {
        derive_key(self, key, constant, context, algorithm)
    }

    fn mac_start(&self, _key: &SoftwareKey) -> Result<SoftwareMac, Error> {
        Ok(SoftwareMac::default())
    }

    fn mac_update(
        &self,
        key: &SoftwareKey,
        state: &mut SoftwareMac,
        data: &[u8],
    ) -> Result<(), Error> {
        key.schedule.mac_update(&mut state.0, data);
        Ok(())
    }

    fn mac_finish(&self, key: &SoftwareKey, state: SoftwareMac) -> Result<Tag, Error> {
        Ok(Tag::from_mac(key.schedule.mac_finish(state.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SCP03 KDF through the seam equals the GP Amendment D §4.1.5
    /// fixed input spelled out here and fed to RustCrypto's `cmac` crate
    /// (an independent CMAC), for one and two output blocks.
    #[test]
    fn kdf_is_sp800_108_with_the_gp_fixed_input() {
        use cmac::{KeyInit, Mac};
        let raw: [u8; 16] = core::array::from_fn(|i| 0x40 + i as u8);
        let key = Software.import(&Key::aes(&raw).unwrap()).unwrap();
        let ctx = [0x11u8; 16];
        let reference = |constant: u8, l: [u8; 2], i: u8| {
            let mut m = cmac::Cmac::<aes::Aes128>::new_from_slice(&raw).unwrap();
            m.update(&[0; 11]);
            m.update(&[constant, 0x00, l[0], l[1], i]);
            m.update(&ctx);
            let out: [u8; 16] = m.finalize().into_bytes().into();
            out
        };
        let mut one = [0u8; 16];
        kdf(&Software, &key, 0x04, &ctx, &mut one).unwrap();
        assert_eq!(one, reference(0x04, [0x00, 0x80], 1));
        let mut two = [0u8; 32];
        kdf(&Software, &key, 0x06, &ctx, &mut two).unwrap();
        assert_eq!(two[..16], reference(0x06, [0x01, 0x00], 1));
        assert_eq!(two[16..], reference(0x06, [0x01, 0x00], 2));
        assert_eq!(
            kdf(&Software, &key, 0x06, &ctx, &mut []),
            Err(Error::KdfLength(0))
        );
        let derived = derive_key(&Software, &key, 0x04, &ctx, CipherAlgorithm::Aes128).unwrap();
        let direct = Software.import(&Key::aes(&one).unwrap()).unwrap();
        assert_eq!(
            Software.mac(&derived, &[b"x"]).unwrap(),
            Software.mac(&direct, &[b"x"]).unwrap()
        );
    }

    /// The CMAC last block, enciphered after the zero-IV CBC of the earlier
    /// blocks, gives the NIST SP 800-38B appendix D.1 AES-128 tags
    /// (examples 1-4: 0, 16, 40 and 64 octets of the D.1 message).
    #[test]
    fn cmac_last_block_finishes_sp800_38b_d1() {
        let h = |s: &str| hex::decode(s).unwrap();
        let key = Software
            .import(&Key::aes(&h("2b7e151628aed2a6abf7158809cf4f3c")).unwrap())
            .unwrap();
        let msg = h(concat!(
            "6bc1bee22e409f96e93d7e117393172a",
            "ae2d8a571e03ac9c9eb76fac45af8e51",
            "30c81c46a35ce411e5fbc1191a0a52ef",
            "f69f2445df4f9b17ad2b417be66c3710"
        ));
        let mut l = [0u8; 16];
        Software.encrypt_cbc(&key, &mut l).unwrap();
        for (len, tag) in [
            (0, "bb1d6929e95937287fa37d129b756746"),
            (16, "070a16b46b4d4144f79bdd9dd04a287c"),
            (40, "dfa66747de9ae63030ca32611497c827"),
            (64, "51f0bebf7e3b9d92fc49741779363cfe"),
        ] {
            let m = &msg[..len];
            let split = len.saturating_sub(1) / 16 * 16;
            let mut buf = m[..split].to_vec();
            buf.extend_from_slice(&cmac_last_block(&l, &m[split..]).unwrap());
            Software.encrypt_cbc(&key, &mut buf).unwrap();
            assert_eq!(hex::encode(&buf[buf.len() - 16..]), tag, "{len} octets");
            assert_eq!(
                Software.mac(&key, &[m]).unwrap().as_bytes(),
                &h(tag)[..],
                "{len} octets"
            );
        }
        assert_eq!(
            cmac_last_block(&l, &[0; 17]),
            Err(Error::NotBlockAligned { len: 17, block: 16 })
        );
    }

    #[test]
    fn debug_hides_keys() {
        extern crate std;
        let k = SoftwareKey::new(&Key::aes(&[0xAB; 16]).unwrap());
        let s = std::format!("{k:?}");
        assert!(
            !s.contains("171") && !s.to_lowercase().contains("ab"),
            "{s}"
        );
    }
}
