//! Structural validation of a package: every problem with its PE index and
//! byte offset, reported through a callback (no allocation).

use crate::tlv::{self, Options, Reader};

use super::der;
use super::problem::{Problem, ProblemKind};
use super::rules::{self, Presence};
use super::{
    AkaParameter, AlgoConfiguration, Application, CdmaParameter, Error, ErrorKind, FileSystem,
    GenericFileManagement, NonStandard, Package, PeHeader, PeType, PinCodes, ProfileElement,
    ProfileHeader, PukCodes, Rfm, SecurityDomain, Services,
};

/// What [`validate`] checks beyond the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ValidateOptions {
    /// Also report what DER (X.690 §10) forbids: non-minimal lengths and
    /// indefinite lengths anywhere in the package.
    pub strict_der: bool,
}

/// A 256-bit set (key references, ...).
#[derive(Default)]
struct Set256([u64; 4]);

impl Set256 {
    /// Inserts `v`; `false` when it was already there.
    fn insert(&mut self, v: u8) -> bool {
        let (w, b) = (usize::from(v >> 6), 1u64 << (v & 63));
        match self.0.get_mut(w) {
            Some(word) => {
                let fresh = *word & b == 0;
                *word |= b;
                fresh
            }
            None => false,
        }
    }

    fn contains(&self, v: u8) -> bool {
        self.0
            .get(usize::from(v >> 6))
            .is_some_and(|w| w & (1 << (v & 63)) != 0)
    }
}

/// Walks every TLV of `raw` (which starts at `offset` in the package) and
/// below (explicit stack, no recursion); the first error if any.
fn walk(raw: &[u8], offset: usize, opts: Options) -> Result<(), tlv::Error> {
    let mut stack: heapless::Vec<Reader<'_>, 17> = heapless::Vec::new();
    let top = Reader::with_base(raw, offset, opts);
    stack
        .push(top)
        .map_err(|_| tlv::Error::new(tlv::ErrorKind::TooDeep, offset))?;
    while let Some(r) = stack.last_mut() {
        match r.next() {
            Some(t) => {
                let t = t?;
                if t.tag().is_constructed() {
                    stack
                        .push(t.children())
                        .map_err(|_| tlv::Error::new(tlv::ErrorKind::TooDeep, t.offset()))?;
                }
            }
            None => {
                stack.pop();
            }
        }
    }
    Ok(())
}

/// The deepest level [`plainly_der`] opens a constructed TLV at, under
/// both walks' limit of 16 (and their reader stack of 17).
const PLAIN_DEPTH: usize = 15;

/// `true` when `raw` is certainly accepted by [`walk`] with either the
/// strict or the package reader's options: every TLV with a tag of one or
/// two octets, a minimal definite length of at most 3 octets (X.690
/// §10.1), inside its parent, no constructed TLV deeper than
/// [`PLAIN_DEPTH`]. `false` says nothing (the walk then decides and names
/// the error): the common encodings are read here with no reader, offset
/// or error to carry, the rest by [`walk`].
fn plainly_der(raw: &[u8]) -> bool {
    // What follows each open constructed TLV in its parent.
    let mut outer: [&[u8]; PLAIN_DEPTH] = [&[]; PLAIN_DEPTH];
    let mut depth: usize = 0;
    let mut rest = raw;
    loop {
        let (tag_len, constructed) = match *rest {
            [] => {
                let Some(d) = depth.checked_sub(1) else {
                    return true;
                };
                let Some(r) = outer.get(d) else {
                    return false;
                };
                (depth, rest) = (d, r);
                continue;
            }
            [t, ..] if t & 0x1F != 0x1F => (1, t & 0x20 != 0),
            [t, b, ..] if (0x1F..0x80).contains(&b) => (2, t & 0x20 != 0),
            _ => return false,
        };
        let (len, len_len) = match rest.get(tag_len..) {
            Some(&[l, ..]) if l < 0x80 => (usize::from(l), 1),
            Some(&[0x81, l, ..]) if l >= 0x80 => (usize::from(l), 2),
            Some(&[0x82, a, b, ..]) if a != 0 => (usize::from(a) << 8 | usize::from(b), 3),
            _ => return false,
        };
        let Some((value, after)) = rest
            .get(tag_len + len_len..)
            .and_then(|r| r.split_at_checked(len))
        else {
            return false;
        };
        if constructed {
            let Some(slot) = outer.get_mut(depth) else {
                return false;
            };
            (*slot, depth, rest) = (after, depth + 1, value);
        } else {
            rest = after;
        }
    }
}

