//! HTTP/1.1 message framing (RFC 9112) for the admin protocol: request and
//! status lines, header fields, `Content-Length` and chunked bodies.
//!
//! The start line, the field lines and chunk-size lines are parsed by the
//! `httparse` crate (no_std, no allocation); this module adds the limits
//! (checked before httparse sees the bytes), the body framing rules
//! (RFC 9112 §6: one `Content-Length`, `chunked` only, never both), the
//! chunked body reader and error offsets (httparse names the kind of
//! fault, the diagnosis here says where).
//!
//! Parsing is incremental in the `httparse` sense: the caller keeps the bytes
//! received so far in one buffer and calls [`parse_request`] /
//! [`parse_response`] again after each read; an incomplete message gives
//! [`Status::Partial`] ("need more"). Nothing is copied: the result borrows
//! the buffer. Limits on the header count, header size and body size are
//! checked as early as possible, so a peer cannot make the caller buffer
//! more than the limits allow.

use super::super::Error;

/// Bounds on what a parser accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most header fields in one message (at most [`MAX_HEADERS`]; a
    /// larger value counts as that).
    pub max_headers: usize,
    /// Most bytes in the start line and header fields, including the empty
    /// line that ends them.
    pub max_head_len: usize,
    /// Most bytes in a body (after removing chunk framing).
    pub max_body_len: usize,
}

impl Limits {
    /// 32 header fields, 4 KiB of head, 64 KiB of body: ample for the admin
    /// protocol, whose scripts are capped by the eUICC's buffers anyway.
    pub const DEFAULT: Self = Self {
        max_headers: 32,
        max_head_len: 4096,
        max_body_len: 65536,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Result of an incremental parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status<T> {
    /// A whole message, and the number of input bytes it took.
    Complete(T, usize),
    /// The input ends before the message does: read more and call again.
    Partial,
}

/// The HTTP version of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// `HTTP/1.0`.
    Http10,
    /// `HTTP/1.1`.
    Http11,
}

impl Version {
    /// The protocol-version text.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Http10 => "HTTP/1.0",
            Self::Http11 => "HTTP/1.1",
        }
    }
}

/// The header fields of a parsed message, validated at parse time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Headers<'a> {
    block: &'a str,
    count: usize,
}

impl<'a> Headers<'a> {
    /// Number of header fields.
    pub const fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no header fields.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The fields in order, as (name, value) with the value's surrounding
    /// whitespace removed.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.block.split('\n').filter_map(|line| {
            let line = line.strip_suffix('\r').unwrap_or(line);
            let (name, value) = line.split_once(':')?;
            Some((name, value.trim_matches([' ', '\t'])))
        })
    }

    /// The value of the first field named `name` (names compare
    /// case-insensitively, RFC 9110 §5.1).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// All values of fields named `name`.
    pub fn get_all<'n>(&self, name: &'n str) -> impl Iterator<Item = &'a str> + 'n
    where
        'a: 'n,
    {
        self.iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// A message body as it sits in the input: either one slice, or chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body<'a> {
    /// No body.
    Empty,
    /// A `Content-Length` body.
    Contiguous(&'a [u8]),
    /// A chunked body: the chunk framing from the first chunk-size line up
    /// to (not including) the last chunk, and the decoded length.
    Chunked {
        /// The chunks with their framing.
        raw: &'a [u8],
        /// Sum of the chunk sizes.
        len: usize,
    },
}

impl<'a> Body<'a> {
    /// The body length after removing chunk framing.
    pub const fn len(&self) -> usize {
        match self {
            Self::Empty => 0,
            Self::Contiguous(b) => b.len(),
            Self::Chunked { len, .. } => *len,
        }
    }

    /// Whether the body is empty.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The body data as one slice, when it is not chunked (or empty).
    pub const fn as_contiguous(&self) -> Option<&'a [u8]> {
        match self {
            Self::Empty => Some(&[]),
            Self::Contiguous(b) => Some(b),
            Self::Chunked { .. } => None,
        }
    }

    /// The data pieces in order (one piece unless chunked).
    pub fn pieces(&self) -> Pieces<'a> {
        match *self {
            Self::Empty => Pieces::Done,
            Self::Contiguous(b) => Pieces::One(b),
            Self::Chunked { raw, .. } => Pieces::Chunks(raw),
        }
    }

    /// Copies the decoded body to the start of `out`.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] when `out` is shorter than [`Body::len`];
    /// [`Error::Malformed`] when the pieces do not add up to [`Body::len`]
    /// (a hand-made [`Body::Chunked`] with broken framing or length).
    pub fn copy_to<'o>(&self, out: &'o mut [u8]) -> Result<&'o [u8], Error> {
        let available = out.len();
        let needed = self.len();
        let (dst, _) = out
            .split_at_mut_checked(needed)
            .ok_or(Error::BufferTooSmall { needed, available })?;
        let mut rest = &mut *dst;
        for piece in self.pieces() {
            let offset = needed - rest.len();
            let (d, tail) = rest
                .split_at_mut_checked(piece.len())
                .ok_or(Error::Malformed {
                    what: "chunked body longer than its length",
                    offset,
                })?;
            d.copy_from_slice(piece);
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(Error::Malformed {
                what: "chunked body shorter than its length",
                offset: needed - rest.len(),
            });
        }
        Ok(dst)
    }
}

