//! Response APDUs (ISO/IEC 7816-4 §5.1): response data then `SW1 SW2`.

use core::fmt;

use super::{Error, StatusWord};
use crate::tlv::{self, Buffer, Encode};

/// An R-APDU: a zero-copy view that is also its own builder (the data are
/// borrowed, the status word is a copy).
///
/// ```
/// use smsr::apdu::{Response, StatusWord};
/// let r = Response::parse(&[0x01, 0x02, 0x90, 0x00])?;
/// assert_eq!((r.data(), r.sw()), (&[0x01, 0x02][..], StatusWord::SUCCESS));
/// # Ok::<(), smsr::apdu::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Response<'a> {
    data: &'a [u8],
    sw: StatusWord,
}

impl<'a> Response<'a> {
    /// A response with `data` and `sw`.
    pub const fn new(data: &'a [u8], sw: StatusWord) -> Self {
        Self { data, sw }
    }

    /// Splits `bytes` into response data and the last two octets.
    ///
    /// # Errors
    /// [`Error::MissingStatus`] under two octets.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        match bytes.split_last_chunk::<2>() {
            Some((data, sw)) => Ok(Self {
                data,
                sw: StatusWord::from(*sw),
            }),
            None => Err(Error::MissingStatus { len: bytes.len() }),
        }
    }

    /// The response data.
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The status word.
    pub const fn sw(&self) -> StatusWord {
        self.sw
    }
}

impl Encode for Response<'_> {
    fn encoded_len(&self) -> usize {
        self.data.len() + 2
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), tlv::Error> {
        out.put(self.data)?;
        out.put(&self.sw.to_bytes())
    }
}

impl fmt::Debug for Response<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "R-APDU ")?;
        for b in self.data {
            write!(f, "{b:02X}")?;
        }
        write!(f, " SW={:04X}", self.sw.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_emit() {
        // The R-APDU of the TS 102 226 trace in shared/reference
        // scp80-scp81.md §4.2: `23 02 6A88`.
        let r = Response::parse(&[0x6A, 0x88]).unwrap();
        assert_eq!(r.data(), []);
        assert_eq!(r.sw(), StatusWord::REFERENCED_DATA_NOT_FOUND);
        let mut buf = [0u8; 2];
        assert_eq!(r.encode_to_slice(&mut buf).unwrap(), [0x6A, 0x88]);
        assert_eq!(
            Response::parse(&[0x90]).unwrap_err(),
            Error::MissingStatus { len: 1 }
        );
        let r = Response::new(&[0xE3, 0x00], StatusWord::MORE_DATA);
        assert_eq!(r.to_vec().unwrap(), [0xE3, 0x00, 0x63, 0x10]);
    }
}
