#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Server and card sessions talking to each other in memory: multi-script
//! sessions, chunked and Content-Length framing, resume after a broken
//! connection, script errors, timeouts, limits and garbage.

use std::time::Duration;

use smsr::scp81::Error;
use smsr::scp81::card::{CardConfig, CardEvent, CardSession, ScriptExecutor};
use smsr::scp81::http::{BodyFraming, Limits, ScriptStatus};
use smsr::scp81::server::{EndReason, Event, ScriptId, ServerConfig, ServerSession, UriBuf};

/// Answers `AA … 22 <apdu>` scripts with `AB { 80 01 01, 23 <apdu[1..2]> 90 00 }`,
/// i.e. one R-APDU echoing the INS; remembers what it ran.
#[derive(Default)]
struct EchoCard {
    ran: Vec<(Option<Vec<u8>>, Vec<u8>)>,
    fail_with: Option<ScriptStatus>,
}

impl ScriptExecutor for EchoCard {
    fn execute(
        &mut self,
        target: Option<&[u8]>,
        script: &[u8],
        response: &mut [u8],
    ) -> (ScriptStatus, usize) {
        self.ran.push((target.map(<[u8]>::to_vec), script.to_vec()));
        if let Some(s) = &self.fail_with {
            return (s.clone(), 0);
        }
        let (cs, _) = smsr::remote::CommandScript::parse(script).unwrap();
        let ins = cs.c_apdus().next().unwrap().unwrap()[1];
        let r = [0xAB, 0x08, 0x80, 0x01, 0x01, 0x23, 0x03, ins, 0x90, 0x00];
        response[..r.len()].copy_from_slice(&r);
        (ScriptStatus::Ok, r.len())
    }
}

fn script(ins: u8, pad: usize) -> Vec<u8> {
    let mut apdu = vec![0x80, ins, 0x00, 0x00];
    if pad > 0 {
        apdu.push(pad as u8);
        apdu.extend(std::iter::repeat_n(0x5A, pad));
    }
    // BER lengths: one octet up to 127, `81 xx` up to 255.
    fn len(n: usize) -> Vec<u8> {
        if n < 128 {
            vec![n as u8]
        } else {
            vec![0x81, n as u8]
        }
    }
    let mut inner = vec![0x22];
    inner.extend(len(apdu.len()));
    inner.extend(apdu);
    let mut s = vec![0xAA];
    s.extend(len(inner.len()));
    s.extend(inner);
    s
}

fn uri(s: &str) -> UriBuf {
    UriBuf::try_from(s).unwrap()
}

type Server = ServerSession<Vec<u8>, Vec<u8>, 8>;
type Card = CardSession<Vec<u8>>;

fn server(cfg: ServerConfig) -> Server {
    ServerSession::new(cfg, vec![0u8; 16384])
}

fn card(framing: BodyFraming) -> Card {
    let mut cfg = CardConfig::new(uri("/gp/adm"));
    cfg.host = Some(heapless::String::try_from("smsr.example").unwrap());
    cfg.agent_id = Some(
        heapless::String::try_from(
            "//se-id/eid/89001012012341234012345678901224;//aa-id/aid/A000000559/1010FFFFFFFF8900000100",
        )
        .unwrap(),
    );
    cfg.framing = framing;
    CardSession::new(cfg, vec![0u8; 16384], vec![0u8; 4096])
}

#[derive(Debug, Default)]
struct Log {
    opened: Vec<Option<String>>,
    responses: Vec<(ScriptId, ScriptStatus, Vec<u8>)>,
    executed: Vec<Option<u32>>,
    ended: Vec<EndReason>,
}

fn drain(s: &mut Server, log: &mut Log) {
    while let Some(ev) = s.poll_event() {
        match ev {
            Event::Opened { agent_id } => log.opened.push(agent_id.map(str::to_owned)),
            Event::Response {
                id,
                status,
                body,
                executed,
            } => {
                log.responses.push((id, status, body.to_vec()));
                log.executed.push(executed);
            }
            Event::Ended(r) => log.ended.push(r),
        }
    }
}

