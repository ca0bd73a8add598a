//! An eUICC in an SM-SR change (SGP.02 §3.8), as each SM-SR's EIS sees
//! it: the steps as one transition table, who manages the eUICC at each
//! step, and which functions each state refuses.
//!
//! SM-SR1 (outgoing) locks the eUICC when ES4.SMSRChange arrives ("rejects
//! any new management requests for the target eUICC during the
//! procedure", SGP.02 §3.8 step 5 as summarised by eUICC.tech article 07)
//! and keeps it until SM-SR2 answers ES7.HandoverEUICC; SM-SR2 (incoming)
//! holds the EIS it received without managing the eUICC until its
//! FinaliseISDRhandover is confirmed. SM-SR1 stays the owner until then:
//! its keys still work on the card, so any failure before it rolls back to
//! SM-SR1 with nothing applied. SGP.02 itself says SM-SR2 manages the
//! eUICC from the receipt check (step 23); between steps 23 and 25 both key
//! sets work, and this model keeps SM-SR1 the owner of record until the
//! old keys are gone (a choice, so that exactly one SM-SR owns the eUICC).
//!
//! Refusals (subject / reason, UNCONFIRMED against the SGP.02 tables,
//! which no public source quotes for these cases): a function on an eUICC
//! in hand-over `8.1.1`/`3.3` (EID, Already in use); a second hand-over
//! `8.7`/`3.3` (SM-SR, Already in use); anything on an eUICC handed over
//! (SM-SR1 after success, SM-SR2 after a failure) `8.1.1`/`3.9` (Unknown
//! EID: SGP.02 has SM-SR1 delete the EIS, step 29).

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::function::Function;
use super::model::Eis;
use super::rules::{Refusal, RefusalReason};

/// A step of the hand-over both SM-SRs pass (SGP.02 §3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum HandoverStep {
    /// ES7.HandoverEUICC: the EIS sent to / received by SM-SR2 (steps 4-6).
    EisHandedOver,
    /// ES7.AuthenticateSMSR answered with the random challenge (7-13).
    SmsrAuthenticated,
    /// ES7.CreateAdditionalKeySet answered; SM-SR2 checked the receipt
    /// (14-23).
    KeySetCreated,
    /// ES5.FinaliseISDRhandover confirmed by the card (SM-SR2, step 25).
    Finalised,
}

/// Where an eUICC stands, as one SM-SR's EIS records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum HandoverState {
    /// Managed by this SM-SR, no hand-over.
    #[default]
    Managed,
    /// This SM-SR (SM-SR1) hands the eUICC over.
    Outgoing(HandoverStep),
    /// This SM-SR (SM-SR2) takes the eUICC over.
    Incoming(HandoverStep),
    /// Handed over to SM-SR2 (its ES7.HandoverEUICC success came): the EIS
    /// is to be deleted here.
    Gone,
    /// A take-over that failed: SM-SR1 still manages the eUICC; the EIS is
    /// to be deleted here.
    Abandoned,
}

/// What happened next in the procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandoverEvent {
    /// ES4.SMSRChange accepted by SM-SR1.
    Start,
    /// ES7.HandoverEUICC received by SM-SR2.
    Received,
    /// The random challenge came back.
    Authenticated,
    /// The receipt was checked by SM-SR2.
    KeySetCreated,
    /// FinaliseISDRhandover confirmed (SM-SR2).
    Finalised,
    /// SM-SR2 answered ES7.HandoverEUICC with success (also a retry's
    /// "eUICC already managed", SGP.02 §3.8 error cases).
    Completed,
    /// A step failed or the validity period expired. SM-SR1 raises it
    /// after [`HandoverStep::KeySetCreated`] only on SM-SR2's failed
    /// ES7.HandoverEUICC answer (SM-SR2 fails only before it finalises):
    /// a missing answer there is a retry, never a roll-back, as the card may
    /// hold SM-SR2's keys alone.
    Failed,
}

/// Which SM-SR manages the eUICC: the one whose keys it must obey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Manager {
    /// This SM-SR.
    This,
    /// The other SM-SR of the hand-over.
    Other,
}

use HandoverEvent as E;
use HandoverState as S;
use HandoverStep as T;

