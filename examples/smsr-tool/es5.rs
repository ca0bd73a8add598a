//! `smsr-tool es5 ...`: ES5 C-APDUs to the ISD-R, one hex line per APDU,
//! and eUICC notification parsing.

use smsr::isdr::es5::{self, Capdu};
use smsr::isdr::{Aid, Notification};
use smsr::remote::Coding;
use smsr::remote::expanded::{c_apdu, command_script};
use smsr::tlv::Encode;

use crate::common::{parse_hex, tail};

const USAGE: &str = "usage: smsr-tool es5 create-isdp --isdp-aid HEX [--memory N] | enable|disable|delete|set-fallback|set-emergency --isdp-aid HEX | confirm-notification --seq N | audit [--isdp-aid HEX] | parse-notification HEX   (add --script for one AA expanded script)";

pub fn run(args: &[String]) -> Result<(), String> {
    let sub = args.first().map(String::as_str).ok_or(USAGE)?;
    let rest = tail(args);
    if sub == "parse-notification" {
        return parse_notification(rest);
    }
    let opts = Opts::parse(rest)?;
    let one = |r: Result<Capdu, smsr::isdr::Error>| r.map(|c| vec![c]).map_err(|e| e.to_string());
    let apdus = match sub {
        "create-isdp" => one(es5::create_isdp(&opts.aid()?, opts.memory))?,
        "enable" => one(es5::enable_profile(&opts.aid()?))?,
        "disable" => one(es5::disable_profile(&opts.aid()?))?,
        "delete" => one(es5::delete_isdp(&opts.aid()?))?,
        "set-fallback" => one(es5::set_fallback_attribute(&opts.aid()?))?,
        "set-emergency" => one(es5::set_emergency_profile_attribute(&opts.aid()?))?,
        "confirm-notification" => {
            let seq = opts.seq.ok_or("confirm-notification needs --seq N")?;
            one(es5::handle_notification_confirmation(seq))?
        }
        "audit" => {
            let aid = opts.isdp_aid.as_ref();
            vec![
                es5::audit_card_resources().map_err(|e| e.to_string())?,
                es5::audit_isdp_status(aid).map_err(|e| e.to_string())?,
            ]
        }
        other => return Err(format!("unknown es5 command '{other}'; {USAGE}")),
    };
    if opts.script {
        let items: Vec<_> = apdus.iter().map(|a| c_apdu(a.as_bytes())).collect();
        let script = command_script(items, Coding::Definite)
            .to_vec()
            .map_err(|e| e.to_string())?;
        println!("{}", hex::encode_upper(script));
    } else {
        for a in &apdus {
            println!("{}", hex::encode_upper(a.as_bytes()));
        }
    }
    Ok(())
}

struct Opts {
    isdp_aid: Option<Aid>,
    memory: Option<u32>,
    seq: Option<u16>,
    script: bool,
}

impl Opts {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut o = Opts {
            isdp_aid: None,
            memory: None,
            seq: None,
            script: false,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
            match a.as_str() {
                "--isdp-aid" => {
                    let bytes = parse_hex(value("--isdp-aid")?)?;
                    let aid = Aid::new(&bytes).map_err(|e| format!("--isdp-aid: {e}"))?;
                    o.isdp_aid = Some(aid);
                }
                "--memory" => {
                    let v = value("--memory")?;
                    o.memory = Some(
                        v.parse()
                            .map_err(|_| format!("--memory: '{v}' is not a number of bytes"))?,
                    );
                }
                "--seq" => {
                    let v = value("--seq")?;
                    o.seq = Some(
                        v.parse()
                            .map_err(|_| format!("--seq: '{v}' is not 0..65535"))?,
                    );
                }
                "--script" => o.script = true,
                other => return Err(format!("unexpected argument '{other}'")),
            }
        }
        Ok(o)
    }

    fn aid(&self) -> Result<Aid, String> {
        let aid = self.isdp_aid.ok_or("--isdp-aid HEX is required")?;
        if !aid.is_isd_p() {
            return Err(format!(
                "--isdp-aid {aid} is not an ISD-P AID (A0000005591010FFFFFFFF89 + TAR 000010..00FFFF + 00)"
            ));
        }
        Ok(aid)
    }
}

fn parse_notification(args: &[String]) -> Result<(), String> {
    let [hexarg] = args else {
        return Err("usage: smsr-tool es5 parse-notification HEX".into());
    };
    let bytes = parse_hex(hexarg)?;
    let n = Notification::parse(&bytes).map_err(|e| format!("bad notification: {e}"))?;
    let check = n.eid.verify().err().map(|e| e.to_string());
    let dev = |d: &Option<smsr::isdr::notification::DeviceId>| {
        d.as_ref().map(|d| hex::encode_upper(&d.value))
    };
    let v = serde_json::json!({
        "Eid": n.eid.to_string(),
        "EidCheckDigits": check.map_or("ok".to_string(), |e| e),
        "NotificationType": format!("{:02X}", n.kind.0),
        "NotificationTypeName": n.kind.name().unwrap_or("RFU"),
        "SequenceNumber": n.sequence_number,
        "Isd-p-aid": n.isd_p_aid.map(|a| a.to_string()),
        "Isd-p-aid-tag": format!("{}", n.aid_tag),
        "Imei": dev(&n.imei),
        "Meid": dev(&n.meid),
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
    );
    Ok(())
}
