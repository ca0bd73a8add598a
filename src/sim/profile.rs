//! The ISD-Ps the simulated ISD-R manages: life cycle, attributes, memory
//! quota and POL1 (SGP.02 §2.2.1.3, §2.2.1.5, §4.1.1).

use alloc::vec::Vec;

use crate::isdr::Aid;

/// GP life cycle states an ISD-P goes through (GP Card Specification
/// §11.1.1; SGP.02 §2.2.1.3 adds DISABLED `1F` and ENABLED `3F`; njiwa
/// `ProfileInfo.State.fromCode`).
pub mod life_cycle {
    /// After ES5.CreateISDP (INSTALL [for install and make selectable]).
    pub const SELECTABLE: u8 = 0x07;
    /// After key establishment (not modelled: the download stand-in goes
    /// from SELECTABLE straight to DISABLED).
    pub const PERSONALIZED: u8 = 0x0F;
    /// A loaded profile that is not enabled.
    pub const DISABLED: u8 = 0x1F;
    /// The enabled profile.
    pub const ENABLED: u8 = 0x3F;
}

/// POL1, the eUICC-side policy rules of a profile, carried in the SAIP
/// ProfileHeader `pol` octet string (SGP.02 §2.2.1.5 names three rules).
/// The bit positions are UNCONFIRMED (no public byte table was found);
/// this simulator reads them from the first octet as named below. Unknown
/// bits are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Pol1(pub u8);

impl Pol1 {
    /// No rule.
    pub const NONE: Self = Self(0x00);
    /// "Disabling of this Profile not allowed" (b1).
    pub const DISABLE_NOT_ALLOWED: Self = Self(0x01);
    /// "Deletion of this Profile not allowed" (b2).
    pub const DELETE_NOT_ALLOWED: Self = Self(0x02);
    /// "Profile deletion is mandatory when its state is changed to
    /// disabled" (b3): the eUICC deletes it itself (auto-delete).
    pub const DELETE_WHEN_DISABLED: Self = Self(0x04);

    /// Whether every bit of `rule` is set.
    #[must_use]
    pub const fn has(self, rule: Self) -> bool {
        self.0 & rule.0 == rule.0 && rule.0 != 0
    }

    /// Both rule sets together.
    #[must_use]
    pub const fn with(self, rule: Self) -> Self {
        Self(self.0 | rule.0)
    }
}

/// One ISD-P in the simulated eUICC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Isdp {
    /// Its AID (`A0000005591010FFFFFFFF89` ‖ TAR ‖ `00`).
    pub aid: Aid,
    /// GP life cycle state (see [`life_cycle`]).
    pub life_cycle: u8,
    /// Privileges from the INSTALL command.
    pub privileges: Vec<u8>,
    /// The fall-back attribute.
    pub fallback: bool,
    /// The emergency profile attribute.
    pub emergency: bool,
    /// Granted non-volatile memory, bytes.
    pub quota: u32,
    /// Bytes of that quota used by the loaded profile.
    pub used: u32,
    /// ICCID from the loaded profile's header (10 octets as in SAIP).
    pub iccid: Option<[u8; 10]>,
    /// POL1 from the loaded profile's header.
    pub pol1: Pol1,
    /// profileType from the header of a profile loaded over SCP03t.
    pub profile_type: Option<alloc::string::String>,
    /// eUICC-Mandatory-services from that header.
    pub mandatory_services: crate::profile::Services,
    /// Connectivity parameters (DGI `3A07`), if set.
    pub connectivity: Option<Vec<u8>>,
}

impl Isdp {
    /// A freshly created ISD-P.
    #[must_use]
    pub fn created(aid: Aid, privileges: &[u8], quota: u32) -> Self {
        Self {
            aid,
            life_cycle: life_cycle::SELECTABLE,
            privileges: privileges.to_vec(),
            fallback: false,
            emergency: false,
            quota,
            used: 0,
            iccid: None,
            pol1: Pol1::NONE,
            profile_type: None,
            mandatory_services: crate::profile::Services(0),
            connectivity: None,
        }
    }

    /// Whether a profile is loaded (DISABLED or ENABLED).
    #[must_use]
    pub const fn is_loaded(&self) -> bool {
        matches!(self.life_cycle, life_cycle::DISABLED | life_cycle::ENABLED)
    }

    /// Whether it is the enabled profile.
    #[must_use]
    pub const fn is_enabled(&self) -> bool {
        self.life_cycle == life_cycle::ENABLED
    }
}
