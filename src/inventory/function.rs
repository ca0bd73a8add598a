//! The functions an SM-SR carries out on one eUICC over ES5, each
//! described once: [`Function`] (owned, queued, serialized with the
//! SGP.02 ES3/ES4 names) and its [`Descriptor`] (function name, audit-trail
//! [`OperationType`], how the outcome reaches the EIS, whether an attempt
//! of unknown outcome must be reconciled by audit before a resend).
//!
//! The rule check and the ES5 command of a profile function go through
//! its borrowed [`Operation`] view ([`Function::operation`]), checked once
//! by [`Eis::check`] / [`Eis::es5_command`]; what an audit proves about an
//! interrupted attempt is [`Function::confirmed_by_audit`].
//!
//! Adding a function: a variant here (and its [`Descriptor`] arm), its
//! [`Operation`] and rule in [`super::rules`], its EIS effect in
//! [`super::apply`], its ES5 builder in [`crate::isdr::es5`].

use alloc::string::String;
use alloc::vec::Vec;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::apply::FollowUp;
use super::model::{Eis, HexBytes, OperationType, ProfileState};
use super::rules::Operation;
use crate::isdr::Aid;

/// What a function acts on (SGP.02 §5.1.1.3: profiles by ICCID, the
/// ISD-R, ISD-Ps and other security domains by AID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    /// A profile (and its ISD-P), by ICCID.
    Profile(&'a str),
    /// The ISD-R itself (audits, notification confirmations, ISD-R key
    /// sets, SM-SR change).
    IsdR,
    /// An ISD-P or another security domain, by AID (ES3.SendData).
    SecurityDomain(Aid),
}

/// How the outcome of an executed function reaches the EIS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The R-APDU settles it ([`Eis::apply_result`]).
    Result,
    /// The R-APDU only says the ISD-R accepted it: the eUICC's
    /// notification carries the outcome (profile switch, SGP.02 §4.1.1.11).
    Notification,
    /// The answer is an audit ([`Eis::apply_audit`]).
    Audit,
    /// The answer is relayed to the requester, the EIS is unchanged
    /// (ES3.SendData).
    Relay,
    /// The answer lists ISD-Ps deleted on the eUICC
    /// (ES5.HandleNotificationConfirmation).
    Confirmation,
}

/// The one description of a function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Descriptor {
    /// ES3/ES4/ES5 function name.
    pub name: &'static str,
    /// Audit-trail operation type (SGP.02 §5.1.1.3.12 as listed by njiwa),
    /// `None` when no code is known.
    pub operation_type: Option<OperationType>,
    /// How the outcome reaches the EIS.
    pub outcome: Outcome,
    /// A second execution changes nothing: an attempt of unknown outcome
    /// may be sent again without an audit first.
    pub idempotent: bool,
}

const fn d(
    name: &'static str,
    operation_type: Option<OperationType>,
    outcome: Outcome,
    idempotent: bool,
) -> Descriptor {
    Descriptor {
        name,
        operation_type,
        outcome,
        idempotent,
    }
}

