//! SCP81: the PSK-TLS listener the eUICCs connect to after a trigger
//! (GP Amendment B, SGP.02 §2.4.4), driving the library's sans-IO
//! [`ServerSession`] over OpenSSL (TLS 1.2 PSK suites) and tokio.
//!
//! The PSK callback resolves the SGP.02 PSK identity
//! ([`smsr::scp81::psk_id`]) to the eUICC's key: the keys the script
//! waiting for that eUICC carries (read once by the attempt that sent its
//! trigger), else the store's record; an unknown
//! identity, a key version or identifier that does not match, or a wrong
//! key fails the handshake. The [`Hub`] holds, per EID, the command script
//! waiting for that eUICC's next session and whoever waits for the answer.
//!
//! A script sent with ES3.SendData `moreToDo` (SGP.02 §5.4.5, the ES8
//! relay) keeps its session open: the card's POST with the answer is held
//! ([`ServerSession::expect_more`]) and the session registers as live in
//! the hub, so the next script for that eUICC goes into it without a new
//! trigger, until a script without `moreToDo` ends it.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openssl::ssl::{
    Ssl, SslContext, SslContextBuilder, SslMethod, SslOptions, SslSessionCacheMode, SslVersion,
};
use smsr::isdr::{Aid, Eid};
use smsr::scp81::http::ScriptStatus;
use smsr::scp81::psk_id::{PskIdentity, PskStore, lookup_psk};
use smsr::scp81::server::{EndReason, Event, ServerConfig, ServerSession, UriBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};
use tokio_openssl::SslStream;

use crate::config::Limits;
use crate::keys::vault::EuiccKeys;
use crate::store::held::HeldKeys;

/// TLS 1.2 PSK suites offered (OpenSSL names; IANA `00AE`, `00A8`,
/// `008C`). Debian's OpenSSL has no 3DES PSK suite.
pub const CIPHERS: &str = "PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256:PSK-AES128-CBC-SHA";

/// The admin URI the trigger names and the Next-URIs extend.
pub const ADMIN_URI: &str = "/smsr/admin";

/// What the card answered a script: its `X-Admin-Script-Status` and the
/// response script (empty when it sent none).
pub type Answer = (ScriptStatus, Vec<u8>);

type Reply = oneshot::Sender<Result<Answer, String>>;

/// A script waiting for its session.
struct Job {
    /// The eUICC's keys, as the attempt read them: the PSK callback uses
    /// them instead of reading the store a second time.
    keys: Arc<EuiccKeys>,
    script: Vec<u8>,
    target: Option<Aid>,
    /// `moreToDo`: the session stays open after the answer.
    keep_open: bool,
    reply: Reply,
}

/// Where the next script of a live session goes.
type LiveTx = mpsc::UnboundedSender<Job>;

/// Scripts waiting for their eUICC's session.
#[derive(Default)]
pub struct Hub {
    pending: Mutex<HashMap<[u8; 16], Job>>,
    /// Sessions held open by `moreToDo`, by EID.
    live: Mutex<HashMap<[u8; 16], LiveTx>>,
    /// Sessions completed with a response.
    pub sessions: AtomicU64,
    /// Handshakes refused.
    pub refused: AtomicU64,
    /// Connections open now.
    pub open: AtomicU64,
    /// Connections closed on accept: `MaxScp81Connections` were open.
    pub over_limit: AtomicU64,
    /// Connections closed by the handshake or idle timeout.
    pub timed_out: AtomicU64,
    /// Session buffers of closed connections, for the next ones.
    buffers: Arc<BufferPool>,
}

/// Size of a session buffer: a received request, a script to send, a
/// read from the stream (a script is at most 64 KiB plus HTTP headers).
const BUFFER: usize = 70_000;

/// Buffers kept for reuse: three per connection, for 32 connections.
const POOLED: usize = 96;

/// Session buffers of closed connections. A new buffer is zeroed memory;
/// 210 KB zeroed per connection was 9 % of the server's instructions in a
/// callgrind profile of fleet-wide AuditEIS, so closed connections hand
/// theirs back (their old contents are never read: the session tracks
/// what it wrote).
#[derive(Default)]
struct BufferPool(Mutex<Vec<Vec<u8>>>);

