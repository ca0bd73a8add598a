//! DELETE (GP Card Specification v2.3 §11.2).

use super::{CLA_GP, Error, check_aid, ins};
use crate::apdu::{Command, Header};
use crate::tlv::{self, Encode, Tag};

/// DELETE [card content] (GP v2.3 §11.2.2):
/// data = `4F` AID [‖ `B6` control reference template] [‖ `9E` token];
/// P2 `80` deletes the object and its related objects (an ELF with its
/// applications, an ISD-P with its profile content), P2 `00` the object only.
///
/// SGP.02 ES5.DeleteISDP (§4.1.1.4) deletes the ISD-P with its content.
#[derive(Debug, Clone, Copy)]
pub struct Delete<'a> {
    aid: &'a [u8],
    related: bool,
    crt: Option<&'a [u8]>,
    token: Option<&'a [u8]>,
    le: bool,
}

impl<'a> Delete<'a> {
    /// Delete the object `aid` only (P2 `00`), with Le `00`.
    pub const fn object(aid: &'a [u8]) -> Self {
        Self {
            aid,
            related: false,
            crt: None,
            token: None,
            le: true,
        }
    }

    /// Delete `aid` and its related objects (P2 `80`), with Le `00`.
    pub const fn object_and_related(aid: &'a [u8]) -> Self {
        Self {
            related: true,
            ..Self::object(aid)
        }
    }

    /// The value of a `B6` control reference template (for a delete token).
    pub const fn control_reference_template(self, crt: &'a [u8]) -> Self {
        Self {
            crt: Some(crt),
            ..self
        }
    }

    /// The value of a `9E` delete token.
    pub const fn token(self, token: &'a [u8]) -> Self {
        Self {
            token: Some(token),
            ..self
        }
    }

    /// Append Le `00` (default `true`, as GP v2.3 §11.2.2 lists it).
    pub const fn with_le(self, yes: bool) -> Self {
        Self { le: yes, ..self }
    }

    /// The command.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an AID over 16 octets.
    pub fn command(&self) -> Result<Command<impl Encode + 'a>, Error> {
        check_aid(self.aid, "AID")?;
        let data = (
            tlv::tlv(Tag::new(0x4F), self.aid),
            self.crt.map(|v| tlv::tlv(Tag::new(0xB6), v)),
            self.token.map(|v| tlv::tlv(Tag::new(0x9E), v)),
        );
        let p2 = if self.related { 0x80 } else { 0x00 };
        let cmd = Command::with_data(Header::new(CLA_GP, ins::DELETE, 0x00, p2), data)?;
        if self.le { cmd.with_le(256) } else { Ok(cmd) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::vec::Vec;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    /// GlobalPlatform.NET (mbah-dhaim/GlobalPlatform.NET@33343f0a:
    /// test/GlobalPlatform.NET.Tests/CommandBuilderTests/DeleteCommandTests.cs):
    /// `Delete_Card_Content`, `..._And_Related_Objects`, `..._Using_Token`
    /// (CLA 80, Le 00 asserted by its CommandTestsBase.cs). Dogtag PKI's
    /// `DeleteFileGP211APDU` also uses P2 `80` with Le `00`.
    #[test]
    fn globalplatform_net_vectors() {
        let app = [0xFF; 8];
        let c = Delete::object(&app).command().unwrap();
        assert_eq!(c.to_vec().unwrap(), hex("80E400000A4F08FFFFFFFFFFFFFFFF00"));
        let c = Delete::object_and_related(&app).command().unwrap();
        assert_eq!(c.to_vec().unwrap(), hex("80E400800A4F08FFFFFFFFFFFFFFFF00"));
        let c = Delete::object_and_related(&app)
            .token(&[0x11; 4])
            .command()
            .unwrap();
        assert_eq!(
            c.to_vec().unwrap(),
            hex("80E40080104F08FFFFFFFFFFFFFFFF9E041111111100")
        );
    }

    #[test]
    fn isdp_without_le() {
        let isdp = hex("A0000005591010FFFFFFFF8900001000");
        let c = Delete::object_and_related(&isdp)
            .with_le(false)
            .command()
            .unwrap();
        assert_eq!(
            c.to_vec().unwrap(),
            hex("80E40080124F10A0000005591010FFFFFFFF8900001000")
        );
        assert!(Delete::object(&[0; 17]).command().is_err());
    }
}
