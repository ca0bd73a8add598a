//! Test glue: a small blocking PSK-TLS server and client (OpenSSL) driving
//! the sans-IO SCP81 sessions. One thread per connection, 127.0.0.1 with an
//! ephemeral port, bounded timeouts everywhere; the listener stops after a
//! given number of connections.
//!
//! The example server (later) can reuse the pattern: a fresh `SslContext`
//! per connection whose PSK callback resolves the SGP.02 identity through
//! `smsr::scp81::psk_id::lookup_psk`, then the read/handle/poll loop below.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use openssl::ssl::{Ssl, SslContext, SslMethod, SslStream, SslVersion};

use smsr::scp81::card::{CardEvent, CardSession, ScriptExecutor};
use smsr::scp81::http::ScriptStatus;
use smsr::scp81::psk_id::{PskIdentity, PskStore, lookup_psk};
use smsr::scp81::server::{EndReason, Event, ScriptId, ServerSession};

/// TLS 1.2 PSK cipher suites by OpenSSL name (IANA in comments).
pub const PSK_AES128_CBC_SHA256: &str = "PSK-AES128-CBC-SHA256"; // 0x00AE
pub const PSK_AES128_GCM_SHA256: &str = "PSK-AES128-GCM-SHA256"; // 0x00A8
pub const PSK_AES128_CBC_SHA: &str = "PSK-AES128-CBC-SHA"; // 0x008C
pub const PSK_NULL_SHA256: &str = "PSK-NULL-SHA256:@SECLEVEL=0"; // 0x00B0

/// Keys by EID.
#[derive(Clone, Default)]
pub struct Keys(pub HashMap<[u8; 16], Vec<u8>>);

impl PskStore for Keys {
    fn psk(&mut self, identity: &PskIdentity, out: &mut [u8]) -> Option<usize> {
        let key = self.0.get(&identity.eid)?;
        out.get_mut(..key.len())?.copy_from_slice(key);
        Some(key.len())
    }
}

pub type Session = ServerSession<Vec<u8>, Vec<u8>, 16>;

/// What happened on one server-side connection.
#[derive(Debug, Default, Clone)]
pub struct ConnReport {
    pub identity: Option<PskIdentity>,
    pub cipher: Option<String>,
    pub handshake_error: Option<String>,
    pub opened: usize,
    /// `X-Admin-From` of the first POST named the TLS identity's EID and AID.
    pub agent_matches: Option<bool>,
    pub responses: Vec<(ScriptId, ScriptStatus, Vec<u8>)>,
    /// Executed C-APDU counts the server checked per response.
    pub executed: Vec<Option<u32>>,
    pub ended: Option<EndReason>,
}

/// Sessions by EID, shared by the connection threads (a session outlives a
/// broken connection, for resume).
pub type Sessions = Arc<Mutex<HashMap<[u8; 16], Session>>>;

pub struct Server {
    pub addr: SocketAddr,
    pub sessions: Sessions,
    handle: JoinHandle<Vec<ConnReport>>,
}

impl Server {
    /// Waits for the listener to serve its connections; returns their
    /// reports in accept order.
    pub fn join(self) -> Vec<ConnReport> {
        self.handle.join().expect("server thread")
    }
}

fn elapsed(start: Instant) -> Duration {
    start.elapsed()
}

/// Serves `connections` connections, each on its own thread, with
/// `cipher` (OpenSSL cipher string), TLS 1.2 only.
pub fn spawn_server(
    keys: Keys,
    sessions: Sessions,
    cipher: &'static str,
    connections: usize,
) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let sessions2 = sessions.clone();
    let handle = std::thread::spawn(move || {
        let start = Instant::now();
        let mut threads = Vec::new();
        for _ in 0..connections {
            let (tcp, _) = listener.accept().expect("accept");
            let keys = keys.clone();
            let sessions = sessions2.clone();
            threads.push(std::thread::spawn(move || {
                serve_one(tcp, keys, sessions, cipher, start)
            }));
        }
        threads
            .into_iter()
            .map(|t| t.join().expect("conn thread"))
            .collect()
    });
    Server {
        addr,
        sessions,
        handle,
    }
}

fn server_context(keys: Keys, cipher: &str, seen: Arc<Mutex<Option<PskIdentity>>>) -> SslContext {
    let mut b = SslContext::builder(SslMethod::tls_server()).expect("ctx");
    b.set_min_proto_version(Some(SslVersion::TLS1_2))
        .expect("min");
    b.set_max_proto_version(Some(SslVersion::TLS1_2))
        .expect("max");
    b.set_cipher_list(cipher).expect("cipher list");
    let keys = Mutex::new(keys);
    b.set_psk_server_callback(move |_ssl, identity, psk_out| {
        let Some(identity) = identity else {
            return Ok(0);
        };
        let mut store = keys.lock().expect("keys");
        match lookup_psk(identity, &mut *store, psk_out) {
            Ok((id, n)) => {
                *seen.lock().expect("seen") = Some(id);
                Ok(n)
            }
            // 0 = unknown identity: OpenSSL aborts the handshake.
            Err(_) => Ok(0),
        }
    });
    b.build()
}

