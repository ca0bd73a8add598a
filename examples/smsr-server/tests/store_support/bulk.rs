//! `register_many` (the bulk import's path) stores what `register` does:
//! the EIS, its secrets (MSISDN route) and its initial SCP80 counters from
//! the EIS key sets, on every backend.

use smsr::inventory::model::{KeySet, KeySetType};

use super::{eid, eis, secrets};

pub fn register_many_sets_secrets_and_initial_counters(b: &super::Backend) {
    let s = &b.store;
    let records: Vec<_> = (1..=3)
        .map(|n| {
            let mut e = eis(n, "EUM1", "P1");
            e.isd_r.key_sets.push(KeySet {
                version: 1,
                key_set_type: Some(KeySetType::Scp80),
                counter: Some(u64::from(n) * 10),
                keys: Vec::new(),
                certificates: Vec::new(),
            });
            (e, secrets(n))
        })
        .collect();
    assert_eq!(s.register_many(&records).expect("many"), None);
    for (n, (e, sec)) in (1u32..).zip(&records) {
        assert_eq!(s.eis(&eid(n)).expect("eis").as_ref(), Some(e));
        assert_eq!(s.secrets(&eid(n)).expect("secrets").as_ref(), Some(sec));
        assert_eq!(s.eid_by_msisdn(&sec.msisdn).expect("route"), Some(eid(n)));
        let (name, value) = crate::store::initial_counters(e)[0];
        assert_eq!(value, u64::from(n) * 10);
        assert_eq!(s.counter(&eid(n), name).expect("counter"), value);
        assert_eq!(s.next_counter(&eid(n), name).expect("next"), value + 1);
    }
    assert_eq!(s.count().expect("count"), 3);
}
