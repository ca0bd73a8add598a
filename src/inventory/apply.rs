//! Applying what the eUICC answered to the EIS: ES5 command results,
//! notifications, the notification confirmation response and audits.
//!
//! A profile switch (EnableProfile, DisableProfile) is only reflected when
//! the eUICC's notification arrives (SGP.02 §4.1.1.11): the R-APDU `9000`
//! only says the ISD-R accepted the request.

use alloc::string::String;
use alloc::vec::Vec;

use super::model::{
    AuditRecord, Eis, ExecutionStatus, HexBytes, OperationExecutionStatus, OperationType,
    Pol2Action, Pol2Qualification, Pol2Rule, ProfileInfo, ProfileState, SubscriptionAddress,
};
use super::rules::{Operation, Refusal, RefusalReason};
use crate::isdr::audit::{ExtendedCardResources, IsdpStatus};
use crate::isdr::{Aid, Es5Error, Notification, NotificationType};

/// Something the SM-SR has to do next because of what was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUp {
    /// POL2 `DISABLE` / `Auto-Delete`: delete this now-disabled profile.
    AutoDelete {
        /// ICCID of the profile.
        iccid: String,
    },
    /// Confirm the notification (ES5.HandleNotificationConfirmation).
    ConfirmNotification {
        /// Its sequence number.
        sequence_number: u16,
    },
}

/// What a notification changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NotificationEffect {
    /// Nothing changed: a retransmission of the last notification applied,
    /// or a [`stale`](Self::stale) one.
    pub duplicate: bool,
    /// An older notification than the last one applied (its sequence
    /// number is before it, [`sequence_is_after`]), arriving late: it is
    /// not applied, or it would undo the newer one; it is still confirmed
    /// (the ISD-R resends it until it is).
    pub stale: bool,
    /// ICCID of the profile now enabled, if the notification says so.
    pub enabled: Option<String>,
    /// ICCID of the profile that became disabled.
    pub disabled: Option<String>,
    /// The notification names an ISD-P the EIS does not know.
    pub unknown_isd_p: Option<Aid>,
    /// What to do next (always includes the confirmation).
    pub follow_ups: Vec<FollowUp>,
}

impl NotificationEffect {
    /// Drops the [`FollowUp::ConfirmNotification`] of every sequence
    /// number in `pending` (the SM-SR's confirmations already queued or in
    /// flight for this eUICC). The ISD-R sends a notification again until
    /// ES5.HandleNotificationConfirmation reaches it (SGP.02 §4.1.1.11,
    /// §4.1.1.12; sgp02.md §1.10): a retransmission arriving while a
    /// confirmation of its sequence number is pending is confirmed by that
    /// one, and a second would only find the number gone (`6A88`). With
    /// none pending (the earlier one failed or was lost) the confirmation
    /// stays: one new confirmation is right. Returns how many were dropped.
    pub fn skip_pending_confirmations(&mut self, pending: &[u16]) -> usize {
        let before = self.follow_ups.len();
        self.follow_ups.retain(|f| {
            !matches!(f, FollowUp::ConfirmNotification { sequence_number }
                if pending.contains(sequence_number))
        });
        before.saturating_sub(self.follow_ups.len())
    }
}

/// Whether notification sequence number `a` comes after `b`: serial
/// number arithmetic on the 2-octet `'4E'` sequence number (RFC 1982 with
/// SERIAL_BITS = 16), so that the numbers can wrap from `FFFF` to `0000`
/// without every later notification looking old. `a` is after `b` when
/// it is 1 to 32,767 ahead of it (modulo 65,536); exactly 32,768 apart is
/// undefined in RFC 1982 and taken as not after (not applied: the safe
/// side).
///
/// SGP.02 §4.1.1.11 gives the ISD-R's notification a sequence number and
/// §4.1.1.12 confirms it by that number; the ordering of the numbers is
/// UNCONFIRMED from the specification text. njiwa (`Eis.processNotification`)
/// applies a notification only when its number is greater than the last
/// one stored and ignores the others as duplicates; this rule is the same
/// with the wrap-around made safe.
pub fn sequence_is_after(a: u16, b: u16) -> bool {
    let ahead = a.wrapping_sub(b);
    ahead != 0 && ahead < 0x8000
}

