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
//! ES8 profile download end to end: the SM-DP side (`es8::establish::SmDp`
//! and `es8::download`) against the simulated eUICC, with the key set the
//! ECASD establishes (scenario #3) becoming the ISD-P's SCP03t key set
//! with no injection in between; a second key establishment replaces it.

#[path = "common/es8_card.rs"]
mod es8_card;
mod sim_support;

use core::time::Duration;
use es8_card::{Card, run};
use sim_support::Server;
use smsr::apdu::CommandView;
use smsr::apdu::{Response, StatusWord};
use smsr::crypto::ecka::PrivateKey;
use smsr::es8::KeySet;
use smsr::es8::connectivity::{self, ConnectivityParameters, Outcome};
use smsr::es8::crt::KeyAgreementCrt;
use smsr::es8::download::{self, EuiccResponse, PeStatusCode};
use smsr::es8::establish::SmDp;
use smsr::isdr::audit::IsdpStatusList;
use smsr::isdr::{Aid, Tar, es5};
use smsr::profile::{Iccid, Package, PackageWriter, ProfileHeader};
use smsr::remote::Coding;
use smsr::remote::expanded::{ResponseItem, ResponseScript, ScriptChaining};
use smsr::scp03t::segment::SGP22_MAX_SEGMENT_LEN;
use smsr::scp03t::{self, ErrorKind, Host, SecurityLevel, StaticKeys};
use smsr::scp80::PorStatus;
use smsr::scp81::http::ScriptStatus;
use smsr::scp81::server::{EndReason, Event, ServerConfig, ServerSession, UriBuf};
use smsr::scp81::trigger::{HttpPostParams, SessionParams, TriggerParams};
use smsr::sim::ecasd;
use smsr::sim::{AdminProgress, AdminSession, Reception};
use smsr::sim::{Euicc, life_cycle};
use smsr::tlv::Encode;

/// A real TS.48 package from the shared test data; the test fails when it
/// is missing (set `SMSR_TESTDATA`).
fn ts48() -> Vec<u8> {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata")
        });
    let p = dir.join("profiles/ts48v5_saip2.3_bertlv_suci.der");
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e} (set SMSR_TESTDATA)", p.display()))
}

fn crt(key_length: u8, kvn: u8) -> KeyAgreementCrt {
    es8_card::crt(key_length, kvn, false)
}

/// A fleet eUICC with one ISD-P created by CreateISDP (quota `quota`).
fn setup(quota: u32) -> Card {
    es8_card::card(1, 5, 0x11, quota)
}

/// ES8.EstablishISDPKeySet relayed over SCP80 to the ISD-P; the SM-DP's
/// key set.
fn establish(s: &mut Card, key_length: u8, kvn: u8, esk: u8) -> KeySet {
    let sk_dp = PrivateKey::from_bytes(&[0xD9; 32]).unwrap();
    let esk = PrivateKey::from_bytes(&[esk; 32]).unwrap();
    let dp = SmDp::new(crt(key_length, kvn), esk, s.pk_ecasd, None).unwrap();
    let (second, _) = es8_card::exchange(s, &dp, &sk_dp, &sk_dp.public_key());
    let r = run(s, &second);
    assert_eq!(r[1].1, StatusWord::SUCCESS);
    dp.finish(&Response::new(&r[1].0, r[1].1)).unwrap()
}

fn static_keys(k: &KeySet) -> StaticKeys {
    StaticKeys::new(k.s_enc.clone(), k.s_mac.clone()).unwrap()
}

/// The SM-DP side of `84`/`85` against the ISD-P.
fn open(s: &mut Card, k: &KeySet) -> Result<Host, smsr::scp03t::Error> {
    let mut host = Host::new(static_keys(k), k.kvn, 0, [0x5C; 8], SecurityLevel::ALL).unwrap();
    let mut c = Vec::new();
    host.initialize_update(&mut c).unwrap();
    let r = s.sim.handle_scp03t(&s.aid, &c);
    host.handle_initialize_update_response(&r)?;
    c.clear();
    host.external_authenticate(&mut c).unwrap();
    let r = s.sim.handle_scp03t(&s.aid, &c);
    host.handle_external_authenticate_response(&r)?;
    Ok(host)
}

