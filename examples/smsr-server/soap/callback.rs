//! The SM-SR's SOAP client: one POST of a message the outbox holds (an
//! asynchronous `…Response` to the caller's `ReplyTo`, WS-Addressing 1.0
//! Core §3.4: `To` = the `ReplyTo` address, `RelatesTo` = the request's
//! `MessageID`; or a Handle*Notification) over mutual TLS, the SM-SR's
//! certificate as the client's. Retries, backoff and the at-most-once
//! bookkeeping are the outbox worker's (`soap/notify.rs`).

use std::pin::Pin;
use std::time::Duration;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use openssl::ssl::{SslConnector, SslFiletype, SslMethod};
use tokio_openssl::SslStream;

use crate::config::EsConfig;

/// The client that delivers the outbox's messages.
pub struct CallbackClient {
    connector: SslConnector,
    timeout: Duration,
}

impl CallbackClient {
    /// Our certificate and key as the client's; the peers' servers verified
    /// against `PeerCa` (default `ClientCa`), host name included.
    ///
    /// # Errors
    /// A file that cannot be read.
    pub fn new(es: &EsConfig) -> Result<Self, String> {
        let err =
            |what: &str, e: openssl::error::ErrorStack| format!("ES callback TLS {what}: {e}");
        let mut b =
            SslConnector::builder(SslMethod::tls_client()).map_err(|e| err("context", e))?;
        b.set_certificate_chain_file(&es.cert)
            .map_err(|e| err(&es.cert.display().to_string(), e))?;
        b.set_private_key_file(&es.key, SslFiletype::PEM)
            .map_err(|e| err(&es.key.display().to_string(), e))?;
        let ca = es.peer_ca.as_ref().unwrap_or(&es.client_ca);
        b.set_ca_file(ca)
            .map_err(|e| err(&ca.display().to_string(), e))?;
        Ok(Self {
            connector: b.build(),
            timeout: Duration::from_millis(es.callback_timeout_ms),
        })
    }

    /// One attempt to deliver `xml` to `to` (an `https` URL) within the
    /// attempt timeout: `Ok` on a 2xx answer.
    ///
    /// # Errors
    /// What went wrong: the URL, the connection, TLS, a non-2xx status
    /// (a SOAP fault comes as 500), or the timeout.
    pub async fn deliver_once(&self, to: &str, action: &str, xml: &str) -> Result<(), String> {
        let uri: Uri = to.parse().map_err(|e| format!("{to:?}: {e}"))?;
        match tokio::time::timeout(self.timeout, self.post(&uri, action, xml)).await {
            Ok(Ok(status)) if (200..300).contains(&status) => Ok(()),
            Ok(Ok(status)) => Err(format!("HTTP {status}")),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("timed out".into()),
        }
    }

    /// One POST; the HTTP status.
    async fn post(&self, uri: &Uri, action: &str, xml: &str) -> Result<u16, String> {
        if uri.scheme_str() != Some("https") {
            return Err("the endpoint must be an https URL (mutual TLS)".into());
        }
        let host = uri.host().ok_or("an endpoint without a host")?;
        let port = uri.port_u16().unwrap_or(443);
        let tcp = tokio::net::TcpStream::connect((host, port))
            .await
            .map_err(|e| format!("connect {host}:{port}: {e}"))?;
        let ssl = self
            .connector
            .configure()
            .and_then(|c| c.into_ssl(host))
            .map_err(|e| e.to_string())?;
        let mut tls = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
        Pin::new(&mut tls)
            .connect()
            .await
            .map_err(|e| format!("TLS: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!("callback connection: {e}");
            }
        });
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let req = Request::post(path)
            .header(hyper::header::HOST, format!("{host}:{port}"))
            .header(
                hyper::header::CONTENT_TYPE,
                format!("application/soap+xml; charset=utf-8; action=\"{action}\""),
            )
            .body(Full::new(Bytes::from(xml.to_owned())))
            .map_err(|e| e.to_string())?;
        let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
        Ok(resp.status().as_u16())
    }
}
