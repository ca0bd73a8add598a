//! JSON of `smsr-tool profile info|tree|dump`: what `src/profile` decodes,
//! nothing re-parsed here. Secret values (SD key data, PIN/PUK values, AKA
//! K/OPc, the CDMA A-key and SSD) appear only with `--show-keys`; without
//! it a key shows its identifiers, type and length.

use serde_json::{Value, json};
use smsr::profile::{
    AkaParameter, AlgoConfiguration, Application, ApplicationInstance, CdmaParameter, Error,
    FileEntry, FileInfo, FileManagementCommand, FileSystem, GenericFileManagement, KeyObject, Naa,
    NonStandard, PeType, PinCodes, ProfileElement, ProfileHeader, PukCodes, Rfm, SecurityDomain,
    Template, TemplateFile,
};

/// Hex (upper case) of `b`.
fn h(b: &[u8]) -> String {
    hex::encode_upper(b)
}

/// Adds the members of the object `more` to the object `v`.
pub fn extend(v: &mut Value, more: Value) {
    if let (Value::Object(o), Value::Object(m)) = (v, more) {
        o.extend(m);
    }
}

/// A secret: its value with `show`, else only its length.
fn secret(b: &[u8], show: bool) -> Value {
    if show {
        json!(h(b))
    } else {
        json!({"redacted": true, "length": b.len()})
    }
}

/// The header fields a profile engineer reads first.
pub fn header(hd: &ProfileHeader<'_>) -> Value {
    let services: Vec<String> = hd
        .mandatory_services
        .numbers()
        .zip(hd.mandatory_services.names())
        .map(|(n, name)| name.map_or_else(|| format!("[{n}]"), str::to_owned))
        .collect();
    json!({
        "saip_version": format!("{}.{}", hd.major_version, hd.minor_version),
        "profile_type": hd.profile_type,
        "iccid": hd.iccid().map(|i| i.to_string()),
        "iccid_hex": h(&hd.iccid_raw),
        "pol": hd.pol.map(h),
        "mandatory_services": services,
        "gfste_list": hd.gfste_list.iter().map(|o| o.to_string()).collect::<Vec<_>>(),
        "mandatory_aids": hd.mandatory_aids.map(|l| l.iter().map(|a| json!({
            "aid": h(a.aid), "version": h(&a.version)
        })).collect::<Vec<_>>()),
        "connectivity_parameters": hd.connectivity_parameters.map(h),
    })
}

/// One NAA: type, ADF AID and file ID, IMSI (EF.IMSI raw too).
pub fn naa(n: &Naa<'_>) -> Value {
    json!({
        "type": n.pe_type.to_string(),
        "pe_index": n.pe_index,
        "adf_aid": n.adf_aid.map(h),
        "adf_file_id": n.adf_file_id.map(|f| h(&f)),
        "imsi": n.imsi().map(|i| i.to_string()),
        "ef_imsi": n.ef_imsi.map(h),
    })
}

fn instance(i: &ApplicationInstance<'_>) -> Value {
    json!({
        "load_package_aid": h(i.load_package_aid),
        "class_aid": h(i.class_aid),
        "instance_aid": h(i.instance_aid),
        "privileges": h(i.privileges),
        "life_cycle_state": format!("{:02X}", i.life_cycle_state),
        "application_specific_parameters": h(i.specific_parameters),
    })
}

/// An application PE: load package, its size, the instances.
pub fn application(pe: &ProfileElement<'_>, a: &Application<'_>) -> Value {
    json!({
        "pe_index": pe.index(),
        "mandated": a.header.mandated,
        "load_package_aid": a.load_block.map(|l| h(l.load_package_aid)),
        "security_domain_aid": a.load_block.and_then(|l| l.security_domain_aid).map(h),
        "load_block_size": a.load_block.map(|l| l.load_block_object.len()),
        "instances": a.instances().map(|i| instance(&i)).collect::<Vec<_>>(),
    })
}

fn key(k: &KeyObject<'_>, show: bool) -> Value {
    json!({
        "kvn": format!("{:02X}", k.version_number),
        "kid": format!("{:02X}", k.identifier),
        "usage": h(k.usage_qualifier),
        "access": format!("{:02X}", k.access),
        "components": k.components().map(|c| json!({
            "type": h(c.key_type),
            "length": c.key_data.len(),
            "mac_length": c.mac_length,
            "value": secret(c.key_data, show),
        })).collect::<Vec<_>>(),
    })
}

