//! ES5: what the SM-SR sends to the ISD-R of an eUICC and what comes back
//! (GSMA SGP.02 §4.1.1 and §4.1.3), without allocation.
//!
//! * Identifiers: [`Aid`] (ISD-R, ECASD, ISD-P load file and module, ISD-P
//!   AIDs from a [`Tar`]) and the [`Eid`] with its MOD 97-10 check digits.
//! * [`notification`]: the `'E1'` eUICC notification, parsed and built.
//! * [`audit`]: the eUICC capability audit responses (`'FF21'`, GET STATUS
//!   `'E3'` entries).
//! * [`response`]: R-APDUs of the ES5 commands mapped to typed results and
//!   typed errors ([`Es5Error`]).
//! * [`dgi`]: the STORE DATA DGI records the ISD-R functions use.

mod aid;
pub mod audit;
pub mod dgi;
mod eid;
mod error;
pub mod es5;
pub mod notification;
pub mod response;

pub use aid::{Aid, SGP02_AID_PREFIX, Tar};
pub use eid::{Eid, TAG_EID};
pub use error::Error;
pub use notification::{Notification, NotificationType};
pub use response::Es5Error;

/// Decodes hex digits (either case) into `out`; `None` on an odd length, a
/// non-hex character or a too small `out`.
pub(crate) fn hex_decode(text: &str, out: &mut [u8]) -> Option<usize> {
    let b = text.as_bytes();
    if !b.len().is_multiple_of(2) || b.len() / 2 > out.len() {
        return None;
    }
    let nib = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    for (o, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let [h, l] = pair else { return None };
        *o = (nib(*h)? << 4) | nib(*l)?;
    }
    Some(b.len() / 2)
}
