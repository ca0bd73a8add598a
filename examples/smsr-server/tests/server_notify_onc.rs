#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! ES4A.SetONC / GetONC (SGP.02 v4 §3.21) on a real fleet with two MNOs
//! sharing one eUICC, each its own profiles' SM-DP: an ONC silences the
//! notifications it names to its operator over ES4 about its profiles of
//! its type, and nothing else (the SM-DP's ES3 copy, other kinds, other
//! types still arrive); ES4A.SetPLMA tells the grantee once with
//! HandlePLMASettingNotification and ES4.GetAuthorisationsOfM2MSP answers
//! what was granted; bad ONCs are refused and change nothing. Delivered
//! rows are pruned past `OutboxRetentionMs`, an undelivered one never.

mod server_soap_support;
mod server_support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use server_soap_support::*;
use server_support::*;

/// (interface, notification) → how many; each MessageID once.
fn tally(received: &Received) -> BTreeMap<(String, String), usize> {
    let mut ids = std::collections::BTreeSet::new();
    let mut out = BTreeMap::new();
    for (_, body) in received.lock().unwrap().iter() {
        let env = parse(body);
        let id = env.addressing.message_id.clone().unwrap();
        assert!(ids.insert(id.clone()), "{id} twice");
        let action = env.addressing.action.clone().unwrap();
        let iface = action.split('/').nth(3).unwrap().to_owned();
        *out.entry((iface, env.body.name.clone())).or_insert(0) += 1;
    }
    out
}

fn entry(iface: &str, kind: &str) -> ((String, String), usize) {
    ((iface.to_owned(), format!("Handle{kind}Notification")), 1)
}

