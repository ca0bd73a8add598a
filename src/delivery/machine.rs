//! The [`Delivery`] state machine (see the module documentation of
//! [`crate::delivery`]).

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use super::EisStore;
use super::relay::{self, RelayVerdict};
use super::script::{self, ScriptError};
use crate::inventory::{
    Eis, Es5CommandError, Function, FunctionExecutionStatus, NotificationEffect, Outcome,
    ProfileState, Refusal, codes,
};
use crate::isdr::{Aid, Es5Error, Notification, es5, response};
use crate::scp80::{Cntr, CounterKey, CounterStore, Kic, Kid, PorStatus, Tar};
use crate::scp81::http::ScriptStatus;

/// Delivery settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Attempts per operation (audits included) before it fails with
    /// `8.1`/`5.1` (eUICC inaccessible).
    pub attempts: u32,
    /// First retry delay (ms), doubled per attempt.
    pub backoff_ms: u64,
    /// How long one attempt waits for its answer (ms), and a switch for
    /// its notification.
    pub attempt_timeout_ms: u64,
    /// KIc of the SCP80 packets (names the counter with the TAR and KID).
    pub kic: Kic,
    /// KID of the SCP80 packets.
    pub kid: Kid,
}

/// An operation to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The caller's identifier.
    pub id: u64,
    /// What.
    pub function: Function,
    /// Who asks (the rules check ownership, [`Eis::check_for`]); `None`
    /// for the SM-SR's own follow-ups, which act for the owner.
    pub requester: Option<String>,
    /// End of the validity period (caller's clock, ms).
    pub expires_at_ms: u64,
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Secure `script` as one SCP80 command packet to `tar` with counter
    /// `cntr` (already persisted), asking for a PoR.
    Scp80 {
        /// Operation.
        id: u64,
        /// TAR addressed.
        tar: Tar,
        /// CNTR of the packet.
        cntr: Cntr,
        /// The command script.
        script: Vec<u8>,
    },
    /// Push the SCP81 trigger as an SCP80 packet to the ISD-R with counter
    /// `cntr` (no PoR), and serve `script` to the eUICC's next admin
    /// session, targeted at `target` (the ISD-R when `None`).
    Scp81 {
        /// Operation.
        id: u64,
        /// CNTR of the trigger packet.
        cntr: Cntr,
        /// The command script.
        script: Vec<u8>,
        /// `X-Admin-Targeted-Application`.
        target: Option<Aid>,
        /// ES3.SendData `moreToDo`: keep the admin session open after the
        /// answer, for the next script (SGP.02 §5.4.5).
        keep_open: bool,
    },
}

/// What happened, for the caller to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The operation is over.
    Settled {
        /// Operation.
        id: u64,
        /// Attempts made.
        attempts: u32,
        /// Its result.
        status: FunctionExecutionStatus,
    },
    /// The validity period ended first (`Expired`, `1.6`/`4.10`).
    Expired {
        /// Operation.
        id: u64,
        /// Attempts made.
        attempts: u32,
        /// Its result.
        status: FunctionExecutionStatus,
    },
    /// The outcome of the last attempt is unknown: the next one audits.
    NeedsAudit {
        /// Operation.
        id: u64,
    },
    /// The operation waits for another attempt.
    Rescheduled {
        /// Operation.
        id: u64,
        /// Not before (ms).
        not_before_ms: u64,
        /// Why the last attempt failed.
        error: String,
        /// The next attempt audits first (the outcome is unknown).
        audit_first: bool,
    },
    /// A function the SM-SR must queue itself (notification confirmation,
    /// POL2 auto-delete).
    FollowUp(Function),
    /// The eUICC's answer to relayed data (ES3.SendData), as it came: the
    /// response script or SCP03t answer TLVs, for the SM-DP
    /// (`EuiccResponseData`, SGP.02 §5.4.5). Comes before the operation's
    /// [`Event::Settled`].
    Relayed {
        /// Operation.
        id: u64,
        /// The answer, unchanged.
        data: Vec<u8>,
    },
}

/// A verified PoR (TS 102 225 §5.2.1): the CNTR it echoes, its status and
/// its additional data (the response script).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PorAnswer<'a> {
    /// CNTR echoed.
    pub cntr: Cntr,
    /// Response status code.
    pub status: PorStatus,
    /// Additional response data.
    pub data: &'a [u8],
}

