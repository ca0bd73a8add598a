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
//! Full ES5 lifecycles through the simulator with bytes only: the server
//! side builds with `isdr::es5`, wraps with `scp80`, and reads the PoRs,
//! response scripts and notifications with the server-side parsers.

mod sim_support;

use sim_support::{Server, profile_header, ts48_package};
use smsr::apdu::StatusWord;
use smsr::apdu::gp::{StoreData, StoreDataP1};
use smsr::isdr::audit::{ExtendedCardResources, IsdpStatusList, LifeCycle};
use smsr::isdr::notification::NotificationType;
use smsr::isdr::{Aid, Eid, Tar, es5, response};
use smsr::remote::Coding;
use smsr::scp80::PorStatus;
use smsr::sim::{Euicc, Pol1, fleet};
use smsr::tlv::Encode;

fn setup() -> (Euicc, Server) {
    let cfg = fleet::member(7, 0).unwrap();
    let server = Server::new(&cfg);
    (Euicc::new(cfg, 1), server)
}

fn isdp(tar: u32) -> Aid {
    Aid::isd_p(Tar::from_value(tar)).unwrap()
}

/// CreateISDP, then the download stand-in: INSTALL [for personalization]
/// and the package in STORE DATA blocks (BER-TLV), in one script.
fn create_and_load(server: &mut Server, sim: &mut Euicc, aid: &Aid, package: &[u8]) {
    let create = es5::create_isdp(aid, Some(40_000)).unwrap();
    let perso = es5::install_for_personalization(aid).unwrap();
    let blocks: Vec<_> = StoreData::new(StoreDataP1::BER_TLV, package)
        .blocks()
        .unwrap()
        .map(|c| c.to_apdu::<261>().unwrap())
        .collect();
    let mut apdus: Vec<&[u8]> = vec![create.as_bytes(), perso.as_bytes()];
    apdus.extend(blocks.iter().map(|b| b.as_bytes()));
    let script = Server::script_bytes(&apdus, Coding::Indefinite);
    // A long script travels in concatenated SMS.
    let ex = server.send(sim, &script);
    assert_eq!(ex.status, Some(PorStatus::OK));
    assert_eq!(ex.rapdus.len(), apdus.len());
    for (i, (_, sw)) in ex.rapdus.iter().enumerate() {
        assert_eq!(*sw, StatusWord::SUCCESS, "APDU {i}");
    }
}

fn store(server: &mut Server, sim: &mut Euicc, apdu: &[u8]) -> sim_support::Exchange {
    let ex = server.run(sim, &[apdu]);
    assert_eq!(ex.status, Some(PorStatus::OK));
    assert_eq!(ex.rapdus.len(), 1);
    ex
}