/// A buffer from the [`BufferPool`], given back when dropped.
struct Buffer {
    bytes: Vec<u8>,
    pool: Arc<BufferPool>,
}

impl BufferPool {
    fn take(self: &Arc<Self>) -> Buffer {
        let reused = self.0.lock().ok().and_then(|mut v| v.pop());
        Buffer {
            bytes: reused.unwrap_or_else(|| vec![0u8; BUFFER]),
            pool: self.clone(),
        }
    }
}

impl Drop for Buffer {
    fn drop(&mut self) {
        if let Ok(mut v) = self.pool.0.lock()
            && v.len() < POOLED
        {
            v.push(core::mem::take(&mut self.bytes));
        }
    }
}

impl AsRef<[u8]> for Buffer {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl AsMut<[u8]> for Buffer {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.bytes
    }
}

impl Hub {
    /// Queues `script` (for `target`, the ISD-R when `None`) for `eid`,
    /// whose keys are `keys`: into its live session when one is held open
    /// (`true`: no trigger is needed), else for its next session;
    /// `keep_open` holds that session open after the answer. The receiver
    /// gets the response script.
    pub fn expect(
        &self,
        eid: &Eid,
        keys: Arc<EuiccKeys>,
        script: Vec<u8>,
        target: Option<Aid>,
        keep_open: bool,
    ) -> (oneshot::Receiver<Result<Answer, String>>, bool) {
        let (reply, rx) = oneshot::channel();
        let mut job = Job {
            keys,
            script,
            target,
            keep_open,
            reply,
        };
        let live = self
            .live
            .lock()
            .ok()
            .and_then(|l| l.get(eid.as_bcd()).cloned());
        if let Some(tx) = live {
            match tx.send(job) {
                Ok(()) => return (rx, true),
                // The session ended meanwhile: a new one is triggered.
                Err(mpsc::error::SendError(j)) => job = j,
            }
        }
        if let Ok(mut p) = self.pending.lock() {
            p.insert(*eid.as_bcd(), job);
        }
        (rx, false)
    }

    /// Registers the live session of `eid` (held open by `moreToDo`).
    fn hold(&self, eid: &[u8; 16], tx: LiveTx) {
        if let Ok(mut l) = self.live.lock() {
            l.insert(*eid, tx);
        }
    }

    /// The live session of `eid` ends: its entry goes, unless another
    /// session replaced it.
    fn release(&self, eid: &[u8; 16], tx: &LiveTx) {
        if let Ok(mut l) = self.live.lock()
            && l.get(eid).is_some_and(|t| t.same_channel(tx))
        {
            l.remove(eid);
        }
    }

    /// Drops what waits for `eid`; `true` when no session had taken it.
    pub fn cancel(&self, eid: &Eid) -> bool {
        self.pending
            .lock()
            .map(|mut p| p.remove(eid.as_bcd()).is_some())
            .unwrap_or(false)
    }

    fn take(&self, eid: &[u8; 16]) -> Option<Job> {
        self.pending.lock().ok()?.remove(eid)
    }

    /// The keys the script waiting for `eid` carries, if one waits.
    fn keys_of(&self, eid: &[u8; 16]) -> Option<Arc<EuiccKeys>> {
        Some(self.pending.lock().ok()?.get(eid)?.keys.clone())
    }
}

/// Resolves PSK identities: to the keys the script waiting for the
/// eUICC carries (the attempt that sent its trigger read them), else
/// against the store (a read of the record: key version and identifier,
/// and the PSK as the custody holds it); the PSK's octets exist only for
/// this handshake (on the PKCS#11 custody, unwrapped by the token here)
/// and are zeroized when this returns.
struct StorePsk(Arc<dyn HeldKeys>, Arc<Hub>);

impl StorePsk {
    /// The keys of `eid`: those of its waiting script, else the store's.
    fn keys(&self, eid: &Eid) -> Option<Arc<EuiccKeys>> {
        if let Some(k) = self.1.keys_of(eid.as_bcd()) {
            return Some(k);
        }
        match self.0.keys(eid) {
            Ok(k) => k.map(Arc::new),
            Err(e) => {
                tracing::warn!(%eid, "SCP81 PSK: {e}");
                None
            }
        }
    }
}

