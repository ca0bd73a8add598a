//! The delivery engine: one queue per eUICC (in the store), worked off in
//! order by one task per eUICC, at most `max_parallel` eUICCs at a time.
//! It is wiring: the delivery rules are the library's sans-IO core
//! ([`smsr::delivery::Delivery`]), driven here over the store (counters
//! and EIS through [`EuiccCounters`] and [`EuiccEis`]), the SMS gateway,
//! the SCP81 listener's [`Hub`] and tokio timers.
//!
//! For each operation a core is built from its stored state (attempts,
//! whether its last attempt's outcome is unknown); what it asks to send
//! goes out over SCP80 (a PoR comes back) or SCP81 (a trigger SMS, then
//! the eUICC's PSK-TLS session); what comes back is fed in; what it
//! decides is recorded: settled (EIS, audit trail and operation in the
//! store), or rescheduled (in flight when the next attempt audits first).
//! So no operation is applied twice, none is lost (the queue is in the
//! store), and an operation of unknown outcome is never blindly resent.
//!
//! Several instances share one store (PostgreSQL): a worker works an
//! operation only while its instance holds the operation's lease
//! ([`Store::claim_next_op`]), renewed before every attempt; an instance
//! that loses it sends nothing more. [`Engine::run_claims`] picks up the
//! operations whose instance died (lease expired). An SCP81 session comes
//! back to the instance that sent its trigger (the trigger names that
//! instance's listener, [`EngineConfig::scp81_addr`]), where the script
//! waits in memory.
//!
//! ES3.SendData (the ES8 relay, SGP.02 §5.4.5): the eUICC's answer is
//! kept in memory for the SM-DP's call ([`Engine::take_relayed`]); a
//! SendData with `moreToDo` leaves its SCP81 session open (the listener
//! holds it) or its SCP80 chain of scripts open (remembered here per
//! eUICC, [`Delivery::continue_relay_chain`]) for the next one. Both live
//! in this instance's memory: the SM-DP sends the rest of a download to
//! the instance that answered the first part.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use smsr::delivery::{self, Delivery, Event, SessionOutcome, Transmit};
use smsr::inventory::Function;
use smsr::isdr::{Aid, Eid, NotificationType};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

use crate::config::EngineConfig;
use crate::keys::vault::EuiccKeys;
use crate::ops::{
    EngineStats as Stats, FunctionExecutionStatus, NewOp, OpRecord, OpState, codes, count, iso8601,
    now_ms,
};
use crate::ota::{self, Gateway, MoAssembler, MoSms, Transport, next_answer, next_por};
use crate::scp81::Hub;
use crate::store::held::HeldKeys;
use crate::store::hot::HotPath;
use crate::store::{self, EuiccCounters, EuiccEis, Recorded, Store, StoreError};

/// The engine.
pub struct Engine {
    store: Arc<dyn Store>,
    /// The eUICCs' keys, as the key custody holds them.
    keys: Arc<dyn HeldKeys>,
    /// The per-operation store calls, awaited.
    hot: Arc<dyn HotPath>,
    cfg: EngineConfig,
    transport: Transport,
    /// eUICCs with a worker, each with whether it was kicked since its
    /// worker's last claim began (new work may have been queued that the
    /// claim did not see).
    active: Mutex<HashMap<Eid, bool>>,
    waiters: Mutex<HashMap<i64, Vec<oneshot::Sender<()>>>>,
    notified: Mutex<HashMap<Eid, watch::Sender<u64>>>,
    permits: Semaphore,
    /// Worker slots ([`WORKERS_PER_PERMIT`] per delivery permit): a worker
    /// future is KiBs, so an eUICC queued behind a fleet-wide batch waits
    /// for a slot as a small task and gets its worker only then (memory
    /// O(work in flight), not O(batch)).
    workers: Arc<Semaphore>,
    stats: Stats,
    /// The eUICCs' answers to relayed data, by operation, until the SM-DP
    /// takes them (at most [`MAX_RELAYED`], the oldest dropped first).
    relayed: Mutex<Relayed>,
    /// Per eUICC, the ISD-P whose SCP80 chain of relayed scripts is open.
    chains: Mutex<HashMap<Eid, Aid>>,
}

