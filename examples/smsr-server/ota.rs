//! SCP80 over SMS: securing command packets for an eUICC (ETSI TS 102 225,
//! 3GPP TS 31.115 SMS-PP), the SMS gateway seam, and reading what comes
//! back (PoRs and eUICC notifications sent as command packets).
//!
//! The SCP80 counter of a packet is handed out by the delivery core
//! ([`smsr::delivery`]) from the store ([`crate::store::EuiccCounters`],
//! durable when it returns) before the packet is built here, so a crash
//! can skip a counter value but never reuse one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use smsr::delivery::{PorAnswer, SessionOutcome, Transmit};
use smsr::isdr::{Eid, Notification};
use smsr::scp80::sms::{self, ConcatReference, Progress, Reassembler, UserDataHeader};
use smsr::scp80::{
    Cntr, CommandHeader, CounterKey, CounterMode, CounterStore, Framing, Integrity, PorRequest,
    Spi, Tar, command, response,
};
use smsr::scp81::trigger::ConnectionParams;
use tokio::sync::{mpsc, oneshot, watch};

use crate::scp81::{Answer, Hub};

use crate::keys::vault::EuiccKeys;
use crate::store::held::HeldKeys;
use crate::store::{CounterName, Store, StoreError};

/// Where the SMSC's later verdict on an MT SMS goes (a refusal, a
/// delivery receipt with a failure state, a submission that never left
/// the queue): the attempt that sent it, as a failed attempt.
pub type SendFailures = mpsc::UnboundedSender<String>;

/// A mobile-terminated SMS (SM-SR → eUICC): the TP-UD of an SMS-DELIVER
/// with TP-PID `7F` / TP-DCS `F6` (the SMSC builds the rest).
#[derive(Debug, Clone)]
pub struct MtSms {
    /// Destination MSISDN.
    pub to: String,
    /// TP-UD, UDH included.
    pub tp_ud: Vec<u8>,
    /// Where a failure reported after [`SmsGateway::submit`] returned
    /// goes.
    pub failed: Option<SendFailures>,
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

    /// The number of bound SMSC sessions, for a gateway that can be down
    /// (`None`: always up).
    fn link(&self) -> Option<watch::Receiver<usize>> {
        None
    }
}

/// No SMSC (`--smsc loopback` outside the demo): every MT SMS is
/// refused, so each attempt fails at once instead of waiting for a PoR.
pub struct NoSmsc;