impl PskStore for StorePsk {
    fn psk(&mut self, identity: &PskIdentity, out: &mut [u8]) -> Option<usize> {
        let eid = Eid::from_bcd_unchecked(&identity.eid).ok()?;
        let k = self.keys(&eid)?;
        if identity.key_version != k.scp81_kvn || identity.key_id != k.scp81_key_id {
            return None;
        }
        let psk = match k.psk.reveal() {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(%eid, "SCP81 PSK: {e}");
                return None;
            }
        };
        out.get_mut(..psk.len())?.copy_from_slice(&psk);
        Some(psk.len())
    }
}

/// The server TLS context: TLS 1.2 only, PSK suites, keys from the
/// scripts waiting in `hub`, else from the store.
///
/// # Errors
/// OpenSSL refused the settings.
pub fn context(
    store: Arc<dyn HeldKeys>,
    hub: Arc<Hub>,
) -> Result<SslContext, openssl::error::ErrorStack> {
    let mut b = server_builder()?;
    // No lock around the store: handshakes look their keys up in
    // parallel (one lock held across a PostgreSQL round trip serialised
    // every handshake of the instance).
    b.set_psk_server_callback(move |_ssl, identity, out| {
        let Some(identity) = identity else {
            return Ok(0);
        };
        let mut store = StorePsk(store.clone(), hub.clone());
        // 0 = unknown identity: OpenSSL aborts the handshake.
        Ok(lookup_psk(identity, &mut store, out).map_or(0, |(_, n)| n))
    });
    Ok(b.build())
}

/// The listener's TLS settings without the PSK callback (shared with the
/// bench's bare-handshake floor): TLS 1.2 only, [`CIPHERS`], no
/// resumption.
///
/// # Errors
/// OpenSSL refused the settings.
pub fn server_builder() -> Result<SslContextBuilder, openssl::error::ErrorStack> {
    let mut b = SslContext::builder(SslMethod::tls_server())?;
    b.set_min_proto_version(Some(SslVersion::TLS1_2))?;
    b.set_max_proto_version(Some(SslVersion::TLS1_2))?;
    b.set_cipher_list(CIPHERS)?;
    // SGP.02 §2.4.4 (v4.2, as summarised by eUICC.tech): no TLS session
    // resumption. No server session cache (a session ID offered by the
    // card finds nothing) and no session tickets (RFC 5077): every
    // connection runs a full PSK handshake.
    b.set_session_cache_mode(SslSessionCacheMode::OFF);
    b.set_options(SslOptions::NO_TICKET);
    Ok(b)
}

/// Accepts eUICC connections until `shutdown` turns true, at most
/// `limits.max_scp81_connections` at a time: past that a new connection is
/// closed at once (and logged), the open ones keep being served.
pub async fn serve(
    listener: TcpListener,
    ctx: SslContext,
    hub: Arc<Hub>,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let ctx = Arc::new(ctx);
    let epoch = Instant::now();
    let slots = Arc::new(Semaphore::new(limits.max_scp81_connections));
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of file descriptors, most likely: wait for some to
                // close instead of spinning.
                tracing::warn!("SCP81 accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            hub.over_limit.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                %peer, limit = limits.max_scp81_connections,
                "SCP81 connection refused: MaxScp81Connections open"
            );
            drop(tcp);
            continue;
        };
        let ctx = ctx.clone();
        let hub = hub.clone();
        tokio::spawn(async move {
            hub.open.fetch_add(1, Ordering::Relaxed);
            match connection(tcp, &ctx, &hub, epoch, limits).await {
                Ok(()) => {}
                Err(Refusal::TimedOut(e)) => {
                    hub.timed_out.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(%peer, "SCP81 connection closed: {e}");
                }
                Err(Refusal::Failed(e)) => {
                    hub.refused.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(%peer, "SCP81 connection: {e}");
                }
            }
            hub.open.fetch_sub(1, Ordering::Relaxed);
            drop(slot);
        });
    }
}

/// Why a connection ended without serving a session.
enum Refusal {
    /// The handshake or idle timeout passed.
    TimedOut(String),
    /// Anything else (a failed handshake, an unknown identity…).
    Failed(String),
}

impl From<String> for Refusal {
    fn from(e: String) -> Self {
        Self::Failed(e)
    }
}

