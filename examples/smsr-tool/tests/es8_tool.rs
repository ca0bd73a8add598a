#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! `smsr-tool es8 ...` run as a binary: derive-keys against the vectors
//! computed outside the repository with Python `cryptography` 48.0.0
//! (ECDH P-256, X963KDF SHA-256, AES-CMAC; the script is quoted in the
//! commit that added `smsr::crypto::ecka`), then establish and
//! verify-receipt against the simulated card's ECASD.

mod support;

use serde_json::{Value, json};
use smsr::apdu::CommandView;
use smsr::crypto::ecka::PrivateKey;
use smsr::es8::certificate::CertificateRef;
use smsr::isdr::{Aid, Tar};
use smsr::sim::ecasd::{self, Ecasd};

/// `smsr-tool es8 SUB` on `input`.
fn run(sub: &str, input: &Value) -> Value {
    support::json(&["es8", sub], input)
}

const ESK: &str = "0c3d1e5a0e8f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819203";
const PK_ECASD: &str = "043a3d0dd6791c0a73adb9041556e1bf53b14f9ba34e583875f90747cd2d23fe0a\
4721d19c040b3a2f05ed7144c90b9482cd67b08a57e091376ce3d25b4840857c";
/// PK.ECASD.ECKA on brainpoolP256r1 for the scalar 5a1b2c3d.. (Python
/// `cryptography` 48.0.0, outside the repository).
const BP_PK_ECASD: &str = "04872285eace5f34f00ce209b45cffaf8cc048b7e4226b4df464c07d88015e55b9\
3766a1d4b63c3b1cf39d478d47b2829383c4e8248c60ab59f213de34be9df50d";
const Z: &str = "86716ec62f7136732fd8dd83db28ae93908befdb317354af5651d3d0669121fd";

#[test]
fn derive_keys_matches_python_cryptography() {
    let out = run(
        "derive-keys",
        &json!([
            {"curve": "P-256", "esk": ESK, "ecasd_public_key": PK_ECASD,
             "dr": "000102030405060708090a0b0c0d0e0f",
             "crt": "a6159002030a9501108001888101108201018301309100"},
            {"z": Z, "dr": "f0e0d0c0b0a090807060504030201000", "sin": "89000001",
             "crt": "a6269002030e95011080018881012082010183013091004505010203040584088401020304050607"},
            {"z": Z, "key_usage": "10", "key_type": "88", "key_length": "10"},
            {"curve": "brainpoolP256r1", "esk": ESK, "ecasd_public_key": BP_PK_ECASD,
             "dr": "000102030405060708090a0b0c0d0e0f",
             "crt": "a6159002030a9501108001888101108201018301309100"},
            {"z": "00"},
            {"curve": "brainpoolP256t1", "z": Z},
            {"curve": "brainpoolP256r1", "esk": ESK, "ecasd_public_key": PK_ECASD}
        ]),
    );
    assert_eq!(out[0]["z"], Z);
    assert_eq!(
        out[0]["shared_info"],
        "108810000102030405060708090a0b0c0d0e0f"
    );
    assert_eq!(out[0]["receipt_key"], "eff1ec87b5f3157547c5d6fa1b1f8295");
    assert_eq!(out[0]["s_enc"], "ca2f374a3642c2702f2e833a5b53b28b");
    assert_eq!(out[0]["s_mac"], "85376d47fe2e1fb3b43d9c2ca7cfdf4d");
    assert_eq!(out[0]["dek"], "3322338c50e7a001faa7e11ac72573c3");
    assert_eq!(out[0]["receipt"], "86e8613c34c7f65585c9be66db0d29ed");
    assert_eq!(
        out[1]["shared_info"],
        "108820f0e0d0c0b0a0908070605040302010000884010203040506070489000001050102030405"
    );
    assert_eq!(out[1]["receipt_key"], "ed142083e2c81c6a38366aeac47be30b");
    assert_eq!(
        out[1]["s_enc"],
        "a18d63f91a60275b820f63b72dce595c8ce85a255acef013f1e2498df77ea070"
    );
    assert_eq!(
        out[1]["s_mac"],
        "d0a6b6571f15a98ca0b93c12b55f3c1bdc24179a689a4e03b9e611aee14cec22"
    );
    assert_eq!(
        out[1]["dek"],
        "7c2a032c2de1ffead56cf5e312527c185f6b71b2e61037241e77a4e4919cf3e1"
    );
    assert_eq!(out[1]["receipt"], "4679b33697e24d78a772fa6e9abb96f0");
    // No DR, no CRT: keys but no receipt.
    assert_eq!(out[2]["keys"].as_array().unwrap().len(), 3);
    assert!(out[2].get("receipt").is_none());
    // brainpoolP256r1: Z, KeyData and receipt computed outside the
    // repository with Python `cryptography` 48.0.0 (`ec.BrainpoolP256R1()`,
    // `ec.ECDH()`, `X963KDF(SHA256)`, `CMAC(AES)`), the same scalars and
    // SharedInfo as the P-256 case above.
    assert_eq!(
        out[3]["z"],
        "7906871e440763d60e1972c2515dbefea2805b293b3eb6520bf828bd78d9020b"
    );
    assert_eq!(out[3]["receipt_key"], "1df81b30a77715404c8747e7f4008f59");
    assert_eq!(out[3]["s_enc"], "14cd24479b1d9733c9c4cca113bff512");
    assert_eq!(out[3]["s_mac"], "80d6ea733c79efc67b4d25c13a45f756");
    assert_eq!(out[3]["dek"], "d938f4f53ad653416cc4f1c32b6a8125");
    assert_eq!(out[3]["receipt"], "d1b2d8e68970b16c6102f8595a03dd47");
    assert!(out[4]["error"].as_str().unwrap().starts_with("z:"));
    assert!(out[5]["error"].as_str().unwrap().contains("not supported"));
    // A P-256 point is not a brainpoolP256r1 key.
    assert!(
        out[6]["error"]
            .as_str()
            .unwrap()
            .starts_with("ecasd_public_key:")
    );
}

