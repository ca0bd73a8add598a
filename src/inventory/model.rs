//! The eUICC Information Set (EIS) and its parts (SGP.02 §5.1.1.3).
//!
//! With the `serde` feature the JSON follows the GSMA XML schema of the
//! EIS (`EISType`, namespace `http://namespaces.gsma.org/esim-messaging/1`)
//! element for element: names and nesting as in the JAXB classes generated
//! from that schema in the whty SM-SR (`com.whty.efs.webservice.es.message.
//! EISType`, `SecurityDomainType`, `ProfileStateType`, `POL2Rule*Type`,
//! `KeysetUsageType`, `SDRoleType`, `GPCertificateType`,
//! `SubscriptionAddressType`, `AuditTrailRecordType`), which agree with
//! njiwa's hand-written `ws/types/Eis.java` except for the case of a few
//! names (`Eum-Id`, `isd-p-loadfile-aid`: accepted as aliases). Not
//! modelled: `EumSignature` (XML-DSig) and `AdditionalProperties`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::handover::HandoverState;
use crate::isdr::audit::LifeCycle;
use crate::isdr::{Aid, Eid, Tar};

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Bytes shown and serialized as upper-case hex.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct HexBytes(pub Vec<u8>);

impl fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in &self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

#[cfg(feature = "serde")]
impl Serialize for HexBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{self:?}"))
    }
}

#[cfg(feature = "serde")]
impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let s = String::deserialize(d)?;
        hex::decode(&s).map(HexBytes).map_err(D::Error::custom)
    }
}

/// A key value: zeroized on drop, never shown by `Debug`, never
/// serialized.
#[derive(Clone, Default, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct SecretKey(Vec<u8>);

impl SecretKey {
    /// Takes the key bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The key bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({} bytes, redacted)", self.0.len())
    }
}

/// State of a profile in the EIS (SGP.02 §2.2.1.3, §3.1.1, §5.1.1.3).
/// `ProfileStateType` of the schema has `Created`, `Disabled`, `Enabled`;
/// `InCreation` is the SM-SR's own state while ES5.CreateISDP runs
/// (SGP.02 §3.1.1) and is left out of [`Eis::view_for`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum ProfileState {
    /// ES3.CreateISDP accepted, ES5.CreateISDP not yet answered.
    InCreation,
    /// ISD-P created (GP SELECTABLE / PERSONALIZED), no profile loaded yet.
    Created,
    /// Profile downloaded, not enabled (ISD-P life cycle `1F`).
    Disabled,
    /// The enabled profile (ISD-P life cycle `3F`).
    Enabled,
}

impl ProfileState {
    /// The state an ISD-P life cycle byte stands for: INSTALLED,
    /// SELECTABLE and PERSONALIZED are `Created`, `1F` `Disabled`, `3F`
    /// `Enabled` (njiwa `ProfileInfo.State.fromCode`, "Table 1 of SGP").
    /// `None` for any other byte (e.g. LOCKED).
    pub const fn from_life_cycle(lc: LifeCycle) -> Option<Self> {
        match lc.0 {
            0x03 | 0x07 | 0x0F => Some(Self::Created),
            0x1F => Some(Self::Disabled),
            0x3F => Some(Self::Enabled),
            _ => None,
        }
    }

    /// The life cycle byte an eUICC reports for a profile in this state
    /// (`Created` maps to SELECTABLE; `InCreation` has none).
    pub const fn life_cycle(self) -> Option<LifeCycle> {
        match self {
            Self::InCreation => None,
            Self::Created => Some(LifeCycle::SELECTABLE),
            Self::Disabled => Some(LifeCycle::DISABLED),
            Self::Enabled => Some(LifeCycle::ENABLED),
        }
    }
}

/// Subscription address of a profile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SubscriptionAddress {
    /// IMSI.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Imsi", default, skip_serializing_if = "Option::is_none")
    )]
    pub imsi: Option<String>,
    /// MSISDN.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Msisdn", default, skip_serializing_if = "Option::is_none")
    )]
    pub msisdn: Option<String>,
}

