//! The outbox: every ES message the SM-SR sends on its own initiative
//! (a Handle*Notification to an MNO or SM-DP, an asynchronous `…Response`
//! to a `ReplyTo`), kept in the store until it is delivered, so a restart
//! loses none.
//!
//! A message is written in the same transaction as the event that causes
//! it where there is one ([`super::EisChange::outbox`]: a settled
//! operation, an applied eUICC notification), else on its own
//! ([`Outbox::put_messages`]); either way its event id is the primary key,
//! so writing it twice stores it once. A worker claims due messages by
//! lease ([`Outbox::claim_messages`]; `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so several instances share the work and never hold the same
//! row), delivers each and marks it delivered in one statement
//! ([`Outbox::mark_delivered`]); a delivered message is never claimed
//! again.
//!
//! "At most once per event id" therefore holds for everything this store
//! records: no two instances send one message at the same time (the lease
//! outlasts one attempt), and none is sent after its mark. The one window
//! left is an instance dying between the receiver's `2xx` and the marking
//! statement (one round trip to the database): then the lease expires and
//! the message is sent again with the same `wsa:MessageID` (derived from
//! the event id), by which the receiver recognises the copy.

use smsr::inventory::notify::{NotificationKind, changes};
use smsr::inventory::{Eis, Plma};

use super::StoreError;
use crate::ops::{iso8601, now_ms};

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutMessage {
    /// Unique per event and recipient; the message's identity.
    pub event_id: String,
    /// The identity it goes to (`Mno-id`, `Smdp-id`, or the requester).
    pub recipient: String,
    /// `ES3` or `ES4`.
    pub interface: String,
    /// The function: `Handle…Notification`, or the `…Response` action of
    /// an asynchronous answer.
    pub name: String,
    /// Where to (an asynchronous answer's `ReplyTo`); `None`: the
    /// recipient's configured notification endpoint.
    pub to: Option<String>,
    /// A notification's fields (JSON), or the answer's whole envelope.
    pub body: String,
    /// When the event happened, ms since the UNIX epoch.
    pub created_ms: i64,
}

/// A stored message and its delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutRow {
    /// The message.
    pub message: OutMessage,
    /// Delivery attempts started (counted when claimed).
    pub attempts: u32,
    /// Not tried again before this time.
    pub not_before_ms: i64,
    /// When its delivery was confirmed (`2xx`).
    pub delivered_ms: Option<i64>,
    /// The last attempt's failure.
    pub last_error: Option<String>,
    /// Given up after the last allowed attempt.
    pub gave_up: bool,
}

/// The outbox of a store (see the module documentation).
pub trait Outbox: Send + Sync {
    /// Stores the messages not stored yet (by event id), due at their
    /// `created_ms`, or with `not_before_ms` not before then: an
    /// asynchronous answer whose operation is still running is parked so,
    /// written when the request is accepted so that a restart does not
    /// lose it; its body then says how to make the answer, and
    /// [`Outbox::fill_message`] gives the answer itself once it is known.
    /// How many were new.
    ///
    /// # Errors
    /// A database failure (none stored).
    fn put_messages(
        &self,
        msgs: &[OutMessage],
        not_before_ms: Option<i64>,
    ) -> Result<usize, StoreError>;

    /// Replaces the body of the undelivered, unclaimed `event_id` with
    /// `body`, due at `now_ms`; `false` when it is delivered, claimed or
    /// unknown (then nothing changed).
    ///
    /// # Errors
    /// A database failure.
    fn fill_message(&self, event_id: &str, body: &str, now_ms: i64) -> Result<bool, StoreError>;

