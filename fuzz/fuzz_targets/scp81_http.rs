//! SCP81 HTTP admin parsers fed incrementally: the input is cut at random
//! points, every prefix before the end of the message must say "need more",
//! the complete message must parse the same however it was cut, and what
//! parsed must re-emit and re-parse to the same fields. Never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::scp81::http::{
    AdminReply, AdminRequest, AdminResponse, BodyFraming, Limits, Status, parse_post, parse_reply,
};

const LIMITS: Limits = Limits {
    max_headers: 16,
    max_head_len: 1024,
    max_body_len: 4096,
};

fn body_bytes(b: &smsr::scp81::http::Body<'_>) -> Vec<u8> {
    let mut v = vec![0u8; b.len()];
    b.copy_to(&mut v).unwrap();
    v
}

fuzz_target!(|data: &[u8]| {
    let Some((&seed, msg)) = data.split_first() else {
        return;
    };
    let whole_post = parse_post(msg, &LIMITS);
    let whole_reply = parse_reply(msg, &LIMITS);
    // Incremental: grow the prefix by steps derived from the seed.
    let step = usize::from(seed % 17) + 1;
    let mut cut = 0;
    while cut < msg.len() {
        match parse_post(&msg[..cut], &LIMITS) {
            Ok(Status::Complete(_, n)) => {
                // A complete parse of a prefix is the whole parse.
                let Ok(Status::Complete(_, m)) = &whole_post else {
                    panic!("prefix complete, whole not")
                };
                assert_eq!(n, *m);
                break;
            }
            Ok(Status::Partial) | Err(_) => {}
        }
        let _ = parse_reply(&msg[..cut], &LIMITS);
        cut += step;
    }
    if let Ok(Status::Complete(post, n)) = whole_post {
        assert!(n <= msg.len());
        let body = body_bytes(&post.body);
        let again = AdminRequest {
            uri: post.uri,
            host: post.host,
            from: post.from,
            script_status: post.script_status.clone(),
            resume: post.resume,
            body: &body,
            framing: if seed & 1 == 0 {
                BodyFraming::ContentLength
            } else {
                BodyFraming::Chunked(usize::from(seed))
            },
        };
        let mut out = vec![0u8; again.buffer_len()];
        if again.emit(&mut out).is_ok() {
            let Ok(Status::Complete(p2, _)) = parse_post(&out, &Limits::DEFAULT) else {
                panic!("re-emitted POST does not parse")
            };
            assert_eq!(
                (p2.uri, p2.script_status, p2.resume),
                (post.uri, post.script_status, post.resume)
            );
            assert_eq!(body_bytes(&p2.body), body);
        }
    }
    if let Ok(Status::Complete(
        AdminReply::Script {
            next_uri,
            targeted_application,
            body,
        },
        _,
    )) = whole_reply
    {
        let script = body_bytes(&body);
        let again = AdminResponse::Script {
            script: &script,
            next_uri,
            targeted_application: targeted_application.as_deref(),
            framing: BodyFraming::Chunked(usize::from(seed) + 1),
        };
        let mut out = vec![0u8; again.buffer_len()];
        if again.emit(&mut out).is_ok() {
            let Ok(Status::Complete(
                AdminReply::Script {
                    body: b2,
                    next_uri: u2,
                    ..
                },
                _,
            )) = parse_reply(&out, &Limits::DEFAULT)
            else {
                panic!("re-emitted response does not parse")
            };
            assert_eq!(u2, next_uri);
            assert_eq!(body_bytes(&b2), script);
        }
    }
});
