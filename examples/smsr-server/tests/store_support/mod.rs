//! One store suite for every backend: each test takes a fresh
//! [`Backend`] (an empty database) and asserts the [`Store`] contract
//! (store/mod.rs) through `Arc<dyn Store>` only, plus raw SQL where a test
//! must reach under the trait (a corrupt row, an attempt to rewrite the
//! audit trail). `store_suite!(fresh)` instantiates every test for one
//! backend; `store_suite_sqlite.rs` and `store_suite_postgres.rs` run it.

pub mod authorisations;
pub mod onc;
pub mod outbox_prune;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use smsr::inventory::model::{KeySet, KeySetType, OperationType};
use smsr::inventory::{Eis, Function};
use smsr::isdr::notification::TAG_AID;
use smsr::isdr::{Eid, Notification, NotificationType};

use crate::ops::{FunctionExecutionStatus, NewOp, OpState, audit_record, now_ms};
use crate::store::{self, CounterName, EidFilter, EisChange, Secrets, Store, StoreError};

mod batch_rows;
pub mod outbox;
pub use batch_rows::*;
mod bulk;
pub use bulk::*;

/// Runs one SQL statement: rows changed, or the database's refusal.
pub type RawSql = Box<dyn Fn(&str) -> Result<u64, String> + Send + Sync>;

/// A fresh, empty database behind the store, and a way to run raw SQL on
/// it (another connection).
pub struct Backend {
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// Runs one SQL statement on the same database; rows changed, or the
    /// database's refusal.
    pub sql: RawSql,
    /// Whether writers of different eUICCs proceed in parallel (PostgreSQL
    /// row locks) rather than one at a time (SQLite's single writer).
    pub parallel_writers: bool,
    /// The same store's outbox (`outbox.rs`).
    pub outbox: Arc<dyn crate::store::outbox::Outbox>,
}

/// Instantiates every suite test for the backend `fresh(name) -> Backend`.
#[macro_export]
macro_rules! store_suite {
    ($fresh:path) => {
        $crate::store_suite!(@tests $fresh;
            register_and_read, register_many_is_all_or_nothing, filters_and_count, counters_start_from_the_eis,
            counters_never_reused_across_threads, update_eis_applies_and_settles,
            update_eis_serialises_per_euicc, update_eis_never_waits_on_another_euicc,
            queue_claims_in_order_by_lease, lease_expires_when_its_instance_dies,
            one_claimant_wins, batches_count_settled_operations,
            a_retransmitted_notification_is_confirmed_once,
            audit_trail_is_append_only, corrupt_rows_are_errors_and_change_nothing);
        $crate::store_suite!(@tests $fresh; a_negative_batch_count_is_corrupt_not_zero);
        $crate::store_suite!(@tests $fresh; register_many_sets_secrets_and_initial_counters);
    };
    (@tests $fresh:path; $($t:ident),*) => {
        $(
            #[test]
            fn $t() {
                store_support::$t(&$fresh(stringify!($t)));
            }
        )*
    };
}

/// The sealed custody every store of this test process opens with (one
/// fresh master key per run).
pub fn custody() -> Arc<dyn crate::keys::Custody> {
    static C: std::sync::OnceLock<Arc<dyn crate::keys::Custody>> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let key = crate::keys::master::MasterKey::generate().expect("master key");
        Arc::new(crate::keys::sealed::Sealed::new(&key))
    })
    .clone()
}

/// EID number `n` (check digits computed).
pub fn eid(n: u32) -> Eid {
    Eid::with_check_digits(&format!("8904903200000000000000{n:08}")).expect("EID")
}

/// Secrets of eUICC `n` (MSISDN `4917000000nn`).
pub fn secrets(n: u32) -> Secrets {
    Secrets {
        scp80_kvn: 1,
        scp80_kic: vec![1; 16],
        scp80_kid: vec![2; 16],
        scp81_psk: vec![3; 16],
        scp81_kvn: 0x40,
        scp81_key_id: 1,
        msisdn: format!("49170{n:07}"),
        scp80_algorithm: crate::keys::des3::Scp80Algorithm::Aes,
        scp03: None,
    }
}

