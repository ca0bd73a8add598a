//! Structural validation of a package: every problem with its PE index and
//! byte offset, reported through a callback (no allocation).

use core::fmt;

use crate::tlv::{self, Options, Reader};

use super::der;
use super::{
    AkaParameter, AlgoConfiguration, Application, CdmaParameter, Error, ErrorKind, FileSystem,
    GenericFileManagement, NonStandard, Package, PeType, PinCodes, ProfileElement, ProfileHeader,
    PukCodes, Rfm, SecurityDomain, Services,
};

/// What [`validate`] checks beyond the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ValidateOptions {
    /// Also report what DER (X.690 §10) forbids: non-minimal lengths and
    /// indefinite lengths anywhere in the package.
    pub strict_der: bool,
}

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The element (or the package) does not decode.
    Malformed(ErrorKind),
    /// Not DER (only with [`ValidateOptions::strict_der`]).
    NotDer(tlv::ErrorKind),
    /// An INTEGER not in its shortest form (only with
    /// [`ValidateOptions::strict_der`]).
    NonMinimalInteger,
    /// The package has no element.
    Empty,
    /// The first element is not `header`.
    HeaderNotFirst,
    /// A second `header`.
    DuplicateHeader,
    /// The last element is not `end`.
    EndNotLast,
    /// An element after `end`.
    ElementAfterEnd,
    /// A second element of a type a package holds once (`mf`).
    DuplicateElement(PeType),
    /// Two elements with the same PEHeader identification.
    DuplicateIdentification(u16),
    /// An `rfu1`..`rfu5` placeholder element.
    ReservedElement(PeType),
    /// An element type unknown to PEDefinitions v3.3.1 (kept, not checked).
    UnknownElement(PeType),
    /// An element needs a service the header's eUICC-Mandatory-services
    /// does not list (e.g. a `usim` PE without `usim`).
    ServiceNotDeclared(&'static str),
    /// A template PE whose templateID is not in eUICC-Mandatory-GFSTEList.
    TemplateNotDeclared,
    /// A PIN or PUK key reference defined twice in one element.
    DuplicateKeyReference(u8),
    /// A PIN's unblockingPINReference names no PUK of the pukCodes element.
    UndefinedPuk(u8),
    /// The header ICCID is not 18 to 20 digits with `F` padding.
    BadIccid,
    /// The header ICCID and EF.ICCID in the `mf` element differ.
    IccidMismatch,
}

/// One problem: what, in which element (`None` for the package as a
/// whole) and at which byte of the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Problem {
    /// What is wrong.
    pub kind: ProblemKind,
    /// Index of the element in the package.
    pub pe_index: Option<usize>,
    /// Byte offset in the package.
    pub offset: usize,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ProblemKind::Malformed(kind) => write!(f, "{}", Error::new(kind, self.offset))?,
            ProblemKind::NotDer(kind) => {
                write!(f, "not DER: {}", tlv::Error::new(kind, self.offset))?;
            }
            other => {
                match other {
                    ProblemKind::Empty => f.write_str("empty package")?,
                    ProblemKind::NonMinimalInteger => {
                        f.write_str("not DER: non-minimal INTEGER")?
                    }
                    ProblemKind::HeaderNotFirst => f.write_str("first element is not 'header'")?,
                    ProblemKind::DuplicateHeader => f.write_str("second 'header' element")?,
                    ProblemKind::EndNotLast => f.write_str("last element is not 'end'")?,
                    ProblemKind::ElementAfterEnd => f.write_str("element after 'end'")?,
                    ProblemKind::DuplicateElement(t) => write!(f, "second '{t}' element")?,
                    ProblemKind::DuplicateIdentification(id) => {
                        write!(f, "identification {id} used twice")?;
                    }
                    ProblemKind::ReservedElement(t) => write!(f, "reserved element '{t}'")?,
                    ProblemKind::UnknownElement(t) => write!(f, "element type {t}")?,
                    ProblemKind::ServiceNotDeclared(s) => {
                        write!(
                            f,
                            "service '{s}' needed but not in eUICC-Mandatory-services"
                        )?;
                    }
                    ProblemKind::TemplateNotDeclared => {
                        f.write_str("templateID not in eUICC-Mandatory-GFSTEList")?;
                    }
                    ProblemKind::DuplicateKeyReference(r) => {
                        write!(f, "key reference {r} defined twice")?;
                    }
                    ProblemKind::UndefinedPuk(r) => write!(f, "PUK key reference {r} undefined")?,
                    ProblemKind::BadIccid => f.write_str("header ICCID is not BCD digits")?,
                    ProblemKind::IccidMismatch => {
                        f.write_str("header ICCID differs from EF.ICCID")?;
                    }
                    ProblemKind::Malformed(_) | ProblemKind::NotDer(_) => {}
                }
                write!(f, " at byte offset {}", self.offset)?;
            }
        }
        if let Some(i) = self.pe_index {
            write!(f, " (element {i})")?;
        }
        Ok(())
    }
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

