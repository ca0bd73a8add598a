//! The delivery rules, one test each (moved from the example server's
//! engine, where they were only exercised end to end).
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::inventory::{
    Eis, ExecutionStatus, Function, FunctionExecutionStatus, Pol2Action, Pol2Qualification,
    Pol2Rule, Pol2Subject, ProfileInfo, ProfileState,
};
use crate::isdr::notification::TAG_AID;
use crate::isdr::{Aid, Eid, Notification, NotificationType, Tar as IsdpTar};
use crate::scp80::{
    Cntr, CounterKey, CounterStore, KeyAlgorithm, Kic, Kid, MemoryCounterStore, PorStatus, Tar,
};
use crate::scp81::http::ScriptStatus;

const A: &str = "8949000000000000001";
const B: &str = "8949000000000000002";

fn aid(tar: u32) -> Aid {
    Aid::isd_p(IsdpTar::from_value(tar)).unwrap()
}

/// Profile A enabled and fall-back, B disabled; SCP80 only unless `http`.
fn eis(http: bool) -> Eis {
    let eid = Eid::parse_digits("89049032123451234512345678901235").unwrap();
    let mut eis = Eis::new(eid, "SMSR-1");
    eis.available_memory_for_profiles = 100_000;
    eis.eum_signed_info.capabilities.http_support = http;
    let mut a = ProfileInfo::new(A, aid(0x10), "MNO-A", ProfileState::Enabled);
    a.fallback_attribute = true;
    eis.profiles.push(a);
    eis.profiles.push(ProfileInfo::new(
        B,
        aid(0x11),
        "MNO-B",
        ProfileState::Disabled,
    ));
    eis
}

type Core = Delivery<MemoryCounterStore<4>, MemoryEisStore>;

fn cfg() -> Config {
    Config {
        attempts: 3,
        backoff_ms: 100,
        attempt_timeout_ms: 1_000,
        kic: Kic::new(1, KeyAlgorithm::AES),
        kid: Kid::new(1, KeyAlgorithm::AES.0),
    }
}

fn core(eis: Eis) -> Core {
    Delivery::new(cfg(), MemoryCounterStore::new(), MemoryEisStore(eis))
}

fn isd_r_key() -> CounterKey {
    CounterKey {
        tar: Tar(crate::isdr::Tar::ISD_R.0),
        kic: cfg().kic,
        kid: cfg().kid,
    }
}

fn req(id: u64, function: Function) -> Request {
    Request {
        id,
        function,
        requester: None,
        expires_at_ms: 60_000,
    }
}

/// A response script (`AB`) of R-APDUs (TS 102 226 §5.2.2).
fn resp(rapdus: &[&[u8]]) -> Vec<u8> {
    let count = u8::try_from(rapdus.len()).unwrap();
    let mut inner = vec![0x80, 0x01, count];
    for r in rapdus {
        inner.push(0x23);
        inner.push(u8::try_from(r.len()).unwrap());
        inner.extend_from_slice(r);
    }
    let mut out = vec![0xAB, u8::try_from(inner.len()).unwrap()];
    out.extend(inner);
    out
}

const OK: &[u8] = &[0x90, 0x00];
/// GET DATA `FF21` { free memory 256 } 9000.
const FF21: &[u8] = &[
    0xFF, 0x21, 0x07, 0x81, 0x01, 0x00, 0x82, 0x02, 0x01, 0x00, 0x90, 0x00,
];

fn sent_cntr(t: &Transmit) -> Cntr {
    match t {
        Transmit::Scp80 { cntr, .. } | Transmit::Scp81 { cntr, .. } => *cntr,
    }
}

fn events(c: &mut Core) -> Vec<Event> {
    core::iter::from_fn(|| c.poll_event()).collect()
}

fn settled(c: &mut Core) -> FunctionExecutionStatus {
    events(c)
        .into_iter()
        .find_map(|e| match e {
            Event::Settled { status, .. } | Event::Expired { status, .. } => Some(status),
            _ => None,
        })
        .unwrap()
}

fn code(st: &FunctionExecutionStatus) -> (String, String) {
    let d = st.status_code_data.clone().unwrap();
    (d.subject, d.reason)
}

fn notification(kind: NotificationType, seq: u16, isdp: Aid) -> Notification {
    Notification {
        eid: Eid::parse_digits("89049032123451234512345678901235").unwrap(),
        kind,
        sequence_number: seq,
        isd_p_aid: Some(isdp),
        aid_tag: TAG_AID,
        imei: None,
        meid: None,
    }
}

