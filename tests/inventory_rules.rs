#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! EIS rules, result application, notifications, audits and visibility.
#![cfg(feature = "alloc")]

use smsr::apdu::StatusWord;
use smsr::inventory::{
    Eis, FollowUp, Operation, Pol2Action, Pol2Qualification, Pol2Rule, ProfileInfo, ProfileState,
    RefusalReason, SubscriptionAddress,
};
use smsr::isdr::audit::{ExtendedCardResources, IsdpStatus, LifeCycle, PROPERTY_FALLBACK};
use smsr::isdr::notification::TAG_AID;
use smsr::isdr::response::StatusCode;
use smsr::isdr::{Aid, Eid, Es5Error, Notification, NotificationType, Tar};

fn aid(tar: u32) -> Aid {
    Aid::isd_p(Tar::from_value(tar)).unwrap()
}

/// An eUICC with a provisioning profile A (enabled, fall-back) and an
/// operational profile B (disabled).
fn fleet_eis() -> Eis {
    let eid = Eid::parse_digits("89049032123451234512345678901235").unwrap();
    let mut eis = Eis::new(eid, "SMSR-1");
    eis.available_memory_for_profiles = 100_000;
    let mut a = ProfileInfo::new(
        "8949000000000000001",
        aid(0x10),
        "MNO-A",
        ProfileState::Enabled,
    );
    a.fallback_attribute = true;
    let mut b = ProfileInfo::new(
        "8949000000000000002",
        aid(0x11),
        "MNO-B",
        ProfileState::Disabled,
    );
    b.smdp_id = Some("SMDP-B".into());
    b.subscription_address = Some(SubscriptionAddress {
        imsi: Some("262011234567890".into()),
        msisdn: Some("491701234567".into()),
    });
    b.allocated_memory = Some(20_000);
    eis.profiles.push(a);
    eis.profiles.push(b);
    eis
}

fn notification(eis: &Eis, kind: NotificationType, seq: u16, isdp: Aid) -> Notification {
    Notification {
        eid: eis.eid(),
        kind,
        sequence_number: seq,
        isd_p_aid: Some(isdp),
        aid_tag: TAG_AID,
        imei: None,
        meid: None,
    }
}

#[test]
fn create_download_enable_disable_delete_lifecycle() {
    let mut eis = fleet_eis();
    let c_aid = Aid::isd_p(eis.next_isd_p_tar().unwrap()).unwrap();
    assert_eq!(c_aid, aid(0x12));
    eis.begin_create_isdp(
        "8949000000000000003",
        c_aid,
        Some(30_000),
        "MNO-C",
        Some("SMDP-C"),
    )
    .unwrap();
    assert_eq!(
        eis.profile("8949000000000000003").unwrap().state,
        ProfileState::InCreation
    );
    let op = Operation::CreateIsdp {
        iccid: "8949000000000000003",
        isd_p_aid: c_aid,
        required_memory: Some(30_000),
    };
    assert!(eis.apply_result(&op, &Ok(())));
    assert_eq!(
        eis.profile("8949000000000000003").unwrap().state,
        ProfileState::Created
    );
    assert_eq!(eis.available_memory_for_profiles, 70_000);
    eis.profile_download_completed("8949000000000000003", Some("operational"), None, &[])
        .unwrap();
    assert_eq!(
        eis.profile("8949000000000000003").unwrap().state,
        ProfileState::Disabled
    );

    // Enable C: the APDU is built after the check; the state changes with
    // the notification, not with the 9000.
    let enable = Operation::EnableProfile {
        iccid: "8949000000000000003",
    };
    let cmd = eis.es5_command(&enable).unwrap().unwrap();
    assert_eq!(
        &cmd.as_bytes()[..7],
        &[0x80, 0xE2, 0x88, 0x00, 0x15, 0x3A, 0x03]
    );
    assert!(!eis.apply_result(&enable, &Ok(())));
    let n = notification(&eis, NotificationType::PROFILE_CHANGE_SUCCEEDED, 7, c_aid);
    let eff = eis.apply_notification(&n);
    assert_eq!(eff.enabled.as_deref(), Some("8949000000000000003"));
    assert_eq!(eff.disabled.as_deref(), Some("8949000000000000001"));
    assert_eq!(
        eff.follow_ups,
        [FollowUp::ConfirmNotification { sequence_number: 7 }]
    );
    eis.record_notification(&n, "2026-11-24T09:00:00Z");
    let rec = eis.audit_trail.last().unwrap();
    assert_eq!(rec.operation_type.0, 0x02);
    assert_eq!(rec.iccid.as_deref(), Some("8949000000000000003"));
    // Retransmission: nothing changes.
    let again = eis.apply_notification(&n);
    assert!(again.duplicate);
    eis.check_invariants().unwrap();

    // Disable C: the eUICC falls back to A (notification 05).
    let disable = Operation::DisableProfile {
        iccid: "8949000000000000003",
    };
    eis.es5_command(&disable).unwrap();
    let n = notification(
        &eis,
        NotificationType::PROFILE_CHANGE_AFTER_FALLBACK,
        8,
        aid(0x10),
    );
    eis.apply_notification(&n);
    assert_eq!(eis.enabled_profile().unwrap().iccid, "8949000000000000001");

    // Delete C.
    let delete = Operation::DeleteProfile {
        iccid: "8949000000000000003",
    };
    let cmd = eis.es5_command(&delete).unwrap().unwrap();
    assert_eq!(&cmd.as_bytes()[..4], &[0x80, 0xE4, 0x00, 0x40]);
    assert!(eis.apply_result(&delete, &Ok(())));
    assert!(eis.profile("8949000000000000003").is_none());
    assert_eq!(eis.available_memory_for_profiles, 100_000);
    eis.check_invariants().unwrap();
}