fn serve_one(
    tcp: TcpStream,
    keys: Keys,
    sessions: Sessions,
    cipher: &str,
    start: Instant,
) -> ConnReport {
    let mut report = ConnReport::default();
    tcp.set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    tcp.set_write_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let seen = Arc::new(Mutex::new(None));
    let ctx = server_context(keys, cipher, seen.clone());
    let ssl = Ssl::new(&ctx).expect("ssl");
    let mut stream = match handshake_with_retry(|| ssl.accept(tcp)) {
        Ok(s) => s,
        Err(e) => {
            report.handshake_error = Some(e);
            report.identity = seen.lock().expect("seen").clone();
            return report;
        }
    };
    report.cipher = stream.ssl().current_cipher().map(|c| c.name().to_owned());
    let id = seen
        .lock()
        .expect("seen")
        .clone()
        .expect("identity after handshake");
    report.identity = Some(id.clone());
    let eid = id.eid;
    let mut out = vec![0u8; 70_000];
    let mut buf = [0u8; 4096];
    let hard_stop = Instant::now() + Duration::from_secs(20);
    {
        let mut all = sessions.lock().expect("sessions");
        let s = all.get_mut(&eid).expect("a session for this EID");
        s.connection_opened(elapsed(start));
    }
    loop {
        assert!(
            Instant::now() < hard_stop,
            "server connection loop ran away"
        );
        let mut all = sessions.lock().expect("sessions");
        let s = all.get_mut(&eid).expect("session");
        drain(s, &mut report);
        if let Some(n) = s.poll_transmit(&mut out, elapsed(start)).expect("transmit") {
            drain(s, &mut report);
            drop(all);
            if stream
                .write_all(&out[..n])
                .and_then(|()| stream.flush())
                .is_err()
            {
                let mut all = sessions.lock().expect("sessions");
                all.get_mut(&eid)
                    .expect("session")
                    .connection_closed(elapsed(start));
                break;
            }
            continue;
        }
        if s.is_closed() {
            drop(all);
            let _ = stream.shutdown();
            break;
        }
        drop(all);
        let r = stream.read(&mut buf);
        let mut all = sessions.lock().expect("sessions");
        let s = all.get_mut(&eid).expect("session");
        match r {
            Ok(0) => {
                s.connection_closed(elapsed(start));
                drain(s, &mut report);
                break;
            }
            Ok(n) => {
                // The session takes all input unless undrained events hold
                // its buffer; drain and offer the rest once more.
                let mut at = 0;
                while at < n {
                    let k = s.handle_input(&buf[at..n], elapsed(start)).unwrap_or(0);
                    drain(s, &mut report);
                    if k == 0 || s.is_ended() {
                        break;
                    }
                    at += k;
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                s.handle_timeout(elapsed(start));
            }
            Err(_) => {
                s.connection_closed(elapsed(start));
                drain(s, &mut report);
                break;
            }
        }
    }
    report
}

fn drain(s: &mut Session, report: &mut ConnReport) {
    while let Some(ev) = s.poll_event() {
        match ev {
            Event::Opened { agent_id } => {
                report.opened += 1;
                report.agent_matches = match (&report.identity, agent_id) {
                    (Some(id), Some(a)) => Some(id.matches_agent_id(a)),
                    _ => Some(false),
                };
            }
            Event::Response {
                id,
                status,
                body,
                executed,
            } => {
                report.responses.push((id, status, body.to_vec()));
                report.executed.push(executed);
            }
            Event::Ended(r) => report.ended = Some(r),
        }
    }
}

/// Runs a blocking handshake, retrying while the socket read times out.
fn handshake_with_retry<F>(f: F) -> Result<SslStream<TcpStream>, String>
where
    F: FnOnce() -> Result<SslStream<TcpStream>, openssl::ssl::HandshakeError<TcpStream>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut r = f();
    loop {
        match r {
            Ok(s) => return Ok(s),
            Err(openssl::ssl::HandshakeError::WouldBlock(mid)) if Instant::now() < deadline => {
                r = mid.handshake();
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Opens a PSK-TLS 1.2 client connection presenting `identity` and `key`.
pub fn connect(
    addr: SocketAddr,
    identity: &str,
    key: &[u8],
    cipher: &str,
) -> Result<SslStream<TcpStream>, String> {
    let tcp =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    tcp.set_write_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    let mut b = SslContext::builder(SslMethod::tls_client()).map_err(|e| e.to_string())?;
    b.set_min_proto_version(Some(SslVersion::TLS1_2))
        .map_err(|e| e.to_string())?;
    b.set_max_proto_version(Some(SslVersion::TLS1_2))
        .map_err(|e| e.to_string())?;
    b.set_cipher_list(cipher).map_err(|e| e.to_string())?;
    let identity = identity.as_bytes().to_vec();
    let key = key.to_vec();
    b.set_psk_client_callback(move |_ssl, _hint, identity_out, psk_out| {
        identity_out[..identity.len()].copy_from_slice(&identity);
        identity_out[identity.len()] = 0;
        psk_out[..key.len()].copy_from_slice(&key);
        Ok(key.len())
    });
    let ctx = b.build();
    let ssl = Ssl::new(&ctx).map_err(|e| e.to_string())?;
    handshake_with_retry(|| ssl.connect(tcp))
}

/// Drives a card session over `stream` until it ends or the stream breaks;
/// returns the card's events.
pub fn run_card<S: Read + Write, E: ScriptExecutor>(
    stream: &mut S,
    card: &mut CardSession<Vec<u8>>,
    exec: &mut E,
) -> Vec<CardEvent> {
    let start = Instant::now();
    let mut events = Vec::new();
    let mut out = vec![0u8; 70_000];
    let mut buf = [0u8; 4096];
    while !card.is_ended() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "card loop ran away"
        );
        if let Some(n) = card
            .poll_transmit(&mut out, start.elapsed())
            .expect("card transmit")
        {
            if stream
                .write_all(&out[..n])
                .and_then(|()| stream.flush())
                .is_err()
            {
                card.connection_lost();
                break;
            }
            continue;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => {
                card.connection_lost();
                break;
            }
            Ok(n) => {
                let _ = card.handle_input(&buf[..n], start.elapsed(), exec);
            }
        }
        while let Some(e) = card.poll_event() {
            events.push(e);
        }
    }
    while let Some(e) = card.poll_event() {
        events.push(e);
    }
    events
}
