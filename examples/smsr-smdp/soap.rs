//! A SOAP 1.2 client of an SM-SR's ES interfaces (SGP.02 §5: SOAP with
//! WS-Addressing over mutual TLS), shared by an MNO (ES4) and an SM-DP
//! (ES3): each call is the WSDL's operation ([`crate::wsdl::Contract`]),
//! its request element built from the function's JSON by the WSDL's
//! schema ([`crate::xml`]), sent with `wsa:To`, `wsa:Action` (the
//! operation's input action), a fresh `wsa:MessageID`, `wsa:From` and
//! `wsa:ReplyTo` (WS-Addressing 1.0 Core §3.2). The answer is the
//! `…Response` on the connection (HTTP 200) or, when the SM-SR accepts
//! the function (HTTP 202), the `…Response` it later sends to our
//! `ReplyTo` listener ([`crate::reply`]) with `wsa:RelatesTo` = our
//! `MessageID`; either must carry the operation's output action. A SOAP
//! fault comes back as its HTTP status and `{"Fault": {"Code",
//! "Reason"}}` (with the SGP.02 `FunctionExecutionStatus` of its
//! detail, if any).

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use openssl::ssl::{SslConnector, SslFiletype, SslMethod};
use serde_json::{Value, json};
use smsr::soap::write::{self, Headers};
use smsr::soap::{Element, Envelope, GSMA_NS, Limits, WSA_ANONYMOUS};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio_openssl::SslStream;

use crate::reply::ReplyListener;
use crate::wsdl::{Contract, Decl};

/// A client certificate and the CA the peers' certificates are checked
/// against (PEM files).
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain.
    pub cert: std::path::PathBuf,
    /// Its private key.
    pub key: std::path::PathBuf,
    /// The CA.
    pub ca: std::path::PathBuf,
}

/// The TLS client context of `files`: our certificate, the server's
/// verified against the CA, host name (or IP address) included.
///
/// # Errors
/// A file that cannot be read.
pub fn connector(files: &TlsFiles) -> Result<SslConnector, String> {
    let err = |what: &std::path::Path, e: openssl::error::ErrorStack| {
        format!("TLS {}: {e}", what.display())
    };
    let mut b =
        SslConnector::builder(SslMethod::tls_client()).map_err(|e| format!("TLS context: {e}"))?;
    b.set_certificate_chain_file(&files.cert)
        .map_err(|e| err(&files.cert, e))?;
    b.set_private_key_file(&files.key, SslFiletype::PEM)
        .map_err(|e| err(&files.key, e))?;
    b.set_ca_file(&files.ca).map_err(|e| err(&files.ca, e))?;
    Ok(b.build())
}

type Sender = http1::SendRequest<Full<Bytes>>;

/// A fresh HTTP/1.1 connection over mutual TLS to `addr`.
async fn connect(tls: &SslConnector, addr: SocketAddr) -> Result<Sender, String> {
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect {addr}: {e}"))?;
    let ssl = tls
        .configure()
        .and_then(|c| c.into_ssl(&addr.ip().to_string()))
        .map_err(|e| e.to_string())?;
    let mut stream = SslStream::new(ssl, tcp).map_err(|e| e.to_string())?;
    Pin::new(&mut stream)
        .connect()
        .await
        .map_err(|e| format!("TLS with {addr}: {e}"))?;
    let (send, conn) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("ES connection: {e}");
        }
    });
    Ok(send)
}

/// One exchange on `send`: the status and the body.
async fn exchange(
    send: &mut Sender,
    addr: SocketAddr,
    method: &str,
    path: &str,
    action: Option<&str>,
    body: String,
) -> Result<(u16, Bytes), String> {
    let content_type = match action {
        Some(a) => format!("application/soap+xml; charset=utf-8; action=\"{a}\""),
        None => "application/soap+xml; charset=utf-8".to_owned(),
    };
    let req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header(hyper::header::HOST, addr.to_string())
        .header(hyper::header::CONTENT_TYPE, content_type)
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| e.to_string())?;
    let resp = send
        .send_request(req)
        .await
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, bytes))
}

