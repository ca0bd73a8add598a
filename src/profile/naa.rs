//! The network access applications of a package (PE-USIM, PE-ISIM,
//! PE-CSIM): their ADF (AID and temporary file ID, from the `adf-*` member's
//! Fcp) and, for the USIM, the IMSI of EF.IMSI (3GPP TS 31.102 §4.2.2).

use core::fmt;

use super::{Error, FileEntry, FileSystem, Package, PeType};

/// An IMSI: 6 to 15 decimal digits (3GPP TS 23.003 §2.2).
#[derive(Clone, PartialEq, Eq)]
pub struct Imsi {
    digits: heapless::Vec<u8, 15>,
}

impl Imsi {
    /// Decodes the content of EF.IMSI (TS 31.102 §4.2.2): byte 1 the
    /// number of bytes that follow (at most 8); then digit 1 in the high
    /// nibble of byte 2, whose low nibble is `1001` for an odd number of
    /// digits and `0001` for an even one; then two digits a byte, low
    /// nibble first, an even count ending in an `F` nibble. Bytes after the
    /// stated length are ignored (the file is 9 bytes). `None` for anything
    /// else (an unset file is all `FF`).
    pub fn from_ef_imsi(content: &[u8]) -> Option<Self> {
        let (&n, rest) = content.split_first()?;
        let body = rest
            .get(..usize::from(n))
            .filter(|b| (2..=8).contains(&b.len()))?;
        let (&first, tail) = body.split_first()?;
        let odd = match first & 0x0F {
            0b1001 => true,
            0b0001 => false,
            _ => return None,
        };
        let mut out = Self {
            digits: heapless::Vec::new(),
        };
        out.push(first >> 4)?;
        for (k, b) in tail.iter().enumerate() {
            out.push(b & 0x0F)?;
            let last = k + 1 == tail.len();
            match (last, odd, b >> 4) {
                (true, false, 0x0F) => {}
                (_, _, hi) => out.push(hi)?,
            }
        }
        let n = out.digits.len();
        (n >= 6 && (n % 2 == 1) == odd).then_some(out)
    }

    /// Appends a digit; `None` for a non-digit or a 16th digit.
    fn push(&mut self, d: u8) -> Option<()> {
        if d > 9 {
            return None;
        }
        self.digits.push(d).ok()
    }

    /// The digits, one per byte (0 to 9).
    pub fn digits(&self) -> &[u8] {
        &self.digits
    }
}

impl fmt::Display for Imsi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in self.digits() {
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Imsi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Imsi({self})")
    }
}

/// One NAA element of a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Naa<'a> {
    /// `usim`, `isim` or `csim`.
    pub pe_type: PeType,
    /// Index of the element in the package.
    pub pe_index: usize,
    /// The ADF's AID (`dfName` of the `adf-*` member's Fcp), when given.
    pub adf_aid: Option<&'a [u8]>,
    /// The ADF's temporary file ID (`fileID`), by which later paths
    /// select it (TS.48: USIM `7FD0`, ISIM `7FB0`, CSIM `7FC0`).
    pub adf_file_id: Option<[u8; 2]>,
    /// The initial content of EF.IMSI (USIM only), when the package fills
    /// it.
    pub ef_imsi: Option<&'a [u8]>,
}

impl<'a> Naa<'a> {
    /// The NAA view of a decoded `usim`, `isim` or `csim` element; `None`
    /// for other types.
    pub fn from_file_system(fs: &FileSystem<'a>, pe_index: usize) -> Option<Self> {
        let adf = match fs.pe_type {
            PeType::USIM => "adf-usim",
            PeType::ISIM => "adf-isim",
            PeType::CSIM => "adf-csim",
            _ => return None,
        };
        let fcp = fs.file(adf).and_then(|m| {
            m.entries().find_map(|e| match e {
                FileEntry::Fcp(f) => Some(f),
                _ => None,
            })
        });
        let ef_imsi = match fs.pe_type {
            PeType::USIM => fs.file("ef-imsi").and_then(|m| m.initial_content()),
            _ => None,
        };
        Some(Self {
            pe_type: fs.pe_type,
            pe_index,
            adf_aid: fcp.and_then(|f| f.df_name),
            adf_file_id: fcp.and_then(|f| f.file_id),
            ef_imsi,
        })
    }

    /// The IMSI of EF.IMSI, when filled and well coded.
    pub fn imsi(&self) -> Option<Imsi> {
        self.ef_imsi.and_then(Imsi::from_ef_imsi)
    }
}

/// Every NAA element of `pkg` in package order.
///
/// # Errors
/// The first element that does not decode (the package's, or an NAA
/// element's).
pub fn naas<'a>(pkg: &Package<'a>) -> impl Iterator<Item = Result<Naa<'a>, Error>> + 'a {
    pkg.elements().filter_map(|pe| {
        let pe = match pe {
            Ok(pe) => pe,
            Err(e) => return Some(Err(e)),
        };
        if !matches!(pe.pe_type(), PeType::USIM | PeType::ISIM | PeType::CSIM) {
            return None;
        }
        Some(FileSystem::from_element(&pe).and_then(|fs| {
            Naa::from_file_system(&fs, pe.index()).ok_or(Error::new(
                super::ErrorKind::NotTemplate(pe.pe_type()),
                pe.offset(),
            ))
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::string::ToString;

    #[test]
    fn ef_imsi_coding() {
        // TS 31.102 §4.2.2 coding of the 15-digit IMSI 001010123456789:
        // length 8, '0' with odd parity ('09'), then the swapped pairs.
        // pySim's saip-tool `info` prints this IMSI for the EF.IMSI of the
        // TS.48 v7 package (tests/profile_naa.rs checks that file).
        let ef = [0x08, 0x09, 0x10, 0x10, 0x10, 0x32, 0x54, 0x76, 0x98];
        let imsi = Imsi::from_ef_imsi(&ef).unwrap();
        assert_eq!(imsi.to_string(), "001010123456789");
        // 14 digits: even parity ('01'), last high nibble F.
        let even = [0x08, 0x01, 0x10, 0x10, 0x10, 0x32, 0x54, 0x76, 0xF8];
        assert_eq!(
            Imsi::from_ef_imsi(&even).unwrap().to_string(),
            "00101012345678"
        );
        // Unset, wrong parity bits, parity and count disagreeing, a non-digit,
        // a length past the data.
        assert_eq!(Imsi::from_ef_imsi(&[0xFF; 9]), None);
        assert_eq!(
            Imsi::from_ef_imsi(&[0x08, 0x0A, 0x10, 0x10, 0x10, 0x32, 0x54, 0x76, 0x98]),
            None
        );
        assert_eq!(
            Imsi::from_ef_imsi(&[0x08, 0x01, 0x10, 0x10, 0x10, 0x32, 0x54, 0x76, 0x98]),
            None
        );
        assert_eq!(
            Imsi::from_ef_imsi(&[0x08, 0x09, 0x1A, 0x10, 0x10, 0x32, 0x54, 0x76, 0x98]),
            None
        );
        assert_eq!(Imsi::from_ef_imsi(&[0x08, 0x09, 0x10]), None);
        assert_eq!(Imsi::from_ef_imsi(&[]), None);
    }
}
