//! The simulated eUICC as a transport sees it: SMS TP-UD in, PoRs and
//! notifications out (ETSI TS 102 225 card side, 3GPP TS 31.115 SMS-PP).
//!
//! For each command packet the card, in order: reassembles concatenated
//! segments; reads the TAR (unknown: PoR `09`); finds the key sets named
//! by KIc / KID (unknown: `06`); deciphers and verifies the RC/CC and the
//! counter with [`scp80::command::unwrap`] (`01`, `02`, `03`, `04`, `05`,
//! `06`); checks the TAR's minimum security level (`0A`); and only then
//! stores the counter and runs the secured data. A refused packet changes
//! nothing. Error PoRs are secured like any PoR when the key set is known,
//! and sent in clear (no RC/CC, not ciphered) when it is not (`06`, `09`).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use super::card::{Card, Rapdu, Target};
use super::config::{EuiccConfig, MinimumSecurityLevel};
use super::faults::{Fault, FaultPlan, Stage};
use super::script;
use super::{Error, SimRng};
use crate::apdu::{CommandView, StatusWord};
use crate::isdr::Aid;
use crate::scp80::sms::{self, ConcatReference, Progress, Reassembler, UserDataHeader};
use crate::scp80::{
    self, Cntr, CommandHeader, CommandPacket, Framing, KeySet, PorRequest, PorStatus, Spi, Tar,
};

/// Segments a concatenated command packet may have (the 8-bit total).
const MAX_PARTS: usize = 255;

/// An application behind its own TAR (for example an RFM applet), in
/// compact format. It answers each C-APDU with response data and a
/// status word.
pub trait Applet {
    /// Processes one C-APDU.
    fn process(&mut self, apdu: &CommandView<'_>) -> (Vec<u8>, StatusWord);
}

/// What the eUICC sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutgoingKind {
    /// A Proof of Receipt (TP-UD starting `02 71 00`, or concatenated).
    Por,
    /// An eUICC notification: a command packet to the SM-SR (TP-UD with
    /// IEI `70`) whose secured data is the `E1` TLV; carries its sequence
    /// number.
    Notification(u16),
}

/// One SMS the eUICC sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// When it leaves (milliseconds on the caller's clock).
    pub at_ms: u64,
    /// PoR or notification.
    pub kind: OutgoingKind,
    /// The TP-UD.
    pub tp_ud: Vec<u8>,
}

/// What the card did with a complete command packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// The TAR addressed.
    pub tar: Tar,
    /// The PoR status (`00` when executed).
    pub status: PorStatus,
    /// The secured data (script) the card ran, if it ran one.
    pub executed: bool,
    /// Number of PoR segments queued (0: none asked for, or dropped).
    pub por_segments: usize,
    /// An HTTPS administration session the card was asked to open.
    pub admin_session: Option<super::trigger::AdminSessionRequest>,
}

/// What became of one TP-UD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reception {
    /// A segment of a concatenated packet was held.
    Partial {
        /// Segments held.
        have: u8,
        /// Segments announced.
        total: u8,
    },
    /// The packet was complete and handled.
    Processed(Processed),
}

/// The state that must not change when a packet is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The security domains.
    pub card: Card,
    /// The receive counters.
    pub counters: BTreeMap<([u8; 3], u8), Cntr>,
    /// The counter of the eUICC's own packets.
    pub out_counter: Cntr,
}

/// Which key set and security a TAR uses.
struct Route {
    target: Option<Target>,
    msl: MinimumSecurityLevel,
}

/// A simulated M2M eUICC.
pub struct Euicc {
    pub(crate) config: EuiccConfig,
    pub(crate) card: Card,
    counters: BTreeMap<([u8; 3], u8), Cntr>,
    out_counter: Cntr,
    reassembler: Box<Reassembler<MAX_PARTS>>,
    outbox: Vec<Outgoing>,
    /// Injected faults.
    pub faults: FaultPlan,
    applets: Vec<(Tar, MinimumSecurityLevel, Box<dyn Applet>)>,
    por_reference: u8,
}

