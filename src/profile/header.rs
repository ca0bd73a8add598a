//! `ProfileHeader` (PEDefinitions v3.3.1), the ICCID codings and the
//! eUICC-Mandatory-services list.

use core::fmt;

use crate::tlv::{self, Buffer, Encode, Tag, Tlv};

use super::der::{self, Fields, Oid};
use super::{Error, ErrorKind, PeType, ProfileElement};

/// An ICCID as up to 20 decimal digits.
///
/// Two codings meet in a profile package: the ProfileHeader `iccid` holds the
/// digits in natural order padded with `F` ([`Iccid::from_header`]), while
/// EF.ICCID (ETSI TS 102 221 §13.2) is nibble-swapped BCD
/// ([`Iccid::from_ef_iccid`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Iccid {
    digits: [u8; 20],
    len: u8,
}

impl Iccid {
    fn from_nibbles(raw: &[u8; 10], swapped: bool) -> Option<Self> {
        let mut digits = [0u8; 20];
        let mut len = 0usize;
        let mut padding = false;
        for (i, b) in raw.iter().enumerate() {
            let (first, second) = if swapped {
                (b & 0x0F, b >> 4)
            } else {
                (b >> 4, b & 0x0F)
            };
            for (j, n) in [first, second].into_iter().enumerate() {
                match n {
                    0..=9 if !padding => {
                        *digits.get_mut(2 * i + j)? = n;
                        len += 1;
                    }
                    0xF => padding = true,
                    _ => return None,
                }
            }
        }
        // At least 18 digits (ITU-T E.118 allows 19 or 20; some issuers 18).
        (len >= 18).then_some(Self {
            digits,
            len: len as u8,
        })
    }

    /// Decodes the ProfileHeader coding: digits in natural order, right
    /// padded with `F` (`89 49 44 .. 01 5F` = `8949449999999990015`).
    pub fn from_header(raw: &[u8; 10]) -> Option<Self> {
        Self::from_nibbles(raw, false)
    }

    /// Decodes EF.ICCID content: nibble-swapped BCD padded with `F`
    /// (`98 94 44 .. 10 F5` = `8949449999999990015`).
    pub fn from_ef_iccid(raw: &[u8; 10]) -> Option<Self> {
        Self::from_nibbles(raw, true)
    }

    /// Parses 18 to 20 decimal digits.
    pub fn from_digits(text: &str) -> Option<Self> {
        if !(18..=20).contains(&text.len()) {
            return None;
        }
        let mut digits = [0u8; 20];
        for (d, c) in digits.iter_mut().zip(text.bytes()) {
            if !c.is_ascii_digit() {
                return None;
            }
            *d = c - b'0';
        }
        Some(Self {
            digits,
            len: text.len() as u8,
        })
    }

    /// The digits (values 0 to 9).
    pub fn digits(&self) -> &[u8] {
        // Both constructors keep `len` within 18..=20.
        let used = self.digits.get(..usize::from(self.len));
        debug_assert!(used.is_some(), "ICCID of {} digits", self.len);
        used.unwrap_or(&self.digits)
    }

    /// Digit `i`, or the `F` filler after the last digit (ITU-T E.118
    /// ICCID coding in EF.ICCID, ETSI TS 102 221 §13.2).
    fn nibble(&self, i: usize) -> u8 {
        self.digits().get(i).copied().unwrap_or(0xF)
    }

    /// The ProfileHeader coding.
    pub fn to_header(&self) -> [u8; 10] {
        core::array::from_fn(|i| (self.nibble(2 * i) << 4) | self.nibble(2 * i + 1))
    }

    /// The EF.ICCID coding.
    pub fn to_ef_iccid(&self) -> [u8; 10] {
        core::array::from_fn(|i| (self.nibble(2 * i + 1) << 4) | self.nibble(2 * i))
    }
}

impl fmt::Display for Iccid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.digits() {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Iccid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Iccid({self})")
    }
}

/// ASN.1 names of the `ServicesList` members, index = context tag number
/// (PEDefinitions v3.3.1).
const SERVICE_NAMES: [&str; 30] = [
    "contactless",
    "usim",
    "isim",
    "csim",
    "milenage",
    "tuak128",
    "cave",
    "gba-usim",
    "gba-isim",
    "mbms",
    "eap",
    "javacard",
    "multos",
    "multiple-usim",
    "multiple-isim",
    "multiple-csim",
    "tuak256",
    "usim-test-algorithm",
    "ber-tlv",
    "dfLink",
    "cat-tp",
    "get-identity",
    "profile-a-x25519",
    "profile-b-p256",
    "suciCalculatorApi",
    "dns-resolution",
    "scp11ac",
    "scp11c-authorization-mechanism",
    "s16mode",
    "eaka",
];