#[test]
fn the_counter_is_persisted_before_the_packet_is_handed_out() {
    let mut c = core(eis(false));
    c.submit(req(1, Function::AuditEis { iccids: Vec::new() }));
    let t = c.poll_transmit(0).unwrap().unwrap();
    assert_eq!(sent_cntr(&t), Cntr::from_u64(1).unwrap());
    assert_eq!(c.counters().load(&isd_r_key()).unwrap(), sent_cntr(&t));
    // One attempt at a time.
    assert_eq!(c.poll_transmit(0).unwrap(), None);
}

#[test]
fn an_exhausted_counter_settles_instead_of_wrapping() {
    let mut c = core(eis(false));
    c.counters().store(&isd_r_key(), Cntr::MAX).unwrap();
    c.submit(req(1, Function::AuditEis { iccids: Vec::new() }));
    assert_eq!(c.poll_transmit(0).unwrap(), None);
    assert_eq!(settled(&mut c).status, ExecutionStatus::Failed);
    assert_eq!(c.counters().load(&isd_r_key()).unwrap(), Cntr::MAX);
}

#[test]
fn a_por_of_another_packet_is_not_the_answer() {
    let mut c = core(eis(false));
    c.submit(req(1, Function::EnableProfile { iccid: B.into() }));
    let t = c.poll_transmit(0).unwrap().unwrap();
    let body = resp(&[OK]);
    let late = PorAnswer {
        cntr: Cntr::from_u64(7).unwrap(),
        status: PorStatus::OK,
        data: &body,
    };
    assert!(!c.handle_por(10, &late).unwrap());
    assert_eq!(c.pending(), 1);
    let mine = PorAnswer {
        cntr: sent_cntr(&t),
        ..late
    };
    assert!(c.handle_por(10, &mine).unwrap());
    // Accepted: the switch waits for the eUICC's notification.
    assert!(events(&mut c).is_empty());
    let fx = c
        .handle_notification(&notification(
            NotificationType::PROFILE_CHANGE_SUCCEEDED,
            5,
            aid(0x11),
        ))
        .unwrap();
    assert_eq!(fx.enabled.as_deref(), Some(B));
    let ev = events(&mut c);
    assert!(ev.contains(&Event::FollowUp(Function::ConfirmNotification {
        sequence_number: 5
    })));
    assert!(
        ev.iter()
            .any(|e| matches!(e, Event::Settled { id: 1, status, .. }
        if status.status == ExecutionStatus::ExecutedSuccess))
    );
    assert_eq!(
        c.eis_store().0.profile(B).unwrap().state,
        ProfileState::Enabled
    );
}

#[test]
fn por_status_02_raises_the_counter_and_resends() {
    let mut c = core(eis(false));
    c.submit(req(1, Function::AuditEis { iccids: Vec::new() }));
    let t = c.poll_transmit(0).unwrap().unwrap();
    let low = PorAnswer {
        cntr: sent_cntr(&t),
        status: PorStatus::CNTR_LOW,
        data: &[],
    };
    assert!(c.handle_por(5, &low).unwrap());
    assert!(matches!(
        events(&mut c)[..],
        [Event::Rescheduled { id: 1, .. }]
    ));
    assert_eq!(
        c.counters().load(&isd_r_key()).unwrap(),
        Cntr::from_u64(2).unwrap()
    );
    // Not before the backoff; then with a counter above the refused one.
    assert_eq!(c.poll_transmit(50).unwrap(), None);
    let again = c.poll_transmit(105).unwrap().unwrap();
    assert_eq!(sent_cntr(&again), Cntr::from_u64(3).unwrap());
}

#[test]
fn an_uncertain_outcome_is_audited_before_any_resend() {
    let mut c = core(eis(false));
    c.submit(req(1, Function::DeleteProfile { iccid: B.into() }));
    c.poll_transmit(0).unwrap().unwrap();
    assert_eq!(c.poll_timeout(), Some(1_000));
    c.handle_timeout(1_000);
    let ev = events(&mut c);
    assert!(ev.contains(&Event::NeedsAudit { id: 1 }), "{ev:?}");
    // The next attempt is the audit, not DELETE.
    let t = c.poll_transmit(1_200).unwrap().unwrap();
    let Transmit::Scp80 { script, cntr, .. } = &t else {
        panic!("{t:?}")
    };
    assert_eq!(script, &script::audit_script().unwrap());
    // The card no longer has B's ISD-P: the delete ran. Settled, not resent.
    let body = resp(&[FF21, &[0x6A, 0x88]]);
    let por = PorAnswer {
        cntr: *cntr,
        status: PorStatus::OK,
        data: &body,
    };
    assert!(c.handle_por(1_300, &por).unwrap());
    let st = settled(&mut c);
    assert_eq!(st.status, ExecutionStatus::ExecutedWithWarning);
    assert!(c.eis_store().0.profile(B).is_none());
    assert_eq!(c.poll_transmit(2_000).unwrap(), None);
    assert_eq!(c.pending(), 0);
}

