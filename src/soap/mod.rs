//! SOAP 1.2 envelopes with WS-Addressing, as the SGP.02 ES interfaces
//! carry them (SGP.02 §5 and its web-service binding annex; namespace
//! [`GSMA_NS`]): a parser with limits ([`Envelope::parse`]), the
//! addressing headers ([`Addressing`]), SOAP faults ([`Fault`]) and the
//! writer of answers ([`mod@write`]).
//!
//! The parser is built on `roxmltree` with DTDs refused: no entity is
//! ever declared, so none is expanded (an XML bomb is a [`SoapError::Dtd`]).
//! Depth, node count and size are bounded by [`Limits`]. A SOAP 1.1
//! envelope (or any other namespace) is [`SoapError::VersionMismatch`]
//! (SOAP 1.2 Part 1 §5.4.7, §5.4.6 code `VersionMismatch`).

pub mod eis_type;
mod envelope;
mod error;
pub mod eum_cert;
pub mod eum_signature;
pub mod fault;
pub mod schema;
pub mod write;

pub use envelope::{Addressing, Element, Envelope};
pub use error::SoapError;
pub use fault::{Fault, FaultCode};

/// The SOAP 1.2 envelope namespace (SOAP 1.2 Part 1 §5).
pub const SOAP12_NS: &str = "http://www.w3.org/2003/05/soap-envelope";
/// The SOAP 1.1 envelope namespace (answered with `VersionMismatch`).
pub const SOAP11_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// WS-Addressing 1.0 (W3C Recommendation 2006, Core §2 and SOAP Binding).
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";
/// The WS-Addressing anonymous address: answer on the same connection.
pub const WSA_ANONYMOUS: &str = "http://www.w3.org/2005/08/addressing/anonymous";
/// The WS-Addressing fault action (WS-Addressing 1.0 SOAP Binding §6).
pub const WSA_FAULT_ACTION: &str = "http://www.w3.org/2005/08/addressing/fault";
/// The SGP.02 messaging namespace of every function's elements.
pub const GSMA_NS: &str = "http://namespaces.gsma.org/esim-messaging/1";

/// Bounds on what [`Envelope::parse`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest envelope in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting (the envelope is depth 1).
    pub max_depth: usize,
    /// Most XML nodes (elements, text, comments…).
    pub max_nodes: u32,
}

impl Limits {
    /// 1 MiB, depth 32, 100 000 nodes: generous for any SGP.02 request
    /// (the largest, ES3.SendData, carries one command script).
    pub const DEFAULT: Self = Self {
        max_bytes: 1 << 20,
        max_depth: 32,
        max_nodes: 100_000,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests;
