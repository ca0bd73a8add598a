//! Pruning the outbox ([`PrunableOutbox`], store/outbox_prune.rs) on
//! every backend: `outbox_prune_suite!(fresh)` instantiates each test with
//! `fresh(name) -> Arc<dyn PrunableOutbox>` (an empty database).

use crate::store::outbox::OutMessage;
use crate::store::outbox_prune::PrunableOutbox;

/// Instantiates every pruning test for `fresh(name)`.
#[macro_export]
macro_rules! outbox_prune_suite {
    ($fresh:path) => {
        $crate::outbox_prune_suite!(@tests $fresh;
            pruning_deletes_only_delivered_rows_past_the_retention,
            pruning_goes_in_batches_oldest_first);
    };
    (@tests $fresh:path; $($t:ident),*) => {
        $(
            #[test]
            fn $t() {
                store_support::outbox_prune::$t(&*$fresh(stringify!($t)));
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

/// Claims message `n` and marks it delivered at `at`.
fn deliver(o: &dyn PrunableOutbox, n: u32, at: i64) {
    let claimed = o.claim_messages("A", at, 1_000, 1).expect("claim");
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].message.event_id, msg(n).event_id, "oldest first");
    assert!(o.mark_delivered(&msg(n).event_id, at).expect("mark"));
}

fn kept(o: &dyn PrunableOutbox, n: u32) -> bool {
    o.message(&msg(n).event_id).expect("read").is_some()
}

/// Delivered rows before the cut go; a row delivered after it, one still
/// due, one leased, one given up and one parked all stay, whatever the cut.
pub fn pruning_deletes_only_delivered_rows_past_the_retention(o: &dyn PrunableOutbox) {
    o.put_messages(&[msg(1), msg(2), msg(3), msg(4), msg(5)], None)
        .expect("put");
    deliver(o, 1, 10_000);
    deliver(o, 2, 20_000);
    // 3: given up; 4: leased by B; 5: still due; 6: parked.
    assert_eq!(
        o.claim_messages("A", 20_001, 1_000, 1)
            .expect("claim")
            .len(),
        1
    );
    o.retry_message(&msg(3).event_id, "A", 20_002, "last attempt", true)
        .expect("give up");
    assert_eq!(
        o.claim_messages("B", 20_003, 9_000_000, 1)
            .expect("claim")
            .len(),
        1
    );
    o.put_messages(&[msg(6)], Some(i64::MAX / 2)).expect("park");

    assert_eq!(o.prune_delivered(15_000, 100).expect("prune"), 1);
    assert!(!kept(o, 1), "delivered before the cut");
    assert!(kept(o, 2), "delivered after the cut");
    assert_eq!(o.prune_delivered(15_000, 100).expect("prune"), 0, "once");
    assert_eq!(o.prune_delivered(i64::MAX, 100).expect("prune"), 1);
    assert!(!kept(o, 2));
    for n in 3..=6 {
        assert!(kept(o, n), "{n}: never delivered, never pruned");
    }
    assert_eq!(o.undelivered().expect("count"), 3, "4, 5 and 6");
    // A pruned event id is a new message again (its copy is long gone).
    assert_eq!(o.put_messages(&[msg(1)], None).expect("put"), 1);
}

/// One call deletes at most `limit` rows, the oldest deliveries first.
pub fn pruning_goes_in_batches_oldest_first(o: &dyn PrunableOutbox) {
    let all: Vec<OutMessage> = (1..=5).map(msg).collect();
    o.put_messages(&all, None).expect("put");
    for n in 1..=5 {
        deliver(o, n, 10_000 + i64::from(n));
    }
    assert_eq!(o.prune_delivered(i64::MAX, 2).expect("prune"), 2);
    assert!(!kept(o, 1) && !kept(o, 2) && kept(o, 3));
    assert_eq!(o.prune_delivered(i64::MAX, 2).expect("prune"), 2);
    assert!(!kept(o, 4) && kept(o, 5));
    assert_eq!(o.prune_delivered(i64::MAX, 2).expect("prune"), 1);
    assert_eq!(o.prune_delivered(i64::MAX, 2).expect("prune"), 0);
}
