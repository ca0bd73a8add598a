//! What an SM-SR answers for a function: the SGP.02 function execution
//! status (SGP.02 §5.1.6.2 `FunctionExecutionStatus`) with its
//! `StatusCodeData` (§5.1.6.4 subject codes, §5.1.6.5 reason codes), and
//! the codes the SM-SR itself reports.
//!
//! With the `serde` feature the JSON names are SGP.02's (`Status`,
//! `StatusCodeData` { `Subject`, `Reason`, `SubjectIdentifier`,
//! `Message` }).

use alloc::borrow::ToOwned;
use alloc::string::String;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::model::{ExecutionStatus, OperationExecutionStatus, StatusCodeData};
use crate::isdr::response::StatusCode;
use crate::scp81::http::ScriptStatus;

/// SGP.02 `FunctionExecutionStatus` with its `StatusCodeData` (§5.1.6.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct FunctionExecutionStatus {
    /// `Executed-Success`, `Executed-WithWarning`, `Failed` or `Expired`.
    #[cfg_attr(feature = "serde", serde(rename = "Status"))]
    pub status: ExecutionStatus,
    /// Subject / reason codes, for anything but a plain success.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "StatusCodeData",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub status_code_data: Option<StatusCodeDataFull>,
}

/// SGP.02 `StatusCodeData` as answered to a function requester
/// (§5.1.6.2): the codes, the subject's identifier and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct StatusCodeDataFull {
    /// Subject code (e.g. `8.1.1` EID).
    #[cfg_attr(feature = "serde", serde(rename = "Subject"))]
    pub subject: String,
    /// Reason code (e.g. `3.9` Unknown).
    #[cfg_attr(feature = "serde", serde(rename = "Reason"))]
    pub reason: String,
    /// The identifier of the subject (an EID, an ICCID).
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "SubjectIdentifier",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub subject_identifier: Option<String>,
    /// Human-readable detail.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "Message", default, skip_serializing_if = "Option::is_none")
    )]
    pub message: Option<String>,
}

/// Subject / reason codes an SM-SR reports itself (SGP.02 §5.1.6.4 and
/// §5.1.6.5, numbering as in SGP.22 and njiwa; see
/// `shared/reference/sgp02.md` §5).
pub mod codes {
    use crate::isdr::response::StatusCode;

