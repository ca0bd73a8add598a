//! eUICC notification (E1): parse arbitrary bytes; what parses re-emits to
//! bytes that parse to the same notification, and canonical input (tags in
//! the emitted order) re-emits byte for byte. Never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::isdr::Notification;
use smsr::tlv::Encode;

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = Notification::parse(data) {
        let again = n.to_vec().unwrap();
        assert_eq!(again.len(), n.encoded_len());
        let back = Notification::parse(&again).unwrap();
        assert_eq!(back, n);
        assert_eq!(back.to_vec().unwrap(), again);
    }
});
