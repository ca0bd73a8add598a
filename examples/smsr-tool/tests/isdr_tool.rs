#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Runs `smsr-tool es5` / `smsr-tool eid` (the binary Cargo built for
//! this test run).

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smsr-tool"))
        .args(args)
        .output()
        .unwrap()
}

fn ok_stdout(args: &[&str]) -> String {
    let o = run(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn fails(args: &[&str]) {
    let o = run(args);
    assert_eq!(o.status.code(), Some(1), "{args:?}");
    let e = String::from_utf8(o.stderr).unwrap();
    assert_eq!(e.lines().count(), 1, "{e:?}");
    assert!(e.starts_with("error: "), "{e:?}");
}

/// A command line clap cannot parse: exit 2, clap's `error: ...` first.
fn usage_error(args: &[&str]) {
    let o = run(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}");
    let e = String::from_utf8(o.stderr).unwrap();
    assert!(e.starts_with("error: "), "{e:?}");
    assert!(o.stdout.is_empty());
}

#[test]
fn es5_commands_print_apdus() {
    // whty HexTest CreateISDP vector.
    let out = ok_stdout(&[
        "es5",
        "create-isdp",
        "--isdp-aid",
        "A0000005591010FFFFFFFF8900001300",
    ]);
    assert_eq!(
        out.trim(),
        "80E60C003F10A0000005591010FFFFFFFF8900000D0010A0000005591010FFFFFFFF8900000E0010A0000005591010FFFFFFFF89000013000380C00006C9048102037000"
    );
    let out = ok_stdout(&[
        "es5",
        "enable",
        "--isdp-aid",
        "A0000005591010FFFFFFFF8900001000",
    ]);
    assert_eq!(
        out.trim(),
        "80E28800153A03124F10A0000005591010FFFFFFFF8900001000"
    );
    let out = ok_stdout(&["es5", "confirm-notification", "--seq", "1"]);
    assert_eq!(out.trim(), "80E28900073A08044E02000100");
    let out = ok_stdout(&["es5", "audit"]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["80CAFF2100", "80F24002024F0000"]
    );
    let out = ok_stdout(&[
        "es5",
        "disable",
        "--isdp-aid",
        "A0000005591010FFFFFFFF8900001000",
        "--script",
    ]);
    assert_eq!(
        out.trim(),
        "AA1C221A80E28800153A04124F10A0000005591010FFFFFFFF8900001000"
    );
}

#[test]
fn es5_bad_input() {
    // A missing required option and an unknown command are usage errors.
    usage_error(&["es5", "enable"]);
    fails(&[
        "es5",
        "enable",
        "--isdp-aid",
        "A0000005591010FFFFFFFF8900000100",
    ]);
    fails(&["es5", "enable", "--isdp-aid", "XYZ"]);
    fails(&[
        "es5",
        "create-isdp",
        "--isdp-aid",
        "A0000005591010FFFFFFFF8900001300",
        "--memory",
        "lots",
    ]);
    fails(&["es5", "confirm-notification", "--seq", "70000"]);
    fails(&["es5", "parse-notification", "E1"]);
    usage_error(&["es5", "frobnicate"]);
}

#[test]
fn parse_notification_json() {
    let out = ok_stdout(&[
        "es5",
        "parse-notification",
        "E12B4C10890010120123412340123456789012244D01054E0200094F10A0000005591010FFFFFFFF8900001000",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["Eid"], "89001012012341234012345678901224");
    assert_eq!(v["NotificationType"], "05");
    assert_eq!(v["SequenceNumber"], 9);
    assert_eq!(v["Isd-p-aid"], "A0000005591010FFFFFFFF8900001000");
}

#[test]
fn eid_check() {
    let out = ok_stdout(&["eid", "check", "89049032123451234512345678901235"]);
    assert!(out.contains("check digits ok"));
    fails(&["eid", "check", "89049032123451234512345678901234"]);
    fails(&["eid", "check", "8904"]);
    let out = ok_stdout(&["eid", "compute", "890490321234512345123456789012"]);
    assert_eq!(out.trim(), "89049032123451234512345678901235");
}
