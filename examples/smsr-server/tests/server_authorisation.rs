#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! SGP.02 authorisation through the operator API with a simulated fleet:
//! an operator sees and acts on an eUICC only where it owns a profile or
//! holds a PLMA of the profile's operator (ES4.SetPLMA), an SM-DP creates
//! ISD-Ps only for an operator that authorised it, and batch functions
//! cover only the eUICCs the caller may see. Every refusal is `403` with
//! SGP.02 `1.1` / `1.2` (Function Requester / Not Allowed) and changes
//! nothing.

mod server_support;

use std::time::Duration;

use serde_json::{Value, json};
use server_support::*;

/// `(Subject, Reason)` of an answer.
fn code(v: &Value) -> (String, String) {
    let d = &v["FunctionExecutionStatus"]["StatusCodeData"];
    (
        d["Subject"].as_str().unwrap_or("").into(),
        d["Reason"].as_str().unwrap_or("").into(),
    )
}

fn not_allowed() -> (String, String) {
    ("1.1".into(), "1.2".into())
}

/// Asserts `token`'s call is refused `403` with `1.1` / `1.2`.
fn refused(api: std::net::SocketAddr, token: &str, path: &str, body: &Value) {
    let (s, v) = call(api, token, "POST", path, body);
    assert_eq!((s, code(&v)), (403, not_allowed()), "{path} {body}: {v}");
}

fn set_plma(api: std::net::SocketAddr, token: &str, body: Value) {
    let v = ok(api, token, "/es4/SetPLMA", body);
    assert_eq!(v["FunctionExecutionStatus"]["Status"], "Executed-Success");
}

fn profile<'a>(eis: &'a Value, iccid: &str) -> &'a Value {
    eis["ProfileInfo"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Iccid"] == iccid)
        .unwrap()
}

#[test]
fn an_mno_sees_and_acts_only_where_it_owns_a_profile_or_holds_a_plma() {
    let dir = tmpdir("authorisation");
    let fleet = start_fleet(&dir, 3);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_all(api, &members, 3);
    let eids: Vec<String> = members.iter().map(eid_of).collect();
    let (a0, a2, b1) = (iccid(1, 0), iccid(1, 2), iccid(2, 1));
    install(api, MNO_A, &eids[0], &a0, &msisdn_of(&members[0]));
    install(api, MNO_B, &eids[1], &b1, &msisdn_of(&members[1]));
    install(api, MNO_A, &eids[2], &a2, &msisdn_of(&members[2]));
    let before = eis(api, MNO_A, &eids[0]);

    // MNO-B has no profile on eUICC 0: GetEIS, AuditEIS (whole or of A's
    // profile), EnableProfile and UpdateSubscriptionAddress are refused,
    // and the answers carry none of MNO-A's ICCIDs or states.
    let on0 = json!({"Eid": eids[0]});
    for (path, body) in [
        ("/es4/GetEIS", on0.clone()),
        ("/es4/AuditEIS", on0.clone()),
        ("/es4/AuditEIS", json!({"Eid": eids[0], "Iccid": [a0]})),
        ("/es4/EnableProfile", json!({"Eid": eids[0], "Iccid": a0})),
        (
            "/es4/UpdateSubscriptionAddress",
            json!({"Eid": eids[0], "Iccid": a0, "SubscriptionAddress": {"Msisdn": "31699999999"}}),
        ),
    ] {
        let (s, v) = call(api, MNO_B, "POST", path, &body);
        assert_eq!((s, code(&v)), (403, not_allowed()), "{path}: {v}");
        assert!(v.get("Eis").is_none(), "{path}: {v}");
        if body.get("Iccid").is_none() {
            assert!(!v.to_string().contains(&a0), "{path} leaks an ICCID: {v}");
        }
        assert!(
            !v.to_string().contains("Disabled"),
            "{path} leaks a state: {v}"
        );
    }
    // A batch audit by MNO-B covers only eUICC 1, where it has a profile.
    let (s, v) = call(
        api,
        MNO_B,
        "POST",
        "/batch/AuditEIS",
        &json!({ "Eids": eids }),
    );
    assert_eq!(s, 202, "{v}");
    assert_eq!(
        (v["Queued"].as_u64(), v["Refused"].as_u64()),
        (Some(1), Some(2)),
        "{v}"
    );
    let p = wait_batch(
        api,
        MNO_B,
        v["BatchId"].as_i64().unwrap(),
        Duration::from_secs(60),
    );
    assert_eq!(p["Succeeded"], 1, "{p}");
    // A batch audit by filter: the same.
    let (_, v) = call(
        api,
        MNO_B,
        "POST",
        "/batch/AuditEIS",
        &json!({"Filter": {"Eum-Id": "EUM-DEMO"}}),
    );
    assert_eq!(
        (v["Queued"].as_u64(), v["Refused"].as_u64()),
        (Some(1), Some(2)),
        "{v}"
    );
    assert_eq!(
        eis(api, MNO_A, &eids[0])["LastAuditDate"],
        before["LastAuditDate"],
        "MNO-B's refused audits never reached eUICC 0"
    );

    // MNO-A grants MNO-B a PLMA for GetEIS and UpdateSubscriptionAddress:
    // MNO-B now sees eUICC 0 with MNO-A's profile in full and may update
    // its address, not enable it nor audit.
    set_plma(
        api,
        MNO_A,
        json!({"M2MSP-id": "MNO-B", "Function": ["GetEIS", "UpdateSubscriptionAddress"]}),
    );
    let seen = eis(api, MNO_B, &eids[0]);
    assert_eq!(
        profile(&seen, &a0)["SubscriptionAddress"]["Msisdn"],
        msisdn_of(&members[0])
    );
    ok(
        api,
        MNO_B,
        "/es4/UpdateSubscriptionAddress",
        json!({"Eid": eids[0], "Iccid": a0, "SubscriptionAddress": {"Imsi": "204080000000001", "Msisdn": "31699999999"}}),
    );
    let after = eis(api, MNO_A, &eids[0]);
    assert_eq!(
        profile(&after, &a0)["SubscriptionAddress"],
        json!({"Imsi": "204080000000001", "Msisdn": "31699999999"})
    );
    refused(api, MNO_B, "/es4/AuditEIS", &on0);
    refused(
        api,
        MNO_B,
        "/es4/EnableProfile",
        &json!({"Eid": eids[0], "Iccid": a0}),
    );
    // GetPLMA shows it to both sides.
    let granted = ok(api, MNO_A, "/es4/GetPLMA", json!({}));
    assert_eq!(
        granted["Plma"],
        json!([{"Mno-id": "MNO-A", "M2MSP-id": "MNO-B",
                "Function": ["GetEIS", "UpdateSubscriptionAddress"]}])
    );
    assert_eq!(
        ok(api, MNO_B, "/es4/GetPLMA", json!({}))["Plma"],
        granted["Plma"]
    );

    // Revoked (no Function): refused again.
    set_plma(api, MNO_A, json!({"M2MSP-id": "MNO-B"}));
    refused(api, MNO_B, "/es4/GetEIS", &on0);
    assert_eq!(ok(api, MNO_B, "/es4/GetPLMA", json!({}))["Plma"], json!([]));
}

