//! The NAA and file views of a package: `naas` over arbitrary packages
//! (ADF AID, EF.IMSI), `Imsi::from_ef_imsi` on the raw input and
//! `FileInfo::of` on every Fcp of every template element. Never panics; a
//! decoded IMSI has 6 to 15 digits, each 0 to 9.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::profile::{FileEntry, FileInfo, FileSystem, Imsi, Package, naas};

fn check(imsi: Option<Imsi>) {
    if let Some(i) = imsi {
        assert!((6..=15).contains(&i.digits().len()));
        assert!(i.digits().iter().all(|d| *d <= 9));
    }
}

fuzz_target!(|data: &[u8]| {
    check(Imsi::from_ef_imsi(data));
    let pkg = Package::new(data);
    for naa in naas(&pkg).flatten() {
        check(naa.imsi());
    }
    for pe in pkg.elements().map_while(Result::ok) {
        let Ok(fs) = FileSystem::from_element(&pe) else {
            continue;
        };
        for m in fs.files() {
            for e in m.entries() {
                if let FileEntry::Fcp(f) = e {
                    let i = FileInfo::of(&f);
                    assert!(i.record_count.is_none() || i.record_length.is_some());
                }
            }
        }
    }
});
