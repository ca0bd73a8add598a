//! The SOAP function table: every ES1/ES3/ES4 function the server
//! implements, one entry each, with its WS-Addressing actions, request
//! elements and the operator-API endpoint that runs it.
//!
//! Action URIs follow the pattern of the one public reading (njiwa's
//! WSDLs: `http://gsma.com/{IF}/{Group}/{IF}-{Function}` and the
//! `…CallBack` group for answers), with njiwa's typo `ProfileManagent`
//! corrected to `ProfileManagement` and its `…Request` suffix (on GetEIS
//! and RegisterEIS only) not followed, so every function has the same
//! shape. Element names are SGP.02's (`Eid`, `Iccid`, `Mno-id`, `sd-aid`,
//! `Pol2`, …), as the JSON API and the EIS type spell them.

use crate::config::Role;

/// An SGP.02 interface served here (SGP.02 §5.3-§5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interface {
    /// ES1: EUM → SM-SR.
    Es1,
    /// ES3: SM-DP → SM-SR.
    Es3,
    /// ES4: MNO → SM-SR.
    Es4,
}

impl Interface {
    /// `ES1`, `ES3`, `ES4`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Es1 => "ES1",
            Self::Es3 => "ES3",
            Self::Es4 => "ES4",
        }
    }

    /// The role a caller needs for it.
    pub const fn role(self) -> Role {
        match self {
            Self::Es1 => Role::Eum,
            Self::Es3 => Role::Smdp,
            Self::Es4 => Role::Mno,
        }
    }

    /// Every interface, in WSDL order.
    pub const ALL: [Self; 3] = [Self::Es1, Self::Es3, Self::Es4];
}

/// How a request element becomes JSON for the operator API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text, as a JSON string.
    Text,
    /// A non-negative integer (`xs:unsignedLong` / `xs:unsignedInt`).
    Number,
    /// `xs:boolean`.
    Bool,
    /// A repeated text element, as a JSON list of strings.
    Repeated,
    /// `SubscriptionAddressType`: `Imsi`, `Msisdn` children.
    SubscriptionAddress,
    /// `POL2Type`: `Rule` children of `Subject`, `Action`, `Qualification`.
    Pol2,
    /// A complex type read by the schema reader (`smsr::soap::schema`),
    /// e.g. RegisterEIS's `EISType`.
    Typed(&'static smsr::soap::schema::XsdType),
}

/// One request element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Element (and JSON) name.
    pub name: &'static str,
    /// Its type.
    pub kind: Kind,
    /// Must be present.
    pub required: bool,
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

/// The request header elements of every function (SGP.02 §5.1 "function
/// request header"): carried first in each request element.
pub const HEADER: [Field; 3] = [
    opt("FunctionRequesterIdentifier", Kind::Text),
    opt("FunctionCallIdentifier", Kind::Text),
    opt("ValidityPeriod", Kind::Number),
];

const EID: Field = req("Eid", Kind::Text);
const ICCID: Field = req("Iccid", Kind::Text);
const ON_PROFILE: &[Field] = &[EID, ICCID];

/// One function of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoapFunction {
    /// Its interface.
    pub interface: Interface,
    /// SGP.02 name (the request element; `…Response` answers).
    pub name: &'static str,
    /// The action group.
    pub group: &'static str,
    /// The operator-API endpoint `(interface, function)` that runs it.
    pub endpoint: (&'static str, &'static str),
    /// Request elements after [`HEADER`].
    pub fields: &'static [Field],
    /// The answer carries the EIS (`Eis`).
    pub with_eis: bool,
}

const PM: &str = "ProfileManagement";
const EM: &str = "eUICCManagement";
/// The action group of the PLMA functions (SGP.02 v4 ES4A; the group name
/// is ours, the GSMA WSDL's is UNCONFIRMED).
const PLMA: &str = "PLMAManagement";

/// ES4.SetPLMA's request elements ([`crate::api`]'s `SetPLMA`).
const SET_PLMA: &[Field] = &[
    opt("Mno-id", Kind::Text),
    req("M2MSP-id", Kind::Text),
    opt("ProfileType", Kind::Text),
    opt("Function", Kind::Repeated),
];

/// The children of a `PLMAType`, in the XSD's order.
pub const PLMA_ELEMENTS: &[&str] = &["Mno-id", "M2MSP-id", "ProfileType", "Function"];

/// The action group of the ONC functions (SGP.02 v4 ES4A; the group name
/// is ours, the GSMA WSDL's is UNCONFIRMED).
const ONC: &str = "ONCManagement";

