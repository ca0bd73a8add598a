//! The key agreement control reference template `A6` of scenario #3,
//! carried in DGI `3A02` (GP Card Specification Amendment A §3.8 /
//! Amendment E; SGP.02 §4.1.3.1). Layout as njiwa `makeA6CRT` writes it:
//! `90 02 03 <parameters>`, `95` key usage qualifier, optional `96` key
//! access, `80` key type, `81` key length, `82` key identifier, `83` key
//! version, optional `91` initial counter, optional `45` SDIN and `84`
//! HostID.

use heapless::Vec;

use super::{Error, read, tags};
use crate::crypto::ecka::KeyUsageQualifier;
use crate::tlv::{self, Buffer, Encode, Reader, Tag};

/// Scenario identifier of ECKA-EG key establishment with the ECASD.
pub const SCENARIO_3: u8 = 0x03;
/// Longest SDIN / HostID / initial counter this crate keeps.
pub const MAX_FIELD: usize = 16;

/// The scenario #3 parameters (second octet of tag `90`; njiwa
/// `ECKeyAgreementEG`). An open bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScenarioParameters(pub u8);

impl ScenarioParameters {
    /// `01`: delete the existing keys of the security domain.
    pub const DELETE_KEYS: Self = Self(0x01);
    /// `02`: the card's derivation random DR enters the derivation.
    pub const INCLUDE_DR: Self = Self(0x02);
    /// `04`: HostID (and SDIN) are present and enter the derivation.
    pub const HOST_ID: Self = Self(0x04);
    /// `08`: certificate verification precedes the key agreement.
    pub const CERTIFICATE_FIRST: Self = Self(0x08);

    /// `true` when every bit of `other` is set.
    #[must_use]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

/// A variable field of the CRT (up to [`MAX_FIELD`] octets).
pub type Field = Vec<u8, MAX_FIELD>;

/// The key agreement CRT `A6`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAgreementCrt {
    /// Scenario parameters (the scenario identifier is always `03`).
    pub parameters: ScenarioParameters,
    /// Key usage qualifier: `10` SCP03 key set, `5C` one key.
    pub key_usage: KeyUsageQualifier,
    /// Key access (tag `96`), when present.
    pub key_access: Option<u8>,
    /// Key type: `88` = AES.
    pub key_type: u8,
    /// Length of each key: 16, 24 or 32.
    pub key_length: u8,
    /// Key identifier of the first key.
    pub key_id: u8,
    /// Key version number (KVN) of the new key set.
    pub key_version: u8,
    /// Initial counter (tag `91`); njiwa sends it empty.
    pub initial_counter: Option<Field>,
    /// SDIN (tag `45`), with HostID when [`ScenarioParameters::HOST_ID`].
    pub sdin: Option<Field>,
    /// HostID (tag `84`).
    pub host_id: Option<Field>,
}

fn field(t: &tlv::Tlv<'_>, what: &'static str) -> Result<Field, Error> {
    Vec::from_slice(t.value()).map_err(|_| Error::FieldLength {
        what,
        len: t.value().len(),
        offset: t.value_offset(),
    })
}

fn opt_field(r: &mut Reader<'_>, tag: Tag, what: &'static str) -> Result<Option<Field>, Error> {
    read::optional(r, tag)?.map(|t| field(&t, what)).transpose()
}

impl KeyAgreementCrt {
    /// Parses the `A6` TLV that must cover all of `input` (offsets in
    /// errors count from `base`).
    ///
    /// # Errors
    /// A malformed TLV, a tag out of order, a scenario other than `03`,
    /// a field of the wrong size, or trailing data.
    pub fn parse(input: &[u8], base: usize) -> Result<Self, Error> {
        let mut outer = Reader::with_base(input, base, tlv::Options::strict());
        let a6 = read::expect(&mut outer, tags::CRT_KEY_AGREEMENT)?;
        read::end(&mut outer)?;
        let mut r = a6.children();
        let scenario = read::expect(&mut r, tags::SCENARIO)?;
        let [id, parameters] = read::fixed::<2>(&scenario, "scenario")?;
        if id != SCENARIO_3 {
            return Err(Error::FieldValue {
                what: "scenario identifier",
                offset: scenario.value_offset(),
            });
        }
        let key_usage = read::byte(&read::expect(&mut r, tags::KEY_USAGE)?, "key usage")?;
        let key_access = read::optional(&mut r, tags::KEY_ACCESS)?
            .map(|t| read::byte(&t, "key access"))
            .transpose()?;
        let crt = Self {
            parameters: ScenarioParameters(parameters),
            key_usage: KeyUsageQualifier(key_usage),
            key_access,
            key_type: read::byte(&read::expect(&mut r, tags::KEY_TYPE)?, "key type")?,
            key_length: read::byte(&read::expect(&mut r, tags::KEY_LENGTH)?, "key length")?,
            key_id: read::byte(&read::expect(&mut r, tags::KEY_ID)?, "key identifier")?,
            key_version: read::byte(&read::expect(&mut r, tags::KEY_VERSION)?, "key version")?,
            initial_counter: opt_field(&mut r, tags::INITIAL_COUNTER, "initial counter")?,
            sdin: opt_field(&mut r, tags::SDIN, "SDIN")?,
            host_id: opt_field(&mut r, tags::HOST_ID, "HostID")?,
        };
        read::end(&mut r)?;
        Ok(crt)
    }

