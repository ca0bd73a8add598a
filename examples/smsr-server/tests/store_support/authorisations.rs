//! The PLMA store ([`Authorisations`], store/authorisations.rs) on every
//! backend: `authorisations_suite!(fresh)` instantiates each test with
//! `fresh(name) -> Arc<dyn Authorisations>` (an empty database).

use smsr::inventory::{AuthorisedFunction, Plma};

use crate::store::authorisations::Authorisations;

/// Instantiates every PLMA store test for `fresh(name)`.
#[macro_export]
macro_rules! authorisations_suite {
    ($fresh:path) => {
        $crate::authorisations_suite!(@tests $fresh;
            plma_set_read_replace_and_revoke, plmas_are_kept_per_profile_type);
    };
    (@tests $fresh:path; $($t:ident),*) => {
        $(
            #[test]
            fn $t() {
                store_support::authorisations::$t(&*$fresh(stringify!($t)));
            }
        )*
    };
}

fn plma(owner: &str, grantee: &str, ty: Option<&str>, f: &[AuthorisedFunction]) -> Plma {
    Plma {
        owner: owner.into(),
        grantee: grantee.into(),
        profile_type: ty.map(String::from),
        functions: f.to_vec(),
    }
}

/// A PLMA reads back as set, from both sides; setting it again replaces
/// its functions; setting it with none revokes it.
pub fn plma_set_read_replace_and_revoke(s: &dyn Authorisations) {
    use AuthorisedFunction::{AuditEis, EnableProfile, GetEis};
    assert_eq!(s.plmas_granted_to("MNO-B").unwrap(), []);
    let g = plma("MNO-A", "MNO-B", None, &[GetEis, AuditEis]);
    s.set_plma(&g).unwrap();
    s.set_plma(&plma("MNO-C", "MNO-D", None, &[GetEis]))
        .unwrap();
    assert_eq!(
        s.plmas_granted_to("MNO-B").unwrap(),
        std::slice::from_ref(&g)
    );
    assert_eq!(s.plmas_granted_by("MNO-A").unwrap(), [g]);
    assert_eq!(s.plmas_granted_to("MNO-A").unwrap(), []);
    let replaced = plma("MNO-A", "MNO-B", None, &[EnableProfile]);
    s.set_plma(&replaced).unwrap();
    assert_eq!(s.plmas_granted_to("MNO-B").unwrap(), [replaced]);
    s.set_plma(&plma("MNO-A", "MNO-B", None, &[])).unwrap();
    assert_eq!(s.plmas_granted_to("MNO-B").unwrap(), []);
    // Revoking what was never granted changes nothing; others stay.
    s.set_plma(&plma("MNO-X", "MNO-B", None, &[])).unwrap();
    assert_eq!(s.plmas_granted_to("MNO-D").unwrap().len(), 1);
}

/// One PLMA per profile type (and one for every type), each revoked alone.
pub fn plmas_are_kept_per_profile_type(s: &dyn Authorisations) {
    use AuthorisedFunction::{CreateIsdp, GetEis};
    let all = plma("MNO-A", "SMDP-1", None, &[GetEis]);
    let m2m = plma("MNO-A", "SMDP-1", Some("M2M"), &[CreateIsdp]);
    s.set_plma(&all).unwrap();
    s.set_plma(&m2m).unwrap();
    assert_eq!(s.plmas_granted_to("SMDP-1").unwrap(), [all.clone(), m2m]);
    s.set_plma(&plma("MNO-A", "SMDP-1", Some("M2M"), &[]))
        .unwrap();
    assert_eq!(s.plmas_granted_to("SMDP-1").unwrap(), [all]);
}
