//! R-APDUs of the ES5 commands mapped to typed results and typed errors.
//!
//! Each function takes one R-APDU (response data ‖ SW1 SW2, as carried in a
//! `'23'` TLV of a TS 102 226 expanded response) and returns either what
//! the command produced or an [`Es5Error`]: a refusal by the eUICC (status
//! word) or a malformed response.

use core::fmt;

use super::{Aid, Error};
use crate::apdu::{Response, StatusWord};
use crate::tlv::{Options, Reader, Tag, Tlv};

/// An SGP.02 function execution status code: subject code and reason code
/// (SGP.02 §5.1.6.4 / §5.1.6.5 numbering, as used by njiwa and SGP.22).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusCode {
    /// Subject code, e.g. `8.2.1` (Profile ICCID).
    pub subject: &'static str,
    /// Reason code, e.g. `3.9` (Unknown).
    pub reason: &'static str,
}

impl StatusCode {
    /// Builds a status code.
    pub const fn new(subject: &'static str, reason: &'static str) -> Self {
        Self { subject, reason }
    }
}

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.subject, self.reason)
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subject {} reason {}", self.subject, self.reason)
    }
}

/// Why an ES5 command did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Es5Error {
    /// `6A88`: referenced data not found (unknown ISD-P AID).
    #[error("referenced data not found (6A88): unknown ISD-P")]
    ReferencedDataNotFound,
    /// `6985`: conditions of use not satisfied (ISD-P in the wrong state,
    /// or deleting the enabled profile).
    #[error("conditions of use not satisfied (6985)")]
    ConditionsNotSatisfied,
    /// `69E1`: POL1 of the profile forbids the operation (SGP.02; njiwa).
    #[error("refused by the profile's POL1 (69E1)")]
    Pol1Refused,
    /// `6A84`: not enough memory space.
    #[error("not enough memory space (6A84)")]
    NotEnoughMemory,
    /// `6581`: memory failure.
    #[error("memory failure (6581)")]
    MemoryFailure,
    /// `6A80`: incorrect values in the command data.
    #[error("incorrect values in the command data (6A80)")]
    IncorrectData,
    /// `6982`: security status not satisfied.
    #[error("security status not satisfied (6982)")]
    SecurityStatusNotSatisfied,
    /// `6D00` / `6E00` / `6A86`: command not supported by this eUICC.
    #[error("command not supported (SW {:04X})", sw.0)]
    NotSupported {
        /// The status word.
        sw: StatusWord,
    },
    /// Any other error status word.
    #[error("command failed with SW {:04X}", sw.0)]
    Other {
        /// The status word.
        sw: StatusWord,
    },
    /// The response itself is malformed.
    #[error("malformed response: {0}")]
    Malformed(#[from] Error),
}

impl Es5Error {
    /// The error a status word stands for, `None` for `9000` (and the
    /// warnings `62xx`/`63xx`, which leave the command executed).
    pub const fn from_sw(sw: StatusWord) -> Option<Es5Error> {
        Some(match sw.0 {
            0x9000 | 0x6200..=0x63FF => return None,
            0x6A88 => Es5Error::ReferencedDataNotFound,
            0x6985 => Es5Error::ConditionsNotSatisfied,
            0x69E1 => Es5Error::Pol1Refused,
            0x6A84 => Es5Error::NotEnoughMemory,
            0x6581 => Es5Error::MemoryFailure,
            0x6A80 => Es5Error::IncorrectData,
            0x6982 => Es5Error::SecurityStatusNotSatisfied,
            0x6D00 | 0x6E00 | 0x6A86 | 0x6A81 => Es5Error::NotSupported { sw },
            _ => Es5Error::Other { sw },
        })
    }

    /// The status word, when the error came from one.
    pub const fn sw(&self) -> Option<StatusWord> {
        Some(StatusWord(match self {
            Es5Error::ReferencedDataNotFound => 0x6A88,
            Es5Error::ConditionsNotSatisfied => 0x6985,
            Es5Error::Pol1Refused => 0x69E1,
            Es5Error::NotEnoughMemory => 0x6A84,
            Es5Error::MemoryFailure => 0x6581,
            Es5Error::IncorrectData => 0x6A80,
            Es5Error::SecurityStatusNotSatisfied => 0x6982,
            Es5Error::NotSupported { sw } | Es5Error::Other { sw } => return Some(*sw),
            Es5Error::Malformed(_) => return None,
        }))
    }

    /// The SGP.02 status code an SM-SR reports upstream (ES3/ES4) for this
    /// error: POL1 refusals are `8.2.1`/`3.8` (Refused), missing memory
    /// `8.1`/`4.8` (Insufficient Memory), an unknown ISD-P `8.2.1`/`3.9`
    /// (Unknown), a wrong state `8.2.1`/`3.5` (Invalid transition); any
    /// other failure is an eUICC execution error `8.4`/`4.2` (njiwa's
    /// subject for ES5 execution results).
    pub const fn status_code(&self) -> StatusCode {
        match self {
            Es5Error::Pol1Refused => StatusCode::new("8.2.1", "3.8"),
            Es5Error::NotEnoughMemory => StatusCode::new("8.1", "4.8"),
            Es5Error::ReferencedDataNotFound => StatusCode::new("8.2.1", "3.9"),
            Es5Error::ConditionsNotSatisfied => StatusCode::new("8.2.1", "3.5"),
            _ => StatusCode::new("8.4", "4.2"),
        }
    }
}

