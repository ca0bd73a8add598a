#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! End-to-end run of `smsr-tool scp80 ...` against pySim's published
//! vectors (osmocom/pysim@597f1e0 tests/unittests/test_ota.py), with the
//! binary Cargo built for this test run.

mod support;

use serde_json::{Value, json};

/// `smsr-tool scp80 SUB` on `input`.
fn run(sub: &str, input: &Value) -> Value {
    support::json(&["scp80", sub], input)
}

fn aes_keys() -> (Value, Value) {
    (
        json!({"algo": "aes", "kvn": 2, "key": "200102030405060708090a0b0c0d0e0f"}),
        json!({"algo": "aes", "kvn": 2, "key": "201102030405060708090a0b0c0d0e0f"}),
    )
}

#[test]
fn encode_decode_round_trip_through_the_binary() {
    let (kic, kid) = aes_keys();
    let input = json!([
        {"kic": kic, "kid": kid, "spi": "0619", "tar": "b00011", "cntr": "0000000000",
         "payload": "00a40004023f00"},
        {"kic": {"algo": "nope", "kvn": 1, "key": ""}, "kid": kid, "spi": "0619",
         "tar": "b00011", "cntr": "0000000000", "payload": ""},
        {"kic": kic, "kid": kid, "spi": "1639", "tar": "000001", "cntr": "0000000005",
         "payload": "ab".repeat(200)}
    ]);
    let out = run("encode-cmd", &input);
    let out = out.as_array().unwrap();
    assert_eq!(out.len(), 3);
    let packet =
        "00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058";
    assert_eq!(
        out[0]["command_packet_hex"]
            .as_str()
            .unwrap()
            .to_lowercase(),
        packet
    );
    assert_eq!(
        out[0]["sms_user_data_hex"].as_str().unwrap().to_lowercase(),
        format!("027000{packet}")
    );
    assert!(out[1]["error"].is_string());
    assert!(out[2]["sms_user_data_hex"].is_null());
    let segs = out[2]["sms_segments_hex"].as_array().unwrap();
    assert_eq!(segs.len(), 2);
    assert!(segs[0].as_str().unwrap().starts_with("070003050201700000"));

    // The card side takes the concatenated segments back.
    let dec = run(
        "decode-cmd",
        &json!({"kic": kic, "kid": kid, "cmd": [segs[1], segs[0]], "card_cntr": "0000000004"}),
    );
    assert_eq!(dec["por_status"], 0);
    assert_eq!(
        dec["payload"].as_str().unwrap().to_lowercase(),
        "ab".repeat(200)
    );
    // Replayed: the card answers CNTR low.
    let dec = run(
        "decode-cmd",
        &json!({"kic": kic, "kid": kid, "cmd": [segs[0], segs[1]], "card_cntr": "0000000005"}),
    );
    assert_eq!(dec["por_status"], 2);
    assert!(dec["payload"].is_null());
}

#[test]
fn decode_resp_of_real_card_pors() {
    let (kic, kid) = aes_keys();
    let t3 = json!({"algo": "3des2", "kvn": 3, "key": "300102030405060708090a0b0c0d0e0f"});
    let t3d = json!({"algo": "3des2", "kvn": 3, "key": "301102030405060708090a0b0c0d0e0f"});
    let out = run(
        "decode-resp",
        &json!([
            {"kic": kic, "kid": kid, "spi": "0619",
             "resp": "027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f"},
            {"kic": t3, "kid": t3d, "spi": "0609",
             "resp": "001612b0001100000000000000b5bcd6353a421fae016132"},
            {"kic": t3, "kid": t3d, "spi": "0609",
             "resp": "027100001612b0001100000000000000b5bcd6353a421fae026132"}
        ]),
    );
    for i in 0..2 {
        assert_eq!(out[i]["status"], 0);
        assert_eq!(out[i]["tar"].as_str().unwrap().to_lowercase(), "b00011");
        assert_eq!(out[i]["cntr"].as_str().unwrap(), "0000000000");
        assert_eq!(
            out[i]["secured_data"].as_str().unwrap().to_lowercase(),
            "016132"
        );
    }
    assert!(out[2]["error"].is_string());
}
