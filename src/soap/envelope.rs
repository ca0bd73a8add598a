//! The envelope: SOAP 1.2 `Envelope` / `Header` / `Body` (SOAP 1.2 Part 1
//! §5.1-§5.3), the WS-Addressing 1.0 message addressing properties in the
//! header (Core §3.2, SOAP Binding §2), and the one body element (the
//! SGP.02 function's request) as an owned [`Element`] tree.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use roxmltree::{Document, Node, ParsingOptions};

use super::{Limits, SOAP11_NS, SOAP12_NS, SoapError, WSA_NS};

/// An XML element of the body: namespace, local name, its own text
/// (the concatenated text children) and its child elements.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Namespace URI, if any.
    pub namespace: Option<String>,
    /// Local name.
    pub name: String,
    /// The element's direct text content.
    pub text: String,
    /// Child elements in document order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with local name `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child with local name `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Builds the tree under `node` (depth already bounded by the caller).
    fn from_node(node: Node<'_, '_>) -> Self {
        let mut text = String::new();
        let mut children = Vec::new();
        for c in node.children() {
            if c.is_element() {
                children.push(Self::from_node(c));
            } else if let Some(t) = c.text().filter(|_| c.is_text()) {
                text.push_str(t);
            }
        }
        Self {
            namespace: node.tag_name().namespace().map(ToOwned::to_owned),
            name: node.tag_name().name().to_owned(),
            text,
            children,
        }
    }
}

/// The WS-Addressing 1.0 message addressing properties of a request
/// (Core §3.2): each as found, `None` when absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Addressing {
    /// `wsa:To`.
    pub to: Option<String>,
    /// `wsa:From/wsa:Address`.
    pub from: Option<String>,
    /// `wsa:ReplyTo/wsa:Address`.
    pub reply_to: Option<String>,
    /// `wsa:FaultTo/wsa:Address`.
    pub fault_to: Option<String>,
    /// `wsa:MessageID`.
    pub message_id: Option<String>,
    /// `wsa:Action`.
    pub action: Option<String>,
    /// `wsa:RelatesTo`.
    pub relates_to: Option<String>,
}

impl Addressing {
    /// `MessageID` and `Action`, which every SGP.02 request carries:
    /// either missing is `wsa:MessageAddressingHeaderRequired`.
    ///
    /// # Errors
    /// [`SoapError::AddressingHeaderRequired`] naming the first missing one.
    pub fn required(&self) -> Result<(&str, &str), SoapError> {
        let id = self
            .message_id
            .as_deref()
            .ok_or(SoapError::AddressingHeaderRequired("MessageID"))?;
        let action = self
            .action
            .as_deref()
            .ok_or(SoapError::AddressingHeaderRequired("Action"))?;
        Ok((id, action))
    }

    /// Records one WS-Addressing header block; a repeated or empty one is
    /// `wsa:InvalidAddressingHeader` (Core §3.2: each at most once).
    fn set(&mut self, h: Node<'_, '_>) -> Result<(), SoapError> {
        let (slot, name, epr) = match h.tag_name().name() {
            "To" => (&mut self.to, "To", false),
            "From" => (&mut self.from, "From", true),
            "ReplyTo" => (&mut self.reply_to, "ReplyTo", true),
            "FaultTo" => (&mut self.fault_to, "FaultTo", true),
            "MessageID" => (&mut self.message_id, "MessageID", false),
            "Action" => (&mut self.action, "Action", false),
            "RelatesTo" => (&mut self.relates_to, "RelatesTo", false),
            // Other wsa: elements (ReferenceParameters…) carry nothing we use.
            _ => return Ok(()),
        };
        let value = if epr {
            h.children()
                .find(|c| c.is_element() && c.tag_name() == (WSA_NS, "Address").into())
                .and_then(|a| a.text())
        } else {
            h.text()
        }
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(SoapError::InvalidAddressingHeader {
            header: name,
            problem: "InvalidAddress",
        })?;
        if slot.is_some() {
            return Err(SoapError::InvalidAddressingHeader {
                header: name,
                problem: "InvalidCardinality",
            });
        }
        *slot = Some(value.to_owned());
        Ok(())
    }
}

/// A parsed request envelope: its addressing headers and its one body
/// element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The WS-Addressing headers.
    pub addressing: Addressing,
    /// The body's element (the function request).
    pub body: Element,
}

