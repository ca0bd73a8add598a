#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Every element checked against its SGP.02 type before anything runs,
//! through the running server: over the JSON API (400, `Failed` with the
//! element's subject and reason 2.1) and over SOAP (a `Failed` answer with
//! the same code), and in each case the EIS is unchanged and nothing was
//! queued.

mod server_soap_support;
mod server_support;

use serde_json::{Value, json};
use server_soap_support::*;
use server_support::*;

const ES3: &str = "http://gsma.com/ES3";

/// The ICCIDs the issue names: an SQL injection with a NUL and an emoji,
/// and one of 4 MiB.
fn hostile_iccids() -> [String; 2] {
    [
        "89\0'; DROP TABLE eis;--😀".to_owned(),
        format!("89{}", "1".repeat(4 << 20)),
    ]
}

/// The state the tests compare before and after: the EIS (audit trail
/// left out: it is not touched by a refused request either, but its
/// timestamps are not ours to compare) and the queue counters.
fn snapshot(api: std::net::SocketAddr, eid: &str) -> (Value, Value) {
    let mut e = eis(api, MNO_A, eid);
    e.as_object_mut().unwrap().remove("AuditTrail");
    let (s, stats) = call(api, MNO_A, "GET", "/stats", &Value::Null);
    assert_eq!(s, 200, "{stats}");
    (e, stats)
}

fn assert_refused(s: u16, v: &Value, subject: &str, what: &str) {
    assert_eq!(s, 400, "{what}: {v}");
    let st = &v["FunctionExecutionStatus"];
    assert_eq!(st["Status"], "Failed", "{what}: {v}");
    assert_eq!(st["StatusCodeData"]["Subject"], subject, "{what}: {v}");
    assert_eq!(st["StatusCodeData"]["Reason"], "2.1", "{what}: {v}");
    // The element is named; its value is not echoed back.
    let msg = st["StatusCodeData"]["Message"].as_str().unwrap();
    assert!(msg.len() < 200 && !msg.contains("DROP"), "{what}: {msg}");
}

#[test]
fn bad_fields_are_refused_over_the_json_api_and_nothing_changes() {
    let dir = tmpdir("fields-json");
    let fleet = start_fleet(&dir, 2);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_all(api, &members[..1], 1);
    let eid = eid_of(&members[0]);
    let before = snapshot(api, &eid);

    let create = |iccid: &str| json!({"Eid": eid, "Iccid": iccid, "RequiredMemory": 8192});
    for bad in hostile_iccids() {
        let (s, v) = call(api, MNO_A, "POST", "/es3/CreateISDP", &create(&bad));
        assert_refused(s, &v, "8.2.1", &format!("ICCID of {} bytes", bad.len()));
    }
    // The fleet's ICCID with its Luhn digit changed.
    let mut wrong_luhn = iccid(1, 0);
    let last = wrong_luhn.pop().unwrap().to_digit(10).unwrap();
    wrong_luhn.push(char::from_digit((last + 1) % 10, 10).unwrap());
    let cases = [
        ("/es3/CreateISDP", create(&wrong_luhn), "8.2.1"),
        (
            "/es3/CreateISDP",
            create(&format!("88{}", &iccid(1, 0)[2..])),
            "8.2.1",
        ),
        (
            "/es3/CreateISDP",
            json!({"Eid": eid, "Iccid": iccid(1, 0), "Mno-id": "MNO\u{1}A"}),
            "1.6",
        ),
        (
            "/es4/EnableProfile",
            json!({"Eid": format!("{}0", &eid[..31]), "Iccid": iccid(1, 0)}),
            "8.1.1",
        ),
        (
            "/es4/AuditEIS",
            json!({"Eid": eid, "Iccid": [iccid(1, 0), "8931"]}),
            "8.2.1",
        ),
        (
            "/es3/SendData",
            json!({"Eid": eid, "sd-aid": "A0000005", "Data": "00"}),
            "1.6",
        ),
        (
            "/es3/ProfileDownloadCompleted",
            json!({"Eid": eid, "Iccid": iccid(1, 0), "ProfileType": "x".repeat(65)}),
            "8.2.5",
        ),
        (
            "/es3/ProfileDownloadCompleted",
            json!({"Eid": eid, "Iccid": iccid(1, 0),
                "SubscriptionAddress": {"Msisdn": "+31 6 1234"}}),
            "1.6",
        ),
        (
            "/batch/EnableProfile",
            json!({"Targets": [{"Eid": eid, "Iccid": "89'--"}]}),
            "8.2.1",
        ),
    ];
    for (path, body, subject) in &cases {
        let (s, v) = call(api, MNO_A, "POST", path, body);
        assert_refused(s, &v, subject, &format!("{path} {body}"));
    }
    assert_eq!(
        snapshot(api, &eid),
        before,
        "a refused request changed nothing"
    );

    // ES1.RegisterEIS: a profile ICCID or a key of the wrong type in the
    // EIS refuses the whole registration.
    let other = eid_of(&members[1]);
    let mut m = members[1].clone();
    m["Secrets"]["Scp80Kic"] = json!("00112233");
    let (s, v) = call(api, EUM, "POST", "/es1/RegisterEIS", &m);
    assert_refused(s, &v, "1.6", "a 4-octet KIc");
    let mut m = members[1].clone();
    m["Eis"]["EumSignedInfo"]["Eid"] = json!(format!("{}0", &other[..31]));
    let (s, v) = call(api, EUM, "POST", "/es1/RegisterEIS", &m);
    assert_refused(s, &v, "8.1.1", "an EID with wrong check digits");
    let (s, v) = call(api, MNO_A, "POST", "/es4/GetEIS", &json!({"Eid": other}));
    assert_eq!(s, 404, "nothing registered: {v}");
}

