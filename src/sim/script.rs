//! Running the TS 102 226 remote command formats on the card side and
//! building the response the way a card does.
//!
//! * Compact (§5.1): the C-APDUs one after another; the response is the
//!   number of executed commands, SW1 SW2 of the last and its data.
//! * Expanded (§5.2): `AA` (definite) gets `AB { 80 count, 23 R-APDU … }`,
//!   `AE 80 … 00 00` gets `AF 80 { 23 R-APDU … } 00 00` without the count
//!   (as a real card answered in the reference trace). One `23` per
//!   executed C-APDU. An item the card does not know ends the script with
//!   a Bad format TLV `90 01`.
//!
//! A Script Chaining TLV (`83`) keeps the card's session state (an open
//! STORE DATA sequence, INSTALL [for personalization]) across the scripts
//! of a chain; without it each script starts afresh.
//!
//! Execution stops after the first C-APDU whose status is an error: every
//! status but `9000`, `61xx`, `62xx`, `63xx` (warnings) and `91xx`/`92xx`.
//!
//! ES8 data for an ISD-P (SGP.02 §4.1.3.3, SCP03t) are not C-APDUs but the
//! command TLVs `84`/`85`/`86`: the card takes them either as the whole
//! secured data (a sequence of TLVs, as the SM-SR relays ES3.SendData) or
//! as items of an expanded script beside `22` and `83`; each answer TLV
//! (response `84`/`85`/`86`, or the error TLV `9F xx` after which the
//! card stops) is returned in place, as the response script's item for an
//! expanded script (UNCONFIRMED: no public trace of either form).

use alloc::vec::Vec;

use super::card::Rapdu;
use crate::apdu::{Response, StatusWord};
use crate::remote::expanded::{self, CommandItem, CommandScript, ScriptChaining};
use crate::remote::{Coding, CompactCommands, P3};
use crate::scp03t::tag;
use crate::tlv::{Encode, Tlv};

/// Answers one SCP03t command TLV with its response or error TLV.
pub(crate) type Scp03tExec<'a> = &'a mut dyn FnMut(&[u8]) -> Vec<u8>;

/// Whether processing goes on after `sw`.
pub(crate) const fn continues(sw: StatusWord) -> bool {
    matches!(sw.sw1(), 0x90 | 0x61 | 0x62 | 0x63 | 0x91 | 0x92)
        && (sw.sw1() != 0x90 || sw.sw2() == 0x00)
}

/// Whether `data` starts like an expanded command script.
pub(crate) fn is_expanded(data: &[u8]) -> bool {
    matches!(data.first(), Some(0xAA | 0xAE))
}

/// Whether `data` starts with an SCP03t command TLV (`84`, `85`, `86`).
pub(crate) fn is_scp03t(data: &[u8]) -> bool {
    matches!(
        data.first(),
        Some(&(tag::INITIALIZE_UPDATE | tag::EXTERNAL_AUTHENTICATE | tag::SEGMENT))
    )
}

/// Whether an SCP03t answer is the card's error TLV (processing stops).
fn is_scp03t_error(answer: &[u8]) -> bool {
    answer.first() == Some(&tag::ERROR)
}

/// Runs a sequence of SCP03t command TLVs; the answers one after another,
/// up to and including the first error TLV. Bytes that are not a TLV go
/// to `exec` as they are (the ISD-P refuses them with its error TLV).
pub(crate) fn run_scp03t(data: &[u8], exec: Scp03tExec<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let (command, after) = match Tlv::parse(rest) {
            Ok((t, after)) => (t.raw(), after),
            Err(_) => (rest, &[][..]),
        };
        let answer = exec(command);
        out.extend_from_slice(&answer);
        if is_scp03t_error(&answer) {
            break;
        }
        rest = after;
    }
    out
}