impl core::fmt::Debug for Euicc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Euicc")
            .field("eid", &self.config.eid)
            .field("card", &self.card)
            .field("outbox", &self.outbox.len())
            .finish_non_exhaustive()
    }
}

impl Euicc {
    /// A simulated eUICC with no ISD-P; faults drawn from `seed`.
    #[must_use]
    pub fn new(config: EuiccConfig, seed: u64) -> Self {
        let mut card = Card::new(
            config.eid,
            config.memory,
            config.volatile_memory,
            config.default_quota,
        );
        card.ecasd = super::ecasd::EcasdSlot::on(config.ecasd_curve);
        Self {
            config,
            card,
            counters: BTreeMap::new(),
            out_counter: Cntr::default(),
            reassembler: Box::new(Reassembler::new()),
            outbox: Vec::new(),
            faults: FaultPlan::new(SimRng::new(seed).next_u64()),
            applets: Vec::new(),
            por_reference: 0,
        }
    }

    /// The configuration.
    #[must_use]
    pub const fn config(&self) -> &EuiccConfig {
        &self.config
    }

    /// The security domains (ISD-Ps, pending notifications, parameters).
    #[must_use]
    pub const fn card(&self) -> &Card {
        &self.card
    }

    /// Puts `applet` behind `tar` (compact format, `msl` required).
    pub fn add_applet(&mut self, tar: Tar, msl: MinimumSecurityLevel, applet: Box<dyn Applet>) {
        self.applets.push((tar, msl, applet));
    }

    /// The receive counter held for `tar` and key version `kvn`.
    #[must_use]
    /// A key version that never received a packet is at its initial
    /// counter, zero.
    pub fn counter(&self, tar: Tar, kvn: u8) -> Cntr {
        let initial = Cntr([0; 5]);
        self.counters.get(&(tar.0, kvn)).copied().unwrap_or(initial)
    }

    /// Sets a receive counter (to start a test from a known value).
    pub fn set_counter(&mut self, tar: Tar, kvn: u8, value: Cntr) {
        self.counters.insert((tar.0, kvn), value);
    }

