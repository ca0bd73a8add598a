//! One ESME session: bind_transceiver (SMPP 3.4 §4.1.5), then MT
//! `submit_sm` within a window of outstanding requests, MO and receipt
//! `deliver_sm`, `enquire_link` keep-alive (§4.11) and `unbind` on
//! shutdown (§4.2).
//!
//! Every `command_status` other than ESME_ROK ends in a log line naming
//! it (`rusmpp`'s name and the code) and either a resend after a pause
//! (ESME_RTHROTTLED, ESME_RMSGQFUL) or a failed attempt (anything else:
//! the delivery core decides whether to retry).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::{Duration, Instant};

use rusmpp::pdus::{BindTransceiver, DeliverSm, DeliverSmResp};
use rusmpp::types::COctetString;
use rusmpp::values::InterfaceVersion;
use rusmpp::{Command, CommandId, CommandStatus, Pdu};
use std::pin::Pin;

use openssl::ssl::{SslConnector, SslFiletype, SslMethod};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_openssl::SslStream;

use super::config::SmppConfig;
use super::esme::{Queued, Shared, report};
use super::pdu::{self, Frame, FrameError};
use super::sms::{self, Inbound};
use crate::ota::MoSms;

/// How long a request may wait for its response (SMPP 3.4 §7.2
/// response_timer) before its outcome is taken as unknown.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(10);
/// First pause after a throttling answer; doubled up to [`MAX_THROTTLE`].
const MIN_THROTTLE: Duration = Duration::from_millis(50);
/// Longest pause after throttling answers.
const MAX_THROTTLE: Duration = Duration::from_secs(5);
/// Connecting and binding.
const BIND_TIMEOUT: Duration = Duration::from_secs(5);

type Frames = mpsc::UnboundedReceiver<Result<Frame, FrameError>>;

/// The connection to the SMSC: TCP, or TLS over TCP.
trait Link: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Link for T {}

/// Writing side of the connection.
type Writer = WriteHalf<Box<dyn Link>>;

/// A bound session.
pub struct Session {
    frames: Frames,
    w: Writer,
}

/// A submit_sm waiting for its response.
struct Pending {
    q: Queued,
    sent: Instant,
}

/// The session's flow-control state.
struct State {
    seq: u32,
    pending: HashMap<u32, Pending>,
    paused_until: Option<Instant>,
    pause: Duration,
    enquire: Option<Instant>,
    last_enquire: Instant,
}

impl State {
    /// The next sequence_number (1..=0x7FFFFFFF, SMPP 3.4 §3.2).
    fn next_seq(&mut self) -> u32 {
        self.seq = if self.seq >= 0x7FFF_FFFF {
            1
        } else {
            self.seq + 1
        };
        self.seq
    }

    fn can_send(&self, window: usize) -> bool {
        self.pending.len() < window && self.paused_until.is_none_or(|t| Instant::now() >= t)
    }
}

fn c_str<const MIN: usize, const MAX: usize>(v: &str) -> Result<COctetString<MIN, MAX>, String> {
    COctetString::from_str(v).map_err(|e| format!("{v:?}: {e}"))
}

