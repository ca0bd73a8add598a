//! ES5 and EIS hot paths of an SM-SR handling a fleet: parse an eUICC
//! notification, build the confirmation and an EnableProfile C-APDU, and
//! check + apply a profile switch on an EIS with 8 profiles.
#![allow(
    missing_docs,
    clippy::std_instead_of_core,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use smsr::inventory::{Eis, Operation, ProfileInfo, ProfileState};
use smsr::isdr::{Aid, Eid, Notification, Tar, es5};

fn bench(c: &mut Criterion) {
    let raw = hex::decode(
        "E12B4C10890010120123412340123456789012244D01024E0200014F10A0000005591010FFFFFFFF8900001000",
    )
    .unwrap();
    c.bench_function("isdr/notification_parse", |b| {
        b.iter(|| Notification::parse(black_box(&raw)).unwrap())
    });
    let aid = Aid::isd_p(Tar::from_value(0x10)).unwrap();
    c.bench_function("isdr/es5_enable_and_confirm", |b| {
        b.iter(|| {
            let e = es5::enable_profile(black_box(&aid)).unwrap();
            let n = es5::handle_notification_confirmation(black_box(7)).unwrap();
            (e.as_bytes().len(), n.as_bytes().len())
        })
    });
    let eid = Eid::parse_digits("89049032123451234512345678901235").unwrap();
    let mut eis = Eis::new(eid, "SMSR");
    for i in 0..8u32 {
        let state = if i == 0 {
            ProfileState::Enabled
        } else {
            ProfileState::Disabled
        };
        let mut p = ProfileInfo::new(
            &format!("894900000000000{i:04}"),
            Aid::isd_p(Tar::from_value(0x10 + i)).unwrap(),
            "MNO",
            state,
        );
        p.fallback_attribute = i == 0;
        eis.profiles.push(p);
    }
    let n = Notification::parse(&raw).unwrap();
    c.bench_function("inventory/check_enable_apply_notification", |b| {
        b.iter(|| {
            let mut e = eis.clone();
            e.es5_command(&Operation::EnableProfile {
                iccid: "8949000000000000007",
            })
            .unwrap();
            e.last_notification_sequence_number = None;
            black_box(e.apply_notification(&n))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
