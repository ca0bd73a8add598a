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
//!
//! ```
//! use smsr::scp81::psk_id::{PskIdentity, FORMAT_SGP02};
//! use smsr::scp81::trigger::{HttpPostParams, SecurityParams, SessionParams, TriggerParams};
//!
//! // The PSK identity the ISD-R will present, and a trigger that names it.
//! let id = PskIdentity {
//!     format: FORMAT_SGP02,
//!     eid: [0x89, 0x04, 0x90, 0x32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01],
//!     isd_r_aid: heapless::Vec::from_slice(&[0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
//!         0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00]).unwrap(),
//!     key_id: 0x01,
//!     key_version: 0x40,
//! };
//! let text = id.to_text()?;
//! let trigger = TriggerParams {
//!     session: Some(SessionParams {
//!         security: Some(SecurityParams { psk_identity: text.as_bytes(), kvn: 0x40, kid: 0x01, extra: &[] }),
//!         http_post: Some(HttpPostParams { host: Some("smsr.example"), agent_id: None, uri: Some("/gp/adm") }),
//!         ..SessionParams::default()
//!     }),
//!     dns: None,
//! };
//! let mut buf = [0u8; 256];
//! let n = trigger.emit(&mut buf)?;
//! assert_eq!(&buf[..5], &[0x81, 0x7B, 0x83, 0x79, 0x85]); // 81 {83 {85 …, 89 …}}
//! assert_eq!(TriggerParams::parse(&buf[..n])?, trigger);
//! assert_eq!(PskIdentity::parse(text.as_bytes())?, id);
//! # Ok::<(), smsr::scp81::Error>(())
//! ```

pub mod card;
pub mod error;
pub mod http;
pub mod psk_id;
pub mod push;
pub mod server;
pub mod tls;
pub mod trigger;

pub use error::Error;
