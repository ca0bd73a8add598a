//! Splitting a profile package into SCP03t `86` segments and joining them.
//!
//! SGP.02 carries the protected profile package from the SM-DP through the
//! SM-SR to the ISD-P as a stream of SCP03t command TLVs; each `86` TLV holds
//! one segment of the package (cut at arbitrary byte offsets, not at element
//! boundaries), encrypted and MACed by [`super::Session`].
//!
//! The maximum size of a segment: SGP.22 v3.0 §2.5.3 limits each segment to
//! 1020 bytes "including the tag, length field and MAC"; no SGP.02 figure
//! was found (see the crate's research notes), so
//! [`SGP22_MAX_SEGMENT_LEN`] is the default and the limit is configurable.

use crate::tlv::{self, Buffer, Options, Reader, Tag, encoded_length_len};

use super::{Error, ErrorKind, MAC_LEN};

/// The segment tag (`86`).
pub const SEGMENT_TAG: u8 = super::tag::SEGMENT;

/// SGP.22 v3.0 §2.5.3: at most 1020 bytes per segment, tag, length and MAC
/// included.
pub const SGP22_MAX_SEGMENT_LEN: usize = 1020;

/// How segments are carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protection {
    /// Plain `86` TLVs (the value is the package bytes).
    None,
    /// SCP03t: the value is the `80 00..` padded plaintext encrypted with
    /// AES-CBC, followed by the 8-byte C-MAC.
    Scp03t,
}

impl Protection {
    /// Length of the `86` value carrying `n` plaintext bytes.
    pub const fn value_len(self, n: usize) -> usize {
        match self {
            Self::None => n,
            Self::Scp03t => Self::padded_len(n) + MAC_LEN,
        }
    }

    /// Length of `n` octets padded `80 00..` to whole AES blocks (always
    /// at least one padding octet, GP Card Specification §B.2.3).
    pub const fn padded_len(n: usize) -> usize {
        (n / 16 + 1) * 16
    }
}

/// The largest plaintext chunk whose `86` TLV is at most `max_segment_len`
/// bytes (1007 for SCP03t at the 1020-byte SGP.22 limit).
///
/// # Errors
/// [`ErrorKind::SegmentSizeTooSmall`] when no byte fits.
pub fn max_chunk_len(max_segment_len: usize, protection: Protection) -> Result<usize, Error> {
    let fits = |n: usize| {
        let v = protection.value_len(n);
        1 + encoded_length_len(v) + v <= max_segment_len
    };
    // The overhead is at most 1 + 5 + 16 + 8 bytes: a short scan down.
    let mut n = max_segment_len.saturating_sub(2);
    while n > 0 {
        if fits(n) {
            return Ok(n);
        }
        n -= 1;
    }
    Err(Error::new(ErrorKind::SegmentSizeTooSmall, 0))
}

/// One plaintext chunk of a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// Offset of the chunk in the package.
    pub offset: usize,
    /// The bytes.
    pub data: &'a [u8],
}

impl Chunk<'_> {
    /// Length of the plain `86` TLV [`Chunk::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        1 + encoded_length_len(self.data.len()) + self.data.len()
    }

    /// Writes the chunk as a plain `86` TLV.
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    pub fn emit(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        out.put(&[SEGMENT_TAG])?;
        tlv::write_length(out, self.data.len())?;
        out.put(self.data)
    }
}

/// Iterator over the chunks of a package (see [`chunks`]).
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    data: &'a [u8],
    size: usize,
    pos: usize,
}

impl<'a> Iterator for Chunks<'a> {
    type Item = Chunk<'a>;

    fn next(&mut self) -> Option<Chunk<'a>> {
        let rest = self.data.get(self.pos..).filter(|r| !r.is_empty())?;
        // A full chunk, or the shorter last one with what is left.
        let (data, _) = rest.split_at_checked(self.size).unwrap_or((rest, &[]));
        let chunk = Chunk {
            offset: self.pos,
            data,
        };
        self.pos += data.len();
        Some(chunk)
    }
}

/// Cuts `package` into the largest chunks whose `86` TLVs (with
/// `protection`) stay within `max_segment_len` bytes.
///
/// # Errors
/// [`ErrorKind::SegmentSizeTooSmall`].
pub fn chunks(
    package: &[u8],
    max_segment_len: usize,
    protection: Protection,
) -> Result<Chunks<'_>, Error> {
    Ok(Chunks {
        data: package,
        size: max_chunk_len(max_segment_len, protection)?,
        pos: 0,
    })
}

/// Joins plain `86` segments (one TLV each, or a stream of them) into the
/// package bytes; returns the number of bytes written.
///
/// # Errors
/// A malformed TLV, a TLV other than `86` ([`ErrorKind::NotASegment`]), or
/// the buffer's error. Offsets count from the start of the concatenated
/// segments.
pub fn reassemble<'s>(
    segments: impl IntoIterator<Item = &'s [u8]>,
    out: &mut dyn Buffer,
) -> Result<usize, Error> {
    let start = out.written();
    let mut base = 0usize;
    for s in segments {
        for t in Reader::with_base(s, base, Options::lenient()) {
            let t = t?;
            if t.tag() != Tag::new(u32::from(SEGMENT_TAG)) {
                return Err(Error::new(ErrorKind::NotASegment, t.offset()));
            }
            out.put(t.value())?;
        }
        base += s.len();
    }
    Ok(out.written() - start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgp22_limit_gives_1007_plaintext_bytes() {
        // 86 82 03 F8 | 1008 ciphertext | 8 MAC = 1020 bytes.
        assert_eq!(max_chunk_len(1020, Protection::Scp03t).unwrap(), 1007);
        assert_eq!(Protection::Scp03t.value_len(1007) + 4, 1020);
        assert_eq!(Protection::Scp03t.value_len(1008) + 4, 1036);
        // Plain: 86 82 03 F8 + 1016.
        assert_eq!(max_chunk_len(1020, Protection::None).unwrap(), 1016);
        // Around the short/long length boundary: 86 7F + 127 = 129.
        assert_eq!(max_chunk_len(129, Protection::None).unwrap(), 127);
        assert_eq!(max_chunk_len(130, Protection::None).unwrap(), 127);
        assert_eq!(max_chunk_len(131, Protection::None).unwrap(), 128);
        assert!(max_chunk_len(2, Protection::None).is_err());
        // 86 18 | 16 ciphertext | 8 MAC = 26 bytes.
        assert!(max_chunk_len(25, Protection::Scp03t).is_err());
        assert_eq!(max_chunk_len(26, Protection::Scp03t).unwrap(), 15);
    }

    #[test]
    fn chunk_and_join() {
        let data: [u8; 300] = core::array::from_fn(|i| i as u8);
        let mut stream = heapless::Vec::<u8, 400>::new();
        let mut n = 0;
        for c in chunks(&data, 100, Protection::None).unwrap() {
            assert!(c.buffer_len() <= 100);
            c.emit(&mut stream).unwrap();
            n += 1;
        }
        assert_eq!(n, 4);
        let mut back = heapless::Vec::<u8, 300>::new();
        assert_eq!(reassemble([&stream[..]], &mut back).unwrap(), 300);
        assert_eq!(&back[..], &data[..]);
        let bad = [0x87, 0x01, 0x00];
        let err = reassemble([&bad[..]], &mut back).unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotASegment);
    }
}
