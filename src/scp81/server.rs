//! The SM-SR end of an SCP81 administration session, sans-IO.
//!
//! One [`ServerSession`] serves one eUICC: it holds the queue of command
//! scripts for it, answers each POST with the next script, matches each
//! response script to the command script it answers (by the `X-Admin-Next-URI`
//! it handed out, which carries a sequence number), survives a broken
//! connection (the card re-POSTs with `X-Admin-Resume: true`, GP Amendment B
//! §3.6), times out stalled or absent peers, and ends with `204 No Content`.
//!
//! The integrator owns sockets, TLS and the clock. Its loop per connection:
//!
//! 1. [`ServerSession::connection_opened`] after the TLS handshake;
//! 2. feed decrypted bytes to [`ServerSession::handle_input`];
//! 3. drain [`ServerSession::poll_event`] (a response body borrows the
//!    session's buffer until the next call that takes input);
//! 4. write what [`ServerSession::poll_transmit`] produces;
//! 5. call [`ServerSession::handle_timeout`] when [`ServerSession::poll_timeout`]
//!    says so; close the connection once [`ServerSession::is_closed`].
//!
//! Time is a [`Duration`] since any fixed epoch the caller chooses.

use core::ops::Range;
use core::time::Duration;

use super::Error;
use super::http::admin::{self, AdminPost, AdminResponse, AidBuf, BodyFraming, ErrorStatus};
use super::http::message::{Body, Limits, Status, body_in_place, offset_in};
use super::http::{ScriptStatus, Writer};
use crate::remote::{CommandScript, ResponseScript};

/// Longest URI kept by the sessions.
pub const MAX_URI_LEN: usize = 255;

/// A URI held inline.
pub type UriBuf = heapless::String<MAX_URI_LEN>;

/// Identifies a script queued with [`ServerSession::push_script`].
pub type ScriptId = u32;

/// Why a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndReason {
    /// All work done: `204 No Content` sent (server) or received (card), or a
    /// final script without `X-Admin-Next-URI` executed (card).
    Completed,
    /// The integrator called [`ServerSession::abort`].
    Aborted,
    /// No complete request arrived in time (or the card did not come back).
    Timeout,
    /// The peer broke the protocol or sent something unparsable.
    Failed(Error),
}

/// Session settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Bounds on each POST.
    pub limits: Limits,
    /// How long a POST may take to arrive completely, counted from the
    /// connection's start or from the previous response.
    pub request_timeout: Duration,
    /// How long the card may stay away (after the trigger was sent, or
    /// after a connection broke) before the session is given up.
    pub resume_timeout: Duration,
    /// How long to hold a POST open waiting for the integrator to queue a
    /// script while [`ServerSession::expect_more`] is set.
    pub defer_timeout: Duration,
    /// Base of the `X-Admin-Next-URI` values (a relative path, e.g. the `8C`
    /// admin URI); the session appends `?n=<seq>` (or `&n=<seq>`).
    pub next_uri_base: UriBuf,
    /// Framing of the scripts sent.
    pub framing: BodyFraming,
    /// End the session (204) at the first script status other than `ok`.
    pub stop_on_script_error: bool,
}

impl ServerConfig {
    /// Defaults: [`Limits::DEFAULT`], 30 s per request, 5 min for resume,
    /// 30 s for deferred scripts, `Content-Length` framing, continue after a
    /// failed script.
    pub fn new(next_uri_base: UriBuf) -> Self {
        Self {
            limits: Limits::DEFAULT,
            request_timeout: Duration::from_secs(30),
            resume_timeout: Duration::from_secs(300),
            defer_timeout: Duration::from_secs(30),
            next_uri_base,
            framing: BodyFraming::ContentLength,
            stop_on_script_error: false,
        }
    }
}

