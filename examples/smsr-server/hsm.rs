//! A PKCS#11 crypto provider ([`smsr::crypto::Provider`]) over the
//! `cryptoki` crate: the SCP80 keys live in an HSM token (tested against
//! SoftHSM2), the block operations run inside it, and the server holds
//! object handles only.
//!
//! # Deployment
//! * **Module**: the vendor's PKCS#11 library (SoftHSM2:
//!   `/usr/lib/softhsm/libsofthsm2.so`), [`HsmConfig::module`].
//! * **Token**: found by its label ([`HsmConfig::token_label`]), in any
//!   slot; the server logs in as the normal user.
//! * **PIN**: from an environment variable or a file
//!   ([`PinSource`]), never from the config file; it is held only for
//!   [`Hsm::relogin`] and zeroized with the provider.
//! * **Keys**: imported with [`Hsm::import_key`] as token objects,
//!   `CKA_SENSITIVE` true, `CKA_EXTRACTABLE` false, `CKA_PRIVATE` true,
//!   labelled `<EID>/<protocol>/<kvn>/<role>` ([`key_label`], e.g.
//!   `89049032000000000000000000000123/scp80/1/kic`) with a random
//!   `CKA_ID` per registration (a repeated or replaced registration makes
//!   new objects; the record names the ones in force), looked up again by
//!   label and id with [`Hsm::find_key`]; a key set holds labels, resolved
//!   to object handles by the provider (cached until [`Hsm::relogin`];
//!   the first key missed after it is found by one sweep over the token's
//!   secret keys, which finds all the others too).
//! * **Sessions**: [`SESSIONS`] read-write sessions, each lent to one
//!   operation at a time; one login covers them all.
//! * **Mechanisms** the HSM must allow: `CKM_AES_CBC` (encrypt and
//!   decrypt, zero IV), `CKM_AES_CMAC` (sign), `CKM_DES3_CBC` (encrypt and
//!   decrypt; a 3DES CBC-MAC is the last block of a zero-IV CBC encryption
//!   of the zero-padded data, ISO/IEC 9797-1 MAC algorithm 1), and for SCP03
//!   session keys `CKM_AES_CMAC` again ([`smsr::crypto::provider::derive_key`],
//!   SP 800-108 by repeated CMACs; an HSM with
//!   `CKM_SP800_108_COUNTER_KDF` could derive inside). Single DES keys are
//!   refused (`NotAllowed`).
//! * **PSK exception**: the SCP81 PSK must reach OpenSSL's PSK callback in
//!   the clear. It is wrapped ([`Hsm::wrap_psk`], `CKM_AES_KEY_WRAP_PAD`)
//!   under an AES-256 key-wrap key generated inside the token once
//!   ([`Hsm::create_wrap_key`], `smsr-server hsm-init`), and
//!   unwrapped ([`Hsm::unwrap_psk`]) for the one handshake, its octets
//!   zeroized right after (`keys/pkcs11.rs`, `scp81.rs`).
//!
//! A failing HSM (logged out, session closed, token removed) fails each
//! operation with [`smsr::crypto::Error::Provider`] naming the failure and
//! the `CKR_` code; nothing falls back to memory. [`Hsm::relogin`] opens
//! fresh sessions and logs in again, after which the keys are found again.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use smsr::crypto::provider::{Failure, Operation};
use smsr::crypto::{self, CipherAlgorithm, Key, Provider, Tag};
use zeroize::Zeroizing;

#[path = "hsm_scp03.rs"]
mod scp03;

/// Where the user PIN comes from (never the config file).
#[derive(Debug, Clone)]
pub enum PinSource {
    /// The named environment variable.
    Env(String),
    /// The first line of this file.
    File(PathBuf),
}

impl PinSource {
    /// Reads the PIN.
    pub fn read(&self) -> Result<AuthPin, String> {
        let raw = Zeroizing::new(match self {
            Self::Env(name) => {
                std::env::var(name).map_err(|e| format!("PIN variable {name}: {e}"))?
            }
            Self::File(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("PIN file {}: {e}", path.display()))?,
        });
        match raw.lines().next().map(str::trim) {
            Some(pin) if !pin.is_empty() => Ok(AuthPin::new(pin.into())),
            _ => Err("the PIN source is empty".into()),
        }
    }
}

