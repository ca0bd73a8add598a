//! APDUs: ISO/IEC 7816-4 command and response APDUs, status words, and the
//! GlobalPlatform card content management commands SGP.02 sends.
//!
//! * [`CommandView`] checks and reads a C-APDU in place (short and
//!   extended lengths, cases 1-4 of ISO/IEC 7816-4 §5.1).
//! * [`Command`] builds one: its data are any [`Encode`](crate::tlv::Encode),
//!   the length fields are computed before writing, and it writes into a
//!   `&mut [u8]`, a `heapless::Vec` or (with `alloc`) a `Vec<u8>`.
//!   [`CommandApdu`] is the owned form on a `heapless::Vec`.
//! * [`Response`] splits an R-APDU into data and [`StatusWord`], an open
//!   newtype with named constants.
//! * [`gp`] builds INSTALL, STORE DATA, DELETE, GET STATUS, GET DATA and SELECT.
//!
//! ```
//! use smsr::apdu::{CommandView, Case};
//! let apdu = [0x80, 0xCA, 0x00, 0x85, 0x00];
//! let view = CommandView::parse(&apdu)?;
//! assert_eq!((view.ins(), view.case(), view.ne()), (0xCA, Case::Two, Some(256)));
//! # Ok::<(), smsr::apdu::Error>(())
//! ```

mod command;
mod error;
pub mod gp;
mod response;
mod status;

pub use command::{Case, Command, CommandApdu, CommandView, Header, MAX_NC, MAX_NE, MAX_SHORT_NE};
pub use error::Error;
pub use response::Response;
pub use status::StatusWord;