#[test]
fn an_audit_without_the_effect_goes_back_through_the_rules() {
    let mut c = core(eis(false));
    c.submit(req(1, Function::SetFallbackAttribute { iccid: B.into() }));
    c.poll_transmit(0).unwrap().unwrap();
    c.handle_timeout(1_000);
    let t = c.poll_transmit(1_200).unwrap().unwrap();
    // GET STATUS says no ISD-P at all; the fall-back attribute is not on B.
    let body = resp(&[FF21, &[0x6A, 0x88]]);
    let por = PorAnswer {
        cntr: sent_cntr(&t),
        status: PorStatus::OK,
        data: &body,
    };
    c.handle_por(1_300, &por).unwrap();
    let again = c.poll_transmit(1_300);
    // The profiles are gone from the EIS after that audit: the rules now
    // refuse, without reaching the card.
    assert_eq!(again.unwrap(), None);
    assert_eq!(code(&settled(&mut c)).1, "3.9");
}

#[test]
fn the_validity_period_ends_in_expired() {
    let mut c = core(eis(false));
    let mut r = req(1, Function::AuditEis { iccids: Vec::new() });
    r.expires_at_ms = 500;
    c.submit(r);
    c.poll_transmit(0).unwrap().unwrap();
    // The attempt never outlives the validity period.
    assert_eq!(c.poll_timeout(), Some(500));
    c.handle_timeout(500);
    let ev = events(&mut c);
    let st = ev
        .iter()
        .find_map(|e| match e {
            Event::Expired { status, .. } => Some(status.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(code(&st), ("1.6".into(), "4.10".into()));
    assert!(
        st.status_code_data
            .unwrap()
            .message
            .unwrap()
            .contains("no answer in time")
    );
}

#[test]
fn pol2_and_rule_refusals_never_reach_the_card() {
    let mut e = eis(false);
    e.profiles[1].pol2.push(Pol2Rule {
        subject: Pol2Subject::default(),
        action: Pol2Action::Enable,
        qualification: Pol2Qualification::NotAllowed,
    });
    let mut c = core(e);
    c.submit(req(1, Function::EnableProfile { iccid: B.into() }));
    c.submit(req(
        2,
        Function::DisableProfile {
            iccid: "0000".into(),
        },
    ));
    let mut r = req(3, Function::DeleteProfile { iccid: B.into() });
    r.requester = Some("MNO-A".into());
    c.submit(r);
    assert_eq!(c.poll_transmit(0).unwrap(), None);
    let codes: Vec<_> = events(&mut c)
        .into_iter()
        .filter_map(|e| match e {
            Event::Settled { id, status, .. } => Some((id, code(&status))),
            _ => None,
        })
        .collect();
    assert_eq!(
        codes,
        [
            (1, ("8.2.3".into(), "3.8".into())),
            (2, ("8.2.1".into(), "3.9".into())),
            (3, ("8.2.1".into(), "1.2".into())),
        ]
    );
    assert_eq!(c.counters().load(&isd_r_key()).unwrap(), Cntr::default());
}

#[test]
fn scp81_script_status_settles_with_its_code() {
    let mut c = core(eis(true));
    c.submit(req(1, Function::SetFallbackAttribute { iccid: B.into() }));
    let t = c.poll_transmit(0).unwrap().unwrap();
    assert!(matches!(t, Transmit::Scp81 { .. }), "{t:?}");
    // A PoR means nothing to an SCP81 attempt.
    let por = PorAnswer {
        cntr: sent_cntr(&t),
        status: PorStatus::OK,
        data: &[],
    };
    assert!(!c.handle_por(1, &por).unwrap());
    let answered = SessionOutcome::Answered {
        status: &ScriptStatus::SecurityError,
        body: &[],
    };
    assert!(c.handle_session_result(2, answered).unwrap());
    assert_eq!(code(&settled(&mut c)), ("8.4".into(), "6.1".into()));
    assert!(!c.eis_store().0.profile(B).unwrap().fallback_attribute);
}

#[test]
fn an_ok_result_is_applied_to_the_eis() {
    let mut c = core(eis(true));
    c.submit(req(1, Function::SetFallbackAttribute { iccid: B.into() }));
    c.poll_transmit(0).unwrap().unwrap();
    let body = resp(&[OK]);
    let answered = SessionOutcome::Answered {
        status: &ScriptStatus::Ok,
        body: &body,
    };
    c.handle_session_result(2, answered).unwrap();
    assert!(settled(&mut c).is_success());
    let e = &c.eis_store().0;
    assert!(e.profile(B).unwrap().fallback_attribute);
    assert!(!e.profile(A).unwrap().fallback_attribute);
}

#[test]
fn attempts_are_one_count_and_bounded() {
    let mut c = core(eis(true));
    c.submit(req(1, Function::AuditEis { iccids: Vec::new() }));
    let mut now = 0;
    for _ in 0..3 {
        c.poll_transmit(now).unwrap().unwrap();
        c.handle_session_result(now, SessionOutcome::NotOpened)
            .unwrap();
        now += 10_000;
    }
    let ev = events(&mut c);
    let Some(Event::Settled {
        attempts, status, ..
    }) = ev.last()
    else {
        panic!("{ev:?}")
    };
    assert_eq!(*attempts, 3);
    let d = status.status_code_data.clone().unwrap();
    assert_eq!((d.subject.as_str(), d.reason.as_str()), ("8.1", "5.1"));
    assert!(d.message.unwrap().starts_with("no answer after 3 attempts"));
}

#[test]
fn a_fall_back_notification_updates_the_eis_and_is_confirmed() {
    let mut e = eis(false);
    e.profiles[0].state = ProfileState::Disabled;
    e.profiles[1].state = ProfileState::Enabled;
    let mut c = core(e);
    // Connectivity lost: the eUICC enabled its fall-back profile A.
    let n = notification(
        NotificationType::PROFILE_CHANGE_AFTER_FALLBACK,
        9,
        aid(0x10),
    );
    let fx = c.handle_notification(&n).unwrap();
    assert_eq!(fx.enabled.as_deref(), Some(A));
    assert_eq!(
        c.eis_store().0.profile(A).unwrap().state,
        ProfileState::Enabled
    );
    assert_eq!(
        events(&mut c),
        [Event::FollowUp(Function::ConfirmNotification {
            sequence_number: 9
        })]
    );
}

#[test]
fn a_switch_without_notification_is_settled_by_audit() {
    let mut c = core(eis(false));
    c.submit(req(1, Function::EnableProfile { iccid: B.into() }));
    let t = c.poll_transmit(0).unwrap().unwrap();
    let body = resp(&[OK]);
    let por = PorAnswer {
        cntr: sent_cntr(&t),
        status: PorStatus::OK,
        data: &body,
    };
    c.handle_por(10, &por).unwrap();
    c.handle_timeout(1_010);
    assert!(events(&mut c).contains(&Event::NeedsAudit { id: 1 }));
    let t = c.poll_transmit(1_010).unwrap().unwrap();
    let body = resp(&[FF21, &[0x6A, 0x88]]);
    let por = PorAnswer {
        cntr: sent_cntr(&t),
        status: PorStatus::OK,
        data: &body,
    };
    c.handle_por(1_020, &por).unwrap();
    let st = settled(&mut c);
    assert_eq!(st.status, ExecutionStatus::Failed);
    assert_eq!(code(&st), ("8.4".into(), "4.2".into()));
}

/// The ISD-R forgets a confirmed notification (SGP.02 §4.1.1.12): a
/// confirmation sent again after an attempt of unknown outcome (no PoR)
/// and answered `6A88` was confirmed by that attempt (a warning, not a
/// failure); answered `6A88` at the first attempt, the eUICC does not know
/// the number (a failure).
#[test]
fn a_confirmation_lost_in_transit_and_refused_as_unknown_was_confirmed() {
    let confirm = Function::ConfirmNotification { sequence_number: 5 };
    let refused = resp(&[&[0x6A, 0x88]]);
    let answer = |c: &mut Core, t: &Transmit, now: u64| {
        let por = PorAnswer {
            cntr: sent_cntr(t),
            status: PorStatus::OK,
            data: &refused,
        };
        assert!(c.handle_por(now, &por).unwrap());
    };

    let mut c = core(eis(false));
    c.submit(req(1, confirm.clone()));
    let t = c.poll_transmit(0).unwrap().unwrap();
    answer(&mut c, &t, 10);
    let st = settled(&mut c);
    assert_eq!(st.status, ExecutionStatus::Failed, "{st:?}");

    let mut c = core(eis(false));
    c.submit(req(2, confirm));
    c.poll_transmit(0).unwrap().unwrap();
    c.handle_timeout(1_000);
    let ev = events(&mut c);
    assert!(
        ev.iter().any(|e| matches!(e, Event::Rescheduled { .. })),
        "{ev:?}"
    );
    assert!(
        !ev.contains(&Event::NeedsAudit { id: 2 }),
        "idempotent: no audit"
    );
    let t = c.poll_transmit(1_200).unwrap().unwrap();
    let Transmit::Scp80 { script, .. } = &t else {
        panic!("{t:?}")
    };
    assert_ne!(script, &script::audit_script().unwrap(), "sent again as is");
    answer(&mut c, &t, 1_300);
    let st = settled(&mut c);
    assert_eq!(st.status, ExecutionStatus::ExecutedWithWarning, "{st:?}");
    assert_eq!(c.pending(), 0);
}
