//! The EUM's signature on an EIS (SGP.02 §5.1.1.3, the EIS's
//! `EumSignature`, carried by ES1.RegisterEIS): an XML Signature (W3C
//! XML Signature 1.1) over the EIS's `EumSignedInfo`, made with the EUM's
//! key, whose certificate the CI issued.
//!
//! What is verified, as njiwa's `ES1SignatureVerifyHandler` reads the
//! signature (a `Reference` without `URI` stands for `EumSignedInfo`):
//!
//! * `SignedInfo` canonicalized by exclusive XML C14N without comments
//!   ([`EXC_C14N`], W3C Exclusive XML Canonicalization 1.0);
//! * one `Reference`, no `URI`, transforms only [`EXC_C14N`], digest
//!   SHA-256 ([`SHA256`]) of the canonical `EumSignedInfo`, compared in
//!   constant time;
//! * `SignatureMethod` ECDSA with SHA-256 ([`ECDSA_SHA256`], RFC 6931
//!   §2.3.6) on P-256 or brainpoolP256r1, `SignatureValue` the base64 of
//!   r ‖ s (RFC 4050 §3.3).
//!
//! Anything else (another algorithm, a `URI`, an `InclusiveNamespaces`
//! list, a second reference) is refused, never skipped. The key comes from
//! the caller, who checks the EUM certificate against the CI
//! ([`eum_certificate`] hands out the one `KeyInfo` carries).
//!
//! The canonicalization reads element and attribute prefixes from the
//! source text (roxmltree `positions`), so the output is the document's
//! own qualified names, as C14N requires.

use alloc::string::String;
use alloc::vec::Vec;

use base64ct::{Base64, Encoding};
use roxmltree::{Document, Node, NodeType, ParsingOptions};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::Limits;
use crate::crypto::ecka::{PublicKey, Signature};

/// The XML Signature namespace.
pub const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// Exclusive XML Canonicalization 1.0, without comments.
pub const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
/// ECDSA with SHA-256 (RFC 6931 §2.3.6).
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/// SHA-256 digest (XML Encryption 1.0 §5.7.2).
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";

/// Why an EUM signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EumSignatureError {
    /// Not well-formed XML, a DTD, or over the node limit.
    #[error("malformed XML: {0}")]
    Xml(String),
    /// Over the size limit.
    #[error("{len} bytes, over the limit of {max}")]
    TooLarge {
        /// Bytes given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Nested deeper than the limit.
    #[error("nested deeper than {0} elements")]
    TooDeep(usize),
    /// An element the signature needs is absent.
    #[error("{0} missing")]
    Missing(&'static str),
    /// An element that must be there once is repeated.
    #[error("{0} repeated")]
    Repeated(&'static str),
    /// An algorithm or construct not supported here.
    #[error("{what} not supported: {value}")]
    Unsupported {
        /// Which element or attribute.
        what: &'static str,
        /// What it said.
        value: String,
    },
    /// A base64 value that does not decode to the expected length.
    #[error("{0}: not base64 of the expected length")]
    Base64(&'static str),
    /// The digest of `EumSignedInfo` is not the signed one.
    #[error("the digest of EumSignedInfo does not match")]
    DigestMismatch,
    /// The signature does not verify with the key.
    #[error("the signature does not verify with the EUM key")]
    BadSignature,
}

type Result<T> = core::result::Result<T, EumSignatureError>;

fn parse<'i>(xml: &'i str, limits: &Limits) -> Result<Document<'i>> {
    if xml.len() > limits.max_bytes {
        return Err(EumSignatureError::TooLarge {
            len: xml.len(),
            max: limits.max_bytes,
        });
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        ..ParsingOptions::default()
    };
    Document::parse_with_options(xml, options)
        .map_err(|e| EumSignatureError::Xml(alloc::format!("{e}")))
}

fn text(xml: &[u8]) -> Result<&str> {
    core::str::from_utf8(xml).map_err(|_| EumSignatureError::Xml("not UTF-8".into()))
}

/// The only child element of `n` named `name` (in namespace `ns`; any
/// namespace when `None`).
fn child<'a, 'i>(
    n: Node<'a, 'i>,
    ns: Option<&str>,
    name: &'static str,
) -> Result<Option<Node<'a, 'i>>> {
    let mut found = n.children().filter(|c| {
        c.is_element()
            && c.tag_name().name() == name
            && ns.is_none_or(|ns| c.tag_name().namespace() == Some(ns))
    });
    let first = found.next();
    if found.next().is_some() {
        return Err(EumSignatureError::Repeated(name));
    }
    Ok(first)
}

fn required<'a, 'i>(n: Node<'a, 'i>, ns: Option<&str>, name: &'static str) -> Result<Node<'a, 'i>> {
    child(n, ns, name)?.ok_or(EumSignatureError::Missing(name))
}

/// The `Eis` element: the document's first element of that name.
fn eis<'a, 'i>(doc: &'a Document<'i>) -> Result<Node<'a, 'i>> {
    doc.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "Eis")
        .ok_or(EumSignatureError::Missing("Eis"))
}