/// An EIS of eUICC `n` of `eum` on `platform`.
pub fn eis(n: u32, eum: &str, platform: &str) -> Eis {
    let mut e = Eis::new(eid(n), "SMSR1");
    e.eum_signed_info.eum_id = eum.into();
    e.eum_signed_info.platform_type = platform.into();
    e
}

fn register(b: &Backend, n: u32) -> Eis {
    let e = eis(n, "EUM1", "P1");
    assert!(b.store.register(&e, &secrets(n)).expect("register"));
    e
}

fn op(n: u32, batch: Option<i64>) -> NewOp {
    NewOp {
        eid: eid(n).to_string(),
        batch,
        requester: "MNO1".into(),
        function: Function::EnableProfile {
            iccid: format!("8901000000000000{n:03}"),
        },
        expires_at_ms: now_ms() + 600_000,
    }
}

fn audit(n: u32, kind: OperationType) -> smsr::inventory::AuditRecord {
    let ok = FunctionExecutionStatus::success();
    audit_record(&eid(n), "SMSR1", kind, Some("MNO1"), &ok, None)
}

pub fn register_and_read(b: &Backend) {
    let s = &b.store;
    let e = register(b, 1);
    assert!(
        !s.register(&e, &secrets(1)).expect("again"),
        "a second RegisterEIS of one EID changes nothing"
    );
    assert_eq!(s.eis(&eid(1)).expect("eis"), Some(e));
    assert_eq!(s.secrets(&eid(1)).expect("secrets"), Some(secrets(1)));
    assert_eq!(
        s.eid_by_msisdn(&secrets(1).msisdn).expect("msisdn"),
        Some(eid(1))
    );
    assert_eq!(s.eis(&eid(2)).expect("eis"), None);
    assert_eq!(s.secrets(&eid(2)).expect("secrets"), None);
    assert_eq!(s.eid_by_msisdn("0").expect("msisdn"), None);
}

/// A bulk registration (the streaming import) is one transaction per
/// chunk: a record already registered, or one repeated within the chunk,
/// refuses the chunk at its index and changes nothing.
pub fn register_many_is_all_or_nothing(b: &Backend) {
    let s = &b.store;
    let rec = |n: u32| (eis(n, "EUM1", "P1"), secrets(n));
    register(b, 3);
    assert_eq!(
        s.register_many(&[rec(1), rec(2), rec(3), rec(4)])
            .expect("many"),
        Some(2)
    );
    assert_eq!(s.count().expect("count"), 1);
    assert_eq!(s.eis(&eid(1)).expect("eis"), None);
    assert_eq!(
        s.register_many(&[rec(1), rec(2), rec(1)]).expect("many"),
        Some(2)
    );
    assert_eq!(s.count().expect("count"), 1);
    assert_eq!(
        s.register_many(&[rec(1), rec(2), rec(4)]).expect("many"),
        None
    );
    assert_eq!(s.count().expect("count"), 4);
    assert_eq!(s.secrets(&eid(4)).expect("secrets"), Some(secrets(4)));
    assert_eq!(
        s.eid_by_msisdn(&secrets(2).msisdn).expect("msisdn"),
        Some(eid(2))
    );
}

