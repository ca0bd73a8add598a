//! A byte writer over a caller's slice that keeps counting past the end, so
//! one code path both measures (`buffer_len`) and writes (`emit`).

use super::super::Error;

/// Writes into `buf`; bytes beyond its end are counted, not written.
pub(crate) struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> Writer<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        if let Some(dst) = self.buf.get_mut(self.pos..self.pos + b.len()) {
            dst.copy_from_slice(b);
        }
        self.pos += b.len();
    }

    pub(crate) fn str(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    /// `n` in decimal.
    pub(crate) fn decimal(&mut self, n: usize) {
        // usize::MAX has 20 decimal digits; filled from the end.
        let mut digits = [0u8; 20];
        let mut used = 0;
        let mut v = n;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            used += 1;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let (_, text) = digits.split_at(digits.len() - used);
        self.bytes(text);
    }

    /// `n` in lower-case hex without leading zeros (chunk sizes).
    pub(crate) fn hex_number(&mut self, n: usize) {
        let mut started = false;
        for shift in (0..usize::BITS / 4).rev() {
            let nibble = (n >> (shift * 4)) & 0xF;
            if nibble != 0 || started || shift == 0 {
                started = true;
                self.bytes(&[hex_digit(nibble, b'a')]);
            }
        }
    }

    /// `b` as upper-case hex digits.
    pub(crate) fn hex_upper(&mut self, b: &[u8]) {
        for &x in b {
            self.bytes(&[
                hex_digit(usize::from(x >> 4), b'A'),
                hex_digit(usize::from(x & 0xF), b'A'),
            ]);
        }
    }

    pub(crate) const fn len(&self) -> usize {
        self.pos
    }

    /// The number of bytes written, or [`Error::BufferTooSmall`].
    pub(crate) fn finish(self) -> Result<usize, Error> {
        if self.pos > self.buf.len() {
            Err(Error::BufferTooSmall {
                needed: self.pos,
                available: self.buf.len(),
            })
        } else {
            Ok(self.pos)
        }
    }
}

/// The hex digit of the low nibble of `n`, letters from `a` (`b'a'` or
/// `b'A'`).
const fn hex_digit(n: usize, a: u8) -> u8 {
    let nibble = (n & 0xF) as u8;
    if nibble < 10 {
        b'0' + nibble
    } else {
        a + nibble - 10
    }
}

/// Decodes hex digits (either case) into `out`; `None` on a bad digit, an
/// odd count or a short `out`.
pub(crate) fn decode_hex<'o>(text: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let n = text.len() / 2;
    let dst = out.get_mut(..n)?;
    for (d, pair) in dst.iter_mut().zip(text.chunks_exact(2)) {
        let hi = hex_value(*pair.first()?)?;
        let lo = hex_value(*pair.get(1)?)?;
        *d = (hi << 4) | lo;
    }
    Some(dst)
}

/// The value of one hex digit.
pub(crate) const fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn counts_past_the_end() {
        let mut buf = [0u8; 4];
        let mut w = Writer::new(&mut buf);
        w.str("ab");
        w.decimal(1234);
        assert_eq!(w.len(), 6);
        assert_eq!(
            w.finish(),
            Err(Error::BufferTooSmall {
                needed: 6,
                available: 4
            })
        );
    }

    #[test]
    fn numbers() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.decimal(0);
        w.str(",");
        w.decimal(usize::MAX);
        w.str(",");
        w.hex_number(0);
        w.str(",");
        w.hex_number(0x1a0);
        w.str(",");
        w.hex_upper(&[0xA0, 0x05]);
        let n = w.finish().unwrap();
        assert_eq!(
            core::str::from_utf8(&buf[..n]).unwrap(),
            format!("0,{},0,1a0,A005", usize::MAX)
        );
        let mut out = [0u8; 2];
        assert_eq!(decode_hex(b"a0Ff", &mut out), Some(&[0xA0, 0xFF][..]));
        assert_eq!(decode_hex(b"a0F", &mut out), None);
        assert_eq!(decode_hex(b"g0", &mut out), None);
    }
}
