//! The `ValidityPeriod` of a request (SGP.02 §5.1 function request
//! header: how long, in seconds, the requester allows the function to
//! run), checked before anything runs instead of being clamped:
//!
//! * `0`: the function expired on arrival; `Expired` with `1.6` / `4.10`
//!   (Function / Time to Live Expired), as an eUICC that does not answer
//!   within the period gets (`FunctionExecutionStatus::expired`); nothing
//!   runs. HTTP 200: the JSON API's answer for a settled function.
//! * over [`MAX_VALIDITY_SECONDS`]: `Failed` with `1.6` / `2.1` (Function /
//!   Invalid), naming the longest period accepted; nothing runs.
//!
//! The subject and reasons are the SGP.02 numbering of
//! `shared/reference/sgp02.md` §5; which of `4.10` and `6.3` (Security /
//! Expired) SGP.02 prescribes for an expired validity period is
//! UNCONFIRMED: we keep `4.10`, the code the server already answers when
//! the period runs out during execution.

use hyper::StatusCode;

use super::{FunctionExecutionStatus, Reject, codes, reject};

/// The longest validity period accepted: 7 days (the bound the server
/// used to clamp to).
pub(crate) const MAX_VALIDITY_SECONDS: u64 = 7 * 86_400;

/// Refuses an expired (`0`) or out-of-range `ValidityPeriod`; `None` (the
/// configured default applies) passes.
pub(super) fn check(validity: Option<u64>) -> Result<(), Reject> {
    match validity {
        Some(0) => Err(Reject(
            StatusCode::OK,
            FunctionExecutionStatus::expired("ValidityPeriod 0: expired on arrival"),
        )),
        Some(v) if v > MAX_VALIDITY_SECONDS => Err(reject(
            StatusCode::BAD_REQUEST,
            codes::FUNCTION_INVALID,
            None,
            &format!("ValidityPeriod {v} s is over the longest accepted, {MAX_VALIDITY_SECONDS} s"),
        )),
        _ => Ok(()),
    }
}
