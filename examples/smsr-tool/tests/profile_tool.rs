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
    for cmd in ["inspect", "segment", "info", "tree", "dump"] {
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

/// Runs `smsr-tool profile <args>` and parses its JSON.
fn run_json(args: &[&str], file: &std::path::Path) -> Value {
    let out = Command::new(TOOL)
        .arg("profile")
        .args(args)
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The expected.json entries of type `ty`.
fn pes_of<'a>(p: &'a Value, ty: &str) -> Vec<&'a Value> {
    p["pes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == ty)
        .collect()
}

/// The IMSI pySim's `saip-tool.py FILE info` (osmocom/pysim 597f1e0)
/// printed for each package: "IMSI: 001010123456063" for the v1A to v5
/// files, "IMSI: 001010123456789" for both v7 files; it printed the USIM
/// ADF as "NAA usim (a0000000871002ff49ff0589)", the ISIM as "NAA isim
/// (a0000000871004ff49ff0589)" and every SD key with
/// "data=000102030405060708090a0b0c0d0e0f".
fn pysim_imsi(file: &str) -> &'static str {
    if file.starts_with("ts48v7") {
        "001010123456789"
    } else {
        "001010123456063"
    }
}

#[test]
fn info_of_every_package() {
    let Some(dir) = profiles("info_of_every_package") else {
        return;
    };
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    for p in exp["profiles"].as_array().unwrap() {
        let name = p["file"].as_str().unwrap();
        let file = dir.join(name);
        let j = run_json(&["info"], &file);
        let h = &p["header"];
        assert_eq!(j["iccid"], h["iccid"], "{name}");
        assert_eq!(j["mandatory_services"], h["eUICC-Mandatory-services"]);
        let v = format!("{}.{}", h["major-version"], h["minor-version"]);
        assert_eq!(j["saip_version"], Value::String(v));
        let naas = j["naas"].as_array().unwrap();
        let types: Vec<_> = naas.iter().map(|n| n["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["usim", "csim", "isim"], "{name}");
        assert_eq!(naas[0]["imsi"], pysim_imsi(name), "{name}");
        assert_eq!(naas[0]["adf_aid"], "A0000000871002FF49FF0589");
        assert_eq!(naas[2]["adf_aid"], "A0000000871004FF49FF0589");
        assert_eq!(j["applications"], Value::Array(vec![]));

        // Security domain: instance AID and keys as expected.json has them;
        // no key value without --show-keys.
        let sd_exp = pes_of(p, "securityDomain")[0];
        let sd = &j["security_domains"][0];
        assert_eq!(sd["instance"]["instance_aid"], sd_exp["instanceAID"]);
        assert_eq!(sd["instance"]["class_aid"], sd_exp["classAID"]);
        assert_eq!(
            sd["instance"]["privileges"],
            sd_exp["applicationPrivileges"]
        );
        let keys = sd["keys"].as_array().unwrap();
        let kexp = sd_exp["keys"].as_array().unwrap();
        assert_eq!(keys.len(), kexp.len(), "{name}");
        for (k, e) in keys.iter().zip(kexp) {
            assert_eq!(k["kvn"], e["kvn"]);
            assert_eq!(k["kid"], e["kid"]);
            assert_eq!(k["usage"], e["usage"]);
            assert_eq!(k["components"][0]["type"], e["keyTypes"][0]);
            assert_eq!(k["components"][0]["value"]["redacted"], true);
            assert_eq!(k["components"][0]["length"], 16);
        }
        // RFM: instance AID, TARs, MSL and ADF as expected.json.
        let rfm_exp = pes_of(p, "rfm");
        let rfm = j["rfm"].as_array().unwrap();
        assert_eq!(rfm.len(), rfm_exp.len(), "{name}");
        for (r, e) in rfm.iter().zip(rfm_exp) {
            assert_eq!(r["instance_aid"], e["instanceAID"]);
            assert_eq!(r["tars"], e["tarList"]);
            assert_eq!(r["tar_source"], "tarList");
            assert_eq!(r["minimum_security_level"], e["minimumSecurityLevel"]);
            assert_eq!(r["adf_aid"], e["adfRFMAccess_adfAID"]);
        }
    }
}

#[test]
fn info_shows_key_values_only_when_asked() {
    let Some(dir) = profiles("info_shows_key_values_only_when_asked") else {
        return;
    };
    let file = dir.join("ts48v7_saip2.3_nobertlv.der");
    let plain = Command::new(TOOL)
        .args(["profile", "info"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(plain.status.success());
    let text = String::from_utf8(plain.stdout).unwrap();
    assert!(!text.contains("000102030405060708090A0B0C0D0E0F"));
    let j = run_json(&["info", "--show-keys"], &file);
    for k in j["security_domains"][0]["keys"].as_array().unwrap() {
        // pySim's info: every SD key "data=000102030405060708090a0b0c0d0e0f".
        assert_eq!(
            k["components"][0]["value"],
            "000102030405060708090A0B0C0D0E0F"
        );
    }
}

#[test]
fn tree_of_every_package() {
    let Some(dir) = profiles("tree_of_every_package") else {
        return;
    };
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    for p in exp["profiles"].as_array().unwrap() {
        let name = p["file"].as_str().unwrap();
        let j = run_json(&["tree"], &dir.join(name));
        let els = j["elements"].as_array().unwrap();
        let file_pes: Vec<_> = p["pes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e.get("files").is_some() || e["type"] == "genericFileManagement")
            .collect();
        assert_eq!(els.len(), file_pes.len(), "{name}");
        for (el, e) in els.iter().zip(file_pes) {
            assert_eq!(el["pe"], e["type"], "{name}");
            if e["type"] == "genericFileManagement" {
                let steps: Vec<&Value> = el["fileManagementCMD"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|s| s.as_array().unwrap())
                    .collect();
                let paths: Vec<&Value> = steps.iter().filter_map(|s| s.get("filePath")).collect();
                let fids: Vec<&Value> = steps
                    .iter()
                    .filter_map(|s| s.get("createFCP").map(|c| &c["fid"]))
                    .collect();
                assert_eq!(
                    paths,
                    e["filePaths"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .collect::<Vec<_>>()
                );
                assert_eq!(
                    fids,
                    e["created_fileIDs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .collect::<Vec<_>>()
                );
            } else {
                assert_eq!(el["templateID"], e["templateID"]);
                let names: Vec<&Value> = el["files"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| &f["name"])
                    .collect();
                assert_eq!(
                    names,
                    e["files"].as_array().unwrap().iter().collect::<Vec<_>>()
                );
            }
        }
        // EF.ICCID: pySim's tree prints "File(ef-iccid, TR, 2FE2, SFI=16)"
        // for the v3 and later files, 16 being the raw shortEFID byte '10',
        // i.e. SFI 2 (TS 102 221 §13.2); for v1A and v2 "SFI=None" (their
        // Fcp gives no shortEFID, the template's applies).
        let mf = &els[0];
        let iccid = mf["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "ef-iccid")
            .unwrap();
        assert_eq!(iccid["fcp"]["fid"], "2FE2");
        assert_eq!(iccid["fcp"]["type"], "TR");
        let sfi = if name.starts_with("ts48v1A") || name.starts_with("ts48v2") {
            Value::Null
        } else {
            Value::from(2)
        };
        assert_eq!(iccid["fcp"]["sfi"], sfi, "{name}");
        assert_eq!(iccid["fill_bytes"], 10);
    }
}

#[test]
fn dump_every_element() {
    let Some(dir) = profiles("dump_every_element") else {
        return;
    };
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    for p in exp["profiles"].as_array().unwrap() {
        let name = p["file"].as_str().unwrap();
        let file = dir.join(name);
        let j = run_json(&["dump"], &file);
        let els = j["elements"].as_array().unwrap();
        let types: Vec<&Value> = els.iter().map(|e| &e["type"]).collect();
        assert_eq!(
            types,
            p["pe_sequence"]
                .as_array()
                .unwrap()
                .iter()
                .collect::<Vec<_>>()
        );
        for (el, e) in els.iter().zip(p["pes"].as_array().unwrap()) {
            assert_eq!(el["offset"], e["offset"], "{name}");
            assert_eq!(el["length"], e["tlv_length"], "{name}");
            assert_eq!(el["tag"], e["tag"], "{name}");
            if e["type"] != "header" {
                assert_eq!(el["identification"], e["identification"], "{name}");
            }
            // Every element but end decodes; none is left as raw bytes.
            assert_eq!(el["raw"], Value::Null, "{name}");
            assert_eq!(el["decoded"].is_null(), e["type"] == "end", "{name}");
            match e["type"].as_str().unwrap() {
                "akaParameter" => {
                    let a = &el["decoded"]["algoConfiguration"]["algoParameter"];
                    assert_eq!(a["algorithmID"], e["algorithmID"]);
                    assert_eq!(a["algorithmOptions"], e["algorithmOptions"]);
                    assert_eq!(a["key"]["redacted"], true);
                    assert_eq!(a["key"]["length"], e["key_len"]);
                }
                "pinCodes" => {
                    let refs: Vec<&Value> = el["decoded"]["pins"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|c| &c["keyReference"])
                        .collect();
                    let want = e["pinconfig_keyReferences"].as_array().unwrap();
                    assert_eq!(refs, want.iter().collect::<Vec<_>>());
                    assert_eq!(el["decoded"]["pins"][0]["pinValue"]["redacted"], true);
                }
                "mf" | "usim" => assert_eq!(el["decoded"]["templateID"], e["templateID"]),
                _ => {}
            }
        }
    }
}
