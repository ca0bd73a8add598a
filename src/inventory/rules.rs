//! Which operation is allowed on which profile: every ES3/ES4 request is
//! checked against the EIS before any APDU is built, and refused with an
//! SGP.02 subject / reason code (SGP.02 §5.1.6.4 / §5.1.6.5).
//!
//! Codes (subject / reason): unknown ICCID `8.2.1`/`3.9` (njiwa); profile
//! in the wrong state `8.2.1`/`1.2` (njiwa "Profile state is wrong");
//! POL2 refusal `8.2.3`/`3.8` (njiwa "Denied by POL2"); fall-back,
//! enabled or emergency profile refused `8.2`/`3.8` (Profile / Refused;
//! njiwa uses `8.2.3` for the fall-back case); ICCID or ISD-P AID already
//! present `8.2.1`/`3.3` (Already in use); not enough memory `8.1`/`4.8`.

use core::fmt;

use super::model::{Eis, Pol2Action, Pol2Qualification, ProfileInfo, ProfileState};
use crate::isdr::Aid;
use crate::isdr::es5::{self, Capdu};
use crate::isdr::response::StatusCode;

/// An operation an MNO or SM-DP asks the SM-SR to perform on an eUICC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation<'a> {
    /// ES3.CreateISDP: a new ISD-P for `iccid`.
    CreateIsdp {
        /// ICCID of the profile to come.
        iccid: &'a str,
        /// AID for the new ISD-P (see [`Eis::next_isd_p_tar`]).
        isd_p_aid: Aid,
        /// Memory to reserve, bytes.
        required_memory: Option<u32>,
    },
    /// ES3.ProfileDownloadCompleted: the SM-DP finished loading `iccid`.
    ProfileDownloadCompleted {
        /// ICCID.
        iccid: &'a str,
    },
    /// ES4/ES3.EnableProfile.
    EnableProfile {
        /// ICCID.
        iccid: &'a str,
    },
    /// ES4/ES3.DisableProfile.
    DisableProfile {
        /// ICCID.
        iccid: &'a str,
    },
    /// ES4.DeleteProfile / ES3.DeleteISDP.
    DeleteProfile {
        /// ICCID.
        iccid: &'a str,
    },
    /// ES3.MasterDelete: deletion with a delete token, regardless of POL2.
    MasterDelete {
        /// ICCID.
        iccid: &'a str,
    },
    /// ES4.SetFallBackAttribute.
    SetFallbackAttribute {
        /// ICCID.
        iccid: &'a str,
    },
    /// ES4.SetEmergencyProfileAttribute.
    SetEmergencyProfileAttribute {
        /// ICCID.
        iccid: &'a str,
    },
    /// ES3.UpdateConnectivityParameters.
    UpdateConnectivityParameters {
        /// ICCID.
        iccid: &'a str,
        /// The parameter TLVs (value of DGI `3A07`).
        parameters: &'a [u8],
    },
}

impl<'a> Operation<'a> {
    /// The ICCID the operation is about.
    pub const fn iccid(&self) -> &'a str {
        match self {
            Operation::CreateIsdp { iccid, .. }
            | Operation::ProfileDownloadCompleted { iccid }
            | Operation::EnableProfile { iccid }
            | Operation::DisableProfile { iccid }
            | Operation::DeleteProfile { iccid }
            | Operation::MasterDelete { iccid }
            | Operation::SetFallbackAttribute { iccid }
            | Operation::SetEmergencyProfileAttribute { iccid }
            | Operation::UpdateConnectivityParameters { iccid, .. } => iccid,
        }
    }
}

