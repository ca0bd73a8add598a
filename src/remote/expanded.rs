//! The expanded remote command and response format (ETSI TS 102 226 §5.2,
//! tags from ETSI TS 101 220 §7.2): command scripting templates `AA`
//! (definite length) / `AE` (indefinite, `AE 80 … 00 00`) and response
//! scripting templates `AB` / `AF`.

use core::fmt;
use core::marker::PhantomData;

use super::Error;
use crate::apdu::{CommandView, Response, StatusWord};
use crate::tlv::{self, Buffer, Encode, Options, Reader, Tag, TlvEncoder};

/// Command Scripting template, definite length (TS 102 226 table 5.2).
pub const TAG_COMMAND_SCRIPT: Tag = Tag::new(0xAA);
/// Command Scripting template, indefinite length (TS 102 226 table 5.2a).
pub const TAG_COMMAND_SCRIPT_INDEFINITE: Tag = Tag::new(0xAE);
/// Response Scripting template, definite length (TS 102 226 table 5.10).
pub const TAG_RESPONSE_SCRIPT: Tag = Tag::new(0xAB);
/// Response Scripting template, indefinite length (TS 102 226 table 5.10a).
pub const TAG_RESPONSE_SCRIPT_INDEFINITE: Tag = Tag::new(0xAF);
/// C-APDU TLV (TS 102 226 §5.2.1.1; TS 102 223 §8.35 with CR = 0).
pub const TAG_C_APDU: Tag = Tag::new(0x22);
/// R-APDU TLV (TS 102 226 §5.2.2; TS 102 223 §8.36 with CR = 0).
pub const TAG_R_APDU: Tag = Tag::new(0x23);
/// Immediate Action TLV (command, §5.2.1.2) and Immediate Action Response
/// TLV (response, table 5.14).
pub const TAG_IMMEDIATE_ACTION: Tag = Tag::new(0x81);
/// Error Action TLV (command, §5.2.1.3).
pub const TAG_ERROR_ACTION: Tag = Tag::new(0x82);
/// Script Chaining TLV (command, §5.2.1.4) and Script Chaining Response TLV
/// (response, table 5.16).
pub const TAG_SCRIPT_CHAINING: Tag = Tag::new(0x83);
/// Number of executed command TLV objects (response, table 5.11).
pub const TAG_EXECUTED_COUNT: Tag = Tag::new(0x80);
/// Bad format TLV (response, table 5.12).
pub const TAG_BAD_FORMAT: Tag = Tag::new(0x90);

/// Length coding of a scripting template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Coding {
    /// `AA` / `AB` with a definite BER length.
    Definite,
    /// `AE 80 … 00 00` / `AF 80 … 00 00`.
    Indefinite,
}

/// Script Chaining value (TS 102 226 §5.2.1.4; SGP.02 uses it to keep a
/// key establishment across several scripts). Open newtype.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScriptChaining(pub u8);

impl ScriptChaining {
    /// `01`: first script of a chain; the chaining state is deleted on reset.
    pub const FIRST_DELETE_ON_RESET: Self = Self(0x01);
    /// `11`: first script of a chain; the chaining state survives reset.
    pub const FIRST_KEEP_ON_RESET: Self = Self(0x11);
    /// `02`: a subsequent script, more will follow.
    pub const SUBSEQUENT: Self = Self(0x02);
    /// `03`: the last script of the chain.
    pub const LAST: Self = Self(0x03);
}

impl fmt::Debug for ScriptChaining {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0x01 => "FIRST_DELETE_ON_RESET",
            0x11 => "FIRST_KEEP_ON_RESET",
            0x02 => "SUBSEQUENT",
            0x03 => "LAST",
            _ => return write!(f, "ScriptChaining({:02X})", self.0),
        };
        write!(f, "ScriptChaining::{name}")
    }
}

/// Bad format TLV value (TS 102 226 table 5.12). Open newtype.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BadFormat(pub u8);

impl BadFormat {
    /// `01`: unknown tag found.
    pub const UNKNOWN_TAG: Self = Self(0x01);
    /// `02`: wrong length found.
    pub const WRONG_LENGTH: Self = Self(0x02);
    /// `03`: length not found.
    pub const LENGTH_NOT_FOUND: Self = Self(0x03);
}

