#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]
//! Audit response parsers against an independent encoder.
//!
//! Vectors: osmocom/pysim@597f1e0398bb81d6832dc92ee4dfdcada59d3d82,
//! pySim/global_platform/__init__.py `ExtendedCardResourcesInfo` and
//! `GpRegistryRelatedData`, encoded with `to_tlv()` from dicts (FF21:
//! 3 applications, 65 536 bytes NVM, 2 048 bytes RAM; E3: ISD-P `…1100`,
//! life cycle `1F`, privileges security_domain + trusted_path +
//! authorized_management). Produced by /work/oracle-isdr/gen.py outside
//! the repository.

use smsr::isdr::audit::{ExtendedCardResources, IsdpStatus, IsdpStatusList, LifeCycle};
use smsr::isdr::{Aid, Tar};
use smsr::tlv::Encode;

const PYSIM_FF21: &str = "ff210c810103820301000083020800";
const PYSIM_E3: &str = "e31b4f10a0000005591010ffffffff89000011009f70011fc50380c000";

#[test]
fn ff21_matches_pysim() {
    let bytes = hex::decode(PYSIM_FF21).unwrap();
    let r = ExtendedCardResources::parse(&bytes).unwrap();
    assert_eq!(
        r,
        ExtendedCardResources {
            installed_applications: Some(3),
            free_non_volatile_memory: Some(65_536),
            free_volatile_memory: Some(2_048),
        }
    );
    assert_eq!(r.to_vec().unwrap(), bytes);
}

#[test]
fn e3_matches_pysim() {
    let bytes = hex::decode(PYSIM_E3).unwrap();
    let st = IsdpStatusList::new(&bytes).next().unwrap().unwrap();
    let expected = IsdpStatus {
        aid: Aid::isd_p(Tar::from_value(0x11)).unwrap(),
        life_cycle: LifeCycle::DISABLED,
        privileges: Some([0x80, 0xC0, 0x00]),
        properties: None,
        granted_memory: None,
        remaining_memory: None,
    };
    assert_eq!(st, expected);
    assert_eq!(st.fallback(), None);
    assert_eq!(expected.to_vec().unwrap(), bytes);
}

/// Card answers recorded in a public SCP81 admin-server test suite (code
/// index id 70591355568, `scp81GroupResults` test): GET DATA FF21 →
/// `FF210B81010D8202C5D683020962`, GET STATUS → `E3114F08…9F70010FC50100`.
#[test]
fn recorded_card_answers() {
    let r = ExtendedCardResources::parse(&hex::decode("FF210B81010D8202C5D683020962").unwrap())
        .unwrap();
    assert_eq!(r.installed_applications, Some(13));
    assert_eq!(r.free_non_volatile_memory, Some(0xC5D6));
    assert_eq!(r.free_volatile_memory, Some(0x0962));
    let e3 = hex::decode("E3114F08A0000000030000009F70010FC50100").unwrap();
    let st = IsdpStatusList::new(&e3).next().unwrap().unwrap();
    assert_eq!(st.aid.as_bytes(), hex::decode("A000000003000000").unwrap());
    assert_eq!(st.life_cycle, LifeCycle::PERSONALIZED);
    assert_eq!(st.privileges, Some([0, 0, 0]));
    assert!(!st.aid.is_isd_p());
}
