//! The simulated ISD-P as the SM-SR reaches it (ES8 relay, `sim/relay.rs`
//! and `sim/isdp_connectivity.rs`): arbitrary secured data, cut at `FF`,
//! in validly secured SMS to the ISD-P's TAR after a real SCP03t
//! handshake — bare SCP03t TLVs, expanded scripts with SCP03t items and
//! C-APDUs in the SCP03 APDU form. Never panics; nothing is ever
//! installed from data that were not wrapped with the ISD-P's keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::crypto::Key;
use smsr::isdr::{Aid, Tar, es5};
use smsr::remote::Coding;
use smsr::remote::expanded::{c_apdu, command_script};
use smsr::scp03t::{Host, SecurityLevel, StaticKeys};
use smsr::scp80::sms::{self, ConcatReference};
use smsr::scp80::{Cntr, CommandHeader, Framing, KeyAlgorithm, KeySet, Kic, Kid, Spi};
use smsr::sim::{Euicc, fleet};
use smsr::tlv::Encode;

fn send(sim: &mut Euicc, keys: &KeySet, tar: Tar, cntr: u64, payload: &[u8]) {
    let header = CommandHeader {
        spi: Spi([0x16, 0x39]),
        kic: Kic::new(1, KeyAlgorithm::AES),
        kid: Kid::new(1, KeyAlgorithm::AES.0),
        tar,
        cntr: Cntr::from_u64(cntr).unwrap(),
    };
    let mut buf = vec![0u8; payload.len() + 64];
    let Ok(n) = smsr::scp80::command::wrap(Framing::SmsPp, &header, payload, keys, &mut buf) else {
        return;
    };
    let Ok(segs) = sms::segments(&buf[..n], ConcatReference::Ref8(cntr as u8)) else {
        return;
    };
    for s in segs {
        let _ = sim.receive(&s, cntr);
    }
    let _ = sim.take_outgoing(cntr);
}

fuzz_target!(|data: &[u8]| {
    let cfg = fleet::member(1, 0).unwrap();
    let ks = &cfg.scp80[0];
    let scp80 = KeySet::new()
        .with_kic(&Key::aes(ks.kic.dangerous_bytes()).unwrap())
        .with_kid(&Key::aes(ks.kid.dangerous_bytes()).unwrap());
    let mut sim = Euicc::new(cfg, 7);
    let aid = Aid::isd_p(Tar::from_value(0x20)).unwrap();
    let apdu = es5::create_isdp(&aid, Some(40_000)).unwrap();
    let script = command_script(vec![c_apdu(apdu.as_bytes())], Coding::Definite)
        .to_vec()
        .unwrap();
    send(&mut sim, &scp80, Tar([0, 0, 1]), 1, &script);
    let keys = StaticKeys::from_bytes(&[0x51; 16], &[0x52; 16]).unwrap();
    sim.set_isdp_key_set(&aid, 0x30, keys.clone()).unwrap();
    let mut host = Host::new(keys, 0x30, 0, [1; 8], SecurityLevel::ALL).unwrap();
    let mut c = Vec::new();
    host.initialize_update(&mut c).unwrap();
    host.handle_initialize_update_response(&sim.handle_scp03t(&aid, &c))
        .unwrap();
    c.clear();
    host.external_authenticate(&mut c).unwrap();
    host.handle_external_authenticate_response(&sim.handle_scp03t(&aid, &c))
        .unwrap();
    let tar = aid.tar().unwrap();
    for (i, chunk) in data.split(|b| *b == 0xFF).take(8).enumerate() {
        send(&mut sim, &scp80, tar, 2 + i as u64, chunk);
    }
    assert!(!sim.card().profile(&aid).unwrap().is_loaded());
});
