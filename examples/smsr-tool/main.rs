//! `smsr-tool`: a command-line companion for test-tool authors.
//!
//! Every subcommand reads hex or files, writes plain text or JSON on stdout,
//! and on bad input prints one line `error: ...` on stderr and exits 1.
//! Run `smsr-tool help` for the list.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;
mod eid;
mod es5;
mod profile;
mod scp80_cmd;
mod scp81;
mod sim;
mod tlv_cmd;

use std::process::ExitCode;

const USAGE: &str = "\
usage: smsr-tool <command> ...

commands:
  tlv decode HEX|--file F [--json] [--lenient] [--indefinite]
      print the BER-TLV tree (tags, lengths, offsets)
  profile inspect FILE [--strict]
      decode a SAIP profile package: header, element list, validation (JSON)
  profile segment FILE [--max N]
      split a package into '86' segment TLVs of at most N bytes (default 1020), hex lines
  es5 create-isdp --isdp-aid HEX [--memory N] | enable|disable|delete|set-fallback|set-emergency --isdp-aid HEX
      | confirm-notification --seq N | audit [--isdp-aid HEX]   [--script]
      print the ES5 C-APDUs (hex, one per line; --script: one AA expanded script)
  es5 parse-notification HEX
      print an eUICC notification (E1) as JSON
  eid check DIGITS | eid compute DIGITS30
      verify / add the EID check digits (ISO/IEC 7064 MOD 97-10)
  scp81 psk-id build EID AID KEY_ID KVN | scp81 psk-id parse TEXT [--json]
      build or decode the SGP.02 PSK-TLS identity (hex of 80/81/4F/82/83)
  scp81 trigger FILE|-
      JSON in (eid, isd_r_aid, admin_host, agent_id, admin_uri, psk, retry,
      connection, scp80 {...}): the HTTPS trigger TLV and its push SMS segments
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("tlv") => tlv_cmd::run(common::tail(&args)),
        Some("profile") => profile::run(common::tail(&args)),
        Some("scp80") => scp80_cmd::run(common::tail(&args)),
        Some("es5") => es5::run(common::tail(&args)),
        Some("eid") => eid::run(common::tail(&args)),
        Some("scp81") => scp81::run(common::tail(&args)),
        Some("sim") => sim::run(common::tail(&args)),
        Some("help" | "--help" | "-h") | None => {
            print!("{USAGE}{}", scp80_cmd::USAGE);
            print!("{}", sim::USAGE);
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
