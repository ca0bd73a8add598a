//! SCP81 server and card sessions fed arbitrary sequences of events:
//! scripts queued, bytes arriving (random, or pieces of valid POSTs),
//! connections opening and closing, time passing, aborts. Never panic;
//! once a session has ended it takes no input; every transmit parses.
#![no_main]

use core::time::Duration;

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use smsr::scp81::card::{CardConfig, CardSession, ScriptExecutor};
use smsr::scp81::http::{AdminRequest, BodyFraming, Limits, ScriptStatus, Status, parse_reply};
use smsr::scp81::server::{ServerConfig, ServerSession, UriBuf};

struct Exec;

impl ScriptExecutor for Exec {
    fn execute(
        &mut self,
        _t: Option<&[u8]>,
        script: &[u8],
        out: &mut [u8],
    ) -> (ScriptStatus, usize) {
        let n = script.len().min(out.len()).min(8);
        out[..n].copy_from_slice(&script[..n]);
        (ScriptStatus::Ok, n)
    }
}

type Server = ServerSession<Vec<u8>, Vec<u8>, 4>;

/// The two sessions and the clock the events act on.
struct World {
    s: Server,
    card: CardSession<Vec<u8>>,
    now: Duration,
    out: Vec<u8>,
    seq: u32,
}

fn world(u: &mut Unstructured<'_>) -> Result<World> {
    let mut cfg = ServerConfig::new(UriBuf::try_from("/a").unwrap());
    cfg.limits = Limits {
        max_headers: 8,
        max_head_len: 512,
        max_body_len: 512,
    };
    cfg.stop_on_script_error = u.arbitrary()?;
    cfg.framing = if u.arbitrary()? {
        BodyFraming::ContentLength
    } else {
        BodyFraming::Chunked(u.int_in_range(0..=64)?)
    };
    Ok(World {
        s: ServerSession::new(cfg, vec![0u8; 1200]),
        card: CardSession::new(
            CardConfig::new(UriBuf::try_from("/a").unwrap()),
            vec![0u8; 1200],
            vec![0u8; 64],
        ),
        now: Duration::ZERO,
        out: vec![0u8; 4096],
        seq: 0,
    })
}

/// Queues a script (refusals are the queue's business).
fn push_script(u: &mut Unstructured<'_>, w: &mut World) -> Result<()> {
    let len = u.int_in_range(0..=40)?;
    let script = u.bytes(len)?.to_vec();
    let target = if u.arbitrary()? {
        let n = u.int_in_range(0..=17)?;
        Some(u.bytes(n)?)
    } else {
        None
    };
    let _refused = w.s.push_script(script, target);
    Ok(())
}

/// Feeds the server a well-formed POST, possibly cut.
fn valid_post(u: &mut Unstructured<'_>, w: &mut World) -> Result<()> {
    w.seq = w.seq.wrapping_add(u.int_in_range(0..=1)?);
    let uri = format!("/a?n={}", w.seq);
    let body = [0xAB, 0x00];
    let req = AdminRequest {
        uri: if u.arbitrary()? { "/a" } else { &uri },
        host: None,
        from: None,
        script_status: if u.arbitrary()? {
            Some(ScriptStatus::Ok)
        } else {
            None
        },
        resume: u.arbitrary()?,
        body: if u.arbitrary()? { &body } else { &[] },
        framing: BodyFraming::Chunked(1),
    };
    let mut buf = vec![0u8; req.buffer_len()];
    req.emit(&mut buf).unwrap();
    let cut = u.int_in_range(0..=buf.len())?;
    let _ended = w.s.handle_input(&buf[..cut], w.now);
    Ok(())
}

/// Takes the server's response, checks it parses, hands it to the card.
fn server_transmit(w: &mut World) {
    match w.s.poll_transmit(&mut w.out, w.now) {
        Ok(Some(n)) => {
            // What the server sends is a valid HTTP response.
            assert!(matches!(
                smsr::scp81::http::parse_response(&w.out[..n], &Limits::DEFAULT),
                Ok(Status::Complete(_, m)) if m == n
            ));
            let _reply = parse_reply(&w.out[..n], &Limits::DEFAULT);
            let _ended = w.card.handle_input(&w.out[..n], w.now, &mut Exec);
        }
        Ok(None) => {}
        Err(e) => assert!(matches!(
            e,
            smsr::scp81::Error::BufferTooSmall { .. } | smsr::scp81::Error::Protocol { .. }
        )),
    }
}

fn step(u: &mut Unstructured<'_>, w: &mut World) -> Result<()> {
    match u.int_in_range(0..=11)? {
        0 => push_script(u, w)?,
        1 => {
            let n = u.int_in_range(0..=64)?;
            let bytes = u.bytes(n)?;
            if w.s.handle_input(bytes, w.now).is_err() {
                assert!(w.s.is_ended());
            }
        }
        2 => valid_post(u, w)?,
        3 => server_transmit(w),
        4 => while w.s.poll_event().is_some() {},
        5 => {
            w.now += Duration::from_millis(u.int_in_range(0..=60_000)?);
            w.s.handle_timeout(w.now);
            w.card.handle_timeout(w.now);
        }
        6 => w.s.connection_opened(w.now),
        7 => w.s.connection_closed(w.now),
        8 => w.s.abort(),
        9 => w.s.expect_more(u.arbitrary()?),
        10 => {
            if let Ok(Some(n)) = w.card.poll_transmit(&mut w.out, w.now) {
                let _ended = w.s.handle_input(&w.out[..n], w.now);
            }
            while w.card.poll_event().is_some() {}
        }
        _ => w.card.connection_lost(),
    }
    Ok(())
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let mut w = world(u)?;
    while !u.is_empty() {
        step(u, &mut w)?;
        let _len = w.s.transmit_len();
        let _timeout = w.s.poll_timeout();
        if w.s.is_closed() {
            assert!(w.s.handle_input(b"x", w.now).is_err());
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    // Running out of input ends the run; that is not a finding.
    let _out_of_input = run(&mut Unstructured::new(data));
});
