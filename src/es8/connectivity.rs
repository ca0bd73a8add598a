//! ES8.UpdateConnectivityParameters over SCP03 (SGP.02 §4.1.3.4, §5.5.3):
//! the SM-DP sends STORE DATA `80 E2 88 00` with DGI `3A07` { parameters }
//! to the ISD-P inside its SCP03 session (as the whty SM-DP does, security
//! level `33`). The parameters are the TLVs [`ConnectivityParameters`]
//! types: the SMS parameters `A0` { `06` TON/NPI | SMSC address } (whty;
//! the other templates are UNCONFIRMED and kept raw).

use alloc::string::String;
use alloc::vec::Vec;

use crate::apdu::StatusWord;
use crate::isdr::es5;
use crate::scp03t::{Error, ErrorKind, Session, WrappedApdu};
use crate::tlv::{Options, Reader, Tag};

/// The SMS parameters template.
const SMS_PARAMETERS: Tag = Tag::new(0xA0);
/// The SMSC address in it (TON/NPI then swapped BCD, `F`-padded).
const SMSC_ADDRESS: Tag = Tag::new(0x06);
/// The TON/NPI [`es5::sms_connectivity_parameters`] writes (international,
/// ISDN/telephony).
pub const TON_NPI_INTERNATIONAL: u8 = 0x91;

/// The connectivity parameters of a profile (the DGI `3A07` value).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConnectivityParameters {
    /// The SMSC address of `A0` / `06`: TON/NPI and the digits.
    pub smsc: Option<(u8, String)>,
    /// The other parameter TLVs, raw, in their order (CAT_TP / HTTPS
    /// templates: codings UNCONFIRMED).
    pub others: Vec<u8>,
}

/// Swapped-BCD digits, `F` padding only at the very end.
fn digits(bcd: &[u8], at: usize) -> Result<String, Error> {
    let bad = Error::new(ErrorKind::BadValue("SMSC address digits"), at);
    let mut s = String::new();
    let mut ended = false;
    for b in bcd {
        for d in [b & 0x0F, b >> 4] {
            match (d, ended) {
                (0..=9, false) => s.push(char::from(b'0' + d)),
                (0x0F, _) => ended = true,
                _ => return Err(bad),
            }
        }
    }
    if s.is_empty() {
        return Err(bad);
    }
    Ok(s)
}

impl ConnectivityParameters {
    /// SMS parameters with an international SMSC address.
    pub fn sms(smsc: &str) -> Self {
        Self {
            smsc: Some((TON_NPI_INTERNATIONAL, String::from(smsc))),
            others: Vec::new(),
        }
    }

    /// Decodes the DGI `3A07` value.
    ///
    /// # Errors
    /// A malformed TLV; [`ErrorKind::BadValue`] for a bad address or a
    /// second SMS template.
    pub fn parse(value: &[u8]) -> Result<Self, Error> {
        let mut r = Self::default();
        for t in Reader::with_options(value, Options::strict()) {
            let t = t?;
            if t.tag() != SMS_PARAMETERS {
                r.others.extend_from_slice(t.raw());
                continue;
            }
            let bad = Error::new(ErrorKind::BadValue("SMS parameters"), t.offset());
            let a = t.find(SMSC_ADDRESS)?.ok_or(bad)?;
            let (ton_npi, bcd) = a.value().split_first().ok_or(bad)?;
            if r.smsc.is_some() {
                return Err(bad);
            }
            r.smsc = Some((*ton_npi, digits(bcd, a.value_offset() + 1)?));
        }
        Ok(r)
    }

