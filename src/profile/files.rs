//! File-system PEs built from templates (PE-MF ... PE-OPT-IoT), their `File`
//! members and the `Fcp` type (PEDefinitions v3.3.1; FCP coding per
//! ETSI TS 102 222 / TS 102 221 §11.1.1.4).

use crate::tlv::{Class, Tag, Tlv};

use super::der::{self, Fields, Oid};
use super::{Error, ErrorKind, PeHeader, PeType, ProfileElement};

/// `ProprietaryInfo` (`A5` of an Fcp), DEFAULTs filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProprietaryInfo<'a> {
    /// `specialFileInformation` (`C0`, DEFAULT `00`).
    pub special_file_information: u8,
    /// `fillPattern` (`C1`).
    pub fill_pattern: Option<&'a [u8]>,
    /// `repeatPattern` (`C2`).
    pub repeat_pattern: Option<&'a [u8]>,
    /// `maximumFileSize` (`86`, BER-TLV files).
    pub maximum_file_size: Option<&'a [u8]>,
    /// `fileDetails` (`84`, DEFAULT `01`).
    pub file_details: u8,
}

/// `Fcp`: a file's control parameters, DEFAULTs filled in. Members are
/// matched by tag (they are all distinct).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fcp<'a> {
    /// `fileDescriptor` (`82`).
    pub file_descriptor: Option<&'a [u8]>,
    /// `fileID` (`83`; for ADFs a temporary ID referenced by later paths).
    pub file_id: Option<[u8; 2]>,
    /// `dfName` (`84`): the ADF's AID.
    pub df_name: Option<&'a [u8]>,
    /// `lcsi` (`8A`, DEFAULT `05`).
    pub lcsi: u8,
    /// `securityAttributesReferenced` (`8B`).
    pub security_attributes_referenced: Option<&'a [u8]>,
    /// `efFileSize` (`80`).
    pub ef_file_size: Option<&'a [u8]>,
    /// `pinStatusTemplateDO` (`C6`).
    pub pin_status_template_do: Option<&'a [u8]>,
    /// `shortEFID` (`88`; present and empty = no SFI).
    pub short_ef_id: Option<&'a [u8]>,
    /// `proprietaryEFInfo` (`A5`).
    pub proprietary_ef_info: Option<ProprietaryInfo<'a>>,
    /// `linkPath` (`C7`).
    pub link_path: Option<&'a [u8]>,
}

impl<'a> Fcp<'a> {
    /// Decodes the members of an Fcp (the value of `A1` or `62`).
    ///
    /// # Errors
    /// A malformed member; unknown members are an error too (the SEQUENCE
    /// is not extensible at this level in practice, and silently dropping
    /// one would lose data on re-emission).
    #[inline]
    pub fn parse(tlv: &Tlv<'a>) -> Result<Self, Error> {
        let mut fcp = Fcp {
            lcsi: 0x05,
            ..Fcp::default()
        };
        for m in tlv.children() {
            fcp.member(&m?)?;
        }
        Ok(fcp)
    }

    /// Decodes one member into `self`.
    #[inline(always)]
    fn member(&mut self, m: &Tlv<'a>) -> Result<(), Error> {
        let v = m.value();
        match m.tag().raw() {
            0x82 => self.file_descriptor = Some(v),
            0x83 => self.file_id = Some(*der::fixed::<2>(m, "fileID")?),
            0x84 => self.df_name = Some(v),
            0x8A => self.lcsi = der::fixed::<1>(m, "lcsi")?[0],
            0x8B => self.security_attributes_referenced = Some(v),
            0x80 => self.ef_file_size = Some(v),
            0xC6 => self.pin_status_template_do = Some(v),
            0x88 => self.short_ef_id = Some(v),
            0xA5 => self.proprietary_ef_info = Some(Self::proprietary(m)?),
            0xC7 => self.link_path = Some(v),
            _ => return Err(Error::new(ErrorKind::BadValue("Fcp"), m.offset())),
        }
        Ok(())
    }