/// How the SCP81 session of an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionOutcome<'a> {
    /// The card posted a result.
    Answered {
        /// `X-Admin-Script-Status`.
        status: &'a ScriptStatus,
        /// The response script.
        body: &'a [u8],
    },
    /// A session took the script and ended without a result: it may have
    /// run.
    Broken,
    /// No session took the script: it did not run.
    NotOpened,
}

/// A store failed; the operation stays where it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error<C, S> {
    /// The counter store.
    #[error("counter store: {0:?}")]
    Counter(C),
    /// The EIS store.
    #[error("EIS store: {0:?}")]
    Eis(S),
}

#[derive(Debug, Clone)]
struct Op {
    req: Request,
    attempts: u32,
    /// The next attempt audits first.
    uncertain: bool,
    /// An earlier attempt's outcome was unknown.
    was_uncertain: bool,
    /// The result to settle with when the audit does not confirm.
    pending_failure: Option<FunctionExecutionStatus>,
    not_before: u64,
    create_aid: Option<Aid>,
    last_error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    Answer {
        cntr: Cntr,
        tar: Tar,
        audit: bool,
        scp81: bool,
    },
    Notification,
}

#[derive(Debug, Clone)]
struct Current {
    op: Op,
    wait: Wait,
    deadline: u64,
}

struct Plan {
    script: Vec<u8>,
    target: Option<Aid>,
    audit: bool,
    keep_open: bool,
}

/// The per-eUICC delivery core.
#[derive(Debug)]
pub struct Delivery<C, S> {
    cfg: Config,
    counters: C,
    eis: S,
    queue: VecDeque<Op>,
    current: Option<Current>,
    events: VecDeque<Event>,
    /// The ISD-P whose SCP80 chain of relayed scripts is open (the last
    /// SendData to it asked `moreToDo`).
    relay_chain: Option<Aid>,
}

const ISD_R_TAR: Tar = Tar(crate::isdr::Tar::ISD_R.0);

fn subject(f: &Function) -> Option<&str> {
    f.iccid()
}

fn refusal(r: &Refusal, f: &Function) -> FunctionExecutionStatus {
    FunctionExecutionStatus::failed(r.code, subject(f), &format!("{:?}", r.reason))
}

fn invalid(e: &ScriptError, f: &Function) -> FunctionExecutionStatus {
    FunctionExecutionStatus::failed(codes::FUNCTION_INVALID, subject(f), &format!("{e}"))
}

fn es5_failure(e: &Es5Error, f: &Function) -> FunctionExecutionStatus {
    FunctionExecutionStatus::failed(e.status_code(), subject(f), &format!("{e}"))
}

/// A relayed script that failed: the code of its first R-APDU, and every
/// R-APDU for the requester (`EuiccResponseData`, SGP.02 §5.4.5).
fn relay_failure(e: &Es5Error, f: &Function, rapdus: &[Vec<u8>]) -> FunctionExecutionStatus {
    let data: Vec<String> = rapdus.iter().map(hex::encode_upper).collect();
    let msg = format!("{e}; EuiccResponseData {}", data.join(" "));
    FunctionExecutionStatus::failed(e.status_code(), subject(f), &msg)
}

/// Whether the EIS shows the switch `f` asked for.
fn switch_done(f: &Function, eis: &Eis) -> bool {
    match f {
        Function::EnableProfile { iccid } => eis
            .profile(iccid)
            .is_some_and(|p| p.state == ProfileState::Enabled),
        Function::DisableProfile { iccid } => eis
            .profile(iccid)
            .is_none_or(|p| p.state == ProfileState::Disabled),
        _ => false,
    }
}

impl<C: CounterStore, S: EisStore> Delivery<C, S> {
    /// A delivery core over `counters` and the eUICC's `eis`.
    pub fn new(cfg: Config, counters: C, eis: S) -> Self {
        Self {
            cfg,
            counters,
            eis,
            queue: VecDeque::new(),
            current: None,
            events: VecDeque::new(),
            relay_chain: None,
        }
    }

