#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! An independent SOAP stack drives the ES listener: Python `zeep` (pinned
//! in `.ci/requirements.txt`, installed into `.ci/venv` by `.ci/soap.sh`)
//! loads our WSDL from the running server over mutual TLS and calls every
//! ES3 and ES4 function against a simulated fleet, with `ReplyTo` naming
//! its own mutual-TLS callback listener (`tests/peers/zeep_es.py`). The
//! script prints what it saw; this test asserts on it. A missing venv
//! fails the test with the command that makes it.

mod server_soap_support;
mod server_support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use server_soap_support::*;
use server_support::*;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's Python, or a failure naming the setup command.
fn python() -> PathBuf {
    let p = repo().join(".ci/venv/bin/python");
    let ok = Command::new(&p)
        .args(["-c", "import zeep"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "the zeep venv is missing: run `bash .ci/soap.sh` in the repository root \
         (it creates .ci/venv from .ci/requirements.txt)"
    );
    p
}

const ES3: [&str; 12] = [
    "AuditEIS",
    "CreateISDP",
    "DeleteISDP",
    "DisableProfile",
    "EnableProfile",
    "GetEIS",
    "ProfileDownloadCompleted",
    "SendData",
    "SetEmergencyProfileAttribute",
    "SetFallBackAttribute",
    "UpdateConnectivityParameters",
    "UpdatePolicyRules",
];
const ES4: [&str; 14] = [
    "AuditEIS",
    "DeleteProfile",
    "DisableProfile",
    "EnableProfile",
    "GetAuthorisationsOfM2MSP",
    "GetEIS",
    "GetONC",
    "GetPLMA",
    "SetEmergencyProfileAttribute",
    "SetFallBackAttribute",
    "SetONC",
    "SetPLMA",
    "UpdatePolicyRules",
    "UpdateSubscriptionAddress",
];

#[test]
fn zeep_calls_every_es3_and_es4_function_over_mutual_tls() {
    let python = python();
    require_openssl();
    let dir = tmpdir("soap-zeep");
    let certs = Certs::new(&dir);
    let es_config = certs.es_config(&dir);
    // The script's callback listener is also MNO-A's notification endpoint
    // (ES3 and ES4: MNO-A is the profiles' SM-DP too).
    let callback_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let es_config = with_notifications(&es_config, callback_port);
    let fleet = start_fleet(&dir, 1);
    // --wait-ms 0: every function that goes to the eUICC is answered
    // asynchronously to the script's ReplyTo.
    let server = start_server(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &["--config", es_config.to_str().unwrap(), "--wait-ms", "0"],
    );
    let m = &members(&fleet)[0];
    register_all(api(&server), std::slice::from_ref(m), 1);
    let es = server.ready["Es"].as_str().unwrap();
    let (iccid1, iccid2) = (iccid(1, 0), iccid(1, 1));
    let eid = eid_of(m);
    let p = |x: &PathBuf| x.to_str().unwrap().to_owned();
    let cfg = json!({
        "wsdl": format!("https://{es}/es?wsdl"),
        "ca": p(&certs.pki.ca()),
        "mno_cert": p(&certs.mno.0), "mno_key": p(&certs.mno.1),
        "smdp_cert": p(&certs.smdp.0), "smdp_key": p(&certs.smdp.1),
        "callback_cert": p(&certs.callback.0), "callback_key": p(&certs.callback.1),
        "eid": eid_of(m), "msisdn": msisdn_of(m), "iccid": iccid1, "iccid2": iccid2,
        "scripts": {iccid1.clone(): download_script(&iccid1), iccid2.clone(): download_script(&iccid2)},
        "callback_port": callback_port, "notifications_min": 2, "notifications_wait": 60,
    });
    let cfg_path = dir.join("zeep.json");
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    let out = Command::new("timeout")
        .arg("300")
        .arg(&python)
        .arg(repo().join("examples/smsr-server/tests/peers/zeep_es.py"))
        .arg(&cfg_path)
        .output()
        .expect("run the zeep script");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "zeep script failed: {stderr}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("zeep output is no JSON ({e}): {stderr}"));

    assert_notifications(&report, &eid_of(m));
    // zeep read every operation from our WSDL.
    assert_eq!(report["WsdlOperations"]["ES3"], json!(ES3));
    assert_eq!(report["WsdlOperations"]["ES4"], json!(ES4));
    let calls = report["Calls"].as_array().unwrap();
    for (iface, names) in [("ES3", &ES3[..]), ("ES4", &ES4[..])] {
        for n in names {
            assert!(
                calls
                    .iter()
                    .any(|c| c["Interface"] == iface && c["Function"] == *n),
                "{iface}.{n} not called"
            );
        }
    }
    for c in calls {
        eprintln!(
            "{}.{} {} {} {} {}",
            c["Interface"],
            c["Function"],
            c["Mode"],
            c["Answer"]["Status"],
            c["Answer"]["Subject"],
            c["Answer"]["Reason"]
        );
    }
    let mut async_calls = 0;
    for c in calls {
        let what = format!("{}.{}: {c}", c["Interface"], c["Function"]);
        let status = c["Answer"]["Status"].as_str();
        assert!(status.is_some(), "no FunctionExecutionStatus: {what}");
        if status != Some("Executed-Success") {
            // A refusal by the EIS rules names its SGP.02 subject and reason.
            assert!(c["Answer"]["Subject"].is_string(), "{what}");
            assert!(c["Answer"]["Reason"].is_string(), "{what}");
        }
        match c["Mode"].as_str() {
            Some("sync") => {
                assert_eq!(c["Http"], 200, "{what}");
                assert_eq!(c["RelatesTo"], c["MessageID"], "{what}");
                // zeep itself deserialised the answer with our XSD.
                assert_eq!(c["Typed"]["Status"].as_str(), status, "{what}");
                // An answer with the EIS: zeep read it into typed objects
                // (EISType), the EID as text, the memory as an integer.
                let typed = &c["Typed"]["Eis"];
                if c["Function"] == "GetEIS" {
                    assert_eq!(typed["Eid"].as_str(), Some(eid.as_str()), "{what}");
                    assert!(typed["RemainingMemory"].is_u64(), "{what}");
                    assert_eq!(typed["HttpSupport"], true, "{what}");
                    assert_eq!(typed["IsdrRole"], "ISD-R", "{what}");
                }
                if c["Function"] == "GetEIS" && c["Interface"] == "ES4" {
                    // Installed through ES3 before: its state, typed.
                    assert!(typed["Profiles"][&iccid1].is_string(), "{what}");
                }
            }
            Some("callback") => {
                async_calls += 1;
                let cb = &c["Callback"];
                assert_eq!(cb["ClientCN"], "smsr", "{what}");
                assert_eq!(
                    cb["Body"],
                    format!("{}Response", c["Function"].as_str().unwrap())
                );
                let action = format!(
                    "/{0}-{1}",
                    c["Interface"].as_str().unwrap(),
                    c["Function"].as_str().unwrap()
                );
                assert!(cb["Action"].as_str().unwrap().ends_with(&action), "{what}");
                assert!(
                    cb["Action"].as_str().unwrap().contains("CallBack/"),
                    "{what}"
                );
            }
            _ => panic!("no answer at all: {what}"),
        }
    }
    // GetEIS never waits on the eUICC: answered at once, its EIS typed.
    for c in calls.iter().filter(|c| c["Function"] == "GetEIS") {
        assert_eq!(c["Mode"], "sync", "{c}");
        assert!(c["Typed"]["Eis"].is_object(), "{c}");
    }
    // Every asynchronous answer arrived exactly once.
    assert!(async_calls >= 8, "only {async_calls} asynchronous answers");
    assert_eq!(report["Callbacks"].as_array().unwrap().len(), async_calls);
    // The lifecycle itself succeeded where it must.
    let success = |iface: &str, f: &str| {
        calls
            .iter()
            .filter(|c| c["Interface"] == iface && c["Function"] == f)
            .all(|c| c["Answer"]["Status"] == "Executed-Success")
    };
    for (iface, f) in [
        ("ES3", "GetEIS"),
        ("ES3", "CreateISDP"),
        ("ES3", "SendData"),
        ("ES3", "ProfileDownloadCompleted"),
        ("ES3", "UpdatePolicyRules"),
        ("ES3", "DeleteISDP"),
        ("ES3", "AuditEIS"),
        ("ES4", "GetEIS"),
        ("ES4", "UpdatePolicyRules"),
        ("ES4", "UpdateSubscriptionAddress"),
        ("ES4", "SetPLMA"),
        ("ES4", "GetPLMA"),
        ("ES4", "SetONC"),
        ("ES4", "GetONC"),
        ("ES4", "GetAuthorisationsOfM2MSP"),
    ] {
        assert!(
            success(iface, f),
            "{iface}.{f} did not succeed (see the table above)"
        );
    }
    // GetPLMA answered the PLMA granted, then nothing once revoked: in the
    // raw XML and as zeep deserialised it with our XSD's PLMAType.
    for key in ["Plma", "Typed"] {
        let plmas: Vec<Value> = calls
            .iter()
            .filter(|c| c["Interface"] == "ES4" && c["Function"] == "GetPLMA")
            .map(|c| {
                if key == "Plma" {
                    c["Plma"].clone()
                } else {
                    c["Typed"]["Plma"].clone()
                }
            })
            .collect();
        assert_eq!(plmas, [json!(["MNO-B"]), json!([])], "{key}");
    }
    // GetONC answered the ONC set, as zeep read it with our ONCType; the
    // caller was granted no PLMA.
    let one = |f: &str| {
        let v: Vec<&Value> = calls
            .iter()
            .filter(|c| c["Interface"] == "ES4" && c["Function"] == f)
            .collect();
        assert_eq!(v.len(), 1, "{f}");
        v[0].clone()
    };
    assert_eq!(
        one("GetONC")["Typed"]["Onc"],
        json!([["MNO-A", "meter", ["HandleProfileDisabledNotification"]]])
    );
    assert_eq!(one("GetAuthorisationsOfM2MSP")["Typed"]["Plma"], json!([]));
}

/// `es_config` with MNO-A's notification endpoint on the script's callback
/// listener.
fn with_notifications(es_config: &std::path::Path, port: u16) -> PathBuf {
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(es_config).unwrap()).unwrap();
    v["Es"]["Notifications"] = json!([
        {"Id": "MNO-A", "Url": format!("https://127.0.0.1:{port}/callbacks")}
    ]);
    let path = es_config.with_file_name("es-notifications.json");
    std::fs::write(&path, v.to_string()).unwrap();
    path
}

