//! The package as a sequence of ProfileElements (zero-copy).

use crate::tlv::{self, Buffer, Encode, Options, Reader, Tag, Tlv};

use super::der::{self, Fields};
use super::{Error, ErrorKind, PeType};

/// `PEHeader ::= SEQUENCE { mandated NULL OPTIONAL, identification UInt15 }`,
/// the first member of every PE but `header` (PEDefinitions v3.3.1).
///
/// Owned representation: [`PeHeader::parse`] / [`PeHeader::buffer_len`] /
/// [`PeHeader::emit`] are exact inverses on DER input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PeHeader {
    /// `mandated`: support of this PE is mandatory.
    pub mandated: bool,
    /// `identification`: the PE's number (unique, not in stream order).
    pub identification: u16,
}

impl PeHeader {
    /// Decodes the members of a PEHeader (the value of its `A0` TLV).
    ///
    /// # Errors
    /// A missing or out-of-range `identification`, a non-empty `mandated`.
    pub fn parse(tlv: &Tlv<'_>) -> Result<Self, Error> {
        let mut f = Fields::new(tlv);
        let mandated = match f.optional(0x80)? {
            Some(m) => {
                der::null(&m, "mandated")?;
                true
            }
            None => false,
        };
        let id = f.required(0x81, "identification")?;
        let identification = der::uint(&id, "identification")?;
        let identification = u16::try_from(identification)
            .ok()
            .filter(|v| *v <= 0x7FFF)
            .ok_or(Error::new(
                ErrorKind::BadValue("identification"),
                id.value_offset(),
            ))?;
        Ok(Self {
            mandated,
            identification,
        })
    }

    /// Minimal two's-complement INTEGER octets of `identification`.
    fn id_bytes(&self) -> ([u8; 3], usize) {
        let v = self.identification;
        let [hi, lo] = v.to_be_bytes();
        if v < 0x80 {
            ([lo, 0, 0], 1)
        } else if v < 0x100 {
            ([0, lo, 0], 2)
        } else if v < 0x8000 {
            ([hi, lo, 0], 2)
        } else {
            ([0, hi, lo], 3)
        }
    }

    /// Length of the `A0` TLV [`PeHeader::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        self.encoder().encoded_len()
    }

    /// Writes the PEHeader as `A0 { [80 00] 81 nn }`.
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    pub fn emit(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        self.encoder().encode(out)
    }

    fn encoder(&self) -> impl Encode {
        let (id, n) = self.id_bytes();
        let mandated = self.mandated.then_some(tlv::tlv(Tag::new(0x80), [0u8; 0]));
        tlv::tlv(
            Tag::new(0xA0),
            (mandated, tlv::tlv(Tag::new(0x81), IdBytes(id, n))),
        )
    }
}

struct IdBytes([u8; 3], usize);

impl Encode for IdBytes {
    fn encoded_len(&self) -> usize {
        self.1
    }
    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        // `id_bytes` gives 1 to 3 octets of its 3-octet array.
        let octets = self
            .0
            .get(..self.1)
            .ok_or(tlv::Error::new(tlv::ErrorKind::ValueTooLong, out.written()))?;
        out.put(octets)
    }
}

/// One ProfileElement of a package: its type, raw bytes and position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileElement<'a> {
    tlv: Tlv<'a>,
    index: usize,
}

impl<'a> ProfileElement<'a> {
    /// Wraps an already parsed top-level TLV (`index` = its position).
    pub const fn from_tlv(tlv: Tlv<'a>, index: usize) -> Self {
        Self { tlv, index }
    }

    /// The CHOICE alternative (unknown ones kept by tag).
    pub const fn pe_type(&self) -> PeType {
        PeType(self.tlv.tag())
    }

    /// Position in the package (0 = the first PE).
    pub const fn index(&self) -> usize {
        self.index
    }

    /// Offset of the PE's first byte in the package.
    pub const fn offset(&self) -> usize {
        self.tlv.offset()
    }

    /// The PE's bytes exactly as in the package.
    pub const fn raw(&self) -> &'a [u8] {
        self.tlv.raw()
    }

    /// The underlying TLV (children carry package offsets).
    pub const fn tlv(&self) -> &Tlv<'a> {
        &self.tlv
    }

    /// The PEHeader: `None` for `header` (which has none), and for `rfu1`
    /// .. `rfu5` (PE-Dummy) or an unknown type whose first member is not an
    /// `A0` PEHeader.
    ///
    /// # Errors
    /// A known PE type without a well-formed PEHeader.
    pub fn pe_header(&self) -> Result<Option<PeHeader>, Error> {
        let ty = self.pe_type();
        if ty == PeType::HEADER {
            return Ok(None);
        }
        // PE-Dummy (rfu1..rfu5) is an empty SEQUENCE and types after v3.3.1
        // are unknown: for those a PEHeader is taken only when one is there.
        let optional = ty.name().is_none() || (PeType::RFU1..=PeType::RFU5).contains(&ty);
        let first = match self.tlv.children().next().transpose() {
            Ok(first) => first,
            Err(_) if optional => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match first {
            Some(h) if h.tag() == Tag::new(0xA0) => match PeHeader::parse(&h) {
                Ok(h) => Ok(Some(h)),
                Err(e) if !optional => Err(e),
                Err(_) => Ok(None),
            },
            _ if optional => Ok(None),
            _ => Err(Error::new(
                ErrorKind::MissingField("PEHeader"),
                self.tlv.value_offset(),
            )),
        }
    }

    /// Fails unless this element has type `ty`.
    pub(crate) fn expect(&self, ty: PeType) -> Result<(), Error> {
        if self.pe_type() == ty {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::WrongType {
                    expected: ty,
                    found: self.pe_type(),
                },
                self.offset(),
            ))
        }
    }
}

