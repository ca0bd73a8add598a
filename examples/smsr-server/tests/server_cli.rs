#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The command line of `smsr-server` as a shell sees it: `--help` and
//! `--version` exit 0 on stdout, a command line that does not parse exits
//! 2, a config file that cannot be used exits 1 with one line `error: ...`.
//! None of these starts a listener.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smsr-server"))
        .args(args)
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
}

#[test]
fn help_and_version_exit_0() {
    for flag in ["--help", "-h"] {
        let o = run(&[flag]);
        assert_eq!(o.status.code(), Some(0), "{flag}");
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(text.contains("Usage: smsr-server [OPTIONS]"), "{text}");
        for documented in [
            "--config <FILE>",
            "--api <ADDR>",
            "--scp81 <ADDR>",
            "--db <sqlite:PATH|postgres://URL>",
            "--lease-ms <MS>",
            "--power-safe",
            "--smsc <loopback|smpp://URL>",
            "--validity <SECONDS>",
            "--attempts <N>",
            "--backoff-ms <MS>",
            "--session-timeout-ms <MS>",
            "--max-parallel <N>",
            "--wait-ms <MS>",
            "--demo",
            "--exit",
            "--fleet <N>",
            "--fleet-only <ADDR>",
            "--fleet-first <N>",
            "--ready-file <FILE>",
        ] {
            assert!(text.contains(documented), "{documented} missing:\n{text}");
        }
        assert!(o.stderr.is_empty());
    }
    let o = run(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8(o.stdout)
            .unwrap()
            .starts_with("smsr-server ")
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--bogus"][..],
        &["--exit"],
        &["--api"],
        &["--api", "not-an-address"],
        &["--attempts", "0"],
        &["--max-parallel", "0"],
        &["--smsc", "udp:127.0.0.1:1"],
        &["stray"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        let e = String::from_utf8(o.stderr).unwrap();
        assert!(e.starts_with("error: "), "{args:?}: {e}");
    }
}

#[test]
fn an_unusable_config_file_exits_1_with_one_line() {
    let dir = std::env::temp_dir().join(format!("smsr-server-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"Unknown": 1}"#).unwrap();
    let zero = dir.join("zero.json");
    std::fs::write(&zero, r#"{"Attempts": 0}"#).unwrap();
    for (file, says) in [
        (dir.join("missing.json"), "No such file"),
        (bad, "unknown field `Unknown`"),
        (zero, "at least 1"),
    ] {
        let o = run(&["--config", file.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{}", file.display());
        let e = String::from_utf8(o.stderr).unwrap();
        assert_eq!(e.lines().count(), 1, "{e:?}");
        assert!(e.starts_with("error: ") && e.contains(says), "{e:?}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
