//! Small DER helpers for the PE types: positional SEQUENCE decoding,
//! INTEGER and OBJECT IDENTIFIER values.

use core::fmt;

use crate::tlv::{Reader, Tag, Tlv};

use super::{Error, ErrorKind};

/// Walks the members of a SEQUENCE in order.
///
/// Several PE types use explicit tags, so a tag can occur more than once in
/// one SEQUENCE (PE-RFM: `rfm-header` and `tarList` are both `A0`,
/// `instanceAID` and `securityDomainAID` both `4F`). Members are therefore
/// matched by position: each call looks only at the next unread member.
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    reader: Reader<'a>,
    end: usize,
}

impl<'a> Fields<'a> {
    /// The members of the constructed `tlv`.
    pub(crate) fn new(tlv: &Tlv<'a>) -> Self {
        Self {
            reader: tlv.children(),
            end: tlv.offset() + tlv.raw().len(),
        }
    }

    /// The next member if `wanted` accepts its tag. Looking ahead reads a
    /// copy of the reader, which is kept only when the member is taken: a
    /// reader is a few words, and a stored look-ahead TLV cost more to
    /// move around than to read twice.
    #[inline]
    fn take_if(&mut self, wanted: impl Fn(Tag) -> bool) -> Result<Option<Tlv<'a>>, Error> {
        let mut ahead = self.reader.clone();
        match ahead.next() {
            Some(Ok(t)) if wanted(t.tag()) => {
                self.reader = ahead;
                Ok(Some(t))
            }
            Some(Err(e)) => Err(e.into()),
            _ => Ok(None),
        }
    }

    /// The next member if it has `tag`.
    pub(crate) fn optional(&mut self, tag: u32) -> Result<Option<Tlv<'a>>, Error> {
        self.take_if(|t| t == Tag::new(tag))
    }

    /// The next member, which must have `tag` (`name` is its ASN.1 name).
    pub(crate) fn required(&mut self, tag: u32, name: &'static str) -> Result<Tlv<'a>, Error> {
        let at = self.offset();
        self.optional(tag)?
            .ok_or(Error::new(ErrorKind::MissingField(name), at))
    }

    /// The next member, whatever its tag.
    pub(crate) fn next_any(&mut self) -> Result<Option<Tlv<'a>>, Error> {
        self.take_if(|_| true)
    }

    /// The members not read yet, every one taken in order (as repeated
    /// [`Fields::next_any`] calls, without the look-ahead copy).
    pub(crate) fn into_rest(self) -> Reader<'a> {
        self.reader
    }

    /// Offset of the next unread member (or of the end of the SEQUENCE).
    pub(crate) fn offset(&self) -> usize {
        if self.reader.remaining().is_empty() {
            self.end
        } else {
            self.reader.offset()
        }
    }
}

