//! `smsr-tool eid check DIGITS`: verifies EID check digits (ISO/IEC 7064
//! MOD 97-10, GSMA SGP.29 §10); `eid compute DIGITS30` adds them.

use smsr::isdr::Eid;

use crate::common::tail;

const USAGE: &str = "usage: smsr-tool eid check DIGITS(32) | eid compute DIGITS(30)";

pub fn run(args: &[String]) -> Result<(), String> {
    match (args.first().map(String::as_str), tail(args)) {
        (Some("check"), [digits]) => {
            let eid = Eid::parse_digits(digits).map_err(|e| format!("invalid EID: {e}"))?;
            println!("{eid}: check digits ok");
            Ok(())
        }
        (Some("compute"), [digits]) => {
            let eid =
                Eid::with_check_digits(digits).map_err(|e| format!("invalid EID prefix: {e}"))?;
            println!("{eid}");
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}
