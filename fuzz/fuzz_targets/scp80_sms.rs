//! SMS transport: split the input into (TP-UD) segments of up to 140
//! octets and feed them to the reassembler; also parse the input as an
//! SMS-SUBMIT. Nothing may panic; a completed reassembly fits its buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::scp80::sms::{self, Progress, Reassembler, SmsSubmit};

fuzz_target!(|data: &[u8]| {
    let _ = SmsSubmit::parse(data);
    let _ = sms::por_udh_len(data);
    let _ = sms::command_packet(data);
    let mut r = Reassembler::<8>::new();
    let mut rest = data;
    while let Some((&len, tail)) = rest.split_first() {
        let take = usize::from(len % 141).min(tail.len());
        let (seg, tail) = tail.split_at(take);
        rest = tail;
        if let Ok(Progress::Complete) = r.push(seg) {
            let mut out = vec![0u8; 8 * sms::MAX_TP_UD];
            let n = r.assemble(&mut out).unwrap();
            assert!(n <= data.len());
        }
    }
    if r.missing().is_some() {
        let mut out = [0u8; 16];
        assert!(r.assemble(&mut out).is_err());
    }
});