    /// Claims up to `limit` due messages (undelivered, not given up, past
    /// `not_before_ms`, no live lease at `now_ms`) for `owner` until
    /// `now_ms + lease_ms`, oldest first, counting an attempt on each.
    ///
    /// # Errors
    /// A database failure or a corrupt row (nothing claimed).
    fn claim_messages(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<OutRow>, StoreError>;

    /// Marks `event_id` delivered at `now_ms` (one statement); `false` when
    /// it was already marked or is unknown.
    ///
    /// # Errors
    /// A database failure.
    fn mark_delivered(&self, event_id: &str, now_ms: i64) -> Result<bool, StoreError>;

    /// Releases `owner`'s lease on `event_id` after a failed attempt, due
    /// again at `not_before_ms`; with `give_up` it is never tried again.
    ///
    /// # Errors
    /// A database failure.
    fn retry_message(
        &self,
        event_id: &str,
        owner: &str,
        not_before_ms: i64,
        error: &str,
        give_up: bool,
    ) -> Result<(), StoreError>;

    /// One message.
    ///
    /// # Errors
    /// A database failure or a corrupt row.
    fn message(&self, event_id: &str) -> Result<Option<OutRow>, StoreError>;

    /// Messages neither delivered nor given up.
    ///
    /// # Errors
    /// A database failure.
    fn undelivered(&self) -> Result<u64, StoreError>;
}

/// The columns [`OutRow`] is read from, in order.
pub const OUT_COLUMNS: &str = "event_id, recipient, interface, name, to_url, body, created_ms, \
     attempts, not_before_ms, delivered_ms, last_error, gave_up";

/// The claim of [`Outbox::claim_messages`] in a backend's dialect: its
/// parameter prefix `p` (`$` or `?`; 1 owner, 2 now, 3 lease, 4 limit),
/// its test of `gave_up` (`NOT gave_up`, `gave_up = 0`: each the predicate
/// of its partial index) and its row lock (`FOR UPDATE SKIP LOCKED`, or
/// none where one writer runs at a time). A due row is undelivered, not
/// given up, past `not_before_ms` and without a live lease; a claim takes
/// the lease until now + lease and counts an attempt. `seq` comes first,
/// then [`OUT_COLUMNS`].
pub fn claim_sql(p: char, not_gave_up: &str, lock: &str) -> String {
    format!(
        "UPDATE outbox SET lease_owner = {p}1, lease_until_ms = {p}2 + {p}3, \
         attempts = attempts + 1 WHERE seq IN (SELECT seq FROM outbox \
         WHERE delivered_ms IS NULL AND {not_gave_up} AND not_before_ms <= {p}2 \
         AND (lease_until_ms IS NULL OR lease_until_ms <= {p}2) ORDER BY seq LIMIT {p}4 \
         {lock}) RETURNING seq, {OUT_COLUMNS}"
    )
}

/// Claimed rows (`seq`, row) oldest first: `RETURNING` gives no order.
pub fn oldest_first(mut rows: Vec<(i64, OutRow)>) -> Vec<OutRow> {
    rows.sort_by_key(|(seq, _)| *seq);
    rows.into_iter().map(|(_, r)| r).collect()
}

/// A backend's row, read by column index (the types both backends store
/// the outbox columns in).
pub trait OutColumns {
    /// The backend's error.
    type Error;
    /// A `TEXT NOT NULL` column.
    ///
    /// # Errors
    /// Not there, or not text.
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    /// A nullable `TEXT` column.
    ///
    /// # Errors
    /// Not there, or not text.
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    /// A 64-bit integer column (ms since the UNIX epoch).
    ///
    /// # Errors
    /// Not there, or not an integer.
    fn ms(&self, i: usize) -> Result<i64, Self::Error>;
    /// A nullable 64-bit integer column.
    ///
    /// # Errors
    /// Not there, or not an integer.
    fn opt_ms(&self, i: usize) -> Result<Option<i64>, Self::Error>;
    /// The `attempts` column (32 bits on PostgreSQL).
    ///
    /// # Errors
    /// Not there, or not an integer.
    fn attempts(&self, i: usize) -> Result<i64, Self::Error>;
    /// A boolean column.
    ///
    /// # Errors
    /// Not there, or not a boolean.
    fn flag(&self, i: usize) -> Result<bool, Self::Error>;
}

/// The raw columns of one row, as both backends read them.
pub struct RawOut {
    /// The message.
    pub message: OutMessage,
    /// `attempts`.
    pub attempts: i64,
    /// `not_before_ms`.
    pub not_before_ms: i64,
    /// `delivered_ms`.
    pub delivered_ms: Option<i64>,
    /// `last_error`.
    pub last_error: Option<String>,
    /// `gave_up`.
    pub gave_up: bool,
}

impl RawOut {
    /// The [`OUT_COLUMNS`] of `r` from column `at` on.
    ///
    /// # Errors
    /// A column missing or of another type.
    pub fn read<R: OutColumns>(r: &R, at: usize) -> Result<Self, R::Error> {
        Ok(Self {
            message: OutMessage {
                event_id: r.text(at)?,
                recipient: r.text(at + 1)?,
                interface: r.text(at + 2)?,
                name: r.text(at + 3)?,
                to: r.opt_text(at + 4)?,
                body: r.text(at + 5)?,
                created_ms: r.ms(at + 6)?,
            },
            attempts: r.attempts(at + 7)?,
            not_before_ms: r.ms(at + 8)?,
            delivered_ms: r.opt_ms(at + 9)?,
            last_error: r.opt_text(at + 10)?,
            gave_up: r.flag(at + 11)?,
        })
    }

