#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! SMS over SMPP against an SMSC we did not write: `tests/peers/smsc.js`
//! on the npm `smpp` package (installed by `.ci/smpp.sh`), relaying
//! between the server's ESME and the simulated fleet's SMSC and checking
//! every submit_sm byte for byte. The fleet's members are registered
//! without HTTPS support, so every function goes as an SCP80 command
//! packet whose PoR comes back as a deliver_sm and is verified by the
//! server (an operation succeeds only on a verified PoR).
//!
//! Faults: the SMSC down at start, the connection dropped mid-batch,
//! throttling, a submit_sm_resp error, a failed delivery receipt, a PoR
//! split over two deliver_sm, a deliver_sm from an unknown MSISDN and a
//! malformed PDU. In each the server keeps running, every operation ends
//! succeeded, and no card got a command twice.

mod server_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server_support::*;

/// The peer script and its installed packages.
fn peer_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers")
}

/// Fails (never skips) when node or the `smpp` package is missing.
fn require_peer() {
    let hint = "install it with `bash .ci/smpp.sh` (Debian: apt-get install nodejs npm; \
                then `cd examples/smsr-server/tests/peers && npm ci`)";
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: {hint}"
    );
    assert!(
        peer_dir().join("node_modules/smpp/package.json").exists(),
        "the npm smpp package is missing: {hint}"
    );
}

/// A free loopback port (bound, then released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the peer SMSC on `port`, relaying to the fleet at `fleet`.
fn start_peer(dir: &Path, fleet: &str, port: u16, faults: &str) -> Proc {
    start_peer_with(dir, fleet, port, faults, &[])
}

/// [`start_peer`] with more arguments (`--dcs 0x04`).
fn start_peer_with(dir: &Path, fleet: &str, port: u16, faults: &str, extra: &[&str]) -> Proc {
    require_peer();
    let ready = dir.join("peer.json");
    let _ = std::fs::remove_file(&ready);
    let mut child = Command::new("node")
        .arg(peer_dir().join("smsc.js"))
        .args(["--fleet", fleet, "--port", &port.to_string()])
        .arg("--ready")
        .arg(&ready)
        .arg("--log")
        .arg(dir.join("peer.log"))
        .args(["--faults", faults])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(
            std::fs::File::create(dir.join("peer.stderr")).map_or(Stdio::inherit(), Stdio::from),
        )
        .spawn()
        .expect("spawn node");
    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = loop {
        if let Ok(t) = std::fs::read_to_string(&ready)
            && let Ok(v) = serde_json::from_str::<Value>(&t)
        {
            break v;
        }
        if let Ok(Some(s)) = child.try_wait() {
            panic!(
                "peer SMSC exited: {s}: {}",
                std::fs::read_to_string(dir.join("peer.stderr")).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "peer SMSC not ready");
        std::thread::sleep(Duration::from_millis(20));
    };
    Proc { child, ready }
}

/// The peer's event log.
fn peer_log(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("peer.log"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn events<'a>(log: &'a [Value], name: &str) -> Vec<&'a Value> {
    log.iter().filter(|e| e["Event"] == name).collect()
}

/// The fleet's members, registered without HTTPS support (SCP80 only).
fn register_scp80(api: std::net::SocketAddr, members: &[Value]) {
    let members: Vec<Value> = members
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m["Eis"]["EumSignedInfo"]["EuiccCapabilities"]["HttpSupport"] = json!(false);
            m
        })
        .collect();
    register_all(api, &members, 4);
}

