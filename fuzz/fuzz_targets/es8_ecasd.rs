//! The simulated ECASD's ES8 key establishment path: arbitrary STORE DATA
//! sequences (length-prefixed C-APDUs), optionally after a valid SM-DP
//! certificate so the key agreement parser is reached (set-up in
//! `ecasd_fixture`). Never panics; a refused command never installs or
//! changes a key set.
#![no_main]

mod ecasd_fixture;

use std::sync::OnceLock;

use ecasd_fixture::{Fixture, key_establishment};
use libfuzzer_sys::fuzz_target;
use smsr::apdu::StatusWord;
use smsr::isdr::{Aid, Tar};

fn fixture() -> &'static (Fixture, Aid) {
    static F: OnceLock<(Fixture, Aid)> = OnceLock::new();
    F.get_or_init(|| {
        let aid = Aid::isd_p(Tar::from_value(0x10)).unwrap();
        (
            Fixture::new(smsr::sim::ecasd::test_sm_dp_certificate, 0xD9),
            aid,
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let (f, aid) = fixture();
    f.drive(*aid, data, |ecasd, apdu| {
        let Some(view) = key_establishment(apdu) else {
            return;
        };
        let had = ecasd.isdp_key_set(aid).is_some();
        let r = ecasd.store_data(*aid, &view);
        if r.sw != StatusWord::SUCCESS {
            assert!(r.data.is_empty());
            assert_eq!(ecasd.isdp_key_set(aid).is_some(), had);
        }
    });
});
