//! PE-AKAParameter (PEDefinitions v3.3.1): the network authentication
//! algorithm of a NAA. `Debug` never shows key material.

use core::fmt;

use crate::tlv::{Tag, Tlv};

use super::der::{self, Fields};
use super::{Error, ErrorKind, PeHeader, PeType, ProfileElement};

/// `rotationConstants` DEFAULT `'4000204060'H` (Milenage r1..r5).
pub const DEFAULT_ROTATION_CONSTANTS: [u8; 5] = [0x40, 0x00, 0x20, 0x40, 0x60];

/// `xoringConstants` DEFAULT: Milenage c1..c5 = 0, 1, 2, 4, 8 (16 octets
/// each).
pub const DEFAULT_XORING_CONSTANTS: [u8; 80] = {
    let mut c = [0u8; 80];
    c[31] = 1;
    c[47] = 2;
    c[63] = 4;
    c[79] = 8;
    c
};

/// `sqnDelta` and `sqnAgeLimit` DEFAULT `'000010000000'H`.
pub const DEFAULT_SQN_DELTA: [u8; 6] = [0x00, 0x00, 0x10, 0x00, 0x00, 0x00];

/// `MappingParameter`: reuse the algorithm of another NAA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappingParameter<'a> {
    /// `mappingOptions`.
    pub options: u8,
    /// `mappingSource`: the AID whose parameters are shared.
    pub source: &'a [u8],
}

/// `AlgoParameter`, DEFAULTs filled in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AlgoParameter<'a> {
    /// `algorithmID`: 1 milenage, 2 tuak, 3 usim-test-algorithm.
    pub algorithm_id: u32,
    /// `algorithmOptions`.
    pub options: u8,
    /// `key` (K; secret).
    pub key: &'a [u8],
    /// `opc` (OPc / TOPc; secret).
    pub opc: &'a [u8],
    /// `rotationConstants`.
    pub rotation_constants: [u8; 5],
    /// `xoringConstants`.
    pub xoring_constants: [u8; 80],
    /// `authCounterMax`.
    pub auth_counter_max: Option<[u8; 3]>,
    /// `numberOfKeccak` (DEFAULT 1).
    pub number_of_keccak: u8,
}

impl AlgoParameter<'_> {
    /// ASN.1 name of the algorithm (`"milenage"`, `"tuak"`,
    /// `"usim-test-algorithm"`).
    pub fn algorithm_name(&self) -> Option<&'static str> {
        match self.algorithm_id {
            1 => Some("milenage"),
            2 => Some("tuak"),
            3 => Some("usim-test-algorithm"),
            _ => None,
        }
    }
}

impl fmt::Debug for AlgoParameter<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlgoParameter")
            .field("algorithm_id", &self.algorithm_id)
            .field("options", &self.options)
            .field("key", &format_args!("<{} bytes redacted>", self.key.len()))
            .field("opc", &format_args!("<{} bytes redacted>", self.opc.len()))
            .field("auth_counter_max", &self.auth_counter_max)
            .field("number_of_keccak", &self.number_of_keccak)
            .finish_non_exhaustive()
    }
}

/// `algoConfiguration` CHOICE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgoConfiguration<'a> {
    /// `mappingParameter`.
    Mapping(MappingParameter<'a>),
    /// `algoParameter`.
    Algo(AlgoParameter<'a>),
}

/// `PE-AKAParameter`, DEFAULTs filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AkaParameter<'a> {
    /// `aka-header`.
    pub header: PeHeader,
    /// `algoConfiguration`.
    pub algo_configuration: AlgoConfiguration<'a>,
    /// `sqnOptions` (DEFAULT `02`).
    pub sqn_options: u8,
    /// `sqnDelta` (DEFAULT `000010000000`).
    pub sqn_delta: [u8; 6],
    /// `sqnAgeLimit` (DEFAULT `000010000000`).
    pub sqn_age_limit: [u8; 6],
    sqn_init: Option<Tlv<'a>>,
}

fn one(t: &Tlv<'_>, name: &'static str) -> Result<u8, Error> {
    Ok(der::fixed::<1>(t, name)?[0])
}