impl SmsGateway for NoSmsc {
    fn submit(&self, sms: MtSms) -> Result<(), String> {
        Err(format!("no SMSC configured: SMS to {} not sent", sms.to))
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

/// A secured command packet ready to go, with the header the PoR is
/// verified against.
pub struct Secured {
    /// The header (SPI, KIc, KID, TAR, CNTR).
    pub header: CommandHeader,
    /// The TP-UD of each SMS.
    pub segments: Vec<Vec<u8>>,
}

/// Secures `payload` as one SCP80 command packet to `tar` with counter
/// `cntr` (handed out and persisted by the delivery core before this
/// call), split into SMS-PP TP-UDs (concatenated with `concat_ref` when
/// it needs several); `por` asks for a PoR.
///
/// # Errors
/// Bad keys, or a payload the packet or the SMS cannot carry.
pub fn secure(
    keys: &EuiccKeys,
    tar: Tar,
    cntr: Cntr,
    payload: &[u8],
    por: bool,
    concat_ref: u16,
) -> Result<Secured, String> {
    let (kic, kid) = keys.scp80_kic_kid();
    let header = CommandHeader {
        spi: spi(por),
        kic,
        kid,
        tar,
        cntr,
    };
    let mut buf = vec![0u8; payload.len() + 64];
    let n = command::wrap(Framing::SmsPp, &header, payload, &keys.scp80, &mut buf)
        .map_err(|e| format!("wrap: {e}"))?;
    buf.truncate(n);
    let segments = sms::segments(&buf, ConcatReference::Ref16(concat_ref))
        .map_err(|e| format!("segments: {e}"))?
        .map(|s| s.to_vec())
        .collect();
    Ok(Secured { header, segments })
}

/// Receive buffer size the trigger asks the terminal for (`39`): pySim's
/// example value; njiwa uses 512.
const CHANNEL_BUFFER_SIZE: u16 = 1400;

/// The trigger's `84` connection parameters: the OPEN CHANNEL
/// COMPREHENSION-TLVs for a TCP client channel on the default bearer to
/// `addr` (ETSI TS 102 223 §6.6.27.4: bearer description `35`, buffer size
/// `39`, transport level `3C`, data destination address `3E`).
///
/// # Errors
/// The parameters do not encode.
pub fn connection_params(addr: std::net::SocketAddr) -> Result<Vec<u8>, smsr::scp81::Error> {
    let params = ConnectionParams::default_bearer_tcp_client(addr, CHANNEL_BUFFER_SIZE);
    let mut v = vec![0u8; params.buffer_len()];
    let n = params.emit(&mut v)?;
    v.truncate(n);
    Ok(v)
}

/// The push for an eUICC (GP Amendment B triggering parameters): the
/// listener's address (`84`), Host and admin URI (`89`). It carries no
/// `85`: the eUICC then uses its SCP81 key and the SGP.02 default PSK
/// identity (EID, ISD-R AID, key id and version), which the listener
/// resolves. Kept small enough for one SMS: a concatenated push is lost
/// whole when one segment is.
///
/// # Errors
/// The parameters do not encode.
pub fn trigger(addr: std::net::SocketAddr) -> Result<Vec<u8>, smsr::scp81::Error> {
    use smsr::scp81::trigger::{HttpPostParams, SessionParams, TriggerParams};
    let conn = connection_params(addr)?;
    let host = addr.to_string();
    let t = TriggerParams {
        session: Some(SessionParams {
            connection: Some(&conn),
            security: None,
            extended_security: None,
            retry_policy: None,
            http_post: Some(HttpPostParams {
                host: Some(&host),
                agent_id: None,
                uri: Some(crate::scp81::ADMIN_URI),
            }),
        }),
        dns: None,
    };
    let framing = smsr::scp81::push::PushFraming::Raw;
    let mut out = vec![0u8; smsr::scp81::push::push_payload_len(&t, framing)];
    let n = smsr::scp81::push::push_payload(&t, framing, &mut out)?;
    out.truncate(n);
    Ok(out)
}

/// A PoR (TP-UD, reassembled) verified against the command it answers,
/// as the delivery core takes it.
///
/// # Errors
/// The PoR does not verify.
pub fn por_answer<'a>(
    secured: &CommandHeader,
    keys: &EuiccKeys,
    tp_ud: &'a mut [u8],
) -> Result<PorAnswer<'a>, String> {
    let v = response::verify_sms(secured, &keys.scp80, tp_ud).map_err(|e| format!("PoR: {e}"))?;
    Ok(PorAnswer {
        cntr: v.cntr,
        status: v.status,
        data: v.data,
    })
}

/// How an SCP81 session ended, from what its connection task reported
/// (an error or a task gone without a word: the script may have run).
pub fn session_outcome<'a>(
    eid: &Eid,
    answer: &'a Result<Result<Answer, String>, oneshot::error::RecvError>,
) -> SessionOutcome<'a> {
    match answer {
        Ok(Ok((status, body))) => SessionOutcome::Answered { status, body },
        Ok(Err(e)) => {
            tracing::debug!(%eid, "SCP81 session: {e}");
            SessionOutcome::Broken
        }
        Err(_) => SessionOutcome::Broken,
    }
}

/// A complete MO message: a PoR or a command packet (notification).
pub enum MoKind {
    /// A PoR, TP-UD as for [`response::verify_sms`].
    Por(Vec<u8>),
    /// A command packet from the eUICC (from CPL).
    Command(Vec<u8>),
}

/// Reassembles MO SMS per originator; at most [`MAX_PARTIAL`]
/// originators' incomplete messages are kept (each is KiBs), the oldest
/// started dropped first, and none longer than [`MAX_PARTIAL_AGE_MS`], so
/// cards that never finish a message cannot grow the server's memory with
/// the fleet. Time comes from the caller (`now_ms` of [`Self::push`]).
#[derive(Default)]
pub struct MoAssembler {
    /// Per originator: the message's start order, its start time (ms) and
    /// the segments so far.
    partial: HashMap<String, (u64, i64, Reassembler<32>)>,
    started: u64,
    /// When the next sweep for expired messages is due, ms.
    next_sweep_ms: i64,
}

/// Incomplete concatenated MO messages kept at once.
pub const MAX_PARTIAL: usize = 4096;