#[test]
fn failed_create_rolls_back() {
    let mut eis = fleet_eis();
    eis.begin_create_isdp("8949000000000000009", aid(0x20), None, "MNO-C", None)
        .unwrap();
    let op = Operation::CreateIsdp {
        iccid: "8949000000000000009",
        isd_p_aid: aid(0x20),
        required_memory: None,
    };
    assert!(eis.apply_result(&op, &Err(Es5Error::NotEnoughMemory)));
    assert_eq!(eis, fleet_eis());
}

fn refused(eis: &Eis, op: Operation<'_>) -> (StatusCode, RefusalReason) {
    let before = eis.clone();
    let r = eis.check(&op).unwrap_err();
    assert_eq!(*eis, before);
    (r.code, r.reason)
}

#[test]
fn refusals_carry_sgp02_codes() {
    let mut eis = fleet_eis();
    let unknown = refused(&eis, Operation::EnableProfile { iccid: "0000" });
    assert_eq!(unknown.0, StatusCode::new("8.2.1", "3.9"));
    // The fall-back profile and the enabled profile cannot be deleted.
    let fb = refused(
        &eis,
        Operation::DeleteProfile {
            iccid: "8949000000000000001",
        },
    );
    assert_eq!(
        fb,
        (StatusCode::new("8.2", "3.8"), RefusalReason::EnabledProfile)
    );
    eis.profiles[0].state = ProfileState::Disabled;
    eis.profiles[1].state = ProfileState::Enabled;
    let fb = refused(
        &eis,
        Operation::DeleteProfile {
            iccid: "8949000000000000001",
        },
    );
    assert_eq!(
        fb,
        (
            StatusCode::new("8.2", "3.8"),
            RefusalReason::FallbackProfile
        )
    );
    let en = refused(
        &eis,
        Operation::DeleteProfile {
            iccid: "8949000000000000002",
        },
    );
    assert_eq!(en.1, RefusalReason::EnabledProfile);
    // Wrong state.
    let ws = refused(
        &eis,
        Operation::EnableProfile {
            iccid: "8949000000000000002",
        },
    );
    assert_eq!(
        ws,
        (
            StatusCode::new("8.2.1", "1.2"),
            RefusalReason::WrongState(ProfileState::Enabled)
        )
    );
    // POL2: B may not be disabled, so A may not be enabled either.
    eis.profiles[1].pol2.push(Pol2Rule::new(
        Pol2Action::Disable,
        Pol2Qualification::NotAllowed,
    ));
    let p = refused(
        &eis,
        Operation::DisableProfile {
            iccid: "8949000000000000002",
        },
    );
    assert_eq!(
        p,
        (
            StatusCode::new("8.2.3", "3.8"),
            RefusalReason::Pol2(Pol2Action::Disable)
        )
    );
    let p = refused(
        &eis,
        Operation::EnableProfile {
            iccid: "8949000000000000001",
        },
    );
    assert_eq!(p.1, RefusalReason::Pol2(Pol2Action::Disable));
    // The fall-back profile cannot be disabled.
    let mut eis = fleet_eis();
    let f = refused(
        &eis,
        Operation::DisableProfile {
            iccid: "8949000000000000001",
        },
    );
    assert_eq!(f.1, RefusalReason::FallbackProfile);
    // POL2 delete not allowed; MasterDelete ignores POL2.
    eis.profiles[1].pol2.push(Pol2Rule::new(
        Pol2Action::Delete,
        Pol2Qualification::NotAllowed,
    ));
    let d = refused(
        &eis,
        Operation::DeleteProfile {
            iccid: "8949000000000000002",
        },
    );
    assert_eq!(d.1, RefusalReason::Pol2(Pol2Action::Delete));
    eis.check(&Operation::MasterDelete {
        iccid: "8949000000000000002",
    })
    .unwrap();
    // Emergency attribute: not on the fall-back profile, and its holder
    // cannot be deleted.
    let e = refused(
        &eis,
        Operation::SetEmergencyProfileAttribute {
            iccid: "8949000000000000001",
        },
    );
    assert_eq!(e.1, RefusalReason::FallbackProfile);
    eis.profiles[1].emergency_profile_attribute = true;
    let e = refused(
        &eis,
        Operation::MasterDelete {
            iccid: "8949000000000000002",
        },
    );
    assert_eq!(e.1, RefusalReason::EmergencyProfile);
    // CreateISDP: duplicate ICCID, used AID, memory.
    let c = refused(
        &eis,
        Operation::CreateIsdp {
            iccid: "8949000000000000002",
            isd_p_aid: aid(0x30),
            required_memory: None,
        },
    );
    assert_eq!(
        c,
        (
            StatusCode::new("8.2.1", "3.3"),
            RefusalReason::ProfileExists
        )
    );
    let c = refused(
        &eis,
        Operation::CreateIsdp {
            iccid: "1",
            isd_p_aid: aid(0x11),
            required_memory: None,
        },
    );
    assert_eq!(c.1, RefusalReason::IsdpAidUnavailable);
    let c = refused(
        &eis,
        Operation::CreateIsdp {
            iccid: "1",
            isd_p_aid: aid(0x30),
            required_memory: Some(200_000),
        },
    );
    assert_eq!(
        c,
        (
            StatusCode::new("8.1", "4.8"),
            RefusalReason::InsufficientMemory
        )
    );
}