/// Action a POL2 rule applies to (SGP.02 §2.4.2; njiwa `Pol2Rule`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Pol2Action {
    /// Enabling the profile.
    #[cfg_attr(feature = "serde", serde(rename = "ENABLE"))]
    Enable,
    /// Disabling the profile.
    #[cfg_attr(feature = "serde", serde(rename = "DISABLE"))]
    Disable,
    /// Deleting the profile.
    #[cfg_attr(feature = "serde", serde(rename = "DELETE"))]
    Delete,
}

/// Qualification of a POL2 rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Pol2Qualification {
    /// The action is refused.
    #[cfg_attr(feature = "serde", serde(rename = "Not-Allowed"))]
    NotAllowed,
    /// After the action (disable) the profile is deleted.
    #[cfg_attr(feature = "serde", serde(rename = "Auto-Delete"))]
    AutoDelete,
}

/// Subject of a POL2 rule: always `PROFILE` (`POL2RuleSubjectType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Pol2Subject {
    /// The profile.
    #[default]
    #[cfg_attr(feature = "serde", serde(rename = "PROFILE"))]
    Profile,
}

/// One POL2 rule (`POL2RuleType`: `Subject`, `Action`, `Qualification`).
/// The schema's name for the rule list inside `pol2` could not be read;
/// the rules are serialized as a list under `pol2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Pol2Rule {
    /// The subject (always `PROFILE`).
    #[cfg_attr(feature = "serde", serde(rename = "Subject", default))]
    pub subject: Pol2Subject,
    /// The action.
    #[cfg_attr(feature = "serde", serde(rename = "Action"))]
    pub action: Pol2Action,
    /// The qualification.
    #[cfg_attr(feature = "serde", serde(rename = "Qualification"))]
    pub qualification: Pol2Qualification,
}

/// One profile (ISD-P) of the eUICC.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ProfileInfo {
    /// ICCID (decimal digits, as in the profile).
    #[cfg_attr(feature = "serde", serde(rename = "Iccid"))]
    pub iccid: String,
    /// The ISD-P AID.
    #[cfg_attr(feature = "serde", serde(rename = "Isd-p-aid"))]
    pub isd_p_aid: Aid,
    /// The MNO owning the profile.
    #[cfg_attr(feature = "serde", serde(rename = "Mno-id"))]
    pub mno_id: String,
    /// The SM-DP that created it.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Smdp-id", default, skip_serializing_if = "Option::is_none")
    )]
    pub smdp_id: Option<String>,
    /// Fall-back attribute.
    #[cfg_attr(feature = "serde", serde(rename = "FallbackAttribute"))]
    pub fallback_attribute: bool,
    /// Emergency profile attribute (SGP.02 v3.x+).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "EmergencyProfileAttribute", default)
    )]
    pub emergency_profile_attribute: bool,
    /// Life cycle state in the EIS.
    #[cfg_attr(feature = "serde", serde(rename = "State"))]
    pub state: ProfileState,
    /// Subscription address (private to the owner).
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "SubscriptionAddress",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub subscription_address: Option<SubscriptionAddress>,
    /// Profile type (private to the owner).
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "ProfileType",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub profile_type: Option<String>,
    /// Memory granted to the ISD-P (private to the owner).
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "AllocatedMemory",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub allocated_memory: Option<u32>,
    /// Memory still free in the ISD-P (private to the owner).
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "FreeMemory",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub free_memory: Option<u32>,
    /// POL2 rules (private to the owner).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "pol2", default, skip_serializing_if = "Vec::is_empty")
    )]
    pub pol2: Vec<Pol2Rule>,
    /// Connectivity parameters as last sent in DGI `3A07` (private).
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "ConnectivityParameters",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub connectivity_parameters: Option<HexBytes>,
}

