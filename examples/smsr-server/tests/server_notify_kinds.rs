#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Which Handle*Notification reaches whom (`smsr::inventory::notify`), on
//! a real fleet with two MNOs sharing one eUICC, each its own profiles'
//! SM-DP, each with a notification endpoint: a profile switch tells both
//! owners (the eUICC's notification settles it), a fall-back attribute
//! moved by one MNO tells the other it lost it, and the SM-SR's own POL2
//! auto-delete tells MNO-B; nobody hears of their own function.

mod server_soap_support;
mod server_support;

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use server_soap_support::*;
use server_support::*;

/// (interface, notification) → how many, of what `received` got; each
/// MessageID once.
fn tally(received: &Received) -> BTreeMap<(String, String), usize> {
    let mut ids = std::collections::BTreeSet::new();
    let mut out = BTreeMap::new();
    for (cn, body) in received.lock().unwrap().iter() {
        assert_eq!(cn, "smsr");
        let env = parse(body);
        let id = env.addressing.message_id.clone().unwrap();
        assert!(ids.insert(id.clone()), "{id} twice");
        let action = env.addressing.action.clone().unwrap();
        let iface = action.split('/').nth(3).unwrap().to_owned();
        assert!(
            action.ends_with(&format!("/{iface}-{}", env.body.name)),
            "{action}"
        );
        *out.entry((iface, env.body.name.clone())).or_insert(0) += 1;
    }
    out
}

fn want(kinds: &[&str]) -> BTreeMap<(String, String), usize> {
    let mut out = BTreeMap::new();
    for k in kinds {
        for iface in ["ES3", "ES4"] {
            *out.entry((iface.to_owned(), format!("Handle{k}Notification")))
                .or_insert(0) += 1;
        }
    }
    out
}

#[test]
fn each_owner_is_told_what_happened_to_its_profiles() {
    require_openssl();
    let dir = tmpdir("notify-kinds");
    let certs = Certs::new(&dir);
    let (a_addr, to_a) = callback_listener(&certs, 0);
    let (b_addr, to_b) = callback_listener(&certs, 0);
    let es = dir.join("es-kinds.json");
    let v = json!({"Es": {
        "Listen": "127.0.0.1:0",
        "Cert": certs.smsr.0, "Key": certs.smsr.1, "ClientCa": certs.pki.ca(), "Clients": [],
        "Notifications": [
            {"Id": "MNO-A", "Url": format!("https://{a_addr}/mno-a")},
            {"Id": "MNO-B", "Url": format!("https://{b_addr}/mno-b")}
        ],
        "CallbackBackoffMs": 100
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

    install(api, MNO_A, &eid, &a1, &msisdn);
    ok(api, MNO_A, "/es4/EnableProfile", profile(&a1));
    ok(api, MNO_A, "/es4/SetFallbackAttribute", profile(&a1));
    install(api, MNO_B, &eid, &b1, &msisdn);
    ok(api, MNO_B, "/es4/EnableProfile", profile(&b1));
    ok(api, MNO_B, "/es4/SetFallbackAttribute", profile(&b1));
    // Back to a1 (a fall-back profile cannot be deleted).
    ok(api, MNO_A, "/es4/SetFallbackAttribute", profile(&a1));
    let auto_delete = json!({"Eid": eid, "Iccid": b1,
        "Pol2": [{"Action": "DISABLE", "Qualification": "Auto-Delete"}]});
    ok(api, MNO_B, "/es4/UpdatePolicyRules", auto_delete);
    // MNO-A takes the eUICC back: b1 is disabled, then deleted by the
    // SM-SR (POL2 DISABLE / Auto-Delete).
    ok(api, MNO_A, "/es4/EnableProfile", profile(&a1));

    let a = want(&[
        "ProfileEnabled",
        "ProfileDisabled",
        "FallBackAttributeUnset",
    ]);
    let mut a_twice = a.clone();
    for ((_, k), n) in a_twice.iter_mut() {
        if k == "HandleProfileEnabledNotification" {
            *n = 2;
        }
    }
    let b = want(&[
        "ProfileEnabled",
        "FallBackAttributeUnset",
        "ProfileDisabled",
        "ProfileDeleted",
    ]);
    wait_for(&to_a, a_twice.values().sum(), Duration::from_secs(60));
    wait_for(&to_b, b.values().sum(), Duration::from_secs(60));
    // Time for a copy or a stray notification to show.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(tally(&to_a), a_twice, "MNO-A");
    assert_eq!(tally(&to_b), b, "MNO-B");
}