#[test]
fn only_owners_may_act() {
    let eis = fleet_eis();
    let op = Operation::DisableProfile {
        iccid: "8949000000000000002",
    };
    let r = eis.check_for("MNO-A", &op).unwrap_err();
    assert_eq!(
        (r.code, r.reason),
        (StatusCode::new("8.2.1", "1.2"), RefusalReason::NotOwner)
    );
    // The owner MNO and the SM-DP pass the ownership check (and meet the state rule).
    assert_eq!(
        eis.check_for("MNO-B", &op).unwrap_err().reason,
        RefusalReason::WrongState(ProfileState::Disabled)
    );
    assert_eq!(
        eis.check_for("SMDP-B", &op).unwrap_err().reason,
        RefusalReason::WrongState(ProfileState::Disabled)
    );
    eis.check_for(
        "MNO-B",
        &Operation::EnableProfile {
            iccid: "8949000000000000002",
        },
    )
    .unwrap();
}

#[test]
fn fallback_moves_and_auto_delete_follows() {
    let mut eis = fleet_eis();
    let op = Operation::SetFallbackAttribute {
        iccid: "8949000000000000002",
    };
    assert_eq!(
        eis.es5_command(&op).unwrap().unwrap().as_bytes()[5..7],
        [0x3A, 0x05]
    );
    eis.apply_result(&op, &Ok(()));
    assert_eq!(eis.fallback_profile().unwrap().iccid, "8949000000000000002");
    assert_eq!(
        eis.profiles.iter().filter(|p| p.fallback_attribute).count(),
        1
    );

    // A is now a normal profile with POL2 auto-delete on disable.
    eis.profiles[0].pol2.push(Pol2Rule::new(
        Pol2Action::Disable,
        Pol2Qualification::AutoDelete,
    ));
    let n = notification(
        &eis,
        NotificationType::PROFILE_CHANGE_SUCCEEDED,
        1,
        aid(0x11),
    );
    let eff = eis.apply_notification(&n);
    assert_eq!(
        eff.follow_ups,
        [
            FollowUp::ConfirmNotification { sequence_number: 1 },
            FollowUp::AutoDelete {
                iccid: "8949000000000000001".into()
            }
        ]
    );
    // The confirmation response lists an ISD-P deleted by the eUICC.
    assert_eq!(
        eis.apply_deleted_isdps(&[aid(0x10)]),
        ["8949000000000000001"]
    );
    assert_eq!(eis.profiles.len(), 1);
    eis.check_invariants().unwrap();
}