/// Walks every TLV below `pe` (explicit stack, no recursion); the first
/// error if any.
fn walk(pe: &ProfileElement<'_>, opts: Options) -> Result<(), tlv::Error> {
    let mut stack: heapless::Vec<Reader<'_>, 17> = heapless::Vec::new();
    let top = Reader::with_base(pe.raw(), pe.offset(), opts);
    stack
        .push(top)
        .map_err(|_| tlv::Error::new(tlv::ErrorKind::TooDeep, pe.offset()))?;
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

/// The `identification` INTEGER of an element's PEHeader.
fn identification_tlv<'a>(pe: &ProfileElement<'a>) -> Option<tlv::Tlv<'a>> {
    let h = pe.tlv().children().next()?.ok()?;
    if h.tag().raw() != 0xA0 || pe.pe_type() == PeType::HEADER {
        return None;
    }
    h.find(tlv::Tag::new(0x81)).ok()?
}

/// The service a PE type needs in eUICC-Mandatory-services.
fn needed_service(t: PeType) -> Option<&'static str> {
    match t {
        PeType::USIM => Some("usim"),
        PeType::ISIM => Some("isim"),
        PeType::CSIM => Some("csim"),
        PeType::EAP => Some("eap"),
        _ => None,
    }
}

/// The service named `name`: only ever a literal of this module, each
/// checked by the `service_names_resolve` test (an unknown name would be
/// the empty set and silently pass every `contains` check).
fn service(name: &'static str) -> Services {
    let s = Services::from_name(name);
    debug_assert!(s.is_some(), "unknown service name {name}");
    s.unwrap_or_default()
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
    let mut count = 0usize;
    let mut emit = |kind, pe_index, offset| {
        count += 1;
        report(Problem {
            kind,
            pe_index,
            offset,
        });
    };

    // Header first: the reference for services and templates.
    let header = pkg.header().ok();
    let mut services = Services::default();
    let mut pukrefs = Set256::default();
    let mut ids = [0u64; 512];
    let mut last: Option<(PeType, usize, usize)> = None;
    let mut seen_end = false;
    let mut seen_mf = false;
    let mut usim_count = 0;
    let mut n = 0usize;

    // First pass: PUK references (PIN elements may come before PUK ones).
    for pe in pkg.elements().filter_map(Result::ok) {
        if let Ok(p) = PukCodes::from_element(&pe) {
            for c in p.configs() {
                pukrefs.insert(c.key_reference);
            }
        }
    }

    for pe in pkg.elements() {
        let pe = match pe {
            Ok(pe) => pe,
            Err(e) => {
                emit(ProblemKind::Malformed(e.kind), Some(n), e.offset);
                break;
            }
        };
        n += 1;
        let (i, at, ty) = (pe.index(), pe.offset(), pe.pe_type());
        if seen_end {
            emit(ProblemKind::ElementAfterEnd, Some(i), at);
        }
        if i == 0 && ty != PeType::HEADER {
            emit(ProblemKind::HeaderNotFirst, Some(i), at);
        }
        if let Err(e) = walk(&pe, Package::read_options()) {
            emit(
                ProblemKind::Malformed(ErrorKind::Tlv(e.kind)),
                Some(i),
                e.offset,
            );
            last = Some((ty, i, at));
            continue;
        }
        if opts.strict_der {
            if let Err(e) = walk(&pe, Options::strict().max_depth(16)) {
                emit(ProblemKind::NotDer(e.kind), Some(i), e.offset);
            }
            if let Some(id) = identification_tlv(&pe)
                && !der::integer_is_minimal(id.value())
            {
                emit(ProblemKind::NonMinimalInteger, Some(i), id.value_offset());
            }
        }
        match pe.pe_header() {
            Ok(Some(h)) => {
                let id = h.identification;
                let (w, b) = (usize::from(id >> 6), 1u64 << (id & 63));
                if let Some(word) = ids.get_mut(w) {
                    if *word & b != 0 {
                        emit(ProblemKind::DuplicateIdentification(id), Some(i), at);
                    }
                    *word |= b;
                }
            }
            Ok(None) => {}
            Err(e) => emit(ProblemKind::Malformed(e.kind), Some(i), e.offset),
        }
        let decoded: Result<(), Error> = match ty {
            PeType::HEADER => {
                if i > 0 {
                    emit(ProblemKind::DuplicateHeader, Some(i), at);
                }
                ProfileHeader::from_element(&pe).map(|h| {
                    services = h.mandatory_services;
                    if h.iccid().is_none() {
                        emit(ProblemKind::BadIccid, Some(i), at);
                    }
                })
            }
            PeType::END => {
                seen_end = true;
                Ok(())
            }
            PeType::RFU1 | PeType::RFU2 | PeType::RFU3 | PeType::RFU4 | PeType::RFU5 => {
                emit(ProblemKind::ReservedElement(ty), Some(i), at);
                Ok(())
            }
            PeType::SECURITY_DOMAIN => SecurityDomain::from_element(&pe).map(|_| ()),
            PeType::NON_STANDARD => NonStandard::from_element(&pe).map(|_| ()),
            PeType::CDMA_PARAMETER => CdmaParameter::from_element(&pe).map(|_| ()),
            PeType::APPLICATION => Application::from_element(&pe).map(|_| {
                let runtime = service("javacard").with(service("multos"));
                if services.0 & runtime.0 == 0 {
                    emit(ProblemKind::ServiceNotDeclared("javacard"), Some(i), at);
                }
            }),
            PeType::RFM => Rfm::from_element(&pe).map(|_| ()),
            PeType::GENERIC_FILE_MANAGEMENT => GenericFileManagement::from_element(&pe).map(|_| ()),
            PeType::PUK_CODES => PukCodes::from_element(&pe).map(|p| {
                let mut refs = Set256::default();
                for c in p.configs() {
                    if !refs.insert(c.key_reference) {
                        emit(
                            ProblemKind::DuplicateKeyReference(c.key_reference),
                            Some(i),
                            at,
                        );
                    }
                }
            }),
            PeType::PIN_CODES => PinCodes::from_element(&pe).map(|p| {
                let mut refs = Set256::default();
                for c in p.configs() {
                    if !refs.insert(c.key_reference) {
                        emit(
                            ProblemKind::DuplicateKeyReference(c.key_reference),
                            Some(i),
                            at,
                        );
                    }
                    if let Some(u) = c.unblocking_reference
                        && !pukrefs.contains(u)
                    {
                        emit(ProblemKind::UndefinedPuk(u), Some(i), at);
                    }
                }
            }),
            PeType::AKA_PARAMETER => AkaParameter::from_element(&pe).map(|a| {
                if let AlgoConfiguration::Algo(p) = a.algo_configuration {
                    let need = match p.algorithm_id {
                        1 => Some(service("milenage")),
                        2 => Some(service("tuak128").with(service("tuak256"))),
                        3 => Some(service("usim-test-algorithm")),
                        _ => None,
                    };
                    if let Some(need) = need
                        && services.0 & need.0 == 0
                    {
                        let name = p.algorithm_name().unwrap_or("tuak");
                        let name = if name == "tuak" { "tuak128" } else { name };
                        emit(ProblemKind::ServiceNotDeclared(name), Some(i), at);
                    }
                }
            }),
            t if t.is_template() => FileSystem::from_element(&pe).map(|fs| {
                if let Some(h) = &header
                    && !h.gfste_list.iter().any(|o| o == fs.template_id)
                {
                    emit(ProblemKind::TemplateNotDeclared, Some(i), at);
                }
                if t == PeType::MF {
                    if seen_mf {
                        emit(ProblemKind::DuplicateElement(t), Some(i), at);
                    }
                    seen_mf = true;
                    let ef = pkg.ef_iccid().ok().flatten();
                    let hd = header.as_ref().and_then(ProfileHeader::iccid);
                    if let (Some(ef), Some(hd)) = (ef, hd)
                        && ef != hd
                    {
                        emit(ProblemKind::IccidMismatch, Some(i), at);
                    }
                }
            }),
            t if t.name().is_none() => {
                emit(ProblemKind::UnknownElement(t), Some(i), at);
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = decoded {
            emit(ProblemKind::Malformed(e.kind), Some(i), e.offset);
        }
        if let Some(s) = needed_service(ty)
            && !services.contains(service(s))
        {
            emit(ProblemKind::ServiceNotDeclared(s), Some(i), at);
        }
        if ty == PeType::USIM {
            usim_count += 1;
            if usim_count == 2 && !services.contains(service("multiple-usim")) {
                emit(
                    ProblemKind::ServiceNotDeclared("multiple-usim"),
                    Some(i),
                    at,
                );
            }
        }
        last = Some((ty, i, at));
    }
    match last {
        None => emit(ProblemKind::Empty, None, 0),
        Some((ty, i, at)) if ty != PeType::END => emit(ProblemKind::EndNotLast, Some(i), at),
        Some(_) => {}
    }
    count
}