/// Relayed answers kept for SM-DPs that have not taken them yet.
const MAX_RELAYED: usize = 4096;

/// Relayed answers by operation, and the operations in arrival order.
type Relayed = (HashMap<i64, Vec<u8>>, std::collections::VecDeque<i64>);

/// How often [`Engine::wait`] looks at the store for an operation another
/// instance may settle.
const WAIT_LOOK: Duration = Duration::from_millis(250);
/// The notification watch of one attempt; dropping it drops the
/// engine's entry for the eUICC once no attempt holds it, so the map holds
/// only eUICCs being served (not every eUICC ever served).
struct Watch<'a> {
    rx: watch::Receiver<u64>,
    engine: &'a Engine,
    eid: Eid,
}

impl Drop for Watch<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.engine.notified.lock()
            // This guard's own receiver is the one left.
            && m.get(&self.eid).is_some_and(|tx| tx.receiver_count() <= 1)
        {
            m.remove(&self.eid);
        }
    }
}

/// Workers alive per delivery permit: enough that eUICCs sleeping
/// between retries leave the permits busy with others.
const WORKERS_PER_PERMIT: usize = 4;

/// The delivery core of one operation, over the store.
type Core<'a> = Delivery<EuiccCounters<'a>, EuiccEis<'a>>;

/// Milliseconds since the UNIX epoch, as the core's clock.
fn now() -> u64 {
    u64::try_from(now_ms()).unwrap_or(0)
}

/// How long until `deadline` (the core's clock), at least 1 ms.
fn until(deadline: Option<u64>) -> Duration {
    let left = deadline.map_or(1_000, |d| d.saturating_sub(now()));
    Duration::from_millis(left.max(1))
}

impl Engine {
    /// A new engine.
    pub fn new(
        (store, keys, hot): (Arc<dyn Store>, Arc<dyn HeldKeys>, Arc<dyn HotPath>),
        cfg: EngineConfig,
        gateway: Gateway,
        hub: Arc<Hub>,
    ) -> Self {
        let permits = Semaphore::new(cfg.max_parallel);
        let workers = Arc::new(Semaphore::new(
            cfg.max_parallel.saturating_mul(WORKERS_PER_PERMIT),
        ));
        Self {
            store,
            keys,
            hot,
            transport: Transport::new(gateway, hub, cfg.scp81_addr),
            cfg,
            active: Mutex::new(HashMap::new()),
            waiters: Mutex::new(HashMap::new()),
            notified: Mutex::new(HashMap::new()),
            workers,
            permits,
            stats: Stats::default(),
            relayed: Mutex::default(),
            chains: Mutex::default(),
        }
    }

    /// The eUICC's answer to the relayed data of operation `id`
    /// (ES3.SendData `EuiccResponseData`), once.
    pub fn take_relayed(&self, id: i64) -> Option<Vec<u8>> {
        let mut r = self.relayed.lock().ok()?;
        let data = r.0.remove(&id)?;
        r.1.retain(|k| *k != id);
        Some(data)
    }

    fn keep_relayed(&self, id: i64, data: Vec<u8>) {
        let Ok(mut r) = self.relayed.lock() else {
            return;
        };
        if r.0.insert(id, data).is_none() {
            r.1.push_back(id);
        }
        while r.1.len() > MAX_RELAYED {
            if let Some(old) = r.1.pop_front() {
                tracing::warn!(id = old, "relayed answer dropped: nobody took it");
                r.0.remove(&old);
            }
        }
    }