    /// What [`Fcp::parse`] checks, without building the Fcp: `Ok` exactly
    /// when `parse` succeeds, else its error. A member of any length or of
    /// the one length its tag needs is passed by one table lookup (no
    /// per-tag branch to mispredict); the rest (`proprietaryEFInfo`, a
    /// wrong length, an unknown tag) goes through [`Fcp::member`].
    pub(crate) fn check(tlv: &Tlv<'a>) -> Result<(), Error> {
        // Members and proprietaryEFInfo members within the depth limit.
        if u16::from(tlv.depth()) + 2 <= u16::from(tlv.options().depth_limit())
            && plain_fcp(tlv.value())
        {
            return Ok(());
        }
        check_members(
            tlv,
            |t| rule_of(&FCP_RULES, t),
            |m| {
                if m.tag().raw() == 0xA5 {
                    Self::check_proprietary(m)
                } else {
                    Fcp::default().member(m)
                }
            },
        )
    }

    /// What [`Fcp::proprietary`] checks, without building the
    /// ProprietaryInfo (as [`Fcp::check`]).
    #[inline(always)]
    fn check_proprietary(t: &Tlv<'a>) -> Result<(), Error> {
        check_members(
            t,
            |t| rule_of(&PROPRIETARY_RULES, t),
            |m| {
                let mut p = ProprietaryInfo::DEFAULT;
                p.member(m)
            },
        )
    }

    #[inline]
    fn proprietary(t: &Tlv<'a>) -> Result<ProprietaryInfo<'a>, Error> {
        let mut p = ProprietaryInfo::DEFAULT;
        for m in t.children() {
            p.member(&m?)?;
        }
        Ok(p)
    }
}

impl<'a> ProprietaryInfo<'a> {
    /// Every member absent: the DEFAULTs.
    const DEFAULT: Self = Self {
        special_file_information: 0x00,
        fill_pattern: None,
        repeat_pattern: None,
        maximum_file_size: None,
        file_details: 0x01,
    };

    /// Decodes one member into `self`.
    #[inline(always)]
    fn member(&mut self, m: &Tlv<'a>) -> Result<(), Error> {
        match m.tag().raw() {
            0xC0 => {
                self.special_file_information = der::fixed::<1>(m, "specialFileInformation")?[0]
            }
            0xC1 => self.fill_pattern = Some(m.value()),
            0xC2 => self.repeat_pattern = Some(m.value()),
            0x86 => self.maximum_file_size = Some(m.value()),
            0x84 => self.file_details = der::fixed::<1>(m, "fileDetails")?[0],
            _ => {
                return Err(Error::new(
                    ErrorKind::BadValue("proprietaryEFInfo"),
                    m.offset(),
                ));
            }
        }
        Ok(())
    }
}

/// Checks the members of `tlv` as a decoder would: a member `rule` passes
/// at once (any length, or the one length of its tag) is valid; any other
/// goes to `slow`, the decoder's own code for that member, which returns
/// the decoder's error (or checks what is nested). One table lookup per
/// member instead of a branch per tag, which mispredicts.
#[inline(always)]
fn check_members<'a>(
    tlv: &Tlv<'a>,
    rule: impl Fn(u32) -> u8,
    slow: impl Fn(&Tlv<'a>) -> Result<(), Error>,
) -> Result<(), Error> {
    for m in tlv.children() {
        let m = m?;
        let r = rule(m.tag().raw());
        if !passes(r, m.value().len()) {
            slow(&m)?;
        }
    }
    Ok(())
}

/// `true` when a member of `len` octets with rule `r` is valid as it is.
#[inline(always)]
fn passes(r: u8, len: usize) -> bool {
    r == ANY_LENGTH || (r <= 2 && usize::from(r) == len)
}

/// The first TLV of `rest` when it is plainly encoded: a one-octet tag
/// and a minimal definite length of at most 3 octets (X.690 §8.1.2.2,
/// §10.1), inside `rest`; its tag, value and what follows. `None` says
/// nothing (the reader then decides).
#[inline(always)]
fn plain_tlv(rest: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&t, after_tag) = rest.split_first()?;
    if t & 0x1F == 0x1F {
        return None;
    }
    let (len, after_len) = match *after_tag {
        [l, ref r @ ..] if l < 0x80 => (usize::from(l), r),
        [0x81, l, ref r @ ..] if l >= 0x80 => (usize::from(l), r),
        [0x82, a, b, ref r @ ..] if a != 0 => (usize::from(a) << 8 | usize::from(b), r),
        _ => return None,
    };
    let (value, after) = after_len.split_at_checked(len)?;
    Some((t, value, after))
}

