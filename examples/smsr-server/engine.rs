//! The delivery engine: one queue per eUICC (in the store), worked off in
//! order by one task per eUICC, at most `max_parallel` eUICCs at a time.
//!
//! For each operation: expired → `Expired`; otherwise the EIS rules are
//! checked again and the ES5 commands built ([`Eis::es5_command`]), the
//! operation is marked in flight, and the command script goes out over
//! SCP81 (trigger SMS, then the eUICC's PSK-TLS session) or, for an eUICC
//! without HTTPS support, over SCP80 with a PoR. A transport failure is
//! retried with exponential backoff while attempts and validity remain.
//! The answer is applied to the EIS and the audit trail and the operation
//! settled in one store transaction.
//!
//! An operation found in flight (the server died, or an attempt timed out
//! after the command may have reached the card) is never blindly sent
//! again: the engine first audits the eUICC and settles the operation as
//! executed when the card already shows its effect. So no operation is
//! applied twice, and none is lost (the queue is in the store).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use smsr::inventory::model::OperationType;
use smsr::inventory::{AuditRecord, Eis, FollowUp, ProfileState};
use smsr::isdr::audit::{ExtendedCardResources, IsdpStatus, IsdpStatusList};
use smsr::isdr::es5::{self, Capdu};
use smsr::isdr::{Aid, Eid, Es5Error, Notification, NotificationType, response};
use smsr::remote::expanded::{Coding, c_apdu, command_script};
use smsr::remote::{ResponseScript, expanded};
use smsr::scp80::Tar;
use smsr::scp81::trigger::{HttpPostParams, SessionParams, TriggerParams};
use smsr::tlv::Encode;
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

use crate::ops::{
    Function, FunctionExecutionStatus, NewOp, OpRecord, OpState, codes, iso8601, now_ms,
};
use crate::ota::{self, Gateway, MoAssembler, MoKind, MoSms};
use crate::scp81::{ADMIN_URI, Hub};
use crate::store::{EisChange, Secrets, Store, StoreError};

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// SM-SR identity for audit records.
    pub smsr_id: String,
    /// Delivery attempts per operation.
    pub attempts: u32,
    /// First retry delay.
    pub backoff_ms: u64,
    /// One attempt, trigger to answer.
    pub session_timeout_ms: u64,
    /// eUICCs served at once.
    pub max_parallel: usize,
    /// Where the eUICCs reach the SCP81 listener.
    pub scp81_addr: std::net::SocketAddr,
}

/// Counters for `/stats` and the load figure.
#[derive(Default)]
struct Stats {
    settled: AtomicU64,
    succeeded: AtomicU64,
    retries: AtomicU64,
    reconciled: AtomicU64,
    notifications: AtomicU64,
    sms_out: AtomicU64,
    sms_in: AtomicU64,
}

/// The engine.
pub struct Engine {
    store: Arc<dyn Store>,
    cfg: EngineConfig,
    gateway: Gateway,
    hub: Arc<Hub>,
    active: Mutex<HashSet<Eid>>,
    waiters: Mutex<HashMap<i64, Vec<oneshot::Sender<()>>>>,
    notified: Mutex<HashMap<Eid, watch::Sender<u64>>>,
    pors: Mutex<HashMap<Eid, oneshot::Sender<Vec<u8>>>>,
    permits: Semaphore,
    stats: Stats,
    concat_ref: AtomicU64,
}

/// A transport failure (retried); the flag says whether the command may
/// have reached the eUICC (then the next attempt audits first).
#[derive(Debug)]
struct TransportError(String, bool);

/// What an attempt that reached the eUICC got back: the R-APDUs, or the
/// result of a script the card did not execute.
type Executed = Result<Vec<Vec<u8>>, FunctionExecutionStatus>;