    /// After a SendData settled: its SCP80 chain stays open for the next
    /// one when it succeeded with `moreToDo`, else it is over.
    fn track_chain(&self, eid: &Eid, op: &OpRecord, status: &FunctionExecutionStatus) {
        let Function::SendData {
            sd_aid, more_to_do, ..
        } = &op.function
        else {
            return;
        };
        if let Ok(mut c) = self.chains.lock() {
            if *more_to_do && status.is_success() {
                c.insert(*eid, *sd_aid);
            } else {
                c.remove(eid);
            }
        }
    }

    /// Queues operations (one store transaction) and starts their
    /// eUICCs' workers.
    ///
    /// # Errors
    /// The store failed (nothing queued).
    pub fn submit(self: &Arc<Self>, ops: Vec<NewOp>) -> Result<Vec<i64>, StoreError> {
        let ids = self.store.enqueue(&ops)?;
        let mut seen = HashSet::new();
        for op in &ops {
            if let Ok(eid) = op.eid.parse::<Eid>()
                && seen.insert(eid)
            {
                self.kick(eid);
            }
        }
        Ok(ids)
    }

    /// Resumes every eUICC with unsettled operations (after a restart).
    ///
    /// # Errors
    /// The store failed.
    pub fn resume(self: &Arc<Self>) -> Result<usize, StoreError> {
        let eids = self.store.eids_with_pending()?;
        for e in &eids {
            self.kick(*e);
        }
        Ok(eids.len())
    }

    /// Waits until operation `id` settles or `timeout` passes; returns it.
    ///
    /// # Errors
    /// The store failed.
    pub async fn wait(&self, id: i64, timeout: Duration) -> Result<Option<OpRecord>, StoreError> {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiters.lock() {
            w.entry(id).or_default().push(tx);
        }
        let rec = self.watch(id, rx, timeout).await;
        self.forget_waiters(id);
        rec
    }

