//! The eUICC end of an SCP81 administration session, sans-IO, for
//! simulators and test tools (GP Amendment B §3.3–3.6 seen from the card's
//! administration agent).
//!
//! It opens with a POST to the admin URI, runs each script it receives
//! through a [`ScriptExecutor`], posts the response script to the
//! `X-Admin-Next-URI` it was given, and stops on `204` (or after a script
//! sent without Next-URI). After a broken connection,
//! [`CardSession::connection_lost`] makes it repeat its last POST with
//! `X-Admin-Resume: true`.

use core::time::Duration;

use super::Error;
use super::http::admin::{self, AdminReply, AdminRequest, BodyFraming};
use super::http::message::{Body, Limits, Status, body_in_place, offset_in};
use super::http::{AidBuf, ScriptStatus};
use super::server::{EndReason, MAX_URI_LEN, UriBuf};

/// Longest agent identity kept.
pub const MAX_AGENT_ID_LEN: usize = 128;

/// Card-side settings (the trigger's `89` HTTP POST parameters and more).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardConfig {
    /// Bounds on each response.
    pub limits: Limits,
    /// `8C`: target of the first POST.
    pub admin_uri: UriBuf,
    /// `8A`: `Host` header.
    pub host: Option<heapless::String<MAX_URI_LEN>>,
    /// `8B`: `X-Admin-From` header.
    pub agent_id: Option<heapless::String<MAX_AGENT_ID_LEN>>,
    /// Framing of the POST bodies (cards commonly send chunked).
    pub framing: BodyFraming,
    /// How long to wait for each response.
    pub reply_timeout: Duration,
}

impl CardConfig {
    /// Defaults: [`Limits::DEFAULT`], chunked bodies of 256 octets, 30 s per
    /// response, no `Host`, no agent id.
    pub fn new(admin_uri: UriBuf) -> Self {
        Self {
            limits: Limits::DEFAULT,
            admin_uri,
            host: None,
            agent_id: None,
            framing: BodyFraming::Chunked(256),
            reply_timeout: Duration::from_secs(30),
        }
    }
}

/// Runs a command script on the card (or its simulation).
pub trait ScriptExecutor {
    /// Executes `script` (expanded format) for `target` (`None`: the
    /// application that terminates TLS, i.e. the ISD-R), writes the response
    /// script into `response` and returns the status to report with its
    /// length (0 when the status is not `ok`).
    fn execute(
        &mut self,
        target: Option<&[u8]>,
        script: &[u8],
        response: &mut [u8],
    ) -> (ScriptStatus, usize);
}

/// What happened on the card side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardEvent {
    /// A script was executed with this status.
    Executed(ScriptStatus),
    /// The session is over.
    Ended(EndReason),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A POST is due.
    Post,
    /// Waiting for the server's answer.
    AwaitReply,
    Ended,
}

/// The card's administration agent for one session. `B` is a buffer type
/// used twice: for the server's responses and for the response script.
pub struct CardSession<B> {
    config: CardConfig,
    rx: B,
    rx_len: usize,
    tx: B,
    tx_len: usize,
    uri: UriBuf,
    status: Option<ScriptStatus>,
    resume: bool,
    state: State,
    events: heapless::Deque<CardEvent, EVENTS>,
    /// The session's end, reported after the other events.
    end: Option<EndReason>,
    deadline: Option<Duration>,
}

/// How many [`CardEvent::Executed`] wait for [`CardSession::poll_event`]
/// before the session refuses to run another script.
const EVENTS: usize = 4;

/// A parsed reply that carries a script: where its body lies in the
/// receive buffer.
struct ScriptReply {
    next: Option<UriBuf>,
    target: Option<AidBuf>,
    at: usize,
    chunked: bool,
    len: usize,
}

impl<B: AsRef<[u8]> + AsMut<[u8]>> CardSession<B> {
    /// A session whose first POST is due.
    pub fn new(config: CardConfig, rx: B, tx: B) -> Self {
        let uri = config.admin_uri.clone();
        Self {
            config,
            rx,
            rx_len: 0,
            tx,
            tx_len: 0,
            uri,
            status: None,
            resume: false,
            state: State::Post,
            events: heapless::Deque::new(),
            end: None,
            deadline: None,
        }
    }

    /// Writes the POST that is due, if any.
    ///
    /// # Errors
    /// [`Error::BufferTooSmall`] (call again with a larger buffer),
    /// [`Error::BadValue`] / [`Error::BadHeaderValue`] for configured values
    /// that cannot go into a header.
    pub fn poll_transmit(&mut self, out: &mut [u8], now: Duration) -> Result<Option<usize>, Error> {
        if self.state != State::Post {
            return Ok(None);
        }
        let n = self.request().emit(out)?;
        self.state = State::AwaitReply;
        self.resume = false;
        self.deadline = Some(now + self.config.reply_timeout);
        Ok(Some(n))
    }

    /// Size of the POST [`CardSession::poll_transmit`] would write now.
    pub fn transmit_len(&self) -> usize {
        if self.state == State::Post {
            self.request().buffer_len()
        } else {
            0
        }
    }

    /// The response script of the last script (`tx_len` never exceeds the
    /// buffer: it is clamped when set).
    fn response_script(&self) -> &[u8] {
        let tx = self.tx.as_ref();
        tx.split_at_checked(self.tx_len)
            .map_or(tx, |(script, _)| script)
    }