impl ProfileInfo {
    /// A profile entry with the given identity in `state`, no attributes.
    pub fn new(iccid: &str, isd_p_aid: Aid, mno_id: &str, state: ProfileState) -> Self {
        Self {
            iccid: iccid.into(),
            isd_p_aid,
            mno_id: mno_id.into(),
            smdp_id: None,
            fallback_attribute: false,
            emergency_profile_attribute: false,
            state,
            subscription_address: None,
            profile_type: None,
            allocated_memory: None,
            free_memory: None,
            pol2: Vec::new(),
            connectivity_parameters: None,
        }
    }

    /// The qualification POL2 gives `action`, if a rule names it.
    pub fn pol2_for(&self, action: Pol2Action) -> Option<Pol2Qualification> {
        self.pol2
            .iter()
            .find(|r| r.action == action)
            .map(|r| r.qualification)
    }

    /// Whether `party` owns the profile (its MNO or its SM-DP).
    pub fn is_owned_by(&self, party: &str) -> bool {
        self.mno_id == party || self.smdp_id.as_deref() == Some(party)
    }
}

impl Pol2Rule {
    /// The rule `PROFILE` / `action` / `qualification`.
    pub const fn new(action: Pol2Action, qualification: Pol2Qualification) -> Self {
        Self {
            subject: Pol2Subject::Profile,
            action,
            qualification,
        }
    }
}

/// Role of a security domain in the EIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum SecurityDomainRole {
    /// The ISD-R.
    #[cfg_attr(feature = "serde", serde(rename = "ISD-R"))]
    IsdR,
    /// The ECASD.
    #[cfg_attr(feature = "serde", serde(rename = "ECASD"))]
    Ecasd,
}

/// Usage of a key set (`KeysetUsageType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum KeySetType {
    /// SCP03 (ISD-R secure channel).
    #[cfg_attr(feature = "serde", serde(rename = "SCP03"))]
    Scp03,
    /// SCP80 (OTA SMS / CAT_TP).
    #[cfg_attr(feature = "serde", serde(rename = "SCP80"))]
    Scp80,
    /// SCP81 (PSK-TLS).
    #[cfg_attr(feature = "serde", serde(rename = "SCP81"))]
    Scp81,
    /// Token generation (delete tokens).
    TokenGeneration,
    /// Receipt verification.
    ReceiptVerification,
    /// A CA public key (ECASD).
    #[cfg_attr(feature = "serde", serde(rename = "CA"))]
    Ca,
}

/// One key of a key set (`KeyType`; its element names could not be read
/// from the schema copies found, so `Index`/`Type`/`Kcv` follow njiwa).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Key {
    /// Key identifier (KID).
    #[cfg_attr(feature = "serde", serde(rename = "Index"))]
    pub index: u8,
    /// GP key type (`88` AES, `80` DES, ...).
    #[cfg_attr(feature = "serde", serde(rename = "Type"))]
    pub key_type: u8,
    /// Key check value.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Kcv", default, skip_serializing_if = "Option::is_none")
    )]
    pub kcv: Option<HexBytes>,
    /// The key value: never serialized, never shown.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub value: SecretKey,
}

/// A key set of a security domain (`Keyset` of `SecurityDomainType`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct KeySet {
    /// Key version number.
    #[cfg_attr(feature = "serde", serde(rename = "Version"))]
    pub version: u8,
    /// What the keys are for.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Type", default, skip_serializing_if = "Option::is_none")
    )]
    pub key_set_type: Option<KeySetType>,
    /// Counter (SCP80 CNTR, SCP03 sequence counter).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Cntr", default, skip_serializing_if = "Option::is_none")
    )]
    pub counter: Option<u64>,
    /// The keys.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Key", default, skip_serializing_if = "Vec::is_empty")
    )]
    pub keys: Vec<Key>,
    /// Certificates of the key set (`Certificate`, `GPCertificateType`).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Certificate", default, skip_serializing_if = "Vec::is_empty")
    )]
    pub certificates: Vec<Certificate>,
}