/// How long an incomplete concatenated MO message is kept after its first
/// segment, ms: a card resends a whole PoR or notification rather than a
/// lost segment, so older parts are never completed.
pub const MAX_PARTIAL_AGE_MS: i64 = 60_000;

/// How often the incomplete messages are swept for expired ones, ms.
const SWEEP_EVERY_MS: i64 = 1_000;

impl MoAssembler {
    /// Drops (and logs) the incomplete messages started more than
    /// [`MAX_PARTIAL_AGE_MS`] before `now_ms`; at most once a second
    /// unless `force`.
    fn expire(&mut self, now_ms: i64, force: bool) {
        if !force && now_ms < self.next_sweep_ms {
            return;
        }
        self.next_sweep_ms = now_ms.saturating_add(SWEEP_EVERY_MS);
        self.partial.retain(|from, (_, at, _)| {
            let fresh = now_ms.saturating_sub(*at) <= MAX_PARTIAL_AGE_MS;
            if !fresh {
                tracing::warn!(%from, "incomplete MO message dropped: older than {MAX_PARTIAL_AGE_MS} ms");
            }
            fresh
        });
    }

    /// Takes one MO SMS received at `now_ms`; returns the message once
    /// complete.
    ///
    /// # Errors
    /// A malformed UDH or segment (that originator's partial message is
    /// dropped).
    pub fn push(&mut self, sms: &MoSms, now_ms: i64) -> Result<Option<MoKind>, String> {
        let (udh, payload) = UserDataHeader::split(&sms.tp_ud).map_err(|e| e.to_string())?;
        if udh.concat().is_none() {
            return Ok(Some(if udh.find(sms::IEI_COMMAND_PACKET).is_some() {
                MoKind::Command(payload.to_vec())
            } else {
                MoKind::Por(sms.tp_ud.clone())
            }));
        }
        // This originator's own old parts go before its new segment joins
        // them; the others' at the next sweep.
        let own_expired = self
            .partial
            .get(&sms.from)
            .is_some_and(|(_, at, _)| now_ms.saturating_sub(*at) > MAX_PARTIAL_AGE_MS);
        self.expire(now_ms, own_expired);
        if !self.partial.contains_key(&sms.from) && self.partial.len() >= MAX_PARTIAL {
            let oldest = self.partial.iter().min_by_key(|(_, (n, _, _))| *n);
            if let Some(k) = oldest.map(|(k, _)| k.clone()) {
                tracing::warn!(from = %k, "incomplete MO message dropped: {MAX_PARTIAL} pending");
                self.partial.remove(&k);
            }
        }
        self.started += 1;
        let started = self.started;
        let (_, _, r) = self
            .partial
            .entry(sms.from.clone())
            .or_insert_with(|| (started, now_ms, Reassembler::default()));
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
        let name = CounterName::Mo(key.kic.kvn());
        let v = self.store.counter(self.eid, name)?;
        Cntr::from_u64(v).ok_or_else(|| StoreError::Corrupt(format!("counter {name:?}: {v}")))
    }

    fn store(&mut self, key: &CounterKey, value: Cntr) -> Result<(), StoreError> {
        self.store
            .raise_counter(self.eid, CounterName::Mo(key.kic.kvn()), value.to_u64())
    }
}

/// Opens a notification packet from `eid` under its stored keys
/// (checking its CC and that its counter is higher than the last one
/// accepted) and parses the `E1` notification it carries.
///
/// # Errors
/// The store fails or holds no keys for `eid`, the packet does not
/// verify, replays a counter, or holds no valid notification from this
/// eUICC.
pub fn open_notification(
    store: &dyn Store,
    held: &dyn HeldKeys,
    eid: &Eid,
    packet: &mut [u8],
) -> Result<Notification, String> {
    let keys = held.keys(eid).map_err(|e| e.to_string())?;
    let keys = keys.ok_or("no secrets")?;
    let mut counters = MoCounters { store, eid };
    let got = command::unwrap_with_store(Framing::SmsPp, packet, &keys.scp80, &mut counters)
        .map_err(|e| format!("notification packet: {e}"))?;
    let n = Notification::parse(got.payload).map_err(|e| format!("notification: {e}"))?;
    if n.eid != *eid {
        return Err(format!("notification names EID {} from {eid}", n.eid));
    }
    Ok(n)
}

/// A shared gateway.
pub type Gateway = Arc<dyn SmsGateway>;

/// The SMSC refused an MT SMS.
#[derive(Debug, thiserror::Error)]
#[error("SMSC: {0}")]
pub struct SmscError(String);

