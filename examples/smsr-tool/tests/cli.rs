//! The command-line contract of `smsr-tool`: `--help` on every command and
//! subcommand exits 0, a command line that does not parse exits 2, bad
//! input exits 1 with one line `error: ...`, and a closed stdout ends the
//! run quietly with exit 0.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const TOOL: &str = env!("CARGO_BIN_EXE_smsr-tool");

fn run(args: &[&str]) -> Output {
    Command::new(TOOL).args(args).output().unwrap()
}

/// Every command path of the tool; the test below checks that the help
/// output lists exactly these, so a new subcommand must be added here.
const COMMANDS: &[&str] = &[
    "",
    "tlv",
    "tlv decode",
    "profile",
    "profile dump",
    "profile info",
    "profile inspect",
    "profile segment",
    "profile tree",
    "scp03t",
    "scp03t unwrap",
    "scp03t wrap",
    "scp80",
    "scp80 encode-cmd",
    "scp80 decode-resp",
    "scp80 decode-cmd",
    "es5",
    "es5 create-isdp",
    "es5 enable",
    "es5 disable",
    "es5 delete",
    "es5 set-fallback",
    "es8",
    "es8 derive-keys",
    "es8 establish",
    "es8 verify-receipt",
    "es5 set-emergency",
    "es5 confirm-notification",
    "es5 audit",
    "es5 parse-notification",
    "eid",
    "eid check",
    "eid compute",
    "scp81",
    "scp81 psk-id",
    "scp81 psk-id build",
    "scp81 psk-id parse",
    "scp81 trigger",
    "sim",
];

/// The subcommand names a help text lists under `Commands:` (without the
/// generated `help`).
fn listed_subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

fn help_of(path: &str) -> String {
    let mut args: Vec<&str> = path.split_whitespace().collect();
    args.push("--help");
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0), "{path} --help");
    assert!(o.stderr.is_empty(), "{path} --help: {:?}", o.stderr);
    let text = String::from_utf8(o.stdout).unwrap();
    let usage = format!("Usage: smsr-tool {path}").trim_end().to_owned();
    assert!(text.contains(&usage), "{path} --help:\n{text}");
    text
}

#[test]
fn every_command_answers_help_with_exit_0() {
    let mut found = BTreeSet::new();
    let mut todo = vec![String::new()];
    while let Some(path) = todo.pop() {
        let text = help_of(&path);
        for sub in listed_subcommands(&text) {
            todo.push(format!("{path} {sub}").trim().to_owned());
        }
        found.insert(path);
    }
    let expected: BTreeSet<String> = COMMANDS.iter().map(|c| (*c).to_owned()).collect();
    assert_eq!(found, expected);
    // `-h` and the `help` subcommand give the same text.
    for path in COMMANDS.iter().filter(|p| !p.is_empty()) {
        let words: Vec<&str> = path.split_whitespace().collect();
        let o = run(&[&words[..], &["-h"]].concat());
        assert_eq!(o.status.code(), Some(0), "{path} -h");
        let o = run(&[&["help"], &words[..]].concat());
        assert_eq!(o.status.code(), Some(0), "help {path}");
        assert_eq!(String::from_utf8(o.stdout).unwrap(), help_of(path));
    }
}

#[test]
fn the_failing_help_of_issue_11_works() {
    let text = help_of("scp81 psk-id");
    assert!(text.contains("build"), "{text}");
    assert!(text.contains("parse"), "{text}");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &[][..],
        &["frobnicate"][..],
        &["tlv", "encode", "00"][..],
        &["tlv", "decode", "00", "--bogus"][..],
        &["tlv", "decode", "00", "11"][..],
        &["tlv", "decode", "00", "--file", "/dev/null"][..],
        &["tlv", "decode", "--file"][..],
        &["profile"][..],
        &["profile", "inspect"][..],
        &["scp80", "encode-cmd", "extra"][..],
        &["es5", "enable"][..],
        &["es5", "audit", "--memory", "5"][..],
        &["es5", "parse-notification"][..],
        &["eid", "check"][..],
        &["eid", "check", "1", "2"][..],
        &["scp81", "psk-id", "build", "00"][..],
        &["scp81", "psk-id", "parse", "00", "--xml"][..],
        &["scp81", "trigger"][..],
        &["sim", "--seed"][..],
        &["sim", "--bogus"][..],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "{args:?}");
        let e = String::from_utf8(o.stderr).unwrap();
        // clap's `error: ...` (with a hint), or the help of a command
        // given without its subcommand.
        assert!(
            e.starts_with("error: ") || e.contains("Usage: smsr-tool"),
            "{args:?}: {e}"
        );
    }
    // A wrong argument (not a missing one) is reported as clap's `error:`.
    let o = run(&["tlv", "decode", "00", "--bogus"]);
    let e = String::from_utf8(o.stderr).unwrap();
    assert!(e.starts_with("error: unexpected argument '--bogus'"), "{e}");
}

