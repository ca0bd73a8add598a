//! The ISD-R side of an SM-SR change on the simulated card (SGP.02 §3.8):
//! ES5.EstablishISDRkeyset (STORE DATA `3A01` / `3A02` to the ISD-R, handed
//! to the ECASD, which checks SM-SR2's certificate against the CI and
//! derives the keys) and ES5.FinaliseISDRhandover (DELETE `80 E4 00 00`
//! with `F2` key ranges, [`handover::finalise`]).
//!
//! The card model answers the APDUs; the key sets themselves live in the
//! [`EuiccConfig`](super::EuiccConfig) the transports read, so each change
//! waits in [`Card`] until the script has run and is then applied
//! ([`Euicc::apply_isdr_key_changes`]): a new SCP80 key set (KIc, KID;
//! its receive counter set to the initial sequence counter, so the next
//! packet must be above it) or SCP81 PSK replaces one of the same KVN, and
//! a FinaliseISDRhandover deletes every SCP80 key set with KIc or KID in
//! a range and every PSK in one. SM-SR1's packets then find no key set:
//! PoR `06` (TS 102 225 §5.1.2 "undefined security error", the status the
//! card already gives for an unknown KVN), and its PSK identity opens no
//! admin session.
//!
//! The ISD-R keeps a minimum key set ([`view`]): a FinaliseISDRhandover
//! that would leave it no SCP80 key set, or delete the key set the
//! command arrived under, is refused with `6985` and changes nothing.
//! A key establishment whose CRT carries scenario parameter `01`
//! ([`ScenarioParameters::DELETE_KEYS`], "delete existing keys": GP
//! Amendment A/E scenario #3 parameters; njiwa
//! `ReceiveEISHandoverTransaction` sets `0x01 // Delete existing` when
//! no SCP80 KVN is free) deletes every other ISD-R key set, SCP80 and
//! SCP81, once the new one is installed.

use alloc::vec::Vec;

use subtle::ConstantTimeEq;

use super::card::{Card, Rapdu};
use super::config::{PskKey, Scp80KeySet};
use super::euicc::Euicc;
use crate::apdu::{CommandView, StatusWord};
use crate::es8::crt::ScenarioParameters;
use crate::isdr::Aid;
use crate::isdr::handover::{self, IsdrKeys, KeyRange};
use crate::scp80::Cntr;

pub(crate) mod view;

pub(crate) use view::{Arrival, IsdrKeyView};

/// A change to the ISD-R key sets, applied once the script has run.
#[derive(Debug, Clone)]
pub enum IsdrKeyChange {
    /// Keys established for SM-SR2.
    Install(IsdrKeys),
    /// FinaliseISDRhandover: the key ranges to delete.
    Delete(Vec<KeyRange>),
    /// Scenario parameter `01`: every ISD-R key set but the one of KVN
    /// `kept` (just installed) is deleted.
    DeleteExisting {
        /// KVN of the key set that stays.
        kept: u8,
    },
}

fn same_key(a: &crate::crypto::Key, b: &crate::crypto::Key) -> bool {
    a.algorithm() == b.algorithm() && bool::from(a.dangerous_bytes().ct_eq(b.dangerous_bytes()))
}

/// Keys compared in constant time.
impl PartialEq for IsdrKeyChange {
    fn eq(&self, other: &Self) -> bool {
        use IsdrKeys::{Scp80, Scp81Psk};
        match (self, other) {
            (Self::Delete(a), Self::Delete(b)) => a == b,
            (Self::DeleteExisting { kept: a }, Self::DeleteExisting { kept: b }) => a == b,
            (
                Self::Install(Scp80 {
                    kvn: a,
                    kic: c,
                    kid: d,
                    dek: e,
                    initial_counter: f,
                }),
                Self::Install(Scp80 {
                    kvn: b,
                    kic: g,
                    kid: h,
                    dek: i,
                    initial_counter: j,
                }),
            ) => a == b && f == j && same_key(c, g) && same_key(d, h) && same_key(e, i),
            (
                Self::Install(Scp81Psk {
                    kvn: a,
                    key_id: c,
                    psk: d,
                }),
                Self::Install(Scp81Psk {
                    kvn: b,
                    key_id: e,
                    psk: f,
                }),
            ) => a == b && c == e && same_key(d, f),
            _ => false,
        }
    }
}

impl Eq for IsdrKeyChange {}

impl Card {
    /// STORE DATA `3A01` / `3A02` to the ISD-R: the ECASD's key
    /// establishment for the ISD-R itself.
    pub(super) fn isdr_key_establishment(&mut self, view: &CommandView<'_>) -> Rapdu {
        let Some(ecasd) = self.ecasd_state() else {
            return Rapdu::sw(StatusWord::EXECUTION_ERROR);
        };
        let answer = ecasd.store_data(Aid::ISD_R, view);
        for (keys, parameters) in ecasd.take_isdr_establishments() {
            let kept = keys.kvn();
            self.isdr_key_changes.push(IsdrKeyChange::Install(keys));
            if parameters.contains(ScenarioParameters::DELETE_KEYS) {
                self.isdr_key_changes
                    .push(IsdrKeyChange::DeleteExisting { kept });
            }
        }
        answer
    }

