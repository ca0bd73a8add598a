//! Who may see and act on an eUICC (SGP.02 v4 §2.9 and ES4A: the
//! Profile Lifecycle Management Authorisation, PLMA).
//!
//! A profile belongs to its operator (`Mno-id`) and to the SM-DP that
//! created it (`Smdp-id`). Another party (an M2M SP, another operator, an
//! SM-DP) acts on it only under a [`Plma`] its operator granted
//! (ES4.SetPLMA), for the functions that PLMA names and, when it names
//! one, only on profiles of that `ProfileType`. [`Authority`] applies the
//! rule for one requester:
//!
//! * [`Authority::check_act`]: a function on one profile;
//! * [`Authority::check_see`]: GetEIS / AuditEIS on an eUICC, allowed where
//!   the requester may act on one of its profiles with that function, or
//!   on an eUICC that holds no profile at all (fresh from its EUM: nothing
//!   of another party to show, and the SM-DP must reach it to create the
//!   first ISD-P; our reading, the rule text is UNCONFIRMED);
//! * [`Authority::check_create`]: ES3.CreateISDP naming an operator, by
//!   that operator itself or an SM-DP holding its PLMA for `CreateISDP`.
//!
//! Every refusal is `1.1` / `1.2` (Function Requester / Not Allowed,
//! SGP.02 §5.1.6.4 / §5.1.6.5) with [`RefusalReason::NotAuthorised`].
//!
//! The exact PLMA element names of SGP.02 v4's schema are UNCONFIRMED: the
//! ones here are `Mno-id` (the granting operator), `M2MSP-id` (the party
//! authorised), `ProfileType` and `Function` (repeated).

use alloc::string::String;
use alloc::vec::Vec;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::model::{Eis, ProfileInfo};
use super::rules::{Refusal, RefusalReason};

/// A function a [`Plma`] may authorise (the ES3/ES4 function names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum AuthorisedFunction {
    /// ES3/ES4.GetEIS.
    #[cfg_attr(feature = "serde", serde(rename = "GetEIS"))]
    GetEis,
    /// ES3/ES4.AuditEIS.
    #[cfg_attr(feature = "serde", serde(rename = "AuditEIS"))]
    AuditEis,
    /// ES3.CreateISDP (granted to an SM-DP: download for the operator).
    #[cfg_attr(feature = "serde", serde(rename = "CreateISDP"))]
    CreateIsdp,
    /// ES3/ES4.EnableProfile.
    EnableProfile,
    /// ES3/ES4.DisableProfile.
    DisableProfile,
    /// ES4.DeleteProfile / ES3.DeleteISDP.
    DeleteProfile,
    /// ES3/ES4.SetFallBackAttribute.
    #[cfg_attr(feature = "serde", serde(rename = "SetFallBackAttribute"))]
    SetFallbackAttribute,
    /// ES3/ES4.SetEmergencyProfileAttribute.
    SetEmergencyProfileAttribute,
    /// ES3/ES4.UpdatePolicyRules.
    UpdatePolicyRules,
    /// ES3/ES4.UpdateConnectivityParameters.
    UpdateConnectivityParameters,
    /// ES4.UpdateSubscriptionAddress.
    UpdateSubscriptionAddress,
    /// ES3.SendData to the profile's ISD-P.
    SendData,
    /// ES3.ProfileDownloadCompleted.
    ProfileDownloadCompleted,
}

/// A Profile Lifecycle Management Authorisation: operator `owner` lets
/// `grantee` call `functions` on its profiles (of `profile_type` only,
/// when given).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Plma {
    /// The operator granting it (owner of the profiles).
    #[cfg_attr(feature = "serde", serde(rename = "Mno-id"))]
    pub owner: String,
    /// The party authorised (M2M SP, operator or SM-DP).
    #[cfg_attr(feature = "serde", serde(rename = "M2MSP-id"))]
    pub grantee: String,
    /// Only profiles of this type; all of the owner's when absent.
    #[cfg_attr(
        feature = "serde",
        serde(
            rename = "ProfileType",
            default,
            skip_serializing_if = "Option::is_none"
        )
    )]
    pub profile_type: Option<String>,
    /// The functions authorised. Empty: the PLMA is revoked.
    #[cfg_attr(feature = "serde", serde(rename = "Function", default))]
    pub functions: Vec<AuthorisedFunction>,
}

