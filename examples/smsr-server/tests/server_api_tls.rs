#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The operator API behind TLS: with `ApiTls` it speaks HTTPS (bearer
//! tokens inside TLS) and a plain-HTTP client gets no answer; plain HTTP
//! needs `--insecure-http` and a loopback address, and the server refuses
//! to start otherwise, saying why.

mod server_soap_support;
mod server_support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use openssl::ssl::{SslConnector, SslMethod};
use serde_json::{Value, json};
use server_soap_support::*;
use server_support::*;

/// The server's exit and stderr when it is started with `args` (no
/// `--ready-file`: it must refuse before listening).
fn refused(dir: &TmpDir, args: &[&str]) -> String {
    let config = dir.join("ops.json");
    std::fs::write(
        &config,
        json!({"Operators": [{"Id": "MNO-A", "Token": MNO_A, "Roles": ["mno"]}]}).to_string(),
    )
    .unwrap();
    let out = Command::new(binary())
        .arg("--config")
        .arg(&config)
        .args(["--scp81", "127.0.0.1:0", "--db"])
        .arg(dir.join("refused.sqlite"))
        .arg("--master-key-file")
        .arg(master_key_file())
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{args:?} started");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn plain_http_needs_the_flag_and_a_loopback_address() {
    let dir = tmpdir("api-tls-refused");
    let e = refused(&dir, &["--api", "0.0.0.0:0", "--insecure-http"]);
    assert!(e.contains("--insecure-http is refused on 0.0.0.0:0"), "{e}");
    let e = refused(&dir, &["--api", "127.0.0.1:0"]);
    assert!(e.contains("needs a certificate"), "{e}");
    let e = refused(&dir, &["--api", "[::]:0", "--insecure-http"]);
    assert!(e.contains("loopback"), "{e}");
}

/// One HTTPS request to the API, the server certificate verified against
/// `ca`; returns the status and the JSON body.
fn https_json(addr: &str, ca: &std::path::Path, path: &str, token: &str) -> (u16, Value) {
    let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
    b.set_ca_file(ca).unwrap();
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut tls = b.build().connect("127.0.0.1", tcp).unwrap();
    let head = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Connection: close\r\n\r\n"
    );
    tls.write_all(head.as_bytes()).unwrap();
    let mut out = String::new();
    // A close without close_notify still leaves the answer read.
    let _ = tls.read_to_string(&mut out);
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = out.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap())
}

#[test]
fn with_a_certificate_the_api_speaks_https_only() {
    let dir = tmpdir("api-tls");
    require_openssl();
    let pki = Pki::new(&dir);
    let (cert, key) = pki.leaf("api", "api", "ca");
    let tls = dir.join("api-tls.json");
    std::fs::write(
        &tls,
        json!({"ApiTls": {"Cert": cert, "Key": key}}).to_string(),
    )
    .unwrap();
    let fleet = start_fleet(&dir, 1);
    let server = start_server_with(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &[],
        &["--config", tls.to_str().unwrap()],
    );
    let api = api(&server).to_string();
    let (s, v) = https_json(&api, &pki.ca(), "/stats", MNO_A);
    assert_eq!(s, 200, "{v}");
    let (s, v) = https_json(&api, &pki.ca(), "/stats", "wrong-token");
    assert_eq!(s, 401, "bearer tokens still checked inside TLS: {v}");
    assert_eq!(
        v["FunctionExecutionStatus"]["StatusCodeData"]["Reason"],
        "1.1"
    );
    // Plain HTTP on the TLS port: no HTTP answer.
    let answer = try_raw(
        api.parse().unwrap(),
        "GET",
        "/stats",
        &[("Authorization", &format!("Bearer {MNO_A}"))],
        b"",
    );
    assert!(
        !matches!(answer, Ok((200, _, _))),
        "plain HTTP answered: {answer:?}"
    );
}
