//! The PKCS#11 custody (`--keys pkcs11:FILE`): at RegisterEIS (single,
//! bulk import, `import-keys`) the eUICC's SCP80 KIc and KID become token
//! objects ([`crate::hsm::Hsm::import_key`]: sensitive, non-extractable,
//! private), labelled by [`key_label`] and told apart by a random
//! `CKA_ID`; the SCP81 PSK is wrapped under the token's AES key-wrap key
//! (`CKM_AES_KEY_WRAP_PAD`). The record the store keeps holds labels, the
//! `CKA_ID` and the wrapped PSK, never a key:
//!
//! ```json
//! {"Custody": "PKCS#11", "Algorithm": "AES-128", "Scp80Kvn": 1,
//!  "Kic": "<EID>/scp80/1/kic", "Kid": "<EID>/scp80/1/kid", "Id": "<24 hex>",
//!  "WrapKey": "smsr/scp81/psk-wrap", "Scp81Psk": "<hex, wrapped>", "Scp81PskLen": 16,
//!  "Scp81Kvn": 64, "Scp81KeyId": 1, "Msisdn": "…"}
//! ```
//!
//! The token is described by a JSON file ([`Pkcs11File`]); its PIN comes
//! from an environment variable or a file it names, never the file itself.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use smsr::crypto::CipherAlgorithm;
use smsr::isdr::Eid;
use smsr::scp80::KeySet;

use super::des3::Scp80Algorithm;
use super::guard::Guarded;
use super::scp03_import::{self, Held};
use super::vault::{EuiccKeys, Psk, Vault, VaultKey};
use super::{Custody, CustodyError};
use crate::hsm::{Hsm, HsmConfig, HsmKey, PinSource, key_label};
use crate::store::Secrets;

/// The `Custody` name of a PKCS#11 record.
const CUSTODY: &str = super::backend::PKCS11;

/// The default label of the SCP81 PSK key-wrap key.
const WRAP_KEY: &str = "smsr/scp81/psk-wrap";

/// The file `--keys pkcs11:FILE` names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pkcs11File {
    /// The PKCS#11 module (shared library).
    #[serde(rename = "Module")]
    module: PathBuf,
    /// The token label.
    #[serde(rename = "TokenLabel")]
    token_label: String,
    /// The environment variable holding the user PIN.
    #[serde(rename = "PinEnv", default)]
    pin_env: Option<String>,
    /// The file whose first line is the user PIN.
    #[serde(rename = "PinFile", default)]
    pin_file: Option<PathBuf>,
    /// The label of the AES key-wrap key of the SCP81 PSKs (generated in
    /// the token at first use) [default: `smsr/scp81/psk-wrap`].
    #[serde(rename = "WrapKeyLabel", default)]
    wrap_key: Option<String>,
    /// Test hook: the session is logged out before every N-th operation.
    #[serde(rename = "DangerousLogoutEvery", default)]
    dangerous_logout_every: u64,
}

impl Pkcs11File {
    /// Reads and checks `path`.
    ///
    /// # Errors
    /// Unreadable, not this format (a `Pin` field is refused), or not
    /// exactly one PIN source.
    pub fn read(path: &Path) -> Result<Self, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        let f: Self = serde_json::from_str(&text).map_err(|e| {
            format!("{shown}: {e} (fields: Module, TokenLabel, PinEnv or PinFile, WrapKeyLabel)")
        })?;
        match (&f.pin_env, &f.pin_file) {
            (Some(_), None) | (None, Some(_)) => Ok(f),
            _ => Err(format!("{shown}: give exactly one of PinEnv and PinFile")),
        }
    }

    fn hsm_config(&self) -> HsmConfig {
        let pin = match (&self.pin_env, &self.pin_file) {
            (Some(v), _) => PinSource::Env(v.clone()),
            (None, Some(f)) => PinSource::File(f.clone()),
            // `read` refused a file with neither.
            (None, None) => PinSource::Env(String::new()),
        };
        HsmConfig {
            module: self.module.clone(),
            token_label: self.token_label.clone(),
            pin,
        }
    }
}

