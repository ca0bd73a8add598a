//! Key derivation and receipt of scenario #3 (GP Card Specification
//! Amendment A §3.8 table 3-28/3-29 as SGP.02 §2.3.3 / §4.1.3.1 use it;
//! byte layout read a second time in njiwa `ECKeyAgreementEG`):
//!
//! * `KeyData = X9.63-KDF-SHA-256(Z, SharedInfo)` with `SharedInfo = key
//!   usage qualifier ‖ key type ‖ key length ‖ [DR] ‖ [len ‖ HostID] ‖
//!   [len ‖ SIN ‖ len ‖ SDIN]`;
//! * `KeyData = receipt key (16) ‖ key 1 ‖ … ‖ key n` — for the SCP03 key
//!   set (qualifier `10`) the keys are S-ENC, S-MAC, DEK in that order;
//! * `receipt = AES-CMAC(receipt key, 'A6' CRT TLV ‖ '85' L DR)`.

use heapless::Vec;

use super::{Error, SharedSecret, x963_kdf_sha256};
use crate::crypto::{Checksum, Key};

/// Octets of the receipt (tag `86`): a full AES-CMAC block.
pub const RECEIPT_LEN: usize = 16;
/// Octets of the receipt key (AES-128; njiwa, GP Amd A table 3-29).
const RECEIPT_KEY_LEN: usize = 16;
/// AES key type (GP Card Specification v2.3 table 11-16).
const KEY_TYPE_AES: u8 = 0x88;
/// TLS pre-shared key type (GP Card Specification v2.3 table 11-16): the
/// SCP81 PSK of the ISD-R (`isdr::handover`), 16 to 32 octets here.
const KEY_TYPE_PSK_TLS: u8 = 0x85;
/// Longest one-octet-length field of SharedInfo.
const MAX_FIELD: usize = 127;
/// Room for SharedInfo: 3 fixed octets and four length-prefixed fields.
const SHARED_INFO_CAP: usize = 3 + 4 * (1 + MAX_FIELD);

/// The key usage qualifier of the `A6` CRT (tag `95`) and of SharedInfo
/// (GP v2.3 table 11-17 codings as SGP.02 uses them). An open value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyUsageQualifier(pub u8);

impl KeyUsageQualifier {
    /// `10`: the three SCP03 keys S-ENC, S-MAC, DEK (secure messaging
    /// command; SGP.02 §5.6.1 as cited by njiwa).
    pub const SCP03_KEY_SET: Self = Self(0x10);
    /// `5C`: one key for C-MAC, R-MAC, C-DEC, R-ENC (njiwa `KEY_QUAL_ONE_KEY`).
    pub const ONE_KEY: Self = Self(0x5C);

    /// The number of keys this qualifier establishes, if SGP.02 knows it.
    #[must_use]
    pub const fn key_count(self) -> Option<usize> {
        match self.0 {
            0x10 => Some(3),
            0x5C => Some(1),
            _ => None,
        }
    }
}

/// The SharedInfo of the X9.63 KDF (GP Amd A table 3-28).
#[derive(Debug, Clone, Copy)]
pub struct SharedInfo<'a> {
    /// Key usage qualifier (CRT tag `95`).
    pub key_usage: KeyUsageQualifier,
    /// Key type (CRT tag `80`), `88` = AES.
    pub key_type: u8,
    /// Length of each key (CRT tag `81`): 16, 24 or 32.
    pub key_length: u8,
    /// The derivation random DR of the card, when the scenario parameters
    /// ask for it (bit `02`).
    pub derivation_random: Option<&'a [u8]>,
    /// HostID (CRT tag `84`), when present.
    pub host_id: Option<&'a [u8]>,
    /// SIN and SDIN (CRT tag `45`), when present.
    pub sin_sdin: Option<(&'a [u8], &'a [u8])>,
}

fn put_lv(out: &mut Vec<u8, SHARED_INFO_CAP>, what: &'static str, v: &[u8]) -> Result<(), Error> {
    let len = u8::try_from(v.len())
        .ok()
        .filter(|l| usize::from(*l) <= MAX_FIELD)
        .ok_or(Error::SharedInfoField { what, len: v.len() })?;
    out.push(len)
        .and_then(|()| out.extend_from_slice(v).map_err(|_| 0))
        .map_err(|_| Error::SharedInfoField { what, len: v.len() })
}