/// Exit 1 and exactly one line `error: ...` on stderr, nothing on stdout.
fn bad_input(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(TOOL)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{args:?}");
    assert!(o.stdout.is_empty(), "{args:?}");
    let e = String::from_utf8(o.stderr).unwrap();
    assert_eq!(e.lines().count(), 1, "{args:?}: {e:?}");
    assert!(e.starts_with("error: "), "{args:?}: {e:?}");
    e
}

#[test]
fn bad_input_exits_1_with_one_line() {
    let e = bad_input(&["eid", "check", "8904903212345123451234567890123X"], "");
    assert!(e.contains("invalid EID"), "{e}");
    let e = bad_input(&["eid", "compute", "12"], "");
    assert!(e.contains("invalid EID prefix"), "{e}");
    let e = bad_input(&["tlv", "decode", "--file", "/nonexistent/x"], "");
    assert!(e.contains("cannot read /nonexistent/x"), "{e}");
    let e = bad_input(&["profile", "inspect", "/nonexistent/p.der"], "");
    assert!(e.contains("cannot read /nonexistent/p.der"), "{e}");
    let e = bad_input(&["profile", "segment", "/dev/null", "--max", "x"], "");
    assert!(e.contains("--max: 'x' is not a number"), "{e}");
    let e = bad_input(&["es5", "parse-notification", "XYZ"], "");
    assert!(e.contains("bad hex input"), "{e}");
    let e = bad_input(&["scp80", "encode-cmd"], "{not json");
    assert!(e.contains("bad JSON"), "{e}");
    let e = bad_input(
        &["scp81", "psk-id", "build", "00", "A000000559", "01", "40"],
        "",
    );
    assert!(e.contains("EID: expected 16 octets"), "{e}");
    bad_input(&["scp81", "psk-id", "parse", "zz"], "");
    let e = bad_input(&["scp81", "trigger", "-"], "{\"eid\": 5}");
    assert!(e.contains("'eid' must be a string"), "{e}");
    let e = bad_input(&["sim", "--seed", "x"], "");
    assert!(e.contains("--seed: not a number"), "{e}");
    let e = bad_input(&["sim", "--corrupt-por", "2000"], "");
    assert!(e.contains("--corrupt-por: a rate in per mille"), "{e}");
}

/// Runs `args`, reads one line of stdout and closes it: the tool must end
/// quietly (exit 0, nothing on stderr) although its output does not fit
/// in the pipe.
fn closed_after_one_line(args: &[&str]) {
    let mut child = Command::new(TOOL)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    assert!(!first.is_empty(), "{args:?}: no output");
    drop(stdout);
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "",
        "{args:?}: stderr after stdout closed"
    );
    assert_eq!(o.status.code(), Some(0), "{args:?}");
}

#[test]
fn a_closed_stdout_ends_quietly() {
    // 200 000 primitive TLVs `80 01 00`: several MB of text tree, far more
    // than a pipe holds.
    let dir = std::env::temp_dir().join(format!("smsr-tool-pipe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("many.tlv");
    let data: Vec<u8> = [0x80, 0x01, 0x00]
        .iter()
        .copied()
        .cycle()
        .take(3 * 200_000)
        .collect();
    std::fs::write(&path, &data).unwrap();
    let file = path.to_str().unwrap();
    closed_after_one_line(&["tlv", "decode", "--file", file]);
    closed_after_one_line(&["tlv", "decode", "--file", file, "--json"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_closed_stdout_on_a_real_profile_ends_quietly() {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata")
        })
        .join("profiles");
    let profile = dir.join("ts48v1A_saip2.1.der");
    if !profile.is_file() {
        eprintln!(
            "WARNING: cli: {} not found (set SMSR_TESTDATA); the real-profile broken-pipe check did not run",
            profile.display()
        );
        return;
    }
    let file = profile.to_str().unwrap();
    closed_after_one_line(&["tlv", "decode", "--file", file]);
    closed_after_one_line(&["profile", "segment", file, "--max", "40"]);
}