/// What an audit changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuditEffect {
    /// ICCIDs whose state, attribute or memory figures changed.
    pub updated: Vec<String>,
    /// ICCIDs removed because the eUICC no longer has their ISD-P.
    pub removed: Vec<String>,
    /// ISD-Ps on the eUICC the EIS does not know.
    pub unknown: Vec<Aid>,
}

fn set_enabled(eis: &mut Eis, aid: &Aid) -> (Option<String>, Option<String>) {
    let mut disabled = None;
    let mut enabled = None;
    for p in &mut eis.profiles {
        if p.isd_p_aid == *aid {
            if p.state != ProfileState::Enabled {
                enabled = Some(p.iccid.clone());
            }
            p.state = ProfileState::Enabled;
        } else if p.state == ProfileState::Enabled {
            p.state = ProfileState::Disabled;
            disabled = Some(p.iccid.clone());
        }
    }
    (enabled, disabled)
}

fn auto_delete(p: Option<&ProfileInfo>) -> Option<FollowUp> {
    let p = p?;
    (p.state == ProfileState::Disabled
        && p.pol2_for(Pol2Action::Disable) == Some(Pol2Qualification::AutoDelete)
        && !p.fallback_attribute
        && !p.emergency_profile_attribute)
        .then(|| FollowUp::AutoDelete {
            iccid: p.iccid.clone(),
        })
}

impl Eis {
    /// ES3.CreateISDP accepted: checks [`Operation::CreateIsdp`] and
    /// records the new profile as `InCreation` (SGP.02 §3.1.1), owned by
    /// `mno_id` and created for `smdp_id`.
    ///
    /// # Errors
    /// The [`Refusal`] of [`Eis::check`].
    pub fn begin_create_isdp(
        &mut self,
        iccid: &str,
        isd_p_aid: Aid,
        required_memory: Option<u32>,
        mno_id: &str,
        smdp_id: Option<&str>,
    ) -> Result<(), Refusal> {
        self.check(&Operation::CreateIsdp {
            iccid,
            isd_p_aid,
            required_memory,
        })?;
        let mut p = ProfileInfo::new(iccid, isd_p_aid, mno_id, ProfileState::InCreation);
        p.smdp_id = smdp_id.map(String::from);
        p.allocated_memory = required_memory;
        self.profiles.push(p);
        Ok(())
    }

    /// ES3.ProfileDownloadCompleted: the profile goes from `Created` to
    /// `Disabled` with its type, subscription address and POL2.
    ///
    /// # Errors
    /// The [`Refusal`] of [`Eis::check`].
    pub fn profile_download_completed(
        &mut self,
        iccid: &str,
        profile_type: Option<&str>,
        subscription_address: Option<SubscriptionAddress>,
        pol2: &[Pol2Rule],
    ) -> Result<(), Refusal> {
        self.check(&Operation::ProfileDownloadCompleted { iccid })?;
        if let Some(p) = self.profile_mut(iccid) {
            p.state = ProfileState::Disabled;
            p.profile_type = profile_type.map(String::from);
            p.subscription_address = subscription_address;
            p.pol2 = pol2.to_vec();
        }
        Ok(())
    }

    /// ES4.UpdateSubscriptionAddress: the profile's IMSI / MSISDN as its
    /// operator now gives them (SGP.02 §5.5, EIS only: nothing goes to the
    /// eUICC). A profile still in creation has none to update.
    ///
    /// # Errors
    /// Unknown ICCID (`8.2.1` / `3.9`); a profile `InCreation`
    /// (`8.2.1` / `1.2`).
    pub fn update_subscription_address(
        &mut self,
        iccid: &str,
        address: SubscriptionAddress,
    ) -> Result<(), Refusal> {
        let p = self
            .profile_mut(iccid)
            .ok_or(Refusal::new(RefusalReason::UnknownProfile))?;
        if p.state == ProfileState::InCreation {
            return Err(Refusal::new(RefusalReason::WrongState(p.state)));
        }
        p.subscription_address = Some(address);
        Ok(())
    }

