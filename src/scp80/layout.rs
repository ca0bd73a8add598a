//! The length prefix shared by command and response packets: CPL / CHL
//! (RPL / RHL) in the SMS-PP form, CPI CPL CHI CHL (RPI RPL RHI RHL) in
//! the generic form (ETSI TS 102 225 §5.1.1 table 1, §5.2.1 table 4;
//! 3GPP TS 31.115 §4.2, §4.4).

use super::framing::HEADER_ID;
use super::{Error, Framing};

/// Names of the length fields, for error messages.
pub(crate) struct Names {
    pub(crate) packet_len: &'static str,
    pub(crate) header_len: &'static str,
}

/// The prefix of a parsed packet.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Prefix {
    /// Octets before the header proper (SPI for a command, TAR for a
    /// response); the header length octet is the last of them.
    pub(crate) len: usize,
    /// The header length (CHL / RHL).
    pub(crate) header_len: usize,
    /// The packet length (CPL / RPL).
    pub(crate) packet_len: usize,
}

/// Octets of a BER length for `n` (1..=3, `n` at most `0xFFFF`).
const fn ber_len_len(n: usize) -> usize {
    if n < 0x80 {
        1
    } else if n <= 0xFF {
        2
    } else {
        3
    }
}

/// The largest value a packet length field can hold.
pub(crate) const MAX_PACKET_LEN: usize = 0xFFFF;

/// Prefix length for a packet whose header-length octet is followed by
/// `rest` octets.
pub(crate) const fn prefix_len(framing: Framing, rest: usize) -> usize {
    match framing {
        Framing::SmsPp => 3,
        Framing::Generic => 3 + ber_len_len(rest + 2),
    }
}

/// The packet length (CPL / RPL) for `rest` octets after the header
/// length octet.
pub(crate) const fn packet_len(framing: Framing, rest: usize) -> usize {
    match framing {
        Framing::SmsPp => rest + 1,
        Framing::Generic => rest + 2,
    }
}

/// Writes the prefix into `out` (at least [`prefix_len`] octets).
pub(crate) fn write(
    framing: Framing,
    id: u8,
    rest: usize,
    header_len: u8,
    out: &mut [u8],
) -> Result<usize, Error> {
    let pl = packet_len(framing, rest);
    if pl > MAX_PACKET_LEN {
        return Err(Error::TooLong {
            len: pl,
            max: MAX_PACKET_LEN,
        });
    }
    let [hi, lo] = (pl as u16).to_be_bytes();
    let mut tmp = heapless::Vec::<u8, 6>::new();
    let parts: &[&[u8]] = match framing {
        Framing::SmsPp => &[&[hi, lo, header_len]],
        Framing::Generic => match pl {
            0..0x80 => &[&[id, lo, HEADER_ID, header_len]],
            0x80..=0xFF => &[&[id, 0x81, lo, HEADER_ID, header_len]],
            _ => &[&[id, 0x82, hi, lo, HEADER_ID, header_len]],
        },
    };
    for p in parts {
        tmp.extend_from_slice(p).map_err(|_| Error::TooLong {
            len: pl,
            max: MAX_PACKET_LEN,
        })?;
    }
    let n = tmp.len();
    let have = out.len();
    let dst = out
        .get_mut(..n)
        .ok_or(Error::BufferTooSmall { needed: n, have })?;
    dst.copy_from_slice(&tmp);
    Ok(n)
}

fn byte(buf: &[u8], offset: usize, field: &'static str) -> Result<u8, Error> {
    buf.get(offset).copied().ok_or(Error::Truncated {
        field,
        offset,
        needed: 1,
        have: 0,
    })
}

