//! Data Grouping Identifiers: the DGI structure of STORE DATA
//! (GP Card Specification v2.3 §11.11).

use super::Error;
use crate::tlv::{self, Buffer, Encode};

/// A Data Grouping Identifier: the 2-octet tag of a DGI structure
/// (GP Card Specification v2.3 §11.11).
///
/// An open type: any value is kept as received. The SGP.02 ISD-R / ISD-P
/// DGIs are named in [`crate::isdr::dgi`] (`Dgi::ENABLE_PROFILE`, …).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dgi(pub u16);

impl Dgi {
    /// The two tag octets, most significant first.
    pub const fn to_be_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}

impl core::fmt::Debug for Dgi {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Dgi({self})")
    }
}

impl core::fmt::Display for Dgi {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// A DGI to encode: 2-octet tag, length in 1 octet below 255, else `FF`
/// followed by 2 octets (GP v2.3 §11.11), then the value.
///
/// ```
/// use smsr::apdu::gp::{Dgi, DgiRepr};
/// use smsr::tlv::{self, Encode, Tag};
/// // ES5.EnableProfile data: DGI 3A03 { 4F <ISD-P AID> } (SGP.02 §4.1.1.2).
/// let aid = [0xA0, 0x00, 0x00, 0x05, 0x59];
/// let dgi = DgiRepr::new(Dgi::ENABLE_PROFILE, tlv::tlv(Tag::new(0x4F), &aid[..]));
/// let mut buf = [0u8; 16];
/// assert_eq!(dgi.encode_to_slice(&mut buf)?, [0x3A, 0x03, 0x07, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x05, 0x59]);
/// # Ok::<(), smsr::tlv::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DgiRepr<V> {
    /// The DGI tag.
    pub tag: Dgi,
    /// The value.
    pub value: V,
}

impl<V: Encode> DgiRepr<V> {
    /// DGI `tag` with `value`.
    pub const fn new(tag: Dgi, value: V) -> Self {
        Self { tag, value }
    }
}

/// Octets of the DGI length field for a value of `len` octets.
const fn length_len(len: usize) -> usize {
    if len < 0xFF { 1 } else { 3 }
}

impl<V: Encode> Encode for DgiRepr<V> {
    fn encoded_len(&self) -> usize {
        let n = self.value.encoded_len();
        2 + length_len(n) + n
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        let n = self.value.encoded_len();
        out.put(&self.tag.to_be_bytes())?;
        if n < 0xFF {
            out.put(&[n as u8])?;
        } else {
            let n16 = u16::try_from(n)
                .map_err(|_| tlv::Error::new(tlv::ErrorKind::ValueTooLong, out.written()))?;
            out.put(&[0xFF])?;
            out.put(&n16.to_be_bytes())?;
        }
        self.value.encode(out)
    }
}

/// A parsed DGI: tag and value borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DgiRef<'a> {
    /// The DGI tag.
    pub tag: Dgi,
    /// The value.
    pub value: &'a [u8],
    /// Offset of the tag in the input.
    pub offset: usize,
    /// The whole encoding (tag, length, value) as it was.
    pub raw: &'a [u8],
}

/// Iterates the DGIs of STORE DATA data (DGI structure); yields one error
/// and stops on malformed input.
#[derive(Debug, Clone)]
pub struct DgiReader<'a> {
    input: &'a [u8],
    pos: usize,
    failed: bool,
}

impl<'a> DgiReader<'a> {
    /// A reader over `input`.
    pub const fn new(input: &'a [u8]) -> Self {
        Self {
            input,
            pos: 0,
            failed: false,
        }
    }

    fn parse_one(&self) -> Result<DgiRef<'a>, Error> {
        let start = self.pos;
        let bad = |at: usize| Error::Malformed {
            what: "DGI",
            offset: at,
        };
        let (_, rest) = self.input.split_at_checked(start).ok_or(bad(start))?;
        let (tag, len, hdr) = match *rest {
            [t1, t2, 0xFF, l1, l2, ..] => (
                u16::from_be_bytes([t1, t2]),
                usize::from(u16::from_be_bytes([l1, l2])),
                5,
            ),
            [_, _, 0xFF, ..] => return Err(bad(start + 3)),
            [t1, t2, l, ..] => (u16::from_be_bytes([t1, t2]), usize::from(l), 3),
            _ => return Err(bad(start + rest.len())),
        };
        let raw = rest.get(..hdr + len).ok_or(bad(start + hdr))?;
        let (_, value) = raw.split_at_checked(hdr).ok_or(bad(start + hdr))?;
        Ok(DgiRef {
            tag: Dgi(tag),
            value,
            offset: start,
            raw,
        })
    }
}

impl<'a> Iterator for DgiReader<'a> {
    type Item = Result<DgiRef<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.pos >= self.input.len() {
            return None;
        }
        match self.parse_one() {
            Ok(d) => {
                self.pos += d.raw.len();
                Some(Ok(d))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for DgiReader<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::vec;

    #[test]
    fn dgi_is_open_and_prints_as_hex() {
        let d = Dgi(0x3A03);
        assert_eq!(d.to_be_bytes(), [0x3A, 0x03]);
        assert_eq!(alloc::format!("{d} {d:?}"), "3A03 Dgi(3A03)");
        // An unknown DGI is kept as read.
        let r = DgiReader::new(&[0xAB, 0xCD, 0x00]).next().unwrap().unwrap();
        assert_eq!(r.tag, Dgi(0xABCD));
    }

    #[test]
    fn length_forms() {
        // GP v2.3 §11.11: 1 octet for 0..=254, FF + 2 octets from 255.
        let v = vec![0x5Au8; 254];
        let e = DgiRepr::new(Dgi(0x8010), &v[..]).to_vec().unwrap();
        assert_eq!(e[..3], [0x80, 0x10, 0xFE]);
        let v = vec![0x5Au8; 255];
        let e = DgiRepr::new(Dgi(0x8010), &v[..]).to_vec().unwrap();
        assert_eq!(e[..5], [0x80, 0x10, 0xFF, 0x00, 0xFF]);
        assert_eq!(e.len(), 5 + 255);
        let d = DgiReader::new(&e).next().unwrap().unwrap();
        assert_eq!((d.tag, d.value.len(), d.offset), (Dgi(0x8010), 255, 0));
    }

    #[test]
    fn reader_walks_and_fails_cleanly() {
        let data = [0x3A, 0x03, 0x02, 0x4F, 0x00, 0x00, 0x70, 0x01, 0x45];
        let all: alloc::vec::Vec<_> = DgiReader::new(&data).map(Result::unwrap).collect();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[1].tag, all[1].value, all[1].offset),
            (Dgi(0x0070), &[0x45][..], 5)
        );
        let mut r = DgiReader::new(&data[..8]);
        assert!(r.next().unwrap().is_ok());
        assert_eq!(
            r.next().unwrap().unwrap_err(),
            Error::Malformed {
                what: "DGI",
                offset: 8
            }
        );
        assert!(r.next().is_none());
        assert!(DgiReader::new(&[0x3A]).next().unwrap().is_err());
        assert!(
            DgiReader::new(&[0x3A, 0x03, 0xFF, 0x00])
                .next()
                .unwrap()
                .is_err()
        );
    }
}
