//! Our XSD types of the EIS and its parts (SGP.02 §5.1.1.3 `EISType`; the
//! element order of njiwa's `etc/wsdl` reading, with the element names of
//! our EIS model, [`crate::inventory::model`], where njiwa's are JAXB
//! artefacts such as `profiles`, `keySets` or `FreeMemoery`): the one
//! table the server's WSDL, its GetEIS writer and the RegisterEIS reader
//! ([`super::schema::read`] with [`EIS`]) share.
//!
//! The simple-typed elements take the SGP.02 simple types of
//! [`crate::inventory::field`] (`EIDType`, `ICCIDType`, `AIDType`, …).

use super::schema::{Ty, XsdType, many, one, opt};

const S: Ty = Ty::Simple("xs:string");
const B: Ty = Ty::Simple("xs:boolean");
const U: Ty = Ty::Simple("xs:unsignedInt");
const EID: Ty = Ty::Simple("tns:EIDType");
const ICCID: Ty = Ty::Simple("tns:ICCIDType");
const AID: Ty = Ty::Simple("tns:AIDType");
const TAR: Ty = Ty::Simple("tns:TARType");
const HEX: Ty = Ty::Simple("xs:hexBinary");

/// `KeyType`.
pub const KEY: XsdType = XsdType {
    name: "KeyType",
    elements: &[one("Index", U), one("Type", U), opt("Kcv", HEX)],
};
/// `CertificateType`.
pub const CERTIFICATE: XsdType = XsdType {
    name: "CertificateType",
    elements: &[one("Index", U), one("CaId", S), one("Value", HEX)],
};
/// `KeySetType`.
pub const KEY_SET: XsdType = XsdType {
    name: "KeySetType",
    elements: &[
        one("Version", U),
        opt("Type", S),
        opt("Cntr", Ty::Simple("xs:unsignedLong")),
        many("Key", Ty::Complex(&KEY)),
        many("Certificate", Ty::Complex(&CERTIFICATE)),
    ],
};
/// `SecurityDomainType`.
pub const SECURITY_DOMAIN: XsdType = XsdType {
    name: "SecurityDomainType",
    elements: &[
        one("Aid", AID),
        many("Tar", TAR),
        opt("Sin", HEX),
        opt("Sdin", HEX),
        one("Role", S),
        many("Keyset", Ty::Complex(&KEY_SET)),
    ],
};
/// `EuiccCapabilitiesType`.
pub const CAPABILITIES: XsdType = XsdType {
    name: "EuiccCapabilitiesType",
    elements: &[
        one("CattpSupport", B),
        opt("CattpVersion", S),
        one("HttpSupport", B),
        opt("HttpVersion", S),
        opt("SecurePacketVersion", S),
        opt("RemoteProvisioningVersion", S),
    ],
};
/// `EumSignedInfoType`.
pub const EUM_SIGNED_INFO: XsdType = XsdType {
    name: "EumSignedInfoType",
    elements: &[
        one("Eid", EID),
        one("Eum-id", S),
        one("ProductionDate", S),
        one("PlatformType", S),
        one("PlatformVersion", S),
        one("Isd-p-loadfile-aid", AID),
        one("Isd-p-module-aid", AID),
        one("Ecasd", Ty::Complex(&SECURITY_DOMAIN)),
        one("EuiccCapabilities", Ty::Complex(&CAPABILITIES)),
    ],
};
/// `SubscriptionAddressType`.
pub const SUBSCRIPTION_ADDRESS: XsdType = XsdType {
    name: "SubscriptionAddressType",
    elements: &[opt("Imsi", S), opt("Msisdn", S)],
};
/// `POL2RuleType`.
pub const POL2_RULE: XsdType = XsdType {
    name: "POL2RuleType",
    elements: &[opt("Subject", S), one("Action", S), one("Qualification", S)],
};
/// `ProfileInfoType`.
pub const PROFILE_INFO: XsdType = XsdType {
    name: "ProfileInfoType",
    elements: &[
        one("Iccid", ICCID),
        one("Isd-p-aid", AID),
        one("Mno-id", S),
        one("FallbackAttribute", B),
        one("EmergencyProfileAttribute", B),
        opt("SubscriptionAddress", Ty::Complex(&SUBSCRIPTION_ADDRESS)),
        one("State", S),
        opt("Smdp-id", S),
        opt("ProfileType", S),
        opt("AllocatedMemory", U),
        opt("FreeMemory", U),
        // Our JSON lists the rules; each is one `pol2` element.
        many("pol2", Ty::Complex(&POL2_RULE)),
        opt("ConnectivityParameters", HEX),
    ],
};
/// `StatusCodeDataType`.
pub const STATUS_CODE_DATA: XsdType = XsdType {
    name: "StatusCodeDataType",
    elements: &[
        one("Subject", S),
        one("Reason", S),
        opt("SubjectIdentifier", S),
        opt("Message", S),
    ],
};
/// `FunctionExecutionStatusType`.
pub const EXECUTION_STATUS: XsdType = XsdType {
    name: "FunctionExecutionStatusType",
    elements: &[
        one("Status", S),
        opt("StatusCodeData", Ty::Complex(&STATUS_CODE_DATA)),
    ],
};
/// `AuditTrailRecordType`.
pub const AUDIT_RECORD: XsdType = XsdType {
    name: "AuditTrailRecordType",
    elements: &[
        one("Eid", EID),
        one("Smsr-id", S),
        one("OperationDate", S),
        one("OperationType", S),
        opt("RequesterId", S),
        one("OperationExecutionStatus", Ty::Complex(&EXECUTION_STATUS)),
        opt("Isd-p-aid", AID),
        opt("Iccid", ICCID),
        opt("Imei", HEX),
        opt("Meid", HEX),
    ],
};
/// `AuditTrailType`.
pub const AUDIT_TRAIL: XsdType = XsdType {
    name: "AuditTrailType",
    elements: &[many("Record", Ty::Complex(&AUDIT_RECORD))],
};

/// `EISType`.
pub const EIS: XsdType = XsdType {
    name: "EISType",
    elements: &[
        one("EumSignedInfo", Ty::Complex(&EUM_SIGNED_INFO)),
        one("RemainingMemory", U),
        one("AvailableMemoryForProfiles", U),
        opt("LastAuditDate", S),
        one("Smsr-id", S),
        many("ProfileInfo", Ty::Complex(&PROFILE_INFO)),
        one("Isd-r", Ty::Complex(&SECURITY_DOMAIN)),
        // The EUM's XML Signature over `EumSignedInfo`
        // (`super::eum_signature`); its place after `Isd-r` is njiwa's
        // reading (UNCONFIRMED against the GSMA schema).
        opt("EumSignature", Ty::Any),
        opt("AuditTrail", Ty::Complex(&AUDIT_TRAIL)),
        opt(
            "LastNotificationSequenceNumber",
            Ty::Simple("xs:unsignedShort"),
        ),
    ],
};

/// Every complex type, each once, the ones used first.
pub const TYPES: [&XsdType; 14] = [
    &KEY,
    &CERTIFICATE,
    &KEY_SET,
    &SECURITY_DOMAIN,
    &CAPABILITIES,
    &EUM_SIGNED_INFO,
    &SUBSCRIPTION_ADDRESS,
    &POL2_RULE,
    &PROFILE_INFO,
    &STATUS_CODE_DATA,
    &EXECUTION_STATUS,
    &AUDIT_RECORD,
    &AUDIT_TRAIL,
    &EIS,
];
