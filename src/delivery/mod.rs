//! The SM-SR's per-eUICC delivery logic, sans IO: a queue of
//! [`Function`](crate::inventory::Function)s for one eUICC, each checked
//! against the EIS rules, sent over SCP80 (SMS with a PoR, ETSI TS 102 225)
//! or SCP81 (trigger SMS then a PSK-TLS admin session, GP Amd B, SGP.02
//! §2.4.4), and settled with an SGP.02 `FunctionExecutionStatus`
//! (§5.1.6.2). Needs `alloc`.
//!
//! In the shape of [`crate::scp81::server`]: the caller feeds what
//! happened in ([`Delivery::submit`], [`Delivery::handle_por`],
//! [`Delivery::handle_session_result`], [`Delivery::handle_notification`],
//! [`Delivery::handle_timeout`]) and polls what to do
//! ([`Delivery::poll_transmit`], [`Delivery::poll_event`],
//! [`Delivery::poll_timeout`]). Time is the caller's (milliseconds on any
//! monotonic or wall clock, the same for every call). Counters come from
//! a caller-supplied [`CounterStore`](crate::scp80::CounterStore), the EIS
//! from an [`EisStore`], so an integrator's database plugs in.
//!
//! The rules it holds:
//! * **Counter persisted before use**: the CNTR of a packet is stored
//!   before the packet is handed out (TS 102 225 §5.1.1: a counter value
//!   is never used twice, a crash may only skip one); an exhausted counter
//!   settles the operation.
//! * **CNTR echo**: a PoR answers the packet whose CNTR it echoes
//!   (TS 102 225 §5.2.1); any other PoR is ignored.
//! * **PoR `02` (CNTR low)**: the card's counter is ahead; the stored one
//!   is raised past it and the packet resent (it was not executed).
//! * **Uncertain outcome → audit before resend**: after a timeout or a
//!   broken session the command may have run; the next attempt of a
//!   non-idempotent function is an audit, and the operation is settled
//!   `Executed-WithWarning` when the card already shows its effect
//!   (never a blind resend).
//! * **Notifications** (SGP.02 §4.1.1.11, §5.1.1.3): applied to the EIS,
//!   their confirmation (ES5.HandleNotificationConfirmation) and POL2
//!   auto-delete follow-ups handed to the caller to queue; a profile switch
//!   is settled by the notification that reports it, or by an audit when
//!   none comes. A fall-back (connectivity loss, notification `05`) is a
//!   notification like the others.
//! * **Validity period**: an operation still queued or unanswered at its
//!   end is `Expired` (`1.6`/`4.10`); an attempt never outlives it.
//! * **POL1/POL2 and the EIS rules**: checked when the operation's turn
//!   comes ([`Eis::check_for`]); a refusal settles it with its SGP.02 code
//!   without reaching the eUICC.
//! * **SCP81 script status**: an `X-Admin-Script-Status` other than `ok`
//!   settles the operation with its code
//!   ([`FunctionExecutionStatus::of_script_status`](crate::inventory::FunctionExecutionStatus::of_script_status)).

mod machine;
pub mod relay;
pub mod script;

pub use machine::{Config, Delivery, Error, Event, PorAnswer, Request, SessionOutcome, Transmit};

use crate::inventory::Eis;

/// The EIS of the eUICC a [`Delivery`] serves, kept by the integrator.
pub trait EisStore {
    /// Why the store failed.
    type Error;

    /// The current EIS.
    ///
    /// # Errors
    /// A storage failure.
    fn load(&mut self) -> Result<Eis, Self::Error>;

    /// Replaces the EIS (durable when it returns).
    ///
    /// # Errors
    /// A storage failure.
    fn save(&mut self, eis: &Eis) -> Result<(), Self::Error>;
}

/// An in-memory [`EisStore`].
#[derive(Debug, Clone)]
pub struct MemoryEisStore(pub Eis);

impl EisStore for MemoryEisStore {
    type Error = core::convert::Infallible;

    fn load(&mut self) -> Result<Eis, Self::Error> {
        Ok(self.0.clone())
    }

    fn save(&mut self, eis: &Eis) -> Result<(), Self::Error> {
        self.0 = eis.clone();
        Ok(())
    }
}

#[cfg(test)]
mod tests;
