//! Which Handle*Notification the SM-SR sends to whom when an EIS changes
//! (SGP.02 §5.1.3 notification handlers, ES3 to the SM-DP §5.4, ES4 to
//! the MNO §5.5): a rule over the EIS before and after an event, so the
//! settling of an operation and an eUICC notification (§4.1.1.11) give the
//! same answer. The IO (endpoints, SOAP, retries) is the caller's.
//!
//! Our reading, UNCONFIRMED against the specification's text: each change
//! of a profile is told to its owner (`Mno-id`, over ES4) and to its
//! SM-DP (`Smdp-id`, over ES3), except to the function's requester, who
//! learns it from its own `…Response`.

use alloc::string::String;
use alloc::vec::Vec;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::model::{Eis, ProfileInfo, ProfileState};

/// A notification the SM-SR sends (the operation names of SGP.02 §5.4 /
/// §5.5; the list as the eUICC.tech summary of SGP.02 chapter 5 gives it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// `HandleProfileEnabledNotification`.
    ProfileEnabled,
    /// `HandleProfileDisabledNotification`.
    ProfileDisabled,
    /// `HandleProfileDeletedNotification`.
    ProfileDeleted,
    /// `HandleProfileDownloadedNotification`.
    ProfileDownloaded,
    /// `HandleProfilePOL2UpdatedNotification`.
    ProfilePol2Updated,
    /// `HandleFallBackAttributeSetNotification`.
    FallBackAttributeSet,
    /// `HandleFallBackAttributeUnsetNotification`.
    FallBackAttributeUnset,
    /// `HandleEmergencyProfileAttributeSetNotification`.
    EmergencyProfileAttributeSet,
    /// `HandleEmergencyProfileAttributeUnsetNotification`.
    EmergencyProfileAttributeUnset,
    /// `HandleSMSRChangeNotification` (the SM-SR change procedure, §3.x;
    /// not produced by [`changes`]).
    SmsrChange,
    /// `HandlePLMASettingNotification`: a PLMA granted to (or withdrawn
    /// from) its recipient (SGP.02 v4 §3.20; sent on ES4.SetPLMA, not
    /// produced by [`changes`]).
    PlmaSetting,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [Self; 11] = [
        Self::ProfileEnabled,
        Self::ProfileDisabled,
        Self::ProfileDeleted,
        Self::ProfileDownloaded,
        Self::ProfilePol2Updated,
        Self::FallBackAttributeSet,
        Self::FallBackAttributeUnset,
        Self::EmergencyProfileAttributeSet,
        Self::EmergencyProfileAttributeUnset,
        Self::SmsrChange,
        Self::PlmaSetting,
    ];

    /// The operation name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ProfileEnabled => "HandleProfileEnabledNotification",
            Self::ProfileDisabled => "HandleProfileDisabledNotification",
            Self::ProfileDeleted => "HandleProfileDeletedNotification",
            Self::ProfileDownloaded => "HandleProfileDownloadedNotification",
            Self::ProfilePol2Updated => "HandleProfilePOL2UpdatedNotification",
            Self::FallBackAttributeSet => "HandleFallBackAttributeSetNotification",
            Self::FallBackAttributeUnset => "HandleFallBackAttributeUnsetNotification",
            Self::EmergencyProfileAttributeSet => "HandleEmergencyProfileAttributeSetNotification",
            Self::EmergencyProfileAttributeUnset => {
                "HandleEmergencyProfileAttributeUnsetNotification"
            }
            Self::SmsrChange => "HandleSMSRChangeNotification",
            Self::PlmaSetting => "HandlePLMASettingNotification",
        }
    }

    /// The kind named `name`.
    pub fn by_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Whether it is about one profile (`Eid`, `Iccid`): all but the
    /// SM-SR change and the PLMA setting.
    pub const fn is_profile_change(self) -> bool {
        !matches!(self, Self::SmsrChange | Self::PlmaSetting)
    }
}