/// A security domain: instance and its keys.
pub fn security_domain(pe: &ProfileElement<'_>, sd: &SecurityDomain<'_>, show: bool) -> Value {
    json!({
        "pe_index": pe.index(),
        "instance": instance(&sd.instance),
        "keys": sd.keys().map(|k| key(&k, show)).collect::<Vec<_>>(),
        "sd_perso_data": sd.sd_perso_data().map(h).collect::<Vec<_>>(),
    })
}

/// An RFM instance: TARs (from tarList, else the last three bytes of the
/// instance AID as ETSI TS 102 226 §8.2.1.3.2.2 and pySim derive them), MSL,
/// ADF.
pub fn rfm(pe: &ProfileElement<'_>, r: &Rfm<'_>) -> Value {
    let listed: Vec<String> = r.tars().map(|t| h(&t)).collect();
    let (tars, source) = if listed.is_empty() {
        let derived = r
            .instance_aid
            .len()
            .checked_sub(3)
            .and_then(|n| r.instance_aid.get(n..))
            .map(h);
        (derived.into_iter().collect(), "instanceAID")
    } else {
        (listed, "tarList")
    };
    json!({
        "pe_index": pe.index(),
        "instance_aid": h(r.instance_aid),
        "security_domain_aid": r.security_domain_aid.map(h),
        "tars": tars,
        "tar_source": source,
        "minimum_security_level": format!("{:02X}", r.minimum_security_level),
        "uicc_access_domain": h(r.uicc_access_domain),
        "uicc_admin_access_domain": h(r.uicc_admin_access_domain),
        "adf_aid": r.adf_rfm_access.map(|a| h(a.adf_aid)),
    })
}

/// What an Fcp says of its file.
fn file_info(i: &FileInfo) -> Value {
    json!({
        "fid": i.file_id.map(|f| h(&f)),
        "type": match (i.is_adf, i.file_type) {
            (true, _) => Some("ADF".to_owned()),
            (false, Some(t)) => Some(t.short_name().map_or_else(|| format!("{t:?}"), str::to_owned)),
            (false, None) => None,
        },
        "sfi": i.sfi.flatten(),
        "sfi_absent": i.sfi == Some(None),
        "size": i.size,
        "record_length": i.record_length,
        "record_count": i.record_count,
    })
}

/// A file's facts with the template's filling the package's gaps, and
/// the names of those taken from the template (`from_template`).
fn completed_file_info(t: &TemplateFile, fcp: Option<&FileInfo>) -> Value {
    let (info, from) = t.complete(fcp);
    let mut v = file_info(&info);
    let names = [
        (from.fid, "fid"),
        (from.file_type, "type"),
        (from.sfi, "sfi"),
        (from.size, "size"),
    ];
    let from: Vec<&str> = names.iter().filter(|(f, _)| *f).map(|(_, n)| *n).collect();
    extend(&mut v, json!({ "from_template": from }));
    v
}

/// A template PE's files: each member present, its Fcp facts (`fcp`, null
/// where the package leaves them to the template), the same completed from
/// the template the PE names (`file`, null for a member the template does
/// not define once), `doNotCreate`, the bytes it fills (values with
/// `content`).
pub fn template(fs: &FileSystem<'_>, content: bool) -> Value {
    let tpl = Template::by_oid(fs.template_id);
    let files: Vec<Value> = fs
        .files()
        .map(|m| {
            let mut info = Value::Null;
            let mut fcp = None;
            let (mut fill, mut chunks, mut skip) = (0usize, Vec::new(), false);
            for e in m.entries() {
                match e {
                    FileEntry::Fcp(f) => {
                        let i = FileInfo::of(&f);
                        info = file_info(&i);
                        fcp = Some(i);
                    }
                    FileEntry::DoNotCreate => skip = true,
                    FileEntry::FillFileOffset(o) => chunks.push(json!({"offset": o})),
                    FileEntry::FillFileContent(c) => {
                        fill += c.len();
                        chunks.push(json!({"content": h(c)}));
                    }
                }
            }
            let file = tpl
                .zip(m.name)
                .and_then(|(t, n)| t.file(n))
                .map_or(Value::Null, |t| completed_file_info(t, fcp.as_ref()));
            let mut v = json!({"name": m.name, "tag": m.tag.to_string(), "fcp": info,
                "file": file, "do_not_create": skip, "fill_bytes": fill});
            if content {
                extend(&mut v, json!({ "fill": chunks }));
            }
            v
        })
        .collect();
    json!({"templateID": fs.template_id.to_string(), "files": files})
}