pub fn filters_and_count(b: &Backend) {
    let s = &b.store;
    assert_eq!(s.count().expect("count"), 0);
    for (n, eum, platform) in [(1, "EUM1", "P1"), (2, "EUM1", "P2"), (3, "EUM2", "P1")] {
        assert!(
            s.register(&eis(n, eum, platform), &secrets(n))
                .expect("reg")
        );
    }
    assert_eq!(s.count().expect("count"), 3);
    let f = |eum: Option<&str>, platform: Option<&str>, prefix: Option<String>| EidFilter {
        eid_prefix: prefix,
        eum_id: eum.map(Into::into),
        platform_type: platform.map(Into::into),
    };
    let all = s.eids(&EidFilter::default()).expect("eids");
    assert_eq!(all, vec![eid(1), eid(2), eid(3)], "EID order");
    assert_eq!(
        s.eids(&f(Some("EUM1"), None, None)).expect("eum"),
        vec![eid(1), eid(2)]
    );
    assert_eq!(
        s.eids(&f(None, Some("P1"), None)).expect("pt"),
        vec![eid(1), eid(3)]
    );
    let prefix = eid(2).to_string()[..30].to_owned();
    assert_eq!(
        s.eids(&f(None, None, Some(prefix))).expect("prefix"),
        vec![eid(2)]
    );
    assert!(
        s.eids(&f(Some("EUM9"), None, None))
            .expect("none")
            .is_empty()
    );
}

const MO: CounterName = CounterName::Mo(1);

pub fn counters_start_from_the_eis(b: &Backend) {
    let s = &b.store;
    let mut e = eis(1, "EUM1", "P1");
    e.isd_r.key_sets.push(KeySet {
        version: 1,
        key_set_type: Some(KeySetType::Scp80),
        counter: Some(5),
        keys: Vec::new(),
        certificates: Vec::new(),
    });
    assert!(s.register(&e, &secrets(1)).expect("reg"));
    let (name, value) = crate::store::initial_counters(&e)[0];
    assert_eq!(value, 5);
    assert_eq!(s.counter(&eid(1), name).expect("counter"), 5);
    assert_eq!(
        s.next_counter(&eid(1), name).expect("next"),
        6,
        "above the card's"
    );
    assert_eq!(s.counter(&eid(1), MO).expect("mo"), 0, "never used");
    assert_eq!(s.next_counter(&eid(1), MO).expect("mo"), 1);
    assert_eq!(s.next_counter(&eid(2), MO).expect("other"), 1, "per eUICC");
    s.raise_counter(&eid(1), MO, 0).expect("raise");
    assert_eq!(s.next_counter(&eid(1), MO).expect("mo"), 2, "never lowered");
    s.raise_counter(&eid(1), MO, 40).expect("raise");
    assert_eq!(s.next_counter(&eid(1), MO).expect("mo"), 41);
}

