//! The eUICC identifier (EID): 32 decimal digits whose last two are check
//! digits by ISO/IEC 7064 MOD 97-10 (GSMA SGP.29 §10), read from the ECASD
//! with GET DATA tag `'5A'` (SGP.02 §2.2.2) and carried in eUICC
//! notifications under tag `'4C'` (SGP.02 §4.1.1.11).

use core::fmt;

use super::Error;
use crate::tlv::{Options, Tag, Tlv};

/// Tag of the EID in the ECASD GET DATA response (SGP.02 §2.2.2).
pub const TAG_EID: Tag = Tag::new(0x5A);

/// An EID, kept as 16 bytes of packed BCD, most significant digit first
/// (`89 04 90 32 …` for `89049032…`).
///
/// Constructors that take digits verify the check digits; use
/// [`Eid::from_bcd_unchecked`] to keep an EID whose check digits are wrong.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Eid([u8; 16]);

/// `n mod 97` of the decimal number spelled by `digits` (values 0..=9).
fn mod97(digits: impl Iterator<Item = u8>) -> u8 {
    let mut r: u32 = 0;
    for d in digits {
        r = (r * 10 + u32::from(d)) % 97;
    }
    r as u8
}

impl Eid {
    /// Parses 32 ASCII digits and verifies the check digits.
    ///
    /// # Errors
    /// [`Error::EidLength`], [`Error::EidDigit`] (offset of the bad
    /// character) or [`Error::EidCheckDigits`].
    pub fn parse_digits(text: &str) -> Result<Eid, Error> {
        let eid = Eid::parse_digits_unchecked(text)?;
        eid.verify()?;
        Ok(eid)
    }

    /// Parses 32 ASCII digits without verifying the check digits.
    ///
    /// # Errors
    /// [`Error::EidLength`] or [`Error::EidDigit`].
    pub fn parse_digits_unchecked(text: &str) -> Result<Eid, Error> {
        let b = text.as_bytes();
        if b.len() != 32 {
            return Err(Error::EidLength { len: b.len() });
        }
        let mut out = [0u8; 16];
        for (i, c) in b.iter().enumerate() {
            if !c.is_ascii_digit() {
                return Err(Error::EidDigit {
                    offset: i,
                    found: *c,
                });
            }
            let d = c - b'0';
            if let Some(o) = out.get_mut(i / 2) {
                *o |= if i % 2 == 0 { d << 4 } else { d };
            }
        }
        Ok(Eid(out))
    }

    /// The EID whose first 30 digits are `first30`, with the check digits
    /// computed (SGP.29 §10: append `00`, take the remainder mod 97, check
    /// digits = 98 − remainder).
    ///
    /// # Errors
    /// [`Error::EidLength`] unless `first30` has 30 digits, or
    /// [`Error::EidDigit`].
    pub fn with_check_digits(first30: &str) -> Result<Eid, Error> {
        if first30.len() != 30 {
            return Err(Error::EidLength { len: first30.len() });
        }
        let mut digits = [b'0'; 32];
        if let Some(d) = digits.get_mut(..30) {
            d.copy_from_slice(first30.as_bytes());
        }
        let text = core::str::from_utf8(&digits).map_err(|_| Error::EidLength { len: 0 })?;
        let mut eid = Eid::parse_digits_unchecked(text)?;
        let cd = 98 - mod97(eid.digits());
        if let Some(last) = eid.0.last_mut() {
            *last = ((cd / 10) << 4) | (cd % 10);
        }
        Ok(eid)
    }

    /// An EID from 16 BCD bytes, most significant digit first, check digits
    /// verified.
    ///
    /// # Errors
    /// [`Error::EidLength`], [`Error::EidDigit`] (a nibble above 9) or
    /// [`Error::EidCheckDigits`].
    pub fn from_bcd(bytes: &[u8]) -> Result<Eid, Error> {
        let eid = Eid::from_bcd_unchecked(bytes)?;
        eid.verify()?;
        Ok(eid)
    }

    /// An EID from 16 BCD bytes without verifying the check digits.
    ///
    /// # Errors
    /// [`Error::EidLength`] or [`Error::EidDigit`].
    pub fn from_bcd_unchecked(bytes: &[u8]) -> Result<Eid, Error> {
        let arr: [u8; 16] = bytes
            .try_into()
            .map_err(|_| Error::EidLength { len: bytes.len() })?;
        let eid = Eid(arr);
        for (i, d) in eid.digits().enumerate() {
            if d > 9 {
                return Err(Error::EidDigit {
                    offset: i,
                    found: d,
                });
            }
        }
        Ok(eid)
    }

