//! Writing TLVs: output buffers and the [`Encode`] trait.

use super::length::{encoded_length_len, write_length};
use super::{Error, ErrorKind, Tag, Tlv};

/// Somewhere to write encoded bytes: a caller's slice ([`SliceBuffer`]), a
/// `heapless::Vec`, or with `alloc` a `Vec<u8>`.
pub trait Buffer {
    /// Appends `bytes`, or fails with [`ErrorKind::BufferTooSmall`] without
    /// writing anything.
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`] when `bytes` does not fit.
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error>;

    /// Number of bytes written so far.
    fn written(&self) -> usize;
}

/// A [`Buffer`] over a caller's `&mut [u8]`.
#[derive(Debug)]
pub struct SliceBuffer<'b> {
    buf: &'b mut [u8],
    pos: usize,
}

impl<'b> SliceBuffer<'b> {
    /// Writes from the start of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// The written part of the buffer.
    pub fn into_written(self) -> &'b [u8] {
        let Self { buf, pos } = self;
        let buf: &'b [u8] = buf;
        // `pos` only moves past a successful, bounds-checked `put`, so it
        // never exceeds the buffer: the range is always present.
        let written = buf.get(..pos);
        debug_assert!(
            written.is_some(),
            "SliceBuffer position {pos} past {}",
            buf.len()
        );
        written.unwrap_or(buf)
    }
}

impl Buffer for SliceBuffer<'_> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let end = self.pos + bytes.len();
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(Error::new(ErrorKind::BufferTooSmall, self.pos))?;
        dst.copy_from_slice(bytes);
        self.pos = end;
        Ok(())
    }

    fn written(&self) -> usize {
        self.pos
    }
}

impl<const N: usize> Buffer for heapless::Vec<u8, N> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        let at = self.len();
        self.extend_from_slice(bytes)
            .map_err(|_| Error::new(ErrorKind::BufferTooSmall, at))
    }

    fn written(&self) -> usize {
        self.len()
    }
}

#[cfg(feature = "alloc")]
impl Buffer for alloc::vec::Vec<u8> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.extend_from_slice(bytes);
        Ok(())
    }

    fn written(&self) -> usize {
        self.len()
    }
}

/// Something that can be written as bytes whose length is known before
/// writing. Compose values with [`tlv`], tuples, slices and `Option`; a
/// constructed TLV computes its length from its parts, so nothing is encoded
/// twice.
pub trait Encode {
    /// Number of bytes [`Encode::encode`] writes.
    fn encoded_len(&self) -> usize;

    /// Writes the encoding.
    ///
    /// # Errors
    /// The buffer's error when it is too small.
    fn encode(&self, out: &mut dyn Buffer) -> Result<(), Error>;

    /// Writes the encoding at the start of `buf` and returns the written part.
    ///
    /// # Errors
    /// [`ErrorKind::BufferTooSmall`] when `buf` is shorter than
    /// [`Encode::encoded_len`].
    fn encode_to_slice<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], Error> {
        let mut out = SliceBuffer::new(buf);
        self.encode(&mut out)?;
        Ok(out.into_written())
    }

    /// The encoding in a new `Vec`.
    ///
    /// # Errors
    /// Only [`ErrorKind::ValueTooLong`] for values beyond 4 GiB.
    #[cfg(feature = "alloc")]
    fn to_vec(&self) -> Result<alloc::vec::Vec<u8>, Error> {
        let mut v = alloc::vec::Vec::with_capacity(self.encoded_len());
        self.encode(&mut v)?;
        Ok(v)
    }
}

/// A TLV whose value is any [`Encode`]: primitive when the value is bytes,
/// constructed when it is other TLVs.
#[derive(Debug, Clone, Copy)]
pub struct TlvEncoder<V> {
    /// The tag.
    pub tag: Tag,
    /// The value.
    pub value: V,
}

/// Writes the octets of `tag` (X.690 §8.1.2).
///
/// # Errors
/// What `out` reports; [`ErrorKind::InvalidTag`] if the tag claims more
/// octets than it has (never for a [`Tag`] built by this crate).
fn put_tag(out: &mut dyn Buffer, tag: Tag) -> Result<(), Error> {
    let (bytes, len) = tag.to_bytes();
    let octets = bytes
        .get(..len)
        .ok_or(Error::new(ErrorKind::InvalidTag, out.written()))?;
    out.put(octets)
}

/// A TLV with `tag` and `value` (bytes, another TLV, a tuple of TLVs, ...).
pub const fn tlv<V: Encode>(tag: Tag, value: V) -> TlvEncoder<V> {
    TlvEncoder { tag, value }
}

impl<V: Encode> Encode for TlvEncoder<V> {
    fn encoded_len(&self) -> usize {
        let n = self.value.encoded_len();
        self.tag.len() + encoded_length_len(n) + n
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), Error> {
        put_tag(out, self.tag)?;
        write_length(out, self.value.encoded_len())?;
        self.value.encode(out)
    }
}

impl Encode for [u8] {
    fn encoded_len(&self) -> usize {
        self.len()
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), Error> {
        out.put(self)
    }
}

impl<const N: usize> Encode for [u8; N] {
    fn encoded_len(&self) -> usize {
        N
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), Error> {
        out.put(self)
    }
}

impl<T: Encode + ?Sized> Encode for &T {
    fn encoded_len(&self) -> usize {
        (**self).encoded_len()
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), Error> {
        (**self).encode(out)
    }
}

impl<T: Encode> Encode for Option<T> {
    fn encoded_len(&self) -> usize {
        self.as_ref().map_or(0, Encode::encoded_len)
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), Error> {
        match self {
            Some(v) => v.encode(out),
            None => Ok(()),
        }
    }
}

impl<T: Encode> Encode for [T] {
    fn encoded_len(&self) -> usize {
        self.iter().map(Encode::encoded_len).sum()
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), Error> {
        self.iter().try_for_each(|v| v.encode(out))
    }
}

#[cfg(feature = "alloc")]
impl<T: Encode> Encode for alloc::vec::Vec<T> {
    fn encoded_len(&self) -> usize {
        self.as_slice().encoded_len()
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), Error> {
        self.as_slice().encode(out)
    }
}

macro_rules! tuple_encode {
    ($($name:ident)+) => {
        impl<$($name: Encode),+> Encode for ($($name,)+) {
            fn encoded_len(&self) -> usize {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                0 $(+ $name.encoded_len())+
            }

            fn encode(&self, out: &mut dyn Buffer) -> Result<(), Error> {
                #[allow(non_snake_case)]
                let ($($name,)+) = self;
                $($name.encode(out)?;)+
                Ok(())
            }
        }
    };
}

tuple_encode!(A);
tuple_encode!(A B);
tuple_encode!(A B C);
tuple_encode!(A B C D);
tuple_encode!(A B C D E);
tuple_encode!(A B C D E F);
tuple_encode!(A B C D E F G);
tuple_encode!(A B C D E F G H);

/// Re-encodes a parsed TLV canonically: minimal definite length (or `80` and
/// end-of-contents for an indefinite one) around the value octets as they
/// were. For input that parsed strictly this is exactly [`Tlv::raw`].
impl Encode for Tlv<'_> {
    fn encoded_len(&self) -> usize {
        let n = self.value().len();
        if self.is_indefinite() {
            self.tag().len() + 1 + n + 2
        } else {
            self.tag().len() + encoded_length_len(n) + n
        }
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), Error> {
        if self.is_indefinite() {
            put_tag(out, self.tag())?;
            out.put(&[0x80])?;
            out.put(self.value())?;
            out.put(&[0, 0])
        } else {
            tlv(self.tag(), self.value()).encode(out)
        }
    }
}
