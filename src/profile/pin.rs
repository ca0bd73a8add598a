//! PE-PINCodes and PE-PUKCodes (PEDefinitions v3.3.1; key references per
//! ETSI TS 102 221 §9.5.1). `Debug` never shows PIN or PUK values.

use core::fmt;

use crate::tlv::{Tag, Tlv};

use super::der::{self, Fields};
use super::{Error, ErrorKind, PeHeader, PeType, ProfileElement};

fn u8_of(t: &Tlv<'_>, name: &'static str) -> Result<u8, Error> {
    u8::try_from(der::uint(t, name)?)
        .map_err(|_| Error::new(ErrorKind::BadValue(name), t.value_offset()))
}

/// `PINConfiguration`, DEFAULTs filled in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PinConfiguration<'a> {
    /// `keyReference` (1-8 PIN, 10-14 and 138-142 ADM, 129-136 second PIN).
    pub key_reference: u8,
    /// `pinValue` (8 octets, ASCII digits padded with `FF`; secret).
    pub pin_value: &'a [u8; 8],
    /// `unblockingPINReference`: the PUK key reference.
    pub unblocking_reference: Option<u8>,
    /// `pinAttributes` (DEFAULT 7).
    pub pin_attributes: u8,
    /// `maxNumOfAttemps-retryNumLeft` (DEFAULT 51 = `33`: 3 attempts, 3 left).
    pub max_attempts_retry_left: u8,
}

impl fmt::Debug for PinConfiguration<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinConfiguration")
            .field("key_reference", &self.key_reference)
            .field("pin_value", &"<redacted>")
            .field("unblocking_reference", &self.unblocking_reference)
            .field("pin_attributes", &self.pin_attributes)
            .field("max_attempts_retry_left", &self.max_attempts_retry_left)
            .finish()
    }
}

impl<'a> PinConfiguration<'a> {
    fn parse(t: &Tlv<'a>) -> Result<Self, Error> {
        if t.tag() != Tag::new(0x30) {
            return Err(Error::new(ErrorKind::BadValue("pinconfig"), t.offset()));
        }
        let mut f = Fields::new(t);
        let key_reference = u8_of(&f.required(0x80, "keyReference")?, "keyReference")?;
        let pin_value = der::fixed::<8>(&f.required(0x81, "pinValue")?, "pinValue")?;
        let unblocking_reference = match f.optional(0x82)? {
            Some(t) => Some(u8_of(&t, "unblockingPINReference")?),
            None => None,
        };
        let pin_attributes = match f.optional(0x83)? {
            Some(t) => u8_of(&t, "pinAttributes")?,
            None => 7,
        };
        let max_attempts_retry_left = match f.optional(0x84)? {
            Some(t) => u8_of(&t, "maxNumOfAttemps-retryNumLeft")?,
            None => 51,
        };
        Ok(Self {
            key_reference,
            pin_value,
            unblocking_reference,
            pin_attributes,
            max_attempts_retry_left,
        })
    }
}

/// `PE-PINCodes`: either PIN definitions or a path to share them from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinCodes<'a> {
    /// `pin-Header`.
    pub header: PeHeader,
    configs: Option<Tlv<'a>>,
    /// `filePath` alternative: the DF/ADF whose PINs are shared.
    pub file_path: Option<&'a [u8]>,
}

impl<'a> PinCodes<'a> {
    /// Decodes a `pinCodes` element.
    ///
    /// # Errors
    /// [`ErrorKind::WrongType`] or the first missing or malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        pe.expect(PeType::PIN_CODES)?;
        let mut f = Fields::new(pe.tlv());
        let header = PeHeader::parse(&f.required(0xA0, "pin-Header")?)?;
        let choice = f.required(0xA1, "pinCodes")?;
        let mut c = Fields::new(&choice);
        let (configs, file_path) = match c.next_any()? {
            Some(t) if t.tag() == Tag::new(0xA0) => {
                for p in t.children() {
                    PinConfiguration::parse(&p?)?;
                }
                (Some(t), None)
            }
            Some(t) if t.tag() == Tag::new(0x81) => (None, Some(t.value())),
            _ => {
                return Err(Error::new(
                    ErrorKind::BadValue("pinCodes"),
                    choice.value_offset(),
                ));
            }
        };
        Ok(Self {
            header,
            configs,
            file_path,
        })
    }

    /// The PIN configurations (none for the `filePath` alternative).
    pub fn configs(&self) -> impl Iterator<Item = PinConfiguration<'a>> + 'a {
        self.configs
            .into_iter()
            .flat_map(|c| c.children())
            .filter_map(|p| p.ok().and_then(|p| PinConfiguration::parse(&p).ok()))
    }
}

/// `PUKConfiguration`, DEFAULT filled in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PukConfiguration<'a> {
    /// `keyReference` (1-8, 129-136).
    pub key_reference: u8,
    /// `pukValue` (secret).
    pub puk_value: &'a [u8; 8],
    /// `maxNumOfAttemps-retryNumLeft` (DEFAULT 170 = `AA`).
    pub max_attempts_retry_left: u8,
}

impl fmt::Debug for PukConfiguration<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PukConfiguration")
            .field("key_reference", &self.key_reference)
            .field("puk_value", &"<redacted>")
            .field("max_attempts_retry_left", &self.max_attempts_retry_left)
            .finish()
    }
}

impl<'a> PukConfiguration<'a> {
    fn parse(t: &Tlv<'a>) -> Result<Self, Error> {
        if t.tag() != Tag::new(0x30) {
            return Err(Error::new(ErrorKind::BadValue("pukCodes"), t.offset()));
        }
        let mut f = Fields::new(t);
        let key_reference = u8_of(&f.required(0x80, "keyReference")?, "keyReference")?;
        let puk_value = der::fixed::<8>(&f.required(0x81, "pukValue")?, "pukValue")?;
        let max_attempts_retry_left = match f.optional(0x82)? {
            Some(t) => u8_of(&t, "maxNumOfAttemps-retryNumLeft")?,
            None => 170,
        };
        Ok(Self {
            key_reference,
            puk_value,
            max_attempts_retry_left,
        })
    }
}

/// `PE-PUKCodes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PukCodes<'a> {
    /// `puk-Header`.
    pub header: PeHeader,
    codes: Tlv<'a>,
}

impl<'a> PukCodes<'a> {
    /// Decodes a `pukCodes` element.
    ///
    /// # Errors
    /// [`ErrorKind::WrongType`] or the first missing or malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        pe.expect(PeType::PUK_CODES)?;
        let mut f = Fields::new(pe.tlv());
        let header = PeHeader::parse(&f.required(0xA0, "puk-Header")?)?;
        let codes = f.required(0xA1, "pukCodes")?;
        for p in codes.children() {
            PukConfiguration::parse(&p?)?;
        }
        Ok(Self { header, codes })
    }

    /// The PUK configurations.
    pub fn configs(&self) -> impl Iterator<Item = PukConfiguration<'a>> + 'a {
        self.codes
            .children()
            .filter_map(|p| p.ok().and_then(|p| PukConfiguration::parse(&p).ok()))
    }
}