/// How a script takes part in a chain of scripts (TS 102 226 §5.2.1.4,
/// Script Chaining TLV `83`): whether the card keeps its session state
/// (an open STORE DATA sequence, INSTALL [for personalization]) from the
/// previous script, and for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chaining {
    /// Continue the state of the previous script (`02`, `03`).
    pub(crate) continues: bool,
    /// Keep the state for the next script (`01`, `11`, `02`).
    pub(crate) keeps: bool,
}

/// The chaining of an expanded script (none for anything else).
pub(crate) fn chaining(data: &[u8]) -> Chaining {
    let value = CommandScript::parse(data).ok().and_then(|(s, _)| {
        s.items().find_map(|i| match i {
            Ok(CommandItem::ScriptChaining(c)) => Some(c),
            _ => None,
        })
    });
    match value {
        Some(c)
            if c == ScriptChaining::FIRST_DELETE_ON_RESET
                || c == ScriptChaining::FIRST_KEEP_ON_RESET =>
        {
            Chaining {
                continues: false,
                keeps: true,
            }
        }
        Some(ScriptChaining::SUBSEQUENT) => Chaining {
            continues: true,
            keeps: true,
        },
        Some(ScriptChaining::LAST) => Chaining {
            continues: true,
            keeps: false,
        },
        _ => Chaining {
            continues: false,
            keeps: false,
        },
    }
}

/// Runs a compact command list (GlobalPlatform P3 classification).
pub(crate) fn run_compact(data: &[u8], exec: &mut dyn FnMut(&[u8]) -> Rapdu) -> Vec<u8> {
    let mut count: u8 = 0;
    let mut last: Option<Rapdu> = None;
    for cmd in CompactCommands::new(data, P3::global_platform) {
        let Ok(cmd) = cmd else {
            // A truncated command: the card answers as for a wrong length.
            count = count.saturating_add(1);
            last = Some(Rapdu {
                data: Vec::new(),
                sw: StatusWord::WRONG_LENGTH,
            });
            break;
        };
        let r = exec(cmd.raw);
        count = count.saturating_add(1);
        let go_on = continues(r.sw);
        last = Some(r);
        if !go_on {
            break;
        }
    }
    let mut out = alloc::vec![count];
    match last {
        Some(r) => {
            out.extend_from_slice(&r.sw.to_bytes());
            out.extend_from_slice(&r.data);
        }
        None => out.extend_from_slice(&StatusWord::SUCCESS.to_bytes()),
    }
    out
}

/// One item of a response script as built.
enum Item {
    R(Vec<u8>, StatusWord),
    Raw(Vec<u8>),
    BadFormat(u8),
}

/// Runs an expanded command script; `None` when `data` is not one (the
/// caller then answers it as compact). For an ISD-P, `scp03t` answers its
/// SCP03t command TLVs (each counts as an executed command).
pub(crate) fn run_expanded(
    data: &[u8],
    exec: &mut dyn FnMut(&[u8]) -> Rapdu,
    mut scp03t: Option<Scp03tExec<'_>>,
) -> Option<Vec<u8>> {
    let (script, _padding) = CommandScript::parse(data).ok()?;
    let coding = script.coding();
    let mut items = Vec::new();
    let mut count: u8 = 0;
    for item in script.items() {
        match item {
            Ok(CommandItem::CApdu(apdu)) => {
                let r = exec(apdu);
                count = count.saturating_add(1);
                let go_on = continues(r.sw);
                items.push(Item::R(r.data, r.sw));
                if !go_on {
                    break;
                }
            }
            Ok(CommandItem::ScriptChaining(_)) => {}
            Ok(CommandItem::Unknown(t)) if is_scp03t(t.raw()) && scp03t.is_some() => {
                let answer = scp03t.as_mut().map(|f| f(t.raw()))?;
                count = count.saturating_add(1);
                let stop = is_scp03t_error(&answer);
                items.push(Item::Raw(answer));
                if stop {
                    break;
                }
            }
            Ok(_) => {
                items.push(Item::BadFormat(expanded::BadFormat::UNKNOWN_TAG.0));
                break;
            }
            Err(_) => {
                items.push(Item::BadFormat(expanded::BadFormat::WRONG_LENGTH.0));
                break;
            }
        }
    }
    let body: Vec<_> = items
        .iter()
        .map(|i| match i {
            Item::R(d, sw) => ItemEnc::R(expanded::r_apdu(Response::new(d, *sw))),
            Item::BadFormat(b) => ItemEnc::B(expanded::bad_format(expanded::BadFormat(*b))),
            Item::Raw(r) => ItemEnc::Raw(r),
        })
        .collect();
    let out = match coding {
        Coding::Definite => {
            expanded::response_script((expanded::executed_count(count), body), coding).to_vec()
        }
        Coding::Indefinite => expanded::response_script(body, coding).to_vec(),
    };
    out.ok()
}