/// A non-negative INTEGER of at most 32 bits (`UInt8`, `UInt15`, `UInt16`,
/// `UInt31` and the named-number INTEGERs of the module).
pub(crate) fn uint(tlv: &Tlv<'_>, name: &'static str) -> Result<u32, Error> {
    let v = tlv.value();
    let bad = Error::new(ErrorKind::BadValue(name), tlv.value_offset());
    let first = *v.first().ok_or(bad)?;
    if first & 0x80 != 0 {
        return Err(bad);
    }
    // Skip the sign octet of values with the top bit set (`00 81` = 129).
    let digits = match v {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => v,
    };
    if digits.len() > 4 {
        return Err(bad);
    }
    Ok(digits
        .iter()
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

/// `true` when an INTEGER value uses the fewest octets (X.690 §8.3.2).
pub(crate) fn integer_is_minimal(v: &[u8]) -> bool {
    match v {
        [] => false,
        [0, b, ..] => b & 0x80 != 0,
        [0xFF, b, ..] => b & 0x80 == 0,
        _ => true,
    }
}

/// An OBJECT IDENTIFIER value (X.690 §8.19), borrowed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Oid<'a>(&'a [u8]);

impl<'a> Oid<'a> {
    /// The OID whose content octets are `value`, checked: non-empty, every
    /// subidentifier minimal and terminated, none over 64 bits.
    pub fn new(value: &'a [u8]) -> Option<Self> {
        let last = *value.last()?;
        if last & 0x80 != 0 {
            return None;
        }
        let mut start = true;
        let mut bits = 0u32;
        for &b in value {
            if start && b == 0x80 {
                return None;
            }
            bits += 7;
            if bits > 63 {
                return None;
            }
            start = b & 0x80 == 0;
            if start {
                bits = 0;
            }
        }
        Some(Self(value))
    }

    /// The content octets.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The arcs (the first subidentifier split into two arcs, X.690 §8.19.4).
    pub fn arcs(&self) -> impl Iterator<Item = u64> + 'a {
        let mut subids = Subids(self.0);
        let mut pending: Option<u64> = None;
        let mut first = true;
        core::iter::from_fn(move || {
            if let Some(p) = pending.take() {
                return Some(p);
            }
            let s = subids.next()?;
            if first {
                first = false;
                let (a, b) = match s {
                    0..40 => (0, s),
                    40..80 => (1, s - 40),
                    _ => (2, s - 80),
                };
                pending = Some(b);
                return Some(a);
            }
            Some(s)
        })
    }
}

struct Subids<'a>(&'a [u8]);

impl Iterator for Subids<'_> {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        let mut v = 0u64;
        while let Some((&b, rest)) = self.0.split_first() {
            self.0 = rest;
            v = (v << 7) | u64::from(b & 0x7F);
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
}

impl fmt::Display for Oid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, arc) in self.arcs().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{arc}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Oid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

/// Decodes an OBJECT IDENTIFIER TLV.
pub(crate) fn oid<'a>(tlv: &Tlv<'a>, name: &'static str) -> Result<Oid<'a>, Error> {
    Oid::new(tlv.value()).ok_or(Error::new(ErrorKind::BadValue(name), tlv.value_offset()))
}

/// A value that must be exactly `N` octets.
pub(crate) fn fixed<'a, const N: usize>(
    tlv: &Tlv<'a>,
    name: &'static str,
) -> Result<&'a [u8; N], Error> {
    tlv.value()
        .try_into()
        .map_err(|_| Error::new(ErrorKind::BadValue(name), tlv.value_offset()))
}

/// A NULL (`mandated`, `doNotCreate`, the services): empty content.
pub(crate) fn null(tlv: &Tlv<'_>, name: &'static str) -> Result<(), Error> {
    if tlv.value().is_empty() {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::BadValue(name), tlv.value_offset()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::string::ToString;

    #[test]
    fn oid_display_x690_examples() {
        // X.690 §8.19.5 example: {2 999 3} = 88 37 03.
        assert_eq!(
            Oid::new(&[0x88, 0x37, 0x03]).unwrap().to_string(),
            "2.999.3"
        );
        // TCA template OID 2.23.143.1.2.4 as found in every TS.48 package.
        let t = [0x67, 0x81, 0x0F, 0x01, 0x02, 0x04];
        assert_eq!(Oid::new(&t).unwrap().to_string(), "2.23.143.1.2.4");
        assert!(Oid::new(&[0x80, 0x01]).is_none());
        assert!(Oid::new(&[0x81]).is_none());
        assert!(Oid::new(&[]).is_none());
    }

    #[test]
    fn integers() {
        let (t, _) = Tlv::parse(&[0x80, 0x02, 0x00, 0x81]).unwrap();
        assert_eq!(uint(&t, "x").unwrap(), 129);
        let (t, _) = Tlv::parse(&[0x80, 0x01, 0x81]).unwrap();
        assert!(uint(&t, "x").is_err());
        assert!(integer_is_minimal(&[0x00, 0x81]));
        assert!(!integer_is_minimal(&[0x00, 0x01]));
    }
}
