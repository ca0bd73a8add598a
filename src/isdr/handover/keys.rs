//! The ISD-R key sets of an SM-SR change (SGP.02 §3.8 steps 14-23,
//! ES5.EstablishISDRkeyset §4.1.1.7 / ES7.CreateAdditionalKeySet §5.7.3):
//! the `A6` CRT that asks for them and their scenario #3 derivation.
//!
//! * SCP80 (TS 102 225): key usage `10` (three keys), AES-128, first key
//!   identifier 1, so that KeyData = receipt key ‖ KIc (id 1) ‖ KID
//!   (id 2) ‖ DEK (id 3); KVN `01`-`0F`; the initial sequence counter
//!   (ES7 `InitialSequenceCounter`) in tag `91` as the 5-octet SCP80
//!   counter. njiwa (`EISHandoverTransaction` / `ReceiveEISHandover-
//!   Transaction`) writes the same CRT: `95 01 10`, `96 01 00` (its
//!   comment cites SGP.02 v3.1 §5.6.1), `80 01 88`, `81 01 10`,
//!   `82 01 01`, `91 05 <counter>`; whty's SM-SR2 writes `90 02 03 09`,
//!   `95 01 10`, `80 01 88`, `81 01 10`, `82 01 01`, `83 01 02`, `91 00`
//!   (no `96`, empty counter).
//! * SCP81 (GP Amendment B): key usage `5C` (one key), key type `85`
//!   PSK-TLS, 16 octets, KVN `40`-`4F` (njiwa `CreateSCP81KeySet`, sent
//!   by SM-SR2 over its own channel after the hand-over; ES7 carries no
//!   key type, so over ES7 only the SCP80 key set is created).
//!
//! SharedInfo takes the CRT's key type (GP Amd A table 3-28); njiwa
//! writes `88` for the PSK too, a difference noted here and not
//! followed.

use heapless::Vec as HVec;

use crate::crypto::Key;
use crate::crypto::ecka::{
    DerivedKeys, KeyUsageQualifier, RECEIPT_LEN, SharedInfo, SharedSecret, receipt,
};
use crate::es8::Error;
use crate::es8::crt::{Field, KeyAgreementCrt, ScenarioParameters};
use crate::tlv::Encode;

/// Key type AES (GP Card Specification v2.3 table 11-16).
pub const KEY_TYPE_AES: u8 = 0x88;
/// Key type TLS pre-shared key (GP Card Specification v2.3 table 11-16;
/// njiwa `KeyComponent.Type.PSK_TLS`).
pub const KEY_TYPE_PSK_TLS: u8 = 0x85;
/// Key access `00` written in the ISD-R CRTs (njiwa, citing SGP.02 v3.1
/// §5.6.1).
pub const KEY_ACCESS: u8 = 0x00;
/// Identifier of the first key (KIc, or the PSK): 1 (njiwa
/// `Key.KIC_KEY_IDENTIFIER`, whty `82 01 01`).
pub const FIRST_KEY_ID: u8 = 1;
/// Octets of each established key: AES-128 (njiwa, whty `81 01 10`).
pub const KEY_LENGTH: u8 = 16;
/// Octets of the SCP80 counter in tag `91` (TS 102 225 §5.1.1 CNTR).
pub const COUNTER_LEN: usize = 5;
/// Largest SCP80 counter (40 bits).
pub const MAX_COUNTER: u64 = (1 << 40) - 1;

/// Which ISD-R key set a scenario #3 run establishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IsdrKeySetType {
    /// An SCP80 key set: KIc, KID, DEK (KVN `01`-`0F`).
    Scp80,
    /// An SCP81 TLS-PSK (KVN `40`-`4F`; scp80-scp81.md, UNCONFIRMED).
    Scp81Psk,
}

impl IsdrKeySetType {
    /// The type a CRT asks for, from its key usage and key type.
    #[must_use]
    pub fn of(crt: &KeyAgreementCrt) -> Option<Self> {
        match (crt.key_usage, crt.key_type) {
            (KeyUsageQualifier::SCP03_KEY_SET, KEY_TYPE_AES) => Some(Self::Scp80),
            (KeyUsageQualifier::ONE_KEY, KEY_TYPE_PSK_TLS) => Some(Self::Scp81Psk),
            _ => None,
        }
    }

