//! The remote administration protocol over HTTP (GlobalPlatform Card
//! Specification Amendment B, "RAM over HTTP", §3.3–3.5): the eUICC's POST
//! requests and the SM-SR's responses, on both sides.
//!
//! Header values follow Amendment B §3.4 as used by SGP.02 §2.4.4: the card
//! (HTTP client) sends `X-Admin-Protocol`, `X-Admin-From`, and after the first
//! POST `X-Admin-Script-Status` (and `X-Admin-Resume: true` when resuming);
//! the server answers `200` with `X-Admin-Next-URI`, optionally
//! `X-Admin-Targeted-Application: //aid/<RID>/<PIX>`, and the command script,
//! or `204 No Content` to end the session.

use super::super::Error;
use super::message::{self, Body, Limits, Request, Response, Status};
use super::writer::{Writer, decode_hex};

/// `X-Admin-Protocol` value of Amendment B v1.x.
pub const ADMIN_PROTOCOL: &str = "globalplatform-remote-admin/1.0";
/// Content type of a command script (server → card).
pub const CONTENT_TYPE_COMMAND: &str =
    "application/vnd.globalplatform.card-content-mgt;version=1.0";
/// Content type of a response script (card → server).
pub const CONTENT_TYPE_RESPONSE: &str =
    "application/vnd.globalplatform.card-content-mgt-response;version=1.0";

/// Header names (compared case-insensitively when parsing).
pub mod header {
    /// Protocol identifier, both directions.
    pub const X_ADMIN_PROTOCOL: &str = "X-Admin-Protocol";
    /// The administration agent's identity (card → server).
    pub const X_ADMIN_FROM: &str = "X-Admin-From";
    /// Where the card posts next (server → card).
    pub const X_ADMIN_NEXT_URI: &str = "X-Admin-Next-URI";
    /// The application the script is for (server → card).
    pub const X_ADMIN_TARGETED_APPLICATION: &str = "X-Admin-Targeted-Application";
    /// Outcome of the previous script (card → server).
    pub const X_ADMIN_SCRIPT_STATUS: &str = "X-Admin-Script-Status";
    /// `true` when the card resumes an interrupted session (card → server).
    pub const X_ADMIN_RESUME: &str = "X-Admin-Resume";
    /// `Content-Type`.
    pub const CONTENT_TYPE: &str = "Content-Type";
    /// `Host`.
    pub const HOST: &str = "Host";
}

/// Longest `X-Admin-Script-Status` value kept for an unknown status.
pub const MAX_STATUS_LEN: usize = 48;

/// `X-Admin-Script-Status` (Amendment B §3.4.1; the last three come from the
/// SE-access variant of the protocol). An unknown value is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScriptStatus {
    /// `ok`: the script was executed; the body holds the response script.
    Ok,
    /// `unknown-application`: the targeted application does not exist.
    UnknownApplication,
    /// `not-a-security-domain`: the targeted application is not an SD.
    NotASecurityDomain,
    /// `security-error`: the script failed a security check.
    SecurityError,
    /// `unavailable-se`.
    UnavailableSe,
    /// `temporarily-unavailable-application`.
    TemporarilyUnavailableApplication,
    /// `script-format-error`.
    ScriptFormatError,
    /// Any other value, as sent.
    Other(heapless::String<MAX_STATUS_LEN>),
}

impl ScriptStatus {
    const NAMED: [(&'static str, Self); 7] = [
        ("ok", Self::Ok),
        ("unknown-application", Self::UnknownApplication),
        ("not-a-security-domain", Self::NotASecurityDomain),
        ("security-error", Self::SecurityError),
        ("unavailable-se", Self::UnavailableSe),
        (
            "temporarily-unavailable-application",
            Self::TemporarilyUnavailableApplication,
        ),
        ("script-format-error", Self::ScriptFormatError),
    ];

    /// Parses a header value (case-insensitive for the named values).
    ///
    /// # Errors
    /// [`Error::BadHeaderValue`] for an empty value or an unknown one longer
    /// than [`MAX_STATUS_LEN`].
    pub fn parse(value: &str) -> Result<Self, Error> {
        let bad = Error::BadHeaderValue {
            name: header::X_ADMIN_SCRIPT_STATUS,
        };
        if value.is_empty() {
            return Err(bad);
        }
        if let Some((_, s)) = Self::NAMED
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(value))
        {
            return Ok(s.clone());
        }
        heapless::String::try_from(value)
            .map(Self::Other)
            .map_err(|_| bad)
    }

