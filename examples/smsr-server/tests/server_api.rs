#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The example SM-SR server driven through its operator API with a
//! simulated fleet (separate process, TCP SMSC, real PSK-TLS): every ES4
//! function, authorisation and error answers, and a stock `openssl
//! s_client` on the SCP81 listener.

mod server_support;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use server_support::*;

#[test]
fn every_es4_function_and_the_error_answers() {
    let dir = tmpdir("api");
    let fleet = start_fleet(&dir, 3);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_all(api, &members, 3);
    let eid = eid_of(&members[0]);
    let msisdn = msisdn_of(&members[0]);
    let (a1, b1) = (iccid(1, 0), iccid(2, 0));

    // ES3 (SM-DP role) installs, ES4 enables and sets the fall-back.
    let aid_a = install(api, MNO_A, &eid, &a1, &msisdn);
    ok(
        api,
        MNO_A,
        "/es4/EnableProfile",
        json!({"Eid": eid, "Iccid": a1}),
    );
    ok(
        api,
        MNO_A,
        "/es4/SetFallbackAttribute",
        json!({"Eid": eid, "Iccid": a1}),
    );
    install(api, MNO_B, &eid, &b1, &msisdn);
    let v = ok(
        api,
        MNO_B,
        "/es4/EnableProfile",
        json!({"Eid": eid, "Iccid": b1}),
    );
    assert!(v["OperationId"].as_i64().is_some());
    let e = eis(api, MNO_B, &eid);
    assert_eq!(state(&e, &b1).as_deref(), Some("Enabled"));
    assert_eq!(state(&e, &a1).as_deref(), Some("Disabled"));

    // Visibility: MNO-B sees MNO-A's profile, not its private fields.
    let pa = e["ProfileInfo"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Iccid"] == a1)
        .unwrap();
    assert!(pa.get("SubscriptionAddress").is_none(), "{pa}");
    assert!(pa.get("AllocatedMemory").is_none(), "{pa}");
    let own = eis(api, MNO_A, &eid);
    let pa = own["ProfileInfo"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Iccid"] == a1)
        .unwrap();
    assert_eq!(pa["SubscriptionAddress"]["Msisdn"], msisdn);
    assert_eq!(pa["Isd-p-aid"], aid_a);

    // UpdatePolicyRules, UpdateConnectivityParameters, AuditEIS.
    ok(
        api,
        MNO_B,
        "/es4/UpdatePolicyRules",
        json!({"Eid": eid, "Iccid": b1, "Pol2": [{"Action": "DELETE", "Qualification": "Not-Allowed"}]}),
    );
    assert_eq!(
        eis(api, MNO_B, &eid)["ProfileInfo"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["Iccid"] == b1)
            .unwrap()["pol2"][0]["Qualification"],
        "Not-Allowed"
    );
    ok(
        api,
        MNO_B,
        "/es4/UpdateConnectivityParameters",
        json!({"Eid": eid, "Iccid": b1, "ConnectivityParameters": "A00706059121436587F9"}),
    );
    let v = ok(api, MNO_A, "/es4/AuditEIS", json!({"Eid": eid}));
    assert!(v["Eis"]["LastAuditDate"].as_str().is_some(), "{v}");
    let free = v["Eis"]["RemainingMemory"].as_u64().unwrap();
    assert!(
        free > 0 && free < 512 * 1024,
        "audit took the card's figure: {free}"
    );

    // DisableProfile hands over to the fall-back profile.
    ok(
        api,
        MNO_B,
        "/es4/DisableProfile",
        json!({"Eid": eid, "Iccid": b1}),
    );
    let e = eis(api, MNO_B, &eid);
    assert_eq!(state(&e, &b1).as_deref(), Some("Disabled"));
    assert_eq!(state(&e, &a1).as_deref(), Some("Enabled"));

    // POL2 refuses the delete: 409 with the rule's code, nothing sent.
    let (s, v) = call(
        api,
        MNO_B,
        "POST",
        "/es4/DeleteProfile",
        &json!({"Eid": eid, "Iccid": b1}),
    );
    assert_eq!(s, 409, "{v}");
    assert_eq!(v["FunctionExecutionStatus"]["Status"], "Failed");
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Subject"],
        "8.2.3"
    );
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Reason"],
        "3.8"
    );
    ok(
        api,
        MNO_B,
        "/es4/UpdatePolicyRules",
        json!({"Eid": eid, "Iccid": b1, "Pol2": []}),
    );
    ok(
        api,
        MNO_B,
        "/es4/DeleteProfile",
        json!({"Eid": eid, "Iccid": b1}),
    );
    assert_eq!(state(&eis(api, MNO_A, &eid), &b1), None);

    // The audit trail records the functions with their requester.
    let trail = eis(api, MNO_A, &eid)["AuditTrail"]["Record"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        trail
            .iter()
            .any(|r| r["OperationType"] == "0200" && r["RequesterId"] == "MNO-A")
    );

    // The card agrees with the EIS.
    let report = fleet_report(&smsc(&fleet));
    let card = &report["Cards"][&msisdn];
    let profiles = card["Profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 1, "{card}");
    assert_eq!(profiles[0]["Aid"], aid_a);
    assert_eq!(profiles[0]["LifeCycle"], "3F");
    assert_eq!(report["CounterRefusals"], 0);

    // --- refusals: each leaves the EIS as it was ---
    let before = eis(api, MNO_A, &eid);
    let body = json!({"Eid": eid, "Iccid": a1}).to_string();
    // No token, a wrong token: 401 with a challenge.
    let (s, head, v) = raw(api, "POST", "/es4/DisableProfile", &[], body.as_bytes());
    assert_eq!(s, 401);
    assert!(
        head.to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{head}"
    );
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Reason"],
        "1.1"
    );
    let (s, _) = call(
        api,
        "not-a-token",
        "POST",
        "/es4/DisableProfile",
        &json!({"Eid": eid, "Iccid": a1}),
    );
    assert_eq!(s, 401);
    // Someone else's profile, or a function outside the role: 403.
    let (s, v) = call(
        api,
        MNO_B,
        "POST",
        "/es4/DisableProfile",
        &json!({"Eid": eid, "Iccid": a1}),
    );
    assert_eq!(s, 403, "{v}");
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Reason"],
        "1.2"
    );
    let (s, _) = call(api, EUM, "POST", "/es4/GetEIS", &json!({"Eid": eid}));
    assert_eq!(s, 403);
    let (s, _) = call(api, MNO_A, "POST", "/es1/RegisterEIS", &members[1]);
    assert_eq!(s, 403);
    // Malformed JSON, a missing element, a bad EID: 400.
    let auth = format!("Bearer {MNO_A}");
    let (s, _, v) = raw(
        api,
        "POST",
        "/es4/EnableProfile",
        &[("Authorization", &auth)],
        b"{\"Eid\": ",
    );
    assert_eq!(s, 400);
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Subject"],
        "1.6"
    );
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Reason"],
        "2.1"
    );
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/es4/EnableProfile",
        &json!({"Eid": eid}),
    );
    assert_eq!(s, 400);
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Reason"],
        "2.2"
    );
    let (s, _) = call(
        api,
        MNO_A,
        "POST",
        "/es4/GetEIS",
        &json!({"Eid": "89049032"}),
    );
    assert_eq!(s, 400);
    let (s, _) = call(api, MNO_A, "POST", "/es4/GetEIS", &json!({"Eid": 42}));
    assert_eq!(s, 400);
    // Unknown EID (valid check digits), unknown ICCID: 404 with codes.
    let unknown = "89049032123451234512345678901235";
    let (s, v) = call(api, MNO_A, "POST", "/es4/GetEIS", &json!({"Eid": unknown}));
    assert_eq!(s, 404);
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Subject"],
        "8.1.1"
    );
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Reason"],
        "3.9"
    );
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/es4/EnableProfile",
        &json!({"Eid": unknown, "Iccid": a1}),
    );
    assert_eq!(s, 404, "{v}");
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/es4/EnableProfile",
        &json!({"Eid": eid, "Iccid": "8931000000000000008"}),
    );
    assert_eq!(s, 404);
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Subject"],
        "8.2.1"
    );
    // Unknown path; wrong method; registering twice.
    let (s, _) = call(api, MNO_A, "POST", "/es4/NoSuchFunction", &json!({}));
    assert_eq!(s, 404);
    let (s, _) = call(api, MNO_A, "PUT", "/es4/GetEIS", &json!({"Eid": eid}));
    assert_eq!(s, 405);
    let (s, v) = call(api, EUM, "POST", "/es1/RegisterEIS", &members[0]);
    assert_eq!(s, 409);
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Reason"],
        "3.3"
    );
    // Enabling the enabled profile: refused by the rules before any SMS.
    let (s, _) = call(
        api,
        MNO_A,
        "POST",
        "/es4/EnableProfile",
        &json!({"Eid": eid, "Iccid": a1}),
    );
    assert_eq!(s, 409);
    let mut after = eis(api, MNO_A, &eid);
    let mut b = before.clone();
    // Only the audit trail may differ (GetEIS calls are not recorded, so
    // it does not).
    b["AuditTrail"] = Value::Null;
    after["AuditTrail"] = Value::Null;
    assert_eq!(after, b, "a refused request changed the EIS");
}