/// `ServicesList`: a SEQUENCE of optional NULLs, kept as a bit set where bit
/// *n* is the member with context tag *n* (`80` contactless ... `9D` eaka).
/// Members added after v3.3.1 (tag numbers 30 to 63) are kept too.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Services(pub u64);

impl Services {
    /// The service with ASN.1 name `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        SERVICE_NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| Self(1 << i))
    }

    /// `true` when every service of `other` is in `self`.
    pub const fn contains(self, other: Services) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union.
    #[must_use]
    pub const fn with(self, other: Services) -> Self {
        Self(self.0 | other.0)
    }

    /// The tag numbers present, in encoding order.
    pub fn numbers(self) -> impl Iterator<Item = u32> {
        (0..64u32).filter(move |n| self.0 & (1 << n) != 0)
    }

    /// The ASN.1 names in encoding order (`None` for members added after
    /// v3.3.1).
    pub fn names(self) -> impl Iterator<Item = Option<&'static str>> {
        self.numbers()
            .map(|n| SERVICE_NAMES.get(n as usize).copied())
    }

    fn parse(tlv: &Tlv<'_>) -> Result<Self, Error> {
        let mut bits = 0u64;
        let mut last: Option<u32> = None;
        for m in tlv.children() {
            let m = m?;
            let bad = Error::new(ErrorKind::BadValue("eUICC-Mandatory-services"), m.offset());
            let tag = m.tag();
            let n = tag.number();
            if tag.class() != tlv::Class::ContextSpecific || tag.is_constructed() || n >= 64 {
                return Err(bad);
            }
            // SEQUENCE members come in tag order, each at most once.
            if last.is_some_and(|l| n <= l) {
                return Err(bad);
            }
            der::null(&m, "eUICC-Mandatory-services")?;
            last = Some(n);
            bits |= 1 << n;
        }
        Ok(Self(bits))
    }
}

/// Context tag `[n]` primitive as encoded octets (`80`, `9D`, `9F 1F`).
fn context_primitive(n: u32) -> Tag {
    if n < 31 {
        Tag::new(0x80 | n)
    } else {
        Tag::new(0x9F00 | n)
    }
}

impl Encode for Services {
    fn encoded_len(&self) -> usize {
        self.numbers().map(|n| context_primitive(n).len() + 1).sum()
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        for n in self.numbers() {
            let (b, len) = context_primitive(n).to_bytes();
            let tag = b
                .get(..len)
                .ok_or(tlv::Error::new(tlv::ErrorKind::InvalidTag, out.written()))?;
            out.put(tag)?;
            out.put(&[0])?;
        }
        Ok(())
    }
}

impl fmt::Debug for Services {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_list();
        for (n, name) in self.numbers().zip(self.names()) {
            match name {
                Some(name) => l.entry(&name),
                None => l.entry(&n),
            };
        }
        l.finish()
    }
}

/// The content of a `SEQUENCE OF OBJECT IDENTIFIER` (the header's
/// eUICC-Mandatory-GFSTEList), checked on construction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OidList<'a>(&'a [u8]);

impl<'a> OidList<'a> {
    /// Checks that `content` is a sequence of well-formed `06` TLVs;
    /// `offset` is where it starts in the outermost input.
    ///
    /// # Errors
    /// A malformed TLV, another tag or a malformed OID.
    pub fn new_checked(content: &'a [u8], offset: usize) -> Result<Self, Error> {
        let opts = super::Package::read_options();
        for t in tlv::Reader::with_base(content, offset, opts) {
            let t = t?;
            if t.tag() != Tag::new(0x06) {
                return Err(Error::new(
                    ErrorKind::BadValue("eUICC-Mandatory-GFSTEList"),
                    t.offset(),
                ));
            }
            der::oid(&t, "eUICC-Mandatory-GFSTEList")?;
        }
        Ok(Self(content))
    }

    /// The encoded content (the `06` TLVs).
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The OIDs in encoding order.
    pub fn iter(&self) -> impl Iterator<Item = Oid<'a>> + 'a {
        let opts = super::Package::read_options();
        tlv::Reader::with_options(self.0, opts)
            .filter_map(|t| t.ok().and_then(|t| Oid::new(t.value())))
    }
}

impl fmt::Debug for OidList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One entry of eUICC-Mandatory-AIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MandatoryAid<'a> {
    /// `aid` (5 to 16 octets).
    pub aid: &'a [u8],
    /// `version` (2 octets).
    pub version: [u8; 2],
}

/// The content of eUICC-Mandatory-AIDs, checked on construction.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AidList<'a>(&'a [u8]);

