//! How rows are written and read, the same for every backend: JSON text
//! for the EIS (without its audit trail), secrets, functions and results;
//! the status word a batch counts by and a batch's tally; an operation
//! row decoded.

use smsr::inventory::Eis;

use super::StoreError;
use crate::ops::{BatchProgress, Function, FunctionExecutionStatus, OpRecord, OpState};

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

/// A stored number that cannot be negative (a count, a counter), named
/// `what` in the error.
///
/// # Errors
/// [`StoreError::Corrupt`] when `v` is negative.
pub fn uint(v: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what}: {v} is negative")))
}

/// A batch's row as read: `requester`, `function`, `refused`.
pub struct BatchHead {
    /// `requester`.
    pub requester: String,
    /// `function`.
    pub function: String,
    /// `refused`.
    pub refused: i64,
}

/// The progress of batch `id` from its row and the `(status, count)`
/// pairs of its operations (`status` as [`status_word`] writes it, or
/// `pending` for an unsettled one).
///
/// # Errors
/// [`StoreError::Corrupt`] for a negative `refused` or count.
pub fn tally(
    id: i64,
    head: BatchHead,
    counts: impl IntoIterator<Item = Result<(String, i64), StoreError>>,
) -> Result<BatchProgress, StoreError> {
    let mut p = BatchProgress {
        id,
        requester: head.requester,
        function: head.function,
        refused: uint(head.refused, &format!("batch {id}: refused"))?,
        ..BatchProgress::default()
    };
    for c in counts {
        let (status, n) = c?;
        let n = uint(n, &format!("batch {id}: count of {status}"))?;
        p.total += n;
        match status.as_str() {
            "success" => p.succeeded += n,
            "failed" => p.failed += n,
            "expired" => p.expired += n,
            _ => p.pending += n,
        }
    }
    Ok(p)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    fn head(refused: i64) -> BatchHead {
        BatchHead {
            requester: "MNO-A".into(),
            function: "AuditEIS".into(),
            refused,
        }
    }

    fn pairs(v: &[(&str, i64)]) -> Vec<Result<(String, i64), StoreError>> {
        v.iter().map(|(s, n)| Ok(((*s).to_owned(), *n))).collect()
    }

    #[test]
    fn tally_counts_each_status_and_the_total() {
        let rows = pairs(&[
            ("success", 5),
            ("failed", 2),
            ("expired", 1),
            ("pending", 3),
        ]);
        let p = tally(7, head(4), rows).unwrap();
        let got = (
            p.total,
            p.succeeded,
            p.failed,
            p.expired,
            p.pending,
            p.refused,
        );
        assert_eq!(got, (11, 5, 2, 1, 3, 4));
        assert_eq!((p.id, p.requester.as_str()), (7, "MNO-A"));
    }

    #[test]
    fn a_negative_count_or_refused_is_corrupt_not_zero() {
        let r = tally(7, head(0), pairs(&[("success", 5), ("failed", -1)]));
        assert!(
            matches!(&r, Err(StoreError::Corrupt(m)) if m.contains("batch 7") && m.contains("-1")),
            "{r:?}"
        );
        let r = tally(7, head(-2), pairs(&[]));
        assert!(
            matches!(&r, Err(StoreError::Corrupt(m)) if m.contains("refused")),
            "{r:?}"
        );
        assert!(matches!(uint(-1, "x"), Err(StoreError::Corrupt(_))));
        assert_eq!(uint(3, "x").unwrap(), 3);
    }

    #[test]
    fn a_failing_row_read_is_passed_on() {
        let rows = vec![Ok(("success".to_owned(), 1)), Err(StoreError::Poisoned)];
        assert!(matches!(tally(1, head(0), rows), Err(StoreError::Poisoned)));
    }
}