fn confirm(server: &mut Server, sim: &mut Euicc, seq: u16) -> Vec<Aid> {
    let c = es5::handle_notification_confirmation(seq).unwrap();
    let ex = store(server, sim, c.as_bytes());
    response::notification_confirmation(&ex.rapdu(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn statuses(server: &mut Server, sim: &mut Euicc) -> Vec<smsr::isdr::audit::IsdpStatus> {
    let ex = store(
        server,
        sim,
        es5::audit_isdp_status(None).unwrap().as_bytes(),
    );
    if ex.sw(0) == StatusWord::REFERENCED_DATA_NOT_FOUND {
        return Vec::new();
    }
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    IsdpStatusList::new(&ex.rapdus[0].0)
        .map(Result::unwrap)
        .collect()
}

#[test]
fn create_download_enable_disable_delete() {
    let (mut sim, mut server) = setup();
    let (a, b) = (isdp(0x10), isdp(0x11));
    let pkg_a = ts48_package().unwrap_or_else(|| {
        println!("skipping the TS.48 package (no test data); using a header stand-in");
        profile_header([0x98, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x01], None)
    });
    create_and_load(&mut server, &mut sim, &a, &pkg_a);
    create_and_load(&mut server, &mut sim, &b, &profile_header([0x98; 10], None));
    let st = statuses(&mut server, &mut sim);
    assert_eq!(st.len(), 2);
    assert!(st.iter().all(|s| s.life_cycle == LifeCycle::DISABLED));
    assert_eq!(st[0].granted_memory, Some(40_000));
    assert_eq!(st[0].remaining_memory, Some(40_000 - pkg_a.len() as u32));
    let (header, _) = smsr::tlv::Tlv::parse(&pkg_a).unwrap();
    let iccid = header.find(smsr::tlv::Tag::new(0x83)).unwrap().unwrap();
    assert_eq!(
        sim.card().profile(&a).unwrap().iccid.unwrap()[..],
        *iccid.value()
    );

    // Fall-back attribute on A, then enable A: notification 02 for A.
    store(
        &mut server,
        &mut sim,
        es5::set_fallback_attribute(&a).unwrap().as_bytes(),
    );
    let ex = store(
        &mut server,
        &mut sim,
        es5::enable_profile(&a).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    assert_eq!(ex.notifications.len(), 1);
    let n = &ex.notifications[0];
    assert_eq!(n.kind, NotificationType::PROFILE_CHANGE_SUCCEEDED);
    assert_eq!(n.isd_p_aid, Some(a));
    assert_eq!(n.eid, sim.config().eid);
    assert!(confirm(&mut server, &mut sim, n.sequence_number).is_empty());
    // Confirming twice: the sequence number is gone.
    let again = es5::handle_notification_confirmation(n.sequence_number).unwrap();
    let ex = store(&mut server, &mut sim, again.as_bytes());
    assert_eq!(ex.sw(0), StatusWord::REFERENCED_DATA_NOT_FOUND);

    // Enable B: A is disabled.
    let ex = store(
        &mut server,
        &mut sim,
        es5::enable_profile(&b).unwrap().as_bytes(),
    );
    let n2 = ex.notifications[0].clone();
    assert_eq!(
        (n2.kind, n2.isd_p_aid),
        (NotificationType::PROFILE_CHANGE_SUCCEEDED, Some(b))
    );
    assert_eq!(n2.sequence_number, n.sequence_number + 1);
    confirm(&mut server, &mut sim, n2.sequence_number);
    // Enabling the enabled profile is refused.
    let ex = store(
        &mut server,
        &mut sim,
        es5::enable_profile(&b).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::CONDITIONS_NOT_SATISFIED);
    assert!(ex.notifications.is_empty());

    // Disable B: the fall-back profile A is enabled, notification 05.
    let ex = store(
        &mut server,
        &mut sim,
        es5::disable_profile(&b).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    let n3 = &ex.notifications[0];
    assert_eq!(
        (n3.kind, n3.isd_p_aid),
        (NotificationType::PROFILE_CHANGE_AFTER_FALLBACK, Some(a))
    );
    confirm(&mut server, &mut sim, n3.sequence_number);

    // Delete: the enabled fall-back profile is refused, B is deleted.
    let ex = store(
        &mut server,
        &mut sim,
        es5::delete_isdp(&a).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::CONDITIONS_NOT_SATISFIED);
    let ex = store(
        &mut server,
        &mut sim,
        es5::delete_isdp(&b).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    let ex = store(
        &mut server,
        &mut sim,
        es5::delete_isdp(&b).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::REFERENCED_DATA_NOT_FOUND);
    let st = statuses(&mut server, &mut sim);
    assert_eq!(st.len(), 1);
    assert_eq!(
        (st[0].aid, st[0].life_cycle, st[0].fallback()),
        (a, LifeCycle::ENABLED, Some(true))
    );

    // Capability audit: one ISD-P, its quota taken from the memory.
    let ex = store(
        &mut server,
        &mut sim,
        es5::audit_card_resources().unwrap().as_bytes(),
    );
    let res = ExtendedCardResources::parse(&ex.rapdus[0].0).unwrap();
    assert_eq!(res.installed_applications, Some(1));
    assert_eq!(
        res.free_non_volatile_memory,
        Some(sim.config().memory - 40_000)
    );
    assert_eq!(res.free_volatile_memory, Some(sim.config().volatile_memory));

    // The EID from the ECASD.
    server.tar = smsr::scp80::Tar([0x00, 0x00, 0x02]);
    let ex = store(&mut server, &mut sim, es5::get_eid().unwrap().as_bytes());
    assert_eq!(
        Eid::from_get_data(&ex.rapdus[0].0).unwrap(),
        sim.config().eid
    );
}

#[test]
fn fallback_after_loss_of_connectivity_and_rollback() {
    let (mut sim, mut server) = setup();
    let (a, b) = (isdp(0x20), isdp(0x21));
    create_and_load(&mut server, &mut sim, &a, &profile_header([1; 10], None));
    create_and_load(&mut server, &mut sim, &b, &profile_header([2; 10], None));
    store(
        &mut server,
        &mut sim,
        es5::set_fallback_attribute(&a).unwrap().as_bytes(),
    );
    let n = store(
        &mut server,
        &mut sim,
        es5::enable_profile(&b).unwrap().as_bytes(),
    )
    .notifications[0]
        .clone();

    // No confirmation yet and the network is lost: the switch is rolled
    // back (B disabled again, nothing was enabled before), notification 03.
    assert!(sim.connectivity_lost(server.now_ms));
    let out = sim.take_outgoing(server.now_ms);
    let header = server.header();
    let ex = server.read(&header, &out);
    assert_eq!(ex.notifications.len(), 1);
    assert_eq!(
        ex.notifications[0].kind,
        NotificationType::PROFILE_CHANGE_FAILED_AND_ROLLBACK
    );
    let st = statuses(&mut server, &mut sim);
    assert!(st.iter().all(|s| s.life_cycle == LifeCycle::DISABLED));
    // The rolled-back notification is gone: confirming it fails.
    let c = es5::handle_notification_confirmation(n.sequence_number).unwrap();
    assert_eq!(
        store(&mut server, &mut sim, c.as_bytes()).sw(0),
        StatusWord::REFERENCED_DATA_NOT_FOUND
    );
    confirm(&mut server, &mut sim, ex.notifications[0].sequence_number);

    // Enable B, confirm; then loss of connectivity: fall-back to A (05).
    let n = store(
        &mut server,
        &mut sim,
        es5::enable_profile(&b).unwrap().as_bytes(),
    )
    .notifications[0]
        .clone();
    confirm(&mut server, &mut sim, n.sequence_number);
    assert!(sim.connectivity_lost(5));
    let out = sim.take_outgoing(5);
    let ex = server.read(&header, &out);
    let n = &ex.notifications[0];
    assert_eq!(
        (n.kind, n.isd_p_aid),
        (NotificationType::PROFILE_CHANGE_AFTER_FALLBACK, Some(a))
    );
    // Unconfirmed notifications are sent again on request.
    sim.retry_notifications(6);
    let again = server.read(&header, &sim.take_outgoing(6));
    assert_eq!(again.notifications[0].sequence_number, n.sequence_number);
    confirm(&mut server, &mut sim, n.sequence_number);
    let st = statuses(&mut server, &mut sim);
    assert_eq!(
        st.iter().find(|s| s.aid == a).unwrap().life_cycle,
        LifeCycle::ENABLED
    );
    assert_eq!(
        st.iter().find(|s| s.aid == b).unwrap().life_cycle,
        LifeCycle::DISABLED
    );
    // Already on the fall-back profile: nothing more to do.
    assert!(!sim.connectivity_lost(7));
}

#[test]
fn pol1_refusals_and_auto_delete() {
    let (mut sim, mut server) = setup();
    let (locked, undeletable, auto, other) = (isdp(0x30), isdp(0x31), isdp(0x32), isdp(0x33));
    create_and_load(
        &mut server,
        &mut sim,
        &locked,
        &profile_header([3; 10], Some(Pol1::DISABLE_NOT_ALLOWED.0)),
    );
    create_and_load(
        &mut server,
        &mut sim,
        &undeletable,
        &profile_header([4; 10], Some(Pol1::DELETE_NOT_ALLOWED.0)),
    );
    create_and_load(
        &mut server,
        &mut sim,
        &auto,
        &profile_header([5; 10], Some(Pol1::DELETE_WHEN_DISABLED.0)),
    );
    create_and_load(
        &mut server,
        &mut sim,
        &other,
        &profile_header([6; 10], None),
    );

    // Deletion not allowed: 69E1, nothing changes.
    let before = sim.snapshot().card;
    let ex = store(
        &mut server,
        &mut sim,
        es5::delete_isdp(&undeletable).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord(0x69E1));
    assert_eq!(sim.snapshot().card, before);

    // Auto-delete: enable `auto`, then switch away; after the
    // confirmation the eUICC deletes it and says so.
    let n = store(
        &mut server,
        &mut sim,
        es5::enable_profile(&auto).unwrap().as_bytes(),
    )
    .notifications[0]
        .clone();
    assert!(confirm(&mut server, &mut sim, n.sequence_number).is_empty());
    let n = store(
        &mut server,
        &mut sim,
        es5::enable_profile(&locked).unwrap().as_bytes(),
    )
    .notifications[0]
        .clone();
    assert!(
        sim.card().profile(&auto).is_some(),
        "kept until the confirmation"
    );
    assert_eq!(
        confirm(&mut server, &mut sim, n.sequence_number),
        vec![auto]
    );
    assert!(sim.card().profile(&auto).is_none());

    // Disabling not allowed: enabling another profile is refused with
    // 69E1, and so is disabling it.
    let before = sim.snapshot();
    let ex = store(
        &mut server,
        &mut sim,
        es5::enable_profile(&other).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord(0x69E1));
    assert!(ex.notifications.is_empty());
    let ex = store(
        &mut server,
        &mut sim,
        es5::disable_profile(&locked).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord(0x69E1));
    assert_eq!(sim.snapshot().card, before.card);
    assert_eq!(
        response::command_status(&ex.rapdu(0)).unwrap_err(),
        response::Es5Error::Pol1Refused
    );
}

#[test]
fn memory_quota_and_script_stops_at_first_error() {
    let (mut sim, mut server) = setup();
    let memory = sim.config().memory;
    let big = es5::create_isdp(&isdp(0x40), Some(memory + 1)).unwrap();
    let ex = store(&mut server, &mut sim, big.as_bytes());
    assert_eq!(ex.sw(0), StatusWord::NOT_ENOUGH_MEMORY);
    // A script stops at the first error: the second CreateISDP never runs.
    let unknown = es5::enable_profile(&isdp(0x41)).unwrap();
    let ok = es5::create_isdp(&isdp(0x42), None).unwrap();
    let ex = server.run(&mut sim, &[unknown.as_bytes(), ok.as_bytes()]);
    assert_eq!(ex.rapdus.len(), 1);
    assert_eq!(ex.sw(0), StatusWord::REFERENCED_DATA_NOT_FOUND);
    assert!(sim.card().profiles.is_empty());
    // The definite answer carries the executed count 1 (AB 80 01 01 …).
    assert_eq!(&ex.data[..5], &[0xAB, ex.data[1], 0x80, 0x01, 0x01]);
}

#[test]
fn emergency_attribute_parameters_and_status_paging() {
    let (mut sim, mut server) = setup();
    let aids: Vec<Aid> = (0..8).map(|i| isdp(0x50 + i)).collect();
    for (i, a) in aids.iter().enumerate() {
        create_and_load(
            &mut server,
            &mut sim,
            a,
            &profile_header([i as u8; 10], None),
        );
    }
    // Emergency on one, fall-back on another; neither on the same profile.
    let ex = store(
        &mut server,
        &mut sim,
        es5::set_emergency_profile_attribute(&aids[0])
            .unwrap()
            .as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    let ex = store(
        &mut server,
        &mut sim,
        es5::set_fallback_attribute(&aids[0]).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::CONDITIONS_NOT_SATISFIED);
    store(
        &mut server,
        &mut sim,
        es5::set_fallback_attribute(&aids[1]).unwrap().as_bytes(),
    );
    // The emergency and fall-back profiles cannot be deleted.
    for a in &aids[..2] {
        let ex = store(
            &mut server,
            &mut sim,
            es5::delete_isdp(a).unwrap().as_bytes(),
        );
        assert_eq!(ex.sw(0), StatusWord::CONDITIONS_NOT_SATISFIED);
    }
    // Eight E3 entries do not fit 256 octets: 6310, then GET STATUS with
    // P2 03 (next occurrence) returns the rest.
    let ex = store(
        &mut server,
        &mut sim,
        es5::audit_isdp_status(None).unwrap().as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::MORE_DATA);
    let first: Vec<_> = IsdpStatusList::new(&ex.rapdus[0].0)
        .map(Result::unwrap)
        .collect();
    assert!(ex.rapdus[0].0.len() <= 256 && first.len() < 8);
    let all = es5::audit_isdp_status(None).unwrap();
    let mut next = all.as_bytes().to_vec();
    next[3] = 0x03;
    let ex = server.run(&mut sim, &[all.as_bytes(), &next]);
    assert_eq!(
        (ex.sw(0), ex.sw(1)),
        (StatusWord::MORE_DATA, StatusWord::SUCCESS)
    );
    let rest: Vec<_> = IsdpStatusList::new(&ex.rapdus[1].0)
        .map(Result::unwrap)
        .collect();
    assert_eq!(first.len() + rest.len(), 8);
    assert_eq!(
        first[0].properties,
        Some(0x02),
        "emergency bit (UNCONFIRMED coding)"
    );
    assert_eq!(first[1].fallback(), Some(true));
    // Continuation without a started GET STATUS is refused.
    assert_eq!(
        store(&mut server, &mut sim, &next).sw(0),
        StatusWord::CONDITIONS_NOT_SATISFIED
    );

    // Connectivity parameters and SM-SR addressing share DGI 3A07.
    let mut buf = [0u8; 32];
    let params = es5::sms_connectivity_parameters("447700900123", &mut buf)
        .unwrap()
        .to_vec();
    let ex = store(
        &mut server,
        &mut sim,
        es5::update_connectivity_parameters(&params)
            .unwrap()
            .as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    assert_eq!(sim.card().connectivity.as_deref(), Some(&params[..]));
    let mut buf = [0u8; 32];
    let addr = es5::smsr_sms_addressing_parameters(0x91, "447700900999", &mut buf)
        .unwrap()
        .to_vec();
    let ex = store(
        &mut server,
        &mut sim,
        es5::update_smsr_addressing_parameters(&addr)
            .unwrap()
            .as_bytes(),
    );
    assert_eq!(ex.sw(0), StatusWord::SUCCESS);
    assert_eq!(sim.card().smsr_addressing.as_deref(), Some(&addr[..]));
    assert_eq!(sim.card().connectivity.as_deref(), Some(&params[..]));
}

#[test]
fn declaration_notification() {
    let (mut sim, mut server) = setup();
    sim.declare(0);
    let header = server.header();
    let ex = server.read(&header, &sim.take_outgoing(0));
    let n = &ex.notifications[0];
    assert_eq!(
        (n.kind, n.isd_p_aid, n.sequence_number),
        (NotificationType::EUICC_DECLARATION, None, 0)
    );
    assert!(confirm(&mut server, &mut sim, 0).is_empty());
    assert!(sim.card().pending.is_empty());
}

#[test]
fn chained_scripts_carry_a_download_across_sms() {
    // The TS.48 package (or a stand-in) in STORE DATA blocks spread over
    // three scripts linked by Script Chaining (83 01 / 02 / 03): the
    // INSTALL [for personalization] and the block sequence survive from
    // one SMS script to the next.
    let (mut sim, mut server) = setup();
    let aid = isdp(0x60);
    let pkg = ts48_package().unwrap_or_else(|| {
        println!("skipping the TS.48 package (no test data); using a header stand-in");
        profile_header([7; 10], None)
    });
    let create = es5::create_isdp(&aid, Some(40_000)).unwrap();
    store(&mut server, &mut sim, create.as_bytes());
    let perso = es5::install_for_personalization(&aid).unwrap();
    let blocks: Vec<_> = StoreData::new(StoreDataP1::BER_TLV, &pkg)
        .block_size(100)
        .blocks()
        .unwrap()
        .map(|c| c.to_apdu::<261>().unwrap())
        .collect();
    assert!(blocks.len() >= 3);
    let third = blocks.len() / 3;
    let parts = [
        &blocks[..third],
        &blocks[third..2 * third],
        &blocks[2 * third..],
    ];
    for (k, part) in parts.iter().enumerate() {
        let chaining = [0x83, 0x01, [0x01, 0x02, 0x03][k]];
        let mut items: Vec<Vec<u8>> = vec![Vec::from(chaining)];
        if k == 0 {
            items.push(
                smsr::remote::expanded::c_apdu(perso.as_bytes())
                    .to_vec()
                    .unwrap(),
            );
        }
        for b in part.iter() {
            items.push(
                smsr::remote::expanded::c_apdu(b.as_bytes())
                    .to_vec()
                    .unwrap(),
            );
        }
        let body: Vec<u8> = items.concat();
        let script = smsr::tlv::tlv(smsr::tlv::Tag::new(0xAA), body.as_slice())
            .to_vec()
            .unwrap();
        let ex = server.send(&mut sim, &script);
        assert_eq!(ex.status, Some(PorStatus::OK));
        assert!(
            ex.rapdus.iter().all(|r| r.1 == StatusWord::SUCCESS),
            "script {k}: {:?}",
            ex.rapdus
        );
        let lc = sim.card().profile(&aid).unwrap().life_cycle;
        assert_eq!(lc == smsr::sim::life_cycle::DISABLED, k == 2, "script {k}");
    }
    // Without chaining, a continuation block is refused (6A86): each
    // script starts afresh.
    let b1 = &blocks[1];
    let ex = server.run(&mut sim, &[perso.as_bytes(), b1.as_bytes()]);
    assert_eq!(ex.sw(1), StatusWord(0x6A86));
}
