//! The EIS reader of ES1.RegisterEIS (`smsr::soap::schema::read` with
//! `smsr::soap::eis_type::EIS`): any envelope's body (or its `Eis` child)
//! read by the EIS type; nothing may panic, and whatever is accepted,
//! written back and read again, is the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::soap::eis_type::EIS;
use smsr::soap::{Envelope, Limits, SOAP12_NS, schema};

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_bytes: 64 << 10,
        max_depth: 16,
        max_nodes: 4096,
    };
    let Ok(env) = Envelope::parse(data, &limits) else {
        return;
    };
    let e = env.body.child("Eis").unwrap_or(&env.body);
    let Ok(t) = schema::read(e, &EIS) else {
        return;
    };
    let mut xml = format!("<e:Envelope xmlns:e=\"{SOAP12_NS}\"><e:Body>");
    t.write("Eis", &mut xml);
    xml.push_str("</e:Body></e:Envelope>");
    let again =
        Envelope::parse(xml.as_bytes(), &Limits::DEFAULT).map(|env| schema::read(&env.body, &EIS));
    assert_eq!(again, Ok(Ok(t)), "{xml}");
});
