//! The EUM signature on an EIS (`smsr::soap::eum_signature`, feature
//! `soap`): arbitrary bytes through the signature check, the signed-or-not
//! test and the certificate extraction, within limits; nothing may panic,
//! and no input verifies with a key whose private half nobody has.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::crypto::ecka::PrivateKey;
use smsr::soap::Limits;
use smsr::soap::eum_signature;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 64 << 10,
        max_depth: 16,
        max_nodes: 4096,
    };
    let Ok(key) = PrivateKey::from_bytes(&[0x42; 32]) else {
        return;
    };
    let verdict = eum_signature::verify(data, &limits, &key.public_key());
    assert!(verdict.is_err(), "an arbitrary input verified");
    let _ = eum_signature::is_signed(data, &limits);
    let _ = eum_signature::eum_certificate(data, &limits);
});
