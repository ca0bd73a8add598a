//! The `Eis` element of ES1.RegisterEIS (SGP.02 §5.3.1, the EIS of
//! §5.1.1.3) into the inventory model: read by our XSD types
//! ([`smsr::soap::schema::read`] with [`smsr::soap::eis_type::EIS`]:
//! order, occurrences, simple types, each typed element checked with
//! [`smsr::inventory::field`]), then into [`Eis`] through the JSON the
//! operator API's RegisterEIS takes, so both front ends build the same
//! model with the same checks. It is the inverse of the GetEIS writer
//! (`eis::write_typed`): what that writes reads back to the same model.
//!
//! `EumSignature` is not part of the model: it is checked on the
//! request's own bytes (`register.rs`) and left out here.

use serde_json::{Map, Value};
use smsr::inventory::Eis;
use smsr::soap::Element;
use smsr::soap::schema::{self, SchemaError, Typed, XsdType};

/// The JSON of a value read by its type (a `many` element as a list).
fn json(t: &Typed) -> Value {
    match t {
        Typed::Text(s) => Value::String(s.clone()),
        Typed::Number(n) => Value::from(*n),
        Typed::Bool(b) => Value::Bool(*b),
        Typed::Xml(_) => Value::Null,
        Typed::Complex(children) => {
            let mut o = Map::new();
            for (x, items) in children {
                if matches!(x.ty, schema::Ty::Any) {
                    continue;
                }
                let v = match (x.many, items.as_slice()) {
                    (false, [one]) => json(one),
                    _ => Value::Array(items.iter().map(json).collect()),
                };
                o.insert(x.name.to_owned(), v);
            }
            Value::Object(o)
        }
    }
}

/// Why an `Eis` element is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EisReadError {
    /// An element that does not fit its type (its subject and reason).
    #[error(transparent)]
    Schema(#[from] SchemaError),
    /// Well-typed elements that do not make an EIS of the model (a
    /// value outside an enumeration, such as a profile `State`). The
    /// model's message is not repeated: it would echo the value.
    #[error("Eis: an element's value is not one the EIS model knows")]
    Model,
}

impl EisReadError {
    /// The SGP.02 subject / reason of the refusal.
    pub fn status_code(&self) -> smsr::isdr::response::StatusCode {
        match self {
            Self::Schema(e) => e.status_code(),
            Self::Model => smsr::inventory::codes::FUNCTION_INVALID,
        }
    }
}

