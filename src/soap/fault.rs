//! SOAP 1.2 faults (SOAP 1.2 Part 1 §5.4) with the WS-Addressing 1.0
//! fault subcodes (SOAP Binding §6.4) and the HTTP status each gets (SOAP
//! 1.2 Part 2 §7.5.1.2).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::write::{self, Headers};
use super::{SoapError, WSA_FAULT_ACTION};

/// The SOAP 1.2 fault code (Part 1 §5.4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCode {
    /// `env:VersionMismatch`: not a SOAP 1.2 envelope.
    VersionMismatch,
    /// `env:MustUnderstand`: a mandatory header was not understood.
    MustUnderstand,
    /// `env:Sender`: the message is wrong.
    Sender,
    /// `env:Receiver`: we failed.
    Receiver,
}

impl FaultCode {
    /// The code's QName (prefix `env`).
    pub const fn qname(self) -> &'static str {
        match self {
            Self::VersionMismatch => "env:VersionMismatch",
            Self::MustUnderstand => "env:MustUnderstand",
            Self::Sender => "env:Sender",
            Self::Receiver => "env:Receiver",
        }
    }

    /// The HTTP status of a fault with this code (Part 2 §7.5.1.2 table
    /// 20): 400 for `Sender`, 500 otherwise.
    pub const fn http_status(self) -> u16 {
        match self {
            Self::Sender => 400,
            _ => 500,
        }
    }
}

/// A SOAP fault to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The code.
    pub code: FaultCode,
    /// Nested subcodes, outermost first, as QNames with the `wsa` or `gsma`
    /// prefix (declared by [`write::envelope`]).
    pub subcodes: Vec<&'static str>,
    /// The human-readable reason (`env:Reason/env:Text`).
    pub reason: String,
    /// `env:Detail` content, an XML fragment (already escaped).
    pub detail: Option<String>,
    /// The `wsa:Action` of the fault message.
    pub action: &'static str,
}

/// The WS-Addressing action of SOAP-defined faults (SOAP Binding §6).
pub const SOAP_FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/soap/fault";

impl Fault {
    /// A fault with no subcode or detail.
    pub fn new(code: FaultCode, reason: String) -> Self {
        Self {
            code,
            subcodes: Vec::new(),
            reason,
            detail: None,
            action: SOAP_FAULT_ACTION,
        }
    }

    /// `wsa:ActionNotSupported` (SOAP Binding §6.4.4) for `action`.
    pub fn action_not_supported(action: &str) -> Self {
        let mut detail = String::from("<wsa:ProblemAction>");
        write::text_element(&mut detail, "wsa:Action", action);
        detail.push_str("</wsa:ProblemAction>");
        Self {
            code: FaultCode::Sender,
            subcodes: alloc::vec!["wsa:ActionNotSupported"],
            reason: format!("the action {action:?} is not supported by this endpoint"),
            detail: Some(detail),
            action: WSA_FAULT_ACTION,
        }
    }

    /// The fault for an envelope refused with `e`.
    pub fn from_error(e: &SoapError) -> Self {
        let reason = format!("{e}");
        match e {
            SoapError::VersionMismatch(_) => Self::new(FaultCode::VersionMismatch, reason),
            SoapError::MustUnderstand(_) => Self::new(FaultCode::MustUnderstand, reason),
            SoapError::AddressingHeaderRequired(h) => Self::addressing(
                alloc::vec!["wsa:MessageAddressingHeaderRequired"],
                h,
                reason,
            ),
            SoapError::InvalidAddressingHeader { header, problem } => Self::addressing(
                alloc::vec!["wsa:InvalidAddressingHeader", subsubcode(problem)],
                header,
                reason,
            ),
            _ => Self::new(FaultCode::Sender, reason),
        }
    }

    /// A WS-Addressing fault naming the problem header
    /// (`wsa:ProblemHeaderQName`, SOAP Binding §6.4).
    fn addressing(subcodes: Vec<&'static str>, header: &str, reason: String) -> Self {
        let mut detail = String::new();
        write::text_element(
            &mut detail,
            "wsa:ProblemHeaderQName",
            &format!("wsa:{header}"),
        );
        Self {
            code: FaultCode::Sender,
            subcodes,
            reason,
            detail: Some(detail),
            action: WSA_FAULT_ACTION,
        }
    }

    /// The whole fault envelope, relating to `relates_to` (the request's
    /// `MessageID`, when known) and carrying `message_id`.
    pub fn envelope(&self, message_id: &str, relates_to: Option<&str>) -> String {
        let mut body = String::from("<env:Fault><env:Code><env:Value>");
        body.push_str(self.code.qname());
        body.push_str("</env:Value>");
        for s in &self.subcodes {
            body.push_str("<env:Subcode><env:Value>");
            body.push_str(s);
            body.push_str("</env:Value>");
        }
        for _ in &self.subcodes {
            body.push_str("</env:Subcode>");
        }
        body.push_str("</env:Code><env:Reason><env:Text xml:lang=\"en\">");
        write::escape(&self.reason, &mut body);
        body.push_str("</env:Text></env:Reason>");
        if let Some(d) = &self.detail {
            body.push_str("<env:Detail>");
            body.push_str(d);
            body.push_str("</env:Detail>");
        }
        body.push_str("</env:Fault>");
        // SOAP 1.2 Part 1 §5.4.7: a VersionMismatch names the envelope
        // versions we support.
        let upgrade = if self.code == FaultCode::VersionMismatch {
            "<env:Upgrade><env:SupportedEnvelope qname=\"env:Envelope\"/></env:Upgrade>"
        } else {
            ""
        };
        let headers = Headers {
            to: None,
            action: self.action,
            message_id,
            relates_to,
        };
        write::envelope(&headers, upgrade, &body)
    }
}

/// The prefixed WS-Addressing subsubcode for a problem's local name.
fn subsubcode(problem: &str) -> &'static str {
    match problem {
        "InvalidCardinality" => "wsa:InvalidCardinality",
        "ActionMismatch" => "wsa:ActionMismatch",
        _ => "wsa:InvalidAddress",
    }
}