impl From<&str> for Refusal {
    fn from(e: &str) -> Self {
        Self::Failed(e.to_owned())
    }
}

/// The server side of one PSK-TLS connection.
type Session = ServerSession<Vec<u8>, Buffer, 4>;

/// Accepts the TLS handshake and reads the PSK identity it used.
async fn handshake(
    tcp: tokio::net::TcpStream,
    ctx: &SslContext,
    timeout: Duration,
) -> Result<(SslStream<tokio::net::TcpStream>, PskIdentity), Refusal> {
    let ssl = Ssl::new(ctx).map_err(|e| e.to_string())?;
    let mut stream = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
    tokio::time::timeout(timeout, Pin::new(&mut stream).accept())
        .await
        .map_err(|_| Refusal::TimedOut(format!("TLS handshake not done in {timeout:?}")))?
        .map_err(|e| format!("TLS handshake: {e}"))?;
    let identity = stream
        .ssl()
        .psk_identity()
        .ok_or("no PSK identity")
        .and_then(|t| PskIdentity::parse(t).map_err(|_| "bad PSK identity"))?;
    Ok((stream, identity))
}

async fn connection(
    tcp: tokio::net::TcpStream,
    ctx: &SslContext,
    hub: &Hub,
    epoch: Instant,
    limits: Limits,
) -> Result<(), Refusal> {
    let handshake_timeout = Duration::from_millis(limits.scp81_handshake_timeout_ms);
    let (mut stream, identity) = handshake(tcp, ctx, handshake_timeout).await?;
    let job = hub.take(&identity.eid);
    let uri = UriBuf::try_from(ADMIN_URI).map_err(|_| "admin URI too long")?;
    let mut config = ServerConfig::new(uri);
    // A card silent for the idle timeout: no request, or no next one.
    let idle = Duration::from_millis(limits.scp81_idle_timeout_ms);
    config.request_timeout = idle;
    config.resume_timeout = idle;
    let mut session: Session = ServerSession::new(config, hub.buffers.take());
    session.connection_opened(epoch.elapsed());
    let mut relay = Relay {
        hub,
        eid: identity.eid,
        reply: None,
        answered: false,
        jobs: None,
    };
    if let Some(job) = job {
        relay.start(&mut session, job);
    }
    let out = pump(&mut stream, &mut session, epoch, idle, &mut relay).await;
    relay.end(out.as_ref().ok().and_then(|o| o.ended.clone()));
    let out = out?;
    if out.idle || matches!(out.ended, Some(EndReason::Timeout)) {
        return Err(Refusal::TimedOut(format!("nothing read for {idle:?}")));
    }
    Ok(())
}

/// The scripts of one session and whoever waits for their answers: the
/// one it was opened for, then (while `moreToDo` holds it open) those
/// the hub hands to it as a live session.
struct Relay<'a> {
    hub: &'a Hub,
    eid: [u8; 16],
    reply: Option<Reply>,
    /// A script was answered (the session counts once in
    /// [`Hub::sessions`], however many scripts it carried).
    answered: bool,
    /// The live session's inbox, with its sender registered in the hub.
    jobs: Option<(LiveTx, mpsc::UnboundedReceiver<Job>)>,
}

