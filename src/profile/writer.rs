//! Emitting a package from elements.

use crate::tlv::{self, Buffer};

use super::{PeHeader, ProfileElement, ProfileHeader};

/// Writes ProfileElements one after another into any [`Buffer`]
/// (`SliceBuffer`, `heapless::Vec`, or with `alloc` a `Vec<u8>`).
///
/// Elements taken from a parsed package are copied byte for byte, so
/// re-emitting every element of a package gives back its exact bytes.
///
/// ```
/// use smsr::profile::{Package, PackageWriter, PeHeader};
///
/// let mut buf = [0u8; 16];
/// let mut out = smsr::tlv::SliceBuffer::new(&mut buf);
/// let mut w = PackageWriter::new(&mut out);
/// w.push_end(PeHeader { mandated: true, identification: 7 })?;
/// assert_eq!(w.count(), 1);
/// assert_eq!(out.into_written(), [0xAA, 0x07, 0xA0, 0x05, 0x80, 0x00, 0x81, 0x01, 0x07]);
/// # Ok::<(), smsr::tlv::Error>(())
/// ```
pub struct PackageWriter<'o> {
    out: &'o mut dyn Buffer,
    count: usize,
}

impl core::fmt::Debug for PackageWriter<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PackageWriter")
            .field("written", &self.out.written())
            .field("count", &self.count)
            .finish()
    }
}

impl<'o> PackageWriter<'o> {
    /// A writer appending to `out`.
    pub fn new(out: &'o mut dyn Buffer) -> Self {
        Self { out, count: 0 }
    }

    /// Number of elements written.
    pub const fn count(&self) -> usize {
        self.count
    }

    /// Appends an element exactly as it was parsed.
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    pub fn push(&mut self, pe: &ProfileElement<'_>) -> Result<(), tlv::Error> {
        self.push_raw(pe.raw())
    }

    /// Appends an already encoded element.
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    pub fn push_raw(&mut self, encoded: &[u8]) -> Result<(), tlv::Error> {
        self.out.put(encoded)?;
        self.count += 1;
        Ok(())
    }

    /// Appends a `header` element encoded from `header`.
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    pub fn push_header(&mut self, header: &ProfileHeader<'_>) -> Result<(), tlv::Error> {
        header.emit(self.out)?;
        self.count += 1;
        Ok(())
    }

    /// Appends a PE-End (`AA { A0 PEHeader }`).
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    pub fn push_end(&mut self, header: PeHeader) -> Result<(), tlv::Error> {
        let len = header.buffer_len();
        // len < 128 always (a PEHeader is at most 9 octets).
        self.out.put(&[0xAA, len as u8])?;
        header.emit(self.out)?;
        self.count += 1;
        Ok(())
    }
}

/// Re-emits `elements` into a new `Vec`.
///
/// # Errors
/// The first element that failed to parse.
#[cfg(feature = "alloc")]
pub fn to_vec<'a>(
    elements: impl IntoIterator<Item = Result<ProfileElement<'a>, super::Error>>,
) -> Result<alloc::vec::Vec<u8>, super::Error> {
    let mut v = alloc::vec::Vec::new();
    let mut w = PackageWriter::new(&mut v);
    for pe in elements {
        w.push(&pe?)?;
    }
    Ok(v)
}
