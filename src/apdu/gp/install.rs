//! INSTALL (GP Card Specification v2.3 §11.5).

use super::{CLA_GP, Error, Lv, check_aid, ins};
use crate::apdu::{Command, Header};
use crate::tlv::Encode;

/// INSTALL P1 (GP v2.3 §11.5.2).
const FOR_INSTALL: u8 = 0x04;
const FOR_MAKE_SELECTABLE: u8 = 0x08;
const FOR_PERSONALIZATION: u8 = 0x20;

/// INSTALL [for install] and, combined, [for install and make selectable]
/// (GP v2.3 §11.5.2.3): data = LV(Executable Load File AID) ‖
/// LV(Executable Module AID) ‖ LV(Application AID) ‖ LV(Privileges) ‖
/// LV(Install Parameters) ‖ LV(Install Token).
///
/// SGP.02 ES5.CreateISDP (§4.1.1.1) is this command with P1 `0C`, the
/// ISD-P ELF and module AIDs, privileges `80 C0 00` and install parameters
/// `C9 04 81 02 03 70`.
#[derive(Debug, Clone, Copy)]
pub struct InstallForInstall<'a> {
    elf_aid: &'a [u8],
    module_aid: &'a [u8],
    application_aid: &'a [u8],
    privileges: &'a [u8],
    parameters: &'a [u8],
    token: &'a [u8],
    make_selectable: bool,
    le: bool,
}

impl<'a> InstallForInstall<'a> {
    /// Install `module_aid` of `elf_aid` as `application_aid`, with empty
    /// privileges, parameters and token, P1 `04`, no Le.
    pub const fn new(elf_aid: &'a [u8], module_aid: &'a [u8], application_aid: &'a [u8]) -> Self {
        Self {
            elf_aid,
            module_aid,
            application_aid,
            privileges: &[],
            parameters: &[],
            token: &[],
            make_selectable: false,
            le: false,
        }
    }

    /// Privileges (1 or 3 octets, GP v2.3 §11.1.2).
    pub const fn privileges(self, privileges: &'a [u8]) -> Self {
        Self { privileges, ..self }
    }

    /// Install parameters (the whole `C9`/`EF`/`C7`… field).
    pub const fn parameters(self, parameters: &'a [u8]) -> Self {
        Self { parameters, ..self }
    }

    /// Install token (empty when none).
    pub const fn token(self, token: &'a [u8]) -> Self {
        Self { token, ..self }
    }

    /// Also make the application selectable (P1 `0C`).
    pub const fn make_selectable(self, yes: bool) -> Self {
        Self {
            make_selectable: yes,
            ..self
        }
    }

    /// Append Le `00` (GP lists it; SGP.02 implementations omit it).
    pub const fn with_le(self, yes: bool) -> Self {
        Self { le: yes, ..self }
    }

    /// The command.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an AID over 16 octets or a field over 255.
    pub fn command(&self) -> Result<Command<impl Encode + 'a>, Error> {
        check_aid(self.elf_aid, "Executable Load File AID")?;
        check_aid(self.module_aid, "Executable Module AID")?;
        check_aid(self.application_aid, "Application AID")?;
        let data = (
            Lv(self.elf_aid),
            Lv(self.module_aid),
            Lv(self.application_aid),
            Lv::checked(self.privileges, "privileges")?,
            Lv::checked(self.parameters, "install parameters")?,
            Lv::checked(self.token, "install token")?,
        );
        let p1 = if self.make_selectable {
            FOR_INSTALL | FOR_MAKE_SELECTABLE
        } else {
            FOR_INSTALL
        };
        let cmd = Command::with_data(Header::new(CLA_GP, ins::INSTALL, p1, 0x00), data)?;
        if self.le { cmd.with_le(256) } else { Ok(cmd) }
    }
}

/// INSTALL [for make selectable] (GP v2.3 §11.5.2.3):
/// data = `00 00` ‖ LV(Application AID) ‖ LV(Privileges) ‖
/// LV(Make Selectable Parameters) ‖ LV(Token).
#[derive(Debug, Clone, Copy)]
pub struct InstallForMakeSelectable<'a> {
    application_aid: &'a [u8],
    privileges: &'a [u8],
    parameters: &'a [u8],
    token: &'a [u8],
}

impl<'a> InstallForMakeSelectable<'a> {
    /// Make `application_aid` selectable (empty privileges, parameters, token).
    pub const fn new(application_aid: &'a [u8]) -> Self {
        Self {
            application_aid,
            privileges: &[],
            parameters: &[],
            token: &[],
        }
    }

    /// Privileges.
    pub const fn privileges(self, privileges: &'a [u8]) -> Self {
        Self { privileges, ..self }
    }

    /// Make selectable parameters.
    pub const fn parameters(self, parameters: &'a [u8]) -> Self {
        Self { parameters, ..self }
    }

    /// Token.
    pub const fn token(self, token: &'a [u8]) -> Self {
        Self { token, ..self }
    }

    /// The command (no Le).
    ///
    /// # Errors
    /// [`Error::Invalid`] for an AID over 16 octets or a field over 255.
    pub fn command(&self) -> Result<Command<impl Encode + 'a>, Error> {
        check_aid(self.application_aid, "Application AID")?;
        let data = (
            [0u8, 0u8],
            Lv(self.application_aid),
            Lv::checked(self.privileges, "privileges")?,
            Lv::checked(self.parameters, "make selectable parameters")?,
            Lv::checked(self.token, "token")?,
        );
        Command::with_data(
            Header::new(CLA_GP, ins::INSTALL, FOR_MAKE_SELECTABLE, 0x00),
            data,
        )
    }
}