pub fn counters_never_reused_across_threads(b: &Backend) {
    const THREADS: usize = 8;
    const EACH: usize = 40;
    let gate = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (s, gate) = (b.store.clone(), gate.clone());
            std::thread::spawn(move || {
                gate.wait();
                (0..EACH)
                    .map(|_| s.next_counter(&eid(1), MO).expect("next"))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect();
    all.sort_unstable();
    let want: Vec<u64> = (1..=(THREADS * EACH) as u64).collect();
    assert_eq!(
        all, want,
        "every value handed out once, none skipped, none twice"
    );
    assert_eq!(b.store.counter(&eid(1), MO).expect("c"), want.len() as u64);
}

pub fn update_eis_applies_and_settles(b: &Backend) {
    let s = &b.store;
    register(b, 1);
    let id = s.enqueue(&[op(1, None)]).expect("enqueue")[0];
    let mut ran = false;
    let unknown = s.update_eis(&eid(2), &mut |_| {
        ran = true;
        EisChange::default()
    });
    assert!(unknown.expect("unknown").is_none());
    assert!(!ran, "not run for an unknown EID");
    // Not changed: not written, even though the closure edited its copy.
    let after = s.update_eis(&eid(1), &mut |e| {
        e.remaining_memory = 5;
        EisChange::default()
    });
    assert_eq!(after.expect("u").expect("some").remaining_memory, 5);
    assert_ne!(
        s.eis(&eid(1)).expect("eis").expect("some").remaining_memory,
        5
    );
    let ok = FunctionExecutionStatus::success();
    s.update_eis(&eid(1), &mut |e| {
        e.remaining_memory = 77;
        EisChange {
            changed: true,
            audit: vec![audit(1, OperationType::ENABLE_PROFILE)],
            settle: Some((id, ok.clone())),
            ..EisChange::default()
        }
    })
    .expect("update");
    assert_eq!(
        s.eis(&eid(1)).expect("eis").expect("some").remaining_memory,
        77
    );
    let o = s.op(id).expect("op").expect("some");
    assert_eq!((o.state, o.result), (OpState::Done, Some(ok)));
    assert_eq!(s.audit_trail(&eid(1), 10).expect("trail").len(), 1);
}

pub fn update_eis_serialises_per_euicc(b: &Backend) {
    const THREADS: usize = 6;
    const EACH: u32 = 15;
    register(b, 1);
    let gate = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let (s, gate) = (b.store.clone(), gate.clone());
            std::thread::spawn(move || {
                gate.wait();
                for _ in 0..EACH {
                    s.update_eis(&eid(1), &mut |e| {
                        e.remaining_memory += 1;
                        EisChange {
                            changed: true,
                            ..EisChange::default()
                        }
                    })
                    .expect("update");
                }
            })
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().expect("thread"));
    let e = b.store.eis(&eid(1)).expect("eis").expect("some");
    assert_eq!(e.remaining_memory, THREADS as u32 * EACH, "no update lost");
}

pub fn update_eis_never_waits_on_another_euicc(b: &Backend) {
    register(b, 1);
    register(b, 2);
    let (inside_tx, inside_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let s = b.store.clone();
    let holder = std::thread::spawn(move || {
        s.update_eis(&eid(1), &mut |_| {
            inside_tx.send(()).expect("signal");
            // Hold eUICC 1's transaction until released (bounded).
            let _ = release_rx.recv_timeout(Duration::from_secs(10));
            EisChange::default()
        })
        .expect("holder");
    });
    inside_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("holder inside");
    let s = b.store.clone();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let other = std::thread::spawn(move || {
        let t = Instant::now();
        s.update_eis(&eid(2), &mut |_| EisChange::default())
            .expect("other");
        done_tx.send(t.elapsed()).expect("done");
    });
    let waited = done_rx.recv_timeout(Duration::from_secs(2));
    release_tx.send(()).expect("release");
    holder.join().expect("holder");
    other.join().expect("other");
    if b.parallel_writers {
        let took = waited.expect("eUICC 2 updated while eUICC 1 is locked");
        assert!(took < Duration::from_secs(2), "{took:?}");
    } else {
        assert!(waited.is_err(), "one writer at a time: eUICC 2 waited");
    }
}

pub fn queue_claims_in_order_by_lease(b: &Backend) {
    let s = &b.store;
    let ids = s
        .enqueue(&[op(1, None), op(1, None), op(2, None)])
        .expect("q");
    let now = now_ms();
    let a = s.claim_next_op(&eid(1), "A", now, 10_000).expect("claim");
    assert_eq!(a.map(|o| o.id), Some(ids[0]), "the oldest first");
    assert!(
        s.claim_next_op(&eid(1), "B", now, 10_000)
            .expect("b")
            .is_none(),
        "A's lease"
    );
    let again = s
        .claim_next_op(&eid(1), "A", now + 5, 10_000)
        .expect("renew");
    assert_eq!(again.map(|o| o.id), Some(ids[0]), "the owner renews");
    assert_eq!(s.claimable_eids(now).expect("claimable"), vec![eid(2)]);
    assert_eq!(
        s.eids_with_pending().expect("pending"),
        vec![eid(1), eid(2)]
    );
    s.mark_in_flight(ids[0]).expect("in flight");
    s.reschedule_in_flight(ids[0], now + 50, "no PoR")
        .expect("re");
    let o = s.op(ids[0]).expect("op").expect("some");
    assert_eq!(
        (o.state, o.attempts, o.not_before_ms),
        (OpState::InFlight, 1, now + 50)
    );
    assert_eq!(o.last_error.as_deref(), Some("no PoR"));
    s.reschedule(ids[0], now + 60, "busy").expect("re");
    assert_eq!(
        s.op(ids[0]).expect("op").expect("some").state,
        OpState::Queued
    );
    s.settle(ids[0], &FunctionExecutionStatus::success())
        .expect("settle");
    let next = s.claim_next_op(&eid(1), "B", now, 10_000).expect("next");
    assert_eq!(
        next.map(|o| o.id),
        Some(ids[1]),
        "settled: the next one, to anyone"
    );
    s.settle(ids[1], &FunctionExecutionStatus::expired("late"))
        .expect("settle");
    s.settle(ids[1], &FunctionExecutionStatus::success())
        .expect("twice");
    let o = s.op(ids[1]).expect("op").expect("some");
    assert_eq!(
        o.result,
        Some(FunctionExecutionStatus::expired("late")),
        "settled once"
    );
    assert!(
        s.claim_next_op(&eid(1), "A", now, 10_000)
            .expect("none")
            .is_none()
    );
    assert_eq!(s.eids_with_pending().expect("pending"), vec![eid(2)]);
}

pub fn lease_expires_when_its_instance_dies(b: &Backend) {
    let s = &b.store;
    let id = s.enqueue(&[op(1, None)]).expect("q")[0];
    let t0 = now_ms();
    assert!(
        s.claim_next_op(&eid(1), "dead", t0, 1_000)
            .expect("a")
            .is_some()
    );
    assert!(
        s.claim_next_op(&eid(1), "B", t0 + 999, 1_000)
            .expect("b")
            .is_none()
    );
    assert!(s.claimable_eids(t0 + 999).expect("c").is_empty());
    assert_eq!(s.claimable_eids(t0 + 1_001).expect("c"), vec![eid(1)]);
    let b_claim = s.claim_next_op(&eid(1), "B", t0 + 1_001, 1_000).expect("b");
    assert_eq!(b_claim.map(|o| o.id), Some(id), "expired: B takes over");
    assert!(
        s.claim_next_op(&eid(1), "dead", t0 + 1_002, 1_000)
            .expect("a")
            .is_none(),
        "the old owner lost it"
    );
    // B renews: at least half a lease left after each claim.
    assert!(
        s.claim_next_op(&eid(1), "B", t0 + 1_800, 1_000)
            .expect("b")
            .is_some()
    );
    assert!(
        s.claim_next_op(&eid(1), "C", t0 + 2_200, 1_000)
            .expect("c")
            .is_none(),
        "renewed past t0 + 2200"
    );
}

pub fn one_claimant_wins(b: &Backend) {
    const THREADS: usize = 6;
    b.store.enqueue(&[op(1, None), op(1, None)]).expect("q");
    let now = now_ms();
    let gate = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let (s, gate) = (b.store.clone(), gate.clone());
            std::thread::spawn(move || {
                gate.wait();
                s.claim_next_op(&eid(1), &format!("I{i}"), now, 60_000)
                    .expect("claim")
                    .map(|o| o.id)
            })
        })
        .collect();
    let won: Vec<i64> = handles
        .into_iter()
        .filter_map(|h| h.join().expect("thread"))
        .collect();
    assert_eq!(
        won.len(),
        1,
        "exactly one instance holds eUICC 1's queue: {won:?}"
    );
}

