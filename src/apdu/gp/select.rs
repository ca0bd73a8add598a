//! SELECT by AID (GP Card Specification v2.3 §11.9, ISO/IEC 7816-4 §11.2.2).

use super::{Error, check_aid, ins};
use crate::apdu::{Command, Header};

/// SELECT [by name] (GP v2.3 §11.9.2): CLA `00`, P1 `04`,
/// P2 `00` (first or only occurrence) or `02` (next occurrence), data = the
/// AID (or a partial AID), Le `00`. With an empty AID it selects the
/// Issuer Security Domain (`00 A4 04 00 00`).
///
/// SGP.02 uses it to reach the ISD-R (`A0000005591010FFFFFFFF8900000100`)
/// and the ECASD.
#[derive(Debug, Clone, Copy)]
pub struct Select<'a> {
    aid: &'a [u8],
    next: bool,
    cla: u8,
}

impl<'a> Select<'a> {
    /// Select the first or only application whose AID starts with `aid`.
    pub const fn by_aid(aid: &'a [u8]) -> Self {
        Self {
            aid,
            next: false,
            cla: 0x00,
        }
    }

    /// Select the Issuer Security Domain (empty AID).
    pub const fn issuer_security_domain() -> Self {
        Self::by_aid(&[])
    }

    /// Select the next occurrence (P2 `02`).
    pub const fn next_occurrence(self) -> Self {
        Self { next: true, ..self }
    }

    /// The class byte, e.g. to select on a logical channel (`01`..`03`).
    pub const fn cla(self, cla: u8) -> Self {
        Self { cla, ..self }
    }

    /// The command.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an AID over 16 octets.
    pub fn command(&self) -> Result<Command<&'a [u8]>, Error> {
        check_aid(self.aid, "AID")?;
        let p2 = if self.next { 0x02 } else { 0x00 };
        Command::with_data(Header::new(self.cla, ins::SELECT, 0x04, p2), self.aid)?.with_le(256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::Encode;

    /// GlobalPlatform.NET (mbah-dhaim/GlobalPlatform.NET@76a82b8d:
    /// test/GlobalPlatform.NET.Tests/CommandBuilderTests/SelectCommandTests.cs):
    /// ISD, first occurrence and next occurrence of `FF`×8.
    #[test]
    fn globalplatform_net_vectors() {
        let v = Select::issuer_security_domain()
            .command()
            .unwrap()
            .to_vec()
            .unwrap();
        assert_eq!(v, [0x00, 0xA4, 0x04, 0x00, 0x00]);
        let app = [0xFF; 8];
        let v = Select::by_aid(&app).command().unwrap().to_vec().unwrap();
        assert_eq!(v[..5], [0x00, 0xA4, 0x04, 0x00, 0x08]);
        assert_eq!((v[5..13] == app, v[13], v.len()), (true, 0x00, 14));
        let v = Select::by_aid(&app)
            .next_occurrence()
            .command()
            .unwrap()
            .to_vec()
            .unwrap();
        assert_eq!(v[..4], [0x00, 0xA4, 0x04, 0x02]);
        assert!(Select::by_aid(&[0; 17]).command().is_err());
    }
}
