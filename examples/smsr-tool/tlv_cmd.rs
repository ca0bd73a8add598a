//! `smsr-tool tlv decode`: prints a BER-TLV tree (ITU-T X.690 §8.1).

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};
use smsr::tlv::{Options, Reader, Tlv};

use crate::common::{Outcome, input_bytes, print, print_json};

/// `smsr-tool tlv ...`.
#[derive(Subcommand)]
pub enum TlvCommand {
    /// Print the BER-TLV tree: tags, lengths, offsets, values.
    Decode(DecodeArgs),
}

/// `smsr-tool tlv decode HEX|--file F [--json] [--lenient] [--indefinite]`.
#[derive(Args)]
#[group(skip)]
#[command(group(ArgGroup::new("input").required(true).args(["hex", "file"])))]
pub struct DecodeArgs {
    /// The encoding in hex (ASCII whitespace is ignored).
    #[arg(value_name = "HEX")]
    hex: Option<String>,
    /// Read the encoding (binary) from this file instead.
    #[arg(long, value_name = "F")]
    file: Option<PathBuf>,
    /// Print JSON instead of the indented text tree.
    #[arg(long)]
    json: bool,
    /// Accept non-minimal (non-DER) lengths.
    #[arg(long)]
    lenient: bool,
    /// Accept the indefinite length form (X.690 §8.1.3.6).
    #[arg(long)]
    indefinite: bool,
}

pub fn run(cmd: &TlvCommand) -> Outcome {
    match cmd {
        TlvCommand::Decode(args) => decode(args),
    }
}

fn decode(args: &DecodeArgs) -> Outcome {
    let data = input_bytes(args.hex.as_deref(), args.file.as_deref())?;
    let opts = if args.lenient {
        Options::lenient()
    } else {
        Options::strict()
    }
    .allow_indefinite(args.indefinite);
    let nodes = collect(&data, opts).map_err(|e| format!("{e}"))?;
    if args.json {
        print_json(&serde_json::Value::Array(
            nodes.iter().map(Node::to_json).collect(),
        ))
    } else {
        let mut out = String::new();
        for n in &nodes {
            n.print(&mut out, 0);
        }
        print(&out)
    }
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

    /// Appends this node and its children, one line each, to `out`.
    fn print(&self, out: &mut String, indent: usize) {
        let pad = "  ".repeat(indent);
        let len = if self.indefinite {
            "indefinite".to_string()
        } else {
            self.length.to_string()
        };
        let head = format!("{pad}{} [{len}] @{}", self.tag, self.offset);
        if let Some(why) = &self.opaque {
            let value = hex::encode_upper(&self.value);
            out.push_str(&format!("{head}: {value} (not TLV: {why})\n"));
        } else if self.constructed {
            out.push_str(&format!("{head}\n"));
            for c in &self.children {
                c.print(out, indent + 1);
            }
        } else {
            let value = hex::encode_upper(&self.value);
            out.push_str(&format!("{head}: {value}\n"));
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