pub fn batches_count_settled_operations(b: &Backend) {
    let s = &b.store;
    let batch = s.create_batch("MNO1", "EnableProfile", 2).expect("batch");
    let ids = s
        .enqueue(&[
            op(1, Some(batch)),
            op(2, Some(batch)),
            op(3, Some(batch)),
            op(4, Some(batch)),
        ])
        .expect("q");
    assert_eq!(ids.len(), 4);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids in order: {ids:?}");
    let fail = FunctionExecutionStatus::failed(crate::ops::codes::EXECUTION_ERROR, None, "x");
    s.settle(ids[0], &FunctionExecutionStatus::success())
        .expect("s");
    s.settle(ids[1], &FunctionExecutionStatus::expired("late"))
        .expect("s");
    s.settle(ids[2], &fail).expect("s");
    let p = s.batch(batch).expect("batch").expect("some");
    assert_eq!(
        (p.requester.as_str(), p.function.as_str()),
        ("MNO1", "EnableProfile")
    );
    assert_eq!(
        (
            p.total,
            p.pending,
            p.succeeded,
            p.expired,
            p.failed,
            p.refused
        ),
        (4, 1, 1, 1, 1, 2)
    );
    assert!(s.batch(batch + 1000).expect("none").is_none());
}

/// `pending_functions` lists an eUICC's unsettled operations (queued or in
/// flight, oldest first, not another eUICC's); `apply_notification` queues
/// no second confirmation of a sequence number while one is pending
/// (SGP.02 §4.1.1.11: the eUICC resends until confirmed), and one new one
/// once the pending one settled without confirming.
pub fn a_retransmitted_notification_is_confirmed_once(b: &Backend) {
    let s = &*b.store;
    register(b, 1);
    register(b, 2);
    let n = Notification {
        eid: eid(1),
        kind: NotificationType::EUICC_DECLARATION,
        sequence_number: 5,
        isd_p_aid: None,
        aid_tag: TAG_AID,
        imei: None,
        meid: None,
    };
    let confirm5 = Function::ConfirmNotification { sequence_number: 5 };
    let date = "2026-12-03T10:00:00Z";
    let enable = s.enqueue(&[op(1, None)]).expect("q")[0];
    s.enqueue(&[NewOp::internal(&eid(2), "SMSR1", confirm5.clone())])
        .expect("q");
    assert_eq!(
        s.pending_functions(&eid(1)).expect("p"),
        [op(1, None).function]
    );
    // The first: its confirmation (another eUICC's does not count).
    let fx = store::apply_notification(s, &eid(1), &n, date)
        .expect("a")
        .expect("known");
    assert!(!fx.duplicate);
    let confirm: Vec<Function> = fx.follow_ups.iter().map(Function::from).collect();
    assert_eq!(confirm, std::slice::from_ref(&confirm5));
    let id = s
        .enqueue(&[NewOp::internal(&eid(1), "SMSR1", confirm5.clone())])
        .expect("q")[0];
    assert_eq!(
        s.pending_functions(&eid(1)).expect("p"),
        [op(1, None).function, confirm5.clone()]
    );
    // Retransmissions while it is queued, then in flight: none more.
    for _ in 0..3 {
        let fx = store::apply_notification(s, &eid(1), &n, date)
            .expect("a")
            .expect("known");
        assert!(fx.duplicate);
        assert_eq!(fx.follow_ups, [], "queued");
    }
    s.mark_in_flight(id).expect("in flight");
    let fx = store::apply_notification(s, &eid(1), &n, date)
        .expect("a")
        .expect("known");
    assert_eq!(fx.follow_ups, [], "in flight");
    // It failed: the next retransmission gets one new confirmation.
    s.settle(
        id,
        &FunctionExecutionStatus::failed(smsr::inventory::codes::EID_UNKNOWN, None, "lost"),
    )
    .expect("settle");
    s.settle(enable, &FunctionExecutionStatus::success())
        .expect("settle");
    assert_eq!(s.pending_functions(&eid(1)).expect("p"), []);
    let fx = store::apply_notification(s, &eid(1), &n, date)
        .expect("a")
        .expect("known");
    let confirm: Vec<Function> = fx.follow_ups.iter().map(Function::from).collect();
    assert_eq!(confirm, std::slice::from_ref(&confirm5));
    // That one succeeded: a copy sent before it reached the eUICC gets
    // none more.
    let id = s
        .enqueue(&[NewOp::internal(&eid(1), "SMSR1", confirm5.clone())])
        .expect("q")[0];
    assert_eq!(
        s.latest_op_of(&eid(1), &confirm5).expect("l").map(|o| o.id),
        Some(id)
    );
    s.settle(id, &FunctionExecutionStatus::success())
        .expect("settle");
    let fx = store::apply_notification(s, &eid(1), &n, date)
        .expect("a")
        .expect("known");
    assert_eq!(fx.follow_ups, [], "confirmed");
    let other = Function::ConfirmNotification { sequence_number: 6 };
    assert!(s.latest_op_of(&eid(1), &other).expect("l").is_none());
    assert_eq!(
        s.audit_trail(&eid(1), 10).expect("audit").len(),
        1,
        "recorded once"
    );
}

