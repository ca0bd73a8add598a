#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! The ephemeral ECKA key drawn inside the SoftHSM2 token of
//! `.ci/softhsm.sh` (`hsm_scp03.rs`, `EckaProvider::generate_private`:
//! `CKM_EC_KEY_PAIR_GEN`): a sensitive, non-extractable session object on
//! P-256 and brainpoolP256r1 whose ECDH with a peer gives the Z the peer
//! computes in memory (RustCrypto) from our public key. The whole ES8 key
//! establishment with it is `server_hsm_scp03.rs`'s
//! `smdp_download_with_keys_in_softhsm2`.

#[allow(dead_code)]
#[path = "../hsm.rs"]
mod hsm;
mod hsm_support;

use smsr::crypto::ecka::{Curve, PrivateKey};
use smsr::crypto::{EckaProvider, Software};

#[test]
fn ephemeral_keys_are_drawn_in_the_token_and_agree_with_the_peer() {
    let hsm = hsm_support::hsm();
    for curve in [Curve::NistP256, Curve::BrainpoolP256r1] {
        let ours = hsm.generate_private(curve).unwrap().expect("drawn inside");
        assert!(hsm.ec_key_is_hidden(&ours).unwrap(), "{curve:?} readable");
        let public = hsm.public_key(&ours).unwrap();
        assert_eq!(public.curve(), curve);
        // The peer: a fixed scalar in memory.
        let peer = PrivateKey::from_bytes_on(curve, &[0x42; 32]).unwrap();
        let z_token = hsm.agree(&ours, &peer.public_key()).unwrap();
        let z_peer = Software.agree(&peer, &public).unwrap();
        assert_eq!(
            z_token.dangerous_bytes(),
            z_peer.dangerous_bytes(),
            "{curve:?}"
        );
        // Two draws differ.
        let again = hsm.generate_private(curve).unwrap().unwrap();
        assert_ne!(hsm.public_key(&again).unwrap(), public);
    }
}

/// The in-memory provider draws nothing: the caller brings the scalar.
#[test]
fn software_draws_no_key() {
    assert!(
        Software
            .generate_private(Curve::NistP256)
            .unwrap()
            .is_none()
    );
}
