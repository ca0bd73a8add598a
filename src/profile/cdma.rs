//! PE-CDMAParameter (PEDefinitions v3.3.1): CAVE / HRPD / IP authentication
//! secrets of a CSIM. `Debug` shows which members are present, never their
//! values.

use core::fmt;

use super::der::{self, Fields};
use super::{Error, PeHeader, PeType, ProfileElement};

/// `PE-CDMAParameter`. Every member is secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CdmaParameter<'a> {
    /// `cdma-header`.
    pub header: PeHeader,
    /// `authenticationKey` (A-Key, 8 octets).
    pub authentication_key: &'a [u8; 8],
    /// `ssd` (SSD_A | SSD_B, 16 octets).
    pub ssd: Option<&'a [u8; 16]>,
    /// `hrpdAccessAuthenticationData`.
    pub hrpd_access_authentication_data: Option<&'a [u8]>,
    /// `simpleIPAuthenticationData`.
    pub simple_ip_authentication_data: Option<&'a [u8]>,
    /// `mobileIPAuthenticationData`.
    pub mobile_ip_authentication_data: Option<&'a [u8]>,
}

impl<'a> CdmaParameter<'a> {
    /// Decodes a `cdmaParameter` element.
    ///
    /// # Errors
    /// [`ErrorKind::WrongType`](super::ErrorKind::WrongType) or the first
    /// missing or malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        pe.expect(PeType::CDMA_PARAMETER)?;
        let mut f = Fields::new(pe.tlv());
        let header = PeHeader::parse(&f.required(0xA0, "cdma-header")?)?;
        let authentication_key =
            der::fixed::<8>(&f.required(0x81, "authenticationKey")?, "authenticationKey")?;
        let ssd = match f.optional(0x82)? {
            Some(t) => Some(der::fixed::<16>(&t, "ssd")?),
            None => None,
        };
        Ok(Self {
            header,
            authentication_key,
            ssd,
            hrpd_access_authentication_data: f.optional(0x83)?.map(|t| t.value()),
            simple_ip_authentication_data: f.optional(0x84)?.map(|t| t.value()),
            mobile_ip_authentication_data: f.optional(0x85)?.map(|t| t.value()),
        })
    }

    /// ASN.1 names of the members present, in encoding order.
    pub fn members(&self) -> impl Iterator<Item = &'static str> {
        [
            Some("authenticationKey"),
            self.ssd.map(|_| "ssd"),
            self.hrpd_access_authentication_data
                .map(|_| "hrpdAccessAuthenticationData"),
            self.simple_ip_authentication_data
                .map(|_| "simpleIPAuthenticationData"),
            self.mobile_ip_authentication_data
                .map(|_| "mobileIPAuthenticationData"),
        ]
        .into_iter()
        .flatten()
    }
}

impl fmt::Debug for CdmaParameter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Names<'c, 'a>(&'c CdmaParameter<'a>);
        impl fmt::Debug for Names<'_, '_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.members()).finish()
            }
        }
        f.debug_struct("CdmaParameter")
            .field("header", &self.header)
            .field("members_present", &Names(self))
            .finish_non_exhaustive()
    }
}
