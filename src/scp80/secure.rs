//! The security steps shared by command and response packets (ETSI TS
//! 102 225 §5.1.1, §5.2.1): padding for ciphering, the RC/CC over the
//! covered data, ciphering from CNTR on, and the receiving side's checks
//! in the same order a card applies them.

use super::Error;
use super::layout::Prefix;
use crate::crypto::{Checksum, Cipher};

/// A checksum with its field length, and a cipher, as a packet uses them.
pub(crate) type Security<'k> = (Option<(&'k Checksum, usize)>, Option<&'k Cipher>);

/// Where a packet's fields sit after its length prefix.
pub(crate) struct Shape {
    /// Octets from the first header field through the last one before
    /// the RC/CC/DS (13 for a command, 10 for a response).
    pub(crate) fixed: usize,
    /// Offset of CNTR from the first header field: ciphering starts here.
    pub(crate) cntr_at: usize,
    /// Offset of PCNTR from the first header field.
    pub(crate) pcntr_at: usize,
    /// The header length field's name, for errors.
    pub(crate) header_len: &'static str,
}

/// Padding octets that make `ciphered` octets whole cipher blocks (none
/// without ciphering).
pub(crate) fn pad_len(cipher: Option<&Cipher>, ciphered: usize) -> usize {
    cipher.map_or(0, |c| {
        let b = c.block_len();
        (b - ciphered % b) % b
    })
}

/// Sender side, on a packet laid out in `out` (prefix, fixed header with
/// PCNTR, an RC/CC/DS gap of the checksum's length, data, zero padding):
/// fills the RC/CC/DS over `covered_prefix`, the head and the data, then
/// ciphers from CNTR to the end.
pub(crate) fn seal(
    out: &mut [u8],
    prefix_len: usize,
    shape: &Shape,
    covered_prefix: &[u8],
    (checksum, cipher): Security<'_>,
) -> Result<(), Error> {
    let head_end = prefix_len + shape.fixed;
    if let Some((c, len)) = checksum
        && let Some(front) = out.get_mut(..head_end + len)
    {
        // Rotate the (still empty) RC/CC/DS field to the front so that the
        // covered octets lie contiguous: the MAC then runs over one slice,
        // which saves a pass through its block buffer on every packet.
        front.rotate_right(len);
        let covered = out.get(len..).unwrap_or_default();
        let tag = c.compute(&[covered_prefix, covered]);
        if let Some(front) = out.get_mut(..head_end + len) {
            front.rotate_left(len);
        }
        if let Some(cc) = out.get_mut(head_end..head_end + len) {
            cc.copy_from_slice(tag.truncated(len).unwrap_or_default());
        }
    }
    if let Some(c) = cipher {
        c.encrypt_cbc(
            out.get_mut(prefix_len + shape.cntr_at..)
                .unwrap_or_default(),
        )?;
    }
    Ok(())
}

/// A packet that [`open`] deciphered and verified.
pub(crate) struct Opened<'a> {
    /// The whole packet, now in plaintext.
    pub(crate) plain: &'a [u8],
    /// PCNTR.
    pub(crate) pcntr: u8,
    /// The data after the RC/CC/DS with the padding removed.
    pub(crate) payload: &'a [u8],
}

/// Receiver side: checks the RC/CC/DS length against the checksum,
/// deciphers from CNTR in place, verifies the RC/CC/DS and then PCNTR.
pub(crate) fn open<'a>(
    buf: &'a mut [u8],
    prefix: Prefix,
    shape: &Shape,
    covered_prefix: &[u8],
    (checksum, cipher): Security<'_>,
) -> Result<Opened<'a>, Error> {
    let cc_len = prefix.header_len - shape.fixed;
    let len_ok = match checksum {
        None => cc_len == 0,
        Some((c, _)) => c.algorithm().allows_len(cc_len),
    };
    if !len_ok {
        return Err(Error::HeaderLength {
            field: shape.header_len,
            declared: prefix.header_len,
            expected: shape.fixed + checksum.map_or(0, |(_, l)| l),
        });
    }
    if let Some(c) = cipher {
        let part = buf
            .get_mut(prefix.len + shape.cntr_at..)
            .unwrap_or_default();
        if !part.len().is_multiple_of(c.block_len()) {
            return Err(Error::CipherLength {
                len: part.len(),
                block: c.block_len(),
            });
        }
        c.decrypt_cbc(part)?;
    }
    let plain: &'a [u8] = buf;
    let (head, body) = plain
        .split_at_checked(prefix.len + shape.fixed)
        .unwrap_or((plain, &[]));
    let (received, data) = body.split_at_checked(cc_len).unwrap_or((body, &[]));
    if let Some((c, _)) = checksum
        && !c.compute(&[covered_prefix, head, data]).matches(received)
    {
        return Err(Error::ChecksumFailed);
    }
    let pcntr = plain
        .get(prefix.len + shape.pcntr_at)
        .copied()
        .unwrap_or_default();
    let pad = usize::from(pcntr);
    let pad_ok = match cipher {
        Some(c) => pad < c.block_len() && pad <= data.len(),
        None => pad == 0,
    };
    if !pad_ok {
        return Err(Error::Padding {
            pcntr,
            data_len: data.len(),
            ciphered: cipher.is_some(),
        });
    }
    Ok(Opened {
        plain,
        pcntr,
        payload: data.get(..data.len() - pad).unwrap_or_default(),
    })
}

/// Lays a packet out in `out`: the length prefix, the `fixed` header,
/// the RC/CC/DS field `cc`, `data` and `pad` zero octets. Returns the
/// total length and the prefix length.
pub(crate) fn lay_out(
    framing: super::Framing,
    id: u8,
    fixed: &[u8],
    cc: &[u8],
    data: &[u8],
    pad: usize,
    out: &mut [u8],
) -> Result<(usize, usize), Error> {
    let hl = fixed.len() + cc.len();
    let hl8 = u8::try_from(hl).map_err(|_| Error::TooLong { len: hl, max: 255 })?;
    let rest = hl + data.len() + pad;
    let total = super::layout::prefix_len(framing, rest) + rest;
    let have = out.len();
    let out = out.get_mut(..total).ok_or(Error::BufferTooSmall {
        needed: total,
        have,
    })?;
    let p = super::layout::write(framing, id, rest, hl8, out)?;
    let (_, body) = out.split_at_mut(p);
    let (head, body) = body.split_at_mut(fixed.len());
    head.copy_from_slice(fixed);
    let (cc_dst, body) = body.split_at_mut(cc.len());
    cc_dst.copy_from_slice(cc);
    let (data_dst, padding) = body.split_at_mut(data.len());
    data_dst.copy_from_slice(data);
    padding.fill(0);
    Ok((total, p))
}