    /// A copy of the state that a refused packet must leave alone.
    #[must_use]
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            card: self.card.clone(),
            counters: self.counters.clone(),
            out_counter: self.out_counter,
        }
    }

    /// Takes the SMS due at `now_ms` (PoRs and notifications, in order).
    pub fn take_outgoing(&mut self, now_ms: u64) -> Vec<Outgoing> {
        let (due, later) = core::mem::take(&mut self.outbox)
            .into_iter()
            .partition(|o| o.at_ms <= now_ms);
        self.outbox = later;
        due
    }

    /// SMS queued but not yet due.
    #[must_use]
    pub fn held_back(&self) -> usize {
        self.outbox.len()
    }

    /// The network is lost on the enabled profile: roll back an
    /// unconfirmed switch or fall back (see [`Card::connectivity_lost`]);
    /// the notification is queued at `now_ms`.
    pub fn connectivity_lost(&mut self, now_ms: u64) -> bool {
        let changed = self.card.connectivity_lost();
        self.flush_notifications(now_ms);
        changed
    }

    /// First attach to a network: the eUICC declaration notification
    /// (type `01`, no ISD-P) is queued at `now_ms`.
    pub fn declare(&mut self, now_ms: u64) {
        self.card.notify(
            super::card::notification_type::DECLARATION,
            None,
            Vec::new(),
        );
        self.flush_notifications(now_ms);
    }

    /// Sends every unconfirmed notification again (the ISD-R retries until
    /// confirmed).
    pub fn retry_notifications(&mut self, now_ms: u64) {
        self.card.unsent = self.card.pending.iter().map(|n| n.seq).collect();
        self.flush_notifications(now_ms);
    }

    /// Takes one SMS TP-UD (UDH included, UDHI set) at `now_ms`.
    ///
    /// # Errors
    /// [`Error::Sms`], [`Error::NotCommandPacket`] or [`Error::Packet`]
    /// for input no card can answer; nothing changes then.
    pub fn receive(&mut self, tp_ud: &[u8], now_ms: u64) -> Result<Reception, Error> {
        let (udh, payload) = UserDataHeader::split(tp_ud).map_err(Error::Sms)?;
        let packet: Vec<u8> = if udh.concat().is_some() {
            // A segment that does not fit the message being assembled (another
            // reference, say, after a lost segment) starts a new message: the
            // stale parts are dropped, not the new one.
            let progress = match self.reassembler.push(tp_ud) {
                Ok(p) => p,
                Err(_) => {
                    *self.reassembler = Reassembler::new();
                    self.reassembler.push(tp_ud).map_err(|e| {
                        *self.reassembler = Reassembler::new();
                        Error::Sms(e)
                    })?
                }
            };
            if let Progress::Incomplete { have, total } = progress {
                return Ok(Reception::Partial { have, total });
            }
            let r = core::mem::replace(&mut *self.reassembler, Reassembler::new());
            if r.packet_iei() != Some(sms::IEI_COMMAND_PACKET) {
                return Err(Error::NotCommandPacket);
            }
            let mut buf = alloc::vec![0u8; MAX_PARTS * sms::MAX_TP_UD];
            let n = r.assemble(&mut buf).map_err(Error::Sms)?;
            buf.truncate(n);
            buf
        } else if udh.find(sms::IEI_COMMAND_PACKET).is_some() {
            payload.to_vec()
        } else {
            return Err(Error::NotCommandPacket);
        };
        self.handle_packet(packet, now_ms).map(Reception::Processed)
    }

    fn route(&self, tar: Tar) -> Route {
        let c = &self.config;
        if tar == c.isd_r_tar {
            return Route {
                target: Some(Target::IsdR),
                msl: c.isd_r_msl,
            };
        }
        if tar == c.ecasd_tar {
            return Route {
                target: Some(Target::Ecasd),
                msl: c.isd_r_msl,
            };
        }
        let aid = Aid::sgp02(tar.0);
        if self.card.profile(&aid).is_some() {
            return Route {
                target: Some(Target::Isdp(aid)),
                msl: c.isd_p_msl,
            };
        }
        let msl = self
            .applets
            .iter()
            .find(|(t, _, _)| *t == tar)
            .map(|(_, m, _)| *m);
        Route {
            target: None,
            msl: msl.unwrap_or(MinimumSecurityLevel::NONE),
        }
    }

    /// The keys the packet's KIc / KID name, or `None` when a needed key
    /// version does not exist.
    fn keys_for(&self, spi: Spi, kic: scp80::Kic, kid: scp80::Kid) -> Option<KeySet> {
        let find = |kvn: u8| self.config.scp80.iter().find(|k| k.kvn == kvn);
        let mut keys = KeySet::new();
        if spi.ciphered() || spi.por_ciphered() {
            keys = keys.with_kic(&find(kic.kvn())?.kic);
        }
        let cc = |i| i == scp80::Integrity::Cc;
        if cc(spi.integrity()) || cc(spi.por_integrity()) {
            keys = keys.with_kid(&find(kid.kvn())?.kid);
        }
        Some(keys)
    }

    fn handle_packet(&mut self, mut packet: Vec<u8>, now_ms: u64) -> Result<Processed, Error> {
        let header = CommandPacket::new_checked(packet.as_slice(), Framing::SmsPp)
            .map_err(Error::Packet)?
            .header();
        let tar = header.tar;
        let route = self.route(tar);
        let is_applet = self.applets.iter().any(|(t, _, _)| *t == tar);
        if route.target.is_none() && !is_applet {
            return Ok(self.refuse(&header, None, PorStatus::TAR_UNKNOWN, now_ms));
        }
        let Some(keys) = self.keys_for(header.spi, header.kic, header.kid) else {
            return Ok(self.refuse(
                &header,
                None,
                PorStatus::UNIDENTIFIED_SECURITY_ERROR,
                now_ms,
            ));
        };
        let kvn = counter_kvn(&header);
        let stored = self.counter(tar, kvn);
        let unwrapped = match scp80::command::unwrap(Framing::SmsPp, &mut packet, &keys, stored) {
            Ok(u) => u,
            Err(e) => {
                let status = e
                    .por_status()
                    .unwrap_or(PorStatus::UNIDENTIFIED_SECURITY_ERROR);
                // Echo the CNTR as deciphered when deciphering happened.
                let seen = CommandPacket::new_checked(packet.as_slice(), Framing::SmsPp)
                    .map_or(header, |p| p.header());
                return Ok(self.refuse(&seen, Some(&keys), status, now_ms));
            }
        };
        let header = unwrapped.header;
        if !route.msl.admits(header.spi) {
            return Ok(self.refuse(
                &header,
                Some(&keys),
                PorStatus::INSUFFICIENT_SECURITY_LEVEL,
                now_ms,
            ));
        }
        if self.faults.draw(Stage::Execute) == Some(Fault::OutOfMemory) {
            return Ok(self.refuse(&header, Some(&keys), PorStatus::INSUFFICIENT_MEMORY, now_ms));
        }
        if let Some(c) = unwrapped.new_counter {
            self.counters.insert((tar.0, kvn), c);
        }
        let payload = unwrapped.payload.to_vec();
        if route.target.is_some() {
            self.set_isdr_arrival(arrival_of(&header));
        }
        let mut admin_session = None;
        let data = match route.target {
            Some(Target::IsdR) if super::trigger::trigger_tlv(&payload).is_some() => {
                let req = super::trigger::trigger_tlv(&payload)
                    .and_then(|t| super::trigger::trigger(&self.config, t));
                match req {
                    Some(req) => {
                        admin_session = Some(req);
                        Vec::new()
                    }
                    None => self.run_script(Target::IsdR, &payload),
                }
            }
            Some(t) => self.run_script(t, &payload),
            None => self.run_applet(tar, &payload),
        };
        let por_segments = self.send_por(&header, &keys, PorStatus::OK, &data, now_ms);
        self.flush_notifications(now_ms);
        Ok(Processed {
            tar,
            status: PorStatus::OK,
            executed: true,
            por_segments,
            admin_session,
        })
    }

    /// Runs secured data for a security domain: SCP03t command TLVs for
    /// an ISD-P (`sim/relay.rs`), expanded when it starts with `AA` / `AE`,
    /// compact otherwise; the session state (an ISD-P's SCP03t session
    /// included) survives between the scripts of a chain (`83`).
    pub(crate) fn run_script(&mut self, target: Target, data: &[u8]) -> Vec<u8> {
        let chain = script::chaining(data);
        let card = &mut self.card;
        if !chain.continues {
            card.start_session();
            if let Target::Isdp(aid) = target {
                card.close_scp03t(&aid);
            }
        }
        let out = match card.run_secured(target, data) {
            Some(out) => out,
            None => script::run_compact(data, &mut |apdu| card.execute(target, apdu)),
        };
        if !chain.keeps {
            self.card.start_session();
        }
        self.apply_isdr_key_changes();
        out
    }

    fn run_applet(&mut self, tar: Tar, data: &[u8]) -> Vec<u8> {
        let Some((_, _, applet)) = self.applets.iter_mut().find(|(t, _, _)| *t == tar) else {
            return Vec::new();
        };
        let mut exec = |apdu: &[u8]| match CommandView::parse(apdu) {
            Ok(v) => {
                let (data, sw) = applet.process(&v);
                Rapdu { data, sw }
            }
            Err(_) => Rapdu {
                data: Vec::new(),
                sw: StatusWord::WRONG_LENGTH,
            },
        };
        script::run_compact(data, &mut exec)
    }

    fn refuse(
        &mut self,
        header: &CommandHeader,
        keys: Option<&KeySet>,
        status: PorStatus,
        now_ms: u64,
    ) -> Processed {
        let por_segments = match keys {
            Some(k) => self.send_por(header, k, status, &[], now_ms),
            None => {
                // No usable keys: an unsecured PoR (second SPI octet keeps
                // only the PoR request and transport bits).
                let clear = CommandHeader {
                    spi: Spi([header.spi.0[0], header.spi.0[1] & 0x23]),
                    ..*header
                };
                self.send_por(&clear, &KeySet::new(), status, &[], now_ms)
            }
        };
        Processed {
            tar: header.tar,
            status,
            executed: false,
            por_segments,
            admin_session: None,
        }
    }

    /// Builds, segments and queues the PoR if the SPI asks for one.
    fn send_por(
        &mut self,
        header: &CommandHeader,
        keys: &KeySet,
        status: PorStatus,
        data: &[u8],
        now_ms: u64,
    ) -> usize {
        let wanted = match header.spi.por() {
            PorRequest::Always => true,
            PorRequest::OnError => !status.is_ok(),
            _ => false,
        };
        if !wanted {
            return 0;
        }
        let mut buf = alloc::vec![0u8; data.len() + 64];
        let built = scp80::response::build(Framing::SmsPp, header, keys, status, data, &mut buf)
            .or_else(|_| {
                // The keys do not fit the SPI: answer in clear.
                let clear = CommandHeader {
                    spi: Spi([header.spi.0[0], header.spi.0[1] & 0x23]),
                    ..*header
                };
                scp80::response::build(
                    Framing::SmsPp,
                    &clear,
                    &KeySet::new(),
                    status,
                    data,
                    &mut buf,
                )
            });
        let Ok(n) = built else {
            return 0;
        };
        buf.truncate(n);
        let mut at_ms = now_ms;
        let mut corrupt = false;
        match self.faults.draw(Stage::Por) {
            Some(Fault::DropPor) => return 0,
            Some(Fault::DelayPor(ms)) => at_ms = now_ms.saturating_add(ms),
            Some(Fault::CorruptResponse) => corrupt = true,
            _ => {}
        }
        if corrupt && !buf.is_empty() {
            let i = self.faults.pick(buf.len());
            if let Some(b) = buf.get_mut(i) {
                *b ^= 0x01;
            }
        }
        self.por_reference = self.por_reference.wrapping_add(1);
        let segments = por_segments(&buf, self.por_reference);
        let count = segments.len();
        for tp_ud in segments {
            self.outbox.push(Outgoing {
                at_ms,
                kind: OutgoingKind::Por,
                tp_ud,
            });
        }
        count
    }

    /// Wraps every not yet sent notification into a secured packet to the
    /// SM-SR (ISD-R TAR, first SCP80 key set, the eUICC's own counter) and
    /// queues its SMS.
    pub(crate) fn flush_notifications(&mut self, now_ms: u64) {
        let seqs = core::mem::take(&mut self.card.unsent);
        for seq in seqs {
            let Some(n) = self.card.pending.iter().find(|n| n.seq == seq).cloned() else {
                continue;
            };
            let e1 = self.card.notification_bytes(
                &n,
                self.config.codings.notification_aid_tag,
                self.config.imei,
            );
            let Some(ks) = self.config.scp80.first() else {
                continue;
            };
            let spi = self.config.codings.notification_spi;
            let next = if spi.counter_mode() == scp80::CounterMode::NoCounter {
                Some(Cntr::default())
            } else {
                self.out_counter.next()
            };
            let Some(next) = next else {
                continue;
            };
            let kic_algorithm = if spi.ciphered() {
                key_algorithm(&ks.kic)
            } else {
                scp80::KeyAlgorithm::IMPLICIT
            };
            let header = CommandHeader {
                spi,
                kic: scp80::Kic::new(ks.kvn, kic_algorithm),
                kid: scp80::Kid::new(ks.kvn, key_algorithm(&ks.kid).0),
                tar: self.config.isd_r_tar,
                cntr: next,
            };
            let keys = KeySet::new().with_kic(&ks.kic).with_kid(&ks.kid);
            let mut buf = alloc::vec![0u8; e1.len() + 64];
            let Ok(len) = scp80::command::wrap(Framing::SmsPp, &header, &e1, &keys, &mut buf)
            else {
                continue;
            };
            if next != Cntr::default() {
                self.out_counter = next;
            }
            let Some(packet) = buf.get(..len) else {
                continue;
            };
            self.por_reference = self.por_reference.wrapping_add(1);
            let Ok(segs) = sms::segments(packet, ConcatReference::Ref8(self.por_reference)) else {
                continue;
            };
            for s in segs {
                self.outbox.push(Outgoing {
                    at_ms: now_ms,
                    kind: OutgoingKind::Notification(seq),
                    tp_ud: s.to_vec(),
                });
            }
        }
    }
}