/// A certificate stored in a security domain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Certificate {
    /// Index.
    #[cfg_attr(feature = "serde", serde(rename = "Index"))]
    pub index: u8,
    /// CA identifier.
    #[cfg_attr(feature = "serde", serde(rename = "CaId"))]
    pub ca_id: String,
    /// The certificate.
    #[cfg_attr(feature = "serde", serde(rename = "Value"))]
    pub value: HexBytes,
}

/// The ISD-R or the ECASD (`SecurityDomainType`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SecurityDomain {
    /// AID.
    #[cfg_attr(feature = "serde", serde(rename = "Aid"))]
    pub aid: Aid,
    /// TARs (the schema allows several).
    #[cfg_attr(feature = "serde", serde(rename = "Tar", default))]
    pub tar: Vec<Tar>,
    /// SIN (`hexBinary16`).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Sin", default, skip_serializing_if = "Option::is_none")
    )]
    pub sin: Option<HexBytes>,
    /// SDIN (`hexBinary16`).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Sdin", default, skip_serializing_if = "Option::is_none")
    )]
    pub sdin: Option<HexBytes>,
    /// Role.
    #[cfg_attr(feature = "serde", serde(rename = "Role"))]
    pub role: SecurityDomainRole,
    /// Key sets.
    #[cfg_attr(feature = "serde", serde(rename = "Keyset", alias = "KeySet", default))]
    pub key_sets: Vec<KeySet>,
}

impl SecurityDomain {
    /// The ISD-R of SGP.02 Annex H, without keys.
    pub fn isd_r() -> Self {
        Self::bare(Aid::ISD_R, SecurityDomainRole::IsdR)
    }

    /// The ECASD of SGP.02 Annex H, without keys.
    pub fn ecasd() -> Self {
        Self::bare(Aid::ECASD, SecurityDomainRole::Ecasd)
    }

    fn bare(aid: Aid, role: SecurityDomainRole) -> Self {
        Self {
            aid,
            tar: aid.tar().into_iter().collect(),
            sin: None,
            sdin: None,
            role,
            key_sets: Vec::new(),
        }
    }
}

/// What the eUICC supports (EumSignedInfo `EuiccCapabilities`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct EuiccCapabilities {
    /// CAT_TP supported.
    #[cfg_attr(feature = "serde", serde(rename = "CattpSupport"))]
    pub cattp_support: bool,
    /// CAT_TP version.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "CattpVersion",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub cattp_version: Option<String>,
    /// HTTPS (SCP81) supported.
    #[cfg_attr(feature = "serde", serde(rename = "HttpSupport"))]
    pub http_support: bool,
    /// HTTP version.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "HttpVersion",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub http_version: Option<String>,
    /// Secure packet (TS 102 225) version.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "SecurePacketVersion",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub secure_packet_version: Option<String>,
    /// Remote provisioning (SGP.02) version.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "RemoteProvisioningVersion",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub remote_provisioning_version: Option<String>,
}

/// Function execution status (SGP.02 §5.1.6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum ExecutionStatus {
    /// Executed-Success.
    #[cfg_attr(feature = "serde", serde(rename = "Executed-Success"))]
    ExecutedSuccess,
    /// Executed-WithWarning.
    #[cfg_attr(feature = "serde", serde(rename = "Executed-WithWarning"))]
    ExecutedWithWarning,
    /// Failed.
    Failed,
    /// Expired.
    Expired,
}

/// Subject and reason code of a status (SGP.02 §5.1.6.4/5).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct StatusCodeData {
    /// Subject code.
    #[cfg_attr(feature = "serde", serde(rename = "Subject"))]
    pub subject: String,
    /// Reason code.
    #[cfg_attr(feature = "serde", serde(rename = "Reason"))]
    pub reason: String,
}

