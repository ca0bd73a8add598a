//! ES5.eUICCCapabilityAudit / AuditEIS responses.
//!
//! * GET DATA `'FF21'` on the ISD-R: Extended Card Resources Information
//!   (ETSI TS 102 226 §8.2.1.7.2, GP Card Specification §11.3.3.1):
//!   `FF21 { 81 installed applications, 82 free non-volatile memory,
//!   83 free volatile memory }`.
//! * GET STATUS (P1 `40`, P2 `02`) of the ISD-Ps: one `'E3'` GP registry
//!   entry per ISD-P (GP Card Specification §11.4.2.2, SGP.02 §4.1.1.5):
//!   `4F` AID, `9F70` life cycle state, `C5` privileges, and for ISD-Ps
//!   `53` ISD-P properties (bit 1 = fall-back attribute), `8F` cumulative
//!   granted and `91` cumulative remaining non-volatile memory (njiwa, citing
//!   SGP.02 v4.1 Table 28).

use core::fmt;

use super::{Aid, Error};
use crate::tlv::{self, Buffer, Encode, Options, Reader, Tag, Tlv};

/// Tag of the Extended Card Resources Information.
pub const TAG_EXTENDED_CARD_RESOURCES: Tag = Tag::new(0xFF21);
/// Tag of a GP registry entry.
pub const TAG_REGISTRY_ENTRY: Tag = Tag::new(0xE3);
/// Tag of the life cycle state in a registry entry.
pub const TAG_LIFE_CYCLE: Tag = Tag::new(0x9F70);
/// Tag of the privileges in a registry entry.
pub const TAG_PRIVILEGES: Tag = Tag::new(0xC5);
/// Tag of the ISD-P properties.
pub const TAG_ISDP_PROPERTIES: Tag = Tag::new(0x53);
/// Tag of the cumulative granted non-volatile memory.
pub const TAG_GRANTED_MEMORY: Tag = Tag::new(0x8F);
/// Tag of the cumulative remaining non-volatile memory.
pub const TAG_REMAINING_MEMORY: Tag = Tag::new(0x91);

/// Bit of the ISD-P properties byte that marks the fall-back profile.
pub const PROPERTY_FALLBACK: u8 = 0x01;

fn uint(t: &Tlv<'_>) -> Result<u32, Error> {
    let v = t.value();
    if v.is_empty() || v.len() > 4 {
        return Err(Error::ValueLength {
            tag: t.tag(),
            offset: t.offset(),
            len: v.len(),
            expected: "1 to 4",
        });
    }
    Ok(v.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
}

/// An unsigned number written in its minimal big-endian bytes (at least
/// one byte).
#[derive(Debug, Clone, Copy)]
pub(crate) struct MinBe(pub(crate) u32);

impl Encode for MinBe {
    fn encoded_len(&self) -> usize {
        4 - (self.0.leading_zeros() as usize / 8).min(3)
    }
    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        let b = self.0.to_be_bytes();
        // `encoded_len` is 1 to 4, so the minimal octets are always there.
        let octets = b
            .get(4 - self.encoded_len()..)
            .ok_or(tlv::Error::new(tlv::ErrorKind::ValueTooLong, out.written()))?;
        out.put(octets)
    }
}

fn min_be(v: u32) -> MinBe {
    MinBe(v)
}

/// Extended Card Resources Information (`'FF21'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExtendedCardResources {
    /// `'81'`: number of installed applications.
    pub installed_applications: Option<u32>,
    /// `'82'`: free non-volatile memory, bytes.
    pub free_non_volatile_memory: Option<u32>,
    /// `'83'`: free volatile memory, bytes.
    pub free_volatile_memory: Option<u32>,
}

impl ExtendedCardResources {
    /// Parses the GET DATA response data `FF21 { … }`. Unknown inner tags
    /// are skipped.
    ///
    /// # Errors
    /// TLV errors, [`Error::UnexpectedTag`], [`Error::ValueLength`] for a
    /// number of 0 or more than 4 bytes, [`Error::DuplicateTag`].
    pub fn parse(data: &[u8]) -> Result<Self, Error> {
        let t = Tlv::parse_exact(data, Options::strict())?;
        if t.tag() != TAG_EXTENDED_CARD_RESOURCES {
            return Err(Error::UnexpectedTag {
                expected: TAG_EXTENDED_CARD_RESOURCES,
                found: t.tag(),
                offset: 0,
            });
        }
        let mut out = Self::default();
        for c in t.children() {
            let c = c?;
            let slot = match c.tag().raw() {
                0x81 => &mut out.installed_applications,
                0x82 => &mut out.free_non_volatile_memory,
                0x83 => &mut out.free_volatile_memory,
                _ => continue,
            };
            if slot.replace(uint(&c)?).is_some() {
                return Err(Error::DuplicateTag {
                    tag: c.tag(),
                    offset: c.offset(),
                });
            }
        }
        Ok(out)
    }
}

