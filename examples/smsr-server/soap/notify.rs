//! Delivering the outbox (`store/outbox.rs`): the Handle*Notification
//! functions the SM-SR calls on the MNO (ES4) and the SM-DP (ES3) — the
//! callback port types they implement (`wsdl.rs`) — and the asynchronous
//! `…Response`s to a `ReplyTo`.
//!
//! A worker claims due messages by lease and POSTs each once, in its own
//! task (up to 64 at once), over mutual TLS
//! (`callback.rs`) and marks it delivered in one statement at once; a
//! failed attempt (no connection, TLS, timeout, a non-2xx answer such as a
//! SOAP fault's 500) is tried again after a delay doubling from
//! `CallbackBackoffMs` up to `CallbackMaxBackoffMs`, `CallbackAttempts`
//! times in all, then given up (logged). The lease lasts three attempt
//! timeouts, so no other instance sends a message while one attempt of it
//! runs. Every message's `wsa:MessageID` is derived from its event id
//! ([`message_id`]): the same on every attempt and every instance, so a
//! receiver recognises the one copy a crash between its `2xx` and our
//! mark can cause (store/outbox.rs).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use smsr::inventory::notify::{NotificationKind, Outgoing, Recipient};
use smsr::inventory::onc;
use smsr::soap::write::{self, Headers};
use tokio::sync::watch;

use super::callback::CallbackClient;
use super::functions::PLMA_ELEMENTS;
use crate::config::EsConfig;
use crate::ops::now_ms;
use crate::server::App;
use crate::store::outbox::{OutMessage, OutRow, Outbox};

/// Messages claimed at once.
const CLAIM: u32 = 16;
/// Deliveries under way at once.
const IN_FLIGHT: usize = 64;
/// How often the worker looks for due messages when there were none.
const IDLE: Duration = Duration::from_millis(200);
/// How often delivered messages past their retention are pruned: every
/// minute, or every retention period when that is shorter (at least
/// every 200 ms).
const PRUNE_EVERY_MS: i64 = 60_000;
/// Messages pruned per statement.
const PRUNE_BATCH: u32 = 500;

/// The `wsa:Action` of notification `name` on `interface` (`ES3`/`ES4`):
/// `http://gsma.com/{IF}/{Group}CallBack/{IF}-{Name}`, the pattern of the
/// `…Response` actions (`functions.rs`; njiwa's reading, UNCONFIRMED), the
/// group `eUICCManagement` for the SM-SR change and `ProfileManagement`
/// for the rest.
pub fn action(interface: &str, name: &str) -> String {
    let group = match NotificationKind::by_name(name) {
        Some(NotificationKind::SmsrChange) => "eUICCManagement",
        _ => "ProfileManagement",
    };
    format!("http://gsma.com/{interface}/{group}CallBack/{interface}-{name}")
}