    fn request(&self) -> AdminRequest<'_> {
        AdminRequest {
            uri: &self.uri,
            host: self.config.host.as_deref(),
            from: self.config.agent_id.as_deref(),
            script_status: self.status.clone(),
            resume: self.resume,
            body: self.response_script(),
            framing: self.config.framing,
        }
    }

    /// Takes bytes from the server; a complete response is acted on at
    /// once (a script runs through `exec`). Returns the bytes taken. (`_now`
    /// is taken for symmetry with the server; replies are timed from
    /// [`CardSession::poll_transmit`].)
    ///
    /// # Errors
    /// [`Error::Ended`] once the session is over; problems with the response
    /// end the session (see [`CardEvent::Ended`]).
    pub fn handle_input<E: ScriptExecutor + ?Sized>(
        &mut self,
        data: &[u8],
        _now: Duration,
        exec: &mut E,
    ) -> Result<usize, Error> {
        if self.state == State::Ended {
            return Err(Error::Ended);
        }
        let n = self.buffer(data);
        if self.state != State::AwaitReply {
            if self.rx_len > 0 {
                self.finish(EndReason::Failed(Error::Protocol {
                    what: "server sent data before the card's POST",
                }));
            }
            return Ok(n);
        }
        match self.reply(n < data.len()) {
            Ok(Some(reply)) => self.run_script(reply, exec),
            Ok(None) => {}
            Err(e) => self.finish(EndReason::Failed(e)),
        }
        Ok(n)
    }

    /// Appends what fits of `data` to the receive buffer; returns how much.
    fn buffer(&mut self, data: &[u8]) -> usize {
        let rx = self.rx.as_mut();
        let free = rx
            .split_at_mut_checked(self.rx_len)
            .map_or(&mut [][..], |(_, f)| f);
        let n = free.len().min(data.len());
        free.iter_mut().zip(data).for_each(|(d, s)| *d = *s);
        self.rx_len += n;
        n
    }

    /// The bytes received so far.
    fn received(&self) -> &[u8] {
        let rx = self.rx.as_ref();
        rx.split_at_checked(self.rx_len).map_or(rx, |(r, _)| r)
    }

    /// The reply in the receive buffer: `None` while incomplete or when it
    /// ends the session (204); `overflow` when input did not fit.
    fn reply(&mut self, overflow: bool) -> Result<Option<ScriptReply>, Error> {
        let rx = self.received();
        let (reply, used) = match admin::parse_reply(rx, &self.config.limits)? {
            Status::Partial if overflow => {
                return Err(Error::TooLong {
                    what: "response (receive buffer)",
                    max: self.rx.as_ref().len(),
                });
            }
            Status::Partial => return Ok(None),
            Status::Complete(reply, used) => (reply, used),
        };
        if used != rx.len() {
            return Err(Error::Protocol {
                what: "server sent more than one response",
            });
        }
        let AdminReply::Script {
            next_uri,
            targeted_application,
            body,
        } = reply
        else {
            self.finish(EndReason::Completed);
            return Ok(None);
        };
        let next = next_uri
            .map(UriBuf::try_from)
            .transpose()
            .map_err(|_| Error::TooLong {
                what: "X-Admin-Next-URI",
                max: MAX_URI_LEN,
            })?;
        let (at, chunked) = match body {
            Body::Empty => (0, false),
            Body::Contiguous(b) => (offset_in(rx, b), false),
            Body::Chunked { raw, .. } => (offset_in(rx, raw), true),
        };
        Ok(Some(ScriptReply {
            next,
            target: targeted_application,
            at,
            chunked,
            len: body.len(),
        }))
    }

    /// Runs the script of `reply` and prepares the POST of its result.
    fn run_script<E: ScriptExecutor + ?Sized>(&mut self, reply: ScriptReply, exec: &mut E) {
        if self.events.is_full() {
            return self.finish(EndReason::Failed(Error::QueueFull { capacity: EVENTS }));
        }
        let script = match body_in_place(self.rx.as_mut(), reply.at, reply.chunked, reply.len) {
            Ok(script) => script,
            Err(e) => return self.finish(EndReason::Failed(e)),
        };
        let (status, resp_len) = exec.execute(reply.target.as_deref(), script, self.tx.as_mut());
        self.tx_len = resp_len.min(self.tx.as_ref().len());
        self.rx_len = 0;
        if self
            .events
            .push_back(CardEvent::Executed(status.clone()))
            .is_err()
        {
            // Checked above: there was room.
            return self.finish(EndReason::Failed(Error::QueueFull { capacity: EVENTS }));
        }
        match reply.next {
            Some(uri) => {
                self.uri = uri;
                self.status = Some(status);
                self.state = State::Post;
                self.deadline = None;
            }
            None => self.finish(EndReason::Completed),
        }
    }

    /// The connection broke: the last POST will be repeated with
    /// `X-Admin-Resume: true` on the next connection.
    pub fn connection_lost(&mut self) {
        self.rx_len = 0;
        if self.state == State::AwaitReply {
            self.state = State::Post;
            self.resume = true;
            self.deadline = None;
        }
    }

    /// When [`CardSession::handle_timeout`] should be called next.
    pub const fn poll_timeout(&self) -> Option<Duration> {
        self.deadline
    }

    /// Ends the session if the server's answer is overdue.
    pub fn handle_timeout(&mut self, now: Duration) {
        if self.state == State::AwaitReply && self.deadline.is_some_and(|d| now >= d) {
            self.finish(EndReason::Timeout);
        }
    }

    fn finish(&mut self, reason: EndReason) {
        if self.state != State::Ended {
            self.state = State::Ended;
            self.deadline = None;
            self.end = Some(reason);
        }
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<CardEvent> {
        self.events
            .pop_front()
            .or_else(|| self.end.take().map(CardEvent::Ended))
    }

    /// Whether the session is over.
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }
}

impl<B> core::fmt::Debug for CardSession<B> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("CardSession")
            .field("state", &self.state)
            .field("uri", &self.uri)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}