/// Outcome of an operation in the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct OperationExecutionStatus {
    /// Status.
    #[cfg_attr(feature = "serde", serde(rename = "Status"))]
    pub status: ExecutionStatus,
    /// Codes when not a plain success.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "StatusCodeData",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub status_code_data: Option<StatusCodeData>,
}

/// Operation type of an audit trail record (njiwa, citing SGP.02
/// §5.1.1.3.12): notification types `01`–`05` and `0100` CreateISDP …
/// `0900` FinaliseISDRhandover. Unknown values are kept. Serialized as
/// `hexBinary` (schema `AuditTrailRecordType`): one byte below `0100`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OperationType(pub u16);

#[cfg(feature = "serde")]
impl Serialize for OperationType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 < 0x100 {
            s.collect_str(&format_args!("{:02X}", self.0))
        } else {
            s.collect_str(&format_args!("{:04X}", self.0))
        }
    }
}

#[cfg(feature = "serde")]
impl<'de> Deserialize<'de> for OperationType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let s = String::deserialize(d)?;
        match s.len() {
            2 | 4 => u16::from_str_radix(&s, 16)
                .map(OperationType)
                .map_err(D::Error::custom),
            _ => Err(D::Error::custom("an operation type is 1 or 2 hex bytes")),
        }
    }
}

impl OperationType {
    /// ES5.CreateISDP.
    pub const CREATE_ISDP: Self = Self(0x0100);
    /// ES5.EnableProfile.
    pub const ENABLE_PROFILE: Self = Self(0x0200);
    /// ES5.DisableProfile.
    pub const DISABLE_PROFILE: Self = Self(0x0300);
    /// ES5.DeleteProfile.
    pub const DELETE_PROFILE: Self = Self(0x0400);
    /// ES5.eUICCCapabilityAudit.
    pub const CAPABILITY_AUDIT: Self = Self(0x0500);
    /// ES5.MasterDelete.
    pub const MASTER_DELETE: Self = Self(0x0600);
    /// ES5.SetFallbackAttribute.
    pub const SET_FALLBACK_ATTRIBUTE: Self = Self(0x0700);
    /// ES5.EstablishISDRkeyset.
    pub const ESTABLISH_ISDR_KEYSET: Self = Self(0x0800);
    /// ES5.FinaliseISDRhandover.
    pub const FINALISE_ISDR_HANDOVER: Self = Self(0x0900);
}

/// One audit trail record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct AuditRecord {
    /// The eUICC.
    #[cfg_attr(feature = "serde", serde(rename = "Eid"))]
    pub eid: Eid,
    /// The SM-SR.
    #[cfg_attr(feature = "serde", serde(rename = "Smsr-id"))]
    pub smsr_id: String,
    /// When (ISO 8601, given by the caller).
    #[cfg_attr(feature = "serde", serde(rename = "OperationDate"))]
    pub operation_date: String,
    /// What.
    #[cfg_attr(feature = "serde", serde(rename = "OperationType"))]
    pub operation_type: OperationType,
    /// Who asked.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "RequesterId",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub requester_id: Option<String>,
    /// Outcome.
    #[cfg_attr(feature = "serde", serde(rename = "OperationExecutionStatus"))]
    pub execution_status: OperationExecutionStatus,
    /// ISD-P concerned.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Isd-p-aid", default, skip_serializing_if = "Option::is_none")
    )]
    pub isd_p_aid: Option<Aid>,
    /// ICCID concerned.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Iccid", default, skip_serializing_if = "Option::is_none")
    )]
    pub iccid: Option<String>,
    /// IMEI from a notification.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Imei", default, skip_serializing_if = "Option::is_none")
    )]
    pub imei: Option<HexBytes>,
    /// MEID from a notification.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Meid", default, skip_serializing_if = "Option::is_none")
    )]
    pub meid: Option<HexBytes>,
}

