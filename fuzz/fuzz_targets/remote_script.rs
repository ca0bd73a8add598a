//! TS 102 226 scripts: parse arbitrary bytes as command and response
//! scripting templates (definite and indefinite) and as compact commands
//! and responses. Whatever parses must re-emit from its items to the same
//! bytes when the input was canonical (minimal lengths), and must never
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::remote::expanded::{command_script, response_script};
use smsr::remote::{CommandScript, CompactCommands, CompactResponse, P3, ResponseScript};
use smsr::tlv::{Encode, Options, Tlv};

/// `true` when `bytes` parse strictly (minimal lengths everywhere), so the
/// encoding is canonical.
fn canonical(bytes: &[u8]) -> bool {
    let opts = Options::strict().allow_indefinite(true);
    let Ok(t) = Tlv::parse_exact(bytes, opts) else {
        return false;
    };
    t.children().all(|c| c.is_ok_and(|c| !c.is_indefinite()))
}

fuzz_target!(|data: &[u8]| {
    if let Ok((script, rest)) = CommandScript::parse(data) {
        let used = &data[..data.len() - rest.len()];
        let items: Result<Vec<_>, _> = script.items().collect();
        if let Ok(items) = items {
            for i in &items {
                let _ = i.c_apdu_view();
            }
            let again = command_script(&items[..], script.coding())
                .to_vec()
                .unwrap();
            if canonical(used) {
                assert_eq!(again, used);
            }
            let (reparsed, _) = CommandScript::parse(&again).unwrap();
            assert_eq!(reparsed.items().count(), items.len());
        }
    }
    if let Ok((script, rest)) = ResponseScript::parse(data) {
        let used = &data[..data.len() - rest.len()];
        let items: Result<Vec<_>, _> = script.items().collect();
        if let Ok(items) = items {
            let _ = script.executed_count();
            let _ = script.last_r_apdu();
            let again = response_script(&items[..], script.coding())
                .to_vec()
                .unwrap();
            // Counts are re-emitted minimally, so only compare when the
            // input's counts were minimal too.
            if canonical(used) && again.len() == used.len() {
                assert_eq!(again, used);
            }
            let (reparsed, _) = ResponseScript::parse(&again).unwrap();
            let again_items: Vec<_> = reparsed.items().map(Result::unwrap).collect();
            assert_eq!(again_items.len(), items.len());
        }
    }
    let mut total = 0;
    for c in CompactCommands::new(data, P3::uicc) {
        match c {
            Ok(c) => {
                assert_eq!(c.offset, total);
                total += c.raw.len();
            }
            Err(_) => break,
        }
    }
    assert!(total <= data.len());
    if let Ok(r) = CompactResponse::parse(data) {
        assert_eq!(r.to_vec().unwrap(), data);
    }
});
