//! Harness for the SOAP / ES-listener tests: a throw-away PKI made with
//! the stock `openssl` command at test time (no key is committed), the ES
//! config naming it, a blocking mutual-TLS HTTP client, SOAP 1.2 request
//! envelopes, and a mutual-TLS callback listener that records what the
//! server sends to `ReplyTo`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openssl::ssl::{SslAcceptor, SslConnector, SslFiletype, SslMethod, SslVerifyMode};
use serde_json::json;

pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
pub const WSA: &str = "http://www.w3.org/2005/08/addressing";
pub const GSMA: &str = "http://namespaces.gsma.org/esim-messaging/1";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl command is missing (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and the certificates signed by it, in one directory.
pub struct Pki {
    pub dir: PathBuf,
}

impl Pki {
    /// A fresh CA `ca` (and a second, unrelated one, `rogue-ca`).
    pub fn new(dir: &Path) -> Self {
        let dir = dir.join("pki");
        std::fs::create_dir_all(&dir).unwrap();
        for ca in ["ca", "rogue-ca"] {
            openssl(
                &dir,
                &[
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                    "-nodes",
                    "-keyout",
                    &format!("{ca}.key"),
                    "-out",
                    &format!("{ca}.pem"),
                    "-days",
                    "2",
                    "-subj",
                    &format!("/CN={ca}"),
                ],
            );
        }
        Self { dir }
    }

    /// A leaf in files `file.pem` / `file.key` (CN and DNS SAN `name`, IP
    /// SAN 127.0.0.1, server and client use) signed by `ca`.
    pub fn leaf(&self, file: &str, name: &str, ca: &str) -> (PathBuf, PathBuf) {
        let ext = self.dir.join(format!("{file}.ext"));
        std::fs::write(
            &ext,
            format!(
                "subjectAltName=DNS:{name},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n\
                 basicConstraints=CA:FALSE\n"
            ),
        )
        .unwrap();
        let (key, csr, pem) = (
            format!("{file}.key"),
            format!("{file}.csr"),
            format!("{file}.pem"),
        );
        openssl(
            &self.dir,
            &[
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &csr,
                "-subj",
                &format!("/CN={name}"),
            ],
        );
        openssl(
            &self.dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &format!("{ca}.pem"),
                "-CAkey",
                &format!("{ca}.key"),
                "-CAcreateserial",
                "-out",
                &pem,
                "-days",
                "2",
                "-extfile",
                &format!("{file}.ext"),
            ],
        );
        (self.dir.join(pem), self.dir.join(key))
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }
}

/// The certificates of a SOAP test: the SM-SR, an MNO (`mno-a`, role mno,
/// id MNO-A), an SM-DP (`smdp-a`, role smdp, id MNO-A: the fleet harness
/// installs MNO-A's profiles as its own SM-DP), one the CA signed but the
/// config does not name, one from another CA, and the callback listener.
pub struct Certs {
    pub pki: Pki,
    pub smsr: (PathBuf, PathBuf),
    pub mno: (PathBuf, PathBuf),
    pub smdp: (PathBuf, PathBuf),
    pub stranger: (PathBuf, PathBuf),
    pub rogue: (PathBuf, PathBuf),
    pub callback: (PathBuf, PathBuf),
}

impl Certs {
    pub fn new(dir: &Path) -> Self {
        let pki = Pki::new(dir);
        Self {
            smsr: pki.leaf("smsr", "smsr", "ca"),
            mno: pki.leaf("mno-a", "mno-a", "ca"),
            smdp: pki.leaf("smdp-a", "smdp-a", "ca"),
            stranger: pki.leaf("stranger", "stranger", "ca"),
            // A configured name, but from a CA the server does not trust.
            rogue: pki.leaf("rogue", "mno-a", "rogue-ca"),
            callback: pki.leaf("callback", "callback", "ca"),
            pki,
        }
    }

    /// The `--config` file with the `Es` section.
    pub fn es_config(&self, dir: &Path) -> PathBuf {
        let path = dir.join("es.json");
        let v = json!({"Es": {
            "Listen": "127.0.0.1:0",
            "Cert": self.smsr.0, "Key": self.smsr.1, "ClientCa": self.pki.ca(),
            "Clients": [
                {"Name": "mno-a", "Id": "MNO-A", "Roles": ["mno"]},
                {"Name": "smdp-a", "Id": "MNO-A", "Roles": ["smdp"]}
            ],
            "CallbackAttempts": 6, "CallbackBackoffMs": 200
        }});
        std::fs::write(&path, v.to_string()).unwrap();
        path
    }
}