/// Iterator over the ProfileElements of a package, in stream order. Yields
/// `Err` once for a malformed TLV and then stops.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    reader: Reader<'a>,
    index: usize,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Result<ProfileElement<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let tlv = match self.reader.next()? {
            Ok(t) => t,
            Err(e) => return Some(Err(e.into())),
        };
        let pe = ProfileElement::from_tlv(tlv, self.index);
        self.index += 1;
        Some(Ok(pe))
    }
}

impl core::iter::FusedIterator for Elements<'_> {}

/// A profile package (TCA eUICC Profile Package interoperable format):
/// a bare concatenation of DER ProfileElements, `header` first, `end` last.
///
/// Reading accepts definite-length BER (non-minimal lengths included);
/// [`super::validate`] with `strict_der` reports what DER forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Package<'a> {
    bytes: &'a [u8],
}

impl<'a> Package<'a> {
    /// The package over `bytes` (nothing is parsed yet).
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The package bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Options the top-level reader uses.
    pub const fn read_options() -> Options {
        Options::lenient().max_depth(16)
    }

    /// The ProfileElements in stream order.
    pub fn elements(&self) -> Elements<'a> {
        Elements {
            reader: Reader::with_options(self.bytes, Self::read_options()),
            index: 0,
        }
    }

    /// The first element of type `ty`.
    ///
    /// # Errors
    /// A malformed TLV before it.
    pub fn find(&self, ty: PeType) -> Result<Option<ProfileElement<'a>>, Error> {
        for pe in self.elements() {
            let pe = pe?;
            if pe.pe_type() == ty {
                return Ok(Some(pe));
            }
        }
        Ok(None)
    }

    /// The ProfileHeader decoded from the first element.
    ///
    /// # Errors
    /// An empty package, a first element that is not `header`, or a
    /// malformed header.
    pub fn header(&self) -> Result<super::ProfileHeader<'a>, Error> {
        let first = self
            .elements()
            .next()
            .ok_or(Error::new(ErrorKind::MissingField("header"), 0))??;
        super::ProfileHeader::from_element(&first)
    }

    /// The ICCID in EF.ICCID of the `mf` element (nibble-swapped BCD, ETSI
    /// TS 102 221 §13.2): `None` when there is no `mf` or no `ef-iccid`
    /// content. Compare with
    /// [`ProfileHeader::iccid`](super::ProfileHeader::iccid), whose coding
    /// differs (natural digit order).
    ///
    /// # Errors
    /// A malformed TLV before the `mf` element, a malformed `mf`, or
    /// [`ErrorKind::BadValue`] when the `ef-iccid` content is not 10
    /// octets holding 18 to 20 digits.
    pub fn ef_iccid(&self) -> Result<Option<super::Iccid>, Error> {
        let Some(mf) = self.find(PeType::MF)? else {
            return Ok(None);
        };
        super::FileSystem::from_element(&mf)?.ef_iccid()
    }

    /// Checks that the whole input is a sequence of well-formed TLVs and
    /// returns the number of elements.
    ///
    /// # Errors
    /// The first malformed TLV, with its offset.
    pub fn count(&self) -> Result<usize, Error> {
        let mut n = 0;
        for pe in self.elements() {
            pe?;
            n += 1;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pe_header_round_trip() {
        for (bytes, h) in [
            (
                &[0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x17][..],
                PeHeader {
                    mandated: true,
                    identification: 0x17,
                },
            ),
            (
                &[0xA0, 0x03, 0x81, 0x01, 0x00][..],
                PeHeader {
                    mandated: false,
                    identification: 0,
                },
            ),
            (
                &[0xA0, 0x04, 0x81, 0x02, 0x00, 0x80][..],
                PeHeader {
                    mandated: false,
                    identification: 128,
                },
            ),
            (
                &[0xA0, 0x04, 0x81, 0x02, 0x7F, 0xFF][..],
                PeHeader {
                    mandated: false,
                    identification: 0x7FFF,
                },
            ),
        ] {
            let (t, _) = Tlv::parse(bytes).unwrap();
            assert_eq!(PeHeader::parse(&t).unwrap(), h);
            let mut v = heapless::Vec::<u8, 16>::new();
            h.emit(&mut v).unwrap();
            assert_eq!(&v[..], bytes);
            assert_eq!(h.buffer_len(), bytes.len());
        }
        // identification beyond UInt15
        let (t, _) = Tlv::parse(&[0xA0, 0x05, 0x81, 0x03, 0x00, 0x80, 0x00]).unwrap();
        assert!(PeHeader::parse(&t).is_err());
    }

    #[test]
    fn unknown_primitive_element_has_no_pe_header() {
        let pkg = [0x04, 0x02, 0xFF, 0xFF];
        let pe = Package::new(&pkg).elements().next().unwrap().unwrap();
        assert_eq!(pe.pe_type().name(), None);
        assert_eq!(pe.pe_header(), Ok(None));
        // A known type without its PEHeader is an error.
        let pkg = [0xAA, 0x02, 0x81, 0x00];
        let pe = Package::new(&pkg).elements().next().unwrap().unwrap();
        let err = pe.pe_header().unwrap_err();
        assert_eq!(err.kind, ErrorKind::MissingField("PEHeader"));
        assert_eq!(err.offset, 2);
    }

    #[test]
    fn truncated_package_reports_offset() {
        let pkg = [
            0xAA, 0x07, 0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x01, 0xAA, 0x07, 0xA0,
        ];
        let p = Package::new(&pkg);
        let err = p.count().unwrap_err();
        assert_eq!(err.kind, ErrorKind::Tlv(tlv::ErrorKind::UnexpectedEnd));
        assert!(err.offset >= 9);
    }
}
