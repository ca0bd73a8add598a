//! Why the simulator could not take an input at all. A packet it can
//! answer is never an error: its refusal is the PoR status.

/// A simulator input that no card could answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The SMS user data or its concatenation is malformed (UDH, segment
    /// numbering); the card drops it.
    #[error("SMS user data: {0}")]
    Sms(crate::scp80::Error),
    /// The user data does not carry a command packet (no UDH IEI `70`).
    #[error("not a command packet: the UDH has no IEI 70")]
    NotCommandPacket,
    /// The command packet's length fields are broken, so not even its TAR
    /// can be trusted; the card drops it without a PoR.
    #[error("command packet: {0}")]
    Packet(crate::scp80::Error),
    /// The key material of the configuration is unusable.
    #[error("configuration: {0}")]
    Config(&'static str),
    /// No administration session is open, or it is over.
    #[error("administration session: {0}")]
    Session(&'static str),
}
