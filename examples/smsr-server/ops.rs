//! What the operator API queues and reports: operations (a library
//! [`Function`] for one eUICC) with their states, batches and times. The
//! function and its SGP.02 status ([`FunctionExecutionStatus`], [`codes`])
//! are the library's ([`smsr::inventory`]).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use smsr::inventory::model::ExecutionStatus;
use smsr::inventory::{AuditRecord, OperationType};
/// The library's function concept and SGP.02 status types, one set for
/// the whole SM-SR.
pub use smsr::inventory::{Function, FunctionExecutionStatus, codes};
use smsr::isdr::Eid;

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

impl NewOp {
    /// The SM-SR's own follow-up `function` on `eid` (a notification's
    /// confirmation, a POL2 auto-delete), valid for ten minutes.
    pub fn internal(eid: &Eid, smsr_id: &str, function: Function) -> Self {
        Self {
            eid: eid.to_string(),
            batch: None,
            requester: smsr_id.into(),
            function,
            expires_at_ms: now_ms() + 600_000,
        }
    }
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

/// The delivery engine's counters, reported by `/stats`.
#[derive(Default)]
pub struct EngineStats {
    /// Operations settled.
    pub settled: AtomicU64,
    /// Of which succeeded.
    pub succeeded: AtomicU64,
    /// Attempts rescheduled.
    pub retries: AtomicU64,
    /// Settled `Executed-WithWarning` (an interrupted attempt's outcome
    /// proven by audit).
    pub reconciled: AtomicU64,
    /// Notifications accepted.
    pub notifications: AtomicU64,
    /// MO SMS received.
    pub sms_in: AtomicU64,
}

/// Adds one to a counter.
pub fn count(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl EngineStats {
    /// Counts an operation settled with `status`.
    pub fn settled(&self, status: &FunctionExecutionStatus) {
        count(&self.settled);
        if status.is_success() {
            count(&self.succeeded);
        }
        if status.status == ExecutionStatus::ExecutedWithWarning {
            count(&self.reconciled);
        }
    }

    /// The `/stats` figures, with the transport's and the number of
    /// eUICCs being served.
    pub fn report(&self, transport: &crate::ota::Transport, active: usize) -> Value {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        json!({
            "Settled": g(&self.settled),
            "Succeeded": g(&self.succeeded),
            "Retries": g(&self.retries),
            "ReconciledByAudit": g(&self.reconciled),
            "Notifications": g(&self.notifications),
            "SmsOut": g(&transport.sms_out),
            "SmsIn": g(&self.sms_in),
            "Scp81Sessions": g(&transport.hub.sessions),
            "Scp81Refused": g(&transport.hub.refused),
            "Scp81Open": g(&transport.hub.open),
            "Scp81OverLimit": g(&transport.hub.over_limit),
            "Scp81TimedOut": g(&transport.hub.timed_out),
            "ActiveEuiccs": active,
        })
    }
}

/// An audit trail record for a function of `eid` (SGP.02 §5.1.1.3.12),
/// dated now.
pub fn audit_record(
    eid: &Eid,
    smsr_id: &str,
    kind: OperationType,
    requester: Option<&str>,
    status: &FunctionExecutionStatus,
    iccid: Option<&str>,
) -> AuditRecord {
    AuditRecord {
        eid: *eid,
        smsr_id: smsr_id.into(),
        operation_date: iso8601(now_ms()),
        operation_type: kind,
        requester_id: requester.map(String::from),
        execution_status: status.to_operation_status(),
        isd_p_aid: None,
        iccid: iccid.map(String::from),
        imei: None,
        meid: None,
    }
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
