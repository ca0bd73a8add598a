//! The outbox contract (store/outbox.rs) for every backend:
//! `outbox_suite!(fresh)` instantiates each test.

use smsr::inventory::model::ProfileState;
use smsr::inventory::{Eis, ProfileInfo};
use smsr::isdr::notification::TAG_AID;
use smsr::isdr::{Aid, Notification, NotificationType};

use super::{Backend, eid, eis, secrets};
use crate::ops::now_ms;
use crate::store::outbox::OutMessage;
use crate::store::{self, EisChange, EuiccEis};

/// Instantiates every outbox test for the backend `fresh(name) -> Backend`.
#[macro_export]
macro_rules! outbox_suite {
    ($fresh:path) => {
        $crate::outbox_suite!(@tests $fresh;
            outbox_put_is_idempotent_by_event_id, outbox_claims_by_lease_and_delivers_once,
            outbox_retries_with_backoff_and_gives_up, outbox_claimants_never_share_a_message,
            outbox_parked_answer_waits_until_filled_or_due,
            outbox_notifications_are_written_with_their_event);
    };
    (@tests $fresh:path; $($t:ident),*) => {
        $(
            #[test]
            fn $t() {
                store_support::outbox::$t(&$fresh(stringify!($t)));
            }
        )*
    };
}

fn msg(n: u32) -> OutMessage {
    OutMessage {
        event_id: format!("op/{n}/HandleProfileEnabledNotification/8901/ES4/MNO1"),
        recipient: "MNO1".into(),
        interface: "ES4".into(),
        name: "HandleProfileEnabledNotification".into(),
        to: None,
        body: format!("{{\"n\":{n}}}"),
        created_ms: 1_000 + i64::from(n),
    }
}

fn ids(rows: &[crate::store::outbox::OutRow]) -> Vec<String> {
    rows.iter().map(|r| r.message.event_id.clone()).collect()
}

/// A second write of one event id stores nothing and changes nothing.
pub fn outbox_put_is_idempotent_by_event_id(b: &Backend) {
    let o = &*b.outbox;
    assert_eq!(o.put_messages(&[msg(1), msg(2)], None).expect("put"), 2);
    let mut changed = msg(1);
    changed.body = "other".into();
    assert_eq!(o.put_messages(&[changed, msg(3)], None).expect("put"), 1);
    let row = o.message(&msg(1).event_id).expect("read").expect("stored");
    assert_eq!(row.message, msg(1), "the first write stays");
    assert_eq!(
        (row.attempts, row.delivered_ms, row.gave_up),
        (0, None, false)
    );
    assert_eq!(o.undelivered().expect("count"), 3);
    assert_eq!(o.message("op/9").expect("read"), None);
}

/// Claims go oldest first with a lease; a live lease hides a message from
/// other instances; a delivered message is never claimed again, and its
/// mark is set once.
pub fn outbox_claims_by_lease_and_delivers_once(b: &Backend) {
    let o = &*b.outbox;
    o.put_messages(&[msg(1), msg(2), msg(3)], None)
        .expect("put");
    let t = 10_000;
    let a = o.claim_messages("A", t, 1_000, 2).expect("claim");
    assert_eq!(
        ids(&a),
        [msg(1).event_id, msg(2).event_id],
        "oldest first, limit"
    );
    assert!(a.iter().all(|r| r.attempts == 1), "the attempt is counted");
    let bb = o.claim_messages("B", t + 1, 1_000, 10).expect("claim");
    assert_eq!(ids(&bb), [msg(3).event_id], "A's leases hold");
    assert!(o.mark_delivered(&msg(1).event_id, t + 2).expect("mark"));
    assert!(
        !o.mark_delivered(&msg(1).event_id, t + 3).expect("mark"),
        "once"
    );
    assert!(!o.mark_delivered("unknown", t + 3).expect("mark"));
    // A died holding msg 2: after its lease, B gets it; msg 1 never again.
    let later = o.claim_messages("B", t + 1_000, 1_000, 10).expect("claim");
    assert_eq!(ids(&later), [msg(2).event_id]);
    assert_eq!(later[0].attempts, 2);
    assert!(o.mark_delivered(&msg(2).event_id, t + 1_001).expect("mark"));
    assert!(o.mark_delivered(&msg(3).event_id, t + 1_001).expect("mark"));
    assert!(
        o.claim_messages("C", t + 99_000, 1_000, 10)
            .expect("claim")
            .is_empty()
    );
    assert_eq!(o.undelivered().expect("count"), 0);
    let row = o.message(&msg(1).event_id).expect("read").expect("stored");
    assert_eq!(row.delivered_ms, Some(t + 2), "the first mark stays");
}

