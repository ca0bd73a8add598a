#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Trigger TLV known answers from pySim (see tests/data/scp81/README.md),
//! and round-trip properties.

use proptest::prelude::*;
use smsr::scp81::trigger::{
    BearerDescription, BearerType, ConnectionParams, Ctlv, DnsParams, HttpPostParams, OtherAddress,
    RetryPolicy, SecurityParams, SessionParams, TimerValue, TransportLevel, TransportProtocol,
    TriggerParams,
};

fn oracle(name: &str) -> Vec<u8> {
    let text = include_str!("data/scp81/trigger_pysim.json");
    let v: serde_json::Value = serde_json::from_str(text).unwrap();
    hex::decode(v[name]["hex"].as_str().unwrap()).unwrap()
}

fn emit(t: &TriggerParams<'_>) -> Vec<u8> {
    let mut v = vec![0u8; t.buffer_len()];
    let n = t.emit(&mut v).unwrap();
    assert_eq!(n, v.len());
    v
}

const AGENT: &str =
    "//se-id/eid/89001012012341234012345678901224;//aa-id/aid/A000000559/1010FFFFFFFF8900000100";

#[test]
fn pysim_full_trigger() {
    let bytes = oracle("full");
    // OPEN CHANNEL TLVs as pySim's cat.py codes them (comprehension bit set).
    let connection = hex::decode("b50103b9020578bc030201bbbe05217f000001").unwrap();
    let ours = TriggerParams {
        session: Some(SessionParams {
            connection: Some(&connection),
            security: Some(SecurityParams {
                psk_identity: b"8001028110",
                kvn: 0x40,
                kid: 0x01,
                extra: &[],
            }),
            extended_security: None,
            retry_policy: Some(RetryPolicy {
                counter: 3,
                waiting_delay: TimerValue {
                    comprehension_required: false,
                    hms: [0x00, 0x01, 0x00],
                },
                failure_report: &[],
            }),
            http_post: Some(HttpPostParams {
                host: Some("smsr.example"),
                agent_id: Some(AGENT),
                uri: Some("/gp/adm?eid=1"),
            }),
        }),
        dns: None,
    };
    assert_eq!(hex::encode(emit(&ours)), hex::encode(&bytes));
    assert_eq!(TriggerParams::parse(&bytes).unwrap(), ours);
}

#[test]
fn pysim_minimal_and_dns_triggers() {
    let minimal = oracle("minimal");
    let t = TriggerParams::parse(&minimal).unwrap();
    assert_eq!(t.session.unwrap().http_post.unwrap().uri, Some("/a"));
    assert_eq!(emit(&t), minimal);

    let dns = oracle("dns");
    let fqdn = b"\x04smsr\x07example\x00";
    let ours = TriggerParams {
        session: Some(SessionParams {
            http_post: Some(HttpPostParams {
                host: Some("smsr.example"),
                ..HttpPostParams::default()
            }),
            ..SessionParams::default()
        }),
        dns: Some(DnsParams {
            fqdn: Some(fqdn),
            connection: Some(&[0xB9, 0x02, 0x02, 0x00]),
        }),
    };
    assert_eq!(emit(&ours), dns);
    assert_eq!(TriggerParams::parse(&dns).unwrap(), ours);
}

/// njiwa's default-configuration push (`RamHttp.makeRAMHttpPushCommand`
/// with `ramUseDefaultConfig`): `81 00`. Its full form ends the retry
/// policy with a retry failure report TLV `87 00`, kept here as raw octets.
#[test]
fn njiwa_forms() {
    assert_eq!(
        TriggerParams::parse(&[0x81, 0x00]).unwrap(),
        TriggerParams::default()
    );
    let bytes = hex::decode("810d830b86090001a5030000108700").unwrap();
    let t = TriggerParams::parse(&bytes).unwrap();
    let r = t.session.unwrap().retry_policy.unwrap();
    assert_eq!(
        (
            r.counter,
            r.waiting_delay.comprehension_required,
            r.waiting_delay.hms
        ),
        (1, true, [0, 0, 0x10])
    );
    assert_eq!(r.failure_report, [0x87, 0x00]);
    assert_eq!(emit(&t), bytes);
}

