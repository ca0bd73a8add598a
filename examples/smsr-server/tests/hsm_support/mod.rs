//! The SoftHSM2 token of `.ci/softhsm.sh`, opened once per test binary
//! through the server's PKCS#11 provider (`hsm.rs`, included by the
//! binary as `crate::hsm`): for tests that look at the token beside a
//! running server (what it holds, what a clean-up left).
#![allow(dead_code)]

use std::sync::{LazyLock, Mutex, MutexGuard};

use crate::hsm::{Hsm, HsmConfig, PinSource};

/// How to get the variables this module reads.
pub const SETUP: &str = "run `source .ci/softhsm.sh` in this shell first (it installs Debian's \
     softhsm2, creates a token in a temp dir and exports SMSR_TEST_PKCS11_MODULE, SOFTHSM2_CONF, \
     SMSR_TEST_PKCS11_TOKEN and SMSR_TEST_PKCS11_PIN)";

/// One logged-in token for the whole test binary (PKCS#11 allows one
/// C_Initialize per process); tests take turns.
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

/// The token, for this test alone while the guard lives.
pub fn hsm() -> MutexGuard<'static, Hsm> {
    HSM.lock().unwrap_or_else(|p| p.into_inner())
}

/// The `(label, CKA_ID)` of the token's secret keys whose label starts
/// with `prefix`.
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