/// How to reach the token.
#[derive(Debug, Clone)]
pub struct HsmConfig {
    /// The PKCS#11 module (shared library) path.
    pub module: PathBuf,
    /// The token label.
    pub token_label: String,
    /// The user PIN's source.
    pub pin: PinSource,
}

/// A key the HSM holds, by label and algorithm. The provider resolves
/// the label to the token's object handle and caches it until
/// [`Hsm::relogin`] (a logout invalidates the handles of private
/// objects), so a key set outlives an HSM outage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HsmKey {
    label: Arc<str>,
    /// `CKA_ID`, telling apart objects of one label (a registration
    /// repeated or replaced leaves the key of the record in force alone).
    id: Option<Arc<[u8]>>,
    algorithm: CipherAlgorithm,
}

impl HsmKey {
    /// The key labelled `label` with `CKA_ID` `id`, of `algorithm`, as a
    /// stored record names it: not looked up until it is used.
    pub fn by_label_id(label: &str, id: &[u8], algorithm: CipherAlgorithm) -> Self {
        Self {
            label: label.into(),
            id: Some(id.into()),
            algorithm,
        }
    }

    /// The algorithm of the key.
    pub const fn algorithm(&self) -> CipherAlgorithm {
        self.algorithm
    }

    /// The handle cache's name of the key: its label, and its `CKA_ID` in
    /// hex and its key type when it has an id ([`swept_name`]).
    fn cache_name(&self) -> Result<Arc<str>, crypto::Error> {
        Ok(match &self.id {
            None => self.label.clone(),
            Some(id) => swept_name(&self.label, id, key_type(self.algorithm)?),
        })
    }
}

/// The handle cache's name of the key labelled `label` with `CKA_ID` `id`
/// of `key_type` (`<label>#<id hex>#<CKK_…>`).
fn swept_name(label: &str, id: &[u8], key_type: KeyType) -> Arc<str> {
    format!("{label}#{}#{key_type}", hex::encode(id)).into()
}

/// The label of an eUICC key: `<EID>/<protocol>/<kvn>/<role>`
/// (`protocol` `scp80` / `scp03`, `role` `kic` / `kid` / `enc` / `mac`).
pub fn key_label(eid: &str, protocol: &str, kvn: u8, role: &str) -> String {
    format!("{eid}/{protocol}/{kvn}/{role}")
}

/// How many sessions an [`Hsm`] keeps open: each runs one operation at a
/// time, so with several an object creation waiting on the token's store
/// does not hold up the block operations of the other workers. A login
/// holds for every session the application has with the token, and a
/// session opened later is logged in too (PKCS#11 v2.10 §6.6.4).
const SESSIONS: usize = 4;

/// An open, logged-in token.
pub struct Hsm {
    pkcs11: Pkcs11,
    slot: Slot,
    pin: AuthPin,
    /// Read-write sessions, each lent to one operation at a time; the first
    /// is the one [`Hsm::relogin`] logs in on.
    sessions: Box<[Mutex<Session>]>,
    /// Where [`Hsm::session`] starts looking for an idle session.
    next_session: AtomicUsize,
    handles: Mutex<HashMap<Arc<str>, ObjectHandle>>,
    session_keys: AtomicU64,
}

