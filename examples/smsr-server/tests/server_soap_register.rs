#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! ES1.RegisterEIS over SOAP and mutual TLS with the EUM signature
//! checked: Python (`tests/peers/zeep_register.py`: `cryptography` for the
//! CI / EUM certificates and ECDSA, lxml for the exclusive C14N, zeep for
//! the request from our WSDL) registers a signed EIS, and ES4.GetEIS over
//! SOAP then returns it. A bad signature, an EUM certificate from another
//! CI, an expired one, an unsigned EIS (the default policy refuses it),
//! the MNO role and a malformed `Eis` are each refused with their code,
//! and GetEIS then finds no such EID. A signature without `KeyInfo` is
//! checked with the EUM certificate the config names for the caller. A
//! missing venv fails the test with the command that makes it.

mod server_soap_support;
mod server_support;

use std::path::{Path, PathBuf};
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
        .args(["-c", "import zeep, cryptography, lxml"])
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

fn script(python: &Path, args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("300")
        .arg(python)
        .arg(repo().join("examples/smsr-server/tests/peers/zeep_register.py"))
        .args(args)
        .output()
        .expect("run the zeep script");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "zeep_register.py {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The ES config with an EUM client (`eum-1`, id EUM-1) and the CI the
/// Python side made.
fn config(certs: &Certs, dir: &Path, ci: &Path) -> PathBuf {
    let path = certs.es_config(dir);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["Es"]["Clients"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Name": "eum-1", "Id": "EUM-1", "Roles": ["eum"]}));
    let eum = ci.with_file_name("eum-configured.pem");
    v["Es"]["Eum"] = json!({"Ci": ci, "Certificates": [{"Id": "EUM-1", "Cert": eum}]});
    std::fs::write(&path, v.to_string()).unwrap();
    path
}

fn code(v: &Value) -> (String, String, String) {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
    (s("Status"), s("Subject"), s("Reason"))
}

#[test]
fn a_signed_eis_registers_over_soap_and_every_bad_one_is_refused() {
    let python = python();
    require_openssl();
    let dir = tmpdir("soap-register");
    let certs = Certs::new(&dir);
    let eum = certs.pki.leaf("eum-1", "eum-1", "ca");
    let pki = dir.join("eum-pki");
    std::fs::create_dir_all(&pki).unwrap();
    script(&python, &["pki", pki.to_str().unwrap()]);
    let es_config = config(&certs, &dir, &pki.join("ci.pem"));
    let fleet = start_fleet(&dir, 1);
    let server = start_server(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &["--config", es_config.to_str().unwrap()],
    );
    let es = server.ready["Es"].as_str().unwrap();
    let m = &members(&fleet)[0];
    let p = |x: &Path| x.to_str().unwrap().to_owned();
    let cfg = json!({
        "wsdl": format!("https://{es}/es?wsdl"), "ca": p(&certs.pki.ca()), "pki": p(&pki),
        "eum_cert": p(&eum.0), "eum_key": p(&eum.1),
        "mno_cert": p(&certs.mno.0), "mno_key": p(&certs.mno.1),
        "eis": m["Eis"], "secrets": m["Secrets"],
    });
    let cfg_path = dir.join("register.json");
    std::fs::write(&cfg_path, cfg.to_string()).unwrap();
    let out = script(&python, &["run", cfg_path.to_str().unwrap()]);
    let report: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("no JSON ({e}): {out}"));

    assert_eq!(report["WsdlEs1"], json!(["RegisterEIS"]));
    let good = &report["good"];
    assert_eq!(good["Http"], 200, "{good}");
    assert_eq!(code(&good["Answer"]).0, "Executed-Success", "{good}");
    let got = &good["GetEIS"];
    assert_eq!(code(&got["Answer"]).0, "Executed-Success", "{got}");
    assert_eq!(got["Typed"]["Eid"], good["Eid"], "{got}");
    assert_eq!(
        got["Typed"]["RemainingMemory"], m["Eis"]["RemainingMemory"],
        "{got}"
    );
    assert_eq!(got["Typed"]["IsdrAid"], m["Eis"]["Isd-r"]["Aid"], "{got}");

    // Signed without KeyInfo: the certificate configured for EUM-1.
    let configured = &report["configured"];
    assert_eq!(
        code(&configured["Answer"]).0,
        "Executed-Success",
        "{configured}"
    );
    assert_eq!(
        code(&configured["GetEIS"]["Answer"]).0,
        "Executed-Success",
        "{configured}"
    );

    for (case, subject, reason) in [
        ("tampered", "8.1", "6.1"),
        ("rogue_ci", "8.1.2", "6.1"),
        ("expired", "8.1.2", "6.3"),
        ("unsigned", "1.6", "2.2"),
        ("malformed", "1.6", "2.1"),
        ("wrong_role", "1.1", "1.2"),
    ] {
        let r = &report[case];
        assert_eq!(
            code(&r["Answer"]),
            ("Failed".to_owned(), subject.to_owned(), reason.to_owned()),
            "{case}: {r}"
        );
        if case == "wrong_role" {
            // Refused before anything runs: a SOAP Sender fault.
            assert!(
                r["Fault"].as_str().is_some_and(|f| f.contains("ES1")),
                "{r}"
            );
            assert_ne!(r["Http"], 200, "{r}");
        } else {
            assert_eq!(r["Http"], 200, "{case}: {r}");
        }
        // Nothing stored.
        assert_eq!(
            code(&r["GetEIS"]["Answer"]),
            ("Failed".to_owned(), "8.1.1".to_owned(), "3.9".to_owned()),
            "{case}: {r}"
        );
    }
}