impl SharedInfo<'_> {
    /// The encoded SharedInfo.
    ///
    /// # Errors
    /// [`Error::SharedInfoField`] for a field over 127 octets.
    pub fn encode(&self) -> Result<Vec<u8, SHARED_INFO_CAP>, Error> {
        let mut out = Vec::new();
        let fixed = [self.key_usage.0, self.key_type, self.key_length];
        let too_long = |what, len| Error::SharedInfoField { what, len };
        out.extend_from_slice(&fixed)
            .map_err(|_| too_long("fixed", 3))?;
        if let Some(dr) = self.derivation_random {
            if dr.len() > MAX_FIELD {
                return Err(too_long("DR", dr.len()));
            }
            out.extend_from_slice(dr)
                .map_err(|_| too_long("DR", dr.len()))?;
        }
        if let Some(host_id) = self.host_id {
            put_lv(&mut out, "HostID", host_id)?;
        }
        if let Some((sin, sdin)) = self.sin_sdin {
            put_lv(&mut out, "SIN", sin)?;
            put_lv(&mut out, "SDIN", sdin)?;
        }
        Ok(out)
    }
}

/// The receipt key and the keys of one scenario #3 derivation.
#[derive(Clone)]
pub struct DerivedKeys {
    receipt_key: Key,
    keys: Vec<Key, 3>,
}

impl DerivedKeys {
    /// Derives the receipt key and the keys `info` asks for from `z`.
    ///
    /// # Errors
    /// [`Error::KeyUsage`] for a qualifier other than `10`/`5C`,
    /// [`Error::KeyLength`] for a non-AES key type or length,
    /// [`Error::SharedInfoField`] for an over-long field.
    pub fn derive(z: &SharedSecret, info: &SharedInfo<'_>) -> Result<Self, Error> {
        let count = info
            .key_usage
            .key_count()
            .ok_or(Error::KeyUsage(info.key_usage.0))?;
        let len = usize::from(info.key_length);
        if !matches!(info.key_type, KEY_TYPE_AES | KEY_TYPE_PSK_TLS) || !matches!(len, 16 | 24 | 32)
        {
            return Err(Error::KeyLength(info.key_length));
        }
        let shared_info = info.encode()?;
        let mut data = zeroize::Zeroizing::new([0u8; RECEIPT_KEY_LEN + 3 * 32]);
        let total = RECEIPT_KEY_LEN + count * len;
        let out = data
            .get_mut(..total)
            .ok_or(Error::KeyDataLength { len: total })?;
        x963_kdf_sha256(z.dangerous_bytes(), &shared_info, out)?;
        let (rk, rest) = out.split_at(RECEIPT_KEY_LEN);
        let bad_len = |_| Error::KeyLength(info.key_length);
        let receipt_key = Key::aes(rk).map_err(bad_len)?;
        let mut keys = Vec::new();
        for chunk in rest.chunks_exact(len) {
            let key = Key::aes(chunk).map_err(bad_len)?;
            keys.push(key)
                .map_err(|_| Error::KeyDataLength { len: total })?;
        }
        Ok(Self { receipt_key, keys })
    }

    /// The receipt key (first 16 octets of KeyData).
    #[must_use]
    pub const fn receipt_key(&self) -> &Key {
        &self.receipt_key
    }

    /// The established keys in KeyData order (S-ENC, S-MAC, DEK for `10`).
    #[must_use]
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }
}

impl core::fmt::Debug for DerivedKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DerivedKeys")
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