/// Moves bytes both ways, `step` bytes at a time, until nothing moves.
fn pump(
    s: &mut Server,
    c: &mut Card,
    exec: &mut EchoCard,
    log: &mut Log,
    step: usize,
    now: Duration,
) -> Vec<CardEvent> {
    let mut card_events = Vec::new();
    let mut buf = vec![0u8; 32768];
    loop {
        let mut moved = false;
        if let Some(n) = c.poll_transmit(&mut buf, now).unwrap() {
            for piece in buf[..n].chunks(step) {
                s.handle_input(piece, now).unwrap();
                drain(s, log);
            }
            moved = true;
        }
        drain(s, log);
        if let Some(n) = s.poll_transmit(&mut buf, now).unwrap() {
            drain(s, log);
            for piece in buf[..n].chunks(step) {
                c.handle_input(piece, now, exec).unwrap();
            }
            moved = true;
        }
        while let Some(e) = c.poll_event() {
            card_events.push(e);
        }
        if !moved {
            return card_events;
        }
    }
}

#[test]
fn multi_script_session_every_framing_and_split() {
    for (server_framing, card_framing) in [
        (BodyFraming::ContentLength, BodyFraming::ContentLength),
        (BodyFraming::Chunked(7), BodyFraming::Chunked(3)),
        (BodyFraming::Chunked(100), BodyFraming::ContentLength),
    ] {
        for step in [1, 5, 4096] {
            let mut cfg = ServerConfig::new(uri("/gp/adm"));
            cfg.framing = server_framing;
            let mut s = server(cfg);
            let isd_p = [
                0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00,
                0x11, 0x00,
            ];
            let a = s.push_script(script(0xCA, 0), None).unwrap();
            let b = s.push_script(script(0xE2, 200), Some(&isd_p)).unwrap();
            let c_ = s.push_script(script(0xE4, 3), None).unwrap();
            let mut c = card(card_framing);
            let mut exec = EchoCard::default();
            let mut log = Log::default();
            s.connection_opened(Duration::ZERO);
            let ce = pump(&mut s, &mut c, &mut exec, &mut log, step, Duration::ZERO);
            assert_eq!(log.opened.len(), 1);
            assert!(
                log.opened[0]
                    .as_deref()
                    .unwrap()
                    .starts_with("//se-id/eid/8900")
            );
            let ids: Vec<_> = log.responses.iter().map(|r| r.0).collect();
            assert_eq!(ids, [a, b, c_]);
            assert_eq!(
                log.responses[1].2,
                [0xAB, 0x08, 0x80, 0x01, 0x01, 0x23, 0x03, 0xE2, 0x90, 0x00]
            );
            assert!(log.responses.iter().all(|r| r.1 == ScriptStatus::Ok));
            assert_eq!(log.ended, [EndReason::Completed]);
            assert!(s.is_closed());
            assert_eq!(exec.ran.len(), 3);
            assert_eq!(exec.ran[1].0.as_deref(), Some(&isd_p[..]));
            assert_eq!(exec.ran[1].1, script(0xE2, 200));
            assert_eq!(ce.last(), Some(&CardEvent::Ended(EndReason::Completed)));
            assert!(c.is_ended());
        }
    }
}