    /// The previous SendData to `aid` asked `moreToDo` (the caller keeps
    /// this between operations): over SCP80 the next SendData to `aid`
    /// continues its chain of scripts ([`super::relay::chaining`]).
    pub fn continue_relay_chain(&mut self, aid: Aid) {
        self.relay_chain = Some(aid);
    }

    /// The counter store.
    pub fn counters(&mut self) -> &mut C {
        &mut self.counters
    }

    /// The EIS store.
    pub fn eis_store(&mut self) -> &mut S {
        &mut self.eis
    }

    /// Queues an operation (after those already queued).
    pub fn submit(&mut self, req: Request) {
        self.queue.push_back(Op {
            req,
            attempts: 0,
            uncertain: false,
            was_uncertain: false,
            pending_failure: None,
            not_before: 0,
            create_aid: None,
            last_error: None,
        });
    }

    /// Queues an operation restored from the caller's storage after a
    /// restart or between attempts: `attempts` already made, and whether
    /// the last one's outcome is unknown (then, unless the function is
    /// idempotent, the next attempt audits first).
    pub fn submit_resumed(
        &mut self,
        req: Request,
        attempts: u32,
        uncertain: bool,
        last_error: Option<String>,
    ) {
        let idempotent = req.function.descriptor().idempotent;
        self.queue.push_back(Op {
            req,
            attempts,
            uncertain: uncertain && !idempotent,
            // A refusal after any earlier attempt may only say "already
            // done" (its script may have run late).
            was_uncertain: attempts > 0,
            pending_failure: None,
            not_before: 0,
            create_aid: None,
            last_error,
        });
    }

    /// Whether an attempt is in flight (waiting for its answer or, for a
    /// switch, its notification).
    pub const fn in_flight(&self) -> bool {
        self.current.is_some()
    }

    /// The packet of the attempt in flight could not be sent (the SMSC
    /// refused it): it did not reach the eUICC, the attempt is retried.
    /// Returns whether an attempt was in flight.
    pub fn handle_send_failed(&mut self, now: u64, error: &str) -> bool {
        let Some(cur) = self.current.take() else {
            return false;
        };
        self.retry(now, cur.op, error, false);
        true
    }

    /// The EIS changed outside (a notification applied by the caller): a
    /// switch waiting for its notification is settled when the EIS shows
    /// it.
    ///
    /// # Errors
    /// The EIS store failed.
    pub fn handle_eis_changed(&mut self) -> Result<(), Error<C::Error, S::Error>> {
        if !matches!(&self.current, Some(c) if c.wait == Wait::Notification) {
            return Ok(());
        }
        let eis = self.eis.load().map_err(Error::Eis)?;
        if let Some(cur) = self
            .current
            .take_if(|c| switch_done(&c.op.req.function, &eis))
        {
            self.settle(cur.op, FunctionExecutionStatus::success());
        }
        Ok(())
    }