/// The options of the strict DER walk.
const fn strict_options() -> Options {
    Options::strict().max_depth(16)
}

/// The `identification` INTEGER of an element's PEHeader.
fn identification_tlv<'a>(pe: &ProfileElement<'a>) -> Option<tlv::Tlv<'a>> {
    let h = pe.tlv().children().next()?.ok()?;
    if h.tag().raw() != 0xA0 || pe.pe_type() == PeType::HEADER {
        return None;
    }
    h.find(tlv::Tag::new(0x81)).ok()?
}

/// The service a PE type needs in eUICC-Mandatory-services.
fn needed_service(t: PeType) -> Option<(&'static str, Services)> {
    match t {
        PeType::USIM => Some(("usim", rules::USIM)),
        PeType::ISIM => Some(("isim", rules::ISIM)),
        PeType::CSIM => Some(("csim", rules::CSIM)),
        PeType::EAP => Some(("eap", rules::EAP)),
        _ => None,
    }
}

/// Checks a package and calls `report` for every problem found; returns
/// their number (0 = valid).
///
/// Checked: every element decodes (TLV structure and, for the types this
/// module decodes, the ASN.1 members); `header` first and once, `end` last;
/// identifications unique; `mf` once; no reserved or unknown element types;
/// NAA elements (`usim`, `isim`, `csim`, `eap`), the AKA algorithm and an
/// application runtime (`javacard` or `multos`) for `application` listed
/// in eUICC-Mandatory-services; template OIDs listed in the GFSTE list; PIN
/// and PUK key references unique per element and every unblocking reference
/// defined; header ICCID well formed and equal to EF.ICCID. With
/// [`ValidateOptions::strict_der`], also what DER forbids.
pub fn validate(
    pkg: &Package<'_>,
    opts: ValidateOptions,
    report: &mut dyn FnMut(Problem),
) -> usize {
    let mut v = Validator {
        pkg,
        opts,
        report,
        count: 0,
        // Header first: the reference for services and templates.
        header: pkg.header().ok(),
        services: Services::default(),
        pukrefs: Set256::default(),
        ids: [0u64; 512],
        seen_end: false,
        seen_mf: false,
        mf_elements: 0,
        usim_count: 0,
        presence: Presence::default(),
        header_at: None,
    };
    v.run();
    v.count
}

/// The state of one [`validate`] run.
struct Validator<'p, 'a, 'r> {
    pkg: &'p Package<'a>,
    opts: ValidateOptions,
    report: &'r mut dyn FnMut(Problem),
    /// Problems reported so far.
    count: usize,
    /// The package's `header`, if it decodes.
    header: Option<ProfileHeader<'a>>,
    /// eUICC-Mandatory-services of the last `header` element seen.
    services: Services,
    /// Every PUK key reference of the package.
    pukrefs: Set256,
    /// PEHeader identifications seen, one bit each.
    ids: [u64; 512],
    seen_end: bool,
    seen_mf: bool,
    /// The `mf` elements met so far, whether they decode or not.
    mf_elements: usize,
    usim_count: usize,
    /// The element types and algorithms seen, for the package-level rules.
    presence: Presence,
    /// Index and offset of the first `header` element.
    header_at: Option<(usize, usize)>,
}

impl<'a> Validator<'_, 'a, '_> {
    fn emit(&mut self, kind: ProblemKind, pe_index: Option<usize>, offset: usize) {
        self.count += 1;
        (self.report)(Problem {
            kind,
            pe_index,
            offset,
        });
    }