/// By its operation name (`HandleProfileEnabledNotification`, …).
#[cfg(feature = "serde")]
impl Serialize for NotificationKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// From its operation name; any other text is refused.
#[cfg(feature = "serde")]
impl<'de> Deserialize<'de> for NotificationKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Self::by_name(&name).ok_or_else(|| {
            serde::de::Error::custom(alloc::format!("unknown notification `{name}`"))
        })
    }
}

/// Who receives a notification, and over which interface.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Recipient {
    /// The MNO owning the profile, over ES4.
    Mno(String),
    /// The SM-DP of the profile, over ES3.
    SmDp(String),
}

impl Recipient {
    /// The identity (`Mno-id` / `Smdp-id`).
    pub fn id(&self) -> &str {
        match self {
            Self::Mno(id) | Self::SmDp(id) => id,
        }
    }

    /// The interface: `ES4` or `ES3`.
    pub const fn interface(&self) -> &'static str {
        match self {
            Self::Mno(_) => "ES4",
            Self::SmDp(_) => "ES3",
        }
    }
}

/// One notification to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// What happened.
    pub kind: NotificationKind,
    /// To the profile of this ICCID.
    pub iccid: String,
    /// That profile's `ProfileType`, when the EIS has one (what an ONC
    /// selects by, [`super::onc`]).
    pub profile_type: Option<String>,
    /// To whom.
    pub recipient: Recipient,
}

/// What changed in one profile between `before` and `after` (`None`:
/// absent on that side).
fn kinds(before: Option<&ProfileInfo>, after: Option<&ProfileInfo>) -> Vec<NotificationKind> {
    use NotificationKind as K;
    let mut out = Vec::new();
    let (Some(b), Some(a)) = (before, after) else {
        if before.is_some() {
            out.push(K::ProfileDeleted);
        }
        return out;
    };
    let enabled = |p: &ProfileInfo| p.state == ProfileState::Enabled;
    if !enabled(b) && enabled(a) {
        out.push(K::ProfileEnabled);
    }
    if enabled(b) && !enabled(a) {
        out.push(K::ProfileDisabled);
    }
    let downloaded = matches!(b.state, ProfileState::InCreation | ProfileState::Created)
        && matches!(a.state, ProfileState::Disabled | ProfileState::Enabled);
    if downloaded {
        out.push(K::ProfileDownloaded);
    } else if b.pol2 != a.pol2 {
        out.push(K::ProfilePol2Updated);
    }
    match (b.fallback_attribute, a.fallback_attribute) {
        (false, true) => out.push(K::FallBackAttributeSet),
        (true, false) => out.push(K::FallBackAttributeUnset),
        _ => {}
    }
    match (b.emergency_profile_attribute, a.emergency_profile_attribute) {
        (false, true) => out.push(K::EmergencyProfileAttributeSet),
        (true, false) => out.push(K::EmergencyProfileAttributeUnset),
        _ => {}
    }
    out
}

