#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! HTTP admin codec round trips: every emitted message parses back to the
//! same fields, and feeding it split at every byte boundary (to the parser
//! and to the sessions) gives "need more" until the last byte and the same
//! result after it.

use std::time::Duration;

use proptest::prelude::*;
use smsr::scp81::card::{CardConfig, CardEvent, CardSession, ScriptExecutor};
use smsr::scp81::http::{
    AdminReply, AdminRequest, AdminResponse, BodyFraming, Limits, ScriptStatus, Status, parse_post,
    parse_reply,
};
use smsr::scp81::server::{Event, ServerConfig, ServerSession, UriBuf};

fn request(
    body: &[u8],
    framing: BodyFraming,
    status: Option<ScriptStatus>,
    resume: bool,
) -> Vec<u8> {
    let r = AdminRequest {
        uri: "/gp/adm?n=1",
        host: Some("smsr.example"),
        from: Some(
            "//se-id/eid/89001012012341234012345678901224;//aa-id/aid/A000000559/1010FFFFFFFF8900000100",
        ),
        script_status: status,
        resume,
        body,
        framing,
    };
    let mut v = vec![0u8; r.buffer_len()];
    assert_eq!(r.emit(&mut v).unwrap(), v.len());
    v
}

fn response(script: &[u8], framing: BodyFraming, aid: Option<&[u8]>) -> Vec<u8> {
    let r = AdminResponse::Script {
        script,
        next_uri: Some("/gp/adm?n=2"),
        targeted_application: aid,
        framing,
    };
    let mut v = vec![0u8; r.buffer_len()];
    assert_eq!(r.emit(&mut v).unwrap(), v.len());
    v
}

fn response_script(n: usize) -> Vec<u8> {
    let mut body: Vec<u8> = vec![
        0x80,
        0x01,
        0x01,
        0x23,
        0x82,
        ((n + 2) >> 8) as u8,
        (n + 2) as u8,
    ];
    body.extend((0..n).map(|i| i as u8));
    body.extend([0x90, 0x00]);
    let mut s = vec![0xAB, 0x82, (body.len() >> 8) as u8, body.len() as u8];
    s.extend(body);
    s
}

fn uri(s: &str) -> UriBuf {
    UriBuf::try_from(s).unwrap()
}

/// A server session that has sent script 1 and waits for its result.
fn server_waiting() -> ServerSession<Vec<u8>, Vec<u8>, 4> {
    let mut s = ServerSession::new(ServerConfig::new(uri("/gp/adm")), vec![0u8; 8192]);
    s.push_script(
        vec![0xAA, 0x07, 0x22, 0x05, 0x80, 0xCA, 0x00, 0x85, 0x00],
        None,
    )
    .unwrap();
    s.connection_opened(Duration::ZERO);
    s.handle_input(
        b"POST /gp/adm HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\r\n",
        Duration::ZERO,
    )
    .unwrap();
    while s.poll_event().is_some() {}
    let mut out = vec![0u8; 1024];
    s.poll_transmit(&mut out, Duration::ZERO).unwrap().unwrap();
    s
}

#[test]
fn chunked_request_split_at_every_byte_boundary() {
    let body = response_script(300);
    for framing in [
        BodyFraming::Chunked(1),
        BodyFraming::Chunked(7),
        BodyFraming::Chunked(128),
        BodyFraming::ContentLength,
    ] {
        let msg = request(&body, framing, Some(ScriptStatus::Ok), false);
        for k in 0..msg.len() {
            assert_eq!(
                parse_post(&msg[..k], &Limits::DEFAULT).unwrap(),
                Status::Partial,
                "{framing:?} cut {k}"
            );
        }
        let Status::Complete(post, n) = parse_post(&msg, &Limits::DEFAULT).unwrap() else {
            panic!()
        };
        assert_eq!(n, msg.len());
        let mut out = vec![0u8; post.body.len()];
        assert_eq!(post.body.copy_to(&mut out).unwrap(), &body[..]);
        // The session gets the same result whatever the split point.
        for k in (0..=msg.len()).step_by(if matches!(framing, BodyFraming::Chunked(1)) {
            1
        } else {
            3
        }) {
            let mut s = server_waiting();
            s.handle_input(&msg[..k], Duration::ZERO).unwrap();
            if k < msg.len() {
                assert!(s.poll_event().is_none(), "event before the end at cut {k}");
                s.handle_input(&msg[k..], Duration::ZERO).unwrap();
            }
            match s.poll_event() {
                Some(Event::Response {
                    id: 0,
                    status: ScriptStatus::Ok,
                    body: got,
                    executed: Some(1),
                }) => assert_eq!(got, &body[..]),
                other => panic!("cut {k}: {other:?}"),
            }
        }
    }
}