/// establish, the card's answers, verify-receipt: the keys the tool
/// reports are the ones the card installed; a changed receipt is refused.
#[test]
fn establish_and_verify_receipt_against_the_simulated_card() {
    let mut card = Ecasd::from_seed(b"tool test card").unwrap();
    let aid = Aid::isd_p(Tar::from_value(0x11)).unwrap();
    let pk_ecasd = CertificateRef::parse(card.certificate())
        .unwrap()
        .public_key
        .q;
    let sk_dp = PrivateKey::from_bytes(&[0xD9; 32]).unwrap();
    let cert = ecasd::test_sm_dp_certificate(&sk_dp.public_key())
        .unwrap()
        .to_vec()
        .unwrap();
    let crt = "a6159002030a9501108001888101108201018301309100";
    let base = json!({
        "isdp_aid": hex::encode(aid.as_bytes()), "certificate": hex::encode(&cert), "crt": crt,
        "esk": ESK, "ecasd_public_key": hex::encode(pk_ecasd),
    });
    let first = run("establish", &base);
    let apdus = first["certificate_apdus"].as_array().unwrap();
    assert_eq!(apdus.len(), 2);
    assert!(apdus[0].as_str().unwrap().starts_with("80e62000"));
    assert!(first.get("key_agreement_apdus").is_none());
    let cert_apdu = hex::decode(apdus[1].as_str().unwrap()).unwrap();
    let r = card.store_data(aid, &CommandView::parse(&cert_apdu).unwrap());
    assert!(r.sw.is_success());
    assert_eq!(r.data[..2], [0x85, 0x10]);
    let mut second = base.clone();
    second["sk_dp"] = json!(hex::encode([0xD9; 32]));
    second["challenge"] = json!(hex::encode(&r.data[2..]));
    let ka = run("establish", &second);
    let ka_apdu = hex::decode(ka["key_agreement_apdus"][0].as_str().unwrap()).unwrap();
    assert_eq!(ka_apdu[..4], [0x80, 0xE2, 0x89, 0x01]);
    let r = card.store_data(aid, &CommandView::parse(&ka_apdu).unwrap());
    assert!(r.sw.is_success(), "{}", r.sw);
    let mut check = base.clone();
    check["response"] = json!(hex::encode(&r.data));
    let mut bad = check.clone();
    let mut flipped = r.data.clone();
    *flipped.last_mut().unwrap() ^= 0x80;
    bad["response"] = json!(hex::encode(&flipped));
    let mut refused = check.clone();
    refused["sw"] = json!("6982");
    let out = run("verify-receipt", &json!([check, bad, refused]));
    assert_eq!(out[0]["valid"], true);
    let installed = card.isdp_key_set(&aid).unwrap();
    assert_eq!(
        out[0]["s_enc"],
        hex::encode(installed.s_enc.dangerous_bytes())
    );
    assert_eq!(
        out[0]["s_mac"],
        hex::encode(installed.s_mac.dangerous_bytes())
    );
    assert_eq!(out[0]["dek"], hex::encode(installed.dek.dangerous_bytes()));
    assert_eq!(out[0]["kvn"], "30");
    assert_eq!(out[1]["valid"], false);
    assert_eq!(out[1]["reason"], "the receipt does not match");
    assert_eq!(out[2]["valid"], false);
}
