//! The SMPP side of a concatenated SMS (SMPP 3.4 §5.3.2.22–24): the
//! concatenation IE of a TP-UD (3GPP TS 23.040 §9.2.3.24.1 and
//! §9.2.3.24.8) moved into the sar_msg_ref_num / sar_total_segments /
//! sar_segment_seqnum TLVs and back, and the `id:… stat:…` text of a
//! delivery receipt (SMPP 3.4 Appendix B). Pure functions over bytes,
//! writing into the caller's buffer.

use super::Error;
use super::sms::{ConcatReference, IEI_CONCAT_8, IEI_CONCAT_16, UserDataHeader};

/// The sar_* TLV values of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sar {
    /// sar_msg_ref_num.
    pub reference: u16,
    /// sar_total_segments.
    pub total: u8,
    /// sar_segment_seqnum.
    pub seq: u8,
}

/// Writes `byte` at `out[*at]`, advancing `at`.
fn put(out: &mut [u8], at: &mut usize, bytes: &[u8]) -> Result<(), Error> {
    let end = *at + bytes.len();
    let have = out.len();
    out.get_mut(*at..end)
        .ok_or(Error::BufferTooSmall { needed: end, have })?
        .copy_from_slice(bytes);
    *at = end;
    Ok(())
}

/// Writes a TP-UD whose UDH holds `first` (if any) then the IEs of `udh`
/// except concatenation IEs when `drop_concat`, then `payload`.
fn rebuild(
    out: &mut [u8],
    first: Option<&[u8]>,
    udh: &UserDataHeader<'_>,
    drop_concat: bool,
    payload: &[u8],
) -> Result<usize, Error> {
    let mut at = 1;
    if let Some(ie) = first {
        put(out, &mut at, ie)?;
    }
    for (iei, data) in udh.elements() {
        if drop_concat && (iei == IEI_CONCAT_8 || iei == IEI_CONCAT_16) {
            continue;
        }
        let len = u8::try_from(data.len()).map_err(|_| Error::TooLong {
            len: data.len(),
            max: 255,
        })?;
        put(out, &mut at, &[iei, len])?;
        put(out, &mut at, data)?;
    }
    let udhl = at - 1;
    let udhl_octet = u8::try_from(udhl).map_err(|_| Error::TooLong {
        len: udhl,
        max: 255,
    })?;
    let have = out.len();
    *out.first_mut()
        .ok_or(Error::BufferTooSmall { needed: 1, have })? = udhl_octet;
    put(out, &mut at, payload)?;
    Ok(at)
}

/// `tp_ud` without its concatenation IE into `out` (its length), and that
/// IE as sar_* values; a TP-UD without one is copied unchanged.
///
/// # Errors
/// [`Error::Sms`] for a malformed UDH, [`Error::BufferTooSmall`].
pub fn split_concat(tp_ud: &[u8], out: &mut [u8]) -> Result<(usize, Option<Sar>), Error> {
    let (udh, payload) = UserDataHeader::split(tp_ud)?;
    let Some(c) = udh.concat() else {
        let mut at = 0;
        put(out, &mut at, tp_ud)?;
        return Ok((at, None));
    };
    let reference = match c.reference {
        ConcatReference::Ref8(r) => u16::from(r),
        ConcatReference::Ref16(r) => r,
    };
    let n = rebuild(out, None, &udh, true, payload)?;
    let sar = Sar {
        reference,
        total: c.total,
        seq: c.seq,
    };
    Ok((n, Some(sar)))
}

/// `tp_ud` with a 16-bit concatenation IE (TS 23.040 §9.2.3.24.8) for
/// `sar` put first in its UDH, into `out` (its length).
///
/// # Errors
/// [`Error::Sms`] for a malformed UDH, [`Error::TooLong`] when the UDH
/// would exceed 255 octets, [`Error::BufferTooSmall`].
pub fn join_concat(tp_ud: &[u8], sar: Sar, out: &mut [u8]) -> Result<usize, Error> {
    let (udh, payload) = UserDataHeader::split(tp_ud)?;
    let [hi, lo] = sar.reference.to_be_bytes();
    let ie = [IEI_CONCAT_16, 4, hi, lo, sar.total, sar.seq];
    rebuild(out, Some(&ie), &udh, false, payload)
}

/// The value of the receipt text field `key` (e.g. `"stat:"`), up to the
/// next space (SMPP 3.4 Appendix B).
#[must_use]
pub fn receipt_field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text.find(key)? + key.len();
    text.get(start..)?.split(' ').next()
}

/// Whether an Appendix B `stat:` value is not a failure (DELIVRD,
/// ENROUTE, ACCEPTD, and the spellings SMSCs use for them).
#[must_use]
pub fn receipt_delivered(state: &str) -> bool {
    matches!(
        state,
        "DELIVRD" | "DELIVERED" | "Delivered" | "ENROUTE" | "Enroute" | "ACCEPTD" | "Accepted"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sar_out_and_back() {
        // TS 23.040 §9.2.3.24.1: 8-bit concatenation IE 00 03 ref total seq,
        // then the command packet IE 70 00 (TS 31.115 §4.2).
        let tp_ud = [0x07, 0x00, 0x03, 0x2A, 0x02, 0x01, 0x70, 0x00, 0xAB, 0xCD];
        let mut out = [0u8; 32];
        let (n, sar) = split_concat(&tp_ud, &mut out).unwrap();
        assert_eq!(out[..n], [0x02, 0x70, 0x00, 0xAB, 0xCD]);
        let sar = sar.unwrap();
        assert_eq!((sar.reference, sar.total, sar.seq), (0x2A, 2, 1));
        let mut back = [0u8; 32];
        let m = join_concat(&out[..n], sar, &mut back).unwrap();
        assert_eq!(
            back[..m],
            [
                0x08, 0x08, 0x04, 0x00, 0x2A, 0x02, 0x01, 0x70, 0x00, 0xAB, 0xCD
            ]
        );
    }

    #[test]
    fn bad_input_is_an_error() {
        let mut out = [0u8; 4];
        assert!(split_concat(&[0x05, 0x00], &mut out).is_err());
        assert!(split_concat(&[0x02, 0x70, 0x00, 1, 2, 3], &mut out).is_err());
        let sar = Sar {
            reference: 1,
            total: 2,
            seq: 1,
        };
        assert!(join_concat(&[0x02, 0x70, 0x00], sar, &mut out).is_err());
    }

    #[test]
    fn receipt_text() {
        let t = "id:12 sub:001 dlvrd:000 submit date:2601011200 done date:2601011201 stat:UNDELIV err:001";
        assert_eq!(receipt_field(t, "id:"), Some("12"));
        assert_eq!(receipt_field(t, "stat:"), Some("UNDELIV"));
        assert!(!receipt_delivered("UNDELIV"));
        assert!(receipt_delivered("DELIVRD"));
        assert_eq!(receipt_field(t, "nope:"), None);
    }
}