/// Fetches the WSDL (`GET /?wsdl`) over mutual TLS and reads it.
///
/// # Errors
/// TLS, HTTP or a document that is no WSDL.
pub async fn fetch_contract(tls: &SslConnector, addr: SocketAddr) -> Result<Contract, String> {
    let mut send = connect(tls, addr).await?;
    let (status, body) = exchange(&mut send, addr, "GET", "/?wsdl", None, String::new()).await?;
    if status != 200 {
        return Err(format!("GET /?wsdl: HTTP {status}"));
    }
    Contract::parse(std::str::from_utf8(&body).map_err(|e| format!("WSDL: {e}"))?)
}

/// What the clients of one party share: TLS, the contract, the `ReplyTo`
/// listener and the counters.
pub struct Party {
    addr: SocketAddr,
    tls: SslConnector,
    contract: Arc<Contract>,
    port_type: &'static str,
    from: String,
    reply: Option<Arc<ReplyListener>>,
    timeout: Duration,
    calls: AtomicU64,
    asynchronous: AtomicU64,
}

impl Party {
    /// The party `from` (its `wsa:From` address) calling port type
    /// `port_type` (`ES3`, `ES4`) of the SM-SR at `addr`; asynchronous
    /// answers to `reply` (none: `ReplyTo` anonymous, the answer waits on
    /// the connection), awaited up to `timeout`.
    pub fn new(
        addr: SocketAddr,
        tls: SslConnector,
        contract: Arc<Contract>,
        port_type: &'static str,
        from: &str,
        reply: Option<Arc<ReplyListener>>,
        timeout: Duration,
    ) -> Arc<Self> {
        Arc::new(Self {
            addr,
            tls,
            contract,
            port_type,
            from: from.to_owned(),
            reply,
            timeout,
            calls: AtomicU64::new(0),
            asynchronous: AtomicU64::new(0),
        })
    }

    /// Requests sent, and of them answered at `ReplyTo`.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.calls.load(Ordering::Relaxed),
            self.asynchronous.load(Ordering::Relaxed),
        )
    }

    /// The contract.
    pub fn contract(&self) -> &Arc<Contract> {
        &self.contract
    }

    /// The port type called.
    pub fn port_type(&self) -> &'static str {
        self.port_type
    }
}

