//! The ES8 relay rules of ES3.SendData (SGP.02 §3.1.2 profile download,
//! §5.4.5 SendData): what the SM-SR sends for the SM-DP's data and how it
//! reads the eUICC's answer, which goes back to the SM-DP unchanged
//! (`EuiccResponseData`).
//!
//! * Over SCP81 the data go as the body of one response, targeted at the
//!   ISD-P (`X-Admin-Targeted-Application`), and `moreToDo` keeps the
//!   administration session open for the next SendData; the data are not
//!   changed.
//! * Over SCP80 each SendData is one command packet to the ISD-P's TAR;
//!   `moreToDo` chains the scripts (Script Chaining TLV `83`, TS 102 226
//!   §5.2.1.4; SGP.02 Annex K as njiwa reads it) so the ISD-P keeps its
//!   session state (its SCP03t session) from one to the next:
//!   [`chaining`] says which `83` value a script carries and
//!   [`chained_script`] puts it in.

use alloc::vec::Vec;

use super::script::ScriptError;
use crate::isdr::{Es5Error, response};
use crate::remote::ResponseScript;
use crate::remote::expanded::{CommandItem, CommandScript, ResponseItem, ScriptChaining};
use crate::scp03t::{self, tag};
use crate::tlv::{Encode, Tag, Tlv, tlv};

/// Tag of a definite-length expanded command script (TS 102 226 §5.2.1).
const COMMAND_SCRIPT: u32 = 0xAA;
/// Tag of the Script Chaining TLV (TS 102 226 table 5.9).
const SCRIPT_CHAINING: u8 = 0x83;

/// The Script Chaining value of an SCP80 SendData: `continues` when the
/// previous SendData to the same ISD-P asked `moreToDo`, `more_to_do` for
/// this one. `None` for a SendData outside any chain.
pub const fn chaining(continues: bool, more_to_do: bool) -> Option<ScriptChaining> {
    match (continues, more_to_do) {
        (false, false) => None,
        (false, true) => Some(ScriptChaining::FIRST_DELETE_ON_RESET),
        (true, true) => Some(ScriptChaining::SUBSEQUENT),
        (true, false) => Some(ScriptChaining::LAST),
    }
}

/// Whether `data` are SCP03t command TLVs (`84`, `85`, `86`; SGP.02
/// §4.1.3.3) rather than a command script.
fn is_scp03t(data: &[u8]) -> bool {
    matches!(
        data.first(),
        Some(&(tag::INITIALIZE_UPDATE | tag::EXTERNAL_AUTHENTICATE | tag::SEGMENT))
    )
}

/// `data` with the Script Chaining TLV `chaining` in front of its items:
/// an `AA` script gets `83 01 xx` as its first item, SCP03t command TLVs
/// are wrapped into `AA { 83 01 xx, TLVs }`; data that already carry a
/// `83` item, or no chaining at all, go unchanged.
///
/// # Errors
/// [`ScriptError::Response`] for a malformed `AA` script;
/// [`ScriptError::Unchainable`] for data a chain cannot carry (a compact
/// script or an indefinite `AE` one).
pub fn chained_script(
    data: &[u8],
    chaining: Option<ScriptChaining>,
) -> Result<Vec<u8>, ScriptError> {
    let Some(c) = chaining else {
        return Ok(data.to_vec());
    };
    let items = if is_scp03t(data) {
        data
    } else if data.first() == Some(&0xAA) {
        let (script, _) = CommandScript::parse(data)?;
        let chained = script
            .items()
            .any(|i| matches!(i, Ok(CommandItem::ScriptChaining(_))));
        if chained {
            return Ok(data.to_vec());
        }
        let (outer, _) = Tlv::parse(data)?;
        outer.value()
    } else {
        return Err(ScriptError::Unchainable);
    };
    let mut body = Vec::with_capacity(items.len() + 3);
    body.extend_from_slice(&[SCRIPT_CHAINING, 1, c.0]);
    body.extend_from_slice(items);
    Ok(tlv(Tag::new(COMMAND_SCRIPT), &body[..]).to_vec()?)
}

/// How the eUICC answered relayed data, for the SendData's status (the
/// answer itself goes back unchanged).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayVerdict {
    /// Every command ran (or the SCP03t answers carry no error TLV).
    Executed,
    /// The first R-APDU of a response script is an error.
    Refused(Es5Error),
    /// The ISD-P refused an SCP03t command TLV with its error TLV `9F xx`.
    Scp03tRefused(scp03t::CardError),
    /// The answer is neither a response script nor SCP03t answer TLVs.
    Unreadable,
}

/// Reads the eUICC's answer to relayed data: a response script (`AB`/`AF`,
/// its R-APDUs ruled as for any ES5 script, its SCP03t answer items
/// checked for the error TLV), or SCP03t answer TLVs one after another.
pub fn verdict(body: &[u8]) -> RelayVerdict {
    if matches!(body.first(), Some(0xAB | 0xAF)) {
        return match ResponseScript::parse(body) {
            Ok((script, _)) => script_verdict(&script),
            Err(_) => RelayVerdict::Unreadable,
        };
    }
    tlvs_verdict(body)
}