impl Encode for ExtendedCardResources {
    fn encoded_len(&self) -> usize {
        let f = |v: Option<u32>| v.map_or(0, |v| 2 + min_be(v).encoded_len());
        let n = f(self.installed_applications)
            + f(self.free_non_volatile_memory)
            + f(self.free_volatile_memory);
        2 + tlv::encoded_length_len(n) + n
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        let f = |tag: u32, v: Option<u32>| v.map(|v| tlv::tlv(Tag::new(tag), min_be(v)));
        tlv::tlv(
            TAG_EXTENDED_CARD_RESOURCES,
            (
                f(0x81, self.installed_applications),
                f(0x82, self.free_non_volatile_memory),
                f(0x83, self.free_volatile_memory),
            ),
        )
        .encode(out)
    }
}

/// A GP life cycle state byte of an application or security domain, with
/// the two ISD-P states of SGP.02 §2.2.1.3. Unknown values are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LifeCycle(pub u8);

impl LifeCycle {
    /// INSTALLED (GP).
    pub const INSTALLED: Self = Self(0x03);
    /// SELECTABLE (GP): state of an ISD-P right after CreateISDP.
    pub const SELECTABLE: Self = Self(0x07);
    /// PERSONALIZED (GP): after key establishment.
    pub const PERSONALIZED: Self = Self(0x0F);
    /// DISABLED (SGP.02): profile downloaded, not enabled.
    pub const DISABLED: Self = Self(0x1F);
    /// ENABLED (SGP.02).
    pub const ENABLED: Self = Self(0x3F);
    /// LOCKED (GP, b8 set on SELECTABLE).
    pub const LOCKED: Self = Self(0x83);
}

impl fmt::Debug for LifeCycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0x03 => "INSTALLED",
            0x07 => "SELECTABLE",
            0x0F => "PERSONALIZED",
            0x1F => "DISABLED",
            0x3F => "ENABLED",
            0x83 => "LOCKED",
            _ => "unknown",
        };
        write!(f, "{name} ({:02X})", self.0)
    }
}

/// One ISD-P as reported by GET STATUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsdpStatus {
    /// `'4F'`: the ISD-P AID.
    pub aid: Aid,
    /// `'9F70'`: life cycle state.
    pub life_cycle: LifeCycle,
    /// `'C5'`: privileges (1 or 3 bytes, left-aligned).
    pub privileges: Option<[u8; 3]>,
    /// `'53'`: ISD-P properties byte (see [`PROPERTY_FALLBACK`]).
    pub properties: Option<u8>,
    /// `'8F'`: cumulative granted non-volatile memory.
    pub granted_memory: Option<u32>,
    /// `'91'`: cumulative remaining non-volatile memory.
    pub remaining_memory: Option<u32>,
}

impl IsdpStatus {
    /// Whether the fall-back attribute is set (`'53'` bit 1).
    pub fn fallback(&self) -> Option<bool> {
        self.properties.map(|p| p & PROPERTY_FALLBACK != 0)
    }

    fn from_entry(e: &Tlv<'_>) -> Result<Self, Error> {
        let mut aid = None;
        let mut lc = None;
        let mut out = IsdpStatus {
            aid: super::Aid::ISD_R,
            life_cycle: LifeCycle(0),
            privileges: None,
            properties: None,
            granted_memory: None,
            remaining_memory: None,
        };
        for c in e.children() {
            let c = c?;
            let (tag, v, off) = (c.tag(), c.value(), c.offset());
            let len_err = |expected| Error::ValueLength {
                tag,
                offset: off,
                len: v.len(),
                expected,
            };
            let dup = Error::DuplicateTag { tag, offset: off };
            match tag.raw() {
                0x4F => {
                    let a = Aid::new(v).map_err(|_| len_err("5 to 16"))?;
                    if aid.replace(a).is_some() {
                        return Err(dup);
                    }
                }
                0x9F70 => {
                    let [b] = v else { return Err(len_err("1")) };
                    if lc.replace(LifeCycle(*b)).is_some() {
                        return Err(dup);
                    }
                }
                0xC5 => {
                    let mut p = [0u8; 3];
                    match v {
                        [a] => p[0] = *a,
                        [a, b, c] => p = [*a, *b, *c],
                        _ => return Err(len_err("1 or 3")),
                    }
                    if out.privileges.replace(p).is_some() {
                        return Err(dup);
                    }
                }
                0x53 => {
                    let [b] = v else { return Err(len_err("1")) };
                    if out.properties.replace(*b).is_some() {
                        return Err(dup);
                    }
                }
                0x8F => {
                    let n = uint(&c)?;
                    if out.granted_memory.replace(n).is_some() {
                        return Err(dup);
                    }
                }
                0x91 => {
                    let n = uint(&c)?;
                    if out.remaining_memory.replace(n).is_some() {
                        return Err(dup);
                    }
                }
                _ => {}
            }
        }
        let missing = |tag| Error::MissingTag {
            tag,
            context: "GET STATUS registry entry E3",
            offset: e.offset(),
        };
        out.aid = aid.ok_or(missing(Tag::new(0x4F)))?;
        out.life_cycle = lc.ok_or(missing(TAG_LIFE_CYCLE))?;
        Ok(out)
    }
}

