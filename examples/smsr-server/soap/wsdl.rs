//! Our WSDL 1.1 with its XSD (served at `?wsdl`), generated from the
//! function table so that the two cannot disagree: one portType and one
//! SOAP 1.2 document/literal binding per interface (ES3, ES4), one
//! operation per function with its WS-Addressing actions (`wsam:Action`,
//! WS-Addressing 1.0 Metadata §4.4), request and `…Response` elements in
//! the SGP.02 namespace with unqualified children (as SGP.02's examples
//! and njiwa write them); the EIS of the GetEIS / AuditEIS / CreateISDP
//! answers and the identifiers of the requests have their own types
//! (`eis.rs`); and the callback port types the MNO and SM-DP implement
//! for the SM-SR's Handle*Notification (`ES3Callback`, `ES4Callback`,
//! one-way operations, no port of ours).

use std::collections::BTreeSet;

use smsr::inventory::notify::NotificationKind;
use smsr::soap::GSMA_NS;

use super::convert::RESPONSE_ELEMENTS;
use super::eis;
use super::functions::{
    EXTRA_ANSWERS, FUNCTIONS, Field, HEADER, Interface, Kind, ONC_ELEMENTS, PLMA_ELEMENTS,
    SoapFunction, TEXT_ANSWERS,
};

/// The XSD type of an element kind.
fn xsd_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text | Kind::Repeated => "xs:string",
        Kind::Number => "xs:unsignedLong",
        Kind::Bool => "xs:boolean",
        Kind::SubscriptionAddress => "tns:SubscriptionAddressType",
        Kind::Pol2 => "tns:POL2Type",
        Kind::Typed(t) => t.name,
    }
}

fn element(out: &mut String, f: &Field) {
    let max = if f.kind == Kind::Repeated {
        " maxOccurs=\"unbounded\""
    } else {
        ""
    };
    let min = if f.required { "" } else { " minOccurs=\"0\"" };
    let ty = match f.kind {
        Kind::Text | Kind::Repeated => eis::simple_type(f.name).to_owned(),
        Kind::Typed(t) => format!("tns:{}", t.name),
        other => xsd_type(other).to_owned(),
    };
    out.push_str(&format!(
        "<xs:element name=\"{}\" type=\"{ty}\"{min}{max}/>",
        f.name
    ));
}

/// The complex types the EIS types (`eis.rs`) do not already declare:
/// `POL2Type` of the requests.
const TYPES: &str = "\
<xs:complexType name=\"POL2Type\"><xs:sequence>\
<xs:element name=\"Rule\" type=\"tns:POL2RuleType\" minOccurs=\"0\" maxOccurs=\"unbounded\"/>\
</xs:sequence></xs:complexType>";

/// `PLMAType`: a PLMA as GetPLMA answers it, its children in
/// [`PLMA_ELEMENTS`]' order (`inventory::Plma`'s element names).
fn plma_type(out: &mut String) {
    out.push_str("<xs:complexType name=\"PLMAType\"><xs:sequence>");
    for c in PLMA_ELEMENTS {
        let occurs = match *c {
            "ProfileType" => " minOccurs=\"0\"",
            "Function" => " minOccurs=\"0\" maxOccurs=\"unbounded\"",
            _ => "",
        };
        out.push_str(&format!(
            "<xs:element name=\"{c}\" type=\"xs:string\"{occurs}/>"
        ));
    }
    out.push_str("</xs:sequence></xs:complexType>");
}

/// `ONCType`: an ONC as GetONC answers it, its children in
/// [`ONC_ELEMENTS`]' order (`inventory::Onc`'s element names).
fn onc_type(out: &mut String) {
    out.push_str("<xs:complexType name=\"ONCType\"><xs:sequence>");
    for c in ONC_ELEMENTS {
        let occurs = match *c {
            "ProfileType" => " minOccurs=\"0\"",
            "DiscardedNotification" => " minOccurs=\"0\" maxOccurs=\"unbounded\"",
            _ => "",
        };
        out.push_str(&format!(
            "<xs:element name=\"{c}\" type=\"xs:string\"{occurs}/>"
        ));
    }
    out.push_str("</xs:sequence></xs:complexType>");
}