    /// 1.1 Function Requester / 1.1 Unknown (authentication).
    pub const REQUESTER_UNKNOWN: StatusCode = StatusCode::new("1.1", "1.1");
    /// 1.1 Function Requester / 1.2 Not Allowed (authorisation).
    pub const REQUESTER_NOT_ALLOWED: StatusCode = StatusCode::new("1.1", "1.2");
    /// 1.6 Function / 2.1 Invalid (malformed request).
    pub const FUNCTION_INVALID: StatusCode = StatusCode::new("1.6", "2.1");
    /// 1.6 Function / 2.2 Mandatory Element Missing.
    pub const FUNCTION_MISSING_ELEMENT: StatusCode = StatusCode::new("1.6", "2.2");
    /// 1.6 Function / 3.1 Unsupported (unknown function).
    pub const FUNCTION_UNSUPPORTED: StatusCode = StatusCode::new("1.6", "3.1");
    /// 1.6 Function / 4.10 Time to Live Expired (validity period over).
    pub const FUNCTION_EXPIRED: StatusCode = StatusCode::new("1.6", "4.10");
    /// 8.1.1 EID / 3.9 Unknown.
    pub const EID_UNKNOWN: StatusCode = StatusCode::new("8.1.1", "3.9");
    /// 8.1.1 EID / 3.3 Already in Use (RegisterEIS twice).
    pub const EID_IN_USE: StatusCode = StatusCode::new("8.1.1", "3.3");
    /// 8.2.1 Profile ICCID / 3.9 Unknown.
    pub const ICCID_UNKNOWN: StatusCode = StatusCode::new("8.2.1", "3.9");
    /// 8.1 eUICC / 4.8 Insufficient Memory (no free ISD-P TAR either).
    pub const EUICC_NO_MEMORY: StatusCode = StatusCode::new("8.1", "4.8");
    /// 8.1 eUICC / 5.1 Inaccessible (transport failed on every attempt).
    pub const EUICC_INACCESSIBLE: StatusCode = StatusCode::new("8.1", "5.1");
    /// 8.4 eUICC execution / 4.2 Execution Error.
    pub const EXECUTION_ERROR: StatusCode = StatusCode::new("8.4", "4.2");
    /// 8.4 eUICC execution / 3.9 Unknown: the targeted application is not
    /// on the card (`X-Admin-Script-Status: unknown-application`, GP Amd B
    /// §3.5.2). SGP.02 names no finer subject; `8.4` is njiwa's.
    pub const TARGET_UNKNOWN: StatusCode = StatusCode::new("8.4", "3.9");
    /// 8.4 eUICC execution / 3.10 Invalid Association: the target is not a
    /// security domain (`not-a-security-domain`).
    pub const TARGET_NOT_SD: StatusCode = StatusCode::new("8.4", "3.10");
    /// 8.4 eUICC execution / 6.1 Verification Failed: the card refused the
    /// script's security (`security-error`).
    pub const SECURITY_ERROR: StatusCode = StatusCode::new("8.4", "6.1");
    /// 8.1 eUICC / 3.7 Unavailable: the secure element is unavailable
    /// (`unavailable-se`).
    pub const EUICC_UNAVAILABLE: StatusCode = StatusCode::new("8.1", "3.7");
    /// 8.4 eUICC execution / 3.7 Unavailable: the targeted application is
    /// temporarily unavailable (`temporarily-unavailable-application`).
    pub const TARGET_UNAVAILABLE: StatusCode = StatusCode::new("8.4", "3.7");
    /// 8.4 eUICC execution / 2.1 Invalid: the card could not read the
    /// script (`script-format-error`).
    pub const SCRIPT_FORMAT_ERROR: StatusCode = StatusCode::new("8.4", "2.1");
    /// 1.2 Function Provider / 4.2 Execution Error (server-side failure).
    pub const PROVIDER_ERROR: StatusCode = StatusCode::new("1.2", "4.2");
}

impl FunctionExecutionStatus {
    /// `Executed-Success`.
    pub const fn success() -> Self {
        Self {
            status: ExecutionStatus::ExecutedSuccess,
            status_code_data: None,
        }
    }

    /// `Executed-WithWarning` with a code and message.
    pub fn warning(code: StatusCode, id: Option<&str>, message: &str) -> Self {
        Self::with(ExecutionStatus::ExecutedWithWarning, code, id, message)
    }

    /// `Failed` with a code.
    pub fn failed(code: StatusCode, id: Option<&str>, message: &str) -> Self {
        Self::with(ExecutionStatus::Failed, code, id, message)
    }

    /// `Expired` (validity period over before the eUICC answered):
    /// `1.6`/`4.10`.
    pub fn expired(message: &str) -> Self {
        Self::with(
            ExecutionStatus::Expired,
            codes::FUNCTION_EXPIRED,
            None,
            message,
        )
    }

    fn with(status: ExecutionStatus, code: StatusCode, id: Option<&str>, message: &str) -> Self {
        Self {
            status,
            status_code_data: Some(StatusCodeDataFull {
                subject: code.subject.into(),
                reason: code.reason.into(),
                subject_identifier: id.map(String::from),
                message: (!message.is_empty()).then(|| message.to_owned()),
            }),
        }
    }

    /// Whether the function was executed (with or without warning).
    pub const fn is_success(&self) -> bool {
        matches!(
            self.status,
            ExecutionStatus::ExecutedSuccess | ExecutionStatus::ExecutedWithWarning
        )
    }

