//! NAAs of the real TS.48 packages: ADF AIDs and the IMSI of EF.IMSI,
//! against what pySim's `saip-tool.py FILE info` (osmocom/pysim 597f1e0)
//! printed for the same files:
//!
//! ```text
//! NAA usim (a0000000871002ff49ff0589)
//!     IMSI: 001010123456063      (v1A, v2 unique, v3, v4, v5)
//!     IMSI: 001010123456789      (both v7 files)
//! NAA csim
//! NAA isim (a0000000871004ff49ff0589)
//! ```
//!
//! pySim prints no ADF AID for the CSIM; the TS.48 packages give it in the
//! `adf-csim` Fcp and the fourth rfm element's adfRFMAccess names the same
//! AID (`A0000003431002F310FFFF89020000FF`, expected.json).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

use std::path::PathBuf;

use smsr::profile::{Package, PeType, naas};

fn read(name: &str) -> Vec<u8> {
    let d = std::env::var_os("SMSR_TESTDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata"));
    let p = d.join("profiles").join(name);
    std::fs::read(&p).unwrap_or_else(|e| {
        panic!(
            "profile_naa: cannot read {} ({e}); set SMSR_TESTDATA to shared/testdata",
            p.display()
        )
    })
}

#[test]
fn naas_of_every_package_match_pysim() {
    for (file, imsi) in [
        ("ts48v1A_saip2.1.der", "001010123456063"),
        ("ts48v2_saip2.3_nobertlv_unique.der", "001010123456063"),
        ("ts48v3_saip2.1_bertlv.der", "001010123456063"),
        ("ts48v4_saip2.1B_nobertlv.der", "001010123456063"),
        ("ts48v5_saip2.3_bertlv_suci.der", "001010123456063"),
        ("ts48v7_saip2.3_bertlv_suci_noramrfm.der", "001010123456789"),
        ("ts48v7_saip2.3_nobertlv.der", "001010123456789"),
    ] {
        let b = read(file);
        let list: Vec<_> = naas(&Package::new(&b)).map(Result::unwrap).collect();
        let types: Vec<_> = list.iter().map(|n| n.pe_type).collect();
        assert_eq!(types, [PeType::USIM, PeType::CSIM, PeType::ISIM], "{file}");
        let aid = |i: usize| list[i].adf_aid.map(hex::encode_upper);
        assert_eq!(
            aid(0).as_deref(),
            Some("A0000000871002FF49FF0589"),
            "{file}"
        );
        assert_eq!(
            aid(1).as_deref(),
            Some("A0000003431002F310FFFF89020000FF"),
            "{file}"
        );
        assert_eq!(
            aid(2).as_deref(),
            Some("A0000000871004FF49FF0589"),
            "{file}"
        );
        // The temporary ADF file IDs later paths use (reference notes, §3).
        let fids: Vec<_> = list.iter().map(|n| n.adf_file_id).collect();
        assert_eq!(
            fids,
            [Some([0x7F, 0xD0]), Some([0x7F, 0xC0]), Some([0x7F, 0xB0])],
            "{file}"
        );
        assert_eq!(
            list[0].imsi().map(|i| i.to_string()).as_deref(),
            Some(imsi),
            "{file}"
        );
        assert_eq!(list[1].imsi(), None);
        assert_eq!(list[2].imsi(), None);
    }
}
