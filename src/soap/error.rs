//! Errors of the SOAP layer: what is wrong with an envelope, and where.

use alloc::string::String;

/// Why an envelope was refused. Each maps to one SOAP fault
/// ([`Fault::from_error`](super::Fault::from_error)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SoapError {
    /// The envelope is larger than [`Limits::max_bytes`](super::Limits).
    #[error("envelope of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not well-formed XML (or not UTF-8).
    #[error("malformed XML: {0}")]
    Malformed(String),
    /// A document type declaration: refused, so no entity is expanded.
    #[error("a DTD is not allowed in a SOAP message")]
    Dtd,
    /// More nodes than [`Limits::max_nodes`](super::Limits).
    #[error("more than {0} XML nodes")]
    TooManyNodes(u32),
    /// Elements nested deeper than [`Limits::max_depth`](super::Limits).
    #[error("elements nested deeper than {0}")]
    TooDeep(usize),
    /// The root is not a SOAP 1.2 `Envelope` (SOAP 1.1, or another
    /// namespace); the namespace found is kept.
    #[error("not a SOAP 1.2 envelope (namespace {0:?})")]
    VersionMismatch(String),
    /// The envelope's structure is wrong (no `Body`, two bodies, an
    /// element where none belongs, a body with no or several children).
    #[error("bad SOAP envelope: {0}")]
    Structure(&'static str),
    /// A header block with `mustUnderstand` that we do not process.
    #[error("header {0} must be understood and is not")]
    MustUnderstand(String),
    /// A WS-Addressing header that must be there is missing.
    #[error("WS-Addressing header wsa:{0} is required")]
    AddressingHeaderRequired(&'static str),
    /// A WS-Addressing header appears twice, is empty or does not agree
    /// with the message.
    #[error("invalid WS-Addressing header wsa:{header} ({problem})")]
    InvalidAddressingHeader {
        /// The header's local name.
        header: &'static str,
        /// The WS-Addressing SOAP Binding §6.4.1 subsubcode (local name):
        /// `InvalidCardinality`, `InvalidAddress`, `ActionMismatch`.
        problem: &'static str,
    },
}
