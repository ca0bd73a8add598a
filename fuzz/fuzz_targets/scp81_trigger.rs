//! SCP81 administration session triggering parameters, their `84`
//! connection parameters (TS 102 223 OPEN CHANNEL COMPREHENSION-TLVs) and
//! SGP.02 PSK identities: parse arbitrary bytes, re-emit what parsed and
//! compare (the encodings are canonical). Never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::scp81::psk_id::PskIdentity;
use smsr::scp81::trigger::{ConnectionParams, TriggerParams};

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = TriggerParams::parse(data) {
        let mut out = vec![0u8; t.buffer_len()];
        let n = t.emit(&mut out).expect("emit what parsed");
        assert_eq!(&out[..n], data);
        if let Some(s) = t.session {
            // Decoding 84 may fail (it is carried opaquely) but never panics.
            let _decoded = s.connection_params();
        }
    }
    if let Ok(c) = ConnectionParams::parse(data) {
        let mut out = vec![0u8; c.buffer_len()];
        let n = c.emit(&mut out).expect("emit what parsed");
        assert_eq!(&out[..n], data);
        let _server = c.server_address();
    }
    if let Ok(id) = PskIdentity::parse(data) {
        let text = id.to_text().expect("emit what parsed");
        // The identity's TLV order is fixed on output; compare semantically.
        assert_eq!(PskIdentity::parse(text.as_bytes()).unwrap(), id);
    }
    if let Ok(id) = PskIdentity::parse_tlv(data) {
        let text = id.to_text().expect("emit what parsed");
        assert_eq!(PskIdentity::parse(text.as_bytes()).unwrap(), id);
    }
});
