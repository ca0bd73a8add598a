//! A fleet of simulated eUICCs with deterministic EIDs and keys from a
//! seed, and the EIS (SGP.02 §5.1.1.3) an EUM would register for each
//! over ES1.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::config::{EuiccConfig, PskKey};
use super::rng::SimRng;
use crate::crypto::ecka::Curve;
use crate::inventory::{Eis, EuiccCapabilities, Key, KeySet, KeySetType, SecretKey};
use crate::isdr::Eid;

/// GP key type of an AES key (GP Card Specification table 11-16).
const KEY_TYPE_AES: u8 = 0x88;
/// GP key type of a TLS pre-shared key (GP Amendment B).
const KEY_TYPE_PSK_TLS: u8 = 0x85;

/// The configuration of fleet member `index` for `seed`: EID
/// `89 049 032 00 <seed mod 10000, 4 digits> <index, 16 digits>` with its
/// MOD 97-10 check digits, AES-128 KIc / KID (KVN 1) and a 16-octet PSK
/// (KVN `40`, KID `01`) drawn from the seed.
///
/// # Errors
/// Never for valid inputs; the EID and key checks are kept.
pub fn member(seed: u64, index: u64) -> Result<EuiccConfig, &'static str> {
    let digits = format!(
        "8904903200{:04}{:016}",
        seed % 10_000,
        index % 10u64.pow(16)
    );
    let eid = Eid::with_check_digits(&digits).map_err(|_| "EID digits")?;
    let mut rng = SimRng::new(seed ^ index.wrapping_mul(0xA076_1D64_78BD_642F));
    let mut kic = [0u8; 16];
    let mut kid = [0u8; 16];
    let mut psk = [0u8; 16];
    rng.fill(&mut kic);
    rng.fill(&mut kid);
    rng.fill(&mut psk);
    EuiccConfig::new(eid, &kic, &kid, &psk).map_err(|_| "key length")
}

/// `count` members for `seed`.
///
/// # Errors
/// As [`member`].
pub fn fleet(seed: u64, count: u64) -> Result<Vec<EuiccConfig>, &'static str> {
    (0..count).map(|i| member(seed, i)).collect()
}

/// As [`fleet`], member `i` with its ECASD key pair on
/// `curves[i % curves.len()]` (all on NIST P-256 for no curves): e.g.
/// `[NistP256, BrainpoolP256r1]` alternates the two curves SGP.02 allows.
///
/// # Errors
/// As [`member`].
pub fn fleet_on(seed: u64, count: u64, curves: &[Curve]) -> Result<Vec<EuiccConfig>, &'static str> {
    (0..count)
        .map(|i| {
            let mut c = member(seed, i)?;
            let n = u64::try_from(curves.len()).map_err(|_| "curve count")?;
            let pick = i.checked_rem(n).and_then(|k| usize::try_from(k).ok());
            if let Some(curve) = pick.and_then(|k| curves.get(k)) {
                c.ecasd_curve = *curve;
            }
            Ok(c)
        })
        .collect()
}

/// The EIS of `config` as its EUM registers it (no profiles yet): EID,
/// EUM id, the ISD-R with its SCP80 and SCP81 key sets (key values
/// included, counters at 0) and TAR, the ECASD, memory and HTTPS
/// support.
#[must_use]
pub fn eis(config: &EuiccConfig, eum_id: &str, smsr_id: &str) -> Eis {
    let mut e = Eis::new(config.eid, smsr_id);
    let info = &mut e.eum_signed_info;
    info.eum_id = String::from(eum_id);
    info.platform_type = String::from("smsr-sim");
    info.platform_version = String::from(env!("CARGO_PKG_VERSION"));
    info.capabilities = EuiccCapabilities {
        http_support: true,
        ..EuiccCapabilities::default()
    };
    info.ecasd.tar = alloc::vec![config.ecasd_tar];
    e.remaining_memory = config.memory;
    e.available_memory_for_profiles = config.memory;
    e.isd_r.tar = alloc::vec![config.isd_r_tar];
    let key = |index: u8, key_type: u8, bytes: &[u8]| Key {
        index,
        key_type,
        kcv: None,
        value: SecretKey::new(bytes.to_vec()),
    };
    for ks in &config.scp80 {
        e.isd_r.key_sets.push(KeySet {
            version: ks.kvn,
            key_set_type: Some(KeySetType::Scp80),
            counter: Some(0),
            keys: alloc::vec![
                key(1, KEY_TYPE_AES, ks.kic.dangerous_bytes()),
                key(2, KEY_TYPE_AES, ks.kid.dangerous_bytes()),
            ],
            certificates: Vec::new(),
        });
    }
    for psk in &config.scp81 {
        let p: &PskKey = psk;
        e.isd_r.key_sets.push(KeySet {
            version: p.kvn,
            key_set_type: Some(KeySetType::Scp81),
            counter: None,
            keys: alloc::vec![key(p.kid, KEY_TYPE_PSK_TLS, p.dangerous_value())],
            certificates: Vec::new(),
        });
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eids_are_valid_and_deterministic() {
        let a = fleet(42, 5).unwrap();
        let b = fleet(42, 5).unwrap();
        for (x, y) in a.iter().zip(&b) {
            assert!(x.eid.verify().is_ok());
            assert_eq!(x.eid, y.eid);
            assert_eq!(
                x.scp80[0].kic.dangerous_bytes(),
                y.scp80[0].kic.dangerous_bytes()
            );
        }
        let eids: alloc::collections::BTreeSet<_> = a.iter().map(|c| c.eid).collect();
        assert_eq!(eids.len(), 5);
        assert_ne!(
            fleet(43, 1).unwrap()[0].scp80[0].kic.dangerous_bytes(),
            a[0].scp80[0].kic.dangerous_bytes()
        );
    }
}
