//! The simulated card's side of an SM-SR change: arbitrary STORE DATA to
//! the ECASD for the ISD-R (length-prefixed C-APDUs), optionally after a
//! valid SM-SR certificate so the key agreement parser is reached, and
//! arbitrary FinaliseISDRhandover data. Never panics; a refused command
//! answers no data and yields no ISD-R keys; accepted Finalise data
//! re-encode to the same bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use smsr::apdu::gp::{Dgi, DgiRepr};
use smsr::apdu::{CommandView, StatusWord};
use smsr::crypto::ecka::PrivateKey;
use smsr::isdr::Aid;
use smsr::isdr::handover::{finalise_isdr_handover, parse_finalise_request};
use smsr::sim::ecasd::{self, Ecasd};
use smsr::tlv::Encode;

struct Fixture {
    ecasd: Ecasd,
    cert_apdu: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let sr = PrivateKey::from_bytes(&[0x52; 32]).unwrap();
        let cert = ecasd::test_sm_sr_certificate(&sr.public_key())
            .unwrap()
            .to_vec()
            .unwrap();
        let data = DgiRepr::new(Dgi::CERTIFICATE, &cert[..]).to_vec().unwrap();
        let mut cert_apdu = vec![0x80, 0xE2, 0x09, 0x00, u8::try_from(data.len()).unwrap()];
        cert_apdu.extend_from_slice(&data);
        cert_apdu.push(0x00);
        Fixture {
            ecasd: Ecasd::from_seed(b"fuzz").unwrap(),
            cert_apdu,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let mut ecasd = f.ecasd.clone();
    let Some((flags, mut rest)) = data.split_first() else {
        return;
    };
    if flags & 1 != 0 {
        let view = CommandView::parse(&f.cert_apdu).unwrap();
        assert_eq!(ecasd.store_data(Aid::ISD_R, &view).sw, StatusWord::SUCCESS);
    }
    while let Some((len, tail)) = rest.split_first() {
        let n = usize::from(*len).min(tail.len());
        let (apdu, next) = tail.split_at(n);
        rest = next;
        if let Ok(ranges) = parse_finalise_request(apdu) {
            let c = finalise_isdr_handover(&ranges).unwrap();
            assert_eq!(&c[5..c.len() - 1], apdu);
        }
        let Ok(view) = CommandView::parse(apdu) else {
            continue;
        };
        if !Ecasd::is_key_establishment(&view) {
            continue;
        }
        let r = ecasd.store_data(Aid::ISD_R, &view);
        let keys = ecasd.take_isdr_keys();
        if r.sw != StatusWord::SUCCESS {
            assert!(r.data.is_empty());
            assert!(keys.is_empty());
        }
    }
});