/// Iterator over the data pieces of a [`Body`].
#[derive(Debug, Clone)]
pub enum Pieces<'a> {
    /// Nothing left.
    Done,
    /// One slice left.
    One(&'a [u8]),
    /// Chunk framing left to walk (validated when the body was parsed;
    /// the walk ends at the first malformed chunk of a hand-made
    /// [`Body::Chunked`], which [`Body::copy_to`] reports).
    Chunks(&'a [u8]),
}

impl<'a> Iterator for Pieces<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        match core::mem::replace(self, Self::Done) {
            Self::Done => None,
            Self::One(b) => Some(b),
            Self::Chunks(raw) => {
                let (size, data_start) = chunk_header(raw, 0).ok()?.complete()?;
                let (_, tail) = raw.split_at_checked(data_start)?;
                let (data, tail) = tail.split_at_checked(size)?;
                let rest = tail.strip_prefix(b"\r\n")?;
                if !rest.is_empty() {
                    *self = Self::Chunks(rest);
                }
                Some(data)
            }
        }
    }
}

/// A parsed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// The method token (`POST` for the admin protocol).
    pub method: &'a str,
    /// The request target as sent (origin-form: path and query).
    pub target: &'a str,
    /// The HTTP version.
    pub version: Version,
    /// The header fields.
    pub headers: Headers<'a>,
    /// The body.
    pub body: Body<'a>,
}

/// A parsed response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response<'a> {
    /// The HTTP version.
    pub version: Version,
    /// The status code.
    pub status: u16,
    /// The reason phrase.
    pub reason: &'a str,
    /// The header fields.
    pub headers: Headers<'a>,
    /// The body.
    pub body: Body<'a>,
}

/// Parses one request from the start of `input` (RFC 9112 §3).
///
/// # Errors
/// [`Error::Malformed`], [`Error::Unsupported`] (version, transfer coding,
/// conflicting lengths), [`Error::TooManyHeaders`], [`Error::HeadersTooLarge`],
/// [`Error::BodyTooLarge`]; offsets count from the start of `input`.
pub fn parse_request<'a>(input: &'a [u8], limits: &Limits) -> Result<Status<Request<'a>>, Error> {
    let Some(head) = split_head(input, limits)? else {
        return Ok(Status::Partial);
    };
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut r = httparse::Request::new(fields_for(&mut fields, limits));
    let parsed = r
        .parse(head.bytes)
        .map_err(|e| diagnose(e, head.text, limits, request_line_error))?;
    let (Some(method), Some(target), Some(minor), httparse::Status::Complete(_)) =
        (r.method, r.path, r.version, parsed)
    else {
        return Err(request_line_error(head.text));
    };
    let version = version_of(minor);
    let headers = headers(head.text, r.headers.len());
    let framing = framing(&headers, head.text)?;
    let Some((body, end)) = read_body(head.after, head.len, framing, limits)? else {
        return Ok(Status::Partial);
    };
    Ok(Status::Complete(
        Request {
            method,
            target,
            version,
            headers,
            body,
        },
        end,
    ))
}