/// DownloadAndInstallation of `pkg` over the open `host`; the card's
/// final EUICCResponse.
fn download(s: &mut Card, host: &mut Host, pkg: &[u8]) -> EuiccResponse {
    let segs = download::segments(host.session().unwrap(), pkg, SGP22_MAX_SEGMENT_LEN).unwrap();
    let mut last = None;
    for seg in &segs {
        let a = s.sim.handle_scp03t(&s.aid, seg.tlv());
        let data = seg.check_answer(&a).unwrap();
        if !seg.more_to_follow() {
            last = Some(EuiccResponse::parse(&data).unwrap());
        }
    }
    last.unwrap()
}

#[test]
fn the_established_key_set_opens_scp03t_and_installs_every_key_length() {
    let pkg = ts48();
    let header = Package::new(&pkg).elements().next().unwrap().unwrap();
    let h = ProfileHeader::from_element(&header).unwrap();
    for len in [16u8, 24, 32] {
        let mut s = setup(60_000);
        assert_eq!(
            s.sim.card().profile(&s.aid).unwrap().life_cycle,
            life_cycle::SELECTABLE
        );
        let keys = establish(&mut s, len, 0x30, len);
        // Key establishment alone personalizes the ISD-P (no injection).
        assert_eq!(
            s.sim.card().profile(&s.aid).unwrap().life_cycle,
            life_cycle::PERSONALIZED
        );
        let mut host = open(&mut s, &keys).unwrap();
        assert!(
            download(&mut s, &mut host, &pkg).is_ok(),
            "key length {len}"
        );
        let p = s.sim.card().profile(&s.aid).unwrap();
        assert_eq!(p.life_cycle, life_cycle::DISABLED);
        assert_eq!(p.iccid, Some(h.iccid_raw));
        assert_eq!(p.used as usize, pkg.len());
    }
}

#[test]
fn a_second_key_establishment_replaces_the_key_set() {
    let mut s = setup(60_000);
    let first = establish(&mut s, 16, 0x30, 0x41);
    // A session opened with the first key set is closed by the second.
    open(&mut s, &first).unwrap();
    let second = establish(&mut s, 16, 0x31, 0x42);
    assert_ne!(
        first.s_enc.dangerous_bytes(),
        second.s_enc.dangerous_bytes()
    );
    // The first key set (and its KVN) no longer opens a session.
    assert!(open(&mut s, &first).is_err());
    let mut old_kvn = second.clone();
    old_kvn.kvn = first.kvn;
    assert!(open(&mut s, &old_kvn).is_err());
    // The second one does, and the package installs with it.
    let mut host = open(&mut s, &second).unwrap();
    assert!(download(&mut s, &mut host, &ts48()).is_ok());
    assert!(s.sim.card().profile(&s.aid).unwrap().is_loaded());
}

#[test]
fn a_refused_key_agreement_keeps_the_previous_key_set() {
    let mut s = setup(60_000);
    let keys = establish(&mut s, 16, 0x30, 0x43);
    // A key agreement with a wrong challenge is refused (6982) and the
    // card, ECASD and ISD-P channel included, is as it was.
    let sk_dp = PrivateKey::from_bytes(&[0xD9; 32]).unwrap();
    let dp = SmDp::new(
        crt(16, 0x31),
        PrivateKey::from_bytes(&[0x44; 32]).unwrap(),
        s.pk_ecasd,
        None,
    )
    .unwrap();
    let cert = ecasd::test_sm_dp_certificate(&sk_dp.public_key())
        .unwrap()
        .to_vec()
        .unwrap();
    let cmds = dp.certificate_commands(s.aid.as_bytes(), &cert).unwrap();
    let r = run(&mut s, &cmds);
    assert_eq!(r[1].1, StatusWord::SUCCESS);
    let mut bad = vec![
        es5::install_for_personalization(&s.aid)
            .unwrap()
            .as_bytes()
            .to_vec(),
    ];
    bad.extend(
        dp.key_agreement_commands(&sk_dp, Some(&[0; 16]), 1)
            .unwrap(),
    );
    let r = run(&mut s, &bad);
    assert_eq!(r[1].1, StatusWord::SECURITY_STATUS_NOT_SATISFIED);
    let mut host = open(&mut s, &keys).unwrap();
    assert!(download(&mut s, &mut host, &ts48()).is_ok());
}