/// The provider error for a PKCS#11 failure during `operation`: the
/// failure class and the `CKR_` code (PKCS#11 v2.40 §11.1); an error the
/// classes do not cover is logged in full and reported as `Device`.
fn provider_error(operation: Operation, e: &P11Error) -> crypto::Error {
    use RvError as R;
    let (failure, code) = match e {
        P11Error::Pkcs11(rv, _) => match rv {
            R::UserNotLoggedIn => (Failure::Unavailable, 0x101),
            R::SessionHandleInvalid => (Failure::Unavailable, 0xB3),
            R::SessionClosed => (Failure::Unavailable, 0xB0),
            R::DeviceRemoved => (Failure::Unavailable, 0x32),
            R::TokenNotPresent => (Failure::Unavailable, 0xE0),
            R::CryptokiNotInitialized => (Failure::Unavailable, 0x190),
            R::DeviceError => (Failure::Unavailable, 0x30),
            R::KeyHandleInvalid => (Failure::NotFound, 0x60),
            R::ObjectHandleInvalid => (Failure::NotFound, 0x82),
            R::KeyFunctionNotPermitted => (Failure::NotAllowed, 0x68),
            R::MechanismInvalid => (Failure::NotAllowed, 0x70),
            R::KeyTypeInconsistent => (Failure::NotAllowed, 0x63),
            other => {
                tracing::error!(?operation, error = %other, "PKCS#11 failure");
                (Failure::Device, 0)
            }
        },
        other => {
            tracing::error!(?operation, error = %other, "PKCS#11 failure");
            (Failure::Device, 0)
        }
    };
    crypto::Error::Provider {
        operation,
        failure,
        code,
    }
}

/// The PKCS#11 key type of an algorithm; single DES is refused.
fn key_type(algorithm: CipherAlgorithm) -> Result<KeyType, crypto::Error> {
    match algorithm {
        CipherAlgorithm::Tdes2 => Ok(KeyType::DES2),
        CipherAlgorithm::Tdes3 => Ok(KeyType::DES3),
        a if a.is_aes() => Ok(KeyType::AES),
        _ => Err(crypto::Error::Provider {
            operation: Operation::Import,
            failure: Failure::NotAllowed,
            code: 0x63,
        }),
    }
}

/// The zero-IV CBC mechanism for a key.
fn cbc(algorithm: CipherAlgorithm) -> Mechanism<'static> {
    if algorithm.is_aes() {
        Mechanism::AesCbc([0; 16])
    } else {
        Mechanism::Des3Cbc([0; 8])
    }
}

impl Hsm {
    /// Loads the module, finds the token and logs in.
    ///
    /// # Errors
    /// A message naming what failed (module, token, PIN or login).
    pub fn open(config: &HsmConfig) -> Result<Self, String> {
        let pkcs11 = Pkcs11::new(&config.module)
            .map_err(|e| format!("PKCS#11 module {}: {e}", config.module.display()))?;
        pkcs11
            .initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .map_err(|e| format!("C_Initialize: {e}"))?;
        let slot = pkcs11
            .get_slots_with_initialized_token()
            .map_err(|e| format!("C_GetSlotList: {e}"))?
            .into_iter()
            .find(|s| {
                pkcs11
                    .get_token_info(*s)
                    .is_ok_and(|t| t.label() == config.token_label)
            })
            .ok_or_else(|| format!("no token labelled {:?}", config.token_label))?;
        let pin = config.pin.read()?;
        let mut sessions = vec![Mutex::new(Self::login(&pkcs11, slot, &pin)?)];
        for _ in 1..SESSIONS {
            sessions.push(Mutex::new(Self::open_session(&pkcs11, slot)?));
        }
        Ok(Self {
            pkcs11,
            slot,
            pin,
            sessions: sessions.into_boxed_slice(),
            next_session: AtomicUsize::new(0),
            handles: Mutex::new(HashMap::new()),
            session_keys: AtomicU64::new(0),
        })
    }

    /// A read-write session (logged in when the application is).
    fn open_session(pkcs11: &Pkcs11, slot: Slot) -> Result<Session, String> {
        pkcs11
            .open_rw_session(slot)
            .map_err(|e| format!("C_OpenSession: {e}"))
    }