/// Parses one response from the start of `input` (RFC 9112 §4). A response
/// to a request that had a body of its own must say how long its body is:
/// `1xx`, `204` and `304` have none, every other status needs
/// `Content-Length` or chunked coding (a persistent admin connection cannot
/// be read "until close").
///
/// # Errors
/// As [`parse_request`], plus [`Error::Unsupported`] for a response without
/// body framing.
pub fn parse_response<'a>(input: &'a [u8], limits: &Limits) -> Result<Status<Response<'a>>, Error> {
    let Some(head) = split_head(input, limits)? else {
        return Ok(Status::Partial);
    };
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut r = httparse::Response::new(fields_for(&mut fields, limits));
    let parsed = r
        .parse(head.bytes)
        .map_err(|e| diagnose(e, head.text, limits, status_line_error))?;
    let (Some(minor), Some(status), Some(reason), httparse::Status::Complete(_)) =
        (r.version, r.code, r.reason, parsed)
    else {
        return Err(status_line_error(head.text));
    };
    let headers = headers(head.text, r.headers.len());
    let no_body = (100..200).contains(&status) || status == 204 || status == 304;
    let framing = if no_body {
        Framing::None
    } else {
        match framing(&headers, head.text)? {
            Framing::None => {
                return Err(Error::Unsupported {
                    what: "response without Content-Length or chunked coding",
                    offset: 0,
                });
            }
            f => f,
        }
    };
    let Some((body, end)) = read_body(head.after, head.len, framing, limits)? else {
        return Ok(Status::Partial);
    };
    Ok(Status::Complete(
        Response {
            version: version_of(minor),
            status,
            reason,
            headers,
            body,
        },
        end,
    ))
}

/// The most header fields a message can have whatever
/// [`Limits::max_headers`] says (the parser's field table lives on the
/// stack).
pub const MAX_HEADERS: usize = 64;

/// The part of the field table `limits` allows.
fn fields_for<'t, 'b>(
    table: &'t mut [httparse::Header<'b>; MAX_HEADERS],
    limits: &Limits,
) -> &'t mut [httparse::Header<'b>] {
    let n = limits.max_headers.min(MAX_HEADERS);
    let (allowed, _) = table.split_at_mut(n);
    allowed
}

const fn version_of(minor: u8) -> Version {
    if minor == 0 {
        Version::Http10
    } else {
        Version::Http11
    }
}

/// The validated field lines after the start line, `count` of them.
fn headers(text: &str, count: usize) -> Headers<'_> {
    let (_, block) = first_line(text);
    Headers { block, count }
}

/// Turns what httparse refused into an error that says where: httparse
/// reports the kind of fault only, so the start line is checked by
/// `start_line` and the field lines here.
fn diagnose(
    e: httparse::Error,
    text: &str,
    limits: &Limits,
    start_line: fn(&str) -> Error,
) -> Error {
    if e == httparse::Error::TooManyHeaders {
        return Error::TooManyHeaders {
            limit: limits.max_headers.min(MAX_HEADERS),
        };
    }
    let line_error = start_line(text);
    if !matches!(
        line_error,
        Error::Malformed {
            what: "header section",
            ..
        }
    ) {
        return line_error;
    }
    let (_, fields) = first_line(text);
    let mut at = text.len() - fields.len();
    for raw in fields.split_inclusive('\n') {
        let line = raw.trim_end_matches(['\r', '\n']);
        let name = line.split_once(':').map(|(n, _)| n);
        if line.starts_with([' ', '\t']) {
            return Error::Unsupported {
                what: "obsolete line folding",
                offset: at,
            };
        }
        match name {
            None => {
                return Error::Malformed {
                    what: "header field",
                    offset: at,
                };
            }
            Some(n) if n.is_empty() || !n.bytes().all(is_tchar) => {
                return Error::Malformed {
                    what: "header name",
                    offset: at,
                };
            }
            Some(_) => at += raw.len(),
        }
    }
    line_error
}