/// `true` when every member of `v` is a [`plain_tlv`] its rule in `table`
/// passes, or one `nested` passes (given its tag and value). `false` says
/// nothing: [`check_members`] then decides and names the error. No reader,
/// offset or error to carry: the cost of the common case.
#[inline(always)]
fn plain_members(mut v: &[u8], table: &RuleTable, nested: impl Fn(u8, &[u8]) -> bool) -> bool {
    while !v.is_empty() {
        let Some((t, value, after)) = plain_tlv(v) else {
            return false;
        };
        let r = rule_of(table, u32::from(t));
        if !(passes(r, value.len()) || (r == DECODE && nested(t, value))) {
            return false;
        }
        v = after;
    }
    true
}

/// [`plain_members`] of an Fcp value: what [`Fcp::check`] passes, its
/// proprietaryEFInfo included.
fn plain_fcp(v: &[u8]) -> bool {
    plain_members(v, &FCP_RULES, |t, p| {
        t == 0xA5 && plain_members(p, &PROPRIETARY_RULES, |_, _| false)
    })
}

/// [`plain_members`] of a `File` member value: what [`FileEntry::check`]
/// passes for each entry (`doNotCreate` empty, `fillFileContent`, a
/// `fileDescriptor` [`plain_fcp`]; `fillFileOffset` is left to the
/// decoder).
fn plain_file(mut v: &[u8]) -> bool {
    while !v.is_empty() {
        let Some((t, value, after)) = plain_tlv(v) else {
            return false;
        };
        let ok = match t {
            0x83 => true,
            0x80 => value.is_empty(),
            0xA1 => plain_fcp(value),
            _ => false,
        };
        if !ok {
            return false;
        }
        v = after;
    }
    true
}

/// A member rule of [`check_members`]: a member of any length.
const ANY_LENGTH: u8 = 0;

/// A member rule of [`check_members`]: decode the member.
const DECODE: u8 = 0xFF;

/// The [`check_members`] rules of the tags `80`..`C7`, by `tag - 0x80`.
type RuleTable = [u8; 0x48];

/// Shorthands of the rule tables.
const A: u8 = ANY_LENGTH;
const D: u8 = DECODE;

/// The [`check_members`] rules of the Fcp member tags: any length,
/// exactly 1 or 2 octets (`lcsi` `8A`, `fileID` `83`), or decode
/// (`proprietaryEFInfo` `A5`, unknown tags). The tags of [`Fcp::member`].
/// A table, not a `match`, which compiles to a jump per member that
/// mispredicts.
static FCP_RULES: RuleTable = [
    A, D, A, 2, A, D, D, D, // 80..
    A, D, 1, A, D, D, D, D, // 88..
    D, D, D, D, D, D, D, D, // 90..
    D, D, D, D, D, D, D, D, // 98..
    D, D, D, D, D, D, D, D, // A0..
    D, D, D, D, D, D, D, D, // A8..
    D, D, D, D, D, D, D, D, // B0..
    D, D, D, D, D, D, D, D, // B8..
    D, D, D, D, D, D, A, A, // C0..
];