/// Why an operation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefusalReason {
    /// No profile with this ICCID.
    UnknownProfile,
    /// CreateISDP for an ICCID already present.
    ProfileExists,
    /// CreateISDP with an ISD-P AID already used, or not an ISD-P AID.
    IsdpAidUnavailable,
    /// Not enough memory for the requested quota.
    InsufficientMemory,
    /// The profile is not in a state that allows the operation.
    WrongState(ProfileState),
    /// The profile carries the fall-back attribute.
    FallbackProfile,
    /// The profile is the enabled one.
    EnabledProfile,
    /// The profile carries the emergency profile attribute.
    EmergencyProfile,
    /// A POL2 rule of the named profile forbids the action.
    Pol2(Pol2Action),
    /// The requester owns neither the profile (MNO) nor created it (SM-DP).
    NotOwner,
    /// The requester neither owns the profile nor holds a PLMA of its
    /// operator for the function ([`super::authorisation`]).
    NotAuthorised,
    /// The eUICC is in an SM-SR change ([`super::handover`]).
    HandoverInProgress,
    /// An SM-SR change asked for an eUICC already in one.
    SecondHandover,
    /// The eUICC was handed over to another SM-SR (or a take-over failed).
    HandedOver,
}

/// A refused operation: the code to report upstream and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// SGP.02 subject and reason code.
    pub code: StatusCode,
    /// Why.
    pub reason: RefusalReason,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused ({}): {:?}", self.code, self.reason)
    }
}

impl core::error::Error for Refusal {}

impl Refusal {
    pub(crate) const fn new(reason: RefusalReason) -> Self {
        let code = match reason {
            RefusalReason::UnknownProfile => StatusCode::new("8.2.1", "3.9"),
            RefusalReason::ProfileExists | RefusalReason::IsdpAidUnavailable => {
                StatusCode::new("8.2.1", "3.3")
            }
            RefusalReason::InsufficientMemory => StatusCode::new("8.1", "4.8"),
            RefusalReason::WrongState(_) | RefusalReason::NotOwner => {
                StatusCode::new("8.2.1", "1.2")
            }
            RefusalReason::Pol2(_) => StatusCode::new("8.2.3", "3.8"),
            // Function Requester / Not Allowed (authorisation).
            RefusalReason::NotAuthorised => StatusCode::new("1.1", "1.2"),
            // EID / Already in use, SM-SR / Already in use, EID / Unknown
            // (super::handover; UNCONFIRMED).
            RefusalReason::HandoverInProgress => StatusCode::new("8.1.1", "3.3"),
            RefusalReason::SecondHandover => StatusCode::new("8.7", "3.3"),
            RefusalReason::HandedOver => StatusCode::new("8.1.1", "3.9"),
            RefusalReason::FallbackProfile
            | RefusalReason::EnabledProfile
            | RefusalReason::EmergencyProfile => StatusCode::new("8.2", "3.8"),
        };
        Self { code, reason }
    }
}

fn refuse<T>(reason: RefusalReason) -> Result<T, Refusal> {
    Err(Refusal::new(reason))
}

fn pol2_forbids(p: &ProfileInfo, action: Pol2Action) -> bool {
    p.pol2_for(action) == Some(Pol2Qualification::NotAllowed)
}

impl Eis {
    fn known(&self, iccid: &str) -> Result<&ProfileInfo, Refusal> {
        self.profile(iccid)
            .ok_or(Refusal::new(RefusalReason::UnknownProfile))
    }

    /// Checks `op` against this EIS.
    ///
    /// # Errors
    /// The [`Refusal`] with its SGP.02 code when the operation is not
    /// allowed: see the module documentation.
    pub fn check(&self, op: &Operation<'_>) -> Result<(), Refusal> {
        use ProfileState::{Created, Disabled, Enabled};
        self.handover.admits_profile_operation()?;
        match *op {
            Operation::CreateIsdp {
                iccid,
                isd_p_aid,
                required_memory,
            } => self.check_create_isdp(iccid, isd_p_aid, required_memory),
            Operation::ProfileDownloadCompleted { iccid } => {
                let p = self.known(iccid)?;
                if p.state != Created {
                    return refuse(RefusalReason::WrongState(p.state));
                }
                Ok(())
            }
            Operation::EnableProfile { iccid } => self.check_enable(iccid),
            Operation::DisableProfile { iccid } => self.check_disable(iccid),
            Operation::DeleteProfile { iccid } => self.check_delete(iccid, true),
            Operation::MasterDelete { iccid } => self.check_delete(iccid, false),
            Operation::SetFallbackAttribute { iccid } => {
                let p = self.known(iccid)?;
                if !matches!(p.state, Enabled | Disabled) {
                    return refuse(RefusalReason::WrongState(p.state));
                }
                if p.emergency_profile_attribute {
                    return refuse(RefusalReason::EmergencyProfile);
                }
                Ok(())
            }
            Operation::SetEmergencyProfileAttribute { iccid } => {
                let p = self.known(iccid)?;
                if !matches!(p.state, Enabled | Disabled) {
                    return refuse(RefusalReason::WrongState(p.state));
                }
                if p.fallback_attribute {
                    return refuse(RefusalReason::FallbackProfile);
                }
                Ok(())
            }
            Operation::UpdateConnectivityParameters { iccid, .. } => {
                let p = self.known(iccid)?;
                if p.state == ProfileState::InCreation {
                    return refuse(RefusalReason::WrongState(p.state));
                }
                Ok(())
            }
        }
    }

