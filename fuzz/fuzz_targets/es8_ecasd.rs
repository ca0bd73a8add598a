//! The simulated ECASD's ES8 key establishment path: arbitrary STORE DATA
//! sequences (length-prefixed C-APDUs), optionally after a valid SM-DP
//! certificate so the key agreement parser is reached. Never panics; a
//! refused command never installs or changes a key set.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use smsr::apdu::gp::{Dgi, DgiRepr};
use smsr::apdu::{CommandView, StatusWord};
use smsr::crypto::ecka::PrivateKey;
use smsr::isdr::{Aid, Tar};
use smsr::sim::ecasd::{self, Ecasd};
use smsr::tlv::Encode;

struct Fixture {
    ecasd: Ecasd,
    aid: Aid,
    cert_apdu: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dp = PrivateKey::from_bytes(&[0xD9; 32]).unwrap();
        let cert = ecasd::test_sm_dp_certificate(&dp.public_key())
            .unwrap()
            .to_vec()
            .unwrap();
        let data = DgiRepr::new(Dgi::CERTIFICATE, &cert[..]).to_vec().unwrap();
        let mut cert_apdu = vec![0x80, 0xE2, 0x09, 0x00, u8::try_from(data.len()).unwrap()];
        cert_apdu.extend_from_slice(&data);
        cert_apdu.push(0x00);
        Fixture {
            ecasd: Ecasd::from_seed(b"fuzz").unwrap(),
            aid: Aid::isd_p(Tar::from_value(0x10)).unwrap(),
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
        assert_eq!(ecasd.store_data(f.aid, &view).sw, StatusWord::SUCCESS);
    }
    while let Some((len, tail)) = rest.split_first() {
        let n = usize::from(*len).min(tail.len());
        let (apdu, next) = tail.split_at(n);
        rest = next;
        let Ok(view) = CommandView::parse(apdu) else {
            continue;
        };
        if !Ecasd::is_key_establishment(&view) {
            continue;
        }
        let had = ecasd.isdp_key_set(&f.aid).is_some();
        let r = ecasd.store_data(f.aid, &view);
        if r.sw != StatusWord::SUCCESS {
            assert!(r.data.is_empty());
            assert_eq!(ecasd.isdp_key_set(&f.aid).is_some(), had);
        }
    }
});
