#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Restart safety of the notifications (store/outbox.rs, soap/notify.rs):
//! the MNO's notification endpoint is down while its profiles are enabled;
//! the server is killed (SIGKILL) with the Handle*Notification messages
//! pending; the endpoint comes up answering its first requests with a SOAP
//! fault (HTTP 500), and the server restarts: every notification arrives,
//! none twice (counted by `wsa:MessageID`), the faults retried with
//! backoff. And a malformed endpoint list is refused at start.

mod server_soap_support;
mod server_support;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use server_soap_support::*;
use server_support::*;

const FLEET: usize = 3;
/// Each enable is told to MNO-A over ES4 and, as the profiles' SM-DP, over
/// ES3 (the eUICC's notification settles it: no requester to leave out).
const EXPECTED: usize = 2 * FLEET;
const FAULTS: usize = 2;
const FAULT: &str = "<?xml version=\"1.0\"?><env:Envelope \
    xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body><env:Fault><env:Code>\
    <env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text xml:lang=\"en\">busy\
    </env:Text></env:Reason></env:Fault></env:Body></env:Envelope>";

/// The ES section: the certificates, MNO-A's endpoint at `port`, fast and
/// many retries.
fn es_config(dir: &Path, certs: &Certs, notifications: serde_json::Value) -> std::path::PathBuf {
    let path = dir.join("es-notify.json");
    let v = json!({"Es": {
        "Listen": "127.0.0.1:0",
        "Cert": certs.smsr.0, "Key": certs.smsr.1, "ClientCa": certs.pki.ca(),
        "Clients": [{"Name": "mno-a", "Id": "MNO-A", "Roles": ["mno"]}],
        "Notifications": notifications,
        "CallbackAttempts": 1000, "CallbackBackoffMs": 100, "CallbackMaxBackoffMs": 400,
        "CallbackTimeoutMs": 1000
    }});
    std::fs::write(&path, v.to_string()).unwrap();
    path
}

/// (undelivered, least attempts among them) in the server's outbox.
fn outbox(db: &Path) -> (i64, i64) {
    let c = rusqlite::Connection::open(db).unwrap();
    c.query_row(
        "SELECT count(*), coalesce(min(attempts), 0) FROM outbox WHERE delivered_ms IS NULL",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

#[test]
fn pending_notifications_survive_sigkill_and_arrive_once() {
    require_openssl();
    let dir = tmpdir("notify-restart");
    let certs = Certs::new(&dir);
    // A port nobody listens on yet: the endpoint is down.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("https://127.0.0.1:{port}/mno-a/notifications");
    let es = es_config(&dir, &certs, json!([{"Id": "MNO-A", "Url": url}]));
    let fleet = start_fleet(&dir, FLEET);
    let db = dir.join("db.sqlite");
    let args = ["--config", es.to_str().unwrap()];
    let mut server = start_server(&dir, &db, &smsc(&fleet), &args);
    let api_addr = api(&server);
    let members = members(&fleet);
    register_all(api_addr, &members, 2);
    for (i, m) in members.iter().enumerate() {
        let eid = eid_of(m);
        install(api_addr, MNO_A, &eid, &iccid(1, i), &msisdn_of(m));
        let body = json!({"Eid": eid, "Iccid": iccid(1, i)});
        ok(api_addr, MNO_A, "/es4/EnableProfile", body);
    }
    // Every notification stored and tried at least once against the
    // endpoint that is down.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (pending, attempts) = outbox(&db);
        if pending == EXPECTED as i64 && attempts >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "outbox: {pending} pending, {attempts} attempts"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill();
    eprintln!("killed with {:?} (undelivered, min attempts)", outbox(&db));

    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
    let received = serve_callbacks(&certs, listener, FAULTS, "500 Internal Server Error", FAULT);
    let _server = start_server(&dir, &db, &smsc(&fleet), &args);
    wait_for(&received, EXPECTED, Duration::from_secs(60));
    // Time for a copy to show if one were sent.
    std::thread::sleep(Duration::from_secs(2));
    let got = received.lock().unwrap().clone();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    let mut kinds = BTreeMap::new();
    for (cn, body) in &got {
        assert_eq!(cn, "smsr", "the SM-SR's client certificate");
        let env = parse(body);
        let id = env.addressing.message_id.clone().expect("MessageID");
        assert!(id.starts_with("urn:smsr:event:"), "{id}");
        *by_id.entry(id).or_default() += 1;
        *kinds.entry(env.body.name.clone()).or_insert(0) += 1;
        assert_eq!(
            text_of(body, "FunctionRequesterIdentifier").as_deref(),
            Some("SMSR-TEST")
        );
    }
    assert_eq!(by_id.len(), EXPECTED, "every notification: {kinds:?}");
    assert!(by_id.values().all(|&n| n == 1), "none twice: {by_id:?}");
    assert_eq!(
        kinds.get("HandleProfileEnabledNotification"),
        Some(&EXPECTED),
        "{kinds:?}"
    );
    assert_eq!(outbox(&db).0, 0, "all marked delivered");
    // The faults were retried: some message took more than one attempt
    // after the restart, its last error the 500.
    let c = rusqlite::Connection::open(&db).unwrap();
    let retried: i64 = c
        .query_row(
            "SELECT count(*) FROM outbox WHERE last_error LIKE '%HTTP 500%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(retried >= 1, "the SOAP faults were retried");
}

/// A malformed `Es.Notifications` stops the server at start (exit 1), the
/// entry named.
#[test]
fn malformed_notification_endpoints_are_refused_at_start() {
    let dir = tmpdir("notify-config");
    let certs = Certs::new(&dir);
    for (bad, why) in [
        (
            json!([{"Id": "MNO-A", "Url": "http://127.0.0.1:1/x"}]),
            "https",
        ),
        (json!([{"Id": "MNO-A"}]), "Url"),
        (
            json!([{"Id": "MNO-A", "Url": "https://a/"}, {"Id": "MNO-A", "Url": "https://b/"}]),
            "repeated",
        ),
    ] {
        let es = es_config(&dir, &certs, bad.clone());
        let out = Command::new(binary())
            .arg("--config")
            .arg(&es)
            .args(["--api", "127.0.0.1:0", "--scp81", "127.0.0.1:0"])
            .arg("--db")
            .arg(dir.join("never.sqlite"))
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{bad}: {stderr}");
        assert!(stderr.contains(why), "{bad}: {stderr}");
        assert!(
            !dir.join("never.sqlite").exists(),
            "refused before anything"
        );
    }
}