/// What the EUM signs in the EIS (`EumSignedInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct EumSignedInfo {
    /// EID.
    #[cfg_attr(feature = "serde", serde(rename = "Eid"))]
    pub eid: Eid,
    /// EUM identifier (an OID).
    #[cfg_attr(feature = "serde", serde(rename = "Eum-id", alias = "Eum-Id"))]
    pub eum_id: String,
    /// Production date (ISO 8601 `dateTime`).
    #[cfg_attr(feature = "serde", serde(rename = "ProductionDate"))]
    pub production_date: String,
    /// Platform type.
    #[cfg_attr(feature = "serde", serde(rename = "PlatformType"))]
    pub platform_type: String,
    /// Platform version (`ThreeDigitVersion`).
    #[cfg_attr(feature = "serde", serde(rename = "PlatformVersion"))]
    pub platform_version: String,
    /// AID of the ISD-P executable load file.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Isd-p-loadfile-aid", alias = "isd-p-loadfile-aid")
    )]
    pub isd_p_loadfile_aid: Aid,
    /// AID of the ISD-P executable module.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Isd-p-module-aid", alias = "isd-p-module-aid")
    )]
    pub isd_p_module_aid: Aid,
    /// ECASD.
    #[cfg_attr(feature = "serde", serde(rename = "Ecasd"))]
    pub ecasd: SecurityDomain,
    /// Capabilities.
    #[cfg_attr(feature = "serde", serde(rename = "EuiccCapabilities"))]
    pub capabilities: EuiccCapabilities,
}

/// The eUICC Information Set the SM-SR keeps for one eUICC (`EISType`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Eis {
    /// What the EUM signed (EID, EUM, platform, ECASD, capabilities).
    #[cfg_attr(feature = "serde", serde(rename = "EumSignedInfo"))]
    pub eum_signed_info: EumSignedInfo,
    /// Free non-volatile memory of the eUICC (bytes).
    #[cfg_attr(feature = "serde", serde(rename = "RemainingMemory"))]
    pub remaining_memory: u32,
    /// Memory available for new profiles (bytes).
    #[cfg_attr(feature = "serde", serde(rename = "AvailableMemoryForProfiles"))]
    pub available_memory_for_profiles: u32,
    /// Date of the last audit.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "LastAuditDate",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub last_audit_date: Option<String>,
    /// The SM-SR in charge.
    #[cfg_attr(feature = "serde", serde(rename = "Smsr-id"))]
    pub smsr_id: String,
    /// The profiles.
    #[cfg_attr(feature = "serde", serde(rename = "ProfileInfo", default))]
    pub profiles: Vec<ProfileInfo>,
    /// ISD-R.
    #[cfg_attr(feature = "serde", serde(rename = "Isd-r"))]
    pub isd_r: SecurityDomain,
    /// Audit trail (`AuditTrail { Record* }`).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "AuditTrail", default, with = "audit_trail_serde")
    )]
    pub audit_trail: Vec<AuditRecord>,
    /// Sequence number of the last eUICC notification handled (njiwa
    /// `lastNotificationSequenceNumber`), for dropping retransmissions.
    /// SM-SR bookkeeping, not an element of the schema.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "LastNotificationSequenceNumber",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub last_notification_sequence_number: Option<u16>,
    /// Where the eUICC stands in an SM-SR change ([`super::handover`]).
    /// SM-SR bookkeeping, not an element of the schema; left out when
    /// [`HandoverState::Managed`].
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "Handover",
            default,
            skip_serializing_if = "HandoverState::is_managed"
        )
    )]
    pub handover: HandoverState,
}

#[cfg(feature = "serde")]
mod audit_trail_serde {
    use super::AuditRecord;
    use alloc::vec::Vec;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize)]
    struct Out<'a> {
        #[serde(rename = "Record")]
        record: &'a [AuditRecord],
    }

    #[derive(Deserialize)]
    struct In {
        #[serde(rename = "Record", default)]
        record: Vec<AuditRecord>,
    }

    pub(super) fn serialize<S: Serializer>(v: &[AuditRecord], s: S) -> Result<S::Ok, S::Error> {
        Out { record: v }.serialize(s)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<AuditRecord>, D::Error> {
        In::deserialize(d).map(|i| i.record)
    }
}

