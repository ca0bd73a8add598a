//! Data Grouping Identifiers: the `tag(2) ‖ length ‖ value` records carried
//! by GlobalPlatform STORE DATA when P1 says "DGI format" (GP Card
//! Specification §11.11.3.2). The length is one byte up to `FE`, otherwise
//! `FF` followed by two bytes.
//!
//! DGIs are not BER-TLV: `3A03` read as BER would be the one-byte tag `3A`.

use super::Error;
use crate::tlv::{Buffer, Encode, ErrorKind};

/// A DGI number. Unknown values are kept.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Dgi(pub u16);

impl Dgi {
    /// Certificate of the off-card entity, key establishment step 1
    /// (SGP.02 §4.1.3.1 / §4.1.1.7).
    pub const CERTIFICATE: Dgi = Dgi(0x3A01);
    /// Key agreement (CRT `A6`, ePK, signature), key establishment step 2.
    pub const KEY_AGREEMENT: Dgi = Dgi(0x3A02);
    /// ES5.EnableProfile (SGP.02 §4.1.1.2).
    pub const ENABLE_PROFILE: Dgi = Dgi(0x3A03);
    /// ES5.DisableProfile (SGP.02 §4.1.1.3).
    pub const DISABLE_PROFILE: Dgi = Dgi(0x3A04);
    /// ES5.SetFallBackAttribute.
    pub const SET_FALLBACK_ATTRIBUTE: Dgi = Dgi(0x3A05);
    /// ES8/ES5.UpdateConnectivityParameters (SGP.02 §4.1.3.4).
    pub const CONNECTIVITY_PARAMETERS: Dgi = Dgi(0x3A07);
    /// ES5.HandleNotificationConfirmation (SGP.02 §4.1.1.12).
    pub const NOTIFICATION_CONFIRMATION: Dgi = Dgi(0x3A08);
    /// GP personalisation DGI `0070` (SDIN / SIN / application provider id).
    pub const SD_PERSONALISATION: Dgi = Dgi(0x0070);
    /// DGI `7F49`: ephemeral public key in the key agreement data.
    pub const PUBLIC_KEY: Dgi = Dgi(0x7F49);
    /// DGI `5F37`: signature in the key agreement data.
    pub const SIGNATURE: Dgi = Dgi(0x5F37);
}

/// A DGI record whose value is any [`Encode`].
#[derive(Debug, Clone, Copy)]
pub struct DgiEncoder<V> {
    /// The DGI.
    pub dgi: Dgi,
    /// The value.
    pub value: V,
}

/// The DGI record `dgi ‖ length ‖ value`.
pub const fn dgi<V: Encode>(dgi: Dgi, value: V) -> DgiEncoder<V> {
    DgiEncoder { dgi, value }
}

impl<V: Encode> Encode for DgiEncoder<V> {
    fn encoded_len(&self) -> usize {
        let n = self.value.encoded_len();
        2 + if n < 0xFF { 1 } else { 3 } + n
    }

    fn encode(&self, out: &mut dyn Buffer) -> Result<(), crate::tlv::Error> {
        let n = self.value.encoded_len();
        out.put(&self.dgi.0.to_be_bytes())?;
        if n < 0xFF {
            out.put(&[n as u8])?;
        } else {
            let n16 = u16::try_from(n)
                .map_err(|_| crate::tlv::Error::new(ErrorKind::ValueTooLong, out.written()))?;
            out.put(&[0xFF])?;
            out.put(&n16.to_be_bytes())?;
        }
        self.value.encode(out)
    }
}

/// One DGI record read from bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DgiRecord<'a> {
    /// The DGI.
    pub dgi: Dgi,
    /// Its value.
    pub value: &'a [u8],
    /// Offset of the record in the input.
    pub offset: usize,
}

/// Iterator over consecutive DGI records; fused after an error.
#[derive(Debug, Clone)]
pub struct DgiReader<'a> {
    rest: &'a [u8],
    offset: usize,
    failed: bool,
}

impl<'a> DgiReader<'a> {
    /// Reads the records of `input`.
    pub const fn new(input: &'a [u8]) -> Self {
        Self {
            rest: input,
            offset: 0,
            failed: false,
        }
    }

    fn read(&mut self) -> Result<DgiRecord<'a>, Error> {
        let start = self.offset;
        let err = |at: usize| Error::DgiTruncated { offset: at };
        let (&[t0, t1, l0], tail) = self.rest.split_first_chunk::<3>().ok_or(err(start))?;
        let (len, header, tail) = if l0 == 0xFF {
            let (&[h, l], t) = tail.split_first_chunk::<2>().ok_or(err(start + 3))?;
            (usize::from(u16::from_be_bytes([h, l])), 5, t)
        } else {
            (usize::from(l0), 3, tail)
        };
        let (value, rest) = tail.split_at_checked(len).ok_or(err(start + header))?;
        self.rest = rest;
        self.offset = start + header + len;
        Ok(DgiRecord {
            dgi: Dgi(u16::from_be_bytes([t0, t1])),
            value,
            offset: start,
        })
    }
}

impl<'a> Iterator for DgiReader<'a> {
    type Item = Result<DgiRecord<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let r = self.read();
        self.failed = r.is_err();
        Some(r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_lengths() {
        let mut buf = [0u8; 300];
        let short = dgi(Dgi::NOTIFICATION_CONFIRMATION, [0x4E, 0x02, 0x00, 0x05])
            .encode_to_slice(&mut buf)
            .unwrap();
        assert_eq!(short, [0x3A, 0x08, 0x04, 0x4E, 0x02, 0x00, 0x05]);
        let v = [0xAB; 0xFF];
        let long = dgi(Dgi(0x3A02), &v[..]).encode_to_slice(&mut buf).unwrap();
        assert_eq!(&long[..5], &[0x3A, 0x02, 0xFF, 0x00, 0xFF]);
        let mut recs = DgiReader::new(long);
        let first = recs.next().unwrap().unwrap();
        assert_eq!(first.dgi, Dgi(0x3A02));
        assert_eq!(first.value.len(), 0xFF);
        assert!(recs.next().is_none());
        assert_eq!(
            DgiReader::new(&[0x3A, 0x08, 0x04, 0x4E]).next(),
            Some(Err(Error::DgiTruncated { offset: 3 }))
        );
    }
}
