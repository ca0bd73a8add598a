#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Runs `smsr-tool sim` as another tool would: TP-UD hex lines in, PoR hex
//! lines out (the binary Cargo built for this test run).

#[path = "../../../tests/sim_support/mod.rs"]
mod sim_support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use sim_support::Server;
use smsr::apdu::StatusWord;
use smsr::isdr::{Aid, Tar, es5};
use smsr::scp80::PorStatus;
use smsr::sim::{Outgoing, OutgoingKind, fleet};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smsr-tool"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn stdin_packets_to_por_lines() {
    // The server knows the deterministic default keys: fleet member 0 of seed 5.
    let cfg = fleet::member(5, 0).unwrap();
    let mut server = Server::new(&cfg);
    let aid = Aid::isd_p(Tar::from_value(0x10)).unwrap();
    let create = es5::create_isdp(&aid, None).unwrap();
    let script = Server::script_bytes(&[create.as_bytes()], smsr::remote::Coding::Definite);
    let h1 = server.header();
    let p1 = server.segments(&h1, &script);
    // The same packet again: a replay.
    let input = format!(
        "# two packets\n{}\n\n{}\n",
        hex::encode(&p1[0]),
        hex::encode(&p1[0])
    );
    let o = run(&["sim", "--seed", "5"], &input);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines: Vec<Vec<u8>> = String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(|l| hex::decode(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    let por = |tp_ud: &Vec<u8>| Outgoing {
        at_ms: 0,
        kind: OutgoingKind::Por,
        tp_ud: tp_ud.clone(),
    };
    let ex = server.read(&h1, &[por(&lines[0])]);
    assert_eq!(
        (ex.status, ex.sw(0)),
        (Some(PorStatus::OK), StatusWord::SUCCESS)
    );
    let ex = server.read(&h1, &[por(&lines[1])]);
    assert_eq!(ex.status, Some(PorStatus::CNTR_LOW));
}

#[test]
fn config_flags_and_errors() {
    let o = run(
        &[
            "sim",
            "--show-config",
            "--eid",
            "89049032123451234512345678901235",
            "--kvn",
            "3",
        ],
        "",
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["eid"], "89049032123451234512345678901235");
    assert_eq!(v["scp80"]["kic_octet"], "32");
    for bad in [
        &["sim", "--eid", "89049032123451234512345678901234"][..],
        &["sim", "--kic", "0011"],
        &["sim", "--kvn", "16"],
    ] {
        let o = run(bad, "");
        assert_eq!(o.status.code(), Some(1), "{bad:?}");
        assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: "));
    }
    // An unknown option is a usage error: exit 2.
    let o = run(&["sim", "--bogus"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: "));
    let o = run(&["sim"], "zz\n");
    assert_eq!(o.status.code(), Some(1));
    let o = run(&["sim", "--drop-por", "1001"], "");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn dropped_pors_on_request() {
    let cfg = fleet::member(0, 0).unwrap();
    let mut server = Server::new(&cfg);
    let audit = es5::audit_card_resources().unwrap();
    let script = Server::script_bytes(&[audit.as_bytes()], smsr::remote::Coding::Definite);
    let mut input = String::new();
    for _ in 0..4 {
        let h = server.header();
        input += &hex::encode(&server.segments(&h, &script)[0]);
        input.push('\n');
    }
    let o = run(&["sim", "--drop-por", "1000"], &input);
    assert!(o.status.success());
    assert!(o.stdout.is_empty());
    let o = run(&["sim"], &input);
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 4);
}

#[test]
fn trigger_reports_the_session_on_stderr() {
    let cfg = fleet::member(0, 0).unwrap();
    let mut server = Server::new(&cfg);
    let h = server.header();
    let seg = server.segments(&h, &[0x81, 0x00]).remove(0);
    let o = run(&["sim"], &format!("{}\n", hex::encode(seg)));
    assert!(o.status.success());
    let err = String::from_utf8(o.stderr).unwrap();
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("admin-session: "))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(
        (v["kvn"].as_u64(), v["kid"].as_u64(), v["uri"].as_str()),
        (Some(0x40), Some(1), Some("/"))
    );
    assert!(
        v["psk_identity"]
            .as_str()
            .unwrap()
            .starts_with("8001028110")
    );
    // The PoR of the trigger packet on stdout.
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 1);
}
