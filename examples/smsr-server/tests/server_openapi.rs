#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! `openapi.json` against the running server: every documented route
//! answers with its method (not 404 / 405), and leaving out any element
//! the document marks required gets 400 `Failed` 1.6 / 2.2 naming that
//! element, with every other element valid. (`openapi_check.rs` checks
//! the document against the router's table.)

mod server_support;

use serde_json::{Value, json};
use server_support::*;

fn spec() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn documented_routes_answer_and_their_required_elements_are_required() {
    let dir = tmpdir("openapi");
    let fleet = start_fleet(&dir, 2);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_all(api, &members[..1], 1);
    let (eid, ic) = (eid_of(&members[0]), iccid(1, 0));
    let aid = install(api, MNO_A, &eid, &ic, &msisdn_of(&members[0]));
    // A valid value for every element the documented bodies require.
    let valid = |name: &str| -> Value {
        match name {
            "Eid" => json!(eid),
            "Iccid" => json!(ic),
            "Pol2" => json!([]),
            "ConnectivityParameters" => json!("A00706059121436587F9"),
            "sd-aid" => json!(aid),
            "Data" => json!("00A4040000"),
            "Eis" => members[1]["Eis"].clone(),
            "Secrets" => members[1]["Secrets"].clone(),
            "SubscriptionAddress" => json!({"Msisdn": "31699999999"}),
            "M2MSP-id" => json!("MNO-B"),
            other => panic!("no test value for required element {other}"),
        }
    };
    let spec = spec();
    let mut checked = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        let Some(post) = ops.get("post") else {
            continue;
        };
        let token = if path.starts_with("/es1/") {
            EUM
        } else {
            MNO_A
        };
        let schema = &post["requestBody"]["content"]["application/json"]["schema"];
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        let (s, v) = call(api, token, "GET", path, &Value::Null);
        assert_eq!(s, 404, "GET {path} is no route: {v}");
        let (s, v) = call(api, token, "POST", path, &json!({}));
        assert!(s != 404 && s != 405, "POST {path}: {s} {v}");
        for missing in &required {
            let body: serde_json::Map<String, Value> = required
                .iter()
                .filter(|r| *r != missing)
                .map(|r| ((*r).to_owned(), valid(r)))
                .collect();
            let (s, v) = call(api, token, "POST", path, &Value::Object(body));
            let what = format!("{path} without {missing}: {v}");
            assert_eq!(s, 400, "{what}");
            let code = &v["FunctionExecutionStatus"]["StatusCodeData"];
            assert_eq!(code["Subject"], "1.6", "{what}");
            assert_eq!(code["Reason"], "2.2", "{what}");
            assert!(
                code["Message"].as_str().unwrap().contains(missing),
                "{what}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} required elements checked");
    // The GET routes, with ids the server handed out.
    let (s, v) = call(api, MNO_A, "GET", "/stats", &Value::Null);
    assert_eq!(s, 200, "{v}");
    let (s, v) = call(api, MNO_A, "GET", "/operations/1", &Value::Null);
    assert_eq!(s, 200, "{v}");
    let (s, b) = call(
        api,
        MNO_A,
        "POST",
        "/batch/AuditEIS",
        &json!({"Eids": [eid]}),
    );
    assert_eq!(s, 202, "{b}");
    let id = b["BatchId"].as_i64().expect("a batch id");
    let (s, v) = call(api, MNO_A, "GET", &format!("/batch/{id}"), &Value::Null);
    assert_eq!(s, 200, "{v}");
    for p in ["/operations/{id}", "/batch/{id}", "/stats"] {
        assert!(spec["paths"][p]["get"].is_object(), "{p} documented");
    }
}
