//! The SMPP side of SMS (`smsr::scp80::sar`): a TP-UD's concatenation IE
//! moved into sar_* values and back, and a delivery receipt's text
//! fields. Nothing may panic; a split TP-UD that joins again splits
//! back to the same TP-UD and concatenation values.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::scp80::sar::{self, Sar};

fuzz_target!(|data: &[u8]| {
    let mut out = vec![0u8; data.len()];
    if let Ok((n, Some(c))) = sar::split_concat(data, &mut out) {
        let mut back = vec![0u8; n + 6];
        // Joining may overflow a 255-octet UDH (an error, not a panic).
        let Ok(m) = sar::join_concat(&out[..n], c, &mut back) else {
            return;
        };
        let mut again = vec![0u8; m];
        let (k, c2) = sar::split_concat(&back[..m], &mut again).unwrap();
        assert_eq!((&again[..k], c2), (&out[..n], Some(c)));
    }
    let mut small = [0u8; 8];
    let sar = Sar {
        reference: 1,
        total: 2,
        seq: 1,
    };
    let _ = sar::join_concat(data, sar, &mut small);
    if let Ok(text) = core::str::from_utf8(data) {
        if let Some(s) = sar::receipt_field(text, "stat:") {
            let _ = sar::receipt_delivered(s);
        }
        let _ = sar::receipt_field(text, "id:");
    }
});
