//! The ONC store ([`Oncs`], store/onc.rs) on every backend:
//! `onc_suite!(fresh)` instantiates each test with
//! `fresh(name) -> Arc<dyn Oncs>` (an empty database).

use smsr::inventory::Onc;
use smsr::inventory::notify::NotificationKind;

use crate::store::onc::Oncs;

/// Instantiates every ONC store test for `fresh(name)`.
#[macro_export]
macro_rules! onc_suite {
    ($fresh:path) => {
        $crate::onc_suite!(@tests $fresh;
            onc_set_read_replace_and_remove, oncs_are_kept_per_profile_type);
    };
    (@tests $fresh:path; $($t:ident),*) => {
        $(
            #[test]
            fn $t() {
                store_support::onc::$t(&*$fresh(stringify!($t)));
            }
        )*
    };
}

fn onc(owner: &str, ty: Option<&str>, k: &[NotificationKind]) -> Onc {
    Onc {
        owner: owner.into(),
        profile_type: ty.map(String::from),
        discarded: k.to_vec(),
    }
}

/// An ONC reads back as set, for its operator only; setting it again
/// replaces its list; setting it with none removes it.
pub fn onc_set_read_replace_and_remove(s: &dyn Oncs) {
    use NotificationKind::*;
    assert_eq!(s.oncs_of("MNO-A").unwrap(), []);
    let first = onc("MNO-A", None, &[ProfileEnabled, ProfileDisabled]);
    s.set_onc(&first).unwrap();
    s.set_onc(&onc("MNO-B", None, &[ProfileDeleted])).unwrap();
    assert_eq!(s.oncs_of("MNO-A").unwrap(), [first]);
    let replaced = onc("MNO-A", None, &[FallBackAttributeSet]);
    s.set_onc(&replaced).unwrap();
    assert_eq!(s.oncs_of("MNO-A").unwrap(), [replaced]);
    s.set_onc(&onc("MNO-A", None, &[])).unwrap();
    assert_eq!(s.oncs_of("MNO-A").unwrap(), []);
    // Removing one that does not exist changes nothing.
    s.set_onc(&onc("MNO-X", None, &[])).unwrap();
    assert_eq!(s.oncs_of("MNO-B").unwrap().len(), 1);
}

/// One ONC per profile type, plus one for all types, each on its own.
pub fn oncs_are_kept_per_profile_type(s: &dyn Oncs) {
    use NotificationKind::*;
    let all = onc("MNO-A", None, &[ProfileDeleted]);
    let meter = onc("MNO-A", Some("meter"), &[ProfileEnabled]);
    s.set_onc(&meter).unwrap();
    s.set_onc(&all).unwrap();
    assert_eq!(s.oncs_of("MNO-A").unwrap(), [all.clone(), meter]);
    s.set_onc(&onc("MNO-A", Some("meter"), &[])).unwrap();
    assert_eq!(s.oncs_of("MNO-A").unwrap(), [all]);
}