impl Plma {
    /// Whether this PLMA lets `requester` call `f` on `profile`.
    pub fn covers(&self, requester: &str, profile: &ProfileInfo, f: AuthorisedFunction) -> bool {
        self.grantee == requester
            && self.owner == profile.mno_id
            && self.functions.contains(&f)
            && self
                .profile_type
                .as_ref()
                .is_none_or(|t| profile.profile_type.as_ref() == Some(t))
    }
}

fn not_authorised() -> Refusal {
    Refusal::new(RefusalReason::NotAuthorised)
}

/// The SGP.02 authorisation rule for one requester and the PLMAs granted
/// to it.
#[derive(Debug, Clone, Copy)]
pub struct Authority<'a> {
    /// The requester's identity (`FunctionRequesterIdentifier`).
    pub requester: &'a str,
    /// PLMAs granted to the requester (others are ignored).
    pub plmas: &'a [Plma],
}

impl<'a> Authority<'a> {
    /// The rule for `requester` holding `plmas`.
    pub const fn new(requester: &'a str, plmas: &'a [Plma]) -> Self {
        Self { requester, plmas }
    }

    /// Whether the requester may call `f` on `profile`: it owns it or holds
    /// a PLMA of its operator covering `f`.
    pub fn may_act(&self, profile: &ProfileInfo, f: AuthorisedFunction) -> bool {
        profile.is_owned_by(self.requester)
            || self
                .plmas
                .iter()
                .any(|p| p.covers(self.requester, profile, f))
    }

    /// [`Authority::may_act`] as a check.
    ///
    /// # Errors
    /// `1.1` / `1.2` [`RefusalReason::NotAuthorised`].
    pub fn check_act(&self, profile: &ProfileInfo, f: AuthorisedFunction) -> Result<(), Refusal> {
        if self.may_act(profile, f) {
            Ok(())
        } else {
            Err(not_authorised())
        }
    }

    /// Whether the requester may see `eis` through `f` (GetEIS or
    /// AuditEIS): it may act on one of its profiles with `f`, or the eUICC
    /// holds no profile.
    pub fn may_see(&self, eis: &Eis, f: AuthorisedFunction) -> bool {
        eis.profiles.is_empty() || eis.profiles.iter().any(|p| self.may_act(p, f))
    }

    /// [`Authority::may_see`] as a check.
    ///
    /// # Errors
    /// `1.1` / `1.2` [`RefusalReason::NotAuthorised`].
    pub fn check_see(&self, eis: &Eis, f: AuthorisedFunction) -> Result<(), Refusal> {
        if self.may_see(eis, f) {
            Ok(())
        } else {
            Err(not_authorised())
        }
    }

    /// ES3.CreateISDP for operator `mno_id`: the requester is that operator
    /// or holds a PLMA of it for `CreateISDP` (of `profile_type` when the
    /// PLMA names one).
    ///
    /// # Errors
    /// `1.1` / `1.2` [`RefusalReason::NotAuthorised`].
    pub fn check_create(&self, mno_id: &str, profile_type: Option<&str>) -> Result<(), Refusal> {
        let granted = self.plmas.iter().any(|p| {
            p.grantee == self.requester
                && p.owner == mno_id
                && p.functions.contains(&AuthorisedFunction::CreateIsdp)
                && p.profile_type
                    .as_deref()
                    .is_none_or(|t| profile_type == Some(t))
        });
        if mno_id == self.requester || granted {
            Ok(())
        } else {
            Err(not_authorised())
        }
    }

