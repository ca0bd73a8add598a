//! The simple types of the SGP.02 ES-interface elements (SGP.02 §5.1.1,
//! the EIS of §5.1.1.3 and the function parameters of §5.3-§5.5), checked
//! before any function runs.
//!
//! Each element name has one type ([`ElementType::of`]), as in the GSMA
//! XML schema, so a request is validated element by element wherever the
//! element occurs:
//!
//! * `Eid`: 32 digits starting with `89`, ISO/IEC 7064 MOD 97-10 check
//!   digits (SGP.29 §10; pySim `verify_eid_checksum`).
//! * `Iccid`: ITU-T E.118: `89` (the telecommunication major industry
//!   identifier), 19 or 20 digits in all (the GSMA schemas' pattern
//!   `[0-9]{19,20}`), the last digit the Luhn check digit over the others.
//!   E.118 gives every ICCID the check digit, so both lengths are checked.
//! * AIDs (`Isd-p-aid`, `sd-aid`, `Aid`, …): 5 to 16 octets (ISO/IEC
//!   7816-5) in hex, the RID category nibble not one ISO/IEC 7816-4 keeps
//!   for future use (`B`, `C`, `E`; UNCONFIRMED against the standard's
//!   text).
//! * `Tar`: 3 octets in hex (ETSI TS 102 225 §5.1.1).
//! * `Msisdn`: an E.164 number, 1 to 15 digits (ITU-T E.164 §6); `Imsi`:
//!   6 to 15 digits (3GPP TS 23.003 §2.2).
//! * Identifiers and free text (`Mno-id`, `Smdp-id`, `ProfileType`,
//!   `FunctionCallIdentifier`, …): 1 to 64 characters, none a control
//!   character. The GSMA schema's own maxima are not in any public source
//!   we have (UNCONFIRMED); 64 covers every identifier seen in njiwa.
//! * Keys ([`key_length`]): 16, 24 or 32 octets (AES-128/192/256, GP
//!   Amendment D; 16 and 24 also cover two- and three-key 3DES of
//!   TS 102 225).
//!
//! A refused element maps to the SGP.02 status [`FieldError::status_code`]:
//! reason `2.1` (Format Error, Invalid) with the element's subject
//! (`8.1.1` EID, `8.2.1` Profile ICCID, `8.2.5` Profile Type, otherwise
//! `1.6` Function), the numbering of `sgp02.md` §5.

use core::fmt;

use crate::isdr::response::StatusCode;
use crate::isdr::{Aid, Eid, Tar};
use crate::profile::Iccid;

/// What is wrong with an element's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// Too short or too long (characters, digits or octets as the type
    /// counts them).
    Length {
        /// Length found.
        len: usize,
        /// Shortest allowed.
        min: usize,
        /// Longest allowed.
        max: usize,
    },
    /// A character that is not a decimal digit.
    NotDigit {
        /// Its byte offset.
        offset: usize,
    },
    /// A character that is not a hex digit.
    NotHex {
        /// Its byte offset.
        offset: usize,
    },
    /// A control character in a text element.
    Control {
        /// Its byte offset.
        offset: usize,
    },
    /// The identifier does not start with the prefix its type requires.
    Prefix {
        /// The required prefix.
        expected: &'static str,
    },
    /// The check digits do not match (MOD 97-10 for an EID, Luhn for an
    /// ICCID).
    CheckDigits,
    /// An AID whose RID category nibble is reserved (ISO/IEC 7816-4).
    ReservedCategory {
        /// The nibble.
        nibble: u8,
    },
    /// A key length no algorithm of the type has.
    KeyLength {
        /// Octets found.
        len: usize,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length { len, min, max } => {
                write!(f, "length {len}, allowed {min} to {max}")
            }
            Self::NotDigit { offset } => write!(f, "not a decimal digit at offset {offset}"),
            Self::NotHex { offset } => write!(f, "not a hex digit at offset {offset}"),
            Self::Control { offset } => write!(f, "control character at offset {offset}"),
            Self::Prefix { expected } => write!(f, "does not start with {expected}"),
            Self::CheckDigits => f.write_str("wrong check digits"),
            Self::ReservedCategory { nibble } => {
                write!(f, "AID category {nibble:X} is reserved (ISO/IEC 7816-4)")
            }
            Self::KeyLength { len } => write!(f, "key of {len} octets, expected 16, 24 or 32"),
        }
    }
}

