#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The PKCS#11 custody (`--keys pkcs11:FILE`, keys/pkcs11.rs) against the
//! SoftHSM2 token of `.ci/softhsm.sh`: the database keeps labels and the
//! wrapped PSK only (no key bytes, sealed or not); OTA over SCP80 and
//! SCP81 runs through the token; the sealed custody refuses such a
//! database; an HSM that drops its login mid-batch fails the operations
//! it was doing cleanly and they resume once logged in again, with no
//! counter reused and every EIS equal to its card.

mod server_keys_support;
mod server_support;

use std::time::Duration;

use serde_json::{Value, json};
use server_keys_support::*;
use server_support::*;

#[test]
fn the_pkcs11_custody_keeps_labels_only_and_runs_ota_through_the_token() {
    let dir = tmpdir("keys-hsm");
    let fleet = start_fleet(&dir, 3);
    let mut members = members(&fleet);
    // One eUICC over SCP80 only, the others over SCP81 (the PSK).
    members[1]["Eis"]["EumSignedInfo"]["EuiccCapabilities"]["HttpSupport"] = json!(false);
    let db = dir.join("db.sqlite");
    let keys = pkcs11_keys_arg();
    let server = start_server(&dir, &db, &smsc(&fleet), &["--keys", &keys]);
    let addr = api(&server);
    register_all(addr, &members, 3);
    install_enable_and_compare(addr, &smsc(&fleet), &members);
    let (_, stats) = call(addr, MNO_A, "GET", "/stats", &Value::Null);
    assert!(
        stats["Engine"]["Scp81Sessions"].as_u64().unwrap() > 0,
        "{stats}"
    );
    drop(server);

    // The records name token objects; no key is in the database.
    let dump = sqlite_dump(&db);
    for m in &members {
        let label = format!("{}/scp80/1/kic", eid_of(m));
        assert!(dump.contains(&label), "no {label} in {dump}");
    }
    assert!(dump.contains("PKCS#11") && !dump.contains("AES-256-GCM"));
    assert_no_key("the SQLite dump", dump.as_bytes(), &members);
    assert_no_key("the SQLite files", &sqlite_bytes(&db), &members);

    // The sealed custody does not take such a database, and changes
    // nothing.
    let err = refused(&dir, &db, &master_key_file(), &smsc(&fleet));
    assert!(err.contains("held by the PKCS#11 custody"), "{err}");
    assert_eq!(sqlite_dump(&db), dump, "the refused start changed it");

    // Restarted on the token: the keys are found again.
    let server = start_server(&dir, &db, &smsc(&fleet), &["--keys", &keys]);
    audit_all(api(&server), &members);
}

#[test]
fn an_hsm_that_drops_its_login_mid_batch_fails_cleanly_and_resumes() {
    let dir = tmpdir("keys-hsm-away");
    let n = 4;
    let fleet = start_fleet(&dir, n);
    let members = members(&fleet);
    let db = dir.join("db.sqlite");
    // Registered first (an outage during RegisterEIS fails it, and the
    // EUM registers again: nothing is stored).
    let server = start_server(&dir, &db, &smsc(&fleet), &["--keys", &pkcs11_keys_arg()]);
    register_all(api(&server), &members, 2);
    drop(server);
    // Then the token logs the server out before every 11th operation (the
    // start's check of the first and last record takes 8; an SCP80 packet
    // is a MAC and an encryption, a PoR a decryption and a MAC, a PSK an
    // unwrap): outages all through the installs and the batch.
    let file = dir.join("pkcs11-away.json");
    let mut conf: Value =
        serde_json::from_str(&std::fs::read_to_string(pkcs11_file()).unwrap()).unwrap();
    conf["DangerousLogoutEvery"] = json!(11);
    std::fs::write(&file, conf.to_string()).unwrap();
    let keys = format!("pkcs11:{}", file.display());
    let server = start_server(
        &dir,
        &db,
        &smsc(&fleet),
        // Each outage costs a relogin with backoff and a retry: on a loaded
        // machine a function may need more than the default 30 s wait, and
        // the helpers expect it answered within the request.
        &[
            "--keys",
            &keys,
            "--attempts",
            "10",
            "--backoff-ms",
            "50",
            "--wait-ms",
            "120000",
        ],
    );
    let api = api(&server);
    install_enable_and_compare(api, &smsc(&fleet), &members);

    // Through a batch too: every audit completes.
    let eids: Vec<String> = members.iter().map(eid_of).collect();
    let p = audit_batch_and_wait(api, MNO_A, &eids, Duration::from_secs(120));
    assert_eq!(p["Succeeded"], n, "{p}");
    let (_, stats) = call(api, MNO_A, "GET", "/stats", &Value::Null);
    assert!(
        stats["Engine"]["Retries"].as_u64().unwrap() > 0,
        "no operation met the outage: {stats}"
    );
    assert_eq!(
        fleet_report(&smsc(&fleet))["CounterRefusals"],
        0,
        "a counter was reused"
    );
    drop(server);
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap();
    assert!(log.contains("session logged out"), "{log}");
    assert!(log.contains("HSM: logged in again"), "{log}");
    // No fallback to memory: the failures name the token.
    assert!(log.contains("HSM operation failed"), "{log}");
}