    /// The header value.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(s) => s.as_str(),
            named => Self::NAMED
                .iter()
                .find(|(_, s)| s == named)
                .map_or("", |(n, _)| n),
        }
    }
}

/// Which admin content type a `Content-Type` value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentType {
    /// `application/vnd.globalplatform.card-content-mgt;version=1.0`.
    CommandScript,
    /// `application/vnd.globalplatform.card-content-mgt-response;version=1.0`.
    ResponseScript,
    /// Anything else.
    Other,
}

impl ContentType {
    /// Classifies a header value: media type case-insensitive, parameters
    /// separated by `;` with optional whitespace, `version` must be `1.0`.
    pub fn classify(value: &str) -> Self {
        let (media, params) = value.split_once(';').unwrap_or((value, ""));
        let media = media.trim_matches([' ', '\t']);
        let parts = params
            .split(';')
            .map(|p| p.trim_matches([' ', '\t']))
            .filter(|p| !p.is_empty());
        let mut version = None;
        for p in parts {
            if let Some((k, v)) = p.split_once('=')
                && k.trim_matches([' ', '\t']).eq_ignore_ascii_case("version")
            {
                version = Some(v.trim_matches([' ', '\t', '"']));
            }
        }
        if version != Some("1.0") {
            return Self::Other;
        }
        if media.eq_ignore_ascii_case("application/vnd.globalplatform.card-content-mgt") {
            Self::CommandScript
        } else if media
            .eq_ignore_ascii_case("application/vnd.globalplatform.card-content-mgt-response")
        {
            Self::ResponseScript
        } else {
            Self::Other
        }
    }
}

/// An AID held inline (ISO/IEC 7816-5: 5 to 16 octets).
pub type AidBuf = heapless::Vec<u8, 16>;

/// Parses `//aid/<RID>/<PIX>` (Amendment B §3.4.2; RID = 5 octets in hex,
/// PIX = 0 to 11 octets in hex).
///
/// # Errors
/// [`Error::BadHeaderValue`] when the value does not have that shape.
pub fn parse_targeted_application(value: &str) -> Result<AidBuf, Error> {
    value
        .strip_prefix("//aid/")
        .and_then(parse_rid_pix)
        .ok_or(Error::BadHeaderValue {
            name: header::X_ADMIN_TARGETED_APPLICATION,
        })
}

/// Parses `<RID>/<PIX>` (or a bare `<RID>`) in hex.
pub(crate) fn parse_rid_pix(text: &str) -> Option<AidBuf> {
    let (rid, pix) = text.split_once('/').unwrap_or((text, ""));
    let mut buf = [0u8; 16];
    let rid = decode_hex(rid.as_bytes(), &mut buf)?;
    if rid.len() != 5 {
        return None;
    }
    let mut aid = AidBuf::from_slice(rid).ok()?;
    let pix = decode_hex(pix.as_bytes(), &mut buf)?;
    aid.extend_from_slice(pix).ok()?;
    Some(aid)
}

fn write_targeted_application(w: &mut Writer<'_>, aid: &[u8]) {
    let (rid, pix) = aid.split_at_checked(5).unwrap_or((aid, &[]));
    w.str("//aid/");
    w.hex_upper(rid);
    w.str("/");
    w.hex_upper(pix);
}

fn check_aid(aid: &[u8]) -> Result<(), Error> {
    if (5..=16).contains(&aid.len()) {
        Ok(())
    } else {
        Err(Error::BadLength {
            what: "targeted application AID",
            len: aid.len(),
            offset: 0,
        })
    }
}

/// A header value must be visible ASCII or spaces (no CR/LF injection).
fn check_value(name: &'static str, value: &str) -> Result<(), Error> {
    if value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        Ok(())
    } else {
        Err(Error::BadHeaderValue { name })
    }
}

