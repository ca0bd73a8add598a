//! Helpers shared by the subcommands: the error type, hex input and output
//! that a closed stdout ends quietly.

use std::io::{ErrorKind, Write};
use std::path::Path;

/// Why a subcommand stopped.
#[derive(Debug)]
pub enum Failure {
    /// Bad input (hex, file, JSON, a value out of range): one line
    /// `error: ...` on stderr, exit status 1.
    Input(String),
    /// The reader of stdout went away (`smsr-tool ... | head`): nothing
    /// more is printed and the tool exits 0, as `cat` would under SIGPIPE.
    Closed,
}

impl From<String> for Failure {
    fn from(msg: String) -> Self {
        Self::Input(msg)
    }
}

impl From<&str> for Failure {
    fn from(msg: &str) -> Self {
        Self::Input(msg.to_owned())
    }
}

/// A subcommand's result.
pub type Outcome = Result<(), Failure>;

/// Decodes hex, ignoring ASCII whitespace; the error names the bad position.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let clean: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    hex::decode(&clean).map_err(|e| format!("bad hex input: {e}"))
}

/// The bytes of `HEX` or of the file `--file F` (exactly one is given; the
/// command line parser enforces it).
pub fn input_bytes(hex: Option<&str>, file: Option<&Path>) -> Result<Vec<u8>, String> {
    match (hex, file) {
        (_, Some(path)) => read_file(path),
        (Some(text), None) => parse_hex(text),
        (None, None) => Err("no input: give HEX or --file F".into()),
    }
}

/// The contents of `path`; the error names the file.
pub fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Maps a write error on stdout: a closed pipe is [`Failure::Closed`].
fn write_failure(e: &std::io::Error) -> Failure {
    if e.kind() == ErrorKind::BrokenPipe {
        Failure::Closed
    } else {
        Failure::Input(format!("cannot write to stdout: {e}"))
    }
}

/// Writes `text` to stdout as it is and flushes it.
pub fn print(text: &str) -> Outcome {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| write_failure(&e))
}

/// Writes `line` and a newline to stdout.
pub fn println(line: &str) -> Outcome {
    print(&format!("{line}\n"))
}

/// Writes `value` as pretty-printed JSON and a newline to stdout.
pub fn print_json(value: &serde_json::Value) -> Outcome {
    let text = serde_json::to_string_pretty(value).map_err(|e| e.to_string())?;
    println(&text)
}

/// Writes one diagnostic line to stderr (the `sim` filter's session
/// reports); a closed stderr ends the run like a closed stdout.
pub fn eprintln(line: &str) -> Outcome {
    let mut err = std::io::stderr().lock();
    writeln!(err, "{line}").map_err(|e| {
        if e.kind() == ErrorKind::BrokenPipe {
            Failure::Closed
        } else {
            Failure::Input(format!("cannot write to stderr: {e}"))
        }
    })
}
