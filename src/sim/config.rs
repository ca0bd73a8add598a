//! What a simulated eUICC is made of before it runs: its EID, the ISD-R
//! key sets for SCP80 (ETSI TS 102 225) and SCP81 (GP Amendment B), the
//! minimum security level of each TAR, memory, and the choices that the
//! public sources leave open (each named and documented).

use alloc::vec::Vec;

use crate::crypto::Key;
use crate::crypto::ecka::Curve;
use crate::isdr::{Eid, Tar};
use crate::scp80::{CounterMode, Integrity, Spi};

/// One SCP80 key set of the ISD-R: a key version number with its KIc
/// (ciphering, key id 1) and KID (checksum, key id 2) keys (TS 102 225
/// §5.1.2-§5.1.3; GP key numbering: KVN `01`-`0F`).
#[derive(Clone)]
pub struct Scp80KeySet {
    /// Key version number (the high nibble of KIc / KID).
    pub kvn: u8,
    /// Ciphering key.
    pub kic: Key,
    /// Cryptographic checksum key.
    pub kid: Key,
}

impl core::fmt::Debug for Scp80KeySet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Scp80KeySet")
            .field("kvn", &self.kvn)
            .field("kic", &self.kic.algorithm())
            .field("kid", &self.kid.algorithm())
            .finish()
    }
}

/// One SCP81 TLS-PSK key of the ISD-R (GP key type `85`, KVN `40`-`4F`).
#[derive(Clone, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct PskKey {
    /// Key version number.
    pub kvn: u8,
    /// Key identifier within the version.
    pub kid: u8,
    /// The pre-shared key.
    value: Vec<u8>,
}

impl PskKey {
    /// A PSK key.
    #[must_use]
    pub fn new(kvn: u8, kid: u8, value: &[u8]) -> Self {
        Self {
            kvn,
            kid,
            value: value.to_vec(),
        }
    }

    /// The key octets, for the integrator's TLS stack.
    #[must_use]
    pub fn dangerous_value(&self) -> &[u8] {
        &self.value
    }
}

impl core::fmt::Debug for PskKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "PskKey(kvn {:02X}, kid {:02X}, redacted)",
            self.kvn, self.kid
        )
    }
}

/// The minimum security level a TAR demands of the packets it accepts
/// (TS 102 226 §8.2.1.3.2.4 "Minimum Security Level"; modelled as the
/// least integrity, whether ciphering is required and the least counter
/// check). A packet below it gets PoR status `0A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinimumSecurityLevel {
    /// Least integrity: `None` < `Rc` < `Cc` (a DS is never accepted here).
    pub integrity: Integrity,
    /// Whether the secured data must be ciphered.
    pub ciphering: bool,
    /// Least counter check: `NoCounter` < `NoCheck` < `Higher` <
    /// `OneHigher`.
    pub counter: CounterMode,
}

impl MinimumSecurityLevel {
    /// No requirement.
    pub const NONE: Self = Self {
        integrity: Integrity::None,
        ciphering: false,
        counter: CounterMode::NoCounter,
    };

    /// CC, ciphering and a counter that must be higher: what SGP.02 asks of
    /// ES5 over SMS (SPI `16 xx`).
    pub const SGP02: Self = Self {
        integrity: Integrity::Cc,
        ciphering: true,
        counter: CounterMode::Higher,
    };

    /// Whether `spi` meets this level.
    #[must_use]
    pub const fn admits(self, spi: Spi) -> bool {
        const fn integrity_rank(i: Integrity) -> u8 {
            match i {
                Integrity::None => 0,
                Integrity::Rc => 1,
                Integrity::Cc | Integrity::Ds => 2,
            }
        }
        const fn counter_rank(c: CounterMode) -> u8 {
            match c {
                CounterMode::NoCounter => 0,
                CounterMode::NoCheck => 1,
                CounterMode::Higher => 2,
                CounterMode::OneHigher => 3,
            }
        }
        integrity_rank(spi.integrity()) >= integrity_rank(self.integrity)
            && (spi.ciphered() || !self.ciphering)
            && counter_rank(spi.counter_mode()) >= counter_rank(self.counter)
    }
}

