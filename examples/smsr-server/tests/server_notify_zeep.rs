#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! zeep observes every notification kind at the right party: two MNOs and
//! an SM-DP, each its own identity (bearer token on the JSON API that
//! drives the functions) and its own mutual-TLS callback listener run by
//! zeep (`tests/peers/zeep_notify.py`, certificate per party), which
//! deserialises each Handle*Notification with our WSDL's callback
//! bindings. SMDP-1 downloads MNO-A's profiles under MNO-A's PLMA; MNO-B
//! takes the eUICC. Each notification arrives once (by MessageID), at its
//! owner over ES4 or its SM-DP over ES3, and never at the function's
//! requester (the one exception, by design of `inventory::notify`: an
//! enabling reported by the eUICC itself reaches every party of the
//! profile, the requester too).

mod server_soap_support;
mod server_support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use server_soap_support::*;
use server_support::*;

const SMDP: &str = "smdp-1-token";

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// SMDP-1 downloads profile `iccid` of MNO-A (under its PLMA).
fn smdp_install(api: SocketAddr, eid: &str, iccid: &str, msisdn: &str) {
    let v = ok(
        api,
        SMDP,
        "/es3/CreateISDP",
        json!({"Eid": eid, "Iccid": iccid, "Mno-id": "MNO-A", "RequiredMemory": 8192}),
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
        SMDP,
        "/es3/SendData",
        json!({"Eid": eid, "sd-aid": aid, "Data": download_script(iccid)}),
    );
    ok(
        api,
        SMDP,
        "/es3/ProfileDownloadCompleted",
        json!({"Eid": eid, "Iccid": iccid, "SubscriptionAddress": {"Msisdn": msisdn}}),
    );
}

fn want(items: &[(&str, &str, usize)]) -> BTreeMap<(String, String), usize> {
    items
        .iter()
        .map(|(i, k, n)| ((i.to_string(), format!("Handle{k}Notification")), *n))
        .collect()
}