/// Why processing stopped early.
enum Stop {
    /// The store failed: leave the operation as it is, try again later.
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

/// An audit trail record.
pub fn audit_record(
    eid: &Eid,
    smsr_id: &str,
    kind: OperationType,
    requester: Option<&str>,
    status: &FunctionExecutionStatus,
    iccid: Option<&str>,
) -> AuditRecord {
    AuditRecord {
        eid: *eid,
        smsr_id: smsr_id.into(),
        operation_date: iso8601(now_ms()),
        operation_type: kind,
        requester_id: requester.map(String::from),
        execution_status: status.to_operation_status(),
        isd_p_aid: None,
        iccid: iccid.map(String::from),
        imei: None,
        meid: None,
    }
}

/// The expanded command script (`AA`, definite length) of `cmds`.
fn script_of(cmds: &[Capdu]) -> Result<Vec<u8>, String> {
    let items: Vec<_> = cmds.iter().map(|c| c_apdu(c.as_ref())).collect();
    command_script(items, Coding::Definite)
        .to_vec()
        .map_err(|e| format!("script: {e}"))
}

/// The R-APDUs of a response script, as owned bytes (data ‖ SW).
fn r_apdus(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let (script, _) = ResponseScript::parse(body).map_err(|e| format!("response script: {e}"))?;
    let mut out = Vec::new();
    for r in script.r_apdus() {
        let r = r.map_err(|e| format!("response script: {e}"))?;
        let mut v = r.data().to_vec();
        v.extend_from_slice(&r.sw().0.to_be_bytes());
        out.push(v);
    }
    if out.is_empty() {
        // A Bad format TLV: the card could not read the script.
        if let Ok(Some(sw)) = expanded::last_status(&script) {
            out.push(Vec::from(sw.0.to_be_bytes()));
        }
    }
    Ok(out)
}

fn es5_failure(e: &Es5Error, id: Option<&str>) -> FunctionExecutionStatus {
    let c = e.status_code();
    FunctionExecutionStatus::failed(c, id, &e.to_string())
}

fn refusal(r: &smsr::inventory::Refusal, id: &str) -> FunctionExecutionStatus {
    FunctionExecutionStatus::failed(r.code, Some(id), &format!("{:?}", r.reason))
}

impl Engine {
    /// A new engine.
    pub fn new(store: Arc<dyn Store>, cfg: EngineConfig, gateway: Gateway, hub: Arc<Hub>) -> Self {
        let permits = Semaphore::new(cfg.max_parallel);
        Self {
            store,
            cfg,
            gateway,
            hub,
            active: Mutex::new(HashSet::new()),
            waiters: Mutex::new(HashMap::new()),
            notified: Mutex::new(HashMap::new()),
            pors: Mutex::new(HashMap::new()),
            permits,
            stats: Stats::default(),
            concat_ref: AtomicU64::new(0),
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
        let rec = self.store.op(id)?;
        if rec.as_ref().is_none_or(|r| r.state == OpState::Done) {
            return Ok(rec);
        }
        let _ = tokio::time::timeout(timeout, rx).await;
        self.store.op(id)
    }

    /// eUICCs with a worker (unsettled operations).
    pub fn active(&self) -> usize {
        self.active.lock().map(|a| a.len()).unwrap_or(0)
    }

    /// Counters.
    pub fn stats(&self) -> Value {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        json!({
            "Settled": g(&self.stats.settled),
            "Succeeded": g(&self.stats.succeeded),
            "Retries": g(&self.stats.retries),
            "ReconciledByAudit": g(&self.stats.reconciled),
            "Notifications": g(&self.stats.notifications),
            "SmsOut": g(&self.stats.sms_out),
            "SmsIn": g(&self.stats.sms_in),
            "Scp81Sessions": g(&self.hub.sessions),
            "Scp81Refused": g(&self.hub.refused),
            "ActiveEuiccs": self.active(),
        })
    }

    fn settled(&self, id: i64, status: &FunctionExecutionStatus) {
        self.stats.settled.fetch_add(1, Ordering::Relaxed);
        if status.is_success() {
            self.stats.succeeded.fetch_add(1, Ordering::Relaxed);
        }
        let senders = self
            .waiters
            .lock()
            .ok()
            .and_then(|mut w| w.remove(&id))
            .unwrap_or_default();
        for s in senders {
            let _ = s.send(());
        }
    }

    fn kick(self: &Arc<Self>, eid: Eid) {
        let fresh = self
            .active
            .lock()
            .map(|mut a| a.insert(eid))
            .unwrap_or(false);
        if fresh {
            let me = self.clone();
            tokio::spawn(async move { me.worker(eid).await });
        }
    }

    async fn worker(self: Arc<Self>, eid: Eid) {
        loop {
            let next = match self.store.next_op(&eid) {
                Ok(n) => n,
                Err(e) => {
                    tracing::error!(%eid, "store: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            let Some(op) = next else {
                // Re-check under the lock so that a concurrent submit either
                // sees this worker alive or finds it gone and starts another.
                let Ok(mut a) = self.active.lock() else {
                    return;
                };
                if matches!(self.store.next_op(&eid), Ok(None)) {
                    a.remove(&eid);
                    return;
                }
                continue;
            };
            let now = now_ms();
            if op.not_before_ms > now {
                let until = op.not_before_ms.min(op.expires_at_ms.max(now));
                let wait = u64::try_from(until - now).unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            let Ok(permit) = self.permits.acquire().await else {
                return;
            };
            let id = op.id;
            match self.process(&eid, op).await {
                Ok(()) => {}
                Err(Stop::Store(e)) => {
                    tracing::error!(%eid, id, "store failed, will retry: {e}");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
            drop(permit);
        }
    }

    /// Settles `op` with `status`, applying `f` to the EIS in the same
    /// transaction (with an audit record when the function has a code).
    fn finish(
        &self,
        eid: &Eid,
        op: &OpRecord,
        status: FunctionExecutionStatus,
        f: &mut dyn FnMut(&mut Eis) -> bool,
    ) -> Result<(), Stop> {
        let kind = op.function.descriptor().operation_type;
        let smsr_id = self.cfg.smsr_id.clone();
        let requester = op.requester.clone();
        let iccid = op.function.iccid().map(String::from);
        let mut status_out = status.clone();
        let r = self.store.update_eis(eid, &mut |eis| {
            let changed = if status.is_success() { f(eis) } else { false };
            let mut audit = Vec::new();
            if let Some(k) = kind {
                let mut rec = audit_record(
                    eid,
                    &smsr_id,
                    k,
                    Some(&requester),
                    &status,
                    iccid.as_deref(),
                );
                rec.isd_p_aid = iccid
                    .as_deref()
                    .and_then(|i| eis.profile(i))
                    .map(|p| p.isd_p_aid);
                audit.push(rec);
            }
            EisChange {
                changed,
                audit,
                settle: Some((op.id, status.clone())),
            }
        })?;
        if r.is_none() {
            status_out =
                FunctionExecutionStatus::failed(codes::EID_UNKNOWN, Some(&op.eid), "unknown EID");
            self.store.settle(op.id, &status_out)?;
        }
        tracing::info!(
            %eid, id = op.id, function = op.function.name(), status = ?status_out.status,
            attempts = op.attempts, "settled"
        );
        self.settled(op.id, &status_out);
        Ok(())
    }

    async fn process(self: &Arc<Self>, eid: &Eid, op: OpRecord) -> Result<(), Stop> {
        if now_ms() >= op.expires_at_ms {
            let msg = op
                .last_error
                .as_deref()
                .map_or("validity period over".to_owned(), |e| {
                    format!("validity period over; last error: {e}")
                });
            return self.finish(
                eid,
                &op,
                FunctionExecutionStatus::expired(&msg),
                &mut |_| false,
            );
        }
        let (Some(eis), Some(secrets)) = (self.store.eis(eid)?, self.store.secrets(eid)?) else {
            let st =
                FunctionExecutionStatus::failed(codes::EID_UNKNOWN, Some(&op.eid), "unknown EID");
            return self.finish(eid, &op, st, &mut |_| false);
        };
        let mut op = op;
        if op.state == OpState::InFlight {
            // The outcome of an earlier attempt is unknown: audit first (an
            // attempt of its own).
            self.store.mark_in_flight(op.id)?;
            op.attempts += 1;
            match self.reconcile(eid, &op, &secrets).await {
                Ok(Some(done)) => {
                    self.stats.reconciled.fetch_add(1, Ordering::Relaxed);
                    return self.finish(eid, &op, done, &mut |_| false);
                }
                Ok(None) => op = self.store.op(op.id)?.unwrap_or(op),
                // Still unknown: the next attempt audits again.
                Err(TransportError(e, _)) => return self.retry(&op, &e, true),
            }
        }
        let eis = self.store.eis(eid)?.unwrap_or(eis);
        let plan = match self.plan(eid, &eis, &op)? {
            Ok(p) => p,
            Err(st) => return self.finish(eid, &op, st, &mut |_| false),
        };
        self.store.mark_in_flight(op.id)?;
        // One count: the store's, which the API answers and the log shows.
        op.attempts += 1;
        let watch_rx = self.notification_watch(eid);
        let answer = self
            .deliver(eid, &eis, &secrets, &plan, op.expires_at_ms)
            .await;
        let rapdus = match answer {
            Ok(Ok(r)) => r,
            Ok(Err(mut st)) => {
                if let Some(d) = st.status_code_data.as_mut() {
                    d.subject_identifier = Some(op.function.iccid().unwrap_or(&op.eid).to_owned());
                }
                return self.finish(eid, &op, st, &mut |_| false);
            }
            Err(TransportError(e, uncertain)) => return self.retry(&op, &e, uncertain),
        };
        self.apply(eid, &op, &plan, &rapdus, watch_rx, &secrets)
            .await
    }

    fn retry(&self, op: &OpRecord, err: &str, uncertain: bool) -> Result<(), Stop> {
        // `op.attempts` counts this attempt (the store counted it when the
        // attempt was marked in flight).
        let attempts = op.attempts;
        if attempts >= self.cfg.attempts {
            tracing::warn!(eid = %op.eid, id = op.id, attempts, "giving up: {err}");
            let st = FunctionExecutionStatus::failed(
                codes::EUICC_INACCESSIBLE,
                Some(&op.eid),
                &format!("no answer after {attempts} attempts: {err}"),
            );
            let eid = op
                .eid
                .parse::<Eid>()
                .map_err(|e| Stop::Store(StoreError::Corrupt(format!("EID {}: {e}", op.eid))))?;
            return self.finish(&eid, op, st, &mut |_| false);
        }
        self.stats.retries.fetch_add(1, Ordering::Relaxed);
        let shift = attempts.saturating_sub(1).min(10);
        let delay = i64::try_from(self.cfg.backoff_ms << shift).unwrap_or(60_000);
        tracing::debug!(eid = %op.eid, id = op.id, attempts, delay, "retry: {err}");
        if uncertain {
            self.store
                .reschedule_in_flight(op.id, now_ms() + delay, err)?;
        } else {
            self.store.reschedule(op.id, now_ms() + delay, err)?;
        }
        Ok(())
    }
}

/// Reads the answers to an audit script (GET DATA `FF21`, GET STATUS of
/// the ISD-Ps): the card resources and the ISD-P entries. A GET STATUS
/// answered `6A88` (referenced data not found) means no ISD-P at all.
fn audit_answer(
    rapdus: &[Vec<u8>],
) -> (
    Result<ExtendedCardResources, Es5Error>,
    Result<Vec<IsdpStatus>, Es5Error>,
) {
    let missing = Es5Error::Malformed(smsr::isdr::Error::MissingTag {
        tag: smsr::isdr::audit::TAG_EXTENDED_CARD_RESOURCES,
        context: "audit response",
        offset: 0,
    });
    let res = rapdus
        .first()
        .ok_or(missing)
        .and_then(|r| response::expect_success(r))
        .and_then(|d| ExtendedCardResources::parse(d).map_err(Es5Error::from));
    let statuses = match rapdus.get(1).map(|r| response::expect_success(r)) {
        None => Err(missing),
        Some(Err(Es5Error::ReferencedDataNotFound)) => Ok(Vec::new()),
        Some(Err(e)) => Err(e),
        Some(Ok(d)) => IsdpStatusList::new(d)
            .collect::<Result<Vec<_>, _>>()
            .map_err(Es5Error::from),
    };
    (res, statuses)
}

/// What one attempt sends.
struct Plan {
    /// The command script.
    script: Vec<u8>,
    /// `X-Admin-Targeted-Application` / TAR of the script (ISD-R when
    /// `None`).
    target: Option<Aid>,
    /// ISD-P of a CreateISDP.
    create_aid: Option<Aid>,
}

/// The trigger's `84` connection parameters: CAT OPEN CHANNEL
/// COMPREHENSION-TLVs (ETSI TS 102 223 §8.59 UICC/terminal interface
/// transport level `3C`: TCP client mode `02` and the port; §8.58 Other
/// address `3E`: IPv4 `21` and the address).
fn connection_params(addr: std::net::SocketAddr) -> Vec<u8> {
    let [hi, lo] = addr.port().to_be_bytes();
    let mut v = vec![0x3C, 0x03, 0x02, hi, lo];
    match addr.ip() {
        std::net::IpAddr::V4(ip) => {
            v.extend_from_slice(&[0x3E, 0x05, 0x21]);
            v.extend_from_slice(&ip.octets());
        }
        std::net::IpAddr::V6(ip) => {
            v.extend_from_slice(&[0x3E, 0x11, 0x57]);
            v.extend_from_slice(&ip.octets());
        }
    }
    v
}

/// The push payload (see [`Engine::trigger`]).
fn trigger(addr: std::net::SocketAddr) -> Result<Vec<u8>, smsr::scp81::Error> {
    let conn = connection_params(addr);
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
                uri: Some(ADMIN_URI),
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

impl Engine {
    /// Builds what the attempt sends; a refusal settles the operation.
    fn plan(
        &self,
        eid: &Eid,
        eis: &Eis,
        op: &OpRecord,
    ) -> Result<Result<Plan, FunctionExecutionStatus>, Stop> {
        let id = op.function.iccid().unwrap_or(&op.eid).to_owned();
        let build = |r: Result<Capdu, smsr::isdr::Error>| {
            r.map_err(|e| {
                FunctionExecutionStatus::failed(codes::FUNCTION_INVALID, Some(&id), &e.to_string())
            })
        };
        let script = |cmds: &[Capdu]| {
            script_of(cmds).map_err(|e| {
                FunctionExecutionStatus::failed(codes::FUNCTION_INVALID, Some(&id), &e)
            })
        };
        let plan = |s: Vec<u8>| Plan {
            script: s,
            target: None,
            create_aid: None,
        };
        Ok(match &op.function {
            Function::CreateIsdp {
                iccid,
                mno_id,
                required_memory,
            } => {
                // A retry finds its own InCreation entry and reuses its AID.
                let existing = eis
                    .profile(iccid)
                    .filter(|p| p.state == ProfileState::InCreation)
                    .map(|p| p.isd_p_aid);
                let aid = match existing {
                    Some(a) => a,
                    None => {
                        let Some(aid) = eis.next_isd_p_tar().and_then(|t| Aid::isd_p(t).ok())
                        else {
                            return Ok(Err(FunctionExecutionStatus::failed(
                                smsr::isdr::response::StatusCode::new("8.1", "4.8"),
                                Some(iccid),
                                "no free ISD-P TAR",
                            )));
                        };
                        let mut refused = None;
                        self.store
                            .update_eis(eid, &mut |e| match e.begin_create_isdp(
                                iccid,
                                aid,
                                *required_memory,
                                mno_id,
                                Some(&op.requester),
                            ) {
                                Ok(()) => EisChange {
                                    changed: true,
                                    ..EisChange::default()
                                },
                                Err(r) => {
                                    refused = Some(r);
                                    EisChange::default()
                                }
                            })?;
                        if let Some(r) = refused {
                            return Ok(Err(refusal(&r, iccid)));
                        }
                        aid
                    }
                };
                let cmd = match build(es5::create_isdp(&aid, *required_memory)) {
                    Ok(c) => c,
                    Err(st) => return Ok(Err(st)),
                };
                script(&[cmd]).map(|s| Plan {
                    script: s,
                    target: None,
                    create_aid: Some(aid),
                })
            }
            Function::AuditEis { .. } => {
                let cmds = [es5::audit_card_resources(), es5::audit_isdp_status(None)];
                let mut ok = Vec::new();
                for c in cmds {
                    match build(c) {
                        Ok(c) => ok.push(c),
                        Err(st) => return Ok(Err(st)),
                    }
                }
                script(&ok).map(plan)
            }
            Function::ConfirmNotification { sequence_number } => {
                match build(es5::handle_notification_confirmation(*sequence_number)) {
                    Ok(c) => script(&[c]).map(plan),
                    Err(st) => Err(st),
                }
            }
            Function::SendData { sd_aid, data, .. } => Ok(Plan {
                script: data.0.clone(),
                target: Some(*sd_aid),
                create_aid: None,
            }),
            f => {
                let Some(operation) = f.operation(None) else {
                    return Ok(Err(FunctionExecutionStatus::failed(
                        codes::FUNCTION_UNSUPPORTED,
                        Some(&id),
                        "not an ES5 function",
                    )));
                };
                // The requester must still own the profile when its turn
                // comes (the SM-SR's own follow-ups, e.g. a POL2
                // auto-delete, act for the owner).
                if op.requester != self.cfg.smsr_id
                    && let Err(r) = eis.check_for(&op.requester, &operation)
                {
                    return Ok(Err(refusal(&r, &id)));
                }
                match eis.es5_command(&operation) {
                    Ok(Some(c)) => script(&[c]).map(plan),
                    Ok(None) => Err(FunctionExecutionStatus::success()),
                    Err(smsr::inventory::Es5CommandError::Refused(r)) => Err(refusal(&r, &id)),
                    Err(e) => Err(FunctionExecutionStatus::failed(
                        codes::FUNCTION_INVALID,
                        Some(&id),
                        &e.to_string(),
                    )),
                }
            }
        })
    }

    fn next_ref(&self) -> u16 {
        u16::try_from(self.concat_ref.fetch_add(1, Ordering::Relaxed) % 65_536).unwrap_or(0)
    }

    fn send_sms(&self, to: &str, segments: Vec<Vec<u8>>) -> Result<(), TransportError> {
        for tp_ud in segments {
            self.gateway
                .submit(ota::MtSms {
                    to: to.to_owned(),
                    tp_ud,
                })
                .map_err(|e| TransportError(format!("SMSC: {e}"), false))?;
            self.stats.sms_out.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Sends the plan's script and returns the R-APDUs.
    async fn deliver(
        &self,
        eid: &Eid,
        eis: &Eis,
        secrets: &Secrets,
        plan: &Plan,
        expires_at_ms: i64,
    ) -> Result<Executed, TransportError> {
        // An attempt never outlives the validity period.
        let left = u64::try_from(expires_at_ms - now_ms()).unwrap_or(0);
        let timeout = Duration::from_millis(self.cfg.session_timeout_ms.min(left.max(1)));
        if eis.eum_signed_info.capabilities.http_support {
            let rx = self.hub.expect(eid, plan.script.clone(), plan.target);
            let trigger = self.trigger()?;
            let secured = ota::secure(
                &*self.store,
                eid,
                secrets,
                Tar(smsr::isdr::Tar::ISD_R.0),
                &trigger,
                false,
                self.next_ref(),
            )
            .map_err(|e| TransportError(e, false));
            let sent = secured.and_then(|s| self.send_sms(&secrets.msisdn, s.segments));
            if let Err(e) = sent {
                self.hub.cancel(eid);
                return Err(e);
            }
            return match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(Ok((status, body)))) => {
                    // A card that did not execute the script says so in
                    // X-Admin-Script-Status (GP Amd B §3.4.1): a result,
                    // whatever the body holds.
                    if let Some(st) = FunctionExecutionStatus::of_script_status(&status, None) {
                        return Ok(Err(st));
                    }
                    r_apdus(&body).map(Ok).map_err(|e| TransportError(e, true))
                }
                Ok(Ok(Err(e))) => Err(TransportError(format!("SCP81 session: {e}"), true)),
                _ => {
                    // Taken by a connection: the script may have run.
                    let taken = !self.hub.cancel(eid);
                    Err(TransportError("no SCP81 session in time".to_owned(), taken))
                }
            };
        }
        let tar = plan
            .target
            .and_then(|a| a.tar())
            .map_or(Tar(smsr::isdr::Tar::ISD_R.0), |t| Tar(t.0));
        let secured = ota::secure(
            &*self.store,
            eid,
            secrets,
            tar,
            &plan.script,
            true,
            self.next_ref(),
        )
        .map_err(|e| TransportError(e, false))?;
        let (tx, rx) = oneshot::channel();
        if let Ok(mut p) = self.pors.lock() {
            p.insert(*eid, tx);
        }
        self.send_sms(&secrets.msisdn, secured.segments)?;
        let mut por = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(p)) => p,
            _ => {
                if let Ok(mut p) = self.pors.lock() {
                    p.remove(eid);
                }
                return Err(TransportError("no PoR in time".to_owned(), true));
            }
        };
        let v = ota::verify_por(&secured.header, secrets, &mut por)
            .map_err(|e| TransportError(e, true))?;
        // A PoR echoes the CNTR of its command (shared/reference/scp80-scp81.md
        // §1.5: pySim vectors, onomondo card code): a late
        // PoR of an earlier packet says nothing about this one.
        if v.cntr != secured.header.cntr {
            return Err(TransportError("PoR of another packet".to_owned(), true));
        }
        if v.status != smsr::scp80::PorStatus::OK {
            // Refused before execution (TS 102 225 §5.1.4): safe to resend.
            if v.status == smsr::scp80::PorStatus::CNTR_LOW {
                let key = ota::counter_key(tar, secrets.scp80_kvn & 0x0F);
                let _ = self
                    .store
                    .raise_counter(eid, &key, secured.header.cntr.to_u64() + 1);
            }
            return Err(TransportError(format!("PoR status {:?}", v.status), false));
        }
        r_apdus(v.data).map(Ok).map_err(|e| TransportError(e, true))
    }

    /// The push for `eid` (GP Amendment B triggering parameters): the
    /// listener's address (`84`), Host and admin URI (`89`). It carries no
    /// `85`: the eUICC then uses its SCP81 key and the SGP.02 default PSK
    /// identity (EID, ISD-R AID, key id and version), which the listener
    /// resolves. Kept small enough for one SMS: a concatenated push is
    /// lost whole when one segment is.
    fn trigger(&self) -> Result<Vec<u8>, TransportError> {
        trigger(self.cfg.scp81_addr).map_err(|e| TransportError(format!("trigger: {e}"), false))
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

    /// Applies the R-APDUs of an attempt and settles the operation.
    async fn apply(
        &self,
        eid: &Eid,
        op: &OpRecord,
        plan: &Plan,
        rapdus: &[Vec<u8>],
        mut watch_rx: watch::Receiver<u64>,
        secrets: &Secrets,
    ) -> Result<(), Stop> {
        let id = op.function.iccid().unwrap_or(&op.eid).to_owned();
        let first = rapdus.first().map(Vec::as_slice).unwrap_or_default();
        let status = response::command_status(first);
        match &op.function {
            Function::AuditEis { iccids } => {
                let (res, statuses) = audit_answer(rapdus);
                match (res, statuses) {
                    (Ok(res), Ok(statuses)) => {
                        let complete = iccids.is_empty();
                        let date = iso8601(now_ms());
                        self.finish(eid, op, FunctionExecutionStatus::success(), &mut |e| {
                            e.apply_audit(Some(&res), &statuses, complete);
                            e.last_audit_date = Some(date.clone());
                            true
                        })
                    }
                    (Err(e), _) | (_, Err(e)) => {
                        self.finish(eid, op, es5_failure(&e, Some(&id)), &mut |_| false)
                    }
                }
            }
            Function::EnableProfile { iccid } | Function::DisableProfile { iccid } => {
                if let Err(e) = status {
                    if let Some(done) = self.recheck(eid, op, secrets).await {
                        return self.finish(eid, op, done, &mut |_| false);
                    }
                    return self.finish(eid, op, es5_failure(&e, Some(iccid)), &mut |_| false);
                }
                // The switch is reported by the eUICC's notification.
                let want_enabled = matches!(op.function, Function::EnableProfile { .. });
                let deadline = tokio::time::Instant::now()
                    + Duration::from_millis(self.cfg.session_timeout_ms);
                loop {
                    let eis = self.store.eis(eid)?;
                    let state = eis.as_ref().and_then(|e| e.profile(iccid)).map(|p| p.state);
                    let done = match state {
                        Some(ProfileState::Enabled) => want_enabled,
                        Some(ProfileState::Disabled) => !want_enabled,
                        None => !want_enabled,
                        _ => false,
                    };
                    if done {
                        return self.finish(
                            eid,
                            op,
                            FunctionExecutionStatus::success(),
                            &mut |_| false,
                        );
                    }
                    if tokio::time::timeout_at(deadline, watch_rx.changed())
                        .await
                        .is_err()
                    {
                        // No notification: find out by audit.
                        return match self.reconcile(eid, op, secrets).await {
                            Ok(Some(st)) => self.finish(eid, op, st, &mut |_| false),
                            Ok(None) => self.finish(
                                eid,
                                op,
                                FunctionExecutionStatus::failed(
                                    codes::EXECUTION_ERROR,
                                    Some(iccid),
                                    "the eUICC accepted the switch but did not perform it (rolled back)",
                                ),
                                &mut |_| false,
                            ),
                            Err(TransportError(e, _)) => self.retry(op, &e, false),
                        };
                    }
                }
            }
            Function::ConfirmNotification { .. } => {
                match response::notification_confirmation(first) {
                    Ok(deleted) => {
                        let aids: Vec<Aid> = deleted.flatten().collect();
                        self.finish(eid, op, FunctionExecutionStatus::success(), &mut |e| {
                            !e.apply_deleted_isdps(&aids).is_empty()
                        })
                    }
                    Err(e) => self.finish(eid, op, es5_failure(&e, Some(&id)), &mut |_| false),
                }
            }
            Function::SendData { .. } => {
                let st = match status {
                    Ok(()) => FunctionExecutionStatus::success(),
                    Err(e) => es5_failure(&e, Some(&id)),
                };
                let mut st = st;
                if let Some(d) = st.status_code_data.as_mut() {
                    d.message = Some(format!(
                        "{}; EuiccResponseData {}",
                        d.message.clone().unwrap_or_default(),
                        rapdus
                            .iter()
                            .map(hex::encode_upper)
                            .collect::<Vec<_>>()
                            .join(" ")
                    ));
                }
                self.finish(eid, op, st, &mut |_| false)
            }
            f => {
                let operation = f.operation(plan.create_aid);
                let Some(operation) = operation else {
                    return self
                        .finish(eid, op, FunctionExecutionStatus::success(), &mut |_| false);
                };
                let st = match &status {
                    Ok(()) => FunctionExecutionStatus::success(),
                    Err(e) => es5_failure(e, Some(&id)),
                };
                if status.is_err() {
                    if let Some(done) = self.recheck(eid, op, secrets).await {
                        return self.finish(eid, op, done, &mut |_| false);
                    }
                    // A failed CreateISDP removes its InCreation entry.
                    let _ = self.store.update_eis(eid, &mut |e| EisChange {
                        changed: e.apply_result(&operation, &status),
                        ..EisChange::default()
                    })?;
                }
                self.finish(eid, op, st, &mut |e| e.apply_result(&operation, &status))
            }
        }
    }

    /// After a refusal by the eUICC of an operation with an earlier
    /// attempt whose outcome was unknown: a script of that attempt may have
    /// run late (its bytes were on their way when the server died), so the
    /// refusal may only say "already done". Audits to tell.
    async fn recheck(
        &self,
        eid: &Eid,
        op: &OpRecord,
        secrets: &Secrets,
    ) -> Option<FunctionExecutionStatus> {
        // `op.attempts` counts the current attempt: an earlier one exists
        // when it is above 1.
        if op.attempts <= 1 {
            return None;
        }
        let done = self.reconcile(eid, op, secrets).await.ok()??;
        self.stats.reconciled.fetch_add(1, Ordering::Relaxed);
        Some(done)
    }

    /// Audits the eUICC to learn whether `op` already took effect; the
    /// audit is applied to the EIS. `Some` settles the operation.
    async fn reconcile(
        &self,
        eid: &Eid,
        op: &OpRecord,
        secrets: &Secrets,
    ) -> Result<Option<FunctionExecutionStatus>, TransportError> {
        let idempotent = op.function.descriptor().idempotent;
        if idempotent {
            return Ok(None);
        }
        let eis = match self.store.eis(eid) {
            Ok(Some(e)) => e,
            _ => return Err(TransportError("EIS unavailable".into(), false)),
        };
        let cmds = [es5::audit_card_resources(), es5::audit_isdp_status(None)];
        let mut ok = Vec::new();
        for c in cmds {
            ok.push(c.map_err(|e| TransportError(e.to_string(), false))?);
        }
        let plan = Plan {
            script: script_of(&ok).map_err(|e| TransportError(e, false))?,
            target: None,
            create_aid: None,
        };
        let rapdus = self
            .deliver(eid, &eis, secrets, &plan, op.expires_at_ms)
            .await?
            .map_err(|st| {
                let why = st.status_code_data.and_then(|d| d.message);
                TransportError(format!("audit not executed: {why:?}"), false)
            })?;
        let (res, statuses) = audit_answer(&rapdus);
        let (Ok(res), Ok(statuses)) = (res, statuses) else {
            return Err(TransportError("audit answer unreadable".into(), false));
        };
        let res = Some(res);
        let before = eis.clone();
        let after = self
            .store
            .update_eis(eid, &mut |e| {
                e.apply_audit(res.as_ref(), &statuses, true);
                EisChange {
                    changed: true,
                    ..EisChange::default()
                }
            })
            .map_err(|e| TransportError(e.to_string(), false))?
            .unwrap_or(before.clone());
        let on_card = |a: &Aid| statuses.iter().any(|s| s.aid == *a);
        let done = op.function.confirmed_by_audit(&before, &after, &on_card);
        if let (true, Function::CreateIsdp { iccid, .. }) = (done, &op.function) {
            // Created on the card: the entry leaves InCreation.
            self.store
                .update_eis(eid, &mut |e| {
                    let changed = e
                        .profiles
                        .iter_mut()
                        .find(|p| &p.iccid == iccid)
                        .is_some_and(|p| {
                            let was = p.state == ProfileState::InCreation;
                            if was {
                                p.state = ProfileState::Created;
                            }
                            was
                        });
                    EisChange {
                        changed,
                        ..EisChange::default()
                    }
                })
                .map_err(|e| TransportError(e.to_string(), false))?;
        }
        Ok(done.then(|| {
            FunctionExecutionStatus::warning(
                codes::EXECUTION_ERROR,
                op.function.iccid(),
                "outcome of an interrupted attempt confirmed by audit; not sent again",
            )
        }))
    }

    /// Handles the MO SMS stream: PoRs go to the waiting attempt,
    /// notifications are verified, applied and confirmed.
    pub async fn run_mo(self: Arc<Self>, mut rx: mpsc::UnboundedReceiver<MoSms>) {
        let mut asm = MoAssembler::default();
        while let Some(sms) = rx.recv().await {
            self.stats.sms_in.fetch_add(1, Ordering::Relaxed);
            let msg = match asm.push(&sms) {
                Ok(Some(m)) => m,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(from = %sms.from, "MO SMS dropped: {e}");
                    continue;
                }
            };
            let eid = match self.store.eid_by_msisdn(&sms.from) {
                Ok(Some(e)) => e,
                _ => {
                    tracing::warn!(from = %sms.from, "MO SMS from an unknown MSISDN");
                    continue;
                }
            };
            match msg {
                MoKind::Por(tp_ud) => {
                    let tx = self.pors.lock().ok().and_then(|mut p| p.remove(&eid));
                    match tx {
                        Some(tx) => {
                            let _ = tx.send(tp_ud);
                        }
                        None => tracing::debug!(%eid, "PoR nobody waits for"),
                    }
                }
                MoKind::Command(mut packet) => {
                    if let Err(e) = self.notification(&eid, &mut packet) {
                        tracing::warn!(%eid, "notification refused: {e}");
                    }
                }
            }
        }
    }

    fn notification(self: &Arc<Self>, eid: &Eid, packet: &mut [u8]) -> Result<(), String> {
        let secrets = self
            .store
            .secrets(eid)
            .map_err(|e| e.to_string())?
            .ok_or("no secrets")?;
        let n: Notification = ota::open_notification(&*self.store, eid, &secrets, packet)?;
        self.stats.notifications.fetch_add(1, Ordering::Relaxed);
        let date = iso8601(now_ms());
        let mut effect = None;
        self.store
            .update_eis(eid, &mut |e| {
                let fx = e.apply_notification(&n);
                // The stored EIS carries no audit trail (it has its own
                // table): what the library records here is the new record.
                e.audit_trail.clear();
                if !fx.duplicate {
                    e.record_notification(&n, &date);
                }
                let audit = core::mem::take(&mut e.audit_trail);
                let changed = !fx.duplicate;
                effect = Some(fx);
                EisChange {
                    changed,
                    audit,
                    settle: None,
                }
            })
            .map_err(|e| e.to_string())?;
        let Some(fx) = effect else {
            return Ok(());
        };
        tracing::info!(
            %eid, seq = n.sequence_number, kind = ?n.kind, enabled = ?fx.enabled,
            duplicate = fx.duplicate, "notification"
        );
        let mut ops = Vec::new();
        let expires = now_ms() + 600_000;
        for f in fx.follow_ups {
            let function = match f {
                FollowUp::ConfirmNotification { sequence_number } => {
                    Function::ConfirmNotification { sequence_number }
                }
                FollowUp::AutoDelete { iccid } => Function::DeleteProfile { iccid },
            };
            ops.push(NewOp {
                eid: eid.to_string(),
                batch: None,
                requester: self.cfg.smsr_id.clone(),
                function,
                expires_at_ms: expires,
            });
        }
        if n.kind == NotificationType::EUICC_DECLARATION {
            tracing::info!(%eid, "eUICC declaration");
        }
        self.submit(ops).map_err(|e| e.to_string())?;
        if let Ok(m) = self.notified.lock()
            && let Some(tx) = m.get(eid)
        {
            tx.send_modify(|v| *v += 1);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_push_fits_one_sms() {
        use smsr::crypto::Key;
        use smsr::scp80::{Cntr, CommandHeader, Framing, KeyAlgorithm, KeySet, Kic, Kid, command};
        let t = trigger("255.255.255.255:65535".parse().unwrap()).unwrap();
        let parsed = TriggerParams::parse(&t).unwrap();
        let http = parsed.session.unwrap().http_post.unwrap();
        assert_eq!(http.uri, Some(ADMIN_URI));
        let keys = KeySet::new()
            .with_kic(&Key::aes(&[1; 16]).unwrap())
            .with_kid(&Key::aes(&[2; 16]).unwrap());
        let header = CommandHeader {
            spi: ota::spi(false),
            kic: Kic::new(1, KeyAlgorithm::AES),
            kid: Kid::new(1, KeyAlgorithm::AES.0),
            tar: Tar([0, 0, 1]),
            cntr: Cntr::from_u64(1).unwrap(),
        };
        let mut buf = [0u8; 512];
        let n = command::wrap(Framing::SmsPp, &header, &t, &keys, &mut buf).unwrap();
        assert_eq!(
            smsr::scp80::sms::segment_count(n, smsr::scp80::sms::ConcatReference::Ref8(0)),
            1
        );
    }

    #[test]
    fn an_audit_of_a_card_without_isd_p() {
        // FF21 { 81 00, 82 0100 } 9000, then GET STATUS 6A88.
        let ff21 = vec![
            0xFF, 0x21, 0x07, 0x81, 0x01, 0x00, 0x82, 0x02, 0x01, 0x00, 0x90, 0x00,
        ];
        let (res, st) = audit_answer(&[ff21.clone(), vec![0x6A, 0x88]]);
        assert_eq!(res.unwrap().free_non_volatile_memory, Some(256));
        assert!(st.unwrap().is_empty());
        // No GET STATUS answer at all is not "no ISD-P".
        assert!(audit_answer(std::slice::from_ref(&ff21)).1.is_err());
        // Any other error stays an error.
        assert!(audit_answer(&[ff21, vec![0x69, 0x82]]).1.is_err());
    }

    #[test]
    fn connection_parameters_name_the_listener() {
        assert_eq!(
            connection_params("127.0.0.1:8443".parse().unwrap()),
            [0x3C, 0x03, 0x02, 0x20, 0xFB, 0x3E, 0x05, 0x21, 127, 0, 0, 1]
        );
    }
}