/// A request target must be visible ASCII, non-empty.
fn check_uri(value: &str) -> Result<(), Error> {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(Error::BadValue {
            what: "request URI",
            offset: 0,
        })
    }
}

/// How an emitted body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// `Content-Length`.
    ContentLength,
    /// `Transfer-Encoding: chunked` with chunks of at most this many bytes
    /// (0 is treated as 1).
    Chunked(usize),
}

fn write_body(w: &mut Writer<'_>, body: &[u8], framing: BodyFraming) {
    match framing {
        BodyFraming::ContentLength => {
            w.str("Content-Length: ");
            w.decimal(body.len());
            w.str("\r\n\r\n");
            w.bytes(body);
        }
        BodyFraming::Chunked(max) => {
            w.str("Transfer-Encoding: chunked\r\n\r\n");
            for chunk in body.chunks(max.max(1)) {
                w.hex_number(chunk.len());
                w.str("\r\n");
                w.bytes(chunk);
                w.str("\r\n");
            }
            w.str("0\r\n\r\n");
        }
    }
}

// ---------------------------------------------------------------------------
// Server side: parse the card's POST, emit the response.
// ---------------------------------------------------------------------------

/// An eUICC's POST, validated against the admin protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminPost<'a> {
    /// The request target (the admin URI or the last `X-Admin-Next-URI`).
    pub uri: &'a str,
    /// `Host`.
    pub host: Option<&'a str>,
    /// `X-Admin-Protocol`.
    pub protocol: &'a str,
    /// `X-Admin-From`.
    pub from: Option<&'a str>,
    /// `X-Admin-Script-Status` (absent on the first POST).
    pub script_status: Option<ScriptStatus>,
    /// `X-Admin-Resume: true`.
    pub resume: bool,
    /// The response script (empty on the first POST).
    pub body: Body<'a>,
}

impl<'a> AdminPost<'a> {
    /// Checks a parsed request against Amendment B §3.4.1: method `POST`,
    /// `X-Admin-Protocol` present and `globalplatform-remote-admin/1.x`, a
    /// non-empty body typed as a response script, a known resume flag.
    ///
    /// # Errors
    /// [`Error::Unsupported`] for another method, [`Error::MissingHeader`],
    /// [`Error::BadHeaderValue`].
    pub fn from_request(req: &Request<'a>) -> Result<Self, Error> {
        if req.method != "POST" {
            return Err(Error::Unsupported {
                what: "method (the admin protocol uses POST)",
                offset: 0,
            });
        }
        let h = &req.headers;
        let protocol = h
            .get(header::X_ADMIN_PROTOCOL)
            .ok_or(Error::MissingHeader {
                name: header::X_ADMIN_PROTOCOL,
            })?;
        if !protocol.starts_with("globalplatform-remote-admin/1.") {
            return Err(Error::BadHeaderValue {
                name: header::X_ADMIN_PROTOCOL,
            });
        }
        let script_status = h
            .get(header::X_ADMIN_SCRIPT_STATUS)
            .map(ScriptStatus::parse)
            .transpose()?;
        let resume = match h.get(header::X_ADMIN_RESUME) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(_) => {
                return Err(Error::BadHeaderValue {
                    name: header::X_ADMIN_RESUME,
                });
            }
        };
        if !req.body.is_empty()
            && h.get(header::CONTENT_TYPE).map(ContentType::classify)
                != Some(ContentType::ResponseScript)
        {
            return Err(Error::BadHeaderValue {
                name: header::CONTENT_TYPE,
            });
        }
        Ok(Self {
            uri: req.target,
            host: h.get(header::HOST),
            protocol,
            from: h.get(header::X_ADMIN_FROM),
            script_status,
            resume,
            body: req.body,
        })
    }
}

/// Parses and validates one POST from the start of `input`.
///
/// # Errors
/// Those of [`message::parse_request`] and [`AdminPost::from_request`].
pub fn parse_post<'a>(input: &'a [u8], limits: &Limits) -> Result<Status<AdminPost<'a>>, Error> {
    match message::parse_request(input, limits)? {
        Status::Partial => Ok(Status::Partial),
        Status::Complete(req, n) => Ok(Status::Complete(AdminPost::from_request(&req)?, n)),
    }
}