fn script_verdict(script: &ResponseScript<'_>) -> RelayVerdict {
    let mut answers = Vec::new();
    for item in script.items() {
        match item {
            Ok(ResponseItem::RApdu(r)) => {
                let mut v = r.data().to_vec();
                v.extend_from_slice(&r.sw().0.to_be_bytes());
                return match response::command_status(&v) {
                    Ok(()) => RelayVerdict::Executed,
                    Err(e) => RelayVerdict::Refused(e),
                };
            }
            Ok(ResponseItem::Unknown(t)) => answers.extend_from_slice(t.raw()),
            Ok(_) => {}
            Err(_) => return RelayVerdict::Unreadable,
        }
    }
    tlvs_verdict(&answers)
}

/// SCP03t answer TLVs: the card stops at its error TLV (`9F 44`/`45`/`46`
/// `02 SW`, [`scp03t::CardError`]), an ordinary BER TLV among the others.
fn tlvs_verdict(mut rest: &[u8]) -> RelayVerdict {
    while !rest.is_empty() {
        if rest.first() == Some(&tag::ERROR) {
            return match scp03t::CardError::check(rest) {
                Err(scp03t::Error {
                    kind: scp03t::ErrorKind::CardError { tag, sw },
                    ..
                }) => RelayVerdict::Scp03tRefused(scp03t::CardError { tag, sw }),
                _ => RelayVerdict::Unreadable,
            };
        }
        match Tlv::parse(rest) {
            Ok((_, after)) => rest = after,
            Err(_) => return RelayVerdict::Unreadable,
        }
    }
    RelayVerdict::Executed
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn chaining_follows_more_to_do() {
        assert_eq!(chaining(false, false), None);
        assert_eq!(
            chaining(false, true),
            Some(ScriptChaining::FIRST_DELETE_ON_RESET)
        );
        assert_eq!(chaining(true, true), Some(ScriptChaining::SUBSEQUENT));
        assert_eq!(chaining(true, false), Some(ScriptChaining::LAST));
    }

    #[test]
    fn scp03t_tlvs_and_scripts_get_the_chaining_item_first() {
        let seg = [0x86, 0x02, 0x01, 0x02];
        assert_eq!(
            chained_script(&seg, Some(ScriptChaining::SUBSEQUENT)).unwrap(),
            [0xAA, 0x07, 0x83, 0x01, 0x02, 0x86, 0x02, 0x01, 0x02]
        );
        // AA { 22 04 80CA0066 } (GET DATA as a C-APDU item).
        let script = [0xAA, 0x06, 0x22, 0x04, 0x80, 0xCA, 0x00, 0x66];
        assert_eq!(
            chained_script(&script, Some(ScriptChaining::LAST)).unwrap(),
            [
                0xAA, 0x09, 0x83, 0x01, 0x03, 0x22, 0x04, 0x80, 0xCA, 0x00, 0x66
            ]
        );
        // Already chained: unchanged; no chaining: unchanged.
        let own = [0xAA, 0x03, 0x83, 0x01, 0x01];
        assert_eq!(
            chained_script(&own, Some(ScriptChaining::LAST)).unwrap(),
            own
        );
        assert_eq!(chained_script(&[0x80, 0xCA], None).unwrap(), [0x80, 0xCA]);
        // Compact C-APDUs cannot carry `83`.
        assert_eq!(
            chained_script(&[0x80, 0xCA, 0x00, 0x66], Some(ScriptChaining::LAST)),
            Err(ScriptError::Unchainable)
        );
        assert!(chained_script(&[0xAA, 0x05, 0x22], Some(ScriptChaining::LAST)).is_err());
    }

    #[test]
    fn the_verdict_reads_rapdus_scp03t_answers_and_the_error_tlv() {
        // AB { 80 01 01, 23 02 9000 }
        let ok = [0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x90, 0x00];
        assert_eq!(verdict(&ok), RelayVerdict::Executed);
        let refused = [0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x6A, 0x88];
        assert!(matches!(verdict(&refused), RelayVerdict::Refused(_)));
        // `86` answers, then the error TLV 9F46 6982.
        let answers = [0x86, 0x01, 0x00, 0x9F, 0x46, 0x02, 0x69, 0x82];
        assert_eq!(
            verdict(&answers),
            RelayVerdict::Scp03tRefused(scp03t::CardError {
                tag: 0x86,
                sw: 0x6982
            })
        );
        assert_eq!(verdict(&answers[..3]), RelayVerdict::Executed);
        assert_eq!(verdict(&[0x86, 0x05, 0x00]), RelayVerdict::Unreadable);
        assert_eq!(verdict(&[0xAB, 0x09]), RelayVerdict::Unreadable);
    }
}
