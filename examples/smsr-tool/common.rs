//! Helpers shared by the subcommands.

/// Decodes hex, ignoring ASCII whitespace; the error names the bad position.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let clean: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    hex::decode(&clean).map_err(|e| format!("bad hex input: {e}"))
}

/// Reads the input named by `HEX` or `--file F` from `args`, returning the
/// bytes and the remaining arguments.
pub fn input_bytes(args: &[String]) -> Result<(Vec<u8>, Vec<String>), String> {
    let mut rest = Vec::new();
    let mut data = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--file" {
            let path = it.next().ok_or("--file needs a path")?;
            let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            data = Some(bytes);
        } else if a.starts_with("--") {
            rest.push(a.clone());
        } else if data.is_none() {
            data = Some(parse_hex(a)?);
        } else {
            return Err(format!("unexpected argument '{a}'"));
        }
    }
    let data = data.ok_or("no input: give HEX or --file F")?;
    Ok((data, rest))
}

/// The arguments after the first (the subcommand's own arguments).
pub fn tail(args: &[String]) -> &[String] {
    args.get(1..).unwrap_or_default()
}