/// The request and response elements, once per function name.
fn schema(out: &mut String) {
    out.push_str(&format!(
        "<xs:schema targetNamespace=\"{GSMA_NS}\" elementFormDefault=\"unqualified\">{TYPES}"
    ));
    eis::simple_types(out);
    eis::complex_types(out);
    eis::complex_type(out, &super::register::SECRETS);
    plma_type(out);
    onc_type(out);
    let mut seen = BTreeSet::new();
    for f in FUNCTIONS.iter().filter(|f| seen.insert(f.name)) {
        out.push_str(&format!(
            "<xs:element name=\"{}\"><xs:complexType><xs:sequence>",
            f.name
        ));
        for field in HEADER.iter().chain(f.fields) {
            element(out, field);
        }
        out.push_str(&format!(
            "</xs:sequence></xs:complexType></xs:element><xs:element name=\"{}Response\">\
             <xs:complexType><xs:sequence>",
            f.name
        ));
        for name in RESPONSE_ELEMENTS {
            let (ty, min) = match name {
                "FunctionExecutionStatus" => ("tns:FunctionExecutionStatusType", ""),
                "Eis" if f.with_eis => ("tns:EISType", " minOccurs=\"0\""),
                "Eis" => continue,
                "ProcessingStart" | "ProcessingEnd" => ("xs:dateTime", " minOccurs=\"0\""),
                _ => ("xs:string", " minOccurs=\"0\""),
            };
            out.push_str(&format!("<xs:element name=\"{name}\" type=\"{ty}\"{min}/>"));
        }
        for (_, name, ty) in TEXT_ANSWERS.iter().filter(|x| x.0 == f.name) {
            out.push_str(&format!(
                "<xs:element name=\"{name}\" type=\"{ty}\" minOccurs=\"0\"/>"
            ));
        }
        for (_, name, ty, _) in EXTRA_ANSWERS.iter().filter(|x| x.0 == f.name) {
            out.push_str(&format!(
                "<xs:element name=\"{name}\" type=\"{ty}\" minOccurs=\"0\" maxOccurs=\"unbounded\"/>"
            ));
        }
        out.push_str("</xs:sequence></xs:complexType></xs:element>");
    }
    callback_elements(out);
    out.push_str("</xs:schema>");
}

fn message_name(f: &SoapFunction) -> String {
    format!("{}-{}", f.interface.name(), f.name)
}

fn in_interface(i: Interface) -> impl Iterator<Item = &'static SoapFunction> {
    FUNCTIONS.iter().filter(move |f| f.interface == i)
}

fn port_types(out: &mut String, interfaces: &[Interface]) {
    for f in FUNCTIONS {
        let m = message_name(f);
        out.push_str(&format!(
            "<wsdl:message name=\"{m}\"><wsdl:part name=\"parameters\" element=\"tns:{0}\"/></wsdl:message>\
             <wsdl:message name=\"{m}Response\"><wsdl:part name=\"parameters\" element=\"tns:{0}Response\"/>\
             </wsdl:message>",
            f.name
        ));
    }
    for &i in interfaces {
        out.push_str(&format!("<wsdl:portType name=\"{}\">", i.name()));
        for f in in_interface(i) {
            let (m, req, resp) = (message_name(f), f.request_action(), f.response_action());
            out.push_str(&format!(
                "<wsdl:operation name=\"{}\"><wsdl:input message=\"tns:{m}\" wsam:Action=\"{req}\" \
                 wsaw:Action=\"{req}\"/><wsdl:output message=\"tns:{m}Response\" wsam:Action=\"{resp}\" \
                 wsaw:Action=\"{resp}\"/></wsdl:operation>",
                f.name
            ));
        }
        out.push_str("</wsdl:portType>");
    }
}

fn bindings(out: &mut String, interfaces: &[Interface], location: &str) {
    for &i in interfaces {
        out.push_str(&format!(
            "<wsdl:binding name=\"{0}Binding\" type=\"tns:{0}\"><wsaw:UsingAddressing wsdl:required=\"true\"/>\
             <soap12:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>",
            i.name()
        ));
        for f in in_interface(i) {
            out.push_str(&format!(
                "<wsdl:operation name=\"{}\"><soap12:operation soapAction=\"{}\"/>\
                 <wsdl:input><soap12:body use=\"literal\"/></wsdl:input>\
                 <wsdl:output><soap12:body use=\"literal\"/></wsdl:output></wsdl:operation>",
                f.name,
                f.request_action()
            ));
        }
        out.push_str("</wsdl:binding>");
    }
    out.push_str("<wsdl:service name=\"SMSR\">");
    for &i in interfaces {
        out.push_str(&format!(
            "<wsdl:port name=\"{0}Port\" binding=\"tns:{0}Binding\"><soap12:address location=\"",
            i.name()
        ));
        smsr::soap::write::escape(location, out);
        out.push_str("\"/></wsdl:port>");
    }
    out.push_str("</wsdl:service>");
}

/// The notifications each callback port type carries: every kind on ES3
/// (the SM-DP's) and ES4 (the MNO's) (`smsr::inventory::notify`).
const CALLBACK_INTERFACES: [&str; 2] = ["ES3", "ES4"];