/// The [`check_members`] rules of the proprietaryEFInfo member tags (those
/// of [`ProprietaryInfo::member`]).
static PROPRIETARY_RULES: RuleTable = [
    D, D, D, D, 1, D, A, D, // 80..
    D, D, D, D, D, D, D, D, // 88..
    D, D, D, D, D, D, D, D, // 90..
    D, D, D, D, D, D, D, D, // 98..
    D, D, D, D, D, D, D, D, // A0..
    D, D, D, D, D, D, D, D, // A8..
    D, D, D, D, D, D, D, D, // B0..
    D, D, D, D, D, D, D, D, // B8..
    1, A, A, D, D, D, D, D, // C0..
];

/// The rule of `tag` in `table` ([`DECODE`] outside `80`..`C7`).
#[inline(always)]
fn rule_of(table: &RuleTable, tag: u32) -> u8 {
    match usize::try_from(tag.wrapping_sub(0x80))
        .ok()
        .and_then(|i| table.get(i))
    {
        Some(r) => *r,
        None => DECODE,
    }
}

/// One element of a `File` (SEQUENCE OF CHOICE).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileEntry<'a> {
    /// `doNotCreate` (`80`).
    DoNotCreate,
    /// `fileDescriptor` (`A1`): an FCP overriding the template's.
    Fcp(Fcp<'a>),
    /// `fillFileOffset` (`82`): skip this many bytes.
    FillFileOffset(u16),
    /// `fillFileContent` (`83`): content written at the current position.
    FillFileContent(&'a [u8]),
}

impl<'a> FileEntry<'a> {
    // Always inlined: where the entry is only checked (FileSystem::from_element),
    // the Fcp it builds is then never copied.
    #[inline(always)]
    fn parse(t: &Tlv<'a>) -> Result<Self, Error> {
        Self::decode(t, Fcp::parse)
    }

    /// What [`FileEntry::parse`] checks, without building the entry.
    #[inline(always)]
    fn check(t: &Tlv<'a>) -> Result<(), Error> {
        Self::decode(t, |f| Fcp::check(f).map(|()| Fcp::default())).map(|_| ())
    }

    /// [`FileEntry::parse`], the `fileDescriptor` decoded by `fcp`.
    #[inline(always)]
    fn decode(
        t: &Tlv<'a>,
        fcp: impl Fn(&Tlv<'a>) -> Result<Fcp<'a>, Error>,
    ) -> Result<Self, Error> {
        Ok(match t.tag().raw() {
            0x80 => {
                der::null(t, "doNotCreate")?;
                Self::DoNotCreate
            }
            0xA1 => Self::Fcp(fcp(t)?),
            0x82 => Self::FillFileOffset(u16::try_from(der::uint(t, "fillFileOffset")?).map_err(
                |_| Error::new(ErrorKind::BadValue("fillFileOffset"), t.value_offset()),
            )?),
            0x83 => Self::FillFileContent(t.value()),
            _ => return Err(Error::new(ErrorKind::BadValue("File"), t.offset())),
        })
    }
}

/// One `File` member of a template PE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMember<'a> {
    /// The member's context tag (`A2`, ..., `BF57`).
    pub tag: Tag,
    /// The template member name (`"ef-iccid"`, ...), `None` for a member
    /// beyond the v3.3.1 template.
    pub name: Option<&'static str>,
    tlv: Tlv<'a>,
}

impl<'a> FileMember<'a> {
    /// The member's TLV.
    pub const fn tlv(&self) -> &Tlv<'a> {
        &self.tlv
    }

    /// The entries (checked when the PE was decoded).
    pub fn entries(&self) -> impl Iterator<Item = FileEntry<'a>> + 'a {
        self.tlv
            .children()
            .filter_map(|e| e.ok().and_then(|e| FileEntry::parse(&e).ok()))
    }

    /// The content written from offset 0 by the leading `fillFileContent`
    /// entries (up to the first `fillFileOffset`), if any.
    pub fn initial_content(&self) -> Option<&'a [u8]> {
        self.entries().find_map(|e| match e {
            FileEntry::FillFileContent(c) => Some(Some(c)),
            FileEntry::FillFileOffset(_) => Some(None),
            _ => None,
        })?
    }
}