#[test]
fn an_euicc_without_https_is_served_over_scp80_with_pors() {
    let dir = tmpdir("scp80");
    let fleet = start_fleet(&dir, 2);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    let mut m = members(&fleet)[1].clone();
    m["Eis"]["EumSignedInfo"]["EuiccCapabilities"]["HttpSupport"] = json!(false);
    register_all(api, std::slice::from_ref(&m), 1);
    let (eid, msisdn) = (eid_of(&m), msisdn_of(&m));
    let ic = iccid(1, 1);
    install(api, MNO_A, &eid, &ic, &msisdn);
    ok(
        api,
        MNO_A,
        "/es4/EnableProfile",
        json!({"Eid": eid, "Iccid": ic}),
    );
    ok(
        api,
        MNO_A,
        "/es4/SetEmergencyProfileAttribute",
        json!({"Eid": eid, "Iccid": ic}),
    );
    let v = ok(api, MNO_A, "/es4/AuditEIS", json!({"Eid": eid}));
    assert_eq!(state(&v["Eis"], &ic).as_deref(), Some("Enabled"));
    assert_eq!(
        v["Eis"]["ProfileInfo"][0]["EmergencyProfileAttribute"], true,
        "{v}"
    );
    let (_, stats) = call(api, MNO_A, "GET", "/stats", &Value::Null);
    assert_eq!(stats["Engine"]["Scp81Sessions"], 0, "{stats}");
    let report = fleet_report(&smsc(&fleet));
    assert_eq!(report["Sessions"], 0);
    assert_eq!(report["PacketsRefused"], 0);
    let card = &report["Cards"][msisdn.as_str()];
    assert_eq!(card["Profiles"][0]["LifeCycle"], "3F", "{card}");
    // One counter value per packet and TAR: CreateISDP, the audit of
    // ProfileDownloadCompleted, EnableProfile, the notification's
    // confirmation, the emergency attribute and the audit to the ISD-R;
    // the profile download to the ISD-P's own TAR.
    assert_eq!(card["Counters"]["000001/01"], 6, "{card}");
    assert_eq!(card["Counters"]["000010/01"], 1, "{card}");
}

