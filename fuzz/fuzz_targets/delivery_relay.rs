//! The ES8 relay rules of ES3.SendData (`smsr::delivery::relay`) on
//! arbitrary input: the eUICC's answer read for the SendData's status, and
//! the SM-DP's data given a Script Chaining TLV. Never panics; a chained
//! script is an `AA` script that starts with the `83` item.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::delivery::relay;

fuzz_target!(|data: &[u8]| {
    core::hint::black_box(relay::verdict(data));
    let Some((&c, rest)) = data.split_first() else {
        return;
    };
    let chaining = relay::chaining(c & 1 != 0, c & 2 != 0);
    if let (Ok(out), Some(ch)) = (relay::chained_script(rest, chaining), chaining) {
        assert_eq!(out.first(), Some(&0xAA));
        if out != rest {
            // `AA`, its length (1 to 3 octets), then `83 01 xx`.
            let head = out.get(..7).unwrap_or(&out);
            assert!(head.windows(3).any(|w| w == [0x83, 1, ch.0]), "{out:02X?}");
        }
    }
});
