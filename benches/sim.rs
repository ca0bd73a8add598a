//! The simulated eUICC: one secured ES5 SMS in (GET STATUS of every ISD-P
//! as a definite expanded script, SPI `16 39`, AES-128), its PoR out, with
//! four ISD-Ps on the card; and a whole enable + confirmation round.
#![allow(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use smsr::crypto::Key;
use smsr::isdr::{Aid, Tar, es5};
use smsr::remote::Coding;
use smsr::remote::expanded::{c_apdu, command_script};
use smsr::scp80::sms::{self, ConcatReference};
use smsr::scp80::{self, Cntr, CommandHeader, Framing, KeyAlgorithm, KeySet, Kic, Kid, Spi};
use smsr::sim::{Euicc, fleet};
use smsr::tlv::Encode;

struct Ota {
    keys: KeySet,
    cntr: u64,
}

impl Ota {
    fn sms(&mut self, apdus: &[&[u8]]) -> Vec<Vec<u8>> {
        self.cntr += 1;
        let header = CommandHeader {
            spi: Spi([0x16, 0x39]),
            kic: Kic::new(1, KeyAlgorithm::AES),
            kid: Kid::new(1, KeyAlgorithm::AES.0),
            tar: scp80::Tar([0, 0, 1]),
            cntr: Cntr::from_u64(self.cntr).unwrap(),
        };
        let items: Vec<_> = apdus.iter().map(|a| c_apdu(*a)).collect();
        let script = command_script(items, Coding::Definite).to_vec().unwrap();
        let mut buf = vec![0u8; script.len() + 64];
        let n =
            scp80::command::wrap(Framing::SmsPp, &header, &script, &self.keys, &mut buf).unwrap();
        sms::segments(&buf[..n], ConcatReference::Ref8(1))
            .unwrap()
            .map(|s| s.to_vec())
            .collect()
    }
}

fn setup() -> (Euicc, Ota) {
    let cfg = fleet::member(1, 0).unwrap();
    let ks = &cfg.scp80[0];
    let keys = KeySet::new()
        .with_kic(&Key::aes(ks.kic.dangerous_bytes()).unwrap())
        .with_kid(&Key::aes(ks.kid.dangerous_bytes()).unwrap());
    let mut ota = Ota { keys, cntr: 0 };
    let mut sim = Euicc::new(cfg, 0);
    for i in 0..4 {
        let aid = Aid::isd_p(Tar::from_value(0x10 + i)).unwrap();
        let create = es5::create_isdp(&aid, None).unwrap();
        for s in ota.sms(&[create.as_bytes()]) {
            sim.receive(&s, 0).unwrap();
        }
    }
    sim.take_outgoing(0);
    (sim, ota)
}

fn bench(c: &mut Criterion) {
    let (mut sim, mut ota) = setup();
    let audit = es5::audit_isdp_status(None).unwrap();
    // Every packet needs a fresh counter: built outside the measurement.
    c.bench_function("sim/receive_get_status_por", |b| {
        b.iter_batched(
            || ota.sms(&[audit.as_bytes()]).remove(0),
            |seg| {
                let r = sim.receive(black_box(&seg), 0).unwrap();
                black_box((r, sim.take_outgoing(0)))
            },
            BatchSize::SmallInput,
        );
    });
    assert_eq!(sim.counter(scp80::Tar([0, 0, 1]), 1).to_u64(), ota.cntr);
}

criterion_group!(benches, bench);
criterion_main!(benches);