#[test]
fn empty_queue_ends_with_204_and_deferred_scripts_are_sent() {
    let mut s = server(ServerConfig::new(uri("/a?x=1")));
    s.expect_more(true);
    let mut c = card(BodyFraming::Chunked(16));
    let (mut exec, mut log) = (EchoCard::default(), Log::default());
    s.connection_opened(Duration::ZERO);
    pump(&mut s, &mut c, &mut exec, &mut log, 64, Duration::ZERO);
    // The first POST is held open: nothing queued yet.
    assert_eq!(log.opened.len(), 1);
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(30)));
    let id = s.push_script(script(0xCA, 0), None).unwrap();
    pump(
        &mut s,
        &mut c,
        &mut exec,
        &mut log,
        64,
        Duration::from_secs(1),
    );
    assert_eq!(log.responses.len(), 1);
    assert_eq!(log.responses[0].0, id);
    // Still expecting more; the integrator says it is done.
    s.expect_more(false);
    pump(
        &mut s,
        &mut c,
        &mut exec,
        &mut log,
        64,
        Duration::from_secs(2),
    );
    assert_eq!(log.ended, [EndReason::Completed]);
    assert!(c.is_ended());
}

#[test]
fn deferred_post_times_out_with_204() {
    let mut s = server(ServerConfig::new(uri("/a")));
    s.expect_more(true);
    let mut c = card(BodyFraming::ContentLength);
    let (mut exec, mut log) = (EchoCard::default(), Log::default());
    s.connection_opened(Duration::ZERO);
    pump(&mut s, &mut c, &mut exec, &mut log, 64, Duration::ZERO);
    s.handle_timeout(Duration::from_secs(31));
    pump(
        &mut s,
        &mut c,
        &mut exec,
        &mut log,
        64,
        Duration::from_secs(31),
    );
    assert_eq!(log.ended, [EndReason::Aborted]);
    assert!(c.is_ended());
}

#[test]
fn resume_when_script_was_lost() {
    let mut s = server(ServerConfig::new(uri("/gp/adm")));
    let a = s.push_script(script(0x01, 0), None).unwrap();
    let b = s.push_script(script(0x02, 0), None).unwrap();
    let mut c = card(BodyFraming::ContentLength);
    let (mut exec, mut log) = (EchoCard::default(), Log::default());
    let mut buf = vec![0u8; 8192];
    let t = Duration::ZERO;
    s.connection_opened(t);
    // First POST and script 1 go through.
    let n = c.poll_transmit(&mut buf, t).unwrap().unwrap();
    s.handle_input(&buf[..n], t).unwrap();
    drain(&mut s, &mut log);
    let n = s.poll_transmit(&mut buf, t).unwrap().unwrap();
    c.handle_input(&buf[..n], t, &mut exec).unwrap();
    // The card posts the result of script 1; the server answers with
    // script 2, but the connection breaks before the card gets it.
    let n = c.poll_transmit(&mut buf, t).unwrap().unwrap();
    s.handle_input(&buf[..n], t).unwrap();
    drain(&mut s, &mut log);
    assert_eq!(log.responses.len(), 1);
    let _lost = s.poll_transmit(&mut buf, t).unwrap().unwrap();
    s.connection_closed(t);
    c.connection_lost();
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(300)));
    // New connection: the card repeats its POST with X-Admin-Resume.
    s.connection_opened(Duration::from_secs(10));
    let n = c.poll_transmit(&mut buf, t).unwrap().unwrap();
    assert!(buf[..n].windows(20).any(|w| w == b"X-Admin-Resume: true"));
    s.handle_input(&buf[..n], Duration::from_secs(10)).unwrap();
    drain(&mut s, &mut log);
    assert_eq!(
        log.responses.len(),
        1,
        "result of script 1 not recorded twice"
    );
    pump(
        &mut s,
        &mut c,
        &mut exec,
        &mut log,
        4096,
        Duration::from_secs(10),
    );
    let ids: Vec<_> = log.responses.iter().map(|r| r.0).collect();
    assert_eq!(ids, [a, b]);
    assert_eq!(log.ended, [EndReason::Completed]);
    assert_eq!(exec.ran.len(), 2);
}