/// `true` for a `mustUnderstand` of `true` or `1` (SOAP 1.2 Part 1 §5.2.3).
fn must_understand(h: Node<'_, '_>) -> bool {
    matches!(
        h.attribute((SOAP12_NS, "mustUnderstand")).map(str::trim),
        Some("true" | "1")
    )
}

/// The element children of `n`; any non-blank text beside them is a
/// structure error (SOAP 1.2 Part 1 §5: Envelope, Header, Body hold
/// element information items only).
fn elements<'a, 'i>(n: Node<'a, 'i>, what: &'static str) -> Result<Vec<Node<'a, 'i>>, SoapError> {
    let mut out = Vec::new();
    for c in n.children() {
        if c.is_element() {
            out.push(c);
        } else if c.is_text() && c.text().is_some_and(|t| !t.trim().is_empty()) {
            return Err(SoapError::Structure(what));
        }
    }
    Ok(out)
}

/// Refuses documents nested deeper than `max` (one pass in document order;
/// a parent always precedes its children).
fn check_depth(doc: &Document<'_>, max: usize) -> Result<(), SoapError> {
    let mut depth = vec![0usize; doc.descendants().count()];
    for n in doc.descendants() {
        let d = n
            .parent()
            .and_then(|p| depth.get(p.id().get_usize()).copied())
            .map_or(0, |d| d + usize::from(n.is_element()));
        if d > max {
            return Err(SoapError::TooDeep(max));
        }
        if let Some(slot) = depth.get_mut(n.id().get_usize()) {
            *slot = d;
        }
    }
    Ok(())
}

impl Envelope {
    /// Parses a request envelope within `limits`.
    ///
    /// # Errors
    /// Every [`SoapError`] but the addressing ones checked later
    /// ([`Addressing::required`]): size, XML, DTD, depth, version,
    /// structure, `mustUnderstand`, a repeated WS-Addressing header.
    pub fn parse(bytes: &[u8], limits: &Limits) -> Result<Self, SoapError> {
        if bytes.len() > limits.max_bytes {
            return Err(SoapError::TooLarge {
                len: bytes.len(),
                max: limits.max_bytes,
            });
        }
        let text = core::str::from_utf8(bytes)
            .map_err(|e| SoapError::Malformed(alloc::format!("not UTF-8: {e}")))?;
        let options = ParsingOptions {
            allow_dtd: false,
            nodes_limit: limits.max_nodes,
            ..ParsingOptions::default()
        };
        let doc = Document::parse_with_options(text, options).map_err(|e| match e {
            roxmltree::Error::DtdDetected => SoapError::Dtd,
            roxmltree::Error::NodesLimitReached => SoapError::TooManyNodes(limits.max_nodes),
            other => SoapError::Malformed(other.to_string()),
        })?;
        check_depth(&doc, limits.max_depth)?;
        let root = doc.root_element();
        let ns = root.tag_name().namespace().unwrap_or("");
        if root.tag_name().name() != "Envelope" || ns != SOAP12_NS {
            return Err(if root.tag_name().name() == "Envelope" || ns == SOAP11_NS {
                SoapError::VersionMismatch(ns.to_owned())
            } else {
                SoapError::Structure("the root element is not Envelope")
            });
        }
        let parts = elements(root, "text in Envelope")?;
        let (header, body) = match parts.as_slice() {
            [b] => (None, *b),
            [h, b] if h.tag_name() == (SOAP12_NS, "Header").into() => (Some(*h), *b),
            _ => return Err(Self::misplaced(&parts)),
        };
        if body.tag_name() != (SOAP12_NS, "Body").into() {
            return Err(SoapError::Structure("Body missing or not last"));
        }
        let mut addressing = Addressing::default();
        if let Some(h) = header {
            for block in elements(h, "text in Header")? {
                if block.tag_name().namespace() == Some(WSA_NS) {
                    addressing.set(block)?;
                } else if must_understand(block) {
                    return Err(SoapError::MustUnderstand(
                        block.tag_name().name().to_owned(),
                    ));
                }
            }
        }
        let request = match elements(body, "text in Body")?.as_slice() {
            [one] => Element::from_node(*one),
            [] => return Err(SoapError::Structure("empty Body")),
            _ => return Err(SoapError::Structure("more than one element in Body")),
        };
        Ok(Self {
            addressing,
            body: request,
        })
    }

    /// The structure error for envelope children other than
    /// `[Header] Body`.
    fn misplaced(parts: &[Node<'_, '_>]) -> SoapError {
        if parts.is_empty() {
            SoapError::Structure("Body missing")
        } else {
            SoapError::Structure("unexpected element in Envelope")
        }
    }
}