impl fmt::Debug for BadFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.0 {
            0x01 => "UNKNOWN_TAG",
            0x02 => "WRONG_LENGTH",
            0x03 => "LENGTH_NOT_FOUND",
            _ => return write!(f, "BadFormat({:02X})", self.0),
        };
        write!(f, "BadFormat::{name}")
    }
}

/// Immediate Action Response value (TS 102 226 table 5.14). Open newtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImmediateActionResponse(pub u8);

impl ImmediateActionResponse {
    /// `01`: suspension error.
    pub const SUSPENSION_ERROR: Self = Self(0x01);
}

/// Script Chaining Response value (TS 102 226 table 5.16). Open newtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScriptChainingResponse(pub u8);

impl ScriptChainingResponse {
    /// `01`: no previous script (a subsequent script without a first one).
    pub const NO_PREVIOUS_SCRIPT: Self = Self(0x01);
    /// `02`: script chaining not supported.
    pub const NOT_SUPPORTED: Self = Self(0x02);
    /// `03`: unable to process (e.g. the chain was interrupted).
    pub const UNABLE_TO_PROCESS: Self = Self(0x03);
}

/// The options scripts are parsed with: lenient lengths (cards and servers
/// send `81 xx` for short values) and indefinite templates.
const fn script_options() -> Options {
    Options::lenient().allow_indefinite(true)
}

/// A one-octet item value.
fn one_octet(t: &tlv::Tlv<'_>, what: &'static str) -> Result<u8, Error> {
    match *t.value() {
        [v] => Ok(v),
        _ => Err(Error::BadValue {
            what,
            offset: t.offset(),
        }),
    }
}

// ---------------------------------------------------------------------------
// The script shell, shared by command and response scripts

mod sealed {
    /// Only this module's two script kinds exist.
    pub trait Sealed {}
    impl Sealed for super::CommandKind {}
    impl Sealed for super::ResponseKind {}
}

/// One direction of the expanded format (TS 102 226 §5.2): the tags of its
/// scripting template and how one item TLV of it is read. Implemented by
/// [`CommandKind`] and [`ResponseKind`] only.
pub trait ScriptKind: sealed::Sealed {
    /// The template with a definite length (`AA` / `AB`).
    const DEFINITE: Tag;
    /// The template with an indefinite length (`AE` / `AF`).
    const INDEFINITE: Tag;
    /// One item of a script of this kind.
    type Item<'a>;
    /// Reads one item from its (definite-length) TLV.
    ///
    /// # Errors
    /// [`Error::BadValue`] when a known item has a value this kind rejects.
    fn item(t: tlv::Tlv<'_>) -> Result<Self::Item<'_>, Error>;
}

/// A zero-copy view of a scripting template of kind `K`: a
/// [`CommandScript`] or a [`ResponseScript`].
#[derive(Debug, Clone, Copy)]
pub struct ScriptView<'a, K> {
    tlv: tlv::Tlv<'a>,
    kind: PhantomData<K>,
}

impl<'a, K: ScriptKind> ScriptView<'a, K> {
    /// Parses the template at the start of `input`; returns it and the
    /// bytes after it (e.g. SCP80 padding).
    ///
    /// # Errors
    /// A malformed TLV, or [`Error::UnexpectedTag`] when the template is
    /// not `K::DEFINITE` (`AA` / `AB`) with a definite or `K::INDEFINITE`
    /// (`AE` / `AF`) with an indefinite length.
    pub fn parse(input: &'a [u8]) -> Result<(Self, &'a [u8]), Error> {
        let (t, rest) = tlv::Tlv::parse_with(input, script_options())?;
        let ok = (t.tag() == K::DEFINITE && !t.is_indefinite())
            || (t.tag() == K::INDEFINITE && t.is_indefinite());
        if !ok {
            return Err(Error::UnexpectedTag {
                tag: t.tag(),
                offset: 0,
            });
        }
        let view = Self {
            tlv: t,
            kind: PhantomData,
        };
        Ok((view, rest))
    }

    /// Definite or indefinite.
    pub fn coding(&self) -> Coding {
        if self.tlv.is_indefinite() {
            Coding::Indefinite
        } else {
            Coding::Definite
        }
    }

    /// The template TLV.
    pub const fn tlv(&self) -> tlv::Tlv<'a> {
        self.tlv
    }

    /// The items in order.
    pub fn items(&self) -> Items<'a, K> {
        Items {
            reader: self.tlv.children(),
            kind: PhantomData,
        }
    }
}

