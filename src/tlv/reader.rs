//! The zero-copy reader.

use super::length::{self, Length};
use super::{Error, ErrorKind, Tag};

/// The largest [`Options::max_depth`]: the level below it must still be
/// representable to be refused.
const MAX_DEPTH_LIMIT: u8 = 254;

/// How strictly to parse.
///
/// The default ([`Options::strict`]) is what DER profile packages and
/// well-behaved GlobalPlatform data need: minimal lengths, no trailing data,
/// no indefinite lengths, nesting up to 32 levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    strict: bool,
    indefinite: bool,
    max_depth: u8,
}

impl Options {
    /// Strict parsing: non-minimal lengths and trailing bytes are errors,
    /// indefinite lengths are refused, at most 32 nested levels.
    pub const fn strict() -> Self {
        Self {
            strict: true,
            indefinite: false,
            max_depth: 32,
        }
    }

    /// Lenient parsing for what real cards send: non-minimal lengths (such as
    /// `81 05`) are accepted and [`Tlv::parse_exact`] ignores trailing bytes.
    pub const fn lenient() -> Self {
        Self {
            strict: false,
            indefinite: false,
            max_depth: 32,
        }
    }

    /// Accept (or refuse) the indefinite length form `80 … 00 00` on
    /// constructed tags, as in TS 102 226 `AE`/`AF` scripting templates.
    pub const fn allow_indefinite(self, allow: bool) -> Self {
        Self {
            indefinite: allow,
            ..self
        }
    }

    /// The deepest nesting [`Tlv::children`] and indefinite-length scanning
    /// will go (the outermost TLVs are level 0). At most 254: larger values
    /// are treated as 254, so the limit always holds.
    pub const fn max_depth(self, depth: u8) -> Self {
        Self {
            max_depth: if depth > MAX_DEPTH_LIMIT {
                MAX_DEPTH_LIMIT
            } else {
                depth
            },
            ..self
        }
    }

    /// The nesting limit in effect.
    pub const fn depth_limit(&self) -> u8 {
        self.max_depth
    }

    /// `true` in strict mode.
    pub const fn is_strict(&self) -> bool {
        self.strict
    }

    /// `true` when indefinite lengths are accepted.
    pub const fn indefinite_allowed(&self) -> bool {
        self.indefinite
    }

    /// The options in 16 bits: `max_depth`, then strict (bit 8) and
    /// indefinite (bit 9), for [`Meta`].
    const fn to_bits(self) -> u16 {
        self.max_depth as u16 | (self.strict as u16) << 8 | (self.indefinite as u16) << 9
    }

    /// The inverse of [`Options::to_bits`].
    const fn from_bits(bits: u16) -> Self {
        Self {
            strict: bits & 0x100 != 0,
            indefinite: bits & 0x200 != 0,
            max_depth: bits as u8,
        }
    }
}

/// The small fields of a [`Tlv`] or a [`Reader`] packed in one word: tag
/// (bits 0–31), header length (32–39), depth (40–47), options (48–57), a
/// reader's failed flag (62) and a TLV's indefinite flag (63).
///
/// One aligned word is written and read as a whole, where separate byte
/// fields were copied piecewise and stalled the loads that followed
/// (store forwarding) on every TLV read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meta(u64);

impl Meta {
    const INDEFINITE: u64 = 1 << 63;
    const FAILED: u64 = 1 << 62;
    /// Depth and options: what a reader hands to the TLVs it reads.
    const CONTEXT: u64 = 0x03FF_FF00_0000_0000;

    /// The context of a reader at `depth` with `opts`.
    const fn context(depth: u8, opts: Options) -> Self {
        Self((depth as u64) << 40 | (opts.to_bits() as u64) << 48)
    }