/// An HTTP error status the server sends before closing a broken connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStatus {
    /// `400 Bad Request`: malformed message or protocol violation.
    BadRequest,
    /// `408 Request Timeout`: the request did not complete in time.
    RequestTimeout,
    /// `413 Content Too Large`: body over the limit.
    ContentTooLarge,
    /// `431 Request Header Fields Too Large`: too many or too long headers.
    HeaderFieldsTooLarge,
}

impl ErrorStatus {
    /// The status for an error found while reading a request.
    pub const fn for_error(e: &Error) -> Self {
        match e {
            Error::BodyTooLarge { .. } => Self::ContentTooLarge,
            Error::TooManyHeaders { .. } | Error::HeadersTooLarge { .. } => {
                Self::HeaderFieldsTooLarge
            }
            Error::Timeout => Self::RequestTimeout,
            _ => Self::BadRequest,
        }
    }

    /// Code and reason phrase.
    pub const fn code_reason(self) -> (u16, &'static str) {
        match self {
            Self::BadRequest => (400, "Bad Request"),
            Self::RequestTimeout => (408, "Request Timeout"),
            Self::ContentTooLarge => (413, "Content Too Large"),
            Self::HeaderFieldsTooLarge => (431, "Request Header Fields Too Large"),
        }
    }
}

/// The SM-SR's answer to a POST (Amendment B §3.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminResponse<'a> {
    /// `200 OK` with a command script.
    Script {
        /// The command script (expanded format, `AA`/`AE`, TS 102 226 §5.2).
        script: &'a [u8],
        /// `X-Admin-Next-URI`; `None` ends the session after this script
        /// (the card executes it but posts no result).
        next_uri: Option<&'a str>,
        /// `X-Admin-Targeted-Application` AID, when the script is for an
        /// application other than the one terminating TLS (e.g. an ISD-P).
        targeted_application: Option<&'a [u8]>,
        /// Body framing.
        framing: BodyFraming,
    },
    /// `204 No Content`: the session ends.
    NoContent,
    /// An error status, sent with `Connection: close`.
    Error(ErrorStatus),
}