/// One HTTP/1.1 request over mutual TLS (`cert`: client certificate and
/// key, or none); `Err` when TLS or the connection fails before an answer.
pub fn https(
    addr: &str,
    cert: Option<&(PathBuf, PathBuf)>,
    ca: &Path,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(u16, String), String> {
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_ca_file(ca).unwrap();
    if let Some((pem, key)) = cert {
        b.set_certificate_chain_file(pem).unwrap();
        b.set_private_key_file(key, SslFiletype::PEM).unwrap();
    }
    let connector = b.build();
    let tcp = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut tls = connector
        .connect("127.0.0.1", tcp)
        .map_err(|e| format!("handshake: {e}"))?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/soap+xml; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes())
        .map_err(|e| format!("write: {e}"))?;
    // A refused client may see its refusal only now (TLS 1.3 sends the
    // alert after the client's Finished): a failed write or read is Err.
    // A server refusing a large body answers before reading it all: a
    // failed write is only an error if no answer can be read either.
    let written = tls.write_all(body);
    let mut out = Vec::new();
    let read = tls.read_to_end(&mut out);
    if out.is_empty() {
        written.map_err(|e| format!("write: {e}"))?;
        read.map_err(|e| format!("read: {e}"))?;
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no HTTP answer: {text:?}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// A SOAP 1.2 request: the WS-Addressing headers given (`None` leaves one
/// out) and the body element `body`.
pub fn envelope(
    action: Option<&str>,
    message_id: Option<&str>,
    reply_to: Option<&str>,
    body: &str,
) -> String {
    let mut h = String::new();
    if let Some(a) = action {
        h.push_str(&format!("<wsa:Action>{a}</wsa:Action>"));
    }
    if let Some(m) = message_id {
        h.push_str(&format!("<wsa:MessageID>{m}</wsa:MessageID>"));
    }
    if let Some(r) = reply_to {
        h.push_str(&format!(
            "<wsa:ReplyTo><wsa:Address>{r}</wsa:Address></wsa:ReplyTo>"
        ));
    }
    h.push_str("<wsa:To>https://smsr/es</wsa:To>");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><env:Envelope xmlns:env=\"{SOAP12}\" \
         xmlns:wsa=\"{WSA}\" xmlns:gsma=\"{GSMA}\"><env:Header>{h}</env:Header><env:Body>{body}\
         </env:Body></env:Envelope>"
    )
}

/// An answer envelope, parsed by the library (panics on a bad one).
pub fn parse(xml: &str) -> smsr::soap::Envelope {
    smsr::soap::Envelope::parse(xml.as_bytes(), &smsr::soap::Limits::DEFAULT)
        .unwrap_or_else(|e| panic!("answer is no SOAP 1.2 envelope: {e}\n{xml}"))
}

/// The text of the first body element named `name` (depth first).
pub fn text_of(xml: &str, name: &str) -> Option<String> {
    fn find(e: &smsr::soap::Element, name: &str) -> Option<String> {
        if e.name == name {
            return Some(e.text.clone());
        }
        e.children.iter().find_map(|c| find(c, name))
    }
    find(&parse(xml).body, name)
}

/// What a callback listener received: the client certificate's CN and the
/// request body.
pub type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A mutual-TLS HTTPS listener on 127.0.0.1 answering `200` to every POST
/// (the first `fail_first` with `503`, to exercise retries).
pub fn callback_listener(certs: &Certs, fail_first: usize) -> (SocketAddr, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let received = serve_callbacks(certs, listener, fail_first, "503 Service Unavailable", "");
    (addr, received)
}

/// Serves callbacks on `listener` as [`callback_listener`] does, the first
/// `fail_first` answered with `status` and `body` (e.g. a SOAP fault).
pub fn serve_callbacks(
    certs: &Certs,
    listener: TcpListener,
    fail_first: usize,
    status: &'static str,
    refusal: &'static str,
) -> Received {
    let mut b = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls_server()).unwrap();
    b.set_certificate_chain_file(&certs.callback.0).unwrap();
    b.set_private_key_file(&certs.callback.1, SslFiletype::PEM)
        .unwrap();
    b.set_ca_file(certs.pki.ca()).unwrap();
    b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
    let acceptor = Arc::new(b.build());
    let received: Received = Arc::default();
    let r = received.clone();
    std::thread::spawn(move || {
        let mut refused = 0;
        for tcp in listener.incoming().flatten() {
            let Ok(mut tls) = acceptor.accept(tcp) else {
                continue;
            };
            let Some(body) = read_request(&mut tls) else {
                continue;
            };
            let cn = tls
                .ssl()
                .peer_certificate()
                .and_then(|c| {
                    c.subject_name()
                        .entries_by_nid(openssl::nid::Nid::COMMONNAME)
                        .next()
                        .and_then(|e| e.data().to_string().ok())
                })
                .unwrap_or_default();
            let (status, answer) = if refused < fail_first {
                refused += 1;
                (status, refusal)
            } else {
                r.lock().unwrap().push((cn, body));
                ("200 OK", "")
            };
            let _ = tls.write_all(
                format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                )
                .as_bytes(),
            );
            let _ = tls.shutdown();
        }
    });
    received
}

/// One request's body (by Content-Length).
fn read_request(s: &mut impl Read) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let len: usize = head.lines().find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("content-length:")
                    .map(|v| v.trim().parse().ok())
            })??;
            if body.len() >= len {
                return Some(body[..len].to_owned());
            }
        }
    }
}

/// Waits up to `limit` for `n` callbacks.
pub fn wait_for(received: &Received, n: usize, limit: Duration) -> Vec<(String, String)> {
    let t0 = Instant::now();
    loop {
        let got = received.lock().unwrap().clone();
        if got.len() >= n || t0.elapsed() > limit {
            return got;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
