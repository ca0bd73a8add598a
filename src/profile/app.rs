//! PE-Application and PE-NonStandard (PEDefinitions v3.3.1): Java Card load
//! files with their instances, and proprietary content.

use crate::tlv::{Tag, Tlv};

use super::der::{self, Fields, Oid};
use super::sd::ApplicationInstance;
use super::{Error, ErrorKind, PeHeader, PeType, ProfileElement};

/// `ApplicationLoadPackage`: a load file (explicit tags; the two AIDs are
/// both `4F` and decoded by position).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadPackage<'a> {
    /// `loadPackageAID`.
    pub load_package_aid: &'a [u8],
    /// `securityDomainAID`: the SD the package is associated with.
    pub security_domain_aid: Option<&'a [u8]>,
    /// `nonVolatileCodeLimitC6`.
    pub non_volatile_code_limit: Option<&'a [u8]>,
    /// `volatileDataLimitC7`.
    pub volatile_data_limit: Option<&'a [u8]>,
    /// `nonVolatileDataLimitC8`.
    pub non_volatile_data_limit: Option<&'a [u8]>,
    /// `hashValue` (`C1`).
    pub hash_value: Option<&'a [u8]>,
    /// `loadBlockObject` (`C4`): the CAP / IJC content.
    pub load_block_object: &'a [u8],
}

impl<'a> LoadPackage<'a> {
    fn parse(t: &Tlv<'a>) -> Result<Self, Error> {
        let mut f = Fields::new(t);
        Ok(Self {
            load_package_aid: f.required(0x4F, "loadPackageAID")?.value(),
            security_domain_aid: f.optional(0x4F)?.map(|t| t.value()),
            non_volatile_code_limit: f.optional(0xC6)?.map(|t| t.value()),
            volatile_data_limit: f.optional(0xC7)?.map(|t| t.value()),
            non_volatile_data_limit: f.optional(0xC8)?.map(|t| t.value()),
            hash_value: f.optional(0xC1)?.map(|t| t.value()),
            load_block_object: f.required(0xC4, "loadBlockObject")?.value(),
        })
    }
}

/// `PE-Application`: an optional load package and the instances to create.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Application<'a> {
    /// `app-Header`.
    pub header: PeHeader,
    /// `loadBlock`.
    pub load_block: Option<LoadPackage<'a>>,
    instances: Option<Tlv<'a>>,
}

impl<'a> Application<'a> {
    /// Decodes an `application` element.
    ///
    /// # Errors
    /// [`ErrorKind::WrongType`] or the first missing or malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        pe.expect(PeType::APPLICATION)?;
        let mut f = Fields::new(pe.tlv());
        let header = PeHeader::parse(&f.required(0xA0, "app-Header")?)?;
        let load_block = match f.optional(0xA1)? {
            Some(t) => Some(LoadPackage::parse(&t)?),
            None => None,
        };
        let instances = f.optional(0xA2)?;
        if let Some(l) = &instances {
            for i in l.children() {
                let i = i?;
                if i.tag() != Tag::new(0x30) {
                    return Err(Error::new(ErrorKind::BadValue("instanceList"), i.offset()));
                }
                ApplicationInstance::parse(&i)?;
            }
        }
        Ok(Self {
            header,
            load_block,
            instances,
        })
    }

    /// The instances of `instanceList`.
    pub fn instances(&self) -> impl Iterator<Item = ApplicationInstance<'a>> + 'a {
        self.instances
            .into_iter()
            .flat_map(|l| l.children())
            .filter_map(|i| i.ok().and_then(|i| ApplicationInstance::parse(&i).ok()))
    }
}

/// `PE-NonStandard`: content defined by the issuer named by an OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonStandard<'a> {
    /// `nonStandard-header`.
    pub header: PeHeader,
    /// `issuerID`.
    pub issuer_id: Oid<'a>,
    /// `content`.
    pub content: &'a [u8],
}

impl<'a> NonStandard<'a> {
    /// Decodes a `nonStandard` element.
    ///
    /// # Errors
    /// [`ErrorKind::WrongType`] or the first missing or malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        pe.expect(PeType::NON_STANDARD)?;
        let mut f = Fields::new(pe.tlv());
        Ok(Self {
            header: PeHeader::parse(&f.required(0xA0, "nonStandard-header")?)?,
            issuer_id: der::oid(&f.required(0x81, "issuerID")?, "issuerID")?,
            content: f.required(0x82, "content")?.value(),
        })
    }
}
