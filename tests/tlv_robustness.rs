//! BER-TLV robustness and writer tests: hostile nesting (the input that
//! overflows the stack of the `iso7816-tlv` crate, see
//! shared/reference/rust-dependencies.md §1.2), X.690 known answers, and
//! writer/reader round trips.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use proptest::prelude::*;
use smsr::tlv::{
    self, Buffer, Encode, ErrorKind, Options, Reader, SliceBuffer, Tag, Tlv, encoded_length_len,
    write_length,
};

/// Walks every TLV with an explicit stack; returns the count and the first
/// error.
fn walk(data: &[u8], opts: Options) -> (usize, Option<tlv::Error>) {
    let mut stack = vec![Reader::with_options(data, opts)];
    let mut n = 0;
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(Ok(t)) => {
                n += 1;
                if t.tag().is_constructed() {
                    stack.push(t.children());
                }
            }
            Some(Err(e)) => return (n, Some(e)),
            None => {
                stack.pop();
            }
        }
    }
    (n, None)
}

#[test]
fn hundred_kb_of_617f_does_not_overflow() {
    let data: Vec<u8> = [0x61, 0x7F]
        .iter()
        .copied()
        .cycle()
        .take(100 * 1024)
        .collect();
    for opts in [
        Options::strict(),
        Options::lenient().allow_indefinite(true),
        Options::lenient().max_depth(u8::MAX),
    ] {
        let (n, err) = walk(&data, opts);
        let err = err.expect("this input cannot be valid");
        assert!(n > 0);
        assert!(err.offset <= data.len());
    }
    // Strictly: 61 7F holds 127 octets, then the next sibling starts at an
    // odd offset with the 2-octet tag 7F 61; the walk ends in a clean error.
    let (_, err) = walk(&data, Options::strict());
    assert!(matches!(
        err.unwrap().kind,
        ErrorKind::TooDeep | ErrorKind::UnexpectedEnd
    ));
}

#[test]
fn deeply_nested_definite_is_refused_at_max_depth() {
    // 50,000 levels of A0 81 xx / A0 82 xx xx with exact lengths.
    let levels = 50_000;
    let mut data = Vec::new();
    let mut inner_len = 0usize;
    let mut headers = Vec::new();
    for _ in 0..levels {
        let mut h = vec![0xA0];
        let mut lenbuf = Vec::new();
        write_length(&mut lenbuf, inner_len).unwrap();
        h.extend(lenbuf);
        inner_len += h.len();
        headers.push(h);
    }
    for h in headers.iter().rev() {
        data.extend_from_slice(h);
    }
    let (n, err) = walk(&data, Options::strict());
    let err = err.unwrap();
    assert_eq!(err.kind, ErrorKind::TooDeep);
    assert_eq!(n, 33);
    let (n, err) = walk(&data, Options::strict().max_depth(u8::MAX));
    // max_depth is capped at 254: levels 0..=254 are walked.
    assert_eq!(err.unwrap().kind, ErrorKind::TooDeep);
    assert_eq!(n, 255);
}

#[test]
fn deep_indefinite_nesting_is_refused_without_recursion() {
    let levels = 50_000;
    let mut data = Vec::with_capacity(levels * 4);
    for _ in 0..levels {
        data.extend_from_slice(&[0xA0, 0x80]);
    }
    for _ in 0..levels {
        data.extend_from_slice(&[0x00, 0x00]);
    }
    let opts = Options::lenient().allow_indefinite(true);
    let err = Tlv::parse_with(&data, opts).unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooDeep);
    // The 34th `A0 80` (level 33) is the first one refused.
    assert_eq!(err.offset, 2 * 33);
    // With the limit out of the way the scan is iterative and still fails
    // cleanly.
    let err = Tlv::parse_with(&data, opts.max_depth(u8::MAX)).unwrap_err();
    assert_eq!((err.kind, err.offset), (ErrorKind::TooDeep, 2 * 255));
    // A nesting within the limit parses and walks.
    let mut ok = Vec::new();
    for _ in 0..20 {
        ok.extend_from_slice(&[0xA0, 0x80]);
    }
    ok.extend_from_slice(&[0x04, 0x01, 0x55]);
    for _ in 0..20 {
        ok.extend_from_slice(&[0x00, 0x00]);
    }
    let (n, err) = walk(&ok, opts);
    assert_eq!((n, err), (21, None));
}

#[test]
fn x690_length_known_answers() {
    // X.690 (08/2015) §8.1.3.5 NOTE 2: L = 201 is `81 C9` in the long form;
    // §8.1.3.4: the short form for 0..=127.
    let mut out = Vec::new();
    write_length(&mut out, 201).unwrap();
    assert_eq!(out, [0x81, 0xC9]);
    out.clear();
    write_length(&mut out, 38).unwrap();
    assert_eq!(out, [0x26]);
    assert_eq!(encoded_length_len(0x1_0000), 4);
    // X.690 §8.1.2.4 high tag numbers: [APPLICATION 73] constructed = 7F 49.
    let t = Tlv::parse_exact(&[0x7F, 0x49, 0x00], Options::strict()).unwrap();
    assert_eq!(
        (t.tag().number(), t.tag().class()),
        (73, tlv::Class::Application)
    );
}

