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

/// CreateISDP is the one ES5 function that is not idempotent on the card
/// (a second INSTALL would make a second ISD-P): kill the server while
/// many are under way, restart, and check that every card holds exactly
/// the ISD-Ps its EIS records.
#[test]
fn sigkill_during_create_isdp() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    const N: usize = 200;
    let dir = tmpdir("crash-create");
    let db = dir.join("db.sqlite");
    let fleet = start_fleet(&dir, N);
    let mut server = start_server(&dir, &db, &smsc(&fleet), &["--max-parallel", "6"]);
    let api1 = api(&server);
    let members = members(&fleet);
    register_all(api1, &members, 8);
    let done = Arc::new(AtomicUsize::new(0));
    let items: Vec<(usize, String)> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (i, eid_of(m)))
        .collect();
    let d = done.clone();
    let creator = std::thread::spawn(move || {
        parallel(items, 8, move |(i, eid)| {
            // Calls cut by the kill fail; the server keeps what it queued.
            let body = json!({"Eid": eid, "Iccid": iccid(2, i)}).to_string();
            let auth = format!("Bearer {MNO_B}");
            let r = try_raw(
                api1,
                "POST",
                "/es3/CreateISDP",
                &[("Authorization", &auth)],
                body.as_bytes(),
            );
            if matches!(r, Ok((200, _, _))) {
                d.fetch_add(1, Ordering::SeqCst);
            }
        });
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while done.load(Ordering::SeqCst) < N / 4 {
        assert!(Instant::now() < deadline, "CreateISDP too slow");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill();
    let _ = creator.join();
    let created_before = done.load(Ordering::SeqCst);
    eprintln!("killed after {created_before}/{N} CreateISDP answered");

    let server = start_server(&dir, &db, &smsc(&fleet), &[]);
    let api2 = api(&server);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, s) = call(api2, MNO_B, "GET", "/stats", &Value::Null);
        if s["Engine"]["ActiveEuiccs"] == 0 {
            eprintln!("engine after restart: {}", s["Engine"]);
            break;
        }
        assert!(Instant::now() < deadline, "queue not drained: {s}");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(server);

    // The store's EIS (including entries a view would hide) against the
    // cards.
    let report = fleet_report(&smsc(&fleet));
    assert_eq!(report["CounterRefusals"], 0);
    let conn = rusqlite::Connection::open(&db).unwrap();
    // Every CreateISDP the server took settled, and succeeded.
    let unsettled: i64 = conn
        .query_row(
            "SELECT count(*) FROM operations WHERE coalesce(status, '') <> 'success'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unsettled, 0, "an operation failed or was lost");
    let mut created = 0;
    for m in &members {
        let json: String = conn
            .query_row("SELECT json FROM eis WHERE eid = ?1", [eid_of(m)], |r| {
                r.get(0)
            })
            .unwrap();
        let eis: Value = serde_json::from_str(&json).unwrap();
        let mut in_eis: Vec<(String, String)> = eis["ProfileInfo"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["Isd-p-aid"].as_str().unwrap().to_owned(),
                    p["State"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let mut on_card: Vec<(String, String)> = report["Cards"][msisdn_of(m).as_str()]["Profiles"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["Aid"].as_str().unwrap().to_owned(), "Created".to_owned()))
            .collect();
        in_eis.sort();
        on_card.sort();
        assert!(
            on_card.len() <= 1,
            "{}: an ISD-P created twice: {on_card:?}",
            eid_of(m)
        );
        assert_eq!(in_eis, on_card, "{}", eid_of(m));
        created += on_card.len();
    }
    eprintln!("{created} ISD-Ps on the cards, each once and each in its EIS");
    assert!(created >= created_before);
}