/// Reads and checks the prefix: the packet length must match the input
/// exactly and the header must fit inside it, with at least `min_header`
/// octets.
pub(crate) fn read(
    framing: Framing,
    id: u8,
    buf: &[u8],
    names: &Names,
    min_header: usize,
) -> Result<Prefix, Error> {
    let (len_off, pl, after_len) = match framing {
        Framing::SmsPp => {
            let hi = byte(buf, 0, names.packet_len)?;
            let lo = byte(buf, 1, names.packet_len)?;
            (0, usize::from(u16::from_be_bytes([hi, lo])), 2)
        }
        Framing::Generic => {
            let found = byte(buf, 0, "identifier")?;
            if found != id {
                return Err(Error::Identifier { offset: 0, found });
            }
            let first = byte(buf, 1, names.packet_len)?;
            match first {
                0..=0x7F => (1, usize::from(first), 2),
                0x81 => {
                    let v = byte(buf, 2, names.packet_len)?;
                    if v < 0x80 {
                        return Err(Error::BadLength { offset: 1 });
                    }
                    (1, usize::from(v), 3)
                }
                0x82 => {
                    let hi = byte(buf, 2, names.packet_len)?;
                    let lo = byte(buf, 3, names.packet_len)?;
                    let v = usize::from(u16::from_be_bytes([hi, lo]));
                    if v < 0x100 {
                        return Err(Error::BadLength { offset: 1 });
                    }
                    (1, v, 4)
                }
                _ => return Err(Error::BadLength { offset: 1 }),
            }
        }
    };
    let actual = buf.len().saturating_sub(after_len);
    if pl != actual {
        return Err(Error::LengthMismatch {
            field: names.packet_len,
            offset: len_off,
            declared: pl,
            actual,
        });
    }
    let mut off = after_len;
    if framing == Framing::Generic {
        let found = byte(buf, off, "header identifier")?;
        if found != HEADER_ID {
            return Err(Error::Identifier { offset: off, found });
        }
        off += 1;
    }
    let hl = usize::from(byte(buf, off, names.header_len)?);
    off += 1;
    let after_hl = buf.len().saturating_sub(off);
    if hl < min_header || hl > after_hl {
        return Err(Error::LengthMismatch {
            field: names.header_len,
            offset: off - 1,
            declared: hl,
            actual: after_hl,
        });
    }
    Ok(Prefix {
        len: off,
        header_len: hl,
        packet_len: pl,
    })
}

/// The first `N` octets of the header, which [`read`] checked to be
/// there (it refuses a header shorter than its `min_header`).
///
/// # Errors
/// [`Error::Truncated`] when `buf` is not the buffer `prefix` was read
/// from.
pub(crate) fn head<const N: usize>(
    buf: &[u8],
    prefix: &Prefix,
    field: &'static str,
) -> Result<[u8; N], Error> {
    buf.get(prefix.len..)
        .and_then(|b| b.first_chunk::<N>())
        .copied()
        .ok_or(Error::Truncated {
            field,
            offset: prefix.len,
            needed: N,
            have: buf.len().saturating_sub(prefix.len),
        })
}

/// `buf[from..to]` for offsets that [`read`] checked against `buf`
/// (`from <= to <= buf.len()`), which every packet view does at
/// `new_checked`, so the range is always present: views never slice
/// out of bounds, and this is their one documented, panic-free bound
/// (smoltcp `wire` contract). A slip in the offset arithmetic trips the
/// debug assertion (tests and fuzzing) instead of passing unnoticed.
pub(crate) fn within(buf: &[u8], from: usize, to: usize) -> &[u8] {
    let part = buf.get(from..to);
    debug_assert!(part.is_some(), "view range {from}..{to} of {}", buf.len());
    part.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: Names = Names {
        packet_len: "CPL",
        header_len: "CHL",
    };

    #[test]
    fn generic_lengths() {
        for rest in [13usize, 125, 126, 200, 253, 254, 300, 0xFFFD] {
            let mut buf = [0u8; 8];
            let n = write(Framing::Generic, 1, rest, 13, &mut buf).unwrap();
            assert_eq!(n, prefix_len(Framing::Generic, rest));
            let mut full = [0u8; 0x10008];
            full[..n].copy_from_slice(&buf[..n]);
            let p = read(Framing::Generic, 1, &full[..n + rest], &N, 13).unwrap();
            assert_eq!((p.len, p.header_len, p.packet_len), (n, 13, rest + 2));
        }
        assert!(matches!(
            read(Framing::Generic, 1, &[0x01, 0x81, 0x05, 0, 13], &N, 13),
            Err(Error::BadLength { offset: 1 })
        ));
    }

    #[test]
    fn sms_lengths() {
        assert!(matches!(
            read(Framing::SmsPp, 0, &[0x00, 0x05, 13, 0, 0], &N, 13),
            Err(Error::LengthMismatch {
                field: "CPL",
                declared: 5,
                actual: 3,
                ..
            })
        ));
        assert!(matches!(
            read(Framing::SmsPp, 0, &[0x00, 0x03, 13, 0, 0], &N, 13),
            Err(Error::LengthMismatch {
                field: "CHL",
                declared: 13,
                actual: 2,
                ..
            })
        ));
        assert!(matches!(
            read(Framing::SmsPp, 0, &[0x00], &N, 13),
            Err(Error::Truncated { .. })
        ));
    }
}