/// How often, and after what first wait (doubling), opening the token is
/// tried before the start fails: a token busy or briefly away at start
/// (SoftHSM2 answers `CKR_GENERAL_ERROR` while another process rewrites
/// its files) is waited for, a wrong PIN or module fails after the last.
const OPEN_TRIES: (u32, std::time::Duration) = (5, std::time::Duration::from_millis(200));

/// Opens and logs in to the token of `f`, retrying as [`OPEN_TRIES`] says.
fn open_token(f: &Pkcs11File) -> Result<Hsm, String> {
    let config = f.hsm_config();
    let mut wait = OPEN_TRIES.1;
    let mut tries = 1;
    loop {
        match Hsm::open(&config) {
            Ok(h) => return Ok(h),
            Err(e) if tries >= OPEN_TRIES.0 => return Err(format!("{e} ({tries} tries)")),
            Err(e) => {
                tracing::warn!(
                    "PKCS#11 token {:?}: {e}; trying again in {wait:?}",
                    f.token_label
                );
                std::thread::sleep(wait);
                wait *= 2;
                tries += 1;
            }
        }
    }
}

/// The stored form of one record.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    #[serde(rename = "Custody")]
    custody: String,
    #[serde(rename = "Algorithm")]
    algorithm: String,
    #[serde(rename = "Scp80Kvn")]
    scp80_kvn: u8,
    #[serde(rename = "Kic")]
    kic: String,
    #[serde(rename = "Kid")]
    kid: String,
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "WrapKey")]
    wrap_key: String,
    #[serde(rename = "Scp81Psk")]
    scp81_psk: String,
    #[serde(rename = "Scp81PskLen")]
    scp81_psk_len: usize,
    #[serde(rename = "Scp81Kvn")]
    scp81_kvn: u8,
    #[serde(rename = "Scp81KeyId")]
    scp81_key_id: u8,
    #[serde(rename = "Msisdn")]
    msisdn: String,
    /// The ISD-R's SCP03 key set in the token (labels), if handed over.
    #[serde(rename = "Scp03", default, skip_serializing_if = "Option::is_none")]
    scp03: Option<Held>,
}

/// The record's name of an algorithm.
const fn algorithm_name(a: CipherAlgorithm) -> Option<&'static str> {
    match a {
        CipherAlgorithm::Tdes2 => Some("3DES-2KEY"),
        CipherAlgorithm::Tdes3 => Some("3DES-3KEY"),
        CipherAlgorithm::Aes128 => Some("AES-128"),
        CipherAlgorithm::Aes192 => Some("AES-192"),
        CipherAlgorithm::Aes256 => Some("AES-256"),
        _ => None,
    }
}

fn algorithm_named(name: &str) -> Option<CipherAlgorithm> {
    [
        CipherAlgorithm::Tdes2,
        CipherAlgorithm::Tdes3,
        CipherAlgorithm::Aes128,
        CipherAlgorithm::Aes192,
        CipherAlgorithm::Aes256,
    ]
    .into_iter()
    .find(|a| algorithm_name(*a) == Some(name))
}

/// The PKCS#11 custody over one token.
pub struct Pkcs11 {
    hsm: Arc<Guarded>,
    token: String,
    wrap_key: Arc<str>,
}

impl core::fmt::Debug for Pkcs11 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Pkcs11(token {:?})", self.token)
    }
}

impl Pkcs11 {
    /// Opens the token `file` describes.
    ///
    /// # Errors
    /// The file, the module, the token, the PIN or the login.
    pub fn open(file: &Path) -> Result<Self, String> {
        let f = Pkcs11File::read(file)?;
        let hsm = open_token(&f).map_err(|e| format!("{}: {e}", file.display()))?;
        let wrap_key = f.wrap_key.as_deref().unwrap_or(WRAP_KEY);
        hsm.find_wrap_key(wrap_key).map_err(|e| {
            format!(
                "token {:?}: no single key-wrap key labelled {wrap_key:?} ({e}): make it once \
                 with `smsr-server hsm-init {}`",
                f.token_label,
                file.display()
            )
        })?;
        Ok(Self {
            hsm: Arc::new(Guarded::new(hsm).dangerous_logout_every(f.dangerous_logout_every)),
            token: f.token_label,
            wrap_key: f.wrap_key.as_deref().unwrap_or(WRAP_KEY).into(),
        })
    }