/// What is wrong with a request line httparse refused (`header section`
/// when the line itself is fine).
fn request_line_error(text: &str) -> Error {
    let (line, _) = first_line(text);
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Error::Malformed {
            what: "request line",
            offset: 0,
        };
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Error::Malformed {
            what: "method",
            offset: 0,
        };
    }
    if target.is_empty() {
        return Error::Malformed {
            what: "request target",
            offset: method.len() + 1,
        };
    }
    version_error(version, method.len() + target.len() + 2)
}

/// What is wrong with a status line httparse refused.
fn status_line_error(text: &str) -> Error {
    let (line, _) = first_line(text);
    let Some((version, rest)) = line.split_once(' ') else {
        return Error::Malformed {
            what: "status line",
            offset: 0,
        };
    };
    let code = rest.split_once(' ').map_or(rest, |(c, _)| c);
    if !matches!(version, "HTTP/1.0" | "HTTP/1.1") {
        return version_error(version, 0);
    }
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Error::Malformed {
            what: "status code",
            offset: 9,
        };
    }
    Error::Malformed {
        what: "header section",
        offset: 0,
    }
}

/// A version httparse refused: another `HTTP/x.y` is unsupported, anything
/// else malformed (`header section` for a good version).
fn version_error(text: &str, offset: usize) -> Error {
    match text {
        "HTTP/1.1" | "HTTP/1.0" => Error::Malformed {
            what: "header section",
            offset: 0,
        },
        t if t.starts_with("HTTP/") => Error::Unsupported {
            what: "HTTP version",
            offset,
        },
        _ => Error::Malformed {
            what: "HTTP version",
            offset,
        },
    }
}

/// token characters (RFC 9110 §5.6.2), for locating a refused name.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The head of a message: its text (start line and fields, without the
/// empty line) and the number of bytes including the empty line.
struct Head<'a> {
    text: &'a str,
    /// The whole head as bytes, empty line included.
    bytes: &'a [u8],
    /// The input after the head.
    after: &'a [u8],
    len: usize,
}

/// Finds the empty line that ends the head; `None` when it has not arrived.
/// Only the first [`Limits::max_head_len`] bytes are looked at.
fn split_head<'a>(input: &'a [u8], limits: &Limits) -> Result<Option<Head<'a>>, Error> {
    let window = input
        .split_at_checked(limits.max_head_len)
        .map_or(input, |(w, _)| w);
    let mut rest = window;
    while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
        // nl < rest.len(): both halves exist.
        let (line, tail) = rest.split_at(nl + 1);
        check_head_bytes(line, window.len() - rest.len())?;
        if matches!(line, b"\n" | b"\r\n") {
            let len = window.len() - tail.len();
            if len == line.len() {
                return Err(Error::Malformed {
                    what: "empty start line",
                    offset: 0,
                });
            }
            // len counts the lines of window (a prefix of input) read so far.
            let (bytes, after) = input.split_at(len);
            // All ASCII (checked above): the conversion cannot fail.
            let text = core::str::from_utf8(bytes).map_err(|e| Error::Malformed {
                what: "header byte",
                offset: e.valid_up_to(),
            })?;
            let text = text.trim_end_matches(['\r', '\n']);
            return Ok(Some(Head {
                text,
                bytes,
                after,
                len,
            }));
        }
        rest = tail;
    }
    check_head_bytes(rest, window.len() - rest.len())?;
    if input.len() > limits.max_head_len {
        return Err(Error::HeadersTooLarge {
            limit: limits.max_head_len,
        });
    }
    Ok(None)
}

/// Refuses a byte that cannot appear in a head (RFC 9112 §2.2, §5: visible
/// ASCII, space, tab, line endings); `at` is the offset of `bytes`.
fn check_head_bytes(bytes: &[u8], at: usize) -> Result<(), Error> {
    match bytes
        .iter()
        .position(|&b| !matches!(b, b'\t' | b'\n' | b'\r' | b' '..=b'~'))
    {
        Some(i) => Err(Error::Malformed {
            what: "header byte",
            offset: at + i,
        }),
        None => Ok(()),
    }
}

