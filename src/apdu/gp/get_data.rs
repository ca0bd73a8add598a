//! GET DATA (GP Card Specification v2.3 §11.3).

use super::{CLA_GP, Error, ins};
use crate::apdu::{Command, Header};

/// GET DATA (GP v2.3 §11.3.2): P1 P2 = the tag of the data
/// object (a one-octet tag goes in P2 with P1 `00`), optional command data
/// (e.g. a `5C` tag list), Le `00`.
///
/// SGP.02 uses it for the EID (`5A` on the ECASD), the Extended Card
/// Resources Information (`FF21`, ES5.eUICCCapabilityAudit) and the SCP81
/// parameters (`85`).
#[derive(Debug, Clone, Copy)]
pub struct GetData<'a> {
    tag: u16,
    data: &'a [u8],
    cla: u8,
}

impl<'a> GetData<'a> {
    /// GET DATA for the data object `tag` (`0x5A`, `0xFF21`, `0xBF30`, ...).
    pub const fn tag(tag: u16) -> Self {
        Self {
            tag,
            data: &[],
            cla: CLA_GP,
        }
    }

    /// Command data (e.g. `5C 02 7F 21`).
    pub const fn data(self, data: &'a [u8]) -> Self {
        Self { data, ..self }
    }

    /// The class byte (`00` for the ISO inter-industry form).
    pub const fn cla(self, cla: u8) -> Self {
        Self { cla, ..self }
    }

    /// The command (case 2, or case 4 with data).
    ///
    /// # Errors
    /// [`Error::DataTooLong`] for data over 65,535 octets.
    pub fn command(&self) -> Result<Command<&'a [u8]>, Error> {
        let [p1, p2] = self.tag.to_be_bytes();
        Command::with_data(Header::new(self.cla, ins::GET_DATA, p1, p2), self.data)?.with_le(256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::Encode;

    /// GlobalPlatform.NET (mbah-dhaim/GlobalPlatform.NET@33343f0a:
    /// test/.../GetDataCommandTests.cs `GetData_Key_Information_Template`:
    /// `80 CA 00 E0 00`; `GetData_List_Applications`: P1P2 `2F00`, data
    /// `5C 00`, Le 00) and SGP.02 `80 CA FF 21` (sgp02.md §1.5, njiwa and
    /// pySim) / `80 CA 00 85 00` (scp80-scp81.md §5.4, live card trace).
    #[test]
    fn vectors() {
        let v = GetData::tag(0xE0).command().unwrap().to_vec().unwrap();
        assert_eq!(v, [0x80, 0xCA, 0x00, 0xE0, 0x00]);
        let v = GetData::tag(0x2F00)
            .data(&[0x5C, 0x00])
            .command()
            .unwrap()
            .to_vec()
            .unwrap();
        assert_eq!(v, [0x80, 0xCA, 0x2F, 0x00, 0x02, 0x5C, 0x00, 0x00]);
        let v = GetData::tag(0xFF21).command().unwrap().to_vec().unwrap();
        assert_eq!(v, [0x80, 0xCA, 0xFF, 0x21, 0x00]);
        let v = GetData::tag(0x85).command().unwrap().to_vec().unwrap();
        assert_eq!(v, [0x80, 0xCA, 0x00, 0x85, 0x00]);
        let v = GetData::tag(0x5A)
            .cla(0x00)
            .command()
            .unwrap()
            .to_vec()
            .unwrap();
        assert_eq!(v, [0x00, 0xCA, 0x00, 0x5A, 0x00]);
    }
}