    /// The row, or what is wrong with it.
    ///
    /// # Errors
    /// A negative or too large attempt count.
    pub fn decode(self) -> Result<OutRow, StoreError> {
        let attempts = u32::try_from(self.attempts).map_err(|_| {
            StoreError::Corrupt(format!(
                "outbox {}: attempts {}",
                self.message.event_id, self.attempts
            ))
        })?;
        Ok(OutRow {
            message: self.message,
            attempts,
            not_before_ms: self.not_before_ms,
            delivered_ms: self.delivered_ms,
            last_error: self.last_error,
            gave_up: self.gave_up,
        })
    }
}

/// The Handle*Notification messages an EIS change owes
/// ([`smsr::inventory::notify::changes`]), for the event `event` (unique:
/// an operation, or an eUICC notification) dated `date` (ISO 8601) at
/// `now_ms`: one per kind, profile and recipient, its fields `Eid`,
/// `Iccid` and `CompletionTimeStamp` as JSON, with the profile's
/// `ProfileType` when it has one (not sent: what an ONC selects by,
/// `soap/notify.rs`).
pub fn notifications(
    event: &str,
    before: &Eis,
    after: &Eis,
    requester: Option<&str>,
    date: &str,
    now_ms: i64,
) -> Vec<OutMessage> {
    let eid = after.eid().to_string();
    changes(before, after, requester)
        .into_iter()
        .map(|o| {
            let mut body = serde_json::json!({
                "Eid": eid,
                "Iccid": o.iccid,
                "CompletionTimeStamp": date,
            });
            if let (Some(t), Some(b)) = (&o.profile_type, body.as_object_mut()) {
                b.insert("ProfileType".into(), t.clone().into());
            }
            OutMessage {
                event_id: format!(
                    "{event}/{}/{}/{}/{}",
                    o.kind.name(),
                    o.iccid,
                    o.recipient.interface(),
                    o.recipient.id()
                ),
                recipient: o.recipient.id().to_owned(),
                interface: o.recipient.interface().to_owned(),
                name: o.kind.name().to_owned(),
                to: None,
                body: body.to_string(),
                created_ms: now_ms,
            }
        })
        .collect()
}

/// The HandlePLMASettingNotification of `plma` (just set, or withdrawn
/// when it names no function) to its grantee over `interface`, dated
/// `date` at `now_ms`: its fields `Plma` (the PLMA, SGP.02 element names)
/// and `CompletionTimeStamp` as JSON.
///
/// # Errors
/// The PLMA does not serialise (never, for a valid one).
pub fn plma_setting(
    plma: &Plma,
    interface: &str,
    date: &str,
    now_ms: i64,
) -> Result<OutMessage, serde_json::Error> {
    let name = NotificationKind::PlmaSetting.name();
    let body =
        serde_json::json!({ "Plma": serde_json::to_value(plma)?, "CompletionTimeStamp": date });
    Ok(OutMessage {
        event_id: format!(
            "plma/{}/{}/{}/{now_ms}/{name}/{interface}/{}",
            plma.owner,
            plma.profile_type.as_deref().unwrap_or(""),
            plma.grantee,
            plma.grantee
        ),
        recipient: plma.grantee.clone(),
        interface: interface.to_owned(),
        name: name.to_owned(),
        to: None,
        body: body.to_string(),
        created_ms: now_ms,
    })
}

/// [`notifications`] of a function the SM-SR carries out on the EIS alone
/// (no operation: `UpdatePolicyRules`, `ProfileDownloadCompleted`),
/// requested by `requester`, now; the event is the function on this
/// eUICC at this millisecond.
pub fn by_function(function: &str, before: &Eis, after: &Eis, requester: &str) -> Vec<OutMessage> {
    let now = now_ms();
    let event = format!("{function}/{}/{now}", after.eid());
    notifications(&event, before, after, Some(requester), &iso8601(now), now)
}
