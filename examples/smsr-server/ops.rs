//! What the operator API asks for and what it gets back: the queued
//! functions, their states, and the SGP.02 function execution status
//! (SGP.02 §5.1.6.2 FunctionExecutionStatus, §5.1.6.4/5 subject and reason
//! codes).

use serde::{Deserialize, Serialize};
use smsr::inventory::HexBytes;
use smsr::inventory::model::{ExecutionStatus, OperationExecutionStatus, StatusCodeData};
use smsr::isdr::response::StatusCode;

/// A function the SM-SR carries out on one eUICC over ES5. Queued, retried
/// and settled by the delivery engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "Function")]
pub enum Function {
    /// ES3.CreateISDP: a new ISD-P for a profile to come.
    #[serde(rename = "CreateISDP")]
    CreateIsdp {
        /// ICCID of the profile.
        #[serde(rename = "Iccid")]
        iccid: String,
        /// MNO that will own the profile.
        #[serde(rename = "Mno-id")]
        mno_id: String,
        /// Memory to reserve (bytes).
        #[serde(rename = "RequiredMemory", default)]
        required_memory: Option<u32>,
    },
    /// ES4/ES3.EnableProfile.
    EnableProfile {
        /// ICCID.
        #[serde(rename = "Iccid")]
        iccid: String,
    },
    /// ES4/ES3.DisableProfile.
    DisableProfile {
        /// ICCID.
        #[serde(rename = "Iccid")]
        iccid: String,
    },
    /// ES4.DeleteProfile / ES3.DeleteISDP.
    DeleteProfile {
        /// ICCID.
        #[serde(rename = "Iccid")]
        iccid: String,
    },
    /// ES4.SetFallBackAttribute.
    SetFallbackAttribute {
        /// ICCID.
        #[serde(rename = "Iccid")]
        iccid: String,
    },
    /// ES4.SetEmergencyProfileAttribute (SGP.02 v3.x+).
    SetEmergencyProfileAttribute {
        /// ICCID.
        #[serde(rename = "Iccid")]
        iccid: String,
    },
    /// ES3/ES4.UpdateConnectivityParameters (value of DGI `3A07`).
    UpdateConnectivityParameters {
        /// ICCID.
        #[serde(rename = "Iccid")]
        iccid: String,
        /// Parameter TLVs, hex.
        #[serde(rename = "ConnectivityParameters")]
        parameters: HexBytes,
    },
    /// ES3/ES4.AuditEIS: eUICC capability audit (GET DATA `FF21`, GET
    /// STATUS of the ISD-Ps).
    #[serde(rename = "AuditEIS")]
    AuditEis {
        /// Limit the audit to these profiles (all when empty).
        #[serde(rename = "Iccid", default)]
        iccids: Vec<String>,
    },
    /// ES3.SendData: a command script relayed to a security domain (the
    /// SM-DP's profile download, SGP.02 §5.4.5), sent with
    /// `X-Admin-Targeted-Application` (SCP81) or to its TAR (SCP80).
    SendData {
        /// Security domain AID (an ISD-P).
        #[serde(rename = "sd-aid")]
        sd_aid: smsr::isdr::Aid,
        /// The command script (`AA`/`AE`), hex.
        #[serde(rename = "Data")]
        data: HexBytes,
    },
    /// ES5.HandleNotificationConfirmation (queued by the SM-SR itself).
    #[serde(rename = "HandleNotificationConfirmation")]
    ConfirmNotification {
        /// Sequence number of the notification.
        #[serde(rename = "SequenceNumber")]
        sequence_number: u16,
    },
}

impl Function {
    /// The ICCID the function is about, if any.
    pub fn iccid(&self) -> Option<&str> {
        match self {
            Function::CreateIsdp { iccid, .. }
            | Function::EnableProfile { iccid }
            | Function::DisableProfile { iccid }
            | Function::DeleteProfile { iccid }
            | Function::SetFallbackAttribute { iccid }
            | Function::SetEmergencyProfileAttribute { iccid }
            | Function::UpdateConnectivityParameters { iccid, .. } => Some(iccid),
            Function::AuditEis { .. }
            | Function::SendData { .. }
            | Function::ConfirmNotification { .. } => None,
        }
    }

