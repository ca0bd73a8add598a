//! SCP80 over SMS: securing command packets for an eUICC (ETSI TS 102 225,
//! 3GPP TS 31.115 SMS-PP), the SMS gateway seam, and reading what comes
//! back (PoRs and eUICC notifications sent as command packets).
//!
//! The SCP80 counter of a packet is taken from the store
//! ([`Store::next_counter`], durable when it returns) before the packet is
//! built, so a crash can skip a counter value but never reuse one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use smsr::crypto::Key;
use smsr::isdr::{Eid, Notification};
use smsr::scp80::sms::{self, ConcatReference, Progress, Reassembler, UserDataHeader};
use smsr::scp80::{
    Cntr, CommandHeader, CounterKey, CounterMode, CounterStore, Framing, Integrity, KeyAlgorithm,
    KeySet, Kic, Kid, PorRequest, Spi, Tar, VerifiedPor, command, response,
};
use tokio::sync::mpsc;

use crate::store::{Secrets, Store, StoreError};

/// A mobile-terminated SMS (SM-SR → eUICC): the TP-UD of an SMS-DELIVER
/// with TP-PID `7F` / TP-DCS `F6` (the SMSC builds the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MtSms {
    /// Destination MSISDN.
    pub to: String,
    /// TP-UD, UDH included.
    pub tp_ud: Vec<u8>,
}

/// A mobile-originated SMS (eUICC → SM-SR).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoSms {
    /// Originating MSISDN.
    pub from: String,
    /// TP-UD, UDH included.
    pub tp_ud: Vec<u8>,
}

/// The SMSC seam. `submit` hands one MT SMS over and returns once the SMSC
/// took it (an SMPP `submit_sm_resp`); MO SMS arrive on the channel the
/// gateway was built with.
pub trait SmsGateway: Send + Sync {
    /// Submits one MT SMS.
    ///
    /// # Errors
    /// The SMSC refused or is unreachable (the engine retries later).
    fn submit(&self, sms: MtSms) -> Result<(), String>;
}

/// An in-process SMSC: MT SMS go straight to the simulated eUICC that
/// registered the MSISDN, MO SMS straight to the server.
pub struct LoopbackSmsc {
    routes: Mutex<HashMap<String, mpsc::UnboundedSender<Vec<u8>>>>,
    to_server: mpsc::UnboundedSender<MoSms>,
}

impl LoopbackSmsc {
    /// A loopback SMSC delivering MO SMS to `to_server`.
    pub fn new(to_server: mpsc::UnboundedSender<MoSms>) -> Self {
        Self {
            routes: Mutex::new(HashMap::new()),
            to_server,
        }
    }

    /// Attaches a handset: MT SMS for `msisdn` go to `inbox`.
    pub fn attach(&self, msisdn: &str, inbox: mpsc::UnboundedSender<Vec<u8>>) {
        if let Ok(mut r) = self.routes.lock() {
            r.insert(msisdn.to_owned(), inbox);
        }
    }

    /// A handset sends an MO SMS.
    pub fn mo(&self, sms: MoSms) {
        let _ = self.to_server.send(sms);
    }
}

impl SmsGateway for LoopbackSmsc {
    fn submit(&self, sms: MtSms) -> Result<(), String> {
        let routes = self.routes.lock().map_err(|_| "SMSC lock poisoned")?;
        let inbox = routes
            .get(&sms.to)
            .ok_or_else(|| format!("no handset attached for {}", sms.to))?;
        inbox
            .send(sms.tp_ud)
            .map_err(|_| format!("handset {} is gone", sms.to))
    }
}

/// SPI of the packets the SM-SR sends to the ISD-R: CC, ciphered, counter
/// must be higher (the SGP.02 minimum for ES5 over SMS); `por` asks for a
/// ciphered, CC-protected PoR sent as SMS-SUBMIT.
pub fn spi(por: bool) -> Spi {
    let base = Spi([0, 0])
        .with_integrity(Integrity::Cc)
        .with_ciphering(true)
        .with_counter_mode(CounterMode::Higher);
    if por {
        base.with_por(PorRequest::Always)
            .with_por_integrity(Integrity::Cc)
            .with_por_ciphering(true)
            .with_por_via_sms_submit(true)
    } else {
        base
    }
}

/// The eUICC's SCP80 keys (AES-128 KIc and KID, AES-CMAC).
///
/// # Errors
/// A key of the wrong length.
pub fn key_set(s: &Secrets) -> Result<KeySet, String> {
    let kic = Key::aes(&s.scp80_kic).map_err(|e| format!("KIc key: {e}"))?;
    let kid = Key::aes(&s.scp80_kid).map_err(|e| format!("KID key: {e}"))?;
    Ok(KeySet::new().with_kic(&kic).with_kid(&kid))
}

/// Store key of the counter for `tar` and key version `kvn`.
pub fn counter_key(tar: Tar, kvn: u8) -> String {
    format!("{:02X}{:02X}{:02X}/{kvn:02X}", tar.0[0], tar.0[1], tar.0[2])
}

/// Store key of the counter of the eUICC's own packets (notifications).
pub fn mo_counter_key(kvn: u8) -> String {
    format!("mo/{kvn:02X}")
}

/// A secured command packet ready to go, with the header the PoR is
/// verified against.
pub struct Secured {
    /// The header (SPI, KIc, KID, TAR, CNTR).
    pub header: CommandHeader,
    /// The TP-UD of each SMS.
    pub segments: Vec<Vec<u8>>,
}

