//! What an [`Fcp`] says of its file: type and structure (file descriptor
//! byte, ETSI TS 102 221 §11.1.1.4.3 Table 11.5), short file identifier
//! (§11.1.1.4.8) and size (§11.1.1.4.1, or records × record length).

use super::Fcp;

/// The file type and EF structure of a file descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// DF or ADF (`x0111000`); [`FileInfo::is_adf`] tells which.
    Df,
    /// Transparent EF (`x0000001` working, `x0001001` internal).
    Transparent,
    /// Linear fixed EF (`x0xxx010`).
    LinearFixed,
    /// Cyclic EF (`x0xxx110`).
    Cyclic,
    /// BER-TLV EF (`x0111001`).
    BerTlv,
    /// A descriptor byte Table 11.5 leaves RFU, kept as it is.
    Other(u8),
}

impl FileType {
    /// Decodes the first file descriptor byte.
    pub const fn from_descriptor(b: u8) -> Self {
        match b & 0x3F {
            0x38 => Self::Df,
            0x39 => Self::BerTlv,
            d if d >> 3 <= 1 => match d & 0x07 {
                1 => Self::Transparent,
                2 => Self::LinearFixed,
                6 => Self::Cyclic,
                _ => Self::Other(b),
            },
            _ => Self::Other(b),
        }
    }

    /// pySim's short names (`DF`, `TR`, `LF`, `CY`, `BT`), `None` for RFU.
    pub const fn short_name(self) -> Option<&'static str> {
        match self {
            Self::Df => Some("DF"),
            Self::Transparent => Some("TR"),
            Self::LinearFixed => Some("LF"),
            Self::Cyclic => Some("CY"),
            Self::BerTlv => Some("BT"),
            Self::Other(_) => None,
        }
    }
}

/// The file facts an [`Fcp`] gives (each `None` when it leaves them to the
/// template or the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileInfo {
    /// From `fileDescriptor` byte 1.
    pub file_type: Option<FileType>,
    /// `fileID`.
    pub file_id: Option<[u8; 2]>,
    /// The SFI (`shortEFID` bits 8 to 4); `Some(None)` for an empty
    /// `shortEFID`, which says the file has none.
    pub sfi: Option<Option<u8>>,
    /// `efFileSize`, or for a record EF whose descriptor gives both,
    /// records × record length.
    pub size: Option<u32>,
    /// Record length (descriptor bytes 3 and 4 of a linear fixed or cyclic
    /// EF).
    pub record_length: Option<u16>,
    /// Number of records (descriptor byte 5, when given).
    pub record_count: Option<u8>,
    /// `dfName` present: an ADF.
    pub is_adf: bool,
}

impl FileInfo {
    /// What `fcp` says.
    pub fn of(fcp: &Fcp<'_>) -> Self {
        let fd = fcp.file_descriptor.unwrap_or(&[]);
        let file_type = fd.first().map(|b| FileType::from_descriptor(*b));
        let record = matches!(file_type, Some(FileType::LinearFixed | FileType::Cyclic));
        let (record_length, record_count) = match fd {
            [_, _, hi, lo, rest @ ..] if record => {
                (Some(u16::from_be_bytes([*hi, *lo])), rest.first().copied())
            }
            _ => (None, None),
        };
        let ef_size = fcp
            .ef_file_size
            .filter(|s| !s.is_empty() && s.len() <= 4)
            .map(|s| s.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)));
        let size = ef_size.or(record_length
            .zip(record_count)
            .map(|(len, n)| u32::from(len) * u32::from(n)));
        let sfi = fcp.short_ef_id.and_then(|s| match s {
            [] => Some(None),
            [b] => Some(Some(b >> 3)),
            _ => None,
        });
        Self {
            file_type,
            file_id: fcp.file_id,
            sfi,
            size,
            record_length,
            record_count,
            is_adf: fcp.df_name.is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_bytes_of_table_11_5() {
        assert_eq!(FileType::from_descriptor(0x78), FileType::Df);
        assert_eq!(FileType::from_descriptor(0x38), FileType::Df);
        assert_eq!(FileType::from_descriptor(0x41), FileType::Transparent);
        assert_eq!(FileType::from_descriptor(0x01), FileType::Transparent);
        assert_eq!(FileType::from_descriptor(0x42), FileType::LinearFixed);
        assert_eq!(FileType::from_descriptor(0x46), FileType::Cyclic);
        assert_eq!(FileType::from_descriptor(0x79), FileType::BerTlv);
        assert_eq!(FileType::from_descriptor(0x47), FileType::Other(0x47));
        assert_eq!(FileType::Other(0x47).short_name(), None);
    }

    #[test]
    fn sizes_and_sfi() {
        // EF.ARR-like record file: 5 records of 0x20 bytes, SFI 0x17.
        let fcp = Fcp {
            file_descriptor: Some(&[0x42, 0x21, 0x00, 0x20, 0x05]),
            file_id: Some([0x6F, 0x06]),
            short_ef_id: Some(&[0xB8]),
            ..Fcp::default()
        };
        let i = FileInfo::of(&fcp);
        assert_eq!(i.file_type, Some(FileType::LinearFixed));
        assert_eq!((i.record_length, i.record_count), (Some(0x20), Some(5)));
        assert_eq!(i.size, Some(0xA0));
        assert_eq!(i.sfi, Some(Some(0x17)));
        let t = FileInfo::of(&Fcp {
            file_descriptor: Some(&[0x41, 0x21]),
            ef_file_size: Some(&[0x00, 0x0A]),
            short_ef_id: Some(&[]),
            ..Fcp::default()
        });
        assert_eq!(
            (t.size, t.sfi, t.record_length),
            (Some(10), Some(None), None)
        );
        // Record length without a count: the size comes from efFileSize only.
        let r = FileInfo::of(&Fcp {
            file_descriptor: Some(&[0x42, 0x21, 0x00, 0x46]),
            ..Fcp::default()
        });
        assert_eq!(
            (r.record_length, r.record_count, r.size),
            (Some(0x46), None, None)
        );
        assert_eq!(FileInfo::of(&Fcp::default()).file_type, None);
    }
}