    /// Operations not settled yet (queued or in flight).
    pub fn pending(&self) -> usize {
        self.queue.len() + usize::from(self.current.is_some())
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Delivery::handle_timeout`] (or [`Delivery::poll_transmit`])
    /// has something to do next.
    pub fn poll_timeout(&self) -> Option<u64> {
        let queued = self
            .queue
            .iter()
            .map(|o| o.req.expires_at_ms)
            .chain(self.queue.front().map(|o| o.not_before))
            .min();
        let current = self.current.as_ref().map(|c| c.deadline);
        match (queued, current) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn settle(&mut self, op: Op, status: FunctionExecutionStatus) {
        self.events.push_back(Event::Settled {
            id: op.req.id,
            attempts: op.attempts,
            status,
        });
    }

    fn expire(&mut self, op: Op) {
        let msg = op.last_error.as_deref().map_or_else(
            || String::from("validity period over"),
            |e| format!("validity period over; last error: {e}"),
        );
        self.events.push_back(Event::Expired {
            id: op.req.id,
            attempts: op.attempts,
            status: FunctionExecutionStatus::expired(&msg),
        });
    }

    /// Time passed: queued operations past their validity expire, an
    /// attempt past its deadline has an unknown outcome.
    pub fn handle_timeout(&mut self, now: u64) {
        let (gone, kept): (VecDeque<Op>, VecDeque<Op>) = core::mem::take(&mut self.queue)
            .into_iter()
            .partition(|o| o.req.expires_at_ms <= now);
        self.queue = kept;
        for op in gone {
            self.expire(op);
        }
        let Some(cur) = self.current.take_if(|c| c.deadline <= now) else {
            return;
        };
        match cur.wait {
            Wait::Answer { .. } => self.retry(now, cur.op, "no answer in time", true),
            Wait::Notification => {
                let mut op = cur.op;
                op.pending_failure = Some(FunctionExecutionStatus::failed(
                    codes::EXECUTION_ERROR,
                    subject(&op.req.function),
                    "the eUICC accepted the switch but did not perform it (rolled back)",
                ));
                self.audit_next(now, op, "no notification in time");
            }
        }
    }

    /// Queues `op` again at once, its next attempt an audit.
    fn audit_next(&mut self, now: u64, mut op: Op, why: &str) {
        op.uncertain = true;
        op.was_uncertain = true;
        op.not_before = now;
        op.last_error = Some(String::from(why));
        self.events.push_back(Event::NeedsAudit { id: op.req.id });
        self.queue.push_front(op);
    }

    /// A failed attempt: again later, or failed after the last attempt.
    fn retry(&mut self, now: u64, mut op: Op, err: &str, uncertain: bool) {
        op.last_error = Some(String::from(err));
        // An idempotent function is sent again without an audit, but its
        // answer may still only say "already done" (a confirmation).
        op.was_uncertain |= uncertain;
        if uncertain && !op.req.function.descriptor().idempotent {
            op.uncertain = true;
            self.events.push_back(Event::NeedsAudit { id: op.req.id });
        }
        if now >= op.req.expires_at_ms {
            return self.expire(op);
        }
        if op.attempts >= self.cfg.attempts {
            let st = FunctionExecutionStatus::failed(
                codes::EUICC_INACCESSIBLE,
                subject(&op.req.function),
                &format!("no answer after {} attempts: {err}", op.attempts),
            );
            return self.settle(op, st);
        }
        let shift = op.attempts.saturating_sub(1).min(10);
        let delay = self.cfg.backoff_ms.saturating_mul(1 << shift);
        op.not_before = now.saturating_add(delay);
        self.events.push_back(Event::Rescheduled {
            id: op.req.id,
            not_before_ms: op.not_before,
            error: String::from(err),
            audit_first: op.uncertain,
        });
        self.queue.push_front(op);
    }

    /// The next packet to send, if an operation's turn has come. Expired
    /// operations are settled and refused ones answered on the way.
    ///
    /// # Errors
    /// A store failed; the operation stays queued.
    pub fn poll_transmit(
        &mut self,
        now: u64,
    ) -> Result<Option<Transmit>, Error<C::Error, S::Error>> {
        if self.current.is_some() {
            return Ok(None);
        }
        loop {
            self.handle_timeout(now);
            if self.queue.front().is_none_or(|o| o.not_before > now) {
                return Ok(None);
            }
            let mut eis = self.eis.load().map_err(Error::Eis)?;
            let Some(mut op) = self.queue.pop_front() else {
                return Ok(None);
            };
            let before = eis.clone();
            let plan = match self.plan(&mut op, &mut eis) {
                Ok(p) => p,
                Err(st) => {
                    self.settle(op, st);
                    continue;
                }
            };
            if eis != before
                && let Err(e) = self.eis.save(&eis)
            {
                self.queue.push_front(op);
                return Err(Error::Eis(e));
            }
            return self.send(now, op, plan, eis.eum_signed_info.capabilities.http_support);
        }
    }

    /// Hands a counter out (persisted first) and starts the attempt.
    fn send(
        &mut self,
        now: u64,
        mut op: Op,
        plan: Plan,
        scp81: bool,
    ) -> Result<Option<Transmit>, Error<C::Error, S::Error>> {
        let tar = match plan.target.and_then(|a| a.tar()) {
            Some(t) if !scp81 => Tar(t.0),
            _ => ISD_R_TAR,
        };
        let key = CounterKey {
            tar,
            kic: self.cfg.kic,
            kid: self.cfg.kid,
        };
        let stored = match self.counters.load(&key) {
            Ok(c) => c,
            Err(e) => {
                self.queue.push_front(op);
                return Err(Error::Counter(e));
            }
        };
        let Some(cntr) = stored.next() else {
            let st = FunctionExecutionStatus::failed(
                codes::PROVIDER_ERROR,
                subject(&op.req.function),
                "the SCP80 counter is exhausted",
            );
            self.settle(op, st);
            return Ok(None);
        };
        if let Err(e) = self.counters.store(&key, cntr) {
            self.queue.push_front(op);
            return Err(Error::Counter(e));
        }
        op.attempts = op.attempts.saturating_add(1);
        let id = op.req.id;
        let deadline = now
            .saturating_add(self.cfg.attempt_timeout_ms)
            .min(op.req.expires_at_ms);
        let wait = Wait::Answer {
            cntr,
            tar,
            audit: plan.audit,
            scp81,
        };
        self.current = Some(Current { op, wait, deadline });
        Ok(Some(if scp81 {
            Transmit::Scp81 {
                id,
                cntr,
                script: plan.script,
                target: plan.target,
                keep_open: plan.keep_open,
            }
        } else {
            Transmit::Scp80 {
                id,
                tar,
                cntr,
                script: plan.script,
            }
        }))
    }

    /// What the attempt sends; an `Err` settles the operation.
    fn plan(&self, op: &mut Op, eis: &mut Eis) -> Result<Plan, FunctionExecutionStatus> {
        let f = &op.req.function;
        let plain = |script| Plan {
            script,
            target: None,
            audit: false,
            keep_open: false,
        };
        if op.uncertain && !f.descriptor().idempotent {
            let script = script::audit_script().map_err(|e| invalid(&e, f))?;
            return Ok(Plan {
                script,
                target: None,
                audit: true,
                keep_open: false,
            });
        }
        let cmd = match f {
            Function::CreateIsdp { .. } => {
                let aid = Self::create_aid(op, eis)?;
                op.create_aid = Some(aid);
                es5::create_isdp(&aid, op.create_memory())
            }
            Function::AuditEis { .. } => {
                return script::audit_script()
                    .map(plain)
                    .map_err(|e| invalid(&e, f));
            }
            Function::ConfirmNotification { sequence_number } => {
                es5::handle_notification_confirmation(*sequence_number)
            }
            Function::SendData {
                sd_aid,
                data,
                more_to_do,
            } => return self.relay_plan(eis, *sd_aid, &data.0, *more_to_do, f),
            _ => return Self::profile_command(op, eis).map(plain),
        };
        let f = &op.req.function;
        let cmd = cmd.map_err(|e| invalid(&ScriptError::Command(e), f))?;
        script::command_script_of(&[cmd])
            .map(plain)
            .map_err(|e| invalid(&e, f))
    }

    /// ES3.SendData: the data as they are over SCP81, with the Script
    /// Chaining TLV over SCP80 ([`super::relay`]).
    fn relay_plan(
        &self,
        eis: &Eis,
        sd_aid: Aid,
        data: &[u8],
        more_to_do: bool,
        f: &Function,
    ) -> Result<Plan, FunctionExecutionStatus> {
        let script = if eis.eum_signed_info.capabilities.http_support {
            data.to_vec()
        } else {
            let chaining = relay::chaining(self.relay_chain == Some(sd_aid), more_to_do);
            relay::chained_script(data, chaining).map_err(|e| invalid(&e, f))?
        };
        Ok(Plan {
            script,
            target: Some(sd_aid),
            audit: false,
            keep_open: more_to_do,
        })
    }

    /// A profile function: the EIS rules (ownership included), then its
    /// ES5 command.
    fn profile_command(op: &Op, eis: &Eis) -> Result<Vec<u8>, FunctionExecutionStatus> {
        let f = &op.req.function;
        let Some(operation) = f.operation(None) else {
            return Err(FunctionExecutionStatus::failed(
                codes::FUNCTION_UNSUPPORTED,
                subject(f),
                "not an ES5 function",
            ));
        };
        if let Some(r) = &op.req.requester {
            eis.check_for(r, &operation).map_err(|e| refusal(&e, f))?;
        }
        match eis.es5_command(&operation) {
            Ok(Some(c)) => script::command_script_of(&[c]).map_err(|e| invalid(&e, f)),
            Ok(None) => Err(FunctionExecutionStatus::success()),
            Err(Es5CommandError::Refused(r)) => Err(refusal(&r, f)),
            Err(e) => Err(FunctionExecutionStatus::failed(
                codes::FUNCTION_INVALID,
                subject(f),
                &format!("{e}"),
            )),
        }
    }

    /// The ISD-P AID of a CreateISDP: the one of its own `InCreation`
    /// entry (a retry), or a free one recorded now (SGP.02 §3.1.1).
    fn create_aid(op: &Op, eis: &mut Eis) -> Result<Aid, FunctionExecutionStatus> {
        let f = &op.req.function;
        let Function::CreateIsdp { iccid, mno_id, .. } = f else {
            return Err(FunctionExecutionStatus::failed(
                codes::FUNCTION_UNSUPPORTED,
                subject(f),
                "not a CreateISDP",
            ));
        };
        if let Some(p) = eis
            .profile(iccid)
            .filter(|p| p.state == ProfileState::InCreation)
        {
            return Ok(p.isd_p_aid);
        }
        let aid = eis
            .next_isd_p_tar()
            .and_then(|t| Aid::isd_p(t).ok())
            .ok_or_else(|| {
                FunctionExecutionStatus::failed(
                    codes::EUICC_NO_MEMORY,
                    Some(iccid),
                    "no free ISD-P TAR",
                )
            })?;
        let smdp = op.req.requester.as_deref();
        eis.begin_create_isdp(iccid, aid, op.create_memory(), mno_id, smdp)
            .map_err(|r| refusal(&r, f))?;
        Ok(aid)
    }
}

impl Op {
    fn create_memory(&self) -> Option<u32> {
        match self.req.function {
            Function::CreateIsdp {
                required_memory, ..
            } => required_memory,
            _ => None,
        }
    }
}

impl<C: CounterStore, S: EisStore> Delivery<C, S> {
    /// A verified PoR arrived. Returns whether it answered the packet in
    /// flight: a PoR whose CNTR is not that packet's is another packet's
    /// (a late one) and changes nothing.
    ///
    /// # Errors
    /// A store failed.
    pub fn handle_por(
        &mut self,
        now: u64,
        por: &PorAnswer<'_>,
    ) -> Result<bool, Error<C::Error, S::Error>> {
        let Some(cur) = self.current.take_if(
            |c| matches!(c.wait, Wait::Answer { cntr, scp81: false, .. } if cntr == por.cntr),
        ) else {
            return Ok(false);
        };
        let Wait::Answer { tar, .. } = cur.wait else {
            return Ok(false);
        };
        if por.status == PorStatus::OK {
            self.answered(now, cur, por.data)?;
            return Ok(true);
        }
        if por.status == PorStatus::CNTR_LOW {
            // The card's counter is ahead of ours: raise ours past the
            // one it refused, so the resend is accepted.
            let key = CounterKey {
                tar,
                kic: self.cfg.kic,
                kid: self.cfg.kid,
            };
            let raised = por.cntr.next().unwrap_or(Cntr::MAX);
            let stored = self.counters.load(&key).map_err(Error::Counter);
            let stored = match stored {
                Ok(s) => s,
                Err(e) => {
                    self.current = Some(cur);
                    return Err(e);
                }
            };
            if raised > stored
                && let Err(e) = self.counters.store(&key, raised)
            {
                self.current = Some(cur);
                return Err(Error::Counter(e));
            }
        }
        // Refused before execution (TS 102 225 §5.1.4): safe to resend.
        let err = format!("PoR status {:?}", por.status);
        self.retry(now, cur.op, &err, false);
        Ok(true)
    }

    /// The SCP81 session of the attempt in flight ended. Returns whether
    /// an SCP81 attempt was in flight.
    ///
    /// # Errors
    /// A store failed.
    pub fn handle_session_result(
        &mut self,
        now: u64,
        outcome: SessionOutcome<'_>,
    ) -> Result<bool, Error<C::Error, S::Error>> {
        let Some(cur) = self
            .current
            .take_if(|c| matches!(c.wait, Wait::Answer { scp81: true, .. }))
        else {
            return Ok(false);
        };
        match outcome {
            SessionOutcome::Answered { status, body } => {
                let f = &cur.op.req.function;
                match FunctionExecutionStatus::of_script_status(status, subject(f)) {
                    None => self.answered(now, cur, body)?,
                    Some(_) if matches!(cur.wait, Wait::Answer { audit: true, .. }) => {
                        let err = format!("audit not executed: {}", status.as_str());
                        self.retry(now, cur.op, &err, false);
                    }
                    Some(st) => self.settle(cur.op, st),
                }
            }
            SessionOutcome::Broken => self.retry(now, cur.op, "SCP81 session broken", true),
            SessionOutcome::NotOpened => self.retry(now, cur.op, "no SCP81 session", false),
        }
        Ok(true)
    }

    /// The response script of the attempt in flight.
    fn answered(
        &mut self,
        now: u64,
        cur: Current,
        body: &[u8],
    ) -> Result<(), Error<C::Error, S::Error>> {
        if matches!(cur.wait, Wait::Answer { audit: false, .. })
            && cur.op.req.function.descriptor().outcome == Outcome::Relay
        {
            self.on_relay(cur.op, body);
            return Ok(());
        }
        let rapdus = match script::r_apdus(body) {
            Ok(r) => r,
            Err(e) => {
                self.retry(now, cur.op, &format!("{e}"), true);
                return Ok(());
            }
        };
        if matches!(cur.wait, Wait::Answer { audit: true, .. }) {
            return self.on_audit(now, cur.op, &rapdus);
        }
        self.on_result(now, cur.op, &rapdus)
    }

    /// The eUICC's answer to relayed data: handed on unchanged
    /// ([`Event::Relayed`]), the operation settled by its
    /// [`relay::verdict`].
    fn on_relay(&mut self, op: Op, body: &[u8]) {
        let f = &op.req.function;
        let st = match relay::verdict(body) {
            RelayVerdict::Executed => FunctionExecutionStatus::success(),
            RelayVerdict::Refused(e) => relay_failure(&e, f, &[body.to_vec()]),
            RelayVerdict::Scp03tRefused(c) => FunctionExecutionStatus::failed(
                codes::EXECUTION_ERROR,
                subject(f),
                &format!(
                    "the ISD-P refused SCP03t '{:02X}' with status '{:04X}'",
                    c.tag, c.sw
                ),
            ),
            RelayVerdict::Unreadable => FunctionExecutionStatus::failed(
                codes::EXECUTION_ERROR,
                subject(f),
                "the eUICC's answer is neither a response script nor SCP03t TLVs",
            ),
        };
        self.events.push_back(Event::Relayed {
            id: op.req.id,
            data: body.to_vec(),
        });
        self.settle(op, st);
    }

    /// The answer of an audit made because an earlier attempt's outcome
    /// was unknown: settles the operation when the card shows its effect,
    /// else sends it again (or settles the failure it was waiting on).
    fn on_audit(
        &mut self,
        now: u64,
        mut op: Op,
        rapdus: &[Vec<u8>],
    ) -> Result<(), Error<C::Error, S::Error>> {
        let (Ok(res), Ok(statuses)) = script::audit_answer(rapdus) else {
            self.retry(now, op, "audit answer unreadable", false);
            return Ok(());
        };
        let before = self.eis.load().map_err(Error::Eis)?;
        let mut after = before.clone();
        after.apply_audit(Some(&res), &statuses, true);
        let on_card = |a: &Aid| statuses.iter().any(|s| s.aid == *a);
        let done = op
            .req
            .function
            .confirmed_by_audit(&before, &after, &on_card);
        if let (true, Function::CreateIsdp { iccid, .. }) = (done, &op.req.function)
            && let Some(p) = after.profile_mut(iccid)
            && p.state == ProfileState::InCreation
        {
            // Created on the card: the entry leaves InCreation.
            p.state = ProfileState::Created;
        }
        self.eis.save(&after).map_err(Error::Eis)?;
        op.uncertain = false;
        if done {
            let st = FunctionExecutionStatus::warning(
                codes::EXECUTION_ERROR,
                subject(&op.req.function),
                "outcome of an interrupted attempt confirmed by audit; not sent again",
            );
            self.settle(op, st);
        } else if let Some(st) = op.pending_failure.take() {
            self.settle(op, st);
        } else {
            op.not_before = now;
            self.queue.push_front(op);
        }
        Ok(())
    }

    /// The answer of the function's own command, applied per its
    /// [`Outcome`].
    fn on_result(
        &mut self,
        now: u64,
        mut op: Op,
        rapdus: &[Vec<u8>],
    ) -> Result<(), Error<C::Error, S::Error>> {
        // No R-APDU at all: `command_status` reports it malformed.
        let first = rapdus.first().map_or(&[][..], Vec::as_slice);
        let status = response::command_status(first);
        let descriptor = op.req.function.descriptor();
        if let Err(e) = &status
            && op.was_uncertain
            && !descriptor.idempotent
        {
            // A refusal after an attempt of unknown outcome may only say
            // "already done": audit to tell.
            op.pending_failure = Some(es5_failure(e, &op.req.function));
            self.audit_next(now, op, "refused after an uncertain attempt");
            return Ok(());
        }
        let mut eis = self.eis.load().map_err(Error::Eis)?;
        let before = eis.clone();
        let f = &op.req.function;
        let st = match (descriptor.outcome, &status) {
            (Outcome::Audit, _) => match script::audit_answer(rapdus) {
                (Ok(res), Ok(statuses)) => {
                    let complete = matches!(f, Function::AuditEis { iccids } if iccids.is_empty());
                    eis.apply_audit(Some(&res), &statuses, complete);
                    FunctionExecutionStatus::success()
                }
                (Err(e), _) | (_, Err(e)) => es5_failure(&e, f),
            },
            // The ISD-R forgets a notification once confirmed (SGP.02
            // §4.1.1.12): after an attempt of unknown outcome, an unknown
            // sequence number is that attempt's confirmation.
            (Outcome::Confirmation, Err(Es5Error::ReferencedDataNotFound)) if op.was_uncertain => {
                FunctionExecutionStatus::warning(
                    codes::EXECUTION_ERROR,
                    subject(f),
                    "notification already confirmed by an attempt of unknown outcome",
                )
            }
            (_, Err(e)) => es5_failure(e, f),
            (Outcome::Notification, Ok(())) => {
                if !switch_done(f, &eis) {
                    // The switch is reported by the eUICC's notification.
                    let deadline = now.saturating_add(self.cfg.attempt_timeout_ms);
                    self.current = Some(Current {
                        op,
                        wait: Wait::Notification,
                        deadline,
                    });
                    return Ok(());
                }
                FunctionExecutionStatus::success()
            }
            (Outcome::Confirmation, Ok(())) => match response::notification_confirmation(first) {
                Ok(deleted) => {
                    let aids: Vec<Aid> = deleted.flatten().collect();
                    eis.apply_deleted_isdps(&aids);
                    FunctionExecutionStatus::success()
                }
                Err(e) => es5_failure(&e, f),
            },
            // Relayed data never get here (`on_relay`).
            (Outcome::Relay | Outcome::Result, Ok(())) => FunctionExecutionStatus::success(),
        };
        if let Some(operation) = f.operation(op.create_aid) {
            eis.apply_result(&operation, &status);
        }
        if eis != before {
            self.eis.save(&eis).map_err(Error::Eis)?;
        }
        self.settle(op, st);
        Ok(())
    }

    /// A verified notification from the eUICC (SGP.02 §4.1.1.11): applied
    /// to the EIS; its confirmation and any POL2 auto-delete come out as
    /// [`Event::FollowUp`]s; a switch waiting for it is settled.
    ///
    /// # Errors
    /// The EIS store failed (nothing applied).
    pub fn handle_notification(
        &mut self,
        n: &Notification,
    ) -> Result<NotificationEffect, Error<C::Error, S::Error>> {
        let mut eis = self.eis.load().map_err(Error::Eis)?;
        let fx = eis.apply_notification(n);
        if !fx.duplicate {
            self.eis.save(&eis).map_err(Error::Eis)?;
        }
        for f in &fx.follow_ups {
            self.events.push_back(Event::FollowUp(Function::from(f)));
        }
        if let Some(cur) = self
            .current
            .take_if(|c| c.wait == Wait::Notification && switch_done(&c.op.req.function, &eis))
        {
            self.settle(cur.op, FunctionExecutionStatus::success());
        }
        Ok(fx)
    }
}
