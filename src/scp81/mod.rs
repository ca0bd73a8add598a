//! SCP81: remote administration of the ISD-R over HTTPS with PSK-TLS
//! (GlobalPlatform Card Specification Amendment B "RAM over HTTP", as
//! profiled by GSMA SGP.02 §2.4.4).
//!
//! The flow: the SM-SR sends a push SMS (SCP80, to the ISD-R) holding the
//! administration session triggering parameters ([`trigger`]); the eUICC
//! opens a TCP connection, runs PSK-TLS with an identity built as in
//! [`psk_id`], and POSTs to the SM-SR, which answers each POST with the next
//! command script ([`http`]). [`server::ServerSession`] and
//! [`card::CardSession`] run the two ends of that conversation sans-IO: bytes
//! and time go in, bytes and events come out. TLS itself is the integrator's
//! (see `tests/common/psk_tls.rs` for an OpenSSL glue).
//!
//! Nothing here allocates.

pub mod card;
pub mod error;
pub mod http;
pub mod psk_id;
pub mod server;
pub mod trigger;

pub use error::Error;
