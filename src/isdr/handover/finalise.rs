//! ES5.FinaliseISDRhandover (SGP.02 §4.1.1.9; §3.8 step 25): SM-SR2,
//! over its new key set, has the ISD-R delete SM-SR1's key sets with a
//! DELETE \[key\] `80 E4 00 00` whose data are one or more `F2` TLVs, each
//! a key version number ‖ first key identifier ‖ last key identifier.
//!
//! Layout read twice: njiwa `ReceiveEISHandoverTransaction` (citing
//! "Section 4.1.1.9 of SGP v3.1") sends `F2 03 <KVN> 01 03`, no Le; whty
//! `FinaliseIsdrHandoverApdu` sends `F2 03 01 01 03` ‖ `F2 03 41 01 02`
//! and Le `00` — the SCP80 key set `01` (KIc, KID, DEK: ids 1-3) and the
//! SCP81 key set `41` (ids 1-2). Both agree on the three octets. Their
//! meaning is read from whty, whose ranges are the factory key sets:
//! the ranges named are the ones deleted (njiwa passes its own new KVN,
//! which under this reading would delete SM-SR2's keys: UNCONFIRMED
//! which is right against the SGP.02 text, which no public source
//! quotes). Le `00` as whty (njiwa's `SDCommand.APDU` writes none: the
//! one octet `tests/handover.rs` finds different); the GP DELETE answer
//! is `00` or nothing. Under this reading njiwa's command, sent over
//! SM-SR2's new key set and naming that key set, is refused by the
//! simulated card's minimum-key-set rule (`6985`, `sim/isdr_keys/view.rs`).

use heapless::Vec as HVec;

use crate::apdu::{Command, Header, Response};
use crate::es8::Error;
use crate::tlv::{self, Encode, Reader, Tag};

/// Tag of one key range in the FinaliseISDRhandover DELETE (njiwa, whty).
pub const TAG_KEY_RANGE: Tag = Tag::new(0xF2);
/// Most ranges one command carries here (16 × 5 octets fit one APDU).
pub const MAX_RANGES: usize = 16;

/// One key range: the key set `kvn`, key identifiers `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyRange {
    /// Key version number.
    pub kvn: u8,
    /// First key identifier.
    pub first_key_id: u8,
    /// Last key identifier.
    pub last_key_id: u8,
}

impl KeyRange {
    /// Whether the key `kvn`/`key_id` lies in this range.
    #[must_use]
    pub const fn contains(&self, kvn: u8, key_id: u8) -> bool {
        self.kvn == kvn && self.first_key_id <= key_id && key_id <= self.last_key_id
    }
}

/// The C-APDU `80 E4 00 00 Lc F2 03 … 00`.
///
/// # Errors
/// [`Error::FieldValue`] for no range, more than [`MAX_RANGES`], or a
/// range whose first key identifier exceeds its last.
pub fn finalise_isdr_handover(ranges: &[KeyRange]) -> Result<alloc::vec::Vec<u8>, Error> {
    if ranges.is_empty() || ranges.len() > MAX_RANGES {
        return Err(Error::FieldValue {
            what: "key ranges (1 to 16)",
            offset: 0,
        });
    }
    if ranges.iter().any(|r| r.first_key_id > r.last_key_id) {
        return Err(Error::FieldValue {
            what: "key range (first key identifier above the last)",
            offset: 0,
        });
    }
    let mut data: HVec<u8, { MAX_RANGES * 5 }> = HVec::new();
    for r in ranges {
        let tlv = [0xF2, 0x03, r.kvn, r.first_key_id, r.last_key_id];
        data.extend_from_slice(&tlv)
            .map_err(|_| Error::FieldValue {
                what: "key ranges (1 to 16)",
                offset: 0,
            })?;
    }
    let header = Header::new(0x80, crate::apdu::gp::ins::DELETE, 0x00, 0x00);
    Ok(Command::with_data(header, &data[..])?
        .with_le(256)?
        .to_vec()?)
}

/// The card side: the key ranges of a FinaliseISDRhandover DELETE's data.
///
/// # Errors
/// A malformed TLV, a tag other than `F2`, a value other than 3 octets,
/// a first key identifier above the last, no range or more than
/// [`MAX_RANGES`].
pub fn parse_finalise_request(data: &[u8]) -> Result<HVec<KeyRange, MAX_RANGES>, Error> {
    let mut out = HVec::new();
    for t in Reader::with_base(data, 0, tlv::Options::strict()) {
        let t = t?;
        if t.tag() != TAG_KEY_RANGE {
            return Err(Error::MissingTag {
                expected: TAG_KEY_RANGE,
                offset: t.offset(),
            });
        }
        let [kvn, first_key_id, last_key_id] =
            <[u8; 3]>::try_from(t.value()).map_err(|_| Error::FieldLength {
                what: "key range",
                len: t.value().len(),
                offset: t.value_offset(),
            })?;
        if first_key_id > last_key_id {
            return Err(Error::FieldValue {
                what: "key range (first key identifier above the last)",
                offset: t.value_offset(),
            });
        }
        out.push(KeyRange {
            kvn,
            first_key_id,
            last_key_id,
        })
        .map_err(|_| Error::FieldValue {
            what: "key ranges (1 to 16)",
            offset: t.offset(),
        })?;
    }
    if out.is_empty() {
        return Err(Error::FieldValue {
            what: "key ranges (1 to 16)",
            offset: 0,
        });
    }
    Ok(out)
}

/// The ISD-R's answer: `9000` with no data or the GP `00`.
///
/// # Errors
/// [`Error::Refused`] for another status; [`Error::FieldValue`] for
/// other data.
pub fn parse_finalise_response(r: &Response<'_>) -> Result<(), Error> {
    if !r.sw().is_success() {
        return Err(Error::Refused(r.sw()));
    }
    match r.data() {
        [] | [0x00] => Ok(()),
        _ => Err(Error::FieldValue {
            what: "FinaliseISDRhandover answer",
            offset: 0,
        }),
    }
}