/// The key version whose counter a packet uses: the KID's when it has a
/// checksum key, else the KIc's (TS 102 225 ties the counter to the key
/// set).
/// The SCP80 key set a packet arrived under: the KIc / KID versions its
/// SPI used (as [`Euicc::keys_for`] looks them up).
fn arrival_of(h: &CommandHeader) -> super::isdr_keys::Arrival {
    let cc = |i| i == scp80::Integrity::Cc;
    super::isdr_keys::Arrival::Scp80 {
        kic: (h.spi.ciphered() || h.spi.por_ciphered()).then(|| h.kic.kvn()),
        kid: (cc(h.spi.integrity()) || cc(h.spi.por_integrity())).then(|| h.kid.kvn()),
    }
}

fn counter_kvn(h: &CommandHeader) -> u8 {
    if h.kid.kvn() != 0 {
        h.kid.kvn()
    } else {
        h.kic.kvn()
    }
}

/// The KIc / KID algorithm nibble for a key.
fn key_algorithm(k: &crate::crypto::Key) -> scp80::KeyAlgorithm {
    use crate::crypto::CipherAlgorithm as A;
    match k.algorithm() {
        A::Des => scp80::KeyAlgorithm::DES,
        A::Tdes2 => scp80::KeyAlgorithm::TDES_2KEY,
        A::Tdes3 => scp80::KeyAlgorithm::TDES_3KEY,
        _ => scp80::KeyAlgorithm::AES,
    }
}

