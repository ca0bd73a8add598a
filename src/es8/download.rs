//! ES8.DownloadAndInstallation (SGP.02 §4.1.3.3, §5.5.2), SM-DP side: the
//! protected profile package as the ordered `86` SCP03t command TLVs the
//! SM-SR relays to the ISD-P (ES3.SendData with moreToDo until the last),
//! and the card's answers, the last of which carries the SAIP
//! `EUICCResponse` (PE_Definitions v3.3.1; njiwa decodes the same).
//!
//! The TLVs are not put in STORE DATA APDUs: SCP03t is the TLV form of
//! SCP03 ("t"), the ISD-P takes the `84`/`85`/`86` TLVs themselves, and
//! the SM-SR chains the scripts that carry the `84`, `85` and every
//! non-last `86` (SGP.02 Annex K as njiwa cites it; see
//! [`Segment::more_to_follow`]).

use alloc::string::String;
use alloc::vec::Vec;

use crate::crypto::{Scp03Provider, Software};
use crate::scp03t::{Error, ErrorKind, Session, segment, tag};
use crate::tlv::{self, Buffer, Options, Tag, Tlv};

/// One `86` segment to send, with the session state its answer is checked
/// against (an R-MAC covers the chaining value of the command it answers),
/// its keys held by the session's provider `P`.
#[derive(Clone)]
pub struct Segment<P: Scp03Provider = Software> {
    tlv: Vec<u8>,
    more_to_follow: bool,
    answered_by: Session<P>,
}

impl<P: Scp03Provider> core::fmt::Debug for Segment<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Segment")
            .field("tlv", &self.tlv.len())
            .field("more_to_follow", &self.more_to_follow)
            .field("answered_by", &self.answered_by)
            .finish()
    }
}

impl<P: Scp03Provider> Segment<P> {
    /// The protected `86` TLV.
    pub fn tlv(&self) -> &[u8] {
        &self.tlv
    }

    /// Whether more segments follow (ES3.SendData moreToDo; the SM-SR
    /// keeps the session open or chains the script).
    pub const fn more_to_follow(&self) -> bool {
        self.more_to_follow
    }

    /// Checks the card's answer to this segment (R-MAC, R-ENCRYPTION as
    /// the level says) and returns its plain data: empty for an
    /// intermediate segment, the encoded [`EuiccResponse`] for the last.
    ///
    /// # Errors
    /// [`ErrorKind::CardError`] for the card's `9F46` refusal; a bad R-MAC;
    /// [`ErrorKind::UnexpectedTag`].
    pub fn check_answer(&self, answer: &[u8]) -> Result<Vec<u8>, Error> {
        crate::scp03t::CardError::check(answer)?;
        let mut out = alloc::vec![0u8; answer.len()];
        let (t, data) = self.answered_by.unwrap_response(answer, &mut out)?;
        if t != tag::SEGMENT {
            return Err(Error::new(
                ErrorKind::UnexpectedTag {
                    expected: tag::SEGMENT,
                    found: u32::from(t),
                },
                0,
            ));
        }
        Ok(data.to_vec())
    }
}

/// Cuts `package` (SAIP DER) into protected `86` segments of at most
/// `max_segment_len` octets with the open `session` (the SM-DP side of
/// SCP03t after `84`/`85`).
///
/// # Errors
/// [`ErrorKind::SegmentSizeTooSmall`]; [`ErrorKind::BadValue`] for an
/// empty package; as [`Session::wrap`].
pub fn segments<P: Scp03Provider + Clone>(
    session: &mut Session<P>,
    package: &[u8],
    max_segment_len: usize,
) -> Result<Vec<Segment<P>>, Error> {
    if package.is_empty() {
        return Err(Error::new(ErrorKind::BadValue("empty profile package"), 0));
    }
    let mut out = Vec::new();
    let chunks = segment::chunks(package, max_segment_len, segment::Protection::Scp03t)?;
    for c in chunks {
        let mut t = Vec::with_capacity(max_segment_len);
        session.wrap(tag::SEGMENT, c.data, &mut t)?;
        out.push(Segment {
            tlv: t,
            more_to_follow: c.offset + c.data.len() < package.len(),
            answered_by: session.clone(),
        });
    }
    Ok(out)
}

/// `PEStatus.status` (PE_Definitions v3.3.1): an open code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeStatusCode(pub u32);