/// The receipt: AES-CMAC with the receipt key over the `A6` CRT TLV
/// followed by `85 L DR` when a DR was used (GP Amd E table 4-22 as njiwa
/// `computeReceipt` reads it).
///
/// # Errors
/// [`Error::SharedInfoField`] for a DR over 127 octets.
pub fn receipt(
    receipt_key: &Key,
    crt_tlv: &[u8],
    derivation_random: Option<&[u8]>,
) -> Result<[u8; RECEIPT_LEN], Error> {
    let cmac = Checksum::cc(receipt_key);
    let mut state = cmac.start();
    state.update(crt_tlv);
    if let Some(dr) = derivation_random {
        let len = u8::try_from(dr.len())
            .ok()
            .filter(|l| usize::from(*l) <= MAX_FIELD)
            .ok_or(Error::SharedInfoField {
                what: "DR",
                len: dr.len(),
            })?;
        state.update(&[0x85, len]);
        state.update(dr);
    }
    let tag = state.finalize();
    let mut out = [0u8; RECEIPT_LEN];
    let bytes = tag.as_bytes();
    if bytes.len() != RECEIPT_LEN {
        return Err(Error::KeyLength(receipt_key.algorithm().key_len() as u8));
    }
    out.copy_from_slice(bytes);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::ecka::{Curve, PrivateKey, PublicKey};
    extern crate alloc;
    use alloc::vec::Vec;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    const ESK_DP: &str = "0c3d1e5a0e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819203";
    const SK_ECASD: &str = "5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9";

    /// One scenario #3 known answer: the scalars `ESK_DP` / `SK_ECASD` on
    /// `curve`, their public keys, Z, the SharedInfo (and its encoding),
    /// KeyData (receipt key ‖ keys) and the receipt over `crt`.
    struct Vector {
        curve: Curve,
        epk: &'static str,
        pk_ecasd: &'static str,
        z: &'static str,
        key_length: u8,
        dr: &'static str,
        host_sin_sdin: Option<(&'static str, &'static str, &'static str)>,
        shared_info: &'static str,
        key_data: &'static str,
        crt: &'static str,
        receipt: &'static str,
    }

    const P256_EPK: &str = "0460d041413c3bb2a05847b0a9e091456be027cf3b271c2e284c4666019747a54e9b62445098752eab4d657d3c70c867f34836c7347538380782b7611b6c5a09c6";
    const P256_PK_ECASD: &str = "043a3d0dd6791c0a73adb9041556e1bf53b14f9ba34e583875f90747cd2d23fe0a4721d19c040b3a2f05ed7144c90b9482cd67b08a57e091376ce3d25b4840857c";
    const P256_Z: &str = "86716ec62f7136732fd8dd83db28ae93908befdb317354af5651d3d0669121fd";
    const DR_00_0F: &str = "000102030405060708090a0b0c0d0e0f";
    const INFO_AES128: &str = "108810000102030405060708090a0b0c0d0e0f";
    const CRT_AES128: &str = "a6159002030a9501108001888101108201018301309100";

    /// All computed outside the repository with Python `cryptography`
    /// 48.0.0: P-256 by `ec.ECDH`, `X963KDF(SHA256)`, `CMAC(AES)` (script
    /// `xcheck.py kdf` quoted in the ES8 commit message), AES-128 without
    /// HostID and AES-256 with HostID, SIN and SDIN; brainpoolP256r1 by
    /// `ec.BrainpoolP256R1()`, `ec.ECDH()`, `X963KDF(SHA256)`, `CMAC(AES)`
    /// with the AES-128 SharedInfo.
    const VECTORS: [Vector; 3] = [
        Vector {
            curve: Curve::NistP256,
            epk: P256_EPK,
            pk_ecasd: P256_PK_ECASD,
            z: P256_Z,
            key_length: 16,
            dr: DR_00_0F,
            host_sin_sdin: None,
            shared_info: INFO_AES128,
            key_data: "eff1ec87b5f3157547c5d6fa1b1f8295ca2f374a3642c2702f2e833a5b53b28b85376d47fe2e1fb3b43d9c2ca7cfdf4d3322338c50e7a001faa7e11ac72573c3",
            crt: CRT_AES128,
            receipt: "86e8613c34c7f65585c9be66db0d29ed",
        },
        Vector {
            curve: Curve::NistP256,
            epk: P256_EPK,
            pk_ecasd: P256_PK_ECASD,
            z: P256_Z,
            key_length: 32,
            dr: "f0e0d0c0b0a090807060504030201000",
            host_sin_sdin: Some(("8401020304050607", "89000001", "0102030405")),
            shared_info: "108820f0e0d0c0b0a0908070605040302010000884010203040506070489000001050102030405",
            key_data: "ed142083e2c81c6a38366aeac47be30ba18d63f91a60275b820f63b72dce595c8ce85a255acef013f1e2498df77ea070d0a6b6571f15a98ca0b93c12b55f3c1bdc24179a689a4e03b9e611aee14cec227c2a032c2de1ffead56cf5e312527c185f6b71b2e61037241e77a4e4919cf3e1",
            crt: "a6269002030e95011080018881012082010183013091004505010203040584088401020304050607",
            receipt: "4679b33697e24d78a772fa6e9abb96f0",
        },
        Vector {
            curve: Curve::BrainpoolP256r1,
            epk: "048e269199226abce8a64035cae77c692c50d7d254ce6befbf36a6698ae15068c81dbce4a37ec44450dcd8ac5f48d1c10c656793a5257f8393a0b0f029816898bd",
            pk_ecasd: "04872285eace5f34f00ce209b45cffaf8cc048b7e4226b4df464c07d88015e55b93766a1d4b63c3b1cf39d478d47b2829383c4e8248c60ab59f213de34be9df50d",
            z: "7906871e440763d60e1972c2515dbefea2805b293b3eb6520bf828bd78d9020b",
            key_length: 16,
            dr: DR_00_0F,
            host_sin_sdin: None,
            shared_info: INFO_AES128,
            key_data: "1df81b30a77715404c8747e7f4008f5914cd24479b1d9733c9c4cca113bff51280d6ea733c79efc67b4d25c13a45f756d938f4f53ad653416cc4f1c32b6a8125",
            crt: CRT_AES128,
            receipt: "d1b2d8e68970b16c6102f8595a03dd47",
        },
    ];

    /// Each vector: public keys, Z both ways, the SharedInfo encoding, the
    /// receipt key and the three keys (S-ENC, S-MAC, DEK) in KeyData order,
    /// the receipt.
    #[test]
    fn python_cryptography_cross_checks() {
        for v in &VECTORS {
            let at = (v.curve, v.key_length);
            let esk = PrivateKey::from_bytes_on(v.curve, &h(ESK_DP)).unwrap();
            let ecasd = PrivateKey::from_bytes_on(v.curve, &h(SK_ECASD)).unwrap();
            assert_eq!(
                esk.public_key().to_uncompressed()[..],
                h(v.epk)[..],
                "{at:?}"
            );
            let pk_ecasd = PublicKey::from_uncompressed_on(v.curve, &h(v.pk_ecasd)).unwrap();
            assert_eq!(ecasd.public_key(), pk_ecasd, "{at:?}");
            let z = esk.ecka(&pk_ecasd).unwrap();
            assert_eq!(z.dangerous_bytes()[..], h(v.z)[..], "{at:?}");
            let back = ecasd.ecka(&esk.public_key()).unwrap();
            assert_eq!(back.dangerous_bytes(), z.dangerous_bytes(), "{at:?}");
            let dr = h(v.dr);
            let extra = v.host_sin_sdin.map(|(a, b, c)| (h(a), h(b), h(c)));
            let info = SharedInfo {
                key_usage: KeyUsageQualifier::SCP03_KEY_SET,
                key_type: 0x88,
                key_length: v.key_length,
                derivation_random: Some(&dr),
                host_id: extra.as_ref().map(|e| &e.0[..]),
                sin_sdin: extra.as_ref().map(|e| (&e.1[..], &e.2[..])),
            };
            assert_eq!(info.encode().unwrap()[..], h(v.shared_info)[..], "{at:?}");
            let keys = DerivedKeys::derive(&z, &info).unwrap();
            let kd = h(v.key_data);
            assert_eq!(keys.receipt_key().dangerous_bytes(), &kd[..16], "{at:?}");
            assert_eq!(keys.keys().len(), 3, "{at:?}");
            let got: Vec<u8> = keys
                .keys()
                .iter()
                .flat_map(|k| k.dangerous_bytes().to_vec())
                .collect();
            assert_eq!(got[..], kd[16..], "{at:?}");
            assert_eq!(
                receipt(keys.receipt_key(), &h(v.crt), Some(&dr)).unwrap()[..],
                h(v.receipt)[..],
                "{at:?}"
            );
        }
    }

    #[test]
    fn refusals() {
        let z = SharedSecret::from_bytes(&[9; 32]).unwrap();
        let info = SharedInfo {
            key_usage: KeyUsageQualifier(0x20),
            key_type: 0x88,
            key_length: 16,
            derivation_random: None,
            host_id: None,
            sin_sdin: None,
        };
        assert_eq!(
            DerivedKeys::derive(&z, &info).unwrap_err(),
            Error::KeyUsage(0x20)
        );
        let info = SharedInfo {
            key_usage: KeyUsageQualifier::ONE_KEY,
            key_length: 20,
            ..info
        };
        assert_eq!(
            DerivedKeys::derive(&z, &info).unwrap_err(),
            Error::KeyLength(20)
        );
        let info = SharedInfo {
            key_type: 0x80,
            key_length: 16,
            ..info
        };
        assert!(DerivedKeys::derive(&z, &info).is_err());
        let long = [0u8; 128];
        let info = SharedInfo {
            key_type: 0x88,
            host_id: Some(&long),
            ..info
        };
        assert_eq!(
            info.encode().unwrap_err(),
            Error::SharedInfoField {
                what: "HostID",
                len: 128
            }
        );
        let one = DerivedKeys::derive(
            &z,
            &SharedInfo {
                host_id: None,
                ..info
            },
        )
        .unwrap();
        assert_eq!(one.keys().len(), 1);
        assert_eq!(alloc::format!("{one:?}"), "DerivedKeys { keys: 1, .. }");
    }
}
