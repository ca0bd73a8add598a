//! The simulated card's side of an SM-SR change: arbitrary STORE DATA to
//! the ECASD for the ISD-R (length-prefixed C-APDUs), optionally after a
//! valid SM-SR certificate so the key agreement parser is reached (set-up
//! in `ecasd_fixture`), and arbitrary FinaliseISDRhandover data. Never
//! panics; a refused command answers no data and yields no ISD-R keys;
//! accepted Finalise data re-encode to the same bytes.
#![no_main]

mod ecasd_fixture;

use std::sync::OnceLock;

use ecasd_fixture::{Fixture, key_establishment};
use libfuzzer_sys::fuzz_target;
use smsr::apdu::StatusWord;
use smsr::isdr::Aid;
use smsr::isdr::handover::{finalise_isdr_handover, parse_finalise_request};

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| Fixture::new(smsr::sim::ecasd::test_sm_sr_certificate, 0x52))
}

fuzz_target!(|data: &[u8]| {
    fixture().drive(Aid::ISD_R, data, |ecasd, apdu| {
        if let Ok(ranges) = parse_finalise_request(apdu) {
            let c = finalise_isdr_handover(&ranges).unwrap();
            assert_eq!(&c[5..c.len() - 1], apdu);
        }
        let Some(view) = key_establishment(apdu) else {
            return;
        };
        let r = ecasd.store_data(Aid::ISD_R, &view);
        let keys = ecasd.take_isdr_keys();
        if r.sw != StatusWord::SUCCESS {
            assert!(r.data.is_empty());
            assert!(keys.is_empty());
        }
    });
});