/// INSTALL [for personalization] (GP v2.3 §11.5.2.3.6, table 11-47):
/// data = `00 00` ‖ LV(Application AID) ‖ `00 00 00`. It routes the
/// following STORE DATA commands to that application through its security
/// domain (SGP.02 §4.1.3.1 uses it before ISD-P key establishment).
#[derive(Debug, Clone, Copy)]
pub struct InstallForPersonalization<'a> {
    application_aid: &'a [u8],
    le: bool,
}

impl<'a> InstallForPersonalization<'a> {
    /// Personalize `application_aid` (no Le).
    pub const fn new(application_aid: &'a [u8]) -> Self {
        Self {
            application_aid,
            le: false,
        }
    }

    /// Append Le `00` (GP lists it; njiwa omits it, pySim sends it).
    pub const fn with_le(self, yes: bool) -> Self {
        Self { le: yes, ..self }
    }

    /// The command.
    ///
    /// # Errors
    /// [`Error::Invalid`] for an AID over 16 octets.
    pub fn command(&self) -> Result<Command<impl Encode + 'a>, Error> {
        check_aid(self.application_aid, "Application AID")?;
        let cmd = Command::with_data(
            Header::new(CLA_GP, ins::INSTALL, FOR_PERSONALIZATION, 0x00),
            ([0u8, 0u8], Lv(self.application_aid), [0u8, 0u8, 0u8]),
        )?;
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

    /// ES5.CreateISDP from whty's SM-SR test code (`HexTest`, quoted in
    /// shared/reference/sgp02.md §1.1; repository name not resolvable),
    /// ISD-P `A0000005591010FFFFFFFF8900001300`.
    #[test]
    fn create_isdp_whty() {
        let elf = hex("A0000005591010FFFFFFFF8900000D00");
        let module = hex("A0000005591010FFFFFFFF8900000E00");
        let isdp = hex("A0000005591010FFFFFFFF8900001300");
        let cmd = InstallForInstall::new(&elf, &module, &isdp)
            .privileges(&[0x80, 0xC0, 0x00])
            .parameters(&[0xC9, 0x04, 0x81, 0x02, 0x03, 0x70])
            .make_selectable(true)
            .command()
            .unwrap();
        let want = hex(
            "80E60C003F10A0000005591010FFFFFFFF8900000D0010A0000005591010FFFFFFFF8900000E00\
             10A0000005591010FFFFFFFF89000013000380C00006C9048102037000",
        );
        assert_eq!(cmd.to_vec().unwrap(), want);
    }

    /// The cases of GlobalPlatform.NET
    /// (mbah-dhaim/GlobalPlatform.NET@33343f0a:
    /// test/GlobalPlatform.NET.Tests/CommandBuilderTests/InstallCommandTests.cs,
    /// `Install_For_Install`, `Install_For_MakeSelectable`,
    /// `Install_For_Personalization`; AIDs, parameters `C9 00` and token
    /// `11 11 11 11` from its CommandTestsBase.cs, Le `00`). Their
    /// `Privileges.Empty` could not be read at that commit, so privileges
    /// are empty (LV `00`) here; the personalization case is exact.
    #[test]
    fn globalplatform_net_vectors() {
        let (elf, module, app) = ([0xAA; 8], [0xBB; 8], [0xFF; 8]);
        let token = [0x11; 4];
        let params = [0xC9, 0x00];
        let cmd = InstallForInstall::new(&elf, &module, &app)
            .parameters(&params)
            .token(&token)
            .with_le(true)
            .command()
            .unwrap();
        let mut want = hex("80E6040024");
        for part in [
            &elf[..],
            &module[..],
            &app[..],
            &[][..],
            &params[..],
            &token[..],
        ] {
            want.push(part.len() as u8);
            want.extend_from_slice(part);
        }
        want.push(0x00);
        assert_eq!(cmd.to_vec().unwrap(), want);

        let cmd = InstallForMakeSelectable::new(&app)
            .parameters(&params)
            .token(&token)
            .command()
            .unwrap();
        assert_eq!(
            cmd.to_vec().unwrap(),
            hex("80E6080014000008FFFFFFFFFFFFFFFF0002C9000411111111")
        );

        let cmd = InstallForPersonalization::new(&app).command().unwrap();
        assert_eq!(
            cmd.to_vec().unwrap(),
            hex("80E620000E000008FFFFFFFFFFFFFFFF000000")
        );
    }

    /// njiwa (bagyenda/njiwa, per shared/reference/sgp02.md §1.7):
    /// `80 E6 20 00` with `00 00 10 <ISD-P AID> 00 00 00`.
    #[test]
    fn personalization_for_isdp() {
        let isdp = hex("A0000005591010FFFFFFFF8900001000");
        let cmd = InstallForPersonalization::new(&isdp).command().unwrap();
        assert_eq!(
            cmd.to_vec().unwrap(),
            hex("80E62000160000 10A0000005591010FFFFFFFF8900001000 000000"
                .replace(' ', "")
                .as_str())
        );
    }

    #[test]
    fn rejects_long_fields() {
        let long = [0u8; 17];
        assert!(InstallForInstall::new(&long, &[], &[]).command().is_err());
        let huge = [0u8; 256];
        assert!(
            InstallForInstall::new(&[], &[], &[])
                .parameters(&huge)
                .command()
                .is_err()
        );
    }
}
