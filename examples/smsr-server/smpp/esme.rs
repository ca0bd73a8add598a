//! The server's ESME: `binds` transceiver sessions to one SMSC (SMPP 3.4
//! §2.2), each reconnecting with backoff, sharing one queue of MT SMS and
//! one table of message ids awaiting a delivery receipt.
//!
//! An MT SMS waits in the queue until a session has a free window slot;
//! one that waited longer than `queue_ms` (every session down, or
//! throttled) is not sent any more, and its attempt is told so (a failed
//! attempt that reached nobody, `Delivery::handle_send_failed`). A
//! refusal (`submit_sm_resp` error, `generic_nack`) or a delivery
//! receipt with a failure state is reported the same way; throttling
//! (ESME_RTHROTTLED, ESME_RMSGQFUL) puts the SMS back at the head of the
//! queue and slows the session down instead.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc, watch};

use super::config::{Concat, SmppConfig};
use super::session;
use super::sms::MtFields;
use crate::ota::{MoSms, MtSms, SendFailures, SmsGateway};

/// Message ids kept for their delivery receipt (the oldest forgotten
/// first).
const MAX_RECEIPTS: usize = 1 << 16;

/// An MT SMS waiting for a session.
pub struct Queued {
    /// The SMS.
    pub sms: MtSms,
    /// When it was handed over.
    pub since: Instant,
}

/// What the sessions share.
pub struct Shared {
    /// The account.
    pub cfg: SmppConfig,
    /// The submit_sm fields that do not come from the SMS.
    pub fields: MtFields,
    queue: Mutex<VecDeque<Queued>>,
    /// Signalled when the queue gets an SMS.
    pub queued: Notify,
    receipts: Mutex<(HashMap<String, SendFailures>, VecDeque<String>)>,
    /// Bound sessions.
    pub bound: watch::Sender<usize>,
    /// Where MO SMS go.
    pub mo: mpsc::UnboundedSender<MoSms>,
    /// Set when the server stops.
    pub shutdown: watch::Receiver<bool>,
}

impl Shared {
    /// The next SMS to submit, if any.
    pub fn pop(&self) -> Option<Queued> {
        self.queue.lock().ok()?.pop_front()
    }

    /// Puts an SMS back at the head (throttled, or its session lost
    /// before it was written).
    pub fn push_front(&self, q: Queued) {
        if let Ok(mut v) = self.queue.lock() {
            v.push_front(q);
        }
        self.queued.notify_one();
    }

    /// Remembers whom a failed delivery receipt for `id` concerns.
    pub fn expect_receipt(&self, id: String, failed: SendFailures) {
        let Ok(mut r) = self.receipts.lock() else {
            return;
        };
        let (map, order) = &mut *r;
        if map.insert(id.clone(), failed).is_none() {
            order.push_back(id);
        }
        while order.len() > MAX_RECEIPTS {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    /// Whom the receipt for `id` concerns (once).
    pub fn take_receipt(&self, id: &str) -> Option<SendFailures> {
        self.receipts.lock().ok()?.0.remove(id)
    }

    /// Fails every queued SMS that waited longer than `queue_ms`.
    fn expire(&self) {
        let limit = Duration::from_millis(self.cfg.queue_ms);
        let mut old = Vec::new();
        if let Ok(mut v) = self.queue.lock() {
            let (keep, gone): (VecDeque<Queued>, VecDeque<Queued>) =
                v.drain(..).partition(|q| q.since.elapsed() < limit);
            *v = keep;
            old.extend(gone);
        }
        for q in old {
            tracing::warn!(to = %q.sms.to, "MT SMS not submitted within {} ms: attempt failed", self.cfg.queue_ms);
            report(
                &q.sms,
                "SMSC: not submitted in time (no bound session or window full)",
            );
        }
    }
}

/// Tells the attempt that sent `sms` that it failed.
pub fn report(sms: &MtSms, why: &str) {
    if let Some(f) = &sms.failed
        && f.send(why.to_owned()).is_err()
    {
        tracing::debug!(to = %sms.to, "failure of an attempt already over: {why}");
    }
}

/// The ESME, as the engine's SMS gateway.
pub struct Esme {
    shared: Arc<Shared>,
}

impl Esme {
    /// Starts the sessions and the queue's clock; MO SMS go to `mo`.
    pub fn start(
        cfg: SmppConfig,
        mo: mpsc::UnboundedSender<MoSms>,
        shutdown: watch::Receiver<bool>,
    ) -> Self {
        let fields = MtFields {
            source_addr: cfg.source_addr.clone(),
            data_coding: cfg.data_coding,
            registered_delivery: cfg.registered_delivery,
            sar: cfg.concat == Concat::Sar,
        };
        let shared = Arc::new(Shared {
            fields,
            queue: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            receipts: Mutex::new((HashMap::new(), VecDeque::new())),
            bound: watch::channel(0).0,
            mo,
            shutdown,
            cfg,
        });
        for i in 0..shared.cfg.binds {
            tokio::spawn(supervise(shared.clone(), i));
        }
        tokio::spawn(clock(shared.clone()));
        Self { shared }
    }
}

/// Expires queued SMS until the server stops.
async fn clock(shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.clone();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = tick.tick() => shared.expire(),
            _ = shutdown.changed() => return,
        }
    }
}

/// Keeps session `i` bound: connect, bind, run; after a failure or a
/// lost connection wait (100 ms doubling to 10 s) and bind again.
async fn supervise(shared: Arc<Shared>, i: usize) {
    let mut shutdown = shared.shutdown.clone();
    let mut backoff = Duration::from_millis(100);
    let (host, port) = (shared.cfg.host.clone(), shared.cfg.port);
    loop {
        if *shutdown.borrow() {
            return;
        }
        match session::bind(&shared).await {
            Ok(s) => {
                tracing::info!(session = i, %host, port, "SMPP bound (transceiver)");
                backoff = Duration::from_millis(100);
                shared.bound.send_modify(|n| *n += 1);
                let end = s.run(&shared).await;
                shared.bound.send_modify(|n| *n = n.saturating_sub(1));
                match end {
                    Ok(()) => tracing::info!(session = i, "SMPP session closed"),
                    Err(e) => tracing::warn!(session = i, "SMPP session lost: {e}"),
                }
            }
            Err(e) => {
                tracing::warn!(session = i, %host, port, "SMPP bind failed: {e}; retrying in {backoff:?}")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            _ = shutdown.changed() => return,
        }
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}

impl SmsGateway for Esme {
    fn submit(&self, sms: MtSms) -> Result<(), String> {
        if *self.shared.shutdown.borrow() {
            return Err("SMPP: shutting down".into());
        }
        self.shared
            .queue
            .lock()
            .map_err(|_| "SMPP queue poisoned")?
            .push_back(Queued {
                sms,
                since: Instant::now(),
            });
        self.shared.queued.notify_one();
        Ok(())
    }

    fn link(&self) -> Option<watch::Receiver<usize>> {
        Some(self.shared.bound.subscribe())
    }
}
