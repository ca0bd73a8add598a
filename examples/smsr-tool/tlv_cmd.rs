//! `smsr-tool tlv decode`: prints a BER-TLV tree.

use smsr::tlv::{Options, Reader, Tlv};

use crate::common::input_bytes;

pub fn run(args: &[String]) -> Result<(), String> {
    match args.first().map(String::as_str) {
        Some("decode") => decode(crate::common::tail(args)),
        _ => Err(
            "usage: smsr-tool tlv decode HEX|--file F [--json] [--lenient] [--indefinite]".into(),
        ),
    }
}

fn decode(args: &[String]) -> Result<(), String> {
    let (data, flags) = input_bytes(args)?;
    let mut json = false;
    let mut opts = Options::strict();
    for f in &flags {
        match f.as_str() {
            "--json" => json = true,
            "--lenient" => opts = Options::lenient().allow_indefinite(opts.indefinite_allowed()),
            "--indefinite" => opts = opts.allow_indefinite(true),
            other => return Err(format!("unknown option '{other}'")),
        }
    }
    let nodes = collect(&data, opts).map_err(|e| format!("{e}"))?;
    if json {
        let value = serde_json::Value::Array(nodes.iter().map(Node::to_json).collect());
        println!(
            "{}",
            serde_json::to_string_pretty(&value).map_err(|e| e.to_string())?
        );
    } else {
        let mut out = String::new();
        for n in &nodes {
            n.print(&mut out, 0);
        }
        print!("{out}");
    }
    Ok(())
}

struct Node {
    tag: String,
    offset: usize,
    length: usize,
    indefinite: bool,
    constructed: bool,
    value: Vec<u8>,
    children: Vec<Node>,
    /// Why a constructed value was shown as bytes: its content is not
    /// BER-TLV (e.g. the C-APDU in a TS 102 226 `22` TLV).
    opaque: Option<String>,
}

impl Node {
    fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("tag".into(), self.tag.clone().into());
        m.insert("offset".into(), self.offset.into());
        m.insert("length".into(), self.length.into());
        if self.indefinite {
            m.insert("indefinite".into(), true.into());
        }
        if let Some(why) = &self.opaque {
            m.insert("value".into(), hex::encode_upper(&self.value).into());
            m.insert("not_tlv".into(), why.clone().into());
        } else if self.constructed {
            m.insert(
                "children".into(),
                self.children.iter().map(Node::to_json).collect(),
            );
        } else {
            m.insert("value".into(), hex::encode_upper(&self.value).into());
        }
        serde_json::Value::Object(m)
    }

    fn print(&self, out: &mut String, indent: usize) {
        use std::fmt::Write;
        let pad = "  ".repeat(indent);
        let len = if self.indefinite {
            "indefinite".to_string()
        } else {
            self.length.to_string()
        };
        if let Some(why) = &self.opaque {
            let _ = writeln!(
                out,
                "{pad}{} [{len}] @{}: {} (not TLV: {why})",
                self.tag,
                self.offset,
                hex::encode_upper(&self.value)
            );
        } else if self.constructed {
            let _ = writeln!(out, "{pad}{} [{len}] @{}", self.tag, self.offset);
            for c in &self.children {
                c.print(out, indent + 1);
            }
        } else {
            let _ = writeln!(
                out,
                "{pad}{} [{len}] @{}: {}",
                self.tag,
                self.offset,
                hex::encode_upper(&self.value)
            );
        }
    }
}

/// Builds the tree with an explicit stack, so deep input cannot overflow.
fn collect(data: &[u8], opts: Options) -> Result<Vec<Node>, smsr::tlv::Error> {
    fn node(t: &Tlv<'_>) -> Node {
        Node {
            tag: t.tag().to_string(),
            offset: t.offset(),
            length: t.value().len(),
            indefinite: t.is_indefinite(),
            constructed: t.tag().is_constructed(),
            value: t.value().to_vec(),
            children: Vec::new(),
            opaque: None,
        }
    }
    // Each level: its reader, the nodes finished so far, and the node the
    // level belongs to (none for the top level).
    let mut stack: Vec<(Reader<'_>, Vec<Node>, Option<Node>)> =
        vec![(Reader::with_options(data, opts), Vec::new(), None)];
    while let Some((reader, siblings, _)) = stack.last_mut() {
        match reader.next() {
            Some(Err(e)) => {
                // The content of a constructed value is not TLV: show that
                // value as bytes. At the top level it is an error.
                let Some((_, _, Some(mut parent))) = stack.pop() else {
                    return Err(e);
                };
                parent.opaque = Some(e.to_string());
                if let Some((_, siblings, _)) = stack.last_mut() {
                    siblings.push(parent);
                }
            }
            Some(Ok(t)) => {
                let n = node(&t);
                if n.constructed {
                    stack.push((t.children(), Vec::new(), Some(n)));
                } else {
                    siblings.push(n);
                }
            }
            None => {
                let Some((_, done, parent)) = stack.pop() else {
                    break;
                };
                match (parent, stack.last_mut()) {
                    (Some(mut p), Some((_, siblings, _))) => {
                        p.children = done;
                        siblings.push(p);
                    }
                    _ => return Ok(done),
                }
            }
        }
    }
    Ok(Vec::new())
}