    /// A read-write session logged in as the user (already being logged
    /// in through another session, `CKR_USER_ALREADY_LOGGED_IN`, is
    /// success: PKCS#11 v2.10 §6.6.4).
    fn login(pkcs11: &Pkcs11, slot: Slot, pin: &AuthPin) -> Result<Session, String> {
        let session = Self::open_session(pkcs11, slot)?;
        match session.login(UserType::User, Some(pin)) {
            Ok(()) | Err(P11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
            Err(e) => Err(format!("C_Login: {e}")),
        }
    }

    /// Opens fresh sessions and logs in again (after the token or a
    /// session went away), and forgets the cached handles (a logout
    /// invalidates those of private objects).
    ///
    /// # Errors
    /// As [`Hsm::open`].
    pub fn relogin(&self) -> Result<(), String> {
        let poisoned = |_| "HSM session lock poisoned";
        let mut sessions = self.sessions.iter();
        // The logged-in session replaces the first one before any other is
        // closed, so the application never has no session (which would
        // log it out).
        if let Some(first) = sessions.next() {
            let fresh = Self::login(&self.pkcs11, self.slot, &self.pin)?;
            *first.lock().map_err(poisoned)? = fresh;
        }
        for slot in sessions {
            let fresh = Self::open_session(&self.pkcs11, self.slot)?;
            *slot.lock().map_err(poisoned)? = fresh;
        }
        self.handles
            .lock()
            .map_err(|_| "HSM handle cache lock poisoned")?
            .clear();
        Ok(())
    }

    /// An idle session (waiting for one when all are busy), or
    /// `Unavailable` when a thread panicked holding it.
    fn session(&self, operation: Operation) -> Result<MutexGuard<'_, Session>, crypto::Error> {
        let unavailable = || crypto::Error::Provider {
            operation,
            failure: Failure::Unavailable,
            code: 0,
        };
        let start = self.next_session.fetch_add(1, Ordering::Relaxed) % self.sessions.len();
        let mut order = self
            .sessions
            .iter()
            .cycle()
            .skip(start)
            .take(self.sessions.len());
        let first = order.next().ok_or_else(unavailable)?;
        for slot in core::iter::once(first).chain(order) {
            match slot.try_lock() {
                Ok(guard) => return Ok(guard),
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Poisoned(_)) => return Err(unavailable()),
            }
        }
        first.lock().map_err(|_| unavailable())
    }

    /// Logs the session out (for tests of an HSM that goes away).
    ///
    /// # Errors
    /// The PKCS#11 error.
    pub fn logout(&self) -> Result<(), crypto::Error> {
        self.session(Operation::Lookup)?
            .logout()
            .map_err(|e| provider_error(Operation::Lookup, &e))
    }

    /// Imports `key` as a token object labelled `label` with `CKA_ID`
    /// `id`: sensitive, non-extractable, private, for CBC and (AES) CMAC.
    ///
    /// # Errors
    /// `NotAllowed` for single DES; the PKCS#11 error.
    pub fn import_key(&self, label: &str, id: &[u8], key: &Key) -> Result<HsmKey, crypto::Error> {
        self.create(label, Some(id), key, true)
    }

    /// The object handle of `key`: cached, else (a key with a `CKA_ID`)
    /// from one sweep over the token's secret keys ([`Hsm::sweep`]), else
    /// found by label (exactly one secret key of its type).
    fn handle(&self, session: &Session, key: &HsmKey) -> Result<ObjectHandle, crypto::Error> {
        let mut cache = self.handles.lock().map_err(|_| crypto::Error::Provider {
            operation: Operation::Lookup,
            failure: Failure::Unavailable,
            code: 0,
        })?;
        let name = key.cache_name()?;
        if let Some(h) = cache.get(&name) {
            return Ok(*h);
        }
        if key.id.is_some() {
            Self::sweep(session, &mut cache)?;
            return cache.get(&name).copied().ok_or(crypto::Error::Provider {
                operation: Operation::Lookup,
                failure: Failure::NotFound,
                code: 0x82,
            });
        }
        let found = session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(key_type(key.algorithm)?),
                Attribute::Label(key.label.as_bytes().to_vec()),
            ])
            .map_err(|e| provider_error(Operation::Lookup, &e))?;
        match found.as_slice() {
            [handle] => {
                cache.insert(name, *handle);
                Ok(*handle)
            }
            _ => Err(crypto::Error::Provider {
                operation: Operation::Lookup,
                failure: Failure::NotFound,
                code: 0x82,
            }),
        }
    }

    /// Caches the handle of every secret key of the token that has a
    /// `CKA_ID`, by label, id and key type: one `C_FindObjects` and one
    /// `C_GetAttributeValue` per object, where a lookup per key would cost
    /// a whole `C_FindObjects` each (SoftHSM2 checks every object of the
    /// token on disk for each). A label and id that several objects share
    /// is left out, so looking it up fails `NotFound` as a search would.
    fn sweep(
        session: &Session,
        cache: &mut HashMap<Arc<str>, ObjectHandle>,
    ) -> Result<(), crypto::Error> {
        use cryptoki::object::AttributeType as A;
        let err = |e: P11Error| provider_error(Operation::Lookup, &e);
        let found = session
            .find_objects(&[Attribute::Class(ObjectClass::SECRET_KEY)])
            .map_err(err)?;
        let mut seen: HashMap<Arc<str>, Option<ObjectHandle>> = HashMap::new();
        for handle in found {
            let (mut label, mut id, mut key_type) = (None, None, None);
            for a in session
                .get_attributes(handle, &[A::Label, A::Id, A::KeyType])
                .map_err(err)?
            {
                match a {
                    Attribute::Label(l) => label = String::from_utf8(l).ok(),
                    Attribute::Id(i) if !i.is_empty() => id = Some(i),
                    Attribute::KeyType(t) => key_type = Some(t),
                    _ => {}
                }
            }
            let (Some(label), Some(id), Some(key_type)) = (label, id, key_type) else {
                continue;
            };
            seen.entry(swept_name(&label, &id, key_type))
                .and_modify(|e| *e = None)
                .or_insert(Some(handle));
        }
        cache.extend(seen.into_iter().filter_map(|(n, e)| e.map(|e| (n, e))));
        Ok(())
    }

    fn create(
        &self,
        label: &str,
        id: Option<&[u8]>,
        key: &Key,
        token: bool,
    ) -> Result<HsmKey, crypto::Error> {
        let algorithm = key.algorithm();
        let held = HsmKey {
            label: label.into(),
            id: id.map(Into::into),
            algorithm,
        };
        let name = held.cache_name()?;
        let mut template = vec![
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(key_type(algorithm)?),
            Attribute::Token(token),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Encrypt(true),
            Attribute::Decrypt(true),
            Attribute::Sign(algorithm.is_aes()),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Value(key.dangerous_bytes().to_vec()),
        ];
        if let Some(id) = id {
            template.insert(0, Attribute::Id(id.to_vec()));
        }
        let created = self.session(Operation::Import)?.create_object(&template);
        // The template's copy of the key octets is wiped.
        if let Some(Attribute::Value(mut v)) = template.into_iter().last() {
            zeroize::Zeroize::zeroize(&mut v);
        }
        let handle = created.map_err(|e| provider_error(Operation::Import, &e))?;
        if let Ok(mut cache) = self.handles.lock() {
            cache.insert(name, handle);
        }
        Ok(held)
    }

    /// Destroys the secret key labelled `label` with `CKA_ID` `id` (every
    /// such object; none is no error).
    ///
    /// # Errors
    /// The PKCS#11 error.
    pub fn destroy_key(&self, label: &str, id: &[u8]) -> Result<(), crypto::Error> {
        let session = self.session(Operation::Lookup)?;
        let found = session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Label(label.as_bytes().to_vec()),
                Attribute::Id(id.to_vec()),
            ])
            .map_err(|e| provider_error(Operation::Lookup, &e))?;
        for handle in found {
            session
                .destroy_object(handle)
                .map_err(|e| provider_error(Operation::Lookup, &e))?;
        }
        if let Ok(mut cache) = self.handles.lock() {
            cache.remove(format!("{label}#{}", hex::encode(id)).as_str());
        }
        Ok(())
    }

    /// The `(label, CKA_ID)` of every secret key object on the token
    /// (an object without a label or ID shows them empty).
    ///
    /// # Errors
    /// The PKCS#11 error.
    pub fn list_keys(&self) -> Result<Vec<(String, Vec<u8>)>, crypto::Error> {
        use cryptoki::object::AttributeType;
        let session = self.session(Operation::Lookup)?;
        let err = |e| provider_error(Operation::Lookup, &e);
        let found = session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::Token(true),
            ])
            .map_err(err)?;
        let mut out = Vec::new();
        for handle in found {
            let (mut label, mut id) = (String::new(), Vec::new());
            let attributes = session
                .get_attributes(handle, &[AttributeType::Label, AttributeType::Id])
                .map_err(err)?;
            for a in attributes {
                match a {
                    Attribute::Label(l) => label = String::from_utf8_lossy(&l).into_owned(),
                    Attribute::Id(i) => id = i,
                    _ => {}
                }
            }
            out.push((label, id));
        }
        Ok(out)
    }

    /// The key labelled `label` with `CKA_ID` `id`, of `algorithm`.
    ///
    /// # Errors
    /// `NotFound` when no (or more than one) secret key has that label
    /// and id.
    pub fn find_key(
        &self,
        label: &str,
        id: &[u8],
        algorithm: CipherAlgorithm,
    ) -> Result<HsmKey, crypto::Error> {
        let key = HsmKey::by_label_id(label, id, algorithm);
        self.handle(&*self.session(Operation::Lookup)?, &key)?;
        Ok(key)
    }

    /// Whether the token refuses to reveal the key's `CKA_VALUE`
    /// (sensitive / non-extractable).
    pub fn value_is_hidden(&self, key: &HsmKey) -> Result<bool, crypto::Error> {
        let session = self.session(Operation::Lookup)?;
        let handle = self.handle(&session, key)?;
        let got = session.get_attributes(handle, &[cryptoki::object::AttributeType::Value]);
        Ok(match got {
            Err(P11Error::Pkcs11(RvError::AttributeSensitive, _)) => true,
            Err(e) => return Err(provider_error(Operation::Lookup, &e)),
            Ok(attrs) => !attrs.iter().any(|a| matches!(a, Attribute::Value(_))),
        })
    }

    /// Zero-IV CBC of `buf` in place, through the HSM.
    fn cbc_in_place(
        &self,
        key: &HsmKey,
        buf: &mut [u8],
        operation: Operation,
    ) -> Result<(), crypto::Error> {
        let block = key.algorithm.block_len();
        if !buf.len().is_multiple_of(block) {
            return Err(crypto::Error::NotBlockAligned {
                len: buf.len(),
                block,
            });
        }
        let session = self.session(operation)?;
        let handle = self.handle(&session, key)?;
        let mech = cbc(key.algorithm);
        let out = Zeroizing::new(
            match operation {
                Operation::Decrypt => session.decrypt(&mech, handle, buf),
                _ => session.encrypt(&mech, handle, buf),
            }
            .map_err(|e| provider_error(operation, &e))?,
        );
        if out.len() != buf.len() {
            return Err(crypto::Error::Provider {
                operation,
                failure: Failure::Device,
                code: 0,
            });
        }
        buf.copy_from_slice(&out);
        Ok(())
    }
}