impl<'a> AidList<'a> {
    /// Checks that `content` is a sequence of `30 { 80 aid, 81 version }`;
    /// `offset` is where it starts in the outermost input.
    ///
    /// # Errors
    /// A malformed entry.
    pub fn new_checked(content: &'a [u8], offset: usize) -> Result<Self, Error> {
        let opts = super::Package::read_options();
        for t in tlv::Reader::with_base(content, offset, opts) {
            Self::entry(&t?)?;
        }
        Ok(Self(content))
    }

    fn entry(t: &Tlv<'a>) -> Result<MandatoryAid<'a>, Error> {
        if t.tag() != Tag::new(0x30) {
            return Err(Error::new(
                ErrorKind::BadValue("eUICC-Mandatory-AIDs"),
                t.offset(),
            ));
        }
        let mut f = Fields::new(t);
        let aid = f.required(0x80, "aid")?;
        if !(5..=16).contains(&aid.value().len()) {
            return Err(Error::new(ErrorKind::BadValue("aid"), aid.value_offset()));
        }
        let version = *der::fixed::<2>(&f.required(0x81, "version")?, "version")?;
        Ok(MandatoryAid {
            aid: aid.value(),
            version,
        })
    }

    /// The encoded content.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }

    /// The entries in encoding order.
    pub fn iter(&self) -> impl Iterator<Item = MandatoryAid<'a>> + 'a {
        let opts = super::Package::read_options();
        tlv::Reader::with_options(self.0, opts)
            .filter_map(|t| t.ok().and_then(|t| Self::entry(&t).ok()))
    }
}

impl fmt::Debug for AidList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// `ProfileHeader` (PEDefinitions v3.3.1, automatic tags `80` .. `A9`).
///
/// Owned (borrowing) representation: [`ProfileHeader::parse`] /
/// [`ProfileHeader::buffer_len`] / [`ProfileHeader::emit`] are exact
/// inverses on DER input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileHeader<'a> {
    /// `major-version`.
    pub major_version: u8,
    /// `minor-version`.
    pub minor_version: u8,
    /// `profileType` (UTF8String, 1 to 100 characters).
    pub profile_type: Option<&'a str>,
    /// `iccid`: the 10 octets as stored (natural digit order, `F` padded);
    /// see [`ProfileHeader::iccid`].
    pub iccid_raw: [u8; 10],
    /// `pol`: POL1 as an opaque OCTET STRING.
    pub pol: Option<&'a [u8]>,
    /// `eUICC-Mandatory-services`.
    pub mandatory_services: Services,
    /// `eUICC-Mandatory-GFSTEList`: template OIDs the eUICC must support.
    pub gfste_list: OidList<'a>,
    /// `connectivityParameters`.
    pub connectivity_parameters: Option<&'a [u8]>,
    /// `eUICC-Mandatory-AIDs`.
    pub mandatory_aids: Option<AidList<'a>>,
    /// `iotOptions.pix` (SAIP 3.x IoT minimal profiles).
    pub iot_pix: Option<&'a [u8]>,
}

