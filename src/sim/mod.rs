//! A simulated M2M eUICC (card side) that speaks SCP80, SCP81 and ES5 like
//! a real one, for test tools and end-to-end tests (needs `alloc`).
//!
//! * [`Euicc`]: the card as a transport sees it. [`Euicc::receive`] takes
//!   SMS TP-UD (single or concatenated), verifies it with
//!   [`scp80`](crate::scp80) on the card side, runs the compact or
//!   expanded script (TS 102 226) against the ISD-R model, and queues the
//!   PoR exactly as a card builds it, error statuses included; refused
//!   packets change nothing. [`Euicc::take_outgoing`] hands out PoRs and
//!   notifications (MO SMS) when they are due.
//! * [`Card`]: the ISD-R, ECASD and ISD-P models with the ES5 behaviour of
//!   SGP.02 §4.1.1 (CreateISDP, Enable, Disable, Delete, fall-back and
//!   emergency attributes, audits, POL1 with `69E1`, notifications and
//!   their confirmation, POL1 auto-delete, fall-back on loss of
//!   connectivity). It reads every command from its bytes itself.
//! * [`admin`]: SCP81. A trigger SMS yields an [`AdminSessionRequest`];
//!   the card session of [`scp81`](crate::scp81) then runs scripts against
//!   the same model.
//! * [`faults`]: dropped, delayed or corrupted PoRs, a lost TLS
//!   connection, exhausted memory; deterministic for a seed ([`SimRng`]).
//! * [`fleet`]: N eUICCs with valid EIDs and keys from a seed, and their
//!   EIS as an EUM registers them.
//!
//! Choices the public sources leave open (POL1 bits, the emergency
//! attribute DGI and property bit, the notification bearer and AID tag,
//! the trigger framing) are documented where they are made and marked
//! UNCONFIRMED.

pub mod admin;
mod card;
mod config;
pub mod ecasd;
mod error;
mod euicc;
pub mod faults;
pub mod fleet;
mod isdp_connectivity;
mod isdp_load;
mod isdr_keys;
mod profile;
mod relay;
mod rng;
mod script;
mod trigger;

pub use admin::{AdminProgress, AdminSession};
pub use card::{Card, PendingNotification, Rapdu, SW_POL1, Target, notification_type};
pub use config::{Codings, EuiccConfig, MinimumSecurityLevel, PskKey, Scp80KeySet};
pub use error::Error;
pub use euicc::{Applet, Euicc, Outgoing, OutgoingKind, Processed, Reception, Snapshot};
pub use faults::{Fault, FaultPlan, FaultRates};
pub use isdr_keys::IsdrKeyChange;
pub use profile::{Isdp, Pol1, life_cycle};
pub use rng::SimRng;
pub use trigger::AdminSessionRequest;