/// The eUICC-facing side of the engine: MT SMS through the gateway, PoRs
/// routed back to the attempt that waits for them, SCP81 scripts waiting
/// in the listener's [`Hub`].
pub struct Transport {
    gateway: Gateway,
    /// The SCP81 listener's scripts and counters.
    pub hub: Arc<Hub>,
    pors: Mutex<HashMap<Eid, mpsc::UnboundedSender<Vec<u8>>>>,
    concat_ref: AtomicU64,
    scp81_addr: std::net::SocketAddr,
    /// MT SMS submitted.
    pub sms_out: AtomicU64,
}

/// What an attempt waits for.
pub struct Waiting {
    /// PoRs, with the header they are verified against (SCP80).
    pub por: Option<(CommandHeader, mpsc::UnboundedReceiver<Vec<u8>>)>,
    /// The SCP81 session's answer.
    pub session: Option<oneshot::Receiver<Result<Answer, String>>>,
    /// The SMSC's later verdict that the SMS did not reach the eUICC.
    pub failed: mpsc::UnboundedReceiver<String>,
}

impl Transport {
    /// Over `gateway`, with the listener's `hub` reachable at `scp81_addr`.
    pub fn new(gateway: Gateway, hub: Arc<Hub>, scp81_addr: std::net::SocketAddr) -> Self {
        Self {
            gateway,
            hub,
            pors: Mutex::new(HashMap::new()),
            concat_ref: AtomicU64::new(0),
            scp81_addr,
            sms_out: AtomicU64::new(0),
        }
    }

    /// Sends what the delivery core asked for.
    ///
    /// # Errors
    /// The packet could not be built or the SMSC refused it (nothing
    /// reached the eUICC).
    pub fn send(&self, eid: &Eid, keys: &Arc<EuiccKeys>, t: Transmit) -> Result<Waiting, String> {
        match t {
            Transmit::Scp80 {
                tar, cntr, script, ..
            } => self.send_scp80(eid, keys, tar, cntr, &script),
            Transmit::Scp81 {
                cntr,
                script,
                target,
                keep_open,
                ..
            } => self.send_scp81(eid, keys, cntr, script, (target, keep_open)),
        }
    }

    /// Takes one MO SMS: once its message is complete, a PoR goes to the
    /// attempt waiting for it; a command packet (a notification) is
    /// returned with the eUICC it came from (by MSISDN).
    pub fn receive(
        &self,
        asm: &mut MoAssembler,
        store: &dyn Store,
        sms: &MoSms,
    ) -> Option<(Eid, Vec<u8>)> {
        let msg = match asm.push(sms, crate::ops::now_ms()) {
            Ok(m) => m?,
            Err(e) => {
                tracing::warn!(from = %sms.from, "MO SMS dropped: {e}");
                return None;
            }
        };
        let eid = match store.eid_by_msisdn(&sms.from) {
            Ok(Some(eid)) => eid,
            Ok(None) => {
                tracing::warn!(from = %sms.from, "MO SMS from an unknown MSISDN");
                return None;
            }
            Err(e) => {
                tracing::error!(from = %sms.from, "MO SMS dropped, store: {e}");
                return None;
            }
        };
        match msg {
            MoKind::Por(tp_ud) => {
                // The attempt may have ended meanwhile: then nobody waits
                // for it either.
                let tx = self.pors.lock().ok().and_then(|p| p.get(&eid).cloned());
                if tx.is_none_or(|tx| tx.send(tp_ud).is_err()) {
                    tracing::debug!(%eid, "PoR nobody waits for");
                }
                None
            }
            MoKind::Command(packet) => Some((eid, packet)),
        }
    }

    /// The attempt of `eid` is over: its PoRs go nowhere any more.
    pub fn done(&self, eid: &Eid) {
        if let Ok(mut p) = self.pors.lock() {
            p.remove(eid);
        }
    }

    fn next_ref(&self) -> u16 {
        u16::try_from(self.concat_ref.fetch_add(1, Ordering::Relaxed) % 65_536).unwrap_or(0)
    }

