//! The ISD-R, ECASD and ISD-P models and how they answer C-APDUs, as an
//! SGP.02 eUICC would (SGP.02 §4.1.1 ES5 functions over GlobalPlatform
//! card content management, GP Card Specification §11).
//!
//! The simulator interprets every command from its bytes on its own: the
//! C-APDU is checked with [`CommandView`], the INSTALL data, the STORE DATA
//! DGIs and the DELETE / GET STATUS search criteria are read here, not by
//! the server-side builders' counterparts, so a server mistake shows as a
//! refusal instead of being mirrored. Every command is checked completely
//! before it changes anything: a refused command leaves the model as it
//! was.
//!
//! Status words follow GP §11 and the SGP.02 additions: `6A88` unknown
//! AID or DGI, `6985` wrong state (e.g. deleting the enabled or fall-back
//! profile), `69E1` refused by POL1 (njiwa and whty), `6A84` not
//! enough memory, `6A80` malformed data, `6A86` wrong P1 / P2, `6D00`
//! unknown instruction, `6E00` unknown class, `6700` malformed APDU,
//! `6310` more GET STATUS data. MasterDelete (a DELETE with a delete
//! token) is not modelled: refused with `6A80`.

use alloc::vec::Vec;

use super::ecasd::{Ecasd, EcasdSlot};
use super::profile::{Isdp, Pol1, life_cycle};
use crate::apdu::{CommandView, StatusWord};
use crate::isdr::dgi::Dgi;
use crate::isdr::{Aid, Eid};
use crate::tlv::{self, Encode, Tag};

/// `6A86`: incorrect P1 P2 (ISO/IEC 7816-4 table 6).
const SW_WRONG_P1P2: StatusWord = StatusWord(0x6A86);
/// `69E1`: POL1 of the profile prevents the action (SGP.02; njiwa).
pub const SW_POL1: StatusWord = StatusWord(0x69E1);

/// Bit of the ISD-P properties byte (`53`) for the fall-back attribute
/// (njiwa, SGP.02 v4.1 table 28).
const PROPERTY_FALLBACK: u8 = 0x01;
/// Bit of the ISD-P properties byte for the emergency profile attribute.
/// UNCONFIRMED (no public source found); the next free bit is used.
const PROPERTY_EMERGENCY: u8 = 0x02;

/// Notification types (SGP.02 §4.1.1.11; njiwa `NotificationMessage.Type`).
pub mod notification_type {
    /// eUICC declaration.
    pub const DECLARATION: u8 = 0x01;
    /// Profile change succeeded.
    pub const CHANGE_SUCCEEDED: u8 = 0x02;
    /// Profile change failed and rolled back.
    pub const CHANGE_ROLLED_BACK: u8 = 0x03;
    /// Profile change after fall-back.
    pub const CHANGE_AFTER_FALLBACK: u8 = 0x05;
}

/// Which security domain a command goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The ISD-R.
    IsdR,
    /// The ECASD.
    Ecasd,
    /// An ISD-P (profile download stand-in).
    Isdp(Aid),
}

/// An R-APDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rapdu {
    /// Response data.
    pub data: Vec<u8>,
    /// Status word.
    pub sw: StatusWord,
}

impl Rapdu {
    pub(super) fn sw(sw: StatusWord) -> Self {
        Self {
            data: Vec::new(),
            sw,
        }
    }

    fn ok(data: Vec<u8>) -> Self {
        Self {
            data,
            sw: StatusWord::SUCCESS,
        }
    }

    /// Data ‖ SW1 SW2.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = self.data.clone();
        v.extend_from_slice(&self.sw.to_bytes());
        v
    }
}

/// An eUICC notification waiting for its confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingNotification {
    /// Sequence number.
    pub seq: u16,
    /// Notification type.
    pub kind: u8,
    /// The ISD-P concerned.
    pub aid: Option<Aid>,
    /// ISD-Ps this change disabled; their POL1 auto-delete rule is applied
    /// once the notification is confirmed (SGP.02 §3.x via the spec text
    /// quoted in the reference: POL1 is evaluated after the confirmation).
    pub disabled: Vec<Aid>,
}

/// A STORE DATA sequence in progress (GP §11.11: blocks numbered from 0,
/// P1 b8 on the last one).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Chain {
    target: Target,
    next_block: u8,
    data: Vec<u8>,
}

/// Where a GET STATUS continuation (`P2` b1) resumes.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StatusCursor {
    prefix: Vec<u8>,
    next: usize,
}