    /// ES3.ProfileDownloadCompleted once an audit of the eUICC has run
    /// (the SM-SR updates the EIS from what the card reports, SGP.02
    /// §3.1.2): the audit left the profile `Disabled` when the eUICC
    /// reports its ISD-P loaded (life cycle `1F`, with the memory figures
    /// of its GET STATUS); it then takes its type, subscription address and
    /// POL2 as [`Eis::profile_download_completed`] does.
    ///
    /// # Errors
    /// `UnknownProfile`; `WrongState` when the eUICC does not report the
    /// profile loaded (nothing changes).
    pub fn profile_download_confirmed(
        &mut self,
        iccid: &str,
        profile_type: Option<&str>,
        subscription_address: Option<SubscriptionAddress>,
        pol2: &[Pol2Rule],
    ) -> Result<(), Refusal> {
        let p = self
            .profile_mut(iccid)
            .ok_or(Refusal::new(RefusalReason::UnknownProfile))?;
        if p.state != ProfileState::Disabled {
            return Err(Refusal::new(RefusalReason::WrongState(p.state)));
        }
        p.profile_type = profile_type.map(String::from);
        p.subscription_address = subscription_address;
        p.pol2 = pol2.to_vec();
        Ok(())
    }

    /// Applies the eUICC's answer to the ES5 command that carried `op`.
    ///
    /// * CreateISDP: success makes the profile `Created` and takes its
    ///   quota from the available memory; failure removes the entry.
    /// * DeleteProfile / MasterDelete: success removes the profile and
    ///   gives its memory back.
    /// * SetFallbackAttribute / SetEmergencyProfileAttribute: success moves
    ///   the attribute to the profile (only one profile holds each).
    /// * UpdateConnectivityParameters: success records the parameters.
    /// * EnableProfile / DisableProfile: no change; the notification that
    ///   follows carries the outcome ([`Eis::apply_notification`]).
    ///
    /// Failures change nothing else. Returns whether the EIS changed.
    pub fn apply_result(&mut self, op: &Operation<'_>, result: &Result<(), Es5Error>) -> bool {
        let iccid = op.iccid();
        let Some(idx) = self.profiles.iter().position(|p| p.iccid == iccid) else {
            return false;
        };
        match (op, result) {
            (Operation::CreateIsdp { .. }, Ok(())) => {
                let Some(p) = self.profiles.get_mut(idx) else {
                    return false;
                };
                if p.state != ProfileState::InCreation {
                    return false;
                }
                p.state = ProfileState::Created;
                let quota = p.allocated_memory.unwrap_or(0);
                self.available_memory_for_profiles =
                    self.available_memory_for_profiles.saturating_sub(quota);
                true
            }
            (Operation::CreateIsdp { .. }, Err(_))
                if self
                    .profiles
                    .get(idx)
                    .is_some_and(|p| p.state == ProfileState::InCreation) =>
            {
                self.profiles.remove(idx);
                true
            }
            (Operation::DeleteProfile { .. } | Operation::MasterDelete { .. }, Ok(())) => {
                let p = self.profiles.remove(idx);
                self.available_memory_for_profiles = self
                    .available_memory_for_profiles
                    .saturating_add(p.allocated_memory.unwrap_or(0));
                true
            }
            (Operation::SetFallbackAttribute { .. }, Ok(())) => {
                for (i, p) in self.profiles.iter_mut().enumerate() {
                    p.fallback_attribute = i == idx;
                }
                true
            }
            (Operation::SetEmergencyProfileAttribute { .. }, Ok(())) => {
                for (i, p) in self.profiles.iter_mut().enumerate() {
                    p.emergency_profile_attribute = i == idx;
                }
                true
            }
            (Operation::UpdateConnectivityParameters { parameters, .. }, Ok(())) => {
                if let Some(p) = self.profiles.get_mut(idx) {
                    p.connectivity_parameters = Some(HexBytes(parameters.to_vec()));
                }
                true
            }
            _ => false,
        }
    }

