#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]
#![cfg(feature = "alloc")]
//! The SM-SR change in the EIS (`inventory::handover`): the transition
//! table, who manages the eUICC at every step on both sides, what each
//! state refuses and with which code.

use smsr::inventory::handover::TRANSITIONS;
use smsr::inventory::{
    Eis, Function, HandoverEvent as E, HandoverState as S, HandoverStep as T, Manager, Operation,
    ProfileInfo, ProfileState, RefusalReason,
};
use smsr::isdr::response::StatusCode;
use smsr::isdr::{Aid, Eid, Tar};

const STATES: [S; 9] = [
    S::Managed,
    S::Outgoing(T::EisHandedOver),
    S::Outgoing(T::SmsrAuthenticated),
    S::Outgoing(T::KeySetCreated),
    S::Incoming(T::EisHandedOver),
    S::Incoming(T::SmsrAuthenticated),
    S::Incoming(T::KeySetCreated),
    S::Incoming(T::Finalised),
    S::Gone,
];
const EVENTS: [E; 7] = [
    E::Start,
    E::Received,
    E::Authenticated,
    E::KeySetCreated,
    E::Finalised,
    E::Completed,
    E::Failed,
];

fn all_states() -> Vec<S> {
    let mut v = STATES.to_vec();
    v.push(S::Abandoned);
    v.push(S::Outgoing(T::Finalised));
    v
}

fn eis() -> Eis {
    let eid = Eid::parse_digits("89049032123451234512345678901235").unwrap();
    let mut eis = Eis::new(eid, "SMSR-1");
    let aid = Aid::isd_p(Tar::from_value(0x10)).unwrap();
    eis.profiles.push(ProfileInfo::new(
        "8949000000000000001",
        aid,
        "MNO-A",
        ProfileState::Disabled,
    ));
    eis
}

/// Every (state, event): the table's target, or a refusal with its code;
/// a refused event leaves the EIS as it was.
#[test]
fn every_pair_follows_the_table() {
    let mut allowed = 0;
    for from in all_states() {
        for event in EVENTS {
            let in_table = TRANSITIONS
                .iter()
                .find(|(f, e, _)| *f == from && *e == event)
                .map(|(_, _, to)| *to);
            let mut e = eis();
            e.handover = from;
            let before = e.clone();
            match (e.handover_event(event), in_table) {
                (Ok(to), Some(t)) => {
                    assert_eq!(to, t);
                    assert_eq!(e.handover, t);
                    allowed += 1;
                }
                (Err(r), None) => {
                    assert_eq!(e, before, "{from:?} {event:?}");
                    let want = match (from, event) {
                        (S::Outgoing(_) | S::Incoming(_), E::Start | E::Received) => {
                            (RefusalReason::SecondHandover, StatusCode::new("8.7", "3.3"))
                        }
                        (S::Gone | S::Abandoned, _) => {
                            (RefusalReason::HandedOver, StatusCode::new("8.1.1", "3.9"))
                        }
                        _ => (
                            RefusalReason::HandoverInProgress,
                            StatusCode::new("8.1.1", "3.3"),
                        ),
                    };
                    assert_eq!((r.reason, r.code), want, "{from:?} {event:?}");
                }
                (got, want) => panic!("{from:?} {event:?}: {got:?} vs table {want:?}"),
            }
        }
    }
    assert_eq!(allowed, TRANSITIONS.len());
}