/// A function the SM-SR carries out on one eUICC over ES5: queued,
/// retried and settled by a delivery engine. Serialized with the SGP.02
/// function and element names (`{"Function": "EnableProfile", "Iccid": …}`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
#[cfg_attr(feature = "serde", serde(tag = "Function"))]
pub enum Function {
    /// ES3.CreateISDP: a new ISD-P for a profile to come.
    #[cfg_attr(feature = "serde", serde(rename = "CreateISDP"))]
    CreateIsdp {
        /// ICCID of the profile.
        #[cfg_attr(feature = "serde", serde(rename = "Iccid"))]
        iccid: String,
        /// MNO that will own the profile.
        #[cfg_attr(feature = "serde", serde(rename = "Mno-id"))]
        mno_id: String,
        /// Memory to reserve (bytes).
        #[cfg_attr(feature = "serde", serde(rename = "RequiredMemory", default))]
        required_memory: Option<u32>,
    },
    /// ES4/ES3.EnableProfile.
    EnableProfile {
        /// ICCID.
        #[cfg_attr(feature = "serde", serde(rename = "Iccid"))]
        iccid: String,
    },
    /// ES4/ES3.DisableProfile.
    DisableProfile {
        /// ICCID.
        #[cfg_attr(feature = "serde", serde(rename = "Iccid"))]
        iccid: String,
    },
    /// ES4.DeleteProfile / ES3.DeleteISDP.
    DeleteProfile {
        /// ICCID.
        #[cfg_attr(feature = "serde", serde(rename = "Iccid"))]
        iccid: String,
    },
    /// ES4.SetFallBackAttribute.
    SetFallbackAttribute {
        /// ICCID.
        #[cfg_attr(feature = "serde", serde(rename = "Iccid"))]
        iccid: String,
    },
    /// ES4.SetEmergencyProfileAttribute (SGP.02 v3.x+).
    SetEmergencyProfileAttribute {
        /// ICCID.
        #[cfg_attr(feature = "serde", serde(rename = "Iccid"))]
        iccid: String,
    },
    /// ES3/ES4.UpdateConnectivityParameters (value of DGI `3A07`).
    UpdateConnectivityParameters {
        /// ICCID.
        #[cfg_attr(feature = "serde", serde(rename = "Iccid"))]
        iccid: String,
        /// Parameter TLVs, hex.
        #[cfg_attr(feature = "serde", serde(rename = "ConnectivityParameters"))]
        parameters: HexBytes,
    },
    /// ES3/ES4.AuditEIS: eUICC capability audit (GET DATA `FF21`, GET
    /// STATUS of the ISD-Ps).
    #[cfg_attr(feature = "serde", serde(rename = "AuditEIS"))]
    AuditEis {
        /// Limit the audit to these profiles (all when empty).
        #[cfg_attr(feature = "serde", serde(rename = "Iccid", default))]
        iccids: Vec<String>,
    },
    /// ES3.SendData: a command script relayed to a security domain (the
    /// SM-DP's profile download, SGP.02 §5.4.5), sent with
    /// `X-Admin-Targeted-Application` (SCP81) or to its TAR (SCP80).
    SendData {
        /// Security domain AID (an ISD-P).
        #[cfg_attr(feature = "serde", serde(rename = "sd-aid"))]
        sd_aid: Aid,
        /// The command script (`AA`/`AE`) or SCP03t command TLVs, hex.
        #[cfg_attr(feature = "serde", serde(rename = "Data"))]
        data: HexBytes,
        /// ES3.SendData `moreToDo`: more data follow for this ISD-P (the
        /// SCP81 session stays open, the SCP80 scripts are chained;
        /// [`crate::delivery::relay`]).
        #[cfg_attr(
            feature = "serde",
            serde(
                rename = "MoreToDo",
                default,
                skip_serializing_if = "core::ops::Not::not"
            )
        )]
        more_to_do: bool,
    },
    /// ES5.HandleNotificationConfirmation (queued by the SM-SR itself).
    #[cfg_attr(feature = "serde", serde(rename = "HandleNotificationConfirmation"))]
    ConfirmNotification {
        /// Sequence number of the notification.
        #[cfg_attr(feature = "serde", serde(rename = "SequenceNumber"))]
        sequence_number: u16,
    },
}