    fn parts(&self) -> impl Encode + '_ {
        fn opt(tag: Tag, v: &Option<Field>) -> Option<tlv::TlvEncoder<&[u8]>> {
            v.as_ref().map(|f| tlv::tlv(tag, &f[..]))
        }
        let one = |tag, v: u8| tlv::tlv(tag, [v]);
        tlv::tlv(
            tags::CRT_KEY_AGREEMENT,
            (
                (
                    tlv::tlv(tags::SCENARIO, [SCENARIO_3, self.parameters.0]),
                    one(tags::KEY_USAGE, self.key_usage.0),
                    self.key_access.map(|a| one(tags::KEY_ACCESS, a)),
                    one(tags::KEY_TYPE, self.key_type),
                    one(tags::KEY_LENGTH, self.key_length),
                ),
                (
                    one(tags::KEY_ID, self.key_id),
                    one(tags::KEY_VERSION, self.key_version),
                    opt(tags::INITIAL_COUNTER, &self.initial_counter),
                    opt(tags::SDIN, &self.sdin),
                    opt(tags::HOST_ID, &self.host_id),
                ),
            ),
        )
    }

    /// Octets [`KeyAgreementCrt::emit`] writes.
    #[must_use]
    pub fn buffer_len(&self) -> usize {
        self.parts().encoded_len()
    }

    /// Writes the `A6` TLV at the start of `out`; returns its length.
    ///
    /// # Errors
    /// [`tlv::ErrorKind::BufferTooSmall`] when `out` is too short.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        Ok(self.parts().encode_to_slice(out)?.len())
    }
}

impl Encode for KeyAgreementCrt {
    fn encoded_len(&self) -> usize {
        self.buffer_len()
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        self.parts().encode(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;

    /// The CRT njiwa `makeA6CRT` writes for an ISD-P SCP03 key set with
    /// HostID / SDIN (`90 02 03 0E`, `95 01 10`, `80 01 88`, `81 01 20`,
    /// `82 01 01`, `83 01 30`, `91 00`, `45`, `84`); the same bytes feed
    /// the Python cross-check of `crypto::ecka`.
    pub(crate) fn sample() -> KeyAgreementCrt {
        KeyAgreementCrt {
            parameters: ScenarioParameters(0x0E),
            key_usage: KeyUsageQualifier::SCP03_KEY_SET,
            key_access: None,
            key_type: 0x88,
            key_length: 32,
            key_id: 1,
            key_version: 0x30,
            initial_counter: Some(Vec::new()),
            sdin: Some(Vec::from_slice(&[1, 2, 3, 4, 5]).unwrap()),
            host_id: Some(Vec::from_slice(&[0x84, 1, 2, 3, 4, 5, 6, 7]).unwrap()),
        }
    }

    #[test]
    fn njiwa_layout_round_trip() {
        let crt = sample();
        let mut buf = [0u8; 64];
        let n = crt.emit(&mut buf).unwrap();
        assert_eq!(n, crt.buffer_len());
        assert_eq!(
            hex::encode(&buf[..n]),
            "a6269002030e95011080018881012082010183013091004505010203040584088401020304050607"
        );
        assert_eq!(KeyAgreementCrt::parse(&buf[..n], 0).unwrap(), crt);
        assert!(crt.parameters.contains(ScenarioParameters::INCLUDE_DR));
    }

    #[test]
    fn refusals() {
        let bytes = sample().to_vec().unwrap();
        // Scenario 02 is not scenario #3.
        let mut b = bytes.clone();
        b[4] = 0x02;
        assert!(matches!(
            KeyAgreementCrt::parse(&b, 0),
            Err(Error::FieldValue { offset: 4, .. })
        ));
        // Tags out of order: swap 80 and 81.
        let mut b = bytes.clone();
        b[9] = 0x81;
        b[12] = 0x80;
        assert!(matches!(
            KeyAgreementCrt::parse(&b, 0),
            Err(Error::MissingTag { .. })
        ));
        // Truncated, trailing data, wrong outer tag.
        assert!(KeyAgreementCrt::parse(&bytes[..bytes.len() - 1], 0).is_err());
        let mut b = bytes.clone();
        b.push(0x00);
        assert!(KeyAgreementCrt::parse(&b, 0).is_err());
        let mut b = bytes;
        b[0] = 0xA7;
        assert!(KeyAgreementCrt::parse(&b, 0).is_err());
    }
}