/// A genericFileManagement script: each path selected and the files
/// created under it (fill contents with `content`).
pub fn gfm(g: &GenericFileManagement<'_>, content: bool) -> Value {
    let mut scripts: Vec<Value> = Vec::new();
    for (n, cmd) in g.commands() {
        let step = match cmd {
            FileManagementCommand::FilePath(p) => json!({"filePath": h(p)}),
            FileManagementCommand::CreateFcp(f) => {
                json!({"createFCP": file_info(&FileInfo::of(&f))})
            }
            FileManagementCommand::FillFileOffset(o) => json!({"fillFileOffset": o}),
            FileManagementCommand::FillFileContent(c) if content => {
                json!({"fillFileContent": h(c)})
            }
            FileManagementCommand::FillFileContent(c) => {
                json!({"fillFileContent": {"length": c.len()}})
            }
        };
        if scripts.len() <= n {
            scripts.resize(n + 1, json!([]));
        }
        if let Some(Value::Array(s)) = scripts.get_mut(n) {
            s.push(step);
        }
    }
    json!({"fileManagementCMD": scripts})
}

fn aka(a: &AkaParameter<'_>, show: bool) -> Value {
    let algo = match a.algo_configuration {
        AlgoConfiguration::Algo(p) => json!({"algoParameter": {
            "algorithmID": p.algorithm_id,
            "algorithm": p.algorithm_name(),
            "algorithmOptions": format!("{:02X}", p.options),
            "key": secret(p.key, show),
            "opc": secret(p.opc, show),
            "rotationConstants": h(&p.rotation_constants),
            "authCounterMax": p.auth_counter_max.map(|c| h(&c)),
            "numberOfKeccak": p.number_of_keccak,
        }}),
        AlgoConfiguration::Mapping(m) => json!({"mappingParameter": {
            "mappingOptions": format!("{:02X}", m.options),
            "mappingSource": h(m.source),
        }}),
    };
    json!({
        "algoConfiguration": algo,
        "sqnOptions": format!("{:02X}", a.sqn_options),
        "sqnDelta": h(&a.sqn_delta),
        "sqnAgeLimit": h(&a.sqn_age_limit),
    })
}

fn pins(p: &PinCodes<'_>, show: bool) -> Value {
    json!({
        "filePath": p.file_path.map(h),
        "pins": p.configs().map(|c| json!({
            "keyReference": c.key_reference,
            "pinValue": secret(c.pin_value, show),
            "unblockingPINReference": c.unblocking_reference,
            "pinAttributes": c.pin_attributes,
            "maxNumOfAttemps-retryNumLeft": c.max_attempts_retry_left,
        })).collect::<Vec<_>>(),
    })
}

fn puks(p: &PukCodes<'_>, show: bool) -> Value {
    json!({"puks": p.configs().map(|c| json!({
        "keyReference": c.key_reference,
        "pukValue": secret(c.puk_value, show),
        "maxNumOfAttemps-retryNumLeft": c.max_attempts_retry_left,
    })).collect::<Vec<_>>()})
}

fn cdma(c: &CdmaParameter<'_>, show: bool) -> Value {
    json!({
        "members": c.members().collect::<Vec<_>>(),
        "authenticationKey": secret(c.authentication_key, show),
        "ssd": c.ssd.map(|s| secret(s, show)),
    })
}

/// One element decoded by its type (`null` for `end` and types without a
/// decoder here, whose raw bytes `dump` shows).
///
/// # Errors
/// The element does not decode as its type.
pub fn decoded(pe: &ProfileElement<'_>, show: bool) -> Result<Value, Error> {
    Ok(match pe.pe_type() {
        PeType::HEADER => header(&ProfileHeader::from_element(pe)?),
        PeType::GENERIC_FILE_MANAGEMENT => gfm(&GenericFileManagement::from_element(pe)?, true),
        PeType::PIN_CODES => pins(&PinCodes::from_element(pe)?, show),
        PeType::PUK_CODES => puks(&PukCodes::from_element(pe)?, show),
        PeType::AKA_PARAMETER => aka(&AkaParameter::from_element(pe)?, show),
        PeType::CDMA_PARAMETER => cdma(&CdmaParameter::from_element(pe)?, show),
        PeType::SECURITY_DOMAIN => security_domain(pe, &SecurityDomain::from_element(pe)?, show),
        PeType::RFM => rfm(pe, &Rfm::from_element(pe)?),
        PeType::APPLICATION => application(pe, &Application::from_element(pe)?),
        PeType::NON_STANDARD => {
            let n = NonStandard::from_element(pe)?;
            json!({"issuerID": n.issuer_id.to_string(), "content": h(n.content)})
        }
        t if t.is_template() => template(&FileSystem::from_element(pe)?, true),
        _ => Value::Null,
    })
}