/// Every transition: (from, event, to). Anything else is refused.
pub const TRANSITIONS: &[(HandoverState, HandoverEvent, HandoverState)] = &[
    // SM-SR1.
    (S::Managed, E::Start, S::Outgoing(T::EisHandedOver)),
    (
        S::Outgoing(T::EisHandedOver),
        E::Authenticated,
        S::Outgoing(T::SmsrAuthenticated),
    ),
    (
        S::Outgoing(T::SmsrAuthenticated),
        E::KeySetCreated,
        S::Outgoing(T::KeySetCreated),
    ),
    (S::Outgoing(T::EisHandedOver), E::Completed, S::Gone),
    (S::Outgoing(T::SmsrAuthenticated), E::Completed, S::Gone),
    (S::Outgoing(T::KeySetCreated), E::Completed, S::Gone),
    (S::Outgoing(T::EisHandedOver), E::Failed, S::Managed),
    (S::Outgoing(T::SmsrAuthenticated), E::Failed, S::Managed),
    (S::Outgoing(T::KeySetCreated), E::Failed, S::Managed),
    // SM-SR2 (an EIS received anew, or an eUICC coming back).
    (S::Abandoned, E::Received, S::Incoming(T::EisHandedOver)),
    (S::Gone, E::Received, S::Incoming(T::EisHandedOver)),
    (
        S::Incoming(T::EisHandedOver),
        E::Authenticated,
        S::Incoming(T::SmsrAuthenticated),
    ),
    (
        S::Incoming(T::SmsrAuthenticated),
        E::KeySetCreated,
        S::Incoming(T::KeySetCreated),
    ),
    (
        S::Incoming(T::KeySetCreated),
        E::Finalised,
        S::Incoming(T::Finalised),
    ),
    (S::Incoming(T::Finalised), E::Completed, S::Managed),
    (S::Incoming(T::EisHandedOver), E::Failed, S::Abandoned),
    (S::Incoming(T::SmsrAuthenticated), E::Failed, S::Abandoned),
    (S::Incoming(T::KeySetCreated), E::Failed, S::Abandoned),
];

const fn refusal(reason: RefusalReason) -> Refusal {
    Refusal::new(reason)
}

impl HandoverState {
    /// The state SM-SR2 gives an EIS received with ES7.HandoverEUICC.
    pub const INCOMING: Self = Self::Incoming(HandoverStep::EisHandedOver);

    /// The state after `event`.
    ///
    /// # Errors
    /// A [`Refusal`] for a transition not in [`TRANSITIONS`]: a second
    /// hand-over `8.7`/`3.3`, an eUICC handed over `8.1.1`/`3.9`, any
    /// other step out of order `8.1.1`/`3.3`.
    pub fn next(self, event: HandoverEvent) -> Result<Self, Refusal> {
        if let Some((_, _, to)) = TRANSITIONS
            .iter()
            .find(|(from, e, _)| *from == self && *e == event)
        {
            return Ok(*to);
        }
        Err(match (self, event) {
            (S::Outgoing(_) | S::Incoming(_), E::Start | E::Received) => {
                refusal(RefusalReason::SecondHandover)
            }
            (S::Gone | S::Abandoned, _) => refusal(RefusalReason::HandedOver),
            _ => refusal(RefusalReason::HandoverInProgress),
        })
    }

    /// Who manages the eUICC in this state, of record: SM-SR1 until SM-SR2
    /// has answered ES7.HandoverEUICC (which it does once its
    /// FinaliseISDRhandover is confirmed), SM-SR2 from its
    /// [`HandoverEvent::Completed`], raised when that answer is delivered.
    #[must_use]
    pub const fn manager(self) -> Manager {
        match self {
            S::Managed | S::Outgoing(_) => Manager::This,
            S::Gone | S::Abandoned | S::Incoming(_) => Manager::Other,
        }
    }

    /// `true` for [`HandoverState::Managed`] (kept out of the serialized
    /// EIS then).
    #[must_use]
    pub const fn is_managed(&self) -> bool {
        matches!(self, S::Managed)
    }

    /// Whether a profile operation (ES3/ES4 on a profile, [`Eis::check`])
    /// may run: only on an eUICC managed here with no hand-over.
    ///
    /// # Errors
    /// `8.1.1`/`3.3` during a hand-over, `8.1.1`/`3.9` once handed over.
    pub const fn admits_profile_operation(self) -> Result<(), Refusal> {
        match self {
            S::Managed => Ok(()),
            S::Outgoing(_) | S::Incoming(_) => Err(refusal(RefusalReason::HandoverInProgress)),
            S::Gone | S::Abandoned => Err(refusal(RefusalReason::HandedOver)),
        }
    }

    /// Whether `function` may be sent to the eUICC now. During a hand-over
    /// SM-SR1 still confirms the eUICC's notifications (the card resends
    /// until confirmed; it uses SM-SR1's keys, still valid), and nothing
    /// else runs; SM-SR2 runs nothing before it manages the eUICC.
    ///
    /// # Errors
    /// As [`HandoverState::admits_profile_operation`].
    pub fn admits(self, function: &Function) -> Result<(), Refusal> {
        match (self, function) {
            (S::Outgoing(_), Function::ConfirmNotification { .. }) => Ok(()),
            (
                _,
                Function::CreateIsdp { .. }
                | Function::EnableProfile { .. }
                | Function::DisableProfile { .. }
                | Function::DeleteProfile { .. }
                | Function::SetFallbackAttribute { .. }
                | Function::SetEmergencyProfileAttribute { .. }
                | Function::UpdateConnectivityParameters { .. }
                | Function::AuditEis { .. }
                | Function::SendData { .. }
                | Function::ConfirmNotification { .. },
            ) => self.admits_profile_operation(),
        }
    }
}

impl Eis {
    /// Moves this EIS's hand-over state on by `event`; nothing changes on
    /// a refusal.
    ///
    /// # Errors
    /// As [`HandoverState::next`].
    pub fn handover_event(&mut self, event: HandoverEvent) -> Result<HandoverState, Refusal> {
        self.handover = self.handover.next(event)?;
        Ok(self.handover)
    }
}
