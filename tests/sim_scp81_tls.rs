#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
#![cfg(feature = "sim")]
//! The simulated eUICC as the card of a real PSK-TLS 1.2 session (OpenSSL,
//! 127.0.0.1): the trigger's session request gives the identity and key,
//! the SM-SR's listener (scp81's test glue) finds the key by the SGP.02
//! identity, and ES5 scripts run against the simulator's ISD-R.

#[path = "common/psk_tls.rs"]
mod psk_tls;
mod sim_support;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use psk_tls::{Keys, PSK_AES128_CBC_SHA256, Session, connect, spawn_server};
use sim_support::Server;
use smsr::isdr::{Aid, Tar, es5};
use smsr::remote::Coding;
use smsr::scp81::http::ScriptStatus;
use smsr::scp81::server::{EndReason, ServerConfig, ServerSession, UriBuf};
use smsr::sim::{AdminProgress, Euicc, Reception, fleet};

#[test]
fn euicc_over_real_psk_tls() {
    let cfg = fleet::member(8, 0).unwrap();
    let eid = *cfg.eid.as_bcd();
    let mut server = Server::new(&cfg);
    let mut sim = Euicc::new(cfg, 0);
    // Trigger `81 00`: the eUICC uses its default PSK key.
    let header = server.header();
    let seg = server.segments(&header, &[0x81, 0x00]).remove(0);
    let Reception::Processed(p) = sim.receive(&seg, 0).unwrap() else {
        panic!()
    };
    let req = p.admin_session.unwrap();
    let psk = sim
        .psk(req.kvn, req.kid)
        .unwrap()
        .dangerous_value()
        .to_vec();
    let identity = String::from_utf8(req.psk_identity.clone()).unwrap();

    // The SM-SR side: the key from the EIS by EID, one queued script.
    let aid = Aid::isd_p(Tar::from_value(0x10)).unwrap();
    let create = es5::create_isdp(&aid, None).unwrap();
    let audit = es5::audit_isdp_status(None).unwrap();
    let mut session: Session = ServerSession::new(
        ServerConfig::new(UriBuf::try_from("/").unwrap()),
        vec![0u8; 65536],
    );
    session
        .push_script(
            Server::script_bytes(&[create.as_bytes(), audit.as_bytes()], Coding::Indefinite),
            None,
        )
        .unwrap();
    let sessions = Arc::new(Mutex::new(HashMap::from([(eid, session)])));
    let keys = Keys(HashMap::from([(eid, psk.clone())]));
    let listener = spawn_server(keys, sessions, PSK_AES128_CBC_SHA256, 1);

    // The card side: the simulator behind an OpenSSL PSK client.
    let mut stream = connect(listener.addr, &identity, &psk, PSK_AES128_CBC_SHA256).unwrap();
    let mut card = sim.open_admin_session(req).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    let mut ended = None;
    while ended.is_none() && start.elapsed() < Duration::from_secs(20) {
        let now = start.elapsed();
        if let Some(post) = sim.admin_transmit(&mut card, now).unwrap() {
            stream.write_all(&post).unwrap();
            stream.flush().unwrap();
            continue;
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => match sim.admin_receive(&mut card, &buf[..n], now).unwrap() {
                AdminProgress::Ended(r) => ended = Some(r),
                AdminProgress::Continue => {}
                AdminProgress::ConnectionLost => panic!("no fault injected"),
            },
        }
    }
    assert_eq!(ended, Some(EndReason::Completed));
    drop(stream);
    let reports = listener.join();
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!(r.identity.as_ref().map(|i| i.eid), Some(eid));
    assert_eq!(r.cipher.as_deref(), Some("PSK-AES128-CBC-SHA256"));
    assert_eq!(r.responses.len(), 1);
    assert_eq!(r.responses[0].1, ScriptStatus::Ok);
    assert_eq!(r.ended, Some(EndReason::Completed));
    assert_eq!(sim.card().profiles.len(), 1);
    assert_eq!(sim.card().profiles[0].aid, aid);
}
