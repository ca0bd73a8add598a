//! Runs the `smsr-tool` binary Cargo built for this test run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smsr-tool"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr_line(o: &Output) -> String {
    let s = String::from_utf8(o.stderr.clone()).unwrap();
    assert_eq!(s.lines().count(), 1, "one line on stderr: {s:?}");
    assert!(s.starts_with("error: "), "{s:?}");
    s
}

#[test]
fn decodes_text_and_json() {
    // E3 { 4F 05 A000000559, 9F70 01 07 }
    let o = run(&["tlv", "decode", "E30B4F05A0000005599F700107"]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        out,
        "E3 [11] @0\n  4F [5] @2: A000000559\n  9F70 [1] @9: 07\n"
    );
    let o = run(&["tlv", "decode", "AB07 8001 01 2302 6A88", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["children"][1]["value"], "6A88");
    assert!(v[0]["children"][1]["not_tlv"].is_string());
    let o = run(&["tlv", "decode", "E30B4F05A0000005599F700107", "--json"]);
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v[0]["tag"], "E3");
    assert_eq!(v[0]["children"][1]["tag"], "9F70");
    assert_eq!(v[0]["children"][1]["offset"], 9);
    assert_eq!(v[0]["children"][1]["value"], "07");
}

#[test]
fn indefinite_needs_the_flag() {
    let o = run(&["tlv", "decode", "AF80 2302 6A88 0000"]);
    // Whitespace inside the hex is ignored; without --indefinite it fails.
    assert_eq!(o.status.code(), Some(1));
    let e = stderr_line(&o);
    assert!(
        e.contains("indefinite length not allowed here at byte offset 1"),
        "{e}"
    );
    let o = run(&["tlv", "decode", "AF8023026A880000", "--indefinite"]);
    assert!(o.status.success());
    let out = String::from_utf8(o.stdout).unwrap();
    // 23 has the constructed bit but holds an R-APDU, not TLVs.
    assert_eq!(
        out,
        "AF [indefinite] @0\n  23 [2] @2: 6A88 (not TLV: length field longer than 4 octets at byte offset 5)\n"
    );
}

#[test]
fn bad_input_is_one_line_and_exit_1() {
    let o = run(&["tlv", "decode", "E30B4F05A000"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr_line(&o);
    assert!(e.contains("at byte offset 6"), "{e}");
    for args in [
        &["tlv", "decode", "XYZ"][..],
        &["tlv", "decode", "--file", "/nonexistent/file"][..],
        &["tlv", "decode", "4F81020000"][..],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        stderr_line(&o);
        assert!(o.stdout.is_empty());
    }
    // A command line that does not parse is a usage error: exit 2.
    for args in [
        &["tlv", "decode"][..],
        &["tlv", "decode", "00", "--bogus"][..],
        &["tlv"][..],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(!o.stderr.is_empty(), "{args:?}");
        assert!(o.stdout.is_empty());
    }
    // Lenient mode accepts the non-minimal length.
    let o = run(&["tlv", "decode", "4F81020000", "--lenient"]);
    assert!(o.status.success());
}

#[test]
fn hostile_file_does_not_crash() {
    let dir = std::env::temp_dir().join(format!("smsr-tool-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("617f.bin");
    let data: Vec<u8> = [0x61, 0x7F]
        .iter()
        .copied()
        .cycle()
        .take(100 * 1024)
        .collect();
    std::fs::write(&path, &data).unwrap();
    let o = run(&["tlv", "decode", "--file", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr_line(&o);
    assert!(e.contains("byte offset"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}