impl AdminResponse<'_> {
    /// Bytes [`AdminResponse::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        let mut w = Writer::new(&mut []);
        self.write(&mut w);
        w.len()
    }

    /// Writes the response at the start of `out`; returns its length.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`]; [`Error::BadHeaderValue`] /
    /// [`Error::BadValue`] / [`Error::BadLength`] for a Next-URI with
    /// characters not allowed in a header or an AID not 5 to 16 octets.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        if let Self::Script {
            next_uri,
            targeted_application,
            ..
        } = self
        {
            if let Some(u) = next_uri {
                check_uri(u)?;
            }
            if let Some(aid) = targeted_application {
                check_aid(aid)?;
            }
        }
        let mut w = Writer::new(out);
        self.write(&mut w);
        w.finish()
    }

    fn write(&self, w: &mut Writer<'_>) {
        match *self {
            Self::Script {
                script,
                next_uri,
                targeted_application,
                framing,
            } => {
                w.str("HTTP/1.1 200 OK\r\nX-Admin-Protocol: ");
                w.str(ADMIN_PROTOCOL);
                w.str("\r\n");
                if let Some(u) = next_uri {
                    w.str("X-Admin-Next-URI: ");
                    w.str(u);
                    w.str("\r\n");
                }
                if let Some(aid) = targeted_application {
                    w.str("X-Admin-Targeted-Application: ");
                    write_targeted_application(w, aid);
                    w.str("\r\n");
                }
                w.str("Content-Type: ");
                w.str(CONTENT_TYPE_COMMAND);
                w.str("\r\n");
                write_body(w, script, framing);
            }
            Self::NoContent => {
                w.str("HTTP/1.1 204 No Content\r\nX-Admin-Protocol: ");
                w.str(ADMIN_PROTOCOL);
                w.str("\r\n\r\n");
            }
            Self::Error(e) => {
                let (code, reason) = e.code_reason();
                w.str("HTTP/1.1 ");
                w.decimal(usize::from(code));
                w.str(" ");
                w.str(reason);
                w.str("\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Card side: emit the POST, parse the response.
// ---------------------------------------------------------------------------

/// A POST as the card's administration agent sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRequest<'a> {
    /// Request target: the admin URI (`8C`) first, then each Next-URI.
    pub uri: &'a str,
    /// `Host` (`8A`).
    pub host: Option<&'a str>,
    /// `X-Admin-From` (`8B`).
    pub from: Option<&'a str>,
    /// `X-Admin-Script-Status` (absent on the first POST).
    pub script_status: Option<ScriptStatus>,
    /// Send `X-Admin-Resume: true`.
    pub resume: bool,
    /// The response script (empty on the first POST).
    pub body: &'a [u8],
    /// Body framing (cards commonly use chunked).
    pub framing: BodyFraming,
}

impl AdminRequest<'_> {
    /// Bytes [`AdminRequest::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        let mut w = Writer::new(&mut []);
        self.write(&mut w);
        w.len()
    }

    /// Writes the request at the start of `out`; returns its length.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`]; [`Error::BadValue`] /
    /// [`Error::BadHeaderValue`] for values with characters not allowed.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, Error> {
        check_uri(self.uri)?;
        if let Some(h) = self.host {
            check_value(header::HOST, h)?;
        }
        if let Some(f) = self.from {
            check_value(header::X_ADMIN_FROM, f)?;
        }
        if let Some(s) = &self.script_status {
            check_value(header::X_ADMIN_SCRIPT_STATUS, s.as_str())?;
        }
        let mut w = Writer::new(out);
        self.write(&mut w);
        w.finish()
    }

    fn write(&self, w: &mut Writer<'_>) {
        w.str("POST ");
        w.str(self.uri);
        w.str(" HTTP/1.1\r\n");
        if let Some(h) = self.host {
            w.str("Host: ");
            w.str(h);
            w.str("\r\n");
        }
        w.str("X-Admin-Protocol: ");
        w.str(ADMIN_PROTOCOL);
        w.str("\r\n");
        if let Some(f) = self.from {
            w.str("X-Admin-From: ");
            w.str(f);
            w.str("\r\n");
        }
        if let Some(s) = &self.script_status {
            w.str("X-Admin-Script-Status: ");
            w.str(s.as_str());
            w.str("\r\n");
        }
        if self.resume {
            w.str("X-Admin-Resume: true\r\n");
        }
        if !self.body.is_empty() {
            w.str("Content-Type: ");
            w.str(CONTENT_TYPE_RESPONSE);
            w.str("\r\n");
        }
        write_body(w, self.body, self.framing);
    }
}

/// The server's answer as the card sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminReply<'a> {
    /// `200` with a command script.
    Script {
        /// `X-Admin-Next-URI`; `None` means: execute, then end.
        next_uri: Option<&'a str>,
        /// `X-Admin-Targeted-Application`.
        targeted_application: Option<AidBuf>,
        /// The command script.
        body: Body<'a>,
    },
    /// `204`: the session ends.
    NoContent,
}

impl<'a> AdminReply<'a> {
    /// Checks a parsed response: `200` needs a command-script content type,
    /// `204` ends; any other status is a protocol error.
    ///
    /// # Errors
    /// [`Error::Protocol`] for another status, [`Error::BadHeaderValue`].
    pub fn from_response(resp: &Response<'a>) -> Result<Self, Error> {
        let h = &resp.headers;
        if let Some(p) = h.get(header::X_ADMIN_PROTOCOL)
            && !p.starts_with("globalplatform-remote-admin/1.")
        {
            return Err(Error::BadHeaderValue {
                name: header::X_ADMIN_PROTOCOL,
            });
        }
        match resp.status {
            204 => Ok(Self::NoContent),
            200 => {
                if h.get(header::CONTENT_TYPE).map(ContentType::classify)
                    != Some(ContentType::CommandScript)
                {
                    return Err(Error::BadHeaderValue {
                        name: header::CONTENT_TYPE,
                    });
                }
                Ok(Self::Script {
                    next_uri: h.get(header::X_ADMIN_NEXT_URI),
                    targeted_application: h
                        .get(header::X_ADMIN_TARGETED_APPLICATION)
                        .map(parse_targeted_application)
                        .transpose()?,
                    body: resp.body,
                })
            }
            _ => Err(Error::Protocol {
                what: "server answered with a status other than 200 or 204",
            }),
        }
    }
}

