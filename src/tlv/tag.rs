//! BER tags (X.690 §8.1.2, ISO/IEC 7816-4 §5.2.2.1).

use core::fmt;

use super::{Error, ErrorKind};

/// The class of a tag (bits b8-b7 of the first tag octet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// `00`: universal (X.690 types: INTEGER `02`, SEQUENCE `30`, ...).
    Universal,
    /// `01`: application (e.g. ISO 7816 `4F`, `5A`, `7F49`).
    Application,
    /// `10`: context-specific (e.g. `80`, `A0`, `BF25`).
    ContextSpecific,
    /// `11`: private (e.g. GlobalPlatform `E3`, `C9`, `EF`).
    Private,
}

/// A tag of 1 to 4 octets, kept as its encoded octets (big-endian in a
/// `u32`), so `Tag::new(0xBF25)` is the two-octet tag `BF 25`.
///
/// Any well-formed tag value is representable; tags this crate has no name
/// for are kept, never lost.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(u32);

impl Tag {
    /// The tag whose encoded octets, read big-endian, are `raw`
    /// (`0x4F`, `0x9F70`, `0xBF25`, `0x7F49`, ...).
    ///
    /// `raw` is taken as it is: use [`Tag::parse`] to validate octets that
    /// come from outside.
    pub const fn new(raw: u32) -> Self {
        Self(raw)
    }

    /// The encoded octets read big-endian.
    #[inline]
    pub const fn raw(self) -> u32 {
        self.0
    }

    /// Number of octets of the encoded tag (1 to 4).
    #[inline]
    pub const fn len(self) -> usize {
        if self.0 <= 0xFF {
            1
        } else if self.0 <= 0xFFFF {
            2
        } else if self.0 <= 0x00FF_FFFF {
            3
        } else {
            4
        }
    }

    /// Always `false`: a tag has at least one octet. Present for symmetry
    /// with [`Tag::len`].
    pub const fn is_empty(self) -> bool {
        false
    }

    /// The first encoded octet (class, constructed bit, number or `1F`).
    #[inline]
    pub const fn first_octet(self) -> u8 {
        (self.0 >> (8 * (self.len() - 1))) as u8
    }

    /// The class of the tag.
    pub const fn class(self) -> Class {
        match self.first_octet() >> 6 {
            0 => Class::Universal,
            1 => Class::Application,
            2 => Class::ContextSpecific,
            _ => Class::Private,
        }
    }

    /// `true` when the constructed bit (b6 of the first octet) is set.
    #[inline]
    pub const fn is_constructed(self) -> bool {
        self.first_octet() & 0x20 != 0
    }

    /// The tag number (X.690 §8.1.2.2 and §8.1.2.4).
    pub const fn number(self) -> u32 {
        let first = self.first_octet();
        if first & 0x1F != 0x1F {
            return (first & 0x1F) as u32;
        }
        let mut n = 0u32;
        let mut i = self.len() - 1;
        while i > 0 {
            i -= 1;
            n = (n << 7) | ((self.0 >> (8 * i)) & 0x7F);
        }
        n
    }

    /// The encoded octets, most significant first, in a 4-octet array of
    /// which the first [`Tag::len`] are used.
    pub const fn to_bytes(self) -> ([u8; 4], usize) {
        let len = self.len();
        // Shift the used octets to the front: `BF25` -> `[BF, 25, 00, 00]`.
        let shifted = self.0 << (8 * (4 - len));
        (shifted.to_be_bytes(), len)
    }

    /// Parses a tag at the start of `input`; `offset` is where `input`
    /// starts in the outermost input (for errors). Returns the tag and its
    /// length in octets.
    pub fn parse(input: &[u8], offset: usize) -> Result<(Tag, usize), Error> {
        let Some(&first) = input.first() else {
            return Err(Error::new(ErrorKind::UnexpectedEnd, offset));
        };
        let mut raw = u32::from(first);
        if first & 0x1F != 0x1F {
            return Ok((Tag(raw), 1));
        }
        for i in 1..4 {
            let Some(&b) = input.get(i) else {
                return Err(Error::new(ErrorKind::UnexpectedEnd, offset + i));
            };
            if i == 1 && b == 0x80 {
                return Err(Error::new(ErrorKind::InvalidTag, offset + i));
            }
            raw = (raw << 8) | u32::from(b);
            if b & 0x80 == 0 {
                return Ok((Tag(raw), i + 1));
            }
        }
        Err(Error::new(ErrorKind::TagTooLong, offset))
    }