    /// The EIS as the requester may see it: [`Eis::view_for`] the
    /// requester, with the profiles a PLMA lets it see through `f` shown
    /// in full.
    pub fn view(&self, eis: &Eis, f: AuthorisedFunction) -> Eis {
        let mut v = eis.view_for(self.requester);
        for p in &mut v.profiles {
            if let Some(full) = eis
                .profile(&p.iccid)
                .filter(|full| self.plmas.iter().any(|g| g.covers(self.requester, full, f)))
            {
                p.clone_from(full);
            }
        }
        v
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::inventory::ProfileState;
    use crate::isdr::{Aid, Eid, Tar};
    use alloc::vec;

    fn eis_with(owners: &[(&str, &str, Option<&str>)]) -> Eis {
        let eid = Eid::with_check_digits("890490320000000000000000000001").unwrap();
        let mut e = Eis::new(eid, "SMSR");
        for (i, (iccid, mno, ty)) in owners.iter().enumerate() {
            let tar = Tar([0, 0, 0x10 + u8::try_from(i).unwrap()]);
            let mut p =
                ProfileInfo::new(iccid, Aid::isd_p(tar).unwrap(), mno, ProfileState::Disabled);
            p.profile_type = ty.map(String::from);
            p.subscription_address = Some(crate::inventory::SubscriptionAddress {
                imsi: None,
                msisdn: Some("31600000001".into()),
            });
            e.profiles.push(p);
        }
        e
    }

    fn plma(owner: &str, grantee: &str, ty: Option<&str>, f: &[AuthorisedFunction]) -> Plma {
        Plma {
            owner: owner.into(),
            grantee: grantee.into(),
            profile_type: ty.map(String::from),
            functions: f.to_vec(),
        }
    }

    #[test]
    fn only_owners_and_plma_holders_see_and_act() {
        use AuthorisedFunction::{AuditEis, EnableProfile, GetEis};
        let e = eis_with(&[("8931", "MNO-A", Some("M2M"))]);
        let none = Authority::new("MNO-B", &[]);
        let refused = none.check_see(&e, GetEis).unwrap_err();
        assert_eq!(refused.reason, RefusalReason::NotAuthorised);
        assert_eq!((refused.code.subject, refused.code.reason), ("1.1", "1.2"));
        assert!(none.check_act(&e.profiles[0], EnableProfile).is_err());
        assert!(Authority::new("MNO-A", &[]).check_see(&e, AuditEis).is_ok());
        // A PLMA for GetEIS lets MNO-B see, not enable nor audit.
        let g = [plma("MNO-A", "MNO-B", None, &[GetEis])];
        let b = Authority::new("MNO-B", &g);
        assert!(b.check_see(&e, GetEis).is_ok());
        assert!(b.check_see(&e, AuditEis).is_err());
        assert!(b.check_act(&e.profiles[0], EnableProfile).is_err());
        // Another profile type, another grantee, another owner: nothing.
        for g in [
            plma("MNO-A", "MNO-B", Some("Other"), &[GetEis]),
            plma("MNO-A", "MNO-C", None, &[GetEis]),
            plma("MNO-C", "MNO-B", None, &[GetEis]),
            plma("MNO-A", "MNO-B", None, &[]),
        ] {
            let g = [g];
            assert!(Authority::new("MNO-B", &g).check_see(&e, GetEis).is_err());
        }
        // The right type is enough.
        let g = [plma("MNO-A", "MNO-B", Some("M2M"), &[EnableProfile])];
        assert!(
            Authority::new("MNO-B", &g)
                .check_act(&e.profiles[0], EnableProfile)
                .is_ok()
        );
    }

    #[test]
    fn an_euicc_without_profiles_is_open_and_views_hide_foreign_fields() {
        use AuthorisedFunction::GetEis;
        let fresh = eis_with(&[]);
        assert!(Authority::new("ANY", &[]).check_see(&fresh, GetEis).is_ok());
        let e = eis_with(&[("8931", "MNO-A", None), ("8932", "MNO-B", None)]);
        let b = Authority::new("MNO-B", &[]);
        let v = b.view(&e, GetEis);
        assert!(v.profiles[0].subscription_address.is_none());
        assert!(v.profiles[1].subscription_address.is_some());
        let g = [plma("MNO-A", "MNO-B", None, &[GetEis])];
        let v = Authority::new("MNO-B", &g).view(&e, GetEis);
        assert!(v.profiles[0].subscription_address.is_some());
    }

    #[test]
    fn create_isdp_needs_the_operator_or_its_plma() {
        use AuthorisedFunction::{CreateIsdp, GetEis};
        assert!(
            Authority::new("MNO-A", &[])
                .check_create("MNO-A", None)
                .is_ok()
        );
        let dp = Authority::new("SMDP-1", &[]);
        assert_eq!(
            dp.check_create("MNO-A", None).unwrap_err().reason,
            RefusalReason::NotAuthorised
        );
        let g = vec![plma("MNO-A", "SMDP-1", None, &[CreateIsdp])];
        let dp = Authority::new("SMDP-1", &g);
        assert!(dp.check_create("MNO-A", None).is_ok());
        assert!(dp.check_create("MNO-B", None).is_err());
        let g = vec![plma("MNO-A", "SMDP-1", Some("M2M"), &[CreateIsdp])];
        let dp = Authority::new("SMDP-1", &g);
        assert!(dp.check_create("MNO-A", Some("M2M")).is_ok());
        assert!(dp.check_create("MNO-A", None).is_err());
        let g = vec![plma("MNO-A", "SMDP-1", None, &[GetEis])];
        assert!(
            Authority::new("SMDP-1", &g)
                .check_create("MNO-A", None)
                .is_err()
        );
    }
}
