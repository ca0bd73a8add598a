//! SCP03 / SCP03t and the scenario #3 ECKA through the PKCS#11 token: the
//! [`Scp03Provider`] and [`EckaProvider`] of [`Hsm`] (a child module of
//! `hsm.rs`, so it reaches the session and the handle cache).
//!
//! # What stays in the HSM, and what SoftHSM2 2.6.1 lacks
//! * **SCP03 session keys** (GP Amendment D §6.2.1, the §4.1.5 SP 800-108
//!   counter KDF with AES-CMAC): SoftHSM2 has no `CKM_SP800_108_COUNTER_KDF`.
//!   A single-block CMAC is finished *inside* a derivation instead:
//!   CMAC(K, M) is the zero-IV CBC of M's earlier blocks followed by its
//!   last block XORed with the CMAC subkey (SP 800-38B §6.2), so
//!   `CKM_AES_CBC_ENCRYPT_DATA` with IV = the CBC chaining value of the
//!   earlier blocks and data = that last block creates the AES-128 session
//!   key as a sensitive, non-extractable session object. In memory, for a
//!   moment and zeroized: L = CIPH_K(0^128) and the chaining value (MAC
//!   intermediates under the static key, not a session key), which needs
//!   `CKM_AES_CBC` encryption allowed on the static key. AES-192 / AES-256
//!   session keys take two PRF blocks joined into one key, which needs
//!   `CKM_CONCATENATE_BASE_AND_KEY` (SoftHSM2 2.7) or the SP 800-108
//!   mechanism; they are refused (`NotAllowed`), never derived in memory.
//! * **ECKA** (BSI TR-03111 §4.3.1): `CKM_ECDH1_DERIVE` with the private key
//!   in the token (P-256 and brainpoolP256r1 by their `CKA_EC_PARAMS` OIDs).
//!   The ephemeral ESK.DP.ECKA is drawn inside the token
//!   (`CKM_EC_KEY_PAIR_GEN`, `EckaProvider::generate_private`): a
//!   sensitive, non-extractable session object, never in our memory.
//!   SoftHSM2 refuses every KDF but `CKD_NULL` (SoftHSM.cpp `deriveECDH`:
//!   "kdf must be CKD_NULL"), has no `CKM_SHA256_KEY_DERIVATION`, and its
//!   `C_DigestKey` refuses sensitive keys (`CKR_KEY_INDIGESTIBLE`), so the
//!   SGP.02 X9.63 KDF cannot run inside it: the shared secret Z is derived
//!   as an extractable session object, read, destroyed, and handed to the
//!   KDF in memory (zeroized on drop). An HSM with `CKD_SHA256_KDF` derives
//!   KeyData inside instead.
//! * **ECDSA** (`CKM_ECDSA` over the SHA-256 digest; SoftHSM2 2.6.1 has no
//!   `CKM_ECDSA_SHA256`).
//! * The C-MAC / R-MAC fed in pieces is buffered (it is ciphertext, not key
//!   material) and signed in one `CKM_AES_CMAC` call: one session serves
//!   every thread, and a multi-part `C_SignUpdate` would hold it between
//!   calls.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::ekdf::AesCbcDeriveParams;
use cryptoki::mechanism::elliptic_curve::{EcKdf, Ecdh1DeriveParams};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use smsr::crypto::ecka::{self, Curve};
use smsr::crypto::provider::{self, Failure, Operation};
use smsr::crypto::{CipherAlgorithm, EckaProvider, Error, Key, Provider, Scp03Provider, Tag};
use zeroize::{Zeroize, Zeroizing};

use super::{Hsm, HsmKey, provider_error};

/// `CKR_MECHANISM_INVALID`: what the token lacks for a request.
const CKR_MECHANISM_INVALID: u64 = 0x70;

/// The DER `CKA_EC_PARAMS` (namedCurve OID) of a curve: P-256 is
/// 1.2.840.10045.3.1.7 (RFC 5480 §2.1.1.1), brainpoolP256r1 is
/// 1.3.36.3.3.2.8.1.1.7 (RFC 5639 §4.1).
fn ec_params(curve: Curve) -> Result<&'static [u8], ecka::Error> {
    match curve {
        Curve::NistP256 => Ok(&[0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]),
        Curve::BrainpoolP256r1 => Ok(&[
            0x06, 0x09, 0x2B, 0x24, 0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x07,
        ]),
        _ => Err(ec_error(unsupported(Operation::Import))),
    }
}

/// A C-MAC / R-MAC in progress: the data fed so far (ciphertext and
/// headers), zeroized when dropped; `Debug` shows its length only.
#[derive(Default)]
pub struct HsmMac(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for HsmMac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HsmMac({} octets)", self.0.len())
    }
}