/// The SCP81 PSK, kept wrapped under an AES key-wrap key of the token
/// (`CKM_AES_KEY_WRAP_PAD`, RFC 5649 / NIST SP 800-38F KWP): the PSK is the
/// one key OpenSSL's PSK callback needs in the clear, so it is unwrapped
/// for one handshake and its octets zeroized after.
impl Hsm {
    /// The key-wrap key labelled `label`.
    fn wrap_key_ref(label: &str) -> HsmKey {
        HsmKey {
            label: label.into(),
            id: None,
            algorithm: CipherAlgorithm::Aes256,
        }
    }

    /// The handle of the one AES key-wrap key labelled `label`.
    ///
    /// # Errors
    /// `NotFound` when the token has none, or several.
    fn wrap_key(&self, session: &Session, label: &str) -> Result<ObjectHandle, crypto::Error> {
        self.handle(session, &Self::wrap_key_ref(label))
    }

    /// Checks that the token holds exactly one key-wrap key `label`.
    ///
    /// # Errors
    /// As [`Hsm::wrap_psk`] finding it.
    pub fn find_wrap_key(&self, label: &str) -> Result<(), crypto::Error> {
        self.wrap_key(&*self.session(Operation::Lookup)?, label)
            .map(drop)
    }

    /// Makes the AES-256 key-wrap key labelled `label` inside the token
    /// (sensitive, non-extractable, for wrap and unwrap only) unless it
    /// holds one: `true` when it was made. Run once per token, before any
    /// server (two servers making it at once would make two).
    ///
    /// # Errors
    /// The PKCS#11 error; `NotFound` when the token holds several.
    pub fn create_wrap_key(&self, label: &str) -> Result<bool, crypto::Error> {
        let session = self.session(Operation::Import)?;
        let found = session
            .find_objects(&[
                Attribute::Class(ObjectClass::SECRET_KEY),
                Attribute::KeyType(KeyType::AES),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
            .map_err(|e| provider_error(Operation::Lookup, &e))?;
        match found.len() {
            0 => {}
            1 => return Ok(false),
            _ => {
                return Err(crypto::Error::Provider {
                    operation: Operation::Lookup,
                    failure: Failure::NotFound,
                    code: 0x82,
                });
            }
        }
        session
            .generate_key(
                &Mechanism::AesKeyGen,
                &[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(KeyType::AES),
                    Attribute::ValueLen(32.into()),
                    Attribute::Token(true),
                    Attribute::Private(true),
                    Attribute::Sensitive(true),
                    Attribute::Extractable(false),
                    Attribute::Wrap(true),
                    Attribute::Unwrap(true),
                    Attribute::Encrypt(false),
                    Attribute::Decrypt(false),
                    Attribute::Label(label.as_bytes().to_vec()),
                ],
            )
            .map_err(|e| provider_error(Operation::Import, &e))?;
        Ok(true)
    }

    /// `psk` wrapped under the key-wrap key `wrap_label`: brought in as a
    /// session object, wrapped, and that object destroyed.
    ///
    /// # Errors
    /// The PKCS#11 error.
    pub fn wrap_psk(&self, wrap_label: &str, psk: &[u8]) -> Result<Vec<u8>, crypto::Error> {
        let err = |e: P11Error| provider_error(Operation::Encrypt, &e);
        let session = self.session(Operation::Encrypt)?;
        let kwk = self.wrap_key(&session, wrap_label)?;
        let template = [
            Attribute::Class(ObjectClass::SECRET_KEY),
            Attribute::KeyType(KeyType::GENERIC_SECRET),
            Attribute::Token(false),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(true),
            Attribute::Value(psk.to_vec()),
        ];
        let created = session.create_object(&template);
        if let Some(Attribute::Value(mut v)) = template.into_iter().last() {
            zeroize::Zeroize::zeroize(&mut v);
        }
        let object = created.map_err(err)?;
        let wrapped = session.wrap_key(&Mechanism::AesKeyWrapPad, kwk, object);
        session.destroy_object(object).map_err(err)?;
        wrapped.map_err(err)
    }

    /// The PSK of `len` octets `blob` wraps under `wrap_label`, for one
    /// handshake (SoftHSM2 2.6 leaves the RFC 5649 padding on a generic
    /// secret and refuses `CKA_VALUE_LEN` in the template, so the length
    /// comes from the record, see [`unpad`]): unwrapped
    /// into a session object, read, and that object destroyed.
    ///
    /// # Errors
    /// The PKCS#11 error (a blob altered or wrapped under another key
    /// fails the unwrap).
    pub fn unwrap_psk(
        &self,
        wrap_label: &str,
        blob: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, crypto::Error> {
        let err = |e: P11Error| provider_error(Operation::Decrypt, &e);
        let session = self.session(Operation::Decrypt)?;
        let kwk = self.wrap_key(&session, wrap_label)?;
        let object = session
            .unwrap_key(
                &Mechanism::AesKeyWrapPad,
                kwk,
                blob,
                &[
                    Attribute::Class(ObjectClass::SECRET_KEY),
                    Attribute::KeyType(KeyType::GENERIC_SECRET),
                    Attribute::Token(false),
                    Attribute::Private(true),
                    Attribute::Sensitive(false),
                    Attribute::Extractable(true),
                ],
            )
            .map_err(err)?;
        let read = session.get_attributes(object, &[cryptoki::object::AttributeType::Value]);
        let value = match read.map(|mut a| a.pop()) {
            Ok(Some(Attribute::Value(v))) => unpad(Zeroizing::new(v), len),
            Ok(_) => Err(crypto::Error::Provider {
                operation: Operation::Decrypt,
                failure: Failure::Device,
                code: 0,
            }),
            Err(e) => Err(err(e)),
        };
        session.destroy_object(object).map_err(err)?;
        value
    }
}

impl Provider for Hsm {
    type Key = HsmKey;

    fn key_algorithm(&self, key: &HsmKey) -> CipherAlgorithm {
        key.algorithm
    }

    fn encrypt_cbc(&self, key: &HsmKey, buf: &mut [u8]) -> Result<(), crypto::Error> {
        self.cbc_in_place(key, buf, Operation::Encrypt)
    }

    fn decrypt_cbc(&self, key: &HsmKey, buf: &mut [u8]) -> Result<(), crypto::Error> {
        self.cbc_in_place(key, buf, Operation::Decrypt)
    }

    /// AES: `CKM_AES_CMAC`. 3DES: the last block of a zero-IV
    /// `CKM_DES3_CBC` encryption of the data zero-padded to whole blocks
    /// (ISO/IEC 9797-1 MAC algorithm 1, padding method 1).
    fn mac(&self, key: &HsmKey, parts: &[&[u8]]) -> Result<Tag, crypto::Error> {
        let mut data = Zeroizing::new(parts.concat());
        let err = |e: P11Error| provider_error(Operation::Mac, &e);
        let session = self.session(Operation::Mac)?;
        let handle = self.handle(&session, key)?;
        if key.algorithm.is_aes() {
            let mac = session
                .sign(&Mechanism::AesCMac, handle, &data)
                .map_err(err)?;
            let tag: [u8; 16] = mac.as_slice().try_into().map_err(|_| bad_len())?;
            return Ok(Tag::cmac(tag));
        }
        let pad = (8 - data.len() % 8) % 8 + if data.is_empty() { 8 } else { 0 };
        let padded = data.len() + pad;
        data.resize(padded, 0);
        let ct = Zeroizing::new(
            session
                .encrypt(&cbc(key.algorithm), handle, &data)
                .map_err(err)?,
        );
        let last: [u8; 8] = ct
            .rchunks_exact(8)
            .next()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(bad_len)?;
        Ok(Tag::cbc_mac(last))
    }

    /// A session object (gone with the session), labelled
    /// `session/<n>`: for derived session keys.
    fn import(&self, key: &Key) -> Result<HsmKey, crypto::Error> {
        let n = self.session_keys.fetch_add(1, Ordering::Relaxed);
        self.create(&format!("session/{n}"), None, key, false)
    }
}

/// The first `len` octets of an unwrapped PSK `v`: exactly `len` octets,
/// or `len` then fewer than 8 zero octets of RFC 5649 padding; anything
/// else is a device error, never other octets.
fn unpad(mut v: Zeroizing<Vec<u8>>, len: usize) -> Result<Zeroizing<Vec<u8>>, crypto::Error> {
    match v.get(len..) {
        Some(pad) if pad.len() < 8 && pad.iter().all(|b| *b == 0) => {
            v.truncate(len);
            Ok(v)
        }
        _ => Err(crypto::Error::Provider {
            operation: Operation::Decrypt,
            failure: Failure::Device,
            code: 0,
        }),
    }
}

/// An HSM answer of the wrong length.
fn bad_len() -> crypto::Error {
    crypto::Error::Provider {
        operation: Operation::Mac,
        failure: Failure::Device,
        code: 0,
    }
}