impl PeStatusCode {
    /// ok(0).
    pub const OK: Self = Self(0);
    /// pe-not-supported(1).
    pub const PE_NOT_SUPPORTED: Self = Self(1);
    /// memory-failure(2).
    pub const MEMORY_FAILURE: Self = Self(2);
    /// bad-values(3).
    pub const BAD_VALUES: Self = Self(3);
    /// not-enough-memory(4).
    pub const NOT_ENOUGH_MEMORY: Self = Self(4);
    /// invalid-request-format(5).
    pub const INVALID_REQUEST_FORMAT: Self = Self(5);
    /// invalid-parameter(6).
    pub const INVALID_PARAMETER: Self = Self(6);
    /// unsupported-profile-version(31).
    pub const UNSUPPORTED_PROFILE_VERSION: Self = Self(31);
}

/// One `PEStatus` (AUTOMATIC TAGS: `80` status, `81` identification, `82`
/// additional-information, `83` offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeStatus {
    /// The status.
    pub status: PeStatusCode,
    /// Identification number of the PE that caused it.
    pub identification: Option<u16>,
    /// Additional information.
    pub additional_information: Option<u8>,
    /// Position of the part of the PE that caused it.
    pub offset: Option<u32>,
}

/// The SAIP `EUICCResponse`: `30` { `A0` { PEStatus… } [`81` NULL
/// profileInstallationAborted] [`82` statusMessage] }.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EuiccResponse {
    /// peStatus.
    pub pe_status: Vec<PeStatus>,
    /// profileInstallationAborted.
    pub aborted: bool,
    /// statusMessage (2..64 UTF-8 characters).
    pub status_message: Option<String>,
}

/// A DER INTEGER value (X.690 §8.3) as an unsigned number of at most 32
/// bits, minimal.
fn uint(v: &[u8], at: usize) -> Result<u32, Error> {
    let bad = Error::new(ErrorKind::BadValue("PEStatus INTEGER"), at);
    let minimal = match v {
        [] => false,
        [0, b, ..] => *b >= 0x80,
        [b, ..] => *b < 0x80,
    };
    let digits = match v {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => v,
    };
    if !minimal || digits.len() > 4 {
        return Err(bad);
    }
    Ok(digits.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)))
}

/// `n` as a DER INTEGER with context tag `tag` (minimal, unsigned).
fn put_int(out: &mut Vec<u8>, tag: u8, n: u32) -> Result<(), Error> {
    let b = n.to_be_bytes();
    let b = [0, b[0], b[1], b[2], b[3]];
    // The shortest suffix that keeps the value positive.
    let start = (0..4)
        .find(|i| !(b.get(*i) == Some(&0) && b.get(i + 1).is_some_and(|x| *x < 0x80)))
        .unwrap_or(4);
    let digits = b
        .get(start..)
        .ok_or(Error::new(ErrorKind::BadValue("INTEGER"), 0))?;
    out.put(&[tag])?;
    tlv::write_length(out, digits.len())?;
    out.put(digits)?;
    Ok(())
}

/// `value` with `tag` and its length.
fn put_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) -> Result<(), Error> {
    out.put(&[tag])?;
    tlv::write_length(out, value.len())?;
    out.put(value)?;
    Ok(())
}

impl PeStatus {
    /// The `ok` status of a whole package.
    pub const OK: Self = Self {
        status: PeStatusCode::OK,
        identification: None,
        additional_information: None,
        offset: None,
    };

    fn parse(t: &Tlv<'_>) -> Result<Self, Error> {
        let mut s = Self {
            status: PeStatusCode(u32::MAX),
            identification: None,
            additional_information: None,
            offset: None,
        };
        let mut seen_status = false;
        let bad = |what, at| Error::new(ErrorKind::BadValue(what), at);
        for c in t.children() {
            let c = c?;
            let at = c.offset();
            let n = uint(c.value(), at)?;
            match c.tag().raw() {
                0x80 => (s.status, seen_status) = (PeStatusCode(n), true),
                0x81 => {
                    s.identification =
                        Some(u16::try_from(n).map_err(|_| bad("identification", at))?)
                }
                0x82 => {
                    s.additional_information =
                        Some(u8::try_from(n).map_err(|_| bad("additional-information", at))?);
                }
                0x83 => s.offset = Some(n),
                _ => return Err(bad("PEStatus member", at)),
            }
        }
        if !seen_status {
            return Err(bad("PEStatus status (missing)", t.offset()));
        }
        Ok(s)
    }