/// An error of `operation` that the token cannot do.
const fn unsupported(operation: Operation) -> Error {
    Error::Provider {
        operation,
        failure: Failure::NotAllowed,
        code: CKR_MECHANISM_INVALID,
    }
}

impl Hsm {
    /// The next session object label `<prefix>/<n>`.
    fn session_label(&self, prefix: &str) -> String {
        let n = self.session_keys.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}/{n}")
    }

    /// Zero-IV CBC under `base` of `data` (whole blocks): its last
    /// ciphertext block, the CBC-MAC chaining value.
    fn chain(&self, session: &Session, base: ObjectHandle, data: &[u8]) -> Result<[u8; 16], Error> {
        let out = Zeroizing::new(
            session
                .encrypt(&Mechanism::AesCbc([0; 16]), base, data)
                .map_err(|e| provider_error(Operation::Derive, &e))?,
        );
        out.rchunks_exact(16)
            .next()
            .and_then(|b| b.try_into().ok())
            .ok_or(Error::Provider {
                operation: Operation::Derive,
                failure: Failure::Device,
                code: 0,
            })
    }

    /// The AES-128 key CMAC(`base`, `message`) as a session object
    /// (`message` is at least one block: the KDF label).
    fn derive_cmac(
        &self,
        base: &HsmKey,
        message: &[u8],
        label: &str,
    ) -> Result<ObjectHandle, Error> {
        let session = self.session(Operation::Derive)?;
        let handle = self.handle(&session, base)?;
        let split = message.len().saturating_sub(1) / 16 * 16;
        let (earlier, last) = message.split_at(split);
        let mut l = self.chain(&session, handle, &[0; 16])?;
        let block = provider::cmac_last_block(&l, last);
        l.zeroize();
        let mut block = block?;
        let mut iv = if earlier.is_empty() {
            [0; 16]
        } else {
            self.chain(&session, handle, earlier)?
        };
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::ValueLen(16.into()),
            Attribute::Token(false),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Sign(true),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let mech = Mechanism::AesCbcEncryptData(AesCbcDeriveParams::new(iv, &block));
        let derived = session.derive_key(&mech, handle, &template);
        iv.zeroize();
        block.zeroize();
        derived.map_err(|e| provider_error(Operation::Derive, &e))
    }

    /// The private EC key object labelled `label`.
    fn ec_handle(&self, session: &Session, label: &str) -> Result<ObjectHandle, Error> {
        let found = session
            .find_objects(&[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::KeyType(KeyType::EC),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(|e| provider_error(Operation::Lookup, &e))?;
        match found.as_slice() {
            [h] => Ok(*h),
            _ => Err(Error::Provider {
                operation: Operation::Lookup,
                failure: Failure::NotFound,
                code: 0x82,
            }),
        }
    }

    /// Z of ECDH between the key `label` and `peer`: derived as an
    /// extractable 32-octet session secret, read and destroyed.
    fn ecdh(&self, label: &str, peer: &ecka::PublicKey) -> Result<ecka::SharedSecret, Error> {
        let session = self.session(Operation::Agree)?;
        let handle = self.ec_handle(&session, label)?;
        let point = peer.to_uncompressed();
        let mech = Mechanism::Ecdh1Derive(Ecdh1DeriveParams::new(EcKdf::null(), &point));
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::GENERIC_SECRET),
            Attribute::ValueLen(32.into()),
            Attribute::Token(false),
            Attribute::Sensitive(false),
            Attribute::Extractable(true),
        ];
        let err = |e| provider_error(Operation::Agree, &e);
        let secret = session.derive_key(&mech, handle, &template).map_err(err)?;
        let read = session.get_attributes(secret, &[AttributeType::Value]);
        let destroyed = session.destroy_object(secret);
        let mut value = Zeroizing::new(Vec::new());
        for a in read.map_err(err)? {
            if let Attribute::Value(mut v) = a {
                value.append(&mut v);
            }
        }
        destroyed.map_err(err)?;
        ecka::SharedSecret::from_bytes(&value).map_err(|_| Error::Provider {
            operation: Operation::Agree,
            failure: Failure::Device,
            code: 0,
        })
    }
}