    /// Waits until the gateway has a bound SMSC session: operations
    /// wait (and resume) while the SMSC is down instead of failing their
    /// attempts.
    pub async fn ready(&self) {
        if let Some(mut link) = self.gateway.link()
            && *link.borrow() == 0
        {
            tracing::info!("waiting for a bound SMSC session");
            // Err: the gateway is gone (shutting down); nothing to wait for.
            if link.wait_for(|n| *n > 0).await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    fn send_sms(
        &self,
        to: &str,
        segments: Vec<Vec<u8>>,
        failed: &SendFailures,
    ) -> Result<(), SmscError> {
        for tp_ud in segments {
            self.gateway
                .submit(MtSms {
                    to: to.to_owned(),
                    tp_ud,
                    failed: Some(failed.clone()),
                })
                .map_err(SmscError)?;
            self.sms_out.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The SCP80 packet of an attempt; PoRs are routed back to it.
    fn send_scp80(
        &self,
        eid: &Eid,
        keys: &EuiccKeys,
        tar: Tar,
        cntr: Cntr,
        script: &[u8],
    ) -> Result<Waiting, String> {
        let secured = secure(keys, tar, cntr, script, true, self.next_ref())?;
        let (tx, rx) = mpsc::unbounded_channel();
        if let Ok(mut p) = self.pors.lock() {
            p.insert(*eid, tx);
        }
        let (failed_tx, failed) = mpsc::unbounded_channel();
        if let Err(e) = self.send_sms(&keys.msisdn, secured.segments, &failed_tx) {
            if let Ok(mut p) = self.pors.lock() {
                p.remove(eid);
            }
            return Err(e.to_string());
        }
        Ok(Waiting {
            por: Some((secured.header, rx)),
            session: None,
            failed,
        })
    }

    /// The SCP81 script of an attempt, waiting in the hub, and its
    /// trigger (an SCP80 packet to the ISD-R, no PoR); no trigger when a
    /// session held open by `moreToDo` takes it (its counter is then
    /// skipped, never reused). `to` is the targeted application and
    /// whether the session stays open after the answer.
    fn send_scp81(
        &self,
        eid: &Eid,
        keys: &Arc<EuiccKeys>,
        cntr: Cntr,
        script: Vec<u8>,
        (target, keep_open): (Option<smsr::isdr::Aid>, bool),
    ) -> Result<Waiting, String> {
        let (rx, live) = self
            .hub
            .expect(eid, keys.clone(), script, target, keep_open);
        let (failed_tx, failed) = mpsc::unbounded_channel();
        if live {
            // No SMS: nothing for the SMSC to report.
            return Ok(Waiting {
                por: None,
                session: Some(rx),
                failed,
            });
        }
        let isd_r = Tar(smsr::isdr::Tar::ISD_R.0);
        let sent = trigger(self.scp81_addr)
            .map_err(|e| format!("trigger: {e}"))
            .and_then(|t| secure(keys, isd_r, cntr, &t, false, self.next_ref()))
            .and_then(|s| {
                self.send_sms(&keys.msisdn, s.segments, &failed_tx)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = sent {
            // Nobody will come for it; whether it was still there does not
            // matter.
            self.hub.cancel(eid);
            return Err(e);
        }
        Ok(Waiting {
            por: None,
            session: Some(rx),
            failed,
        })
    }
}

/// The next PoR, never for an SCP81 attempt.
pub async fn next_por(
    rx: &mut Option<(CommandHeader, mpsc::UnboundedReceiver<Vec<u8>>)>,
) -> Option<Vec<u8>> {
    match rx {
        Some((_, r)) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// The SCP81 session's answer, never for an SCP80 attempt.
pub async fn next_answer(
    rx: &mut Option<oneshot::Receiver<Result<Answer, String>>>,
) -> Result<Result<Answer, String>, oneshot::error::RecvError> {
    match rx {
        Some(r) => r.await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use smsr::crypto::Key;
    use smsr::scp80::KeySet;
    use smsr::scp80::{KeyAlgorithm, Kic, Kid};

    #[test]
    fn the_push_fits_one_sms() {
        use smsr::scp81::trigger::TriggerParams;
        let t = trigger("255.255.255.255:65535".parse().unwrap()).unwrap();
        let parsed = TriggerParams::parse(&t).unwrap();
        let http = parsed.session.unwrap().http_post.unwrap();
        assert_eq!(http.uri, Some(crate::scp81::ADMIN_URI));
        let keys = KeySet::new()
            .with_kic(&Key::aes(&[1; 16]).unwrap())
            .with_kid(&Key::aes(&[2; 16]).unwrap());
        let header = CommandHeader {
            spi: spi(false),
            kic: Kic::new(1, KeyAlgorithm::AES),
            kid: Kid::new(1, KeyAlgorithm::AES.0),
            tar: Tar([0, 0, 1]),
            cntr: Cntr::from_u64(1).unwrap(),
        };
        let mut buf = [0u8; 512];
        let n = command::wrap(Framing::SmsPp, &header, &t, &keys, &mut buf).unwrap();
        assert_eq!(sms::segment_count(n, ConcatReference::Ref8(0)), 1);
    }

    #[test]
    fn connection_parameters_name_the_listener() {
        // 35 01 03: default bearer; 39 02 05 78: 1400 octets (as in
        // pySim's OPEN CHANNEL example); 3C 03 02 20FB: TCP client, port
        // 8443; 3E 05 21 7F000001: IPv4 127.0.0.1.
        let v = connection_params("127.0.0.1:8443".parse().unwrap()).unwrap();
        assert_eq!(
            v,
            [
                0x35, 0x01, 0x03, 0x39, 0x02, 0x05, 0x78, 0x3C, 0x03, 0x02, 0x20, 0xFB, 0x3E, 0x05,
                0x21, 127, 0, 0, 1
            ]
        );
        ConnectionParams::parse(&v)
            .unwrap()
            .check_open_channel()
            .unwrap();
    }

    #[test]
    fn incomplete_mo_messages_are_bounded() {
        // The first of two segments (UDH: concatenation IE 00, 8-bit
        // reference, 2 segments, number 1; TS 23.040 §9.2.3.24.1).
        let first = |from: usize| MoSms {
            from: format!("3161{from:08}"),
            tp_ud: vec![0x05, 0x00, 0x03, 0x01, 0x02, 0x01, 0xAA, 0xBB],
        };
        let mut asm = MoAssembler::default();
        for i in 0..=MAX_PARTIAL {
            assert!(
                matches!(asm.push(&first(i), 1_000), Ok(None)),
                "segment {i}"
            );
        }
        assert_eq!(asm.partial.len(), MAX_PARTIAL);
        // The oldest originator's message was dropped, the newest kept.
        assert!(!asm.partial.contains_key(&first(0).from));
        assert!(asm.partial.contains_key(&first(MAX_PARTIAL).from));
        assert!(asm.partial.contains_key(&first(1).from));
    }

    /// Segment `n` of 2 of message `reference` from `from` (UDH:
    /// concatenation IE 00, 8-bit reference; TS 23.040 §9.2.3.24.1).
    fn segment(from: &str, reference: u8, n: u8, body: u8) -> MoSms {
        MoSms {
            from: from.into(),
            tp_ud: vec![0x05, 0x00, 0x03, reference, 0x02, n, body, body],
        }
    }

    #[test]
    fn incomplete_mo_messages_expire_after_60_seconds() {
        const T0: i64 = 5_000_000;
        let mut asm = MoAssembler::default();
        // A completes in time, even 60 s after its first segment.
        assert!(matches!(asm.push(&segment("A", 1, 1, 0xA1), T0), Ok(None)));
        // B starts 10 s later and is never finished.
        assert!(matches!(
            asm.push(&segment("B", 2, 1, 0xB1), T0 + 10_000),
            Ok(None)
        ));
        let done = asm.push(&segment("A", 1, 2, 0xA2), T0 + MAX_PARTIAL_AGE_MS);
        assert!(
            matches!(done, Ok(Some(MoKind::Por(ref b))) if b.len() == 4),
            "A complete"
        );
        assert!(asm.partial.contains_key("B"), "B is 50 s old: kept");

        // C's first segment 71 s after B started: the sweep drops B.
        let t = T0 + 10_000 + MAX_PARTIAL_AGE_MS + 1_000;
        assert!(matches!(asm.push(&segment("C", 3, 1, 0xC1), t), Ok(None)));
        assert!(!asm.partial.contains_key("B"), "B expired");
        assert!(asm.partial.contains_key("C"));

        // C's second segment 61 s later: its old first part is dropped at
        // once, not joined; the late segment starts a new message.
        let late = asm.push(&segment("C", 3, 2, 0xC2), t + MAX_PARTIAL_AGE_MS + 1);
        assert!(
            matches!(late, Ok(None)),
            "not completed from an expired part"
        );
        let (_, at, _) = asm.partial.get("C").unwrap();
        assert_eq!(*at, t + MAX_PARTIAL_AGE_MS + 1, "a new message from C");
    }
}