/// An expanded definite script `AA { 83 01 chaining, tlv }` (TS 102 226
/// §5.2.1; SGP.02 Annex K chaining as njiwa reads it).
fn chained(chaining: ScriptChaining, tlv: &[u8]) -> Vec<u8> {
    let mut body = vec![0x83, 0x01, chaining.0];
    body.extend_from_slice(tlv);
    smsr::tlv::tlv(smsr::tlv::Tag::new(0xAA), &body[..])
        .to_vec()
        .unwrap()
}

/// Sends one SCP03t TLV in a command packet to the ISD-P's TAR; the answer
/// TLV from the PoR's response script.
fn over_scp80(s: &mut Card, chaining: ScriptChaining, tlv: &[u8]) -> Vec<u8> {
    let isdr_tar = s.server.tar;
    s.server.tar = s.aid.tar().unwrap();
    let ex = s.server.send(&mut s.sim, &chained(chaining, tlv));
    s.server.tar = isdr_tar;
    assert_eq!(ex.status, Some(PorStatus::OK));
    let (script, _) = ResponseScript::parse(&ex.data).unwrap();
    let answers: Vec<Vec<u8>> = script
        .items()
        .filter_map(|i| match i.unwrap() {
            ResponseItem::Unknown(t) => Some(t.raw().to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(answers.len(), 1, "one answer TLV per SCP03t TLV");
    answers.into_iter().next().unwrap()
}

/// DownloadAndInstallation relayed over SCP80: `84`, `85` and every
/// segment in one chain of scripts, the last segment ending it.
fn download_scp80(s: &mut Card, k: &KeySet, pkg: &[u8], seg_len: usize) -> EuiccResponse {
    let mut host = Host::new(static_keys(k), k.kvn, 0, [0x5D; 8], SecurityLevel::ALL).unwrap();
    let mut c = Vec::new();
    host.initialize_update(&mut c).unwrap();
    let r = over_scp80(s, ScriptChaining::FIRST_DELETE_ON_RESET, &c);
    host.handle_initialize_update_response(&r).unwrap();
    c.clear();
    host.external_authenticate(&mut c).unwrap();
    let r = over_scp80(s, ScriptChaining::SUBSEQUENT, &c);
    host.handle_external_authenticate_response(&r).unwrap();
    let segs = download::segments(host.session().unwrap(), pkg, seg_len).unwrap();
    let mut last = None;
    for seg in &segs {
        let chaining = if seg.more_to_follow() {
            ScriptChaining::SUBSEQUENT
        } else {
            ScriptChaining::LAST
        };
        let a = over_scp80(s, chaining, seg.tlv());
        let data = seg.check_answer(&a).unwrap();
        if !seg.more_to_follow() {
            last = Some(EuiccResponse::parse(&data).unwrap());
        }
    }
    last.unwrap()
}

#[test]
fn download_over_scp80_chained_scripts_to_the_isdp_tar() {
    let pkg = ts48();
    let mut s = setup(60_000);
    let keys = establish(&mut s, 16, 0x30, 0x45);
    assert!(download_scp80(&mut s, &keys, &pkg, 1000).is_ok());
    let p = s.sim.card().profile(&s.aid).unwrap();
    assert_eq!(p.life_cycle, life_cycle::DISABLED);
    assert_eq!(p.used as usize, pkg.len());
}

#[test]
fn over_scp80_a_segment_outside_the_chain_is_refused() {
    let pkg = ts48();
    let mut s = setup(60_000);
    let keys = establish(&mut s, 16, 0x30, 0x46);
    let mut host = Host::new(static_keys(&keys), 0x30, 0, [0x5E; 8], SecurityLevel::ALL).unwrap();
    let mut c = Vec::new();
    host.initialize_update(&mut c).unwrap();
    let r = over_scp80(&mut s, ScriptChaining::FIRST_DELETE_ON_RESET, &c);
    host.handle_initialize_update_response(&r).unwrap();
    c.clear();
    host.external_authenticate(&mut c).unwrap();
    let r = over_scp80(&mut s, ScriptChaining::SUBSEQUENT, &c);
    host.handle_external_authenticate_response(&r).unwrap();
    let segs = download::segments(host.session().unwrap(), &pkg, 1000).unwrap();
    // Secured data that do not continue the chain (here the bare `86`
    // TLV, which cannot carry `83`) start afresh: the SCP03t session is
    // closed and the segment refused with the error TLV (6985), returned
    // as the PoR data. (In an expanded response script `9F 86` would not
    // parse as BER: b8 of `86` announces a third tag octet; noted.)
    let isdr_tar = s.server.tar;
    s.server.tar = s.aid.tar().unwrap();
    let ex = s.server.send(&mut s.sim, segs[0].tlv());
    s.server.tar = isdr_tar;
    assert_eq!(ex.status, Some(PorStatus::OK));
    assert_eq!(ex.data, [0x9F, 0x46, 0x02, 0x69, 0x85]);
    assert!(!s.sim.card().profile(&s.aid).unwrap().is_loaded());
}

/// `pkg` with the ICCID of its ProfileHeader replaced by `iccid` (header
/// coding), rewritten with `PackageWriter`, and EF.ICCID in the `mf` to
/// match (the card refuses a mismatch): one package per eUICC.
fn with_iccid(pkg: &[u8], iccid: [u8; 10]) -> Vec<u8> {
    let ef_old = Package::new(pkg).ef_iccid().unwrap().unwrap().to_ef_iccid();
    let ef_new = Iccid::from_header(&iccid).unwrap().to_ef_iccid();
    let at: Vec<usize> = pkg
        .windows(10)
        .enumerate()
        .filter(|(_, w)| *w == ef_old)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "EF.ICCID content found once");
    let mut pkg = pkg.to_vec();
    pkg[at[0]..at[0] + 10].copy_from_slice(&ef_new);
    let pkg = &pkg[..];
    let mut out = Vec::new();
    let mut w = PackageWriter::new(&mut out);
    for (i, pe) in Package::new(pkg).elements().enumerate() {
        let pe = pe.unwrap();
        if i == 0 {
            let mut h = ProfileHeader::from_element(&pe).unwrap();
            h.iccid_raw = iccid;
            w.push_header(&h).unwrap();
        } else {
            w.push(&pe).unwrap();
        }
    }
    out
}

type Srv = ServerSession<Vec<u8>, Vec<u8>, 8>;

/// The trigger over SCP80 and the admin session the eUICC opens.
fn admin_session(s: &mut Card) -> (Srv, AdminSession) {
    let t = TriggerParams {
        session: Some(SessionParams {
            http_post: Some(HttpPostParams {
                host: Some("smsr.example"),
                agent_id: None,
                uri: Some("/gp/adm"),
            }),
            ..SessionParams::default()
        }),
        dns: None,
    };
    let mut trigger = vec![0u8; t.buffer_len()];
    let n = t.emit(&mut trigger).unwrap();
    trigger.truncate(n);
    let header = s.server.header();
    let mut req = None;
    for seg in &s.server.segments(&header, &trigger) {
        if let Reception::Processed(p) = s.sim.receive(seg, 0).unwrap() {
            req = p.admin_session.or(req);
        }
    }
    let ex = s.server.read(&header, &s.sim.take_outgoing(0));
    assert_eq!(ex.status, Some(PorStatus::OK));
    let card = s.sim.open_admin_session(req.unwrap()).unwrap();
    let mut srv: Srv = ServerSession::new(
        ServerConfig::new(UriBuf::try_from("/gp/adm").unwrap()),
        vec![0u8; 65536],
    );
    srv.connection_opened(Duration::ZERO);
    (srv, card)
}

/// Moves HTTP bytes both ways until nothing moves; the response bodies
/// (status, body) in `log`; the session's end if it ended.
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
            match sim.admin_receive(card, &buf[..n], now).unwrap() {
                AdminProgress::Continue => {}
                p => return Some(p),
            }
            moved = true;
        }
        if !moved {
            return None;
        }
    }
}

