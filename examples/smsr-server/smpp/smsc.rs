//! The SMSC in front of the simulated fleet: it takes binds from any
//! ESME (a simulator: every system_id and password is accepted and
//! logged), routes each `submit_sm` to the simulated eUICC of its
//! destination_addr (one for an MSISDN no handset has is taken and never
//! delivered, as for a handset that is off), answers a
//! registered_delivery request for a delivered SMS with a receipt, and hands the
//! eUICCs' MO SMS to the latest bound receiver as `deliver_sm`. MO SMS
//! wait while no receiver is bound, and those unacknowledged when a
//! session ends are delivered again to the next one.
//!
//! For the tests that run a fleet in another process, a connection that
//! opens with `STATS\n` instead of a PDU (a command_length of
//! 0x53544154 no SMPP peer sends, beyond the 8 KiB limit) gets the
//! fleet's report as one `STATS {json}` line.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rusmpp::pdus::{
    BindReceiverResp, BindTransceiverResp, BindTransmitterResp, SubmitSm, SubmitSmResp,
};
use rusmpp::types::COctetString;
use rusmpp::values::MessageState;
use rusmpp::{Command, CommandStatus, Pdu};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::pdu::{self, Frame};
use super::sms;
use crate::ota::MoSms;

/// The fleet's report, for the `STATS` line.
pub type Report = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = String> + Send>> + Send + Sync>;

/// MO SMS kept while no receiver is bound (the oldest dropped first).
const MAX_BACKLOG: usize = 100_000;
/// The system_id the SMSC answers binds with.
const SYSTEM_ID: &str = "SMSR-FLEET";

/// What a session writes.
enum Out {
    /// A response (its sequence_number set).
    Response(Command),
    /// An MO SMS as deliver_sm (the writer numbers it).
    Mo(MoSms),
    /// A delivery receipt deliver_sm.
    Receipt(Pdu),
}

/// A bound receiver: where MO SMS go.
struct Receiver {
    id: u64,
    out: mpsc::UnboundedSender<Out>,
}

/// The fleet's SMSC.
#[derive(Default)]
pub struct FleetSmsc {
    routes: Mutex<HashMap<String, mpsc::UnboundedSender<Vec<u8>>>>,
    receivers: Mutex<Vec<Receiver>>,
    /// The session that last sent each MSISDN an MT SMS: a handset's
    /// answer (PoR) goes back to it, as an SMSC returns a reply to its
    /// originator (with several SM-SR instances, to the one waiting).
    last_mt: Mutex<HashMap<String, u64>>,
    backlog: Mutex<VecDeque<MoSms>>,
    ids: AtomicU64,
    report: Mutex<Option<Report>>,
}

impl FleetSmsc {
    /// Attaches a handset: MT SMS for `msisdn` go to `inbox`.
    pub fn attach(&self, msisdn: &str, inbox: mpsc::UnboundedSender<Vec<u8>>) {
        if let Ok(mut r) = self.routes.lock() {
            r.insert(msisdn.to_owned(), inbox);
        }
    }

    /// Sets what a `STATS` line answers.
    pub fn set_report(&self, r: Report) {
        if let Ok(mut slot) = self.report.lock() {
            *slot = Some(r);
        }
    }

    /// A handset sends an MO SMS: to the session that last sent it an MT
    /// SMS if still bound, else to the latest bound receiver, else into
    /// the backlog.
    pub fn mo(&self, sms: MoSms) {
        let origin = self
            .last_mt
            .lock()
            .ok()
            .and_then(|m| m.get(&sms.from).copied());
        let mut sms = Some(sms);
        if let Ok(mut rs) = self.receivers.lock() {
            let at = origin.and_then(|id| rs.iter().position(|r| r.id == id));
            if let Some(i) = at
                && let Some(r) = rs.get(i)
                && let Some(s) = sms.take()
            {
                match r.out.send(Out::Mo(s)) {
                    Ok(()) => return,
                    Err(mpsc::error::SendError(Out::Mo(s))) => {
                        sms = Some(s);
                        rs.remove(i);
                    }
                    Err(_) => return,
                }
            }
            while let (Some(r), Some(s)) = (rs.last(), sms.take()) {
                match r.out.send(Out::Mo(s)) {
                    Ok(()) => return,
                    Err(mpsc::error::SendError(Out::Mo(s))) => {
                        sms = Some(s);
                        rs.pop();
                    }
                    Err(_) => return,
                }
            }
        }
        if let (Some(s), Ok(mut b)) = (sms, self.backlog.lock()) {
            b.push_back(s);
            if b.len() > MAX_BACKLOG && b.pop_front().is_some() {
                tracing::warn!("MO backlog full: the oldest MO SMS dropped");
            }
        }
    }

