#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Fleet-wide functions over 1,000 simulated eUICCs: a batch EnableProfile
//! by filter and a batch AuditEIS by list, with progress, refusals counted
//! and every card checked against its EIS afterwards.

mod server_support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server_support::*;

/// Fleet size (`SMSR_BATCH_FLEET` overrides it for load measurements).
fn fleet_size() -> usize {
    std::env::var("SMSR_BATCH_FLEET")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

#[test]
fn batches_over_a_thousand_euiccs() {
    let fleet_n = fleet_size();
    let dir = tmpdir("batch");
    let fleet = start_fleet(&dir, fleet_n);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    let members = members(&fleet);
    let t = Instant::now();
    register_all(api, &members, 8);
    let items: Vec<(usize, String, String)> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (i, eid_of(m), msisdn_of(m)))
        .collect();
    parallel(items, 8, move |(i, eid, msisdn)| {
        install(api, MNO_A, &eid, &iccid(1, i), &msisdn);
    });
    eprintln!("registered and installed {fleet_n} in {:?}", t.elapsed());

    // Batch EnableProfile by filter: MNO-A's disabled profile on each.
    let t = Instant::now();
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/batch/EnableProfile",
        &json!({"Filter": {"Eum-Id": "EUM-DEMO"}, "IccidPrefix": "893101"}),
    );
    assert_eq!(s, 202, "{v}");
    assert_eq!(v["Queued"], fleet_n);
    let id = v["BatchId"].as_i64().unwrap();
    let p = wait_batch(api, MNO_A, id, Duration::from_secs(60));
    assert_eq!(p["Succeeded"], fleet_n, "{p}");
    assert_eq!(p["Failed"], 0);
    let dt = t.elapsed();
    eprintln!(
        "batch EnableProfile over {fleet_n}: {dt:?} ({:.0} eUICCs/s)",
        fleet_n as f64 / dt.as_secs_f64()
    );
    // MNO-B cannot see that batch; the same batch again is all refused
    // (the profiles are enabled now).
    let (s, _) = call(api, MNO_B, "GET", &format!("/batch/{id}"), &Value::Null);
    assert_eq!(s, 404);
    let (_, v) = call(
        api,
        MNO_A,
        "POST",
        "/batch/EnableProfile",
        &json!({"Filter": {"Eum-Id": "EUM-DEMO"}, "IccidPrefix": "893101"}),
    );
    assert_eq!(
        (v["Queued"].as_u64(), v["Refused"].as_u64()),
        (Some(0), Some(fleet_n as u64)),
        "{v}"
    );

    // Batch AuditEIS by list, with one unknown EID refused.
    let mut eids: Vec<String> = members.iter().map(eid_of).collect();
    eids.push("89049032123451234512345678901235".into());
    let t = Instant::now();
    let p = audit_batch_and_wait(api, MNO_A, &eids, Duration::from_secs(60));
    assert_eq!(
        (p["Succeeded"].as_u64(), p["Refused"].as_u64()),
        (Some(fleet_n as u64), Some(1)),
        "{p}"
    );
    eprintln!("batch AuditEIS over {fleet_n}: {:?}", t.elapsed());
    // A malformed batch: both selectors, or neither.
    let (s, _) = call(
        api,
        MNO_A,
        "POST",
        "/batch/AuditEIS",
        &json!({"Eids": [], "Filter": {}}),
    );
    assert_eq!(s, 400);
    let (s, _) = call(api, MNO_A, "POST", "/batch/AuditEIS", &json!({}));
    assert_eq!(s, 400);

    eprintln!(
        "peak resident memory: server {:?} KiB, fleet of {fleet_n} {:?} KiB",
        server.peak_kib(),
        fleet.peak_kib()
    );

    // Every card holds exactly the enabled profile its EIS says.
    let report = fleet_report(&smsc(&fleet));
    assert_eq!(report["CounterRefusals"], 0, "a counter was reused");
    for (i, m) in members.iter().enumerate().step_by(97) {
        let e = eis(api, MNO_A, &eid_of(m));
        assert_eq!(state(&e, &iccid(1, i)).as_deref(), Some("Enabled"));
        let card = &report["Cards"][msisdn_of(m).as_str()];
        let p = &card["Profiles"][0];
        assert_eq!(p["LifeCycle"], "3F", "{card}");
        assert_eq!(p["Aid"], e["ProfileInfo"][0]["Isd-p-aid"]);
    }
}