#[test]
fn resume_when_result_was_lost() {
    let mut s = server(ServerConfig::new(uri("/gp/adm")));
    let a = s.push_script(script(0x01, 0), None).unwrap();
    let mut c = card(BodyFraming::ContentLength);
    let (mut exec, mut log) = (EchoCard::default(), Log::default());
    let mut buf = vec![0u8; 8192];
    let t = Duration::ZERO;
    s.connection_opened(t);
    let n = c.poll_transmit(&mut buf, t).unwrap().unwrap();
    s.handle_input(&buf[..n], t).unwrap();
    drain(&mut s, &mut log);
    let n = s.poll_transmit(&mut buf, t).unwrap().unwrap();
    c.handle_input(&buf[..n], t, &mut exec).unwrap();
    // The result POST is cut in the middle.
    let n = c.poll_transmit(&mut buf, t).unwrap().unwrap();
    s.handle_input(&buf[..n - 3], t).unwrap();
    s.connection_closed(t);
    c.connection_lost();
    s.connection_opened(t);
    pump(&mut s, &mut c, &mut exec, &mut log, 4096, t);
    assert_eq!(log.responses.len(), 1);
    assert_eq!(log.responses[0].0, a);
    assert_eq!(log.ended, [EndReason::Completed]);
}

#[test]
fn script_status_errors_are_reported_and_can_stop_the_session() {
    for stop in [false, true] {
        let mut cfg = ServerConfig::new(uri("/gp/adm"));
        cfg.stop_on_script_error = stop;
        let mut s = server(cfg);
        s.push_script(script(0x01, 0), Some(&[0xA0, 0, 0, 0, 0x99]))
            .unwrap();
        s.push_script(script(0x02, 0), None).unwrap();
        let mut c = card(BodyFraming::ContentLength);
        let mut exec = EchoCard {
            fail_with: Some(ScriptStatus::UnknownApplication),
            ..EchoCard::default()
        };
        let mut log = Log::default();
        s.connection_opened(Duration::ZERO);
        pump(&mut s, &mut c, &mut exec, &mut log, 4096, Duration::ZERO);
        assert_eq!(log.responses[0].1, ScriptStatus::UnknownApplication);
        assert!(log.responses[0].2.is_empty());
        if stop {
            assert_eq!(log.responses.len(), 1);
            assert_eq!(log.ended, [EndReason::Aborted]);
        } else {
            assert_eq!(log.responses.len(), 2);
            assert_eq!(log.ended, [EndReason::Completed]);
        }
    }
}

fn first_post(s: &mut Server, log: &mut Log) -> Vec<u8> {
    let mut c = card(BodyFraming::ContentLength);
    let mut buf = vec![0u8; 4096];
    let n = c.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
    s.connection_opened(Duration::ZERO);
    s.handle_input(&buf[..n], Duration::ZERO).unwrap();
    drain(s, log);
    let n = s.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
    buf[..n].to_vec()
}

#[test]
fn stalled_client_times_out_with_408() {
    let mut s = server(ServerConfig::new(uri("/gp/adm")));
    s.push_script(script(0x01, 0), None).unwrap();
    let mut log = Log::default();
    first_post(&mut s, &mut log);
    // Half a POST, then silence.
    s.handle_input(b"POST /gp/adm?n=1 HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nContent-Length: 10\r\n\r\nAB", Duration::from_secs(1)).unwrap();
    s.handle_timeout(Duration::from_secs(29));
    assert!(!s.is_ended());
    s.handle_timeout(Duration::from_secs(30));
    drain(&mut s, &mut log);
    assert_eq!(log.ended, [EndReason::Timeout]);
    let mut buf = [0u8; 256];
    let n = s
        .poll_transmit(&mut buf, Duration::from_secs(30))
        .unwrap()
        .unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 408 Request Timeout\r\n"));
    assert!(s.is_closed());
    assert_eq!(
        s.handle_input(b"x", Duration::from_secs(31)),
        Err(Error::Ended)
    );
}

