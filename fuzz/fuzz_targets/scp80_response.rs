//! SCP80 response packets (PoR): parse and re-emit in both framings, then
//! verify as an OTA server with every PoR security the SPI can ask for.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::crypto::Key;
use smsr::scp80::{
    Cntr, CommandHeader, Framing, KeySet, Kic, Kid, ResponsePacket, ResponseRepr, Spi, Tar,
    response,
};

fuzz_target!(|data: &[u8]| {
    let keys = KeySet::new()
        .with_kic(&Key::aes(&[1; 16]).unwrap())
        .with_kid(&Key::aes(&[2; 16]).unwrap());
    for framing in [Framing::SmsPp, Framing::Generic] {
        if let Ok(p) = ResponsePacket::new_checked(data, framing) {
            let repr = ResponseRepr::parse(&p);
            let mut out = vec![0u8; repr.buffer_len(framing)];
            repr.emit(framing, &mut out).unwrap();
            assert_eq!(out, data);
        }
    }
    for spi2 in [0x01u8, 0x05, 0x09, 0x19, 0x39, 0x0D] {
        let header = CommandHeader {
            spi: Spi([0x16, spi2]),
            kic: Kic(0x12),
            kid: Kid(if spi2 & 0x0C == 0x04 { 0x05 } else { 0x12 }),
            tar: Tar::default(),
            cntr: Cntr::default(),
        };
        let mut buf = data.to_vec();
        if let Ok(por) = response::verify_sms(&header, &keys, &mut buf) {
            assert!(por.data.len() < data.len());
        }
        let mut buf = data.to_vec();
        let _ = response::verify(Framing::Generic, &header, &keys, &mut buf);
    }
});
