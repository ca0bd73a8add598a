#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Crash safety: the server is killed with SIGKILL in the middle of a
//! fleet-wide EnableProfile and restarted on the same database while the
//! simulated eUICCs (another process) keep their state. Afterwards no
//! operation is lost or applied twice, no SCP80 counter was reused, and
//! every EIS matches its card.

mod server_support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server_support::*;

const FLEET: usize = 400;

#[test]
fn sigkill_in_the_middle_of_a_batch() {
    let dir = tmpdir("crash");
    let db = dir.join("db.sqlite");
    let fleet = start_fleet(&dir, FLEET);
    // Few eUICCs at a time, so that the batch is still running when killed.
    let slow = ["--max-parallel", "6"];
    let mut server = start_server(&dir, &db, &smsc(&fleet), &slow);
    let api1 = api(&server);
    let members = members(&fleet);
    register_all(api1, &members, 8);
    let items: Vec<(usize, String, String)> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (i, eid_of(m), msisdn_of(m)))
        .collect();
    parallel(items, 8, move |(i, eid, msisdn)| {
        install(api1, MNO_A, &eid, &iccid(1, i), &msisdn);
    });

    let (s, v) = call(
        api1,
        MNO_A,
        "POST",
        "/batch/EnableProfile",
        &json!({"Filter": {"Eum-Id": "EUM-DEMO"}, "IccidPrefix": "893101"}),
    );
    assert_eq!(s, 202, "{v}");
    let batch = v["BatchId"].as_i64().unwrap();
    // Kill once part of the batch is through.
    let deadline = Instant::now() + Duration::from_secs(60);
    let settled_at_kill = loop {
        let (_, p) = call(api1, MNO_A, "GET", &format!("/batch/{batch}"), &Value::Null);
        let done = p["Total"].as_u64().unwrap() - p["Pending"].as_u64().unwrap();
        if done >= (FLEET as u64) / 4 {
            server.kill();
            break done;
        }
        assert!(Instant::now() < deadline, "batch too slow: {p}");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(
        settled_at_kill < FLEET as u64,
        "the batch finished before the kill"
    );
    eprintln!("killed with {settled_at_kill}/{FLEET} settled");

    // Restart on the same database (new ports): the queue resumes.
    let server = start_server(&dir, &db, &smsc(&fleet), &[]);
    let api2 = api(&server);
    let p = wait_batch(api2, MNO_A, batch, Duration::from_secs(60));
    eprintln!("after restart: {p}");
    let (_, stats) = call(api2, MNO_A, "GET", "/stats", &Value::Null);
    eprintln!("engine after restart: {}", stats["Engine"]);
    assert_eq!(p["Total"], FLEET, "an operation was lost");
    assert_eq!(p["Succeeded"], FLEET, "{p}");

    // Cards: no packet refused for its counter; every card has exactly the
    // one profile, enabled.
    let report = fleet_report(&smsc(&fleet));
    assert_eq!(report["CounterRefusals"], 0, "an SCP80 counter was reused");
    let mut reconciled = 0;
    for (i, m) in members.iter().enumerate() {
        let eid = eid_of(m);
        let e = eis(api2, MNO_A, &eid);
        let card = &report["Cards"][msisdn_of(m).as_str()];
        let profiles = card["Profiles"].as_array().unwrap();
        assert_eq!(profiles.len(), 1, "{card}");
        assert_eq!(profiles[0]["LifeCycle"], "3F", "{eid}: {card}");
        assert_eq!(e["ProfileInfo"].as_array().unwrap().len(), 1);
        assert_eq!(state(&e, &iccid(1, i)).as_deref(), Some("Enabled"), "{eid}");
        assert_eq!(e["ProfileInfo"][0]["Isd-p-aid"], profiles[0]["Aid"]);
        // Exactly one EnableProfile record per eUICC: applied once.
        let enables: Vec<&Value> = e["AuditTrail"]["Record"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["OperationType"] == "0200")
            .collect();
        assert_eq!(enables.len(), 1, "{eid}: {enables:?}");
        if enables[0]["OperationExecutionStatus"]["Status"] == "Executed-WithWarning" {
            reconciled += 1;
        }
    }
    eprintln!("{reconciled} operations found done on the card by audit after the restart");
    drop(server);

    // The store's counters are at least the cards' (never behind: a
    // counter is stored before its packet leaves).
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mut stored: HashMap<String, u64> = HashMap::new();
    let mut st = conn
        .prepare("SELECT eid, value FROM counters WHERE key = '000001/01'")
        .unwrap();
    for r in st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
    {
        let (e, v) = r.unwrap();
        stored.insert(e, v as u64);
    }
    for m in &members {
        let card = report["Cards"][msisdn_of(m).as_str()]["Counters"]["000001/01"]
            .as_u64()
            .unwrap();
        let db = stored[&eid_of(m)];
        assert!(db >= card, "{}: store {db} < card {card}", eid_of(m));
    }
}