fn text() -> impl Strategy<Value = String> {
    "[ -~]{0,40}"
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

proptest! {
    #[test]
    fn emit_parse_round_trip(
        conn in proptest::option::of(bytes(300)),
        sec in proptest::option::of((bytes(255), any::<u8>(), any::<u8>(), bytes(4))),
        ext in proptest::option::of(bytes(20)),
        retry in proptest::option::of((any::<u16>(), any::<bool>(), any::<[u8; 3]>(), bytes(6))),
        post in proptest::option::of((proptest::option::of(text()), proptest::option::of(text()), proptest::option::of(text()))),
        dns in proptest::option::of((proptest::option::of(bytes(40)), proptest::option::of(bytes(40)))),
        has_session in any::<bool>(),
    ) {
        let session = has_session.then(|| SessionParams {
            connection: conn.as_deref(),
            security: sec.as_ref().map(|(id, kvn, kid, extra)| SecurityParams { psk_identity: id, kvn: *kvn, kid: *kid, extra }),
            extended_security: ext.as_deref(),
            retry_policy: retry.as_ref().map(|(c, cr, hms, rep)| RetryPolicy {
                counter: *c,
                waiting_delay: TimerValue { comprehension_required: *cr, hms: *hms },
                failure_report: rep,
            }),
            http_post: post.as_ref().map(|(h, a, u)| HttpPostParams { host: h.as_deref(), agent_id: a.as_deref(), uri: u.as_deref() }),
        });
        let t = TriggerParams { session, dns: dns.as_ref().map(|(f, c)| DnsParams { fqdn: f.as_deref(), connection: c.as_deref() }) };
        let out = emit(&t);
        prop_assert_eq!(TriggerParams::parse(&out).unwrap(), t);
    }

    /// TS 102 223 §6.6.27 connection parameters: what emit writes, parse
    /// reads back, comprehension-required bits included.
    #[test]
    fn connection_params_round_trip(
        bearer in proptest::option::of((any::<bool>(), any::<u8>(), bytes(8))),
        buffer in proptest::option::of((any::<bool>(), any::<u16>())),
        nan in proptest::option::of(bytes(200)),
        local in proptest::option::of(any::<[u8; 4]>()),
        transport in proptest::option::of((any::<bool>(), any::<u8>(), any::<u16>())),
        destination in proptest::option::of((any::<bool>(), any::<[u8; 16]>())),
    ) {
        let c = ConnectionParams {
            bearer: bearer.as_ref().map(|(cr, t, p)| Ctlv {
                comprehension_required: *cr,
                value: BearerDescription { bearer_type: BearerType(*t), parameters: p },
            }),
            buffer_size: buffer.map(|(cr, s)| Ctlv { comprehension_required: cr, value: s }),
            network_access_name: nan.as_deref().map(Ctlv::new),
            local_address: local.map(|a| Ctlv::new(OtherAddress::Ipv4(a.into()))),
            transport: transport.map(|(cr, p, port)| Ctlv {
                comprehension_required: cr,
                value: TransportLevel { protocol: TransportProtocol(p), port },
            }),
            destination: transport.and(destination).map(|(cr, a)| Ctlv {
                comprehension_required: cr,
                value: OtherAddress::Ipv6(a.into()),
            }),
            ..ConnectionParams::default()
        };
        let mut out = vec![0u8; c.buffer_len()];
        let n = c.emit(&mut out).unwrap();
        prop_assert_eq!(n, out.len());
        prop_assert_eq!(ConnectionParams::parse(&out).unwrap(), c);
    }

    #[test]
    fn parse_never_panics_and_reemits_what_it_accepts(input in bytes(200)) {
        if let Ok(t) = TriggerParams::parse(&input) {
            prop_assert_eq!(emit(&t), input.clone());
        }
        if let Ok(c) = ConnectionParams::parse(&input) {
            let mut out = vec![0u8; c.buffer_len()];
            prop_assert_eq!(c.emit(&mut out), Ok(out.len()));
            prop_assert_eq!(out, input);
        }
    }
}