/// Connects over TCP and, with `tls`, runs the TLS handshake, the SMSC's
/// certificate checked against `ca_file` (or the system's anchors) and
/// `server_name` (or the host).
async fn connect(c: &SmppConfig) -> Result<Box<dyn Link>, String> {
    let tcp = TcpStream::connect((c.host.as_str(), c.port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let Some(t) = &c.tls else {
        return Ok(Box::new(tcp));
    };
    let err = |what: &str, e: openssl::error::ErrorStack| format!("SMPP TLS {what}: {e}");
    let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(|e| err("context", e))?;
    match &t.ca_file {
        Some(ca) => b
            .set_ca_file(ca)
            .map_err(|e| err(&ca.display().to_string(), e))?,
        None => b
            .set_default_verify_paths()
            .map_err(|e| err("system trust anchors", e))?,
    }
    if let Some((cert, key)) = &t.client {
        b.set_certificate_chain_file(cert)
            .map_err(|e| err(&cert.display().to_string(), e))?;
        b.set_private_key_file(key, SslFiletype::PEM)
            .map_err(|e| err(&key.display().to_string(), e))?;
    }
    let name = t.server_name.as_deref().unwrap_or(&c.host);
    let ssl = b
        .build()
        .configure()
        .and_then(|cfg| cfg.into_ssl(name))
        .map_err(|e| err("setup", e))?;
    let mut tls = SslStream::new(ssl, tcp).map_err(|e| err("setup", e))?;
    Pin::new(&mut tls)
        .connect()
        .await
        .map_err(|e| format!("SMPP TLS handshake with {name}: {e}"))?;
    Ok(Box::new(tls))
}

/// Connects and binds as a transceiver.
///
/// # Errors
/// The SMSC is unreachable, or refused or did not answer the bind.
pub async fn bind(shared: &Shared) -> Result<Session, String> {
    let c = &shared.cfg;
    let link = tokio::time::timeout(BIND_TIMEOUT, connect(c))
        .await
        .map_err(|_| "connect timed out".to_owned())??;
    let (mut r, mut w) = tokio::io::split(link);
    let req = BindTransceiver::builder()
        .system_id(c_str(&c.system_id)?)
        .password(c_str(c.password.as_str()).map_err(|_| "password does not fit")?)
        .system_type(c_str(&c.system_type)?)
        .interface_version(InterfaceVersion::Smpp3_4)
        .build();
    let bytes =
        pdu::encode(&Command::new(CommandStatus::EsmeRok, 1, req)).map_err(|e| e.to_string())?;
    w.write_all(&bytes).await.map_err(|e| e.to_string())?;
    let resp = tokio::time::timeout(BIND_TIMEOUT, pdu::read_frame(&mut r))
        .await
        .map_err(|_| "no bind_transceiver_resp".to_owned())?
        .map_err(|e| e.to_string())?;
    match resp {
        Frame::Command(c)
            if c.id() == CommandId::BindTransceiverResp && c.sequence_number() == 1 =>
        {
            if c.status() != CommandStatus::EsmeRok {
                return Err(format!(
                    "bind_transceiver refused: {}",
                    pdu::status_text(c.status())
                ));
            }
        }
        Frame::Command(c) => return Err(format!("bind answered with {:?}", c.id())),
        Frame::Malformed { error, .. } => return Err(format!("bind answer malformed: {error}")),
    }
    let (tx, frames) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let f = pdu::read_frame(&mut r).await;
            let end = f.is_err();
            if tx.send(f).is_err() || end {
                return;
            }
        }
    });
    Ok(Session { frames, w })
}

/// The next queued SMS (cancel-safe: nothing is taken until it returns).
async fn next(shared: &Shared) -> Queued {
    loop {
        let notified = shared.queued.notified();
        if let Some(q) = shared.pop() {
            return q;
        }
        notified.await;
    }
}

impl Session {
    async fn send(&mut self, c: &Command) -> Result<(), String> {
        let bytes = pdu::encode(c).map_err(|e| e.to_string())?;
        self.w
            .write_all(&bytes)
            .await
            .map_err(|e| format!("write: {e}"))
    }

    /// Runs until the connection is lost (`Err`) or the session is
    /// unbound (`Ok`). SMS still waiting for their response then have an
    /// unknown outcome: their attempts time out and audit.
    pub async fn run(mut self, shared: &Shared) -> Result<(), String> {
        let mut st = State {
            seq: 1,
            pending: HashMap::new(),
            paused_until: None,
            pause: MIN_THROTTLE,
            enquire: None,
            last_enquire: Instant::now(),
        };
        let end = self.serve(shared, &mut st).await;
        for (_, p) in st.pending.drain() {
            tracing::warn!(to = %p.q.sms.to, "submit_sm unanswered when the session ended: outcome unknown");
        }
        end
    }