/// The start line (without its line ending) and the field lines after it.
fn first_line(text: &str) -> (&str, &str) {
    let (line, fields) = text.split_once('\n').unwrap_or((text, ""));
    (line.strip_suffix('\r').unwrap_or(line), fields)
}

/// How the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    None,
    Length(usize),
    Chunked,
}

fn header_offset(text: &str, value: &str) -> usize {
    (value.as_ptr() as usize).saturating_sub(text.as_ptr() as usize)
}

/// Body framing from `Transfer-Encoding` / `Content-Length` (RFC 9112 §6).
/// Both at once is rejected (a request-smuggling vector, §6.3 item 3).
fn framing(headers: &Headers<'_>, text: &str) -> Result<Framing, Error> {
    let mut chunked = false;
    for te in headers.get_all("transfer-encoding") {
        if te.eq_ignore_ascii_case("chunked") && !chunked {
            chunked = true;
        } else {
            return Err(Error::Unsupported {
                what: "transfer coding",
                offset: header_offset(text, te),
            });
        }
    }
    let mut length: Option<usize> = None;
    for cl in headers.get_all("content-length") {
        let offset = header_offset(text, cl);
        if cl.is_empty() || cl.len() > 10 || !cl.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Malformed {
                what: "Content-Length",
                offset,
            });
        }
        let n = cl.parse::<usize>().map_err(|_| Error::Malformed {
            what: "Content-Length",
            offset,
        })?;
        if length.is_some_and(|l| l != n) {
            return Err(Error::Malformed {
                what: "repeated Content-Length",
                offset,
            });
        }
        length = Some(n);
    }
    match (chunked, length) {
        (true, Some(_)) => Err(Error::Malformed {
            what: "Content-Length with chunked coding",
            offset: 0,
        }),
        (true, None) => Ok(Framing::Chunked),
        (false, Some(n)) => Ok(Framing::Length(n)),
        (false, None) => Ok(Framing::None),
    }
}

/// Reads the body from `after` (the bytes after the head, which is
/// `start` bytes long); returns it with the length of the whole message.
fn read_body<'a>(
    after: &'a [u8],
    start: usize,
    framing: Framing,
    limits: &Limits,
) -> Result<Option<(Body<'a>, usize)>, Error> {
    match framing {
        Framing::None => Ok(Some((Body::Empty, start))),
        Framing::Length(n) => {
            if n > limits.max_body_len {
                return Err(Error::BodyTooLarge {
                    size: n,
                    limit: limits.max_body_len,
                });
            }
            Ok(after
                .split_at_checked(n)
                .map(|(b, _)| (Body::Contiguous(b), start + n)))
        }
        Framing::Chunked => read_chunked(after, start, limits),
    }
}

/// The outcome of reading one chunk-size line.
enum ChunkHeader {
    Partial,
    /// (chunk size, offset of its data from the start of the size line)
    Complete(usize, usize),
}

impl ChunkHeader {
    fn complete(self) -> Option<(usize, usize)> {
        match self {
            Self::Complete(n, at) => Some((n, at)),
            Self::Partial => None,
        }
    }
}

