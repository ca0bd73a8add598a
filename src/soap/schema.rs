//! Schema-described elements: an XSD complex type as a table of its
//! sequence ([`XsdType`]), the reader that takes a body [`Element`] by
//! its type ([`read`]: element order, occurrences, simple types, every
//! typed element checked with [`crate::inventory::field`]) into a
//! [`Typed`] tree, and the writer of that tree ([`Typed::write`]), its
//! exact inverse: what [`read`] accepts, written and read again, is the
//! same tree.
//!
//! XSD 1.0 Part 1 §3.8 (model groups: `sequence`), Part 2 §3.3
//! (`xs:boolean` `true`/`false`/`1`/`0`, `xs:unsignedByte` … `xs:unsignedLong`,
//! `xs:hexBinary`).

use alloc::string::String;
use alloc::vec::Vec;

use super::Element;
use super::write;
use crate::inventory::codes;
use crate::inventory::field::{ElementType, FieldError};
use crate::isdr::response::StatusCode;

/// What an element holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    /// A simple type (`xs:…` or one of ours, `tns:…`).
    Simple(&'static str),
    /// A complex type.
    Complex(&'static XsdType),
    /// Any content, not validated (XSD `xs:anyType`, as an XML Signature
    /// is carried): kept as its element tree.
    Any,
}

/// One element of a complex type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XsdElement {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: Ty,
    /// `minOccurs="0"`.
    pub optional: bool,
    /// `maxOccurs="unbounded"` (a list).
    pub many: bool,
}

/// A complex type: a sequence of elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XsdType {
    /// The type's name.
    pub name: &'static str,
    /// Its elements, in order.
    pub elements: &'static [XsdElement],
}

/// A required element that occurs once.
#[must_use]
pub const fn one(name: &'static str, ty: Ty) -> XsdElement {
    XsdElement {
        name,
        ty,
        optional: false,
        many: false,
    }
}

/// An optional element that occurs at most once.
#[must_use]
pub const fn opt(name: &'static str, ty: Ty) -> XsdElement {
    XsdElement {
        name,
        ty,
        optional: true,
        many: false,
    }
}

/// An optional element that may repeat.
#[must_use]
pub const fn many(name: &'static str, ty: Ty) -> XsdElement {
    XsdElement {
        name,
        ty,
        optional: true,
        many: true,
    }
}

/// An element's value read by its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Typed {
    /// Text (`xs:string`, `xs:hexBinary`, our restrictions), trimmed.
    Text(String),
    /// `xs:unsignedByte`, `xs:unsignedShort`, `xs:unsignedInt`, `xs:unsignedLong`.
    Number(u64),
    /// `xs:boolean`.
    Bool(bool),
    /// Content of [`Ty::Any`], as it was read.
    Xml(Element),
    /// A complex value: each element present, in the type's order, with
    /// its occurrences (one unless the element is `many`).
    Complex(Vec<(&'static XsdElement, Vec<Typed>)>),
}

/// Why an element does not fit its type. Values are never repeated in
/// the error, only element names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// A required element is absent.
    #[error("{parent}: mandatory element {element} missing")]
    Missing {
        /// The containing type.
        parent: &'static str,
        /// The element.
        element: &'static str,
    },
    /// An element the type does not declare (its local name, at most 64
    /// characters of it).
    #[error("{parent}: unknown element {name}")]
    Unknown {
        /// The containing type.
        parent: &'static str,
        /// The element's name.
        name: String,
    },
    /// An element out of the sequence's order.
    #[error("{parent}: element {element} out of order")]
    OutOfOrder {
        /// The containing type.
        parent: &'static str,
        /// The element.
        element: &'static str,
    },
    /// A single element repeated.
    #[error("{parent}: element {element} repeated")]
    Repeated {
        /// The containing type.
        parent: &'static str,
        /// The element.
        element: &'static str,
    },
    /// A simple element with children, or a complex one with text.
    #[error("element {element}: {problem}")]
    Content {
        /// The element.
        element: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// A value that is not of the element's simple type.
    #[error("element {element}: not {expected}")]
    Value {
        /// The element.
        element: &'static str,
        /// The simple type.
        expected: &'static str,
    },
    /// An element that does not have its SGP.02 type.
    #[error(transparent)]
    Field(#[from] FieldError),
}

impl SchemaError {
    /// The SGP.02 subject / reason of the refusal: `1.6`/`2.2` for a
    /// missing element, the element's own subject with `2.1` for an
    /// ill-typed one ([`FieldError::status_code`]), else `1.6`/`2.1`.
    #[must_use]
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Missing { .. } => codes::FUNCTION_MISSING_ELEMENT,
            Self::Field(e) => e.status_code(),
            _ => codes::FUNCTION_INVALID,
        }
    }
}

