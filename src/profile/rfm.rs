//! PE-RFM: a Remote File Management instance (ETSI TS 102 226) and its
//! access parameters (PEDefinitions v3.3.1).

use crate::tlv::{Tag, Tlv};

use super::der::{self, Fields};
use super::{Error, ErrorKind, PeHeader, PeType, ProfileElement};

/// `ADFRFMAccess`: the ADF selected by default in this RFM instance's scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdfRfmAccess<'a> {
    /// `adfAID`.
    pub adf_aid: &'a [u8],
    /// `adfAccessDomain`.
    pub access_domain: &'a [u8],
    /// `adfAdminAccessDomain`.
    pub admin_access_domain: &'a [u8],
}

/// `PE-RFM`. Its members carry explicit tags that repeat (`rfm-header` and
/// `tarList` are both `A0`; `instanceAID` and `securityDomainAID` both `4F`;
/// both access domains `04`), so they are decoded by position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rfm<'a> {
    /// `rfm-header`.
    pub header: PeHeader,
    /// `instanceAID`.
    pub instance_aid: &'a [u8],
    /// `securityDomainAID`.
    pub security_domain_aid: Option<&'a [u8]>,
    tar_list: Option<Tlv<'a>>,
    /// `minimumSecurityLevel` (ETSI TS 102 226 §8.2.1.3.2.4.2 MSL).
    pub minimum_security_level: u8,
    /// `uiccAccessDomain`.
    pub uicc_access_domain: &'a [u8],
    /// `uiccAdminAccessDomain`.
    pub uicc_admin_access_domain: &'a [u8],
    /// `adfRFMAccess`.
    pub adf_rfm_access: Option<AdfRfmAccess<'a>>,
}

impl<'a> Rfm<'a> {
    /// Decodes an `rfm` element.
    ///
    /// # Errors
    /// [`ErrorKind::WrongType`] or the first missing or malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        pe.expect(PeType::RFM)?;
        let mut f = Fields::new(pe.tlv());
        let header = PeHeader::parse(&f.required(0xA0, "rfm-header")?)?;
        let instance_aid = f.required(0x4F, "instanceAID")?.value();
        let security_domain_aid = f.optional(0x4F)?.map(|t| t.value());
        let tar_list = f.optional(0xA0)?;
        if let Some(l) = &tar_list {
            for t in l.children() {
                let t = t?;
                if t.tag() != Tag::new(0x04) {
                    return Err(Error::new(ErrorKind::BadValue("tarList"), t.offset()));
                }
                der::fixed::<3>(&t, "tarList")?;
            }
        }
        let minimum_security_level = der::fixed::<1>(
            &f.required(0x81, "minimumSecurityLevel")?,
            "minimumSecurityLevel",
        )?[0];
        let uicc_access_domain = f.required(0x04, "uiccAccessDomain")?.value();
        let uicc_admin_access_domain = f.required(0x04, "uiccAdminAccessDomain")?.value();
        let adf_rfm_access = match f.optional(0x30)? {
            Some(t) => {
                let mut a = Fields::new(&t);
                Some(AdfRfmAccess {
                    adf_aid: a.required(0x80, "adfAID")?.value(),
                    access_domain: a.required(0x81, "adfAccessDomain")?.value(),
                    admin_access_domain: a.required(0x82, "adfAdminAccessDomain")?.value(),
                })
            }
            None => None,
        };
        Ok(Self {
            header,
            instance_aid,
            security_domain_aid,
            tar_list,
            minimum_security_level,
            uicc_access_domain,
            uicc_admin_access_domain,
            adf_rfm_access,
        })
    }

    /// The TARs of `tarList` (3 octets each; none when it is absent, in
    /// which case ETSI TS 102 226 derives the TAR from the instance AID).
    pub fn tars(&self) -> impl Iterator<Item = [u8; 3]> + 'a {
        self.tar_list
            .into_iter()
            .flat_map(|l| l.children())
            .filter_map(|t| t.ok().and_then(|t| t.value().try_into().ok()))
    }
}