    /// The DGI `3A07` value.
    ///
    /// # Errors
    /// [`ErrorKind::BadValue`] for a TON/NPI other than `91` or digits
    /// [`es5::sms_connectivity_parameters`] refuses.
    pub fn to_vec(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        if let Some((ton_npi, smsc)) = &self.smsc {
            if *ton_npi != TON_NPI_INTERNATIONAL {
                return Err(Error::new(
                    ErrorKind::BadValue("TON/NPI (only 91 is built)"),
                    0,
                ));
            }
            let mut buf = [0u8; 16];
            let sms = es5::sms_connectivity_parameters(smsc, &mut buf)
                .map_err(|_| Error::new(ErrorKind::BadValue("SMSC address"), 0))?;
            out.extend_from_slice(sms);
        }
        out.extend_from_slice(&self.others);
        Ok(out)
    }
}

/// The STORE DATA of ES8.UpdateConnectivityParameters, wrapped in the open
/// SCP03 `session` (C-MAC, and C-DECRYPTION at level `03`/`13`/`33`).
///
/// # Errors
/// As [`ConnectivityParameters::to_vec`]; [`ErrorKind::BadValue`] beyond
/// one short STORE DATA; as [`Session::wrap_apdu`].
pub fn command(
    session: &mut Session,
    params: &ConnectivityParameters,
) -> Result<WrappedApdu, Error> {
    let value = params.to_vec()?;
    let plain = es5::update_connectivity_parameters(&value).map_err(|_| {
        Error::new(
            ErrorKind::BadValue("connectivity parameters (one STORE DATA)"),
            0,
        )
    })?;
    session.wrap_apdu(&plain.view())
}

/// The typed result of ES8.UpdateConnectivityParameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `9000`: the ISD-P stored the parameters.
    Updated,
    /// Any other status word (no R-MAC: GP Amendment D §6.2.5).
    Refused(StatusWord),
}

/// Checks the ISD-P's R-APDU against the session the command was wrapped
/// in (R-MAC when the level has it).
///
/// # Errors
/// [`ErrorKind::MacMismatch`]; [`ErrorKind::BadValue`] for response data
/// (STORE DATA `88` expects none).
pub fn outcome(session: &Session, rapdu: &[u8]) -> Result<Outcome, Error> {
    let mut out = [0u8; 64];
    let (sw, data) = session.unwrap_rapdu(rapdu, &mut out)?;
    if !data.is_empty() {
        return Err(Error::new(ErrorKind::BadValue("response data"), 0));
    }
    Ok(if sw.0 == 0x9000 {
        Outcome::Updated
    } else {
        Outcome::Refused(sw)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_round_trip_and_refusals() {
        let p = ConnectivityParameters::sms("447700900123");
        let v = p.to_vec().unwrap();
        // The whty coding: A0 { 06 91 | swapped BCD }.
        assert_eq!(
            v,
            [
                0xA0, 0x09, 0x06, 0x07, 0x91, 0x44, 0x77, 0x00, 0x09, 0x10, 0x32
            ]
        );
        assert_eq!(ConnectivityParameters::parse(&v).unwrap(), p);
        let odd = ConnectivityParameters::sms("12345");
        let mut with_other = odd.to_vec().unwrap();
        with_other.extend_from_slice(&[0xA1, 0x01, 0x00]);
        let back = ConnectivityParameters::parse(&with_other).unwrap();
        assert_eq!(back.smsc, odd.smsc);
        assert_eq!(back.others, [0xA1, 0x01, 0x00]);
        assert_eq!(back.to_vec().unwrap(), with_other);
        assert!(ConnectivityParameters::parse(&[0xA0, 0x04, 0x06, 0x02, 0x91, 0x1A]).is_err());
        assert!(ConnectivityParameters::parse(&[0xA0, 0x03, 0x06, 0x01, 0x91]).is_err());
        assert!(ConnectivityParameters::parse(&[0xA0, 0x02, 0x05, 0x00]).is_err());
        let other_ton = ConnectivityParameters {
            smsc: Some((0x81, String::from("1"))),
            others: Vec::new(),
        };
        assert!(other_ton.to_vec().is_err());
        assert!(ConnectivityParameters::sms("12a").to_vec().is_err());
    }
}
