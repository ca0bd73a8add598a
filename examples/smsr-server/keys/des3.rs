//! The SCP80 algorithm of an eUICC's KIc / KID: AES (CBC ciphering, CMAC
//! checksum) or triple DES in outer-CBC mode with two or three keys
//! (ETSI TS 102 225 §5.1.2 ciphering, §5.1.3 checksums: the CC is a
//! CBC-MAC with 3DES on every block).
//!
//! The EUM says which in RegisterEIS's `Secrets` (`"Scp80Algorithm":
//! "3DES-2KEY"` or `"3DES-3KEY"`; `AES` when absent, the length of the
//! octets then picks AES-128/192/256): sixteen octets are an AES-128 key
//! or a two-key 3DES key, and the octets alone cannot tell. Single DES is
//! not offered.

use serde::{Deserialize, Serialize};
use smsr::crypto::{self, CipherAlgorithm, Key};

/// The algorithm of an eUICC's SCP80 KIc and KID.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scp80Algorithm {
    /// AES (key length 16, 24 or 32).
    #[default]
    #[serde(rename = "AES")]
    Aes,
    /// Triple DES, two keys (16 octets, K1 ‖ K2).
    #[serde(rename = "3DES-2KEY")]
    Tdes2Key,
    /// Triple DES, three keys (24 octets, K1 ‖ K2 ‖ K3).
    #[serde(rename = "3DES-3KEY")]
    Tdes3Key,
}

impl Scp80Algorithm {
    /// The key of `bytes` under this algorithm.
    ///
    /// # Errors
    /// `bytes` is not a key length of the algorithm.
    pub fn key(self, bytes: &[u8]) -> Result<Key, crypto::Error> {
        match self {
            Self::Aes => Key::aes(bytes),
            Self::Tdes2Key => Key::new(CipherAlgorithm::Tdes2, bytes),
            Self::Tdes3Key => Key::new(CipherAlgorithm::Tdes3, bytes),
        }
    }

    /// The algorithm of a key (`None`: single DES, which is not offered).
    pub const fn of(algorithm: CipherAlgorithm) -> Option<Self> {
        match algorithm {
            CipherAlgorithm::Tdes2 => Some(Self::Tdes2Key),
            CipherAlgorithm::Tdes3 => Some(Self::Tdes3Key),
            a if a.is_aes() => Some(Self::Aes),
            _ => None,
        }
    }

    /// AES, the default (not written out, so records of AES eUICCs keep
    /// their form).
    pub const fn is_aes(&self) -> bool {
        matches!(self, Self::Aes)
    }
}

impl core::str::FromStr for Scp80Algorithm {
    type Err = String;

    /// `AES`, `3DES-2KEY` or `3DES-3KEY` (as in `Secrets`).
    fn from_str(s: &str) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.into()))
            .map_err(|_| format!("{s:?}: AES, 3DES-2KEY or 3DES-3KEY"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TS 102 225 §5.1.2 / §5.1.3: b1-b2 `01` DES family, b3-b4 `01`
    /// 3DES two keys, `10` 3DES three keys; b1-b2 `10` AES.
    #[test]
    fn the_named_algorithm_picks_the_key() {
        let k = Scp80Algorithm::Tdes2Key.key(&[0x11; 16]).unwrap();
        assert_eq!(k.algorithm(), CipherAlgorithm::Tdes2);
        let k = Scp80Algorithm::Aes.key(&[0x11; 16]).unwrap();
        assert_eq!(k.algorithm(), CipherAlgorithm::Aes128);
        let k = Scp80Algorithm::Tdes3Key.key(&[0x11; 24]).unwrap();
        assert_eq!(k.algorithm(), CipherAlgorithm::Tdes3);
        assert!(Scp80Algorithm::Tdes3Key.key(&[0x11; 16]).is_err());
        assert!(Scp80Algorithm::Tdes2Key.key(&[0x11; 24]).is_err());
        assert_eq!(Scp80Algorithm::of(CipherAlgorithm::Des), None);
        assert_eq!(
            Scp80Algorithm::of(CipherAlgorithm::Aes192),
            Some(Scp80Algorithm::Aes)
        );
    }

    /// pySim's `3DES-SJA5-CIPHERED-CC` (osmocom/pysim@597f1e03
    /// `tests/unittests/test_ota.py`, in `tests/data/scp80_vectors.json`):
    /// an eUICC whose `Secrets` say `3DES-2KEY` at key version 3 gets
    /// KIc = KID = `35` and the packet pySim makes, through the server's
    /// in-memory keys.
    #[test]
    fn a_3des_euicc_wraps_as_pysim() {
        use smsr::scp80::{Cntr, CommandHeader, Framing, Kic, Kid, Spi, Tar, command};
        let secrets = crate::store::Secrets {
            scp80_kvn: 3,
            scp80_kic: hex::decode("300102030405060708090a0b0c0d0e0f").unwrap(),
            scp80_kid: hex::decode("301102030405060708090a0b0c0d0e0f").unwrap(),
            scp81_psk: vec![0; 16],
            scp81_kvn: 0x40,
            scp81_key_id: 1,
            msisdn: "491700000001".into(),
            scp80_algorithm: Scp80Algorithm::Tdes2Key,
            scp03: None,
        };
        let keys = crate::keys::vault::EuiccKeys::in_memory(&secrets).unwrap();
        let (kic, kid) = keys.scp80_kic_kid();
        assert_eq!((kic, kid), (Kic(0x35), Kid(0x35)));
        assert_eq!(secrets.scp80_kic_kid(), (kic, kid));
        let header = CommandHeader {
            spi: Spi([0x06, 0x19]),
            kic,
            kid,
            tar: Tar([0xB0, 0x00, 0x11]),
            cntr: Cntr([0; 5]),
        };
        let payload = hex::decode("00a40004023f00").unwrap();
        let mut out = [0u8; 64];
        let n = command::wrap(Framing::SmsPp, &header, &payload, &keys.scp80, &mut out).unwrap();
        assert_eq!(
            hex::encode(&out[..n]),
            "00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f"
        );
        // The same octets as AES keys give another KIc and packet.
        let mut aes = secrets.clone();
        aes.scp80_algorithm = Scp80Algorithm::Aes;
        let keys = crate::keys::vault::EuiccKeys::in_memory(&aes).unwrap();
        assert_eq!(keys.scp80_kic_kid(), (Kic(0x32), Kid(0x32)));
    }

    #[test]
    fn absent_is_aes_and_names_are_the_records() {
        #[derive(Deserialize)]
        struct S {
            #[serde(rename = "Scp80Algorithm", default)]
            a: Scp80Algorithm,
        }
        let s: S = serde_json::from_str("{}").unwrap();
        assert_eq!(s.a, Scp80Algorithm::Aes);
        let s: S = serde_json::from_str(r#"{"Scp80Algorithm": "3DES-3KEY"}"#).unwrap();
        assert_eq!(s.a, Scp80Algorithm::Tdes3Key);
        assert!(serde_json::from_str::<S>(r#"{"Scp80Algorithm": "DES"}"#).is_err());
        assert_eq!("3DES-2KEY".parse(), Ok(Scp80Algorithm::Tdes2Key));
        assert!("3des".parse::<Scp80Algorithm>().is_err());
    }
}
