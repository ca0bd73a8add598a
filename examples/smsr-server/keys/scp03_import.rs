//! The ISD-R's SCP03 key set (GP Amendment D §6.1: the static keys
//! Key-ENC, Key-MAC and Key-DEK, AES-128/192/256, under one key version)
//! as the EUM hands it over in RegisterEIS's `Secrets`:
//!
//! ```json
//! "Scp03": {"Kvn": 48, "Enc": "<hex>", "Mac": "<hex>", "Dek": "<hex>"}
//! ```
//!
//! The server does not open SCP03 sessions with the ISD-R: it reaches the
//! ISD-R over SCP80 and SCP81, and SCP03t runs between an SM-DP and an
//! ISD-P under keys it establishes. The keys are kept because the EUM
//! hands them over: sealed with the rest on the sealed custody, and on the
//! PKCS#11 custody imported at registration as token objects the
//! SCP03 provider of `hsm_scp03.rs` derives session keys from
//! ([`crate::hsm::Hsm::import_scp03_key`]), the record keeping their labels
//! only ([`Held`]).

use serde::{Deserialize, Serialize};
use smsr::crypto::{CipherAlgorithm, Key};
use smsr::isdr::Eid;

use super::CustodyError;
use super::guard::Guarded;
use crate::hsm::key_label;

/// The SCP03 key set of the ISD-R, in the clear (zeroized on drop).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, zeroize::ZeroizeOnDrop)]
#[serde(deny_unknown_fields)]
pub struct Scp03Keys {
    /// Key version number.
    #[serde(rename = "Kvn")]
    pub kvn: u8,
    /// Key-ENC (key identifier 1).
    #[serde(rename = "Enc", with = "crate::store::hexser")]
    pub enc: Vec<u8>,
    /// Key-MAC (key identifier 2).
    #[serde(rename = "Mac", with = "crate::store::hexser")]
    pub mac: Vec<u8>,
    /// Key-DEK (key identifier 3).
    #[serde(rename = "Dek", with = "crate::store::hexser")]
    pub dek: Vec<u8>,
}

impl zeroize::Zeroize for Scp03Keys {
    fn zeroize(&mut self) {
        self.enc.zeroize();
        self.mac.zeroize();
        self.dek.zeroize();
    }
}

impl core::fmt::Debug for Scp03Keys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Scp03Keys(kvn {:#04x}, keys redacted)", self.kvn)
    }
}

/// The key roles, their record names and key identifiers' order.
const ROLES: [&str; 3] = ["enc", "mac", "dek"];

impl Scp03Keys {
    /// The three keys, in [`ROLES`] order.
    ///
    /// # Errors
    /// A key is not 16, 24 or 32 octets (named, its value not shown).
    pub fn keys(&self) -> Result<[Key; 3], String> {
        let key = |role: &str, b: &[u8]| {
            Key::aes(b).map_err(|_| format!("Scp03 {role} is not an AES key (16, 24 or 32 octets)"))
        };
        Ok([
            key("Enc", &self.enc)?,
            key("Mac", &self.mac)?,
            key("Dek", &self.dek)?,
        ])
    }
}

/// The SCP03 key set as the PKCS#11 record keeps it: labels only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Held {
    /// Key version number.
    #[serde(rename = "Kvn")]
    pub kvn: u8,
    /// The keys' algorithm (AES-128/192/256, one for the set).
    #[serde(rename = "Bits")]
    pub bits: u16,
    /// The labels of Key-ENC, Key-MAC and Key-DEK.
    #[serde(rename = "Labels")]
    pub labels: [String; 3],
}

impl Held {
    /// The algorithm of the keys.
    pub const fn algorithm(&self) -> Option<CipherAlgorithm> {
        match self.bits {
            128 => Some(CipherAlgorithm::Aes128),
            192 => Some(CipherAlgorithm::Aes192),
            256 => Some(CipherAlgorithm::Aes256),
            _ => None,
        }
    }
}

/// Imports `keys` of `eid` into the token with `CKA_ID` `id`; the labels
/// of what was created go to `created` as they are made (for the clean-up
/// of a registration that fails later).
///
/// # Errors
/// A key of the wrong length, keys of different lengths, or the token.
pub fn import(
    hsm: &Guarded,
    eid: &Eid,
    id: &[u8],
    keys: &Scp03Keys,
    created: &mut Vec<String>,
) -> Result<Held, CustodyError> {
    let malformed = |why: String| CustodyError::Malformed {
        eid: eid.to_string(),
        why,
    };
    let values = keys.keys().map_err(malformed)?;
    let bits = match values.each_ref().map(Key::algorithm) {
        [
            CipherAlgorithm::Aes128,
            CipherAlgorithm::Aes128,
            CipherAlgorithm::Aes128,
        ] => 128,
        [
            CipherAlgorithm::Aes192,
            CipherAlgorithm::Aes192,
            CipherAlgorithm::Aes192,
        ] => 192,
        [
            CipherAlgorithm::Aes256,
            CipherAlgorithm::Aes256,
            CipherAlgorithm::Aes256,
        ] => 256,
        _ => return Err(malformed("Scp03 keys of different lengths".into())),
    };
    let eid_text = eid.to_string();
    let mut labels: [String; 3] = Default::default();
    for ((role, key), slot) in ROLES.iter().zip(&values).zip(&mut labels) {
        let label = key_label(&eid_text, "scp03", keys.kvn, role);
        hsm.run(|h| h.import_scp03_key(&label, id, key))
            .map_err(|e| CustodyError::Hsm {
                eid: eid_text.clone(),
                why: format!("importing {label}: {e}"),
            })?;
        created.push(label.clone());
        *slot = label;
    }
    Ok(Held {
        kvn: keys.kvn,
        bits,
        labels,
    })
}

/// Whether `held` names the token objects of `eid`'s SCP03 keys (a record
/// moved from another EID would not).
pub fn names_eid(held: &Held, eid: &Eid) -> bool {
    let eid = eid.to_string();
    ROLES
        .iter()
        .zip(&held.labels)
        .all(|(role, l)| *l == key_label(&eid, "scp03", held.kvn, role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked_and_never_shown() {
        let k = Scp03Keys {
            kvn: 0x30,
            enc: vec![0xAB; 16],
            mac: vec![0xAB; 16],
            dek: vec![0xAB; 15],
        };
        let e = k.keys().unwrap_err();
        assert!(e.contains("Dek") && !e.contains("AB"), "{e}");
        assert!(!format!("{k:?}").contains("AB"));
        let json = r#"{"Kvn": 48, "Enc": "00", "Mac": "00", "Dek": "00", "Other": 1}"#;
        assert!(serde_json::from_str::<Scp03Keys>(json).is_err());
    }

    #[test]
    fn held_labels_name_their_eid() {
        let eid = Eid::with_check_digits("890490320000000000000000000001").unwrap();
        let other = Eid::with_check_digits("890490320000000000000000000002").unwrap();
        let held = Held {
            kvn: 0x30,
            bits: 128,
            labels: ROLES.map(|r| key_label(&eid.to_string(), "scp03", 0x30, r)),
        };
        assert!(names_eid(&held, &eid));
        assert!(!names_eid(&held, &other));
        assert_eq!(held.algorithm(), Some(CipherAlgorithm::Aes128));
    }
}