/// Reads `chunk-size [ chunk-ext ] CRLF` at the start of `rest` (which
/// lies at offset `at`, for errors) with httparse (RFC 9112 §7.1); the
/// data offset it returns counts from the start of `rest`. Sizes are capped at 8 hex digits; a line that has not ended
/// after 1 KiB is refused.
fn chunk_header(rest: &[u8], at: usize) -> Result<ChunkHeader, Error> {
    let bad = Error::Malformed {
        what: "chunk size",
        offset: at,
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits > 8 || (digits == 0 && !rest.is_empty()) {
        return Err(bad);
    }
    match httparse::parse_chunk_size(rest) {
        Ok(httparse::Status::Complete((used, size))) => {
            let size = usize::try_from(size).map_err(|_| bad)?;
            Ok(ChunkHeader::Complete(size, used))
        }
        Ok(httparse::Status::Partial) if rest.len() > 1024 => Err(Error::Malformed {
            what: "chunk-size line",
            offset: at,
        }),
        Ok(httparse::Status::Partial) => Ok(ChunkHeader::Partial),
        Err(httparse::InvalidChunkSize) => Err(bad),
    }
}

fn read_chunked<'a>(
    after: &'a [u8],
    start: usize,
    limits: &Limits,
) -> Result<Option<(Body<'a>, usize)>, Error> {
    let mut rest = after;
    let mut total = 0usize;
    loop {
        let at = start + (after.len() - rest.len());
        let ChunkHeader::Complete(size, used) = chunk_header(rest, at)? else {
            return Ok(None);
        };
        let (line, data) = rest.split_at_checked(used).ok_or(Error::Malformed {
            what: "chunk size",
            offset: at,
        })?;
        if size == 0 {
            let (raw, _) = after.split_at(after.len() - rest.len());
            let Some(trailer_len) = trailer(data, limits)? else {
                return Ok(None);
            };
            let end = at + line.len() + trailer_len;
            return Ok(Some((Body::Chunked { raw, len: total }, end)));
        }
        total = total.saturating_add(size);
        if total > limits.max_body_len {
            return Err(Error::BodyTooLarge {
                size: total,
                limit: limits.max_body_len,
            });
        }
        let Some((_, tail)) = data.split_at_checked(size) else {
            return Ok(None);
        };
        match tail.split_at_checked(2) {
            None => return Ok(None),
            Some((b"\r\n", next)) => rest = next,
            Some(_) => {
                return Err(Error::Malformed {
                    what: "chunk data end",
                    offset: at + used + size,
                });
            }
        }
    }
}

/// The length of the trailer section at the start of `data` (field lines
/// up to an empty line, RFC 9112 §7.1.2), `None` while it is incomplete.
fn trailer(data: &[u8], limits: &Limits) -> Result<Option<usize>, Error> {
    let too_large = Error::HeadersTooLarge {
        limit: limits.max_head_len,
    };
    let mut rest = data;
    while let Some(nl) = rest.iter().position(|&b| b == b'\n') {
        // nl < rest.len(): both halves exist.
        let (line, tail) = rest.split_at(nl + 1);
        let read = data.len() - tail.len();
        if matches!(line, b"\n" | b"\r\n") {
            return Ok(Some(read));
        }
        if read > limits.max_head_len {
            return Err(too_large);
        }
        rest = tail;
    }
    if data.len() > limits.max_head_len {
        return Err(too_large);
    }
    Ok(None)
}

/// Moves the data of a body that lies at `start` in `buf` together in
/// place (chunked: the chunk framing is removed) and returns it. The
/// caller passes the body's position and decoded length because the
/// parsed `Body` cannot borrow `buf` while it is being rewritten.
///
/// # Errors
/// [`Error::Malformed`] when the bytes at `start` are not the body that
/// was parsed there (broken chunk framing, another length).
pub(crate) fn body_in_place(
    buf: &mut [u8],
    start: usize,
    chunked: bool,
    len: usize,
) -> Result<&[u8], Error> {
    let bad = |offset| Error::Malformed {
        what: "body in the receive buffer",
        offset,
    };
    let end = start.checked_add(len).ok_or(bad(start))?;
    if chunked {
        let mut read = start;
        let mut write = start;
        loop {
            let rest = buf.get(read..).ok_or(bad(read))?;
            let ChunkHeader::Complete(size, used) = chunk_header(rest, read)? else {
                return Err(bad(read));
            };
            if size == 0 {
                break;
            }
            let data_at = read + used;
            let data_end = data_at
                .checked_add(size)
                .filter(|&e| e <= buf.len())
                .ok_or(bad(data_at))?;
            // write <= read < data_at: the target lies inside buf too.
            buf.copy_within(data_at..data_end, write);
            write += size;
            read = data_end + 2;
        }
        if write != end {
            return Err(bad(start));
        }
    }
    buf.get(start..end).ok_or(bad(start))
}

