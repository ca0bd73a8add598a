#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Connection and request limits (`config.rs` `Limits`): 2,000 idle TCP
//! connections and PSK-authenticated SCP81 connections that send nothing
//! do not stop a small fleet's sessions and are closed after their
//! timeouts; past `MaxScp81Connections` a connection is closed at once;
//! the operator API answers `503` past `MaxApiConnections`, closes idle
//! connections, and refuses an oversized body or batch with `413` and
//! nothing queued.
//!
//! The test holds about 2,100 sockets and so does the server it starts
//! (a child inherits the limit): it raises its own soft `ulimit -n` to
//! 8,192 with `prlimit` (util-linux) and fails, saying so, when the hard
//! limit is below 4,500.

mod server_support;

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use openssl::ssl::{Ssl, SslContext, SslMethod, SslStream, SslVersion};
use serde_json::{Value, json};
use server_support::*;

/// Idle raw TCP connections opened against the SCP81 listener.
const IDLE_TCP: usize = 2000;

/// The open-file limits (soft, hard) of this process.
fn nofile_limits() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/limits").unwrap();
    let line = s.lines().find(|l| l.starts_with("Max open files")).unwrap();
    let mut f = line
        .split_whitespace()
        .skip(3)
        .map(|v| v.parse().unwrap_or(u64::MAX));
    (f.next().unwrap(), f.next().unwrap())
}

/// Raises this process's soft open-file limit to `want` (at most the hard
/// limit) with util-linux's `prlimit` (the crate forbids `unsafe`, so no
/// direct setrlimit); the server it starts inherits it. Returns the soft
/// limit in effect.
fn raise_nofile(want: u64) -> u64 {
    let (soft, hard) = nofile_limits();
    if soft >= want {
        return soft;
    }
    let target = want.min(hard);
    let status = Command::new("prlimit")
        .args(["--pid", &std::process::id().to_string()])
        .arg(format!("--nofile={target}:"))
        .status()
        .expect("prlimit (Debian package util-linux)");
    assert!(status.success(), "prlimit --nofile={target}: {status}");
    nofile_limits().0
}

fn scp81_addr(server: &Proc) -> SocketAddr {
    server.ready["Scp81"].as_str().unwrap().parse().unwrap()
}

fn stats(api: SocketAddr) -> Value {
    let (s, v) = call(api, MNO_A, "GET", "/stats", &Value::Null);
    assert_eq!(s, 200, "{v}");
    v["Engine"].clone()
}

/// Waits until `f` holds on the engine's `/stats`, or panics after `limit`.
fn wait_stats(api: SocketAddr, limit: Duration, what: &str, f: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let s = stats(api);
        if f(&s) {
            return s;
        }
        assert!(Instant::now() < deadline, "{what}: {s}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A PSK-TLS 1.2 connection as member `m`'s card, handshake done, nothing
/// sent after it.
fn psk_idle(addr: SocketAddr, m: &Value) -> SslStream<TcpStream> {
    let identity = psk_identity_text(m);
    let psk = hex::decode(m["Secrets"]["Scp81Psk"].as_str().unwrap()).unwrap();
    // A bare client context (no CA store to load: PSK needs none).
    let mut b = SslContext::builder(SslMethod::tls_client()).unwrap();
    b.set_max_proto_version(Some(SslVersion::TLS1_2)).unwrap();
    b.set_cipher_list("PSK-AES128-CBC-SHA256").unwrap();
    b.set_psk_client_callback(move |_, _hint, id, key| {
        let id_bytes = identity.as_bytes();
        id[..id_bytes.len()].copy_from_slice(id_bytes);
        id[id_bytes.len()] = 0;
        key[..psk.len()].copy_from_slice(&psk);
        Ok(psk.len())
    });
    let ssl = Ssl::new(&b.build()).unwrap();
    ssl.connect(TcpStream::connect(addr).unwrap()).unwrap()
}

/// True when the server closed `s` (EOF or reset) within `limit`.
fn closed_by_server(s: &mut impl Read, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    let mut buf = [0u8; 256];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e)
                if e.kind() == std::io::ErrorKind::WouldBlock
                    || e.kind() == std::io::ErrorKind::TimedOut =>
            {
                if Instant::now() >= deadline {
                    return false;
                }
            }
            Err(_) => return true,
        }
    }
}