/// One SCP03t TLV as the body of a response targeted at the ISD-P
/// (`X-Admin-Targeted-Application: //aid/<ISD-P AID>`), moreToDo keeping
/// the session open; the card's answer TLV from its next POST.
fn over_scp81(s: &mut Card, srv: &mut Srv, card: &mut AdminSession, tlv: &[u8]) -> Vec<u8> {
    srv.push_script(tlv.to_vec(), Some(s.aid.as_bytes()))
        .unwrap();
    let mut log = Vec::new();
    assert_eq!(pump(srv, &mut s.sim, card, &mut log), None);
    let (status, body) = log.pop().unwrap();
    assert_eq!(status, ScriptStatus::Ok);
    body
}

#[test]
fn download_over_scp81_then_audit_and_enable() {
    let mut s = setup(60_000);
    let keys = establish(&mut s, 32, 0x30, 0x47);
    // This eUICC's ICCID: the package's with two digits changed.
    let base = ts48();
    let header = Package::new(&base).elements().next().unwrap().unwrap();
    let mut iccid = ProfileHeader::from_element(&header).unwrap().iccid_raw;
    iccid[6] = if iccid[6] == 0x42 { 0x24 } else { 0x42 };
    let pkg = with_iccid(&base, iccid);
    assert_ne!(pkg, base);
    let (mut srv, mut card) = admin_session(&mut s);
    srv.expect_more(true);
    let mut host = Host::new(static_keys(&keys), 0x30, 0, [0x5F; 8], SecurityLevel::ALL).unwrap();
    let mut c = Vec::new();
    host.initialize_update(&mut c).unwrap();
    let r = over_scp81(&mut s, &mut srv, &mut card, &c);
    host.handle_initialize_update_response(&r).unwrap();
    c.clear();
    host.external_authenticate(&mut c).unwrap();
    let r = over_scp81(&mut s, &mut srv, &mut card, &c);
    host.handle_external_authenticate_response(&r).unwrap();
    let segs = download::segments(host.session().unwrap(), &pkg, SGP22_MAX_SEGMENT_LEN).unwrap();
    let mut last = None;
    for seg in &segs {
        let a = over_scp81(&mut s, &mut srv, &mut card, seg.tlv());
        let data = seg.check_answer(&a).unwrap();
        if !seg.more_to_follow() {
            last = Some(EuiccResponse::parse(&data).unwrap());
        }
    }
    let last = last.unwrap();
    assert!(last.is_ok(), "{last:?}");
    // AuditEIS and EnableProfile in the same session, then it ends.
    let audit = es5::audit_isdp_status(Some(&s.aid)).unwrap();
    let enable = es5::enable_profile(&s.aid).unwrap();
    srv.push_script(
        Server::script_bytes(&[audit.as_bytes(), enable.as_bytes()], Coding::Definite),
        None,
    )
    .unwrap();
    srv.expect_more(false);
    let mut log = Vec::new();
    let end = pump(&mut srv, &mut s.sim, &mut card, &mut log);
    assert_eq!(end, Some(AdminProgress::Ended(EndReason::Completed)));
    let (script, _) = ResponseScript::parse(&log[0].1).unwrap();
    let r: Vec<_> = script.r_apdus().map(Result::unwrap).collect();
    let entry = IsdpStatusList::new(r[0].data()).next().unwrap().unwrap();
    assert_eq!(entry.granted_memory, Some(60_000));
    assert_eq!(entry.remaining_memory, Some(60_000 - pkg.len() as u32));
    assert_eq!(r[1].sw(), StatusWord::SUCCESS);
    let p = s.sim.card().profile(&s.aid).unwrap();
    assert_eq!(p.iccid, Some(iccid));
    let h = ProfileHeader::from_element(&Package::new(&pkg).elements().next().unwrap().unwrap())
        .unwrap();
    assert_eq!(p.profile_type.as_deref(), h.profile_type);
    assert_eq!(p.life_cycle, life_cycle::ENABLED);
}