/// Splits a response packet (from RPL) into SMS TP-UD: `02 71 00` ‖
/// packet when it fits one SMS, else concatenated with IEI `71` in the
/// first segment's UDH (TS 31.115 §4.4, TS 23.040 §9.2.3.24.1).
fn por_segments(packet: &[u8], reference: u8) -> Vec<Vec<u8>> {
    if packet.len() <= sms::MAX_TP_UD - 3 {
        let mut v = alloc::vec![0x02, sms::IEI_RESPONSE_PACKET, 0x00];
        v.extend_from_slice(packet);
        return alloc::vec![v];
    }
    let first_cap = sms::MAX_TP_UD - 8;
    let next_cap = sms::MAX_TP_UD - 6;
    let (first, rest) = packet.split_at(first_cap.min(packet.len()));
    let chunks: Vec<&[u8]> = core::iter::once(first)
        .chain(rest.chunks(next_cap))
        .collect();
    // At most 255 segments can be concatenated (TS 23.040 §9.2.3.24.1);
    // a longer PoR cannot be sent at all: none goes out and the caller
    // counts zero segments (was a wrong total, then an overflow).
    let Ok(total) = u8::try_from(chunks.len()) else {
        return Vec::new();
    };
    chunks
        .iter()
        .zip(1..=total)
        .map(|(c, seq)| {
            let mut v = if seq == 1 {
                alloc::vec![
                    0x07,
                    sms::IEI_CONCAT_8,
                    3,
                    reference,
                    total,
                    seq,
                    sms::IEI_RESPONSE_PACKET,
                    0x00
                ]
            } else {
                alloc::vec![0x05, sms::IEI_CONCAT_8, 3, reference, total, seq]
            };
            v.extend_from_slice(c);
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Up to 255 segments, each numbered with the right total; one octet
    /// more cannot be concatenated and yields no segment (no wrapped
    /// total, no counter overflow).
    #[test]
    fn por_segments_stop_at_255() {
        let first = sms::MAX_TP_UD - 8;
        let next = sms::MAX_TP_UD - 6;
        let max = first + 254 * next;
        let segs = por_segments(&alloc::vec![0xA5; max], 9);
        assert_eq!(segs.len(), 255);
        assert_eq!(&segs[254][..6], &[0x05, sms::IEI_CONCAT_8, 3, 9, 255, 255]);
        assert!(por_segments(&alloc::vec![0xA5; max + 1], 9).is_empty());
    }
}