/// Reads `e` as a value of complex type `ty`.
///
/// # Errors
/// [`SchemaError`]: the first element that does not fit.
pub fn read(e: &Element, ty: &'static XsdType) -> Result<Typed, SchemaError> {
    if !e.text.trim().is_empty() {
        return Err(SchemaError::Content {
            element: ty.name,
            problem: "text in a complex element",
        });
    }
    let mut out: Vec<(&'static XsdElement, Vec<Typed>)> = Vec::new();
    let mut at = 0usize;
    for c in &e.children {
        let Some(pos) = ty.elements.iter().position(|x| x.name == c.name) else {
            return Err(SchemaError::Unknown {
                parent: ty.name,
                name: c.name.chars().take(64).collect(),
            });
        };
        let x = ty.elements.get(pos).ok_or(SchemaError::Content {
            element: ty.name,
            problem: "element table",
        })?;
        let value = match x.ty {
            Ty::Complex(inner) => read(c, inner)?,
            Ty::Any => Typed::Xml(unqualified_as_none(c.clone())),
            Ty::Simple(s) => simple(c, x.name, s)?,
        };
        if let Some((last, items)) = out.last_mut()
            && core::ptr::eq(*last, x)
        {
            if !x.many {
                return Err(SchemaError::Repeated {
                    parent: ty.name,
                    element: x.name,
                });
            }
            items.push(value);
            continue;
        }
        if pos < at {
            return Err(SchemaError::OutOfOrder {
                parent: ty.name,
                element: x.name,
            });
        }
        missing(ty, at, pos)?;
        at = pos.saturating_add(1);
        out.push((x, alloc::vec![value]));
    }
    missing(ty, at, ty.elements.len())?;
    Ok(Typed::Complex(out))
}

/// `e` with "no namespace" spelled one way (`None`), as `xmlns=""`
/// reads back.
fn unqualified_as_none(mut e: Element) -> Element {
    if e.namespace.as_deref() == Some("") {
        e.namespace = None;
    }
    e.children = e.children.into_iter().map(unqualified_as_none).collect();
    e
}

/// The first required element of `ty` in `from..to`, as an error.
fn missing(ty: &'static XsdType, from: usize, to: usize) -> Result<(), SchemaError> {
    match ty
        .elements
        .get(from..to)
        .and_then(|s| s.iter().find(|x| !x.optional))
    {
        Some(x) => Err(SchemaError::Missing {
            parent: ty.name,
            element: x.name,
        }),
        None => Ok(()),
    }
}

/// Element `c` (named `name`) of simple type `ty`.
fn simple(c: &Element, name: &'static str, ty: &'static str) -> Result<Typed, SchemaError> {
    if !c.children.is_empty() {
        return Err(SchemaError::Content {
            element: name,
            problem: "child elements in a simple element",
        });
    }
    let text = c.text.trim();
    let bad = || SchemaError::Value {
        element: name,
        expected: ty,
    };
    // XML 1.0 §2.2 `Char`: what a reference could smuggle in and no
    // writer can put back.
    if text
        .chars()
        .any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}'))
    {
        return Err(SchemaError::Content {
            element: name,
            problem: "a character XML 1.0 does not allow",
        });
    }
    let max = match ty {
        "xs:boolean" => {
            return match text {
                "true" | "1" => Ok(Typed::Bool(true)),
                "false" | "0" => Ok(Typed::Bool(false)),
                _ => Err(bad()),
            };
        }
        "xs:unsignedByte" => u64::from(u8::MAX),
        "xs:unsignedShort" => u64::from(u16::MAX),
        "xs:unsignedInt" => u64::from(u32::MAX),
        "xs:unsignedLong" => u64::MAX,
        "xs:hexBinary" => {
            if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            return Ok(Typed::Text(text.into()));
        }
        _ => {
            if let Some((n, t)) = ElementType::of(name) {
                t.check(n, text)?;
            }
            return Ok(Typed::Text(text.into()));
        }
    };
    // XSD Part 2 §3.3.20ff: digits only (a leading `+` is allowed there;
    // our writer never writes one, and `u64::from_str` takes it too).
    let n: u64 = text.parse().map_err(|_| bad())?;
    if n > max || text.starts_with('+') {
        return Err(bad());
    }
    Ok(Typed::Number(n))
}