/// ES4A.SetONC's request elements ([`crate::api`]'s `SetONC`).
const SET_ONC: &[Field] = &[
    opt("Mno-id", Kind::Text),
    opt("ProfileType", Kind::Text),
    opt("DiscardedNotification", Kind::Repeated),
];

/// The children of an `ONCType`, in the XSD's order.
pub const ONC_ELEMENTS: &[&str] = &["Mno-id", "ProfileType", "DiscardedNotification"];

/// Answer elements some functions carry beyond
/// [`crate::soap::convert::RESPONSE_ELEMENTS`] (after them, repeated):
/// function, element, XSD type, its children in the XSD's order.
pub const EXTRA_ANSWERS: &[(&str, &str, &str, &[&str])] = &[
    ("GetPLMA", "Plma", "tns:PLMAType", PLMA_ELEMENTS),
    ("GetONC", "Onc", "tns:ONCType", ONC_ELEMENTS),
    (
        "GetAuthorisationsOfM2MSP",
        "Plma",
        "tns:PLMAType",
        PLMA_ELEMENTS,
    ),
];

/// Text answer elements some functions carry after
/// [`crate::soap::convert::RESPONSE_ELEMENTS`] (before
/// [`EXTRA_ANSWERS`]): function, element, XSD type. ES3.SendData answers
/// the eUICC's response as `EuiccResponseData` (SGP.02 §5.4.5; the JSON
/// API's field).
pub const TEXT_ANSWERS: &[(&str, &str, &str)] = &[("SendData", "EuiccResponseData", "xs:string")];

const fn f(
    interface: Interface,
    name: &'static str,
    group: &'static str,
    endpoint: (&'static str, &'static str),
    fields: &'static [Field],
    with_eis: bool,
) -> SoapFunction {
    SoapFunction {
        interface,
        name,
        group,
        endpoint,
        fields,
        with_eis,
    }
}

use Interface::{Es1, Es3, Es4};