fn audit_all(api: SocketAddr, members: &[Value]) -> Value {
    let eids: Vec<String> = members.iter().map(eid_of).collect();
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/batch/AuditEIS",
        &json!({ "Eids": eids }),
    );
    assert_eq!(s, 202, "{v}");
    wait_batch(
        api,
        MNO_A,
        v["BatchId"].as_i64().unwrap(),
        Duration::from_secs(60),
    )
}

#[test]
fn idle_connections_are_closed_while_sessions_complete() {
    let limit = raise_nofile(8192);
    assert!(
        limit >= 4500,
        "this test needs an open-file limit of at least 4500 (the soft limit is \
         {limit} after raising it to the hard limit; raise `ulimit -Hn`): it and \
         the server each hold about {IDLE_TCP} sockets"
    );
    let dir = tmpdir("limits-idle");
    let fleet = start_fleet(&dir, 20);
    let idle_ms = 10_000;
    let server = start_server(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &[
            "--scp81-handshake-timeout-ms",
            &idle_ms.to_string(),
            "--scp81-idle-timeout-ms",
            &idle_ms.to_string(),
            "--api-idle-timeout-ms",
            &idle_ms.to_string(),
        ],
    );
    let (api, scp81) = (api(&server), scp81_addr(&server));
    let members = members(&fleet);
    register_all(api, &members, 4);

    let opened = Instant::now();
    let mut raw: Vec<TcpStream> = (0..IDLE_TCP)
        .map(|_| TcpStream::connect(scp81).unwrap())
        .collect();
    eprintln!("{IDLE_TCP} TCP connections in {:?}", opened.elapsed());
    let mut psk: Vec<SslStream<TcpStream>> = members.iter().map(|m| psk_idle(scp81, m)).collect();
    eprintln!("PSK connections at {:?}", opened.elapsed());
    let mut api_idle: Vec<TcpStream> = (0..50).map(|_| TcpStream::connect(api).unwrap()).collect();
    let open_now = wait_stats(
        api,
        Duration::from_secs(5),
        "idle connections accepted",
        |s| s["Scp81Open"].as_u64() >= Some((IDLE_TCP + psk.len()) as u64),
    );
    eprintln!("open: {open_now}");

    // The fleet's sessions complete while every idle connection is open.
    let p = audit_all(api, &members);
    assert_eq!(p["Succeeded"], members.len(), "{p}");
    let busy = stats(api);
    assert!(
        opened.elapsed() < Duration::from_millis(idle_ms),
        "the audit outlasted the idle timeout: the test proves nothing; {busy}"
    );
    assert!(
        busy["Scp81Open"].as_u64() >= Some((IDLE_TCP + psk.len()) as u64),
        "{busy}"
    );

    // Then the server closes every idle connection (none of ours is).
    let margin = Duration::from_millis(idle_ms) + Duration::from_secs(10);
    for s in &mut raw {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        assert!(closed_by_server(s, margin), "a raw connection stayed open");
    }
    for s in &mut psk {
        s.get_ref()
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        assert!(closed_by_server(s, margin), "a PSK connection stayed open");
    }
    for s in &mut api_idle {
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        assert!(closed_by_server(s, margin), "an API connection stayed open");
    }
    let after = wait_stats(
        api,
        Duration::from_secs(5),
        "idle connections counted",
        |s| s["Scp81Open"] == 0,
    );
    assert!(
        after["Scp81TimedOut"].as_u64() >= Some((IDLE_TCP + psk.len()) as u64),
        "{after}"
    );
    assert!(
        opened.elapsed() >= Duration::from_millis(idle_ms),
        "closed before the idle timeout"
    );
    // And the server still serves.
    let p = audit_all(api, &members);
    assert_eq!(p["Succeeded"], members.len(), "{p}");
}

