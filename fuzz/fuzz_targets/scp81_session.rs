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

fn run(u: &mut Unstructured<'_>) -> Result<()> {
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
    let mut s: ServerSession<Vec<u8>, Vec<u8>, 4> = ServerSession::new(cfg, vec![0u8; 1200]);
    let mut card = CardSession::new(
        CardConfig::new(UriBuf::try_from("/a").unwrap()),
        vec![0u8; 1200],
        vec![0u8; 64],
    );
    let mut now = Duration::ZERO;
    let mut out = vec![0u8; 4096];
    let mut seq = 0u32;
    while !u.is_empty() {
        match u.int_in_range(0..=11)? {
            0 => {
                let len = u.int_in_range(0..=40)?;
                let script = u.bytes(len)?.to_vec();
                let target = if u.arbitrary()? {
                    let n = u.int_in_range(0..=17)?;
                    Some(u.bytes(n)?)
                } else {
                    None
                };
                let _ = s.push_script(script, target);
            }
            1 => {
                let n = u.int_in_range(0..=64)?;
                let bytes = u.bytes(n)?;
                if s.handle_input(bytes, now).is_err() {
                    assert!(s.is_ended());
                }
            }
            2 => {
                // A well-formed POST, possibly cut.
                seq = seq.wrapping_add(u.int_in_range(0..=1)?);
                let uri = format!("/a?n={seq}");
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
                let _ = s.handle_input(&buf[..cut], now);
            }
            3 => match s.poll_transmit(&mut out, now) {
                Ok(Some(n)) => {
                    // What the server sends is a valid HTTP response.
                    assert!(matches!(
                        smsr::scp81::http::parse_response(&out[..n], &Limits::DEFAULT),
                        Ok(Status::Complete(_, m)) if m == n
                    ));
                    let _ = parse_reply(&out[..n], &Limits::DEFAULT);
                    let _ = card.handle_input(&out[..n], now, &mut Exec);
                }
                Ok(None) => {}
                Err(e) => assert!(matches!(
                    e,
                    smsr::scp81::Error::BufferTooSmall { .. } | smsr::scp81::Error::Protocol { .. }
                )),
            },
            4 => while s.poll_event().is_some() {},
            5 => {
                now += Duration::from_millis(u.int_in_range(0..=60_000)?);
                s.handle_timeout(now);
                card.handle_timeout(now);
            }
            6 => s.connection_opened(now),
            7 => s.connection_closed(now),
            8 => s.abort(),
            9 => s.expect_more(u.arbitrary()?),
            10 => {
                if let Ok(Some(n)) = card.poll_transmit(&mut out, now) {
                    let _ = s.handle_input(&out[..n], now);
                }
                while card.poll_event().is_some() {}
            }
            _ => card.connection_lost(),
        }
        let _ = s.transmit_len();
        let _ = s.poll_timeout();
        if s.is_closed() {
            assert!(s.handle_input(b"x", now).is_err());
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