    /// Applies an eUICC notification (SGP.02 §4.1.1.11):
    ///
    /// * a retransmission (same sequence number as the last one) changes
    ///   nothing but is confirmed again;
    /// * an older notification arriving after a newer one (its sequence
    ///   number before the last one, [`sequence_is_after`]) changes nothing
    ///   either (it would undo the newer state) and is confirmed, marked
    ///   [`stale`](NotificationEffect::stale);
    /// * eUICC declaration (`01`), profile change succeeded (`02`), profile
    ///   change after fall-back (`05`) and failed-with-rollback (`03`)
    ///   make the named ISD-P the enabled profile and the previously
    ///   enabled one `Disabled` (after a rollback the named ISD-P is the
    ///   re-enabled one, so nothing moves when the EIS was right);
    /// * a newly disabled profile whose POL2 says `DISABLE` / `Auto-Delete`
    ///   yields [`FollowUp::AutoDelete`].
    pub fn apply_notification(&mut self, n: &Notification) -> NotificationEffect {
        let mut effect = NotificationEffect {
            follow_ups: alloc::vec![FollowUp::ConfirmNotification {
                sequence_number: n.sequence_number
            }],
            ..NotificationEffect::default()
        };
        if let Some(last) = self.last_notification_sequence_number
            && !sequence_is_after(n.sequence_number, last)
        {
            effect.duplicate = true;
            effect.stale = last != n.sequence_number;
            return effect;
        }
        self.last_notification_sequence_number = Some(n.sequence_number);
        let changes_profile = matches!(
            n.kind,
            NotificationType::EUICC_DECLARATION
                | NotificationType::PROFILE_CHANGE_SUCCEEDED
                | NotificationType::PROFILE_CHANGE_FAILED_AND_ROLLBACK
                | NotificationType::PROFILE_CHANGE_AFTER_FALLBACK
        );
        let Some(aid) = n.isd_p_aid.filter(|_| changes_profile) else {
            return effect;
        };
        if self.profile_by_aid(&aid).is_none() {
            effect.unknown_isd_p = Some(aid);
            return effect;
        }
        let (enabled, disabled) = set_enabled(self, &aid);
        if let Some(f) = auto_delete(disabled.as_deref().and_then(|i| self.profile(i))) {
            effect.follow_ups.push(f);
        }
        effect.enabled = enabled;
        effect.disabled = disabled;
        effect
    }

    /// Removes the ISD-Ps the eUICC reported as deleted in its response to
    /// HandleNotificationConfirmation (POL1 auto-delete; njiwa) and returns
    /// their ICCIDs.
    pub fn apply_deleted_isdps(&mut self, deleted: &[Aid]) -> Vec<String> {
        let mut removed = Vec::new();
        let mut freed = 0u32;
        self.profiles.retain(|p| {
            if deleted.contains(&p.isd_p_aid) {
                removed.push(p.iccid.clone());
                freed = freed.saturating_add(p.allocated_memory.unwrap_or(0));
                false
            } else {
                true
            }
        });
        self.available_memory_for_profiles =
            self.available_memory_for_profiles.saturating_add(freed);
        removed
    }