impl Typed {
    /// Appends the value as element `name` (children in the type's order,
    /// each occurrence repeated): the inverse of [`read`].
    pub fn write(&self, name: &str, out: &mut String) {
        match self {
            Self::Text(s) => {
                out.push('<');
                out.push_str(name);
                out.push('>');
                text(s, out);
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
            Self::Number(n) => write::text_element(out, name, &alloc::format!("{n}")),
            Self::Bool(b) => write::text_element(out, name, if *b { "true" } else { "false" }),
            Self::Xml(e) => xml(e, out),
            Self::Complex(children) => {
                out.push('<');
                out.push_str(name);
                out.push('>');
                for (x, items) in children {
                    for i in items {
                        i.write(x.name, out);
                    }
                }
                out.push_str("</");
                out.push_str(name);
                out.push('>');
            }
        }
    }
}

/// Escaped text, a CR as a reference so that a reader's line-end
/// normalisation (XML 1.0 §2.11) keeps it.
fn text(s: &str, out: &mut String) {
    let mut parts = s.split('\r');
    if let Some(first) = parts.next() {
        write::escape(first, out);
    }
    for p in parts {
        out.push_str("&#xD;");
        write::escape(p, out);
    }
}

/// Element `e` with its namespace declared as the default on each element
/// (`xmlns=""` for none), its text, then its children.
fn xml(e: &Element, out: &mut String) {
    out.push('<');
    out.push_str(&e.name);
    out.push_str(" xmlns=\"");
    write::escape(e.namespace.as_deref().unwrap_or(""), out);
    out.push_str("\">");
    text(&e.text, out);
    for c in &e.children {
        xml(c, out);
    }
    out.push_str("</");
    out.push_str(&e.name);
    out.push('>');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::soap::eis_type::EIS;
    use crate::soap::{Envelope, Limits, SOAP12_NS};

    /// The smallest EIS our types allow, with an EUM signature (pySim's
    /// test EID, `tests/unittests/test_euicc.py`; the SGP.02 default
    /// ISD-R / ECASD / ISD-P AIDs).
    pub(crate) const MINIMAL: &str = "<Eis><EumSignedInfo>\
        <Eid>89049032123451234512345678901235</Eid><Eum-id>EUM</Eum-id>\
        <ProductionDate>2026-01-01</ProductionDate><PlatformType>t</PlatformType>\
        <PlatformVersion>1</PlatformVersion>\
        <Isd-p-loadfile-aid>A0000005591010FFFFFFFF8900000D00</Isd-p-loadfile-aid>\
        <Isd-p-module-aid>A0000005591010FFFFFFFF8900000E00</Isd-p-module-aid>\
        <Ecasd><Aid>A0000005591010FFFFFFFF8900000200</Aid><Role>ECASD</Role></Ecasd>\
        <EuiccCapabilities><CattpSupport>0</CattpSupport><HttpSupport>true</HttpSupport>\
        </EuiccCapabilities></EumSignedInfo><RemainingMemory>1</RemainingMemory>\
        <AvailableMemoryForProfiles>2</AvailableMemoryForProfiles><Smsr-id>S&#13;R</Smsr-id>\
        <Isd-r><Aid>A0000005591010FFFFFFFF8900000100</Aid><Role>ISD-R</Role></Isd-r>\
        <EumSignature><ds:SignedInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">x\
        <ds:Reference/></ds:SignedInfo></EumSignature></Eis>";

    fn body(xml: &str) -> Element {
        let env = alloc::format!(
            "<e:Envelope xmlns:e=\"{SOAP12_NS}\"><e:Body>{xml}</e:Body></e:Envelope>"
        );
        Envelope::parse(env.as_bytes(), &Limits::DEFAULT)
            .unwrap()
            .body
    }

    /// Read, written and read again: the same tree (a CR and the
    /// signature's namespaces included).
    #[test]
    fn written_values_read_back_the_same() {
        let t = read(&body(MINIMAL), &EIS).unwrap();
        let mut out = String::new();
        t.write("Eis", &mut out);
        assert_eq!(read(&body(&out), &EIS).unwrap(), t, "{out}");
        assert!(out.contains("<Smsr-id>S&#xD;R</Smsr-id>"), "{out}");
        assert!(out.contains("<CattpSupport>false</CattpSupport>"), "{out}");
    }

    #[test]
    fn misfits_are_refused_by_element() {
        let cases: [(&str, &str, SchemaError); 6] = [
            (
                "<Smsr-id>S&#13;R</Smsr-id>",
                "",
                SchemaError::Missing {
                    parent: "EISType",
                    element: "Smsr-id",
                },
            ),
            (
                "<RemainingMemory>1<",
                "<RemainingMemory>4294967296<",
                SchemaError::Value {
                    element: "RemainingMemory",
                    expected: "xs:unsignedInt",
                },
            ),
            (
                "<RemainingMemory>1<",
                "<RemainingMemory>+1<",
                SchemaError::Value {
                    element: "RemainingMemory",
                    expected: "xs:unsignedInt",
                },
            ),
            (
                "<Role>ISD-R</Role>",
                "<Role>ISD-R</Role><Role>ISD-R</Role>",
                SchemaError::Repeated {
                    parent: "SecurityDomainType",
                    element: "Role",
                },
            ),
            (
                "<Smsr-id>",
                "<Smsr-id><x/>",
                SchemaError::Content {
                    element: "Smsr-id",
                    problem: "child elements in a simple element",
                },
            ),
            (
                "<Role>ECASD</Role>",
                "<Role>ECASD</Role><Aid>A0000005591010FFFFFFFF8900000200</Aid>",
                SchemaError::OutOfOrder {
                    parent: "SecurityDomainType",
                    element: "Aid",
                },
            ),
        ];
        for (from, to, want) in cases {
            let bad = MINIMAL.replacen(from, to, 1);
            assert_ne!(bad, MINIMAL);
            assert_eq!(read(&body(&bad), &EIS), Err(want), "{bad}");
        }
        let bad = MINIMAL.replacen(
            "<Eid>89049032123451234512345678901235",
            "<Eid>89049032123451234512345678901236",
            1,
        );
        let e = read(&body(&bad), &EIS).unwrap_err();
        assert_eq!(e.status_code().subject, "8.1.1");
        assert!(!alloc::format!("{e}").contains("8904"), "{e}");
    }
}
