#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! End-to-end run of `smsr-tool scp03t wrap | unwrap` with the binary
//! Cargo built for this test run, against independent vectors: the SGP.22
//! BSP segments of a third-party SM-DP+ trace (osmocom/pysim @ 597f1e0
//! `tests/unittests/test_esim_bsp.py`, kept in `tests/data/scp03t/`) and
//! the pySim `SCP03_Test_AES128_33` cryptograms.

mod support;

use serde_json::{Value, json};

/// `smsr-tool scp03t SUB` on `input`.
fn run(sub: &str, input: &Value) -> Value {
    support::json(&["scp03t", sub], input)
}

fn data(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/scp03t")
        .join(name);
    std::fs::read_to_string(p).unwrap().trim().to_lowercase()
}

fn bsp(extra: Value) -> Value {
    let mut v = json!({
        "s_enc": "010102030405060708090a0b0c0d0e0f",
        "s_mac": "020102030405060708090a0b0c0d0e0f",
        "s_rmac": "101112131415161718191a1b1c1d1e1f",
        "level": "33",
        "mac_chaining_value": "000102030405060708090a0b0c0d0e0f",
        "counter": 1
    });
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

#[test]
fn wrap_gives_the_third_party_segments_and_unwrap_inverts_it() {
    let plain = [
        data("bsp_segment0_plain.hex"),
        data("bsp_segment1_plain.hex"),
    ];
    let wrapped = [
        data("bsp_segment0_wrapped.hex"),
        data("bsp_segment1_wrapped.hex"),
    ];
    let out = run("wrap", &bsp(json!({ "segments": plain })));
    assert_eq!(out["segments"], json!(wrapped));
    assert_eq!(out["counter"], 3);
    // The same plaintext as one package cut at 1020 octets.
    let out2 = run("wrap", &bsp(json!({ "package": plain.concat() })));
    assert_eq!(out2["segments"], json!(wrapped));
    assert_eq!(out2["mac_chaining_value"], out["mac_chaining_value"]);
    // Unwrap, as a list and as one stream.
    let back = run("unwrap", &bsp(json!({ "segments": wrapped })));
    assert_eq!(back["plaintexts"], json!(plain));
    assert_eq!(back["package"], json!(plain.concat()));
    let back = run("unwrap", &bsp(json!({ "stream": wrapped.concat() })));
    assert_eq!(back["package"], json!(plain.concat()));
    assert_eq!(back["counter"], 3);
    // A changed bit in the second segment: the first comes out, then the
    // refusal with its index.
    let mut bad = wrapped[1].clone().into_bytes();
    bad[200] = if bad[200] == b'0' { b'1' } else { b'0' };
    let bad = String::from_utf8(bad).unwrap();
    let out = run(
        "unwrap",
        &bsp(json!({ "segments": [wrapped[0].clone(), bad] })),
    );
    assert_eq!(out["refused_segment"], 1);
    assert!(out["error"].as_str().unwrap().contains("MAC"));
    assert_eq!(out["plaintexts"], json!([plain[0].clone()]));
}

#[test]
fn static_keys_give_the_pysim_cryptograms() {
    // pySim SCP03_Test_AES128_33: host challenge from INITIALIZE UPDATE,
    // card challenge and cryptogram from its response, host cryptogram
    // from EXTERNAL AUTHENTICATE.
    let out = run(
        "wrap",
        &json!({
            "key_enc": "000102030405060708090a0b0c0d0e0f",
            "key_mac": "101112131415161718191a1b1c1d1e1f",
            "host_challenge": "fdf38259a1e0de44",
            "card_challenge": "3b1aca81e821f219",
            "level": "33",
            "mac_chaining_value": "00000000000000000000000000000000",
            "counter": 1,
            "segments": ["00"]
        }),
    );
    assert_eq!(out["card_cryptogram"], "081cdc01c26b372d");
    assert_eq!(out["host_cryptogram"], "8c36f96bcc00724a");
    assert_eq!(out["counter"], 2);
}

#[test]
fn bad_input_is_an_error_object() {
    let out = run(
        "wrap",
        &json!([
            bsp(json!({ "segments": ["00"], "level": "02" })),
            bsp(json!({ "segments": ["00"], "counter": 0 })),
            bsp(json!({ "segments": ["zz"] })),
            bsp(json!({ "package": "00", "max_segment_len": 10 })),
            { "segments": [] },
            "not an object"
        ]),
    );
    for (i, o) in out.as_array().unwrap().iter().enumerate() {
        assert!(o["error"].is_string(), "{i}: {o}");
    }
}
