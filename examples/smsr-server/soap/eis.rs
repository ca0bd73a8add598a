//! Our XSD types of the EIS and its parts (the table is the library's
//! [`smsr::soap::eis_type`], shared with the RegisterEIS reader
//! `eis_read.rs`) as WSDL text, and the
//! writer that puts an EIS answer (the JSON of `Eis::view_for`) into
//! elements in the order the types declare, so a schema-driven client
//! (zeep) reads it into typed objects.
//!
//! The simple-typed elements take the SGP.02 simple types of
//! [`smsr::inventory::field`] (`EIDType`, `ICCIDType`, `AIDType`, …).

use serde_json::Value;
use smsr::inventory::field::ElementType;

use super::convert::write_value;

pub use smsr::soap::eis_type::{EIS, TYPES};
pub use smsr::soap::schema::{Ty, XsdType};

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

/// The complex types of the EIS as XSD.
pub fn complex_types(out: &mut String) {
    for t in TYPES {
        complex_type(out, t);
    }
}

/// One complex type as XSD.
pub fn complex_type(out: &mut String, t: &XsdType) {
    out.push_str(&format!(
        "<xs:complexType name=\"{}\"><xs:sequence>",
        t.name
    ));
    for e in t.elements {
        let ty = match e.ty {
            Ty::Simple(s) => s.to_owned(),
            Ty::Complex(c) => format!("tns:{}", c.name),
            Ty::Any => "xs:anyType".to_owned(),
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
                Ty::Simple(_) | Ty::Any => write_value(out, e.name, item),
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
    use smsr::soap::eis_type::SECURITY_DOMAIN;

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