impl Function {
    /// The function's one description.
    pub const fn descriptor(&self) -> Descriptor {
        use Outcome::{Audit, Confirmation, Notification, Relay, Result};
        match self {
            Function::CreateIsdp { .. } => d(
                "CreateISDP",
                Some(OperationType::CREATE_ISDP),
                Result,
                false,
            ),
            Function::EnableProfile { .. } => d(
                "EnableProfile",
                Some(OperationType::ENABLE_PROFILE),
                Notification,
                false,
            ),
            Function::DisableProfile { .. } => d(
                "DisableProfile",
                Some(OperationType::DISABLE_PROFILE),
                Notification,
                false,
            ),
            Function::DeleteProfile { .. } => d(
                "DeleteProfile",
                Some(OperationType::DELETE_PROFILE),
                Result,
                false,
            ),
            Function::SetFallbackAttribute { .. } => d(
                "SetFallbackAttribute",
                Some(OperationType::SET_FALLBACK_ATTRIBUTE),
                Result,
                false,
            ),
            // No operation type code is known for these (njiwa's list,
            // SGP.02 §5.1.1.3.12 as cited there, stops at 0900).
            Function::SetEmergencyProfileAttribute { .. } => {
                d("SetEmergencyProfileAttribute", None, Result, true)
            }
            Function::UpdateConnectivityParameters { .. } => {
                d("UpdateConnectivityParameters", None, Result, true)
            }
            Function::AuditEis { .. } => d(
                "AuditEIS",
                Some(OperationType::CAPABILITY_AUDIT),
                Audit,
                true,
            ),
            Function::SendData { .. } => d("SendData", None, Relay, true),
            Function::ConfirmNotification { .. } => {
                d("HandleNotificationConfirmation", None, Confirmation, true)
            }
        }
    }

    /// SGP.02 function name.
    pub const fn name(&self) -> &'static str {
        self.descriptor().name
    }

    /// What the function acts on.
    pub fn target(&self) -> Target<'_> {
        match self {
            Function::CreateIsdp { iccid, .. }
            | Function::EnableProfile { iccid }
            | Function::DisableProfile { iccid }
            | Function::DeleteProfile { iccid }
            | Function::SetFallbackAttribute { iccid }
            | Function::SetEmergencyProfileAttribute { iccid }
            | Function::UpdateConnectivityParameters { iccid, .. } => Target::Profile(iccid),
            Function::AuditEis { .. } | Function::ConfirmNotification { .. } => Target::IsdR,
            Function::SendData { sd_aid, .. } => Target::SecurityDomain(*sd_aid),
        }
    }

    /// What the success of the function changes in the EIS beyond what
    /// its response carries: an `AuditEIS` dates the EIS's
    /// `lastAuditDate` (SGP.02 EIS) with `date`. `true` when the EIS
    /// changed.
    pub fn on_success(&self, eis: &mut Eis, date: &str) -> bool {
        match self {
            Function::AuditEis { .. } => {
                eis.last_audit_date = Some(date.into());
                true
            }
            _ => false,
        }
    }

    /// The ICCID the function is about, if it targets a profile.
    pub fn iccid(&self) -> Option<&str> {
        match self.target() {
            Target::Profile(iccid) => Some(iccid),
            Target::IsdR | Target::SecurityDomain(_) => None,
        }
    }

    /// The [`Operation`] the EIS rules check and the ES5 command carries,
    /// for a function on a profile. A CreateISDP needs the AID chosen for
    /// its ISD-P (`create_aid`); without it, or for a function that is not
    /// a profile operation, `None`.
    pub fn operation(&self, create_aid: Option<Aid>) -> Option<Operation<'_>> {
        Some(match self {
            Function::CreateIsdp {
                iccid,
                required_memory,
                ..
            } => Operation::CreateIsdp {
                iccid,
                isd_p_aid: create_aid?,
                required_memory: *required_memory,
            },
            Function::EnableProfile { iccid } => Operation::EnableProfile { iccid },
            Function::DisableProfile { iccid } => Operation::DisableProfile { iccid },
            Function::DeleteProfile { iccid } => Operation::DeleteProfile { iccid },
            Function::SetFallbackAttribute { iccid } => Operation::SetFallbackAttribute { iccid },
            Function::SetEmergencyProfileAttribute { iccid } => {
                Operation::SetEmergencyProfileAttribute { iccid }
            }
            Function::UpdateConnectivityParameters { iccid, parameters } => {
                Operation::UpdateConnectivityParameters {
                    iccid,
                    parameters: &parameters.0,
                }
            }
            Function::AuditEis { .. }
            | Function::SendData { .. }
            | Function::ConfirmNotification { .. } => return None,
        })
    }

    /// Whether an audit shows the effect of this function already on the
    /// card: `before` is the EIS before the audit was applied, `after`
    /// after it, `on_card` whether an ISD-P AID is among the audited ones.
    /// Idempotent functions are never "confirmed" (they are simply sent
    /// again).
    pub fn confirmed_by_audit(
        &self,
        before: &Eis,
        after: &Eis,
        on_card: &dyn Fn(&Aid) -> bool,
    ) -> bool {
        match self {
            Function::CreateIsdp { iccid, .. } => {
                before.profile(iccid).is_some_and(|p| on_card(&p.isd_p_aid))
            }
            Function::EnableProfile { iccid } => after
                .profile(iccid)
                .is_some_and(|p| p.state == ProfileState::Enabled),
            Function::DisableProfile { iccid } => after
                .profile(iccid)
                .is_none_or(|p| p.state == ProfileState::Disabled),
            Function::DeleteProfile { iccid } => {
                before.profile(iccid).is_some() && after.profile(iccid).is_none()
            }
            Function::SetFallbackAttribute { iccid } => {
                after.profile(iccid).is_some_and(|p| p.fallback_attribute)
            }
            Function::SetEmergencyProfileAttribute { .. }
            | Function::UpdateConnectivityParameters { .. }
            | Function::AuditEis { .. }
            | Function::SendData { .. }
            | Function::ConfirmNotification { .. } => false,
        }
    }
}