/// The `EumSignature` of `eis` (or an `ds:Signature`, as njiwa also
/// accepts), if any.
fn signature<'a, 'i>(eis: Node<'a, 'i>) -> Result<Option<Node<'a, 'i>>> {
    match child(eis, None, "EumSignature")? {
        Some(s) => Ok(Some(s)),
        None => child(eis, Some(DSIG_NS), "Signature"),
    }
}

/// Whether the EIS in `xml` carries an EUM signature.
///
/// # Errors
/// Malformed XML, over the limits, no `Eis`, a repeated signature.
pub fn is_signed(xml: &[u8], limits: &Limits) -> Result<bool> {
    let doc = parse(text(xml)?, limits)?;
    Ok(signature(eis(&doc)?)?.is_some())
}

/// The DER of the first `KeyInfo/X509Data/X509Certificate` of the EUM
/// signature: the EUM certificate, for the caller to check against the
/// CI; `None` when the signature names none (or there is no signature).
///
/// # Errors
/// As [`is_signed`], or a certificate that is no base64.
pub fn eum_certificate(xml: &[u8], limits: &Limits) -> Result<Option<Vec<u8>>> {
    let doc = parse(text(xml)?, limits)?;
    let Some(sig) = signature(eis(&doc)?)? else {
        return Ok(None);
    };
    let cert = sig
        .descendants()
        .find(|n| n.has_tag_name((DSIG_NS, "X509Certificate")));
    cert.map(|c| {
        let b64: String = c.text().unwrap_or("").split_whitespace().collect();
        Base64::decode_vec(&b64).map_err(|_| EumSignatureError::Base64("X509Certificate"))
    })
    .transpose()
}

fn algorithm<'i>(n: Node<'_, 'i>, what: &'static str, expected: &str) -> Result<()> {
    let a = n.attribute("Algorithm").unwrap_or("");
    if a != expected || n.children().any(|c| c.is_element()) {
        return Err(EumSignatureError::Unsupported {
            what,
            value: a.into(),
        });
    }
    Ok(())
}

/// Base64 text of `n` decoded into exactly `N` bytes.
fn base64_exact<const N: usize>(n: Node<'_, '_>, what: &'static str) -> Result<[u8; N]> {
    let b64: String = n.text().unwrap_or("").split_whitespace().collect();
    let v = Base64::decode_vec(&b64).map_err(|_| EumSignatureError::Base64(what))?;
    v.try_into().map_err(|_| EumSignatureError::Base64(what))
}

/// Checks the `Reference` of `signed_info` and returns its digest value.
fn reference(signed_info: Node<'_, '_>) -> Result<[u8; 32]> {
    let ds = Some(DSIG_NS);
    let r = required(signed_info, ds, "Reference")?;
    if let Some(uri) = r.attribute("URI") {
        return Err(EumSignatureError::Unsupported {
            what: "Reference URI",
            value: uri.into(),
        });
    }
    if let Some(t) = child(r, ds, "Transforms")? {
        for tr in t.children().filter(Node::is_element) {
            algorithm(tr, "Transform", EXC_C14N)?;
        }
    }
    algorithm(required(r, ds, "DigestMethod")?, "DigestMethod", SHA256)?;
    base64_exact(required(r, ds, "DigestValue")?, "DigestValue")
}

/// Verifies the EUM signature on the EIS in `xml` (a RegisterEIS request
/// element or an `Eis` document) with the EUM's public key.
///
/// # Errors
/// [`EumSignatureError`]: what is malformed, unsupported or does not
/// match. An EIS with no signature is [`EumSignatureError::Missing`].
pub fn verify(xml: &[u8], limits: &Limits, key: &PublicKey) -> Result<()> {
    let doc = parse(text(xml)?, limits)?;
    let eis = eis(&doc)?;
    let signed = required(eis, None, "EumSignedInfo")?;
    let sig = signature(eis)?.ok_or(EumSignatureError::Missing("EumSignature"))?;
    let ds = Some(DSIG_NS);
    let signed_info = required(sig, ds, "SignedInfo")?;
    algorithm(
        required(signed_info, ds, "CanonicalizationMethod")?,
        "CanonicalizationMethod",
        EXC_C14N,
    )?;
    algorithm(
        required(signed_info, ds, "SignatureMethod")?,
        "SignatureMethod",
        ECDSA_SHA256,
    )?;
    let digest = reference(signed_info)?;
    let value: [u8; 64] = base64_exact(required(sig, ds, "SignatureValue")?, "SignatureValue")?;
    let input = doc.input_text();
    let ours = Sha256::digest(canonical(input, signed, limits.max_depth)?.as_bytes());
    if !bool::from(ours.as_slice().ct_eq(&digest)) {
        return Err(EumSignatureError::DigestMismatch);
    }
    let message = canonical(input, signed_info, limits.max_depth)?;
    Signature(value)
        .verify(key, message.as_bytes())
        .map_err(|_| EumSignatureError::BadSignature)
}