#[test]
fn card_that_never_connects_after_the_trigger_times_out() {
    let mut s = server(ServerConfig::new(uri("/gp/adm")));
    s.push_script(script(0x01, 0), None).unwrap();
    assert_eq!(s.poll_timeout(), None);
    s.trigger_sent(Duration::from_secs(2));
    assert_eq!(s.poll_timeout(), Some(Duration::from_secs(302)));
    s.handle_timeout(Duration::from_secs(301));
    assert!(!s.is_ended());
    s.handle_timeout(Duration::from_secs(302));
    let mut log = Log::default();
    drain(&mut s, &mut log);
    assert_eq!(log.ended, [EndReason::Timeout]);
    assert!(s.is_closed());
}

#[test]
fn card_that_never_comes_back_times_out() {
    let mut s = server(ServerConfig::new(uri("/gp/adm")));
    s.push_script(script(0x01, 0), None).unwrap();
    let mut log = Log::default();
    first_post(&mut s, &mut log);
    s.connection_closed(Duration::from_secs(1));
    s.handle_timeout(Duration::from_secs(301));
    drain(&mut s, &mut log);
    assert_eq!(log.ended, [EndReason::Timeout]);
    assert!(s.is_closed());
}

#[test]
fn oversize_body_garbage_and_wrong_uri_end_the_session_with_an_error_status() {
    let cases: Vec<(Vec<u8>, Error, &[u8])> = vec![
        (
            b"POST /gp/adm?n=1 HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nContent-Length: 70000\r\n\r\n".to_vec(),
            Error::BodyTooLarge { size: 70000, limit: 65536 },
            b"HTTP/1.1 413 ",
        ),
        (b"\x16\x03\x01\x02\x00garbage\r\n\r\n".to_vec(), Error::Malformed { what: "header byte", offset: 0 }, b"HTTP/1.1 400 "),
        (
            b"POST /elsewhere HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-Script-Status: ok\r\n\r\n".to_vec(),
            Error::Protocol { what: "POST to a URI the server did not hand out" },
            b"HTTP/1.1 400 ",
        ),
        (
            {
                let mut m = b"POST /gp/adm?n=1 HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n".to_vec();
                for i in 0..40 {
                    m.extend_from_slice(format!("X-{i}: y\r\n").as_bytes());
                }
                m.extend_from_slice(b"\r\n");
                m
            },
            Error::TooManyHeaders { limit: 32 },
            b"HTTP/1.1 431 ",
        ),
        (
            b"POST /gp/adm?n=1 HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nContent-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\nContent-Length: 2\r\n\r\n\x90\x00".to_vec(),
            Error::Remote(smsr::remote::Error::UnexpectedTag { tag: smsr::tlv::Tag::new(0x90), offset: 0 }),
            b"HTTP/1.1 400 ",
        ),
    ];
    for (input, err, status) in cases {
        let mut s = server(ServerConfig::new(uri("/gp/adm")));
        s.push_script(script(0x01, 0), None).unwrap();
        let mut log = Log::default();
        first_post(&mut s, &mut log);
        s.handle_input(&input, Duration::from_secs(1)).unwrap();
        drain(&mut s, &mut log);
        assert_eq!(log.ended, [EndReason::Failed(err)]);
        let mut buf = [0u8; 256];
        let n = s
            .poll_transmit(&mut buf, Duration::from_secs(1))
            .unwrap()
            .unwrap();
        assert!(
            buf[..n].starts_with(status),
            "{}",
            String::from_utf8_lossy(&buf[..n])
        );
        assert!(s.is_closed());
    }
}

