//! SCP81 server session round trip: a POST carrying a 1 KB response script
//! (chunked, as cards send it) is parsed and matched, and the next `200`
//! with the next command script is emitted.
#![allow(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use smsr::scp81::http::{AdminRequest, BodyFraming, ScriptStatus};
use smsr::scp81::server::{Event, ServerConfig, ServerSession, UriBuf};

type Session = ServerSession<Vec<u8>, Vec<u8>, 4>;

/// `AB { 80 01 04, 4 × 23 <250 octets + 9000> }`, about 1 KB.
fn response_script() -> Vec<u8> {
    let mut body = vec![0x80, 0x01, 0x04];
    for i in 0..4u8 {
        body.extend([0x23, 0x81, 252]);
        body.extend(std::iter::repeat_n(i, 250));
        body.extend([0x90, 0x00]);
    }
    let mut s = vec![0xAB, 0x82, (body.len() >> 8) as u8, body.len() as u8];
    s.extend(body);
    s
}

fn command_script() -> Vec<u8> {
    let mut s = vec![0xAA, 0x81, 0xC4];
    for _ in 0..4 {
        s.extend([0x22, 0x2F, 0x80, 0xE2, 0x91, 0x00, 0x2A]);
        s.extend(std::iter::repeat_n(0x5A, 42));
    }
    s
}

/// A session that has sent script 1 and waits for its result.
fn ready() -> Session {
    let mut s: Session = ServerSession::new(
        ServerConfig::new(UriBuf::try_from("/gp/adm").unwrap()),
        vec![0u8; 8192],
    );
    s.push_script(command_script(), None).unwrap();
    s.push_script(command_script(), None).unwrap();
    s.connection_opened(Duration::ZERO);
    s.handle_input(
        b"POST /gp/adm HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\r\n",
        Duration::ZERO,
    )
    .unwrap();
    while s.poll_event().is_some() {}
    let mut out = vec![0u8; 2048];
    s.poll_transmit(&mut out, Duration::ZERO).unwrap().unwrap();
    s
}

fn bench(c: &mut Criterion) {
    let script = response_script();
    assert!(script.len() >= 1024);
    let req = AdminRequest {
        uri: "/gp/adm?n=1",
        host: Some("smsr.example"),
        from: Some(
            "//se-id/eid/89001012012341234012345678901224;//aa-id/aid/A000000559/1010FFFFFFFF8900000100",
        ),
        script_status: Some(ScriptStatus::Ok),
        resume: false,
        body: &script,
        framing: BodyFraming::Chunked(256),
    };
    let mut post = vec![0u8; req.buffer_len()];
    req.emit(&mut post).unwrap();
    let mut g = c.benchmark_group("scp81");
    g.throughput(Throughput::Bytes(post.len() as u64));
    g.bench_function("session_roundtrip", |b| {
        let mut out = vec![0u8; 2048];
        b.iter_batched(
            ready,
            |mut s| {
                s.handle_input(black_box(&post), Duration::ZERO).unwrap();
                match s.poll_event() {
                    Some(Event::Response { body, .. }) => assert_eq!(body.len(), 1027),
                    other => panic!("{other:?}"),
                }
                let n = s.poll_transmit(&mut out, Duration::ZERO).unwrap().unwrap();
                black_box(&out[..n]);
                s
            },
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