    async fn serve(&mut self, shared: &Shared, st: &mut State) -> Result<(), String> {
        let mut shutdown = shared.shutdown.clone();
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            let can_send = st.can_send(shared.cfg.window);
            tokio::select! {
                f = self.frames.recv() => match f {
                    Some(Ok(frame)) => {
                        if !self.on_frame(shared, st, frame).await? {
                            return Ok(());
                        }
                    }
                    Some(Err(e)) => return Err(e.to_string()),
                    None => return Err("reader stopped".into()),
                },
                q = next(shared), if can_send => self.submit(shared, st, q).await?,
                _ = tick.tick() => self.on_tick(shared, st).await?,
                _ = shutdown.changed() => return self.unbind(shared, st).await,
            }
        }
    }

    async fn submit(&mut self, shared: &Shared, st: &mut State, q: Queued) -> Result<(), String> {
        let s = match sms::submit_sm(&shared.fields, &q.sms.to, &q.sms.tp_ud) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(to = %q.sms.to, "MT SMS does not fit a submit_sm: {e}");
                report(&q.sms, &format!("SMPP: {e}"));
                return Ok(());
            }
        };
        let seq = st.next_seq();
        st.pending.insert(
            seq,
            Pending {
                q,
                sent: Instant::now(),
            },
        );
        self.send(&Command::new(CommandStatus::EsmeRok, seq, s))
            .await
    }

    /// `false` when the SMSC unbound the session.
    async fn on_frame(
        &mut self,
        shared: &Shared,
        st: &mut State,
        f: Frame,
    ) -> Result<bool, String> {
        let c = match f {
            Frame::Command(c) => c,
            Frame::Malformed {
                command_id,
                sequence_number,
                error,
            } => {
                tracing::warn!(
                    command_id = format!("{command_id:#010X}"),
                    sequence_number,
                    "malformed PDU from the SMSC: {error}"
                );
                if command_id & 0x8000_0000 == 0 {
                    self.send(&pdu::generic_nack(pdu::ESME_RSYSERR, sequence_number))
                        .await?;
                }
                return Ok(true);
            }
        };
        let (seq, status) = (c.sequence_number(), c.status());
        match c.pdu() {
            Some(Pdu::SubmitSmResp(r)) => {
                self.on_resp(shared, st, seq, status, r.message_id().as_str())
            }
            None if c.id() == CommandId::SubmitSmResp => self.on_resp(shared, st, seq, status, ""),
            Some(Pdu::GenericNack) => {
                tracing::warn!(
                    seq,
                    "generic_nack from the SMSC: {}",
                    pdu::status_text(status)
                );
                self.on_resp(shared, st, seq, status, "");
            }
            Some(Pdu::DeliverSm(d)) => {
                let status = on_deliver(shared, d);
                self.send(&Command::new(status, seq, DeliverSmResp::default()))
                    .await?;
            }
            Some(Pdu::EnquireLink) => {
                self.send(&Command::new(
                    CommandStatus::EsmeRok,
                    seq,
                    Pdu::EnquireLinkResp,
                ))
                .await?
            }
            Some(Pdu::EnquireLinkResp) => st.enquire = None,
            Some(Pdu::Unbind) => {
                tracing::warn!("the SMSC unbound the session");
                self.send(&Command::new(CommandStatus::EsmeRok, seq, Pdu::UnbindResp))
                    .await?;
                return Ok(false);
            }
            _ if u32::from(c.id()) & 0x8000_0000 == 0 => {
                tracing::warn!(id = ?c.id(), "request the ESME does not take: generic_nack");
                self.send(&pdu::generic_nack(CommandStatus::EsmeRinvcmdid, seq))
                    .await?;
            }
            _ => tracing::debug!(id = ?c.id(), seq, "response nobody waits for"),
        }
        Ok(true)
    }

    fn on_resp(
        &mut self,
        shared: &Shared,
        st: &mut State,
        seq: u32,
        status: CommandStatus,
        id: &str,
    ) {
        let Some(p) = st.pending.remove(&seq) else {
            tracing::debug!(seq, "submit_sm_resp for no pending submit_sm");
            return;
        };
        let to = p.q.sms.to.clone();
        match status {
            CommandStatus::EsmeRok => {
                st.pause = MIN_THROTTLE;
                if shared.cfg.registered_delivery & 1 == 1
                    && !id.is_empty()
                    && let Some(f) = &p.q.sms.failed
                {
                    shared.expect_receipt(id.to_owned(), f.clone());
                }
            }
            CommandStatus::EsmeRthrottled | CommandStatus::EsmeRmsgqful => {
                tracing::warn!(%to, pause = ?st.pause, "SMSC throttling ({}): resending later", pdu::status_text(status));
                st.paused_until = Some(Instant::now() + st.pause);
                st.pause = (st.pause * 2).min(MAX_THROTTLE);
                shared.push_front(p.q);
            }
            _ => {
                let why = format!("SMSC refused submit_sm: {}", pdu::status_text(status));
                tracing::warn!(%to, "{why}: attempt failed");
                report(&p.q.sms, &why);
            }
        }
    }

    async fn on_tick(&mut self, shared: &Shared, st: &mut State) -> Result<(), String> {
        let now = Instant::now();
        if st.enquire.is_some_and(|t| now - t > RESPONSE_TIMEOUT) {
            return Err("enquire_link unanswered".into());
        }
        let late: Vec<u32> = st
            .pending
            .iter()
            .filter(|(_, p)| now - p.sent > RESPONSE_TIMEOUT)
            .map(|(s, _)| *s)
            .collect();
        for s in late {
            if let Some(p) = st.pending.remove(&s) {
                tracing::warn!(to = %p.q.sms.to, "no submit_sm_resp in {RESPONSE_TIMEOUT:?}: outcome unknown");
            }
        }
        if st.enquire.is_none()
            && now - st.last_enquire >= Duration::from_millis(shared.cfg.enquire_link_ms)
        {
            st.last_enquire = now;
            st.enquire = Some(now);
            let seq = st.next_seq();
            self.send(&Command::new(CommandStatus::EsmeRok, seq, Pdu::EnquireLink))
                .await?;
        }
        Ok(())
    }

    /// Unbinds (waiting up to a second for unbind_resp, still answering
    /// what comes meanwhile).
    async fn unbind(&mut self, shared: &Shared, st: &mut State) -> Result<(), String> {
        let seq = st.next_seq();
        self.send(&Command::new(CommandStatus::EsmeRok, seq, Pdu::Unbind))
            .await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while let Ok(Some(Ok(f))) = tokio::time::timeout_at(deadline, self.frames.recv()).await {
            if matches!(&f, Frame::Command(c) if c.id() == CommandId::UnbindResp) {
                break;
            }
            if !self.on_frame(shared, st, f).await? {
                break;
            }
        }
        Ok(())
    }
}