    /// The EID from the ECASD GET DATA response data `5A 10 <16 bytes>`
    /// (SGP.02 §2.2.2), check digits verified.
    ///
    /// Every EID starts with `89`, so the byte order is recognised: the
    /// packed form `89 …` is taken as it is, and the nibble-swapped form
    /// `98 …` (as pySim's `Sgp02Eid` decodes the tag) is swapped back.
    ///
    /// # Errors
    /// TLV errors, [`Error::UnexpectedTag`] for another tag, then as
    /// [`Eid::from_bcd`].
    pub fn from_get_data(response: &[u8]) -> Result<Eid, Error> {
        let tlv = Tlv::parse_exact(response, Options::strict())?;
        if tlv.tag() != TAG_EID {
            return Err(Error::UnexpectedTag {
                expected: TAG_EID,
                found: tlv.tag(),
                offset: 0,
            });
        }
        let v = tlv.value();
        if v.first() == Some(&0x98) {
            let mut swapped = [0u8; 16];
            if v.len() != 16 {
                return Err(Error::EidLength { len: v.len() });
            }
            for (o, b) in swapped.iter_mut().zip(v) {
                *o = b.rotate_left(4);
            }
            return Eid::from_bcd(&swapped);
        }
        Eid::from_bcd(v)
    }

    /// Checks the check digits: the 32-digit number mod 97 must be 1.
    ///
    /// # Errors
    /// [`Error::EidCheckDigits`] with the digits the first 30 call for.
    pub fn verify(&self) -> Result<(), Error> {
        if mod97(self.digits()) == 1 {
            return Ok(());
        }
        let first30 = self.digits().take(30).chain([0, 0]);
        let expected = 98 - mod97(first30);
        let found = self.0.last().map_or(0, |b| (b >> 4) * 10 + (b & 0x0F));
        Err(Error::EidCheckDigits { expected, found })
    }

    /// The 32 digits (values 0..=9 once constructed), most significant first.
    pub fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.iter().flat_map(|b| [b >> 4, b & 0x0F])
    }

    /// The 16 BCD bytes.
    pub const fn as_bcd(&self) -> &[u8; 16] {
        &self.0
    }

    /// The GET DATA response data `5A 10 <BCD>` an ECASD returns.
    pub fn to_get_data(&self) -> [u8; 18] {
        let mut out = [0u8; 18];
        out[0] = 0x5A;
        out[1] = 0x10;
        if let Some(d) = out.get_mut(2..) {
            d.copy_from_slice(&self.0);
        }
        out
    }
}

impl fmt::Display for Eid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.digits() {
            write!(f, "{d:X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Eid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Eid({self})")
    }
}

impl core::str::FromStr for Eid {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Eid::parse_digits(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Eid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Eid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let s = alloc::string::String::deserialize(d)?;
        Eid::parse_digits(&s).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors: osmocom/pysim@597f1e0398bb81d6832dc92ee4dfdcada59d3d82:tests/unittests/test_euicc.py
    const GOOD: [&str; 3] = [
        "89049032123451234512345678901235",
        "89086030202200000022000023022943",
        "89044045116727494800000004479366",
    ];

    #[test]
    fn pysim_valid_eids() {
        for e in GOOD {
            let eid = Eid::parse_digits(e).unwrap();
            let mut s: heapless::String<32> = heapless::String::new();
            core::fmt::Write::write_fmt(&mut s, format_args!("{eid}")).unwrap();
            assert_eq!(s, e);
        }
    }

    #[test]
    fn pysim_wrong_check_digits() {
        assert_eq!(
            Eid::parse_digits("89049032123451234512345678901234"),
            Err(Error::EidCheckDigits {
                expected: 35,
                found: 34
            })
        );
    }

    #[test]
    fn pysim_compute_check_digits() {
        assert_eq!(
            Eid::with_check_digits("890490321234512345123456789012").unwrap(),
            Eid::parse_digits(GOOD[0]).unwrap()
        );
        assert_eq!(
            Eid::with_check_digits("890860302022000000220000230229").unwrap(),
            Eid::parse_digits(GOOD[1]).unwrap()
        );
    }

    #[test]
    fn bad_inputs() {
        assert_eq!(Eid::parse_digits("8904"), Err(Error::EidLength { len: 4 }));
        assert_eq!(
            Eid::parse_digits("8904903212345123451234567890123X"),
            Err(Error::EidDigit {
                offset: 31,
                found: b'X'
            })
        );
        let mut bcd = *Eid::parse_digits(GOOD[0]).unwrap().as_bcd();
        bcd[3] = 0x3A;
        assert_eq!(
            Eid::from_bcd(&bcd),
            Err(Error::EidDigit {
                offset: 7,
                found: 0x0A
            })
        );
    }

    /// GET DATA '5A' in both byte orders; the pySim test trace
    /// (tests/pySim-shell_test/euicc/get_eid.ok) shows EID
    /// 89049044900000000000000000102355.
    #[test]
    fn get_data_both_orders() {
        let eid = Eid::parse_digits("89049044900000000000000000102355").unwrap();
        let plain = eid.to_get_data();
        assert_eq!(&plain[..4], &[0x5A, 0x10, 0x89, 0x04]);
        assert_eq!(Eid::from_get_data(&plain).unwrap(), eid);
        let mut swapped = plain;
        for b in &mut swapped[2..] {
            *b = b.rotate_left(4);
        }
        assert_eq!(Eid::from_get_data(&swapped).unwrap(), eid);
        assert!(matches!(
            Eid::from_get_data(&[0x4C, 0x01, 0x00]),
            Err(Error::UnexpectedTag { .. })
        ));
    }
}
