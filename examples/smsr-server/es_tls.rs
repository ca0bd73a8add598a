//! The SGP.02 ES listener's transport: HTTPS with mutual TLS (SGP.02 §5:
//! the ES interfaces are secured by TLS with both ends authenticated by
//! certificates). The client's certificate, verified against the
//! configured CA, names it (subjectAltName dNSName, else subject CN); the
//! name maps to an identity and roles (config `Es.Clients`). A client
//! with no certificate, one the CA did not sign or one whose name is not
//! configured fails the handshake (a TLS alert) before any HTTP is read.
//!
//! The OpenSSL stack (`openssl` + `tokio-openssl`) is the one the SCP81
//! listener already uses; rustls would add a second TLS library for no
//! feature we lack.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use openssl::nid::Nid;
use openssl::ssl::{Ssl, SslAcceptor, SslFiletype, SslMethod, SslVerifyMode};
use openssl::x509::X509Ref;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_openssl::SslStream;

use crate::config::{EsConfig, Operator};
use crate::server::App;

/// The names a certificate carries: its subjectAltName dNSNames, then its
/// subject CNs.
pub fn names(cert: &X509Ref) -> Vec<String> {
    let mut out: Vec<String> = cert
        .subject_alt_names()
        .into_iter()
        .flatten()
        .filter_map(|n| n.dnsname().map(str::to_owned))
        .collect();
    for e in cert.subject_name().entries_by_nid(Nid::COMMONNAME) {
        // The whole value: a NUL inside cannot shorten it into a
        // configured name.
        match e.data().to_string() {
            Ok(s) => out.push(s),
            Err(err) => tracing::info!("certificate CN not UTF-8: {err}"),
        }
    }
    out
}

/// The configured clients by certificate name, as operators (no token:
/// the certificate authenticates them).
pub type Clients = Arc<HashMap<String, Arc<Operator>>>;

/// The client map of `es`.
pub fn clients(es: &EsConfig) -> Clients {
    Arc::new(
        es.clients
            .iter()
            .map(|c| {
                let op = Operator {
                    id: c.id.clone(),
                    token: String::new(),
                    roles: c.roles.clone(),
                };
                (c.name.clone(), Arc::new(op))
            })
            .collect(),
    )
}

/// The configured client a verified certificate names.
pub fn client_of(clients: &Clients, cert: &X509Ref) -> Option<Arc<Operator>> {
    names(cert).iter().find_map(|n| clients.get(n).cloned())
}

/// The TLS server context: our certificate and key, client certificates
/// required and verified against `ClientCa`, and (in the verify callback)
/// the leaf's name required to be a configured client.
///
/// # Errors
/// A file that cannot be read or a key that does not match.
pub fn acceptor(es: &EsConfig, clients: &Clients) -> Result<SslAcceptor, String> {
    let err = |what: &str, e: openssl::error::ErrorStack| format!("ES TLS {what}: {e}");
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
        .map_err(|e| err("context", e))?;
    b.set_certificate_chain_file(&es.cert)
        .map_err(|e| err(&es.cert.display().to_string(), e))?;
    b.set_private_key_file(&es.key, SslFiletype::PEM)
        .map_err(|e| err(&es.key.display().to_string(), e))?;
    b.check_private_key().map_err(|e| err("key", e))?;
    b.set_ca_file(&es.client_ca)
        .map_err(|e| err(&es.client_ca.display().to_string(), e))?;
    let known = clients.clone();
    b.set_verify_callback(
        SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT,
        move |chain_ok, ctx| {
            if !chain_ok || ctx.error_depth() != 0 {
                return chain_ok;
            }
            let known_name = ctx
                .current_cert()
                .is_some_and(|c| client_of(&known, c).is_some());
            if !known_name {
                tracing::info!("ES client certificate names no configured client: refused");
            }
            known_name
        },
    );
    Ok(b.build())
}

/// Accepts ES connections until `shutdown`; each verified client's
/// requests go to the SOAP binding with its identity.
pub async fn serve(
    listener: TcpListener,
    acceptor: SslAcceptor,
    clients: Clients,
    binding: Arc<crate::soap::Binding>,
    app: Arc<App>,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = Arc::new(acceptor);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((tcp, peer)) = accepted else {
            continue;
        };
        let (acceptor, clients) = (acceptor.clone(), clients.clone());
        let (app, binding) = (app.clone(), binding.clone());
        tokio::spawn(async move {
            let stream = match handshake(&acceptor, tcp).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::info!(%peer, "ES TLS handshake refused: {e}");
                    return;
                }
            };
            let Some(caller) = stream
                .ssl()
                .peer_certificate()
                .and_then(|c| client_of(&clients, &c))
            else {
                // The verify callback already refused these; kept as a
                // second line.
                tracing::warn!(%peer, "ES client without a configured certificate");
                return;
            };
            let service = service_fn(move |req| {
                crate::soap::handle(app.clone(), binding.clone(), caller.clone(), req)
            });
            if let Err(e) = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%peer, "ES connection: {e}");
            }
        });
    }
}

/// The TLS handshake of one connection (also the operator API's,
/// `api_tls.rs`).
pub async fn handshake(
    acceptor: &SslAcceptor,
    tcp: tokio::net::TcpStream,
) -> Result<SslStream<tokio::net::TcpStream>, String> {
    let ssl = Ssl::new(acceptor.context()).map_err(|e| e.to_string())?;
    let mut stream = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
    Pin::new(&mut stream)
        .accept()
        .await
        .map_err(|e| e.to_string())?;
    Ok(stream)
}