    fn emit(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let mut v = Vec::new();
        put_int(&mut v, 0x80, self.status.0)?;
        if let Some(i) = self.identification {
            put_int(&mut v, 0x81, u32::from(i))?;
        }
        if let Some(i) = self.additional_information {
            put_int(&mut v, 0x82, u32::from(i))?;
        }
        if let Some(i) = self.offset {
            put_int(&mut v, 0x83, i)?;
        }
        put_tlv(out, 0x30, &v)
    }
}

impl EuiccResponse {
    /// The answer of a card that installed the whole package.
    pub fn ok() -> Self {
        Self {
            pe_status: alloc::vec![PeStatus::OK],
            aborted: false,
            status_message: None,
        }
    }

    /// Whether every PEStatus is ok and the installation was not aborted.
    pub fn is_ok(&self) -> bool {
        !self.aborted && self.pe_status.iter().all(|s| s.status == PeStatusCode::OK)
    }

    /// Decodes the DER (the whole input).
    ///
    /// # Errors
    /// A malformed TLV; [`ErrorKind::BadValue`] for a member of another
    /// tag or an out-of-range value.
    pub fn parse(input: &[u8]) -> Result<Self, Error> {
        let t = Tlv::parse_exact(input, Options::strict())?;
        let bad = |what, at| Error::new(ErrorKind::BadValue(what), at);
        if t.tag() != Tag::new(0x30) {
            return Err(bad("EUICCResponse tag", 0));
        }
        let mut members = t.children();
        let list = members
            .next()
            .ok_or(bad("peStatus (missing)", t.value_offset()))??;
        if list.tag() != Tag::new(0xA0) {
            return Err(bad("peStatus tag", list.offset()));
        }
        let mut r = Self {
            pe_status: Vec::new(),
            aborted: false,
            status_message: None,
        };
        for s in list.children() {
            r.pe_status.push(PeStatus::parse(&s?)?);
        }
        for m in members {
            let m = m?;
            match m.tag().raw() {
                0x81 if m.value().is_empty() && !r.aborted && r.status_message.is_none() => {
                    r.aborted = true
                }
                0x82 if r.status_message.is_none() => {
                    let text = core::str::from_utf8(m.value())
                        .map_err(|_| bad("statusMessage", m.offset()))?;
                    r.status_message = Some(String::from(text));
                }
                _ => return Err(bad("EUICCResponse member", m.offset())),
            }
        }
        Ok(r)
    }

    /// The DER encoding.
    ///
    /// # Errors
    /// Only for values beyond what a length field holds.
    pub fn to_vec(&self) -> Result<Vec<u8>, Error> {
        let mut list = Vec::new();
        for s in &self.pe_status {
            s.emit(&mut list)?;
        }
        let mut v = Vec::new();
        put_tlv(&mut v, 0xA0, &list)?;
        if self.aborted {
            put_tlv(&mut v, 0x81, &[])?;
        }
        if let Some(m) = &self.status_message {
            put_tlv(&mut v, 0x82, m.as_bytes())?;
        }
        let mut out = Vec::new();
        put_tlv(&mut out, 0x30, &v)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ok answer is `30 07 A0 05 30 03 80 01 00` (AUTOMATIC TAGS of
    /// PE_Definitions v3.3.1); a failure with every member round-trips.
    #[test]
    fn euicc_response_encoding() {
        assert_eq!(
            EuiccResponse::ok().to_vec().unwrap(),
            [0x30, 0x07, 0xA0, 0x05, 0x30, 0x03, 0x80, 0x01, 0x00]
        );
        let r = EuiccResponse {
            pe_status: alloc::vec![PeStatus {
                status: PeStatusCode::NOT_ENOUGH_MEMORY,
                identification: Some(300),
                additional_information: Some(0x80),
                offset: Some(0x0001_0000),
            }],
            aborted: true,
            status_message: Some(String::from("quota")),
        };
        let der = r.to_vec().unwrap();
        assert_eq!(EuiccResponse::parse(&der).unwrap(), r);
        assert!(!r.is_ok() && EuiccResponse::ok().is_ok());
        // 0x80 needs a leading zero octet; a non-minimal INTEGER is refused.
        assert!(der.windows(4).any(|w| w == [0x82, 0x02, 0x00, 0x80]));
        assert!(
            EuiccResponse::parse(&[0x30, 0x08, 0xA0, 0x06, 0x30, 0x04, 0x80, 0x02, 0x00, 0x01])
                .is_err()
        );
        assert!(EuiccResponse::parse(&[0x30, 0x02, 0xA1, 0x00]).is_err());
        assert!(
            EuiccResponse::parse(&[0x30, 0x04, 0xA0, 0x02, 0x30, 0x00]).is_err(),
            "status missing"
        );
    }
}