#[test]
fn queue_limits_and_small_output_buffers() {
    let mut s: ServerSession<&[u8], [u8; 1024], 2> =
        ServerSession::new(ServerConfig::new(uri("/a")), [0u8; 1024]);
    s.push_script(&[0xAA, 0x00], None).unwrap();
    s.push_script(&[0xAA, 0x00], None).unwrap();
    assert_eq!(
        s.push_script(&[0xAA, 0x00], None),
        Err(Error::QueueFull { capacity: 2 })
    );
    assert!(matches!(
        s.push_script(&[0xAA, 0x00], Some(&[1, 2])),
        Err(Error::BadLength { .. })
    ));
    s.connection_opened(Duration::ZERO);
    s.handle_input(
        b"POST /a HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\n\r\n",
        Duration::ZERO,
    )
    .unwrap();
    while s.poll_event().is_some() {}
    let need = s.transmit_len();
    assert!(need > 100);
    let mut small = [0u8; 16];
    assert_eq!(
        s.poll_transmit(&mut small, Duration::ZERO),
        Err(Error::BufferTooSmall {
            needed: need,
            available: 16
        })
    );
    let mut big = [0u8; 512];
    assert_eq!(
        s.poll_transmit(&mut big, Duration::ZERO).unwrap(),
        Some(need)
    );
    assert!(
        big[..need]
            .windows(21)
            .any(|w| w == b"X-Admin-Next-URI: /a?")
    );
}

#[test]
fn abort_ends_with_204_at_the_next_post() {
    let mut s = server(ServerConfig::new(uri("/gp/adm")));
    s.push_script(script(0x01, 0), None).unwrap();
    s.push_script(script(0x02, 0), None).unwrap();
    let mut c = card(BodyFraming::ContentLength);
    let (mut exec, mut log) = (EchoCard::default(), Log::default());
    let mut buf = vec![0u8; 8192];
    s.connection_opened(Duration::ZERO);
    let n = c.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
    s.handle_input(&buf[..n], Duration::ZERO).unwrap();
    drain(&mut s, &mut log);
    let n = s.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
    c.handle_input(&buf[..n], Duration::ZERO, &mut exec)
        .unwrap();
    s.abort();
    pump(&mut s, &mut c, &mut exec, &mut log, 4096, Duration::ZERO);
    assert_eq!(log.responses.len(), 1);
    assert_eq!(log.ended, [EndReason::Aborted]);
    assert_eq!(exec.ran.len(), 1);
    assert!(c.is_ended());
}