/// Iterator over the items of a [`ScriptView`]; an item TLV with an
/// indefinite length is an error.
#[derive(Debug, Clone)]
pub struct Items<'a, K> {
    reader: Reader<'a>,
    kind: PhantomData<K>,
}

impl<'a, K: ScriptKind> Iterator for Items<'a, K> {
    type Item = Result<K::Item<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(match self.reader.next()? {
            Ok(t) if t.is_indefinite() => Err(Error::BadValue {
                what: "indefinite-length item",
                offset: t.offset(),
            }),
            Ok(t) => K::item(t),
            Err(e) => Err(e.into()),
        })
    }
}

// ---------------------------------------------------------------------------
// Command scripts

/// A zero-copy view of a command script (`AA` or `AE` template).
///
/// ```
/// use smsr::remote::expanded::CommandScript;
/// // The real HTTP trace of shared/reference/scp80-scp81.md §4.2.
/// let bytes = [0xAE, 0x80, 0x22, 0x05, 0x80, 0xCA, 0x00, 0x85, 0x00, 0x00, 0x00];
/// let (script, rest) = CommandScript::parse(&bytes)?;
/// assert!(rest.is_empty());
/// let apdus: Vec<&[u8]> = script.c_apdus().collect::<Result<_, _>>()?;
/// assert_eq!(apdus, [&[0x80, 0xCA, 0x00, 0x85, 0x00][..]]);
/// # Ok::<(), smsr::remote::Error>(())
/// ```
pub type CommandScript<'a> = ScriptView<'a, CommandKind>;