/// What the integrator acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// The card's first POST arrived (`X-Admin-From` as sent).
    Opened {
        /// The agent identity, if sent.
        agent_id: Option<&'a str>,
    },
    /// The card posted the result of script `id`.
    Response {
        /// The script answered.
        id: ScriptId,
        /// `X-Admin-Script-Status` (`ok` when absent with a body).
        status: ScriptStatus,
        /// The response script (`AB`/`AF`, TS 102 226 §5.2.2), de-chunked.
        body: &'a [u8],
        /// For an `AA`/`AE` command script answered `ok`: the number of
        /// C-APDUs executed (the `80` count, or the number of R-APDUs when
        /// the card sent no count), checked against the command script.
        executed: Option<u32>,
    },
    /// The session is over; nothing more will be sent after the pending
    /// transmit (if any).
    Ended(EndReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Record {
    Opened(Option<Range<usize>>),
    Response(ScriptId, ScriptStatus, Range<usize>, Option<u32>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    /// Answer with the next script, or 204 (decided at transmit time, after
    /// the integrator saw the events).
    Next,
    /// Send the in-flight script again (resume).
    Resend,
    /// `204`, then end.
    NoContent,
    /// An error status, then end.
    Error(ErrorStatus),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for the first POST.
    AwaitOpen,
    /// Waiting for the POST that answers script number `seq` (0: none sent).
    AwaitPost,
    /// A POST is held open until a script is queued.
    Deferred,
    /// Over.
    Ended,
}

struct Entry<S> {
    id: ScriptId,
    script: S,
    target: Option<AidBuf>,
    /// C-APDUs in an `AA`/`AE` script; `None` for other payloads (e.g.
    /// SCP03t-secured ES8 data for an ISD-P), which pass through unchecked.
    c_apdus: Option<u32>,
}

/// The SM-SR end of one eUICC's admin session. `S` holds a script's bytes
/// (`&[u8]`, `heapless::Vec`, `Vec<u8>`, ...), `B` the receive buffer (at
/// least `limits.max_head_len` plus the largest body with its chunk
/// framing), `Q` is the queue capacity.
pub struct ServerSession<S, B, const Q: usize> {
    config: ServerConfig,
    queue: heapless::Deque<Entry<S>, Q>,
    next_id: ScriptId,
    /// Sequence number of the script in flight (0 = none sent yet).
    seq: u32,
    in_flight: bool,
    state: State,
    pending: Option<Pending>,
    rx: B,
    rx_len: usize,
    /// Bytes at the start of `rx` that belong to processed requests.
    rx_done: usize,
    /// The event of the last processed request, until polled (a request
    /// is processed only when there is none).
    event: Option<Record>,
    /// The session's end, reported after `event`.
    end: Option<EndReason>,
    deadline: Option<Duration>,
    connected: bool,
    more_expected: bool,
    aborting: bool,
}

impl<S: AsRef<[u8]>, B: AsRef<[u8]> + AsMut<[u8]>, const Q: usize> ServerSession<S, B, Q> {
    /// A session waiting for its first POST.
    pub fn new(config: ServerConfig, rx: B) -> Self {
        Self {
            config,
            queue: heapless::Deque::new(),
            next_id: 0,
            seq: 0,
            in_flight: false,
            state: State::AwaitOpen,
            pending: None,
            rx,
            rx_len: 0,
            rx_done: 0,
            event: None,
            end: None,
            deadline: None,
            connected: false,
            more_expected: false,
            aborting: false,
        }
    }

    /// Queues a command script, optionally for an application other than
    /// the ISD-R (sent as `X-Admin-Targeted-Application`). A POST held open
    /// by [`ServerSession::expect_more`] is answered with it.
    ///
    /// A script starting with `AA`/`AE` must be a well-formed TS 102 226
    /// expanded command script (checked now); its response is then checked
    /// against it. Anything else is sent as given.
    ///
    /// # Errors
    /// [`Error::QueueFull`], [`Error::Ended`], [`Error::BadLength`] for an AID
    /// not 5 to 16 octets or octets after the script template,
    /// [`Error::Remote`] for a malformed `AA`/`AE` script.
    pub fn push_script(&mut self, script: S, target: Option<&[u8]>) -> Result<ScriptId, Error> {
        if self.state == State::Ended {
            return Err(Error::Ended);
        }
        let target = target
            .map(|t| {
                AidBuf::from_slice(t)
                    .ok()
                    .filter(|a| a.len() >= 5)
                    .ok_or(Error::BadLength {
                        what: "targeted application AID",
                        len: t.len(),
                        offset: 0,
                    })
            })
            .transpose()?;
        let c_apdus = match script.as_ref().first() {
            Some(0xAA | 0xAE) => Some(count_c_apdus(script.as_ref())?),
            _ => None,
        };
        let id = self.next_id;
        self.queue
            .push_back(Entry {
                id,
                script,
                target,
                c_apdus,
            })
            .map_err(|_| Error::QueueFull { capacity: Q })?;
        self.next_id = self.next_id.wrapping_add(1);
        if self.state == State::Deferred {
            self.state = State::AwaitPost;
            self.pending = Some(Pending::Next);
        }
        Ok(id)
    }

    /// Number of scripts queued, including one in flight.
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// While set, an empty queue holds the card's POST open (up to
    /// `defer_timeout`) instead of ending the session: more scripts are
    /// coming (ES3 `moreToDo`). Clearing it ends a held POST with `204`.
    pub fn expect_more(&mut self, more: bool) {
        self.more_expected = more;
        if !more && self.state == State::Deferred {
            self.state = State::AwaitPost;
            self.pending = Some(Pending::NoContent);
        }
    }

    /// Ends the session at the next opportunity with `204`; scripts not
    /// sent yet are dropped.
    pub fn abort(&mut self) {
        self.aborting = true;
        if self.state == State::Deferred {
            self.state = State::AwaitPost;
            self.pending = Some(Pending::NoContent);
        }
    }

    /// The trigger push has been sent: the card has `resume_timeout` to
    /// connect.
    pub fn trigger_sent(&mut self, now: Duration) {
        if self.state == State::AwaitOpen && !self.connected {
            self.deadline = Some(now + self.config.resume_timeout);
        }
    }

    /// A new (TLS) connection from the card: forget partial input, start
    /// the request timer. Whatever answer was due on an earlier connection
    /// is dropped: the card repeats its POST (`X-Admin-Resume`) and gets it
    /// then.
    pub fn connection_opened(&mut self, now: Duration) {
        // Partial input of an earlier connection is dropped; processed
        // requests stay until their events are polled.
        self.rx_len = self.rx_done;
        self.connected = true;
        if self.state != State::Ended {
            self.pending = None;
            if self.state == State::Deferred {
                self.state = State::AwaitPost;
            }
            self.deadline = Some(now + self.config.request_timeout);
        }
    }

    /// The connection broke or was closed. Unless the session is over, it
    /// waits up to `resume_timeout` for the card to come back and resume
    /// (an answer not yet written, even a final `204`, is given then).
    pub fn connection_closed(&mut self, now: Duration) {
        self.connected = false;
        self.rx_len = self.rx_done;
        self.pending = None;
        if self.state != State::Ended {
            if self.state == State::Deferred {
                self.state = State::AwaitPost;
            }
            self.deadline = Some(now + self.config.resume_timeout);
        }
    }

    /// Takes bytes the card sent; returns how many were taken (all, unless
    /// the buffer is full because earlier events were not drained).
    ///
    /// # Errors
    /// [`Error::Ended`] once the session is over. Problems with the
    /// request itself end the session instead (see [`Event::Ended`]).
    pub fn handle_input(&mut self, data: &[u8], now: Duration) -> Result<usize, Error> {
        if self.state == State::Ended {
            return Err(Error::Ended);
        }
        self.compact();
        let rx = self.rx.as_mut();
        let free = rx
            .split_at_mut_checked(self.rx_len)
            .map_or(&mut [][..], |(_, f)| f);
        let n = free.len().min(data.len());
        free.iter_mut().zip(data).for_each(|(d, s)| *d = *s);
        self.rx_len += n;
        self.process(now);
        if n < data.len()
            && self.event.is_none()
            && self.pending.is_none()
            && self.state != State::Ended
        {
            // Full buffer, nothing to drain: the request cannot fit.
            self.fail(Error::TooLong {
                what: "request (receive buffer)",
                max: self.rx.as_ref().len(),
            });
        }
        Ok(n)
    }

    /// Drops processed bytes once no event refers to them.
    fn compact(&mut self) {
        if self.event.is_none() && self.rx_done > 0 {
            let rx = self.rx.as_mut();
            rx.copy_within(self.rx_done..self.rx_len, 0);
            self.rx_len -= self.rx_done;
            self.rx_done = 0;
        }
    }

    /// Parses and handles one complete request, if there is one and the
    /// previous one is fully answered.
    fn process(&mut self, now: Duration) {
        if self.pending.is_some()
            || self.event.is_some()
            || !matches!(self.state, State::AwaitOpen | State::AwaitPost)
        {
            return;
        }
        let rx = self.rx.as_ref();
        // rx_done <= rx_len <= rx.len() always.
        let Some(input) = rx.get(self.rx_done..self.rx_len) else {
            return self.fail(Error::Protocol {
                what: "receive buffer bookkeeping",
            });
        };
        let parsed = admin::parse_post(input, &self.config.limits);
        let (post, used) = match parsed {
            Ok(Status::Partial) => return,
            Err(e) => return self.fail(e),
            Ok(Status::Complete(post, used)) => (post, used),
        };
        let base = self.rx_done;
        let body_at = match post.body {
            Body::Empty => base,
            Body::Contiguous(b) | Body::Chunked { raw: b, .. } => offset_in(rx, b),
        };
        let chunked = matches!(post.body, Body::Chunked { .. });
        let body_len = post.body.len();
        let from = post
            .from
            .map(|f| offset_in(rx, f.as_bytes())..offset_in(rx, f.as_bytes()) + f.len());
        let step = self.classify(&post);
        self.rx_done += used;
        match step {
            Err(e) => self.fail(e),
            Ok(Step::Open) => {
                self.event = Some(Record::Opened(from));
                self.state = State::AwaitPost;
                self.pending = Some(Pending::Next);
            }
            Ok(Step::Resend) => self.pending = Some(Pending::Resend),
            Ok(Step::Repeat) => self.pending = Some(Pending::Next),
            Ok(Step::Result(status)) => {
                let body = match body_in_place(self.rx.as_mut(), body_at, chunked, body_len) {
                    Ok(body) => body,
                    Err(e) => return self.fail(e),
                };
                let range = body_at..body_at + body.len();
                let Some((id, c_apdus)) = self.queue.front().map(|e| (e.id, e.c_apdus)) else {
                    return self.fail(Error::Protocol {
                        what: "script result without a script in flight",
                    });
                };
                let executed = match check_response(c_apdus, &status, body) {
                    Ok(x) => x,
                    Err(e) => return self.fail(e),
                };
                self.queue.pop_front();
                self.in_flight = false;
                if status != ScriptStatus::Ok && self.config.stop_on_script_error {
                    self.aborting = true;
                }
                self.event = Some(Record::Response(id, status, range, executed));
                self.pending = Some(Pending::Next);
            }
        }
        self.deadline = Some(now + self.config.request_timeout);
    }

    /// What a POST means in the current state.
    fn classify(&self, post: &AdminPost<'_>) -> Result<Step, Error> {
        if self.state == State::AwaitOpen {
            // The first POST carries no script result (Amendment B §3.3);
            // a resuming card whose session the server no longer had would
            // land here too, and simply starts over.
            return Ok(Step::Open);
        }
        if self.in_flight && self.is_uri(post.uri, self.seq) {
            let status = match (&post.script_status, post.body.is_empty()) {
                (Some(s), _) => s.clone(),
                (None, false) => ScriptStatus::Ok,
                (None, true) => {
                    return Err(Error::Protocol {
                        what: "POST with neither X-Admin-Script-Status nor a response script",
                    });
                }
            };
            return Ok(Step::Result(status));
        }
        if post.resume {
            // Amendment B §3.6: after a broken connection the card repeats
            // its last POST. If the script it was waiting for never reached
            // it, send that script again; if its result already reached us,
            // do not record it twice and go on.
            if self.in_flight && (self.seq == 1 || self.is_uri(post.uri, self.seq.wrapping_sub(1)))
            {
                return Ok(Step::Resend);
            }
            if !self.in_flight && (self.seq == 0 || self.is_uri(post.uri, self.seq)) {
                return Ok(Step::Repeat);
            }
        }
        Err(Error::Protocol {
            what: "POST to a URI the server did not hand out",
        })
    }

    /// Whether `uri` is the Next-URI for sequence number `seq`.
    fn is_uri(&self, uri: &str, seq: u32) -> bool {
        let mut buf = [0u8; MAX_URI_LEN + 16];
        self.next_uri(&mut buf, seq).is_ok_and(|u| u == uri)
    }

    /// The `X-Admin-Next-URI` for request `seq`, written to `buf`.
    fn next_uri<'u>(&self, buf: &'u mut [u8], seq: u32) -> Result<&'u str, Error> {
        let base = self.config.next_uri_base.as_str();
        let mut w = Writer::new(buf);
        w.str(base);
        w.str(if base.contains('?') { "&n=" } else { "?n=" });
        w.decimal(seq as usize);
        let n = w.finish()?;
        let (text, _) = buf.split_at_checked(n).ok_or(Error::TooLong {
            what: "X-Admin-Next-URI",
            max: MAX_URI_LEN + 16,
        })?;
        core::str::from_utf8(text).map_err(|e| Error::BadValue {
            what: "X-Admin-Next-URI",
            offset: e.valid_up_to(),
        })
    }

    fn fail(&mut self, e: Error) {
        self.pending = if self.connected {
            Some(Pending::Error(ErrorStatus::for_error(&e)))
        } else {
            None
        };
        self.finish(EndReason::Failed(e));
    }

    fn finish(&mut self, reason: EndReason) {
        if self.state != State::Ended {
            self.state = State::Ended;
            self.deadline = None;
            self.end = Some(reason);
        }
    }

    /// The next event, if any. A response body borrows the receive buffer.
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        let Some(rec) = self.event.take() else {
            return self.end.take().map(Event::Ended);
        };
        let rx = self.rx.as_ref();
        let text = |r: Range<usize>| rx.get(r).and_then(|b| core::str::from_utf8(b).ok());
        Some(match rec {
            Record::Opened(r) => Event::Opened {
                agent_id: r.and_then(text),
            },
            // No compaction while the record waits: the range is in rx.
            Record::Response(id, status, r, executed) => match rx.get(r) {
                Some(body) => Event::Response {
                    id,
                    status,
                    body,
                    executed,
                },
                None => Event::Ended(EndReason::Failed(Error::Protocol {
                    what: "response body left the receive buffer",
                })),
            },
        })
    }

    /// Writes the next HTTP response to send, if one is due.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] (nothing is lost: call again with a larger
    /// buffer; [`ServerSession::transmit_len`] tells the size).
    pub fn poll_transmit(&mut self, out: &mut [u8], now: Duration) -> Result<Option<usize>, Error> {
        let Some(pending) = self.pending else {
            return Ok(None);
        };
        let pending = self.resolve(pending);
        let mut uri = [0u8; MAX_URI_LEN + 16];
        let n = match pending {
            None => {
                self.pending = None;
                self.state = State::Deferred;
                self.deadline = Some(now + self.config.defer_timeout);
                return Ok(None);
            }
            Some(Pending::NoContent) => AdminResponse::NoContent.emit(out)?,
            Some(Pending::Error(e)) => AdminResponse::Error(e).emit(out)?,
            Some(Pending::Next | Pending::Resend) => {
                let seq = if pending == Some(Pending::Next) {
                    self.seq.wrapping_add(1)
                } else {
                    self.seq
                };
                let next_uri = Some(self.next_uri(&mut uri, seq)?);
                let entry = self.queue.front().ok_or(Error::Protocol {
                    what: "no script to send",
                })?;
                let n = AdminResponse::Script {
                    script: entry.script.as_ref(),
                    next_uri,
                    targeted_application: entry.target.as_deref(),
                    framing: self.config.framing,
                }
                .emit(out)?;
                self.seq = seq;
                self.in_flight = true;
                n
            }
        };
        self.pending = None;
        match pending {
            Some(Pending::NoContent) => self.finish(if self.aborting {
                EndReason::Aborted
            } else {
                EndReason::Completed
            }),
            Some(Pending::Error(_)) => {}
            _ => self.deadline = Some(now + self.config.request_timeout),
        }
        if self.state != State::Ended {
            self.process(now);
        }
        Ok(Some(n))
    }

    /// Size of the response [`ServerSession::poll_transmit`] would write now.
    pub fn transmit_len(&self) -> usize {
        let Some(pending) = self.pending else {
            return 0;
        };
        match self.resolve(pending) {
            None => 0,
            Some(Pending::NoContent) => AdminResponse::NoContent.buffer_len(),
            Some(Pending::Error(e)) => AdminResponse::Error(e).buffer_len(),
            Some(p) => {
                let seq = if p == Pending::Next {
                    self.seq.wrapping_add(1)
                } else {
                    self.seq
                };
                let mut uri = [0u8; MAX_URI_LEN + 16];
                // 0 when poll_transmit would fail (it says why).
                let Ok(next_uri) = self.next_uri(&mut uri, seq) else {
                    return 0;
                };
                self.queue.front().map_or(0, |e| {
                    AdminResponse::Script {
                        script: e.script.as_ref(),
                        next_uri: Some(next_uri),
                        targeted_application: e.target.as_deref(),
                        framing: self.config.framing,
                    }
                    .buffer_len()
                })
            }
        }
    }

    /// Decides what `Next` means now; `None` = hold the POST open.
    fn resolve(&self, pending: Pending) -> Option<Pending> {
        match pending {
            Pending::Next if self.aborting => Some(Pending::NoContent),
            Pending::Next if !self.queue.is_empty() => Some(Pending::Next),
            Pending::Next if self.more_expected => None,
            Pending::Next => Some(Pending::NoContent),
            p => Some(p),
        }
    }

    /// When [`ServerSession::handle_timeout`] should be called next.
    pub const fn poll_timeout(&self) -> Option<Duration> {
        self.deadline
    }

    /// Acts on an expired deadline: a stalled or absent card ends the
    /// session (`408` on a live connection), a POST held open for too long
    /// is answered with `204`.
    pub fn handle_timeout(&mut self, now: Duration) {
        let Some(deadline) = self.deadline else {
            return;
        };
        if now < deadline || self.state == State::Ended {
            return;
        }
        if self.state == State::Deferred {
            self.state = State::AwaitPost;
            self.aborting = true;
            self.pending = Some(Pending::NoContent);
            self.deadline = None;
            return;
        }
        if self.pending.is_some() {
            // A response is due but the integrator has not sent it; not the
            // card's fault.
            return;
        }
        self.pending = if self.connected {
            Some(Pending::Error(ErrorStatus::RequestTimeout))
        } else {
            None
        };
        self.finish(EndReason::Timeout);
    }

    /// Whether the session is over.
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// Whether the connection can be closed: the session is over and its
    /// last response has been written.
    pub fn is_closed(&self) -> bool {
        self.state == State::Ended && self.pending.is_none()
    }
}