    /// SGP.02 function name.
    pub fn name(&self) -> &'static str {
        match self {
            Function::CreateIsdp { .. } => "CreateISDP",
            Function::EnableProfile { .. } => "EnableProfile",
            Function::DisableProfile { .. } => "DisableProfile",
            Function::DeleteProfile { .. } => "DeleteProfile",
            Function::SetFallbackAttribute { .. } => "SetFallbackAttribute",
            Function::SetEmergencyProfileAttribute { .. } => "SetEmergencyProfileAttribute",
            Function::UpdateConnectivityParameters { .. } => "UpdateConnectivityParameters",
            Function::AuditEis { .. } => "AuditEIS",
            Function::SendData { .. } => "SendData",
            Function::ConfirmNotification { .. } => "HandleNotificationConfirmation",
        }
    }
}

/// Where an operation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OpState {
    /// Waiting for its turn (or for its next attempt).
    Queued,
    /// Sent to the eUICC; the outcome is not known yet. After a restart an
    /// operation in this state is reconciled by an audit before anything
    /// is sent again.
    InFlight,
    /// Settled with a status (success, failure or expiry).
    Done,
}

impl OpState {
    /// From the column value.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(OpState::Queued),
            "in_flight" => Some(OpState::InFlight),
            "done" => Some(OpState::Done),
            _ => None,
        }
    }
}

/// SGP.02 `FunctionExecutionStatus` with its `StatusCodeData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionExecutionStatus {
    /// `Executed-Success`, `Executed-WithWarning`, `Failed` or `Expired`.
    #[serde(rename = "Status")]
    pub status: ExecutionStatus,
    /// Subject / reason codes, for anything but a plain success.
    #[serde(
        rename = "StatusCodeData",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub status_code_data: Option<StatusCodeDataFull>,
}

/// SGP.02 `StatusCodeData`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCodeDataFull {
    /// Subject code (e.g. `8.1.1` EID).
    #[serde(rename = "Subject")]
    pub subject: String,
    /// Reason code (e.g. `3.9` Unknown).
    #[serde(rename = "Reason")]
    pub reason: String,
    /// The identifier of the subject (an EID, an ICCID).
    #[serde(
        rename = "SubjectIdentifier",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub subject_identifier: Option<String>,
    /// Human-readable detail.
    #[serde(rename = "Message", default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Subject codes used by the server itself (SGP.02 §5.1.6.4, numbering as in
/// SGP.22 and njiwa; see /work/shared/reference/sgp02.md §5).
pub mod codes {
    use smsr::isdr::response::StatusCode;

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
    /// 8.1 eUICC / 5.1 Inaccessible (transport failed on every attempt).
    pub const EUICC_INACCESSIBLE: StatusCode = StatusCode::new("8.1", "5.1");
    /// 8.4 eUICC execution / 4.2 Execution Error.
    pub const EXECUTION_ERROR: StatusCode = StatusCode::new("8.4", "4.2");
    /// 1.2 Function Provider / 4.2 Execution Error (server-side failure).
    pub const PROVIDER_ERROR: StatusCode = StatusCode::new("1.2", "4.2");
}

impl FunctionExecutionStatus {
    /// `Executed-Success`.
    pub fn success() -> Self {
        Self {
            status: ExecutionStatus::ExecutedSuccess,
            status_code_data: None,
        }
    }

    /// `Executed-WithWarning` with a message.
    pub fn warning(code: StatusCode, id: Option<&str>, message: &str) -> Self {
        Self::with(ExecutionStatus::ExecutedWithWarning, code, id, message)
    }

    /// `Failed` with a code.
    pub fn failed(code: StatusCode, id: Option<&str>, message: &str) -> Self {
        Self::with(ExecutionStatus::Failed, code, id, message)
    }

    /// `Expired` (validity period over before the eUICC answered).
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