/// The response data of a successful R-APDU.
///
/// # Errors
/// [`Es5Error::Malformed`] below two bytes, otherwise the error its status
/// word stands for.
pub fn expect_success(rapdu: &[u8]) -> Result<&[u8], Es5Error> {
    let r = Response::parse(rapdu).map_err(Error::from)?;
    check(&r)
}

/// The data of `response` if its status word means success, else the
/// error it stands for.
///
/// # Errors
/// The error the status word stands for.
pub fn check<'a>(response: &Response<'a>) -> Result<&'a [u8], Es5Error> {
    match Es5Error::from_sw(response.sw()) {
        None => Ok(response.data()),
        Some(e) => Err(e),
    }
}

/// Result of ES5.CreateISDP, EnableProfile, DisableProfile, DeleteISDP,
/// SetFallBackAttribute and UpdateConnectivityParameters: success or why
/// not. INSTALL may return a single `00` byte; other data is ignored.
///
/// # Errors
/// As [`expect_success`].
pub fn command_status(rapdu: &[u8]) -> Result<(), Es5Error> {
    expect_success(rapdu).map(|_| ())
}

const TAG_DELETED_LIST: Tag = Tag::new(0x80);
const TAG_AID: Tag = Tag::new(0x4F);

/// The ISD-Ps the eUICC reports as deleted in its response to
/// ES5.HandleNotificationConfirmation: `80 { 4F <AID> … }` (njiwa: ISD-Ps
/// auto-deleted after a profile change, removed from the EIS). An empty
/// response means none.
#[derive(Debug, Clone)]
pub struct DeletedIsdps<'a> {
    inner: Option<Reader<'a>>,
}

impl Iterator for DeletedIsdps<'_> {
    type Item = Result<Aid, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let r = self.inner.as_mut()?.next()?;
        Some(r.map_err(Error::from).and_then(|t| {
            if t.tag() != TAG_AID {
                return Err(Error::UnexpectedTag {
                    expected: TAG_AID,
                    found: t.tag(),
                    offset: t.offset(),
                });
            }
            Aid::new(t.value()).map_err(|_| Error::ValueLength {
                tag: TAG_AID,
                offset: t.offset(),
                len: t.value().len(),
                expected: "5 to 16",
            })
        }))
    }
}

/// Parses the R-APDU of ES5.HandleNotificationConfirmation.
///
/// # Errors
/// As [`expect_success`]; [`Error::UnexpectedTag`] when the data is not
/// one `'80'` TLV. Errors inside the list come out of the iterator.
pub fn notification_confirmation(rapdu: &[u8]) -> Result<DeletedIsdps<'_>, Es5Error> {
    let data = expect_success(rapdu)?;
    if data.is_empty() {
        return Ok(DeletedIsdps { inner: None });
    }
    let t = Tlv::parse_exact(data, Options::strict()).map_err(Error::from)?;
    if t.tag() != TAG_DELETED_LIST {
        return Err(Error::UnexpectedTag {
            expected: TAG_DELETED_LIST,
            found: t.tag(),
            offset: 0,
        }
        .into());
    }
    Ok(DeletedIsdps {
        inner: Some(Reader::with_base(
            t.value(),
            t.value_offset(),
            Options::strict(),
        )),
    })
}

const TAG_CHALLENGE: Tag = Tag::new(0x85);
const TAG_RECEIPT: Tag = Tag::new(0x86);

/// Parses the response to the certificate STORE DATA (DGI `3A01`) of a
/// scenario #3 key establishment: `85 <random challenge>`.
///
/// # Errors
/// As [`expect_success`]; tag or TLV errors; trailing data.
pub fn key_establishment_challenge(rapdu: &[u8]) -> Result<&[u8], Es5Error> {
    let data = expect_success(rapdu)?;
    let t = Tlv::parse_exact(data, Options::strict()).map_err(Error::from)?;
    if t.tag() != TAG_CHALLENGE {
        return Err(Error::UnexpectedTag {
            expected: TAG_CHALLENGE,
            found: t.tag(),
            offset: 0,
        }
        .into());
    }
    Ok(t.value())
}

/// The eUICC's answer to the key agreement STORE DATA (DGI `3A02`): the
/// derivation random `'85'` (absent when the scenario parameters do not ask
/// for it) and the receipt `'86'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyAgreementResponse<'a> {
    /// DR, `'85'`.
    pub derivation_random: Option<&'a [u8]>,
    /// Receipt, `'86'` (AES-CMAC, 16 bytes).
    pub receipt: &'a [u8],
}

