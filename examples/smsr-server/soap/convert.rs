//! Between the SOAP body and the operator API's JSON: a request element
//! becomes the JSON body of its endpoint (each element typed by the
//! function table and checked against its SGP.02 simple type; an unknown,
//! repeated or ill-typed element is refused), and a JSON
//! answer becomes the `…Response` element (objects as nested elements,
//! lists as repeated ones, in the answer's order).

use serde_json::{Map, Value};
use smsr::inventory::field::ElementType;
use smsr::soap::Element;
use smsr::soap::write;

use super::functions::{EXTRA_ANSWERS, Field, HEADER, Kind, SoapFunction, TEXT_ANSWERS};

/// Why a request element does not fit its function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// A required element is absent (SGP.02 1.6 / 2.2).
    #[error("mandatory element {0} missing")]
    Missing(&'static str),
    /// An element is malformed, unknown or repeated (SGP.02 1.6 / 2.1).
    #[error("element {name}: {problem}")]
    Invalid {
        /// The element.
        name: String,
        /// What is wrong.
        problem: &'static str,
    },
    /// An element that does not have its SGP.02 type (its subject, 2.1).
    #[error(transparent)]
    Type(#[from] smsr::inventory::field::FieldError),
    /// A complex element that does not fit its XSD type (or, for the
    /// `Eis`, the EIS model).
    #[error(transparent)]
    Typed(#[from] super::eis_read::EisReadError),
}

impl FieldError {
    /// The SGP.02 subject / reason of the refusal.
    pub fn status_code(&self) -> smsr::isdr::response::StatusCode {
        match self {
            Self::Missing(_) => crate::ops::codes::FUNCTION_MISSING_ELEMENT,
            Self::Invalid { .. } => crate::ops::codes::FUNCTION_INVALID,
            Self::Type(e) => e.status_code(),
            Self::Typed(e) => e.status_code(),
        }
    }
}

/// Checks `text` of element `name` against its SGP.02 simple type, if
/// it has one ([`smsr::inventory::field`]).
fn typed(name: &str, text: &str) -> Result<(), FieldError> {
    match ElementType::of(name) {
        Some((n, ty)) => Ok(ty.check(n, text)?),
        None => Ok(()),
    }
}

fn invalid(name: &str, problem: &'static str) -> FieldError {
    FieldError::Invalid {
        name: name.to_owned(),
        problem,
    }
}

/// The children of `e` as a JSON object of strings, each name in `allowed`
/// at most once.
fn strings(e: &Element, allowed: &[&str]) -> Result<Value, FieldError> {
    let mut o = Map::new();
    for c in &e.children {
        if !allowed.contains(&c.name.as_str()) {
            return Err(invalid(&c.name, "unknown element"));
        }
        typed(&c.name, c.text.trim())?;
        if o.insert(c.name.clone(), Value::String(c.text.trim().to_owned()))
            .is_some()
        {
            return Err(invalid(&c.name, "repeated"));
        }
    }
    Ok(Value::Object(o))
}

/// One element as JSON for `kind` (a repeated kind gets every occurrence).
fn value(kind: Kind, all: &[&Element]) -> Result<Value, FieldError> {
    let (first, rest) = match all {
        [first, rest @ ..] => (*first, rest),
        [] => return Ok(Value::Null),
    };
    if kind != Kind::Repeated && !rest.is_empty() {
        return Err(invalid(&first.name, "repeated"));
    }
    let text = first.text.trim();
    Ok(match kind {
        Kind::Text => {
            typed(&first.name, text)?;
            Value::String(text.to_owned())
        }
        Kind::Number => Value::from(
            text.parse::<u64>()
                .map_err(|_| invalid(&first.name, "not a non-negative integer"))?,
        ),
        Kind::Bool => Value::Bool(match text {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(invalid(&first.name, "not a boolean")),
        }),
        Kind::Repeated => Value::Array(
            all.iter()
                .map(|e| {
                    typed(&e.name, e.text.trim())?;
                    Ok(Value::String(e.text.trim().to_owned()))
                })
                .collect::<Result<_, FieldError>>()?,
        ),
        Kind::SubscriptionAddress => strings(first, &["Imsi", "Msisdn"])?,
        Kind::Typed(ty) => super::eis_read::typed_json(first, ty)?,
        Kind::Pol2 => Value::Array(
            first
                .children
                .iter()
                .map(|r| {
                    if r.name == "Rule" {
                        strings(r, &["Subject", "Action", "Qualification"])
                    } else {
                        Err(invalid(&r.name, "unknown element in Pol2"))
                    }
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// The JSON body of `function`'s endpoint from its request element.
///
/// # Errors
/// A missing required element, an unknown, repeated or malformed one.
pub fn request_json(function: &SoapFunction, body: &Element) -> Result<Value, FieldError> {
    let fields: Vec<&Field> = HEADER.iter().chain(function.fields).collect();
    if let Some(c) = body
        .children
        .iter()
        .find(|c| !fields.iter().any(|f| f.name == c.name))
    {
        return Err(invalid(&c.name, "unknown element"));
    }
    let mut o = Map::new();
    for f in fields {
        let all: Vec<&Element> = body.children_named(f.name).collect();
        if all.is_empty() {
            if f.required {
                return Err(FieldError::Missing(f.name));
            }
            continue;
        }
        o.insert(f.name.to_owned(), value(f.kind, &all)?);
    }
    Ok(Value::Object(o))
}

/// `true` for a name we may write as an element (an XML NCName of ASCII
/// letters, digits, `-`, `_`, `.`; not starting with a digit, `-` or `.`).
fn xml_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Appends `v` as element(s) `name` (a list repeats the element; `null`
/// writes nothing; a key that is no XML name is left out).
pub fn write_value(out: &mut String, name: &str, v: &Value) {
    if !xml_name(name) {
        tracing::debug!(
            name,
            "JSON key that is no XML name left out of a SOAP answer"
        );
        return;
    }
    match v {
        Value::Null => {}
        Value::Array(items) => {
            for i in items {
                write_value(out, name, i);
            }
        }
        Value::Object(o) => {
            out.push('<');
            out.push_str(name);
            out.push('>');
            for (k, x) in o {
                write_value(out, k, x);
            }
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        }
        Value::String(s) => write::text_element(out, name, s),
        Value::Bool(b) => write::text_element(out, name, if *b { "true" } else { "false" }),
        Value::Number(n) => write::text_element(out, name, &n.to_string()),
    }
}

/// The elements of a `…Response`, in the WSDL's order.
pub const RESPONSE_ELEMENTS: [&str; 5] = [
    "FunctionCallIdentifier",
    "ProcessingStart",
    "ProcessingEnd",
    "FunctionExecutionStatus",
    "Eis",
];

/// `FunctionExecutionStatus` in the XSD's order (SGP.02 §5.1.6.2:
/// `Status`, then `StatusCodeData` { `Subject`, `Reason`,
/// `SubjectIdentifier`, `Message` }).
pub fn write_status(out: &mut String, v: &Value) {
    out.push_str("<FunctionExecutionStatus>");
    if let Some(s) = v.get("Status") {
        write_value(out, "Status", s);
    }
    if let Some(d) = v.get("StatusCodeData") {
        out.push_str("<StatusCodeData>");
        for k in ["Subject", "Reason", "SubjectIdentifier", "Message"] {
            if let Some(x) = d.get(k) {
                write_value(out, k, x);
            }
        }
        out.push_str("</StatusCodeData>");
    }
    out.push_str("</FunctionExecutionStatus>");
}

/// Element `name` with the members of `v` named in `children`, in that
/// order (an XSD sequence).
fn write_ordered(out: &mut String, name: &str, children: &[&str], v: &Value) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    for c in children {
        if let Some(x) = v.get(*c) {
            write_value(out, c, x);
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// `function`'s `…Response` element from the operator API's answer.
pub fn response_xml(function: &SoapFunction, answer: &Value) -> String {
    let mut out = format!("<gsma:{}Response>", function.name);
    for name in RESPONSE_ELEMENTS {
        if name == "Eis" && !function.with_eis {
            continue;
        }
        match answer.get(name) {
            Some(v) if name == "FunctionExecutionStatus" => write_status(&mut out, v),
            Some(v) if name == "Eis" => {
                super::eis::write_typed(&mut out, name, v, &super::eis::EIS)
            }
            Some(v) => write_value(&mut out, name, v),
            None => {}
        }
    }
    for (_, name, _) in TEXT_ANSWERS.iter().filter(|x| x.0 == function.name) {
        if let Some(v) = answer.get(*name) {
            write_value(&mut out, name, v);
        }
    }
    for (_, name, _, children) in EXTRA_ANSWERS.iter().filter(|x| x.0 == function.name) {
        let items = answer.get(*name).and_then(Value::as_array);
        for item in items.into_iter().flatten() {
            write_ordered(&mut out, name, children, item);
        }
    }
    out.push_str("</gsma:");
    out.push_str(function.name);
    out.push_str("Response>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soap::functions::FUNCTIONS;
    use smsr::soap::{Envelope, Limits};

    fn body(xml: &str) -> Element {
        let env = format!(
            "<e:Envelope xmlns:e=\"{}\"><e:Body>{xml}</e:Body></e:Envelope>",
            smsr::soap::SOAP12_NS
        );
        Envelope::parse(env.as_bytes(), &Limits::DEFAULT)
            .unwrap()
            .body
    }

    fn function(name: &str) -> &'static SoapFunction {
        FUNCTIONS.iter().find(|f| f.name == name).unwrap()
    }

    // pySim's test EID (tests/unittests/test_euicc.py) and the TS.48 test
    // profiles' ICCIDs (shared/testdata/profiles/README.md).
    const EID: &str = "89049032123451234512345678901235";
    const ICCID: &str = "8949449999999990015";
    const ICCID2: &str = "89000123456789012341";

    #[test]
    fn a_request_becomes_the_endpoint_json() {
        let b = body(&format!(
            "<x><ValidityPeriod>60</ValidityPeriod><Eid>{EID}</Eid><Iccid>{ICCID}</Iccid>\
             <Pol2><Rule><Action>DISABLE</Action><Qualification>Not allowed</Qualification></Rule></Pol2></x>",
        ));
        let v = request_json(function("UpdatePolicyRules"), &b).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"ValidityPeriod": 60, "Eid": EID, "Iccid": ICCID,
                "Pol2": [{"Action": "DISABLE", "Qualification": "Not allowed"}]})
        );
        let b = body(&format!(
            "<x><Eid>{EID}</Eid><Iccid>{ICCID}</Iccid><Iccid>{ICCID2}</Iccid></x>"
        ));
        let v = request_json(function("AuditEIS"), &b).unwrap();
        assert_eq!(v["Iccid"], serde_json::json!([ICCID, ICCID2]));
    }

    #[test]
    fn bad_requests_are_refused_by_element() {
        let f = function("EnableProfile");
        assert_eq!(
            request_json(f, &body(&format!("<x><Eid>{EID}</Eid></x>"))),
            Err(FieldError::Missing("Iccid"))
        );
        for bad in [
            format!("<x><Eid>{EID}</Eid><Iccid>{ICCID}</Iccid><Extra/></x>"),
            format!("<x><Eid>{EID}</Eid><Eid>{EID}</Eid><Iccid>{ICCID}</Iccid></x>"),
            format!(
                "<x><Eid>{EID}</Eid><Iccid>{ICCID}</Iccid><ValidityPeriod>-1</ValidityPeriod></x>"
            ),
        ] {
            assert!(
                matches!(
                    request_json(f, &body(&bad)),
                    Err(FieldError::Invalid { .. })
                ),
                "{bad}"
            );
        }
    }

    /// Each element is checked against its SGP.02 type, in every position
    /// (a plain element, a repeated one, a child of a structure), with the
    /// element's subject.
    #[test]
    fn ill_typed_elements_are_refused_with_their_subject() {
        let cases = [
            (
                "EnableProfile",
                format!("<x><Eid>1</Eid><Iccid>{ICCID}</Iccid></x>"),
                "8.1.1",
            ),
            (
                "EnableProfile",
                format!("<x><Eid>{EID}</Eid><Iccid>8949449999999990016</Iccid></x>"),
                "8.2.1",
            ),
            (
                "AuditEIS",
                format!(
                    "<x><Eid>{EID}</Eid><Iccid>{ICCID}</Iccid><Iccid>89'; DROP TABLE eis;--😀</Iccid></x>"
                ),
                "8.2.1",
            ),
            (
                "ProfileDownloadCompleted",
                format!(
                    "<x><Eid>{EID}</Eid><Iccid>{ICCID}</Iccid>\
              <SubscriptionAddress><Msisdn>+31 6</Msisdn></SubscriptionAddress></x>"
                ),
                "1.6",
            ),
            (
                "SendData",
                format!("<x><Eid>{EID}</Eid><sd-aid>A000</sd-aid><Data>00</Data></x>"),
                "1.6",
            ),
        ];
        for (name, xml, subject) in cases {
            let e = request_json(function(name), &body(&xml)).unwrap_err();
            assert!(matches!(e, FieldError::Type(_)), "{xml}: {e}");
            assert_eq!(e.status_code().subject, subject, "{xml}");
            assert_eq!(e.status_code().reason, "2.1", "{xml}");
        }
    }

    #[test]
    fn a_get_plma_answer_lists_each_plma_in_the_xsd_order() {
        let a = serde_json::json!({
            "FunctionExecutionStatus": {"Status": "Executed-Success"},
            "Plma": [{"Function": ["GetEIS", "AuditEIS"], "M2MSP-id": "B", "Mno-id": "A"},
                     {"Function": ["CreateISDP"], "M2MSP-id": "C", "Mno-id": "A", "ProfileType": "T"}]
        });
        assert_eq!(
            response_xml(function("GetPLMA"), &a),
            "<gsma:GetPLMAResponse><FunctionExecutionStatus><Status>Executed-Success</Status>\
             </FunctionExecutionStatus><Plma><Mno-id>A</Mno-id><M2MSP-id>B</M2MSP-id>\
             <Function>GetEIS</Function><Function>AuditEIS</Function></Plma><Plma><Mno-id>A</Mno-id>\
             <M2MSP-id>C</M2MSP-id><ProfileType>T</ProfileType><Function>CreateISDP</Function></Plma>\
             </gsma:GetPLMAResponse>"
        );
        // Other functions never carry it.
        assert!(!response_xml(function("GetEIS"), &a).contains("Plma"));
    }

    /// ES3.SendData answers the eUICC's response (SGP.02 §5.4.5), which
    /// the SM-DP needs for its next step; no other function carries it.
    #[test]
    fn a_send_data_answer_carries_the_euicc_response() {
        let a = serde_json::json!({
            "FunctionExecutionStatus": {"Status": "Executed-Success"},
            "OperationId": 3, "EuiccResponseData": "9F46026982"
        });
        assert_eq!(
            response_xml(function("SendData"), &a),
            "<gsma:SendDataResponse><FunctionExecutionStatus><Status>Executed-Success</Status>\
             </FunctionExecutionStatus><EuiccResponseData>9F46026982</EuiccResponseData>\
             </gsma:SendDataResponse>"
        );
        assert!(!response_xml(function("EnableProfile"), &a).contains("EuiccResponseData"));
    }

    #[test]
    fn an_answer_becomes_the_response_element() {
        let a = serde_json::json!({
            "ProcessingStart": "2026-01-01T00:00:00.000Z",
            "OperationId": 7,
            "FunctionExecutionStatus": {"Status": "Failed",
                "StatusCodeData": {"Subject": "8.1.1", "Reason": "3.9", "Message": "a<b"}},
            "Eis": {"ProfileInfo": [{"Iccid": "1"}, {"Iccid": "2"}], "Smsr-id": "S", "bad key": 1}
        });
        let x = response_xml(function("AuditEIS"), &a);
        assert_eq!(
            x,
            "<gsma:AuditEISResponse><ProcessingStart>2026-01-01T00:00:00.000Z</ProcessingStart>\
             <FunctionExecutionStatus><Status>Failed</Status><StatusCodeData><Subject>8.1.1</Subject>\
             <Reason>3.9</Reason><Message>a&lt;b</Message></StatusCodeData></FunctionExecutionStatus>\
             <Eis><Smsr-id>S</Smsr-id><ProfileInfo><Iccid>1</Iccid></ProfileInfo><ProfileInfo><Iccid>2</Iccid>\
             </ProfileInfo></Eis></gsma:AuditEISResponse>"
        );
    }
}