    /// As [`Tag::parse`], and refuses the multi-octet form for a tag
    /// number below 31 (e.g. `9F 05` for `85`): X.690 §8.1.2.2 says such a
    /// number "shall" be a single octet, §8.1.2.4 keeps the subsequent
    /// octets for numbers from 31 up, and DER (§10) has one encoding only.
    /// The strict reader ([`Options::strict`](super::Options::strict): DER
    /// certificates, SAIP validation, GlobalPlatform answers) reads tags
    /// with it; the lenient one keeps [`Tag::parse`], since card data in
    /// the EMV tag space (`9F01`..`9F1E`) uses that form.
    ///
    /// # Errors
    /// As [`Tag::parse`]; [`ErrorKind::NonMinimalTag`] at the offset of
    /// the second tag octet.
    pub fn parse_strict(input: &[u8], offset: usize) -> Result<(Tag, usize), Error> {
        let (tag, len) = Self::parse(input, offset)?;
        if len > 1 && tag.number() < 31 {
            return Err(Error::new(ErrorKind::NonMinimalTag, offset + 1));
        }
        Ok((tag, len))
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (bytes, len) = self.to_bytes();
        for b in bytes.iter().take(len) {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parse_strict` refuses a number below 31 in two octets (X.690
    /// §8.1.2.2), naming the second octet; it accepts what DER allows.
    #[test]
    fn strict_tags_use_the_short_form_below_31() {
        for n in 0u8..31 {
            let e = Tag::parse_strict(&[0x9F, n], 7).unwrap_err();
            assert_eq!(e, Error::new(ErrorKind::NonMinimalTag, 8), "number {n}");
            assert!(n == 0 || Tag::parse(&[0x9F, n], 7).is_ok());
        }
        for input in [
            &[0x4F][..],
            &[0x9F, 0x1F],
            &[0x9F, 0x70],
            &[0xBF, 0x81, 0x00],
            &[0x7F, 0x49],
        ] {
            assert_eq!(Tag::parse_strict(input, 0), Tag::parse(input, 0));
        }
        assert_eq!(
            Tag::parse_strict(&[0x9F, 0x80, 0x05], 0).unwrap_err().kind,
            ErrorKind::InvalidTag
        );
    }

    #[test]
    fn single_octet_tags() {
        let (t, n) = Tag::parse(&[0x4F, 0x10], 0).unwrap();
        assert_eq!((t, n), (Tag::new(0x4F), 1));
        assert_eq!(t.class(), Class::Application);
        assert!(!t.is_constructed());
        assert_eq!(t.number(), 15);
        let e3 = Tag::new(0xE3);
        assert_eq!(e3.class(), Class::Private);
        assert!(e3.is_constructed());
        assert_eq!(e3.number(), 3);
    }

    #[test]
    fn multi_octet_tags() {
        // X.690 §8.1.2.4: BF 25 is context-specific, constructed, number 37.
        let (t, n) = Tag::parse(&[0xBF, 0x25, 0x00], 0).unwrap();
        assert_eq!((t.raw(), n), (0xBF25, 2));
        assert_eq!(t.class(), Class::ContextSpecific);
        assert!(t.is_constructed());
        assert_eq!(t.number(), 37);
        // 7F 49 (public key template, ISO 7816-8), application constructed 73.
        let (t, _) = Tag::parse(&[0x7F, 0x49], 0).unwrap();
        assert_eq!(
            (t.class(), t.number(), t.is_constructed()),
            (Class::Application, 73, true)
        );
        // 5F 20 (cardholder name / application provider id), primitive 32.
        let (t, _) = Tag::parse(&[0x5F, 0x20], 0).unwrap();
        assert_eq!((t.number(), t.is_constructed()), (32, false));
        // 9F 70 (GP life cycle state), number 112.
        assert_eq!(Tag::new(0x9F70).number(), 112);
        // Three octets: 1F 81 00 is universal number 128.
        let (t, n) = Tag::parse(&[0x1F, 0x81, 0x00], 0).unwrap();
        assert_eq!((t.number(), n), (128, 3));
        // Four octets.
        let (t, n) = Tag::parse(&[0xDF, 0x81, 0x80, 0x01], 0).unwrap();
        assert_eq!((t.number(), n, t.len()), ((1 << 14) + 1, 4, 4));
        assert_eq!(t.to_bytes(), ([0xDF, 0x81, 0x80, 0x01], 4));
    }

    #[test]
    fn bad_tags() {
        assert_eq!(
            Tag::parse(&[], 7).unwrap_err(),
            Error::new(ErrorKind::UnexpectedEnd, 7)
        );
        assert_eq!(
            Tag::parse(&[0x9F], 3).unwrap_err(),
            Error::new(ErrorKind::UnexpectedEnd, 4)
        );
        assert_eq!(
            Tag::parse(&[0x9F, 0x80, 0x01], 0).unwrap_err().kind,
            ErrorKind::InvalidTag
        );
        assert_eq!(
            Tag::parse(&[0x9F, 0x81, 0x81, 0x81, 0x01], 2).unwrap_err(),
            Error::new(ErrorKind::TagTooLong, 2)
        );
    }

    #[test]
    fn display() {
        extern crate alloc;
        use alloc::format;
        assert_eq!(format!("{}", Tag::new(0xBF25)), "BF25");
        assert_eq!(format!("{:?}", Tag::new(0x04)), "Tag(04)");
    }
}
