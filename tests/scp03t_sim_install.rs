//! The simulated eUICC's ISD-P install over SCP03t (feature `sim`): a real
//! TS.48 package goes in through `84`/`85`/`86`, is verified, deciphered,
//! validated and installed, and AuditEIS (GET STATUS) reports the memory
//! it uses; every refusal answers with the error the card would send and
//! installs nothing.
#![cfg(feature = "sim")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

mod sim_support;

use smsr::es8::download::{self, EuiccResponse, PeStatusCode};
use smsr::isdr::audit::IsdpStatusList;
use smsr::isdr::{Aid, Tar, es5};
use smsr::profile::{Package, ProfileHeader};
use smsr::remote::Coding;
use smsr::scp03t::segment::SGP22_MAX_SEGMENT_LEN;
use smsr::scp03t::{ErrorKind, Host, SecurityLevel, StaticKeys};
use smsr::sim::{Euicc, fleet, life_cycle};

fn ts48() -> Option<Vec<u8>> {
    let dir = std::env::var_os("SMSR_TESTDATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata")
        });
    let p = dir.join("profiles/ts48v5_saip2.3_bertlv_suci.der");
    let r = std::fs::read(&p).ok();
    if r.is_none() {
        eprintln!(
            "scp03t_sim_install: {} NOT FOUND (set SMSR_TESTDATA); skipping",
            p.display()
        );
    }
    r
}

fn keys() -> StaticKeys {
    StaticKeys::from_bytes(&[0x51; 16], &[0x52; 16]).unwrap()
}

/// A fleet eUICC with one created ISD-P (quota `quota`) holding `keys()`.
fn card(quota: u32) -> (Euicc, Aid, sim_support::Server) {
    let cfg = fleet::member(3, 0).unwrap();
    let mut server = sim_support::Server::new(&cfg);
    let mut sim = Euicc::new(cfg, 1);
    let aid = Aid::isd_p(Tar::from_value(0x20)).unwrap();
    let create = es5::create_isdp(&aid, Some(quota)).unwrap();
    let script = sim_support::Server::script_bytes(&[create.as_bytes()], Coding::Definite);
    let ex = server.send(&mut sim, &script);
    assert_eq!(ex.rapdus[0].1.0, 0x9000);
    sim.set_isdp_key_set(&aid, 0x30, keys()).unwrap();
    assert_eq!(
        sim.card().profile(&aid).unwrap().life_cycle,
        life_cycle::PERSONALIZED
    );
    (sim, aid, server)
}

/// The SM-DP side: handshake against the sim, then the segments.
fn open(sim: &mut Euicc, aid: &Aid, host_keys: StaticKeys) -> Result<Host, smsr::scp03t::Error> {
    let mut host = Host::new(host_keys, 0x30, 0, [0x33; 8], SecurityLevel::ALL).unwrap();
    let mut c = Vec::new();
    host.initialize_update(&mut c).unwrap();
    let r = sim.handle_scp03t(aid, &c);
    host.handle_initialize_update_response(&r)?;
    c.clear();
    host.external_authenticate(&mut c).unwrap();
    let r = sim.handle_scp03t(aid, &c);
    host.handle_external_authenticate_response(&r)?;
    Ok(host)
}

/// Sends every segment; returns the answers.
fn send(sim: &mut Euicc, aid: &Aid, segs: &[Vec<u8>]) -> Vec<Vec<u8>> {
    segs.iter().map(|s| sim.handle_scp03t(aid, s)).collect()
}

fn segments(host: &mut Host, pkg: &[u8]) -> (Vec<download::Segment>, Vec<Vec<u8>>) {
    let segs = download::segments(host.session().unwrap(), pkg, SGP22_MAX_SEGMENT_LEN).unwrap();
    let tlvs = segs.iter().map(|s| s.tlv().to_vec()).collect();
    (segs, tlvs)
}

fn nothing_installed(sim: &Euicc, aid: &Aid) {
    let p = sim.card().profile(aid).unwrap();
    assert!(!p.is_loaded());
    assert_eq!((p.iccid, p.used), (None, 0));
}

#[test]
fn a_ts48_package_is_installed_and_audited() {
    let Some(pkg) = ts48() else { return };
    let (mut sim, aid, mut server) = card(40_000);
    let mut host = open(&mut sim, &aid, keys()).unwrap();
    let (segs, tlvs) = segments(&mut host, &pkg);
    let answers = send(&mut sim, &aid, &tlvs);
    for (s, a) in segs.iter().zip(&answers) {
        let data = s.check_answer(a).unwrap();
        if !s.more_to_follow() {
            assert!(EuiccResponse::parse(&data).unwrap().is_ok());
        }
    }
    let header = Package::new(&pkg).elements().next().unwrap().unwrap();
    let h = ProfileHeader::from_element(&header).unwrap();
    let p = sim.card().profile(&aid).unwrap();
    assert_eq!(p.life_cycle, life_cycle::DISABLED);
    assert_eq!(p.iccid, Some(h.iccid_raw));
    assert_eq!(p.profile_type.as_deref(), h.profile_type);
    assert_eq!(p.mandatory_services, h.mandatory_services);
    assert_eq!(p.used as usize, pkg.len());
    // AuditEIS: GET STATUS reports the memory the profile really uses.
    let status = es5::audit_isdp_status(Some(&aid)).unwrap();
    let script = sim_support::Server::script_bytes(&[status.as_bytes()], Coding::Definite);
    let ex = server.send(&mut sim, &script);
    let entry = IsdpStatusList::new(&ex.rapdus[0].0)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(entry.granted_memory, Some(40_000));
    assert_eq!(entry.remaining_memory, Some(40_000 - pkg.len() as u32));
    // A second load into the same ISD-P is refused.
    let again = sim.handle_scp03t(&aid, &tlvs[0]);
    assert_eq!(again, [0x9F, 0x46, 0x02, 0x69, 0x85]);
}