    /// `smsr-server hsm-init FILE`: makes the token's key-wrap key unless
    /// it holds one; the answer says which.
    ///
    /// # Errors
    /// As [`Pkcs11::open`], or the token cannot make the key.
    pub fn init(file: &Path) -> Result<serde_json::Value, String> {
        let f = Pkcs11File::read(file)?;
        let hsm = open_token(&f).map_err(|e| format!("{}: {e}", file.display()))?;
        let label = f.wrap_key.as_deref().unwrap_or(WRAP_KEY);
        let created = hsm
            .create_wrap_key(label)
            .map_err(|e| format!("key-wrap key {label:?}: {e}"))?;
        Ok(serde_json::json!({"WrapKey": label, "Created": created}))
    }

    fn hsm_error(eid: &Eid, what: &str, e: impl core::fmt::Display) -> CustodyError {
        CustodyError::Hsm {
            eid: eid.to_string(),
            why: format!("{what}: {e}"),
        }
    }

    /// A key of `eid` in the token, by its label.
    fn import(
        &self,
        eid: &Eid,
        (kvn, role): (u8, &str),
        id: &[u8],
        (algorithm, bytes): (Scp80Algorithm, &[u8]),
        created: &mut Vec<String>,
    ) -> Result<(String, CipherAlgorithm), CustodyError> {
        let key = algorithm.key(bytes).map_err(|e| CustodyError::Malformed {
            eid: eid.to_string(),
            why: format!("SCP80 {role}: {e}"),
        })?;
        let label = key_label(&eid.to_string(), "scp80", kvn, role);
        self.hsm
            .run(|h| h.import_key(&label, id, &key))
            .map_err(|e| Self::hsm_error(eid, &format!("importing {label}"), e))?;
        created.push(label.clone());
        Ok((label, key.algorithm()))
    }

    /// Destroys the token objects `labels` with `CKA_ID` `id` of `eid`
    /// (what a registration that failed made). One that cannot be
    /// destroyed is logged and left to `smsr-server hsm-gc`.
    fn destroy(&self, eid: &Eid, labels: &[String], id: &[u8]) {
        for label in labels {
            match self.hsm.run(|h| h.destroy_key(label, id)) {
                Ok(()) => {
                    tracing::info!(%eid, label, "token object of a failed registration destroyed")
                }
                Err(e) => tracing::warn!(
                    %eid, label,
                    "token object of a failed registration not destroyed ({e}): `smsr-server hsm-gc` lists it"
                ),
            }
        }
    }

    /// [`Custody::seal`] with the `CKA_ID` `id`; the labels of the objects
    /// it creates go to `created`.
    fn seal_with(
        &self,
        eid: &Eid,
        s: &Secrets,
        id: &[u8],
        created: &mut Vec<String>,
    ) -> Result<String, CustodyError> {
        let a = s.scp80_algorithm;
        let kvn = s.scp80_kvn;
        let (kic, algorithm) = self.import(eid, (kvn, "kic"), id, (a, &s.scp80_kic), created)?;
        let (kid, _) = self.import(eid, (kvn, "kid"), id, (a, &s.scp80_kid), created)?;
        let scp03 = s
            .scp03
            .as_ref()
            .map(|k| scp03_import::import(&self.hsm, eid, id, k, created))
            .transpose()?;
        let psk = self
            .hsm
            .run(|h| h.wrap_psk(&self.wrap_key, &s.scp81_psk))
            .map_err(|e| Self::hsm_error(eid, "wrapping the SCP81 PSK", e))?;
        let record = Record {
            custody: CUSTODY.into(),
            algorithm: algorithm_name(algorithm)
                .ok_or_else(|| Self::hsm_error(eid, "SCP80 key", "single DES is refused"))?
                .into(),
            scp80_kvn: s.scp80_kvn,
            kic,
            kid,
            id: hex::encode_upper(id),
            wrap_key: self.wrap_key.to_string(),
            scp81_psk: hex::encode_upper(psk),
            scp81_psk_len: s.scp81_psk.len(),
            scp81_kvn: s.scp81_kvn,
            scp81_key_id: s.scp81_key_id,
            msisdn: s.msisdn.clone(),
            scp03,
        };
        serde_json::to_string(&record).map_err(|e| Self::hsm_error(eid, "record", e))
    }