/// The exclusive canonical form (without comments) of element `n`.
fn canonical(input: &str, n: Node<'_, '_>, max_depth: usize) -> Result<String> {
    let mut out = String::new();
    let mut rendered = Vec::new();
    element(input, n, &mut rendered, &mut out, max_depth).map_err(|e| match e {
        EumSignatureError::TooDeep(_) => EumSignatureError::TooDeep(max_depth),
        other => other,
    })?;
    Ok(out)
}

/// The qualified name at the start of `range` of `input` (after `<` for an
/// element).
fn qname(input: &str, start: usize) -> &str {
    let rest = input.get(start..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_whitespace() || matches!(c, '/' | '>' | '='))
        .unwrap_or(rest.len());
    rest.get(..end).unwrap_or("")
}

fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map_or("", |(p, _)| p)
}

/// One element: exclusive C14N §3 (namespace nodes rendered where visibly
/// used and not already in scope of the output), C14N 1.0 §2.3 (attributes
/// sorted by namespace URI then local name, escaping).
fn element<'a>(
    input: &'a str,
    n: Node<'a, '_>,
    rendered: &mut Vec<(&'a str, &'a str)>,
    out: &mut String,
    depth: usize,
) -> Result<()> {
    let depth = depth.checked_sub(1).ok_or(EumSignatureError::TooDeep(0))?;
    let name = qname(input, n.range().start.saturating_add(1));
    let mut used: Vec<(&str, &str)> = Vec::new();
    used.push((prefix_of(name), n.tag_name().namespace().unwrap_or("")));
    let mut attrs: Vec<(&str, &str, &str, &str)> = Vec::new();
    for a in n.attributes() {
        let q = qname(input, a.range_qname().start);
        if let Some(ns) = a.namespace() {
            used.push((prefix_of(q), ns));
        }
        attrs.push((a.namespace().unwrap_or(""), a.name(), q, a.value()));
    }
    used.sort_unstable();
    used.dedup();
    out.push('<');
    out.push_str(name);
    let mark = rendered.len();
    for (p, uri) in used {
        // What the output has in scope for `p` (none: the empty default).
        let in_scope = rendered
            .iter()
            .rev()
            .find(|(rp, _)| *rp == p)
            .map_or("", |x| x.1);
        if in_scope == uri {
            continue;
        }
        out.push_str(if p.is_empty() { " xmlns" } else { " xmlns:" });
        out.push_str(p);
        out.push_str("=\"");
        escape(uri, true, out);
        out.push('"');
        rendered.push((p, uri));
    }
    attrs.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (_, _, q, v) in attrs {
        out.push(' ');
        out.push_str(q);
        out.push_str("=\"");
        escape(v, true, out);
        out.push('"');
    }
    out.push('>');
    for c in n.children() {
        match c.node_type() {
            NodeType::Element => element(input, c, rendered, out, depth)?,
            NodeType::Text => escape(c.text().unwrap_or(""), false, out),
            NodeType::PI => pi(c, out),
            NodeType::Comment | NodeType::Root => {}
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
    rendered.truncate(mark);
    Ok(())
}

fn pi(n: Node<'_, '_>, out: &mut String) {
    if let Some(p) = n.pi() {
        out.push_str("<?");
        out.push_str(p.target);
        if let Some(v) = p.value.filter(|v| !v.is_empty()) {
            out.push(' ');
            out.push_str(v);
        }
        out.push_str("?>");
    }
}

/// C14N 1.0 §2.3 escaping of text (`attr` false) or an attribute value.
fn escape(s: &str, attr: bool, out: &mut String) {
    for c in s.chars() {
        match (c, attr) {
            ('&', _) => out.push_str("&amp;"),
            ('<', _) => out.push_str("&lt;"),
            ('>', false) => out.push_str("&gt;"),
            ('"', true) => out.push_str("&quot;"),
            ('\t', true) => out.push_str("&#x9;"),
            ('\n', true) => out.push_str("&#xA;"),
            ('\r', _) => out.push_str("&#xD;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/eum_signature/");

    /// Our exclusive C14N of both signed elements equals libxml2's (lxml,
    /// `tests/data/eum_signature/make.py`) byte for byte: sorted and
    /// escaped attributes, an ancestor's unused namespace left out, a used
    /// one declared where used, comments dropped, empty elements as
    /// start and end tags, `&#xD;` kept.
    #[test]
    fn our_canonical_forms_are_libxml2s() {
        let read = |f: &str| std::fs::read_to_string(alloc::format!("{DIR}{f}")).unwrap();
        let xml = read("eis_signed.xml");
        let doc = Document::parse(&xml).unwrap();
        for (element, file) in [
            ("EumSignedInfo", "eum_signed_info.c14n"),
            ("SignedInfo", "signed_info.c14n"),
        ] {
            let n = doc
                .descendants()
                .find(|n| n.tag_name().name() == element)
                .unwrap();
            assert_eq!(
                canonical(doc.input_text(), n, 32).unwrap(),
                read(file),
                "{element}"
            );
        }
    }
}
