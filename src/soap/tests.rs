//! Envelope parsing: well-formed requests, and every refusal with its fault.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use alloc::format;
use alloc::string::String;

use super::*;

fn request(header: &str, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><e:Envelope xmlns:e=\"{SOAP12_NS}\" xmlns:a=\"{WSA_NS}\" \
         xmlns:g=\"{GSMA_NS}\"><e:Header>{header}</e:Header><e:Body>{body}</e:Body></e:Envelope>"
    )
}

const HEADERS: &str = "<a:MessageID>urn:uuid:1</a:MessageID>\
    <a:Action>http://gsma.com/ES4/ProfileManagement/ES4-GetEISRequest</a:Action>\
    <a:ReplyTo><a:Address>https://mno.example/cb</a:Address></a:ReplyTo>";

fn parse(s: &str) -> Result<Envelope, SoapError> {
    Envelope::parse(s.as_bytes(), &Limits::DEFAULT)
}

#[test]
fn a_request_parses_with_its_addressing_and_body() {
    let env = parse(&request(HEADERS, "<g:GetEIS><Eid>8900</Eid></g:GetEIS>")).unwrap();
    let (id, action) = env.addressing.required().unwrap();
    assert_eq!(id, "urn:uuid:1");
    assert!(action.ends_with("ES4-GetEISRequest"));
    assert_eq!(
        env.addressing.reply_to.as_deref(),
        Some("https://mno.example/cb")
    );
    assert_eq!(env.body.name, "GetEIS");
    assert_eq!(env.body.namespace.as_deref(), Some(GSMA_NS));
    assert_eq!(env.body.child("Eid").unwrap().text, "8900");
}

#[test]
fn soap11_is_a_version_mismatch() {
    let s = format!("<s:Envelope xmlns:s=\"{SOAP11_NS}\"><s:Body><x/></s:Body></s:Envelope>");
    let e = parse(&s).unwrap_err();
    assert_eq!(e, SoapError::VersionMismatch(SOAP11_NS.into()));
    let f = Fault::from_error(&e);
    assert_eq!(f.code, FaultCode::VersionMismatch);
    assert!(f.envelope("urn:x", None).contains("env:SupportedEnvelope"));
}

#[test]
fn malformed_xml_is_a_sender_fault() {
    let e = parse("<e:Envelope xmlns:e=\"x\"><unclosed>").unwrap_err();
    assert!(matches!(e, SoapError::Malformed(_)), "{e:?}");
    assert_eq!(Fault::from_error(&e).code, FaultCode::Sender);
    assert!(matches!(parse("\u{0}\u{1}"), Err(SoapError::Malformed(_))));
    assert!(matches!(
        Envelope::parse(&[0xff, 0xfe], &Limits::DEFAULT),
        Err(SoapError::Malformed(_))
    ));
}

#[test]
fn entity_expansion_is_refused_as_a_dtd() {
    // The "billion laughs" shape: never expanded, refused at the DTD.
    let bomb = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE e:Envelope [<!ENTITY a \"aaaaaaaaaa\">\
         <!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>\
         <e:Envelope xmlns:e=\"{SOAP12_NS}\"><e:Body><x>&c;</x></e:Body></e:Envelope>"
    );
    assert_eq!(parse(&bomb).unwrap_err(), SoapError::Dtd);
    // An external entity too.
    let xxe = format!(
        "<!DOCTYPE x [<!ENTITY f SYSTEM \"file:///etc/passwd\">]>\
         <e:Envelope xmlns:e=\"{SOAP12_NS}\"><e:Body><x>&f;</x></e:Body></e:Envelope>"
    );
    assert_eq!(parse(&xxe).unwrap_err(), SoapError::Dtd);
}

#[test]
fn deep_nesting_and_node_floods_are_refused() {
    let deep = request(
        HEADERS,
        &format!("{}{}", "<x>".repeat(5000), "</x>".repeat(5000)),
    );
    assert_eq!(parse(&deep).unwrap_err(), SoapError::TooDeep(32));
    let flood = request(HEADERS, &format!("<x>{}</x>", "<y/>".repeat(200_000)));
    assert_eq!(parse(&flood).unwrap_err(), SoapError::TooManyNodes(100_000));
}