/// Takes a `deliver_sm`: an MO SMS goes to the server, a receipt with a
/// failure state to the attempt that sent its SMS. Returns the
/// command_status of the `deliver_sm_resp`.
fn on_deliver(shared: &Shared, d: &DeliverSm) -> CommandStatus {
    match sms::inbound(d) {
        Ok(Inbound::Mo { from, tp_ud }) => {
            if shared.mo.send(MoSms { from, tp_ud }).is_err() {
                tracing::warn!("MO SMS while the server stops: not taken");
                return CommandStatus::EsmeRxTAppn;
            }
            CommandStatus::EsmeRok
        }
        Ok(Inbound::Receipt(r)) if r.delivered => {
            shared.take_receipt(&r.message_id);
            CommandStatus::EsmeRok
        }
        Ok(Inbound::Receipt(r)) => {
            let why = format!("delivery receipt {}: not delivered", r.state);
            match shared.take_receipt(&r.message_id) {
                Some(f) => {
                    tracing::warn!(id = %r.message_id, "{why}: attempt failed");
                    if f.send(why).is_err() {
                        tracing::debug!(id = %r.message_id, "receipt for an attempt already over");
                    }
                }
                None => tracing::warn!(id = %r.message_id, "{why}, for no message we await"),
            }
            CommandStatus::EsmeRok
        }
        Err(e) => {
            tracing::warn!("deliver_sm not understood: {e}");
            CommandStatus::EsmeRxPAppn
        }
    }
}