/// [`install`] with a `ProfileType`.
fn install_typed(api: SocketAddr, token: &str, eid: &str, iccid: &str, msisdn: &str, ty: &str) {
    let v = ok(
        api,
        token,
        "/es3/CreateISDP",
        json!({"Eid": eid, "Iccid": iccid, "RequiredMemory": 8192}),
    );
    let aid = v["Eis"]["ProfileInfo"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Iccid"] == iccid)
        .unwrap()["Isd-p-aid"]
        .clone();
    ok(
        api,
        token,
        "/es3/SendData",
        json!({"Eid": eid, "sd-aid": aid, "Data": download_script(iccid)}),
    );
    ok(
        api,
        token,
        "/es3/ProfileDownloadCompleted",
        json!({"Eid": eid, "Iccid": iccid, "ProfileType": ty,
               "SubscriptionAddress": {"Msisdn": msisdn}}),
    );
}

fn refused(api: SocketAddr, token: &str, path: &str, body: Value, http: u16, reason: &str) {
    let (s, v) = call(api, token, "POST", path, &body);
    assert_eq!(s, http, "{path} {body}: {v}");
    let data = &v["FunctionExecutionStatus"]["StatusCodeData"];
    assert_eq!(data["Reason"], reason, "{path} {body}: {v}");
}

#[test]
fn an_onc_silences_what_it_names_and_a_plma_tells_its_grantee() {
    require_openssl();
    let dir = tmpdir("notify-onc");
    let certs = Certs::new(&dir);
    let (a_addr, to_a) = callback_listener(&certs, 0);
    let (b_addr, to_b) = callback_listener(&certs, 0);
    let es = dir.join("es-onc.json");
    let v = json!({"Es": {
        "Listen": "127.0.0.1:0",
        "Cert": certs.smsr.0, "Key": certs.smsr.1, "ClientCa": certs.pki.ca(), "Clients": [],
        "Notifications": [
            {"Id": "MNO-A", "Url": format!("https://{a_addr}/mno-a")},
            {"Id": "MNO-B", "Url": format!("https://{b_addr}/mno-b")}
        ],
        "CallbackBackoffMs": 100, "OutboxRetentionMs": 1500
    }});
    std::fs::write(&es, v.to_string()).unwrap();
    let fleet = start_fleet(&dir, 1);
    let db = dir.join("db.sqlite");
    let server = start_server(
        &dir,
        &db,
        &smsc(&fleet),
        &["--config", es.to_str().unwrap()],
    );
    let api = api(&server);
    let members = members(&fleet);
    register_all(api, &members, 1);
    let (eid, msisdn) = (eid_of(&members[0]), msisdn_of(&members[0]));
    let (a1, b1) = (iccid(1, 0), iccid(2, 0));
    let profile = |iccid: &str| json!({"Eid": eid, "Iccid": iccid});

    // Bad ONCs: refused, nothing stored.
    let onc = "/es4/SetONC";
    refused(
        api,
        MNO_A,
        onc,
        json!({"DiscardedNotification": ["HandlePLMASettingNotification"]}),
        400,
        "2.1",
    );
    refused(
        api,
        MNO_A,
        onc,
        json!({"DiscardedNotification": ["HandleNothing"]}),
        400,
        "2.1",
    );
    refused(
        api,
        MNO_A,
        onc,
        json!({"ProfileType": " ", "DiscardedNotification": []}),
        400,
        "2.1",
    );
    refused(
        api,
        MNO_A,
        onc,
        json!({"Mno-id": "MNO-B", "DiscardedNotification": []}),
        403,
        "1.2",
    );
    assert_eq!(ok(api, MNO_A, "/es4/GetONC", json!({}))["Onc"], json!([]));

    install_typed(api, MNO_A, &eid, &a1, &msisdn, "meter");
    ok(api, MNO_A, "/es4/EnableProfile", profile(&a1));
    install_typed(api, MNO_B, &eid, &b1, &msisdn, "meter");
    // MNO-A silences its own ES4 "disabled" for meters; a typed ONC for
    // another type must not touch the "fall-back unset" it is told below.
    ok(
        api,
        MNO_A,
        onc,
        json!({"ProfileType": "meter",
        "DiscardedNotification": ["HandleProfileDisabledNotification"]}),
    );
    ok(
        api,
        MNO_A,
        onc,
        json!({"ProfileType": "car",
        "DiscardedNotification": ["HandleFallBackAttributeUnsetNotification"]}),
    );
    let got = ok(api, MNO_A, "/es4/GetONC", json!({}));
    assert_eq!(
        got["Onc"],
        json!([
            {"Mno-id": "MNO-A", "ProfileType": "car",
             "DiscardedNotification": ["HandleFallBackAttributeUnsetNotification"]},
            {"Mno-id": "MNO-A", "ProfileType": "meter",
             "DiscardedNotification": ["HandleProfileDisabledNotification"]}
        ])
    );
    assert_eq!(
        ok(api, MNO_B, "/es4/GetONC", json!({}))["Onc"],
        json!([]),
        "MNO-B's own"
    );
    ok(api, MNO_A, "/es4/SetFallbackAttribute", profile(&a1));
    // MNO-B takes the eUICC and the fall-back attribute: a1 is disabled
    // and loses it.
    ok(api, MNO_B, "/es4/EnableProfile", profile(&b1));
    ok(api, MNO_B, "/es4/SetFallbackAttribute", profile(&b1));

    // A PLMA: its grantee is told once, over ES4.
    ok(
        api,
        MNO_A,
        "/es4/SetPLMA",
        json!({"M2MSP-id": "MNO-B", "ProfileType": "meter",
        "Function": ["GetEIS", "EnableProfile"]}),
    );
    let granted = ok(api, MNO_B, "/es4/GetAuthorisationsOfM2MSP", json!({}));
    assert_eq!(
        granted["Plma"],
        json!([{"Mno-id": "MNO-A", "M2MSP-id": "MNO-B", "ProfileType": "meter",
                "Function": ["GetEIS", "EnableProfile"]}])
    );
    let of_a = ok(
        api,
        MNO_B,
        "/es4/GetAuthorisationsOfM2MSP",
        json!({"Mno-id": "MNO-A"}),
    );
    assert_eq!(of_a["Plma"], granted["Plma"]);
    let of_c = ok(
        api,
        MNO_B,
        "/es4/GetAuthorisationsOfM2MSP",
        json!({"Mno-id": "MNO-C"}),
    );
    assert_eq!(of_c["Plma"], json!([]));
    let none = ok(api, MNO_A, "/es4/GetAuthorisationsOfM2MSP", json!({}));
    assert_eq!(none["Plma"], json!([]), "granted by A, not to it");

    // An MNO is told of its own enabling by the eUICC's notification
    // (requester unknown there: `server_notify_kinds`).
    let a: BTreeMap<_, _> = [
        entry("ES4", "ProfileEnabled"),
        entry("ES3", "ProfileEnabled"),
        // ES4 "disabled" discarded by the ONC, its ES3 copy sent.
        entry("ES3", "ProfileDisabled"),
        entry("ES4", "FallBackAttributeUnset"),
        entry("ES3", "FallBackAttributeUnset"),
    ]
    .into_iter()
    .collect();
    let b: BTreeMap<_, _> = [
        entry("ES4", "ProfileEnabled"),
        entry("ES3", "ProfileEnabled"),
        entry("ES4", "PLMASetting"),
    ]
    .into_iter()
    .collect();
    wait_for(&to_a, a.values().sum(), Duration::from_secs(60));
    wait_for(&to_b, b.values().sum(), Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(tally(&to_a), a, "MNO-A");
    assert_eq!(tally(&to_b), b, "MNO-B");
    let plma = to_b
        .lock()
        .unwrap()
        .iter()
        .map(|(_, body)| body.clone())
        .find(|body| body.contains("HandlePLMASettingNotification>"))
        .unwrap();
    for want in [
        "<Mno-id>MNO-A</Mno-id>",
        "<M2MSP-id>MNO-B</M2MSP-id>",
        "<ProfileType>meter</ProfileType>",
        "<Function>GetEIS</Function><Function>EnableProfile</Function>",
        "<FunctionRequesterIdentifier>",
        "<CompletionTimeStamp>",
    ] {
        assert!(plma.contains(want), "{want} in {plma}");
    }

    // Removing the ONC: the next "disabled" reaches MNO-A over ES4 again
    // (and MNO-B, whose profile MNO-A's switch disables, as before).
    ok(
        api,
        MNO_A,
        onc,
        json!({"ProfileType": "meter", "DiscardedNotification": []}),
    );
    // The PLMA withdrawn: its grantee is told again, and holds nothing.
    ok(
        api,
        MNO_A,
        "/es4/SetPLMA",
        json!({"M2MSP-id": "MNO-B", "ProfileType": "meter"}),
    );
    let gone = ok(api, MNO_B, "/es4/GetAuthorisationsOfM2MSP", json!({}));
    assert_eq!(gone["Plma"], json!([]));
    ok(api, MNO_A, "/es4/EnableProfile", profile(&a1));
    ok(api, MNO_B, "/es4/EnableProfile", profile(&b1));
    let (mut a, mut b) = (a, b);
    let more = |m: &mut BTreeMap<(String, String), usize>, iface: &str, kind: &str| {
        *m.entry(entry(iface, kind).0).or_insert(0) += 1;
    };
    for iface in ["ES3", "ES4"] {
        // Each its own enabling, and the other's switch.
        more(&mut a, iface, "ProfileEnabled");
        more(&mut b, iface, "ProfileEnabled");
        more(&mut a, iface, "ProfileDisabled");
        more(&mut b, iface, "ProfileDisabled");
    }
    more(&mut b, "ES4", "PLMASetting");
    wait_for(&to_a, a.values().sum(), Duration::from_secs(60));
    wait_for(&to_b, b.values().sum(), Duration::from_secs(60));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(tally(&to_a), a, "MNO-A, ONC removed");
    assert_eq!(tally(&to_b), b, "MNO-B, ONC removed");
    let withdrawn = to_b
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, body)| {
            body.contains("HandlePLMASettingNotification>") && !body.contains("<Function>")
        })
        .count();
    assert_eq!(withdrawn, 1, "the withdrawal names no function");

    // With a retention of 1.5 s every delivered row is pruned by now; the
    // one the ONC discarded (never delivered) is kept.
    std::thread::sleep(Duration::from_secs(2));
    let raw = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| -> i64 { raw.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT count(*) FROM outbox WHERE delivered_ms IS NOT NULL"),
        0,
        "delivered rows past the retention"
    );
    assert_eq!(
        count("SELECT count(*) FROM outbox WHERE delivered_ms IS NULL"),
        1,
        "only the discarded one"
    );
    assert_eq!(
        count("SELECT count(*) FROM outbox WHERE last_error LIKE 'discarded by the ONC of MNO-A'"),
        1
    );
}
