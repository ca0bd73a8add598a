//! The card side of SCP03t: arbitrary sequences of SCP03t TLVs to an
//! ISD-P of the simulated eUICC (raw bytes, validly wrapped segments of
//! arbitrary plaintext, wrapped and then altered, new handshakes), and
//! raw TLVs straight to `scp03t::Card`. Never panics; every answer is one
//! TLV; an altered segment is always refused; a loaded profile never uses
//! more than its ISD-P quota.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::crypto::Key;
use smsr::isdr::{Aid, Tar, es5};
use smsr::remote::Coding;
use smsr::remote::expanded::{c_apdu, command_script};
use smsr::scp03t::{self, Host, SecurityLevel, StaticKeys};
use smsr::scp80::sms::{self, ConcatReference};
use smsr::scp80::{Cntr, CommandHeader, Framing, KeyAlgorithm, KeySet, Kic, Kid, Spi};
use smsr::sim::{Euicc, fleet};
use smsr::tlv::Encode;

fn keys() -> StaticKeys {
    StaticKeys::from_bytes(&[0x51; 16], &[0x52; 16]).unwrap()
}

/// CreateISDP for `aid` with `quota`, as a validly secured SMS script.
fn create(sim: &mut Euicc, scp80: &KeySet, aid: &Aid, quota: u32) {
    let apdu = es5::create_isdp(aid, Some(quota)).unwrap();
    let items = vec![c_apdu(apdu.as_bytes())];
    let script = command_script(items, Coding::Definite).to_vec().unwrap();
    let header = CommandHeader {
        spi: Spi([0x16, 0x39]),
        kic: Kic::new(1, KeyAlgorithm::AES),
        kid: Kid::new(1, KeyAlgorithm::AES.0),
        tar: Tar([0, 0, 1]),
        cntr: Cntr::from_u64(1).unwrap(),
    };
    let mut buf = vec![0u8; script.len() + 64];
    let n = smsr::scp80::command::wrap(Framing::SmsPp, &header, &script, scp80, &mut buf).unwrap();
    for s in sms::segments(&buf[..n], ConcatReference::Ref8(1)).unwrap() {
        sim.receive(&s, 1).unwrap();
    }
}

fn handshake(sim: &mut Euicc, aid: &Aid, challenge: u8) -> Option<Host> {
    let mut host = Host::new(keys(), 0x30, 0, [challenge; 8], SecurityLevel::ALL).unwrap();
    let mut c = Vec::new();
    host.initialize_update(&mut c).unwrap();
    host.handle_initialize_update_response(&sim.handle_scp03t(aid, &c))
        .ok()?;
    c.clear();
    host.external_authenticate(&mut c).unwrap();
    host.handle_external_authenticate_response(&sim.handle_scp03t(aid, &c))
        .ok()?;
    Some(host)
}

fn one_tlv(answer: &[u8]) {
    assert!(
        answer.first() == Some(&0x9F)
            || smsr::tlv::Tlv::parse(answer).is_ok_and(|(_, r)| r.is_empty())
    );
}

fuzz_target!(|data: &[u8]| {
    let Some((&q, mut rest)) = data.split_first() else {
        return;
    };
    let cfg = fleet::member(1, 0).unwrap();
    let ks = &cfg.scp80[0];
    let scp80 = KeySet::new()
        .with_kic(&Key::aes(ks.kic.dangerous_bytes()).unwrap())
        .with_kid(&Key::aes(ks.kid.dangerous_bytes()).unwrap());
    let mut sim = Euicc::new(cfg, 7);
    let aid = Aid::isd_p(Tar::from_value(0x20)).unwrap();
    let quota = 64 + u32::from(q) * 64;
    create(&mut sim, &scp80, &aid, quota);
    sim.set_isdp_key_set(&aid, 0x30, keys()).unwrap();
    let mut host = handshake(&mut sim, &aid, 1);
    let mut raw = scp03t::Card::new(keys(), 0x30, aid.as_bytes(), 0, 1020).unwrap();
    while let Some((&op, r)) = rest.split_first() {
        let Some((&len, r)) = r.split_first() else {
            break;
        };
        let (chunk, r) = r.split_at(usize::from(len).min(r.len()));
        rest = r;
        match op % 5 {
            0 => one_tlv(&sim.handle_scp03t(&aid, chunk)),
            1 | 2 => {
                let Some(h) = host.as_mut() else { continue };
                let Ok(s) = h.session() else { continue };
                let mut seg = Vec::new();
                if s.wrap(0x86, chunk, &mut seg).is_err() {
                    continue;
                }
                if op % 5 == 2 {
                    let i = usize::from(op) % seg.len();
                    seg[i] ^= 1 << (op % 8);
                    let a = sim.handle_scp03t(&aid, &seg);
                    assert_eq!(a.first(), Some(&0x9F), "an altered segment was accepted");
                    host = None;
                } else {
                    one_tlv(&sim.handle_scp03t(&aid, &seg));
                }
            }
            3 => host = handshake(&mut sim, &aid, op),
            _ => {
                let mut plain = vec![0u8; chunk.len()];
                let mut out = Vec::new();
                match raw.handle(chunk, &mut plain, &mut out) {
                    Ok(scp03t::Step::Segment(p)) => {
                        assert!(p.len() <= chunk.len() && out.is_empty())
                    }
                    _ => one_tlv(&out),
                }
            }
        }
        let p = sim.card().profile(&aid).unwrap();
        assert!(p.used <= p.quota);
    }
});
