//! GET STATUS (GP Card Specification v2.3 §11.4).

use super::{CLA_GP, Error, check_aid, ins};
use crate::apdu::{Command, Header, StatusWord};
use crate::tlv::{self, Encode, Options, Reader, Tag, Tlv};

/// GET STATUS (GP v2.3 §11.4.2): P1 selects the registry subset, P2 `02`
/// asks for the TLV response format (table 11-36) and P2 `03` for the next
/// occurrences after `6310` (more data); data = `4F` search AID (empty for
/// all) [‖ `5C` tag list]; Le `00`.
///
/// SGP.02 ES5.AuditEIS uses P1 `40` (applications and security domains)
/// with the ISD-P AID.
///
/// ```
/// use smsr::apdu::{StatusWord, gp::GetStatus};
/// use smsr::tlv::Encode;
/// let first = GetStatus::new(GetStatus::APPLICATIONS);
/// let mut buf = [0u8; 16];
/// assert_eq!(first.command()?.encode_to_slice(&mut buf)?, [0x80, 0xF2, 0x40, 0x02, 0x02, 0x4F, 0x00, 0x00]);
/// // The card answered 6310: ask for the rest.
/// let next = first.next_occurrence(StatusWord::MORE_DATA).expect("more data");
/// assert_eq!(next.command()?.header().p2, 0x03);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct GetStatus<'a> {
    p1: u8,
    aid: &'a [u8],
    tag_list: Option<&'a [u8]>,
    next: bool,
}

impl<'a> GetStatus<'a> {
    /// P1 `80`: the Issuer Security Domain.
    pub const ISSUER_SECURITY_DOMAIN: u8 = 0x80;
    /// P1 `40`: applications, including security domains.
    pub const APPLICATIONS: u8 = 0x40;
    /// P1 `20`: Executable Load Files.
    pub const LOAD_FILES: u8 = 0x20;
    /// P1 `10`: Executable Load Files and their Executable Modules.
    pub const LOAD_FILES_AND_MODULES: u8 = 0x10;

    /// GET STATUS of subset `p1`, all entries (search `4F 00`), first occurrence.
    pub const fn new(p1: u8) -> Self {
        Self {
            p1,
            aid: &[],
            tag_list: None,
            next: false,
        }
    }

    /// Only the entries whose AID starts with `aid`.
    pub const fn aid(self, aid: &'a [u8]) -> Self {
        Self { aid, ..self }
    }

    /// Ask for the listed tags only (value of a `5C` tag list).
    pub const fn tag_list(self, tags: &'a [u8]) -> Self {
        Self {
            tag_list: Some(tags),
            ..self
        }
    }

    /// The follow-up request after the card answered `sw`: `Some` (P2 `03`)
    /// when `sw` is `6310` (more data, GP v2.3 §11.4.3), `None` otherwise.
    pub const fn next_occurrence(self, sw: StatusWord) -> Option<Self> {
        if sw.0 == StatusWord::MORE_DATA.0 {
            Some(Self { next: true, ..self })
        } else {
            None
        }
    }

    /// The command.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an AID over 16 octets.
    pub fn command(&self) -> Result<Command<impl Encode + 'a>, Error> {
        check_aid(self.aid, "AID")?;
        let data = (
            tlv::tlv(Tag::new(0x4F), self.aid),
            self.tag_list.map(|t| tlv::tlv(Tag::new(0x5C), t)),
        );
        let p2 = if self.next { 0x03 } else { 0x02 };
        Command::with_data(Header::new(CLA_GP, ins::GET_STATUS, self.p1, p2), data)?.with_le(256)
    }
}

/// One `E3` GlobalPlatform Registry entry of a GET STATUS response
/// (GP v2.3 §11.4.3.1, table 11-36).
#[derive(Debug, Clone, Copy)]
pub struct RegistryEntry<'a> {
    tlv: Tlv<'a>,
}