    /// Every element in order, then what the package as a whole needs.
    fn run(&mut self) {
        self.collect_puk_references();
        let pkg = self.pkg;
        let mut last: Option<(PeType, usize, usize)> = None;
        let mut complete = true;
        for (n, pe) in pkg.elements().enumerate() {
            let pe = match pe {
                Ok(pe) => pe,
                Err(e) => {
                    self.emit(ProblemKind::Malformed(e.kind), Some(n), e.offset);
                    complete = false;
                    break;
                }
            };
            self.element(&pe);
            last = Some((pe.pe_type(), pe.index(), pe.offset()));
        }
        match last {
            None => self.emit(ProblemKind::Empty, None, 0),
            Some((ty, i, at)) if ty != PeType::END => {
                self.emit(ProblemKind::EndNotLast, Some(i), at);
            }
            Some(_) => {}
        }
        // What is missing is only known of a package read to its end.
        if complete && last.is_some() {
            self.package_rules();
        }
    }

    /// What the package as a whole needs: `mf` present and first of the
    /// file-system elements, every mandatory service backed by its
    /// elements, services and algorithms (reported at the header).
    fn package_rules(&mut self) {
        if self.seen_mf
            && let Some((t, i, at)) = self.presence.before_mf
        {
            self.emit(ProblemKind::BeforeMf(t), Some(i), at);
        }
        let (services, at) = (self.services, self.header_at);
        let presence = core::mem::take(&mut self.presence);
        presence.check(services, &mut |k| {
            let (index, offset) = match (k, at) {
                (ProblemKind::MissingElement(_), _) | (_, None) => (None, 0),
                (_, Some((i, o))) => (Some(i), o),
            };
            self.emit(k, index, offset);
        });
    }

    /// First pass: PUK references (PIN elements may come before PUK ones).
    fn collect_puk_references(&mut self) {
        for pe in self.pkg.elements().filter_map(Result::ok) {
            if let Ok(p) = PukCodes::from_element(&pe) {
                for c in p.configs() {
                    self.pukrefs.insert(c.key_reference);
                }
            }
        }
    }

    /// One element: its place, structure, identification, content and the
    /// services it needs.
    fn element(&mut self, pe: &ProfileElement<'a>) {
        let (i, at, ty) = (pe.index(), pe.offset(), pe.pe_type());
        if self.seen_end {
            self.emit(ProblemKind::ElementAfterEnd, Some(i), at);
        }
        if i == 0 && ty != PeType::HEADER {
            self.emit(ProblemKind::HeaderNotFirst, Some(i), at);
        }
        if ty == PeType::MF {
            self.mf_elements += 1;
        }
        let template = self.template_in_one_pass(pe);
        if template.is_some() {
            self.minimal_identification(pe);
        } else if !self.structure(pe) {
            return;
        }
        if let Some(base) = rules::base_element(ty)
            && !self.presence.has(base)
        {
            self.emit(ProblemKind::WithoutBase(ty, base), Some(i), at);
        }
        self.presence.note(ty, i, at);
        let header = match &template {
            // The PEHeader the template decode read.
            Some(fs) => Ok(Some(fs.header)),
            None => pe.pe_header(),
        };
        self.identification(pe, header);
        let decoded = match template {
            Some(fs) => {
                self.file_system_content(pe, &fs);
                Ok(())
            }
            None => self.decode(pe),
        };
        if let Err(e) = decoded {
            self.emit(ProblemKind::Malformed(e.kind), Some(i), e.offset);
        }
        self.needed_services(ty, i, at);
    }

    /// The TLV structure and, with [`ValidateOptions::strict_der`], what DER
    /// forbids; `false` when the element is not even well-formed TLV.
    ///
    /// DER is a subset of what the package reader accepts (same depth
    /// limit, indefinite lengths refused by both), so a strict walk that
    /// passes stands for both walks; only when it fails does the lenient
    /// walk tell "not DER" from "not TLV".
    fn structure(&mut self, pe: &ProfileElement<'a>) -> bool {
        let (i, raw, at) = (pe.index(), pe.raw(), pe.offset());
        if plainly_der(raw) {
            self.minimal_identification(pe);
            return true;
        }
        let not_der = if self.opts.strict_der {
            walk(raw, at, strict_options()).err()
        } else {
            None
        };
        if (not_der.is_some() || !self.opts.strict_der)
            && let Err(e) = walk(raw, at, Package::read_options())
        {
            self.emit(
                ProblemKind::Malformed(ErrorKind::Tlv(e.kind)),
                Some(i),
                e.offset,
            );
            return false;
        }
        if let Some(e) = not_der {
            self.emit(ProblemKind::NotDer(e.kind), Some(i), e.offset);
        }
        self.minimal_identification(pe);
        true
    }

