//! The delivery engine's per-operation store calls as futures
//! ([`HotPath`]), awaited on the server's runtime: claiming an
//! operation, reading the eUICC's keys and marking an attempt in flight.
//!
//! On PostgreSQL they await the pooled `tokio-postgres` client directly,
//! instead of handing a synchronous [`super::Store`] call to the store's
//! own runtime thread and blocking a worker until it comes back (that
//! hand-off was a third of the server's CPU under fleet-wide AuditEIS).
//! On SQLite they run the synchronous call when polled, as before: the
//! database is a file in this process, a call takes microseconds.
//!
//! The guarantees are those of the synchronous calls they stand for
//! ([`super::Store::claim_next_op`], [`super::Store::mark_in_flight`],
//! [`super::held::HeldKeys::keys`]): the same SQL, in the same
//! transactions.

use std::future::Future;
use std::pin::Pin;

use smsr::isdr::Eid;

use super::StoreError;
use crate::keys::vault::EuiccKeys;
use crate::ops::OpRecord;

/// A store call in progress.
pub type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// The engine's per-operation store calls, awaited.
pub trait HotPath: Send + Sync {
    /// [`super::Store::claim_next_op`], awaited.
    fn claim_next_op<'a>(
        &'a self,
        eid: &'a Eid,
        owner: &'a str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Call<'a, Option<OpRecord>>;

    /// [`super::Store::mark_in_flight`], awaited.
    fn mark_in_flight(&self, id: i64) -> Call<'_, ()>;

    /// [`super::held::HeldKeys::keys`], awaited.
    fn keys<'a>(&'a self, eid: &'a Eid) -> Call<'a, Option<EuiccKeys>>;
}