/// The functions, ES1, ES3 then ES4 (SGP.02 §5.3-§5.5, as the server
/// implements them). ES1.RegisterEIS carries the `Eis` (our `EISType`) and
/// the keys (`Secrets`, ours: `soap::register`).
pub const FUNCTIONS: &[SoapFunction] = &[
    f(
        Es1,
        "RegisterEIS",
        EM,
        ("es1", "RegisterEIS"),
        &[
            req("Eis", Kind::Typed(&smsr::soap::eis_type::EIS)),
            req("Secrets", Kind::Typed(&super::register::SECRETS)),
        ],
        false,
    ),
    f(Es3, "GetEIS", EM, ("es4", "GetEIS"), &[EID], true),
    f(
        Es3,
        "AuditEIS",
        EM,
        ("es4", "AuditEIS"),
        &[EID, opt("Iccid", Kind::Repeated)],
        true,
    ),
    f(
        Es3,
        "CreateISDP",
        PM,
        ("es3", "CreateISDP"),
        &[
            EID,
            ICCID,
            req("Mno-id", Kind::Text),
            opt("RequiredMemory", Kind::Number),
            opt("moreToDo", Kind::Bool),
        ],
        true,
    ),
    f(
        Es3,
        "SendData",
        PM,
        ("es3", "SendData"),
        &[
            EID,
            req("sd-aid", Kind::Text),
            req("Data", Kind::Text),
            opt("moreToDo", Kind::Bool),
        ],
        false,
    ),
    f(
        Es3,
        "ProfileDownloadCompleted",
        PM,
        ("es3", "ProfileDownloadCompleted"),
        &[
            EID,
            ICCID,
            opt("ProfileType", Kind::Text),
            opt("SubscriptionAddress", Kind::SubscriptionAddress),
            opt("Pol2", Kind::Pol2),
        ],
        false,
    ),
    f(
        Es3,
        "UpdatePolicyRules",
        PM,
        ("es4", "UpdatePolicyRules"),
        &[EID, ICCID, req("Pol2", Kind::Pol2)],
        false,
    ),
    f(
        Es3,
        "UpdateConnectivityParameters",
        PM,
        ("es4", "UpdateConnectivityParameters"),
        &[EID, ICCID, req("ConnectivityParameters", Kind::Text)],
        false,
    ),
    f(
        Es3,
        "EnableProfile",
        PM,
        ("es4", "EnableProfile"),
        ON_PROFILE,
        false,
    ),
    f(
        Es3,
        "DisableProfile",
        PM,
        ("es4", "DisableProfile"),
        ON_PROFILE,
        false,
    ),
    f(
        Es3,
        "DeleteISDP",
        PM,
        ("es4", "DeleteProfile"),
        ON_PROFILE,
        false,
    ),
    f(
        Es3,
        "SetFallBackAttribute",
        PM,
        ("es4", "SetFallbackAttribute"),
        ON_PROFILE,
        false,
    ),
    f(
        Es3,
        "SetEmergencyProfileAttribute",
        PM,
        ("es4", "SetEmergencyProfileAttribute"),
        ON_PROFILE,
        false,
    ),
    f(Es4, "GetEIS", EM, ("es4", "GetEIS"), &[EID], true),
    f(
        Es4,
        "AuditEIS",
        EM,
        ("es4", "AuditEIS"),
        &[EID, opt("Iccid", Kind::Repeated)],
        true,
    ),
    f(
        Es4,
        "EnableProfile",
        PM,
        ("es4", "EnableProfile"),
        ON_PROFILE,
        false,
    ),
    f(
        Es4,
        "DisableProfile",
        PM,
        ("es4", "DisableProfile"),
        ON_PROFILE,
        false,
    ),
    f(
        Es4,
        "DeleteProfile",
        PM,
        ("es4", "DeleteProfile"),
        ON_PROFILE,
        false,
    ),
    f(
        Es4,
        "UpdatePolicyRules",
        PM,
        ("es4", "UpdatePolicyRules"),
        &[EID, ICCID, req("Pol2", Kind::Pol2)],
        false,
    ),
    f(
        Es4,
        "SetFallBackAttribute",
        PM,
        ("es4", "SetFallbackAttribute"),
        ON_PROFILE,
        false,
    ),
    f(
        Es4,
        "SetEmergencyProfileAttribute",
        PM,
        ("es4", "SetEmergencyProfileAttribute"),
        ON_PROFILE,
        false,
    ),
    f(
        Es4,
        "UpdateSubscriptionAddress",
        PM,
        ("es4", "UpdateSubscriptionAddress"),
        &[
            EID,
            ICCID,
            req("SubscriptionAddress", Kind::SubscriptionAddress),
        ],
        false,
    ),
    f(Es4, "SetPLMA", PLMA, ("es4", "SetPLMA"), SET_PLMA, false),
    f(Es4, "GetPLMA", PLMA, ("es4", "GetPLMA"), &[], false),
    f(Es4, "SetONC", ONC, ("es4", "SetONC"), SET_ONC, false),
    f(Es4, "GetONC", ONC, ("es4", "GetONC"), &[], false),
    f(
        Es4,
        "GetAuthorisationsOfM2MSP",
        PLMA,
        ("es4", "GetAuthorisationsOfM2MSP"),
        &[opt("Mno-id", Kind::Text)],
        false,
    ),
];

impl SoapFunction {
    /// The request's `wsa:Action`.
    pub fn request_action(&self) -> String {
        let i = self.interface.name();
        format!("http://gsma.com/{i}/{}/{i}-{}", self.group, self.name)
    }

    /// The answer's `wsa:Action` (synchronous or sent to `ReplyTo`).
    pub fn response_action(&self) -> String {
        let i = self.interface.name();
        format!(
            "http://gsma.com/{i}/{}CallBack/{i}-{}",
            self.group, self.name
        )
    }

    /// The function whose request action is `action`.
    pub fn by_action(action: &str) -> Option<&'static SoapFunction> {
        FUNCTIONS.iter().find(|f| f.request_action() == action)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_unique_and_round_trip() {
        for f in FUNCTIONS {
            assert_eq!(SoapFunction::by_action(&f.request_action()), Some(f));
            assert_ne!(f.request_action(), f.response_action());
        }
        assert_eq!(
            FUNCTIONS[0].request_action(),
            "http://gsma.com/ES1/eUICCManagement/ES1-RegisterEIS"
        );
        assert_eq!(
            FUNCTIONS[1].request_action(),
            "http://gsma.com/ES3/eUICCManagement/ES3-GetEIS"
        );
        assert_eq!(
            SoapFunction::by_action("http://gsma.com/ES4/ProfileManagent/ES4-EnableProfile"),
            None
        );
    }

    #[test]
    fn same_named_functions_share_their_request_elements() {
        // The WSDL declares one element per name: ES3 and ES4 must agree.
        for a in FUNCTIONS {
            for b in FUNCTIONS.iter().filter(|b| b.name == a.name) {
                assert_eq!(a.fields, b.fields, "{}", a.name);
                assert_eq!(a.with_eis, b.with_eis, "{}", a.name);
            }
        }
    }
}