/// An element that does not have its SGP.02 type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("element {element}: {problem}")]
pub struct FieldError {
    /// The element's name.
    pub element: &'static str,
    /// What is wrong.
    pub problem: Problem,
}

impl FieldError {
    /// The SGP.02 subject / reason of the refusal: `2.1` Invalid, with the
    /// element's subject (`sgp02.md` §5).
    pub fn status_code(&self) -> StatusCode {
        let subject = match self.element {
            "Eid" => "8.1.1",
            "Iccid" => "8.2.1",
            "ProfileType" => "8.2.5",
            _ => "1.6",
        };
        StatusCode::new(subject, "2.1")
    }
}

/// The simple type of an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ElementType {
    /// `EIDType`.
    Eid,
    /// `ICCIDType`.
    Iccid,
    /// An AID in hex.
    Aid,
    /// A TAR in hex.
    Tar,
    /// An MSISDN (E.164 digits).
    Msisdn,
    /// An IMSI.
    Imsi,
    /// An identifier or free text of 1 to [`TEXT_MAX`] characters.
    Text,
}

/// Longest identifier or free-text element (UNCONFIRMED, see the module
/// documentation).
pub const TEXT_MAX: usize = 64;

/// Every element with a simple type checked here, and its type.
pub const ELEMENTS: &[(&str, ElementType)] = &[
    ("Eid", ElementType::Eid),
    ("Eids", ElementType::Eid),
    ("Iccid", ElementType::Iccid),
    ("Isd-p-aid", ElementType::Aid),
    ("sd-aid", ElementType::Aid),
    ("Aid", ElementType::Aid),
    ("isd-p-loadfile-aid", ElementType::Aid),
    ("isd-p-module-aid", ElementType::Aid),
    ("Isd-p-loadfile-aid", ElementType::Aid),
    ("Isd-p-module-aid", ElementType::Aid),
    ("Tar", ElementType::Tar),
    ("Msisdn", ElementType::Msisdn),
    ("Imsi", ElementType::Imsi),
    ("Mno-id", ElementType::Text),
    ("Smdp-id", ElementType::Text),
    ("Eum-Id", ElementType::Text),
    ("Eum-id", ElementType::Text),
    ("ProfileType", ElementType::Text),
    ("FunctionCallIdentifier", ElementType::Text),
    ("FunctionRequesterIdentifier", ElementType::Text),
    ("PlatformType", ElementType::Text),
    ("PlatformVersion", ElementType::Text),
];

impl ElementType {
    /// The type of element `name` (with the name as a static string),
    /// `None` for an element without a simple type checked here (numbers,
    /// booleans, enumerations and structures are typed by their
    /// deserialisation).
    pub fn of(name: &str) -> Option<(&'static str, Self)> {
        ELEMENTS.iter().find(|(n, _)| *n == name).copied()
    }

    /// Checks `text` as element `element` of this type.
    ///
    /// # Errors
    /// The first [`Problem`] found.
    pub fn check(self, element: &'static str, text: &str) -> Result<(), FieldError> {
        let r = match self {
            Self::Eid => eid(text).map(drop),
            Self::Iccid => iccid(text).map(drop),
            Self::Aid => aid(text).map(drop),
            Self::Tar => tar(text).map(drop),
            Self::Msisdn => digits(text, 1, 15),
            Self::Imsi => digits(text, 6, 15),
            Self::Text => free_text(text, TEXT_MAX),
        };
        r.map_err(|problem| FieldError { element, problem })
    }
}

fn length(len: usize, min: usize, max: usize) -> Result<(), Problem> {
    if (min..=max).contains(&len) {
        Ok(())
    } else {
        Err(Problem::Length { len, min, max })
    }
}

/// `min` to `max` decimal digits.
fn digits(text: &str, min: usize, max: usize) -> Result<(), Problem> {
    length(text.len(), min, max)?;
    match text.bytes().position(|c| !c.is_ascii_digit()) {
        Some(offset) => Err(Problem::NotDigit { offset }),
        None => Ok(()),
    }
}

