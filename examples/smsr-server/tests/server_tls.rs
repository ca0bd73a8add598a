#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The SCP81 listener's TLS policy, probed with a stock `openssl s_client`:
//! no TLS session resumption (SGP.02 §2.4.4 as summarised from v4.2 by
//! eUICC.tech: "TLS session resumption (RFC 4507/5077) ... not supported"),
//! neither by session ID nor by session ticket.

mod server_support;

use std::process::{Command, Stdio};

use server_support::*;

/// `openssl s_client -reconnect` (one handshake, then five more offering
/// the first session) with the extra `args`; returns stdout and stderr.
fn reconnect(scp81: &str, identity: &str, psk: &str, args: &[&str]) -> (String, String) {
    let out = Command::new("timeout")
        .args(["20", "openssl", "s_client", "-connect", scp81, "-tls1_2"])
        .args(["-cipher", "PSK-AES128-CBC-SHA256"])
        .args(["-psk_identity", identity, "-psk", psk, "-reconnect"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("openssl s_client");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn resumption_is_refused_every_handshake_is_full() {
    require_openssl();
    let dir = tmpdir("tls-resume");
    let fleet = start_fleet(&dir, 1);
    let server = start_server(&dir, &dir.join("db.sqlite"), &smsc(&fleet), &[]);
    let api = api(&server);
    let m = &members(&fleet)[0];
    register_all(api, std::slice::from_ref(m), 1);
    let scp81 = server.ready["Scp81"].as_str().unwrap().to_owned();
    let psk = m["Secrets"]["Scp81Psk"].as_str().unwrap().to_owned();
    let id_text = psk_identity_text(m);
    // Session IDs (no ticket offered by the client) and session tickets.
    for args in [&["-no_ticket"][..], &[][..]] {
        let (out, err) = reconnect(&scp81, &id_text, &psk, args);
        let new = out.lines().filter(|l| l.starts_with("New, ")).count();
        let reused = out.lines().filter(|l| l.starts_with("Reused, ")).count();
        assert_eq!(reused, 0, "{args:?}: a session was resumed\n{out}\n{err}");
        assert!(
            new >= 6,
            "{args:?}: {new} full handshakes, 6 expected\n{out}\n{err}"
        );
    }
}