#[test]
fn bad_fields_are_refused_over_soap_and_nothing_changes() {
    let dir = tmpdir("fields-soap");
    require_openssl();
    let certs = Certs::new(&dir);
    let es_config = certs.es_config(&dir);
    let fleet = start_fleet(&dir, 1);
    let server = start_server(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &["--config", es_config.to_str().unwrap()],
    );
    let api = api(&server);
    register_all(api, &members(&fleet), 1);
    let es = server.ready["Es"].as_str().unwrap().to_owned();
    let eid = eid_of(&members(&fleet)[0]);
    let before = snapshot(api, &eid);
    let action = format!("{ES3}/ProfileManagement/ES3-CreateISDP");
    let post = |i: usize, iccid: &str| {
        let create = format!(
            "<gsma:CreateISDP><Eid>{eid}</Eid><Iccid>{iccid}</Iccid><Mno-id>MNO-A</Mno-id>\
             </gsma:CreateISDP>"
        );
        let xml = envelope(Some(&action), Some(&format!("urn:b:{i}")), None, &create);
        https(
            &es,
            Some(&certs.smdp),
            &certs.pki.ca(),
            "POST",
            "/es",
            xml.as_bytes(),
        )
        .unwrap()
    };
    // XML cannot carry a NUL: the injection goes without it; an ICCID of
    // 900 KiB fits the envelope limit (1 MiB) and reaches the type check.
    let [injection, huge] = hostile_iccids();
    let injection = injection.replace('\0', "").replace('\'', "&apos;");
    let big = format!("89{}", "1".repeat(900 << 10));
    for (i, text) in [injection, big].iter().enumerate() {
        let (status, body) = post(i, text);
        let what = format!("ICCID of {} bytes", text.len());
        assert_eq!(status, 200, "{what}: {}", &body[..body.len().min(500)]);
        assert_eq!(
            text_of(&body, "Status").as_deref(),
            Some("Failed"),
            "{what}"
        );
        assert_eq!(
            text_of(&body, "Subject").as_deref(),
            Some("8.2.1"),
            "{what}"
        );
        assert_eq!(text_of(&body, "Reason").as_deref(), Some("2.1"), "{what}");
        assert!(body.len() < 4096, "{what}: the value is not echoed");
    }
    // 4 MiB is over the envelope limit: refused before parsing.
    let (status, body) = post(9, &huge);
    assert_eq!(status, 413, "{}", &body[..body.len().min(500)]);
    assert_eq!(
        snapshot(api, &eid),
        before,
        "a refused request changed nothing"
    );
}