/// A failed attempt waits until its `not_before_ms`; only the lease holder
/// may reschedule; a message given up is never tried again.
pub fn outbox_retries_with_backoff_and_gives_up(b: &Backend) {
    let o = &*b.outbox;
    o.put_messages(&[msg(1)], None).expect("put");
    let id = msg(1).event_id;
    let t = 10_000;
    assert_eq!(
        o.claim_messages("A", t, 60_000, 10).expect("claim").len(),
        1
    );
    o.retry_message(&id, "B", t, "not B's", false)
        .expect("retry");
    assert!(
        o.claim_messages("B", t + 1, 60_000, 10)
            .expect("claim")
            .is_empty(),
        "B's retry changed nothing: A's lease holds"
    );
    o.retry_message(&id, "A", t + 500, "HTTP 500", false)
        .expect("retry");
    assert!(
        o.claim_messages("A", t + 499, 60_000, 10)
            .expect("claim")
            .is_empty()
    );
    let again = o.claim_messages("A", t + 500, 60_000, 10).expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].last_error.as_deref(), Some("HTTP 500"));
    o.retry_message(&id, "A", t + 600, "last attempt", true)
        .expect("give up");
    assert!(
        o.claim_messages("A", t + 99_000, 60_000, 10)
            .expect("claim")
            .is_empty()
    );
    let row = o.message(&id).expect("read").expect("stored");
    assert!(row.gave_up);
    assert_eq!(row.delivered_ms, None);
    assert_eq!(o.undelivered().expect("count"), 0);
}

/// Instances claiming at once never get the same message.
pub fn outbox_claimants_never_share_a_message(b: &Backend) {
    let msgs: Vec<OutMessage> = (1..=40).map(msg).collect();
    b.outbox.put_messages(&msgs, None).expect("put");
    let t = 10_000;
    let got: Vec<Vec<String>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|i| {
                let o = b.outbox.clone();
                s.spawn(move || {
                    let mut mine = Vec::new();
                    loop {
                        let rows = o
                            .claim_messages(&format!("I{i}"), t, 60_000, 3)
                            .expect("claim");
                        if rows.is_empty() {
                            return mine;
                        }
                        mine.extend(ids(&rows));
                    }
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().expect("thread")).collect()
    });
    let mut all: Vec<String> = got.into_iter().flatten().collect();
    all.sort();
    let mut want: Vec<String> = msgs.iter().map(|m| m.event_id.clone()).collect();
    want.sort();
    assert_eq!(all, want, "each exactly once");
}

/// A parked answer is not claimed before its time unless filled; a
/// filled one is due at once with its new body; a claimed or delivered one
/// is not refilled.
pub fn outbox_parked_answer_waits_until_filled_or_due(b: &Backend) {
    let o = &*b.outbox;
    let (t, until) = (10_000, 50_000);
    let (mut m1, mut m2) = (msg(1), msg(2));
    m1.body = "{\"Pending\":1}".into();
    m2.body = "{\"Pending\":2}".into();
    assert_eq!(
        o.put_messages(&[m1.clone(), m2.clone()], Some(until))
            .expect("park"),
        2
    );
    assert_eq!(
        o.put_messages(&[msg(1)], Some(t)).expect("again"),
        0,
        "nothing"
    );
    assert!(
        o.claim_messages("A", t, 1_000, 10)
            .expect("claim")
            .is_empty(),
        "parked"
    );
    assert!(o.fill_message(&m1.event_id, "<answer/>", t).expect("fill"));
    let got = o.claim_messages("A", t, 1_000, 10).expect("claim");
    assert_eq!(ids(&got), [m1.event_id.clone()]);
    assert_eq!(got[0].message.body, "<answer/>");
    assert!(
        !o.fill_message(&m1.event_id, "<other/>", t + 1)
            .expect("fill"),
        "claimed"
    );
    o.mark_delivered(&m1.event_id, t + 2).expect("mark");
    assert!(
        !o.fill_message(&m1.event_id, "<other/>", t + 2_000)
            .expect("fill"),
        "delivered"
    );
    assert!(!o.fill_message("unknown", "<x/>", t).expect("fill"));
    // Never filled (its server died): due at its time, as parked.
    let late = o.claim_messages("B", until, 1_000, 10).expect("claim");
    assert_eq!(ids(&late), [m2.event_id.clone()]);
    assert_eq!(late[0].message.body, m2.body);
}