    /// Whether `kvn` is in this type's key version range.
    #[must_use]
    pub const fn admits_kvn(self, kvn: u8) -> bool {
        match self {
            Self::Scp80 => matches!(kvn, 0x01..=0x0F),
            Self::Scp81Psk => matches!(kvn, 0x40..=0x4F),
        }
    }

    const fn usage_and_type(self) -> (KeyUsageQualifier, u8) {
        match self {
            Self::Scp80 => (KeyUsageQualifier::SCP03_KEY_SET, KEY_TYPE_AES),
            Self::Scp81Psk => (KeyUsageQualifier::ONE_KEY, KEY_TYPE_PSK_TLS),
        }
    }
}

/// What SM-SR2 asks the ISD-R for: every value the `A6` CRT is built
/// from. SM-SR1 rebuilds the same CRT from the ES7 parameters and the
/// EIS's SDIN, so both sides call [`IsdrKeySetRequest::crt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsdrKeySetRequest {
    /// The key set type.
    pub key_set: IsdrKeySetType,
    /// Its key version number.
    pub kvn: u8,
    /// Initial sequence counter (ES7 `InitialSequenceCounter`), 40 bits.
    pub initial_counter: u64,
    /// Scenario parameters (ES7 `ScenarioParameter`).
    pub parameters: ScenarioParameters,
    /// HostID (ES7 `HostID`), with [`ScenarioParameters::HOST_ID`].
    pub host_id: Option<Field>,
    /// The ISD-R's SDIN (from the EIS), with [`ScenarioParameters::HOST_ID`].
    pub sdin: Option<Field>,
}

fn bad(what: &'static str) -> Error {
    Error::FieldValue { what, offset: 0 }
}

impl IsdrKeySetRequest {
    /// The same request with scenario parameter `01` set: the ISD-R
    /// deletes all its other key sets (SCP80 and SCP81) once this one is
    /// installed (GP Amendment A/E scenario #3 "delete existing keys";
    /// njiwa `ReceiveEISHandoverTransaction` sets it when no SCP80 KVN is
    /// free). SM-SR1's keys then go with the key establishment, with no
    /// FinaliseISDRhandover.
    #[must_use]
    pub const fn deleting_existing(mut self) -> Self {
        self.parameters = ScenarioParameters(self.parameters.0 | ScenarioParameters::DELETE_KEYS.0);
        self
    }

    /// The `A6` CRT: `90 02 03 <parameters>`, `95`, `96 01 00`, `80`,
    /// `81 01 10`, `82 01 01`, `83 <KVN>`, `91 05 <counter>`, and `45`
    /// SDIN ‖ `84` HostID when the parameters carry `04`.
    ///
    /// # Errors
    /// [`Error::FieldValue`] for a KVN outside the type's range, a counter
    /// over 40 bits, or HostID / SDIN present without parameter `04` (or
    /// missing with it).
    pub fn crt(&self) -> Result<KeyAgreementCrt, Error> {
        if !self.key_set.admits_kvn(self.kvn) {
            return Err(bad("key version number (SCP80 01-0F, SCP81 40-4F)"));
        }
        if self.initial_counter > MAX_COUNTER {
            return Err(bad("initial sequence counter (40 bits)"));
        }
        let with_host = self.parameters.contains(ScenarioParameters::HOST_ID);
        if with_host != (self.host_id.is_some() && self.sdin.is_some())
            || self.host_id.is_some() != self.sdin.is_some()
        {
            return Err(bad("HostID and SDIN (both, with scenario parameter 04)"));
        }
        let [_, _, _, c0, c1, c2, c3, c4] = self.initial_counter.to_be_bytes();
        let counter = [c0, c1, c2, c3, c4];
        let (key_usage, key_type) = self.key_set.usage_and_type();
        Ok(KeyAgreementCrt {
            parameters: self.parameters,
            key_usage,
            key_access: Some(KEY_ACCESS),
            key_type,
            key_length: KEY_LENGTH,
            key_id: FIRST_KEY_ID,
            key_version: self.kvn,
            initial_counter: Some(HVec::from_slice(&counter).map_err(|_| bad("counter"))?),
            sdin: self.sdin.clone(),
            host_id: self.host_id.clone(),
        })
    }
}

