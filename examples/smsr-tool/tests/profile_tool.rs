//! `smsr-tool profile inspect|segment` against `expected.json` and on
//! corrupt input (the interface independent checks rely on).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// The smsr-tool binary Cargo built for this test run.
const TOOL: &str = env!("CARGO_BIN_EXE_smsr-tool");

/// The real profile packages of `shared/testdata` (`$SMSR_TESTDATA`, else
/// beside the repository). CI has them; elsewhere the test says loudly
/// that it did not run.
fn profiles(test: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata")
        });
    let p = dir.join("profiles");
    if p.join("expected.json").exists() {
        Some(p)
    } else {
        eprintln!(
            "WARNING: profile_tool::{test} DID NOT RUN: {} has no expected.json \
             (set SMSR_TESTDATA to the shared/testdata directory)",
            p.display()
        );
        None
    }
}

#[test]
fn inspect_and_segment_every_package() {
    let Some(dir) = profiles("inspect_and_segment_every_package") else {
        return;
    };
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    for p in exp["profiles"].as_array().unwrap() {
        let file = dir.join(p["file"].as_str().unwrap());
        let out = Command::new(TOOL)
            .args(["profile", "inspect"])
            .arg(&file)
            .arg("--strict")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j: Value = serde_json::from_slice(&out.stdout).unwrap();
        let h = &p["header"];
        assert_eq!(j["iccid"], h["iccid"]);
        assert_eq!(j["major_version"], h["major-version"]);
        assert_eq!(j["minor_version"], h["minor-version"]);
        assert_eq!(j["profile_type"], h["profileType"]);
        assert_eq!(j["pe_count"], p["pe_count"]);
        assert_eq!(j["pe_sequence"], p["pe_sequence"]);
        assert_eq!(j["pe_tags"], p["pe_tags"]);
        assert_eq!(j["identifications"], p["identifications"]);
        assert_eq!(j["mandatory_services"], h["eUICC-Mandatory-services"]);
        assert_eq!(j["gfste_list"], h["eUICC-Mandatory-GFSTEList"]);
        assert_eq!(j["template_ids"], p["template_ids"]);
        assert_eq!(j["valid"], Value::Bool(true), "{}", j["problems"]);
        assert_eq!(j["problems"], Value::Array(vec![]));

        let out = Command::new(TOOL)
            .args(["profile", "segment"])
            .arg(&file)
            .args(["--max", "300"])
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut joined = Vec::new();
        for line in String::from_utf8(out.stdout).unwrap().lines() {
            let seg = hex::decode(line).unwrap();
            assert!(seg.len() <= 300);
            assert_eq!(seg[0], 0x86);
            let (t, rest) = smsr::tlv::Tlv::parse(&seg).unwrap();
            assert!(rest.is_empty());
            joined.extend_from_slice(t.value());
        }
        assert_eq!(joined, std::fs::read(&file).unwrap());
    }
}

#[test]
fn corrupt_input_gives_offset_and_exit_1() {
    let Some(dir) = profiles("corrupt_input_gives_offset_and_exit_1") else {
        return;
    };
    let bytes = std::fs::read(dir.join("ts48v1A_saip2.1.der")).unwrap();
    let tmp = std::env::temp_dir().join(format!("smsr-profile-trunc-{}.der", std::process::id()));
    std::fs::write(&tmp, &bytes[..5000]).unwrap();
    for cmd in ["inspect", "segment"] {
        let out = Command::new(TOOL)
            .args(["profile", cmd])
            .arg(&tmp)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains("byte offset 5000"), "{err}");
        assert!(err.contains("starts at byte offset 3519"), "{err}");
        assert_eq!(err.lines().count(), 1);
    }
    std::fs::remove_file(&tmp).ok();
}