    /// The `(label, CKA_ID)` of every token object the record of `eid`
    /// names.
    ///
    /// # Errors
    /// As [`Custody::keys`].
    pub fn referenced(eid: &Eid, record: &str) -> Result<Vec<(String, Vec<u8>)>, CustodyError> {
        let r = Self::record(eid, record)?;
        let scp03 = r.scp03.iter().flat_map(|h| h.labels.iter().cloned());
        Ok([r.kic, r.kid]
            .into_iter()
            .chain(scp03)
            .map(|l| (l, r.id.clone()))
            .collect())
    }

    /// The token, for `smsr-server hsm-gc` (keys/cleanup.rs).
    pub(crate) fn token(&self) -> &Guarded {
        &self.hsm
    }

    /// The label of the SCP81 PSK key-wrap key.
    pub(crate) fn wrap_key_label(&self) -> &str {
        &self.wrap_key
    }
}

impl Custody for Pkcs11 {
    fn seal(&self, eid: &Eid, s: &Secrets) -> Result<String, CustodyError> {
        use aes_gcm::aead::Generate;
        // 96 random bits from the system generator, as a `CKA_ID`.
        let id = aes_gcm::Nonce::<aes_gcm::aead::consts::U12>::try_generate()
            .map_err(|e| CustodyError::Random(e.to_string()))?;
        let mut created = Vec::new();
        let sealed = self.seal_with(eid, s, &id, &mut created);
        if sealed.is_err() {
            // A registration failing part-way leaves no token object.
            self.destroy(eid, &created, &id);
        }
        sealed
    }

    fn discard(&self, eid: &Eid, record: &str) {
        match Self::record(eid, record) {
            Ok(r) => {
                let scp03 = r.scp03.iter().flat_map(|h| h.labels.iter().cloned());
                let labels: Vec<String> = [r.kic, r.kid].into_iter().chain(scp03).collect();
                self.destroy(eid, &labels, &r.id);
            }
            Err(e) => tracing::warn!(%eid, "discarding a record: {e}"),
        }
    }

    fn open(&self, eid: &Eid, _record: &str) -> Result<Secrets, CustodyError> {
        Err(CustodyError::Held {
            eid: eid.to_string(),
        })
    }

    fn check(&self, eid: &Eid, record: &str) -> Result<(), CustodyError> {
        let r = Self::record(eid, record)?;
        let mut keys = vec![(&r.kic, r.algorithm), (&r.kid, r.algorithm)];
        if let Some(h) = &r.scp03 {
            let a = h
                .algorithm()
                .ok_or_else(|| Self::hsm_error(eid, "Scp03", format!("Bits {}", h.bits)))?;
            keys.extend(h.labels.iter().map(|l| (l, a)));
        }
        for (label, algorithm) in keys {
            let key = self
                .hsm
                .run(|h| h.find_key(label, &r.id, algorithm))
                .map_err(|e| Self::hsm_error(eid, &format!("finding {label}"), e))?;
            let hidden = self
                .hsm
                .run(|h| h.value_is_hidden(&key))
                .map_err(|e| Self::hsm_error(eid, &format!("reading {label}"), e))?;
            if !hidden {
                return Err(Self::hsm_error(eid, label, "the token reveals its value"));
            }
        }
        Ok(())
    }