impl From<&FollowUp> for Function {
    /// The function an SM-SR queues for a follow-up: the notification's
    /// confirmation, or the POL2 auto-delete of a disabled profile.
    fn from(f: &FollowUp) -> Self {
        match f {
            FollowUp::ConfirmNotification { sequence_number } => Function::ConfirmNotification {
                sequence_number: *sequence_number,
            },
            FollowUp::AutoDelete { iccid } => Function::DeleteProfile {
                iccid: iccid.clone(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_audit_dates_the_eis() {
        let eid = crate::isdr::Eid::with_check_digits("890490320000000000000000000001").unwrap();
        let mut eis = Eis::new(eid, "SMSR1");
        let enable = Function::EnableProfile {
            iccid: "8901".into(),
        };
        assert!(!enable.on_success(&mut eis, "2026-12-03T08:00:00Z"));
        assert_eq!(eis.last_audit_date, None);
        let audit = Function::AuditEis { iccids: Vec::new() };
        assert!(audit.on_success(&mut eis, "2026-12-03T08:00:00Z"));
        assert_eq!(eis.last_audit_date.as_deref(), Some("2026-12-03T08:00:00Z"));
    }

    #[test]
    fn targets_and_names() {
        let f = Function::EnableProfile {
            iccid: "8901".into(),
        };
        assert_eq!(f.target(), Target::Profile("8901"));
        assert_eq!(f.name(), "EnableProfile");
        assert_eq!(f.descriptor().outcome, Outcome::Notification);
        assert_eq!(
            f.operation(None),
            Some(Operation::EnableProfile { iccid: "8901" })
        );
        let a = Function::AuditEis { iccids: Vec::new() };
        assert_eq!(a.target(), Target::IsdR);
        assert_eq!(a.iccid(), None);
        assert_eq!(
            a.descriptor().operation_type,
            Some(OperationType::CAPABILITY_AUDIT)
        );
        // CreateISDP is an operation only once its AID is chosen.
        let c = Function::CreateIsdp {
            iccid: "8902".into(),
            mno_id: "mno".into(),
            required_memory: None,
        };
        assert_eq!(c.operation(None), None);
        assert!(
            c.operation(Aid::isd_p(crate::isdr::Tar([0, 0, 0x10])).ok())
                .is_some()
        );
    }
}