#[test]
fn past_max_scp81_connections_a_connection_is_closed_at_once() {
    let dir = tmpdir("limits-scp81");
    let fleet = start_fleet(&dir, 2);
    let server = start_server(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &[
            "--max-scp81-connections",
            "50",
            "--scp81-handshake-timeout-ms",
            "2000",
        ],
    );
    let (api, scp81) = (api(&server), scp81_addr(&server));
    let members = members(&fleet);
    register_all(api, &members, 2);
    let held: Vec<TcpStream> = (0..50)
        .map(|_| TcpStream::connect(scp81).unwrap())
        .collect();
    wait_stats(api, Duration::from_secs(5), "50 open", |s| {
        s["Scp81Open"] == 50
    });
    let mut extra = TcpStream::connect(scp81).unwrap();
    extra
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let t = Instant::now();
    assert!(closed_by_server(&mut extra, Duration::from_secs(1)));
    assert!(t.elapsed() < Duration::from_secs(1));
    let s = stats(api);
    assert!(s["Scp81OverLimit"].as_u64() >= Some(1), "{s}");
    assert_eq!(s["Scp81Open"], 50, "the held connections are still served");
    // Once the handshake timeout frees the slots, sessions run again.
    wait_stats(api, Duration::from_secs(10), "slots freed", |s| {
        s["Scp81Open"] == 0
    });
    let p = audit_all(api, &members);
    assert_eq!(p["Succeeded"], members.len(), "{p}");
    drop(held);
}

#[test]
fn api_limits_answer_503_and_413_and_close_idle_connections() {
    let dir = tmpdir("limits-api");
    let fleet = start_fleet(&dir, 3);
    let server = start_server(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &[
            "--max-api-connections",
            "8",
            "--api-idle-timeout-ms",
            "1500",
            "--max-body-bytes",
            "8192",
            "--max-batch-size",
            "2",
        ],
    );
    let api = api(&server);
    let members = members(&fleet);
    register_all(api, &members, 1);

    // Eight idle connections take every slot: the ninth gets 503.
    let mut held: Vec<TcpStream> = (0..8).map(|_| TcpStream::connect(api).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let auth = format!("Bearer {MNO_A}");
    let (s, head, v) = raw(api, "GET", "/stats", &[("Authorization", &auth)], b"");
    assert_eq!(s, 503, "{head} {v}");
    assert!(head.contains("Retry-After"), "{head}");
    assert!(
        v["Message"].as_str().unwrap().contains("MaxApiConnections"),
        "{v}"
    );
    // The idle ones are closed after ApiIdleTimeoutMs; then the API serves.
    for c in &mut held {
        c.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        assert!(closed_by_server(c, Duration::from_secs(10)));
    }
    std::thread::sleep(Duration::from_millis(200));
    let before = stats(api);

    // A body over MaxBodyBytes: 413, nothing done.
    let big = json!({"Eid": eid_of(&members[0]), "Pad": "x".repeat(9000)});
    let (s, v) = call(api, MNO_A, "POST", "/es4/GetEIS", &big);
    assert_eq!(s, 413, "{v}");
    let msg = v["FunctionExecutionStatus"]["StatusCodeData"]["Message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("MaxBodyBytes"), "{msg}");

    // A batch over MaxBatchSize, as a list or by filter: 413, nothing
    // queued.
    let eids: Vec<String> = members.iter().map(eid_of).collect();
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/batch/AuditEIS",
        &json!({ "Eids": eids }),
    );
    assert_eq!(s, 413, "{v}");
    let msg = v["FunctionExecutionStatus"]["StatusCodeData"]["Message"]
        .as_str()
        .unwrap();
    assert!(msg.contains("MaxBatchSize") && msg.contains('3'), "{msg}");
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/batch/AuditEIS",
        &json!({"Filter": {"Eum-Id": "EUM-DEMO"}}),
    );
    assert_eq!(s, 413, "{v}");
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/batch/EnableProfile",
        &json!({"Filter": {"Eum-Id": "EUM-DEMO"}}),
    );
    assert_eq!(s, 413, "{v}");
    let after = stats(api);
    assert_eq!(after["Settled"], before["Settled"]);
    assert_eq!(after["ActiveEuiccs"], 0, "{after}");
    assert_eq!(after["SmsOut"], before["SmsOut"], "{after}");
    // At the limit it is accepted.
    let p = audit_all(api, &members[..2]);
    assert_eq!(p["Succeeded"], 2, "{p}");
}