/// CreateISDP for every member (calls cut short are fine: the server
/// keeps what it queued); waits until no eUICC has work left.
fn create_isdp_all(api: std::net::SocketAddr, members: &[Value], limit: Duration) {
    let items: Vec<(usize, String)> = members
        .iter()
        .enumerate()
        .map(|(i, m)| (i, eid_of(m)))
        .collect();
    parallel(items, 8, move |(i, eid)| {
        let body = json!({"Eid": eid, "Iccid": iccid(2, i)}).to_string();
        let auth = format!("Bearer {MNO_B}");
        let r = try_raw(
            api,
            "POST",
            "/es3/CreateISDP",
            &[("Authorization", &auth)],
            body.as_bytes(),
        );
        assert!(matches!(r, Ok((200 | 202, _, _))), "{r:?}");
    });
    let deadline = Instant::now() + limit;
    loop {
        let (_, s) = call(api, MNO_B, "GET", "/stats", &Value::Null);
        if s["Engine"]["ActiveEuiccs"] == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "queue not drained: {s}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every member has exactly the one ISD-P, on its card and in its EIS,
/// and no card refused a packet.
fn each_card_has_one_isdp(api: std::net::SocketAddr, fleet: &Proc, members: &[Value]) {
    let report = fleet_report(&smsc(fleet));
    assert_eq!(report["CounterRefusals"], 0, "an SCP80 counter was reused");
    for (i, m) in members.iter().enumerate() {
        let card = &report["Cards"][msisdn_of(m).as_str()];
        let on_card = card["Profiles"].as_array().unwrap();
        assert_eq!(on_card.len(), 1, "{}: {card}", eid_of(m));
        let e = eis(api, MNO_B, &eid_of(m));
        assert_eq!(state(&e, &iccid(2, i)).as_deref(), Some("Created"), "{e}");
        assert_eq!(e["ProfileInfo"][0]["Isd-p-aid"], on_card[0]["Aid"]);
    }
}

/// Operations succeeded (none failed), as the server counts them.
fn all_succeeded(api: std::net::SocketAddr, n: usize) -> Value {
    let (_, s) = call(api, MNO_B, "GET", "/stats", &Value::Null);
    assert_eq!(s["Engine"]["Settled"], n, "{s}");
    assert_eq!(s["Engine"]["Succeeded"], n, "{s}");
    s
}

#[test]
fn interop_with_the_npm_smpp_smsc() {
    let dir = tmpdir("smpp-interop");
    let fleet = start_fleet(&dir, 3);
    let port = free_port();
    let _peer = start_peer(&dir, &smsc(&fleet), port, "");
    let account = format!("127.0.0.1:{port}?binds=2&window=4&enquire_link_ms=200");
    let server = start_server(&dir, &dir.join("db"), &account, &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_scp80(api, &members);
    create_isdp_all(api, &members, Duration::from_secs(60));
    each_card_has_one_isdp(api, &fleet, &members);
    all_succeeded(api, members.len());
    std::thread::sleep(Duration::from_millis(500));

    let log = peer_log(&dir);
    let binds = events(&log, "bind");
    assert_eq!(binds.len(), 2, "two transceiver sessions: {log:?}");
    for b in binds {
        assert_eq!(b["SystemId"], "smsr");
        assert_eq!(b["Version"], 0x34, "interface_version 3.4");
    }
    assert!(
        events(&log, "enquire_link").len() >= 2,
        "keep-alive: {log:?}"
    );
    assert!(events(&log, "check_failed").is_empty(), "{log:?}");
    let submits = events(&log, "submit_sm");
    assert_eq!(submits.len(), members.len(), "one submit_sm per command");
    for s in submits {
        assert_eq!(
            (&s["EsmClass"], &s["Pid"], &s["Dcs"]),
            (&json!(0x40), &json!(0x7F), &json!(0xF6))
        );
        assert_eq!(s["RegisteredDelivery"], 1);
        // TS 31.115 §4.2: UDH 02 70 00, then CPL (the rest), CHL 0x15,
        // SPI, KIc, KID, TAR of the ISD-R (00 00 01, SGP.02 §2.4.3.3).
        let sm = hex::decode(s["ShortMessage"].as_str().unwrap()).unwrap();
        assert_eq!(sm[..3], [0x02, 0x70, 0x00]);
        let cpl = usize::from(u16::from_be_bytes([sm[3], sm[4]]));
        assert_eq!(cpl, sm.len() - 5);
        assert_eq!(sm[5], 0x15);
        assert_eq!(sm[10..13], [0x00, 0x00, 0x01]);
        let msisdns: Vec<String> = members.iter().map(msisdn_of).collect();
        assert!(msisdns.contains(&s["To"].as_str().unwrap().to_owned()));
    }

    // SIGTERM: the server unbinds before it exits.
    let mut server = server;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "server did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        events(&peer_log(&dir), "unbind").len(),
        2,
        "each session unbinds"
    );
}

/// A self-signed certificate for `smsc.test` (its own trust anchor),
/// made by the `openssl` command: (certificate, key).
fn smsc_certificate(dir: &Path) -> (PathBuf, PathBuf) {
    require_openssl();
    let (cert, key) = (dir.join("smsc.pem"), dir.join("smsc.key"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=smsc.test"])
        .args(["-addext", "subjectAltName=DNS:smsc.test", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command is missing (Debian package openssl)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

/// The npm SMSC peer serving SMPP over TLS with a certificate for
/// `smsc.test`, and the ESME account that expects `server_name`.
fn tls_peer(dir: &Path, fleet: &Proc, server_name: &str) -> (Proc, String) {
    let (cert, key) = smsc_certificate(dir);
    let port = free_port();
    let tls = format!("{},{}", cert.display(), key.display());
    let peer = start_peer_with(dir, &smsc(fleet), port, "", &["--tls", &tls]);
    let account = format!(
        "127.0.0.1:{port}?tls=true&ca_file={}&server_name={server_name}",
        cert.display()
    );
    (peer, account)
}

#[test]
fn smpp_over_tls_to_the_npm_smpp_smsc() {
    let dir = tmpdir("smpp-tls");
    let fleet = start_fleet(&dir, 2);
    let (_peer, account) = tls_peer(&dir, &fleet, "smsc.test");
    let server = start_server(&dir, &dir.join("db"), &account, &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_scp80(api, &members);
    create_isdp_all(api, &members, Duration::from_secs(60));
    each_card_has_one_isdp(api, &fleet, &members);
    all_succeeded(api, members.len());
    let log = peer_log(&dir);
    assert_eq!(events(&log, "bind").len(), 1, "one bind over TLS: {log:?}");
    assert!(events(&log, "check_failed").is_empty(), "{log:?}");
    let submits = events(&log, "submit_sm");
    assert_eq!(submits.len(), members.len(), "one submit_sm per command");
    for s in submits {
        assert_eq!(
            (&s["EsmClass"], &s["Pid"], &s["Dcs"]),
            (&json!(0x40), &json!(0x7F), &json!(0xF6))
        );
        let sm = hex::decode(s["ShortMessage"].as_str().unwrap()).unwrap();
        assert_eq!(sm[..3], [0x02, 0x70, 0x00]);
        assert_eq!(sm[10..13], [0x00, 0x00, 0x01], "TAR of the ISD-R");
    }
}

#[test]
fn smpp_over_tls_refuses_a_certificate_for_another_name() {
    let dir = tmpdir("smpp-tls-name");
    let fleet = start_fleet(&dir, 1);
    let (_peer, account) = tls_peer(&dir, &fleet, "other.test");
    let server = start_server(&dir, &dir.join("db"), &account, &[]);
    let _api = api(&server);
    std::thread::sleep(Duration::from_millis(1500));
    let log = peer_log(&dir);
    assert!(
        events(&log, "bind").is_empty(),
        "no bind past a wrong name: {log:?}"
    );
}

#[test]
fn data_coding_0x04_and_sar_as_configured() {
    let dir = tmpdir("smpp-dcs");
    let fleet = start_fleet(&dir, 2);
    let port = free_port();
    let _peer = start_peer_with(&dir, &smsc(&fleet), port, "", &["--dcs", "0x04"]);
    let account = format!("127.0.0.1:{port}?data_coding=0x04&concat=sar&registered_delivery=0");
    let server = start_server(&dir, &dir.join("db"), &account, &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_scp80(api, &members);
    create_isdp_all(api, &members, Duration::from_secs(60));
    each_card_has_one_isdp(api, &fleet, &members);
    all_succeeded(api, members.len());
    let log = peer_log(&dir);
    assert!(events(&log, "check_failed").is_empty(), "{log:?}");
    for s in events(&log, "submit_sm") {
        assert_eq!(
            (&s["Dcs"], &s["RegisteredDelivery"]),
            (&json!(4), &json!(0))
        );
    }
}

#[test]
fn throttling_a_refusal_and_a_failed_receipt_are_retried_not_lost() {
    let dir = tmpdir("smpp-faults");
    let fleet = start_fleet(&dir, 2);
    let port = free_port();
    let _peer = start_peer(&dir, &smsc(&fleet), port, "throttle=3,refuse=1,dlrfail=1");
    let server = start_server(&dir, &dir.join("db"), &format!("127.0.0.1:{port}"), &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_scp80(api, &members);
    create_isdp_all(api, &members, Duration::from_secs(60));
    each_card_has_one_isdp(api, &fleet, &members);
    let stats = all_succeeded(api, members.len());
    // The refusal and the receipt each cost an attempt; throttling none.
    assert_eq!(stats["Engine"]["Retries"], 2, "{stats}");

    let log = peer_log(&dir);
    let answers: Vec<&str> = events(&log, "submit_sm")
        .iter()
        .map(|s| s["Answer"].as_str().unwrap())
        .collect();
    assert_eq!(
        answers[..5],
        [
            "throttled",
            "throttled",
            "throttled",
            "refused",
            "undeliverable"
        ]
    );
    assert_eq!(
        answers.iter().filter(|a| **a == "relayed").count(),
        members.len()
    );
}

#[test]
fn an_smsc_down_at_start_then_dropping_the_connection_mid_batch() {
    const N: usize = 12;
    let dir = tmpdir("smpp-down");
    let fleet = start_fleet(&dir, N);
    let port = free_port();
    // The server starts with no SMSC listening.
    let server = start_server(&dir, &dir.join("db"), &format!("127.0.0.1:{port}"), &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_scp80(api, &members);
    let m = members.clone();
    let creator = std::thread::spawn(move || create_isdp_all(api, &m, Duration::from_secs(90)));
    std::thread::sleep(Duration::from_millis(1500));
    let (_, s) = call(api, MNO_B, "GET", "/stats", &Value::Null);
    assert_eq!(
        s["Engine"]["Settled"], 0,
        "operations wait for the SMSC: {s}"
    );
    assert_eq!(
        s["Engine"]["SmsOut"], 0,
        "nothing sent without an SMSC: {s}"
    );
    // Up now; it drops the connection after 4 relayed submit_sm.
    let _peer = start_peer(&dir, &smsc(&fleet), port, "drop=4");
    creator.join().unwrap();
    each_card_has_one_isdp(api, &fleet, &members);
    all_succeeded(api, N);
    let log = peer_log(&dir);
    assert_eq!(events(&log, "dropped").len(), 1);
    assert!(
        events(&log, "bind").len() >= 2,
        "the ESME bound again: {log:?}"
    );
}

#[test]
fn a_split_por_an_unknown_msisdn_and_a_malformed_pdu() {
    let dir = tmpdir("smpp-mo");
    let fleet = start_fleet(&dir, 2);
    let port = free_port();
    let _peer = start_peer(&dir, &smsc(&fleet), port, "split,unknown,malformed");
    let server = start_server(&dir, &dir.join("db"), &format!("127.0.0.1:{port}"), &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_scp80(api, &members);
    create_isdp_all(api, &members, Duration::from_secs(60));
    each_card_has_one_isdp(api, &fleet, &members);
    all_succeeded(api, members.len());

    let log = peer_log(&dir);
    assert_eq!(events(&log, "split").len(), members.len(), "{log:?}");
    // The malformed deliver_sm (sequence 12345) got a generic_nack with
    // ESME_RSYSERR (0x08); the one from an unknown MSISDN was taken (and
    // dropped by the server).
    let nacks = events(&log, "generic_nack");
    assert_eq!(nacks.len(), 1, "{log:?}");
    assert_eq!(
        (&nacks[0]["Status"], &nacks[0]["Seq"]),
        (&json!(8), &json!(12345))
    );
    let unknown = events(&log, "unknown_resp");
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0]["Status"], 0);
    assert_eq!(
        events(&log, "bind").len(),
        1,
        "the session survived: {log:?}"
    );
}

/// The load figure: CreateISDP over SCP80 (command packet, PoR) through
/// SMPP to 1,000 simulated eUICCs, straight to the fleet's SMSC. Not a
/// timed test: it prints the rate as JSON. Run with
/// `SMSR_SERVER_BIN=target/release/smsr-server cargo test --release -p
/// smsr-server --test server_smpp -- --ignored --nocapture`;
/// `SMSR_SMPP_WINDOW`, `SMSR_SMPP_BINDS` and `SMSR_SMPP_FLEET` change the
/// window (32), the sessions (2) and the fleet (1000).
#[test]
#[ignore = "load figure: run explicitly, release build"]
fn scp80_over_smpp_load_figure() {
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let (window, binds, n) = (
        env("SMSR_SMPP_WINDOW", 32),
        env("SMSR_SMPP_BINDS", 2),
        env("SMSR_SMPP_FLEET", 1000),
    );
    let dir = tmpdir("smpp-load");
    let fleet = start_fleet(&dir, n);
    let account = format!("{}?window={window}&binds={binds}", smsc(&fleet));
    let server = start_server(
        &dir,
        &dir.join("db"),
        &account,
        &["--max-parallel", "256", "--wait-ms", "0"],
    );
    let api = api(&server);
    let members = members(&fleet);
    register_scp80(api, &members);
    let t = Instant::now();
    create_isdp_all(api, &members, Duration::from_secs(300));
    let secs = t.elapsed().as_secs_f64();
    all_succeeded(api, n);
    println!(
        "{}",
        json!({
            "Operation": "CreateISDP over SCP80/SMPP (submit_sm, PoR deliver_sm, receipt)",
            "Euiccs": n, "Window": window, "Binds": binds,
            "Seconds": (secs * 1000.0).round() / 1000.0,
            "OpsPerSecond": (n as f64 / secs).round()
        })
    );
}
