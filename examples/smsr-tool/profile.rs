//! `smsr-tool profile inspect|segment|info|tree|dump`: SAIP profile
//! packages.

mod json;

use serde_json::{Value, json};
use smsr::profile::{
    Application, FileSystem, GenericFileManagement, Package, PeType, ProfileElement, Rfm,
    SecurityDomain, ValidateOptions, naas, validate,
};
use smsr::scp03t::segment::{self, Protection};

use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::common::{Outcome, print, print_json, read_file};

/// `smsr-tool profile ...`.
#[derive(Subcommand)]
pub enum ProfileCommand {
    /// Decode a SAIP profile package: header, element list, validation (JSON).
    Inspect {
        /// The DER profile package.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Also report non-DER encodings as problems.
        #[arg(long)]
        strict: bool,
    },
    /// Split a package into '86' segment TLVs of at most N bytes, one hex line each.
    Segment {
        /// The DER profile package.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The largest segment TLV in bytes (default 1020, SGP.22's).
        #[arg(long, value_name = "N")]
        max: Option<String>,
    },
    /// What a profile engineer reads first (JSON): header, NAAs with ADF AIDs
    /// and IMSI, applications, security domains and keys, RFM TARs/MSL/ADF.
    Info {
        /// The DER profile package.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Show key values (SD keys); without it only their ids, types and lengths.
        #[arg(long)]
        show_keys: bool,
    },
    /// The files each element creates (JSON): template members with their FCP
    /// (FID, type, SFI, size) as the package states it (`fcp`) and completed
    /// from the template the PE names (`file`, `from_template` listing what
    /// came from the template), genericFileManagement paths and created files.
    Tree {
        /// The DER profile package.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Every element decoded (JSON), with its index, offset, tag and PEHeader.
    Dump {
        /// The DER profile package.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Show secret values (SD keys, PIN/PUK values, AKA K/OPc, CDMA A-key/SSD).
        #[arg(long)]
        show_keys: bool,
    },
}

pub fn run(cmd: &ProfileCommand) -> Outcome {
    match cmd {
        ProfileCommand::Inspect { file, strict } => inspect(file, *strict),
        ProfileCommand::Segment { file, max } => segment_cmd(file, max.as_deref()),
        ProfileCommand::Info { file, show_keys } => info(file, *show_keys),
        ProfileCommand::Tree { file } => tree(file),
        ProfileCommand::Dump { file, show_keys } => dump(file, *show_keys),
    }
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

fn inspect(file: &Path, strict: bool) -> Outcome {
    let bytes = read_file(file)?;
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
    print_json(&out)
}

fn segment_cmd(file: &Path, max: Option<&str>) -> Outcome {
    let max = match max {
        None => segment::SGP22_MAX_SEGMENT_LEN,
        Some(n) => n
            .parse()
            .map_err(|_| format!("--max: '{n}' is not a number"))?,
    };
    let bytes = read_file(file)?;
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
    print(&out)
}

/// `element N (offset O): what` for a decoding error of one element.
fn at(pe: &ProfileElement<'_>, e: &smsr::profile::Error) -> String {
    format!("element {} ('{}'): {e}", pe.index(), pe.pe_type())
}

fn info(file: &Path, show_keys: bool) -> Outcome {
    let bytes = read_file(file)?;
    let pes = elements(&bytes)?;
    let pkg = Package::new(&bytes);
    let header = pkg
        .header()
        .map_err(|e| format!("bad profile header: {e}"))?;
    let naa_list = naas(&pkg)
        .map(|n| n.map(|n| json::naa(&n)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("bad NAA element: {e}"))?;
    let (mut apps, mut sds, mut rfms) = (Vec::new(), Vec::new(), Vec::new());
    for pe in &pes {
        match pe.pe_type() {
            PeType::APPLICATION => {
                let a = Application::from_element(pe).map_err(|e| at(pe, &e))?;
                apps.push(json::application(pe, &a));
            }
            PeType::SECURITY_DOMAIN => {
                let sd = SecurityDomain::from_element(pe).map_err(|e| at(pe, &e))?;
                sds.push(json::security_domain(pe, &sd, show_keys));
            }
            PeType::RFM => {
                let r = Rfm::from_element(pe).map_err(|e| at(pe, &e))?;
                rfms.push(json::rfm(pe, &r));
            }
            _ => {}
        }
    }
    let mut out = json::header(&header);
    json::extend(
        &mut out,
        json!({
            "pe_count": pes.len(),
            "naas": naa_list,
            "applications": apps,
            "security_domains": sds,
            "rfm": rfms,
        }),
    );
    print_json(&out)
}

fn tree(file: &Path) -> Outcome {
    let bytes = read_file(file)?;
    let mut out = Vec::new();
    for pe in elements(&bytes)? {
        let ty = pe.pe_type();
        let body = if ty.is_template() {
            json::template(
                &FileSystem::from_element(&pe).map_err(|e| at(&pe, &e))?,
                false,
            )
        } else if ty == PeType::GENERIC_FILE_MANAGEMENT {
            json::gfm(
                &GenericFileManagement::from_element(&pe).map_err(|e| at(&pe, &e))?,
                false,
            )
        } else {
            continue;
        };
        let mut v = json!({"pe_index": pe.index(), "pe": ty.to_string()});
        json::extend(&mut v, body);
        out.push(v);
    }
    print_json(&json!({ "elements": out }))
}

fn dump(file: &Path, show_keys: bool) -> Outcome {
    let bytes = read_file(file)?;
    let mut out = Vec::new();
    for pe in elements(&bytes)? {
        let h = pe.pe_header().map_err(|e| at(&pe, &e))?;
        let decoded = json::decoded(&pe, show_keys).map_err(|e| at(&pe, &e))?;
        let raw =
            (decoded.is_null() && pe.pe_type() != PeType::END).then(|| hex::encode_upper(pe.raw()));
        out.push(json!({
            "index": pe.index(),
            "type": pe.pe_type().to_string(),
            "tag": pe.pe_type().tag().to_string(),
            "offset": pe.offset(),
            "length": pe.raw().len(),
            "identification": h.map(|h| h.identification),
            "mandated": h.map(|h| h.mandated),
            "decoded": decoded,
            "raw": raw,
        }));
    }
    print_json(&json!({ "elements": out }))
}
