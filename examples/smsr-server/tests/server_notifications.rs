#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Retransmitted notifications (SGP.02 §4.1.1.11: the eUICC sends a
//! notification again until ES5.HandleNotificationConfirmation reaches
//! it): a small fleet resending every few milliseconds gets one
//! confirmation per notification, not one per copy, and every card ends
//! with nothing left to confirm.

mod server_support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server_support::*;

const FLEET: usize = 4;

/// The stored confirmations of each eUICC: (function JSON, status word).
fn confirmations(db: &std::path::Path, eid: &str) -> Vec<(String, Option<String>)> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut st = conn
        .prepare(
            "SELECT function, status FROM operations WHERE eid = ?1 \
             AND function LIKE '%HandleNotificationConfirmation%' ORDER BY id",
        )
        .unwrap();
    st.query_map([eid], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn retransmitted_notifications_are_confirmed_once() {
    let dir = tmpdir("notifications");
    let fleet = start_fleet_env(&dir, FLEET, &[("SMSR_FLEET_NOTIFICATION_RETRY_MS", "1")]);
    let db = dir.join("db.sqlite");
    let server = start_server(&dir, &db, &smsc(&fleet), &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_all(api, &members, 2);
    for (i, m) in members.iter().enumerate() {
        let eid = eid_of(m);
        install(api, MNO_A, &eid, &iccid(1, i), &msisdn_of(m));
        ok(
            api,
            MNO_A,
            "/es4/EnableProfile",
            json!({"Eid": eid, "Iccid": iccid(1, i)}),
        );
    }
    // Every card's notifications end confirmed.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let report = fleet_report(&smsc(&fleet));
        let left: u64 = members
            .iter()
            .map(|m| {
                report["Cards"][msisdn_of(m).as_str()]["PendingNotifications"]
                    .as_u64()
                    .unwrap()
            })
            .sum();
        if left == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "unconfirmed: {report}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Copies did arrive (more notifications than switches) ...
    let (_, stats) = call(api, MNO_A, "GET", "/stats", &Value::Null);
    let received = stats["Engine"]["Notifications"].as_u64().unwrap();
    assert!(received > FLEET as u64, "no retransmission seen: {stats}");
    // ... yet each switch's notification got exactly one confirmation,
    // and it succeeded.
    for m in &members {
        let c = confirmations(&db, &eid_of(m));
        assert_eq!(c.len(), 1, "{received} notifications received: {c:?}");
        assert_eq!(c[0].1.as_deref(), Some("success"), "{c:?}");
    }
}
