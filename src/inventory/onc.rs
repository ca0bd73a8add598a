//! The Operator Notification Configuration, ONC (SGP.02 v4 §3.21; set
//! and read with ES4A.SetONC / ES4A.GetONC, §5.7).
//!
//! By default an operator is told every change of its profiles
//! ([`super::notify::changes`]). With an ONC it has the SM-SR discard some
//! kinds of notification about its profiles of one `ProfileType` (or of
//! all its profiles): opt-out, so without an ONC everything is sent. What
//! SGP.02 v4.2 §3.21 puts in an ONC is an operator, a profile type and the
//! list of notifications to discard, as the eUICC.tech summary of the
//! specification (article 9, "ONC: telling the system to pipe down")
//! gives it; the exact element names of the GSMA schema are UNCONFIRMED:
//! ours are `Mno-id`, `ProfileType` and `DiscardedNotification`
//! (repeated, an operation name such as `HandleProfileEnabledNotification`).
//!
//! Our reading: an ONC silences notifications to the operator itself (over
//! ES4) only; what the profile's SM-DP is told over ES3 is not the
//! operator's to configure. Only notifications about a profile can be
//! discarded ([`NotificationKind::is_profile_change`]).

use alloc::string::String;
use alloc::vec::Vec;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

use super::notify::{NotificationKind, Outgoing, Recipient};

/// One operator's notification configuration for one profile type (all
/// its profiles when `profile_type` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Onc {
    /// The operator (owner of the profiles) it configures.
    #[cfg_attr(feature = "serde", serde(rename = "Mno-id"))]
    pub owner: String,
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
    /// The notifications not sent. Empty: the ONC is removed (everything
    /// is sent again).
    #[cfg_attr(feature = "serde", serde(rename = "DiscardedNotification", default))]
    pub discarded: Vec<NotificationKind>,
}

impl Onc {
    /// Whether this ONC discards `o`: a notification of a discarded kind
    /// to the configuring operator (ES4) about one of its profiles of the
    /// ONC's type.
    pub fn discards(&self, o: &Outgoing) -> bool {
        matches!(&o.recipient, Recipient::Mno(id) if *id == self.owner)
            && self.discarded.contains(&o.kind)
            && self
                .profile_type
                .as_ref()
                .is_none_or(|t| o.profile_type.as_ref() == Some(t))
    }

    /// The first discarded kind an ONC cannot name (one that is not about
    /// a profile: the SM-SR change, the PLMA setting), if any.
    pub fn unsupported_kind(&self) -> Option<NotificationKind> {
        self.discarded
            .iter()
            .copied()
            .find(|k| !k.is_profile_change())
    }
}

/// Whether any of `oncs` discards `o`.
pub fn discarded(oncs: &[Onc], o: &Outgoing) -> bool {
    oncs.iter().any(|c| c.discards(o))
}

/// `out` without what `oncs` discard, in order.
pub fn honour(oncs: &[Onc], mut out: Vec<Outgoing>) -> Vec<Outgoing> {
    out.retain(|o| !discarded(oncs, o));
    out
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use super::*;

    fn out(kind: NotificationKind, to: Recipient, ty: Option<&str>) -> Outgoing {
        Outgoing {
            kind,
            iccid: "8901".into(),
            profile_type: ty.map(Into::into),
            recipient: to,
        }
    }

    #[test]
    fn an_onc_silences_its_kinds_to_its_operator_for_its_type_only() {
        use NotificationKind as K;
        let onc = Onc {
            owner: "MNO1".into(),
            profile_type: Some("M2M-meter".into()),
            discarded: vec![K::ProfileEnabled, K::ProfileDisabled],
        };
        let mno = || Recipient::Mno("MNO1".into());
        assert!(onc.discards(&out(K::ProfileEnabled, mno(), Some("M2M-meter"))));
        assert!(onc.discards(&out(K::ProfileDisabled, mno(), Some("M2M-meter"))));
        // Another kind, type, operator or the SM-DP: still sent.
        assert!(!onc.discards(&out(K::ProfileDeleted, mno(), Some("M2M-meter"))));
        assert!(!onc.discards(&out(K::ProfileEnabled, mno(), Some("car"))));
        assert!(!onc.discards(&out(K::ProfileEnabled, mno(), None)));
        let other = Recipient::Mno("MNO2".into());
        assert!(!onc.discards(&out(K::ProfileEnabled, other, Some("M2M-meter"))));
        let smdp = Recipient::SmDp("MNO1".into());
        assert!(!onc.discards(&out(K::ProfileEnabled, smdp, Some("M2M-meter"))));
        let all_types = Onc {
            profile_type: None,
            ..onc.clone()
        };
        assert!(all_types.discards(&out(K::ProfileEnabled, mno(), None)));
        let kept = honour(
            core::slice::from_ref(&onc),
            vec![
                out(K::ProfileEnabled, mno(), Some("M2M-meter")),
                out(K::ProfileDeleted, mno(), Some("M2M-meter")),
            ],
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].kind, K::ProfileDeleted);
        assert!(
            !discarded(&[], &out(K::ProfileEnabled, mno(), None)),
            "opt-out"
        );
    }

    #[test]
    fn only_profile_notifications_can_be_discarded() {
        let mut onc = Onc {
            owner: "MNO1".into(),
            profile_type: None,
            discarded: vec![NotificationKind::ProfileDeleted],
        };
        assert_eq!(onc.unsupported_kind(), None);
        onc.discarded.push(NotificationKind::PlmaSetting);
        assert_eq!(onc.unsupported_kind(), Some(NotificationKind::PlmaSetting));
        onc.discarded = vec![NotificationKind::SmsrChange];
        assert_eq!(onc.unsupported_kind(), Some(NotificationKind::SmsrChange));
    }
}
