//! `smsr-tool`: a command-line companion for test-tool authors.
//!
//! Every subcommand reads hex or files, writes plain text or JSON on stdout,
//! and on bad input prints one line `error: ...` on stderr and exits 1; a
//! command line it cannot parse exits 2 (clap's usage error); `--help` on
//! every command and subcommand exits 0. A closed stdout (`... | head`)
//! ends the run quietly with exit 0. Run `smsr-tool help` for the list.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;
mod eid;
mod es5;
mod es8;
mod json_io;
mod profile;
mod scp03t;
mod scp80_cmd;
mod scp81;
mod sim;
mod tlv_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use common::{Failure, Outcome};

/// The exit status of a usage error: 2, clap's and the POSIX utilities'
/// convention.
const USAGE_ERROR: u8 = 2;

/// Command-line tools over the smsr crate: TLV, SCP80, SCP81, ES5, EID,
/// SAIP profiles, a simulated eUICC.
#[derive(Parser)]
#[command(
    name = "smsr-tool",
    version,
    after_help = "Bad input: one line 'error: ...' on stderr, exit status 1. \
                  Usage errors: exit status 2."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// BER-TLV (ITU-T X.690): print the tree of an encoding.
    #[command(subcommand)]
    Tlv(tlv_cmd::TlvCommand),
    /// SAIP profile packages (eUICC Profile Package: Interoperable Format).
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
    /// SCP80 secured packets (ETSI TS 102 225), JSON on stdin and stdout.
    #[command(subcommand)]
    Scp80(scp80_cmd::Scp80Command),
    /// ES5 C-APDUs to the ISD-R and eUICC notifications (GSMA SGP.02).
    #[command(subcommand)]
    Es5(es5::Es5Command),
    /// ES8 scenario #3 key establishment (GSMA SGP.02, GP Amd E), JSON on stdin and stdout.
    #[command(subcommand)]
    Es8(es8::Es8Command),
    /// EID check digits (ISO/IEC 7064 MOD 97-10, GSMA SGP.29).
    #[command(subcommand)]
    Eid(eid::EidCommand),
    /// SCP81 PSK-TLS identities and HTTPS session triggers.
    #[command(subcommand)]
    Scp81(scp81::Scp81Command),
    /// SCP03t (GSMA SGP.02 §4.1.3.3) segments, JSON on stdin and stdout.
    #[command(subcommand)]
    Scp03t(scp03t::Scp03tCommand),
    /// One simulated eUICC as a filter: TP-UD hex lines in, SMS hex lines out.
    Sim(sim::SimArgs),
}

fn run(command: &Command) -> Outcome {
    match command {
        Command::Tlv(c) => tlv_cmd::run(c),
        Command::Profile(c) => profile::run(c),
        Command::Scp80(c) => scp80_cmd::run(c),
        Command::Es5(c) => es5::run(c),
        Command::Es8(c) => es8::run(c),
        Command::Eid(c) => eid::run(c),
        Command::Scp81(c) => scp81::run(c),
        Command::Scp03t(c) => scp03t::run(c),
        Command::Sim(a) => sim::run(a),
    }
}

/// Help and version go to stdout with exit 0; a usage error goes to stderr
/// with exit 2.
fn parse_failure(e: &clap::Error) -> ExitCode {
    if e.print().is_err() {
        // The stream is closed: there is nowhere left to say anything, and
        // the exit status below still tells what happened.
    }
    if e.use_stderr() {
        ExitCode::from(USAGE_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return parse_failure(&e),
    };
    match run(&cli.command) {
        Ok(()) | Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Input(msg)) => {
            if common::eprintln(&format!("error: {msg}")).is_err() {
                // stderr is closed: the exit status alone reports the failure.
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