#[test]
fn writers_without_alloc() {
    // GP v2.3 table 11-36 style entry written into a slice and a heapless::Vec.
    let aid = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00];
    let entry = tlv::tlv(
        Tag::new(0xE3),
        (
            tlv::tlv(Tag::new(0x4F), &aid[..]),
            tlv::tlv(Tag::new(0x9F70), [0x0F]),
            tlv::tlv(Tag::new(0xC5), [0x9E, 0xFE, 0x80]),
        ),
    );
    let want = [
        0xE3, 0x13, 0x4F, 0x08, 0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00, 0x00, 0x9F, 0x70, 0x01,
        0x0F, 0xC5, 0x03, 0x9E, 0xFE, 0x80,
    ];
    assert_eq!(entry.encoded_len(), want.len());
    let mut buf = [0u8; 32];
    assert_eq!(entry.encode_to_slice(&mut buf).unwrap(), want);
    let mut hv: heapless::Vec<u8, 32> = heapless::Vec::new();
    entry.encode(&mut hv).unwrap();
    assert_eq!(hv.as_slice(), want);
    let mut small: heapless::Vec<u8, 8> = heapless::Vec::new();
    let err = entry.encode(&mut small).unwrap_err();
    assert_eq!(err.kind, ErrorKind::BufferTooSmall);
    let mut tiny = [0u8; 20];
    let mut sb = SliceBuffer::new(&mut tiny);
    assert_eq!(
        entry.encode(&mut sb).unwrap_err().kind,
        ErrorKind::BufferTooSmall
    );
    assert!(sb.written() <= 20);
    // Option and slices of encoders.
    let parts = [
        tlv::tlv(Tag::new(0x80), &[1u8][..]),
        tlv::tlv(Tag::new(0x81), &[][..]),
    ];
    let with_opt = tlv::tlv(Tag::new(0xA0), (&parts[..], None::<[u8; 1]>));
    assert_eq!(
        with_opt.to_vec().unwrap(),
        [0xA0, 0x05, 0x80, 0x01, 0x01, 0x81, 0x00]
    );
}

/// A random TLV tree: (tag, value or children).
#[derive(Debug, Clone)]
enum Node {
    Prim(u32, Vec<u8>),
    Cons(u32, Vec<Node>),
}

fn primitive_tag() -> impl Strategy<Value = u32> {
    prop_oneof![
        (0x01u32..0x1F).prop_map(|n| 0x80 | n),
        (0x1Fu32..0x80).prop_map(|n| 0x9F00 | n),
        (0x80u32..0x3FFF).prop_map(|n| 0xDF_8000 | ((n >> 7) << 8) | (n & 0x7F)),
        Just(0x5F20),
        Just(0x04),
    ]
}

fn constructed_tag() -> impl Strategy<Value = u32> {
    prop_oneof![
        (0x00u32..0x1F).prop_map(|n| 0xA0 | n),
        Just(0xBF25),
        Just(0x7F49),
        Just(0x30),
        Just(0xE3),
    ]
}

fn tree() -> impl Strategy<Value = Node> {
    let leaf = (
        primitive_tag(),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(t, v)| Node::Prim(t, v));
    leaf.prop_recursive(5, 64, 6, |inner| {
        (constructed_tag(), proptest::collection::vec(inner, 0..6))
            .prop_map(|(t, kids)| Node::Cons(t, kids))
    })
}

fn emit(n: &Node) -> Vec<u8> {
    match n {
        Node::Prim(t, v) => tlv::tlv(Tag::new(*t), &v[..]).to_vec().unwrap(),
        Node::Cons(t, kids) => {
            let inner: Vec<u8> = kids.iter().flat_map(emit).collect();
            tlv::tlv(Tag::new(*t), &inner[..]).to_vec().unwrap()
        }
    }
}

fn emit_indefinite(n: &Node) -> Vec<u8> {
    match n {
        Node::Prim(t, v) => tlv::tlv(Tag::new(*t), &v[..]).to_vec().unwrap(),
        Node::Cons(t, kids) => {
            let (b, l) = Tag::new(*t).to_bytes();
            let mut out = b[..l].to_vec();
            out.push(0x80);
            for k in kids {
                out.extend(emit_indefinite(k));
            }
            out.extend([0, 0]);
            out
        }
    }
}

fn check(n: &Node, t: &Tlv<'_>) {
    match n {
        Node::Prim(tag, v) => {
            assert_eq!(t.tag().raw(), *tag);
            assert_eq!(t.value(), &v[..]);
        }
        Node::Cons(tag, kids) => {
            assert_eq!(t.tag().raw(), *tag);
            let got: Vec<_> = t.children().map(Result::unwrap).collect();
            assert_eq!(got.len(), kids.len());
            for (k, g) in kids.iter().zip(&got) {
                check(k, g);
            }
        }
    }
}

proptest! {
    #[test]
    fn emitted_trees_parse_back(n in tree()) {
        let bytes = emit(&n);
        let t = Tlv::parse_exact(&bytes, Options::strict()).unwrap();
        check(&n, &t);
        prop_assert_eq!(t.to_vec().unwrap(), bytes.clone());
        // The same tree in the indefinite form (primitives stay definite).
        let indef = emit_indefinite(&n);
        let opts = Options::strict().allow_indefinite(true);
        let t = Tlv::parse_exact(&indef, opts).unwrap();
        check(&n, &t);
        prop_assert_eq!(t.to_vec().unwrap(), indef);
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        for opts in [Options::strict(), Options::lenient().allow_indefinite(true).max_depth(4)] {
            let (_, err) = walk(&data, opts);
            if let Some(e) = err {
                prop_assert!(e.offset <= data.len());
            }
        }
    }
}