/// A fresh `wsa:MessageID`: a random (version 4) UUID URN (RFC 9562).
fn message_id() -> Result<String, String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| format!("random: {e}"))?;
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    let h = hex::encode(b);
    Ok(format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

fn epr(out: &mut String, name: &str, address: &str) {
    out.push_str(&format!("<wsa:{name}>"));
    write::text_element(out, "wsa:Address", address);
    out.push_str(&format!("</wsa:{name}>"));
}

/// One keep-alive connection of a [`Party`].
pub struct SoapClient {
    party: Arc<Party>,
    conn: Mutex<Option<Sender>>,
}

impl SoapClient {
    /// A client of `party` (its own connection).
    pub fn new(party: &Arc<Party>) -> Self {
        Self {
            party: party.clone(),
            conn: Mutex::new(None),
        }
    }

    /// The party.
    pub fn party(&self) -> &Arc<Party> {
        &self.party
    }

    async fn post(&self, action: &str, xml: String) -> Result<(u16, Bytes), String> {
        let mut guard = self.conn.lock().await;
        let mut send = match guard.take() {
            Some(mut s) if !s.is_closed() => {
                // The previous exchange may not have settled yet.
                if s.ready().await.is_ok() {
                    s
                } else {
                    connect(&self.party.tls, self.party.addr).await?
                }
            }
            _ => connect(&self.party.tls, self.party.addr).await?,
        };
        let r = exchange(&mut send, self.party.addr, "POST", "/", Some(action), xml).await?;
        *guard = Some(send);
        Ok(r)
    }

    /// Calls function `name` with the JSON `body`; returns the HTTP status
    /// (200 for an answer at `ReplyTo`) and the answer as JSON.
    ///
    /// # Errors
    /// The function is not in the WSDL, the body does not fit it, the
    /// transport failed, or the answer is not the operation's.
    pub async fn call(&self, name: &str, body: &Value) -> Result<(u16, Value), String> {
        let p = &self.party;
        let op = p
            .contract
            .operation(p.port_type, name)
            .ok_or_else(|| format!("the WSDL has no {}.{name}", p.port_type))?;
        let output = op
            .output
            .clone()
            .ok_or_else(|| format!("{}.{name} has no answer", p.port_type))?;
        let element = crate::xml::request(&p.contract.schema, name, body)?;
        let id = message_id()?;
        let mut extra = String::new();
        epr(&mut extra, "From", &p.from);
        let reply = p.reply.as_ref();
        epr(
            &mut extra,
            "ReplyTo",
            reply.map_or(WSA_ANONYMOUS, |r| r.url()),
        );
        let to = format!("https://{}/", p.addr);
        let headers = Headers {
            to: Some(&to),
            action: &op.input,
            message_id: &id,
            relates_to: None,
        };
        let xml = write::envelope(&headers, &extra, &element);
        let waiter = reply.map(|r| r.expect(&id));
        p.calls.fetch_add(1, Ordering::Relaxed);
        let sent = self.post(&op.input, xml).await;
        let (status, bytes) = match (sent, reply) {
            (Ok(x), _) => x,
            (Err(e), Some(r)) => {
                r.forget(&id);
                return Err(e);
            }
            (Err(e), None) => return Err(e),
        };
        let (status, bytes) = match (status, waiter, reply) {
            (202, Some(w), _) => {
                p.asynchronous.fetch_add(1, Ordering::Relaxed);
                let b = tokio::time::timeout(p.timeout, w)
                    .await
                    .map_err(|_| format!("{name}: no answer at ReplyTo in {:?}", p.timeout))?
                    .map_err(|_| format!("{name}: the ReplyTo listener stopped"))?;
                (200, b)
            }
            (s, _, Some(r)) => {
                r.forget(&id);
                (s, bytes)
            }
            (s, _, None) => (s, bytes),
        };
        self.read(name, &output, &id, status, &bytes)
    }

    /// Reads an answer envelope: a fault, or the operation's `…Response`
    /// with its output action, relating to `id`.
    fn read(
        &self,
        name: &str,
        output: &str,
        id: &str,
        status: u16,
        bytes: &[u8],
    ) -> Result<(u16, Value), String> {
        let env = Envelope::parse(bytes, &Limits::DEFAULT)
            .map_err(|e| format!("{name}: HTTP {status}, answer not a SOAP envelope: {e}"))?;
        if env.body.name == "Fault" {
            return Ok((status, self.fault(&env.body)));
        }
        let a = &env.addressing;
        if a.action.as_deref() != Some(output) {
            return Err(format!(
                "{name}: answer action {:?}, the WSDL's is {output}",
                a.action
            ));
        }
        if a.relates_to.as_deref() != Some(id) {
            return Err(format!("{name}: answer relates to {:?}", a.relates_to));
        }
        if env.body.namespace.as_deref() != Some(GSMA_NS) {
            return Err(format!("{name}: answer outside the SGP.02 namespace"));
        }
        Ok((
            status,
            crate::xml::answer(&self.party.contract.schema, &env.body)?,
        ))
    }

    fn fault(&self, f: &Element) -> Value {
        let text = |path: &[&str]| {
            let mut e = Some(f);
            for p in path {
                e = e.and_then(|x| x.child(p));
            }
            e.map(|x| x.text.trim().to_owned())
        };
        let mut v = json!({"Fault": {"Code": text(&["Code", "Value"]),
                                     "Reason": text(&["Reason", "Text"])}});
        let status = f
            .child("Detail")
            .and_then(|d| d.child("FunctionExecutionStatus"));
        let decl = Decl {
            name: "FunctionExecutionStatus".into(),
            ty: "FunctionExecutionStatusType".into(),
            many: false,
        };
        let read = status.map(|s| crate::xml::read(&self.party.contract.schema, &decl, s));
        match (read, v.as_object_mut()) {
            (Some(Ok(x)), Some(o)) => {
                o.insert("FunctionExecutionStatus".into(), x);
            }
            (Some(Err(e)), Some(o)) => {
                o.insert("DetailUnread".into(), Value::String(e));
            }
            _ => {}
        }
        v
    }
}