/// Loads with one segment altered by `spoil`; the answer to it must be
/// `expected` and nothing is installed.
fn refused(spoil: impl Fn(&mut Vec<Vec<u8>>) -> usize, expected: &[u8]) {
    let Some(pkg) = ts48() else { return };
    let (mut sim, aid, _server) = card(40_000);
    let mut host = open(&mut sim, &aid, keys()).unwrap();
    let (_, mut tlvs) = segments(&mut host, &pkg);
    let at = spoil(&mut tlvs);
    let answers = send(&mut sim, &aid, &tlvs);
    assert_eq!(answers[at], expected);
    nothing_installed(&sim, &aid);
}

#[test]
fn bad_mac_is_refused() {
    refused(
        |t| {
            t[2][40] ^= 0x01;
            2
        },
        &[0x9F, 0x46, 0x02, 0x69, 0x82],
    );
}

#[test]
fn replayed_segment_is_refused() {
    refused(
        |t| {
            t[3] = t[2].clone();
            3
        },
        &[0x9F, 0x46, 0x02, 0x69, 0x82],
    );
}

#[test]
fn reordered_segment_is_refused() {
    refused(
        |t| {
            t.swap(4, 5);
            4
        },
        &[0x9F, 0x46, 0x02, 0x69, 0x82],
    );
}

#[test]
fn truncated_package_installs_nothing() {
    let Some(pkg) = ts48() else { return };
    let (mut sim, aid, _server) = card(40_000);
    let mut host = open(&mut sim, &aid, keys()).unwrap();
    let (segs, mut tlvs) = segments(&mut host, &pkg);
    tlvs.pop();
    let answers = send(&mut sim, &aid, &tlvs);
    for (s, a) in segs.iter().zip(&answers) {
        assert!(s.check_answer(a).unwrap().is_empty());
    }
    nothing_installed(&sim, &aid);
    // A new session drops the partial package: a full load then works.
    let mut host = open(&mut sim, &aid, keys()).unwrap();
    let (_, tlvs) = segments(&mut host, &pkg);
    send(&mut sim, &aid, &tlvs);
    assert!(sim.card().profile(&aid).unwrap().is_loaded());
}

#[test]
fn wrong_key_is_refused() {
    let (mut sim, aid, _server) = card(40_000);
    let other = StaticKeys::from_bytes(&[0x61; 16], &[0x62; 16]).unwrap();
    let e = open(&mut sim, &aid, other).unwrap_err();
    assert_eq!(e.kind, ErrorKind::CryptogramMismatch);
    nothing_installed(&sim, &aid);
}

/// Wraps `pkg` and returns the decoded EUICCResponse of the last answer.
fn load_answer(sim: &mut Euicc, aid: &Aid, pkg: &[u8]) -> EuiccResponse {
    let mut host = open(sim, aid, keys()).unwrap();
    let (segs, tlvs) = segments(&mut host, pkg);
    let answers = send(sim, aid, &tlvs);
    let (i, a) = answers
        .iter()
        .enumerate()
        .find(|(i, a)| !segs[*i].check_answer(a).unwrap().is_empty())
        .unwrap();
    EuiccResponse::parse(&segs[i].check_answer(a).unwrap()).unwrap()
}

#[test]
fn package_beyond_the_isdp_quota_is_refused() {
    let Some(pkg) = ts48() else { return };
    let (mut sim, aid, _server) = card(pkg.len() as u32 - 1);
    let r = load_answer(&mut sim, &aid, &pkg);
    assert!(r.aborted);
    assert_eq!(r.pe_status[0].status, PeStatusCode::NOT_ENOUGH_MEMORY);
    nothing_installed(&sim, &aid);
}

#[test]
fn corrupt_package_is_refused() {
    let Some(mut pkg) = ts48() else { return };
    // The length octet of the second element set to the reserved `FF`
    // (X.690 §8.1.3.5): the package cannot be read past the header.
    let (mut sim, aid, _server) = card(40_000);
    let header_len = smsr::tlv::Tlv::parse(&pkg).unwrap().0.raw().len();
    pkg[header_len + 1] = 0xFF;
    let r = load_answer(&mut sim, &aid, &pkg);
    assert!(r.aborted && !r.is_ok());
    assert_eq!(r.pe_status[0].status, PeStatusCode::INVALID_REQUEST_FORMAT);
    assert_eq!(r.pe_status[0].offset, Some(header_len as u32 + 1));
    nothing_installed(&sim, &aid);
    // A package whose elements are well formed but that does not validate
    // (the header removed) is refused as bad values.
    let Some(full) = ts48() else { return };
    let (t, rest) = smsr::tlv::Tlv::parse(&full).unwrap();
    assert_eq!(t.tag().raw(), 0xA0);
    let (mut sim, aid, _server) = card(40_000);
    let r = load_answer(&mut sim, &aid, rest);
    assert!(r.aborted);
    assert_eq!(r.pe_status[0].status, PeStatusCode::BAD_VALUES);
    nothing_installed(&sim, &aid);
}
