//! The eUICC Information Set (EIS): what the SM-SR knows about each eUICC
//! of its fleet (SGP.02 §5.1.1.3), the rules every operation is checked
//! against, and how ES5 results, notifications and audits update it.
//! Needs `alloc`.
//!
//! * [`model`]: [`Eis`], [`ProfileInfo`], security domains, key sets
//!   (key values zeroized and never shown), capabilities, audit trail;
//!   with the `serde` feature they serialize with the SGP.02 element
//!   names and nesting of the GSMA `EISType` schema (`EumSignedInfo`
//!   { `Eid`, `Eum-id`, ... }, `ProfileInfo`, `Isd-p-aid`, `Isd-r`, ...).
//! * [`field`]: the simple types of the ES-interface elements (EID, ICCID
//!   with its Luhn digit, AIDs, TAR, MSISDN, IMSI, identifiers, key
//!   lengths), each refusal with its SGP.02 subject / reason.
//! * [`rules`]: [`Eis::check`] and [`Eis::es5_command`] refuse forbidden
//!   operations with SGP.02 subject / reason codes.
//! * [`apply`]: results, notifications and audits applied to the EIS.
//! * [`authorisation`]: who may see and act on an eUICC ([`Authority`],
//!   PLMAs).
//! * [`function`]: the functions an SM-SR carries out ([`Function`]), each
//!   described once ([`Descriptor`]), with a typed [`Target`].
//! * [`handover`]: an eUICC in an SM-SR change: the steps, who manages
//!   it, what each state refuses.
//! * [`notify`]: which Handle*Notification an EIS change owes to whom.
//! * [`onc`]: the Operator Notification Configuration ([`Onc`]): which of
//!   them an operator has the SM-SR discard.
//! * [`status`]: SGP.02 `FunctionExecutionStatus` and the codes an SM-SR
//!   reports ([`codes`]).
//! * [`Eis::check_invariants`]: one enabled profile at most, one fall-back
//!   and one emergency profile at most (never the same), unique ICCIDs and
//!   ISD-P AIDs.

pub mod apply;
pub mod authorisation;
pub mod field;
pub mod function;
pub mod handover;
pub mod model;
pub mod notify;
pub mod onc;
pub mod rules;
pub mod status;

pub use apply::sequence_is_after;
pub use apply::{AuditEffect, FollowUp, NotificationEffect};
pub use authorisation::{AuthorisedFunction, Authority, Plma};
pub use function::{Descriptor, Function, Outcome, Target};
pub use handover::{HandoverEvent, HandoverState, HandoverStep, Manager};
pub use model::{
    AuditRecord, Certificate, Eis, EuiccCapabilities, EumSignedInfo, ExecutionStatus, HexBytes,
    Key, KeySet, KeySetType, OperationExecutionStatus, OperationType, Pol2Action,
    Pol2Qualification, Pol2Rule, Pol2Subject, ProfileInfo, ProfileState, SecretKey, SecurityDomain,
    SecurityDomainRole, SubscriptionAddress,
};
pub use onc::Onc;
pub use rules::{Es5CommandError, Operation, Refusal, RefusalReason};
pub use status::{FunctionExecutionStatus, StatusCodeDataFull, codes};

/// A broken EIS invariant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvariantViolation {
    /// More than one profile is enabled.
    #[error("{0} profiles are enabled")]
    SeveralEnabled(usize),
    /// More than one profile carries the fall-back attribute.
    #[error("{0} profiles carry the fall-back attribute")]
    SeveralFallback(usize),
    /// More than one profile carries the emergency attribute.
    #[error("{0} profiles carry the emergency profile attribute")]
    SeveralEmergency(usize),
    /// One profile carries both attributes.
    #[error("the fall-back profile is also the emergency profile")]
    FallbackIsEmergency,
    /// An attribute on a profile that is not downloaded yet.
    #[error("an attribute on a profile that is not Enabled or Disabled")]
    AttributeOnUnloadedProfile,
    /// Two profiles share an ICCID or an ISD-P AID.
    #[error("duplicate ICCID or ISD-P AID")]
    Duplicate,
}

impl Eis {
    /// Checks the invariants an EIS keeps through any sequence of allowed
    /// operations.
    ///
    /// # Errors
    /// The first [`InvariantViolation`] found.
    pub fn check_invariants(&self) -> Result<(), InvariantViolation> {
        let count = |f: fn(&ProfileInfo) -> bool| self.profiles.iter().filter(|p| f(p)).count();
        let enabled = count(|p| p.state == ProfileState::Enabled);
        if enabled > 1 {
            return Err(InvariantViolation::SeveralEnabled(enabled));
        }
        let fb = count(|p| p.fallback_attribute);
        if fb > 1 {
            return Err(InvariantViolation::SeveralFallback(fb));
        }
        let em = count(|p| p.emergency_profile_attribute);
        if em > 1 {
            return Err(InvariantViolation::SeveralEmergency(em));
        }
        if count(|p| p.fallback_attribute && p.emergency_profile_attribute) > 0 {
            return Err(InvariantViolation::FallbackIsEmergency);
        }
        if count(|p| {
            (p.fallback_attribute || p.emergency_profile_attribute)
                && !matches!(p.state, ProfileState::Enabled | ProfileState::Disabled)
        }) > 0
        {
            return Err(InvariantViolation::AttributeOnUnloadedProfile);
        }
        for (i, a) in self.profiles.iter().enumerate() {
            if self
                .profiles
                .iter()
                .skip(i + 1)
                .any(|b| a.iccid == b.iccid || a.isd_p_aid == b.isd_p_aid)
            {
                return Err(InvariantViolation::Duplicate);
            }
        }
        Ok(())
    }
}
