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
//! * [`es5`]: the C-APDUs of the ES5 functions (CreateISDP, EnableProfile,
//!   DisableProfile, DeleteISDP, SetFallBackAttribute,
//!   SetEmergencyProfileAttribute, UpdateSMSRAddressingParameters,
//!   UpdateConnectivityParameters, HandleNotificationConfirmation,
//!   MasterDelete, eUICCCapabilityAudit, key establishment relay), built
//!   on [`apdu::gp`](crate::apdu::gp), ready for a TS 102 226 script.
//! * [`handover`] (with `alloc`): SM-SR change, the ISD-R key
//!   establishment for SM-SR2 and FinaliseISDRhandover.
//! * [`dgi`]: the DGI numbers of the ISD-R / ISD-P functions.
//!
//! Sources for the byte layouts are cited per item: njiwa (bagyenda/njiwa
//! @b04eb01), the whty SM-SR code and pySim; items no public source shows
//! are marked UNCONFIRMED in their documentation.
//!
//! ```
//! use smsr::isdr::{Aid, Tar, es5, response};
//! let isdp = Aid::isd_p(Tar::from_value(0x10))?;
//! let cmd = es5::enable_profile(&isdp)?;
//! assert_eq!(&cmd.as_bytes()[..7], &[0x80, 0xE2, 0x88, 0x00, 0x15, 0x3A, 0x03]);
//! // The ISD-R refuses: POL1 of the profile forbids it.
//! assert_eq!(response::command_status(&[0x69, 0xE1]), Err(smsr::isdr::Es5Error::Pol1Refused));
//! # Ok::<(), smsr::isdr::Error>(())
//! ```

mod aid;
pub mod audit;
pub mod dgi;
mod eid;
mod error;
pub mod es5;
#[cfg(feature = "alloc")]
pub mod handover;
pub mod notification;
pub mod response;

pub use aid::{Aid, SGP02_AID_PREFIX, Tar};
pub use eid::{Eid, TAG_EID};
pub use error::Error;
pub use notification::{Notification, NotificationType};
pub use response::Es5Error;

/// Decodes hex digits (either case) into the start of `out`; `None` on an
/// odd length, a non-hex character or a too small `out`.
pub(crate) fn hex_decode(text: &str, out: &mut [u8]) -> Option<usize> {
    let n = text.len() / 2;
    hex::decode_to_slice(text, out.get_mut(..n)?).ok()?;
    Some(n)
}