/// The `wsa:MessageID` of the message of `event_id`: `urn:smsr:event:`
/// and the event id with every octet outside the URN's unreserved and
/// `/` `:` characters percent-encoded (RFC 8141 §2).
pub fn message_id(event_id: &str) -> String {
    let mut out = String::from("urn:smsr:event:");
    for b in event_id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The envelope of notification `m` to `to`: the function's element in
/// the SGP.02 namespace with its fields (`FunctionRequesterIdentifier`
/// = our SM-SR id, then `Eid`, `Iccid`, `CompletionTimeStamp` as the
/// event stored them).
///
/// # Errors
/// A stored body that is not a JSON object of strings.
pub fn notification_envelope(m: &OutMessage, to: &str, smsr_id: &str) -> Result<String, String> {
    let fields: serde_json::Map<String, Value> =
        serde_json::from_str(&m.body).map_err(|e| format!("{}: body: {e}", m.event_id))?;
    let mut body = format!("<gsma:{}>", m.name);
    write::text_element(&mut body, "FunctionRequesterIdentifier", smsr_id);
    for name in ["Eid", "Iccid", "Plma", "CompletionTimeStamp"] {
        match fields.get(name) {
            Some(Value::String(v)) => write::text_element(&mut body, name, v),
            Some(plma @ Value::Object(_)) if name == "Plma" => plma_element(&mut body, plma),
            None => {}
            Some(other) => return Err(format!("{}: {name} is {other}", m.event_id)),
        }
    }
    body.push_str(&format!("</gsma:{}>", m.name));
    let action = action(&m.interface, &m.name);
    let id = message_id(&m.event_id);
    let headers = Headers {
        to: Some(to),
        action: &action,
        message_id: &id,
        relates_to: None,
    };
    Ok(write::envelope(&headers, "", &body))
}

/// A `PLMAType` element from the PLMA's JSON, its children in the XSD's
/// order ([`PLMA_ELEMENTS`]).
fn plma_element(out: &mut String, plma: &Value) {
    out.push_str("<Plma>");
    for c in PLMA_ELEMENTS {
        if let Some(v) = plma.get(*c) {
            super::convert::write_value(out, c, v);
        }
    }
    out.push_str("</Plma>");
}

/// Whether the ONC of `m`'s recipient discards it (SGP.02 v4 §3.21,
/// [`smsr::inventory::onc`]): a profile notification to an operator over
/// ES4, by its stored `ProfileType`.
///
/// # Errors
/// The store failed, or the stored body is no JSON.
fn discarded_by_onc(app: &App, m: &OutMessage) -> Result<bool, String> {
    let kind = match NotificationKind::by_name(&m.name) {
        Some(k) if m.to.is_none() && m.interface == "ES4" && k.is_profile_change() => k,
        _ => return Ok(false),
    };
    let oncs = app
        .oncs
        .oncs_of(&m.recipient)
        .map_err(|e| format!("store: {e}"))?;
    if oncs.is_empty() {
        return Ok(false);
    }
    let fields: Value =
        serde_json::from_str(&m.body).map_err(|e| format!("{}: body: {e}", m.event_id))?;
    let text = |k: &str| fields.get(k).and_then(Value::as_str).map(str::to_owned);
    let out = Outgoing {
        kind,
        iccid: text("Iccid").ok_or_else(|| format!("{}: no Iccid", m.event_id))?,
        profile_type: text("ProfileType"),
        recipient: Recipient::Mno(m.recipient.clone()),
    };
    Ok(onc::discarded(&oncs, &out))
}

/// The outbox worker.
pub struct Notifier {
    app: Arc<App>,
    outbox: Arc<dyn Outbox>,
    client: CallbackClient,
    endpoints: HashMap<String, String>,
    smsr_id: String,
    owner: String,
    attempts: u32,
    backoff_ms: u64,
    max_backoff_ms: u64,
    lease_ms: i64,
    retention_ms: i64,
    /// Wakes an idle worker when an answer is filled (due now), so an
    /// asynchronous `…Response` does not wait out the idle poll.
    wake: tokio::sync::Notify,
}

impl Notifier {
    /// A worker for `outbox` as instance `owner`, with the endpoints and
    /// retry settings of `es` (checked at start: `EsConfig::check`).
    ///
    /// # Errors
    /// The TLS client cannot be built (a key or certificate file).
    pub fn new(
        app: Arc<App>,
        outbox: Arc<dyn Outbox>,
        es: &EsConfig,
        owner: &str,
    ) -> Result<Self, String> {
        Ok(Self {
            smsr_id: app.config.smsr_id.clone(),
            app,
            outbox,
            client: CallbackClient::new(es)?,
            endpoints: es
                .notifications
                .iter()
                .map(|n| (n.id.clone(), n.url.clone()))
                .collect(),
            owner: owner.to_owned(),
            attempts: es.callback_attempts.max(1),
            backoff_ms: es.callback_backoff_ms,
            max_backoff_ms: es.callback_max_backoff_ms,
            lease_ms: i64::try_from(es.callback_timeout_ms.saturating_mul(3)).unwrap_or(i64::MAX),
            retention_ms: i64::try_from(es.outbox_retention_ms).unwrap_or(i64::MAX),
            wake: tokio::sync::Notify::new(),
        })
    }

    /// Parks an asynchronous answer until `until_ms` (its marker as the
    /// body: [`super::pending_reply`] makes it if nobody fills it first).
    ///
    /// # Errors
    /// The store failed (nothing stored).
    pub fn park(&self, m: &OutMessage, until_ms: i64) -> Result<(), String> {
        self.outbox
            .put_messages(std::slice::from_ref(m), Some(until_ms))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Gives parked `event_id` its answer `xml`, due now; `false` when the
    /// worker already made it (its deadline passed).
    ///
    /// # Errors
    /// The store failed.
    pub fn fill(&self, event_id: &str, xml: &str) -> Result<bool, String> {
        let filled = self
            .outbox
            .fill_message(event_id, xml, now_ms())
            .map_err(|e| e.to_string())?;
        self.wake.notify_one();
        Ok(filled)
    }

    /// Delivers due messages until `shutdown`: each claimed message in
    /// its own task, up to `IN_FLIGHT` at once, so a slow endpoint or a
    /// queue of asynchronous answers holds up no other message; at
    /// `shutdown` the attempts under way are finished first.
    pub async fn run(self: Arc<Self>, mut shutdown: watch::Receiver<bool>) {
        match self.outbox.undelivered() {
            Ok(n) => tracing::info!(undelivered = n, "outbox worker started"),
            Err(e) => tracing::warn!("outbox: {e}"),
        }
        let mut next_prune = now_ms();
        let mut sending = tokio::task::JoinSet::new();
        loop {
            if now_ms() >= next_prune {
                self.prune();
                let every = self.retention_ms.clamp(200, PRUNE_EVERY_MS);
                next_prune = now_ms().saturating_add(every);
            }
            while let Some(done) = sending.try_join_next() {
                reaped(done);
            }
            let room = IN_FLIGHT.saturating_sub(sending.len());
            let rows = if room == 0 {
                Vec::new()
            } else {
                let n = u32::try_from(room).map_or(CLAIM, |r| r.min(CLAIM));
                self.claim(n)
            };
            let idle = rows.is_empty();
            for row in rows {
                let me = self.clone();
                sending.spawn(async move {
                    if let Err(e) = me.deliver(&row).await {
                        tracing::warn!(event = %row.message.event_id, "outbox: {e}");
                    }
                });
            }
            if *shutdown.borrow() {
                break;
            }
            if idle {
                tokio::select! {
                    () = tokio::time::sleep(IDLE) => {}
                    () = self.wake.notified() => {}
                    Some(done) = sending.join_next(), if !sending.is_empty() => reaped(done),
                    _ = shutdown.changed() => break,
                }
            }
        }
        while let Some(done) = sending.join_next().await {
            reaped(done);
        }
    }

    /// Up to `n` due messages, leased to this instance.
    fn claim(&self, n: u32) -> Vec<OutRow> {
        match self
            .outbox
            .claim_messages(&self.owner, now_ms(), self.lease_ms, n)
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!("outbox: nothing claimed: {e}");
                Vec::new()
            }
        }
    }

    /// Deletes the messages delivered more than the retention ago, batch
    /// by batch (`store/outbox_prune.rs`); a failure is logged and tried
    /// again at the next round.
    fn prune(&self) {
        let before = now_ms().saturating_sub(self.retention_ms);
        let mut total = 0;
        loop {
            match self.app.outbox.prune_delivered(before, PRUNE_BATCH) {
                Ok(n) => {
                    total += n;
                    if n < u64::from(PRUNE_BATCH) {
                        break;
                    }
                }
                Err(e) => {
                    tracing::warn!("outbox: pruning failed: {e}");
                    break;
                }
            }
        }
        if total > 0 {
            tracing::info!(
                pruned = total,
                "outbox: delivered messages past their retention"
            );
        }
    }

    /// The delay after attempt `n` (1-based): doubling, bounded.
    fn delay_ms(&self, n: u32) -> u64 {
        let doubled = self
            .backoff_ms
            .saturating_mul(1u64.checked_shl(n.saturating_sub(1)).unwrap_or(u64::MAX));
        doubled.min(self.max_backoff_ms)
    }

    /// One attempt of `row`, and its bookkeeping.
    async fn deliver(&self, row: &OutRow) -> Result<(), String> {
        let m = &row.message;
        let id = &m.event_id;
        let store = |e: crate::store::StoreError| format!("store: {e}");
        if m.to.is_none() && !self.endpoints.contains_key(&m.recipient) {
            // Nobody to tell: kept, given up at once, never retried.
            let why = format!(
                "no notification endpoint for {} (Es.Notifications)",
                m.recipient
            );
            tracing::info!(event = %id, "{why}");
            return self
                .outbox
                .retry_message(id, &self.owner, now_ms(), &why, true)
                .map_err(store);
        }
        if discarded_by_onc(&self.app, m)? {
            // Kept, given up at once, never sent: the operator's choice.
            let why = format!("discarded by the ONC of {}", m.recipient);
            tracing::info!(event = %id, "{why}");
            return self
                .outbox
                .retry_message(id, &self.owner, now_ms(), &why, true)
                .map_err(store);
        }
        let attempt = self.attempt(m).await;
        match attempt {
            Ok((to, action)) => {
                // At once: the window in which a crash causes a copy.
                if self.outbox.mark_delivered(id, now_ms()).map_err(store)? {
                    tracing::info!(event = %id, %to, %action, attempts = row.attempts, "delivered");
                    return Ok(());
                }
                // Only when this attempt outlasted its lease and another
                // instance sent it too (same MessageID).
                let first = self.outbox.message(id).map_err(store)?;
                let when = first.and_then(|r| r.delivered_ms);
                Err(format!(
                    "sent again after its lease ran out: delivered at {when:?}"
                ))
            }
            Err(e) => {
                let give_up = row.attempts >= self.attempts;
                let delay = i64::try_from(self.delay_ms(row.attempts)).unwrap_or(i64::MAX);
                let at = now_ms().saturating_add(delay);
                self.outbox
                    .retry_message(id, &self.owner, at, &e, give_up)
                    .map_err(store)?;
                if give_up {
                    tracing::warn!(event = %id, attempts = row.attempts, "given up: {e}");
                } else {
                    tracing::info!(event = %id, attempt = row.attempts, "not delivered: {e}");
                }
                Ok(())
            }
        }
    }

    /// Renders and POSTs `m`; where to and its action.
    async fn attempt(&self, m: &OutMessage) -> Result<(String, String), String> {
        let (to, action, xml) = match &m.to {
            // An asynchronous answer, its action in `name`: filled with its
            // envelope, or still the parked marker (JSON) past its deadline.
            Some(to) if m.body.starts_with('{') => {
                let xml = super::pending_reply(&self.app, to, &m.body).await?;
                (to.clone(), m.name.clone(), xml)
            }
            Some(to) => (to.clone(), m.name.clone(), m.body.clone()),
            None => {
                let to = self
                    .endpoints
                    .get(&m.recipient)
                    .ok_or_else(|| format!("no notification endpoint for {}", m.recipient))?;
                let xml = notification_envelope(m, to, &self.smsr_id)?;
                (to.clone(), action(&m.interface, &m.name), xml)
            }
        };
        self.client.deliver_once(&to, &action, &xml).await?;
        Ok((to, action))
    }
}