#[test]
fn an_smdp_creates_isdps_only_for_an_operator_that_authorised_it() {
    let dir = tmpdir("authorisation-smdp");
    let fleet = start_fleet(&dir, 1);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_all(api, &members, 1);
    let eid = eid_of(&members[0]);
    let create = |i: usize| json!({"Eid": eid, "Iccid": iccid(1, i), "Mno-id": "MNO-A", "RequiredMemory": 8192});
    // MNO-B's SM-DP names MNO-A, which did not authorise it.
    refused(api, MNO_B, "/es3/CreateISDP", &create(0));
    let none = eis(api, MNO_A, &eid);
    assert_eq!(none["ProfileInfo"], json!([]), "nothing created: {none}");
    // A PLMA for other functions is not enough.
    set_plma(
        api,
        MNO_A,
        json!({"M2MSP-id": "MNO-B", "Function": ["GetEIS"]}),
    );
    refused(api, MNO_B, "/es3/CreateISDP", &create(0));
    // With CreateISDP granted, the same call succeeds: the profile is
    // MNO-A's, created by MNO-B.
    set_plma(
        api,
        MNO_A,
        json!({"M2MSP-id": "MNO-B", "Function": ["CreateISDP"]}),
    );
    let v = ok(api, MNO_B, "/es3/CreateISDP", create(0));
    let p = profile(&v["Eis"], &iccid(1, 0));
    assert_eq!(
        (p["Mno-id"].as_str(), p["State"].as_str()),
        (Some("MNO-A"), Some("Created")),
        "{p}"
    );
    // Revoked: refused again.
    set_plma(api, MNO_A, json!({"M2MSP-id": "MNO-B"}));
    refused(api, MNO_B, "/es3/CreateISDP", &create(1));
    let e = eis(api, MNO_A, &eid);
    assert_eq!(e["ProfileInfo"].as_array().unwrap().len(), 1, "{e}");
}

#[test]
fn set_plma_refuses_bad_input_and_other_roles() {
    let dir = tmpdir("authorisation-bad");
    let fleet = start_fleet(&dir, 1);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    let bad = (String::from("1.6"), String::from("2.1"));
    for (body, expect) in [
        (
            json!({"M2MSP-id": "MNO-B", "Function": ["Reboot"]}),
            (400, bad.clone()),
        ),
        (
            json!({"M2MSP-id": "MNO-A", "Function": ["GetEIS"]}),
            (400, bad.clone()),
        ),
        (
            json!({"M2MSP-id": " ", "Function": ["GetEIS"]}),
            (400, bad.clone()),
        ),
        (
            // The ProfileType field's own type (inventory::field) answers
            // first, with its subject.
            json!({"M2MSP-id": "MNO-B", "ProfileType": "", "Function": ["GetEIS"]}),
            (400, ("8.2.5".into(), "2.1".into())),
        ),
        (json!({"M2MSP-id": "MNO-B", "Extra": 1}), (400, bad)),
        (
            json!({"Function": ["GetEIS"]}),
            (400, ("1.6".into(), "2.2".into())),
        ),
        (
            json!({"Mno-id": "MNO-B", "M2MSP-id": "MNO-C", "Function": ["GetEIS"]}),
            (403, not_allowed()),
        ),
    ] {
        let (s, v) = call(api, MNO_A, "POST", "/es4/SetPLMA", &body);
        assert_eq!((s, code(&v)), expect, "{body}: {v}");
    }
    // An EUM is no operator: SetPLMA and GetPLMA are not its functions.
    refused(
        api,
        EUM,
        "/es4/SetPLMA",
        &json!({"M2MSP-id": "MNO-B", "Function": ["GetEIS"]}),
    );
    refused(api, EUM, "/es4/GetPLMA", &json!({}));
    // Nothing was granted by any of these.
    assert_eq!(ok(api, MNO_B, "/es4/GetPLMA", json!({}))["Plma"], json!([]));
    assert_eq!(ok(api, MNO_A, "/es4/GetPLMA", json!({}))["Plma"], json!([]));
}
