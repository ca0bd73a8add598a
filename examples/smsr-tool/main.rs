//! `smsr-tool`: a command-line companion for test-tool authors.
//!
//! Every subcommand reads hex or files, writes plain text or JSON on stdout,
//! and on bad input prints one line `error: ...` on stderr and exits 1.
//! Run `smsr-tool help` for the list.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;
mod scp80_cmd;
mod tlv_cmd;

use std::process::ExitCode;

const USAGE: &str = "\
usage: smsr-tool <command> ...

commands:
  tlv decode HEX|--file F [--json] [--lenient] [--indefinite]
      print the BER-TLV tree (tags, lengths, offsets)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("tlv") => tlv_cmd::run(common::tail(&args)),
        Some("scp80") => scp80_cmd::run(common::tail(&args)),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}{}", scp80_cmd::USAGE);
            Ok(())
        }
        Some(other) => Err(format!("unknown command '{other}' (try 'smsr-tool help')")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}
