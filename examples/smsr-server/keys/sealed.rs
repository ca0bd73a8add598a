//! The embedded default custody: every eUICC's secrets sealed with
//! AES-256-GCM (NIST SP 800-38D; RustCrypto `aes-gcm`) under the master
//! key ([`MasterKey`]), the EID (its 32 digits) as the associated data, a
//! random 96-bit nonce per record and the master key's identifier stored
//! with it. The record the store keeps is JSON:
//!
//! ```json
//! {"Custody": "AES-256-GCM", "KeyId": "F29000B62A499FD0",
//!  "Nonce": "<24 hex>", "Ciphertext": "<hex: sealed Secrets JSON, then the 16-octet tag>"}
//! ```
//!
//! A record moved to another EID, altered, or sealed under another key
//! does not open (each with its own [`CustodyError`]).

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Deserialize, Serialize};
use smsr::isdr::Eid;
use zeroize::Zeroizing;

use super::master::MasterKey;
use super::vault::EuiccKeys;
use super::{Custody, CustodyError};
use crate::store::Secrets;

/// The `Custody` name of a sealed record.
const ALGORITHM: &str = "AES-256-GCM";

/// The stored form of one sealed record.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    #[serde(rename = "Custody")]
    custody: String,
    #[serde(rename = "KeyId")]
    key_id: String,
    #[serde(rename = "Nonce")]
    nonce: String,
    #[serde(rename = "Ciphertext")]
    ciphertext: String,
}

/// The sealed custody under one master key.
pub struct Sealed {
    aead: Aes256Gcm,
    key_id: String,
}

impl core::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Sealed(master key {})", self.key_id)
    }
}

impl Sealed {
    /// The custody under `key`.
    pub fn new(key: &MasterKey) -> Self {
        Self {
            aead: Aes256Gcm::new(&(*key.bytes()).into()),
            key_id: key.id(),
        }
    }

    /// The identifier of the master key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

/// The master key identifier `record` was sealed under (`None`: not a
/// sealed record).
pub fn record_key_id(record: &str) -> Option<String> {
    serde_json::from_str::<Record>(record)
        .ok()
        .map(|r| r.key_id)
}

/// `true` when `record` holds clear secrets (a database from before
/// sealing).
pub fn is_clear(record: &str) -> bool {
    serde_json::from_str::<Secrets>(record).is_ok()
}

impl Custody for Sealed {
    fn keys(&self, eid: &Eid, record: &str) -> Result<EuiccKeys, CustodyError> {
        EuiccKeys::in_memory(&self.open(eid, record)?).map_err(|why| CustodyError::Malformed {
            eid: eid.to_string(),
            why,
        })
    }