/// An asynchronous answer as an outbox message: its event is the
/// operation `op` (one answer per operation and request `MessageID`);
/// `body` the envelope, or the marker it is made from.
pub fn reply_message(
    op: i64,
    relates_to: &str,
    recipient: &str,
    to: &str,
    action: &str,
    body: String,
) -> OutMessage {
    OutMessage {
        event_id: format!("reply/{op}/{relates_to}"),
        recipient: recipient.to_owned(),
        interface: String::new(),
        name: action.to_owned(),
        to: Some(to.to_owned()),
        body,
        created_ms: now_ms(),
    }
}

/// Logs a delivery task that did not finish (it panicked or was
/// cancelled); its message stays leased and is tried again.
fn reaped(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        tracing::error!("outbox: a delivery task failed: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_urns_stable_per_event() {
        let id = "op/7/HandleProfileEnabledNotification/8901/ES4/MNO 1";
        assert_eq!(
            message_id(id),
            "urn:smsr:event:op/7/HandleProfileEnabledNotification/8901/ES4/MNO%201"
        );
        assert_eq!(message_id(id), message_id(id));
        assert_eq!(
            action("ES4", "HandleProfileEnabledNotification"),
            "http://gsma.com/ES4/ProfileManagementCallBack/ES4-HandleProfileEnabledNotification"
        );
    }

    #[test]
    fn a_notification_envelope_carries_its_fields_and_refuses_a_bad_body() {
        let mut m = OutMessage {
            event_id: "e1".into(),
            recipient: "MNO1".into(),
            interface: "ES4".into(),
            name: "HandleProfileDisabledNotification".into(),
            to: None,
            body: r#"{"Eid":"8904","Iccid":"89<01","CompletionTimeStamp":"2026-12-03T10:00:00Z"}"#
                .into(),
            created_ms: 0,
        };
        let x = notification_envelope(&m, "https://mno/es4", "SMSR1").unwrap();
        for want in [
            "<wsa:To>https://mno/es4</wsa:To>",
            "<wsa:MessageID>urn:smsr:event:e1</wsa:MessageID>",
            "<gsma:HandleProfileDisabledNotification><FunctionRequesterIdentifier>SMSR1",
            "<Iccid>89&lt;01</Iccid>",
            "<CompletionTimeStamp>2026-12-03T10:00:00Z</CompletionTimeStamp>",
        ] {
            assert!(x.contains(want), "{want} in {x}");
        }
        m.body = r#"{"Eid":5}"#.into();
        assert!(notification_envelope(&m, "https://mno/es4", "SMSR1").is_err());
        m.body = "not json".into();
        assert!(notification_envelope(&m, "https://mno/es4", "SMSR1").is_err());
    }
}
