//! `smsr-tool es8 derive-keys | establish | verify-receipt`: scenario #3
//! key establishment (ES8.EstablishISDPKeySet, SGP.02 §4.1.3.1 / GP Amd E)
//! for driving a real card: JSON on stdin (one object or an array), JSON on
//! stdout in the same shape; an input error gives `{"error": "..."}` in its
//! place. Every value is hex.

use clap::Subcommand;
use serde_json::{Map, Value, json};
use smsr::apdu::{Response, StatusWord};
use smsr::crypto::ecka::{
    Curve, DerivedKeys, KeyUsageQualifier, PrivateKey, PublicKey, SharedInfo, SharedSecret, receipt,
};
use smsr::es8::crt::KeyAgreementCrt;
use smsr::es8::establish::SmDp;

use crate::common::Outcome;
use crate::json_io::{hex_field, opt_hex};

const FIELDS_HELP: &str = "\
Fields (hex strings): curve \"P-256\" (default) or \"brainpoolP256r1\"
(the curve of esk and ecasd_public_key; sk_dp_curve, default the same, for
sk_dp); esk (the SM-DP ephemeral private key ESK.DP.ECKA) with
ecasd_public_key (04||X||Y),
or z (the shared secret); crt (the A6 CRT TLV); dr; host_id; sin; sdin;
key_usage / key_type / key_length (one octet each, default from crt).";

/// `smsr-tool es8 ...`.
#[derive(Subcommand)]
pub enum Es8Command {
    /// {curve, esk + ecasd_public_key | z, dr, key_usage, key_type,
    /// key_length, host_id, sin, sdin, crt} -> z, shared_info, receipt_key,
    /// keys (s_enc, s_mac, dek), receipt.
    #[command(after_help = FIELDS_HELP)]
    DeriveKeys,
    /// {isdp_aid, certificate (7F21), crt, esk, ecasd_public_key[, sk_dp,
    /// challenge, sin]} -> certificate_apdus; with sk_dp, key_agreement_apdus
    /// signed over the card's challenge.
    #[command(after_help = FIELDS_HELP)]
    Establish,
    /// {crt, esk, ecasd_public_key, response (85 DR || 86 receipt)[, sw,
    /// sin]} -> valid, kvn, s_enc, s_mac, dek (or valid false and why).
    #[command(after_help = FIELDS_HELP)]
    VerifyReceipt,
}

pub fn run(cmd: &Es8Command) -> Outcome {
    let op: crate::json_io::Op = match cmd {
        Es8Command::DeriveKeys => derive_keys,
        Es8Command::Establish => establish,
        Es8Command::VerifyReceipt => verify_receipt,
    };
    crate::json_io::run(op)
}

fn octet(o: &Map<String, Value>, name: &str, default: Option<u8>) -> Result<u8, String> {
    match (opt_hex(o, name)?, default) {
        (Some(v), _) => match v[..] {
            [b] => Ok(b),
            _ => Err(format!("{name}: one octet expected")),
        },
        (None, Some(d)) => Ok(d),
        (None, None) => Err(format!("missing field '{name}' (or give crt)")),
    }
}

/// The curve named in `o[name]` (default `default`).
fn curve_field(o: &Map<String, Value>, name: &str, default: Curve) -> Result<Curve, String> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::String(s)) => Curve::from_name(s)
            .ok_or_else(|| format!("{name}: {s} is not supported (P-256 or brainpoolP256r1)")),
        Some(_) => Err(format!("{name}: expected a curve name")),
    }
}

fn check_curve(o: &Map<String, Value>) -> Result<Curve, String> {
    curve_field(o, "curve", Curve::NistP256)
}

fn crt_field(o: &Map<String, Value>) -> Result<Option<(KeyAgreementCrt, Vec<u8>)>, String> {
    opt_hex(o, "crt")?
        .map(|b| {
            KeyAgreementCrt::parse(&b, 0)
                .map(|c| (c, b))
                .map_err(|e| format!("crt: {e}"))
        })
        .transpose()
}

fn keys(o: &Map<String, Value>, curve: Curve) -> Result<(PrivateKey, PublicKey), String> {
    let esk =
        PrivateKey::from_bytes_on(curve, &hex_field(o, "esk")?).map_err(|e| format!("esk: {e}"))?;
    let pk = PublicKey::from_uncompressed_on(curve, &hex_field(o, "ecasd_public_key")?)
        .map_err(|e| format!("ecasd_public_key: {e}"))?;
    Ok((esk, pk))
}

