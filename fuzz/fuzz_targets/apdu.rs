//! APDUs: parse arbitrary bytes as a C-APDU and as an R-APDU; whatever
//! parses must re-emit to the same bytes (both encodings are canonical),
//! and the owned form must agree with the view. Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::apdu::{CommandApdu, CommandView, Response};
use smsr::tlv::Encode;

fuzz_target!(|data: &[u8]| {
    if let Ok(view) = CommandView::parse(data) {
        let cmd = view.to_command();
        assert_eq!(cmd.encoded_len(), data.len());
        assert_eq!(cmd.to_vec().unwrap(), data);
        assert_eq!(cmd.is_extended(), view.is_extended());
        if let Ok(owned) = CommandApdu::<300>::from_bytes(data) {
            assert_eq!(owned.view(), view);
        }
    }
    if let Ok(r) = Response::parse(data) {
        assert_eq!(r.to_vec().unwrap(), data);
    }
});
