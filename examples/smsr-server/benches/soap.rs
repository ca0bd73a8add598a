#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::cast_precision_loss,
    missing_docs
)]
//! GetEIS through the SOAP binding (SOAP 1.2 over mutual TLS) against
//! the same call through the JSON operator API over TLS (`ApiTls`: server
//! certificate, bearer token), on one running server with a simulated
//! fleet; each over one keep-alive connection, so the TLS handshake is
//! paid once and both pay TLS record protection: like with like. Prints
//! one JSON object: requests per second and mean latency of each (median
//! of five alternating rounds), and the SOAP layer's added latency (SOAP
//! minus JSON: XML parsing and writing, the envelope and addressing
//! checks, the client certificate's identity instead of a token).
//!
//! ```text
//! cargo bench -p smsr-server --bench soap            # 2000 requests each
//! cargo bench -p smsr-server --bench soap -- --quick # 200
//! ```

#[path = "../tests/server_soap_support/mod.rs"]
mod server_soap_support;
#[path = "../tests/server_support/mod.rs"]
mod server_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use openssl::ssl::{SslConnector, SslFiletype, SslMethod};
use server_soap_support::*;
use server_support::*;

/// One HTTP/1.1 exchange on a kept-alive stream: the status and body.
fn exchange(s: &mut (impl Read + Write), head: &str, body: &[u8]) -> (u16, Vec<u8>) {
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "connection closed");
        buf.push(byte[0]);
    }
    let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
    let status = text.split_whitespace().nth(1).unwrap().parse().unwrap();
    let len: usize = text
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().unwrap())
        .unwrap_or(0);
    let mut out = vec![0u8; len];
    s.read_exact(&mut out).unwrap();
    (status, out)
}

/// Alternating measurement rounds per front end.
const ROUNDS: usize = 5;

/// `n` requests made by `one`; the elapsed time.
fn run(n: usize, mut one: impl FnMut()) -> Duration {
    for _ in 0..n / 10 {
        one(); // warm-up
    }
    let t0 = Instant::now();
    for _ in 0..n {
        one();
    }
    t0.elapsed()
}

fn main() {
    let n = if std::env::args().any(|a| a == "--quick") {
        200
    } else {
        2000
    };
    let dir = tmpdir("soap-bench");
    let certs = Certs::new(&dir);
    let es_config = certs.es_config(&dir);
    // The Es section and ApiTls (the SM-SR's certificate) in one file: the
    // JSON API over TLS, no `--insecure-http`.
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&es_config).unwrap()).unwrap();
    config["ApiTls"] = serde_json::json!({"Cert": certs.smsr.0, "Key": certs.smsr.1});
    let config_file = dir.join("bench.json");
    std::fs::write(&config_file, config.to_string()).unwrap();
    let fleet = start_fleet(&dir, 1);
    let server = start_server_with(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &[],
        &["--config", config_file.to_str().unwrap()],
    );
    let m = members(&fleet)[0].clone();
    let eid = eid_of(&m);

    // JSON over TLS (server-authenticated): the EUM registers the eUICC,
    // then POST /es4/GetEIS with MNO-A's bearer token.
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_ca_file(certs.pki.ca()).unwrap();
    let tcp = TcpStream::connect(api(&server)).unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut api_tls = b.build().connect("127.0.0.1", tcp).unwrap();
    let post = |path: &str, token: &str, body: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: smsr\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
    };
    let register = m.to_string();
    let (status, body) = exchange(
        &mut api_tls,
        &post("/es1/RegisterEIS", EUM, &register),
        register.as_bytes(),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let json_body = format!("{{\"Eid\":\"{eid}\"}}");
    let json_head = post("/es4/GetEIS", MNO_A, &json_body);
    let mut json_once = || {
        let (status, _) = exchange(&mut api_tls, &json_head, json_body.as_bytes());
        assert_eq!(status, 200);
    };

    // SOAP: ES4.GetEIS over one mutual-TLS connection.
    let es = server.ready["Es"].as_str().unwrap().to_owned();
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_ca_file(certs.pki.ca()).unwrap();
    b.set_certificate_chain_file(&certs.mno.0).unwrap();
    b.set_private_key_file(&certs.mno.1, SslFiletype::PEM)
        .unwrap();
    let tcp = TcpStream::connect(&es).unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut tls = b.build().connect("127.0.0.1", tcp).unwrap();
    let action = "http://gsma.com/ES4/eUICCManagement/ES4-GetEIS";
    let mut i = 0u64;
    let mut soap_once = || {
        i += 1;
        let xml = envelope(
            Some(action),
            Some(&format!("urn:bench:{i}")),
            None,
            &format!("<gsma:GetEIS><Eid>{eid}</Eid></gsma:GetEIS>"),
        );
        let head = format!(
            "POST /es HTTP/1.1\r\nHost: smsr\r\nContent-Type: application/soap+xml; charset=utf-8\r\n\
             Content-Length: {}\r\n\r\n",
            xml.len()
        );
        let (status, body) = exchange(&mut tls, &head, xml.as_bytes());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    };
    // Rounds alternate (the machine is shared: drift hits both); the
    // median round of each is reported.
    let (mut json, mut soap) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        json.push(run(n / ROUNDS, &mut json_once));
        soap.push(run(n / ROUNDS, &mut soap_once));
    }
    json.sort();
    soap.sort();
    let (json, soap) = (
        json[ROUNDS / 2] * ROUNDS as u32,
        soap[ROUNDS / 2] * ROUNDS as u32,
    );

    let per = |d: Duration| d.as_secs_f64() * 1e6 / n as f64;
    let rps = |d: Duration| n as f64 / d.as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "bench": "soap_get_eis",
            "requests": n,
            "json_api_tls": {"requests_per_second": rps(json), "mean_latency_us": per(json)},
            "soap_mtls": {"requests_per_second": rps(soap), "mean_latency_us": per(soap)},
            "soap_added_latency_us": per(soap) - per(json),
        })
    );
}
