//! SOAP 1.2 envelopes (`smsr::soap`, feature `soap`): parse arbitrary
//! bytes within the limits; a parsed envelope's addressing check and the
//! fault of every refusal must not panic, and a fault envelope we write
//! must itself parse back as SOAP 1.2.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::soap::{Envelope, Fault, Limits};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 64 << 10,
        max_depth: 16,
        max_nodes: 4096,
    };
    let fault = match Envelope::parse(data, &limits) {
        Ok(env) => match env.addressing.required() {
            Ok((_, action)) => Fault::action_not_supported(action),
            Err(e) => Fault::from_error(&e),
        },
        Err(e) => Fault::from_error(&e),
    };
    let xml = fault.envelope("urn:uuid:fuzz", Some("urn:uuid:req"));
    let back = Envelope::parse(xml.as_bytes(), &Limits::DEFAULT);
    assert!(
        back.is_ok(),
        "our own fault does not reparse: {back:?}\n{xml}"
    );
});
