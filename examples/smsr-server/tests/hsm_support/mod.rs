//! The SoftHSM2 token of `.ci/softhsm.sh` for the tests that drive the
//! PKCS#11 provider (`hsm.rs`, which the test includes as `mod hsm`)
//! directly: one logged-in [`Hsm`] per test binary (PKCS#11 allows one
//! `C_Initialize` per process), which the tests take in turns. Without the
//! token's variables the first test to take it fails, saying what to run.

use std::sync::{LazyLock, Mutex, MutexGuard};

use crate::hsm::{Hsm, HsmConfig, PinSource};

/// What to run first when the token's variables are missing.
pub const SETUP: &str = concat!(
    "run `source .ci/softhsm.sh` in this shell first (it installs Debian's softhsm2, \
     creates a token in a temp dir and exports SMSR_TEST_PKCS11_MODULE, SOFTHSM2_CONF, \
     SMSR_TEST_PKCS11_TOKEN and SMSR_TEST_PKCS11_PIN), then \
     `cargo test -p smsr-server --test ",
    env!("CARGO_CRATE_NAME"),
    "`"
);

/// The one logged-in token of the test binary.
static HSM: LazyLock<Mutex<Hsm>> = LazyLock::new(|| {
    let var =
        |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: {SETUP}"));
    assert!(
        std::env::var_os("SOFTHSM2_CONF").is_some(),
        "SOFTHSM2_CONF is not set: {SETUP}"
    );
    var("SMSR_TEST_PKCS11_PIN");
    let config = HsmConfig {
        module: var("SMSR_TEST_PKCS11_MODULE").into(),
        token_label: var("SMSR_TEST_PKCS11_TOKEN"),
        pin: PinSource::Env("SMSR_TEST_PKCS11_PIN".into()),
    };
    Mutex::new(Hsm::open(&config).unwrap_or_else(|e| panic!("{e}: {SETUP}")))
});

/// The token, for one test at a time (a test that panicked holding it
/// leaves it usable).
pub fn hsm() -> MutexGuard<'static, Hsm> {
    HSM.lock().unwrap_or_else(|p| p.into_inner())
}

/// The `(label, CKA_ID)` of the token's secret keys whose label starts
/// with `prefix`.
#[allow(dead_code)] // not every binary looks at the labels
pub fn keys_labelled(prefix: &str) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = hsm()
        .list_keys()
        .unwrap()
        .into_iter()
        .filter(|(l, _)| l.starts_with(prefix))
        .collect();
    v.sort();
    v
}
