#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! `ValidityPeriod` refused, never clamped (`api/validity.rs`), over the
//! JSON API and over SOAP: `0` is `Expired` 1.6 / 4.10 and runs nothing,
//! a period over 7 days is `Failed` 1.6 / 2.1 and runs nothing, and a
//! function whose period runs out before the eUICC answers is `Expired`
//! (SOAP here; JSON in `server_api`'s unreachable eUICC). A default
//! validity out of that range stops the server at start.

mod server_soap_support;
mod server_support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server_soap_support::*;
use server_support::*;
use smsr::soap::Element;

const OVER: u64 = 7 * 86_400 + 1;

fn status(v: &Value) -> (&str, &str, &str) {
    let s = &v["FunctionExecutionStatus"];
    (
        s["Status"].as_str().unwrap(),
        s["StatusCodeData"]["Subject"].as_str().unwrap(),
        s["StatusCodeData"]["Reason"].as_str().unwrap(),
    )
}

/// Status, subject and reason of a SOAP answer.
fn soap_status(xml: &str) -> (String, String, String) {
    fn find<'a>(e: &'a Element, name: &str) -> Option<&'a Element> {
        if e.name == name {
            return Some(e);
        }
        e.children.iter().find_map(|c| find(c, name))
    }
    let env = parse(xml);
    let s = find(&env.body, "FunctionExecutionStatus").expect(xml);
    let d = s.child("StatusCodeData").expect(xml);
    (
        s.child("Status").unwrap().text.clone(),
        d.child("Subject").unwrap().text.clone(),
        d.child("Reason").unwrap().text.clone(),
    )
}

#[test]
fn an_expired_or_out_of_range_validity_period_is_refused_and_runs_nothing() {
    require_openssl();
    let dir = tmpdir("validity");
    let certs = Certs::new(&dir);
    let es_config = certs.es_config(&dir);
    let fleet = start_fleet(&dir, 2);
    let server = start_server(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &["--config", es_config.to_str().unwrap(), "--wait-ms", "4000"],
    );
    let api = api(&server);
    let mut m = members(&fleet);
    // The second eUICC's SMS go to a number no handset answers.
    m[1]["Secrets"]["Msisdn"] = json!("31999999999");
    register_all(api, &m, 1);
    let (eid, lost) = (eid_of(&m[0]), eid_of(&m[1]));

    // JSON: 0 expired on arrival, over 7 days invalid; nothing stored.
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/es4/GetEIS",
        &json!({"Eid": eid, "ValidityPeriod": 0}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(status(&v), ("Expired", "1.6", "4.10"), "{v}");
    assert!(v.get("Eis").is_none(), "nothing ran: {v}");
    for (validity, http, want) in [
        (0, 200, ("Expired", "1.6", "4.10")),
        (OVER, 400, ("Failed", "1.6", "2.1")),
    ] {
        let body = json!({"M2MSP-id": "MNO-B", "Function": ["GetEIS"], "ValidityPeriod": validity});
        let (s, v) = call(api, MNO_A, "POST", "/es4/SetPLMA", &body);
        assert_eq!(s, http, "{validity}: {v}");
        assert_eq!(status(&v), want, "{validity}: {v}");
        let (s, v) = call(
            api,
            MNO_A,
            "POST",
            "/es4/EnableProfile",
            &json!({"Eid": eid, "Iccid": iccid(1, 0), "ValidityPeriod": validity}),
        );
        assert_eq!(s, http, "{validity}: {v}");
        assert_eq!(status(&v), want, "{validity}: {v}");
        assert!(v.get("OperationId").is_none(), "nothing queued: {v}");
    }
    assert_eq!(ok(api, MNO_A, "/es4/GetPLMA", json!({}))["Plma"], json!([]));
    // The longest period accepted is accepted.
    let v = ok(
        api,
        MNO_A,
        "/es4/GetEIS",
        json!({"Eid": eid, "ValidityPeriod": OVER - 1}),
    );
    assert_eq!(
        v["FunctionExecutionStatus"]["Status"], "Executed-Success",
        "{v}"
    );

    // SOAP: the same refusals in a …Response.
    let es = server.ready["Es"].as_str().unwrap().to_owned();
    let audit = "http://gsma.com/ES4/eUICCManagement/ES4-AuditEIS";
    let post = |xml: String| {
        https(
            &es,
            Some(&certs.mno),
            &certs.pki.ca(),
            "POST",
            "/es",
            xml.as_bytes(),
        )
        .unwrap()
    };
    for (validity, want) in [
        (0, ("Expired", "1.6", "4.10")),
        (OVER, ("Failed", "1.6", "2.1")),
    ] {
        let body = format!(
            "<gsma:AuditEIS><ValidityPeriod>{validity}</ValidityPeriod><Eid>{eid}</Eid></gsma:AuditEIS>"
        );
        let (s, xml) = post(envelope(Some(audit), Some("urn:v:1"), None, &body));
        assert_eq!(s, 200, "{xml}");
        let got = soap_status(&xml);
        assert_eq!(
            (got.0.as_str(), got.1.as_str(), got.2.as_str()),
            want,
            "{xml}"
        );
    }
    // An eUICC that never answers: Expired once its 1 s are over.
    let t = Instant::now();
    let body = format!(
        "<gsma:AuditEIS><ValidityPeriod>1</ValidityPeriod><Eid>{lost}</Eid></gsma:AuditEIS>"
    );
    let (s, xml) = post(envelope(Some(audit), Some("urn:v:2"), None, &body));
    assert_eq!(s, 200, "{xml}");
    let got = soap_status(&xml);
    assert_eq!(
        (got.0.as_str(), got.1.as_str(), got.2.as_str()),
        ("Expired", "1.6", "4.10"),
        "{xml}"
    );
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
}

#[test]
fn a_default_validity_out_of_range_stops_the_server_at_start() {
    for bad in ["0", &OVER.to_string()] {
        // `timeout`: a server that wrongly starts is stopped, and fails.
        let out = std::process::Command::new("timeout")
            .arg("20")
            .arg(binary())
            .args([
                "--validity",
                bad,
                "--api",
                "127.0.0.1:0",
                "--scp81",
                "127.0.0.1:0",
            ])
            .output()
            .unwrap();
        assert!(!out.status.success(), "--validity {bad} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("ValiditySeconds"), "--validity {bad}: {err}");
    }
}
