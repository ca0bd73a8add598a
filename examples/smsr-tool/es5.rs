//! `smsr-tool es5 ...`: ES5 C-APDUs to the ISD-R (GSMA SGP.02 §4.1.1), one
//! hex line per APDU, and eUICC notification parsing.

use clap::{Args, Subcommand};
use smsr::isdr::es5::{self, Capdu};
use smsr::isdr::{Aid, Notification};
use smsr::remote::Coding;
use smsr::remote::expanded::{c_apdu, command_script};
use smsr::tlv::Encode;

use crate::common::{Outcome, parse_hex, print_json, println};

/// The ISD-P a command addresses.
#[derive(Args)]
pub struct Target {
    /// The ISD-P AID in hex (A0000005591010FFFFFFFF89 + TAR 000010..00FFFF + 00).
    #[arg(long = "isdp-aid", value_name = "HEX")]
    isdp_aid: String,
}

/// How the C-APDUs are printed.
#[derive(Args)]
pub struct Form {
    /// Print one AA expanded command script (ETSI TS 102 226 §5.2) instead
    /// of one C-APDU per line.
    #[arg(long)]
    script: bool,
}

/// `smsr-tool es5 ...`.
#[derive(Subcommand)]
pub enum Es5Command {
    /// ES5.CreateISDP (SGP.02 §4.1.1.1): INSTALL [for install and make selectable].
    CreateIsdp {
        #[command(flatten)]
        target: Target,
        /// The memory quota in bytes (system parameter EF { 83 }).
        #[arg(long, value_name = "N")]
        memory: Option<String>,
        #[command(flatten)]
        form: Form,
    },
    /// ES5.EnableProfile (SGP.02 §4.1.1.2): STORE DATA, DGI 3A03.
    Enable {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        form: Form,
    },
    /// ES5.DisableProfile (SGP.02 §4.1.1.3): STORE DATA, DGI 3A04.
    Disable {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        form: Form,
    },
    /// ES5.DeleteISDP (SGP.02 §4.1.1.4): DELETE of the ISD-P.
    Delete {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        form: Form,
    },
    /// ES5.SetFallBackAttribute: STORE DATA, DGI 3A05.
    SetFallback {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        form: Form,
    },
    /// ES5.SetEmergencyProfileAttribute: STORE DATA (DGI unconfirmed).
    SetEmergency {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        form: Form,
    },
    /// ES5.HandleNotificationConfirmation: STORE DATA, DGI 3A08.
    ConfirmNotification {
        /// The notification's sequence number, 0 to 65535.
        #[arg(long, value_name = "N")]
        seq: String,
        #[command(flatten)]
        form: Form,
    },
    /// Audit: GET DATA FF21 (card resources), then GET STATUS of the ISD-Ps.
    Audit {
        /// Restrict GET STATUS to this ISD-P AID (hex).
        #[arg(long = "isdp-aid", value_name = "HEX")]
        isdp_aid: Option<String>,
        #[command(flatten)]
        form: Form,
    },
    /// Print an eUICC notification (E1 TLV) as JSON.
    ParseNotification {
        /// The E1 TLV in hex.
        #[arg(value_name = "HEX")]
        hex: String,
    },
}

pub fn run(cmd: &Es5Command) -> Outcome {
    let one = |r: Result<Capdu, smsr::isdr::Error>| r.map(|c| vec![c]).map_err(|e| e.to_string());
    let (apdus, form) = match cmd {
        Es5Command::CreateIsdp {
            target,
            memory,
            form,
        } => {
            let memory = memory.as_deref().map(parse_memory).transpose()?;
            (one(es5::create_isdp(&isdp_aid(target)?, memory))?, form)
        }
        Es5Command::Enable { target, form } => {
            (one(es5::enable_profile(&isdp_aid(target)?))?, form)
        }
        Es5Command::Disable { target, form } => {
            (one(es5::disable_profile(&isdp_aid(target)?))?, form)
        }
        Es5Command::Delete { target, form } => (one(es5::delete_isdp(&isdp_aid(target)?))?, form),
        Es5Command::SetFallback { target, form } => {
            (one(es5::set_fallback_attribute(&isdp_aid(target)?))?, form)
        }
        Es5Command::SetEmergency { target, form } => (
            one(es5::set_emergency_profile_attribute(&isdp_aid(target)?))?,
            form,
        ),
        Es5Command::ConfirmNotification { seq, form } => {
            let seq: u16 = seq
                .parse()
                .map_err(|_| format!("--seq: '{seq}' is not 0..65535"))?;
            (one(es5::handle_notification_confirmation(seq))?, form)
        }
        Es5Command::Audit { isdp_aid, form } => {
            let aid = isdp_aid.as_deref().map(aid_arg).transpose()?;
            let apdus = vec![
                es5::audit_card_resources().map_err(|e| e.to_string())?,
                es5::audit_isdp_status(aid.as_ref()).map_err(|e| e.to_string())?,
            ];
            (apdus, form)
        }
        Es5Command::ParseNotification { hex } => return parse_notification(hex),
    };
    print_apdus(&apdus, form)
}

/// The C-APDUs in hex, one per line, or as one `AA` expanded script.
fn print_apdus(apdus: &[Capdu], form: &Form) -> Outcome {
    if form.script {
        let items: Vec<_> = apdus.iter().map(|a| c_apdu(a.as_bytes())).collect();
        let script = command_script(items, Coding::Definite)
            .to_vec()
            .map_err(|e| e.to_string())?;
        println(&hex::encode_upper(script))
    } else {
        let mut out = String::new();
        for a in apdus {
            out.push_str(&hex::encode_upper(a.as_bytes()));
            out.push('\n');
        }
        crate::common::print(&out)
    }
}

fn parse_memory(text: &str) -> Result<u32, String> {
    text.parse()
        .map_err(|_| format!("--memory: '{text}' is not a number of bytes"))
}

/// An AID given as `--isdp-aid HEX`.
fn aid_arg(text: &str) -> Result<Aid, String> {
    let bytes = parse_hex(text)?;
    Aid::new(&bytes).map_err(|e| format!("--isdp-aid: {e}"))
}

/// The `--isdp-aid` of a command that needs an ISD-P.
fn isdp_aid(target: &Target) -> Result<Aid, String> {
    let aid = aid_arg(&target.isdp_aid)?;
    if !aid.is_isd_p() {
        return Err(format!(
            "--isdp-aid {aid} is not an ISD-P AID (A0000005591010FFFFFFFF89 + TAR 000010..00FFFF + 00)"
        ));
    }
    Ok(aid)
}

fn parse_notification(hexarg: &str) -> Outcome {
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
    print_json(&v)
}
