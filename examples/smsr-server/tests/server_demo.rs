#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! `smsr-server --demo --exit` on a small fleet: the lifecycle completes,
//! its MNOs and SM-DPs checked the server's WSDL and drove the fleet over
//! SOAP with mutual TLS (requests counted, some answered at their
//! `ReplyTo`, notifications received), the listener refused a function of
//! another role and a certificate of another CA, and every EIS agrees with
//! its card. It needs the shared test data (the TS.48 package the SM-DP
//! downloads) and fails, saying so, without it.

use std::process::Command;

/// The number in `line` after `before` (e.g. `"SOAP …: "` → requests).
fn number_after(text: &str, before: &str) -> u64 {
    let at = text
        .find(before)
        .unwrap_or_else(|| panic!("no {before:?} in:\n{text}"));
    text[at + before.len()..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no number after {before:?}"))
}

#[test]
fn the_demo_drives_its_fleet_over_soap_with_mutual_tls() {
    let o = Command::new(env!("CARGO_BIN_EXE_smsr-server"))
        .args([
            "--demo",
            "--exit",
            "--fleet",
            "4",
            "--api",
            "127.0.0.1:0",
            "--scp81",
            "127.0.0.1:0",
            // No function is answered within the request: every one that
            // reaches an eUICC is answered at the client's ReplyTo, so the
            // asynchronous path is taken whatever the machine's speed.
            "--wait-ms",
            "0",
        ])
        .env("RUST_LOG", "off")
        .output()
        .unwrap();
    let out = String::from_utf8(o.stdout).unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(
        !out.contains("no TS.48 package"),
        "the shared test data is missing (set SMSR_TESTDATA or put it at ../shared/testdata):\n{out}"
    );
    for line in [
        "ES SOAP listener (mutual TLS) on https://127.0.0.1:",
        "each fetched the WSDL over mutual TLS with its own certificate",
        "the 4 ES3 and 7 ES4 functions the demo uses are all there with their actions",
        "4 of 4 profiles downloaded and installed",
        "MNO-B disabling MNO-A's profile: Failed 1.1/1.2 (refused)",
        "an MNO certificate calling ES3.GetEIS: HTTP 400 SOAP fault env:Sender",
        "a certificate named mno-a from another CA: refused in the TLS handshake",
        "4 of 4 EIS agree with their card",
        "lifecycle complete in",
    ] {
        assert!(out.contains(line), "{line:?} missing:\n{out}");
    }
    let requests = number_after(&out, "SOAP 1.2 over mutual TLS: ");
    let replies = number_after(&out, "requests (");
    let notes = number_after(&out, "answered asynchronously at ReplyTo), ");
    // 4 downloads of ~30 ES3 calls, 4 × 2 ES4 calls in step 2, 4 × 4 in
    // steps 3-4, checks and the summary's GetEIS.
    assert!(requests > 100, "{requests} SOAP requests:\n{out}");
    assert!(replies > 0 && replies < requests, "{replies} at ReplyTo");
    assert!(notes > 0, "no Handle*Notification received:\n{out}");
}
