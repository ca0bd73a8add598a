//! PE-SecurityDomain, ApplicationInstance and KeyObject (PEDefinitions
//! v3.3.1; key coding per GlobalPlatform Card Specification §11.1.8-11.1.9).

use core::fmt;

use crate::tlv::{Tag, Tlv};

use super::der::{self, Fields};
use super::{Error, ErrorKind, PeHeader, PeType, ProfileElement};

/// `ApplicationInstance` (explicitly tagged members, decoded by position:
/// the first three are all `4F`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplicationInstance<'a> {
    /// `applicationLoadPackageAID`.
    pub load_package_aid: &'a [u8],
    /// `classAID`.
    pub class_aid: &'a [u8],
    /// `instanceAID`.
    pub instance_aid: &'a [u8],
    /// `extraditeSecurityDomainAID`.
    pub extradite_security_domain_aid: Option<&'a [u8]>,
    /// `applicationPrivileges` (GP privileges, normally 3 octets).
    pub privileges: &'a [u8],
    /// `lifeCycleState` (DEFAULT `07`, SELECTABLE).
    pub life_cycle_state: u8,
    /// `applicationSpecificParametersC9`.
    pub specific_parameters: &'a [u8],
    /// `systemSpecificParameters` (`EF`) content.
    pub system_specific_parameters: Option<&'a [u8]>,
    /// `applicationParameters` (`EA`) content.
    pub application_parameters: Option<&'a [u8]>,
    /// `processData` (`30`) content: a SEQUENCE OF OCTET STRING.
    pub process_data: Option<&'a [u8]>,
    /// `controlReferenceTemplate` (`B0`) content.
    pub control_reference_template: Option<&'a [u8]>,
}

fn aid<'a>(t: &Tlv<'a>, name: &'static str) -> Result<&'a [u8], Error> {
    let v = t.value();
    if (5..=16).contains(&v.len()) {
        Ok(v)
    } else {
        Err(Error::new(ErrorKind::BadValue(name), t.value_offset()))
    }
}

impl<'a> ApplicationInstance<'a> {
    /// Decodes an ApplicationInstance from its SEQUENCE TLV.
    ///
    /// # Errors
    /// The first missing or malformed member.
    pub fn parse(tlv: &Tlv<'a>) -> Result<Self, Error> {
        let mut f = Fields::new(tlv);
        let load_package_aid = aid(
            &f.required(0x4F, "applicationLoadPackageAID")?,
            "applicationLoadPackageAID",
        )?;
        let class_aid = aid(&f.required(0x4F, "classAID")?, "classAID")?;
        let instance_aid = aid(&f.required(0x4F, "instanceAID")?, "instanceAID")?;
        let extradite_security_domain_aid = match f.optional(0x4F)? {
            Some(t) => Some(aid(&t, "extraditeSecurityDomainAID")?),
            None => None,
        };
        let privileges = f.required(0x82, "applicationPrivileges")?.value();
        let life_cycle_state = match f.optional(0x83)? {
            Some(t) => der::fixed::<1>(&t, "lifeCycleState")?[0],
            None => 0x07,
        };
        let specific_parameters = f.required(0xC9, "applicationSpecificParametersC9")?.value();
        let system_specific_parameters = f.optional(0xEF)?.map(|t| t.value());
        let application_parameters = f.optional(0xEA)?.map(|t| t.value());
        let process_data = f.optional(0x30)?.map(|t| t.value());
        let control_reference_template = f.optional(0xB0)?.map(|t| t.value());
        Ok(Self {
            load_package_aid,
            class_aid,
            instance_aid,
            extradite_security_domain_aid,
            privileges,
            life_cycle_state,
            specific_parameters,
            system_specific_parameters,
            application_parameters,
            process_data,
            control_reference_template,
        })
    }
}

/// One `keyComponents` entry. `Debug` never shows the key data.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyComponent<'a> {
    /// `keyType` (GP Table 11-16: `80` DES, `88` AES, ...).
    pub key_type: &'a [u8],
    /// `keyData` (secret).
    pub key_data: &'a [u8],
    /// `macLength` (DEFAULT 8).
    pub mac_length: u8,
}

impl fmt::Debug for KeyComponent<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyComponent")
            .field("key_type", &self.key_type)
            .field(
                "key_data",
                &format_args!("<{} bytes redacted>", self.key_data.len()),
            )
            .field("mac_length", &self.mac_length)
            .finish()
    }
}

/// `KeyObject`: one key of a security domain's keyList.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct KeyObject<'a> {
    /// `keyUsageQualifier` (GP §11.1.9, 1 or 2 octets).
    pub usage_qualifier: &'a [u8],
    /// `keyAccess` (DEFAULT `00`).
    pub access: u8,
    /// `keyIdentifier` (KID).
    pub identifier: u8,
    /// `keyVersionNumber` (KVN).
    pub version_number: u8,
    /// `keyCounterValue`.
    pub counter_value: Option<&'a [u8]>,
    components: Tlv<'a>,
}

