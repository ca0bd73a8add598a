//! SGP.02 application identifiers and the TAR derived from them.
//!
//! SGP.02 Annex H: every eUICC security domain and the ISD-P executable load
//! file and module share the prefix `A0 00 00 05 59 10 10 FF FF FF FF 89`
//! (RID `A000000559` of the GSMA); bytes 13 to 15 hold the TAR and the last
//! byte is `00`.

use core::fmt;

use super::Error;
pub use crate::scp80::Tar;

/// The 12-byte prefix of every SGP.02 AID (SGP.02 Annex H).
pub const SGP02_AID_PREFIX: [u8; 12] = [
    0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89,
];

/// An application identifier of 5 to 16 bytes (ISO/IEC 7816-5).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Aid {
    len: u8,
    bytes: [u8; 16],
}

impl Aid {
    /// ISD-R AID `A0000005591010FFFFFFFF8900000100` (SGP.02 Annex H).
    pub const ISD_R: Aid = Aid::sgp02([0x00, 0x00, 0x01]);
    /// ECASD AID `A0000005591010FFFFFFFF8900000200` (SGP.02 Annex H).
    pub const ECASD: Aid = Aid::sgp02([0x00, 0x00, 0x02]);
    /// ISD-P Executable Load File AID `A0000005591010FFFFFFFF8900000D00`.
    pub const ISD_P_LOAD_FILE: Aid = Aid::sgp02([0x00, 0x00, 0x0D]);
    /// ISD-P Executable Module AID `A0000005591010FFFFFFFF8900000E00`.
    pub const ISD_P_MODULE: Aid = Aid::sgp02([0x00, 0x00, 0x0E]);

    /// The SGP.02 AID `prefix ‖ TAR ‖ 00` for any TAR.
    pub const fn sgp02(tar: [u8; 3]) -> Aid {
        let [a, b, c, d, e, f, g, h, i, j, k, l] = SGP02_AID_PREFIX;
        let [t0, t1, t2] = tar;
        Aid {
            len: 16,
            bytes: [a, b, c, d, e, f, g, h, i, j, k, l, t0, t1, t2, 0x00],
        }
    }

    /// The AID of the ISD-P addressed by `tar`.
    ///
    /// # Errors
    /// [`Error::IsdpTarOutOfRange`] when `tar` is outside `000010..00FFFF`.
    pub fn isd_p(tar: Tar) -> Result<Aid, Error> {
        if tar.is_isd_p() {
            Ok(Aid::sgp02(tar.0))
        } else {
            Err(Error::IsdpTarOutOfRange { tar: tar.value() })
        }
    }

    /// An AID from its bytes.
    ///
    /// # Errors
    /// [`Error::AidLength`] unless `bytes` has 5 to 16 bytes.
    pub fn new(bytes: &[u8]) -> Result<Aid, Error> {
        if !(5..=16).contains(&bytes.len()) {
            return Err(Error::AidLength { len: bytes.len() });
        }
        let mut out = [0u8; 16];
        if let Some(dst) = out.get_mut(..bytes.len()) {
            dst.copy_from_slice(bytes);
        }
        Ok(Aid {
            len: bytes.len() as u8,
            bytes: out,
        })
    }

    /// The AID bytes.
    pub fn as_bytes(&self) -> &[u8] {
        // `new` is the only constructor and keeps `len` within 5..=16.
        let used = self.bytes.get(..usize::from(self.len));
        debug_assert!(used.is_some(), "AID length {} over 16", self.len);
        used.unwrap_or(&self.bytes)
    }

    /// The TAR of an SGP.02 AID (bytes 13 to 15), `None` for any other AID.
    pub fn tar(&self) -> Option<Tar> {
        let b = self.as_bytes();
        match b {
            [p @ .., t0, t1, t2, 0x00] if p == SGP02_AID_PREFIX => Some(Tar([*t0, *t1, *t2])),
            _ => None,
        }
    }

    /// Whether this is the AID of an ISD-P (SGP.02 prefix, TAR in the
    /// ISD-P range).
    pub fn is_isd_p(&self) -> bool {
        self.tar().is_some_and(|t| t.is_isd_p())
    }
}

impl fmt::Display for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_bytes() {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aid({self})")
    }
}