    /// Whether the function was executed.
    pub fn is_success(&self) -> bool {
        matches!(
            self.status,
            ExecutionStatus::ExecutedSuccess | ExecutionStatus::ExecutedWithWarning
        )
    }

    /// The audit-trail form (`OperationExecutionStatus`).
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

/// An operation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpRecord {
    /// Identifier.
    #[serde(rename = "OperationId")]
    pub id: i64,
    /// The eUICC.
    #[serde(rename = "Eid")]
    pub eid: String,
    /// Batch it belongs to.
    #[serde(rename = "BatchId", skip_serializing_if = "Option::is_none")]
    pub batch: Option<i64>,
    /// The operator that asked (or `smsr` for internal operations).
    #[serde(rename = "RequesterId")]
    pub requester: String,
    /// What.
    #[serde(flatten)]
    pub function: Function,
    /// Where it is.
    #[serde(rename = "State")]
    pub state: OpState,
    /// Delivery attempts so far.
    #[serde(rename = "Attempts")]
    pub attempts: u32,
    /// Not before (ms since the UNIX epoch).
    #[serde(skip)]
    pub not_before_ms: i64,
    /// End of the validity period (ms since the UNIX epoch).
    #[serde(rename = "ExpiresAtMs")]
    pub expires_at_ms: i64,
    /// Final status when done.
    #[serde(
        rename = "FunctionExecutionStatus",
        skip_serializing_if = "Option::is_none"
    )]
    pub result: Option<FunctionExecutionStatus>,
    /// Last transport error, if any.
    #[serde(rename = "LastError", skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// A new operation to queue.
#[derive(Debug, Clone)]
pub struct NewOp {
    /// The eUICC (32 digits).
    pub eid: String,
    /// Batch, if part of one.
    pub batch: Option<i64>,
    /// Who asks.
    pub requester: String,
    /// What.
    pub function: Function,
    /// End of the validity period (ms since the UNIX epoch).
    pub expires_at_ms: i64,
}

/// Progress of a batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchProgress {
    /// Identifier.
    #[serde(rename = "BatchId")]
    pub id: i64,
    /// Who asked.
    #[serde(rename = "RequesterId")]
    pub requester: String,
    /// Function name.
    #[serde(rename = "Function")]
    pub function: String,
    /// Operations in the batch.
    #[serde(rename = "Total")]
    pub total: u64,
    /// Not settled yet.
    #[serde(rename = "Pending")]
    pub pending: u64,
    /// Settled `Executed-Success` / `Executed-WithWarning`.
    #[serde(rename = "Succeeded")]
    pub succeeded: u64,
    /// Settled `Failed`.
    #[serde(rename = "Failed")]
    pub failed: u64,
    /// Settled `Expired`.
    #[serde(rename = "Expired")]
    pub expired: u64,
    /// Targets refused before queueing (unknown EID, rule refusal).
    #[serde(rename = "Refused")]
    pub refused: u64,
}

/// Milliseconds since the UNIX epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// ISO 8601 UTC timestamp of `ms` (for the audit trail's `OperationDate`).
pub fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    // Civil-from-days (H. Hinnant's algorithm), proleptic Gregorian.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        tod / 3600,
        tod % 3600 / 60,
        tod % 60,
        ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_known_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        // 2026-11-24T09:11:15Z = 1795511475 s (GNU `date -d @1795511475 -u`).
        assert_eq!(iso8601(1_795_511_475_123), "2026-11-24T09:11:15.123Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn function_json_names() {
        let f: Function =
            serde_json::from_str(r#"{"Function":"EnableProfile","Iccid":"8901"}"#).unwrap();
        assert_eq!(
            f,
            Function::EnableProfile {
                iccid: "8901".into()
            }
        );
        let s = FunctionExecutionStatus::failed(codes::EID_UNKNOWN, Some("89"), "unknown EID");
        let j = serde_json::to_value(&s).unwrap();
        assert_eq!(j["Status"], "Failed");
        assert_eq!(j["StatusCodeData"]["Subject"], "8.1.1");
        assert_eq!(j["StatusCodeData"]["Reason"], "3.9");
    }
}
