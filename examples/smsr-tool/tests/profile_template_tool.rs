//! `smsr-tool profile tree` template defaults against pySim's reading of
//! the same real TS.48 packages (`tests/pysim/*.tree.txt`, pySim's
//! `saip-tool.py tree` output): every file's type, FID and SFI, with the
//! facts the package leaves out taken from the template its PE names.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

const TOOL: &str = env!("CARGO_BIN_EXE_smsr-tool");

/// The package `name` of `shared/testdata/profiles`; a missing test data
/// directory fails the test (it is there under CI).
fn package(name: &str) -> PathBuf {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata")
        });
    let p = dir.join("profiles").join(name);
    assert!(
        p.exists(),
        "{} is missing: set SMSR_TESTDATA to the shared/testdata directory",
        p.display()
    );
    p
}

/// `smsr-tool profile tree <file>` as JSON.
fn tree(file: &PathBuf) -> Value {
    let out = Command::new(TOOL)
        .args(["profile", "tree"])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// pySim's `File(name, type, FID, SFI=x)` lines by name, in order.
fn pysim(text: &str) -> HashMap<String, Vec<(String, String, Option<u8>)>> {
    let mut by_name: HashMap<String, Vec<_>> = HashMap::new();
    for line in text.lines().filter(|l| l.starts_with("File(")) {
        let inner = line.trim_start_matches("File(").trim_end_matches(')');
        let parts: Vec<&str> = inner.split(", ").collect();
        let sfi = parts[3].trim_start_matches("SFI=");
        by_name.entry(parts[0].to_owned()).or_default().push((
            parts[1].to_owned(),
            parts[2].to_owned(),
            sfi.parse().ok(),
        ));
    }
    by_name
}

/// Every created file of the package agrees with pySim: type (pySim says
/// `MF` where we say `DF`), FID, and SFI (pySim prints the raw shortEFID
/// byte, SFI × 8, when the Fcp states it, and the template's SFI when it
/// does not). Returns how many files were compared and how many facts
/// came from the template.
fn compare(name: &str, oracle: &str) -> (usize, usize) {
    let mut expected = pysim(oracle);
    let j = tree(&package(name));
    let (mut compared, mut defaulted) = (0, 0);
    for el in j["elements"].as_array().unwrap() {
        for f in el["files"].as_array().into_iter().flatten() {
            let info = &f["file"];
            if info.is_null() || f["do_not_create"] == Value::Bool(true) {
                continue;
            }
            let n = f["name"].as_str().unwrap();
            // pySim has no template entry for ef-keysPS (it lower-cases
            // the name), so it lists the file under its path.
            let Some(list) = expected.get_mut(n) else {
                assert_eq!(n, "ef-keysPS", "{name}: {n} not in pySim's tree");
                continue;
            };
            let (ty, fid, sfi) = list.remove(0);
            let from: Vec<&str> = info["from_template"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            defaulted += from.len();
            let ours_ty = if n == "mf" {
                "MF"
            } else {
                info["type"].as_str().unwrap()
            };
            assert_eq!(ours_ty, ty, "{name}: type of {n}");
            assert_eq!(info["fid"].as_str().unwrap(), fid, "{name}: FID of {n}");
            let ours_sfi = info["sfi"].as_u64().map(|s| u8::try_from(s).unwrap());
            let pysim_sfi = if from.contains(&"sfi") {
                sfi
            } else {
                sfi.map(|raw| raw >> 3)
            };
            assert_eq!(ours_sfi, pysim_sfi, "{name}: SFI of {n}");
            compared += 1;
        }
    }
    (compared, defaulted)
}

#[test]
fn tree_defaults_agree_with_pysim_on_ts48_v1a() {
    let (n, d) = compare(
        "ts48v1A_saip2.1.der",
        include_str!("pysim/ts48v1A_saip2.1.tree.txt"),
    );
    assert_eq!(n, 110);
    // Most Fcps leave something to the template (types of DFs, sizes,
    // SFIs): without the template those would be null.
    assert!(2 * d > n, "only {d} facts from templates");
}

#[test]
fn tree_defaults_agree_with_pysim_on_ts48_v5() {
    let (n, d) = compare(
        "ts48v5_saip2.3_bertlv_suci.der",
        include_str!("pysim/ts48v5_saip2.3_bertlv_suci.tree.txt"),
    );
    assert_eq!(n, 122);
    // Most Fcps leave something to the template (types of DFs, sizes,
    // SFIs): without the template those would be null.
    assert!(2 * d > n, "only {d} facts from templates");
}

/// The template marks: v1A's MF Fcp gives neither FID nor type, EF.PL's
/// gives no SFI, EF.ICCID's no size; what the Fcp says is not marked.
#[test]
fn template_facts_are_marked() {
    let j = tree(&package("ts48v1A_saip2.1.der"));
    let mf = &j["elements"][0]["files"];
    let file = |n: &str| {
        mf.as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == n)
            .unwrap()["file"]
            .clone()
    };
    assert_eq!(file("mf")["fid"], "3F00");
    assert_eq!(
        file("mf")["from_template"],
        serde_json::json!(["fid", "type"])
    );
    assert_eq!(file("ef-pl")["sfi"], 5);
    assert_eq!(file("ef-pl")["from_template"], serde_json::json!(["sfi"]));
    assert_eq!(file("ef-iccid")["size"], 10);
    assert_eq!(
        file("ef-iccid")["from_template"],
        serde_json::json!(["size"])
    );
    assert_eq!(file("ef-arr")["from_template"], serde_json::json!([]));
}