impl<'a> ProfileHeader<'a> {
    /// Decodes the `header` element.
    ///
    /// # Errors
    /// [`ErrorKind::WrongType`] for another element, otherwise the first
    /// missing or malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        pe.expect(PeType::HEADER)?;
        Self::parse(pe.tlv())
    }

    /// Decodes a ProfileHeader from its `A0` TLV.
    ///
    /// # Errors
    /// The first missing or malformed member.
    pub fn parse(tlv: &Tlv<'a>) -> Result<Self, Error> {
        let mut f = Fields::new(tlv);
        let u8_of = |t: &Tlv<'_>, name| {
            der::uint(t, name).and_then(|v| {
                u8::try_from(v).map_err(|_| Error::new(ErrorKind::BadValue(name), t.value_offset()))
            })
        };
        let major_version = u8_of(&f.required(0x80, "major-version")?, "major-version")?;
        let minor_version = u8_of(&f.required(0x81, "minor-version")?, "minor-version")?;
        let profile_type = match f.optional(0x82)? {
            Some(t) => Some(
                core::str::from_utf8(t.value())
                    .ok()
                    .filter(|s| !s.is_empty())
                    .ok_or(Error::new(
                        ErrorKind::BadValue("profileType"),
                        t.value_offset(),
                    ))?,
            ),
            None => None,
        };
        let iccid_raw = *der::fixed::<10>(&f.required(0x83, "iccid")?, "iccid")?;
        let pol = f.optional(0x84)?.map(|t| t.value());
        let mandatory_services = Services::parse(&f.required(0xA5, "eUICC-Mandatory-services")?)?;
        let g = f.required(0xA6, "eUICC-Mandatory-GFSTEList")?;
        let gfste_list = OidList::new_checked(g.value(), g.value_offset())?;
        let connectivity_parameters = f.optional(0x87)?.map(|t| t.value());
        let mandatory_aids = match f.optional(0xA8)? {
            Some(t) => Some(AidList::new_checked(t.value(), t.value_offset())?),
            None => None,
        };
        let iot_pix = match f.optional(0xA9)? {
            Some(t) => Some(Fields::new(&t).required(0x80, "pix")?.value()),
            None => None,
        };
        Ok(Self {
            major_version,
            minor_version,
            profile_type,
            iccid_raw,
            pol,
            mandatory_services,
            gfste_list,
            connectivity_parameters,
            mandatory_aids,
            iot_pix,
        })
    }

    /// The ICCID decoded from the header coding (`None` when the octets
    /// are not digits followed by `F` padding).
    pub fn iccid(&self) -> Option<Iccid> {
        Iccid::from_header(&self.iccid_raw)
    }

    fn encoder(&self) -> impl Encode + '_ {
        let t = |n: u32| Tag::new(n);
        (tlv::tlv(
            t(0xA0),
            (
                (
                    tlv::tlv(t(0x80), UInt8(self.major_version)),
                    tlv::tlv(t(0x81), UInt8(self.minor_version)),
                    self.profile_type.map(|p| tlv::tlv(t(0x82), p.as_bytes())),
                    tlv::tlv(t(0x83), self.iccid_raw),
                    self.pol.map(|p| tlv::tlv(t(0x84), p)),
                ),
                (
                    tlv::tlv(t(0xA5), self.mandatory_services),
                    tlv::tlv(t(0xA6), self.gfste_list.as_bytes()),
                    self.connectivity_parameters.map(|p| tlv::tlv(t(0x87), p)),
                    self.mandatory_aids.map(|a| tlv::tlv(t(0xA8), a.as_bytes())),
                    self.iot_pix
                        .map(|p| tlv::tlv(t(0xA9), tlv::tlv(t(0x80), p))),
                ),
            ),
        ),)
    }

    /// Length of the `header` PE [`ProfileHeader::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        self.encoder().encoded_len()
    }

    /// Writes the `header` PE in DER.
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    pub fn emit(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        self.encoder().encode(out)
    }
}

/// A `UInt8` INTEGER: one octet below 128, `00 xx` above.
struct UInt8(u8);

impl Encode for UInt8 {
    fn encoded_len(&self) -> usize {
        if self.0 >= 0x80 { 2 } else { 1 }
    }
    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        if self.0 >= 0x80 {
            out.put(&[0])?;
        }
        out.put(&[self.0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::string::ToString;

    /// Every service name `profile::validate` asks for is a real
    /// eUICC-Mandatory-services member (an unknown one would be the empty
    /// set, which every `contains` check passes).
    #[test]
    fn service_names_resolve() {
        for name in [
            "usim",
            "isim",
            "csim",
            "eap",
            "javacard",
            "multos",
            "milenage",
            "tuak128",
            "tuak256",
            "usim-test-algorithm",
            "multiple-usim",
        ] {
            let s = Services::from_name(name).unwrap_or_else(|| panic!("{name}"));
            assert_ne!(s, Services::default(), "{name}");
        }
        assert_eq!(Services::from_name("no-such-service"), None);
    }

    #[test]
    fn iccid_codings() {
        // The 19-digit pySim ICCID, header and EF.ICCID codings from
        // shared/testdata/profiles/README.md.
        let h = [0x89, 0x49, 0x44, 0x99, 0x99, 0x99, 0x99, 0x90, 0x01, 0x5F];
        let ef = [0x98, 0x94, 0x44, 0x99, 0x99, 0x99, 0x99, 0x09, 0x10, 0xF5];
        let a = Iccid::from_header(&h).unwrap();
        let b = Iccid::from_ef_iccid(&ef).unwrap();
        assert_eq!(a.to_string(), "8949449999999990015");
        assert_eq!(a, b);
        assert_eq!(a.to_header(), h);
        assert_eq!(a.to_ef_iccid(), ef);
        // A digit after padding, or a non-digit nibble, is refused.
        assert!(Iccid::from_header(&[0x89, 0xF1, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
        assert!(Iccid::from_header(&[0x8A, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
    }

    #[test]
    fn services_names_in_tag_order() {
        let s = Services::from_name("usim")
            .unwrap()
            .with(Services::from_name("eaka").unwrap());
        let names: alloc::vec::Vec<_> = s.names().collect();
        assert_eq!(names, [Some("usim"), Some("eaka")]);
        let mut v = heapless::Vec::<u8, 8>::new();
        s.encode(&mut v).unwrap();
        assert_eq!(&v[..], [0x81, 0x00, 0x9D, 0x00]);
    }
}