impl Relay<'_> {
    /// Sends `job`'s script in `session`; holds the session open (and
    /// live) for the next one when it asks, else lets it end.
    fn start(&mut self, session: &mut Session, job: Job) {
        let target = job.target.as_ref().map(Aid::as_bytes);
        if let Err(e) = session.push_script(job.script, target) {
            // Nobody else can use the answer: the attempt learns why.
            if job.reply.send(Err(e.to_string())).is_err() {
                tracing::debug!("SCP81 script refused after its attempt ended");
            }
            return;
        }
        session.expect_more(job.keep_open);
        self.answer(Err("a new script was sent before its answer".into()));
        self.reply = Some(job.reply);
        match (&self.jobs, job.keep_open) {
            (None, true) => {
                let (tx, rx) = mpsc::unbounded_channel();
                self.hub.hold(&self.eid, tx.clone());
                self.jobs = Some((tx, rx));
            }
            (Some((tx, _)), false) => {
                self.hub.release(&self.eid, tx);
                self.jobs = None;
            }
            _ => {}
        }
    }

    /// Hands `result` to whoever waits for the script in flight.
    fn answer(&mut self, result: Result<Answer, String>) {
        let Some(reply) = self.reply.take() else {
            return;
        };
        if result.is_ok() && !self.answered {
            self.answered = true;
            self.hub.sessions.fetch_add(1, Ordering::Relaxed);
        }
        // The attempt may have given up waiting: then nobody needs it.
        if reply.send(result).is_err() {
            tracing::debug!("SCP81 answer after its attempt ended");
        }
    }

    /// The connection is over: the live entry goes, and a script still
    /// in flight gets no answer.
    fn end(&mut self, ended: Option<EndReason>) {
        if let Some((tx, _)) = self.jobs.take() {
            self.hub.release(&self.eid, &tx);
        }
        self.answer(Err(format!("session ended without a response ({ended:?})")));
    }

    fn drain(&mut self, session: &mut Session, out: &mut Outcome) {
        while let Some(ev) = session.poll_event() {
            match ev {
                Event::Opened { .. } => {}
                Event::Response { body, status, .. } => {
                    let a = (status, body.to_vec());
                    self.answer(Ok(a));
                }
                Event::Ended(r) => out.ended = Some(r),
            }
        }
    }
}

/// The next script for a live session; never for another.
async fn next_job(jobs: &mut Option<(LiveTx, mpsc::UnboundedReceiver<Job>)>) -> Option<Job> {
    match jobs {
        Some((_, rx)) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Why the session ended.
#[derive(Default)]
struct Outcome {
    ended: Option<EndReason>,
    /// Closed by the server: nothing read for the idle timeout.
    idle: bool,
}

/// Moves bytes between the TLS stream and the sans-IO session until it is
/// closed, or the card sent nothing for `idle`, handing each answer to
/// its waiter and each script of a live session to the session; returns
/// why the session ended.
async fn pump(
    stream: &mut SslStream<tokio::net::TcpStream>,
    session: &mut Session,
    epoch: Instant,
    idle: Duration,
    relay: &mut Relay<'_>,
) -> Result<Outcome, String> {
    let now = || epoch.elapsed();
    let mut out = Outcome::default();
    let buffers = &relay.hub.buffers;
    let (mut tx_buffer, mut rx_buffer) = (buffers.take(), buffers.take());
    let (tx, buf) = (tx_buffer.as_mut(), rx_buffer.as_mut());
    let hard_stop = Instant::now() + Duration::from_secs(60);
    let mut last_read = Instant::now();
    loop {
        relay.drain(session, &mut out);
        if let Some(n) = session
            .poll_transmit(tx, now())
            .map_err(|e| e.to_string())?
        {
            let bytes = tx.get(..n).ok_or("transmit beyond its buffer")?;
            if stream.write_all(bytes).await.is_err() || stream.flush().await.is_err() {
                session.connection_closed(now());
                break;
            }
            continue;
        }
        out.idle = !session.is_closed() && last_read.elapsed() >= idle;
        if session.is_closed() || out.idle || Instant::now() > hard_stop {
            // Closing politely; the peer may be gone already.
            if let Err(e) = stream.shutdown().await {
                tracing::debug!("SCP81 shutdown: {e}");
            }
            break;
        }
        let wait = session
            .poll_timeout()
            .map_or(Duration::from_secs(10), |d| d.saturating_sub(now()))
            .min(idle.saturating_sub(last_read.elapsed()))
            .max(Duration::from_millis(1));
        let read = tokio::select! {
            r = tokio::time::timeout(wait, stream.read(buf)) => r,
            Some(job) = next_job(&mut relay.jobs) => {
                // The SM-DP's next data for the held session.
                last_read = Instant::now();
                relay.start(session, job);
                continue;
            }
        };
        match read {
            Ok(Ok(0) | Err(_)) => {
                session.connection_closed(now());
                relay.drain(session, &mut out);
                break;
            }
            Ok(Ok(n)) => {
                last_read = Instant::now();
                let mut at = 0;
                while let Some(chunk) = buf.get(at..n).filter(|c| !c.is_empty()) {
                    match session.handle_input(chunk, now()) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => at += k,
                    }
                    relay.drain(session, &mut out);
                }
            }
            Err(_) => session.handle_timeout(now()),
        }
    }
    Ok(out)
}