    /// A TLV read in context `self`.
    const fn tlv(self, tag: Tag, header_len: usize, indefinite: bool) -> Self {
        // A header is at most 4 tag octets and 5 length octets.
        let h = (header_len & 0xFF) as u64;
        let i = if indefinite { Self::INDEFINITE } else { 0 };
        Self(self.0 & Self::CONTEXT | tag.raw() as u64 | h << 32 | i)
    }

    /// The context of the children of a TLV.
    const fn children(self) -> Self {
        Self::context(self.depth().saturating_add(1), self.opts())
    }

    const fn tag(self) -> Tag {
        Tag::new(self.0 as u32)
    }

    const fn header_len(self) -> usize {
        (self.0 >> 32) as u8 as usize
    }

    const fn depth(self) -> u8 {
        (self.0 >> 40) as u8
    }

    const fn opts(self) -> Options {
        Options::from_bits((self.0 >> 48) as u16 & 0x3FF)
    }

    const fn indefinite(self) -> bool {
        self.0 & Self::INDEFINITE != 0
    }
}

impl Default for Options {
    fn default() -> Self {
        Self::strict()
    }
}

/// A zero-copy view of one TLV.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    raw: &'a [u8],
    value: &'a [u8],
    offset: usize,
    meta: Meta,
}

impl<'a> Tlv<'a> {
    /// Parses the first TLV of `input` strictly; returns it and the bytes
    /// after it.
    ///
    /// # Errors
    /// Any [`ErrorKind`] of a malformed TLV, with its offset in `input`.
    pub fn parse(input: &'a [u8]) -> Result<(Self, &'a [u8]), Error> {
        Self::parse_with(input, Options::strict())
    }

    /// Parses the first TLV of `input` with `opts`; returns it and the bytes
    /// after it.
    ///
    /// # Errors
    /// Any [`ErrorKind`] of a malformed TLV, with its offset in `input`.
    pub fn parse_with(input: &'a [u8], opts: Options) -> Result<(Self, &'a [u8]), Error> {
        parse_at(input, 0, Meta::context(0, opts))
    }

    /// Parses a TLV that must cover all of `input`. Trailing bytes are a
    /// [`ErrorKind::TrailingData`] error in strict mode and ignored in
    /// lenient mode.
    ///
    /// # Errors
    /// Any [`ErrorKind`] of a malformed TLV, with its offset in `input`.
    pub fn parse_exact(input: &'a [u8], opts: Options) -> Result<Self, Error> {
        let (tlv, _) = parse_at(input, 0, Meta::context(0, opts))?;
        if opts.strict && tlv.raw.len() != input.len() {
            return Err(Error::new(ErrorKind::TrailingData, tlv.raw.len()));
        }
        Ok(tlv)
    }

    /// The tag.
    #[inline]
    pub const fn tag(&self) -> Tag {
        self.meta.tag()
    }

    /// The value octets (for an indefinite length: without the
    /// end-of-contents octets).
    #[inline]
    pub const fn value(&self) -> &'a [u8] {
        self.value
    }

    /// The whole encoding as it appeared in the input: tag, length, value and,
    /// for an indefinite length, the end-of-contents octets.
    #[inline]
    pub const fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// Offset of the first tag octet in the outermost input.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// Offset of the first value octet in the outermost input.
    pub const fn value_offset(&self) -> usize {
        self.offset + self.meta.header_len()
    }

    /// Number of octets of tag and length.
    #[inline]
    pub const fn header_len(&self) -> usize {
        self.meta.header_len()
    }

    /// `true` when the length was the indefinite form `80`.
    #[inline]
    pub const fn is_indefinite(&self) -> bool {
        self.meta.indefinite()
    }

    /// Nesting level: 0 for TLVs of the outermost input.
    #[inline]
    pub const fn depth(&self) -> u8 {
        self.meta.depth()
    }

    /// The options this TLV was parsed with (children inherit them).
    pub const fn options(&self) -> Options {
        self.meta.opts()
    }

    /// The TLVs inside the value, parsed with the same options, with offsets
    /// in the outermost input. Works on any tag: callers that know a
    /// primitive tag holds TLVs may descend into it.
    #[inline]
    pub fn children(&self) -> Reader<'a> {
        Reader {
            input: self.value(),
            offset: self.value_offset(),
            meta: self.meta.children(),
        }
    }

    /// The first child with `tag`.
    ///
    /// # Errors
    /// The first malformed child before a match.
    pub fn find(&self, tag: Tag) -> Result<Option<Tlv<'a>>, Error> {
        self.children().find_tag(tag)
    }

    /// Follows `path` down from this TLV's children: `path[0]` is looked up
    /// among the children, `path[1]` among its children, and so on.
    ///
    /// # Errors
    /// The first malformed TLV met on the way.
    pub fn find_path(&self, path: &[Tag]) -> Result<Option<Tlv<'a>>, Error> {
        self.children().find_path(path)
    }
}