pub fn audit_trail_is_append_only(b: &Backend) {
    let s = &b.store;
    let mut e = eis(1, "EUM1", "P1");
    e.audit_trail.push(audit(1, OperationType::CREATE_ISDP));
    assert!(s.register(&e, &secrets(1)).expect("reg"));
    for kind in [
        OperationType::ENABLE_PROFILE,
        OperationType::DISABLE_PROFILE,
    ] {
        s.update_eis(&eid(1), &mut |_| EisChange {
            audit: vec![audit(1, kind)],
            ..EisChange::default()
        })
        .expect("append");
    }
    let kinds = |limit| -> Vec<OperationType> {
        let trail = s.audit_trail(&eid(1), limit).expect("trail");
        trail.iter().map(|r| r.operation_type).collect()
    };
    let all = vec![
        OperationType::CREATE_ISDP,
        OperationType::ENABLE_PROFILE,
        OperationType::DISABLE_PROFILE,
    ];
    assert_eq!(kinds(10), all, "oldest first");
    assert_eq!(kinds(2), all[1..].to_vec(), "the last two");
    for sql in ["UPDATE audit SET json = '{}'", "DELETE FROM audit"] {
        let refused = (b.sql)(sql);
        let why = refused.expect_err(sql);
        assert!(why.contains("append-only"), "{sql}: {why}");
    }
    assert_eq!(kinds(10), all, "unchanged");
}