/// The notification elements (SGP.02 §5.1.3 handlers: the SM-SR as
/// `FunctionRequesterIdentifier`, then `Eid`, `Iccid`,
/// `CompletionTimeStamp`), their one-way messages, and per interface the
/// callback port type the MNO / SM-DP implements (`{IF}Callback`) with its
/// SOAP 1.2 binding; no port: the endpoints are the peers'
/// (`Es.Notifications`).
/// HandlePLMASettingNotification carries the PLMA (`PLMAType`) in place
/// of `Eid` and `Iccid`.
fn callback_elements(out: &mut String) {
    for k in NotificationKind::ALL {
        if k == NotificationKind::PlmaSetting {
            out.push_str(&format!(
                "<xs:element name=\"{}\"><xs:complexType><xs:sequence>\
                 <xs:element name=\"FunctionRequesterIdentifier\" type=\"xs:string\"/>\
                 <xs:element name=\"Plma\" type=\"tns:PLMAType\"/>\
                 <xs:element name=\"CompletionTimeStamp\" type=\"xs:dateTime\"/>\
                 </xs:sequence></xs:complexType></xs:element>",
                k.name()
            ));
            continue;
        }
        out.push_str(&format!(
            "<xs:element name=\"{}\"><xs:complexType><xs:sequence>\
             <xs:element name=\"FunctionRequesterIdentifier\" type=\"xs:string\"/>\
             <xs:element name=\"Eid\" type=\"xs:string\"/>\
             <xs:element name=\"Iccid\" type=\"xs:string\" minOccurs=\"0\"/>\
             <xs:element name=\"CompletionTimeStamp\" type=\"xs:dateTime\"/>\
             </xs:sequence></xs:complexType></xs:element>",
            k.name()
        ));
    }
}

/// The callback messages, port types and bindings (see
/// [`callback_elements`]).
fn callbacks(out: &mut String) {
    for i in CALLBACK_INTERFACES {
        for k in NotificationKind::ALL {
            out.push_str(&format!(
                "<wsdl:message name=\"{i}-{0}\"><wsdl:part name=\"parameters\" element=\"tns:{0}\"/>\
                 </wsdl:message>",
                k.name()
            ));
        }
        out.push_str(&format!("<wsdl:portType name=\"{i}Callback\">"));
        for k in NotificationKind::ALL {
            let a = super::notify::action(i, k.name());
            out.push_str(&format!(
                "<wsdl:operation name=\"{0}\"><wsdl:input message=\"tns:{i}-{0}\" \
                 wsam:Action=\"{a}\" wsaw:Action=\"{a}\"/></wsdl:operation>",
                k.name()
            ));
        }
        out.push_str(&format!(
            "</wsdl:portType><wsdl:binding name=\"{i}CallbackBinding\" type=\"tns:{i}Callback\">\
             <wsaw:UsingAddressing wsdl:required=\"true\"/>\
             <soap12:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>"
        ));
        for k in NotificationKind::ALL {
            out.push_str(&format!(
                "<wsdl:operation name=\"{}\"><soap12:operation soapAction=\"{}\"/>\
                 <wsdl:input><soap12:body use=\"literal\"/></wsdl:input></wsdl:operation>",
                k.name(),
                super::notify::action(i, k.name())
            ));
        }
        out.push_str("</wsdl:binding>");
    }
}

/// The WSDL, with the ports at `location`.
pub fn document(location: &str) -> String {
    let interfaces: Vec<Interface> = Interface::ALL
        .into_iter()
        .filter(|&i| in_interface(i).next().is_some())
        .collect();
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><wsdl:definitions name=\"SMSR\" \
         targetNamespace=\"{GSMA_NS}\" xmlns:tns=\"{GSMA_NS}\" \
         xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" \
         xmlns:soap12=\"http://schemas.xmlsoap.org/wsdl/soap12/\" \
         xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" \
         xmlns:wsam=\"http://www.w3.org/2007/05/addressing/metadata\" \
         xmlns:wsaw=\"http://www.w3.org/2006/05/addressing/wsdl\"><wsdl:types>"
    );
    schema(&mut out);
    out.push_str("</wsdl:types>");
    port_types(&mut out, &interfaces);
    bindings(&mut out, &interfaces, location);
    callbacks(&mut out);
    out.push_str("</wsdl:definitions>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wsdl_is_well_formed_and_names_every_action() {
        let w = document("https://127.0.0.1:1/es");
        let doc = roxmltree_free_check(&w);
        assert!(doc);
        for f in FUNCTIONS {
            assert!(w.contains(&format!("wsam:Action=\"{}\"", f.request_action())));
            assert!(w.contains(&format!("soapAction=\"{}\"", f.request_action())));
        }
        assert!(
            w.contains("<wsdl:port name=\"ES1Port\""),
            "ES1.RegisterEIS has its port"
        );
        for i in CALLBACK_INTERFACES {
            assert!(w.contains(&format!("<wsdl:portType name=\"{i}Callback\">")));
            for k in NotificationKind::ALL {
                let a = super::super::notify::action(i, k.name());
                assert!(w.contains(&format!("wsam:Action=\"{a}\"")), "{a}");
            }
        }
    }

    /// Well-formedness through the library parser (a WSDL is no SOAP
    /// envelope, so wrap nothing: the parser's structure error means the XML
    /// itself parsed).
    fn roxmltree_free_check(w: &str) -> bool {
        matches!(
            smsr::soap::Envelope::parse(
                w.as_bytes(),
                &smsr::soap::Limits {
                    max_bytes: 1 << 22,
                    max_depth: 32,
                    max_nodes: 1_000_000
                }
            ),
            Err(smsr::soap::SoapError::Structure(_))
        )
    }
}
