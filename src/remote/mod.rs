//! ETSI TS 102 226 remote APDU structures: what travels inside SCP80
//! secured data and SCP81 HTTP bodies.
//!
//! * [`compact`]: a plain list of C-APDUs and the `count ‖ SW ‖ data`
//!   response (§5.1).
//! * [`expanded`]: command scripting templates `AA`/`AE` with `22` C-APDU,
//!   `81` immediate action, `82` error action and `83` script chaining
//!   TLVs, and response scripting templates `AB`/`AF` with the optional `80`
//!   count, `23` R-APDUs and the `90`/`81`/`83` error TLVs (§5.2). SGP.02
//!   uses this format on ES5.
//!
//! Both directions are covered: a server builds command scripts and parses
//! response scripts, a card (or simulator) parses command scripts and
//! builds response scripts. Parsing is zero-copy; builders compose
//! [`Encode`](crate::tlv::Encode) values and write once into the caller's
//! buffer.

pub mod compact;
mod error;
pub mod expanded;

pub use compact::{CompactCommand, CompactCommands, CompactResponse, P3};
pub use error::Error;
pub use expanded::{Coding, CommandItem, CommandScript, ResponseItem, ResponseScript};
