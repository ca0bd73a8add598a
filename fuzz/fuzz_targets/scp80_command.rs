//! SCP80 command packets: parse arbitrary bytes in both framings, re-emit
//! what parses and compare, then run the card-side unwrap with AES and
//! 3DES key sets (it must fail cleanly or return a payload inside the
//! packet).
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::crypto::{CipherAlgorithm, Key};
use smsr::scp80::{Cntr, CommandPacket, CommandRepr, Framing, KeySet, command};

fuzz_target!(|data: &[u8]| {
    let aes = KeySet::new()
        .with_kic(&Key::aes(&[1; 16]).unwrap())
        .with_kid(&Key::aes(&[2; 16]).unwrap());
    let tdes = KeySet::new()
        .with_kic(&Key::new(CipherAlgorithm::Tdes2, &[3; 16]).unwrap())
        .with_kid(&Key::new(CipherAlgorithm::Tdes2, &[4; 16]).unwrap());
    for framing in [Framing::SmsPp, Framing::Generic] {
        if let Ok(p) = CommandPacket::new_checked(data, framing) {
            let repr = CommandRepr::parse(&p);
            let mut out = vec![0u8; repr.buffer_len(framing)];
            repr.emit(framing, &mut out).unwrap();
            assert_eq!(out, data);
        }
        for keys in [&aes, &tdes] {
            let mut buf = data.to_vec();
            if let Ok(got) = command::unwrap(framing, &mut buf, keys, Cntr::default()) {
                assert!(got.payload.len() < data.len());
            }
        }
    }
});