#[test]
fn rollback_and_unknown_isdp() {
    let mut eis = fleet_eis();
    let n = notification(
        &eis,
        NotificationType::PROFILE_CHANGE_FAILED_AND_ROLLBACK,
        3,
        aid(0x10),
    );
    let eff = eis.apply_notification(&n);
    assert_eq!(eff.enabled, None);
    assert_eq!(eff.disabled, None);
    assert_eq!(eis.enabled_profile().unwrap().iccid, "8949000000000000001");
    let n = notification(
        &eis,
        NotificationType::PROFILE_CHANGE_SUCCEEDED,
        4,
        aid(0x99),
    );
    assert_eq!(eis.apply_notification(&n).unknown_isd_p, Some(aid(0x99)));
}

#[test]
fn audit_updates_states_memory_and_removes_vanished() {
    let mut eis = fleet_eis();
    eis.begin_create_isdp("77", aid(0x40), None, "MNO-X", None)
        .unwrap();
    let statuses = [
        IsdpStatus {
            aid: aid(0x10),
            life_cycle: LifeCycle::DISABLED,
            privileges: None,
            properties: Some(0),
            granted_memory: None,
            remaining_memory: None,
        },
        IsdpStatus {
            aid: aid(0x11),
            life_cycle: LifeCycle::ENABLED,
            privileges: None,
            properties: Some(PROPERTY_FALLBACK),
            granted_memory: Some(20_000),
            remaining_memory: Some(1_000),
        },
        IsdpStatus {
            aid: aid(0x50),
            life_cycle: LifeCycle::SELECTABLE,
            privileges: None,
            properties: None,
            granted_memory: None,
            remaining_memory: None,
        },
    ];
    let res = ExtendedCardResources {
        installed_applications: Some(4),
        free_non_volatile_memory: Some(12_345),
        free_volatile_memory: None,
    };
    let eff = eis.apply_audit(Some(&res), &statuses, true);
    assert_eq!(eis.remaining_memory, 12_345);
    assert_eq!(eff.unknown, [aid(0x50)]);
    assert_eq!(eis.enabled_profile().unwrap().iccid, "8949000000000000002");
    assert_eq!(eis.fallback_profile().unwrap().iccid, "8949000000000000002");
    assert_eq!(
        eis.profile("8949000000000000002").unwrap().free_memory,
        Some(1_000)
    );
    // The InCreation entry survives a complete audit.
    assert!(eis.profile("77").is_some());
    let eff = eis.apply_audit(None, &statuses[1..2], true);
    assert_eq!(eff.removed, ["8949000000000000001"]);
}

#[test]
fn visibility_hides_foreign_private_fields() {
    let eis = fleet_eis();
    let v = eis.view_for("MNO-A");
    let b = v.profile("8949000000000000002").unwrap();
    assert_eq!(b.subscription_address, None);
    assert_eq!(b.allocated_memory, None);
    assert_eq!(b.state, ProfileState::Disabled);
    let v = eis.view_for("SMDP-B");
    assert!(
        v.profile("8949000000000000002")
            .unwrap()
            .subscription_address
            .is_some()
    );
}

#[test]
fn es5_error_codes_from_status_words() {
    assert_eq!(
        Es5Error::from_sw(StatusWord(0x69E1)),
        Some(Es5Error::Pol1Refused)
    );
    assert_eq!(
        Es5Error::Pol1Refused.status_code(),
        StatusCode::new("8.2.1", "3.8")
    );
    assert_eq!(Es5Error::from_sw(StatusWord(0x9000)), None);
}

#[test]
fn key_values_never_in_debug() {
    use smsr::inventory::{Key, KeySet, KeySetType, SecretKey};
    let mut eis = fleet_eis();
    eis.isd_r.key_sets.push(KeySet {
        version: 1,
        key_set_type: Some(KeySetType::Scp80),
        counter: Some(5),
        keys: vec![Key {
            index: 1,
            key_type: 0x88,
            kcv: None,
            value: SecretKey::new(vec![0x5A; 16]),
        }],
        certificates: vec![],
    });
    let dbg = format!("{eis:?}");
    assert!(dbg.contains("redacted"));
    assert!(!dbg.contains("90, 90"));
    assert!(!dbg.to_uppercase().contains("5A5A5A5A"));
}

