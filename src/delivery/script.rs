//! The scripts an SM-SR sends and reads on ES5: expanded command scripts
//! (ETSI TS 102 226 §5.2.1, definite length `AA`), the R-APDUs of a
//! response script (§5.2.2), and the answer to an audit (GET DATA `FF21`,
//! GET STATUS of the ISD-Ps, SGP.02 §4.1.1.8 / §5.1.1.3).

use alloc::vec::Vec;

use crate::isdr::audit::{
    ExtendedCardResources, IsdpStatus, IsdpStatusList, TAG_EXTENDED_CARD_RESOURCES,
};
use crate::isdr::es5::{self, Capdu};
use crate::isdr::{Es5Error, response};
use crate::remote::ResponseScript;
use crate::remote::expanded::{self, Coding, c_apdu, command_script};
use crate::tlv::Encode;

/// Why a script could not be built or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// An ES5 command could not be built.
    #[error("ES5 command: {0}")]
    Command(#[from] crate::isdr::Error),
    /// The command script could not be encoded.
    #[error("command script: {0}")]
    Encode(#[from] crate::tlv::Error),
    /// The response script is malformed.
    #[error("response script: {0}")]
    Response(#[from] crate::remote::Error),
    /// Relayed data that a chain of scripts cannot carry (only an `AA`
    /// script or SCP03t TLVs take the Script Chaining TLV `83`).
    #[error("a compact or indefinite-length script cannot be chained (`83`)")]
    Unchainable,
}

/// The expanded command script (`AA`, definite length) of `cmds`.
///
/// # Errors
/// [`ScriptError::Encode`] for a script beyond the TLV limits.
pub fn command_script_of(cmds: &[Capdu]) -> Result<Vec<u8>, ScriptError> {
    let items: Vec<_> = cmds.iter().map(|c| c_apdu(c.as_ref())).collect();
    Ok(command_script(items, Coding::Definite).to_vec()?)
}

/// The audit script: GET DATA `FF21` (extended card resources) and GET
/// STATUS of every ISD-P.
///
/// # Errors
/// As [`command_script_of`].
pub fn audit_script() -> Result<Vec<u8>, ScriptError> {
    command_script_of(&[es5::audit_card_resources()?, es5::audit_isdp_status(None)?])
}

/// The R-APDUs of a response script, as owned bytes (data ‖ SW). A script
/// holding only a bad-format item yields its status word alone.
///
/// # Errors
/// [`ScriptError::Response`] for a malformed script.
pub fn r_apdus(body: &[u8]) -> Result<Vec<Vec<u8>>, ScriptError> {
    let (script, _) = ResponseScript::parse(body)?;
    let mut out = Vec::new();
    for r in script.r_apdus() {
        let r = r?;
        let mut v = r.data().to_vec();
        v.extend_from_slice(&r.sw().0.to_be_bytes());
        out.push(v);
    }
    if out.is_empty() {
        // A Bad format TLV: the card could not read the script.
        if let Some(sw) = expanded::last_status(&script)? {
            out.push(Vec::from(sw.0.to_be_bytes()));
        }
    }
    Ok(out)
}

/// What an audit answered.
pub type AuditAnswer = (
    Result<ExtendedCardResources, Es5Error>,
    Result<Vec<IsdpStatus>, Es5Error>,
);

/// Reads the answers to [`audit_script`]: the card resources and the
/// ISD-P entries. A GET STATUS answered `6A88` (referenced data not found)
/// means no ISD-P at all; no GET STATUS answer is an error.
pub fn audit_answer(rapdus: &[Vec<u8>]) -> AuditAnswer {
    let missing = Es5Error::Malformed(crate::isdr::Error::MissingTag {
        tag: TAG_EXTENDED_CARD_RESOURCES,
        context: "audit response",
        offset: 0,
    });
    let res = rapdus
        .first()
        .ok_or(missing)
        .and_then(|r| response::expect_success(r))
        .and_then(|d| ExtendedCardResources::parse(d).map_err(Es5Error::from));
    let statuses = match rapdus.get(1).map(|r| response::expect_success(r)) {
        None => Err(missing),
        Some(Err(Es5Error::ReferencedDataNotFound)) => Ok(Vec::new()),
        Some(Err(e)) => Err(e),
        Some(Ok(d)) => IsdpStatusList::new(d)
            .collect::<Result<Vec<_>, _>>()
            .map_err(Es5Error::from),
    };
    (res, statuses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_of_a_card_without_isd_p() {
        // FF21 { 81 00, 82 0100 } 9000, then GET STATUS 6A88.
        let ff21 = alloc::vec![
            0xFF, 0x21, 0x07, 0x81, 0x01, 0x00, 0x82, 0x02, 0x01, 0x00, 0x90, 0x00,
        ];
        let (res, st) = audit_answer(&[ff21.clone(), alloc::vec![0x6A, 0x88]]);
        assert_eq!(res.unwrap().free_non_volatile_memory, Some(256));
        assert!(st.unwrap().is_empty());
        // No GET STATUS answer at all is not "no ISD-P".
        assert!(audit_answer(core::slice::from_ref(&ff21)).1.is_err());
        // Any other error stays an error.
        assert!(audit_answer(&[ff21, alloc::vec![0x69, 0x82]]).1.is_err());
    }

    #[test]
    fn response_scripts_give_their_r_apdus() {
        // AB 07 { 80 01 02, 23 02 9000 } : two executed, one R-APDU 9000.
        let body = [0xAB, 0x07, 0x80, 0x01, 0x02, 0x23, 0x02, 0x90, 0x00];
        assert_eq!(r_apdus(&body).unwrap(), [alloc::vec![0x90, 0x00]]);
        assert!(r_apdus(&[]).is_err());
        assert!(r_apdus(&[0xAB, 0x05, 0x23]).is_err());
        let script = audit_script().unwrap();
        assert_eq!(script.first(), Some(&0xAA));
    }
}
