//! SGP.02 certificates (`7F21`) and the ES8 key agreement CRT (`A6`) and
//! public key (`7F49` value): whatever parses re-emits to the same bytes
//! (exact inverses), the view agrees with the owned form, verifying never
//! panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::crypto::ecka::PrivateKey;
use smsr::es8::certificate::{Certificate, CertificateRef};
use smsr::es8::crt::KeyAgreementCrt;
use smsr::es8::public_key::PublicKeyDo;
use smsr::tlv::Encode;

fuzz_target!(|data: &[u8]| {
    if let Ok(view) = CertificateRef::parse(data) {
        let owned = view.to_owned();
        assert_eq!(owned.to_vec().unwrap(), data);
        assert_eq!(owned.buffer_len(), data.len());
        assert_eq!(owned.signed_data().unwrap(), view.signed_data);
        if let Ok(ci) = PrivateKey::from_bytes(&[0x1C; 32]) {
            let _verdict = view.verify(&ci.public_key());
        }
        let _key = view.public_key.to_key();
        assert_eq!(Certificate::parse(data).unwrap(), owned);
    }
    if let Ok(crt) = KeyAgreementCrt::parse(data, 0) {
        assert_eq!(crt.to_vec().unwrap(), data);
    }
    if let Ok(pk) = PublicKeyDo::parse_bytes(data, 0) {
        assert_eq!(pk.to_vec().unwrap(), data);
    }
});