/// The keys one ISD-R key establishment gives; zeroized on drop, never
/// printed.
#[derive(Clone)]
pub enum IsdrKeys {
    /// An SCP80 key set (TS 102 225 §5.1.2: KIc key id 1, KID 2, DEK 3).
    Scp80 {
        /// Key version number.
        kvn: u8,
        /// Ciphering key.
        kic: Key,
        /// Cryptographic checksum key.
        kid: Key,
        /// Data encryption key.
        dek: Key,
        /// The counter the key set starts from.
        initial_counter: u64,
    },
    /// An SCP81 TLS pre-shared key.
    Scp81Psk {
        /// Key version number.
        kvn: u8,
        /// Key identifier.
        key_id: u8,
        /// The PSK.
        psk: Key,
    },
}

impl IsdrKeys {
    /// The key version number.
    #[must_use]
    pub const fn kvn(&self) -> u8 {
        match self {
            Self::Scp80 { kvn, .. } | Self::Scp81Psk { kvn, .. } => *kvn,
        }
    }
}

impl core::fmt::Debug for IsdrKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Scp80 { kvn, .. } => write!(f, "IsdrKeys::Scp80(kvn {kvn:02X}, redacted)"),
            Self::Scp81Psk { kvn, key_id, .. } => {
                write!(
                    f,
                    "IsdrKeys::Scp81Psk(kvn {kvn:02X}, key id {key_id:02X}, redacted)"
                )
            }
        }
    }
}

/// Reads the 5-octet counter of tag `91` (empty = 0, as whty sends it).
fn counter_of(crt: &KeyAgreementCrt) -> Result<u64, Error> {
    let c = match crt.initial_counter.as_deref() {
        Some(c) => c,
        None => &[],
    };
    if c.len() > COUNTER_LEN {
        return Err(Error::FieldLength {
            what: "initial sequence counter",
            len: c.len(),
            offset: 0,
        });
    }
    Ok(c.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// Derives the ISD-R keys `crt` asks for from `z` and the receipt (GP
/// Amd A §3.8 via [`DerivedKeys`]; both the card and SM-SR2 call it).
/// `sin` is the ISD-R's SIN, used when the CRT carries SDIN.
///
/// # Errors
/// [`Error::FieldValue`] for a CRT that asks for neither ISD-R key set or
/// a KVN out of its range; [`Error::Crypto`] from the derivation.
pub fn derive(
    z: &SharedSecret,
    crt: &KeyAgreementCrt,
    dr: Option<&[u8]>,
    sin: Option<&[u8]>,
) -> Result<(IsdrKeys, [u8; RECEIPT_LEN]), Error> {
    let kind = IsdrKeySetType::of(crt).ok_or(bad("key usage / key type of an ISD-R key set"))?;
    if !kind.admits_kvn(crt.key_version) {
        return Err(bad("key version number (SCP80 01-0F, SCP81 40-4F)"));
    }
    let info = SharedInfo {
        key_usage: crt.key_usage,
        key_type: crt.key_type,
        key_length: crt.key_length,
        derivation_random: dr,
        host_id: crt.host_id.as_deref(),
        sin_sdin: sin.zip(crt.sdin.as_deref()),
    };
    let keys = DerivedKeys::derive(z, &info)?;
    let receipt = receipt(keys.receipt_key(), &crt.to_vec()?, dr)?;
    let kvn = crt.key_version;
    let keys = match (kind, keys.keys()) {
        (IsdrKeySetType::Scp80, [kic, kid, dek]) => IsdrKeys::Scp80 {
            kvn,
            kic: kic.clone(),
            kid: kid.clone(),
            dek: dek.clone(),
            initial_counter: counter_of(crt)?,
        },
        (IsdrKeySetType::Scp81Psk, [psk]) => IsdrKeys::Scp81Psk {
            kvn,
            key_id: crt.key_id,
            psk: psk.clone(),
        },
        _ => return Err(bad("key count of the key usage")),
    };
    Ok((keys, receipt))
}