impl core::fmt::Debug for Tlv<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tlv")
            .field("tag", &self.tag())
            .field("offset", &self.offset)
            .field("len", &self.value.len())
            .field("indefinite", &self.is_indefinite())
            .finish()
    }
}

/// An iterator over sibling TLVs.
///
/// Yields `Err` once for malformed input and then stops.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    /// The bytes not consumed yet.
    input: &'a [u8],
    /// Offset of `input` in the outermost input.
    offset: usize,
    /// Depth, options and the failed flag.
    meta: Meta,
}

impl<'a> Reader<'a> {
    /// A strict reader over `input`.
    pub const fn new(input: &'a [u8]) -> Self {
        Self::with_options(input, Options::strict())
    }

    /// A reader over `input` with `opts`.
    pub const fn with_options(input: &'a [u8], opts: Options) -> Self {
        Self::with_base(input, 0, opts)
    }

    /// A reader over `input` that reports offsets as if `input` started at
    /// `base` in some larger buffer.
    pub const fn with_base(input: &'a [u8], base: usize, opts: Options) -> Self {
        Self {
            input,
            offset: base,
            meta: Meta::context(0, opts),
        }
    }

    /// The bytes not consumed yet.
    pub const fn remaining(&self) -> &'a [u8] {
        self.input
    }

    /// Offset of the next TLV in the outermost input.
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// The first TLV with `tag` among the remaining siblings.
    ///
    /// # Errors
    /// The first malformed TLV before a match.
    pub fn find_tag(&mut self, tag: Tag) -> Result<Option<Tlv<'a>>, Error> {
        for tlv in self.by_ref() {
            let tlv = tlv?;
            if tlv.tag() == tag {
                return Ok(Some(tlv));
            }
        }
        Ok(None)
    }

    /// Follows `path` from these siblings downwards (see [`Tlv::find_path`]).
    ///
    /// # Errors
    /// The first malformed TLV met on the way.
    pub fn find_path(mut self, path: &[Tag]) -> Result<Option<Tlv<'a>>, Error> {
        let Some((first, rest)) = path.split_first() else {
            return Ok(None);
        };
        let Some(mut current) = self.find_tag(*first)? else {
            return Ok(None);
        };
        for tag in rest {
            match current.find(*tag)? {
                Some(next) => current = next,
                None => return Ok(None),
            }
        }
        Ok(Some(current))
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Tlv<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.input;
        if rest.is_empty() || self.meta.0 & Meta::FAILED != 0 {
            return None;
        }
        if self.meta.depth() > self.meta.opts().max_depth {
            self.meta.0 |= Meta::FAILED;
            return Some(Err(Error::new(ErrorKind::TooDeep, self.offset)));
        }
        match parse_at(rest, self.offset, self.meta) {
            Ok((tlv, after)) => {
                self.offset += tlv.raw.len();
                self.input = after;
                Some(Ok(tlv))
            }
            Err(e) => {
                self.meta.0 |= Meta::FAILED;
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for Reader<'_> {}

/// Parses one TLV at the start of `input`, which begins at `base` in the
/// outermost input; returns it and the octets after it.
///
/// The common case, a one-octet tag (X.690 §8.1.2.2) with a short-form
/// length (§8.1.3.4, minimal by definition), is decoded inline; everything
/// else, including every error, goes through [`parse_general`].
#[inline]
fn parse_at(input: &[u8], base: usize, ctx: Meta) -> Result<(Tlv<'_>, &[u8]), Error> {
    if let [t, l, ..] = *input
        && t & 0x1F != 0x1F
        && l < 0x80
        && let Some((raw, after)) = input.split_at_checked(2 + usize::from(l))
        && let Some(value) = raw.get(2..)
    {
        let tlv = Tlv {
            raw,
            value,
            offset: base,
            meta: ctx.tlv(Tag::new(u32::from(t)), 2, false),
        };
        return Ok((tlv, after));
    }
    let (meta, total, value_len) = parse_general(input, base, ctx)?;
    let end = || Error::new(ErrorKind::UnexpectedEnd, base + input.len());
    let (raw, after) = input.split_at_checked(total).ok_or_else(end)?;
    let header_len = meta.header_len();
    let value = raw
        .get(header_len..header_len + value_len)
        .ok_or_else(end)?;
    let tlv = Tlv {
        raw,
        value,
        offset: base,
        meta,
    };
    Ok((tlv, after))
}

/// The header of a TLV of any tag and length form, for [`parse_at`]: its
/// [`Meta`], total length (for an indefinite length, up to and including
/// the end-of-contents octets) and value length. Returning three words
/// rather than a [`Tlv`] keeps the copy out of this rarer path cheap.
#[inline(never)]
fn parse_general(input: &[u8], base: usize, ctx: Meta) -> Result<(Meta, usize, usize), Error> {
    let (depth, opts) = (ctx.depth(), ctx.opts());
    let end = || Error::new(ErrorKind::UnexpectedEnd, base + input.len());
    let (tag, tag_len) = read_tag(input, base, opts)?;
    let (_, rest) = input.split_at_checked(tag_len).ok_or_else(end)?;
    let (len, len_len) = length::parse(rest, base + tag_len, opts.strict)?;
    let header_len = tag_len + len_len;
    let (value_len, trailer, indefinite) = match len {
        Length::Definite(value_len) => (value_len, 0, false),
        Length::Indefinite => {
            if !opts.indefinite {
                return Err(Error::new(ErrorKind::IndefiniteNotAllowed, base + tag_len));
            }
            if !tag.is_constructed() {
                return Err(Error::new(ErrorKind::IndefinitePrimitive, base + tag_len));
            }
            let n = scan_indefinite(input, header_len, base, depth, opts)?;
            // The value is followed by the end-of-contents octets `00 00`.
            (n, 2, true)
        }
    };
    let total = header_len
        .checked_add(value_len)
        .and_then(|n| n.checked_add(trailer))
        .ok_or_else(end)?;
    Ok((ctx.tlv(tag, header_len, indefinite), total, value_len))
}

/// The tag at the start of `input`: [`Tag::parse_strict`] in strict mode,
/// else [`Tag::parse`].
fn read_tag(input: &[u8], offset: usize, opts: Options) -> Result<(Tag, usize), Error> {
    if opts.strict {
        Tag::parse_strict(input, offset)
    } else {
        Tag::parse(input, offset)
    }
}

/// Finds the end-of-contents that closes an indefinite value starting at
/// `start`; returns the value length. Iterative: nested indefinite values
/// only bump a counter, so no input can exhaust the stack.
fn scan_indefinite(
    input: &[u8],
    start: usize,
    base: usize,
    depth: u8,
    opts: Options,
) -> Result<usize, Error> {
    let mut pos = start;
    let mut open: usize = 1;
    loop {
        let rest = input
            .get(pos..)
            .filter(|r| !r.is_empty())
            .ok_or(Error::new(
                ErrorKind::MissingEndOfContents,
                base + input.len(),
            ))?;
        if rest.starts_with(&[0, 0]) {
            pos += 2;
            open -= 1;
            if open == 0 {
                return Ok(pos - 2 - start);
            }
            continue;
        }
        // Inside an indefinite value `00` can only start the end-of-contents
        // octets `00 00` (X.690 §8.1.5); a TLV with tag `00` would be
        // ambiguous with them.
        if rest.first() == Some(&0) {
            return Err(Error::new(ErrorKind::InvalidTag, base + pos));
        }
        let (tag, tag_len) = read_tag(rest, base + pos, opts)?;
        let (_, after_tag) = rest
            .split_at_checked(tag_len)
            .ok_or(Error::new(ErrorKind::UnexpectedEnd, base + input.len()))?;
        let (len, len_len) = length::parse(after_tag, base + pos + tag_len, opts.strict)?;
        match len {
            Length::Definite(n) => {
                let end = pos
                    .checked_add(tag_len + len_len)
                    .and_then(|p| p.checked_add(n))
                    .filter(|&e| e <= input.len())
                    .ok_or(Error::new(ErrorKind::UnexpectedEnd, base + input.len()))?;
                pos = end;
            }
            Length::Indefinite => {
                if !tag.is_constructed() {
                    return Err(Error::new(
                        ErrorKind::IndefinitePrimitive,
                        base + pos + tag_len,
                    ));
                }
                open += 1;
                if usize::from(depth) + open > usize::from(opts.max_depth) + 1 {
                    return Err(Error::new(ErrorKind::TooDeep, base + pos));
                }
                pos += tag_len + len_len;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The rest after a TLV, the reader's remaining input and the value
    /// of an indefinite TLV are exact slices, and a short input is an
    /// `UnexpectedEnd` at the input's end, never an empty value.
    #[test]
    fn rest_remaining_and_truncation() {
        let input = [0x80, 0x02, 0xAA, 0xBB, 0x81, 0x01, 0xCC];
        let (t, rest) = Tlv::parse(&input).unwrap();
        assert_eq!((t.value(), rest), (&[0xAA, 0xBB][..], &input[4..]));
        let mut r = Reader::new(&input);
        assert_eq!(r.remaining(), &input[..]);
        r.next().unwrap().unwrap();
        assert_eq!((r.remaining(), r.offset()), (&input[4..], 4));
        assert_eq!(r.next().unwrap().unwrap().value(), &[0xCC]);
        assert_eq!((r.remaining(), r.offset()), (&[][..], 7));
        assert!(r.next().is_none());
        for short in [&input[..3], &input[..1]] {
            let e = Tlv::parse(short).unwrap_err();
            assert_eq!(e.kind, ErrorKind::UnexpectedEnd, "{short:02X?}");
        }
        let (t, rest) =
            Tlv::parse_with(&X690_INDEFINITE, Options::strict().allow_indefinite(true)).unwrap();
        assert_eq!(t.value(), &X690_INDEFINITE[2..14]);
        assert_eq!((t.raw().len(), rest), (16, &[][..]));
    }

    /// X.690 (08/2015) §8.9.3 example: SEQUENCE { IA5String "Smith", BOOLEAN TRUE }.
    const X690_SEQUENCE: [u8; 12] = [
        0x30, 0x0A, 0x16, 0x05, 0x53, 0x6D, 0x69, 0x74, 0x68, 0x01, 0x01, 0xFF,
    ];

    /// X.690 (08/2015) §8.6.4.2 example: constructed BIT STRING in the
    /// indefinite form.
    const X690_INDEFINITE: [u8; 16] = [
        0x23, 0x80, 0x03, 0x03, 0x00, 0x0A, 0x3B, 0x03, 0x05, 0x04, 0x5F, 0x29, 0x1C, 0xD0, 0x00,
        0x00,
    ];

    #[test]
    fn x690_sequence() {
        let t = Tlv::parse_exact(&X690_SEQUENCE, Options::strict()).unwrap();
        assert_eq!(
            (t.tag(), t.header_len(), t.value().len()),
            (Tag::new(0x30), 2, 10)
        );
        let kids: Vec<_> = t.children().map(Result::unwrap).collect();
        assert_eq!(kids.len(), 2);
        assert_eq!(
            (kids[0].tag(), kids[0].value()),
            (Tag::new(0x16), &b"Smith"[..])
        );
        assert_eq!((kids[1].offset(), kids[1].value_offset()), (9, 11));
        assert_eq!(kids[1].depth(), 1);
    }

    extern crate alloc;
    use alloc::vec::Vec;

    #[test]
    fn x690_indefinite() {
        assert_eq!(
            Tlv::parse(&X690_INDEFINITE).unwrap_err(),
            Error::new(ErrorKind::IndefiniteNotAllowed, 1)
        );
        let opts = Options::strict().allow_indefinite(true);
        let t = Tlv::parse_exact(&X690_INDEFINITE, opts).unwrap();
        assert!(t.is_indefinite());
        assert_eq!(t.value().len(), 12);
        assert_eq!(t.raw().len(), 16);
        let parts: Vec<_> = t.children().map(|c| c.unwrap().value()).collect();
        assert_eq!(
            parts,
            [&[0x00, 0x0A, 0x3B][..], &[0x04, 0x5F, 0x29, 0x1C, 0xD0][..]]
        );
    }

    #[test]
    fn strict_and_lenient() {
        // Non-minimal length 81 05.
        let odd = [0x4F, 0x81, 0x02, 0xA0, 0x00];
        assert_eq!(
            Tlv::parse(&odd).unwrap_err(),
            Error::new(ErrorKind::NonMinimalLength, 1)
        );
        let t = Tlv::parse_exact(&odd, Options::lenient()).unwrap();
        assert_eq!(t.value(), [0xA0, 0x00]);
        // Trailing data.
        let trailing = [0x4F, 0x01, 0xA0, 0xFF];
        assert_eq!(
            Tlv::parse_exact(&trailing, Options::strict()).unwrap_err(),
            Error::new(ErrorKind::TrailingData, 3)
        );
        assert!(Tlv::parse_exact(&trailing, Options::lenient()).is_ok());
        let (t, rest) = Tlv::parse(&trailing).unwrap();
        assert_eq!((t.raw().len(), rest), (3, &[0xFF][..]));
        // Indefinite on a primitive tag.
        let opts = Options::lenient().allow_indefinite(true);
        assert_eq!(
            Tlv::parse_with(&[0x04, 0x80, 0x00, 0x00], opts).unwrap_err(),
            Error::new(ErrorKind::IndefinitePrimitive, 1)
        );
        // Missing end-of-contents.
        assert_eq!(
            Tlv::parse_with(&[0x30, 0x80, 0x04, 0x00], opts).unwrap_err(),
            Error::new(ErrorKind::MissingEndOfContents, 4)
        );
        // A tag-00 TLV inside an indefinite value is ambiguous with EOC.
        assert_eq!(
            Tlv::parse_with(&[0x30, 0x80, 0x00, 0x81, 0x00, 0x00, 0x00], opts).unwrap_err(),
            Error::new(ErrorKind::InvalidTag, 2)
        );
    }

    /// X.690 §8.1.2.2: a tag number below 31 in two octets (`9F 05`,
    /// `5F 1E`) is refused by the strict reader at its second octet, at
    /// the top level, as a child and inside an indefinite value; number 31
    /// (`9F 1F`) is the first the multi-octet form may carry. The lenient
    /// reader keeps the card-side EMV form.
    #[test]
    fn strict_refuses_a_long_form_tag_below_31() {
        let strict = Options::strict();
        for (input, offset) in [
            (&[0x9F, 0x05, 0x01, 0xAA][..], 1),
            (&[0x5F, 0x1E, 0x00][..], 1),
            (&[0x70, 0x05, 0x4F, 0x00, 0x9F, 0x00, 0x00][..], 5),
        ] {
            let e = Tlv::parse_exact(input, strict)
                .and_then(|t| t.children().try_for_each(|c| c.map(drop)))
                .unwrap_err();
            assert_eq!(
                e,
                Error::new(ErrorKind::NonMinimalTag, offset),
                "{input:02X?}"
            );
            let t = Tlv::parse_exact(input, Options::lenient()).unwrap();
            if t.tag().is_constructed() {
                assert!(t.children().all(|c| c.is_ok()), "{input:02X?}");
            }
        }
        let indefinite = [0x70, 0x80, 0x9F, 0x02, 0x00, 0x00, 0x00];
        assert_eq!(
            Tlv::parse_with(&indefinite, strict.allow_indefinite(true)).unwrap_err(),
            Error::new(ErrorKind::NonMinimalTag, 3)
        );
        let lenient = Options::lenient().allow_indefinite(true);
        assert!(Tlv::parse_with(&indefinite, lenient).is_ok());
        let (t, _) = Tlv::parse_with(&[0x9F, 0x1F, 0x00], strict).unwrap();
        assert_eq!(t.tag().number(), 31);
    }

    #[test]
    fn offsets_are_absolute() {
        // E3 { 4F 01 AA, 9F70 01 <truncated> }
        let bad = [0x00, 0xE3, 0x07, 0x4F, 0x01, 0xAA, 0x9F, 0x70, 0x02, 0x07];
        let r = Reader::with_base(&bad[1..], 1, Options::strict());
        let e3 = r.clone().next().unwrap().unwrap();
        assert_eq!(e3.offset(), 1);
        let mut kids = e3.children();
        assert_eq!(kids.next().unwrap().unwrap().offset(), 3);
        let err = kids.next().unwrap().unwrap_err();
        assert_eq!(err, Error::new(ErrorKind::UnexpectedEnd, 10));
        assert_eq!(
            alloc::format!("{err}"),
            "input ends inside a TLV at byte offset 10"
        );
        assert!(kids.next().is_none());
    }

    #[test]
    fn find_and_paths() {
        // BF25 { 5A 01 11, A0 { 80 01 22 } }
        let data = [
            0xBF, 0x25, 0x08, 0x5A, 0x01, 0x11, 0xA0, 0x03, 0x80, 0x01, 0x22,
        ];
        let r = Reader::new(&data);
        let hit = r
            .clone()
            .find_path(&[Tag::new(0xBF25), Tag::new(0xA0), Tag::new(0x80)])
            .unwrap()
            .unwrap();
        assert_eq!(
            (hit.value(), hit.offset(), hit.depth()),
            (&[0x22][..], 8, 2)
        );
        assert!(
            r.clone()
                .find_path(&[Tag::new(0xBF25), Tag::new(0x81)])
                .unwrap()
                .is_none()
        );
        assert!(r.clone().find_path(&[]).unwrap().is_none());
        let top = r.clone().next().unwrap().unwrap();
        assert_eq!(top.find(Tag::new(0x5A)).unwrap().unwrap().value(), [0x11]);
    }

    #[test]
    fn depth_is_bounded() {
        // 40 nested definite levels.
        let mut data = Vec::new();
        for i in 0..40u8 {
            data.extend_from_slice(&[0xA0, 2 * (39 - i)]);
        }
        let mut stack = Vec::from([Reader::with_options(&data, Options::strict().max_depth(8))]);
        let mut err = None;
        while let Some(top) = stack.last_mut() {
            match top.next() {
                Some(Ok(t)) => stack.push(t.children()),
                Some(Err(e)) => {
                    err = Some(e);
                    break;
                }
                None => {
                    stack.pop();
                }
            }
        }
        assert_eq!(err, Some(Error::new(ErrorKind::TooDeep, 18)));
    }
}