/// Opens the ISD-P's SCP03 session over SCP80 (`84`, `85` in a chain).
fn open_scp80(s: &mut Card, k: &KeySet, challenge: u8) -> Host {
    let mut host = Host::new(static_keys(k), k.kvn, 0, [challenge; 8], SecurityLevel::ALL).unwrap();
    let mut c = Vec::new();
    host.initialize_update(&mut c).unwrap();
    let r = over_scp80(s, ScriptChaining::FIRST_DELETE_ON_RESET, &c);
    host.handle_initialize_update_response(&r).unwrap();
    c.clear();
    host.external_authenticate(&mut c).unwrap();
    let r = over_scp80(s, ScriptChaining::SUBSEQUENT, &c);
    host.handle_external_authenticate_response(&r).unwrap();
    host
}

/// A C-APDU as the last script of the chain to the ISD-P; its R-APDU
/// (data ‖ SW) from the PoR.
fn apdu_scp80(s: &mut Card, apdu: &[u8]) -> Vec<u8> {
    let item = smsr::tlv::tlv(smsr::tlv::Tag::new(0x22), apdu)
        .to_vec()
        .unwrap();
    let isdr_tar = s.server.tar;
    s.server.tar = s.aid.tar().unwrap();
    let ex = s
        .server
        .send(&mut s.sim, &chained(ScriptChaining::LAST, &item));
    s.server.tar = isdr_tar;
    assert_eq!(ex.status, Some(PorStatus::OK));
    let (data, sw) = ex.rapdus.into_iter().next().unwrap();
    [&data[..], &sw.to_bytes()[..]].concat()
}