impl Hsm {
    /// Imports an ISD-R SCP03 static key (GP Amendment D §6.1) as a token
    /// object labelled `label` with `CKA_ID` `id`: sensitive,
    /// non-extractable, private, for the session-key derivation of
    /// [`Scp03Provider::derive`] (`CKM_AES_CBC_ENCRYPT_DATA`, CBC and
    /// CMAC) and CBC.
    ///
    /// # Errors
    /// `NotAllowed` for a key that is not AES; the PKCS#11 error.
    pub fn import_scp03_key(&self, label: &str, id: &[u8], key: &Key) -> Result<HsmKey, Error> {
        if !key.algorithm().is_aes() {
            return Err(unsupported(Operation::Import));
        }
        let stored = [
            Attribute::Id(id.to_vec()),
            Attribute::Token(true),
            Attribute::Decrypt(true),
        ];
        self.create_aes_key(label, &stored, key)?;
        Ok(HsmKey::by_label_id(label, id, key.algorithm()))
    }

    /// Creates the sensitive, non-extractable AES key object `label`
    /// holding `key`, one that may encrypt, sign (CMAC) and derive, with
    /// the `extra` attributes (token or session, `CKA_ID`, decrypt); the template's
    /// copy of the key is zeroized whatever the outcome.
    fn create_aes_key(
        &self,
        label: &str,
        extra: &[Attribute],
        key: &Key,
    ) -> Result<ObjectHandle, Error> {
        let mut template = extra.to_vec();
        template.extend([
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::AES),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Sign(true),
            Attribute::Derive(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Value(key.dangerous_bytes().to_vec()),
        ]);
        let created = self.session(Operation::Import)?.create_object(&template);
        if let Some(Attribute::Value(mut v)) = template.pop() {
            v.zeroize();
        }
        created.map_err(|e| provider_error(Operation::Import, &e))
    }
}

impl Scp03Provider for Hsm {
    type MacState = HsmMac;

    /// Inside the token (see the module documentation); AES-128 only.
    fn derive(
        &self,
        key: &HsmKey,
        constant: u8,
        context: &[u8],
        algorithm: CipherAlgorithm,
    ) -> Result<HsmKey, Error> {
        if algorithm != CipherAlgorithm::Aes128 || !key.algorithm.is_aes() {
            return Err(unsupported(Operation::Derive));
        }
        let message =
            Zeroizing::new([&provider::kdf_label(constant, [0x00, 0x80], 1)[..], context].concat());
        let label = self.session_label("scp03/session");
        let handle = self.derive_cmac(key, &message, &label)?;
        let label: Arc<str> = label.into();
        if let Ok(mut cache) = self.handles.lock() {
            cache.insert(label.clone(), handle);
        }
        Ok(HsmKey {
            label,
            id: None,
            algorithm,
        })
    }

    /// A session object that `CKM_AES_CBC_ENCRYPT_DATA` may derive from.
    fn import_static(&self, key: &Key) -> Result<HsmKey, Error> {
        if !key.algorithm().is_aes() {
            return Err(unsupported(Operation::Import));
        }
        let label = self.session_label("scp03/static");
        let handle = self.create_aes_key(&label, &[Attribute::Token(false)], key)?;
        let label: Arc<str> = label.into();
        if let Ok(mut cache) = self.handles.lock() {
            cache.insert(label.clone(), handle);
        }
        Ok(HsmKey {
            label,
            id: None,
            algorithm: key.algorithm(),
        })
    }

    fn mac_start(&self, _key: &HsmKey) -> Result<HsmMac, Error> {
        Ok(HsmMac::default())
    }

    fn mac_update(&self, _key: &HsmKey, state: &mut HsmMac, data: &[u8]) -> Result<(), Error> {
        state.0.extend_from_slice(data);
        Ok(())
    }

    fn mac_finish(&self, key: &HsmKey, state: HsmMac) -> Result<Tag, Error> {
        self.mac(key, &[&state.0])
    }
}

/// An EC private key the token holds (by label), with its public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HsmEcKey {
    label: Arc<str>,
    public: ecka::PublicKey,
}

impl Hsm {
    /// Whether the token keeps the private key of `key` hidden: its value
    /// unreadable (`CKR_ATTRIBUTE_SENSITIVE`), `CKA_SENSITIVE` set and
    /// `CKA_EXTRACTABLE` clear.
    ///
    /// # Errors
    /// The key is not found; the PKCS#11 error.
    #[allow(dead_code, reason = "read by tests/server_hsm_ecka.rs")]
    pub fn ec_key_is_hidden(&self, key: &HsmEcKey) -> Result<bool, Error> {
        use cryptoki::error::{Error as P11Error, RvError};
        let session = self.session(Operation::Lookup)?;
        let handle = self.ec_handle(&session, &key.label)?;
        let err = |e| provider_error(Operation::Lookup, &e);
        let value_hidden = match session.get_attributes(handle, &[AttributeType::Value]) {
            Err(P11Error::Pkcs11(RvError::AttributeSensitive, _)) => true,
            Err(e) => return Err(err(e)),
            Ok(attrs) => !attrs.iter().any(|a| matches!(a, Attribute::Value(_))),
        };
        let flags = session
            .get_attributes(
                handle,
                &[AttributeType::Sensitive, AttributeType::Extractable],
            )
            .map_err(err)?;
        let (mut sensitive, mut extractable) = (false, true);
        for a in flags {
            match a {
                Attribute::Sensitive(v) => sensitive = v,
                Attribute::Extractable(v) => extractable = v,
                _ => {}
            }
        }
        Ok(value_hidden && sensitive && !extractable)
    }
}