/// Offset of `part` inside `whole` (both from the same buffer).
pub(crate) fn offset_in(whole: &[u8], part: &[u8]) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]
    extern crate std;
    use super::*;
    use std::{string::String, vec::Vec};

    const L: Limits = Limits::DEFAULT;

    fn req(input: &[u8]) -> (Request<'_>, usize) {
        match parse_request(input, &L).unwrap() {
            Status::Complete(r, n) => (r, n),
            Status::Partial => panic!("partial"),
        }
    }

    #[test]
    fn request_with_content_length() {
        let m = b"POST /a?b=1 HTTP/1.1\r\nHost: x\r\ncontent-LENGTH: 3\r\n\r\nabcXYZ";
        let (r, n) = req(m);
        assert_eq!(n, m.len() - 3);
        assert_eq!(r.method, "POST");
        assert_eq!(r.target, "/a?b=1");
        assert_eq!(r.version, Version::Http11);
        assert_eq!(r.headers.len(), 2);
        assert_eq!(r.headers.get("HOST"), Some("x"));
        assert_eq!(r.body, Body::Contiguous(b"abc"));
    }

    #[test]
    fn every_prefix_is_partial() {
        let m = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: v\r\n\r\n";
        for cut in 0..m.len() {
            assert_eq!(
                parse_request(&m[..cut], &L).unwrap(),
                Status::Partial,
                "cut {cut}"
            );
        }
        let (r, n) = req(m);
        assert_eq!(n, m.len());
        assert_eq!(r.body.len(), 5);
        let mut out = [0u8; 5];
        assert_eq!(r.body.copy_to(&mut out).unwrap(), b"abcde");
        assert_eq!(r.body.pieces().collect::<Vec<_>>(), [&b"abc"[..], b"de"]);
    }

    #[test]
    fn limits_are_enforced_with_clear_errors() {
        let lim = Limits {
            max_headers: 1,
            max_head_len: 64,
            max_body_len: 4,
        };
        assert_eq!(
            parse_request(b"POST / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", &lim),
            Err(Error::TooManyHeaders { limit: 1 })
        );
        assert_eq!(
            parse_request(&[b'a'; 65], &lim),
            Err(Error::HeadersTooLarge { limit: 64 })
        );
        assert_eq!(
            parse_request(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", &lim),
            Err(Error::BodyTooLarge { size: 5, limit: 4 })
        );
        assert_eq!(
            parse_request(
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\n",
                &lim
            ),
            Err(Error::BodyTooLarge { size: 5, limit: 4 })
        );
    }

    #[test]
    fn malformed_requests() {
        let bad: &[(&[u8], Error)] = &[
            (
                b"\r\n\r\n",
                Error::Malformed {
                    what: "empty start line",
                    offset: 0,
                },
            ),
            (
                b"POST  / HTTP/1.1\r\n\r\n",
                Error::Malformed {
                    what: "request line",
                    offset: 0,
                },
            ),
            (
                b"PO(T / HTTP/1.1\r\n\r\n",
                Error::Malformed {
                    what: "method",
                    offset: 0,
                },
            ),
            (
                b"POST / HTTP/2.0\r\n\r\n",
                Error::Unsupported {
                    what: "HTTP version",
                    offset: 7,
                },
            ),
            (
                b"POST / HTTP/1.1\r\nBad Name: x\r\n\r\n",
                Error::Malformed {
                    what: "header name",
                    offset: 17,
                },
            ),
            (
                b"POST / HTTP/1.1\r\nA: 1\r\n folded\r\n\r\n",
                Error::Unsupported {
                    what: "obsolete line folding",
                    offset: 23,
                },
            ),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n",
                Error::Malformed {
                    what: "Content-Length",
                    offset: 33,
                },
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
                Error::Unsupported {
                    what: "transfer coding",
                    offset: 36,
                },
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n",
                Error::Malformed {
                    what: "Content-Length with chunked coding",
                    offset: 0,
                },
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                Error::Malformed {
                    what: "chunk size",
                    offset: 47,
                },
            ),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
                Error::Malformed {
                    what: "chunk data end",
                    offset: 51,
                },
            ),
            (
                b"POST /\x01 HTTP/1.1\r\n\r\n",
                Error::Malformed {
                    what: "header byte",
                    offset: 6,
                },
            ),
        ];
        for (m, e) in bad {
            assert_eq!(
                parse_request(m, &L),
                Err(*e),
                "{}",
                String::from_utf8_lossy(m)
            );
        }
    }

    /// Cases the httparse-based parser must refuse with the same
    /// diagnosis as before.
    #[test]
    fn httparse_refusals_are_located() {
        let chunked = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        for (size_line, what) in [
            (&b"123456789\r\n"[..], "chunk size"),
            (b"\r\n", "chunk size"),
            (b"3\rx", "chunk size"),
        ] {
            let m = [&chunked[..], size_line].concat();
            assert_eq!(
                parse_request(&m, &L),
                Err(Error::Malformed { what, offset: 47 }),
                "{}",
                String::from_utf8_lossy(size_line)
            );
        }
        let long_ext = [&chunked[..], b"3;", &[b'x'; 1100]].concat();
        assert_eq!(
            parse_request(&long_ext, &L),
            Err(Error::Malformed {
                what: "chunk-size line",
                offset: 47
            })
        );
        assert_eq!(
            parse_request(b"POST / HTTP/1.1\r\nNoColon\r\n\r\n", &L),
            Err(Error::Malformed {
                what: "header field",
                offset: 17
            })
        );
        assert_eq!(
            parse_response(b"HTTP/3 200 OK\r\n\r\n", &L),
            Err(Error::Unsupported {
                what: "HTTP version",
                offset: 0
            })
        );
        // More fields than the table holds, whatever the limit says.
        let lim = Limits {
            max_headers: 1000,
            ..L
        };
        let message = |n: usize| {
            let mut m = b"POST / HTTP/1.1\r\n".to_vec();
            for i in 0..n {
                m.extend_from_slice(std::format!("H{i}: v\r\n").as_bytes());
            }
            m.extend_from_slice(b"\r\n");
            m
        };
        assert_eq!(
            parse_request(&message(MAX_HEADERS + 1), &lim),
            Err(Error::TooManyHeaders { limit: MAX_HEADERS })
        );
        let m = message(MAX_HEADERS);
        let (r, _) = match parse_request(&m, &lim).unwrap() {
            Status::Complete(r, n) => (r, n),
            Status::Partial => panic!("partial"),
        };
        assert_eq!(r.headers.len(), MAX_HEADERS);
        assert_eq!(r.headers.get("h63"), Some("v"));
    }

    /// A hand-made chunked body whose framing or length is wrong is
    /// reported, not copied short.
    #[test]
    fn copy_to_checks_hand_made_bodies() {
        let mut out = [0u8; 8];
        let long = Body::Chunked {
            raw: b"3\r\nabc\r\n",
            len: 2,
        };
        assert!(matches!(
            long.copy_to(&mut out),
            Err(Error::Malformed { offset: 0, .. })
        ));
        let short = Body::Chunked {
            raw: b"3\r\nabc\r\n",
            len: 5,
        };
        assert!(matches!(
            short.copy_to(&mut out),
            Err(Error::Malformed { offset: 3, .. })
        ));
        let broken = Body::Chunked {
            raw: b"3\r\nabcXX",
            len: 3,
        };
        assert!(matches!(
            broken.copy_to(&mut out),
            Err(Error::Malformed { .. })
        ));
        let good = Body::Chunked {
            raw: b"3\r\nabc\r\n",
            len: 3,
        };
        assert_eq!(good.copy_to(&mut out).unwrap(), b"abc");
    }

    #[test]
    fn responses() {
        let m =
            b"HTTP/1.1 204 No Content\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\r\n";
        let Status::Complete(r, n) = parse_response(m, &L).unwrap() else {
            panic!()
        };
        assert_eq!(
            (r.status, r.reason, n, r.body),
            (204, "No Content", m.len(), Body::Empty)
        );
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\n\r\n", &L),
            Err(Error::Unsupported {
                what: "response without Content-Length or chunked coding",
                offset: 0
            })
        );
        let m = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nAB";
        let Status::Complete(r, _) = parse_response(m, &L).unwrap() else {
            panic!()
        };
        assert_eq!(r.body, Body::Contiguous(b"AB"));
        assert_eq!(
            parse_response(b"HTTP/1.1 2x0 OK\r\n\r\n", &L),
            Err(Error::Malformed {
                what: "status code",
                offset: 9
            })
        );
    }
}