pub fn corrupt_rows_are_errors_and_change_nothing(b: &Backend) {
    let s = &b.store;
    register(b, 1);
    let id = s.enqueue(&[op(1, None)]).expect("q")[0];
    let key = eid(1).to_string();
    (b.sql)(&format!(
        "UPDATE eis SET json = '{{not json' WHERE eid = '{key}'"
    ))
    .expect("sql");
    assert!(matches!(s.eis(&eid(1)), Err(StoreError::Corrupt(_))));
    let mut ran = false;
    let r = s.update_eis(&eid(1), &mut |_| {
        ran = true;
        EisChange {
            changed: true,
            settle: Some((id, FunctionExecutionStatus::success())),
            ..EisChange::default()
        }
    });
    assert!(matches!(r, Err(StoreError::Corrupt(_))), "{r:?}");
    assert!(!ran);
    let o = s.op(id).expect("op").expect("some");
    assert_eq!(o.state, OpState::Queued, "nothing settled");
    (b.sql)(&format!(
        "UPDATE operations SET function = 'x' WHERE id = {id}"
    ))
    .expect("sql");
    let r = s.op(id);
    assert!(
        matches!(&r, Err(StoreError::Corrupt(m)) if m.contains(&format!("operation {id}"))),
        "{r:?}"
    );
    (b.sql)(&format!(
        "UPDATE operations SET state = 'lost' WHERE id = {id}"
    ))
    .expect("sql");
    let r = s.claim_next_op(&eid(1), "A", now_ms(), 1_000);
    assert!(matches!(r, Err(StoreError::Corrupt(_))), "{r:?}");
    (b.sql)(&format!(
        "UPDATE secrets SET json = '[]' WHERE eid = '{key}'"
    ))
    .expect("sql");
    assert!(matches!(s.secrets(&eid(1)), Err(StoreError::Corrupt(_))));
}
