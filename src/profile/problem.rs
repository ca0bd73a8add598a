//! What [`validate`](super::validate) reports: a [`Problem`] says what is
//! wrong ([`ProblemKind`]), in which element and at which byte.

use core::fmt;

use crate::tlv;

use super::{Error, ErrorKind, PeType};

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProblemKind {
    /// The element (or the package) does not decode.
    Malformed(ErrorKind),
    /// Not DER (only with [`ValidateOptions::strict_der`](super::ValidateOptions::strict_der)).
    NotDer(tlv::ErrorKind),
    /// An INTEGER not in its shortest form (only with
    /// [`ValidateOptions::strict_der`](super::ValidateOptions::strict_der)).
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
    /// The package has no element of this type (`mf`: PE-MF creates the MF
    /// every file-system element lives in).
    MissingElement(PeType),
    /// A file-system element (template or genericFileManagement) before
    /// `mf`.
    BeforeMf(PeType),
    /// An element before (or without) the NAA element it lives under, e.g.
    /// `opt-isim` without a preceding `isim`: (element, NAA element).
    WithoutBase(PeType, PeType),
    /// A service of eUICC-Mandatory-services without the element it needs
    /// (e.g. `isim` and no `isim` element): (service, element).
    ServiceWithoutElement(&'static str, PeType),
    /// A service of eUICC-Mandatory-services without the service it builds
    /// on (e.g. `gba-usim` without `usim`): (service, needed service).
    ServiceWithoutService(&'static str, &'static str),
    /// An authentication algorithm of eUICC-Mandatory-services without an
    /// `akaParameter` of its algorithmID (and key length for TUAK).
    ServiceWithoutAlgorithm(&'static str),
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
                    ProblemKind::MissingElement(t) => write!(f, "no '{t}' element")?,
                    ProblemKind::BeforeMf(t) => write!(f, "'{t}' element before 'mf'")?,
                    ProblemKind::WithoutBase(t, base) => {
                        write!(f, "'{t}' element without a preceding '{base}' element")?;
                    }
                    ProblemKind::ServiceWithoutElement(s, t) => {
                        write!(f, "mandatory service '{s}' but no '{t}' element")?;
                    }
                    ProblemKind::ServiceWithoutService(s, needed) => {
                        write!(f, "mandatory service '{s}' but no '{needed}' service")?;
                    }
                    ProblemKind::ServiceWithoutAlgorithm(s) => {
                        write!(
                            f,
                            "mandatory service '{s}' but no akaParameter with its algorithmID"
                        )?;
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