#[cfg(feature = "serde")]
#[test]
fn serde_uses_sgp02_element_names() {
    let eis = fleet_eis();
    let v = serde_json::to_value(&eis).unwrap();
    // Names and nesting of the GSMA EISType schema (whty JAXB classes).
    let esi = &v["EumSignedInfo"];
    assert_eq!(esi["Eid"], "89049032123451234512345678901235");
    assert_eq!(
        esi["Isd-p-loadfile-aid"],
        "A0000005591010FFFFFFFF8900000D00"
    );
    assert_eq!(esi["Ecasd"]["Role"], "ECASD");
    for k in [
        "Eum-id",
        "ProductionDate",
        "PlatformType",
        "PlatformVersion",
        "Isd-p-module-aid",
        "EuiccCapabilities",
    ] {
        assert!(esi.get(k).is_some(), "{k}");
    }
    for k in [
        "ProfileInfo",
        "Isd-r",
        "Smsr-id",
        "RemainingMemory",
        "AvailableMemoryForProfiles",
        "AuditTrail",
    ] {
        assert!(v.get(k).is_some(), "{k}");
    }
    assert!(v["AuditTrail"]["Record"].is_array());
    let p = &v["ProfileInfo"][1];
    assert_eq!(p["Isd-p-aid"], "A0000005591010FFFFFFFF8900001100");
    assert_eq!(p["FallbackAttribute"], false);
    assert_eq!(p["State"], "Disabled");
    assert_eq!(p["SubscriptionAddress"]["Msisdn"], "491701234567");
    assert_eq!(v["Isd-r"]["Tar"][0], "000001");
    assert_eq!(v["Isd-r"]["Role"], "ISD-R");
    let back: Eis = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, eis);
    // njiwa's spelling is accepted on input.
    let mut njiwa = v;
    let esi = njiwa["EumSignedInfo"].as_object_mut().unwrap();
    let id = esi.remove("Eum-id").unwrap();
    esi.insert("Eum-Id".into(), id);
    assert_eq!(serde_json::from_value::<Eis>(njiwa).unwrap(), eis);
    // POL2 rule and audit record coding.
    let rule = Pol2Rule::new(Pol2Action::Disable, Pol2Qualification::AutoDelete);
    assert_eq!(
        serde_json::to_value(rule).unwrap(),
        serde_json::json!({"Subject": "PROFILE", "Action": "DISABLE", "Qualification": "Auto-Delete"})
    );
    let mut e = fleet_eis();
    let n = notification(&e, NotificationType::PROFILE_CHANGE_SUCCEEDED, 1, aid(0x10));
    e.record_notification(&n, "2026-11-24T09:00:00Z");
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["AuditTrail"]["Record"][0]["OperationType"], "02");
    assert_eq!(serde_json::from_value::<Eis>(v).unwrap(), e);
}

/// SGP.02 §4.1.1.11 / §4.1.1.12: the eUICC sends a notification again
/// until it is confirmed. A retransmission whose confirmation is already
/// pending gets none more; with none pending (the earlier one failed) it
/// gets exactly one; a pending confirmation of another number changes
/// nothing; a POL2 follow-up is never dropped.
#[test]
fn a_retransmission_is_confirmed_once() {
    let mut eis = fleet_eis();
    let b = eis.profile("8949000000000000002").unwrap().isd_p_aid;
    let n = notification(&eis, NotificationType::PROFILE_CHANGE_SUCCEEDED, 7, b);
    let confirm7 = FollowUp::ConfirmNotification { sequence_number: 7 };
    let first = eis.apply_notification(&n);
    assert!(!first.duplicate);
    assert!(first.follow_ups.contains(&confirm7), "{first:?}");

    // The retransmission while the confirmation of 7 is queued: none more.
    let mut again = eis.apply_notification(&n);
    assert!(again.duplicate);
    assert_eq!(again.skip_pending_confirmations(&[3, 7]), 1);
    assert_eq!(again.follow_ups, []);

    // The confirmation of 7 failed (none pending): one new one.
    let mut retry = eis.apply_notification(&n);
    assert_eq!(retry.skip_pending_confirmations(&[]), 0);
    assert_eq!(retry.follow_ups, std::slice::from_ref(&confirm7));
    // Another number pending does not stand in for 7.
    let mut other = eis.apply_notification(&n);
    assert_eq!(other.skip_pending_confirmations(&[6, 8]), 0);
    assert_eq!(other.follow_ups, [confirm7]);

    // A POL2 auto-delete follow-up stays even when the confirmation goes.
    let mut fx = smsr::inventory::NotificationEffect {
        follow_ups: vec![
            FollowUp::ConfirmNotification { sequence_number: 9 },
            FollowUp::AutoDelete {
                iccid: "8949000000000000001".into(),
            },
        ],
        ..Default::default()
    };
    assert_eq!(fx.skip_pending_confirmations(&[9]), 1);
    assert_eq!(
        fx.follow_ups,
        [FollowUp::AutoDelete {
            iccid: "8949000000000000001".into()
        }]
    );
}

