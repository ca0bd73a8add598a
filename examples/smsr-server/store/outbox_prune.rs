//! Pruning the outbox (`outbox.rs`): a delivered message is kept for a
//! retention period (config `Es.OutboxRetentionMs`: what was sent, to
//! whom, when), then deleted, in batches, so that the table does not grow
//! with every notification ever sent. Only delivered rows go: an
//! undelivered one (due, leased, parked or given up) is never deleted.
//!
//! On PostgreSQL one instance prunes at a time: each batch is one
//! statement that first takes the transaction-scoped advisory lock
//! [`PRUNE_LOCK`] (`pg_try_advisory_xact_lock`) and deletes nothing when
//! another instance holds it; the rows it deletes are locked
//! `FOR UPDATE SKIP LOCKED`, so it never waits on a claim. SQLite has one
//! process, its single writer.

use super::StoreError;
use super::outbox::Outbox;
use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;

/// The SQLite index of delivered rows (created at open if missing; the
/// PostgreSQL one is in migration `0007`).
pub const SQLITE_SCHEMA: &str = "
CREATE INDEX IF NOT EXISTS outbox_delivered ON outbox(delivered_ms)
    WHERE delivered_ms IS NOT NULL;
";

/// The advisory lock key of the pruning lease ("SMSRPRUN").
pub const PRUNE_LOCK: i64 = 0x534D_5352_5052_554E;

/// An outbox that can drop what it delivered long ago.
pub trait PrunableOutbox: Outbox {
    /// Deletes up to `limit` messages delivered before `delivered_before_ms`,
    /// oldest first; how many. `0` also when another instance holds the
    /// pruning lease (PostgreSQL).
    ///
    /// # Errors
    /// A database failure (nothing deleted).
    fn prune_delivered(&self, delivered_before_ms: i64, limit: u32) -> Result<u64, StoreError>;
}

impl PrunableOutbox for SqliteStore {
    fn prune_delivered(&self, delivered_before_ms: i64, limit: u32) -> Result<u64, StoreError> {
        let conn = self.conn()?;
        let n = conn.execute(
            "DELETE FROM outbox WHERE event_id IN (SELECT event_id FROM outbox \
             WHERE delivered_ms IS NOT NULL AND delivered_ms < ?1 ORDER BY delivered_ms LIMIT ?2)",
            (delivered_before_ms, limit),
        )?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("{n} rows pruned")))
    }
}

impl PrunableOutbox for PostgresStore {
    fn prune_delivered(&self, delivered_before_ms: i64, limit: u32) -> Result<u64, StoreError> {
        self.exec(
            "WITH lease AS (SELECT pg_try_advisory_xact_lock($3) AS held) \
             DELETE FROM outbox WHERE (SELECT held FROM lease) AND event_id IN (\
             SELECT event_id FROM outbox WHERE delivered_ms IS NOT NULL AND delivered_ms < $1 \
             ORDER BY delivered_ms LIMIT $2 FOR UPDATE SKIP LOCKED)",
            &[&delivered_before_ms, &i64::from(limit), &PRUNE_LOCK],
        )
    }
}