    fn keys(&self, eid: &Eid, record: &str) -> Result<EuiccKeys, CustodyError> {
        let r = Self::record(eid, record)?;
        let key = |label: &str| VaultKey::Hsm(HsmKey::by_label_id(label, &r.id, r.algorithm));
        Ok(EuiccKeys {
            msisdn: r.msisdn.clone(),
            scp80_kvn: r.scp80_kvn,
            scp81_kvn: r.scp81_kvn,
            scp81_key_id: r.scp81_key_id,
            scp80_algorithm: r.algorithm,
            scp80: KeySet::with_provider(Vault::Hsm(self.hsm.clone()))
                .with_kic_handle(key(&r.kic))
                .with_kid_handle(key(&r.kid)),
            psk: Psk::Wrapped {
                hsm: self.hsm.clone(),
                wrap_key: r.wrap_key.into(),
                blob: r.blob,
                len: r.psk_len,
            },
        })
    }
}

/// A record read back: its labels checked against the EID, its hex decoded.
struct Parsed {
    algorithm: CipherAlgorithm,
    scp80_kvn: u8,
    kic: String,
    kid: String,
    id: Vec<u8>,
    wrap_key: String,
    blob: Vec<u8>,
    psk_len: usize,
    scp81_kvn: u8,
    scp81_key_id: u8,
    msisdn: String,
    scp03: Option<Held>,
}

impl Pkcs11 {
    /// Parses the record of `eid`.
    fn record(eid: &Eid, record: &str) -> Result<Parsed, CustodyError> {
        let malformed = |why: String| CustodyError::Malformed {
            eid: eid.to_string(),
            why,
        };
        match super::backend::record_custody(record) {
            Some(c) if c != CUSTODY => {
                return Err(CustodyError::OtherCustody {
                    eid: eid.to_string(),
                    custody: c,
                });
            }
            None if crate::keys::sealed::is_clear(record) => {
                return Err(CustodyError::Clear {
                    eid: eid.to_string(),
                });
            }
            _ => {}
        }
        let r: Record = serde_json::from_str(record)
            .map_err(|e| malformed(format!("not a PKCS#11 record ({e})")))?;
        let algorithm = algorithm_named(&r.algorithm)
            .ok_or_else(|| malformed(format!("algorithm {:?}", r.algorithm)))?;
        let id = hex::decode(&r.id).map_err(|e| malformed(format!("Id: {e}")))?;
        let blob = hex::decode(&r.scp81_psk).map_err(|e| malformed(format!("Scp81Psk: {e}")))?;
        // The labels name the EID: a record moved from another EID would
        // use that eUICC's keys.
        let eid_text = eid.to_string();
        let want = |role| key_label(&eid_text, "scp80", r.scp80_kvn, role);
        let scp03_moved = r
            .scp03
            .as_ref()
            .is_some_and(|h| !scp03_import::names_eid(h, eid));
        if r.custody != CUSTODY || r.kic != want("kic") || r.kid != want("kid") || scp03_moved {
            return Err(CustodyError::Moved {
                eid: eid_text,
                labels: format!("{}, {}", r.kic, r.kid),
            });
        }
        Ok(Parsed {
            algorithm,
            scp80_kvn: r.scp80_kvn,
            kic: r.kic,
            kid: r.kid,
            id,
            wrap_key: r.wrap_key,
            blob,
            psk_len: r.scp81_psk_len,
            scp81_kvn: r.scp81_kvn,
            scp81_key_id: r.scp81_key_id,
            msisdn: r.msisdn,
            scp03: r.scp03,
        })
    }
}

/// `smsr-server hsm-init FILE` (FILE as `--keys pkcs11:FILE` names it):
/// prints `{"WrapKey": …, "Created": true|false}`.
pub fn init_main(file: Option<std::ffi::OsString>) -> std::process::ExitCode {
    let Some(file) = file else {
        eprintln!("usage: smsr-server hsm-init FILE (the file of --keys pkcs11:FILE)");
        return std::process::ExitCode::from(2);
    };
    match Pkcs11::init(Path::new(&file)) {
        Ok(v) => {
            println!("{v}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