/// The persistent and session state of the card's security domains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub(crate) eid: Eid,
    /// The ISD-Ps in creation order.
    pub profiles: Vec<Isdp>,
    pub(crate) memory: u32,
    pub(crate) volatile_memory: u32,
    pub(crate) default_quota: u32,
    /// Notifications not yet confirmed.
    pub pending: Vec<PendingNotification>,
    /// Sequence numbers of notifications not yet handed to the transport.
    pub(crate) unsent: Vec<u16>,
    pub(crate) next_seq: u16,
    /// A profile switch not yet confirmed: (previously enabled, newly
    /// enabled, notification sequence number).
    pub(crate) unconfirmed_switch: Option<(Option<Aid>, Aid, u16)>,
    /// SM-SR addressing parameters (DGI `3A07` template `A3`).
    pub smsr_addressing: Option<Vec<u8>>,
    /// Connectivity parameters sent to the ISD-R (DGI `3A07`).
    pub connectivity: Option<Vec<u8>>,
    /// The ECASD's ES8 key establishment state, made on first use.
    pub(super) ecasd: EcasdSlot,
    /// SCP03t loads in progress, per ISD-P (`sim/isdp_load.rs`).
    pub(crate) isdp_loads: super::isdp_load::Loads,
    /// ISD-R key set changes of an SM-SR change, until the script has run
    /// (`sim/isdr_keys.rs`).
    pub(crate) isdr_key_changes: Vec<super::isdr_keys::IsdrKeyChange>,
    /// The ISD-R key sets and the running script's arrival key set, for
    /// the FinaliseISDRhandover checks (`sim/isdr_keys/view.rs`).
    pub(crate) isdr_key_view: super::isdr_keys::IsdrKeyView,
    // Session state, reset at the start of each script.
    chain: Option<Chain>,
    personalizing: Option<Aid>,
    cursor: Option<StatusCursor>,
}

/// What a STORE DATA carries, from P1 b5 b4 (GP §11.11.2.1).
fn structure(p1: u8) -> u8 {
    (p1 >> 3) & 0x03
}

/// Reads `4F len AID` covering all of `v`.
fn aid_tlv(v: &[u8]) -> Option<Aid> {
    match v {
        [0x4F, len, rest @ ..] if usize::from(*len) == rest.len() => Aid::new(rest).ok(),
        _ => None,
    }
}

/// Splits DGI-formatted data into (tag, value) records (GP §11.11.2.2:
/// two-octet tag, one-octet length below `FF`, else `FF` + two octets).
fn dgis(mut data: &[u8]) -> Option<Vec<(Dgi, &[u8])>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (&[t0, t1], rest) = data.split_first_chunk::<2>()?;
        let (len, rest) = match rest.split_first()? {
            (0xFF, r) => {
                let (&[l0, l1], r) = r.split_first_chunk::<2>()?;
                (usize::from(u16::from_be_bytes([l0, l1])), r)
            }
            (l, r) => (usize::from(*l), r),
        };
        let (value, rest) = rest.split_at_checked(len)?;
        out.push((Dgi(u16::from_be_bytes([t0, t1])), value));
        data = rest;
    }
    Some(out)
}

/// Reads length-value fields in sequence (GP INSTALL data layout).
struct Lv<'a>(&'a [u8]);

impl<'a> Lv<'a> {
    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, rest) = self.0.split_first()?;
        let (v, rest) = rest.split_at_checked(usize::from(len))?;
        self.0 = rest;
        Some(v)
    }
}