/// A file-system PE created from a template: `mf`, `telecom`, `usim`,
/// `opt-usim`, ..., `df-5gs`, `df-saip`, `iot`, `opt-iot`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileSystem<'a> {
    /// The PE type (one with [`PeType::is_template`]).
    pub pe_type: PeType,
    /// The PEHeader.
    pub header: PeHeader,
    /// `templateID` (2.23.143.1.2.x for the TCA templates).
    pub template_id: Oid<'a>,
    tlv: Tlv<'a>,
}

impl<'a> FileSystem<'a> {
    /// Decodes a template PE.
    ///
    /// # Errors
    /// [`ErrorKind::NotTemplate`], or the first malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        let pe_type = pe.pe_type();
        if !pe_type.is_template() {
            return Err(Error::new(ErrorKind::NotTemplate(pe_type), pe.offset()));
        }
        let mut f = Fields::new(pe.tlv());
        let header = PeHeader::parse(&f.required(0xA0, "PEHeader")?)?;
        let template_id = der::oid(&f.required(0x81, "templateID")?, "templateID")?;
        let fs = Self {
            pe_type,
            header,
            template_id,
            tlv: *pe.tlv(),
        };
        let mut last = 1;
        for m in f.into_rest() {
            let m = m?;
            let tag = m.tag();
            let n = tag.number();
            if tag.class() != Class::ContextSpecific || !tag.is_constructed() || n <= last {
                return Err(Error::new(ErrorKind::BadValue("File member"), m.offset()));
            }
            last = n;
            // Entries, Fcp members and proprietaryEFInfo members within
            // the depth limit, plainly encoded: nothing for the reader to
            // find.
            let plain = u16::from(m.depth()) + 3 <= u16::from(m.options().depth_limit())
                && plain_file(m.value());
            if !plain {
                for e in m.children() {
                    FileEntry::check(&e?)?;
                }
            }
        }
        Ok(fs)
    }

    /// The file members present, in encoding order (template order).
    pub fn files(&self) -> impl Iterator<Item = FileMember<'a>> + 'a {
        // A hand-built `FileSystem` of a type without a template names no
        // member (`name: None`, as for members added after v3.3.1).
        let names: &[&str] = self.pe_type.template_members().unwrap_or(&[]);
        self.tlv.children().skip(2).filter_map(move |m| {
            let tlv = m.ok()?;
            let n = tlv.tag().number() as usize;
            Some(FileMember {
                tag: tlv.tag(),
                name: n.checked_sub(2).and_then(|i| names.get(i)).copied(),
                tlv,
            })
        })
    }

    /// The ICCID in the initial content of this PE's `ef-iccid` (the one of
    /// an `mf`), if any.
    ///
    /// # Errors
    /// Content present but not 10 octets of BCD digits.
    pub fn ef_iccid(&self) -> Result<Option<super::Iccid>, Error> {
        let Some(file) = self.file("ef-iccid") else {
            return Ok(None);
        };
        let Some(content) = file.initial_content() else {
            return Ok(None);
        };
        // Present but not 10 octets of BCD digits: an error, not "absent".
        let bad = Error::new(ErrorKind::BadValue("ef-iccid"), file.tlv().value_offset());
        let raw = content.first_chunk::<10>().ok_or(bad)?;
        super::Iccid::from_ef_iccid(raw).map(Some).ok_or(bad)
    }

    /// The member named `name` (`"ef-iccid"`), if present.
    pub fn file(&self, name: &str) -> Option<FileMember<'a>> {
        self.files().find(|m| m.name == Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::vec;

    /// `Fcp::check` accepts exactly what `Fcp::parse` accepts and fails
    /// with the same error, on valid Fcps and on each kind of bad member.
    #[test]
    fn fcp_check_agrees_with_parse() {
        let cases: &[&[u8]] = &[
            // An EF.ICCID Fcp as in the TS.48 packages.
            &[
                0xA1, 0x0D, 0x82, 0x02, 0x41, 0x21, 0x83, 0x02, 0x2F, 0xE2, 0x8A, 0x01, 0x05, 0x80,
                0x00,
            ],
            // proprietaryEFInfo with every member.
            &[
                0xA1, 0x0E, 0xA5, 0x0C, 0xC0, 0x01, 0x40, 0xC1, 0x01, 0xFF, 0xC2, 0x00, 0x86, 0x00,
                0x84, 0x00,
            ],
            &[0xA1, 0x04, 0x8A, 0x02, 0x05, 0x05], // lcsi of two octets
            &[0xA1, 0x03, 0x83, 0x01, 0x2F],       // fileID of one octet
            &[0xA1, 0x02, 0x99, 0x00],             // unknown member
            &[0xA1, 0x03, 0x9F, 0x70, 0x00],       // unknown two-octet tag
            &[0xA1, 0x04, 0xA5, 0x02, 0xC0, 0x00], // specialFileInformation empty
            &[0xA1, 0x04, 0xA5, 0x02, 0xC3, 0x00], // unknown proprietary member
            &[0xA1, 0x03, 0x82, 0x05, 0x41],       // truncated member
        ];
        for raw in cases {
            let (t, _) = Tlv::parse_with(raw, crate::tlv::Options::lenient()).unwrap();
            assert_eq!(Fcp::check(&t), Fcp::parse(&t).map(|_| ()), "{raw:02X?}");
        }
        // Near the depth limit the reader refuses what the plain read
        // would pass: the Fcp's proprietaryEFInfo members one level too deep.
        let fcp = cases[1];
        let mut deep = fcp.to_vec();
        for _ in 0..15 {
            let mut outer = vec![0x30, u8::try_from(deep.len()).unwrap()];
            outer.extend(&deep);
            deep = outer;
        }
        let opts = crate::tlv::Options::strict().max_depth(16);
        let (mut t, _) = Tlv::parse_with(&deep, opts).unwrap();
        while t.tag().raw() == 0x30 {
            t = t.children().next().unwrap().unwrap();
        }
        assert_eq!(t.depth(), 15);
        assert!(Fcp::parse(&t).is_err());
        assert_eq!(Fcp::check(&t), Fcp::parse(&t).map(|_| ()));
        let (ok, _) = Tlv::parse(cases[0]).unwrap();
        assert!(Fcp::check(&ok).is_ok());
        let (bad, _) = Tlv::parse(cases[2]).unwrap();
        assert!(Fcp::check(&bad).is_err());
    }

    /// `plain_file` passes only `File` member values whose every entry
    /// `FileEntry::check` accepts, and passes the common ones.
    #[test]
    fn plain_file_only_passes_valid_entries() {
        let mut long = vec![0x83, 0x81, 0x80];
        long.extend([0xFF; 0x80]);
        let cases: &[(&[u8], bool)] = &[
            (&[0xA1, 0x03, 0x8A, 0x01, 0x05, 0x83, 0x01, 0x00], true),
            (&[0x80, 0x00], true),
            (&long, true),
            (&[0x80, 0x01, 0x00], false),       // doNotCreate not NULL
            (&[0x82, 0x01, 0x05], false),       // fillFileOffset: decoded
            (&[0x83, 0x81, 0x01, 0x00], false), // non-minimal length
            (&[0xA1, 0x02, 0x99, 0x00], false), // unknown Fcp member
            (&[0xA1, 0x03, 0x83, 0x01, 0x2F], false), // fileID of one octet
            (&[0x84, 0x00], false),             // not a File entry
            (&[0x83, 0x05, 0x00], false),       // truncated
        ];
        for (v, plain) in cases {
            assert_eq!(plain_file(v), *plain, "{v:02X?}");
            if *plain {
                for e in crate::tlv::Reader::new(v) {
                    assert_eq!(FileEntry::check(&e.unwrap()), Ok(()), "{v:02X?}");
                }
            }
        }
    }
}
