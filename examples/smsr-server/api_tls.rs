//! The operator API's transport: HTTPS with the server certificate of
//! config `ApiTls` (the bearer token travels inside TLS; no client
//! certificate, as SGP.02's mutual TLS is the ES listener's, `es_tls.rs`).
//! Plain HTTP only with `--insecure-http`, and only on a loopback address:
//! the server refuses to start otherwise.

use openssl::ssl::{SslAcceptor, SslFiletype, SslMethod};

use crate::config::{ApiTls, Config};

/// Why the API listener cannot start as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiTlsError {
    /// Neither a certificate nor `--insecure-http`.
    #[error(
        "the operator API needs a certificate (config ApiTls: {{\"Cert\", \"Key\"}}) \
         or --insecure-http on a loopback address"
    )]
    NoCertificate,
    /// `--insecure-http` on an address other hosts reach.
    #[error("--insecure-http is refused on {0}: plain HTTP only on a loopback address")]
    NotLoopback(std::net::SocketAddr),
    /// Both at once: which one is meant is not ours to guess.
    #[error("ApiTls and --insecure-http together: choose one")]
    Both,
    /// The certificate or key cannot be used.
    #[error("operator API TLS {what}: {why}")]
    Files {
        /// Which file or step.
        what: String,
        /// OpenSSL's reason.
        why: String,
    },
}

/// The acceptor the API listener uses, `None` for plain HTTP (allowed
/// only with `--insecure-http` on a loopback address).
///
/// # Errors
/// [`ApiTlsError`] when the configuration breaks the rule or a file is
/// unusable.
pub fn acceptor_for(config: &Config) -> Result<Option<SslAcceptor>, ApiTlsError> {
    match (&config.api_tls, config.insecure_http) {
        (Some(_), true) => Err(ApiTlsError::Both),
        (Some(tls), false) => acceptor(tls).map(Some),
        (None, true) if config.api.ip().is_loopback() => Ok(None),
        (None, true) => Err(ApiTlsError::NotLoopback(config.api)),
        (None, false) => Err(ApiTlsError::NoCertificate),
    }
}

fn acceptor(tls: &ApiTls) -> Result<SslAcceptor, ApiTlsError> {
    let err = |what: &str, e: openssl::error::ErrorStack| ApiTlsError::Files {
        what: what.to_owned(),
        why: e.to_string(),
    };
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server())
        .map_err(|e| err("context", e))?;
    b.set_certificate_chain_file(&tls.cert)
        .map_err(|e| err(&tls.cert.display().to_string(), e))?;
    b.set_private_key_file(&tls.key, SslFiletype::PEM)
        .map_err(|e| err(&tls.key.display().to_string(), e))?;
    b.check_private_key().map_err(|e| err("key", e))?;
    Ok(b.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(api: &str, insecure: bool, tls: bool) -> Config {
        let mut c = Config::defaults();
        c.api = api.parse().unwrap();
        c.insecure_http = insecure;
        c.api_tls = tls.then(|| ApiTls {
            cert: "/nonexistent/api.pem".into(),
            key: "/nonexistent/api.key".into(),
        });
        c
    }

    #[test]
    fn plain_http_only_when_asked_for_and_on_loopback() {
        assert!(matches!(
            acceptor_for(&config("127.0.0.1:1", true, false)),
            Ok(None)
        ));
        assert!(matches!(
            acceptor_for(&config("[::1]:1", true, false)),
            Ok(None)
        ));
        for api in ["0.0.0.0:1", "192.0.2.1:1", "[::]:1"] {
            assert!(
                matches!(
                    acceptor_for(&config(api, true, false)),
                    Err(ApiTlsError::NotLoopback(_))
                ),
                "{api}"
            );
        }
        assert!(matches!(
            acceptor_for(&config("127.0.0.1:1", false, false)),
            Err(ApiTlsError::NoCertificate)
        ));
        assert!(matches!(
            acceptor_for(&config("127.0.0.1:1", true, true)),
            Err(ApiTlsError::Both)
        ));
        assert!(matches!(
            acceptor_for(&config("0.0.0.0:1", false, true)),
            Err(ApiTlsError::Files { .. })
        ));
    }
}