    /// CreateISDP: a new ICCID, a free ISD-P AID, enough memory.
    fn check_create_isdp(
        &self,
        iccid: &str,
        isd_p_aid: Aid,
        required_memory: Option<u32>,
    ) -> Result<(), Refusal> {
        if self.profile(iccid).is_some() {
            return refuse(RefusalReason::ProfileExists);
        }
        if !isd_p_aid.is_isd_p() || self.profile_by_aid(&isd_p_aid).is_some() {
            return refuse(RefusalReason::IsdpAidUnavailable);
        }
        if required_memory.is_some_and(|m| m > self.available_memory_for_profiles) {
            return refuse(RefusalReason::InsufficientMemory);
        }
        Ok(())
    }

    /// EnableProfile: a disabled profile whose POL2 allows enabling, and
    /// the enabled one's POL2 allows disabling (SGP.02 §3.2, POL2 §2.4.2).
    fn check_enable(&self, iccid: &str) -> Result<(), Refusal> {
        let p = self.known(iccid)?;
        if p.state != ProfileState::Disabled {
            return refuse(RefusalReason::WrongState(p.state));
        }
        if pol2_forbids(p, Pol2Action::Enable) {
            return refuse(RefusalReason::Pol2(Pol2Action::Enable));
        }
        // Enabling another profile disables the current one.
        if self
            .enabled_profile()
            .is_some_and(|cur| pol2_forbids(cur, Pol2Action::Disable))
        {
            return refuse(RefusalReason::Pol2(Pol2Action::Disable));
        }
        Ok(())
    }

    /// DisableProfile: the enabled profile, not the fall-back one, which
    /// must exist and be enabled next (SGP.02 §3.3).
    fn check_disable(&self, iccid: &str) -> Result<(), Refusal> {
        let p = self.known(iccid)?;
        if p.state != ProfileState::Enabled {
            return refuse(RefusalReason::WrongState(p.state));
        }
        // Disabling hands over to the fall-back profile, so that one
        // cannot itself be disabled (and must exist).
        if p.fallback_attribute || self.fallback_profile().is_none() {
            return refuse(RefusalReason::FallbackProfile);
        }
        if pol2_forbids(p, Pol2Action::Disable) {
            return refuse(RefusalReason::Pol2(Pol2Action::Disable));
        }
        if self
            .fallback_profile()
            .is_some_and(|f| pol2_forbids(f, Pol2Action::Enable))
        {
            return refuse(RefusalReason::Pol2(Pol2Action::Enable));
        }
        Ok(())
    }

    /// DeleteProfile / MasterDelete: neither enabled, fall-back nor
    /// emergency, not in creation; POL2 only binds DeleteProfile
    /// (`pol2` true), MasterDelete ignores it (SGP.02 §3.4, §3.6).
    fn check_delete(&self, iccid: &str, pol2: bool) -> Result<(), Refusal> {
        let p = self.known(iccid)?;
        if p.state == ProfileState::Enabled {
            return refuse(RefusalReason::EnabledProfile);
        }
        if p.fallback_attribute {
            return refuse(RefusalReason::FallbackProfile);
        }
        if p.emergency_profile_attribute {
            return refuse(RefusalReason::EmergencyProfile);
        }
        if p.state == ProfileState::InCreation {
            return refuse(RefusalReason::WrongState(p.state));
        }
        if pol2 && pol2_forbids(p, Pol2Action::Delete) {
            return refuse(RefusalReason::Pol2(Pol2Action::Delete));
        }
        Ok(())
    }