    /// `true` for the DELETE of FinaliseISDRhandover (data starting `F2`).
    pub(super) fn is_finalise(view: &CommandView<'_>) -> bool {
        view.ins() == 0xE4 && view.data().first() == Some(&0xF2)
    }

    /// ES5.FinaliseISDRhandover: P1 P2 `00 00`, `F2` ranges; answers `00`
    /// (GP DELETE response data), or `6985` when the ranges would leave
    /// the ISD-R below its minimum key set ([`view`]).
    pub(super) fn finalise_handover(&mut self, view: &CommandView<'_>) -> Rapdu {
        if view.p1() != 0x00 || view.p2() != 0x00 {
            return Rapdu::sw(StatusWord(0x6A86));
        }
        let Ok(ranges) = handover::parse_finalise_request(view.data()) else {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        };
        let mut keys = self.isdr_key_view.clone();
        for change in &self.isdr_key_changes {
            keys.apply(change);
        }
        if keys.refuses(&ranges) {
            return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        self.isdr_key_changes
            .push(IsdrKeyChange::Delete(ranges.to_vec()));
        Rapdu {
            data: alloc::vec![0x00],
            sw: StatusWord::SUCCESS,
        }
    }

    /// The ISD-R key changes since the last call.
    pub fn take_isdr_key_changes(&mut self) -> Vec<IsdrKeyChange> {
        core::mem::take(&mut self.isdr_key_changes)
    }
}

impl Euicc {
    /// Tells the card which key sets the ISD-R holds and which one the
    /// next script arrived under (for [`view`]).
    pub(crate) fn set_isdr_arrival(&mut self, arrival: Arrival) {
        self.card.isdr_key_view = IsdrKeyView::of(&self.config, arrival);
    }

    /// Applies the card's pending ISD-R key changes to the key sets the
    /// transports use; the arrival is forgotten.
    pub(crate) fn apply_isdr_key_changes(&mut self) {
        self.card.isdr_key_view = IsdrKeyView::default();
        for change in self.card.take_isdr_key_changes() {
            match change {
                IsdrKeyChange::Install(IsdrKeys::Scp80 {
                    kvn,
                    kic,
                    kid,
                    initial_counter,
                    ..
                }) => {
                    let config = &mut self.config;
                    config.scp80.retain(|k| k.kvn != kvn);
                    config.scp80.push(Scp80KeySet { kvn, kic, kid });
                    let tar = self.config.isd_r_tar;
                    let [_, _, _, c0, c1, c2, c3, c4] = initial_counter.to_be_bytes();
                    self.set_counter(tar, kvn, Cntr([c0, c1, c2, c3, c4]));
                }
                IsdrKeyChange::Install(IsdrKeys::Scp81Psk { kvn, key_id, psk }) => {
                    let config = &mut self.config;
                    config.scp81.retain(|k| !(k.kvn == kvn && k.kid == key_id));
                    config
                        .scp81
                        .push(PskKey::new(kvn, key_id, psk.dangerous_bytes()));
                }
                IsdrKeyChange::Delete(ranges) => {
                    let config = &mut self.config;
                    config
                        .scp80
                        .retain(|k| !view::deletes_scp80(&ranges, k.kvn));
                    config
                        .scp81
                        .retain(|k| !view::deletes_psk(&ranges, k.kvn, k.kid));
                }
                IsdrKeyChange::DeleteExisting { kept } => {
                    let config = &mut self.config;
                    config.scp80.retain(|k| k.kvn == kept);
                    config.scp81.retain(|k| k.kvn == kept);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::card::Target;
    use crate::sim::fleet;

    /// Over SCP81 (SM-SR1's PSK `40`), deleting the only SCP80 key set or
    /// the PSK itself is refused with `6985` and queues nothing; the card
    /// keeps its keys. (Over SCP80: `tests/sim_handover.rs`.)
    #[test]
    fn finalise_over_scp81_keeps_an_scp80_key_set() {
        let mut sim = Euicc::new(fleet::member(25, 0).unwrap(), 1);
        let kvns = |sim: &Euicc| {
            let c = &sim.config;
            let scp80: Vec<u8> = c.scp80.iter().map(|k| k.kvn).collect();
            let scp81: Vec<(u8, u8)> = c.scp81.iter().map(|k| (k.kvn, k.kid)).collect();
            (scp80, scp81)
        };
        let before = kvns(&sim);
        assert_eq!(before.0, [0x01]);
        assert!(before.1.contains(&(0x40, 1)));
        for range in [(0x01, 1, 3), (0x40, 1, 1)] {
            sim.set_isdr_arrival(Arrival::Scp81 {
                kvn: 0x40,
                key_id: 1,
            });
            let (kvn, first_key_id, last_key_id) = range;
            let delete = handover::finalise_isdr_handover(&[KeyRange {
                kvn,
                first_key_id,
                last_key_id,
            }])
            .unwrap();
            let r = sim.card.execute(Target::IsdR, &delete);
            assert_eq!(r.sw, StatusWord::CONDITIONS_NOT_SATISFIED, "{range:?}");
            assert!(r.data.is_empty() && sim.card.isdr_key_changes.is_empty());
            sim.apply_isdr_key_changes();
            assert_eq!(kvns(&sim), before);
        }
    }
}
