//! Decodes the seven real TS.48 profile packages of `shared/testdata/profiles`
//! and compares every field `expected.json` holds (an independent oracle:
//! asn1tools 0.169.0 with the TCA PEDefinitions v3.3.1 module, cross-checked
//! with pySim and the GSMA value-notation twins; see the README next to it)
//! with what `smsr::profile` exposes. Also checks byte-identical re-emission
//! and that validation finds nothing wrong.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use smsr::profile::{
    AkaParameter, AlgoConfiguration, CdmaParameter, FileEntry, FileManagementCommand, FileSystem,
    GenericFileManagement, Iccid, Package, PackageWriter, PeType, PinCodes, ProfileHeader,
    PukCodes, Rfm, SecurityDomain, ValidateOptions, validate,
};

fn testdata() -> Option<PathBuf> {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"));
    let p = dir.join("profiles");
    p.join("expected.json").exists().then_some(p)
}

fn hex_up(b: &[u8]) -> String {
    hex::encode_upper(b)
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

fn check_header(file: &str, pkg: &Package<'_>, exp: &Value) {
    let h = pkg.header().unwrap();
    assert_eq!(
        u64::from(h.major_version),
        exp["major-version"].as_u64().unwrap(),
        "{file}"
    );
    assert_eq!(
        u64::from(h.minor_version),
        exp["minor-version"].as_u64().unwrap(),
        "{file}"
    );
    assert_eq!(h.profile_type, exp["profileType"].as_str(), "{file}");
    assert_eq!(hex_up(&h.iccid_raw), s(&exp["iccid_hex"]), "{file}");
    assert_eq!(h.iccid().unwrap().to_string(), s(&exp["iccid"]), "{file}");
    assert_eq!(
        h.pol.map(hex_up),
        exp["pol"].as_str().map(str::to_owned),
        "{file}"
    );
    assert!(exp["connectivityParameters"].is_null());
    assert_eq!(h.connectivity_parameters, None, "{file}");
    assert!(exp["eUICC-Mandatory-AIDs"].is_null());
    assert!(h.mandatory_aids.is_none(), "{file}");
    let services: Vec<String> = h
        .mandatory_services
        .names()
        .map(|n| n.unwrap().to_owned())
        .collect();
    assert_eq!(services, strs(&exp["eUICC-Mandatory-services"]), "{file}");
    let gfste: Vec<String> = h.gfste_list.iter().map(|o| o.to_string()).collect();
    assert_eq!(gfste, strs(&exp["eUICC-Mandatory-GFSTEList"]), "{file}");

    // EF.ICCID inside the MF element: nibble-swapped BCD.
    let mf = FileSystem::from_element(&pkg.find(PeType::MF).unwrap().unwrap()).unwrap();
    let content = mf.file("ef-iccid").unwrap().initial_content().unwrap();
    assert_eq!(hex_up(content), s(&exp["ef_iccid_content_hex"]), "{file}");
    let ef = Iccid::from_ef_iccid(content.try_into().unwrap()).unwrap();
    assert_eq!(pkg.ef_iccid().unwrap(), Some(ef), "{file}");
    assert_eq!(ef.to_string(), s(&exp["ef_iccid_decoded"]), "{file}");
    assert_eq!(
        ef == h.iccid().unwrap(),
        exp["header_iccid_matches_ef_iccid"].as_bool().unwrap(),
        "{file}"
    );
}

/// Compares the per-PE details of `expected.json` with the typed views.
fn check_pe(file: &str, pe: &smsr::profile::ProfileElement<'_>, exp: &Value) {
    let ctx = format!("{file} PE {} ({})", pe.index(), pe.pe_type());
    let ty = pe.pe_type();
    assert_eq!(ty.name().unwrap(), s(&exp["type"]), "{ctx}");
    assert_eq!(ty.tag().to_string(), s(&exp["tag"]), "{ctx}");
    assert_eq!(pe.offset() as u64, exp["offset"].as_u64().unwrap(), "{ctx}");
    assert_eq!(
        pe.raw().len() as u64,
        exp["tlv_length"].as_u64().unwrap(),
        "{ctx}"
    );
    let header = pe.pe_header().unwrap();
    match header {
        None => {
            assert_eq!(ty, PeType::HEADER);
            assert!(exp.get("identification").is_none());
        }
        Some(h) => {
            assert_eq!(
                u64::from(h.identification),
                exp["identification"].as_u64().unwrap(),
                "{ctx}"
            );
            assert_eq!(h.mandated, exp["mandated"].as_bool().unwrap(), "{ctx}");
        }
    }
    let mut checked = vec![
        "type",
        "tag",
        "offset",
        "tlv_length",
        "identification",
        "mandated",
    ];
    if ty.is_template() {
        let fs = FileSystem::from_element(pe).unwrap();
        assert_eq!(fs.template_id.to_string(), s(&exp["templateID"]), "{ctx}");
        let names: Vec<String> = fs.files().map(|f| f.name.unwrap().to_owned()).collect();
        assert_eq!(names, strs(&exp["files"]), "{ctx}");
        let mut fill = 0;
        let mut fcps = 0;
        for f in fs.files() {
            for e in f.entries() {
                match e {
                    FileEntry::FillFileContent(c) => fill += c.len(),
                    FileEntry::Fcp(_) => fcps += 1,
                    _ => {}
                }
            }
        }
        assert_eq!(
            fill as u64,
            exp["fill_content_bytes"].as_u64().unwrap(),
            "{ctx}"
        );
        assert_eq!(fcps as u64, exp["explicit_fcps"].as_u64().unwrap(), "{ctx}");
        checked.extend(["templateID", "files", "fill_content_bytes", "explicit_fcps"]);
    }
    match ty {
        PeType::GENERIC_FILE_MANAGEMENT => {
            let g = GenericFileManagement::from_element(pe).unwrap();
            let mut paths = vec![];
            let mut created = vec![];
            let mut fills = 0;
            let mut fill_bytes = 0;
            for (_, c) in g.commands() {
                match c {
                    FileManagementCommand::FilePath(p) => paths.push(hex_up(p)),
                    FileManagementCommand::CreateFcp(f) => {
                        created.push(hex_up(&f.file_id.unwrap()));
                    }
                    FileManagementCommand::FillFileContent(c) => {
                        fills += 1;
                        fill_bytes += c.len();
                    }
                    FileManagementCommand::FillFileOffset(_) => {}
                }
            }
            assert_eq!(paths, strs(&exp["filePaths"]), "{ctx}");
            assert_eq!(created, strs(&exp["created_fileIDs"]), "{ctx}");
            assert_eq!(
                fills,
                exp["fillFileContent_count"].as_u64().unwrap() as usize,
                "{ctx}"
            );
            assert_eq!(
                fill_bytes,
                exp["fill_content_bytes"].as_u64().unwrap() as usize,
                "{ctx}"
            );
            assert_eq!(
                g.file_management_count(),
                exp["fileManagementCMD_count"].as_u64().unwrap() as usize,
                "{ctx}"
            );
            checked.extend([
                "filePaths",
                "created_fileIDs",
                "fillFileContent_count",
                "fill_content_bytes",
                "fileManagementCMD_count",
            ]);
        }
        PeType::PIN_CODES => {
            let p = PinCodes::from_element(pe).unwrap();
            let refs: Vec<u64> = p.configs().map(|c| u64::from(c.key_reference)).collect();
            let exp_refs: Vec<u64> = exp["pinconfig_keyReferences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert_eq!(refs, exp_refs, "{ctx}");
            checked.push("pinconfig_keyReferences");
        }
        PeType::PUK_CODES => {
            let p = PukCodes::from_element(pe).unwrap();
            let refs: Vec<u64> = p.configs().map(|c| u64::from(c.key_reference)).collect();
            let exp_refs: Vec<u64> = exp["puk_keyReferences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            assert_eq!(refs, exp_refs, "{ctx}");
            // DER leaves the DEFAULT out: 170 = 'AA' (10 attempts, 10 left).
            assert!(
                p.configs().all(|c| c.max_attempts_retry_left == 170),
                "{ctx}"
            );
            checked.push("puk_keyReferences");
        }
        PeType::AKA_PARAMETER => {
            let a = AkaParameter::from_element(pe).unwrap();
            let AlgoConfiguration::Algo(p) = a.algo_configuration else {
                panic!("{ctx}: mappingParameter");
            };
            assert_eq!(s(&exp["algoConfiguration"]), "algoParameter");
            assert_eq!(
                u64::from(p.algorithm_id),
                exp["algorithmID"].as_u64().unwrap(),
                "{ctx}"
            );
            assert_eq!(hex_up(&[p.options]), s(&exp["algorithmOptions"]), "{ctx}");
            assert_eq!(
                p.key.len() as u64,
                exp["key_len"].as_u64().unwrap(),
                "{ctx}"
            );
            // DEFAULTs (absent from the DER) filled in.
            assert_eq!(a.sqn_options, 0x02);
            assert_eq!(a.sqn_delta, [0, 0, 0x10, 0, 0, 0]);
            assert_eq!(p.rotation_constants, [0x40, 0x00, 0x20, 0x40, 0x60]);
            assert_eq!(p.number_of_keccak, 1);
            assert_eq!(a.sqn_init().count(), 32);
            // Key material never appears in Debug.
            let dbg = format!("{a:?}");
            assert!(!dbg.contains(&format!("{:?}", p.key)), "{ctx}");
            checked.extend([
                "algoConfiguration",
                "algorithmID",
                "algorithmOptions",
                "key_len",
            ]);
        }
        PeType::SECURITY_DOMAIN => {
            let sd = SecurityDomain::from_element(pe).unwrap();
            let i = &sd.instance;
            assert_eq!(hex_up(i.instance_aid), s(&exp["instanceAID"]), "{ctx}");
            assert_eq!(hex_up(i.class_aid), s(&exp["classAID"]), "{ctx}");
            assert_eq!(
                hex_up(i.load_package_aid),
                s(&exp["applicationLoadPackageAID"]),
                "{ctx}"
            );
            assert_eq!(
                hex_up(i.privileges),
                s(&exp["applicationPrivileges"]),
                "{ctx}"
            );
            let keys: Vec<Value> = sd
                .keys()
                .map(|k| {
                    serde_json::json!({
                        "kvn": hex_up(&[k.version_number]),
                        "kid": hex_up(&[k.identifier]),
                        "usage": hex_up(k.usage_qualifier),
                        "keyTypes": k.components().map(|c| hex_up(c.key_type)).collect::<Vec<_>>(),
                    })
                })
                .collect();
            assert_eq!(Value::Array(keys), exp["keys"], "{ctx}");
            assert_eq!(
                sd.sd_perso_data().count() as u64,
                exp["sdPersoData_count"].as_u64().unwrap(),
                "{ctx}"
            );
            for k in sd.keys() {
                let dbg = format!("{k:?}");
                for c in k.components() {
                    assert!(!dbg.contains(&format!("{:?}", c.key_data)), "{ctx}");
                    assert_eq!(c.mac_length, 8, "DEFAULT macLength");
                }
                assert_eq!(k.access, 0, "DEFAULT keyAccess");
            }
            checked.extend([
                "instanceAID",
                "classAID",
                "applicationLoadPackageAID",
                "applicationPrivileges",
                "keys",
                "sdPersoData_count",
            ]);
        }
        PeType::CDMA_PARAMETER => {
            let c = CdmaParameter::from_element(pe).unwrap();
            let names: Vec<String> = c.members().map(str::to_owned).collect();
            assert_eq!(names, strs(&exp["fields"]), "{ctx}");
            let dbg = format!("{c:?}");
            assert!(
                !dbg.contains(&format!("{:?}", c.authentication_key)),
                "{ctx}"
            );
            checked.push("fields");
        }
        PeType::RFM => {
            let r = Rfm::from_element(pe).unwrap();
            assert_eq!(hex_up(r.instance_aid), s(&exp["instanceAID"]), "{ctx}");
            let tars: Vec<String> = r.tars().map(|t| hex_up(&t)).collect();
            assert_eq!(tars, strs(&exp["tarList"]), "{ctx}");
            assert_eq!(
                hex_up(&[r.minimum_security_level]),
                s(&exp["minimumSecurityLevel"]),
                "{ctx}"
            );
            assert_eq!(
                r.adf_rfm_access.map(|a| hex_up(a.adf_aid)),
                exp["adfRFMAccess_adfAID"].as_str().map(str::to_owned),
                "{ctx}"
            );
            checked.extend([
                "instanceAID",
                "tarList",
                "minimumSecurityLevel",
                "adfRFMAccess_adfAID",
            ]);
        }
        _ => {}
    }
    // Every field the oracle holds for this element was compared.
    for k in exp.as_object().unwrap().keys() {
        assert!(
            checked.contains(&k.as_str()),
            "{ctx}: field {k} not compared"
        );
    }
}

/// The raw-encoding statistics of `expected.json` (`raw_ber`), recomputed
/// with a walk over every TLV of every element.
fn check_raw_ber(file: &str, pkg: &Package<'_>, exp: &Value) {
    let mut count = 0u64;
    let mut max_depth = 0u64;
    let mut max_value = 0usize;
    let mut max_tag = 0u32;
    let mut hist: BTreeMap<String, u64> = BTreeMap::new();
    let mut multi: BTreeMap<String, u64> = BTreeMap::new();
    let mut largest = (0usize, String::new());
    for pe in pkg.elements() {
        let pe = pe.unwrap();
        if pe.raw().len() > largest.0 {
            largest = (pe.raw().len(), pe.pe_type().to_string());
        }
        // (reader, depth of the TLVs it yields; the PE itself is depth 0)
        let mut stack = vec![(
            smsr::tlv::Reader::with_options(pe.raw(), Package::read_options()),
            0u64,
        )];
        while let Some((r, d)) = stack.last_mut() {
            let d = *d;
            match r.next() {
                Some(t) => {
                    let t = t.unwrap();
                    count += 1;
                    max_value = max_value.max(t.value().len());
                    max_tag = max_tag.max(t.tag().number());
                    *hist
                        .entry((t.header_len() - t.tag().len()).to_string())
                        .or_default() += 1;
                    if t.tag().len() > 1 {
                        *multi.entry(t.tag().to_string()).or_default() += 1;
                    }
                    max_depth = max_depth.max(d);
                    if t.tag().is_constructed() {
                        stack.push((t.children(), d + 1));
                    }
                }
                None => {
                    stack.pop();
                }
            }
        }
    }
    assert_eq!(count, exp["tlv_count"].as_u64().unwrap(), "{file}");
    assert_eq!(
        max_depth,
        exp["max_nesting_depth"].as_u64().unwrap(),
        "{file}"
    );
    assert_eq!(
        max_value as u64,
        exp["max_value_len"].as_u64().unwrap(),
        "{file}"
    );
    assert_eq!(
        u64::from(max_tag),
        exp["max_tag_number"].as_u64().unwrap(),
        "{file}"
    );
    let exp_hist: BTreeMap<String, u64> =
        serde_json::from_value(exp["length_octets_histogram"].clone()).unwrap();
    assert_eq!(hist, exp_hist, "{file}");
    let exp_multi: BTreeMap<String, u64> =
        serde_json::from_value(exp["multibyte_tags"].clone()).unwrap();
    assert_eq!(multi, exp_multi, "{file}");
    assert_eq!(largest.1, exp["largest_pe"].as_str().unwrap(), "{file}");
    assert_eq!(
        largest.0 as u64,
        exp["largest_pe_len"].as_u64().unwrap(),
        "{file}"
    );
    assert_eq!(exp["indefinite_lengths"].as_u64(), Some(0));
    assert_eq!(exp["non_minimal_lengths"].as_u64(), Some(0));
}

#[test]
fn every_package_matches_expected_json() {
    let Some(dir) = testdata() else {
        eprintln!("profile_expected: shared/testdata not found (set SMSR_TESTDATA); skipping");
        return;
    };
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let profiles = exp["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 7);
    for p in profiles {
        let file = s(&p["file"]);
        let bytes = std::fs::read(dir.join(file)).unwrap();
        assert_eq!(bytes.len() as u64, p["size"].as_u64().unwrap(), "{file}");
        let pkg = Package::new(&bytes);
        let pes: Vec<_> = pkg.elements().collect::<Result<_, _>>().unwrap();

        assert_eq!(pes.len() as u64, p["pe_count"].as_u64().unwrap(), "{file}");
        let seq: Vec<String> = pes.iter().map(|e| e.pe_type().to_string()).collect();
        assert_eq!(seq, strs(&p["pe_sequence"]), "{file}");
        let tags: Vec<String> = pes.iter().map(|e| e.pe_type().tag().to_string()).collect();
        assert_eq!(tags, strs(&p["pe_tags"]), "{file}");
        let ids: Vec<Value> = pes
            .iter()
            .map(|e| match e.pe_header().unwrap() {
                Some(h) => Value::from(h.identification),
                None => Value::Null,
            })
            .collect();
        assert_eq!(Value::Array(ids), p["identifications"], "{file}");
        let mut counts = BTreeMap::new();
        for e in &pes {
            *counts.entry(e.pe_type().to_string()).or_insert(0u64) += 1;
        }
        let exp_counts: BTreeMap<String, u64> =
            serde_json::from_value(p["pe_type_counts"].clone()).unwrap();
        assert_eq!(counts, exp_counts, "{file}");
        let templates: Vec<Value> = pes
            .iter()
            .filter(|e| e.pe_type().is_template())
            .map(|e| {
                let fs = FileSystem::from_element(e).unwrap();
                serde_json::json!({"pe": e.pe_type().to_string(), "templateID": fs.template_id.to_string()})
            })
            .collect();
        assert_eq!(Value::Array(templates), p["template_ids"], "{file}");

        check_header(file, &pkg, &p["header"]);
        check_raw_ber(file, &pkg, &p["raw_ber"]);
        let exp_pes = p["pes"].as_array().unwrap();
        assert_eq!(exp_pes.len(), pes.len());
        for (pe, e) in pes.iter().zip(exp_pes) {
            check_pe(file, pe, e);
        }

        // Re-emission: raw elements, and the header re-encoded from its
        // decoded fields, both give back the exact bytes.
        let again = smsr::profile::to_vec(pkg.elements()).unwrap();
        assert_eq!(again, bytes, "{file}");
        let mut rebuilt = Vec::new();
        let mut w = PackageWriter::new(&mut rebuilt);
        for pe in &pes {
            if pe.pe_type() == PeType::HEADER {
                let h = ProfileHeader::from_element(pe).unwrap();
                assert_eq!(h.buffer_len(), pe.raw().len());
                w.push_header(&h).unwrap();
            } else {
                w.push(pe).unwrap();
            }
        }
        assert_eq!(w.count(), pes.len());
        assert_eq!(rebuilt, bytes, "{file}");

        // The real packages are valid, strict DER included.
        let mut problems = vec![];
        let n = validate(&pkg, ValidateOptions { strict_der: true }, &mut |pr| {
            problems.push(pr.to_string())
        });
        assert_eq!(n, 0, "{file}: {problems:?}");
    }
}

/// An EF.ICCID whose content is present but not BCD digits is an error,
/// not "no ICCID" (it was silently `None`).
#[test]
fn malformed_ef_iccid_is_an_error() {
    let Some(dir) = testdata() else {
        eprintln!("profile_expected: shared/testdata not found (set SMSR_TESTDATA); skipping");
        return;
    };
    let exp: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    for p in exp["profiles"].as_array().unwrap() {
        let file = s(&p["file"]);
        let mut bytes = std::fs::read(dir.join(file)).unwrap();
        let at = {
            let pkg = Package::new(&bytes);
            let mf = FileSystem::from_element(&pkg.find(PeType::MF).unwrap().unwrap()).unwrap();
            let content = mf.file("ef-iccid").unwrap().initial_content().unwrap();
            content.as_ptr() as usize - bytes.as_ptr() as usize
        };
        bytes[at..at + 10].fill(0xAA);
        let err = Package::new(&bytes).ef_iccid().unwrap_err();
        assert_eq!(
            err.kind,
            smsr::profile::ErrorKind::BadValue("ef-iccid"),
            "{file}"
        );
    }
}
