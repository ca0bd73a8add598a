//! Our XSD types of the EIS and its parts (SGP.02 §5.1.1.3 `EISType`; the
//! element order of njiwa's `etc/wsdl` reading, with the element names of
//! our EIS model, `smsr::inventory::model`, where njiwa's are JAXB
//! artefacts such as `profiles`, `keySets` or `FreeMemoery`), and the
//! writer that puts an EIS answer (the JSON of `Eis::view_for`) into
//! elements in the order the types declare, so a schema-driven client
//! (zeep) reads it into typed objects.
//!
//! The simple-typed elements take the SGP.02 simple types of
//! [`smsr::inventory::field`] (`EIDType`, `ICCIDType`, `AIDType`, …).

use serde_json::Value;
use smsr::inventory::field::ElementType;

use super::convert::write_value;

/// What an element holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A simple type (`xs:…` or one of ours).
    Simple(&'static str),
    /// A complex type of this module.
    Complex(&'static XsdType),
}

/// One element of a complex type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XsdElement {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// `minOccurs="0"`.
    pub optional: bool,
    /// `maxOccurs="unbounded"` (a JSON list).
    pub many: bool,
}

/// A complex type: a sequence of elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XsdType {
    /// The type's name.
    pub name: &'static str,
    /// Its elements, in order.
    pub elements: &'static [XsdElement],
}

const fn one(name: &'static str, ty: Ty) -> XsdElement {
    XsdElement {
        name,
        ty,
        optional: false,
        many: false,
    }
}

const fn opt(name: &'static str, ty: Ty) -> XsdElement {
    XsdElement {
        name,
        ty,
        optional: true,
        many: false,
    }
}

const fn many(name: &'static str, ty: Ty) -> XsdElement {
    XsdElement {
        name,
        ty,
        optional: true,
        many: true,
    }
}

const S: Ty = Ty::Simple("xs:string");
const B: Ty = Ty::Simple("xs:boolean");
const U: Ty = Ty::Simple("xs:unsignedInt");
const EID: Ty = Ty::Simple("tns:EIDType");
const ICCID: Ty = Ty::Simple("tns:ICCIDType");
const AID: Ty = Ty::Simple("tns:AIDType");
const TAR: Ty = Ty::Simple("tns:TARType");
const HEX: Ty = Ty::Simple("xs:hexBinary");

