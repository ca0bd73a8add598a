//! `smsr-tool eid check DIGITS`: verifies EID check digits (ISO/IEC 7064
//! MOD 97-10, GSMA SGP.29 §10); `eid compute DIGITS30` adds them.

use clap::Subcommand;
use smsr::isdr::Eid;

use crate::common::{Outcome, println};

/// `smsr-tool eid ...`.
#[derive(Subcommand)]
pub enum EidCommand {
    /// Verify the check digits of a 32-digit EID (ISO/IEC 7064 MOD 97-10).
    Check {
        /// The EID, 32 decimal digits.
        #[arg(value_name = "DIGITS")]
        digits: String,
    },
    /// Add the two check digits to the first 30 digits of an EID.
    Compute {
        /// The EID without its check digits, 30 decimal digits.
        #[arg(value_name = "DIGITS30")]
        digits: String,
    },
}

pub fn run(cmd: &EidCommand) -> Outcome {
    match cmd {
        EidCommand::Check { digits } => {
            let eid = Eid::parse_digits(digits).map_err(|e| format!("invalid EID: {e}"))?;
            println(&format!("{eid}: check digits ok"))
        }
        EidCommand::Compute { digits } => {
            let eid =
                Eid::with_check_digits(digits).map_err(|e| format!("invalid EID prefix: {e}"))?;
            println(&eid.to_string())
        }
    }
}