/// The notifications an event owes, from the EIS `before` and `after` it:
/// per profile (in the order of `before`, then the new ones of `after`),
/// each change to its MNO (ES4) and SM-DP (ES3), none to `requester`.
pub fn changes(before: &Eis, after: &Eis, requester: Option<&str>) -> Vec<Outgoing> {
    let mut iccids: Vec<&str> = before.profiles.iter().map(|p| p.iccid.as_str()).collect();
    for p in &after.profiles {
        if !iccids.contains(&p.iccid.as_str()) {
            iccids.push(&p.iccid);
        }
    }
    let mut out = Vec::new();
    for iccid in iccids {
        let (b, a) = (before.profile(iccid), after.profile(iccid));
        let Some(p) = b.or(a) else { continue };
        let mut to = Vec::from([Recipient::Mno(p.mno_id.clone())]);
        to.extend(p.smdp_id.clone().map(Recipient::SmDp));
        to.retain(|r| Some(r.id()) != requester);
        for kind in kinds(b, a) {
            out.extend(to.iter().map(|r| Outgoing {
                kind,
                iccid: iccid.into(),
                profile_type: p.profile_type.clone(),
                recipient: r.clone(),
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;
    use crate::inventory::model::{Pol2Action, Pol2Qualification, Pol2Rule, Pol2Subject};
    use crate::isdr::{Aid, Eid};

    fn profile(iccid: &str, state: ProfileState) -> ProfileInfo {
        let last = iccid.bytes().last().unwrap();
        let aid = [
            0xA0, 0, 0, 5, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0x10, last,
        ];
        ProfileInfo {
            smdp_id: Some("SMDP1".into()),
            ..ProfileInfo::new(iccid, Aid::new(&aid).unwrap(), "MNO1", state)
        }
    }

    fn eis(profiles: Vec<ProfileInfo>) -> Eis {
        let eid = Eid::with_check_digits("890490320000000000000000000001").unwrap();
        let mut e = Eis::new(eid, "SMSR1");
        e.profiles = profiles;
        e
    }

    fn summary(v: &[Outgoing]) -> Vec<(&'static str, &str, &str)> {
        v.iter()
            .map(|o| (o.kind.name(), o.iccid.as_str(), o.recipient.interface()))
            .collect()
    }

    #[test]
    fn a_switch_tells_both_profiles_owners_but_not_the_requester() {
        let before = eis(vec![
            profile("8901", ProfileState::Enabled),
            profile("8902", ProfileState::Disabled),
        ]);
        let after = eis(vec![
            profile("8901", ProfileState::Disabled),
            profile("8902", ProfileState::Enabled),
        ]);
        assert_eq!(
            summary(&changes(&before, &after, Some("MNO1"))),
            [
                ("HandleProfileDisabledNotification", "8901", "ES3"),
                ("HandleProfileEnabledNotification", "8902", "ES3"),
            ]
        );
        assert_eq!(
            changes(&before, &after, None).len(),
            4,
            "MNO and SM-DP each"
        );
        assert!(
            changes(&before, &before, None).is_empty(),
            "no change, none"
        );
    }

    #[test]
    fn deletion_download_pol2_and_attributes() {
        let mut created = profile("8903", ProfileState::Created);
        created.smdp_id = None;
        let before = eis(vec![
            profile("8901", ProfileState::Disabled),
            created.clone(),
        ]);
        let mut downloaded = created;
        downloaded.state = ProfileState::Disabled;
        downloaded.pol2 = vec![Pol2Rule {
            subject: Pol2Subject::Profile,
            action: Pol2Action::Disable,
            qualification: Pol2Qualification::NotAllowed,
        }];
        let mut fb = eis(vec![downloaded.clone()]);
        assert_eq!(
            summary(&changes(&before, &fb, None)),
            [
                ("HandleProfileDeletedNotification", "8901", "ES4"),
                ("HandleProfileDeletedNotification", "8901", "ES3"),
                ("HandleProfileDownloadedNotification", "8903", "ES4"),
            ]
        );
        let b2 = fb.clone();
        if let Some(p) = fb.profiles.first_mut() {
            p.fallback_attribute = true;
            p.emergency_profile_attribute = true;
            p.pol2.clear();
        }
        assert_eq!(
            summary(&changes(&b2, &fb, Some("SMDP1"))),
            [
                ("HandleProfilePOL2UpdatedNotification", "8903", "ES4"),
                ("HandleFallBackAttributeSetNotification", "8903", "ES4"),
                (
                    "HandleEmergencyProfileAttributeSetNotification",
                    "8903",
                    "ES4"
                ),
            ]
        );
        assert_eq!(
            summary(&changes(&fb, &b2, None))
                .iter()
                .map(|s| s.0)
                .collect::<Vec<_>>(),
            [
                "HandleProfilePOL2UpdatedNotification",
                "HandleFallBackAttributeUnsetNotification",
                "HandleEmergencyProfileAttributeUnsetNotification",
            ]
        );
    }

    #[test]
    fn names_round_trip() {
        for k in NotificationKind::ALL {
            assert_eq!(NotificationKind::by_name(k.name()), Some(k));
        }
        assert_eq!(NotificationKind::by_name("HandleNothing"), None);
    }
}
