//! BER lengths (X.690 §8.1.3): short form, long form up to 4 octets, and the
//! indefinite form `80`.

use super::{Buffer, Error, ErrorKind};

/// A decoded length field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Length {
    /// A definite length.
    Definite(usize),
    /// `80`: the value ends with the end-of-contents octets `00 00`.
    Indefinite,
}

/// Parses the length field at the start of `input` (`offset` is its position
/// in the outermost input). Returns the length and the number of octets of the
/// length field.
pub(crate) fn parse(input: &[u8], offset: usize, strict: bool) -> Result<(Length, usize), Error> {
    let Some(&first) = input.first() else {
        return Err(Error::new(ErrorKind::UnexpectedEnd, offset));
    };
    if first < 0x80 {
        return Ok((Length::Definite(usize::from(first)), 1));
    }
    if first == 0x80 {
        return Ok((Length::Indefinite, 1));
    }
    let count = usize::from(first & 0x7F);
    if count > 4 {
        return Err(Error::new(ErrorKind::LengthTooLong, offset));
    }
    let Some(octets) = input.get(1..=count) else {
        return Err(Error::new(ErrorKind::UnexpectedEnd, offset + input.len()));
    };
    let mut len: usize = 0;
    for &b in octets {
        len = (len << 8) | usize::from(b);
    }
    if strict && encoded_length_len(len) != count + 1 {
        return Err(Error::new(ErrorKind::NonMinimalLength, offset));
    }
    Ok((Length::Definite(len), count + 1))
}

/// Number of octets of the minimal definite length field for `len`
/// (1 for 0..=127, 2 for 128..=255, 3 up to 65,535, 4 up to 2^24-1, else 5).
pub const fn encoded_length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else if len <= 0xFF {
        2
    } else if len <= 0xFFFF {
        3
    } else if len <= 0x00FF_FFFF {
        4
    } else {
        5
    }
}

/// Writes the minimal definite length field for `len`.
///
/// # Errors
/// [`ErrorKind::ValueTooLong`] above `u32::MAX`, or the buffer's error.
pub fn write_length(out: &mut dyn Buffer, len: usize) -> Result<(), Error> {
    let n = encoded_length_len(len);
    if u32::try_from(len).is_err() {
        return Err(Error::new(ErrorKind::ValueTooLong, out.written()));
    }
    let be = (len as u32).to_be_bytes();
    match n {
        1 => out.put(&[len as u8]),
        _ => {
            out.put(&[0x80 | (n as u8 - 1)])?;
            let octets = be
                .get(5 - n..)
                .ok_or(Error::new(ErrorKind::ValueTooLong, out.written()))?;
            out.put(octets)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::SliceBuffer;

    #[test]
    fn forms() {
        assert_eq!(parse(&[0x7F], 0, true).unwrap(), (Length::Definite(127), 1));
        assert_eq!(
            parse(&[0x81, 0x80], 0, true).unwrap(),
            (Length::Definite(128), 2)
        );
        assert_eq!(
            parse(&[0x82, 0x01, 0x00], 0, true).unwrap(),
            (Length::Definite(256), 3)
        );
        assert_eq!(
            parse(&[0x83, 0x01, 0x00, 0x00], 0, true).unwrap(),
            (Length::Definite(65536), 4)
        );
        assert_eq!(
            parse(&[0x84, 0x01, 0x00, 0x00, 0x00], 0, true).unwrap(),
            (Length::Definite(1 << 24), 5)
        );
        assert_eq!(parse(&[0x80], 0, true).unwrap(), (Length::Indefinite, 1));
    }

    #[test]
    fn strictness() {
        assert_eq!(
            parse(&[0x81, 0x05], 9, true).unwrap_err(),
            Error::new(ErrorKind::NonMinimalLength, 9)
        );
        assert_eq!(
            parse(&[0x81, 0x05], 9, false).unwrap(),
            (Length::Definite(5), 2)
        );
        assert_eq!(
            parse(&[0x82, 0x00, 0xFF], 0, true).unwrap_err().kind,
            ErrorKind::NonMinimalLength
        );
        assert_eq!(
            parse(&[0x85, 1, 1, 1, 1, 1], 0, false).unwrap_err().kind,
            ErrorKind::LengthTooLong
        );
        assert_eq!(
            parse(&[0xFF], 0, false).unwrap_err().kind,
            ErrorKind::LengthTooLong
        );
        assert_eq!(
            parse(&[0x82, 0x01], 4, true).unwrap_err(),
            Error::new(ErrorKind::UnexpectedEnd, 6)
        );
    }

    #[test]
    fn write_round_trip() {
        for len in [
            0usize, 1, 127, 128, 255, 256, 65535, 65536, 0xFF_FFFF, 0x100_0000,
        ] {
            let mut buf = [0u8; 8];
            let mut out = SliceBuffer::new(&mut buf);
            write_length(&mut out, len).unwrap();
            let n = out.written();
            assert_eq!(n, encoded_length_len(len));
            assert_eq!(
                parse(&buf[..n], 0, true).unwrap(),
                (Length::Definite(len), n)
            );
        }
    }
}