impl Eis {
    /// An EIS for `eid` with no profiles, the Annex H ISD-R and ECASD and
    /// empty descriptive fields.
    pub fn new(eid: Eid, smsr_id: &str) -> Self {
        Self {
            eum_signed_info: EumSignedInfo {
                eid,
                eum_id: String::new(),
                production_date: String::new(),
                platform_type: String::new(),
                platform_version: String::new(),
                isd_p_loadfile_aid: Aid::ISD_P_LOAD_FILE,
                isd_p_module_aid: Aid::ISD_P_MODULE,
                ecasd: SecurityDomain::ecasd(),
                capabilities: EuiccCapabilities::default(),
            },
            remaining_memory: 0,
            available_memory_for_profiles: 0,
            last_audit_date: None,
            smsr_id: smsr_id.into(),
            profiles: Vec::new(),
            isd_r: SecurityDomain::isd_r(),
            audit_trail: Vec::new(),
            last_notification_sequence_number: None,
            handover: HandoverState::Managed,
        }
    }

    /// The EID.
    pub fn eid(&self) -> Eid {
        self.eum_signed_info.eid
    }

    /// The profile with `iccid`.
    pub fn profile(&self, iccid: &str) -> Option<&ProfileInfo> {
        self.profiles.iter().find(|p| p.iccid == iccid)
    }

    /// The profile whose ISD-P is `aid`.
    pub fn profile_by_aid(&self, aid: &Aid) -> Option<&ProfileInfo> {
        self.profiles.iter().find(|p| p.isd_p_aid == *aid)
    }

    /// The enabled profile.
    pub fn enabled_profile(&self) -> Option<&ProfileInfo> {
        self.profiles
            .iter()
            .find(|p| p.state == ProfileState::Enabled)
    }

    /// The profile with the fall-back attribute.
    pub fn fallback_profile(&self) -> Option<&ProfileInfo> {
        self.profiles.iter().find(|p| p.fallback_attribute)
    }

    pub(crate) fn profile_mut(&mut self, iccid: &str) -> Option<&mut ProfileInfo> {
        self.profiles.iter_mut().find(|p| p.iccid == iccid)
    }

    /// The first free ISD-P TAR (SGP.02 Annex H range `000010..00FFFF`),
    /// for the AID of a new ISD-P.
    pub fn next_isd_p_tar(&self) -> Option<Tar> {
        (Tar::ISD_P_FIRST.value()..=Tar::ISD_P_LAST.value())
            .map(Tar::from_value)
            .find(|t| !self.profiles.iter().any(|p| p.isd_p_aid.tar() == Some(*t)))
    }

    /// This EIS as handed to `party`: profiles still `InCreation` are left
    /// out (the schema's `ProfileStateType` has no such state), the
    /// profiles `party` does not own (neither their MNO nor their SM-DP)
    /// lose their private fields —
    /// subscription address, profile type, memory figures, POL2 and
    /// connectivity parameters — and the audit trail keeps only records
    /// about `party`'s profiles or about no profile. Key values are never
    /// serialized in any case.
    pub fn view_for(&self, party: &str) -> Eis {
        let mut v = self.clone();
        v.profiles.retain(|p| p.state != ProfileState::InCreation);
        let foreign: Vec<String> = v
            .profiles
            .iter()
            .filter(|p| !p.is_owned_by(party))
            .map(|p| p.iccid.clone())
            .collect();
        for p in v.profiles.iter_mut().filter(|p| !p.is_owned_by(party)) {
            p.subscription_address = None;
            p.profile_type = None;
            p.allocated_memory = None;
            p.free_memory = None;
            p.pol2.clear();
            p.connectivity_parameters = None;
        }
        v.audit_trail
            .retain(|r| r.iccid.as_ref().is_none_or(|i| !foreign.contains(i)));
        v
    }
}
