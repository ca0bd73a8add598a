//! SGP.02 element types: any text as any typed element; an accepted EID,
//! ICCID, AID or TAR prints back to the same text (case aside for hex).
//! Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::inventory::field::{self, ELEMENTS};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = core::str::from_utf8(rest) else {
        return;
    };
    if let Some((name, ty)) = ELEMENTS.get(usize::from(which) % ELEMENTS.len()) {
        if let Err(e) = ty.check(name, text) {
            assert_eq!(e.element, *name);
        }
    }
    if let Ok(e) = field::eid(text) {
        assert_eq!(e.to_string(), text);
    }
    if let Ok(i) = field::iccid(text) {
        assert_eq!(i.to_string(), text);
    }
    if let Ok(a) = field::aid(text) {
        assert_eq!(a.to_string(), text.to_ascii_uppercase());
    }
    if let Ok(t) = field::tar(text) {
        assert_eq!(format!("{:06X}", t.value()), text.to_ascii_uppercase());
    }
});
