//! What SM-SR1 and SM-SR2 read back in an SM-SR change: arbitrary card
//! answers to AuthenticateSMSR, the key agreement and
//! FinaliseISDRhandover, an arbitrary `A6` CRT through the ISD-R key
//! derivation, and an arbitrary DR / receipt through SM-SR2's check.
//! Never panics; a random receipt is never accepted.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use smsr::apdu::{Response, StatusWord};
use smsr::crypto::ecka::{PrivateKey, SharedSecret};
use smsr::es8::crt::{KeyAgreementCrt, ScenarioParameters};
use smsr::isdr::handover::relay::{parse_authenticate_smsr_response, parse_key_agreement_response};
use smsr::isdr::handover::{
    IsdrKeySetRequest, IsdrKeySetType, SmSr2, keys, parse_finalise_response,
};

fn sm_sr2() -> &'static SmSr2 {
    static S: OnceLock<SmSr2> = OnceLock::new();
    S.get_or_init(|| {
        let request = IsdrKeySetRequest {
            key_set: IsdrKeySetType::Scp80,
            kvn: 2,
            initial_counter: 1,
            parameters: ScenarioParameters(0x0A),
            host_id: None,
            sdin: None,
        };
        let esk = PrivateKey::from_bytes(&[0x30; 32]).unwrap();
        let ecasd = PrivateKey::from_bytes(&[0x42; 32]).unwrap().public_key();
        SmSr2::new(request, esk, ecasd, None).unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&sw, body)) = data.split_first() else {
        return;
    };
    let sw = if sw & 1 == 0 {
        StatusWord::SUCCESS
    } else {
        StatusWord(0x6900 | u16::from(sw))
    };
    let r = Response::new(body, sw);
    let _ = parse_authenticate_smsr_response(&r);
    let _ = parse_finalise_response(&r);
    let sr2 = sm_sr2();
    if let Ok(a) = parse_key_agreement_response(&r, sr2.crt()) {
        assert!(sr2.finish(a.dr.as_deref(), &a.receipt).is_err());
    }
    if let Ok(crt) = KeyAgreementCrt::parse(body, 0) {
        let z = SharedSecret::from_bytes(&[7; 32]).unwrap();
        let _ = keys::derive(&z, &crt, Some(&[1; 16]), Some(b"SIN1"));
    }
});
