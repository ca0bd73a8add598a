#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! SCP81 results as a card written from GP Amendment B sends them: a
//! stock `openssl s_client` plays the eUICC and answers the server's
//! script with an `X-Admin-Script-Status` other than `ok`; and one attempt
//! count, the same in the answer, its message and the stored operation.

mod server_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server_support::*;

/// One administration session as the card: the opening POST, then, if
/// the server sends a script, its result with `status` and no body.
/// Returns whether a script was answered.
fn card_session(scp81: &str, m: &Value, status: &str) -> bool {
    let id_text = psk_identity_text(m);
    let psk = m["Secrets"]["Scp81Psk"].as_str().unwrap();
    let mut child = Command::new("timeout")
        .args(["10", "openssl", "s_client", "-connect", scp81, "-tls1_2"])
        .args(["-cipher", "PSK-AES128-CBC-SHA256"])
        .args(["-psk_identity", &id_text, "-psk", psk])
        .args(["-quiet", "-ign_eof"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("openssl s_client");
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let from = format!(
        "X-Admin-From: //se-id/eid/{};//aa-id/aid/A000000559/1010FFFFFFFF8900000100\r\n",
        eid_of(m)
    );
    let open = format!(
        "POST /smsr/admin HTTP/1.1\r\nHost: smsr\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n{from}Content-Length: 0\r\n\r\n"
    );
    stdin.write_all(open.as_bytes()).unwrap();
    stdin.flush().unwrap();
    // The server's answer: 200 with a script and a Next-URI, or 204.
    let mut status_line = String::new();
    out.read_line(&mut status_line).unwrap();
    let (mut next, mut len) = (None, 0usize);
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("x-admin-next-uri:") {
            next = Some(line["x-admin-next-uri:".len()..].trim().to_owned());
        }
        if lower.starts_with("content-length:") {
            len = line["content-length:".len()..].trim().parse().unwrap();
        }
    }
    let answered = status_line.contains(" 200") && next.is_some();
    if answered {
        let mut body = vec![0u8; len];
        out.read_exact(&mut body).unwrap();
        let result = format!(
            "POST {} HTTP/1.1\r\nHost: smsr\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n{from}Content-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\nX-Admin-Script-Status: {status}\r\nContent-Length: 0\r\n\r\n",
            next.unwrap()
        );
        stdin.write_all(result.as_bytes()).unwrap();
        stdin.flush().unwrap();
        // The server ends the session (204).
        let mut rest = String::new();
        out.read_line(&mut rest).unwrap();
        assert!(rest.contains(" 204"), "{rest}");
    }
    drop(stdin);
    let _ = child.kill();
    child.wait().unwrap();
    answered
}

#[test]
fn a_script_the_card_did_not_execute_fails_with_its_code() {
    require_openssl();
    let dir = tmpdir("scriptstatus");
    let fleet = start_fleet(&dir, 1);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    // No handset answers its SMS: the test is the card.
    let mut m = members(&fleet)[0].clone();
    m["Secrets"]["Msisdn"] = json!("31999999999");
    register_all(api, std::slice::from_ref(&m), 1);
    let scp81 = server.ready["Scp81"].as_str().unwrap().to_owned();
    for (status, subject, reason) in [
        ("security-error", "8.4", "6.1"),
        ("unknown-application", "8.4", "3.9"),
        ("not-a-security-domain", "8.4", "3.10"),
    ] {
        let eid = eid_of(&m);
        let call = std::thread::spawn(move || {
            call(
                api,
                MNO_A,
                "POST",
                "/es4/AuditEIS",
                &json!({"Eid": eid, "ValidityPeriod": 30}),
            )
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while !card_session(&scp81, &m, status) {
            assert!(Instant::now() < deadline, "no script for the card");
            std::thread::sleep(Duration::from_millis(100));
        }
        let (s, v) = call.join().unwrap();
        assert_eq!(s, 200, "{v}");
        let st = &v["FunctionExecutionStatus"];
        assert_eq!(st["Status"], "Failed", "{status}: {v}");
        assert_eq!(st["StatusCodeData"]["Subject"], subject, "{v}");
        assert_eq!(st["StatusCodeData"]["Reason"], reason, "{v}");
        assert!(
            st["StatusCodeData"]["Message"]
                .as_str()
                .unwrap()
                .contains(status),
            "{v}"
        );
        // Settled at once: one attempt, no audit-and-resend.
        let (_, op) = call_op(api, &v);
        assert_eq!(op["Attempts"], 1, "{op}");
    }
}

fn call_op(api: std::net::SocketAddr, v: &Value) -> (u16, Value) {
    call(
        api,
        MNO_A,
        "GET",
        &format!("/operations/{}", v["OperationId"]),
        &Value::Null,
    )
}

#[test]
fn the_attempt_count_is_one_count() {
    let dir = tmpdir("attempts");
    let fleet = start_fleet(&dir, 1);
    let server = start_server(
        &dir,
        &dir.join("db.sqlite"),
        &smsc(&fleet),
        &[
            "--attempts",
            "2",
            "--backoff-ms",
            "10",
            "--session-timeout-ms",
            "300",
        ],
    );
    let api = api(&server);
    let mut m = members(&fleet)[0].clone();
    m["Secrets"]["Msisdn"] = json!("31999999999");
    register_all(api, std::slice::from_ref(&m), 1);
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/es4/AuditEIS",
        &json!({"Eid": eid_of(&m), "ValidityPeriod": 30}),
    );
    assert_eq!(s, 200, "{v}");
    let st = &v["FunctionExecutionStatus"];
    assert_eq!(st["Status"], "Failed", "{v}");
    assert_eq!(st["StatusCodeData"]["Subject"], "8.1", "{v}");
    assert_eq!(st["StatusCodeData"]["Reason"], "5.1", "{v}");
    let msg = st["StatusCodeData"]["Message"].as_str().unwrap();
    assert!(msg.starts_with("no answer after 2 attempts"), "{msg}");
    let (_, op) = call_op(api, &v);
    assert_eq!(op["Attempts"], 2, "{op}");
    // The log tells the same count.
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap();
    let line = plain(log.lines().find(|l| l.contains("settled")).unwrap());
    assert!(line.contains("attempts=2"), "{line}");
    assert!(line.contains("no answer after 2 attempts"), "{line}");
}

/// `line` without its ANSI colour sequences.
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in line.chars() {
        match (esc, c) {
            (false, '\u{1b}') => esc = true,
            (true, 'm') => esc = false,
            (true, _) => {}
            (false, c) => out.push(c),
        }
    }
    out
}