/// The two EIS side by side through a hand-over that fails after each
/// step in turn, and one that completes: at every point exactly one SM-SR
/// manages the eUICC, and a failure leaves it with SM-SR1.
#[test]
fn exactly_one_manager_at_every_step() {
    // (event at SM-SR1, event at SM-SR2) in procedure order.
    let steps = [
        (Some(E::Start), None),
        (None, Some(E::Received)),
        (Some(E::Authenticated), Some(E::Authenticated)),
        (Some(E::KeySetCreated), Some(E::KeySetCreated)),
        (None, Some(E::Finalised)),
        (Some(E::Completed), Some(E::Completed)),
    ];
    let one = |a: S, b: Option<S>| {
        let sr2 = b.map_or(Manager::Other, S::manager);
        assert!(
            (a.manager() == Manager::This) ^ (sr2 == Manager::This),
            "{a:?} / {b:?}"
        );
    };
    for fail_after in 0..steps.len() {
        let (mut sr1, mut sr2) = (S::Managed, None::<S>);
        for (i, (e1, e2)) in steps.iter().enumerate() {
            if let Some(e) = e1 {
                sr1 = sr1.next(*e).unwrap();
            }
            if let Some(e) = e2 {
                sr2 = Some(sr2.map_or(S::INCOMING, |s| s.next(*e).unwrap()));
            }
            one(sr1, sr2);
            if i == fail_after && i < 4 {
                sr1 = sr1.next(E::Failed).unwrap();
                sr2 = sr2.map(|s| s.next(E::Failed).unwrap());
                one(sr1, sr2);
                assert_eq!(sr1, S::Managed);
                assert!(sr2.is_none_or(|s| s == S::Abandoned));
                break;
            }
        }
        if fail_after >= 4 {
            assert_eq!((sr1, sr2), (S::Gone, Some(S::Managed)));
        }
    }
    // Once finalised, SM-SR2 cannot fail back: SM-SR1's keys are gone.
    assert!(S::Incoming(T::Finalised).next(E::Failed).is_err());
    // The eUICC can come back to an SM-SR that handed it over.
    assert_eq!(S::Gone.next(E::Received).unwrap(), S::INCOMING);
}

/// During a hand-over every profile operation and ES5 function is refused
/// on both sides (SM-SR1 still confirms notifications); afterwards SM-SR1
/// refuses everything as an unknown EID.
#[test]
fn refusals_by_state() {
    let enable = Operation::EnableProfile {
        iccid: "8949000000000000001",
    };
    let functions = [
        Function::EnableProfile {
            iccid: "8949000000000000001".into(),
        },
        Function::AuditEis { iccids: Vec::new() },
        Function::CreateIsdp {
            iccid: "8949000000000000009".into(),
            mno_id: "MNO-A".into(),
            required_memory: None,
        },
    ];
    let confirm = Function::ConfirmNotification { sequence_number: 1 };
    let mut e = eis();
    e.check(&enable).unwrap();
    for f in &functions {
        e.handover.admits(f).unwrap();
    }
    e.handover_event(E::Start).unwrap();
    let r = e.check(&enable).unwrap_err();
    assert_eq!(r.code, StatusCode::new("8.1.1", "3.3"));
    for f in &functions {
        assert_eq!(
            e.handover.admits(f).unwrap_err().reason,
            RefusalReason::HandoverInProgress
        );
    }
    e.handover.admits(&confirm).unwrap();
    assert!(e.es5_command(&enable).is_err());
    // A second SMSRChange for the same eUICC.
    assert_eq!(
        e.handover_event(E::Start).unwrap_err().code,
        StatusCode::new("8.7", "3.3")
    );
    // SM-SR2 before it manages the eUICC: nothing, not even confirmations.
    assert!(S::INCOMING.admits(&confirm).is_err());
    assert!(S::Incoming(T::Finalised).admits(&functions[0]).is_err());
    // SM-SR1 after the hand-over.
    e.handover_event(E::Completed).unwrap();
    assert_eq!(e.handover, S::Gone);
    assert_eq!(
        e.check(&enable).unwrap_err().code,
        StatusCode::new("8.1.1", "3.9")
    );
    assert!(e.handover.admits(&confirm).is_err());
    // SM-SR2 after completion manages it like any other.
    let mut e2 = eis();
    e2.handover = S::Incoming(T::Finalised);
    e2.handover_event(E::Completed).unwrap();
    e2.check(&enable).unwrap();
}

/// A managed EIS serializes as before (no `Handover` element); a state
/// round-trips.
#[cfg(feature = "serde")]
#[test]
fn serde_shape() {
    let e = eis();
    let json = serde_json::to_string(&e).unwrap();
    assert!(!json.contains("Handover"));
    let mut h = e.clone();
    h.handover = S::Outgoing(T::KeySetCreated);
    let json = serde_json::to_string(&h).unwrap();
    assert!(json.contains("\"Handover\""));
    assert_eq!(serde_json::from_str::<Eis>(&json).unwrap(), h);
}
