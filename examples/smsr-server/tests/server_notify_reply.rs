#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! An asynchronous `…Response` survives a restart: the server accepts an
//! EnableProfile (HTTP 202, the answer due to `ReplyTo`) and is killed
//! (SIGKILL) before the eUICC answers (the fleet is gone); after the
//! restart the answer parked in the outbox is made at the end of the
//! validity period (`Expired`, the operation having expired meanwhile)
//! and delivered once, `RelatesTo` the request's `MessageID`.

mod server_soap_support;
mod server_support;

use std::time::Duration;

use server_soap_support::*;
use server_support::*;

const ES4: &str = "http://gsma.com/ES4";

#[test]
fn an_answer_pending_at_sigkill_is_made_and_delivered_after_restart() {
    require_openssl();
    let dir = tmpdir("notify-reply");
    let certs = Certs::new(&dir);
    let es_config = certs.es_config(&dir);
    let mut fleet = start_fleet(&dir, 1);
    let db = dir.join("db.sqlite");
    let mut server = start_server(&dir, &db, &smsc(&fleet), &[]);
    let api_addr = api(&server);
    let m = &members(&fleet)[0];
    register_all(api_addr, std::slice::from_ref(m), 1);
    let (eid, iccid) = (eid_of(m), iccid(1, 0));
    install(api_addr, MNO_A, &eid, &iccid, &msisdn_of(m));
    server.kill();
    // From now on every function that goes to the eUICC is answered
    // asynchronously.
    let args = ["--config", es_config.to_str().unwrap(), "--wait-ms", "0"];
    let mut server = start_server(&dir, &db, &smsc(&fleet), &args);
    let (cb, received) = callback_listener(&certs, 0);
    let reply_to = format!("https://127.0.0.1:{}/mno/callback", cb.port());
    // Nobody will answer the eUICC's SMS now.
    fleet.kill();
    let enable = format!(
        "<gsma:EnableProfile><FunctionCallIdentifier>call-7</FunctionCallIdentifier>\
         <ValidityPeriod>3</ValidityPeriod><Eid>{eid}</Eid><Iccid>{iccid}</Iccid>\
         </gsma:EnableProfile>"
    );
    let xml = envelope(
        Some(&format!("{ES4}/ProfileManagement/ES4-EnableProfile")),
        Some("urn:reply:1"),
        Some(&reply_to),
        &enable,
    );
    let es = server.ready["Es"].as_str().unwrap().to_owned();
    let (status, body) = https(
        &es,
        Some(&certs.mno),
        &certs.pki.ca(),
        "POST",
        "/es",
        xml.as_bytes(),
    )
    .unwrap();
    assert_eq!((status, body.as_str()), (202, ""));
    server.kill();
    let c = rusqlite::Connection::open(&db).unwrap();
    let parked: i64 = c
        .query_row(
            "SELECT count(*) FROM outbox WHERE to_url = ?1 AND delivered_ms IS NULL",
            [&reply_to],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(parked, 1, "the answer is in the store before the 202");
    assert!(
        received.lock().unwrap().is_empty(),
        "nothing sent before the kill"
    );

    let _server = start_server(&dir, &db, "127.0.0.1:9", &args);
    let got = wait_for(&received, 1, Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(2));
    let got_all = received.lock().unwrap().clone();
    assert_eq!(got_all.len(), 1, "once: {got_all:?}");
    let (cn, xml) = &got[0];
    assert_eq!(cn, "smsr");
    let env = parse(xml);
    assert_eq!(env.addressing.relates_to.as_deref(), Some("urn:reply:1"));
    assert_eq!(env.addressing.to.as_deref(), Some(reply_to.as_str()));
    assert_eq!(env.body.name, "EnableProfileResponse");
    assert_eq!(
        text_of(xml, "FunctionCallIdentifier").as_deref(),
        Some("call-7")
    );
    assert_eq!(text_of(xml, "Status").as_deref(), Some("Expired"), "{xml}");
}