    /// [`Engine::wait`]'s loop: the store, looked at again every
    /// [`WAIT_LOOK`] until `id` settles, `rx` fires or `timeout` passes.
    async fn watch(
        &self,
        id: i64,
        mut rx: oneshot::Receiver<()>,
        timeout: Duration,
    ) -> Result<Option<OpRecord>, StoreError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let rec = self.store.op(id)?;
            let now = tokio::time::Instant::now();
            if rec.as_ref().is_none_or(|r| r.state == OpState::Done) || now >= deadline {
                return Ok(rec);
            }
            // Settled here (the waiter fires), or by another instance
            // sharing the store (seen at the next look).
            let look = (deadline - now).min(WAIT_LOOK);
            if tokio::time::timeout(look, &mut rx).await.is_ok() {
                return self.store.op(id);
            }
        }
    }

    /// Drops the waiters of `id` nobody waits on any more (it settled on
    /// another instance, or their caller's timeout passed).
    fn forget_waiters(&self, id: i64) {
        if let Ok(mut w) = self.waiters.lock()
            && let Some(list) = w.get_mut(&id)
        {
            list.retain(|s| !s.is_closed());
            if list.is_empty() {
                w.remove(&id);
            }
        }
    }

    /// eUICCs with a worker (unsettled operations).
    pub fn active(&self) -> usize {
        self.active.lock().map(|a| a.len()).unwrap_or(0)
    }

    /// Counters.
    pub fn stats(&self) -> Value {
        self.stats.report(&self.transport, self.active())
    }

    /// Counts and logs a settled operation and wakes its waiters.
    fn settled(&self, eid: &Eid, op: &OpRecord, attempts: u32, status: &FunctionExecutionStatus) {
        self.stats.settled(status);
        let (function, st) = (op.function.name(), &status.status);
        let why = status
            .status_code_data
            .as_ref()
            .and_then(|d| d.message.as_deref());
        if status.is_success() {
            tracing::info!(%eid, id = op.id, function, status = ?st, attempts, "settled");
        } else {
            tracing::warn!(%eid, id = op.id, function, status = ?st, attempts, why, "settled");
        }
        let senders = self.waiters.lock().ok().and_then(|mut w| w.remove(&op.id));
        for s in senders.into_iter().flatten() {
            // A caller that stopped waiting (its timeout passed) is gone.
            let _ = s.send(());
        }
    }

    fn kick(self: &Arc<Self>, eid: Eid) {
        let fresh = self
            .active
            .lock()
            .map(|mut a| a.insert(eid, true).is_none())
            .unwrap_or(false);
        if fresh {
            let me = self.clone();
            tokio::spawn(async move {
                let Ok(_slot) = me.workers.clone().acquire_owned().await else {
                    return;
                };
                // Boxed: built only now, so a waiting task stays small.
                Box::pin(me.worker(eid)).await;
            });
        }
    }

    /// Works off the queue of `eid` while this instance can claim it. A
    /// claim is taken only with a permit in hand, so an instance leases at
    /// most `max_parallel` eUICCs at a time and leaves the rest to the
    /// others.
    async fn worker(self: Arc<Self>, eid: Eid) {
        loop {
            let Ok(permit) = self.permits.acquire().await else {
                return;
            };
            // A kick from now on means work this claim may not see.
            if let Ok(mut a) = self.active.lock() {
                a.insert(eid, false);
            }
            let next = match self.claim(&eid).await {
                Ok(n) => n,
                Err(e) => {
                    drop(permit);
                    tracing::error!(%eid, "store: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            let Some(op) = next else {
                drop(permit);
                // A submit queues (commits) before it kicks: one that the
                // claim missed has kicked since it began, so the worker
                // claims again; else it goes, under the lock, so that a
                // later submit finds it gone and starts another.
                let Ok(mut a) = self.active.lock() else {
                    return;
                };
                if a.get(&eid) == Some(&false) {
                    a.remove(&eid);
                    return;
                }
                continue;
            };
            let claimed_at = now_ms();
            let now = claimed_at;
            if op.not_before_ms > now && op.expires_at_ms > now {
                drop(permit);
                let until = op.not_before_ms.min(op.expires_at_ms);
                // `until` > `now`: both bounds are later.
                let wait = (until - now).unsigned_abs();
                tokio::time::sleep(Duration::from_millis(wait)).await;
                // Claim it again (the lease may have gone meanwhile).
                continue;
            }
            let id = op.id;
            if let Err(e) = self.process(&eid, op, claimed_at).await {
                tracing::error!(%eid, id, "store failed, will retry: {e}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            drop(permit);
        }
    }

    /// Claims (or renews this instance's lease on) the oldest unsettled
    /// operation of `eid`.
    async fn claim(&self, eid: &Eid) -> Result<Option<OpRecord>, StoreError> {
        let lease = i64::try_from(self.cfg.lease_ms).unwrap_or(i64::MAX);
        self.hot
            .claim_next_op(eid, &self.cfg.instance_id, now_ms(), lease)
            .await
    }

    /// Every half lease, starts a worker for each eUICC whose operations
    /// nobody holds (their instance died), until `shutdown`.
    pub async fn run_claims(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        let every = Duration::from_millis((self.cfg.lease_ms / 2).max(100));
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = shutdown.changed() => return,
            }
            match self.store.claimable_eids(now_ms()) {
                Ok(eids) => eids.into_iter().for_each(|e| self.kick(e)),
                Err(e) => tracing::warn!("store: unclaimed operations not scanned: {e}"),
            }
        }
    }

    /// Carries `op` out with the delivery core until it is settled or
    /// rescheduled.
    async fn process(
        self: &Arc<Self>,
        eid: &Eid,
        op: OpRecord,
        mut claimed_at: i64,
    ) -> Result<(), StoreError> {
        // The keys alone tell whether the eUICC is registered: RegisterEIS
        // writes its EIS and its secrets in one transaction, and neither
        // is ever deleted (one read, not two).
        let Some(keys) = self.hot.keys(eid).await?.map(Arc::new) else {
            let st =
                FunctionExecutionStatus::failed(codes::EID_UNKNOWN, Some(&op.eid), "unknown EID");
            let (store, date) = (&*self.store, iso8601(now_ms()));
            let st = store::settle_operation(store, eid, &op, st, &self.cfg.smsr_id, &date)?;
            self.settled(eid, &op, op.attempts, &st);
            return Ok(());
        };
        let (kic, kid) = keys.scp80_kic_kid();
        let cfg = delivery::Config {
            attempts: self.cfg.attempts,
            backoff_ms: self.cfg.backoff_ms,
            attempt_timeout_ms: self.cfg.session_timeout_ms,
            kic,
            kid,
        };
        let store = &*self.store;
        let mut core = Delivery::new(
            cfg,
            EuiccCounters::new(store, *eid),
            EuiccEis {
                store,
                eid: *eid,
                cause: Some((op.id, op.requester.clone())),
            },
        );
        if let Some(aid) = self.chains.lock().ok().and_then(|c| c.get(eid).copied()) {
            core.continue_relay_chain(aid);
        }
        let req = store::delivery_request(&op, &self.cfg.smsr_id)?;
        let uncertain = op.state == OpState::InFlight;
        core.submit_resumed(req, op.attempts, uncertain, op.last_error.clone());
        loop {
            self.transport.ready().await;
            if let Some(t) = core.poll_transmit(now())? {
                // Nothing goes out unless this instance holds the lease for
                // the whole attempt: surely while the half lease a claim
                // at `claimed_at` guarantees outlasts a session timeout,
                // else claimed again (renewed, or found lost).
                let (lease, session) = (self.cfg.lease_ms / 2, self.cfg.session_timeout_ms);
                // A clock gone backwards counts as the whole lease spent.
                let spent = u64::try_from(now_ms().saturating_sub(claimed_at)).unwrap_or(u64::MAX);
                if spent.saturating_add(session) >= lease {
                    if self.claim(eid).await?.is_none_or(|o| o.id != op.id) {
                        tracing::warn!(%eid, id = op.id, "lease lost: left to its new owner");
                        return Ok(());
                    }
                    claimed_at = now_ms();
                }
                self.hot.mark_in_flight(op.id).await?;
                self.attempt(eid, &keys, &mut core, t).await?;
            }
            if self.record(eid, &op, &mut core)? {
                return Ok(());
            }
            if !core.in_flight() {
                tokio::time::sleep(until(core.poll_timeout())).await;
                core.handle_timeout(now());
            }
        }
    }

    /// Records what the core decided; `true` when `op` left its hands
    /// (settled or rescheduled).
    fn record(&self, eid: &Eid, op: &OpRecord, core: &mut Core<'_>) -> Result<bool, StoreError> {
        let mut over = false;
        while let Some(ev) = core.poll_event() {
            if let Event::Relayed { data, .. } = ev {
                self.keep_relayed(op.id, data);
                continue;
            }
            match store::record_event(&*self.store, eid, op, ev, &self.cfg.smsr_id)? {
                Recorded::Settled { attempts, status } => {
                    self.track_chain(eid, op, &status);
                    self.settled(eid, op, attempts, &status);
                }
                Recorded::Rescheduled => {
                    count(&self.stats.retries);
                }
                Recorded::Kept => continue,
            }
            over = true;
        }
        Ok(over)
    }

    /// Sends what the core asked for and feeds it what comes back (PoRs,
    /// the SCP81 session's answer, notifications, deadlines) until the
    /// attempt is over.
    async fn attempt(
        &self,
        eid: &Eid,
        keys: &Arc<EuiccKeys>,
        core: &mut Core<'_>,
        t: Transmit,
    ) -> Result<(), StoreError> {
        let mut watch = Watch {
            rx: self.notification_watch(eid),
            engine: self,
            eid: *eid,
        };
        let mut w = match self.transport.send(eid, keys, t) {
            Ok(w) => w,
            Err(e) => {
                core.handle_send_failed(now(), &e);
                return Ok(());
            }
        };
        while core.in_flight() {
            tokio::select! {
                Some(mut por) = next_por(&mut w.por) => {
                    let Some((header, _)) = &w.por else { continue };
                    // The core ignores a PoR echoing another packet's CNTR.
                    match ota::por_answer(header, keys, &mut por) {
                        Ok(answer) if !core.handle_por(now(), &answer)? => {
                            tracing::debug!(%eid, "PoR of another packet");
                        }
                        Ok(_) => {}
                        Err(e) => tracing::debug!(%eid, "PoR refused: {e}"),
                    }
                }
                answer = next_answer(&mut w.session) => {
                    w.session = None;
                    core.handle_session_result(now(), ota::session_outcome(eid, &answer))?;
                }
                Ok(()) = watch.rx.changed() => core.handle_eis_changed()?,
                Some(why) = w.failed.recv() => {
                    // An SCP81 script already taken by a session did run
                    // its trigger: that attempt is not a failed send.
                    if w.session.is_none() || self.transport.hub.cancel(eid) {
                        w.session = None;
                        core.handle_send_failed(now(), &why);
                    }
                }
                () = tokio::time::sleep(until(core.poll_timeout())) => {
                    if w.session.is_some() && self.transport.hub.cancel(eid) {
                        // No session took the script: it did not run.
                        w.session = None;
                        core.handle_session_result(now(), SessionOutcome::NotOpened)?;
                    } else {
                        core.handle_timeout(now());
                    }
                }
            }
        }
        if w.por.is_some() {
            self.transport.done(eid);
        }
        Ok(())
    }

    fn notification_watch(&self, eid: &Eid) -> watch::Receiver<u64> {
        let Ok(mut m) = self.notified.lock() else {
            return watch::channel(0).1;
        };
        let mut rx = m
            .entry(*eid)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        rx.borrow_and_update();
        rx
    }

    /// Handles the MO SMS stream: PoRs go to the waiting attempt,
    /// notifications are verified, applied and confirmed.
    pub async fn run_mo(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<MoSms>) {
        let mut asm = MoAssembler::default();
        while let Some(sms) = rx.recv().await {
            count(&self.stats.sms_in);
            if let Some((eid, mut packet)) = self.transport.receive(&mut asm, &*self.store, &sms)
                && let Err(e) = self.notification(&eid, &mut packet)
            {
                tracing::warn!(%eid, "notification refused: {e}");
            }
        }
    }

    fn notification(self: &Arc<Self>, eid: &Eid, packet: &mut [u8]) -> Result<(), String> {
        let n = ota::open_notification(&*self.store, &*self.keys, eid, packet)?;
        count(&self.stats.notifications);
        let date = iso8601(now_ms());
        let effect = store::apply_notification(&*self.store, eid, &n, &date);
        let Some(fx) = effect.map_err(|e| e.to_string())? else {
            return Ok(());
        };
        let declaration = n.kind == NotificationType::EUICC_DECLARATION;
        tracing::info!(
            %eid, seq = n.sequence_number, kind = ?n.kind, declaration, enabled = ?fx.enabled,
            duplicate = fx.duplicate, "notification"
        );
        let ops = fx
            .follow_ups
            .iter()
            .map(|f| NewOp::internal(eid, &self.cfg.smsr_id, Function::from(f)))
            .collect();
        self.submit(ops).map_err(|e| e.to_string())?;
        if let Ok(m) = self.notified.lock()
            && let Some(tx) = m.get(eid)
        {
            tx.send_modify(|v| *v += 1);
        }
        Ok(())
    }
}
