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
//! SCP81 through the simulator: the SM-SR pushes the trigger over SCP80,
//! the simulated eUICC asks for a session with a PSK identity, and the
//! server side of `scp81` runs ES5 scripts against the same ISD-R model
//! (HTTP bytes only; TLS is left out, as the integrator's). A lost
//! connection is resumed with `X-Admin-Resume`.

mod sim_support;

use core::time::Duration;

use sim_support::{Server, profile_header};
use smsr::apdu::StatusWord;
use smsr::isdr::audit::{IsdpStatusList, LifeCycle};
use smsr::isdr::{Aid, Tar, es5};
use smsr::remote::Coding;
use smsr::remote::expanded::ResponseScript;
use smsr::scp80::PorStatus;
use smsr::scp81::http::ScriptStatus;
use smsr::scp81::psk_id::PskIdentity;
use smsr::scp81::server::{EndReason, Event, ServerConfig, ServerSession, UriBuf};
use smsr::scp81::trigger::{HttpPostParams, SessionParams, TriggerParams};
use smsr::sim::{AdminProgress, AdminSession, Euicc, Fault, Reception, fleet};

type Srv = ServerSession<Vec<u8>, Vec<u8>, 8>;

fn trigger_bytes(params: &TriggerParams<'_>) -> Vec<u8> {
    let mut out = vec![0u8; params.buffer_len()];
    let n = params.emit(&mut out).unwrap();
    out.truncate(n);
    out
}

/// Pushes the trigger and returns the session the eUICC asks for.
fn push(server: &mut Server, sim: &mut Euicc, trigger: &[u8]) -> smsr::sim::AdminSessionRequest {
    let header = server.header();
    let segs = server.segments(&header, trigger);
    let mut req = None;
    for s in &segs {
        if let Reception::Processed(p) = sim.receive(s, 0).unwrap() {
            assert_eq!(p.status, PorStatus::OK);
            req = p.admin_session;
        }
    }
    let ex = server.read(&header, &sim.take_outgoing(0));
    assert_eq!(ex.status, Some(PorStatus::OK));
    req.expect("an administration session request")
}

/// Moves HTTP bytes both ways until nothing moves; returns the server's
/// response bodies in order.
fn pump(
    srv: &mut Srv,
    sim: &mut Euicc,
    card: &mut AdminSession,
    log: &mut Vec<(ScriptStatus, Vec<u8>)>,
) -> Option<AdminProgress> {
    let now = Duration::ZERO;
    let mut buf = vec![0u8; 65536];
    loop {
        let mut moved = false;
        if let Some(req) = sim.admin_transmit(card, now).unwrap() {
            srv.handle_input(&req, now).unwrap();
            moved = true;
        }
        while let Some(ev) = srv.poll_event() {
            if let Event::Response { status, body, .. } = ev {
                log.push((status, body.to_vec()));
            }
        }
        if let Some(n) = srv.poll_transmit(&mut buf, now).unwrap() {
            match sim.admin_receive(card, &buf[..n], now) {
                Ok(AdminProgress::Continue) => {}
                Ok(p) => return Some(p),
                Err(_) => return None,
            }
            moved = true;
        }
        if !moved {
            return None;
        }
    }
}

