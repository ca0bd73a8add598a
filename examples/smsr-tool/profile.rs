//! `smsr-tool profile inspect|segment`: SAIP profile packages.

use serde_json::{Value, json};
use smsr::profile::segment::{self, Protection};
use smsr::profile::{FileSystem, Package, ProfileElement, ValidateOptions, validate};

use crate::common::tail;

const USAGE: &str = "usage: smsr-tool profile inspect FILE [--strict] | segment FILE [--max N]";

pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("inspect") => inspect(tail(args)),
        Some("segment") => segment_cmd(tail(args)),
        _ => Err(USAGE.into()),
    }
}

fn read(path: Option<&String>) -> Result<Vec<u8>, String> {
    let path = path.ok_or(USAGE)?;
    std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// All elements, or the first decoding error with its offset.
fn elements(bytes: &[u8]) -> Result<Vec<ProfileElement<'_>>, String> {
    let mut out: Vec<ProfileElement<'_>> = Vec::new();
    for pe in Package::new(bytes).elements() {
        let i = out.len();
        let start = out.last().map_or(0, |p| p.offset() + p.raw().len());
        out.push(pe.map_err(|e| {
            format!(
                "corrupt profile package: {e} (element {i}, which starts at byte offset {start})"
            )
        })?);
    }
    if out.is_empty() {
        return Err("empty profile package".into());
    }
    Ok(out)
}

fn inspect(args: &[String]) -> Result<(), String> {
    let mut strict = false;
    let mut file = None;
    for a in args {
        match a.as_str() {
            "--strict" => strict = true,
            f if !f.starts_with("--") && file.is_none() => file = Some(a),
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    let bytes = read(file)?;
    let pes = elements(&bytes)?;
    let pkg = Package::new(&bytes);
    let header = pkg
        .header()
        .map_err(|e| format!("bad profile header: {e}"))?;
    let mut headers = Vec::new();
    for pe in &pes {
        let h = pe
            .pe_header()
            .map_err(|e| format!("bad PEHeader: {e} (element {})", pe.index()))?;
        headers.push(h);
    }
    let ef_iccid = pkg.ef_iccid().map_err(|e| format!("bad mf element: {e}"))?;
    let iccid = header.iccid();
    let mut problems = Vec::new();
    validate(&pkg, ValidateOptions { strict_der: strict }, &mut |p| {
        problems.push(json!({
            "pe_index": p.pe_index,
            "offset": p.offset,
            "message": p.to_string(),
        }));
    });
    let templates: Vec<Value> = pes
        .iter()
        .filter_map(|pe| FileSystem::from_element(pe).ok())
        .map(|fs| json!({"pe": fs.pe_type.to_string(), "templateID": fs.template_id.to_string()}))
        .collect();
    let out = json!({
        "iccid": iccid.map(|i| i.to_string()),
        "iccid_hex": hex::encode_upper(header.iccid_raw),
        "ef_iccid": ef_iccid.map(|i| i.to_string()),
        "iccid_matches_ef_iccid": ef_iccid.map(|e| Some(e) == iccid),
        "major_version": header.major_version,
        "minor_version": header.minor_version,
        "profile_type": header.profile_type,
        "pol": header.pol.map(hex::encode_upper),
        "connectivity_parameters": header.connectivity_parameters.map(hex::encode_upper),
        "mandatory_aids": header.mandatory_aids.map(|l| l.iter().map(|a| json!({
            "aid": hex::encode_upper(a.aid), "version": hex::encode_upper(a.version)
        })).collect::<Vec<_>>()),
        "pe_count": pes.len(),
        "pe_sequence": pes.iter().map(|pe| pe.pe_type().to_string()).collect::<Vec<_>>(),
        "pe_tags": pes.iter().map(|pe| pe.pe_type().tag().to_string()).collect::<Vec<_>>(),
        "pe_offsets": pes.iter().map(ProfileElement::offset).collect::<Vec<_>>(),
        "identifications": headers.iter().map(|h| h.map(|h| h.identification)).collect::<Vec<_>>(),
        "mandated": headers.iter().map(|h| h.map(|h| h.mandated)).collect::<Vec<_>>(),
        "mandatory_services": header.mandatory_services.numbers().zip(header.mandatory_services.names())
            .map(|(n, name)| name.map_or_else(|| format!("[{n}]"), str::to_owned)).collect::<Vec<_>>(),
        "gfste_list": header.gfste_list.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
        "template_ids": templates,
        "valid": problems.is_empty(),
        "problems": problems,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
    );
    Ok(())
}

fn segment_cmd(args: &[String]) -> Result<(), String> {
    let mut max = segment::SGP22_MAX_SEGMENT_LEN;
    let mut file = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--max" => {
                let n = it.next().ok_or("--max needs a number")?;
                max = n
                    .parse()
                    .map_err(|_| format!("--max: '{n}' is not a number"))?;
            }
            f if !f.starts_with("--") && file.is_none() => file = Some(a),
            other => return Err(format!("unexpected argument '{other}'")),
        }
    }
    let bytes = read(file)?;
    elements(&bytes)?;
    let chunks =
        segment::chunks(&bytes, max, Protection::None).map_err(|e| format!("--max {max}: {e}"))?;
    let mut out = String::new();
    for c in chunks {
        let mut tlv = Vec::with_capacity(c.buffer_len());
        c.emit(&mut tlv).map_err(|e| e.to_string())?;
        out.push_str(&hex::encode_upper(&tlv));
        out.push('\n');
    }
    print!("{out}");
    Ok(())
}