/// Notification ordering (SGP.02 §4.1.1.11 sequence numbers; the rule is
/// njiwa's `Eis.processNotification`, with RFC 1982 serial arithmetic for
/// the wrap of the 2-octet number; UNCONFIRMED from the SGP.02 text): an
/// older notification resent after a newer one was applied changes
/// nothing, is marked stale and is still confirmed; after `FFFF` comes
/// `0000`, which is applied.
#[test]
fn an_older_notification_after_a_newer_one_is_not_applied_again() {
    let mut eis = fleet_eis();
    let a = eis.profile("8949000000000000001").unwrap().isd_p_aid;
    let b = eis.profile("8949000000000000002").unwrap().isd_p_aid;
    let to_a = notification(&eis, NotificationType::PROFILE_CHANGE_SUCCEEDED, 7, a);
    let to_b = notification(&eis, NotificationType::PROFILE_CHANGE_SUCCEEDED, 8, b);
    assert!(!eis.apply_notification(&to_a).duplicate);
    let fx = eis.apply_notification(&to_b);
    assert!(!fx.duplicate && !fx.stale, "{fx:?}");
    assert_eq!(fx.enabled.as_deref(), Some("8949000000000000002"));
    let before = eis.clone();

    // 7 again, late: B stays enabled; 7 is confirmed so the card stops.
    let late = eis.apply_notification(&to_a);
    assert!(late.duplicate && late.stale, "{late:?}");
    assert_eq!((late.enabled, late.disabled), (None, None));
    assert_eq!(
        late.follow_ups,
        [FollowUp::ConfirmNotification { sequence_number: 7 }]
    );
    assert_eq!(eis, before, "the EIS is unchanged");
    assert_eq!(eis.last_notification_sequence_number, Some(8));
    // The same number again is a plain retransmission, not stale.
    let again = eis.apply_notification(&to_b);
    assert!(again.duplicate && !again.stale, "{again:?}");

    // Across the wrap, the card's number near its end: FFFF then 0000
    // (applied), then FFFF late (stale).
    eis.last_notification_sequence_number = Some(0xFFF0);
    let wrap_b = notification(&eis, NotificationType::PROFILE_CHANGE_SUCCEEDED, 0xFFFF, b);
    let wrap_a = notification(&eis, NotificationType::PROFILE_CHANGE_SUCCEEDED, 0x0000, a);
    assert!(!eis.apply_notification(&wrap_b).duplicate);
    let fx = eis.apply_notification(&wrap_a);
    assert!(!fx.duplicate, "0000 comes after FFFF: {fx:?}");
    assert_eq!(fx.enabled.as_deref(), Some("8949000000000000001"));
    assert!(eis.apply_notification(&wrap_b).stale);
    assert_eq!(
        eis.profile("8949000000000000001").unwrap().state,
        ProfileState::Enabled
    );
}

/// RFC 1982 §3.2 with SERIAL_BITS = 16: ahead by 1..=32,767 is after;
/// equal, behind, or exactly 32,768 apart (undefined there) is not.
#[test]
fn sequence_numbers_compare_as_serial_numbers() {
    use smsr::inventory::sequence_is_after;
    for (a, b) in [
        (1, 0),
        (0, 0xFFFF),
        (0x7FFF, 0),
        (0x8000, 1),
        (0x0005, 0xFFF0),
    ] {
        assert!(sequence_is_after(a, b), "{a:04X} after {b:04X}");
    }
    for (a, b) in [
        (5, 5),
        (0, 1),
        (0xFFFF, 0),
        (0x8000, 0),
        (0, 0x8000),
        (0xFFF0, 5),
    ] {
        assert!(!sequence_is_after(a, b), "{a:04X} not after {b:04X}");
    }
}