/// Secures `payload` for `tar` of `eid` with the next counter.
///
/// # Errors
/// The store failed (nothing may be sent then) or the packet cannot be
/// built.
pub fn secure(
    store: &dyn Store,
    eid: &Eid,
    secrets: &Secrets,
    tar: Tar,
    payload: &[u8],
    por: bool,
    concat_ref: u16,
) -> Result<Secured, String> {
    let keys = key_set(secrets)?;
    let kvn = secrets.scp80_kvn & 0x0F;
    let cntr = store
        .next_counter(eid, &counter_key(tar, kvn))
        .map_err(|e| format!("counter: {e}"))?;
    let header = CommandHeader {
        spi: spi(por),
        kic: Kic::new(kvn, KeyAlgorithm::AES),
        kid: Kid::new(kvn, KeyAlgorithm::AES.0),
        tar,
        cntr: Cntr::from_u64(cntr).ok_or("SCP80 counter exhausted")?,
    };
    let mut buf = vec![0u8; payload.len() + 64];
    let n = command::wrap(Framing::SmsPp, &header, payload, &keys, &mut buf)
        .map_err(|e| format!("wrap: {e}"))?;
    buf.truncate(n);
    let segments = sms::segments(&buf, ConcatReference::Ref16(concat_ref))
        .map_err(|e| format!("segments: {e}"))?
        .map(|s| s.to_vec())
        .collect();
    Ok(Secured { header, segments })
}

/// Verifies a PoR (TP-UD, reassembled) against the command it answers.
///
/// # Errors
/// The PoR does not verify.
pub fn verify_por<'a>(
    secured: &CommandHeader,
    secrets: &Secrets,
    tp_ud: &'a mut [u8],
) -> Result<VerifiedPor<'a>, String> {
    let keys = key_set(secrets)?;
    response::verify_sms(secured, &keys, tp_ud).map_err(|e| format!("PoR: {e}"))
}

/// A complete MO message: a PoR or a command packet (notification).
pub enum MoKind {
    /// A PoR, TP-UD as for [`response::verify_sms`].
    Por(Vec<u8>),
    /// A command packet from the eUICC (from CPL).
    Command(Vec<u8>),
}

/// Reassembles MO SMS per originator.
#[derive(Default)]
pub struct MoAssembler {
    partial: HashMap<String, Reassembler<32>>,
}

impl MoAssembler {
    /// Takes one MO SMS; returns the message once complete.
    ///
    /// # Errors
    /// A malformed UDH or segment (that originator's partial message is
    /// dropped).
    pub fn push(&mut self, sms: &MoSms) -> Result<Option<MoKind>, String> {
        let (udh, payload) = UserDataHeader::split(&sms.tp_ud).map_err(|e| e.to_string())?;
        if udh.concat().is_none() {
            return Ok(Some(if udh.find(sms::IEI_COMMAND_PACKET).is_some() {
                MoKind::Command(payload.to_vec())
            } else {
                MoKind::Por(sms.tp_ud.clone())
            }));
        }
        let r = self.partial.entry(sms.from.clone()).or_default();
        match r.push(&sms.tp_ud) {
            Ok(Progress::Incomplete { .. }) => Ok(None),
            Ok(_) => {
                let mut buf = vec![0u8; 32 * sms::MAX_TP_UD];
                let iei = r.packet_iei();
                let n = r.assemble(&mut buf).map_err(|e| e.to_string());
                self.partial.remove(&sms.from);
                buf.truncate(n?);
                Ok(Some(if iei == Some(sms::IEI_COMMAND_PACKET) {
                    MoKind::Command(buf)
                } else {
                    // A PoR body without its UDH: verify_sms takes it as
                    // starting at RPL.
                    MoKind::Por(buf)
                }))
            }
            Err(e) => {
                self.partial.remove(&sms.from);
                Err(e.to_string())
            }
        }
    }
}

/// The SCP80 receive counters of one eUICC's own packets, on the store
/// (the library's [`CounterStore`] seam).
struct MoCounters<'a> {
    store: &'a dyn Store,
    eid: &'a Eid,
}

impl CounterStore for MoCounters<'_> {
    type Error = StoreError;

    fn load(&mut self, key: &CounterKey) -> Result<Cntr, StoreError> {
        let v = self
            .store
            .counter(self.eid, &mo_counter_key(key.kic.kvn()))?;
        Ok(Cntr::from_u64(v).unwrap_or(Cntr::MAX))
    }

    fn store(&mut self, key: &CounterKey, value: Cntr) -> Result<(), StoreError> {
        self.store
            .raise_counter(self.eid, &mo_counter_key(key.kic.kvn()), value.to_u64())
    }
}

/// Opens a notification packet from `eid` (checking its CC and that its
/// counter is higher than the last one accepted) and parses the `E1`
/// notification it carries.
///
/// # Errors
/// The packet does not verify, replays a counter, or holds no valid
/// notification from this eUICC.
pub fn open_notification(
    store: &dyn Store,
    eid: &Eid,
    secrets: &Secrets,
    packet: &mut [u8],
) -> Result<Notification, String> {
    let keys = key_set(secrets)?;
    let mut counters = MoCounters { store, eid };
    let got = command::unwrap_with_store(Framing::SmsPp, packet, &keys, &mut counters)
        .map_err(|e| format!("notification packet: {e}"))?;
    let n = Notification::parse(got.payload).map_err(|e| format!("notification: {e}"))?;
    if n.eid != *eid {
        return Err(format!("notification names EID {} from {eid}", n.eid));
    }
    Ok(n)
}

/// A shared gateway.
pub type Gateway = Arc<dyn SmsGateway>;