#[test]
fn update_connectivity_parameters_over_scp03_round_trip() {
    let pkg = ts48();
    let mut s = setup(60_000);
    let keys = establish(&mut s, 16, 0x30, 0x48);
    assert!(download_scp80(&mut s, &keys, &pkg, 1000).is_ok());
    let params = ConnectivityParameters::sms("447700900123");
    // The installed profile's ISD-P opens a new session with the same
    // key set and takes the STORE DATA 3A07 in it (level 33: C-MAC,
    // C-DECRYPTION, R-MAC, R-ENCRYPTION).
    let mut host = open_scp80(&mut s, &keys, 0x61);
    let apdu = connectivity::command(host.session().unwrap(), &params).unwrap();
    let session = host.session().unwrap().clone();
    let rapdu = apdu_scp80(&mut s, apdu.as_bytes());
    assert_eq!(
        connectivity::outcome(&session, &rapdu).unwrap(),
        Outcome::Updated
    );
    let stored = s.sim.card().profile(&s.aid).unwrap().connectivity.clone();
    assert_eq!(
        ConnectivityParameters::parse(&stored.unwrap()).unwrap(),
        params
    );
    // A flipped C-MAC bit: 6982, nothing changes, the session is closed.
    let other = ConnectivityParameters::sms("12345");
    let mut host = open_scp80(&mut s, &keys, 0x62);
    let apdu = connectivity::command(host.session().unwrap(), &other).unwrap();
    let mut bad = apdu.as_bytes().to_vec();
    *bad.last_mut().unwrap() ^= 1;
    let before = s.sim.card().profile(&s.aid).unwrap().clone();
    assert_eq!(apdu_scp80(&mut s, &bad), [0x69, 0x82]);
    assert_eq!(s.sim.card().profile(&s.aid).unwrap(), &before);
    // The refusal closed the session: the genuine command is refused too.
    assert_eq!(apdu_scp80(&mut s, apdu.as_bytes()), [0x69, 0x82]);
    assert_eq!(s.sim.card().profile(&s.aid).unwrap(), &before);
}

/// The APDU form both ways at every security level: what the SM-DP wraps
/// the card unwraps to the plain STORE DATA, and the card's R-APDU (with
/// and without data) comes back as it was; a flipped bit is refused and
/// leaves the card's session as it was.
#[test]
fn scp03_apdu_form_round_trips_at_every_level() {
    let keys = StaticKeys::from_bytes(&[0x41; 16], &[0x42; 16]).unwrap();
    for level in SecurityLevel::DEFINED {
        let mut host = Host::new(keys.clone(), 0x30, 0, [7; 8], level).unwrap();
        let mut card = scp03t::Card::new(keys.clone(), 0x30, s_aid().as_bytes(), 0, 1020).unwrap();
        let (mut c, mut r) = (Vec::new(), Vec::new());
        host.initialize_update(&mut c).unwrap();
        card.handle(&c, &mut [0; 8], &mut r).unwrap();
        host.handle_initialize_update_response(&r).unwrap();
        c.clear();
        r.clear();
        host.external_authenticate(&mut c).unwrap();
        card.handle(&c, &mut [0; 8], &mut r).unwrap();
        host.handle_external_authenticate_response(&r).unwrap();
        let params = ConnectivityParameters::sms("447700900123");
        let apdu = connectivity::command(host.session().unwrap(), &params).unwrap();
        let mut bad = apdu.as_bytes().to_vec();
        bad[5] ^= 0x01;
        let session = card.session_mut().unwrap();
        let before = session.clone();
        let mut plain = [0u8; 64];
        let view = CommandView::parse(&bad).unwrap();
        assert_eq!(
            session.unwrap_apdu(&view, &mut plain).unwrap_err().kind,
            ErrorKind::MacMismatch
        );
        assert_eq!(session.mac_chaining_value(), before.mac_chaining_value());
        assert_eq!(session.counter(), before.counter());
        let view = CommandView::parse(apdu.as_bytes()).unwrap();
        let n = session.unwrap_apdu(&view, &mut plain).unwrap();
        let mut expected = vec![0x3A, 0x07, 0x0B];
        expected.extend_from_slice(&params.to_vec().unwrap());
        assert_eq!(&plain[..n], &expected[..], "{level:?}");
        let host_side = host.session().unwrap().clone();
        for data in [&[][..], &[1, 2, 3][..]] {
            let mut rapdu = Vec::new();
            session
                .wrap_rapdu(data, StatusWord::SUCCESS, &mut rapdu)
                .unwrap();
            let mut out = [0u8; 64];
            let (sw, got) = host_side.unwrap_rapdu(&rapdu, &mut out).unwrap();
            assert_eq!((sw, got), (StatusWord::SUCCESS, data), "{level:?}");
            if level.r_mac() {
                rapdu[0] ^= 1;
                assert!(host_side.unwrap_rapdu(&rapdu, &mut out).is_err());
            }
        }
    }
}

