//! SCP03 in its APDU form (GP Card Specification v2.3 Amendment D §6.2.4
//! to §6.2.7), for the commands an SM-DP sends to the ISD-P inside the
//! session as C-APDUs (ES8.UpdateConnectivityParameters: STORE DATA), and
//! for checking the session primitives against the pySim APDU vectors.

use crate::apdu::{Command, CommandApdu, CommandView, Header, StatusWord};
#[cfg(feature = "alloc")]
use crate::tlv::Buffer;
use crate::tlv::{self, SliceBuffer};

use super::{Error, ErrorKind, MAC_LEN, Session};
use crate::crypto::Scp03Provider;

/// The class byte bit that marks GP secure messaging (Amendment D §6.2.4).
const CLA_SM: u8 = 0x04;

/// An owned short C-APDU.
pub type WrappedApdu = CommandApdu<261>;

/// Whether a status word is a success or warning (`9000`, `62xx`, `63xx`),
/// the only ones that carry an R-MAC (Amendment D §6.2.5).
const fn is_protected(sw: u16) -> bool {
    sw == 0x9000 || matches!(sw >> 8, 0x62 | 0x63)
}

impl<P: Scp03Provider> Session<P> {
    /// Wraps a short C-APDU: the data enciphered when the level has
    /// C-DECRYPTION (a command without data still consumes a counter
    /// value), then the C-MAC over the header with CLA `b3` set (logical
    /// channel bits cleared) and Lc counting the MAC, the data, and Le
    /// kept.
    ///
    /// # Errors
    /// [`ErrorKind::BadValue`] when the wrapped data would exceed 255
    /// octets (the short form); [`ErrorKind::CounterExhausted`].
    pub fn wrap_apdu(&mut self, cmd: &CommandView<'_>) -> Result<WrappedApdu, Error> {
        let too_long = Error::new(ErrorKind::BadValue("APDU data for SCP03 (short form)"), 4);
        let mut data = heapless::Vec::<u8, 264>::new();
        if !self.level().c_decryption() {
            data.extend_from_slice(cmd.data()).map_err(|_| too_long)?;
        } else if cmd.data().is_empty() {
            self.skip_counter()?;
        } else {
            self.encrypt(cmd.data(), &mut data)?;
        }
        let lc = u8::try_from(data.len() + MAC_LEN).map_err(|_| too_long)?;
        let h = cmd.header();
        let header = Header::new((h.cla & 0xF0) | CLA_SM, h.ins, h.p1, h.p2);
        let mac = self.c_mac(&[&header.to_bytes(), &[lc], &data])?;
        data.extend_from_slice(&mac).map_err(|_| too_long)?;
        let built = Command::with_data(header, &data[..]).map_err(|_| too_long)?;
        let built = match cmd.ne() {
            Some(ne) => built.with_le(ne).map_err(|_| too_long)?,
            None => built,
        };
        built.to_apdu().map_err(|_| too_long)
    }

    /// The card side of [`Session::wrap_apdu`]: checks the CLA's secure
    /// messaging bit and the C-MAC (constant time; on a mismatch the
    /// session is unchanged), then deciphers the data into `out` when the
    /// level has C-DECRYPTION (a command without data still takes a
    /// counter value); returns the plain data length.
    ///
    /// # Errors
    /// [`ErrorKind::BadValue`] without secure messaging or a MAC;
    /// [`ErrorKind::MacMismatch`]; as [`Session::decrypt_response`].
    pub fn unwrap_apdu(&mut self, cmd: &CommandView<'_>, out: &mut [u8]) -> Result<usize, Error> {
        let bad = Error::new(ErrorKind::BadValue("SCP03 C-APDU"), 0);
        if cmd.cla() & CLA_SM == 0 {
            return Err(bad);
        }
        let split = cmd.data().len().checked_sub(MAC_LEN).ok_or(bad)?;
        let (data, mac) = cmd.data().split_at(split);
        let lc = u8::try_from(cmd.data().len()).map_err(|_| bad)?;
        let h = cmd.header();
        let header = Header::new((h.cla & 0xF0) | CLA_SM, h.ins, h.p1, h.p2);
        let before = *self.mac_chaining_value();
        let expected = self.c_mac(&[&header.to_bytes(), &[lc], data])?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], mac)) {
            self.restore_mac_chain(before);
            return Err(Error::new(ErrorKind::MacMismatch, 5 + split));
        }
        if !self.level().c_decryption() {
            let dst = out.get_mut(..data.len()).ok_or(bad)?;
            dst.copy_from_slice(data);
            return Ok(data.len());
        }
        if data.is_empty() {
            self.skip_counter()?;
            return Ok(0);
        }
        self.decrypt_command(data, out)
    }

    /// The card side of [`Session::unwrap_rapdu`]: writes `data | SW1 SW2`,
    /// for a success or warning status the data enciphered (R-ENCRYPTION,
    /// when there is data) and followed by the R-MAC as the level says;
    /// returns the length written.
    ///
    /// # Errors
    /// The buffer's error.
    #[cfg(feature = "alloc")]
    pub fn wrap_rapdu(
        &self,
        data: &[u8],
        sw: StatusWord,
        out: &mut dyn Buffer,
    ) -> Result<usize, Error> {
        let status = sw.to_bytes();
        if !is_protected(sw.0) || !self.level().r_mac() {
            out.put(data)?;
            out.put(&status)?;
            return Ok(data.len() + 2);
        }
        let mut body = alloc::vec::Vec::new();
        if self.level().r_encryption() && !data.is_empty() {
            self.encrypt_response(data, &mut body)?;
        } else {
            body.extend_from_slice(data);
        }
        let mac = self.r_mac(&[&body, &status])?;
        out.put(&body)?;
        out.put(&mac)?;
        out.put(&status)?;
        Ok(body.len() + MAC_LEN + 2)
    }

    /// Unwraps an R-APDU `data | SW1 SW2` (host side): for a success or
    /// warning status with R-MAC, checks the R-MAC over `chaining value |
    /// data | SW` and deciphers the data when the level has R-ENCRYPTION;
    /// an error status carries no protection and comes back as it is.
    /// Returns the status word and the plain data written to `out`.
    ///
    /// # Errors
    /// [`ErrorKind::MacMismatch`]; as [`Session::decrypt_response`].
    pub fn unwrap_rapdu<'o>(
        &self,
        rapdu: &[u8],
        out: &'o mut [u8],
    ) -> Result<(StatusWord, &'o [u8]), Error> {
        let short = Error::new(ErrorKind::Tlv(tlv::ErrorKind::UnexpectedEnd), 0);
        let (body, sw) = rapdu.split_last_chunk::<2>().ok_or(short)?;
        let status = u16::from_be_bytes(*sw);
        let copy = |data: &[u8], out: &'o mut [u8]| {
            let mut w = SliceBuffer::new(out);
            tlv::Buffer::put(&mut w, data)?;
            Ok::<_, Error>(w.into_written())
        };
        if !is_protected(status) || !self.level().r_mac() {
            return Ok((StatusWord(status), copy(body, out)?));
        }
        let split = body.len().checked_sub(MAC_LEN).ok_or(short)?;
        let (data, mac) = body.split_at(split);
        let expected = self.r_mac(&[data, sw])?;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], mac)) {
            return Err(Error::new(ErrorKind::MacMismatch, split));
        }
        if !self.level().r_encryption() || data.is_empty() {
            return Ok((StatusWord(status), copy(data, out)?));
        }
        let n = self.decrypt_response(data, out)?;
        let (plain, _) = out.split_at(n);
        Ok((StatusWord(status), plain))
    }
}