#[test]
fn trigger_then_es5_over_https() {
    let cfg = fleet::member(81, 0).unwrap();
    let mut server = Server::new(&cfg);
    let mut sim = Euicc::new(cfg, 0);
    // The trigger: only the HTTP POST parameters; the eUICC uses its
    // default PSK key and builds the SGP.02 identity.
    // 84 in the order njiwa's BipCatTP.makeOpenChannelTLVs (@b04eb01)
    // writes it: bearer "default" (35 01 03), buffer 1400 (39 02 0578), APN
    // "test" (47 05 04 74657374), TCP client port 8443 (3C 03 02 20FB),
    // IPv4 127.0.0.1 (3E 05 21 7F000001).
    let connection =
        hex::decode("3501033902057847050474657374".to_owned() + "3C030220FB3E05217F000001")
            .unwrap();
    let t = TriggerParams {
        session: Some(SessionParams {
            connection: Some(&connection),
            http_post: Some(HttpPostParams {
                host: Some("smsr.example"),
                agent_id: Some("//se-id/eid/x"),
                uri: Some("/gp/adm?eid=1"),
            }),
            ..SessionParams::default()
        }),
        dns: None,
    };
    let req = push(&mut server, &mut sim, &trigger_bytes(&t));
    assert_eq!((req.kvn, req.kid), (0x40, 0x01));
    assert_eq!(req.uri, "/gp/adm?eid=1");
    assert_eq!(req.host.as_deref(), Some("smsr.example"));
    assert_eq!(req.transport, Some((0x02, 8443)));
    assert_eq!(req.address, Some((0x21, vec![127, 0, 0, 1])));
    assert_eq!(req.connection, connection);
    let id = PskIdentity::parse(&req.psk_identity).unwrap();
    assert_eq!(id.eid, *sim.config().eid.as_bcd());
    assert_eq!(&id.isd_r_aid[..], Aid::ISD_R.as_bytes());
    assert_eq!((id.key_version, id.key_id), (0x40, 0x01));
    assert_eq!(sim.psk(0x40, 0x01).unwrap().dangerous_value().len(), 16);

    // The session: CreateISDP + download stand-in to the ISD-P through
    // X-Admin-Targeted-Application, then enable and audit.
    let aid = Aid::isd_p(Tar::from_value(0x10)).unwrap();
    let mut srv: Srv = ServerSession::new(
        ServerConfig::new(UriBuf::try_from("/gp/adm").unwrap()),
        vec![0u8; 65536],
    );
    let create = es5::create_isdp(&aid, None).unwrap();
    srv.push_script(
        Server::script_bytes(&[create.as_bytes()], Coding::Indefinite),
        None,
    )
    .unwrap();
    let pkg = profile_header([0x98, 0x44, 0, 0, 0, 0, 0, 0, 0, 0x07], None);
    let store = hex::decode(format!("80E29000{:02X}{}", pkg.len(), hex::encode(&pkg))).unwrap();
    srv.push_script(
        Server::script_bytes(&[&store], Coding::Indefinite),
        Some(aid.as_bytes()),
    )
    .unwrap();
    let enable = es5::enable_profile(&aid).unwrap();
    let audit = es5::audit_isdp_status(None).unwrap();
    srv.push_script(
        Server::script_bytes(&[enable.as_bytes(), audit.as_bytes()], Coding::Definite),
        None,
    )
    .unwrap();
    // An unknown targeted application.
    let other = Aid::isd_p(Tar::from_value(0x99)).unwrap();
    srv.push_script(
        Server::script_bytes(&[audit.as_bytes()], Coding::Indefinite),
        Some(other.as_bytes()),
    )
    .unwrap();
    let mut card = sim.open_admin_session(req).unwrap();
    srv.connection_opened(Duration::ZERO);
    let mut log = Vec::new();
    let end = pump(&mut srv, &mut sim, &mut card, &mut log);
    assert_eq!(end, Some(AdminProgress::Ended(EndReason::Completed)));
    assert_eq!(log.len(), 4);
    assert_eq!(
        log[0],
        (
            ScriptStatus::Ok,
            vec![0xAF, 0x80, 0x23, 0x02, 0x90, 0x00, 0x00, 0x00]
        )
    );
    assert_eq!(log[1].0, ScriptStatus::Ok);
    let (script, _) = ResponseScript::parse(&log[2].1).unwrap();
    assert_eq!(script.executed_count().unwrap(), Some(2));
    let r: Vec<_> = script.r_apdus().map(Result::unwrap).collect();
    assert_eq!(r[0].sw(), StatusWord::SUCCESS);
    let st: Vec<_> = IsdpStatusList::new(r[1].data())
        .map(Result::unwrap)
        .collect();
    assert_eq!((st[0].aid, st[0].life_cycle), (aid, LifeCycle::ENABLED));
    assert_eq!(log[3].0, ScriptStatus::UnknownApplication);
    // The enable's notification went out by SMS.
    let header = server.header();
    let ex = server.read(&header, &sim.take_outgoing(0));
    assert_eq!(ex.notifications.len(), 1);
    assert_eq!(ex.notifications[0].isd_p_aid, Some(aid));
}