/// A provider error as an ECKA error.
const fn ec_error(e: Error) -> ecka::Error {
    ecka::Error::Provider(e)
}

impl EckaProvider for Hsm {
    type PrivateKey = HsmEcKey;

    fn public_key(&self, key: &HsmEcKey) -> Result<ecka::PublicKey, ecka::Error> {
        Ok(key.public)
    }

    /// `CKM_ECDH1_DERIVE` (`CKD_NULL`); Z is read out for the X9.63 KDF.
    fn agree(
        &self,
        key: &HsmEcKey,
        peer: &ecka::PublicKey,
    ) -> Result<ecka::SharedSecret, ecka::Error> {
        if peer.curve() != key.public.curve() {
            return Err(ecka::Error::CurveMismatch {
                ours: key.public.curve(),
                theirs: peer.curve(),
            });
        }
        self.ecdh(&key.label, peer).map_err(ec_error)
    }

    /// `CKM_ECDSA` over SHA-256(`message`) (FIPS 180-4).
    fn sign(&self, key: &HsmEcKey, message: &[u8]) -> Result<ecka::Signature, ecka::Error> {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(message);
        let session = self.session(Operation::Agree).map_err(ec_error)?;
        let handle = self.ec_handle(&session, &key.label).map_err(ec_error)?;
        let rs = session
            .sign(&Mechanism::Ecdsa, handle, &digest)
            .map_err(|e| ec_error(provider_error(Operation::Agree, &e)))?;
        ecka::Signature::from_bytes(&rs)
    }

    /// A sensitive, non-extractable session object for ECDH and ECDSA.
    fn import_private(&self, key: &ecka::PrivateKey) -> Result<HsmEcKey, ecka::Error> {
        let public = key.public_key();
        let label = self.session_label("ecka/private");
        let template = [
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::KeyType(KeyType::EC),
            Attribute::EcParams(ec_params(public.curve())?.to_vec()),
            Attribute::Token(false),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Derive(true),
            Attribute::Sign(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Value(key.dangerous_to_bytes().to_vec()),
        ];
        let created = self
            .session(Operation::Import)
            .map_err(ec_error)?
            .create_object(&template);
        if let Some(Attribute::Value(mut v)) = template.into_iter().last() {
            v.zeroize();
        }
        created.map_err(|e| ec_error(provider_error(Operation::Import, &e)))?;
        Ok(HsmEcKey {
            label: label.into(),
            public,
        })
    }

    /// `CKM_EC_KEY_PAIR_GEN` on `curve`: the private key a sensitive,
    /// non-extractable session object for `CKM_ECDH1_DERIVE`; the public
    /// key read from the public object's `CKA_EC_POINT` (a DER OCTET
    /// STRING of the uncompressed point), which is then destroyed.
    fn generate_private(&self, curve: Curve) -> Result<Option<HsmEcKey>, ecka::Error> {
        let params = ec_params(curve)?.to_vec();
        let label = self.session_label("ecka/ephemeral");
        let public_template = [
            Attribute::Token(false),
            Attribute::EcParams(params),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let private_template = [
            Attribute::Token(false),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Derive(true),
            Attribute::Label(label.as_bytes().to_vec()),
        ];
        let err = |e| ec_error(provider_error(Operation::Import, &e));
        let session = self.session(Operation::Import).map_err(ec_error)?;
        let (public, _private) = session
            .generate_key_pair(
                &Mechanism::EccKeyPairGen,
                &public_template,
                &private_template,
            )
            .map_err(err)?;
        let read = session.get_attributes(public, &[AttributeType::EcPoint]);
        let destroyed = session.destroy_object(public);
        let mut point = Vec::new();
        for a in read.map_err(err)? {
            if let Attribute::EcPoint(p) = a {
                point = p;
            }
        }
        destroyed.map_err(err)?;
        // DER: 04 41 ‖ 04 X Y for a 65-octet point (PKCS#11 v2.40 §2.3.3).
        let raw = match point.as_slice() {
            [0x04, 0x41, rest @ ..] => rest,
            other => other,
        };
        Ok(Some(HsmEcKey {
            label: label.into(),
            public: ecka::PublicKey::from_uncompressed_on(curve, raw)?,
        }))
    }
}
