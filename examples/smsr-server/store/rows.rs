//! How rows are written and read, the same for every backend: JSON text
//! for the EIS (without its audit trail), secrets, functions and results;
//! the status word a batch counts by; an operation row decoded.

use smsr::inventory::Eis;

use super::StoreError;
use crate::ops::{Function, FunctionExecutionStatus, OpRecord, OpState};

/// The columns of an operation row, in [`RawOp`] order.
pub const OP_COLUMNS: &str = "id, eid, batch, requester, function, state, attempts, \
                              not_before_ms, expires_at_ms, result, last_error";

/// A row that does not decode.
pub fn corrupt(e: impl core::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// `v` as stored JSON text.
///
/// # Errors
/// `v` does not serialize.
pub fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(corrupt)
}

/// The EIS as stored: without its audit trail (kept in its own table).
///
/// # Errors
/// The EIS does not serialize.
pub fn eis_json(eis: &Eis) -> Result<String, StoreError> {
    let mut v = serde_json::to_value(eis).map_err(corrupt)?;
    if let Some(o) = v.as_object_mut() {
        o.remove("AuditTrail");
    }
    serde_json::to_string(&v).map_err(corrupt)
}

/// A stored EIS.
///
/// # Errors
/// The text is not an EIS.
pub fn eis_from_json(json: &str) -> Result<Eis, StoreError> {
    serde_json::from_str(json).map_err(corrupt)
}

/// A stored function.
///
/// # Errors
/// The text is not a function.
pub fn function_from_json(json: &str) -> Result<Function, StoreError> {
    serde_json::from_str(json).map_err(corrupt)
}

/// The word a settled operation's `status` column holds (what
/// [`super::Store::batch`] counts).
pub fn status_word(s: &FunctionExecutionStatus) -> &'static str {
    use smsr::inventory::model::ExecutionStatus;
    match s.status {
        ExecutionStatus::ExecutedSuccess | ExecutionStatus::ExecutedWithWarning => "success",
        ExecutionStatus::Failed => "failed",
        ExecutionStatus::Expired => "expired",
    }
}

/// An operation row as read, before decoding.
pub struct RawOp {
    /// `id`.
    pub id: i64,
    /// `eid`.
    pub eid: String,
    /// `batch`.
    pub batch: Option<i64>,
    /// `requester`.
    pub requester: String,
    /// `function` (JSON).
    pub function: String,
    /// `state`.
    pub state: String,
    /// `attempts`.
    pub attempts: i64,
    /// `not_before_ms`.
    pub not_before_ms: i64,
    /// `expires_at_ms`.
    pub expires_at_ms: i64,
    /// `result` (JSON).
    pub result: Option<String>,
    /// `last_error`.
    pub last_error: Option<String>,
}

impl RawOp {
    /// The operation.
    ///
    /// # Errors
    /// A column that does not decode (named with the operation id).
    pub fn decode(self) -> Result<OpRecord, StoreError> {
        let id = self.id;
        let bad = |what: &str, e: &dyn core::fmt::Display| {
            StoreError::Corrupt(format!("operation {id}: {what}: {e}"))
        };
        Ok(OpRecord {
            id,
            eid: self.eid,
            batch: self.batch,
            requester: self.requester,
            function: serde_json::from_str::<Function>(&self.function)
                .map_err(|e| bad("function", &e))?,
            state: OpState::parse(&self.state).ok_or_else(|| bad("state", &self.state))?,
            attempts: u32::try_from(self.attempts).map_err(|e| bad("attempts", &e))?,
            not_before_ms: self.not_before_ms,
            expires_at_ms: self.expires_at_ms,
            result: self
                .result
                .map(|r| serde_json::from_str(&r))
                .transpose()
                .map_err(|e| bad("result", &e))?,
            last_error: self.last_error,
        })
    }
}