/// `min` to `max` octets in hex, decoded into `out`.
fn hex_octets<'o>(
    text: &str,
    min: usize,
    max: usize,
    out: &'o mut [u8],
) -> Result<&'o [u8], Problem> {
    if let Some(offset) = text.bytes().position(|c| !c.is_ascii_hexdigit()) {
        return Err(Problem::NotHex { offset });
    }
    if !text.len().is_multiple_of(2) {
        return Err(Problem::NotHex { offset: text.len() });
    }
    let n = text.len() / 2;
    length(n, min, max)?;
    let dst = out
        .get_mut(..n)
        .ok_or(Problem::Length { len: n, min, max })?;
    hex::decode_to_slice(text, dst).map_err(|_| Problem::NotHex { offset: 0 })?;
    Ok(dst)
}

/// Free text: 1 to `max` characters, no control character.
fn free_text(text: &str, max: usize) -> Result<(), Problem> {
    length(text.chars().count(), 1, max)?;
    match text.char_indices().find(|(_, c)| c.is_control()) {
        Some((offset, _)) => Err(Problem::Control { offset }),
        None => Ok(()),
    }
}

/// Whether the Luhn sum of `digits` (values 0 to 9, the check digit last)
/// is a multiple of 10 (ISO/IEC 7812-1 Annex B, as ITU-T E.118 requires).
pub fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The Luhn check digit that completes `body` (values 0 to 9) into a
/// number [`luhn_valid`] accepts.
pub fn luhn_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// An ICCID as ITU-T E.118 defines it: `89`, 19 or 20 digits, Luhn check
/// digit last.
///
/// # Errors
/// [`Problem::Length`], [`Problem::NotDigit`], [`Problem::Prefix`] or
/// [`Problem::CheckDigits`].
pub fn iccid(text: &str) -> Result<Iccid, Problem> {
    digits(text, 19, 20)?;
    if !text.starts_with("89") {
        return Err(Problem::Prefix { expected: "89" });
    }
    let iccid = Iccid::from_digits(text).ok_or(Problem::Length {
        len: text.len(),
        min: 19,
        max: 20,
    })?;
    if !luhn_valid(iccid.digits()) {
        return Err(Problem::CheckDigits);
    }
    Ok(iccid)
}

/// An EID: 32 digits, `89` first, MOD 97-10 check digits.
///
/// # Errors
/// [`Problem::Length`], [`Problem::NotDigit`], [`Problem::Prefix`] or
/// [`Problem::CheckDigits`].
pub fn eid(text: &str) -> Result<Eid, Problem> {
    digits(text, 32, 32)?;
    if !text.starts_with("89") {
        return Err(Problem::Prefix { expected: "89" });
    }
    Eid::parse_digits(text).map_err(|_| Problem::CheckDigits)
}

/// An AID in hex: 5 to 16 octets, not of a reserved RID category.
///
/// # Errors
/// [`Problem::NotHex`], [`Problem::Length`] or
/// [`Problem::ReservedCategory`].
pub fn aid(text: &str) -> Result<Aid, Problem> {
    let mut buf = [0u8; 16];
    let bytes = hex_octets(text, 5, 16, &mut buf)?;
    let nibble = bytes.first().map_or(0, |b| b >> 4);
    if matches!(nibble, 0xB | 0xC | 0xE) {
        return Err(Problem::ReservedCategory { nibble });
    }
    Aid::new(bytes).map_err(|_| Problem::Length {
        len: bytes.len(),
        min: 5,
        max: 16,
    })
}

/// A TAR: 3 octets in hex.
///
/// # Errors
/// [`Problem::NotHex`] or [`Problem::Length`].
pub fn tar(text: &str) -> Result<Tar, Problem> {
    let mut buf = [0u8; 3];
    let b = hex_octets(text, 3, 3, &mut buf)?;
    let mut t = [0u8; 3];
    t.copy_from_slice(b);
    Ok(Tar(t))
}