fn derive_keys(o: &Map<String, Value>) -> Result<Value, String> {
    let curve = check_curve(o)?;
    let crt = crt_field(o)?;
    let z = match opt_hex(o, "z")? {
        Some(z) => SharedSecret::from_bytes(&z).map_err(|e| format!("z: {e}"))?,
        None => {
            let (esk, pk) = keys(o, curve)?;
            esk.ecka(&pk).map_err(|e| e.to_string())?
        }
    };
    let c = crt.as_ref().map(|(c, _)| c);
    let (dr, host_id) = (opt_hex(o, "dr")?, opt_hex(o, "host_id")?);
    let (sin, sdin) = (opt_hex(o, "sin")?, opt_hex(o, "sdin")?);
    let host_id = host_id.or_else(|| c.and_then(|c| c.host_id.as_ref().map(|h| h.to_vec())));
    let sdin = sdin.or_else(|| c.and_then(|c| c.sdin.as_ref().map(|s| s.to_vec())));
    let info = SharedInfo {
        key_usage: KeyUsageQualifier(octet(o, "key_usage", c.map(|c| c.key_usage.0))?),
        key_type: octet(o, "key_type", c.map(|c| c.key_type))?,
        key_length: octet(o, "key_length", c.map(|c| c.key_length))?,
        derivation_random: dr.as_deref(),
        host_id: host_id.as_deref(),
        sin_sdin: sin.as_deref().zip(sdin.as_deref()),
    };
    let shared_info = info.encode().map_err(|e| e.to_string())?;
    let derived = DerivedKeys::derive(&z, &info).map_err(|e| e.to_string())?;
    let key_hex: Vec<String> = derived
        .keys()
        .iter()
        .map(|k| hex::encode(k.dangerous_bytes()))
        .collect();
    let mut out = Map::new();
    out.insert("z".into(), json!(hex::encode(z.dangerous_bytes())));
    out.insert("shared_info".into(), json!(hex::encode(&shared_info)));
    let receipt_key = derived.receipt_key().dangerous_bytes();
    out.insert("receipt_key".into(), json!(hex::encode(receipt_key)));
    if let [s_enc, s_mac, dek] = &key_hex[..] {
        out.insert("s_enc".into(), json!(s_enc));
        out.insert("s_mac".into(), json!(s_mac));
        out.insert("dek".into(), json!(dek));
    }
    out.insert("keys".into(), json!(key_hex));
    if let Some((_, crt_bytes)) = &crt {
        let r =
            receipt(derived.receipt_key(), crt_bytes, dr.as_deref()).map_err(|e| e.to_string())?;
        out.insert("receipt".into(), json!(hex::encode(r)));
    }
    Ok(Value::Object(out))
}

fn sm_dp(o: &Map<String, Value>) -> Result<SmDp, String> {
    let curve = check_curve(o)?;
    let (crt, _) = crt_field(o)?.ok_or("missing string field 'crt'")?;
    let (esk, pk) = keys(o, curve)?;
    let sin = opt_hex(o, "sin")?;
    SmDp::new(crt, esk, pk, sin.as_deref()).map_err(|e| e.to_string())
}

fn establish(o: &Map<String, Value>) -> Result<Value, String> {
    let dp = sm_dp(o)?;
    let aid = hex_field(o, "isdp_aid")?;
    let cert = hex_field(o, "certificate")?;
    let first = dp
        .certificate_commands(&aid, &cert)
        .map_err(|e| e.to_string())?;
    let hexes = |v: &[Vec<u8>]| -> Vec<String> { v.iter().map(hex::encode).collect() };
    let mut out = Map::new();
    out.insert("certificate_apdus".into(), json!(hexes(&first)));
    if let Some(sk) = opt_hex(o, "sk_dp")? {
        let curve = curve_field(o, "sk_dp_curve", check_curve(o)?)?;
        let sk = PrivateKey::from_bytes_on(curve, &sk).map_err(|e| format!("sk_dp: {e}"))?;
        let challenge = opt_hex(o, "challenge")?;
        let block = u8::try_from(first.len() - 1).map_err(|_| "certificate too long")?;
        let ka = dp
            .key_agreement_commands(&sk, challenge.as_deref(), block)
            .map_err(|e| e.to_string())?;
        out.insert("key_agreement_apdus".into(), json!(hexes(&ka)));
    }
    Ok(Value::Object(out))
}

fn verify_receipt(o: &Map<String, Value>) -> Result<Value, String> {
    let dp = sm_dp(o)?;
    let data = hex_field(o, "response")?;
    let sw = match opt_hex(o, "sw")? {
        None => StatusWord::SUCCESS,
        Some(v) => match v[..] {
            [a, b] => StatusWord::new(a, b),
            _ => return Err("sw: two octets expected".into()),
        },
    };
    Ok(match dp.finish(&Response::new(&data, sw)) {
        Ok(k) => json!({
            "valid": true,
            "kvn": format!("{:02X}", k.kvn),
            "s_enc": hex::encode(k.s_enc.dangerous_bytes()),
            "s_mac": hex::encode(k.s_mac.dangerous_bytes()),
            "dek": hex::encode(k.dek.dangerous_bytes()),
        }),
        Err(e) => json!({ "valid": false, "reason": e.to_string() }),
    })
}