impl<'a> CommandScript<'a> {
    /// The C-APDUs only (the value of each `22` TLV), in order.
    pub fn c_apdus(&self) -> impl Iterator<Item = Result<&'a [u8], Error>> + 'a {
        self.items().filter_map(|i| match i {
            Ok(CommandItem::CApdu(a)) => Some(Ok(a)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
    }
}

/// One item of a command script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandItem<'a> {
    /// `22`: a C-APDU, as sent (check it with [`CommandView::parse`]).
    CApdu(&'a [u8]),
    /// `81`: Immediate Action (value as sent).
    ImmediateAction(&'a [u8]),
    /// `82`: Error Action (value as sent, may be empty).
    ErrorAction(&'a [u8]),
    /// `83`: Script Chaining.
    ScriptChaining(ScriptChaining),
    /// Any other TLV, kept (a card answers it with a Bad format TLV).
    Unknown(tlv::Tlv<'a>),
}

impl<'a> CommandItem<'a> {
    /// The C-APDU as a checked view, for `CApdu` items.
    ///
    /// # Errors
    /// The APDU's malformation.
    pub fn c_apdu_view(&self) -> Option<Result<CommandView<'a>, Error>> {
        match self {
            Self::CApdu(a) => Some(CommandView::parse(a).map_err(Error::from)),
            _ => None,
        }
    }
}

/// Iterator over the items of a [`CommandScript`].
pub type CommandItems<'a> = Items<'a, CommandKind>;

/// Command scripts (TS 102 226 §5.2.1): templates `AA` / `AE`, items
/// [`CommandItem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CommandKind {}

impl ScriptKind for CommandKind {
    const DEFINITE: Tag = TAG_COMMAND_SCRIPT;
    const INDEFINITE: Tag = TAG_COMMAND_SCRIPT_INDEFINITE;
    type Item<'a> = CommandItem<'a>;

    fn item(t: tlv::Tlv<'_>) -> Result<CommandItem<'_>, Error> {
        Ok(match t.tag() {
            TAG_C_APDU => CommandItem::CApdu(t.value()),
            TAG_IMMEDIATE_ACTION => CommandItem::ImmediateAction(t.value()),
            TAG_ERROR_ACTION => CommandItem::ErrorAction(t.value()),
            TAG_SCRIPT_CHAINING => {
                CommandItem::ScriptChaining(ScriptChaining(one_octet(&t, "Script Chaining TLV")?))
            }
            _ => CommandItem::Unknown(t),
        })
    }
}

// ---------------------------------------------------------------------------
// Response scripts

/// A zero-copy view of a response script (`AB` or `AF` template).
///
/// The `80` count is optional: real cards omit it in `AF`.
///
/// ```
/// use smsr::apdu::StatusWord;
/// use smsr::remote::expanded::ResponseScript;
/// // The real card's answer in shared/reference/scp80-scp81.md §4.2.
/// let bytes = [0xAF, 0x80, 0x23, 0x02, 0x6A, 0x88, 0x00, 0x00];
/// let (script, _) = ResponseScript::parse(&bytes)?;
/// assert_eq!(script.executed_count()?, None);
/// let last = script.last_r_apdu()?.expect("one R-APDU");
/// assert_eq!(last.sw(), StatusWord::REFERENCED_DATA_NOT_FOUND);
/// # Ok::<(), smsr::remote::Error>(())
/// ```
pub type ResponseScript<'a> = ScriptView<'a, ResponseKind>;

impl<'a> ResponseScript<'a> {
    /// The value of the `80` count TLV, if present.
    ///
    /// # Errors
    /// A malformed item before it.
    pub fn executed_count(&self) -> Result<Option<u32>, Error> {
        for i in self.items() {
            if let ResponseItem::ExecutedCount(n) = i? {
                return Ok(Some(n));
            }
        }
        Ok(None)
    }

    /// The R-APDUs in order.
    pub fn r_apdus(&self) -> impl Iterator<Item = Result<Response<'a>, Error>> + 'a {
        self.items().filter_map(|i| match i {
            Ok(ResponseItem::RApdu(r)) => Some(Ok(r)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
    }

    /// The last R-APDU (the one that stopped the script, if any did).
    ///
    /// # Errors
    /// A malformed item.
    pub fn last_r_apdu(&self) -> Result<Option<Response<'a>>, Error> {
        let mut last = None;
        for r in self.r_apdus() {
            last = Some(r?);
        }
        Ok(last)
    }
}

/// One item of a response script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseItem<'a> {
    /// `80`: number of executed command TLV objects (unsigned, 1-4 octets).
    ExecutedCount(u32),
    /// `23`: an R-APDU (response data ‖ SW1 SW2).
    RApdu(Response<'a>),
    /// `90`: bad format.
    BadFormat(BadFormat),
    /// `81`: immediate action response, kept as sent: one octet per
    /// TS 102 226 table 5.14 (see [`ImmediateActionResponse`]), but njiwa
    /// treats it as proactive-session data, so other lengths are accepted.
    ImmediateActionResponse(&'a [u8]),
    /// `83`: script chaining response.
    ScriptChainingResponse(ScriptChainingResponse),
    /// Any other TLV, kept.
    Unknown(tlv::Tlv<'a>),
}

/// Iterator over the items of a [`ResponseScript`].
pub type ResponseItems<'a> = Items<'a, ResponseKind>;

/// Response scripts (TS 102 226 §5.2.2): templates `AB` / `AF`, items
/// [`ResponseItem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseKind {}

impl ScriptKind for ResponseKind {
    const DEFINITE: Tag = TAG_RESPONSE_SCRIPT;
    const INDEFINITE: Tag = TAG_RESPONSE_SCRIPT_INDEFINITE;
    type Item<'a> = ResponseItem<'a>;

    fn item(t: tlv::Tlv<'_>) -> Result<ResponseItem<'_>, Error> {
        let bad = |what| Error::BadValue {
            what,
            offset: t.offset(),
        };
        match t.tag() {
            TAG_EXECUTED_COUNT => match t.value() {
                v @ [_, ..] if v.len() <= 4 => Ok(ResponseItem::ExecutedCount(
                    v.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b)),
                )),
                _ => Err(bad("number of executed commands TLV")),
            },
            TAG_R_APDU => Response::parse(t.value())
                .map(ResponseItem::RApdu)
                .map_err(|_| bad("R-APDU TLV")),
            TAG_BAD_FORMAT => {
                one_octet(&t, "Bad format TLV").map(|v| ResponseItem::BadFormat(BadFormat(v)))
            }
            TAG_IMMEDIATE_ACTION => Ok(ResponseItem::ImmediateActionResponse(t.value())),
            TAG_SCRIPT_CHAINING => one_octet(&t, "Script Chaining Response TLV")
                .map(|v| ResponseItem::ScriptChainingResponse(ScriptChainingResponse(v))),
            _ => Ok(ResponseItem::Unknown(t)),
        }
    }
}

// ---------------------------------------------------------------------------
// Builders

/// A scripting template around `body` (a tuple, slice or `Vec` of items),
/// written once into the caller's buffer; see [`command_script`] and
/// [`response_script`].
#[derive(Debug, Clone, Copy)]
pub struct Script<E> {
    tag: Tag,
    coding: Coding,
    body: E,
}

impl<E: Encode> Encode for Script<E> {
    fn encoded_len(&self) -> usize {
        match self.coding {
            Coding::Definite => tlv::tlv(self.tag, &self.body).encoded_len(),
            Coding::Indefinite => 1 + 1 + self.body.encoded_len() + 2,
        }
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        match self.coding {
            Coding::Definite => tlv::tlv(self.tag, &self.body).encode(out),
            Coding::Indefinite => {
                // AA / AE / AB / AF: one-octet tags.
                let ([tag, ..], _) = self.tag.to_bytes();
                out.put(&[tag])?;
                out.put(&[0x80])?;
                self.body.encode(out)?;
                out.put(&[0x00, 0x00])
            }
        }
    }
}

/// A command script (`AA` or `AE`) around `items`.
///
/// ```
/// use smsr::apdu::gp::GetData;
/// use smsr::remote::expanded::{Coding, c_apdu, command_script};
/// use smsr::tlv::Encode;
/// let get = GetData::tag(0x85).command()?;
/// let script = command_script((c_apdu(get),), Coding::Indefinite);
/// let mut buf = [0u8; 16];
/// assert_eq!(script.encode_to_slice(&mut buf)?,
///            [0xAE, 0x80, 0x22, 0x05, 0x80, 0xCA, 0x00, 0x85, 0x00, 0x00, 0x00]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const fn command_script<E: Encode>(items: E, coding: Coding) -> Script<E> {
    script::<CommandKind, E>(items, coding)
}

/// A response script (`AB` or `AF`) around `items`.
pub const fn response_script<E: Encode>(items: E, coding: Coding) -> Script<E> {
    script::<ResponseKind, E>(items, coding)
}

/// The template of kind `K` in `coding` around `items`.
const fn script<K: ScriptKind, E: Encode>(items: E, coding: Coding) -> Script<E> {
    let tag = match coding {
        Coding::Definite => K::DEFINITE,
        Coding::Indefinite => K::INDEFINITE,
    };
    Script {
        tag,
        coding,
        body: items,
    }
}

/// A `22` C-APDU TLV around an encoded command (a byte slice or an
/// [`apdu::Command`](crate::apdu::Command)).
pub const fn c_apdu<E: Encode>(apdu: E) -> TlvEncoder<E> {
    tlv::tlv(TAG_C_APDU, apdu)
}

/// An `81` Immediate Action TLV.
pub const fn immediate_action<E: Encode>(value: E) -> TlvEncoder<E> {
    tlv::tlv(TAG_IMMEDIATE_ACTION, value)
}

/// An `82` Error Action TLV.
pub const fn error_action<E: Encode>(value: E) -> TlvEncoder<E> {
    tlv::tlv(TAG_ERROR_ACTION, value)
}

/// An `83` Script Chaining TLV.
pub const fn script_chaining(value: ScriptChaining) -> TlvEncoder<[u8; 1]> {
    tlv::tlv(TAG_SCRIPT_CHAINING, [value.0])
}

/// An `80` number-of-executed-commands TLV (one octet).
pub const fn executed_count(n: u8) -> TlvEncoder<[u8; 1]> {
    tlv::tlv(TAG_EXECUTED_COUNT, [n])
}

/// A `23` R-APDU TLV.
pub const fn r_apdu(response: Response<'_>) -> TlvEncoder<Response<'_>> {
    tlv::tlv(TAG_R_APDU, response)
}

/// A `90` Bad format TLV.
pub const fn bad_format(value: BadFormat) -> TlvEncoder<[u8; 1]> {
    tlv::tlv(TAG_BAD_FORMAT, [value.0])
}

/// An `81` Immediate Action Response TLV (one octet, table 5.14).
pub const fn immediate_action_response(value: ImmediateActionResponse) -> TlvEncoder<[u8; 1]> {
    tlv::tlv(TAG_IMMEDIATE_ACTION, [value.0])
}

/// An `83` Script Chaining Response TLV.
pub const fn script_chaining_response(value: ScriptChainingResponse) -> TlvEncoder<[u8; 1]> {
    tlv::tlv(TAG_SCRIPT_CHAINING, [value.0])
}

impl Encode for CommandItem<'_> {
    fn encoded_len(&self) -> usize {
        match *self {
            Self::CApdu(v) => c_apdu(v).encoded_len(),
            Self::ImmediateAction(v) => immediate_action(v).encoded_len(),
            Self::ErrorAction(v) => error_action(v).encoded_len(),
            Self::ScriptChaining(v) => script_chaining(v).encoded_len(),
            Self::Unknown(t) => t.encoded_len(),
        }
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        match *self {
            Self::CApdu(v) => c_apdu(v).encode(out),
            Self::ImmediateAction(v) => immediate_action(v).encode(out),
            Self::ErrorAction(v) => error_action(v).encode(out),
            Self::ScriptChaining(v) => script_chaining(v).encode(out),
            Self::Unknown(t) => t.encode(out),
        }
    }
}

impl Encode for ResponseItem<'_> {
    fn encoded_len(&self) -> usize {
        match *self {
            Self::ExecutedCount(n) => count_tlv(n).encoded_len(),
            Self::RApdu(r) => r_apdu(r).encoded_len(),
            Self::BadFormat(v) => bad_format(v).encoded_len(),
            Self::ImmediateActionResponse(v) => tlv::tlv(TAG_IMMEDIATE_ACTION, v).encoded_len(),
            Self::ScriptChainingResponse(v) => script_chaining_response(v).encoded_len(),
            Self::Unknown(t) => t.encoded_len(),
        }
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        match *self {
            Self::ExecutedCount(n) => count_tlv(n).encode(out),
            Self::RApdu(r) => r_apdu(r).encode(out),
            Self::BadFormat(v) => bad_format(v).encode(out),
            Self::ImmediateActionResponse(v) => tlv::tlv(TAG_IMMEDIATE_ACTION, v).encode(out),
            Self::ScriptChainingResponse(v) => script_chaining_response(v).encode(out),
            Self::Unknown(t) => t.encode(out),
        }
    }
}

/// `80` with the count in as few octets as it needs (at least one).
fn count_tlv(n: u32) -> TlvEncoder<CountValue> {
    tlv::tlv(TAG_EXECUTED_COUNT, CountValue(n))
}

/// The value octets of a count.
#[derive(Debug, Clone, Copy)]
struct CountValue(u32);

impl Encode for CountValue {
    fn encoded_len(&self) -> usize {
        (4 - (self.0.leading_zeros() / 8) as usize).max(1)
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        let be = self.0.to_be_bytes();
        out.put(be.get(4 - self.encoded_len()..).unwrap_or(&be))
    }
}

/// The status word that stopped a script, from the last R-APDU.
///
/// # Errors
/// A malformed item.
pub fn last_status(script: &ResponseScript<'_>) -> Result<Option<StatusWord>, Error> {
    Ok(script.last_r_apdu()?.map(|r| r.sw()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::gp::{GetData, StoreData, StoreDataP1};
    extern crate alloc;
    use alloc::vec::Vec;

    fn hex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    /// Real HTTP trace (card "3311", pysim_otaman live findings, code index
    /// id 68306471087, quoted in shared/reference/scp80-scp81.md §4.2):
    /// script `AE 80 22 05 80CA008500 00 00` answered `AF 80 23 02 6A88 00 00`.
    #[test]
    fn live_trace_both_directions() {
        let script = hex("AE80 22 05 80CA008500 0000");
        // Server side: build.
        let cmd = GetData::tag(0x85).command().unwrap();
        let built = command_script((c_apdu(cmd),), Coding::Indefinite)
            .to_vec()
            .unwrap();
        assert_eq!(built, script);
        // Card side: parse.
        let (s, rest) = CommandScript::parse(&script).unwrap();
        assert!(rest.is_empty());
        assert_eq!(s.coding(), Coding::Indefinite);
        let items: Vec<_> = s.items().map(Result::unwrap).collect();
        assert_eq!(items, [CommandItem::CApdu(&script[4..9])]);
        let view = items[0].c_apdu_view().unwrap().unwrap();
        assert_eq!(view.ne(), Some(256));
        // Card side: answer.
        let response = hex("AF80 23 02 6A88 0000");
        let r = Response::new(&[], StatusWord::REFERENCED_DATA_NOT_FOUND);
        let built = response_script((r_apdu(r),), Coding::Indefinite)
            .to_vec()
            .unwrap();
        assert_eq!(built, response);
        // Server side: parse (no 80 count).
        let (s, _) = ResponseScript::parse(&response).unwrap();
        assert_eq!(s.executed_count().unwrap(), None);
        assert_eq!(last_status(&s).unwrap(), Some(StatusWord(0x6A88)));
    }

    #[test]
    fn definite_with_count_and_long_lengths() {
        // Two C-APDUs, the second 200 octets long, so its 22 TLV needs the
        // BER length 81 C8 (the otaman-live bug of a raw 1-octet length).
        let data = [0x5Au8; 195];
        let store: Vec<_> = StoreData::new(StoreDataP1::DGI, &data)
            .blocks()
            .unwrap()
            .collect();
        let first = hex("80E2 0000 00");
        let script = command_script(
            (
                c_apdu(&first[..]),
                c_apdu(store[0]),
                script_chaining(ScriptChaining::FIRST_DELETE_ON_RESET),
            ),
            Coding::Definite,
        );
        let bytes = script.to_vec().unwrap();
        assert_eq!(bytes.len(), script.encoded_len());
        // AA 81 D5: 7 + 203 + 3 = 213 octets of items.
        assert_eq!(bytes[..3], [0xAA, 0x81, 0xD5]);
        assert_eq!(bytes[3..10], [0x22, 0x05, 0x80, 0xE2, 0x00, 0x00, 0x00]);
        assert_eq!(bytes[10..13], [0x22, 0x81, 0xC8]);
        let (s, _) = CommandScript::parse(&bytes).unwrap();
        let items: Vec<_> = s.items().map(Result::unwrap).collect();
        assert_eq!(items.len(), 3);
        assert_eq!(
            items[2],
            CommandItem::ScriptChaining(ScriptChaining::FIRST_DELETE_ON_RESET)
        );
        // Re-emit from the parsed items.
        let again = command_script(&items[..], Coding::Definite)
            .to_vec()
            .unwrap();
        assert_eq!(again, bytes);

        // Response with count, R-APDUs and a chaining response.
        let resp = response_script(
            (
                executed_count(2),
                r_apdu(Response::new(&[], StatusWord::SUCCESS)),
                r_apdu(Response::new(&[0x85, 0x01, 0x07], StatusWord::SUCCESS)),
                script_chaining_response(ScriptChainingResponse::NOT_SUPPORTED),
            ),
            Coding::Definite,
        )
        .to_vec()
        .unwrap();
        assert_eq!(
            resp,
            hex("AB 11 8001 02 2302 9000 2305 850107 9000 8301 02")
        );
        let (s, _) = ResponseScript::parse(&resp).unwrap();
        assert_eq!(s.executed_count().unwrap(), Some(2));
        let items: Vec<_> = s.items().map(Result::unwrap).collect();
        assert_eq!(items.len(), 4);
        assert_eq!(
            items[3],
            ResponseItem::ScriptChainingResponse(ScriptChainingResponse::NOT_SUPPORTED)
        );
        let again = response_script(&items[..], Coding::Definite)
            .to_vec()
            .unwrap();
        assert_eq!(again, resp);
    }

    #[test]
    fn bad_format_and_errors() {
        let resp = hex("AB 06 8001 00 9001 01");
        let (s, _) = ResponseScript::parse(&resp).unwrap();
        let items: Vec<_> = s.items().map(Result::unwrap).collect();
        assert_eq!(items[1], ResponseItem::BadFormat(BadFormat::UNKNOWN_TAG));
        let resp = response_script(
            (
                executed_count(0),
                immediate_action_response(ImmediateActionResponse::SUSPENSION_ERROR),
            ),
            Coding::Indefinite,
        )
        .to_vec()
        .unwrap();
        assert_eq!(resp, hex("AF80 8001 00 8101 01 0000"));
        let (s, _) = ResponseScript::parse(&resp).unwrap();
        let items: Vec<_> = s.items().map(Result::unwrap).collect();
        assert_eq!(items[1], ResponseItem::ImmediateActionResponse(&[0x01]));
        // Wrong template.
        assert!(matches!(
            ResponseScript::parse(&hex("AA 00")),
            Err(Error::UnexpectedTag { .. })
        ));
        // AA must be definite, AE indefinite.
        assert!(CommandScript::parse(&hex("AA80 0000")).is_err());
        assert!(CommandScript::parse(&hex("AE00")).is_err());
        // R-APDU shorter than a status word.
        let b = hex("AB03 2301 90");
        let (s, _) = ResponseScript::parse(&b).unwrap();
        assert!(matches!(
            s.items().next().unwrap(),
            Err(Error::BadValue { offset: 2, .. })
        ));
        // The inner 22 TLV runs into the end-of-contents and past the end
        // of the input (8 octets).
        let err = CommandScript::parse(&hex("AE80 2205 80CA 0000")).unwrap_err();
        assert_eq!(
            err,
            Error::Tlv(tlv::Error::new(tlv::ErrorKind::UnexpectedEnd, 8))
        );
        // Complete items but no end-of-contents.
        let err = CommandScript::parse(&hex("AE80 2201 80")).unwrap_err();
        assert_eq!(
            err,
            Error::Tlv(tlv::Error::new(tlv::ErrorKind::MissingEndOfContents, 5))
        );
        // An item running past the template's end: the template parses, the
        // item iterator reports the item once, at the template's end.
        let b = hex("AA04 2205 8000");
        let (s, _) = CommandScript::parse(&b).unwrap();
        let mut items = s.items();
        assert_eq!(
            items.next(),
            Some(Err(Error::Tlv(tlv::Error::new(
                tlv::ErrorKind::UnexpectedEnd,
                6
            ))))
        );
        assert!(items.next().is_none());
    }

    #[test]
    fn trailing_padding_is_returned() {
        let bytes = hex("AB 03 8001 00 000000");
        let (s, rest) = ResponseScript::parse(&bytes).unwrap();
        assert_eq!(rest, [0, 0, 0]);
        assert_eq!(s.executed_count().unwrap(), Some(0));
    }

    fn command_item() -> impl proptest::strategy::Strategy<Value = (u8, Vec<u8>)> {
        use proptest::prelude::*;
        (0u8..4, proptest::collection::vec(any::<u8>(), 1..300))
    }

    proptest::proptest! {
        #[test]
        fn built_scripts_parse_back(
            items in proptest::collection::vec(command_item(), 0..6),
            indefinite in proptest::bool::ANY,
            count in proptest::num::u8::ANY,
        ) {
            let coding = if indefinite { Coding::Indefinite } else { Coding::Definite };
            let cmd_items: Vec<CommandItem<'_>> = items
                .iter()
                .map(|(kind, v)| match kind {
                    0 => CommandItem::CApdu(v),
                    1 => CommandItem::ImmediateAction(v),
                    2 => CommandItem::ErrorAction(v),
                    _ => CommandItem::ScriptChaining(ScriptChaining(v[0])),
                })
                .collect();
            let bytes = command_script(&cmd_items[..], coding).to_vec().unwrap();
            let (s, rest) = CommandScript::parse(&bytes).unwrap();
            proptest::prop_assert!(rest.is_empty());
            proptest::prop_assert_eq!(s.coding(), coding);
            let back: Vec<_> = s.items().map(Result::unwrap).collect();
            proptest::prop_assert_eq!(back, cmd_items);

            let count_item = ResponseItem::ExecutedCount(u32::from(count));
            let resp_items: Vec<ResponseItem<'_>> = core::iter::once(count_item)
                .chain(items.iter().map(|(kind, v)| match kind {
                    0 | 1 => ResponseItem::RApdu(
                        Response::parse(v).unwrap_or(Response::new(&[], StatusWord::NO_PRECISE_DIAGNOSIS)),
                    ),
                    2 => ResponseItem::BadFormat(BadFormat(v[0])),
                    _ => ResponseItem::ScriptChainingResponse(ScriptChainingResponse(v[0])),
                }))
                .collect();
            let bytes = response_script(&resp_items[..], coding).to_vec().unwrap();
            let (s, _) = ResponseScript::parse(&bytes).unwrap();
            let back: Vec<_> = s.items().map(Result::unwrap).collect();
            proptest::prop_assert_eq!(back, resp_items);
            proptest::prop_assert_eq!(s.executed_count().unwrap(), Some(u32::from(count)));
        }
    }
}
