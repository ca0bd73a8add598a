//! BER-TLV (ISO/IEC 8825-1 / X.690, ISO/IEC 7816-4 §5.2) without allocation.
//!
//! Everything in this crate that travels as tag-length-value data goes
//! through here: GlobalPlatform and SGP.02 command data, TS 102 226 expanded
//! scripts, SCP81 trigger parameters and the DER profile packages of the
//! SIMalliance / TCA interoperable format.
//!
//! * [`Reader`] walks sibling TLVs over a byte slice and [`Tlv`] is a
//!   zero-copy view of one of them; [`Tlv::children`] descends into a
//!   constructed value. Nothing is copied and nothing recurses: nesting is
//!   bounded by [`Options::max_depth`], so hostile input cannot exhaust the
//!   stack.
//! * Parsing is strict by default (minimal length encodings, no trailing
//!   bytes, no indefinite lengths). [`Options::lenient`] accepts the odd
//!   encodings real cards send and [`Options::allow_indefinite`] the
//!   `80 … 00 00` form used by TS 102 226 scripts (`AE`/`AF` templates).
//! * Every [`Error`] carries the byte offset in the outermost input.
//! * The [`Encode`] trait and [`tlv`] compose nested values that compute their
//!   length before writing, so a constructed value is written once, straight
//!   into a caller's `&mut [u8]`, a `heapless::Vec` or (with `alloc`) a
//!   `Vec<u8>`.
//!
//! ```
//! use smsr::tlv::{self, Encode, Reader, Tag};
//!
//! // A GET STATUS response entry: E3 { 4F <AID>, 9F70 <life cycle> }
//! let aid = [0xA0, 0x00, 0x00, 0x05, 0x59];
//! let entry = tlv::tlv(Tag::new(0xE3), (
//!     tlv::tlv(Tag::new(0x4F), &aid[..]),
//!     tlv::tlv(Tag::new(0x9F70), &[0x3F_u8][..]),
//! ));
//! let mut buf = [0u8; 32];
//! let bytes = entry.encode_to_slice(&mut buf)?;
//! assert_eq!(bytes, [0xE3, 0x0B, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x05, 0x59, 0x9F, 0x70, 0x01, 0x3F]);
//!
//! let e3 = Reader::new(bytes).next().ok_or(tlv::Error::new(tlv::ErrorKind::UnexpectedEnd, 0))??;
//! let state = e3.find(Tag::new(0x9F70))?.map(|t| t.value());
//! assert_eq!(state, Some(&[0x3F][..]));
//! # Ok::<(), smsr::tlv::Error>(())
//! ```

mod encode;
mod error;
mod length;
mod reader;
mod tag;

pub use encode::{Buffer, Encode, SliceBuffer, TlvEncoder, tlv};
pub use error::{Error, ErrorKind};
pub use length::{encoded_length_len, write_length};
pub use reader::{Options, Reader, Tlv};
pub use tag::{Class, Tag};
