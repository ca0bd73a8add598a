//! Profile packages: parse every element, decode the typed views, validate
//! (strict and not), re-emit and compare; segment and reassemble. Never
//! panics; SCP03t unwrapping of arbitrary segments never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use smsr::profile::{
    AkaParameter, Application, CdmaParameter, FileSystem, GenericFileManagement, NonStandard,
    Package, PackageWriter, PeType, PinCodes, ProfileHeader, PukCodes, Rfm, SecurityDomain,
    ValidateOptions, validate,
};
use smsr::scp03t::segment::{self, Protection};
use smsr::scp03t::{SecurityLevel, Session, SessionKeys};

fuzz_target!(|data: &[u8]| {
    let pkg = Package::new(data);
    let mut out = Vec::new();
    let mut w = PackageWriter::new(&mut out);
    let mut ok = true;
    for pe in pkg.elements() {
        let Ok(pe) = pe else {
            ok = false;
            break;
        };
        assert_eq!(&data[pe.offset()..pe.offset() + pe.raw().len()], pe.raw());
        let _ = pe.pe_header();
        match pe.pe_type() {
            PeType::HEADER => {
                if let Ok(h) = ProfileHeader::from_element(&pe) {
                    let _ = h.iccid();
                    let _ = h.gfste_list.iter().count();
                    let mut v = Vec::new();
                    h.emit(&mut v).unwrap();
                    assert_eq!(v.len(), h.buffer_len());
                    // Re-parsing the emitted header gives the same fields.
                    let again = Package::new(&v).header().unwrap();
                    assert_eq!(again, h);
                }
            }
            PeType::SECURITY_DOMAIN => {
                if let Ok(sd) = SecurityDomain::from_element(&pe) {
                    for k in sd.keys() {
                        let _ = k.components().count();
                    }
                }
            }
            PeType::APPLICATION => {
                if let Ok(a) = Application::from_element(&pe) {
                    let _ = a.instances().count();
                }
            }
            PeType::CDMA_PARAMETER => {
                if let Ok(c) = CdmaParameter::from_element(&pe) {
                    let _ = c.members().count();
                }
            }
            PeType::NON_STANDARD => {
                let _ = NonStandard::from_element(&pe);
            }
            PeType::RFM => {
                if let Ok(r) = Rfm::from_element(&pe) {
                    let _ = r.tars().count();
                }
            }
            PeType::AKA_PARAMETER => {
                if let Ok(a) = AkaParameter::from_element(&pe) {
                    let _ = a.sqn_init().count();
                }
            }
            PeType::PIN_CODES => {
                if let Ok(p) = PinCodes::from_element(&pe) {
                    let _ = p.configs().count();
                }
            }
            PeType::PUK_CODES => {
                if let Ok(p) = PukCodes::from_element(&pe) {
                    let _ = p.configs().count();
                }
            }
            PeType::GENERIC_FILE_MANAGEMENT => {
                if let Ok(g) = GenericFileManagement::from_element(&pe) {
                    let _ = g.commands().count();
                }
            }
            t if t.is_template() => {
                if let Ok(fs) = FileSystem::from_element(&pe) {
                    for f in fs.files() {
                        let _ = f.entries().count();
                        let _ = f.initial_content();
                    }
                }
            }
            _ => {}
        }
        w.push(&pe).unwrap();
    }
    if ok {
        assert_eq!(out, data);
    }
    for strict_der in [false, true] {
        let mut n = 0;
        let count = validate(&pkg, ValidateOptions { strict_der }, &mut |p| {
            assert!(p.offset <= data.len());
            n += 1;
        });
        assert_eq!(count, n);
    }
    // The receiving side of SCP03t never panics on arbitrary segments.
    let keys = SessionKeys::from_bytes(&[1; 16], &[2; 16], &[3; 16]).unwrap();
    let _ = Session::new(&keys, SecurityLevel::ALL)
        .unwrap()
        .unwrap_package(data);
    let max = 16 + usize::from(data.first().copied().unwrap_or(0)) * 4;
    if let Ok(chunks) = segment::chunks(data, max, Protection::None) {
        let mut stream = Vec::new();
        for c in chunks {
            assert!(c.buffer_len() <= max);
            c.emit(&mut stream).unwrap();
        }
        let mut back = Vec::new();
        segment::reassemble([&stream[..]], &mut back).unwrap();
        assert_eq!(back, data);
    }
});