const KEY: XsdType = XsdType {
    name: "KeyType",
    elements: &[one("Index", U), one("Type", U), opt("Kcv", HEX)],
};
const CERTIFICATE: XsdType = XsdType {
    name: "CertificateType",
    elements: &[one("Index", U), one("CaId", S), one("Value", HEX)],
};
const KEY_SET: XsdType = XsdType {
    name: "KeySetType",
    elements: &[
        one("Version", U),
        opt("Type", S),
        opt("Cntr", Ty::Simple("xs:unsignedLong")),
        many("Key", Ty::Complex(&KEY)),
        many("Certificate", Ty::Complex(&CERTIFICATE)),
    ],
};
const SECURITY_DOMAIN: XsdType = XsdType {
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
const CAPABILITIES: XsdType = XsdType {
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
const EUM_SIGNED_INFO: XsdType = XsdType {
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
const SUBSCRIPTION_ADDRESS: XsdType = XsdType {
    name: "SubscriptionAddressType",
    elements: &[opt("Imsi", S), opt("Msisdn", S)],
};
const POL2_RULE: XsdType = XsdType {
    name: "POL2RuleType",
    elements: &[opt("Subject", S), one("Action", S), one("Qualification", S)],
};
const PROFILE_INFO: XsdType = XsdType {
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
const STATUS_CODE_DATA: XsdType = XsdType {
    name: "StatusCodeDataType",
    elements: &[
        one("Subject", S),
        one("Reason", S),
        opt("SubjectIdentifier", S),
        opt("Message", S),
    ],
};
const EXECUTION_STATUS: XsdType = XsdType {
    name: "FunctionExecutionStatusType",
    elements: &[
        one("Status", S),
        opt("StatusCodeData", Ty::Complex(&STATUS_CODE_DATA)),
    ],
};
const AUDIT_RECORD: XsdType = XsdType {
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
const AUDIT_TRAIL: XsdType = XsdType {
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

/// The XSD simple type of element `name` (ours where
/// [`smsr::inventory::field`] types it, `xs:string` otherwise).
pub fn simple_type(name: &str) -> &'static str {
    match ElementType::of(name) {
        Some((_, ElementType::Eid)) => "tns:EIDType",
        Some((_, ElementType::Iccid)) => "tns:ICCIDType",
        Some((_, ElementType::Aid)) => "tns:AIDType",
        Some((_, ElementType::Tar)) => "tns:TARType",
        _ => "xs:string",
    }
}

/// The simple types, as XSD restrictions of `xs:string` (the check digits
/// are the server's to verify; a pattern cannot).
pub fn simple_types(out: &mut String) {
    for (name, pattern) in [
        ("EIDType", "89[0-9]{30}"),
        ("ICCIDType", "89[0-9]{17,18}"),
        ("AIDType", "([0-9A-Fa-f]{2}){5,16}"),
        ("TARType", "[0-9A-Fa-f]{6}"),
    ] {
        out.push_str(&format!(
            "<xs:simpleType name=\"{name}\"><xs:restriction base=\"xs:string\">\
             <xs:pattern value=\"{pattern}\"/></xs:restriction></xs:simpleType>"
        ));
    }
}

/// The complex types as XSD.
pub fn complex_types(out: &mut String) {
    for t in TYPES {
        out.push_str(&format!(
            "<xs:complexType name=\"{}\"><xs:sequence>",
            t.name
        ));
        for e in t.elements {
            let ty = match e.ty {
                Ty::Simple(s) => s.to_owned(),
                Ty::Complex(c) => format!("tns:{}", c.name),
            };
            let min = if e.optional { " minOccurs=\"0\"" } else { "" };
            let max = if e.many {
                " maxOccurs=\"unbounded\""
            } else {
                ""
            };
            out.push_str(&format!(
                "<xs:element name=\"{}\" type=\"{ty}\"{min}{max}/>",
                e.name
            ));
        }
        out.push_str("</xs:sequence></xs:complexType>");
    }
}

/// Writes `v` as element `name` of type `ty`: children in the type's
/// order. A JSON key the type does not declare is left out and logged
/// (the `eis_type_covers_the_model` test keeps the model and the type
/// in step).
pub fn write_typed(out: &mut String, name: &str, v: &Value, ty: &XsdType) {
    let Some(o) = v.as_object() else {
        write_value(out, name, v);
        return;
    };
    if let Some(k) = o.keys().find(|k| !ty.elements.iter().any(|e| e.name == *k)) {
        tracing::warn!(
            element = name,
            key = %k,
            "EIS key without an element in our XSD left out of a SOAP answer"
        );
    }
    out.push('<');
    out.push_str(name);
    out.push('>');
    for e in ty.elements {
        let Some(x) = o.get(e.name) else { continue };
        let items = match x {
            Value::Array(items) => items.as_slice(),
            other => core::slice::from_ref(other),
        };
        for item in items {
            match e.ty {
                Ty::Complex(c) => write_typed(out, e.name, item, c),
                Ty::Simple(_) => write_value(out, e.name, item),
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key a full EIS serialises to has its element, at every level.
    #[test]
    fn eis_type_covers_the_model() {
        fn walk(v: &Value, ty: &XsdType, path: &str) {
            let Some(o) = v.as_object() else { return };
            for (k, x) in o {
                let e = ty
                    .elements
                    .iter()
                    .find(|e| e.name == k)
                    .unwrap_or_else(|| panic!("{path}/{k} has no element in {}", ty.name));
                let items = match x {
                    Value::Array(items) => items.clone(),
                    other => vec![other.clone()],
                };
                assert!(e.many || items.len() == 1, "{path}/{k} repeated");
                if let Ty::Complex(c) = e.ty {
                    for i in &items {
                        walk(i, c, &format!("{path}/{k}"));
                    }
                }
            }
        }
        let eis: smsr::inventory::Eis = serde_json::from_value(full()).unwrap();
        let v = serde_json::to_value(&eis).unwrap();
        walk(&v, &EIS, "Eis");
    }

    /// An EIS with every optional element present (model names; values
    /// from pySim's test EID and the TS.48 ICCID).
    fn full() -> Value {
        let sd = |role: &str, tar: &str| {
            serde_json::json!({"Aid": format!("A0000005591010FFFFFFFF89{tar}00"), "Tar": [tar],
                "Sin": "0102", "Sdin": "0304", "Role": role,
                "Keyset": [{"Version": 1, "Type": "SCP80", "Cntr": 5,
                    "Key": [{"Index": 1, "Type": 136, "Kcv": "AABBCC"}],
                    "Certificate": [{"Index": 1, "CaId": "CI", "Value": "00"}]}]})
        };
        let status = serde_json::json!({"Status": "Failed",
            "StatusCodeData": {"Subject": "8.1", "Reason": "4.2"}});
        serde_json::json!({
            "EumSignedInfo": {"Eid": "89049032123451234512345678901235", "Eum-id": "EUM",
                "ProductionDate": "2026-01-01", "PlatformType": "t", "PlatformVersion": "1",
                "Isd-p-loadfile-aid": "A0000005591010FFFFFFFF8900000D00",
                "Isd-p-module-aid": "A0000005591010FFFFFFFF8900000E00",
                "Ecasd": sd("ECASD", "000002"),
                "EuiccCapabilities": {"CattpSupport": true, "CattpVersion": "1", "HttpSupport": true,
                    "HttpVersion": "1.1", "SecurePacketVersion": "12", "RemoteProvisioningVersion": "3"}},
            "RemainingMemory": 1, "AvailableMemoryForProfiles": 2, "LastAuditDate": "2026-01-02",
            "Smsr-id": "SMSR",
            "ProfileInfo": [{"Iccid": "8949449999999990015",
                "Isd-p-aid": "A0000005591010FFFFFFFF8900001000", "Mno-id": "MNO",
                "Smdp-id": "SMDP", "FallbackAttribute": true, "EmergencyProfileAttribute": false,
                "State": "Enabled", "SubscriptionAddress": {"Imsi": "204041234567890", "Msisdn": "3161"},
                "ProfileType": "x", "AllocatedMemory": 3, "FreeMemory": 4,
                "pol2": [{"Subject": "PROFILE", "Action": "DELETE", "Qualification": "Not-Allowed"}],
                "ConnectivityParameters": "A0"}],
            "Isd-r": sd("ISD-R", "000001"),
            "AuditTrail": {"Record": [{"Eid": "89049032123451234512345678901235",
                "Smsr-id": "SMSR", "OperationDate": "2026-01-03", "OperationType": "0100",
                "RequesterId": "MNO", "OperationExecutionStatus": status,
                "Isd-p-aid": "A0000005591010FFFFFFFF8900001000", "Iccid": "8949449999999990015",
                "Imei": "01", "Meid": "02"}]},
            "LastNotificationSequenceNumber": 7
        })
    }

    #[test]
    fn children_follow_the_type_order() {
        let v = serde_json::json!({"Role": "ISD-R", "Tar": ["000001"],
            "Aid": "A0000005591010FFFFFFFF8900000100", "Keyset": []});
        let mut out = String::new();
        write_typed(&mut out, "Isd-r", &v, &SECURITY_DOMAIN);
        assert_eq!(
            out,
            "<Isd-r><Aid>A0000005591010FFFFFFFF8900000100</Aid><Tar>000001</Tar>\
             <Role>ISD-R</Role></Isd-r>"
        );
    }
}