#[test]
fn lost_connection_resumes_without_running_the_script_twice() {
    let cfg = fleet::member(81, 1).unwrap();
    let mut server = Server::new(&cfg);
    let mut sim = Euicc::new(cfg, 0);
    let req = push(&mut server, &mut sim, &[0x81, 0x00]);
    assert_eq!(req.uri, "/");
    let mut srv: Srv = ServerSession::new(
        ServerConfig::new(UriBuf::try_from("/").unwrap()),
        vec![0u8; 65536],
    );
    let aid = Aid::isd_p(Tar::from_value(0x10)).unwrap();
    let create = es5::create_isdp(&aid, None).unwrap();
    srv.push_script(
        Server::script_bytes(&[create.as_bytes()], Coding::Indefinite),
        None,
    )
    .unwrap();
    let mut card = sim.open_admin_session(req).unwrap();
    srv.connection_opened(Duration::ZERO);
    sim.faults.inject(Fault::LoseConnection);
    let mut log = Vec::new();
    let p = pump(&mut srv, &mut sim, &mut card, &mut log);
    assert_eq!(p, Some(AdminProgress::ConnectionLost));
    assert!(sim.card().profiles.is_empty(), "the script did not run");
    // Reconnect: the card repeats its POST with X-Admin-Resume: true.
    srv.connection_closed(Duration::ZERO);
    srv.connection_opened(Duration::ZERO);
    let resume = sim
        .admin_transmit(&mut card, Duration::ZERO)
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&resume).contains("X-Admin-Resume: true"));
    srv.handle_input(&resume, Duration::ZERO).unwrap();
    let end = pump(&mut srv, &mut sim, &mut card, &mut log);
    assert_eq!(end, Some(AdminProgress::Ended(EndReason::Completed)));
    assert_eq!(sim.card().profiles.len(), 1);
    assert_eq!(log.len(), 1);
}

#[test]
fn trigger_naming_an_unknown_key_is_not_a_session() {
    let cfg = fleet::member(81, 2).unwrap();
    let mut server = Server::new(&cfg);
    let mut sim = Euicc::new(cfg, 0);
    // 81 { 83 { 85 { L "id" 02 4F 01 } } }: KVN 4F is not provisioned.
    let t = [
        0x81, 0x0A, 0x83, 0x08, 0x85, 0x06, 0x02, b'i', b'd', 0x02, 0x4F, 0x01,
    ];
    assert!(TriggerParams::parse(&t).is_ok());
    let header = server.header();
    let segs = server.segments(&header, &t);
    let Reception::Processed(p) = sim.receive(&segs[0], 0).unwrap() else {
        panic!()
    };
    assert!(p.admin_session.is_none());
    // Answered as a compact command list would be: `81 0A 83 08 85` reads
    // as a C-APDU with Lc 0x85 and too few data, wrong length.
    let ex = server.read(&header, &sim.take_outgoing(0));
    assert_eq!(ex.data, [0x01, 0x67, 0x00]);
}

#[test]
fn pushes_built_by_scp81_open_sessions_in_both_framings() {
    use smsr::scp81::push::{PushFraming, wrap_push};
    use smsr::scp81::trigger::SecurityParams;
    let cfg = fleet::member(81, 3).unwrap();
    let mut server = Server::new(&cfg);
    let mut sim = Euicc::new(cfg, 0);
    let t = TriggerParams {
        session: Some(SessionParams {
            security: Some(SecurityParams {
                psk_identity: b"my-identity",
                kvn: 0x40,
                kid: 0x01,
                extra: &[],
            }),
            ..SessionParams::default()
        }),
        dns: None,
    };
    for framing in [PushFraming::Raw, PushFraming::CommandScript] {
        let header = server.header();
        let mut packet = vec![0u8; 256];
        let n = wrap_push(&t, framing, &header, &server.keys, &mut packet).unwrap();
        let mut tp_ud = vec![0x02, 0x70, 0x00];
        tp_ud.extend_from_slice(&packet[..n]);
        let Reception::Processed(p) = sim.receive(&tp_ud, 0).unwrap() else {
            panic!()
        };
        let req = p.admin_session.unwrap_or_else(|| panic!("{framing:?}"));
        assert_eq!(req.psk_identity, b"my-identity");
        assert_eq!(
            server.read(&header, &sim.take_outgoing(0)).status,
            Some(PorStatus::OK)
        );
    }
}