/// Parses and validates one response from the start of `input`.
///
/// # Errors
/// Those of [`message::parse_response`] and [`AdminReply::from_response`].
pub fn parse_reply<'a>(input: &'a [u8], limits: &Limits) -> Result<Status<AdminReply<'a>>, Error> {
    match message::parse_response(input, limits)? {
        Status::Partial => Ok(Status::Partial),
        Status::Complete(resp, n) => Ok(Status::Complete(AdminReply::from_response(&resp)?, n)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]
    extern crate std;
    use super::*;
    use std::{vec, vec::Vec};

    const ISD_R: [u8; 16] = [
        0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01,
        0x00,
    ];

    fn emit_resp(r: &AdminResponse<'_>) -> Vec<u8> {
        let mut v = vec![0u8; r.buffer_len()];
        let n = r.emit(&mut v).unwrap();
        assert_eq!(n, v.len());
        v
    }

    #[test]
    fn script_response_bytes() {
        let r = AdminResponse::Script {
            script: &[0xAA, 0x00],
            next_uri: Some("/adm?n=1"),
            targeted_application: Some(&ISD_R),
            framing: BodyFraming::ContentLength,
        };
        assert_eq!(
            emit_resp(&r),
            b"HTTP/1.1 200 OK\r\n\
X-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\
X-Admin-Next-URI: /adm?n=1\r\n\
X-Admin-Targeted-Application: //aid/A000000559/1010FFFFFFFF8900000100\r\n\
Content-Type: application/vnd.globalplatform.card-content-mgt;version=1.0\r\n\
Content-Length: 2\r\n\r\n\xAA\x00"
        );
        assert_eq!(
            emit_resp(&AdminResponse::NoContent),
            b"HTTP/1.1 204 No Content\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\r\n"
        );
        assert_eq!(
            emit_resp(&AdminResponse::Error(ErrorStatus::ContentTooLarge)),
            b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    }

    #[test]
    fn response_round_trip_through_card_parser() {
        let script: Vec<u8> = (0..=255u8).collect();
        for framing in [
            BodyFraming::ContentLength,
            BodyFraming::Chunked(100),
            BodyFraming::Chunked(0),
        ] {
            let r = AdminResponse::Script {
                script: &script,
                next_uri: Some("/x?y=1&n=2"),
                targeted_application: Some(&ISD_R[..5]),
                framing,
            };
            let bytes = emit_resp(&r);
            let Status::Complete(reply, n) = parse_reply(&bytes, &Limits::DEFAULT).unwrap() else {
                panic!()
            };
            assert_eq!(n, bytes.len());
            let AdminReply::Script {
                next_uri,
                targeted_application,
                body,
            } = reply
            else {
                panic!()
            };
            assert_eq!(next_uri, Some("/x?y=1&n=2"));
            assert_eq!(targeted_application.as_deref(), Some(&ISD_R[..5]));
            let mut out = vec![0u8; body.len()];
            assert_eq!(body.copy_to(&mut out).unwrap(), &script[..]);
        }
    }

    #[test]
    fn request_round_trip_through_server_parser() {
        let body = [0xAB, 0x07, 0x80, 0x01, 0x01, 0x23, 0x02, 0x90, 0x00];
        for (status, resume, body, framing) in [
            (None, false, &[][..], BodyFraming::ContentLength),
            (
                Some(ScriptStatus::Ok),
                true,
                &body[..],
                BodyFraming::Chunked(3),
            ),
            (
                Some(ScriptStatus::parse("vendor-thing").unwrap()),
                false,
                &body[..],
                BodyFraming::ContentLength,
            ),
        ] {
            let req = AdminRequest {
                uri: "/gp/adm?n=3",
                host: Some("smsr.example"),
                from: Some(
                    "//se-id/eid/89001012012341234012345678901224;//aa-id/aid/A000000559/1010FFFFFFFF8900000100",
                ),
                script_status: status.clone(),
                resume,
                body,
                framing,
            };
            let mut buf = vec![0u8; req.buffer_len()];
            assert_eq!(req.emit(&mut buf).unwrap(), buf.len());
            let Status::Complete(post, n) = parse_post(&buf, &Limits::DEFAULT).unwrap() else {
                panic!()
            };
            assert_eq!(n, buf.len());
            assert_eq!(post.uri, "/gp/adm?n=3");
            assert_eq!(post.host, Some("smsr.example"));
            assert_eq!(post.from, req.from);
            assert_eq!(post.script_status, status);
            assert_eq!(post.resume, resume);
            let mut out = vec![0u8; post.body.len()];
            assert_eq!(post.body.copy_to(&mut out).unwrap(), body);
        }
    }

    #[test]
    fn header_values_are_case_insensitive_where_allowed() {
        let m = b"POST /a HTTP/1.1\r\nx-admin-protocol: globalplatform-remote-admin/1.0\r\n\
x-admin-script-status: Security-Error\r\nX-ADMIN-RESUME: TRUE\r\n\
content-type: Application/Vnd.GlobalPlatform.Card-Content-Mgt-Response; version=1.0\r\n\
content-length: 1\r\n\r\nZ";
        let Status::Complete(p, _) = parse_post(m, &Limits::DEFAULT).unwrap() else {
            panic!()
        };
        assert_eq!(p.script_status, Some(ScriptStatus::SecurityError));
        assert!(p.resume);
    }

    #[test]
    fn admin_violations() {
        let l = Limits::DEFAULT;
        assert_eq!(
            parse_post(b"GET / HTTP/1.1\r\n\r\n", &l),
            Err(Error::Unsupported {
                what: "method (the admin protocol uses POST)",
                offset: 0
            })
        );
        assert_eq!(
            parse_post(b"POST / HTTP/1.1\r\n\r\n", &l),
            Err(Error::MissingHeader {
                name: "X-Admin-Protocol"
            })
        );
        assert_eq!(
            parse_post(
                b"POST / HTTP/1.1\r\nX-Admin-Protocol: other/1.0\r\n\r\n",
                &l
            ),
            Err(Error::BadHeaderValue {
                name: "X-Admin-Protocol"
            })
        );
        assert_eq!(
            parse_post(b"POST / HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-Resume: maybe\r\n\r\n", &l),
            Err(Error::BadHeaderValue { name: "X-Admin-Resume" })
        );
        assert_eq!(
            parse_post(b"POST / HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nContent-Length: 1\r\nContent-Type: text/plain\r\n\r\nx", &l),
            Err(Error::BadHeaderValue { name: "Content-Type" })
        );
        assert_eq!(
            parse_reply(b"HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", &l),
            Err(Error::Protocol {
                what: "server answered with a status other than 200 or 204"
            })
        );
    }

    #[test]
    fn targeted_application_forms() {
        assert_eq!(
            parse_targeted_application("//aid/A000000559/1010FFFFFFFF8900000100").unwrap(),
            &ISD_R[..]
        );
        assert_eq!(
            parse_targeted_application("//aid/a000000559").unwrap(),
            &ISD_R[..5]
        );
        for bad in [
            "aid/A000000559/10",
            "//aid/A0000005/10",
            "//aid/A000000559/1",
            "//aid/A000000559/00112233445566778899AABB",
        ] {
            assert!(parse_targeted_application(bad).is_err(), "{bad}");
        }
        let r = AdminResponse::Script {
            script: &[],
            next_uri: Some("/a\r\nX: y"),
            targeted_application: None,
            framing: BodyFraming::ContentLength,
        };
        assert_eq!(
            r.emit(&mut [0u8; 512]),
            Err(Error::BadValue {
                what: "request URI",
                offset: 0
            })
        );
    }
}