impl Encode for IsdpStatus {
    fn encoded_len(&self) -> usize {
        let mem = |v: Option<u32>| v.map_or(0, |v| 2 + min_be(v).encoded_len());
        let n = 2
            + self.aid.as_bytes().len()
            + 4
            + self.privileges.map_or(0, |_| 5)
            + self.properties.map_or(0, |_| 3)
            + mem(self.granted_memory)
            + mem(self.remaining_memory);
        1 + tlv::encoded_length_len(n) + n
    }

    /// Writes `E3 { 4F, 9F70, C5, 53, 8F, 91 }` (absent parts left out).
    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        let mem = |tag: u32, v: Option<u32>| v.map(|v| tlv::tlv(Tag::new(tag), min_be(v)));
        tlv::tlv(
            TAG_REGISTRY_ENTRY,
            (
                tlv::tlv(Tag::new(0x4F), self.aid.as_bytes()),
                tlv::tlv(TAG_LIFE_CYCLE, [self.life_cycle.0]),
                self.privileges.map(|p| tlv::tlv(TAG_PRIVILEGES, p)),
                self.properties.map(|p| tlv::tlv(TAG_ISDP_PROPERTIES, [p])),
                mem(0x8F, self.granted_memory),
                mem(0x91, self.remaining_memory),
            ),
        )
        .encode(out)
    }
}

/// Iterator over the `'E3'` entries of a GET STATUS response; fused after
/// an error.
#[derive(Debug, Clone)]
pub struct IsdpStatusList<'a> {
    reader: Reader<'a>,
    failed: bool,
}

impl<'a> IsdpStatusList<'a> {
    /// Reads the entries of GET STATUS response data (without the SW).
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            reader: Reader::with_options(data, Options::strict()),
            failed: false,
        }
    }
}

impl Iterator for IsdpStatusList<'_> {
    type Item = Result<IsdpStatus, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = self.reader.next()?.map_err(Error::from).and_then(|t| {
            if t.tag() != TAG_REGISTRY_ENTRY {
                return Err(Error::UnexpectedTag {
                    expected: TAG_REGISTRY_ENTRY,
                    found: t.tag(),
                    offset: t.offset(),
                });
            }
            IsdpStatus::from_entry(&t)
        });
        self.failed = r.is_err();
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ff21_roundtrip_and_values() {
        // FF21 { 81 02 0003, 82 04 00010000, 83 02 0800 }
        let raw = [
            0xFF, 0x21, 0x0E, 0x81, 0x02, 0x00, 0x03, 0x82, 0x04, 0x00, 0x01, 0x00, 0x00, 0x83,
            0x02, 0x08, 0x00,
        ];
        let r = ExtendedCardResources::parse(&raw).unwrap();
        assert_eq!(r.installed_applications, Some(3));
        assert_eq!(r.free_non_volatile_memory, Some(0x10000));
        assert_eq!(r.free_volatile_memory, Some(0x800));
        let mut buf = [0u8; 32];
        let again = r.encode_to_slice(&mut buf).unwrap();
        assert_eq!(ExtendedCardResources::parse(again).unwrap(), r);
        assert!(matches!(
            ExtendedCardResources::parse(&[0xFF, 0x21, 0x02, 0x81, 0x00]),
            Err(Error::ValueLength { offset: 3, .. })
        ));
    }

    #[test]
    fn e3_entries() {
        let st = IsdpStatus {
            aid: Aid::sgp02([0, 0, 0x10]),
            life_cycle: LifeCycle::ENABLED,
            privileges: Some([0x80, 0xC0, 0x00]),
            properties: Some(PROPERTY_FALLBACK),
            granted_memory: Some(0x2000),
            remaining_memory: Some(0x0100),
        };
        let mut buf = [0u8; 64];
        let n = st.encode_to_slice(&mut buf).unwrap().len();
        assert_eq!(&buf[..4], &[0xE3, n as u8 - 2, 0x4F, 0x10]);
        let mut two = [0u8; 128];
        two[..n].copy_from_slice(&buf[..n]);
        two[n..2 * n].copy_from_slice(&buf[..n]);
        let list: heapless::Vec<_, 4> = IsdpStatusList::new(&two[..2 * n])
            .map(Result::unwrap)
            .collect();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0], st);
        assert_eq!(list[0].fallback(), Some(true));
        let mut bad = IsdpStatusList::new(&[0xE3, 0x03, 0x9F, 0x70, 0x00]);
        assert!(matches!(bad.next(), Some(Err(Error::ValueLength { .. }))));
        assert!(bad.next().is_none());
        let mut missing = IsdpStatusList::new(&[0xE3, 0x04, 0x9F, 0x70, 0x01, 0x07]);
        assert!(matches!(
            missing.next(),
            Some(Err(Error::MissingTag { .. }))
        ));
    }
}
