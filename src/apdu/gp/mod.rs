//! GlobalPlatform Card Specification v2.3 (GPC_SPE_034) card content
//! management commands, as SGP.02 uses them on ES5 (ISD-R) and ES3/ES8
//! (ISD-P): INSTALL, STORE DATA, DELETE, GET STATUS, GET DATA and SELECT.
//!
//! Every builder returns a [`Command`](super::Command) whose data are
//! composed lazily ([`Encode`]), so encoding writes each octet once into the
//! caller's buffer (`&mut [u8]`, `heapless::Vec`, or `Vec` with `alloc`).

mod delete;
mod dgi;
mod get_data;
mod get_status;
mod install;
mod select;
mod store_data;

pub use delete::Delete;
pub use dgi::{Dgi, DgiReader, DgiRef, DgiRepr};
pub use get_data::GetData;
pub use get_status::{GetStatus, RegistryEntries, RegistryEntry};
pub use install::{InstallForInstall, InstallForMakeSelectable, InstallForPersonalization};
pub use select::Select;
pub use store_data::{StoreData, StoreDataBlocks, StoreDataP1};

use super::Error;
use crate::tlv::{self, Buffer, Encode};

/// CLA of GlobalPlatform commands on the basic channel without secure
/// messaging (GP v2.3 §11.1).
pub const CLA_GP: u8 = 0x80;

/// Instruction codes (GP v2.3 chapter 11). `u8` is already open:
/// any other value can be used as it is.
pub mod ins {
    /// DELETE (§11.2).
    pub const DELETE: u8 = 0xE4;
    /// GET DATA (§11.3), even INS.
    pub const GET_DATA: u8 = 0xCA;
    /// GET STATUS (§11.4).
    pub const GET_STATUS: u8 = 0xF2;
    /// INSTALL (§11.5).
    pub const INSTALL: u8 = 0xE6;
    /// LOAD (§11.6).
    pub const LOAD: u8 = 0xE8;
    /// PUT KEY (§11.8).
    pub const PUT_KEY: u8 = 0xD8;
    /// SELECT (§11.9).
    pub const SELECT: u8 = 0xA4;
    /// SET STATUS (§11.10).
    pub const SET_STATUS: u8 = 0xF0;
    /// STORE DATA (§11.11).
    pub const STORE_DATA: u8 = 0xE2;
    /// GET RESPONSE (ISO 7816-4).
    pub const GET_RESPONSE: u8 = 0xC0;
}

/// Longest AID (ISO/IEC 7816-5: RID 5 octets + PIX up to 11).
pub const MAX_AID_LEN: usize = 16;

/// Checks an AID length (ISO/IEC 7816-5: 5 to 16 octets; empty is
/// accepted where GP uses a zero-length AID to mean "any").
fn check_aid(aid: &[u8], what: &'static str) -> Result<(), Error> {
    if aid.len() > MAX_AID_LEN {
        return Err(Error::Invalid { what });
    }
    Ok(())
}

/// A one-octet-length LV field, as in INSTALL command data (GP v2.3
/// §11.5.2.3).
#[derive(Debug, Clone, Copy)]
struct Lv<'a>(&'a [u8]);

impl Lv<'_> {
    fn checked<'a>(v: &'a [u8], what: &'static str) -> Result<Lv<'a>, Error> {
        if v.len() > 255 {
            return Err(Error::Invalid { what });
        }
        Ok(Lv(v))
    }
}

impl Encode for Lv<'_> {
    fn encoded_len(&self) -> usize {
        1 + self.0.len()
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        let len = u8::try_from(self.0.len())
            .map_err(|_| tlv::Error::new(tlv::ErrorKind::ValueTooLong, out.written()))?;
        out.put(&[len])?;
        out.put(self.0)
    }
}