/// An encodable response item.
enum ItemEnc<'a> {
    R(crate::tlv::TlvEncoder<Response<'a>>),
    B(crate::tlv::TlvEncoder<[u8; 1]>),
    Raw(&'a [u8]),
}

impl Encode for ItemEnc<'_> {
    fn encoded_len(&self) -> usize {
        match self {
            Self::R(e) => e.encoded_len(),
            Self::B(e) => e.encoded_len(),
            Self::Raw(r) => r.len(),
        }
    }

    fn encode(&self, out: &mut dyn crate::tlv::Buffer) -> Result<(), crate::tlv::Error> {
        match self {
            Self::R(e) => e.encode(out),
            Self::B(e) => e.encode(out),
            Self::Raw(r) => out.put(r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo_sw(sw: u16) -> impl FnMut(&[u8]) -> Rapdu {
        move |_| Rapdu {
            data: alloc::vec![0xAB],
            sw: StatusWord(sw),
        }
    }

    #[test]
    fn indefinite_answer_has_no_count() {
        // The reference's real-card exchange: AE 80 22 05 80CA008500 00 00
        // answered AF 80 23 02 6A88 00 00 (scp80-scp81.md §4.2, otaman-live).
        let script = [
            0xAE, 0x80, 0x22, 0x05, 0x80, 0xCA, 0x00, 0x85, 0x00, 0x00, 0x00,
        ];
        let mut exec = |_: &[u8]| Rapdu {
            data: Vec::new(),
            sw: StatusWord(0x6A88),
        };
        let out = run_expanded(&script, &mut exec, None).unwrap();
        assert_eq!(out, [0xAF, 0x80, 0x23, 0x02, 0x6A, 0x88, 0x00, 0x00]);
    }

    #[test]
    fn definite_stops_at_error() {
        let script = [
            0xAA, 0x0A, 0x22, 0x03, 0x80, 0xCA, 0x00, 0x22, 0x03, 0x80, 0xCA, 0x01,
        ];
        let mut n = 0;
        let mut exec = |_: &[u8]| {
            n += 1;
            Rapdu {
                data: Vec::new(),
                sw: StatusWord(0x6985),
            }
        };
        let out = run_expanded(&script, &mut exec, None).unwrap();
        assert_eq!(out, [0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x69, 0x85]);
        assert_eq!(n, 1);
    }

    #[test]
    fn compact_forms() {
        let list = [0x80, 0xCA, 0x00, 0x5A, 0x00, 0x80, 0xCA, 0x00, 0x5A, 0x00];
        assert_eq!(
            run_compact(&list, &mut echo_sw(0x9000)),
            [2, 0x90, 0x00, 0xAB]
        );
        assert_eq!(
            run_compact(&list, &mut echo_sw(0x6A88)),
            [1, 0x6A, 0x88, 0xAB]
        );
        assert_eq!(run_compact(&[], &mut echo_sw(0x9000)), [0, 0x90, 0x00]);
        assert_eq!(
            run_compact(&[0x80, 0xE2, 0x88, 0x00, 0x05, 0x01], &mut echo_sw(0x9000)),
            [1, 0x67, 0x00]
        );
    }
}
