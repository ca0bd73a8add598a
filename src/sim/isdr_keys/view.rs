//! The ISD-R key sets as the card model sees them while one script runs,
//! and the key set that script arrived under: what FinaliseISDRhandover
//! (SGP.02 §4.1.1.9, a GP DELETE \[key\]) is checked against before
//! anything is deleted.
//!
//! Two refusals, both `6985` "conditions of use not satisfied" (GP Card
//! Specification v2.3 §11.2.3, DELETE error conditions; the status
//! pySim's GP table also names): a deletion that would leave the ISD-R
//! without any SCP80 key set (it could then never be reached over SMS
//! again), and one that removes the key set the command itself arrived
//! under (the SCP80 KIc / KID of the packet, or the SCP81 PSK of the
//! admin session). SGP.02's own wording for these cases is UNCONFIRMED
//! (no public source quotes §4.1.1.9's error list).

use alloc::vec::Vec;

use super::IsdrKeyChange;
use crate::isdr::handover::{IsdrKeys, KeyRange};
use crate::sim::EuiccConfig;

/// Key identifiers of an SCP80 key set's KIc and KID (TS 102 225 §5.1.2;
/// njiwa `Key.KIC_KEY_IDENTIFIER` / `KID_KEY_IDENTIFIER`).
const SCP80_KEY_IDS: [u8; 2] = [1, 2];

/// Whether `ranges` delete the SCP80 key set `kvn` (its KIc or its KID;
/// the card keeps no half key set).
pub(crate) fn deletes_scp80(ranges: &[KeyRange], kvn: u8) -> bool {
    SCP80_KEY_IDS
        .iter()
        .any(|id| ranges.iter().any(|r| r.contains(kvn, *id)))
}

/// Whether `ranges` delete the PSK `kvn` / `key_id`.
pub(crate) fn deletes_psk(ranges: &[KeyRange], kvn: u8, key_id: u8) -> bool {
    ranges.iter().any(|r| r.contains(kvn, key_id))
}

/// The key set a script arrived under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// An SCP80 packet: the KVNs of the KIc and KID it used, `None` for
    /// one it did not use.
    Scp80 {
        /// KVN of the KIc, when the packet is ciphered.
        kic: Option<u8>,
        /// KVN of the KID, when it carries a cryptographic checksum.
        kid: Option<u8>,
    },
    /// An SCP81 admin session opened with this PSK.
    Scp81 {
        /// Key version number.
        kvn: u8,
        /// Key identifier.
        key_id: u8,
    },
}

/// KVNs of the ISD-R's SCP80 key sets and (KVN, key id) of its PSKs, and
/// the key set the running script arrived under. The default (no key
/// set, no arrival) refuses every deletion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct IsdrKeyView {
    scp80: Vec<u8>,
    scp81: Vec<(u8, u8)>,
    arrival: Option<Arrival>,
}

impl IsdrKeyView {
    /// The key sets of `config`, for a script that arrived under `arrival`.
    pub(crate) fn of(config: &EuiccConfig, arrival: Arrival) -> Self {
        Self {
            scp80: config.scp80.iter().map(|k| k.kvn).collect(),
            scp81: config.scp81.iter().map(|k| (k.kvn, k.kid)).collect(),
            arrival: Some(arrival),
        }
    }

    /// The view once `change` is applied (as
    /// [`Euicc::apply_isdr_key_changes`](crate::sim::Euicc) will).
    pub(crate) fn apply(&mut self, change: &IsdrKeyChange) {
        match change {
            IsdrKeyChange::Install(IsdrKeys::Scp80 { kvn, .. }) => {
                self.scp80.retain(|k| k != kvn);
                self.scp80.push(*kvn);
            }
            IsdrKeyChange::Install(IsdrKeys::Scp81Psk { kvn, key_id, .. }) => {
                self.scp81.retain(|k| *k != (*kvn, *key_id));
                self.scp81.push((*kvn, *key_id));
            }
            IsdrKeyChange::Delete(ranges) => {
                self.scp80.retain(|kvn| !deletes_scp80(ranges, *kvn));
                self.scp81
                    .retain(|(kvn, key_id)| !deletes_psk(ranges, *kvn, *key_id));
            }
            IsdrKeyChange::DeleteExisting { kept } => {
                self.scp80.retain(|kvn| kvn == kept);
                self.scp81.retain(|(kvn, _)| kvn == kept);
            }
        }
    }

    /// `true` when deleting `ranges` would leave no SCP80 key set or
    /// remove the key set the script arrived under.
    pub(crate) fn refuses(&self, ranges: &[KeyRange]) -> bool {
        let gone_80 = |kvn: &u8| self.scp80.contains(kvn) && deletes_scp80(ranges, *kvn);
        if self.scp80.iter().all(gone_80) {
            return true;
        }
        match self.arrival {
            None => true,
            Some(Arrival::Scp80 { kic, kid }) => [kic, kid].iter().flatten().any(gone_80),
            Some(Arrival::Scp81 { kvn, key_id }) => {
                self.scp81.contains(&(kvn, key_id)) && deletes_psk(ranges, kvn, key_id)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kvn: u8, first: u8, last: u8) -> KeyRange {
        KeyRange {
            kvn,
            first_key_id: first,
            last_key_id: last,
        }
    }

    fn view(arrival: Arrival) -> IsdrKeyView {
        IsdrKeyView {
            scp80: Vec::from([0x01, 0x02]),
            scp81: Vec::from([(0x40, 1), (0x41, 1)]),
            arrival: Some(arrival),
        }
    }

    const OVER_02: Arrival = Arrival::Scp80 {
        kic: Some(0x02),
        kid: Some(0x02),
    };

    /// The other key set may go; the arrival's, or the last SCP80 key
    /// set, may not (even when the command arrived over SCP81).
    #[test]
    fn minimum_key_set() {
        let v = view(OVER_02);
        assert!(!v.refuses(&[range(0x01, 1, 3), range(0x40, 1, 2)]));
        assert!(v.refuses(&[range(0x02, 1, 3)]));
        // Only the KID of the arrival key set: still the arrival's.
        assert!(v.refuses(&[range(0x02, 2, 2)]));
        // Its DEK alone (id 3) leaves KIc and KID: allowed.
        assert!(!v.refuses(&[range(0x02, 3, 3)]));
        let psk = view(Arrival::Scp81 {
            kvn: 0x41,
            key_id: 1,
        });
        assert!(psk.refuses(&[range(0x01, 1, 3), range(0x02, 1, 3)]));
        assert!(psk.refuses(&[range(0x41, 1, 1)]));
        assert!(!psk.refuses(&[range(0x01, 1, 3), range(0x40, 1, 1)]));
        // A range naming no key set on the card deletes nothing.
        assert!(!v.refuses(&[range(0x07, 1, 3)]));
        // No view: nothing may be deleted.
        assert!(IsdrKeyView::default().refuses(&[range(0x07, 1, 3)]));
    }

    /// Pending changes of the same script count: a key set installed
    /// earlier may be the one left; "delete existing" leaves only the new.
    #[test]
    fn pending_changes_count() {
        let mut v = view(OVER_02);
        v.apply(&IsdrKeyChange::Delete(Vec::from([range(0x01, 1, 3)])));
        assert_eq!(v.scp80, [0x02]);
        assert!(v.refuses(&[range(0x02, 1, 3)]));
        v.apply(&IsdrKeyChange::DeleteExisting { kept: 0x02 });
        assert_eq!(
            (v.scp80.as_slice(), v.scp81.as_slice()),
            (&[0x02][..], &[][..])
        );
    }
}