impl<'a> KeyObject<'a> {
    /// Decodes a KeyObject from its SEQUENCE TLV.
    ///
    /// # Errors
    /// The first missing or malformed member.
    pub fn parse(tlv: &Tlv<'a>) -> Result<Self, Error> {
        let mut f = Fields::new(tlv);
        let usage_qualifier = f.required(0x95, "keyUsageQualifier")?.value();
        let access = match f.optional(0x96)? {
            Some(t) => der::fixed::<1>(&t, "keyAccess")?[0],
            None => 0,
        };
        let identifier = der::fixed::<1>(&f.required(0x82, "keyIdentifier")?, "keyIdentifier")?[0];
        let version_number =
            der::fixed::<1>(&f.required(0x83, "keyVersionNumber")?, "keyVersionNumber")?[0];
        let counter_value = f.optional(0x85)?.map(|t| t.value());
        let components = f.required(0x30, "keyComponents")?;
        let key = Self {
            usage_qualifier,
            access,
            identifier,
            version_number,
            counter_value,
            components,
        };
        let mut n = 0;
        for c in key.try_components() {
            c?;
            n += 1;
        }
        if n == 0 {
            return Err(Error::new(
                ErrorKind::MissingField("keyComponents"),
                components.value_offset(),
            ));
        }
        Ok(key)
    }

    fn try_components(&self) -> impl Iterator<Item = Result<KeyComponent<'a>, Error>> + 'a {
        self.components.children().map(|c| {
            let c = c?;
            if c.tag() != Tag::new(0x30) {
                return Err(Error::new(ErrorKind::BadValue("keyComponents"), c.offset()));
            }
            let mut f = Fields::new(&c);
            let key_type = f.required(0x80, "keyType")?.value();
            let key_data = f.required(0x86, "keyData")?.value();
            let mac_length = match f.optional(0x87)? {
                Some(t) => u8::try_from(der::uint(&t, "macLength")?)
                    .map_err(|_| Error::new(ErrorKind::BadValue("macLength"), t.value_offset()))?,
                None => 8,
            };
            Ok(KeyComponent {
                key_type,
                key_data,
                mac_length,
            })
        })
    }

    /// The key components (checked when the KeyObject was parsed).
    pub fn components(&self) -> impl Iterator<Item = KeyComponent<'a>> + 'a {
        self.try_components().filter_map(Result::ok)
    }
}

impl fmt::Debug for KeyObject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Components<'k, 'a>(&'k KeyObject<'a>);
        impl fmt::Debug for Components<'_, '_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.components()).finish()
            }
        }
        f.debug_struct("KeyObject")
            .field("usage_qualifier", &self.usage_qualifier)
            .field("access", &self.access)
            .field("identifier", &self.identifier)
            .field("version_number", &self.version_number)
            .field("counter_value", &self.counter_value)
            .field("components", &Components(self))
            .finish()
    }
}

/// `PE-SecurityDomain`: an SD instance (the ISD-P's MNO-SD in TS.48) with
/// its keys and personalisation data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecurityDomain<'a> {
    /// `sd-Header`.
    pub header: PeHeader,
    /// `instance`.
    pub instance: ApplicationInstance<'a>,
    key_list: Option<Tlv<'a>>,
    sd_perso_data: Option<Tlv<'a>>,
    /// `openPersoData` (`A4`) content.
    pub open_perso_data: Option<&'a [u8]>,
    /// `catTpParameters`: (`catTpMaxSduSize`, `catTpMaxPduSize`).
    pub cat_tp_parameters: Option<(u16, u16)>,
}

impl<'a> SecurityDomain<'a> {
    /// Decodes a `securityDomain` element.
    ///
    /// # Errors
    /// [`ErrorKind::WrongType`] or the first missing or malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        pe.expect(PeType::SECURITY_DOMAIN)?;
        let mut f = Fields::new(pe.tlv());
        let header = PeHeader::parse(&f.required(0xA0, "sd-Header")?)?;
        let instance = ApplicationInstance::parse(&f.required(0xA1, "instance")?)?;
        let key_list = f.optional(0xA2)?;
        let sd_perso_data = f.optional(0xA3)?;
        let open_perso_data = f.optional(0xA4)?.map(|t| t.value());
        let cat_tp_parameters = match f.optional(0xA5)? {
            Some(t) => {
                let mut c = Fields::new(&t);
                let u16_of = |t: Tlv<'_>, name| {
                    der::uint(&t, name).and_then(|v| {
                        u16::try_from(v)
                            .map_err(|_| Error::new(ErrorKind::BadValue(name), t.value_offset()))
                    })
                };
                let sdu = u16_of(c.required(0x80, "catTpMaxSduSize")?, "catTpMaxSduSize")?;
                let pdu = u16_of(c.required(0x81, "catTpMaxPduSize")?, "catTpMaxPduSize")?;
                Some((sdu, pdu))
            }
            None => None,
        };
        if let Some(k) = &key_list {
            for key in k.children() {
                KeyObject::parse(&key?)?;
            }
        }
        if let Some(p) = &sd_perso_data {
            for d in p.children() {
                let d = d?;
                if d.tag() != Tag::new(0x04) {
                    return Err(Error::new(ErrorKind::BadValue("sdPersoData"), d.offset()));
                }
            }
        }
        Ok(Self {
            header,
            instance,
            key_list,
            sd_perso_data,
            open_perso_data,
            cat_tp_parameters,
        })
    }

    /// The keys of `keyList` in encoding order (none when it is absent).
    pub fn keys(&self) -> impl Iterator<Item = KeyObject<'a>> + 'a {
        self.key_list
            .into_iter()
            .flat_map(|k| k.children())
            .filter_map(|k| k.ok().and_then(|k| KeyObject::parse(&k).ok()))
    }

    /// The `sdPersoData` OCTET STRINGs (STORE DATA payloads).
    pub fn sd_perso_data(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.sd_perso_data
            .into_iter()
            .flat_map(|k| k.children())
            .filter_map(|d| d.ok().map(|d| d.value()))
    }
}