/// Checks a key's length: 16, 24 or 32 octets.
///
/// # Errors
/// [`Problem::KeyLength`] for any other length, as a [`FieldError`] of
/// `element`.
pub fn key_length(element: &'static str, len: usize) -> Result<(), FieldError> {
    if matches!(len, 16 | 24 | 32) {
        Ok(())
    } else {
        Err(FieldError {
            element,
            problem: Problem::KeyLength { len },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    // ICCIDs of the GSMA TS.48 test profiles, Luhn digit last
    // (shared/testdata/profiles/README.md, as pySim decodes the packages):
    // 19 digits in the v5 packages, 20 in the v1A/v3/v4 ones.
    const GOOD_ICCIDS: [&str; 2] = ["8949449999999990015", "89000123456789012341"];

    #[test]
    fn iccids() {
        for i in GOOD_ICCIDS {
            assert_eq!(iccid(i).unwrap().to_string(), i);
        }
        assert_eq!(iccid("8949449999999990016"), Err(Problem::CheckDigits));
        assert_eq!(
            iccid("894944999999999001"),
            Err(Problem::Length {
                len: 18,
                min: 19,
                max: 20
            })
        );
        assert_eq!(
            iccid("7949449999999990015"),
            Err(Problem::Prefix { expected: "89" })
        );
        assert_eq!(
            iccid("89\0'; DROP TABLE eis;--😀"),
            Err(Problem::Length {
                len: 27,
                min: 19,
                max: 20
            })
        );
        assert_eq!(
            iccid("89494499999999900X5"),
            Err(Problem::NotDigit { offset: 17 })
        );
    }

    /// Luhn: ISO/IEC 7812-1 Annex B's example 7992739871 + check digit 3.
    #[test]
    fn luhn() {
        assert!(luhn_valid(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 3]));
        assert!(!luhn_valid(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1, 4]));
        assert_eq!(luhn_digit(&[7, 9, 9, 2, 7, 3, 9, 8, 7, 1]), 3);
    }

    #[test]
    fn eids() {
        // pySim tests/unittests/test_euicc.py.
        assert!(eid("89049032123451234512345678901235").is_ok());
        assert_eq!(
            eid("89049032123451234512345678901234"),
            Err(Problem::CheckDigits)
        );
        // Valid MOD 97-10 but not a telecommunication EID.
        let first30 = "120490321234512345123456789012";
        let other = Eid::with_check_digits(first30).unwrap().to_string();
        assert_eq!(eid(&other), Err(Problem::Prefix { expected: "89" }));
        assert_eq!(
            eid("8904"),
            Err(Problem::Length {
                len: 4,
                min: 32,
                max: 32
            })
        );
    }

    #[test]
    fn aids_and_tars() {
        assert_eq!(
            aid("A0000005591010FFFFFFFF8900001000").unwrap(),
            Aid::isd_p(Tar::ISD_P_FIRST).unwrap()
        );
        assert!(aid("D276000085").is_ok());
        assert_eq!(
            aid("A0000005"),
            Err(Problem::Length {
                len: 4,
                min: 5,
                max: 16
            })
        );
        assert_eq!(aid("A00000055"), Err(Problem::NotHex { offset: 9 }));
        assert_eq!(aid("A0000005X9"), Err(Problem::NotHex { offset: 8 }));
        assert_eq!(
            aid("B000000559"),
            Err(Problem::ReservedCategory { nibble: 0xB })
        );
        assert_eq!(tar("b00010").unwrap(), Tar([0xB0, 0x00, 0x10]));
        assert!(tar("b0001").is_err() && tar("b000100").is_err());
    }

    #[test]
    fn by_element_name() {
        let check = |n: &str, t: &str| {
            let (name, ty) = ElementType::of(n).unwrap();
            ty.check(name, t)
        };
        assert!(check("Msisdn", "316100000001").is_ok());
        assert!(check("Msisdn", "+316100000001").is_err());
        assert!(check("Msisdn", "3161000000012345").is_err());
        assert!(check("Imsi", "20404123456789").is_ok());
        assert!(check("Imsi", "20404").is_err());
        assert!(check("Mno-id", "MNO-A").is_ok());
        assert!(check("Mno-id", "").is_err());
        assert!(check("Mno-id", "a\u{7}b").is_err());
        assert!(check("ProfileType", &"x".repeat(TEXT_MAX + 1)).is_err());
        assert_eq!(ElementType::of("RequiredMemory"), None);
        let e = check("Iccid", "1").unwrap_err();
        assert_eq!(e.status_code(), StatusCode::new("8.2.1", "2.1"));
        let e = check("Eid", "1").unwrap_err();
        assert_eq!(e.status_code(), StatusCode::new("8.1.1", "2.1"));
        let e = check("sd-aid", "1").unwrap_err();
        assert_eq!(e.status_code(), StatusCode::new("1.6", "2.1"));
        assert!(key_length("Scp80Kic", 16).is_ok());
        assert_eq!(
            key_length("Scp80Kic", 15).unwrap_err().problem,
            Problem::KeyLength { len: 15 }
        );
    }
}