/// The Handle*Notification messages the script's listener received: each
/// once (by MessageID), from the SM-SR's certificate, deserialised by zeep
/// with our WSDL's callback binding, naming the eUICC. MNO-A is requester,
/// owner and SM-DP of every change the lifecycle makes, so it is told only
/// what the eUICC itself reported (`smsr::inventory::notify`: nobody hears
/// of their own function): its profile enabled, over ES3 and ES4; the
/// disables, deletions and attribute changes it asked for are not told
/// back to it.
fn assert_notifications(report: &Value, eid: &str) {
    let got = report["Notifications"].as_array().expect("Notifications");
    let mut ids = std::collections::BTreeSet::new();
    let mut kinds = std::collections::BTreeSet::new();
    for n in got {
        assert!(
            ids.insert(n["MessageID"].as_str().unwrap().to_owned()),
            "twice: {n}"
        );
        assert_eq!(n["ClientCN"], "smsr", "{n}");
        assert_eq!(n["Typed"]["Eid"], eid, "zeep read it with our WSDL: {n}");
        assert_eq!(n["Typed"]["Requester"], "SMSR-TEST", "{n}");
        assert!(n["Action"].as_str().unwrap().ends_with(&format!(
            "/{}-{}",
            n["Interface"].as_str().unwrap(),
            n["Body"].as_str().unwrap()
        )));
        kinds.insert((
            n["Interface"].as_str().unwrap().to_owned(),
            n["Body"].as_str().unwrap().to_owned(),
        ));
    }
    let want: std::collections::BTreeSet<(String, String)> = ["ES3", "ES4"]
        .iter()
        .map(|i| {
            (
                (*i).to_owned(),
                "HandleProfileEnabledNotification".to_owned(),
            )
        })
        .collect();
    assert_eq!(kinds, want);
}