#[test]
fn an_unreachable_euicc_expires_and_ctrl_c_stops_cleanly() {
    let dir = tmpdir("expiry");
    let fleet = start_fleet(&dir, 1);
    // API calls wait at most 3 s for their function.
    let mut server = start_server(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &["--wait-ms", "3000"],
    );
    let api = api(&server);
    // Its SMS go to a number no handset answers.
    let mut m = members(&fleet)[0].clone();
    m["Secrets"]["Msisdn"] = json!("31999999999");
    register_all(api, std::slice::from_ref(&m), 1);
    let t = std::time::Instant::now();
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/es4/AuditEIS",
        &json!({"Eid": eid_of(&m), "ValidityPeriod": 1, "FunctionCallIdentifier": "call-7"}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["FunctionExecutionStatus"]["Status"], "Expired", "{v}");
    assert_eq!(v["FunctionCallIdentifier"], "call-7");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        t.elapsed()
    );
    let (_, op) = call(
        api,
        MNO_A,
        "GET",
        &format!("/operations/{}", v["OperationId"]),
        &Value::Null,
    );
    assert_eq!(op["State"], "Done", "{op}");
    assert!(op["Attempts"].as_u64().unwrap() >= 1, "{op}");
    // A call that does not wait for the eUICC: 202, then poll.
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/es4/AuditEIS",
        &json!({"Eid": eid_of(&m), "ValidityPeriod": 5, "FunctionCallIdentifier": "call-8"}),
    );
    if s == 202 {
        assert_eq!(v["FunctionCallIdentifier"], "call-8");
        let path = format!("/operations/{}", v["OperationId"]);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let (_, op) = call(api, MNO_A, "GET", &path, &Value::Null);
            if op["State"] == "Done" {
                assert_eq!(op["FunctionExecutionStatus"]["Status"], "Expired", "{op}");
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{op}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    } else {
        panic!("expected 202 with --wait-ms 3000: {s} {v}");
    }
    // Another operator cannot read that operation.
    let (s, _) = call(
        api,
        MNO_B,
        "GET",
        &format!("/operations/{}", v["OperationId"]),
        &Value::Null,
    );
    assert_eq!(s, 404);

    // SIGINT (Ctrl-C): the server stops by itself, exit status 0.
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let status = loop {
        if let Some(st) = server.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no clean exit after SIGINT"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
}

#[test]
fn openssl_s_client_connects_with_a_registered_psk() {
    require_openssl();
    let dir = tmpdir("sclient");
    let fleet = start_fleet(&dir, 1);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    let m = &members(&fleet)[0];
    register_all(api, std::slice::from_ref(m), 1);
    let scp81 = server.ready["Scp81"].as_str().unwrap().to_owned();
    let psk = m["Secrets"]["Scp81Psk"].as_str().unwrap().to_owned();
    let id_text = psk_identity_text(m);
    let post = format!(
        "POST /smsr/admin HTTP/1.1\r\nHost: smsr\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-From: //se-id/eid/{};//aa-id/aid/A000000559/1010FFFFFFFF8900000100\r\nContent-Length: 0\r\n\r\n",
        eid_of(m)
    );
    let run = |key: &str| {
        let mut child = Command::new("timeout")
            .args(["10", "openssl", "s_client", "-connect", &scp81, "-tls1_2"])
            .args([
                "-cipher",
                "PSK-AES128-CBC-SHA256",
                "-psk_identity",
                &id_text,
                "-psk",
                key,
            ])
            .args(["-quiet", "-ign_eof"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl s_client");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(post.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // The registered key: TLS 1.2 PSK, and with nothing queued the server
    // ends the administration session with 204.
    let (out, err) = run(&psk);
    assert!(out.contains("HTTP/1.1 204"), "stdout: {out}\nstderr: {err}");
    assert!(
        out.to_ascii_lowercase().contains("x-admin-protocol"),
        "{out}"
    );
    // A wrong key: the handshake fails, nothing is served.
    let (out, err) = run("00112233445566778899AABBCCDDEEFF");
    assert!(!out.contains("HTTP/1.1"), "served with a wrong key: {out}");
    assert!(
        err.to_ascii_lowercase().contains("alert") || err.contains("error"),
        "{err}"
    );
}
