//! The example SM-DP's SOAP client readers (`smsr-smdp` without its
//! transports): a WSDL (`wsdl::Contract::parse`, the contract the client
//! checks before it runs) and an answer envelope read by that WSDL's
//! schema (`xml::answer`). The input is the WSDL text, a NUL, then the
//! answer envelope; nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::soap::{Envelope, Limits};
use smsr_smdp::wsdl::Contract;
use smsr_smdp::xml;

fuzz_target!(|data: &[u8]| {
    let (wsdl, answer) = match data.iter().position(|&b| b == 0) {
        Some(i) => data.split_at(i),
        None => (data, &[][..]),
    };
    let Ok(text) = core::str::from_utf8(wsdl) else {
        return;
    };
    let Ok(contract) = Contract::parse(text) else {
        return;
    };
    let _ = contract.require("ES3", &["GetEIS", "SendData"]);
    let Some(answer) = answer.get(1..) else {
        return;
    };
    let Ok(env) = Envelope::parse(answer, &Limits::DEFAULT) else {
        return;
    };
    for e in &env.body.children {
        let _ = xml::answer(&contract.schema, e);
    }
});