#[test]
fn limits_apply_to_the_card_side_too() {
    let mut cfg = CardConfig::new(uri("/a"));
    cfg.limits = Limits {
        max_headers: 4,
        max_head_len: 512,
        max_body_len: 8,
    };
    let mut c: Card = CardSession::new(cfg, vec![0u8; 2048], vec![0u8; 64]);
    let mut buf = vec![0u8; 1024];
    c.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
    let mut exec = EchoCard::default();
    c.handle_input(b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.globalplatform.card-content-mgt;version=1.0\r\nContent-Length: 9\r\n\r\n", Duration::ZERO, &mut exec).unwrap();
    assert_eq!(
        c.poll_event(),
        Some(CardEvent::Ended(EndReason::Failed(Error::BodyTooLarge {
            size: 9,
            limit: 8
        })))
    );
    // A reply that never comes.
    let mut c: Card = CardSession::new(CardConfig::new(uri("/a")), vec![0u8; 2048], vec![0u8; 64]);
    c.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
    c.handle_timeout(Duration::from_secs(30));
    assert_eq!(c.poll_event(), Some(CardEvent::Ended(EndReason::Timeout)));
}

#[test]
fn final_204_lost_with_the_connection_is_given_on_resume_and_events_survive() {
    let mut s = server(ServerConfig::new(uri("/gp/adm")));
    let a = s.push_script(script(0x01, 0), None).unwrap();
    let mut c = card(BodyFraming::Chunked(5));
    let (mut exec, mut log) = (EchoCard::default(), Log::default());
    let mut buf = vec![0u8; 8192];
    let t = Duration::ZERO;
    s.connection_opened(t);
    let n = c.poll_transmit(&mut buf, t).unwrap().unwrap();
    s.handle_input(&buf[..n], t).unwrap();
    drain(&mut s, &mut log);
    let n = s.poll_transmit(&mut buf, t).unwrap().unwrap();
    c.handle_input(&buf[..n], t, &mut exec).unwrap();
    let n = c.poll_transmit(&mut buf, t).unwrap().unwrap();
    s.handle_input(&buf[..n], t).unwrap();
    // The connection breaks before the integrator polls the result event
    // and before the 204 is written.
    s.connection_closed(t);
    c.connection_lost();
    match s.poll_event() {
        Some(Event::Response {
            id,
            status: ScriptStatus::Ok,
            body,
            executed: Some(1),
        }) => {
            assert_eq!(id, a);
            assert_eq!(
                body,
                [0xAB, 0x08, 0x80, 0x01, 0x01, 0x23, 0x03, 0x01, 0x90, 0x00]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!s.is_ended());
    s.connection_opened(Duration::from_secs(5));
    pump(
        &mut s,
        &mut c,
        &mut exec,
        &mut log,
        7,
        Duration::from_secs(5),
    );
    assert!(log.responses.is_empty(), "the result is not reported twice");
    assert_eq!(log.ended, [EndReason::Completed]);
    assert!(c.is_ended());
}

/// Message shapes of the one recorded successful RAM-over-HTTP session of a
/// real card ("card 3311", plain HTTP; summarised in the pysim_otaman
/// project's SCP81 live-card findings, code index id 68306471087): the card
/// echoes a Next-URI with a query, posts `AF 80 23 02 6A88 00 00` in an
/// 8-octet chunk, and the server answers with extra `Date`/`Server` headers,
/// `Content-Length` and an `AE 80 … 00 00` script.
#[test]
fn trace_shapes_from_a_real_card_session() {
    use smsr::scp81::http::{AdminReply, Limits, Status, parse_reply};
    // The server side: our session with a base URI that already has a query.
    let mut s = server(ServerConfig::new(uri("/Download?sess=3311")));
    let script = [
        0xAE, 0x80, 0x22, 0x05, 0x80, 0xCA, 0x00, 0x85, 0x00, 0x00, 0x00,
    ];
    s.push_script(script.to_vec(), None).unwrap();
    s.connection_opened(Duration::ZERO);
    s.handle_input(
        b"POST /server/adminagent?cmd=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-From: //se-id/iccid/3311\r\n\r\n",
        Duration::ZERO,
    )
    .unwrap();
    let mut log = Log::default();
    drain(&mut s, &mut log);
    let mut buf = vec![0u8; 1024];
    let n = s.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
    let Status::Complete(AdminReply::Script { next_uri, body, .. }, _) =
        parse_reply(&buf[..n], &Limits::DEFAULT).unwrap()
    else {
        panic!()
    };
    assert_eq!(next_uri, Some("/Download?sess=3311&n=1"));
    assert_eq!(body.as_contiguous(), Some(&script[..]));
    s.handle_input(
        b"POST /Download?sess=3311&n=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-Script-Status: ok\r\nContent-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n\xaf\x80\x23\x02\x6a\x88\x00\x00\r\n0\r\n\r\n",
        Duration::ZERO,
    )
    .unwrap();
    drain(&mut s, &mut log);
    assert_eq!(
        log.responses,
        [(
            0,
            ScriptStatus::Ok,
            vec![0xAF, 0x80, 0x23, 0x02, 0x6A, 0x88, 0x00, 0x00]
        )]
    );
    // The card side: a reference-server style 200 with extra headers.
    let reply = b"HTTP/1.1 200 OK\r\nDate: Tue, 01 Jan 2019 00:00:00 GMT\r\nServer: Apache\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-Next-URI: /Download?req=2\r\nContent-Length: 14\r\nContent-Type: application/vnd.globalplatform.card-content-mgt;version=1.0\r\n\r\n\xae\x80\x22\x08\x80\xf2\x80\x02\x02\x4f\x00\x00\x00\x00";
    let mut c = card(BodyFraming::Chunked(100));
    c.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
    let mut exec = EchoCard::default();
    c.handle_input(reply, Duration::ZERO, &mut exec).unwrap();
    assert_eq!(
        exec.ran[0].1,
        [
            0xAE, 0x80, 0x22, 0x08, 0x80, 0xF2, 0x80, 0x02, 0x02, 0x4F, 0x00, 0x00, 0x00, 0x00
        ]
    );
    let n = c.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
    assert!(buf[..n].starts_with(b"POST /Download?req=2 HTTP/1.1\r\n"));
}

#[test]
fn scripts_are_checked_at_push_and_responses_against_their_scripts() {
    let mut s = server(ServerConfig::new(uri("/gp/adm")));
    // A malformed AA script (length runs past the end) is refused at once.
    assert!(matches!(
        s.push_script(vec![0xAA, 0x05, 0x22, 0x01], None),
        Err(Error::Remote(_))
    ));
    // Octets after the template too.
    assert_eq!(
        s.push_script(vec![0xAA, 0x00, 0x00], None),
        Err(Error::BadLength {
            what: "command script (octets after the template)",
            len: 1,
            offset: 2
        })
    );
    // Opaque payloads (e.g. SCP03t data for an ISD-P) pass unchecked.
    s.push_script(
        vec![0x86, 0x02, 0x01, 0x02],
        Some(&[0xA0, 0, 0, 5, 0x59, 0x10, 0x10, 1]),
    )
    .unwrap();
    // One C-APDU, but the card claims two were executed.
    s.push_script(script(0xCA, 0), None).unwrap();
    let mut log = Log::default();
    first_post(&mut s, &mut log);
    let post = |uri: &str, body: &[u8]| {
        let mut m = format!(
            "POST {uri} HTTP/1.1\r\nX-Admin-Protocol: globalplatform-remote-admin/1.0\r\nX-Admin-Script-Status: ok\r\nContent-Type: application/vnd.globalplatform.card-content-mgt-response;version=1.0\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        m.extend_from_slice(body);
        m
    };
    s.handle_input(&post("/gp/adm?n=1", &[0x87, 0x01, 0x00]), Duration::ZERO)
        .unwrap();
    drain(&mut s, &mut log);
    assert_eq!(log.executed, [None]);
    let mut buf = vec![0u8; 1024];
    s.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
    s.handle_input(
        &post("/gp/adm?n=2", &[0xAB, 0x03, 0x80, 0x01, 0x02]),
        Duration::ZERO,
    )
    .unwrap();
    drain(&mut s, &mut log);
    assert_eq!(
        log.ended,
        [EndReason::Failed(Error::Protocol {
            what: "response script reports more commands than its command script had"
        })]
    );
}

/// Card events are never dropped: with four `Executed` waiting, a fifth
/// script is refused (QueueFull) and the end is still reported after them.
#[test]
fn unpolled_card_events_are_not_dropped() {
    let mut c: Card = CardSession::new(CardConfig::new(uri("/a")), vec![0u8; 2048], vec![0u8; 64]);
    let mut buf = vec![0u8; 1024];
    let mut exec = EchoCard::default();
    let body = script(0x01, 0);
    let mut reply = format!("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.globalplatform.card-content-mgt;version=1.0\r\nX-Admin-Next-URI: /a\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    reply.extend_from_slice(&body);
    for _ in 0..5 {
        c.poll_transmit(&mut buf, Duration::ZERO).unwrap().unwrap();
        c.handle_input(&reply, Duration::ZERO, &mut exec).unwrap();
    }
    assert_eq!(exec.ran.len(), 4);
    for _ in 0..4 {
        assert!(matches!(c.poll_event(), Some(CardEvent::Executed(_))));
    }
    assert_eq!(
        c.poll_event(),
        Some(CardEvent::Ended(EndReason::Failed(Error::QueueFull {
            capacity: 4
        })))
    );
    assert_eq!(c.poll_event(), None);
}