    /// [`Eis::check`] for a request from `requester`: an operation on an
    /// existing profile is refused (`8.2.1`/`1.2`, njiwa "Not permitted")
    /// unless `requester` is its MNO or its SM-DP ([`ProfileInfo::is_owned_by`]).
    ///
    /// # Errors
    /// The [`Refusal`].
    pub fn check_for(&self, requester: &str, op: &Operation<'_>) -> Result<(), Refusal> {
        if !matches!(op, Operation::CreateIsdp { .. })
            && self
                .profile(op.iccid())
                .is_some_and(|p| !p.is_owned_by(requester))
        {
            return refuse(RefusalReason::NotOwner);
        }
        self.check(op)
    }

    /// Checks `op` and, when allowed, builds the ES5 C-APDU that carries it
    /// (`None` for [`Operation::ProfileDownloadCompleted`], which only
    /// changes the EIS, and for [`Operation::MasterDelete`], whose command
    /// needs the SM-DP's delete token: see [`Eis::master_delete_command`]).
    ///
    /// # Errors
    /// [`Es5CommandError::Refused`] with the SGP.02 code, or
    /// [`Es5CommandError::Build`] for arguments the command cannot carry
    /// (e.g. connectivity parameters over one STORE DATA block).
    pub fn es5_command(&self, op: &Operation<'_>) -> Result<Option<Capdu>, Es5CommandError> {
        self.check(op)?;
        let aid = |iccid| {
            self.profile(iccid)
                .map(|p| p.isd_p_aid)
                .ok_or(Refusal::new(RefusalReason::UnknownProfile))
        };
        let cmd = match *op {
            Operation::CreateIsdp {
                isd_p_aid,
                required_memory,
                ..
            } => es5::create_isdp(&isd_p_aid, required_memory)?,
            Operation::ProfileDownloadCompleted { .. } | Operation::MasterDelete { .. } => {
                return Ok(None);
            }
            Operation::EnableProfile { iccid } => es5::enable_profile(&aid(iccid)?)?,
            Operation::DisableProfile { iccid } => es5::disable_profile(&aid(iccid)?)?,
            Operation::DeleteProfile { iccid } => es5::delete_isdp(&aid(iccid)?)?,
            Operation::SetFallbackAttribute { iccid } => es5::set_fallback_attribute(&aid(iccid)?)?,
            Operation::SetEmergencyProfileAttribute { iccid } => {
                es5::set_emergency_profile_attribute(&aid(iccid)?)?
            }
            Operation::UpdateConnectivityParameters { parameters, .. } => {
                es5::update_connectivity_parameters(parameters)?
            }
        };
        Ok(Some(cmd))
    }
}

impl Eis {
    /// Checks [`Operation::MasterDelete`] for `iccid` and builds the
    /// ES5.MasterDelete C-APDU with the SM-DP's control reference template
    /// and delete token ([`es5::master_delete`]).
    ///
    /// # Errors
    /// As [`Eis::es5_command`].
    pub fn master_delete_command(
        &self,
        iccid: &str,
        crt: &[u8],
        token: &[u8],
    ) -> Result<Capdu, Es5CommandError> {
        self.check(&Operation::MasterDelete { iccid })?;
        let p = self
            .profile(iccid)
            .ok_or(Refusal::new(RefusalReason::UnknownProfile))?;
        Ok(es5::master_delete(&p.isd_p_aid, crt, token)?)
    }
}

/// Why [`Eis::es5_command`] produced no command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Es5CommandError {
    /// The EIS refuses the operation.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The command could not be built from the arguments.
    #[error("cannot build the ES5 command: {0}")]
    Build(#[from] crate::isdr::Error),
}