#[test]
fn zeep_receives_every_notification_kind_at_the_right_party_once() {
    let python = python();
    require_openssl();
    let dir = tmpdir("notify-zeep");
    let certs = Certs::new(&dir);
    let parties = ["MNO-A", "MNO-B", "SMDP-1"];
    let mut listeners = serde_json::Map::new();
    let mut endpoints = Vec::new();
    for p in parties {
        let port = free_port();
        let file = format!("cb-{}", p.to_lowercase());
        let (cert, key) = certs.pki.leaf(&file, &file, "ca");
        listeners.insert(p.into(), json!({"port": port, "cert": cert, "key": key}));
        endpoints.push(json!({"Id": p, "Url": format!("https://127.0.0.1:{port}/{p}")}));
    }
    let config = dir.join("es-zeep-notify.json");
    let v = json!({
        "Operators": [
            {"Id": "EUM-DEMO", "Token": EUM, "Roles": ["eum"]},
            {"Id": "MNO-A", "Token": MNO_A, "Roles": ["mno"]},
            {"Id": "MNO-B", "Token": MNO_B, "Roles": ["mno", "smdp"]},
            {"Id": "SMDP-1", "Token": SMDP, "Roles": ["smdp"]}
        ],
        "Es": {
            "Listen": "127.0.0.1:0",
            "Cert": certs.smsr.0, "Key": certs.smsr.1, "ClientCa": certs.pki.ca(),
            "Clients": [{"Name": "mno-a", "Id": "MNO-A", "Roles": ["mno"]}],
            "Notifications": endpoints, "CallbackBackoffMs": 100
        }
    });
    std::fs::write(&config, v.to_string()).unwrap();
    let fleet = start_fleet(&dir, 1);
    let server = start_server(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &["--config", config.to_str().unwrap()],
    );
    let api = api(&server);
    let m = &members(&fleet)[0];
    register_all(api, std::slice::from_ref(m), 1);
    let (eid, msisdn) = (eid_of(m), msisdn_of(m));

    let a = want(&[
        ("ES4", "ProfileDownloaded", 2),
        ("ES4", "ProfileEnabled", 1),
        ("ES4", "ProfileDisabled", 1),
        ("ES4", "FallBackAttributeUnset", 1),
    ]);
    let s = want(&[
        ("ES3", "PLMASetting", 1),
        ("ES3", "ProfileEnabled", 1),
        ("ES3", "ProfilePOL2Updated", 2),
        ("ES3", "FallBackAttributeSet", 1),
        ("ES3", "ProfileDisabled", 1),
        ("ES3", "FallBackAttributeUnset", 1),
        ("ES3", "ProfileDeleted", 1),
        ("ES3", "EmergencyProfileAttributeSet", 1),
    ]);
    let b = want(&[("ES3", "ProfileEnabled", 1), ("ES4", "ProfileEnabled", 1)]);
    let es = server.ready["Es"].as_str().unwrap();
    let p = |x: &PathBuf| x.to_str().unwrap().to_owned();
    let cfg = json!({
        "wsdl": format!("https://{es}/es?wsdl"),
        "ca": p(&certs.pki.ca()),
        "mno_cert": p(&certs.mno.0), "mno_key": p(&certs.mno.1),
        "parties": listeners,
        "expect": {"MNO-A": a.values().sum::<usize>(), "SMDP-1": s.values().sum::<usize>(),
                   "MNO-B": b.values().sum::<usize>()},
        "wait": 120, "grace": 2,
    });
    let cfg_path = dir.join("zeep-notify.json");
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    let mut child = Command::new("timeout")
        .arg("300")
        .arg(&python)
        .arg(repo().join("examples/smsr-server/tests/peers/zeep_notify.py"))
        .arg(&cfg_path)
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the zeep script");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "READY", "zeep listeners did not start");

    let (p1, p2, b1) = (iccid(1, 0), iccid(1, 1), iccid(2, 0));
    let on = |iccid: &str| json!({"Eid": eid, "Iccid": iccid});
    ok(
        api,
        MNO_A,
        "/es4/SetPLMA",
        json!({"M2MSP-id": "SMDP-1",
        "Function": ["CreateISDP", "SendData", "ProfileDownloadCompleted", "GetEIS"]}),
    );
    smdp_install(api, &eid, &p1, &msisdn);
    ok(api, MNO_A, "/es4/EnableProfile", on(&p1));
    ok(
        api,
        MNO_A,
        "/es4/UpdatePolicyRules",
        json!({"Eid": eid, "Iccid": p1,
        "Pol2": [{"Action": "DISABLE", "Qualification": "Not-Allowed"}]}),
    );
    ok(
        api,
        MNO_A,
        "/es4/UpdatePolicyRules",
        json!({"Eid": eid, "Iccid": p1, "Pol2": []}),
    );
    ok(api, MNO_A, "/es4/SetFallbackAttribute", on(&p1));
    install(api, MNO_B, &eid, &b1, &msisdn);
    ok(api, MNO_B, "/es4/EnableProfile", on(&b1));
    ok(api, MNO_B, "/es4/SetFallbackAttribute", on(&b1));
    ok(api, MNO_A, "/es4/DeleteProfile", on(&p1));
    smdp_install(api, &eid, &p2, &msisdn);
    ok(api, MNO_A, "/es4/SetEmergencyProfileAttribute", on(&p2));

    let mut text = String::new();
    std::io::Read::read_to_string(&mut out, &mut text).unwrap();
    assert!(
        child.wait().unwrap().success(),
        "zeep script failed: {text}"
    );
    let report: Value = serde_json::from_str(text.trim()).unwrap();
    for (party, expected) in [("MNO-A", &a), ("SMDP-1", &s), ("MNO-B", &b)] {
        let got = report[party].as_array().unwrap();
        let mut ids = std::collections::BTreeSet::new();
        let mut tally = BTreeMap::new();
        for n in got {
            assert!(
                ids.insert(n["MessageID"].as_str().unwrap().to_owned()),
                "twice: {n}"
            );
            assert_eq!(n["ClientCN"], "smsr", "{n}");
            let t = &n["Typed"];
            assert!(
                t.get("Error").is_none(),
                "zeep could not read it with our WSDL: {n}"
            );
            assert_eq!(t["Requester"], "SMSR-TEST", "{n}");
            if n["Body"] == "HandlePLMASettingNotification" {
                assert_eq!(
                    t["Plma"],
                    json!({"Mno-id": "MNO-A", "M2MSP-id": "SMDP-1", "ProfileType": null,
                           "Function": ["CreateISDP", "SendData", "ProfileDownloadCompleted", "GetEIS"]}),
                    "{n}"
                );
            } else {
                assert_eq!(t["Eid"], eid, "{n}");
            }
            let key = (
                n["Interface"].as_str().unwrap().to_owned(),
                n["Body"].as_str().unwrap().to_owned(),
            );
            *tally.entry(key).or_insert(0) += 1;
        }
        assert_eq!(&tally, expected, "{party}: {}", report[party]);
    }
}