    fn seal(&self, eid: &Eid, secrets: &Secrets) -> Result<String, CustodyError> {
        // Reserved up front so that the clear JSON is never reallocated
        // (each copy left behind would not be zeroized).
        let mut clear = Zeroizing::new(Vec::with_capacity(1024));
        serde_json::to_writer(&mut *clear, secrets).map_err(|e| CustodyError::Malformed {
            eid: eid.to_string(),
            why: e.to_string(),
        })?;
        let nonce = Nonce::try_generate().map_err(|e| CustodyError::Random(e.to_string()))?;
        let aad = eid.to_string();
        let sealed = self
            .aead
            .encrypt(
                &nonce,
                Payload {
                    msg: &clear,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| CustodyError::Malformed {
                eid: aad.clone(),
                why: "AES-GCM refused the record (too long)".into(),
            })?;
        serde_json::to_string(&Record {
            custody: ALGORITHM.into(),
            key_id: self.key_id.clone(),
            nonce: hex::encode_upper(nonce),
            ciphertext: hex::encode_upper(sealed),
        })
        .map_err(|e| CustodyError::Malformed {
            eid: aad,
            why: e.to_string(),
        })
    }

    fn open(&self, eid: &Eid, record: &str) -> Result<Secrets, CustodyError> {
        let name = eid.to_string();
        let malformed = |why: String| CustodyError::Malformed {
            eid: name.clone(),
            why,
        };
        if is_clear(record) {
            return Err(CustodyError::Clear { eid: name });
        }
        match super::backend::record_custody(record) {
            Some(c) if c == super::backend::PKCS11 => {
                return Err(CustodyError::OtherCustody {
                    eid: name,
                    custody: c,
                });
            }
            _ => {}
        }
        let r: Record = serde_json::from_str(record).map_err(|e| malformed(e.to_string()))?;
        if r.custody != ALGORITHM {
            return Err(malformed(format!(
                "custody {:?}, not {ALGORITHM}",
                r.custody
            )));
        }
        if r.key_id != self.key_id {
            return Err(CustodyError::WrongKey {
                eid: name,
                stored: r.key_id,
                given: self.key_id.clone(),
            });
        }
        let mut nonce = Nonce::default();
        hex::decode_to_slice(&r.nonce, &mut nonce).map_err(|e| malformed(format!("Nonce: {e}")))?;
        let sealed =
            hex::decode(&r.ciphertext).map_err(|e| malformed(format!("Ciphertext: {e}")))?;
        let clear = Zeroizing::new(
            self.aead
                .decrypt(
                    &nonce,
                    Payload {
                        msg: &sealed,
                        aad: name.as_bytes(),
                    },
                )
                .map_err(|_| CustodyError::Unauthentic {
                    eid: name.clone(),
                    key_id: self.key_id.clone(),
                })?,
        );
        serde_json::from_slice(&clear).map_err(|e| malformed(format!("sealed secrets: {e}")))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    fn secrets() -> Secrets {
        Secrets {
            scp80_kvn: 1,
            scp80_kic: vec![0x11; 16],
            scp80_kid: vec![0x22; 16],
            scp81_psk: vec![0x33; 16],
            scp81_kvn: 0x40,
            scp81_key_id: 1,
            msisdn: "491700000001".into(),
            scp80_algorithm: crate::keys::des3::Scp80Algorithm::Aes,
            scp03: None,
        }
    }

    fn eid(n: u32) -> Eid {
        Eid::with_check_digits(&format!("8904903200000000000000{n:08}")).unwrap()
    }

    fn custody(byte: &str) -> Sealed {
        Sealed::new(&MasterKey::from_hex(&byte.repeat(32)).unwrap())
    }

    /// NIST SP 800-38D / the GCM spec test case 16 (McGrew & Viega, "The
    /// Galois/Counter Mode of Operation", AES-256, 96-bit IV, with AAD):
    /// the `aes-gcm` crate as configured here gives the published
    /// ciphertext and tag (the same as Python `cryptography`'s `AESGCM`).
    #[test]
    fn aes256_gcm_matches_the_gcm_spec_test_case_16() {
        let key = hex::decode("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
            .unwrap();
        let aead = Aes256Gcm::new_from_slice(&key).unwrap();
        let iv = hex::decode("cafebabefacedbaddecaf888").unwrap();
        let pt = hex::decode(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        )
        .unwrap();
        let aad = hex::decode("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let nonce = Nonce::try_from(iv.as_slice()).unwrap();
        let out = aead
            .encrypt(
                &nonce,
                Payload {
                    msg: &pt,
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(
            hex::encode(out),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662\
             76fc6ece0f4e1768cddf8853bb2d551b"
        );
    }

    #[test]
    fn debug_output_shows_no_key() {
        let c = custody("A5");
        let shown = format!(
            "{c:?} {:?} {:?}",
            secrets(),
            MasterKey::from_hex(&"A5".repeat(32)).unwrap()
        );
        for hex in ["1111", "2222", "3333", "A5A5", "a5a5"] {
            assert!(!shown.contains(hex), "{shown}");
        }
        assert!(shown.contains(c.key_id()), "{shown}");
    }

    #[test]
    fn a_sealed_record_opens_under_its_key_and_eid_only() {
        let c = custody("A5");
        let rec = c.seal(&eid(1), &secrets()).unwrap();
        assert_eq!(c.open(&eid(1), &rec).unwrap(), secrets());
        for hex in [hex::encode_upper([0x11; 16]), hex::encode([0x11; 16])] {
            assert!(!rec.contains(&hex), "{rec}");
        }
        assert_eq!(record_key_id(&rec).as_deref(), Some(c.key_id()));
        // Two seals of the same secrets differ (a fresh nonce each).
        assert_ne!(rec, c.seal(&eid(1), &secrets()).unwrap());
        // Moved to another EID.
        assert!(matches!(
            c.open(&eid(2), &rec),
            Err(CustodyError::Unauthentic { .. })
        ));
        // Another master key.
        assert!(matches!(
            custody("5A").open(&eid(1), &rec),
            Err(CustodyError::WrongKey { .. })
        ));
        // Clear secrets (a database from before sealing).
        let clear = serde_json::to_string(&secrets()).unwrap();
        let e = custody("A5").open(&eid(1), &clear).unwrap_err();
        assert!(matches!(e, CustodyError::Clear { .. }));
        assert!(e.to_string().contains("rekey --from-clear"), "{e}");
        // Altered ciphertext, malformed records.
        let mut r: Record = serde_json::from_str(&rec).unwrap();
        let flipped = if r.ciphertext.starts_with('0') {
            "1"
        } else {
            "0"
        };
        r.ciphertext.replace_range(..1, flipped);
        let altered = serde_json::to_string(&r).unwrap();
        assert!(matches!(
            c.open(&eid(1), &altered),
            Err(CustodyError::Unauthentic { .. })
        ));
        for bad in [
            "[]",
            "{}",
            "not json",
            &rec.replace("AES-256-GCM", "AES-128-GCM"),
        ] {
            assert!(
                matches!(c.open(&eid(1), bad), Err(CustodyError::Malformed { .. })),
                "{bad}"
            );
        }
    }
}