impl<'a> RegistryEntry<'a> {
    /// The `E3` TLV itself, for tags this type has no accessor for
    /// (e.g. SGP.02 `53` ISD-P properties, `8F`/`91` memory).
    pub const fn tlv(&self) -> Tlv<'a> {
        self.tlv
    }

    /// The first child with `tag`.
    ///
    /// # Errors
    /// A malformed child TLV.
    pub fn find(&self, tag: Tag) -> Result<Option<&'a [u8]>, Error> {
        Ok(self.tlv.find(tag)?.map(|t| t.value()))
    }

    /// `4F`: the AID.
    ///
    /// # Errors
    /// A malformed child TLV.
    pub fn aid(&self) -> Result<Option<&'a [u8]>, Error> {
        self.find(Tag::new(0x4F))
    }

    /// `9F70`: the life cycle state (first octet).
    ///
    /// # Errors
    /// A malformed child TLV.
    pub fn life_cycle_state(&self) -> Result<Option<u8>, Error> {
        Ok(self
            .find(Tag::new(0x9F70))?
            .and_then(|v| v.first().copied()))
    }

    /// `C5`: the privileges.
    ///
    /// # Errors
    /// A malformed child TLV.
    pub fn privileges(&self) -> Result<Option<&'a [u8]>, Error> {
        self.find(Tag::new(0xC5))
    }
}

/// Iterates the `E3` entries of GET STATUS response data (P2 `02`/`03`),
/// parsed leniently (cards send non-minimal lengths). Other top-level tags
/// are skipped.
#[derive(Debug, Clone)]
pub struct RegistryEntries<'a> {
    reader: Reader<'a>,
}

impl<'a> RegistryEntries<'a> {
    /// Entries of `response_data` (without SW1 SW2).
    pub const fn new(response_data: &'a [u8]) -> Self {
        Self {
            reader: Reader::with_options(response_data, Options::lenient()),
        }
    }
}