#[test]
fn an_oversized_envelope_is_refused_before_parsing() {
    let big = alloc::vec![b'<'; Limits::DEFAULT.max_bytes + 1];
    assert!(matches!(
        Envelope::parse(&big, &Limits::DEFAULT),
        Err(SoapError::TooLarge { .. })
    ));
}

#[test]
fn missing_message_id_or_action_is_header_required() {
    let env = parse(&request("", "<g:GetEIS/>")).unwrap();
    let e = env.addressing.required().unwrap_err();
    assert_eq!(e, SoapError::AddressingHeaderRequired("MessageID"));
    let f = Fault::from_error(&e);
    assert_eq!(f.subcodes, ["wsa:MessageAddressingHeaderRequired"]);
    assert!(
        f.envelope("urn:x", None)
            .contains("wsa:ProblemHeaderQName>wsa:MessageID<")
    );
    let env = parse(&request("<a:MessageID>m</a:MessageID>", "<g:GetEIS/>")).unwrap();
    assert_eq!(
        env.addressing.required().unwrap_err(),
        SoapError::AddressingHeaderRequired("Action")
    );
}

#[test]
fn repeated_or_empty_addressing_headers_are_invalid() {
    let twice = format!("{HEADERS}<a:MessageID>urn:uuid:2</a:MessageID>");
    assert_eq!(
        parse(&request(&twice, "<g:GetEIS/>")).unwrap_err(),
        SoapError::InvalidAddressingHeader {
            header: "MessageID",
            problem: "InvalidCardinality"
        }
    );
    let empty = "<a:ReplyTo><a:Address> </a:Address></a:ReplyTo>";
    assert!(matches!(
        parse(&request(empty, "<g:GetEIS/>")),
        Err(SoapError::InvalidAddressingHeader {
            header: "ReplyTo",
            ..
        })
    ));
}

#[test]
fn structure_errors_and_must_understand() {
    let no_body = format!("<e:Envelope xmlns:e=\"{SOAP12_NS}\"><e:Header/></e:Envelope>");
    assert!(matches!(parse(&no_body), Err(SoapError::Structure(_))));
    assert!(matches!(
        parse(&request(HEADERS, "")),
        Err(SoapError::Structure(_))
    ));
    assert!(matches!(
        parse(&request(HEADERS, "<a/><b/>")),
        Err(SoapError::Structure(_))
    ));
    assert!(matches!(
        parse("<Envelope/>"),
        Err(SoapError::VersionMismatch(_))
    ));
    let mu = format!("{HEADERS}<x:Sec xmlns:x=\"urn:x\" e:mustUnderstand=\"true\"/>");
    let e = parse(&request(&mu, "<g:GetEIS/>")).unwrap_err();
    assert_eq!(e, SoapError::MustUnderstand("Sec".into()));
    assert_eq!(Fault::from_error(&e).code, FaultCode::MustUnderstand);
    // A header we do not know without mustUnderstand is ignored.
    let other = format!("{HEADERS}<x:Info xmlns:x=\"urn:x\">1</x:Info>");
    assert!(parse(&request(&other, "<g:GetEIS/>")).is_ok());
}

#[test]
fn the_fault_envelope_reparses_as_soap12() {
    let f = Fault::action_not_supported("urn:nope<&>");
    let xml = f.envelope("urn:uuid:9", Some("urn:uuid:1"));
    let env = parse(&xml).unwrap();
    assert_eq!(env.body.name, "Fault");
    assert_eq!(env.addressing.relates_to.as_deref(), Some("urn:uuid:1"));
    assert_eq!(env.addressing.action.as_deref(), Some(WSA_FAULT_ACTION));
    let code = env.body.child("Code").unwrap();
    assert_eq!(code.child("Value").unwrap().text, "env:Sender");
    assert_eq!(
        code.child("Subcode").unwrap().child("Value").unwrap().text,
        "wsa:ActionNotSupported"
    );
    assert!(xml.contains("urn:nope&lt;&amp;&gt;"));
}