    /// The result of a function whose script the eUICC did not execute,
    /// from the `X-Admin-Script-Status` of its SCP81 answer (GP Amd B
    /// §3.4.1): `None` for `ok` (the response script then tells), `Failed`
    /// with an SGP.02 code for every other value, an unknown value
    /// `8.4`/`4.2` with the value in the message. `id` names the subject.
    pub fn of_script_status(status: &ScriptStatus, id: Option<&str>) -> Option<Self> {
        let code = match status {
            ScriptStatus::Ok => return None,
            ScriptStatus::UnknownApplication => codes::TARGET_UNKNOWN,
            ScriptStatus::NotASecurityDomain => codes::TARGET_NOT_SD,
            ScriptStatus::SecurityError => codes::SECURITY_ERROR,
            ScriptStatus::UnavailableSe => codes::EUICC_UNAVAILABLE,
            ScriptStatus::TemporarilyUnavailableApplication => codes::TARGET_UNAVAILABLE,
            ScriptStatus::ScriptFormatError => codes::SCRIPT_FORMAT_ERROR,
            ScriptStatus::Other(_) => codes::EXECUTION_ERROR,
        };
        let message = alloc::format!("X-Admin-Script-Status: {}", status.as_str());
        Some(Self::failed(code, id, &message))
    }

    /// The audit-trail form (`OperationExecutionStatus`, §5.1.1.3.12).
    pub fn to_operation_status(&self) -> OperationExecutionStatus {
        OperationExecutionStatus {
            status: self.status,
            status_code_data: self.status_code_data.as_ref().map(|d| StatusCodeData {
                subject: d.subject.clone(),
                reason: d.reason.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_carries_code_identifier_and_message() {
        let s = FunctionExecutionStatus::failed(codes::EID_UNKNOWN, Some("89"), "unknown EID");
        assert!(!s.is_success());
        let d = s.status_code_data.as_ref().unwrap();
        assert_eq!((d.subject.as_str(), d.reason.as_str()), ("8.1.1", "3.9"));
        assert_eq!(d.subject_identifier.as_deref(), Some("89"));
        let op = s.to_operation_status();
        assert_eq!(op.status, ExecutionStatus::Failed);
        assert_eq!(op.status_code_data.unwrap().reason, "3.9");
        // An empty message is left out.
        let w = FunctionExecutionStatus::warning(codes::EXECUTION_ERROR, None, "");
        assert!(w.is_success());
        assert_eq!(w.status_code_data.unwrap().message, None);
    }

    #[test]
    fn every_script_status_has_its_result() {
        let code = |v: &str| {
            let st = ScriptStatus::parse(v).unwrap();
            FunctionExecutionStatus::of_script_status(&st, Some("8901")).map(|s| {
                assert_eq!(s.status, ExecutionStatus::Failed, "{v}");
                let d = s.status_code_data.unwrap();
                assert_eq!(d.subject_identifier.as_deref(), Some("8901"));
                assert!(d.message.unwrap().ends_with(v), "{v}");
                (d.subject, d.reason)
            })
        };
        let pair = |s: &str, r: &str| Some((s.to_owned(), r.to_owned()));
        assert_eq!(code("ok"), None);
        assert_eq!(code("OK"), None);
        assert_eq!(code("unknown-application"), pair("8.4", "3.9"));
        assert_eq!(code("not-a-security-domain"), pair("8.4", "3.10"));
        assert_eq!(code("security-error"), pair("8.4", "6.1"));
        assert_eq!(code("unavailable-se"), pair("8.1", "3.7"));
        assert_eq!(
            code("temporarily-unavailable-application"),
            pair("8.4", "3.7")
        );
        assert_eq!(code("script-format-error"), pair("8.4", "2.1"));
        assert_eq!(code("vendor-thing"), pair("8.4", "4.2"));
    }
}