    /// With [`ValidateOptions::strict_der`]: the PEHeader identification in
    /// its shortest form.
    fn minimal_identification(&mut self, pe: &ProfileElement<'a>) {
        if self.opts.strict_der
            && let Some(id) = identification_tlv(pe)
            && !der::integer_is_minimal(id.value())
        {
            self.emit(
                ProblemKind::NonMinimalInteger,
                Some(pe.index()),
                id.value_offset(),
            );
        }
    }

    /// A template PE decoded in one pass with the options the structure
    /// check would use (strict with [`ValidateOptions::strict_der`]). When
    /// that succeeds, every constructed TLV below the element has been read
    /// ([`FileSystem::from_element`] reads every File member, entry, Fcp and
    /// proprietaryEFInfo; the PEHeader is walked here), so the walks of
    /// [`Self::structure`] could find nothing and are skipped. `None` sends
    /// the element down the full path, which reports what is wrong.
    fn template_in_one_pass(&self, pe: &ProfileElement<'a>) -> Option<FileSystem<'a>> {
        if !pe.pe_type().is_template() {
            return None;
        }
        let opts = if self.opts.strict_der {
            strict_options()
        } else {
            Package::read_options()
        };
        let tlv = Reader::with_base(pe.raw(), pe.offset(), opts)
            .next()?
            .ok()?;
        let fs = FileSystem::from_element(&ProfileElement::from_tlv(tlv, pe.index())).ok()?;
        let header = tlv.children().next()?.ok()?;
        walk(header.raw(), header.offset(), opts).ok()?;
        Some(fs)
    }

    /// The PEHeader identification (`header`, as [`ProfileElement::pe_header`]
    /// reads it), unique in the package.
    fn identification(&mut self, pe: &ProfileElement<'a>, header: Result<Option<PeHeader>, Error>) {
        let (i, at) = (pe.index(), pe.offset());
        match header {
            Ok(Some(h)) => {
                let id = h.identification;
                let (w, b) = (usize::from(id >> 6), 1u64 << (id & 63));
                if let Some(word) = self.ids.get_mut(w) {
                    let duplicate = *word & b != 0;
                    *word |= b;
                    if duplicate {
                        self.emit(ProblemKind::DuplicateIdentification(id), Some(i), at);
                    }
                }
            }
            Ok(None) => {}
            Err(e) => self.emit(ProblemKind::Malformed(e.kind), Some(i), e.offset),
        }
    }

    /// Decodes the element as its type and checks its content.
    fn decode(&mut self, pe: &ProfileElement<'a>) -> Result<(), Error> {
        let (i, at, ty) = (pe.index(), pe.offset(), pe.pe_type());
        match ty {
            PeType::HEADER => self.header_element(pe),
            PeType::END => {
                self.seen_end = true;
                Ok(())
            }
            PeType::RFU1 | PeType::RFU2 | PeType::RFU3 | PeType::RFU4 | PeType::RFU5 => {
                self.emit(ProblemKind::ReservedElement(ty), Some(i), at);
                Ok(())
            }
            PeType::SECURITY_DOMAIN => SecurityDomain::from_element(pe).map(|_| ()),
            PeType::NON_STANDARD => NonStandard::from_element(pe).map(|_| ()),
            PeType::CDMA_PARAMETER => CdmaParameter::from_element(pe).map(|_| ()),
            PeType::APPLICATION => Application::from_element(pe).map(|_| {
                let runtime = rules::JAVACARD.with(rules::MULTOS);
                if self.services.0 & runtime.0 == 0 {
                    self.emit(ProblemKind::ServiceNotDeclared("javacard"), Some(i), at);
                }
            }),
            PeType::RFM => Rfm::from_element(pe).map(|_| ()),
            PeType::GENERIC_FILE_MANAGEMENT => GenericFileManagement::from_element(pe).map(|_| ()),
            PeType::PUK_CODES => self.puk_codes(pe),
            PeType::PIN_CODES => self.pin_codes(pe),
            PeType::AKA_PARAMETER => self.aka_parameter(pe),
            t if t.is_template() => self.file_system(pe),
            t if t.name().is_none() => {
                self.emit(ProblemKind::UnknownElement(t), Some(i), at);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// `header`: once, its services the reference, its ICCID well formed.
    fn header_element(&mut self, pe: &ProfileElement<'a>) -> Result<(), Error> {
        let (i, at) = (pe.index(), pe.offset());
        if i > 0 {
            self.emit(ProblemKind::DuplicateHeader, Some(i), at);
        }
        if self.header_at.is_none() {
            self.header_at = Some((i, at));
        }
        ProfileHeader::from_element(pe).map(|h| {
            self.services = h.mandatory_services;
            if h.iccid().is_none() {
                self.emit(ProblemKind::BadIccid, Some(i), at);
            }
        })
    }

    /// `pukCodes`: key references unique in the element.
    fn puk_codes(&mut self, pe: &ProfileElement<'a>) -> Result<(), Error> {
        let (i, at) = (pe.index(), pe.offset());
        PukCodes::from_element(pe).map(|p| {
            let mut refs = Set256::default();
            for c in p.configs() {
                if !refs.insert(c.key_reference) {
                    self.emit(
                        ProblemKind::DuplicateKeyReference(c.key_reference),
                        Some(i),
                        at,
                    );
                }
            }
        })
    }

    /// `pinCodes`: key references unique in the element, every unblocking
    /// reference a PUK of the package.
    fn pin_codes(&mut self, pe: &ProfileElement<'a>) -> Result<(), Error> {
        let (i, at) = (pe.index(), pe.offset());
        PinCodes::from_element(pe).map(|p| {
            let mut refs = Set256::default();
            for c in p.configs() {
                if !refs.insert(c.key_reference) {
                    self.emit(
                        ProblemKind::DuplicateKeyReference(c.key_reference),
                        Some(i),
                        at,
                    );
                }
                if let Some(u) = c.unblocking_reference
                    && !self.pukrefs.contains(u)
                {
                    self.emit(ProblemKind::UndefinedPuk(u), Some(i), at);
                }
            }
        })
    }

    /// `akaParameter`: its algorithm listed in eUICC-Mandatory-services.
    fn aka_parameter(&mut self, pe: &ProfileElement<'a>) -> Result<(), Error> {
        let (i, at) = (pe.index(), pe.offset());
        AkaParameter::from_element(pe).map(|a| {
            if let AlgoConfiguration::Algo(p) = a.algo_configuration {
                self.presence.note_algorithm(p.algorithm_id, p.key.len());
                let need = match p.algorithm_id {
                    1 => Some(rules::MILENAGE),
                    2 => Some(rules::TUAK128.with(rules::TUAK256)),
                    3 => Some(rules::USIM_TEST_ALGORITHM),
                    _ => None,
                };
                if let Some(need) = need
                    && self.services.0 & need.0 == 0
                {
                    let name = p.algorithm_name().unwrap_or("tuak");
                    let name = if name == "tuak" { "tuak128" } else { name };
                    self.emit(ProblemKind::ServiceNotDeclared(name), Some(i), at);
                }
            }
        })
    }

    /// A file system template PE: its template in the GFSTE list; `mf`
    /// once, with EF.ICCID equal to the header ICCID.
    fn file_system(&mut self, pe: &ProfileElement<'a>) -> Result<(), Error> {
        FileSystem::from_element(pe).map(|fs| self.file_system_content(pe, &fs))
    }

    /// The checks of [`Self::file_system`] on a decoded template PE.
    fn file_system_content(&mut self, pe: &ProfileElement<'a>, fs: &FileSystem<'a>) {
        let (i, at, t) = (pe.index(), pe.offset(), pe.pe_type());
        if let Some(h) = &self.header
            && !h.gfste_list.iter().any(|o| o == fs.template_id)
        {
            self.emit(ProblemKind::TemplateNotDeclared, Some(i), at);
        }
        if t == PeType::MF {
            if self.seen_mf {
                self.emit(ProblemKind::DuplicateElement(t), Some(i), at);
            }
            self.seen_mf = true;
            // EF.ICCID of the package's (first) mf, decoded already when it
            // is this one; not 10 octets of BCD digits is a problem of its own.
            let ef = if self.mf_elements > 1 {
                self.pkg.ef_iccid()
            } else {
                fs.ef_iccid()
            };
            let ef = match ef {
                Ok(ef) => ef,
                Err(e) => {
                    self.emit(ProblemKind::Malformed(e.kind), Some(i), e.offset);
                    None
                }
            };
            let hd = self.header.as_ref().and_then(ProfileHeader::iccid);
            if let (Some(ef), Some(hd)) = (ef, hd)
                && ef != hd
            {
                self.emit(ProblemKind::IccidMismatch, Some(i), at);
            }
        }
    }

    /// NAA elements need their service; a second `usim` needs
    /// `multiple-usim`.
    fn needed_services(&mut self, ty: PeType, i: usize, at: usize) {
        if let Some((s, bit)) = needed_service(ty)
            && !self.services.contains(bit)
        {
            self.emit(ProblemKind::ServiceNotDeclared(s), Some(i), at);
        }
        if ty == PeType::USIM {
            self.usim_count += 1;
            if self.usim_count == 2 && !self.services.contains(rules::MULTIPLE_USIM) {
                self.emit(
                    ProblemKind::ServiceNotDeclared("multiple-usim"),
                    Some(i),
                    at,
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::vec::Vec;

    /// `depth` nested constructed TLVs `30` around an empty one.
    fn nested(depth: usize) -> Vec<u8> {
        let mut v = Vec::new();
        for _ in 0..depth {
            // Short-form lengths: 2 octets a level, at most 36 in all.
            let mut outer = alloc::vec![0x30, u8::try_from(v.len()).unwrap()];
            outer.extend(&v);
            v = outer;
        }
        v
    }

    /// `plainly_der` never passes what either walk refuses, and passes the
    /// common encodings (so the walk is skipped for them).
    #[test]
    fn plainly_der_only_passes_what_the_walks_accept() {
        let mut long = alloc::vec![0xA0, 0x81, 0x83, 0x04, 0x81, 0x80];
        long.extend([0u8; 0x80]);
        let mut longer = alloc::vec![0xBF, 0x25, 0x82, 0x01, 0x04, 0x04, 0x82, 0x01, 0x00];
        longer.extend([0u8; 0x100]);
        let cases: Vec<(Vec<u8>, bool)> = alloc::vec![
            (alloc::vec![0xA0, 0x03, 0x80, 0x01, 0x01], true),
            (alloc::vec![0xBF, 0x22, 0x02, 0x81, 0x00], true),
            (long, true),
            (longer, true),
            (nested(15), true),
            (alloc::vec![0xA0, 0x81, 0x03, 0x80, 0x01, 0x01], false), // non-minimal
            (alloc::vec![0xA0, 0x80, 0x80, 0x00, 0x00, 0x00], false), // indefinite
            (alloc::vec![0xA0, 0x04, 0x80, 0x01, 0x01], false),       // truncated
            (alloc::vec![0xA0, 0x03, 0x80, 0x02, 0x01], false),       // child overruns
            (alloc::vec![0xBF, 0x81, 0x01, 0x00], false),             // 3-octet tag
            (alloc::vec![0x1F, 0x80, 0x00], false),                   // invalid tag
            (alloc::vec![0x9F, 0x05, 0x00], false),                   // number 5 in 2 octets
            (alloc::vec![0xA0, 0x82, 0x00, 0x01, 0x00], false),       // non-minimal
            (nested(16), false),
            (nested(17), false),
            (nested(18), false),
        ];
        for (raw, plain) in &cases {
            assert_eq!(plainly_der(raw), *plain, "{raw:02X?}");
            if plainly_der(raw) {
                assert_eq!(walk(raw, 7, strict_options()), Ok(()), "{raw:02X?}");
                assert_eq!(walk(raw, 7, Package::read_options()), Ok(()), "{raw:02X?}");
            }
        }
        // Past the depth limit the walk refuses what is left to it.
        assert!(walk(&nested(18), 0, strict_options()).is_err());
    }
}