impl<'a> Iterator for RegistryEntries<'a> {
    type Item = Result<RegistryEntry<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.reader.next()? {
                Ok(tlv) if tlv.tag() == Tag::new(0xE3) => return Some(Ok(RegistryEntry { tlv })),
                Ok(_) => {}
                Err(e) => return Some(Err(e.into())),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::vec::Vec;

    /// GlobalPlatform.NET (mbah-dhaim/GlobalPlatform.NET@2708d51e:
    /// test/.../GetStatusCommandTests.cs): ISD `80 F2 80 02 02 4F 00 00`,
    /// ELFs and modules with filter `A0 00`, next occurrence P2 `03`.
    #[test]
    fn globalplatform_net_vectors() {
        let v = GetStatus::new(GetStatus::ISSUER_SECURITY_DOMAIN)
            .command()
            .unwrap()
            .to_vec()
            .unwrap();
        assert_eq!(v, [0x80, 0xF2, 0x80, 0x02, 0x02, 0x4F, 0x00, 0x00]);
        let v = GetStatus::new(GetStatus::LOAD_FILES_AND_MODULES)
            .aid(&[0xA0, 0x00])
            .command()
            .unwrap()
            .to_vec()
            .unwrap();
        assert_eq!(
            v,
            [0x80, 0xF2, 0x10, 0x02, 0x04, 0x4F, 0x02, 0xA0, 0x00, 0x00]
        );
        let next = GetStatus::new(GetStatus::ISSUER_SECURITY_DOMAIN)
            .next_occurrence(StatusWord::MORE_DATA)
            .unwrap();
        let v = next.command().unwrap().to_vec().unwrap();
        assert_eq!(v, [0x80, 0xF2, 0x80, 0x03, 0x02, 0x4F, 0x00, 0x00]);
        assert!(
            GetStatus::new(0x40)
                .next_occurrence(StatusWord::SUCCESS)
                .is_none()
        );
    }

    #[test]
    fn tag_list_and_entries() {
        let v = GetStatus::new(GetStatus::APPLICATIONS)
            .aid(&[0xA0, 0x00, 0x00, 0x05, 0x59])
            .tag_list(&[0x4F, 0x9F, 0x70])
            .command()
            .unwrap()
            .to_vec()
            .unwrap();
        assert_eq!(
            v,
            [
                0x80, 0xF2, 0x40, 0x02, 0x0C, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x05, 0x59, 0x5C, 0x03,
                0x4F, 0x9F, 0x70, 0x00
            ]
        );
        // Two entries (GP table 11-36 layout), the second with a
        // non-minimal length as some cards send.
        let resp = [
            0xE3, 0x0C, 0x4F, 0x03, 0xA0, 0x00, 0x01, 0x9F, 0x70, 0x01, 0x07, 0xC5, 0x01, 0x80,
            0xE3, 0x81, 0x05, 0x4F, 0x03, 0xA0, 0x00, 0x02,
        ];
        let entries: Vec<_> = RegistryEntries::new(&resp).map(Result::unwrap).collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].aid().unwrap(), Some(&[0xA0, 0x00, 0x01][..]));
        assert_eq!(entries[0].life_cycle_state().unwrap(), Some(0x07));
        assert_eq!(entries[0].privileges().unwrap(), Some(&[0x80][..]));
        assert_eq!(entries[1].life_cycle_state().unwrap(), None);
        let mut bad = RegistryEntries::new(&resp[..20]);
        assert!(bad.next().unwrap().is_ok());
        assert!(bad.next().unwrap().is_err());
    }

    /// GET STATUS responses from GlobalPlatform.NET
    /// (mbah-dhaim/GlobalPlatform.NET@465f982f:
    /// test/GlobalPlatform.NET.Tests/ToolsTests/GetStatusResponseTests.cs).
    #[test]
    fn globalplatform_net_responses() {
        let isd = [
            0xE3, 0x11, 0x4F, 0x08, 0xA0, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x9F, 0x70,
            0x01, 0x01, 0xC5, 0x01, 0x9E,
        ];
        let e: Vec<_> = RegistryEntries::new(&isd).map(Result::unwrap).collect();
        assert_eq!(e.len(), 1);
        assert_eq!(
            e[0].aid().unwrap(),
            Some(&[0xA0, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00][..])
        );
        // OP_READY.
        assert_eq!(e[0].life_cycle_state().unwrap(), Some(0x01));
        assert_eq!(e[0].privileges().unwrap(), Some(&[0x9E][..]));

        let apps = [
            0xE3, 0x0E, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x00, 0x01, 0x9F, 0x70, 0x01, 0x07, 0xC5,
            0x01, 0x00, 0xE3, 0x0E, 0x4F, 0x05, 0xA0, 0x00, 0x00, 0x00, 0x81, 0x9F, 0x70, 0x01,
            0x07, 0xC5, 0x01, 0x80,
        ];
        let e: Vec<_> = RegistryEntries::new(&apps).map(Result::unwrap).collect();
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[1].aid().unwrap(),
            Some(&[0xA0, 0x00, 0x00, 0x00, 0x81][..])
        );
        // SELECTABLE; the second is a security domain (privilege byte 1 b8).
        assert_eq!(e[0].life_cycle_state().unwrap(), Some(0x07));
        assert_eq!(e[1].privileges().unwrap(), Some(&[0x80][..]));

        let elf = [
            0xE3, 0x17, 0x4F, 0x07, 0xA0, 0x00, 0x00, 0x00, 0x03, 0x53, 0x50, 0x9F, 0x70, 0x01,
            0x01, 0x84, 0x08, 0xA0, 0x00, 0x00, 0x00, 0x03, 0x53, 0x50, 0x41,
        ];
        let e: Vec<_> = RegistryEntries::new(&elf).map(Result::unwrap).collect();
        assert_eq!(
            e[0].find(Tag::new(0x84)).unwrap(),
            Some(&[0xA0, 0x00, 0x00, 0x00, 0x03, 0x53, 0x50, 0x41][..])
        );
    }
}