struct Recorder(Vec<Vec<u8>>);

impl ScriptExecutor for Recorder {
    fn execute(
        &mut self,
        _t: Option<&[u8]>,
        script: &[u8],
        response: &mut [u8],
    ) -> (ScriptStatus, usize) {
        self.0.push(script.to_vec());
        response[..2].copy_from_slice(&[0xAB, 0x00]);
        (ScriptStatus::Ok, 2)
    }
}

#[test]
fn chunked_response_split_at_every_byte_boundary() {
    let script: Vec<u8> = (0..400u32).map(|i| (i * 7) as u8).collect();
    for framing in [
        BodyFraming::Chunked(1),
        BodyFraming::Chunked(100),
        BodyFraming::ContentLength,
    ] {
        let msg = response(
            &script,
            framing,
            Some(&[0xA0, 0x00, 0x00, 0x05, 0x59, 0x10]),
        );
        for k in 0..msg.len() {
            assert_eq!(
                parse_reply(&msg[..k], &Limits::DEFAULT).unwrap(),
                Status::Partial,
                "cut {k}"
            );
        }
        let Status::Complete(
            AdminReply::Script {
                body,
                next_uri,
                targeted_application,
            },
            _,
        ) = parse_reply(&msg, &Limits::DEFAULT).unwrap()
        else {
            panic!()
        };
        assert_eq!(next_uri, Some("/gp/adm?n=2"));
        assert_eq!(
            targeted_application.as_deref(),
            Some(&[0xA0, 0x00, 0x00, 0x05, 0x59, 0x10][..])
        );
        assert_eq!(body.pieces().flatten().copied().collect::<Vec<_>>(), script);
        for k in (0..=msg.len()).step_by(5) {
            let mut c = CardSession::new(
                CardConfig::new(uri("/gp/adm")),
                vec![0u8; 8192],
                vec![0u8; 64],
            );
            let mut out = vec![0u8; 1024];
            c.poll_transmit(&mut out, Duration::ZERO).unwrap().unwrap();
            let mut rec = Recorder(Vec::new());
            c.handle_input(&msg[..k], Duration::ZERO, &mut rec).unwrap();
            if k < msg.len() {
                assert!(rec.0.is_empty());
                c.handle_input(&msg[k..], Duration::ZERO, &mut rec).unwrap();
            }
            assert_eq!(rec.0, std::slice::from_ref(&script), "cut {k}");
            assert_eq!(c.poll_event(), Some(CardEvent::Executed(ScriptStatus::Ok)));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn request_round_trip(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        chunk in proptest::option::of(1usize..300),
        status in proptest::option::of(prop_oneof![
            Just(ScriptStatus::Ok), Just(ScriptStatus::SecurityError), Just(ScriptStatus::UnknownApplication),
            "[a-z-]{1,40}".prop_map(|s| ScriptStatus::parse(&s).unwrap()),
        ]),
        resume in any::<bool>(),
        split in any::<prop::sample::Index>(),
    ) {
        let framing = chunk.map_or(BodyFraming::ContentLength, BodyFraming::Chunked);
        let msg = request(&body, framing, status.clone(), resume);
        let cut = split.index(msg.len() + 1);
        if cut < msg.len() {
            prop_assert_eq!(parse_post(&msg[..cut], &Limits::DEFAULT).unwrap(), Status::Partial);
        }
        let Status::Complete(post, n) = parse_post(&msg, &Limits::DEFAULT).unwrap() else { panic!() };
        prop_assert_eq!(n, msg.len());
        prop_assert_eq!(post.script_status, status);
        prop_assert_eq!(post.resume, resume);
        prop_assert_eq!(post.body.pieces().flatten().copied().collect::<Vec<_>>(), body);
    }

    #[test]
    fn response_round_trip(
        script in proptest::collection::vec(any::<u8>(), 0..600),
        chunk in proptest::option::of(1usize..300),
        aid in proptest::option::of(proptest::collection::vec(any::<u8>(), 5..=16)),
    ) {
        let framing = chunk.map_or(BodyFraming::ContentLength, BodyFraming::Chunked);
        let msg = response(&script, framing, aid.as_deref());
        let Status::Complete(AdminReply::Script { body, targeted_application, .. }, n) =
            parse_reply(&msg, &Limits::DEFAULT).unwrap() else { panic!() };
        prop_assert_eq!(n, msg.len());
        prop_assert_eq!(targeted_application.map(|a| a.to_vec()), aid);
        prop_assert_eq!(body.pieces().flatten().copied().collect::<Vec<_>>(), script);
    }

    #[test]
    fn parsers_never_panic(input in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_post(&input, &Limits::DEFAULT);
        let _ = parse_reply(&input, &Limits::DEFAULT);
    }
}