/// `smsr-server import` (bulk RegisterEIS) and `import-keys` on the
/// PKCS#11 custody: the keys go to the token, the database keeps labels,
/// and the cards answer with the imported keys.
#[test]
fn bulk_import_and_import_keys_put_the_keys_in_the_token() {
    let dir = tmpdir("keys-hsm-import");
    let fleet = start_fleet(&dir, 3);
    let members = members(&fleet);
    let db = dir.join("db.sqlite");
    let keys = pkcs11_keys_arg();
    let run = |args: &[&str], file: &std::path::Path| {
        let out = std::process::Command::new(binary())
            .args(args)
            .arg("--db")
            .arg(&db)
            .args(["--keys", &keys])
            .arg(file)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // Registered in bulk with stand-in keys, then the EUM's key file.
    let bulk = dir.join("bulk.jsonl");
    let stand_in: Vec<String> = members
        .iter()
        .map(|m| {
            let mut m = m.clone();
            for k in ["Scp80Kic", "Scp80Kid", "Scp81Psk"] {
                m["Secrets"][k] = json!("5A".repeat(16));
            }
            json!({"Eis": m["Eis"], "Secrets": m["Secrets"]}).to_string()
        })
        .collect();
    std::fs::write(&bulk, stand_in.join("\n") + "\n").unwrap();
    run(&["import", "--smsr-id", "SMSR-TEST"], &bulk);
    let file = dir.join("keys.jsonl");
    let lines: Vec<String> = members
        .iter()
        .map(|m| {
            let mut v = m["Secrets"].clone();
            v["Eid"] = json!(eid_of(m));
            v.to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    run(&["import-keys"], &file);
    let dump = sqlite_dump(&db);
    assert!(dump.contains("PKCS#11") && !dump.contains("AES-256-GCM"));
    assert_no_key("the SQLite files", &sqlite_bytes(&db), &members);
    let server = start_server(&dir, &db, &smsc(&fleet), &["--keys", &keys]);
    audit_all(api(&server), &members);
}

/// Every `tests/server_*.rs` binary is in `.ci/test`'s PKCS#11 pass or is
/// named in that pass's comment, which says why it is not: a binary added
/// later is not left on the sealed custody alone without a word.
#[test]
fn every_server_test_binary_is_in_the_pkcs11_pass_or_says_why_not() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ci = std::fs::read_to_string(root.join("../../.ci/test")).unwrap();
    let pass = &ci[ci
        .find("SMSR_TEST_CUSTODY=pkcs11: every server")
        .expect("the PKCS#11 pass of .ci/test")..];
    let words = |comment: bool| -> Vec<String> {
        pass.lines()
            .filter(|l| l.trim_start().starts_with('#') == comment)
            .flat_map(|l| l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
            .map(str::to_owned)
            .collect()
    };
    let code = words(false);
    let listed: Vec<&String> = code
        .windows(2)
        .filter(|w| w[0] == "test")
        .map(|w| &w[1])
        .collect();
    let named = words(true);
    let mut bins = 0;
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        let Some(bin) = file
            .strip_suffix(".rs")
            .filter(|b| b.starts_with("server_"))
        else {
            continue;
        };
        bins += 1;
        let (l, n) = (
            listed.iter().any(|t| *t == bin),
            named.iter().any(|t| t == bin),
        );
        assert!(
            l || n,
            "{bin} is neither in the PKCS#11 pass of .ci/test nor named in its comment"
        );
        assert!(
            !(l && n),
            "{bin} is both in the PKCS#11 pass and named as left out"
        );
    }
    assert!(bins > 20, "only {bins} server test binaries found");
}