/// How ISD-P attributes and POL1 travel where the public sources do not
/// settle the coding; every field says what it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Codings {
    /// Tag of the ISD-P AID in an `E1` notification: `4F` as in the
    /// notification SMS recorded in whty's code (and what whty parses), or
    /// `2F` / `AF` (njiwa's COMPREHENSION-TLV reading, not seen in traffic).
    pub notification_aid_tag: u8,
    /// SPI of the notification packets the eUICC sends (MO SMS, a TS 102
    /// 225 command packet from the ISD-R TAR). Default `02 00`: CC, no
    /// ciphering, no counter, no PoR, with KIc `<KVN>0` and KID `<KVN>2`,
    /// as in the notification SMS recorded in whty's code (sgp02-findings:
    /// `027000 004D 15 0200 10 12 000001 0000000000 00 <CC> E1…`).
    pub notification_spi: Spi,
}

impl Default for Codings {
    fn default() -> Self {
        Self {
            notification_aid_tag: 0x4F,
            notification_spi: Spi([0x02, 0x00]),
        }
    }
}

/// The configuration of one simulated eUICC.
#[derive(Debug, Clone)]
pub struct EuiccConfig {
    /// The EID held by the ECASD.
    pub eid: Eid,
    /// TAR of the ISD-R (SGP.02 Annex H reading of the AID: `000001`).
    pub isd_r_tar: Tar,
    /// TAR of the ECASD (`000002`).
    pub ecasd_tar: Tar,
    /// The ISD-R's SCP80 key sets.
    pub scp80: Vec<Scp80KeySet>,
    /// The ISD-R's SCP81 PSK keys.
    pub scp81: Vec<PskKey>,
    /// Minimum security level of the ISD-R and ECASD TARs.
    pub isd_r_msl: MinimumSecurityLevel,
    /// Minimum security level of ISD-P TARs (profile download stand-in).
    pub isd_p_msl: MinimumSecurityLevel,
    /// Non-volatile memory available to ISD-Ps, bytes.
    pub memory: u32,
    /// Free volatile memory reported by the capability audit, bytes.
    pub volatile_memory: u32,
    /// Quota given to an ISD-P created without an `EF`/`83` memory
    /// quota, bytes.
    pub default_quota: u32,
    /// IMEI (8 octets, TS 102 223 §8.20) put in notifications, if any.
    pub imei: Option<[u8; 8]>,
    /// Open codings.
    pub codings: Codings,
    /// The curve of the ECASD key pair (SGP.02 §2.3.3, GP Amendment E
    /// table 4-3): NIST P-256 unless set, or brainpoolP256r1.
    pub ecasd_curve: Curve,
}

impl EuiccConfig {
    /// A configuration with one AES-128 SCP80 key set (KVN 1) and one PSK
    /// key (KVN `40`, KID `01`), SGP.02 minimum security level, 512 KiB
    /// of profile memory.
    ///
    /// # Errors
    /// Never for these lengths; kept fallible because keys are checked.
    pub fn new(
        eid: Eid,
        kic: &[u8; 16],
        kid: &[u8; 16],
        psk: &[u8; 16],
    ) -> Result<Self, crate::crypto::Error> {
        Ok(Self {
            eid,
            isd_r_tar: Tar::ISD_R,
            ecasd_tar: Tar::ECASD,
            scp80: alloc::vec![Scp80KeySet {
                kvn: 1,
                kic: Key::aes(kic)?,
                kid: Key::aes(kid)?,
            }],
            scp81: alloc::vec![PskKey::new(0x40, 0x01, psk)],
            isd_r_msl: MinimumSecurityLevel::SGP02,
            isd_p_msl: MinimumSecurityLevel::SGP02,
            memory: 512 * 1024,
            volatile_memory: 16 * 1024,
            default_quota: 64 * 1024,
            imei: None,
            codings: Codings::default(),
            ecasd_curve: Curve::NistP256,
        })
    }
}
