//! A client's `wsa:ReplyTo` endpoint (WS-Addressing 1.0 Core §3.4): an
//! HTTPS listener with mutual TLS where the SM-SR delivers the
//! `…Response` of a function it accepted (HTTP 202) and its
//! Handle*Notification calls. The SM-SR's client certificate must chain
//! to the CA and name the expected peer. An answer is handed to the call
//! waiting on its `wsa:RelatesTo`; a message relating to no waiting call
//! (a notification) is counted by its `wsa:Action`. Every well-formed
//! envelope is acknowledged with HTTP 202, anything else refused with 400.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use openssl::nid::Nid;
use openssl::ssl::{Ssl, SslAcceptor, SslFiletype, SslMethod, SslVerifyMode};
use openssl::x509::X509Ref;
use smsr::soap::{Envelope, Limits};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_openssl::SslStream;

use crate::soap::TlsFiles;

/// The listener's state: the calls waiting for an answer and what came.
pub struct ReplyListener {
    url: String,
    waiting: Mutex<HashMap<String, oneshot::Sender<Bytes>>>,
    unsolicited: Mutex<BTreeMap<String, u64>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Whether `cert` names `peer` (a subjectAltName dNSName or subject CN).
fn names(cert: &X509Ref, peer: &str) -> bool {
    let dns = cert
        .subject_alt_names()
        .into_iter()
        .flatten()
        .any(|n| n.dnsname() == Some(peer));
    dns || cert
        .subject_name()
        .entries_by_nid(Nid::COMMONNAME)
        .any(|e| e.data().as_slice() == peer.as_bytes())
}

fn acceptor(files: &TlsFiles, peer: &str) -> Result<SslAcceptor, String> {
    let err = |what: &std::path::Path, e: openssl::error::ErrorStack| {
        format!("ReplyTo TLS {}: {e}", what.display())
    };
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
        .map_err(|e| format!("ReplyTo TLS context: {e}"))?;
    b.set_certificate_chain_file(&files.cert)
        .map_err(|e| err(&files.cert, e))?;
    b.set_private_key_file(&files.key, SslFiletype::PEM)
        .map_err(|e| err(&files.key, e))?;
    b.set_ca_file(&files.ca).map_err(|e| err(&files.ca, e))?;
    let peer = peer.to_owned();
    b.set_verify_callback(
        SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
        move |chain_ok, ctx| {
            if !chain_ok || ctx.error_depth() != 0 {
                return chain_ok;
            }
            ctx.current_cert().is_some_and(|c| names(c, &peer))
        },
    );
    Ok(b.build())
}

fn status(code: StatusCode) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = code;
    r
}

impl ReplyListener {
    /// Listens on `addr` (port 0: any) with the certificate of `files`,
    /// accepting only clients whose certificate chains to its CA and
    /// names `peer`.
    ///
    /// # Errors
    /// The address or a TLS file.
    pub async fn start(
        addr: SocketAddr,
        files: &TlsFiles,
        peer: &str,
    ) -> Result<Arc<Self>, String> {
        let acceptor = Arc::new(acceptor(files, peer)?);
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("ReplyTo listener {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        let me = Arc::new(Self {
            url: format!("https://{bound}/"),
            waiting: Mutex::new(HashMap::new()),
            unsolicited: Mutex::new(BTreeMap::new()),
            task: Mutex::new(None),
        });
        let weak = Arc::downgrade(&me);
        let task = tokio::spawn(async move {
            while let Ok((tcp, peer)) = listener.accept().await {
                let Some(me) = weak.upgrade() else { return };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Err(e) = me.connection(&acceptor, tcp).await {
                        tracing::info!(%peer, "ReplyTo connection: {e}");
                    }
                });
            }
        });
        *me.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(task);
        Ok(me)
    }

    async fn connection(
        self: Arc<Self>,
        acceptor: &SslAcceptor,
        tcp: tokio::net::TcpStream,
    ) -> Result<(), String> {
        let ssl = Ssl::new(acceptor.context()).map_err(|e| e.to_string())?;
        let mut stream = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
        std::pin::Pin::new(&mut stream)
            .accept()
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        let service = service_fn(move |req| {
            let me = self.clone();
            async move { Ok::<_, Infallible>(me.handle(req).await) }
        });
        http1::Builder::new()
            .serve_connection(TokioIo::new(stream), service)
            .await
            .map_err(|e| e.to_string())
    }

    async fn handle(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        if req.method() != hyper::Method::POST {
            return status(StatusCode::METHOD_NOT_ALLOWED);
        }
        let max = Limits::DEFAULT.max_bytes;
        let Ok(body) = Limited::new(req.into_body(), max).collect().await else {
            return status(StatusCode::BAD_REQUEST);
        };
        let body = body.to_bytes();
        let env = match Envelope::parse(&body, &Limits::DEFAULT) {
            Ok(e) => e,
            Err(e) => {
                tracing::info!("ReplyTo: not a SOAP envelope: {e}");
                return status(StatusCode::BAD_REQUEST);
            }
        };
        let waiter = env.addressing.relates_to.as_ref().and_then(|id| {
            self.waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(id)
        });
        match waiter {
            Some(w) => {
                if w.send(body).is_err() {
                    tracing::info!("ReplyTo: the call gave up before its answer came");
                }
            }
            None => {
                let action = env.addressing.action.unwrap_or_default();
                let mut u = self
                    .unsolicited
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                *u.entry(action).or_default() += 1;
            }
        }
        status(StatusCode::ACCEPTED)
    }

    /// The listener's URL (the `wsa:ReplyTo` address).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits for the answer relating to `message_id` (register before
    /// sending the request: the answer may come first).
    pub fn expect(&self, message_id: &str) -> oneshot::Receiver<Bytes> {
        let (tx, rx) = oneshot::channel();
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(message_id.to_owned(), tx);
        rx
    }

    /// Stops waiting for `message_id` (answered on the connection).
    pub fn forget(&self, message_id: &str) {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(message_id);
    }

    /// The messages that related to no waiting call, by `wsa:Action`.
    pub fn unsolicited(&self) -> BTreeMap<String, u64> {
        self.unsolicited
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for ReplyListener {
    fn drop(&mut self) {
        let task = self
            .task
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(t) = task {
            t.abort();
        }
    }
}
