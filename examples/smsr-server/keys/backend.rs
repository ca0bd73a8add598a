//! The key-custody seam: the [`Custody`] trait every backend implements
//! and its error.

use smsr::isdr::Eid;

use super::vault::EuiccKeys;
use crate::store::Secrets;

/// A key-custody backend: seals an eUICC's secrets into the text the
/// store keeps, and opens it again.
pub trait Custody: Send + Sync {
    /// Seals `secrets` of `eid` into the record the store keeps.
    ///
    /// # Errors
    /// The backend cannot seal (no randomness, HSM failure).
    fn seal(&self, eid: &Eid, secrets: &Secrets) -> Result<String, CustodyError>;

    /// Opens the record the store keeps for `eid`.
    ///
    /// # Errors
    /// A record in the clear, sealed under another key, moved from another
    /// EID, altered, or malformed.
    /// On the PKCS#11 custody: [`CustodyError::Held`], the keys never
    /// leave the token.
    fn open(&self, eid: &Eid, record: &str) -> Result<Secrets, CustodyError>;

    /// The keys OTA and the SCP81 listener use, from the record the store
    /// keeps for `eid`: in memory (sealed custody) or token handles
    /// (PKCS#11 custody, not looked up until used).
    ///
    /// # Errors
    /// As [`Custody::open`], for the record's own custody.
    fn keys(&self, eid: &Eid, record: &str) -> Result<EuiccKeys, CustodyError>;

    /// Checks at store open that the record of `eid` is one this custody
    /// opens (and, on PKCS#11, that the token holds its keys, hidden).
    ///
    /// # Errors
    /// As [`Custody::keys`]; a key missing or readable on the token.
    fn check(&self, eid: &Eid, record: &str) -> Result<(), CustodyError> {
        self.keys(eid, record).map(drop)
    }

    /// Undoes [`Custody::seal`] of a record the store did not keep (its
    /// transaction failed or rolled back): on PKCS#11 the token objects the
    /// record names are destroyed; nothing to do for a sealed record. A
    /// failure is logged (what is left, `smsr-server hsm-gc` lists).
    fn discard(&self, _eid: &Eid, _record: &str) {}
}

/// A key-custody failure: what went wrong, for which eUICC.
#[derive(Debug, thiserror::Error)]
pub enum CustodyError {
    /// The record holds clear keys (a database from before sealing).
    #[error(
        "the secrets of {eid} are stored in clear: migrate the database with \
         `smsr-server rekey --from-clear --db … --new-key-file …`"
    )]
    Clear {
        /// The eUICC.
        eid: String,
    },
    /// The record is sealed under another master key.
    #[error(
        "the secrets of {eid} are sealed under master key {stored}, not under the key given \
         ({given}): wrong master key (or an unfinished `smsr-server rekey`)"
    )]
    WrongKey {
        /// The eUICC.
        eid: String,
        /// The key identifier stored with the record.
        stored: String,
        /// The identifier of the key given.
        given: String,
    },
    /// The record does not authenticate under the right key: moved from
    /// another EID (the EID is the associated data) or altered.
    #[error(
        "the secrets of {eid} do not open under master key {key_id}: moved from another EID or altered"
    )]
    Unauthentic {
        /// The eUICC.
        eid: String,
        /// The key identifier.
        key_id: String,
    },
    /// The record does not decode.
    #[error("the secrets record of {eid} is malformed: {why}")]
    Malformed {
        /// The eUICC.
        eid: String,
        /// What is wrong.
        why: String,
    },
    /// The record belongs to another custody backend.
    #[error(
        "the secrets of {eid} are held by the {custody} custody, not this one: start with the \
         matching --keys (`sealed` with its master key, or `pkcs11:FILE`)"
    )]
    OtherCustody {
        /// The eUICC.
        eid: String,
        /// The record's `Custody`.
        custody: String,
    },
    /// The PKCS#11 custody never hands out clear keys.
    #[error(
        "the keys of {eid} are held in the HSM and never leave it: this needs the sealed \
         custody (`--master-key-file`), not `--keys pkcs11:…`"
    )]
    Held {
        /// The eUICC.
        eid: String,
    },
    /// The token failed (nothing was stored).
    #[error("HSM, for {eid}: {why}")]
    Hsm {
        /// The eUICC.
        eid: String,
        /// What failed, with the `CKR_` code.
        why: String,
    },
    /// A PKCS#11 record naming another eUICC's token objects.
    #[error("the secrets record of {eid} names token objects {labels}: moved from another EID")]
    Moved {
        /// The eUICC.
        eid: String,
        /// The labels the record names.
        labels: String,
    },
    /// The master key cannot be loaded.
    #[error("master key: {0}")]
    MasterKey(String),
    /// The system random generator failed.
    #[error("random generator: {0}")]
    Random(String),
}

/// The `Custody` name of a PKCS#11 record (keys/pkcs11.rs).
pub const PKCS11: &str = "PKCS#11";

/// The `Custody` name of a stored record (`None`: not JSON with one).
pub fn record_custody(record: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        #[serde(rename = "Custody")]
        custody: String,
    }
    serde_json::from_str::<Named>(record)
        .ok()
        .map(|n| n.custody)
}