/// Element `e` of complex type `ty` as the JSON the operator API takes;
/// an `EISType` is also checked to make an EIS of the model, so that
/// refusal names no value either.
///
/// # Errors
/// [`EisReadError`]: by element, never echoing a value.
pub fn typed_json(e: &Element, ty: &'static XsdType) -> Result<Value, EisReadError> {
    let v = json(&schema::read(e, ty)?);
    if ty.name == smsr::soap::eis_type::EIS.name {
        serde_json::from_value::<Eis>(v.clone()).map_err(|_| EisReadError::Model)?;
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use smsr::soap::{Envelope, Limits};

    /// `xml` as the body element of an envelope.
    fn read_eis(e: &Element) -> Result<Eis, EisReadError> {
        let v = typed_json(e, &smsr::soap::eis_type::EIS)?;
        Ok(serde_json::from_value(v).unwrap())
    }

    fn body(xml: &str) -> Element {
        let env = format!(
            "<e:Envelope xmlns:e=\"{}\"><e:Body>{xml}</e:Body></e:Envelope>",
            smsr::soap::SOAP12_NS
        );
        Envelope::parse(env.as_bytes(), &Limits::DEFAULT)
            .unwrap()
            .body
    }

    /// An EIS of the demo fleet with its ECASD certificate and a profile
    /// with every optional element (pySim's test ICCID rules: the TS.48
    /// test ICCID of `shared/testdata/profiles/README.md`).
    fn sample() -> Eis {
        let c = smsr::sim::fleet::member(crate::fleet::SEED, 3).unwrap();
        let mut eis = smsr::sim::fleet::eis(&c, "EUM-1", "SMSR-1");
        crate::fleet::add_ecasd_certificate(&mut eis, &c).unwrap();
        eis.profiles.push(
            serde_json::from_value(serde_json::json!({"Iccid": "8949449999999990015",
                "Isd-p-aid": "A0000005591010FFFFFFFF8900001000", "Mno-id": "MNO",
                "Smdp-id": "SMDP", "FallbackAttribute": true, "EmergencyProfileAttribute": false,
                "State": "Enabled", "SubscriptionAddress": {"Imsi": "204041234567890", "Msisdn": "3161"},
                "ProfileType": "x", "AllocatedMemory": 3, "FreeMemory": 4,
                "pol2": [{"Subject": "PROFILE", "Action": "DELETE", "Qualification": "Not-Allowed"}],
                "ConnectivityParameters": "A0"}))
            .unwrap(),
        );
        eis.last_audit_date = Some("2026-01-02".into());
        // The model as JSON RegisterEIS makes it: key values never travel
        // in an EIS.
        serde_json::from_value(serde_json::to_value(&eis).unwrap()).unwrap()
    }

    fn written(eis: &Eis) -> String {
        let v = serde_json::to_value(eis).unwrap();
        let mut xml = String::new();
        crate::soap::eis::write_typed(&mut xml, "Eis", &v, &smsr::soap::eis_type::EIS);
        xml
    }

    /// What GetEIS writes reads back to the same model.
    #[test]
    fn get_eis_xml_reads_back_to_the_same_model() {
        let eis = sample();
        let xml = written(&eis);
        assert!(xml.contains("<Certificate>"), "{xml}");
        assert_eq!(read_eis(&body(&xml)).unwrap(), eis, "{xml}");
    }

    /// Each kind of bad element is refused with its subject and reason,
    /// and no value is repeated in the message.
    #[test]
    fn bad_eis_elements_are_refused_by_element() {
        let xml = written(&sample());
        let secret = "8949449999999990015";
        let cases: [(String, &str, &str); 8] = [
            (
                xml.replacen("<RemainingMemory>", "<RemainingMemory>x", 1),
                "1.6",
                "2.1",
            ),
            (
                xml.replacen("<Smsr-id>SMSR-1</Smsr-id>", "", 1),
                "1.6",
                "2.2",
            ),
            (
                xml.replacen("<Smsr-id>", "<Bogus/><Smsr-id>", 1),
                "1.6",
                "2.1",
            ),
            (
                xml.replacen(secret, "8949449999999990016", 1),
                "8.2.1",
                "2.1",
            ),
            (
                xml.replacen("<State>Enabled", "<State>Sleeping", 1),
                "1.6",
                "2.1",
            ),
            (
                xml.replacen("<LastAuditDate>2026-01-02</LastAuditDate>", "", 1)
                    .replacen(
                        "</Smsr-id>",
                        "</Smsr-id><LastAuditDate>2026-01-02</LastAuditDate>",
                        1,
                    ),
                "1.6",
                "2.1",
            ),
            (
                xml.replacen(
                    "<RemainingMemory>",
                    "<RemainingMemory>1</RemainingMemory><RemainingMemory>",
                    1,
                ),
                "1.6",
                "2.1",
            ),
            (
                xml.replacen("<CattpSupport>false", "<CattpSupport>no", 1),
                "1.6",
                "2.1",
            ),
        ];
        for (bad, subject, reason) in cases {
            assert_ne!(bad, xml);
            let e = read_eis(&body(&bad)).unwrap_err();
            let code = e.status_code();
            assert_eq!((code.subject, code.reason), (subject, reason), "{e}");
            assert!(!e.to_string().contains("899"), "{e}");
            assert!(!e.to_string().contains("Sleeping"), "{e}");
        }
    }
}
