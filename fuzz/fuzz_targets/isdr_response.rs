//! ES5 response parsers: status words, notification confirmation list,
//! key establishment answers, FF21, GET STATUS E3 entries and the ECASD
//! EID. Never panic; what parses re-emits and parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::isdr::audit::{ExtendedCardResources, IsdpStatusList};
use smsr::isdr::{Eid, response};
use smsr::tlv::Encode;

fuzz_target!(|data: &[u8]| {
    let _ = response::command_status(data);
    if let Ok(list) = response::notification_confirmation(data) {
        for aid in list.take(64) {
            let _ = aid;
        }
    }
    let _ = response::key_establishment_challenge(data);
    if let Ok(k) = response::key_agreement(data) {
        assert!(k.receipt.len() <= data.len());
    }
    if let Ok(r) = ExtendedCardResources::parse(data) {
        let again = r.to_vec().unwrap();
        assert_eq!(ExtendedCardResources::parse(&again).unwrap(), r);
    }
    for st in IsdpStatusList::new(data).take(64) {
        match st {
            Ok(st) => {
                let again = st.to_vec().unwrap();
                let back = IsdpStatusList::new(&again).next().unwrap().unwrap();
                assert_eq!(back, st);
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    if let Ok(eid) = Eid::from_get_data(data) {
        assert!(eid.verify().is_ok());
    }
});