    /// Listens on `addr` and serves in the background; returns the SMSC
    /// and the bound address.
    ///
    /// # Errors
    /// The address cannot be bound.
    pub async fn listen(addr: SocketAddr) -> Result<(Arc<Self>, SocketAddr), String> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("SMPP listener {addr}: {e}"))?;
        let bound = listener.local_addr().map_err(|e| e.to_string())?;
        let me = Arc::new(Self::default());
        tokio::spawn(me.clone().serve(listener));
        Ok((me, bound))
    }

    /// Accepts connections until the listener fails.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) {
        loop {
            match listener.accept().await {
                Ok((tcp, peer)) => {
                    let me = self.clone();
                    tokio::spawn(async move {
                        if let Err(e) = me.connection(tcp).await {
                            tracing::debug!(%peer, "SMSC connection ended: {e}");
                        }
                    });
                }
                Err(e) => tracing::warn!("SMSC accept: {e}"),
            }
        }
    }

    async fn connection(self: Arc<Self>, tcp: TcpStream) -> Result<(), String> {
        tcp.set_nodelay(true).map_err(|e| e.to_string())?;
        let (mut r, w) = tcp.into_split();
        let mut head = [0u8; 4];
        r.read_exact(&mut head).await.map_err(|e| e.to_string())?;
        if head == *b"STAT" {
            return self.stats(r, w).await;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let unacked = Arc::new(Mutex::new(HashMap::new()));
        let id = self.ids.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(writer(w, rx, unacked.clone()));
        let mut first = Some(u32::from_be_bytes(head));
        let mut bound = false;
        let end = loop {
            let f = match first.take() {
                Some(len) => pdu::read_rest(len, &mut r).await,
                None => pdu::read_frame(&mut r).await,
            };
            let f = match f {
                Ok(f) => f,
                Err(e) => break Err(e.to_string()),
            };
            match self.on_frame(f, id, &tx, &unacked, &mut bound) {
                Ok(true) => {}
                Ok(false) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.unbound(id, &unacked);
        end
    }

    /// The session ended: its unacknowledged MO SMS go to the next one.
    fn unbound(&self, id: u64, unacked: &Mutex<HashMap<u32, MoSms>>) {
        if let Ok(mut rs) = self.receivers.lock() {
            rs.retain(|r| r.id != id);
        }
        let left: Vec<MoSms> = match unacked.lock() {
            Ok(mut u) => u.drain().map(|(_, s)| s).collect(),
            Err(_) => {
                tracing::error!("unacknowledged MO SMS lost: lock poisoned");
                Vec::new()
            }
        };
        for s in left {
            self.mo(s);
        }
    }

    async fn stats(&self, r: OwnedReadHalf, mut w: OwnedWriteHalf) -> Result<(), String> {
        let mut line = String::new();
        BufReader::new(r)
            .read_line(&mut line)
            .await
            .map_err(|e| e.to_string())?;
        let report = self.report.lock().ok().and_then(|r| r.clone());
        let body = match report {
            Some(f) => f().await,
            None => "{}".to_owned(),
        };
        w.write_all(format!("STATS {body}\n").as_bytes())
            .await
            .map_err(|e| e.to_string())
    }

    /// Handles one PDU; `false` once the ESME unbound.
    fn on_frame(
        &self,
        f: Frame,
        id: u64,
        tx: &mpsc::UnboundedSender<Out>,
        unacked: &Arc<Mutex<HashMap<u32, MoSms>>>,
        bound: &mut bool,
    ) -> Result<bool, String> {
        let c = match f {
            Frame::Command(c) => c,
            Frame::Malformed {
                command_id,
                sequence_number,
                error,
            } => {
                tracing::warn!(command_id, "malformed PDU from the ESME: {error}");
                if command_id & 0x8000_0000 == 0 {
                    respond(tx, pdu::generic_nack(pdu::ESME_RSYSERR, sequence_number))?;
                }
                return Ok(true);
            }
        };
        let seq = c.sequence_number();
        let ok = CommandStatus::EsmeRok;
        let sid = COctetString::from_str(SYSTEM_ID).map_err(|e| e.to_string())?;
        let resp = match c.pdu() {
            Some(Pdu::BindTransceiver(b)) => {
                self.bind(b.system_id.as_str(), id, tx, bound, true);
                Command::new(
                    ok,
                    seq,
                    BindTransceiverResp::builder().system_id(sid).build(),
                )
            }
            Some(Pdu::BindReceiver(b)) => {
                self.bind(b.system_id.as_str(), id, tx, bound, true);
                Command::new(ok, seq, BindReceiverResp::builder().system_id(sid).build())
            }
            Some(Pdu::BindTransmitter(b)) => {
                self.bind(b.system_id.as_str(), id, tx, bound, false);
                Command::new(
                    ok,
                    seq,
                    BindTransmitterResp::builder().system_id(sid).build(),
                )
            }
            Some(Pdu::SubmitSm(s)) if *bound => return self.submit(s, seq, id, tx).map(|()| true),
            Some(Pdu::SubmitSm(_)) => {
                Command::new(CommandStatus::EsmeRinvbndsts, seq, SubmitSmResp::default())
            }
            Some(Pdu::DeliverSmResp(_)) | None if c.id() == rusmpp::CommandId::DeliverSmResp => {
                if let Ok(mut u) = unacked.lock() {
                    u.remove(&seq);
                }
                return Ok(true);
            }
            Some(Pdu::EnquireLink) => Command::new(ok, seq, Pdu::EnquireLinkResp),
            Some(Pdu::Unbind) => {
                respond(tx, Command::new(ok, seq, Pdu::UnbindResp))?;
                return Ok(false);
            }
            _ if u32::from(c.id()) & 0x8000_0000 == 0 => {
                pdu::generic_nack(CommandStatus::EsmeRinvcmdid, seq)
            }
            _ => return Ok(true),
        };
        respond(tx, resp)?;
        Ok(true)
    }

    fn bind(
        &self,
        system_id: &str,
        id: u64,
        tx: &mpsc::UnboundedSender<Out>,
        bound: &mut bool,
        receives: bool,
    ) {
        tracing::info!(system_id, session = id, receives, "ESME bound");
        *bound = true;
        if !receives {
            return;
        }
        if let Ok(mut rs) = self.receivers.lock() {
            rs.push(Receiver {
                id,
                out: tx.clone(),
            });
        }
        let waiting: Vec<MoSms> = match self.backlog.lock() {
            Ok(mut b) => b.drain(..).collect(),
            Err(_) => {
                tracing::error!("MO backlog lost: lock poisoned");
                Vec::new()
            }
        };
        for s in waiting {
            self.mo(s);
        }
    }

    /// Routes one submit_sm to its handset.
    fn submit(
        &self,
        s: &SubmitSm,
        seq: u32,
        session: u64,
        tx: &mpsc::UnboundedSender<Out>,
    ) -> Result<(), String> {
        let to = s.destination_addr.as_str().to_owned();
        if let Ok(mut m) = self.last_mt.lock() {
            m.insert(to.clone(), session);
        }
        let routed = if u8::from(s.esm_class) & sms::ESM_UDHI == 0
            || s.protocol_id != smsr::scp80::sms::PID_SIM_DATA_DOWNLOAD
            || !eight_bit(u8::from(s.data_coding))
        {
            tracing::warn!(%to, "submit_sm without UDHI, PID 7F and an 8-bit DCS: refused");
            Err(CommandStatus::EsmeRsubmitfail)
        } else {
            match sms::submitted_tp_ud(s) {
                Ok(tp_ud) => self.route(&to, tp_ud),
                Err(e) => {
                    tracing::warn!(%to, "submit_sm with a malformed UDH: {e}");
                    Err(CommandStatus::EsmeRsubmitfail)
                }
            }
        };
        let delivered = match routed {
            Ok(d) => d,
            Err(status) => {
                return respond(tx, Command::new(status, seq, SubmitSmResp::default()));
            }
        };
        let id = format!("{:x}", self.ids.fetch_add(1, Ordering::Relaxed));
        let mid = COctetString::from_str(&id).map_err(|e| e.to_string())?;
        let ok = CommandStatus::EsmeRok;
        respond(
            tx,
            Command::new(ok, seq, SubmitSmResp::builder().message_id(mid).build()),
        )?;
        if delivered && u8::from(s.registered_delivery) & 0x03 == 1 {
            let r = sms::receipt_deliver_sm(&to, &id, MessageState::Delivered)?;
            tx.send(Out::Receipt(r.into()))
                .map_err(|_| "session gone")?;
        }
        Ok(())
    }

    /// Hands the TP-UD to the handset of `to`: `Ok(true)` delivered,
    /// `Ok(false)` taken for a handset that is not there.
    fn route(&self, to: &str, tp_ud: Vec<u8>) -> Result<bool, CommandStatus> {
        let inbox = self.routes.lock().ok().and_then(|r| r.get(to).cloned());
        match inbox {
            Some(i) if i.send(tp_ud).is_ok() => Ok(true),
            Some(_) => {
                tracing::warn!(%to, "MT SMS for a stopped eUICC");
                Err(CommandStatus::EsmeRsubmitfail)
            }
            None => {
                // As a network does for a handset that is off: taken, kept,
                // never delivered (no receipt either).
                tracing::debug!(%to, "MT SMS for no handset: never delivered");
                Ok(false)
            }
        }
    }
}

/// An 8-bit SMPP data_coding: 0x02 (octet unspecified, SMPP 3.4
/// §5.2.19) or one that is an 8-bit TP-DCS as well (0x04, 0x16, 0xF6…).
fn eight_bit(data_coding: u8) -> bool {
    data_coding == 0x02 || smsr::scp80::sms::dcs_is_8bit(data_coding)
}

fn respond(tx: &mpsc::UnboundedSender<Out>, c: Command) -> Result<(), String> {
    tx.send(Out::Response(c))
        .map_err(|_| "session gone".to_owned())
}

/// Writes a session's PDUs, numbering its deliver_sm.
async fn writer(
    mut w: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Out>,
    unacked: Arc<Mutex<HashMap<u32, MoSms>>>,
) {
    let mut seq: u32 = 0;
    while let Some(out) = rx.recv().await {
        let c = match out {
            Out::Response(c) => c,
            Out::Receipt(p) => {
                seq = seq % 0x7FFF_FFFF + 1;
                Command::new(CommandStatus::EsmeRok, seq, p)
            }
            Out::Mo(s) => {
                seq = seq % 0x7FFF_FFFF + 1;
                match sms::mo_deliver_sm(&s.from, &s.tp_ud) {
                    Ok(d) => {
                        if let Ok(mut u) = unacked.lock() {
                            u.insert(seq, s);
                        }
                        Command::new(CommandStatus::EsmeRok, seq, d)
                    }
                    Err(e) => {
                        tracing::error!(from = %s.from, "MO SMS does not fit a deliver_sm: {e}");
                        continue;
                    }
                }
            }
        };
        let bytes = match pdu::encode(&c) {
            Ok(b) => b,
            Err(e) => {
                tracing::error!("PDU not encoded: {e}");
                continue;
            }
        };
        if w.write_all(&bytes).await.is_err() {
            return;
        }
    }
}