impl core::str::FromStr for Aid {
    type Err = Error;
    /// Parses hex (case-insensitive). A malformed digit is reported as an
    /// out-of-range AID length of the input so far.
    fn from_str(s: &str) -> Result<Self, Error> {
        let mut buf = [0u8; 16];
        let n = super::hex_decode(s, &mut buf).ok_or(Error::AidLength { len: s.len() / 2 })?;
        Aid::new(buf.get(..n).ok_or(Error::AidLength { len: n })?)
    }
}

/// The SGP.02 Annex H TARs; the type itself is [`crate::scp80::Tar`]
/// (TS 102 225 §5.1.1), carried here in bytes 13 to 15 of an SGP.02 AID.
impl Tar {
    /// TAR of the ISD-R, from its AID (SGP.02 Annex H).
    pub const ISD_R: Tar = Tar([0x00, 0x00, 0x01]);
    /// TAR of the ECASD, from its AID (SGP.02 Annex H).
    pub const ECASD: Tar = Tar([0x00, 0x00, 0x02]);
    /// First TAR of the ISD-P range (SGP.02 Annex H).
    pub const ISD_P_FIRST: Tar = Tar([0x00, 0x00, 0x10]);
    /// Last TAR of the ISD-P range (SGP.02 Annex H).
    pub const ISD_P_LAST: Tar = Tar([0x00, 0xFF, 0xFF]);

    /// Whether the TAR lies in the ISD-P range `000010..00FFFF`.
    pub const fn is_isd_p(self) -> bool {
        let v = self.value();
        v >= Tar::ISD_P_FIRST.value() && v <= Tar::ISD_P_LAST.value()
    }
}

#[cfg(feature = "serde")]
mod serde_impls {
    use super::Aid;
    use alloc::string::String;
    use serde::de::Error as _;

    impl serde::Serialize for Aid {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.collect_str(self)
        }
    }
    impl<'de> serde::Deserialize<'de> for Aid {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let s = String::deserialize(d)?;
            s.parse().map_err(D::Error::custom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AIDs from pySim (osmocom/pysim@597f1e0:pySim/euicc.py, "SGP.02 Annex H").
    #[test]
    fn annex_h_aids() {
        let hex = |a: Aid| alloc_free_hex(a);
        assert_eq!(hex(Aid::ISD_R), "A0000005591010FFFFFFFF8900000100");
        assert_eq!(hex(Aid::ECASD), "A0000005591010FFFFFFFF8900000200");
        assert_eq!(
            hex(Aid::ISD_P_LOAD_FILE),
            "A0000005591010FFFFFFFF8900000D00"
        );
        assert_eq!(hex(Aid::ISD_P_MODULE), "A0000005591010FFFFFFFF8900000E00");
    }

    fn alloc_free_hex(a: Aid) -> heapless::String<32> {
        use core::fmt::Write;
        let mut s = heapless::String::new();
        write!(s, "{a}").unwrap();
        s
    }

    /// ISD-P AID `...8900001300` from the whty CreateISDP vector (TAR 000013).
    #[test]
    fn isd_p_from_tar_and_back() {
        let aid = Aid::isd_p(Tar::from_value(0x13)).unwrap();
        assert_eq!(alloc_free_hex(aid), "A0000005591010FFFFFFFF8900001300");
        assert_eq!(aid.tar(), Some(Tar([0, 0, 0x13])));
        assert!(aid.is_isd_p());
        assert_eq!(Aid::ISD_R.tar(), Some(Tar::ISD_R));
        assert!(!Aid::ISD_R.is_isd_p());
        assert_eq!(
            Aid::isd_p(Tar::from_value(0x0F)),
            Err(Error::IsdpTarOutOfRange { tar: 0x0F })
        );
        assert_eq!(
            Aid::isd_p(Tar::from_value(0x01_0000)),
            Err(Error::IsdpTarOutOfRange { tar: 0x01_0000 })
        );
        assert!(Aid::isd_p(Tar::ISD_P_LAST).is_ok());
    }

    #[test]
    fn foreign_aids() {
        let a = Aid::new(&[0xA0, 0, 0, 0, 0x87, 0x10, 0x02]).unwrap();
        assert_eq!(a.tar(), None);
        assert_eq!(Aid::new(&[1, 2, 3, 4]), Err(Error::AidLength { len: 4 }));
        assert_eq!(Aid::new(&[0; 17]), Err(Error::AidLength { len: 17 }));
        let p: Aid = "a0000005591010ffffffff8900001000".parse().unwrap();
        assert_eq!(p.tar(), Some(Tar::ISD_P_FIRST));
        assert!("zz".parse::<Aid>().is_err());
    }
}
