//! BER-TLV: parse arbitrary bytes in strict and lenient/indefinite modes,
//! walk every nested TLV, re-emit what parsed and compare.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::tlv::{Encode, Options, Reader};

fn walk(data: &[u8], opts: Options) {
    let mut stack = vec![Reader::with_options(data, opts)];
    let mut visited = 0usize;
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(Ok(tlv)) => {
                visited += 1;
                assert!(tlv.offset() + tlv.raw().len() <= data.len());
                assert_eq!(
                    &data[tlv.offset()..tlv.offset() + tlv.raw().len()],
                    tlv.raw()
                );
                if opts.is_strict() {
                    // Strict input is canonical: re-encoding gives the same bytes.
                    let again = tlv.to_vec().unwrap();
                    assert_eq!(again, tlv.raw());
                }
                if tlv.tag().is_constructed() {
                    stack.push(tlv.children());
                }
            }
            Some(Err(e)) => {
                assert!(e.offset <= data.len());
                stack.clear();
            }
            None => {
                stack.pop();
            }
        }
    }
    let _ = visited;
}

fuzz_target!(|data: &[u8]| {
    walk(data, Options::strict());
    walk(data, Options::strict().allow_indefinite(true));
    walk(data, Options::lenient().allow_indefinite(true).max_depth(8));
});
