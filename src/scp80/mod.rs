//! SCP80: secured packets of ETSI TS 102 225 in the SMS-PP dialect of
//! 3GPP TS 31.115 (and the generic CPI/CHI form for other bearers), both
//! sides: the OTA server's [`command::wrap`] and [`response::verify`], and
//! the card's [`command::unwrap`] and [`response::build`].
//!
//! Nothing here allocates. A [`KeySet`] holds expanded key schedules and
//! secures many packets; counters are checked per [`CounterMode`] and kept
//! by an integrator-supplied [`CounterStore`]; SMS segmentation and
//! reassembly live in [`sms`].
//!
//! ```
//! use smsr::crypto::Key;
//! use smsr::scp80::{command, CommandHeader, Cntr, Framing, KeySet, Kic, Kid, Spi, Tar};
//!
//! let keys = KeySet::new()
//!     .with_kic(&Key::aes(&[0x11; 16])?)
//!     .with_kid(&Key::aes(&[0x22; 16])?);
//! let header = CommandHeader {
//!     spi: Spi::from_bytes([0x16, 0x39]),
//!     kic: Kic(0x12),
//!     kid: Kid(0x12),
//!     tar: Tar([0x00, 0x00, 0x01]),
//!     cntr: Cntr::from_u64(1).expect("fits 5 octets"),
//! };
//! let mut packet = [0u8; 64];
//! let len = command::wrap(Framing::SmsPp, &header, &[0x80, 0xCA, 0x00, 0x66, 0x00], &keys, &mut packet)?;
//!
//! // The card side: decipher, verify the CC and the counter in place.
//! let stored = Cntr::from_u64(0).expect("zero");
//! let got = command::unwrap(Framing::SmsPp, &mut packet[..len], &keys, stored)?;
//! assert_eq!(got.payload, &[0x80, 0xCA, 0x00, 0x66, 0x00]);
//! # Ok::<(), Box<dyn core::error::Error>>(())
//! ```

pub mod command;
mod counter;
mod error;
mod framing;
mod keyset;
mod kic_kid;
mod layout;
pub mod response;
pub mod sar;
mod secure;
pub mod sms;
mod spi;
mod status;
mod tar;

pub use command::{CommandHeader, CommandPacket, CommandRepr, Unwrapped};
pub use counter::{Cntr, CounterKey, CounterStore, MemoryCounterStore, StoreFull, check_counter};
pub use error::{Error, KeyKind, KeyRole};
pub use framing::Framing;
pub use keyset::KeySet;
pub use kic_kid::{KeyAlgorithm, Kic, Kid, RcAlgorithm};
pub use response::{ResponsePacket, ResponseRepr, VerifiedPor};
pub use spi::{CounterMode, Integrity, PorRequest, Spi};
pub use status::PorStatus;
pub use tar::Tar;