/// A number in 1 to 4 big-endian octets.
fn be_number(v: &[u8]) -> Option<u32> {
    if v.is_empty() || v.len() > 4 {
        return None;
    }
    Some(v.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
}

/// A number as the card writes it: 2 octets up to `FFFF`, else 4 (the
/// width njiwa uses for the `EF`/`83` quota; mirrored for `8F` / `91`).
fn card_number(v: u32) -> Vec<u8> {
    match u16::try_from(v) {
        Ok(s) => Vec::from(s.to_be_bytes()),
        Err(_) => Vec::from(v.to_be_bytes()),
    }
}

/// The shortest big-endian form, at least one octet.
fn minimal(v: u32) -> Vec<u8> {
    let b = v.to_be_bytes();
    let skip = b.iter().take(3).take_while(|x| **x == 0).count();
    b.iter().skip(skip).copied().collect()
}

/// Encodes into a growing `Vec`: the one failure left, a value over
/// 4 GiB, is out of reach of these few-octet card structures.
fn encode<E: Encode>(e: E) -> Vec<u8> {
    let v = e.to_vec();
    debug_assert!(v.is_ok(), "card structure failed to encode: {v:?}");
    v.unwrap_or_default()
}

/// GET STATUS answers at most this much per R-APDU (short Le).
const MAX_RESPONSE: usize = 256;

impl Card {
    pub(crate) fn new(eid: Eid, memory: u32, volatile_memory: u32, default_quota: u32) -> Self {
        Self {
            eid,
            profiles: Vec::new(),
            memory,
            volatile_memory,
            default_quota,
            pending: Vec::new(),
            unsent: Vec::new(),
            next_seq: 0,
            unconfirmed_switch: None,
            smsr_addressing: None,
            connectivity: None,
            ecasd: EcasdSlot::default(),
            isdp_loads: super::isdp_load::Loads::default(),
            isdr_key_changes: Vec::new(),
            isdr_key_view: super::isdr_keys::IsdrKeyView::default(),
            chain: None,
            personalizing: None,
            cursor: None,
        }
    }

    /// The EID.
    #[must_use]
    pub const fn eid(&self) -> &Eid {
        &self.eid
    }

    /// Free non-volatile memory: what the quotas leave.
    #[must_use]
    pub fn free_memory(&self) -> u32 {
        let used: u32 = self.profiles.iter().map(|p| p.quota).sum();
        self.memory.saturating_sub(used)
    }

    /// The ISD-P with `aid`.
    #[must_use]
    pub fn profile(&self, aid: &Aid) -> Option<&Isdp> {
        self.profiles.iter().find(|p| p.aid == *aid)
    }

    fn index(&self, aid: &Aid) -> Option<usize> {
        self.profiles.iter().position(|p| p.aid == *aid)
    }

    fn enabled_index(&self) -> Option<usize> {
        self.profiles.iter().position(Isdp::is_enabled)
    }

    fn fallback_index(&self) -> Option<usize> {
        self.profiles.iter().position(|p| p.fallback)
    }

    fn set_life_cycle(&mut self, i: usize, lc: u8) {
        if let Some(p) = self.profiles.get_mut(i) {
            p.life_cycle = lc;
        }
    }

    fn aid_at(&self, i: usize) -> Option<Aid> {
        self.profiles.get(i).map(|p| p.aid)
    }

    /// Forgets the session state (a new script, or a new HTTP session).
    pub(crate) fn start_session(&mut self) {
        self.chain = None;
        self.personalizing = None;
        self.cursor = None;
    }

    /// Queues a notification and returns its sequence number.
    pub(crate) fn notify(&mut self, kind: u8, aid: Option<Aid>, disabled: Vec<Aid>) -> u16 {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.pending.push(PendingNotification {
            seq,
            kind,
            aid,
            disabled,
        });
        self.unsent.push(seq);
        seq
    }

    /// The `E1` notification for `n` (SGP.02 §4.1.1.11 as read by njiwa
    /// and whty): `4C` EID, `4D` type, `4E` sequence number, the ISD-P AID
    /// under `aid_tag`, and the IMEI under `14` when known.
    pub(crate) fn notification_bytes(
        &self,
        n: &PendingNotification,
        aid_tag: u8,
        imei: Option<[u8; 8]>,
    ) -> Vec<u8> {
        encode(tlv::tlv(
            Tag::new(0xE1),
            (
                tlv::tlv(Tag::new(0x4C), &self.eid.as_bcd()[..]),
                tlv::tlv(Tag::new(0x4D), [n.kind]),
                tlv::tlv(Tag::new(0x4E), n.seq.to_be_bytes()),
                n.aid
                    .as_ref()
                    .map(|a| tlv::tlv(Tag::new(u32::from(aid_tag)), a.as_bytes())),
                imei.map(|i| tlv::tlv(Tag::new(0x14), i)),
            ),
        ))
    }

    /// Loss of network connectivity on the enabled profile (SGP.02
    /// §3.x fall-back mechanism): an unconfirmed profile switch is rolled
    /// back (notification `03`); otherwise the fall-back profile is enabled
    /// (notification `05`). Returns whether anything changed.
    pub fn connectivity_lost(&mut self) -> bool {
        if let Some((previous, new, seq)) = self.unconfirmed_switch.take() {
            let Some(ni) = self.index(&new) else {
                return false;
            };
            self.set_life_cycle(ni, life_cycle::DISABLED);
            if let Some(pi) = previous.and_then(|p| self.index(&p)) {
                self.set_life_cycle(pi, life_cycle::ENABLED);
            }
            self.pending.retain(|n| n.seq != seq);
            self.unsent.retain(|s| *s != seq);
            self.notify(
                notification_type::CHANGE_ROLLED_BACK,
                previous.or(Some(new)),
                alloc::vec![new],
            );
            return true;
        }
        let (Some(ei), Some(fi)) = (self.enabled_index(), self.fallback_index()) else {
            return false;
        };
        if ei == fi || self.profiles.get(fi).is_none_or(|p| !p.is_loaded()) {
            return false;
        }
        self.set_life_cycle(ei, life_cycle::DISABLED);
        self.set_life_cycle(fi, life_cycle::ENABLED);
        let (old, fb) = (self.aid_at(ei), self.aid_at(fi));
        self.notify(
            notification_type::CHANGE_AFTER_FALLBACK,
            fb,
            old.into_iter().collect(),
        );
        true
    }

    /// Executes one C-APDU for `target`.
    pub fn execute(&mut self, target: Target, apdu: &[u8]) -> Rapdu {
        let Ok(view) = CommandView::parse(apdu) else {
            return Rapdu::sw(StatusWord::WRONG_LENGTH);
        };
        if let (Target::Isdp(aid), true) = (target, super::isdp_connectivity::is_secured(&view)) {
            return self.secured_apdu(&aid, &view);
        }
        if !matches!(view.cla() & 0xF0, 0x80 | 0x00) || view.cla() & 0x0C != 0 {
            return Rapdu::sw(StatusWord::CLA_NOT_SUPPORTED);
        }
        if view.ins() != 0xE2 {
            self.chain = None;
        }
        if view.ins() != 0xF2 {
            self.cursor = None;
        }
        let target = match (target, self.personalizing) {
            (Target::IsdR, Some(aid)) if view.ins() == 0xE2 => Target::Isdp(aid),
            (t, _) => t,
        };
        match target {
            Target::IsdR => self.isd_r(&view),
            Target::Ecasd => self.ecasd(&view),
            Target::Isdp(aid) => self.isd_p(aid, &view),
        }
    }

    fn ecasd(&self, view: &CommandView<'_>) -> Rapdu {
        match (view.ins(), view.p1(), view.p2()) {
            (0xCA, 0x00, 0x5A) => {
                Rapdu::ok(encode(tlv::tlv(Tag::new(0x5A), &self.eid.as_bcd()[..])))
            }
            (0xCA, _, _) => Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND),
            _ => Rapdu::sw(StatusWord::INS_NOT_SUPPORTED),
        }
    }

    fn isd_r(&mut self, view: &CommandView<'_>) -> Rapdu {
        if Ecasd::is_key_establishment(view) {
            return self.isdr_key_establishment(view);
        }
        if Self::is_finalise(view) {
            return self.finalise_handover(view);
        }
        match view.ins() {
            0xE6 => self.install(view),
            0xE2 => self.store_data(Target::IsdR, view),
            0xE4 => self.delete(view),
            0xCA => self.get_data(view),
            0xF2 => self.get_status(view),
            _ => Rapdu::sw(StatusWord::INS_NOT_SUPPORTED),
        }
    }

    fn isd_p(&mut self, aid: Aid, view: &CommandView<'_>) -> Rapdu {
        if self.index(&aid).is_none() {
            return Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
        }
        if Ecasd::is_key_establishment(view) {
            return self.key_establishment(aid, view);
        }
        match view.ins() {
            0xE2 => self.store_data(Target::Isdp(aid), view),
            _ => Rapdu::sw(StatusWord::INS_NOT_SUPPORTED),
        }
    }

    /// The ECASD (key pair and certificate derived from the EID), made on
    /// first use; `None` only if its certificate cannot be encoded.
    pub fn ecasd_state(&mut self) -> Option<&mut Ecasd> {
        self.ecasd.get_or_make(self.eid.as_bcd())
    }

    /// The key set ES8.EstablishISDPKeySet installed for the ISD-P `aid`.
    #[must_use]
    pub fn isdp_key_set(&self, aid: &Aid) -> Option<&crate::es8::KeySet> {
        self.ecasd.get().and_then(|e| e.isdp_key_set(aid))
    }

    /// GET DATA on the ISD-R: `FF21` Extended Card Resources Information
    /// (TS 102 226 §8.2.1.7.2): `81` installed applications (the ISD-Ps),
    /// `82` free non-volatile memory, `83` free volatile memory.
    fn get_data(&self, view: &CommandView<'_>) -> Rapdu {
        match (view.p1(), view.p2()) {
            (0xFF, 0x21) => {
                let n = u32::try_from(self.profiles.len()).unwrap_or(u32::MAX);
                let (apps, free, volatile) = (
                    minimal(n),
                    minimal(self.free_memory()),
                    minimal(self.volatile_memory),
                );
                Rapdu::ok(encode(tlv::tlv(
                    Tag::new(0xFF21),
                    (
                        tlv::tlv(Tag::new(0x81), apps.as_slice()),
                        tlv::tlv(Tag::new(0x82), free.as_slice()),
                        tlv::tlv(Tag::new(0x83), volatile.as_slice()),
                    ),
                )))
            }
            _ => Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND),
        }
    }

    /// INSTALL (GP §11.5): P1 `0C` [for install and make selectable] is
    /// ES5.CreateISDP; P1 `20` [for personalization] routes the following
    /// STORE DATA of this script to an ISD-P.
    fn install(&mut self, view: &CommandView<'_>) -> Rapdu {
        match view.p1() {
            0x0C => self.create_isdp(view.data()),
            0x20 => {
                let mut lv = Lv(view.data());
                let (Some([]), Some([]), Some(aid), Some(_), Some(_)) =
                    (lv.next(), lv.next(), lv.next(), lv.next(), lv.next())
                else {
                    return Rapdu::sw(StatusWord::INCORRECT_DATA);
                };
                match Aid::new(aid).ok().filter(|a| self.index(a).is_some()) {
                    Some(a) => {
                        self.personalizing = Some(a);
                        Rapdu::ok(Vec::new())
                    }
                    None => Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND),
                }
            }
            _ => Rapdu::sw(SW_WRONG_P1P2),
        }
    }

    /// ES5.CreateISDP (SGP.02 §4.1.1.1): load file `…0D00`, module
    /// `…0E00`, a new ISD-P AID, privileges, install parameters `C9 { 81
    /// 02 03 70 }` and optionally `EF { 83 <quota> }`, empty token.
    fn create_isdp(&mut self, data: &[u8]) -> Rapdu {
        let mut lv = Lv(data);
        let (Some(elf), Some(em), Some(aid), Some(privs), Some(params), Some(token)) = (
            lv.next(),
            lv.next(),
            lv.next(),
            lv.next(),
            lv.next(),
            lv.next(),
        ) else {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        };
        if !lv.0.is_empty() || !token.is_empty() {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        }
        if elf != Aid::ISD_P_LOAD_FILE.as_bytes() || em != Aid::ISD_P_MODULE.as_bytes() {
            return Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
        }
        let Some(aid) = Aid::new(aid).ok().filter(Aid::is_isd_p) else {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        };
        if self.index(&aid).is_some() || !matches!(privs.len(), 1 | 3) {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        }
        let Some(quota) = Self::install_parameters(params) else {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        };
        let quota = quota.unwrap_or(self.default_quota);
        if quota > self.free_memory() {
            return Rapdu::sw(StatusWord::NOT_ENOUGH_MEMORY);
        }
        self.profiles.push(Isdp::created(aid, privs, quota));
        Rapdu::ok(Vec::new())
    }

    /// Reads `C9 { … }` (must name SCP03, `81 02 03 xx`) and the optional
    /// `EF { 83 quota }`; `Some(None)` when no quota was given.
    fn install_parameters(params: &[u8]) -> Option<Option<u32>> {
        let mut c9 = None;
        let mut quota = None;
        let mut rest = params;
        while !rest.is_empty() {
            let (t, r) = tlv::Tlv::parse(rest).ok()?;
            rest = r;
            match t.tag().raw() {
                0xC9 if c9.is_none() => c9 = Some(t.value()),
                0xEF if quota.is_none() => {
                    let q = t.children().find_map(|c| {
                        c.ok()
                            .filter(|c| c.tag().raw() == 0x83)
                            .map(|c| be_number(c.value()))
                    });
                    quota = Some(q??);
                }
                _ => return None,
            }
        }
        let scp = c9?;
        let ok = tlv::Tlv::parse(scp)
            .ok()
            .is_some_and(|(t, _)| t.tag().raw() == 0x81 && t.value().first() == Some(&0x03));
        ok.then_some(quota)
    }

    /// STORE DATA (GP §11.11): blocks are collected until P1 b8; the ISD-R
    /// reads DGIs, an ISD-P the profile download stand-in.
    fn store_data(&mut self, target: Target, view: &CommandView<'_>) -> Rapdu {
        let (p1, block) = (view.p1(), view.p2());
        let mut chain = match self.chain.take() {
            Some(c) if c.target == target && c.next_block == block => c,
            Some(_) => return Rapdu::sw(SW_WRONG_P1P2),
            None if block == 0 => Chain {
                target,
                next_block: 0,
                data: Vec::new(),
            },
            None => return Rapdu::sw(SW_WRONG_P1P2),
        };
        chain.data.extend_from_slice(view.data());
        chain.next_block = chain.next_block.wrapping_add(1);
        if let Target::Isdp(aid) = target {
            let room = self.profile(&aid).map_or(0, |p| p.quota);
            if chain.data.len() > usize::try_from(room).unwrap_or(usize::MAX) {
                return Rapdu::sw(StatusWord::NOT_ENOUGH_MEMORY);
            }
        }
        if p1 & 0x80 == 0 {
            self.chain = Some(chain);
            return Rapdu::ok(Vec::new());
        }
        let wants_response = p1 & 0x01 != 0;
        match target {
            Target::Isdp(aid) => self.load_profile(aid, &chain.data),
            _ if structure(p1) != 0x01 => Rapdu::sw(StatusWord::INCORRECT_DATA),
            _ => self.isd_r_dgis(&chain.data, wants_response),
        }
    }

    fn isd_r_dgis(&mut self, data: &[u8], wants_response: bool) -> Rapdu {
        let Some(records) = dgis(data) else {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        };
        let [(tag, value)] = records.as_slice() else {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        };
        let value: &[u8] = value;
        match *tag {
            Dgi::ENABLE_PROFILE
            | Dgi::DISABLE_PROFILE
            | Dgi::SET_FALLBACK_ATTRIBUTE
            | Dgi::SET_EMERGENCY_PROFILE_ATTRIBUTE => {
                let Some(aid) = aid_tlv(value) else {
                    return Rapdu::sw(StatusWord::INCORRECT_DATA);
                };
                let Some(i) = self.index(&aid) else {
                    return Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
                };
                match *tag {
                    Dgi::ENABLE_PROFILE => self.enable(i),
                    Dgi::DISABLE_PROFILE => self.disable(i),
                    Dgi::SET_FALLBACK_ATTRIBUTE => self.set_fallback(i),
                    _ => self.set_emergency(i),
                }
            }
            Dgi::NOTIFICATION_CONFIRMATION => match value {
                [0x4E, 0x02, a, b] => self.confirm(u16::from_be_bytes([*a, *b]), wants_response),
                _ => Rapdu::sw(StatusWord::INCORRECT_DATA),
            },
            // UpdateSMSRAddressingParameters travels in DGI 3A07 too, as
            // template A3 (whty UpdateSrAddressParaApduHandler); anything
            // else in 3A07 is connectivity parameters (A0 ..., whty, njiwa).
            Dgi::CONNECTIVITY_PARAMETERS if value.first() == Some(&0xA3) => {
                self.smsr_addressing = Some(value.to_vec());
                Rapdu::ok(Vec::new())
            }
            Dgi::CONNECTIVITY_PARAMETERS => {
                self.connectivity = Some(value.to_vec());
                Rapdu::ok(Vec::new())
            }
            _ => Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND),
        }
    }

    /// ES5.EnableProfile (SGP.02 §4.1.1.2): only a DISABLED profile; the
    /// enabled one must allow disabling (POL1). The previous profile is
    /// disabled and notification `02` queued.
    fn enable(&mut self, i: usize) -> Rapdu {
        let Some(p) = self.profiles.get(i) else {
            return Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
        };
        if p.life_cycle != life_cycle::DISABLED {
            return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let current = self.enabled_index();
        if let Some(c) = current.and_then(|c| self.profiles.get(c))
            && c.pol1.has(Pol1::DISABLE_NOT_ALLOWED)
        {
            return Rapdu::sw(SW_POL1);
        }
        let previous = current.and_then(|c| self.aid_at(c));
        if let Some(c) = current {
            self.set_life_cycle(c, life_cycle::DISABLED);
        }
        self.set_life_cycle(i, life_cycle::ENABLED);
        let new = self.aid_at(i);
        let seq = self.notify(
            notification_type::CHANGE_SUCCEEDED,
            new,
            previous.into_iter().collect(),
        );
        if let Some(new) = new {
            self.unconfirmed_switch = Some((previous, new, seq));
        }
        Rapdu::ok(Vec::new())
    }

    /// ES5.DisableProfile (SGP.02 §4.1.1.3): only the ENABLED profile, not
    /// the fall-back one, POL1 permitting; the fall-back profile is enabled
    /// and notification `05` queued (njiwa expects `05` for a disable).
    fn disable(&mut self, i: usize) -> Rapdu {
        let Some(p) = self.profiles.get(i) else {
            return Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
        };
        if !p.is_enabled() {
            return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        if p.pol1.has(Pol1::DISABLE_NOT_ALLOWED) {
            return Rapdu::sw(SW_POL1);
        }
        let Some(fi) = self.fallback_index().filter(|f| *f != i) else {
            return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        };
        if self.profiles.get(fi).is_none_or(|f| !f.is_loaded()) {
            return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        self.set_life_cycle(i, life_cycle::DISABLED);
        self.set_life_cycle(fi, life_cycle::ENABLED);
        self.unconfirmed_switch = None;
        let (old, fb) = (self.aid_at(i), self.aid_at(fi));
        self.notify(
            notification_type::CHANGE_AFTER_FALLBACK,
            fb,
            old.into_iter().collect(),
        );
        Rapdu::ok(Vec::new())
    }

    /// ES5.SetFallBackAttribute (SGP.02 §4.1.1.4, DGI `3A05` per whty):
    /// a loaded profile that is not the emergency profile; the attribute
    /// moves from the previous holder.
    fn set_fallback(&mut self, i: usize) -> Rapdu {
        if self
            .profiles
            .get(i)
            .is_none_or(|p| !p.is_loaded() || p.emergency)
        {
            return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        for (k, p) in self.profiles.iter_mut().enumerate() {
            p.fallback = k == i;
        }
        Rapdu::ok(Vec::new())
    }

    /// ES5.SetEmergencyProfileAttribute (DGI UNCONFIRMED): as the
    /// fall-back attribute, never on the fall-back profile.
    fn set_emergency(&mut self, i: usize) -> Rapdu {
        if self
            .profiles
            .get(i)
            .is_none_or(|p| !p.is_loaded() || p.fallback)
        {
            return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        for (k, p) in self.profiles.iter_mut().enumerate() {
            p.emergency = k == i;
        }
        Rapdu::ok(Vec::new())
    }

    /// ES5.HandleNotificationConfirmation (SGP.02 §4.1.1.12): forgets the
    /// notification, applies POL1 auto-delete to the profiles its change
    /// disabled, and answers `80 { 4F AID … }` with the ISD-Ps deleted
    /// (njiwa's reading) when P1 b1 asks for response data.
    fn confirm(&mut self, seq: u16, wants_response: bool) -> Rapdu {
        let Some(pos) = self.pending.iter().position(|n| n.seq == seq) else {
            return Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
        };
        let n = self.pending.remove(pos);
        self.unsent.retain(|s| *s != seq);
        if self.unconfirmed_switch.is_some_and(|(_, _, s)| s == seq) {
            self.unconfirmed_switch = None;
        }
        let mut deleted = Vec::new();
        for aid in &n.disabled {
            let auto = self.profile(aid).is_some_and(|p| {
                p.life_cycle == life_cycle::DISABLED
                    && !p.fallback
                    && !p.emergency
                    && p.pol1.has(Pol1::DELETE_WHEN_DISABLED)
            });
            if auto {
                self.profiles.retain(|p| p.aid != *aid);
                deleted.push(*aid);
            }
        }
        if !wants_response {
            return Rapdu::ok(Vec::new());
        }
        let aids: Vec<_> = deleted
            .iter()
            .map(|a| tlv::tlv(Tag::new(0x4F), a.as_bytes()))
            .collect();
        Rapdu::ok(encode(tlv::tlv(Tag::new(0x80), aids)))
    }

    /// ES5.DeleteProfile (GP DELETE, SGP.02 §4.1.1.4): not the enabled,
    /// fall-back or emergency profile, POL1 permitting. P2 `40` is what
    /// SGP.02 servers send (njiwa and whty agree); `00` / `80` (GP table
    /// 11-23: object / object and related objects) are taken as well. A
    /// delete token (`B6` + `9E`, MasterDelete) cannot be verified by the
    /// simulator (no token key): refused with `6A80`.
    fn delete(&mut self, view: &CommandView<'_>) -> Rapdu {
        if view.p1() != 0x00 || !matches!(view.p2(), 0x00 | 0x40 | 0x80) {
            return Rapdu::sw(SW_WRONG_P1P2);
        }
        let Some(aid) = aid_tlv(view.data()) else {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        };
        if aid == Aid::ISD_R || aid == Aid::ECASD {
            return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let Some(p) = self.profile(&aid) else {
            return Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
        };
        if p.is_enabled() || p.fallback || p.emergency {
            return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        if p.pol1.has(Pol1::DELETE_NOT_ALLOWED) {
            return Rapdu::sw(SW_POL1);
        }
        self.profiles.retain(|p| p.aid != aid);
        Rapdu::ok(Vec::new())
    }

    /// GET STATUS (GP §11.4) P1 `40` (applications and SDs), P2 `02`
    /// (TLV) or `03` (next occurrence): `E3 { 4F, 9F70, C5, 53, 8F, 91 }`
    /// per matching ISD-P (AID prefix match on `4F`), `6310` when more
    /// entries follow than fit 256 octets. Only ISD-Ps are listed; the
    /// ECASD entry a card may add is left out.
    fn get_status(&mut self, view: &CommandView<'_>) -> Rapdu {
        if view.p1() != 0x40 || view.p2() & 0xFE != 0x02 {
            return Rapdu::sw(SW_WRONG_P1P2);
        }
        let cursor = if view.p2() & 0x01 != 0 {
            match self.cursor.take() {
                Some(c) => c,
                None => return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED),
            }
        } else {
            let prefix = match tlv::Tlv::parse(view.data()) {
                Ok((t, _)) if t.tag().raw() == 0x4F => t.value().to_vec(),
                _ => return Rapdu::sw(StatusWord::INCORRECT_DATA),
            };
            StatusCursor { prefix, next: 0 }
        };
        let entries: Vec<Vec<u8>> = self
            .profiles
            .iter()
            .filter(|p| p.aid.as_bytes().starts_with(&cursor.prefix))
            .map(|p| self.registry_entry(p))
            .collect();
        if entries.is_empty() {
            return Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
        }
        let mut out = Vec::new();
        let mut next = cursor.next;
        for e in entries.iter().skip(cursor.next) {
            if !out.is_empty() && out.len() + e.len() > MAX_RESPONSE {
                break;
            }
            out.extend_from_slice(e);
            next += 1;
        }
        if next < entries.len() {
            self.cursor = Some(StatusCursor {
                prefix: cursor.prefix,
                next,
            });
            return Rapdu {
                data: out,
                sw: StatusWord::MORE_DATA,
            };
        }
        Rapdu::ok(out)
    }

    fn registry_entry(&self, p: &Isdp) -> Vec<u8> {
        let granted = card_number(p.quota);
        let remaining = card_number(p.quota.saturating_sub(p.used));
        let props = if p.fallback { PROPERTY_FALLBACK } else { 0 }
            | if p.emergency { PROPERTY_EMERGENCY } else { 0 };
        encode(tlv::tlv(
            Tag::new(0xE3),
            (
                tlv::tlv(Tag::new(0x4F), p.aid.as_bytes()),
                tlv::tlv(Tag::new(0x9F70), [p.life_cycle]),
                tlv::tlv(Tag::new(0xC5), p.privileges.as_slice()),
                tlv::tlv(Tag::new(0x53), [props]),
                tlv::tlv(Tag::new(0x8F), granted.as_slice()),
                tlv::tlv(Tag::new(0x91), remaining.as_slice()),
            ),
        ))
    }

    /// Profile download stand-in: the ISD-P receives the plain SAIP
    /// profile package (SCP03t and key establishment are not modelled);
    /// it reads the ProfileHeader (`A0`: `83` ICCID, `84` pol = POL1) and
    /// becomes DISABLED with the package size counted against its quota.
    fn load_profile(&mut self, aid: Aid, package: &[u8]) -> Rapdu {
        let Some(i) = self.index(&aid) else {
            return Rapdu::sw(StatusWord::REFERENCED_DATA_NOT_FOUND);
        };
        if self.profiles.get(i).is_some_and(Isdp::is_loaded) {
            return Rapdu::sw(StatusWord::CONDITIONS_NOT_SATISFIED);
        }
        let header = match tlv::Tlv::parse(package) {
            Ok((t, _)) if t.tag().raw() == 0xA0 => t,
            _ => return Rapdu::sw(StatusWord::INCORRECT_DATA),
        };
        let mut iccid = None;
        let mut pol1 = Pol1::NONE;
        for c in header.children() {
            let Ok(c) = c else {
                return Rapdu::sw(StatusWord::INCORRECT_DATA);
            };
            match c.tag().raw() {
                0x83 => iccid = <[u8; 10]>::try_from(c.value()).ok(),
                0x84 => match c.value().first() {
                    Some(p) => pol1 = Pol1(*p),
                    None => return Rapdu::sw(StatusWord::INCORRECT_DATA),
                },
                _ => {}
            }
        }
        let Some(iccid) = iccid else {
            return Rapdu::sw(StatusWord::INCORRECT_DATA);
        };
        let used = u32::try_from(package.len()).unwrap_or(u32::MAX);
        if let Some(p) = self.profiles.get_mut(i) {
            p.iccid = Some(iccid);
            p.pol1 = pol1;
            p.used = used;
            p.life_cycle = life_cycle::DISABLED;
        }
        Rapdu::ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eid() -> Eid {
        Eid::parse_digits("89049032123451234512345678901235").unwrap()
    }

    fn card() -> Card {
        Card::new(eid(), 100_000, 4_000, 10_000)
    }

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn dgi_lengths() {
        let long = [&[0x3A, 0x07, 0xFF, 0x01, 0x00][..], &[0xAB; 256]].concat();
        let r = dgis(&long).unwrap();
        assert_eq!((r[0].0, r[0].1.len()), (Dgi(0x3A07), 256));
        assert!(dgis(&[0x3A, 0x03, 0x05, 0x00]).is_none());
        assert!(dgis(&[0x3A]).is_none());
    }

    #[test]
    fn whty_create_isdp_vector() {
        // whty HexTest (find_string id 42197888474), ISD-P ...1300.
        let apdu = h(
            "80E60C003F10A0000005591010FFFFFFFF8900000D0010A0000005591010FFFFFFFF8900000E0010A0000005591010FFFFFFFF89000013000380C00006C9048102037000",
        );
        let mut c = card();
        let r = c.execute(Target::IsdR, &apdu);
        assert_eq!(r.sw, StatusWord::SUCCESS);
        let p = &c.profiles[0];
        assert_eq!(p.aid.as_bytes(), h("A0000005591010FFFFFFFF8900001300"));
        assert_eq!((p.life_cycle, p.quota), (life_cycle::SELECTABLE, 10_000));
        // The same AID again is refused and changes nothing.
        let before = c.clone();
        assert_eq!(
            c.execute(Target::IsdR, &apdu).sw,
            StatusWord::INCORRECT_DATA
        );
        assert_eq!(c, before);
    }

    /// A ProfileHeader whose `84` (POL1) is empty is refused and changes
    /// nothing, instead of loading with POL1 = none.
    #[test]
    fn empty_pol1_is_incorrect_data() {
        let apdu = h(
            "80E60C003F10A0000005591010FFFFFFFF8900000D0010A0000005591010FFFFFFFF8900000E0010A0000005591010FFFFFFFF89000013000380C00006C9048102037000",
        );
        let mut c = card();
        assert_eq!(c.execute(Target::IsdR, &apdu).sw, StatusWord::SUCCESS);
        let aid = c.profiles[0].aid;
        let before = c.clone();
        let empty = h("A00E830A890199900012345678938400");
        assert_eq!(c.load_profile(aid, &empty).sw, StatusWord::INCORRECT_DATA);
        assert_eq!(c, before);
        let with = h("A00F830A89019990001234567893840102");
        assert_eq!(c.load_profile(aid, &with).sw, StatusWord::SUCCESS);
        assert_eq!(c.profiles[0].pol1, Pol1(0x02));
    }

    #[test]
    fn ff21_in_the_recorded_card_format() {
        // A recorded card answer (sgp02-findings, code index id
        // 70591355568): FF21 0B 81 01 0D 82 02 C5D6 83 02 0962 — minimal
        // big-endian numbers. Thirteen ISD-Ps and the same free memory give
        // the same bytes.
        let mut c = Card::new(eid(), 0xC5D6 + 13 * 100, 0x0962, 100);
        for t in 0..13u8 {
            let aid = Aid::sgp02([0x00, 0x00, 0x10 + t]);
            c.profiles
                .push(Isdp::created(aid, &[0x80, 0xC0, 0x00], 100));
        }
        let r = c.execute(Target::IsdR, &h("80CAFF2100"));
        assert_eq!(r.to_bytes(), h("FF210B81010D8202C5D6830209629000"));
    }

    #[test]
    fn bad_commands() {
        let mut c = card();
        assert_eq!(
            c.execute(Target::IsdR, &[0x80]).sw,
            StatusWord::WRONG_LENGTH
        );
        assert_eq!(
            c.execute(Target::IsdR, &[0x84, 0xE2, 0x88, 0x00]).sw,
            StatusWord::CLA_NOT_SUPPORTED
        );
        assert_eq!(
            c.execute(Target::IsdR, &[0x80, 0x10, 0x00, 0x00]).sw,
            StatusWord::INS_NOT_SUPPORTED
        );
        // Confirmation of an unknown sequence number.
        let r = c.execute(Target::IsdR, &h("80E28900073A08044E02000100"));
        assert_eq!(r.sw, StatusWord::REFERENCED_DATA_NOT_FOUND);
        assert_eq!(c, card());
    }
}