    /// Applies an eUICC capability audit: the `'FF21'` free memory becomes
    /// the remaining memory, each `'E3'` entry sets the state (from its life
    /// cycle byte), the fall-back attribute (`'53'`) and the memory figures
    /// (`'8F'`, `'91'`) of its profile. With `complete` (GET STATUS of all
    /// ISD-Ps), profiles the eUICC did not list are removed, except those
    /// still `InCreation`.
    pub fn apply_audit(
        &mut self,
        resources: Option<&ExtendedCardResources>,
        statuses: &[IsdpStatus],
        complete: bool,
    ) -> AuditEffect {
        let mut effect = AuditEffect::default();
        if let Some(free) = resources.and_then(|r| r.free_non_volatile_memory) {
            self.remaining_memory = free;
        }
        for st in statuses.iter().filter(|s| s.aid.is_isd_p()) {
            let Some(p) = self.profiles.iter_mut().find(|p| p.isd_p_aid == st.aid) else {
                effect.unknown.push(st.aid);
                continue;
            };
            let before = p.clone();
            if let Some(state) = ProfileState::from_life_cycle(st.life_cycle) {
                p.state = state;
            }
            if let Some(fb) = st.fallback() {
                p.fallback_attribute = fb;
            }
            if st.granted_memory.is_some() {
                p.allocated_memory = st.granted_memory;
            }
            if st.remaining_memory.is_some() {
                p.free_memory = st.remaining_memory;
            }
            if *p != before {
                effect.updated.push(p.iccid.clone());
            }
        }
        if complete {
            self.profiles.retain(|p| {
                let keep = p.state == ProfileState::InCreation
                    || statuses.iter().any(|s| s.aid == p.isd_p_aid);
                if !keep {
                    effect.removed.push(p.iccid.clone());
                }
                keep
            });
        }
        effect
    }

    /// Appends the audit trail record of a notification (njiwa logs every
    /// notification with its type as the operation type): EID, this
    /// SM-SR, `date`, the ISD-P and its ICCID when known, IMEI and MEID.
    pub fn record_notification(&mut self, n: &Notification, date: &str) {
        let dev = |d: &Option<crate::isdr::notification::DeviceId>| {
            d.as_ref().map(|d| HexBytes(d.value.to_vec()))
        };
        let iccid = n
            .isd_p_aid
            .and_then(|a| self.profile_by_aid(&a))
            .map(|p| p.iccid.clone());
        self.audit_trail.push(AuditRecord {
            eid: n.eid,
            smsr_id: self.smsr_id.clone(),
            operation_date: date.into(),
            operation_type: OperationType(u16::from(n.kind.0)),
            requester_id: None,
            execution_status: OperationExecutionStatus {
                status: ExecutionStatus::ExecutedSuccess,
                status_code_data: None,
            },
            isd_p_aid: n.isd_p_aid,
            iccid,
            imei: dev(&n.imei),
            meid: dev(&n.meid),
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod subscription_address_tests {
    use super::*;
    use crate::isdr::{Eid, Tar};

    #[test]
    fn update_subscription_address_changes_only_a_loaded_profile() {
        let eid = Eid::with_check_digits("890490320000000000000000000001").unwrap();
        let mut e = Eis::new(eid, "SMSR");
        let aid = |n| Aid::isd_p(Tar([0, 0, n])).unwrap();
        e.profiles.push(ProfileInfo::new(
            "8931",
            aid(0x10),
            "MNO-A",
            ProfileState::Disabled,
        ));
        e.profiles.push(ProfileInfo::new(
            "8932",
            aid(0x11),
            "MNO-A",
            ProfileState::InCreation,
        ));
        let addr = SubscriptionAddress {
            imsi: Some("204080000000001".into()),
            msisdn: Some("31600000001".into()),
        };
        e.update_subscription_address("8931", addr.clone()).unwrap();
        assert_eq!(e.profiles[0].subscription_address, Some(addr.clone()));
        let before = e.clone();
        let r = e
            .update_subscription_address("8932", addr.clone())
            .unwrap_err();
        assert_eq!(
            r.reason,
            RefusalReason::WrongState(ProfileState::InCreation)
        );
        let r = e.update_subscription_address("8999", addr).unwrap_err();
        assert_eq!((r.code.subject, r.code.reason), ("8.2.1", "3.9"));
        assert_eq!(e, before, "a refusal changes nothing");
    }
}