enum Step {
    Open,
    Resend,
    Repeat,
    Result(ScriptStatus),
}

/// Number of C-APDUs in an expanded command script that must fill `script`.
fn count_c_apdus(script: &[u8]) -> Result<u32, Error> {
    let (cs, rest) = CommandScript::parse(script)?;
    if !rest.is_empty() {
        return Err(Error::BadLength {
            what: "command script (octets after the template)",
            len: rest.len(),
            offset: script.len() - rest.len(),
        });
    }
    let mut n = 0u32;
    for a in cs.c_apdus() {
        a?;
        n = n.saturating_add(1);
    }
    Ok(n)
}

/// Checks a response script against its command script's C-APDU count
/// (TS 102 226 §5.2.2: the card reports at most one R-APDU per executed
/// C-APDU and executes at most all of them); returns the executed count.
fn check_response(
    c_apdus: Option<u32>,
    status: &ScriptStatus,
    body: &[u8],
) -> Result<Option<u32>, Error> {
    let Some(c_apdus) = c_apdus else {
        return Ok(None);
    };
    if *status != ScriptStatus::Ok || body.is_empty() {
        return Ok(None);
    }
    let (rs, rest) = ResponseScript::parse(body)?;
    if !rest.is_empty() {
        return Err(Error::BadLength {
            what: "response script (octets after the template)",
            len: rest.len(),
            offset: body.len() - rest.len(),
        });
    }
    let mut r_apdus = 0u32;
    for r in rs.r_apdus() {
        r?;
        r_apdus = r_apdus.saturating_add(1);
    }
    let executed = rs.executed_count()?.unwrap_or(r_apdus);
    if executed > c_apdus || r_apdus > c_apdus {
        return Err(Error::Protocol {
            what: "response script reports more commands than its command script had",
        });
    }
    Ok(Some(executed))
}

impl<S, B, const Q: usize> core::fmt::Debug for ServerSession<S, B, Q> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerSession")
            .field("state", &self.state)
            .field("seq", &self.seq)
            .field("queued", &self.queue.len())
            .field("pending", &self.pending)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}