impl<'a> AkaParameter<'a> {
    /// Decodes an `akaParameter` element.
    ///
    /// # Errors
    /// [`ErrorKind::WrongType`] or the first missing or malformed member.
    pub fn from_element(pe: &ProfileElement<'a>) -> Result<Self, Error> {
        pe.expect(PeType::AKA_PARAMETER)?;
        let mut f = Fields::new(pe.tlv());
        let header = PeHeader::parse(&f.required(0xA0, "aka-header")?)?;
        let choice = f.required(0xA1, "algoConfiguration")?;
        let alt = Fields::new(&choice).next_any()?.ok_or(Error::new(
            ErrorKind::MissingField("algoConfiguration"),
            choice.value_offset(),
        ))?;
        let algo_configuration = match alt.tag().raw() {
            0xA0 => {
                let mut m = Fields::new(&alt);
                AlgoConfiguration::Mapping(MappingParameter {
                    options: one(&m.required(0x80, "mappingOptions")?, "mappingOptions")?,
                    source: m.required(0x81, "mappingSource")?.value(),
                })
            }
            0xA1 => AlgoConfiguration::Algo(Self::algo(&alt)?),
            _ => {
                return Err(Error::new(
                    ErrorKind::BadValue("algoConfiguration"),
                    alt.offset(),
                ));
            }
        };
        let sqn_options = match f.optional(0x82)? {
            Some(t) => one(&t, "sqnOptions")?,
            None => 0x02,
        };
        let sqn_delta = match f.optional(0x83)? {
            Some(t) => *der::fixed::<6>(&t, "sqnDelta")?,
            None => DEFAULT_SQN_DELTA,
        };
        let sqn_age_limit = match f.optional(0x84)? {
            Some(t) => *der::fixed::<6>(&t, "sqnAgeLimit")?,
            None => DEFAULT_SQN_DELTA,
        };
        let sqn_init = f.optional(0xA5)?;
        if let Some(s) = &sqn_init {
            for v in s.children() {
                let v = v?;
                if v.tag() != Tag::new(0x04) {
                    return Err(Error::new(ErrorKind::BadValue("sqnInit"), v.offset()));
                }
                der::fixed::<6>(&v, "sqnInit")?;
            }
        }
        Ok(Self {
            header,
            algo_configuration,
            sqn_options,
            sqn_delta,
            sqn_age_limit,
            sqn_init,
        })
    }

    fn algo(t: &Tlv<'a>) -> Result<AlgoParameter<'a>, Error> {
        let mut f = Fields::new(t);
        let algorithm_id = der::uint(&f.required(0x80, "algorithmID")?, "algorithmID")?;
        let options = one(&f.required(0x81, "algorithmOptions")?, "algorithmOptions")?;
        let key = f.required(0x82, "key")?.value();
        let opc = f.required(0x83, "opc")?.value();
        let rotation_constants = match f.optional(0x84)? {
            Some(t) => *der::fixed::<5>(&t, "rotationConstants")?,
            None => DEFAULT_ROTATION_CONSTANTS,
        };
        let xoring_constants = match f.optional(0x85)? {
            Some(t) => *der::fixed::<80>(&t, "xoringConstants")?,
            None => DEFAULT_XORING_CONSTANTS,
        };
        let auth_counter_max = match f.optional(0x86)? {
            Some(t) => Some(*der::fixed::<3>(&t, "authCounterMax")?),
            None => None,
        };
        let number_of_keccak = match f.optional(0x87)? {
            Some(t) => u8::try_from(der::uint(&t, "numberOfKeccak")?)
                .map_err(|_| Error::new(ErrorKind::BadValue("numberOfKeccak"), t.value_offset()))?,
            None => 1,
        };
        Ok(AlgoParameter {
            algorithm_id,
            options,
            key,
            opc,
            rotation_constants,
            xoring_constants,
            auth_counter_max,
            number_of_keccak,
        })
    }

    /// The 32 initial sequence numbers of `sqnInit`. When the member is
    /// absent, the DEFAULT is all zero (the module writes the DEFAULT as a
    /// single `'000000000000'H`, which is ill-typed for a SEQUENCE OF; zero
    /// for every entry is its evident intent).
    pub fn sqn_init(&self) -> impl Iterator<Item = [u8; 6]> + 'a {
        let explicit = self.sqn_init;
        let defaults = explicit.is_none().then_some([[0u8; 6]; 32]);
        explicit
            .into_iter()
            .flat_map(|s| s.children())
            .filter_map(|v| v.ok().and_then(|v| v.value().try_into().ok()))
            .chain(defaults.into_iter().flatten())
    }
}