/// Parses the response to the key agreement STORE DATA.
///
/// # Errors
/// As [`expect_success`]; [`Error::MissingTag`] without a receipt; tag or
/// TLV errors.
pub fn key_agreement(rapdu: &[u8]) -> Result<KeyAgreementResponse<'_>, Es5Error> {
    let data = expect_success(rapdu)?;
    let mut dr = None;
    let mut receipt = None;
    for t in Reader::new(data) {
        let t = t.map_err(Error::from)?;
        let slot = match t.tag() {
            TAG_CHALLENGE => &mut dr,
            TAG_RECEIPT => &mut receipt,
            other => {
                return Err(Error::UnexpectedTag {
                    expected: TAG_RECEIPT,
                    found: other,
                    offset: t.offset(),
                }
                .into());
            }
        };
        if slot.replace(t.value()).is_some() {
            return Err(Error::DuplicateTag {
                tag: t.tag(),
                offset: t.offset(),
            }
            .into());
        }
    }
    let receipt = receipt.ok_or(Error::MissingTag {
        tag: TAG_RECEIPT,
        context: "key agreement response",
        offset: 0,
    })?;
    Ok(KeyAgreementResponse {
        derivation_random: dr,
        receipt,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words() {
        assert_eq!(command_status(&[0x90, 0x00]), Ok(()));
        assert_eq!(command_status(&[0x00, 0x90, 0x00]), Ok(()));
        assert_eq!(command_status(&[0x69, 0xE1]), Err(Es5Error::Pol1Refused));
        assert_eq!(
            command_status(&[0x6A, 0x88]),
            Err(Es5Error::ReferencedDataNotFound)
        );
        assert_eq!(
            command_status(&[0x69, 0x85]),
            Err(Es5Error::ConditionsNotSatisfied)
        );
        assert_eq!(
            command_status(&[0x6A, 0x84]),
            Err(Es5Error::NotEnoughMemory)
        );
        assert_eq!(command_status(&[0x65, 0x81]), Err(Es5Error::MemoryFailure));
        assert_eq!(
            command_status(&[0x6F, 0x00]),
            Err(Es5Error::Other {
                sw: StatusWord(0x6F00)
            })
        );
        assert_eq!(
            command_status(&[0x90]),
            Err(Es5Error::Malformed(Error::Apdu(
                crate::apdu::Error::MissingStatus { len: 1 }
            )))
        );
        assert_eq!(
            Es5Error::Pol1Refused.status_code(),
            StatusCode::new("8.2.1", "3.8")
        );
        assert_eq!(Es5Error::Pol1Refused.sw(), Some(StatusWord(0x69E1)));
    }

    #[test]
    fn confirmation_lists_deleted_isdps() {
        let mut r = [0u8; 40];
        r[..4].copy_from_slice(&[0x80, 0x24, 0x4F, 0x10]);
        r[4..20].copy_from_slice(Aid::sgp02([0, 0, 0x10]).as_bytes());
        r[20..22].copy_from_slice(&[0x4F, 0x10]);
        r[22..38].copy_from_slice(Aid::sgp02([0, 0, 0x11]).as_bytes());
        r[38..40].copy_from_slice(&[0x90, 0x00]);
        let mut it = notification_confirmation(&r).unwrap();
        assert_eq!(it.next(), Some(Ok(Aid::sgp02([0, 0, 0x10]))));
        assert_eq!(it.next(), Some(Ok(Aid::sgp02([0, 0, 0x11]))));
        assert_eq!(it.next(), None);
        assert_eq!(notification_confirmation(&[0x90, 0x00]).unwrap().count(), 0);
        assert!(matches!(
            notification_confirmation(&[0x81, 0x00, 0x90, 0x00]),
            Err(Es5Error::Malformed(Error::UnexpectedTag { .. }))
        ));
    }

    #[test]
    fn key_agreement_parts() {
        let mut r = [0u8; 40];
        r[..2].copy_from_slice(&[0x85, 0x10]);
        r[18..20].copy_from_slice(&[0x86, 0x10]);
        r[20..36].copy_from_slice(&[0xAA; 16]);
        r[36..38].copy_from_slice(&[0x90, 0x00]);
        let k = key_agreement(&r[..38]).unwrap();
        assert_eq!(k.derivation_random, Some(&[0u8; 16][..]));
        assert_eq!(k.receipt, &[0xAA; 16]);
        assert!(matches!(
            key_agreement(&[0x85, 0x01, 0x00, 0x90, 0x00]),
            Err(Es5Error::Malformed(Error::MissingTag { .. }))
        ));
        assert!(matches!(
            key_agreement(&[0x86, 0x05, 0x00, 0x90, 0x00]),
            Err(Es5Error::Malformed(Error::Tlv(_)))
        ));
        assert_eq!(
            key_establishment_challenge(&[0x85, 0x02, 1, 2, 0x90, 0x00]).unwrap(),
            &[1, 2]
        );
    }
}
