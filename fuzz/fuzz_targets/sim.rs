//! The simulated eUICC: arbitrary sequences of SMS TP-UD (raw, validly
//! secured, or validly secured and then tampered with), interleaved with
//! loss of connectivity. Never panics; a packet the card refuses (error,
//! partial segment, PoR status other than 00) never changes its state;
//! the ISD-R model keeps one enabled and one fall-back profile at most;
//! every single-segment PoR parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::crypto::Key;
use smsr::remote::Coding;
use smsr::remote::expanded::{c_apdu, command_script};
use smsr::scp80::sms::{self, ConcatReference};
use smsr::scp80::{
    Cntr, CommandHeader, Framing, KeyAlgorithm, KeySet, Kic, Kid, ResponsePacket, Spi, Tar,
};
use smsr::sim::{Euicc, Reception, fleet};
use smsr::tlv::Encode;

fn feed(sim: &mut Euicc, tp_ud: &[u8], now: u64) {
    let before = sim.snapshot();
    let accepted = matches!(
        sim.receive(tp_ud, now),
        Ok(Reception::Processed(ref p)) if p.executed
    );
    if !accepted {
        assert_eq!(sim.snapshot(), before, "a refused packet changed the state");
    }
}

fn secured(keys: &KeySet, spi: u8, cntr: u64, payload: &[u8], reference: u8) -> Vec<Vec<u8>> {
    let header = CommandHeader {
        spi: Spi([0x16 | (spi & 0x09), 0x39]),
        kic: Kic::new(1, KeyAlgorithm::AES),
        kid: Kid::new(1, KeyAlgorithm::AES.0),
        tar: Tar([0, 0, if spi & 0x80 != 0 { 2 } else { 1 }]),
        cntr: Cntr::from_u64(cntr).unwrap_or_default(),
    };
    let mut buf = vec![0u8; payload.len() + 64];
    let Ok(n) = smsr::scp80::command::wrap(Framing::SmsPp, &header, payload, keys, &mut buf) else {
        return Vec::new();
    };
    sms::segments(&buf[..n], ConcatReference::Ref8(reference))
        .map(|s| s.map(|x| x.to_vec()).collect())
        .unwrap_or_default()
}

fuzz_target!(|data: &[u8]| {
    let cfg = fleet::member(1, 0).unwrap();
    let ks = &cfg.scp80[0];
    let keys = KeySet::new()
        .with_kic(&Key::aes(ks.kic.dangerous_bytes()).unwrap())
        .with_kid(&Key::aes(ks.kid.dangerous_bytes()).unwrap());
    let mut sim = Euicc::new(cfg, 7);
    let mut cntr = 0u64;
    let mut admin = None;
    let mut rest = data;
    let mut now = 0u64;
    while let Some((&op, r)) = rest.split_first() {
        let Some((&len, r)) = r.split_first() else {
            break;
        };
        let (chunk, r) = r.split_at(usize::from(len).min(r.len()));
        rest = r;
        now += 1;
        cntr += 1;
        match op % 6 {
            0 => feed(&mut sim, chunk, now),
            1 => {
                for s in secured(&keys, op, cntr, chunk, op) {
                    feed(&mut sim, &s, now);
                }
            }
            2 => {
                // The chunk as length-prefixed C-APDUs of one expanded script.
                let mut apdus: Vec<&[u8]> = Vec::new();
                let mut c = chunk;
                while let Some((&l, r)) = c.split_first() {
                    let (a, r) = r.split_at(usize::from(l).min(r.len()));
                    apdus.push(a);
                    c = r;
                }
                let items: Vec<_> = apdus.iter().map(|a| c_apdu(*a)).collect();
                let coding = if op & 0x10 != 0 {
                    Coding::Indefinite
                } else {
                    Coding::Definite
                };
                if let Ok(script) = command_script(items, coding).to_vec() {
                    for s in secured(&keys, op, cntr, &script, op) {
                        feed(&mut sim, &s, now);
                    }
                }
            }
            3 => {
                // A valid packet with one octet changed.
                let (pos, payload) = chunk.split_first().map_or((0, chunk), |(p, c)| (*p, c));
                for mut s in secured(&keys, op, cntr, payload, op) {
                    let i = usize::from(pos) % s.len().max(1);
                    if let Some(b) = s.get_mut(i) {
                        *b ^= op | 1;
                    }
                    feed(&mut sim, &s, now);
                }
            }
            5 => match admin.as_mut() {
                Some(session) => {
                    let now_d = core::time::Duration::from_millis(now);
                    let _ = sim.admin_transmit(session, now_d);
                    if sim.admin_receive(session, chunk, now_d).is_err() {
                        admin = None;
                    }
                }
                None => {
                    for s in secured(&keys, 0, cntr, &[0x81, 0x00], op) {
                        if let Ok(Reception::Processed(p)) = sim.receive(&s, now) {
                            admin = p.admin_session.and_then(|r| sim.open_admin_session(r).ok());
                        }
                    }
                }
            },
            _ => {
                if op & 0x20 != 0 {
                    sim.connectivity_lost(now);
                } else {
                    sim.retry_notifications(now);
                }
            }
        }
        let profiles = &sim.card().profiles;
        assert!(profiles.iter().filter(|p| p.is_enabled()).count() <= 1);
        assert!(profiles.iter().filter(|p| p.fallback).count() <= 1);
        for o in sim.take_outgoing(now) {
            if o.tp_ud.starts_with(&[0x02, 0x71, 0x00]) {
                assert!(ResponsePacket::new_checked(&o.tp_ud[3..], Framing::SmsPp).is_ok());
            }
        }
    }
});