fn profile(iccid: &str, last: u8, state: ProfileState) -> ProfileInfo {
    let aid = Aid::new(&[
        0xA0, 0, 0, 5, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0, 0, 0x10, last,
    ])
    .expect("AID");
    ProfileInfo {
        smdp_id: Some("SMDP1".into()),
        ..ProfileInfo::new(iccid, aid, "MNO1", state)
    }
}

fn with_profiles() -> Eis {
    let mut e = eis(1, "EUM1", "P1");
    e.profiles = vec![
        profile("8901000000000000001", 1, ProfileState::Enabled),
        profile("8901000000000000002", 2, ProfileState::Disabled),
    ];
    e
}

/// The notifications an EIS change owes are stored with it: a saved
/// operation result (none to its requester), and an eUICC notification
/// (a retransmission stores none more); a failed write stores none.
pub fn outbox_notifications_are_written_with_their_event(b: &Backend) {
    let s = &*b.store;
    let e = with_profiles();
    assert!(s.register(&e, &secrets(1)).expect("register"));
    // An operation of SMDP1 deletes the disabled profile.
    let mut deleted = e.clone();
    deleted.profiles.truncate(1);
    let mut eis_store = EuiccEis {
        store: s,
        eid: eid(1),
        cause: Some((7, "SMDP1".into())),
    };
    smsr::delivery::EisStore::save(&mut eis_store, &deleted).expect("save");
    let del = "op/7/HandleProfileDeletedNotification/8901000000000000002";
    let row = b.outbox.message(&format!("{del}/ES4/MNO1")).expect("read");
    let row = row.expect("to the owner");
    let body: serde_json::Value = serde_json::from_str(&row.message.body).expect("JSON");
    assert_eq!(body["Eid"], eid(1).to_string());
    assert_eq!(body["Iccid"], "8901000000000000002");
    assert_eq!(
        b.outbox.message(&format!("{del}/ES3/SMDP1")).expect("read"),
        None,
        "requester"
    );
    assert_eq!(b.outbox.undelivered().expect("count"), 1);
    // A change without a cause (no operation) owes nothing; then the eUICC
    // reports a fall-back to the new profile 3.
    s.update_eis(&eid(1), &mut |x| {
        x.profiles
            .push(profile("8901000000000000003", 3, ProfileState::Disabled));
        EisChange {
            changed: true,
            ..EisChange::default()
        }
    })
    .expect("update");
    assert_eq!(b.outbox.undelivered().expect("count"), 1, "no cause, none");
    let n = Notification {
        eid: eid(1),
        kind: NotificationType::PROFILE_CHANGE_AFTER_FALLBACK,
        sequence_number: 9,
        isd_p_aid: Some(profile("8901000000000000003", 3, ProfileState::Disabled).isd_p_aid),
        aid_tag: TAG_AID,
        imei: None,
        meid: None,
    };
    let date = "2026-12-03T10:00:00Z";
    store::apply_notification(s, &eid(1), &n, date)
        .expect("apply")
        .expect("known");
    // Enabled 3, disabled 1: to MNO1 and SMDP1 each.
    assert_eq!(b.outbox.undelivered().expect("count"), 5);
    let t = now_ms() + 1;
    let rows = b.outbox.claim_messages("A", t, 60_000, 10).expect("claim");
    let names: Vec<(String, String)> = rows
        .iter()
        .skip(1)
        .map(|r| (r.message.name.clone(), r.message.interface.clone()))
        .collect();
    assert_eq!(
        names,
        [
            ("HandleProfileDisabledNotification".into(), "ES4".into()),
            ("HandleProfileDisabledNotification".into(), "ES3".into()),
            ("HandleProfileEnabledNotification".into(), "ES4".into()),
            ("HandleProfileEnabledNotification".into(), "ES3".into()),
        ]
    );
    assert!(
        rows[1]
            .message
            .event_id
            .starts_with(&format!("{}/notification/9/", eid(1)))
    );
    store::apply_notification(s, &eid(1), &n, date)
        .expect("apply")
        .expect("known");
    assert_eq!(
        b.outbox.undelivered().expect("count"),
        5,
        "a retransmission: none more"
    );
}