fn s_aid() -> Aid {
    Aid::isd_p(Tar::from_value(0x11)).unwrap()
}

/// Over SCP81 with the established key set, the segments with `spoil`
/// applied; the answers; the ISD-P must hold nothing afterwards.
fn spoiled_scp81(
    quota: u32,
    spoil: impl Fn(&mut Vec<Vec<u8>>),
) -> (Vec<download::Segment>, Vec<Vec<u8>>) {
    let mut s = setup(quota);
    let keys = establish(&mut s, 16, 0x30, 0x49);
    let (mut srv, mut card) = admin_session(&mut s);
    srv.expect_more(true);
    let mut host = Host::new(static_keys(&keys), 0x30, 0, [0x60; 8], SecurityLevel::ALL).unwrap();
    let mut c = Vec::new();
    host.initialize_update(&mut c).unwrap();
    let r = over_scp81(&mut s, &mut srv, &mut card, &c);
    host.handle_initialize_update_response(&r).unwrap();
    c.clear();
    host.external_authenticate(&mut c).unwrap();
    let r = over_scp81(&mut s, &mut srv, &mut card, &c);
    host.handle_external_authenticate_response(&r).unwrap();
    let segs = download::segments(host.session().unwrap(), &ts48(), SGP22_MAX_SEGMENT_LEN).unwrap();
    let mut tlvs: Vec<Vec<u8>> = segs.iter().map(|g| g.tlv().to_vec()).collect();
    spoil(&mut tlvs);
    let mut answers = Vec::new();
    for t in &tlvs {
        let a = over_scp81(&mut s, &mut srv, &mut card, t);
        let stop = a.first() == Some(&0x9F);
        answers.push(a);
        if stop {
            break;
        }
    }
    let p = s.sim.card().profile(&s.aid).unwrap();
    assert!(!p.is_loaded());
    assert_eq!((p.iccid, p.used), (None, 0));
    (segs, answers)
}

#[test]
fn over_scp81_bad_mac_replay_and_quota_install_nothing() {
    // A flipped bit in the second segment's C-MAC: 9F46 6982.
    let (_, a) = spoiled_scp81(60_000, |t| {
        let last = t[1].last_mut().unwrap();
        *last ^= 1;
    });
    assert_eq!(a.last().unwrap(), &[0x9F, 0x46, 0x02, 0x69, 0x82]);
    // The first segment replayed in place of the second: refused.
    let (_, a) = spoiled_scp81(60_000, |t| t[1] = t[0].clone());
    assert_eq!(a.last().unwrap()[..2], [0x9F, 0x46]);
    assert_eq!(a.len(), 2);
    // A package bigger than the ISD-P quota: an intermediate segment is
    // answered with the EUICCResponse notEnoughMemory, installation
    // aborted; the session is closed, so the next segment gets 9F46 6985.
    let (segs, a) = spoiled_scp81(4_000, |_| {});
    let n = a.len();
    assert!(n < segs.len());
    assert_eq!(a[n - 1], [0x9F, 0x46, 0x02, 0x69, 0x85]);
    let r = EuiccResponse::parse(&segs[n - 2].check_answer(&a[n - 2]).unwrap()).unwrap();
    assert!(r.aborted);
    assert_eq!(r.pe_status[0].status, PeStatusCode::NOT_ENOUGH_MEMORY);
}
