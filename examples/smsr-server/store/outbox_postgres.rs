//! [`Outbox`] on PostgreSQL (`migrations/0004_outbox.sql`): several
//! instances claim due rows with `FOR UPDATE SKIP LOCKED`, so no two hold
//! the same message and none waits on another's rows.

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{PostgresStore, execute_cached};
use crate::store::StoreError;
use crate::store::outbox::{OUT_COLUMNS, OutMessage, OutRow, Outbox, RawOut};

/// Stores `msgs` (those whose event id is new) inside the caller's
/// transaction `c`, due at `not_before_ms` or else their `created_ms`;
/// how many were new.
///
/// # Errors
/// A database failure.
pub async fn insert(
    c: &impl GenericClient,
    msgs: &[OutMessage],
    not_before_ms: Option<i64>,
) -> Result<usize, StoreError> {
    if msgs.is_empty() {
        return Ok(0);
    }
    let column = |f: fn(&OutMessage) -> &str| msgs.iter().map(f).collect::<Vec<_>>();
    let to: Vec<Option<&str>> = msgs.iter().map(|m| m.to.as_deref()).collect();
    let created: Vec<i64> = msgs.iter().map(|m| m.created_ms).collect();
    // One statement, in order (`seq`); an event id already stored, or twice
    // in `msgs`, is skipped.
    let new = execute_cached(
        c,
        "INSERT INTO outbox (event_id, recipient, interface, name, to_url, body, \
         created_ms, not_before_ms) SELECT e, r, i, n, t, b, m, coalesce($8::bigint, m) \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::bigint[]) WITH ORDINALITY AS u(e, r, i, n, t, b, m, k) ORDER BY k \
         ON CONFLICT (event_id) DO NOTHING",
        &[
            &column(|m| &m.event_id),
            &column(|m| &m.recipient),
            &column(|m| &m.interface),
            &column(|m| &m.name),
            &to,
            &column(|m| &m.body),
            &created,
            &not_before_ms,
        ],
    )
    .await?;
    usize::try_from(new).map_err(|_| StoreError::Corrupt(format!("outbox: {new} rows")))
}

fn out_from_row(r: &Row) -> Result<OutRow, StoreError> {
    RawOut {
        message: OutMessage {
            event_id: r.try_get(0)?,
            recipient: r.try_get(1)?,
            interface: r.try_get(2)?,
            name: r.try_get(3)?,
            to: r.try_get(4)?,
            body: r.try_get(5)?,
            created_ms: r.try_get(6)?,
        },
        attempts: i64::from(r.try_get::<_, i32>(7)?),
        not_before_ms: r.try_get(8)?,
        delivered_ms: r.try_get(9)?,
        last_error: r.try_get(10)?,
        gave_up: r.try_get(11)?,
    }
    .decode()
}

impl Outbox for PostgresStore {
    fn put_messages(
        &self,
        msgs: &[OutMessage],
        not_before_ms: Option<i64>,
    ) -> Result<usize, StoreError> {
        self.run(async {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            let n = insert(&tx, msgs, not_before_ms).await?;
            tx.commit().await?;
            Ok(n)
        })
    }

    fn fill_message(&self, event_id: &str, body: &str, now_ms: i64) -> Result<bool, StoreError> {
        let n = self.exec(
            "UPDATE outbox SET body = $2, not_before_ms = $3 WHERE event_id = $1 \
             AND delivered_ms IS NULL AND (lease_until_ms IS NULL OR lease_until_ms <= $3)",
            &[&event_id, &body, &now_ms],
        )?;
        Ok(n == 1)
    }

    fn claim_messages(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<OutRow>, StoreError> {
        let rows = self.rows(
            &format!(
                "UPDATE outbox SET lease_owner = $1, lease_until_ms = $2 + $3, \
                 attempts = attempts + 1 WHERE seq IN (SELECT seq FROM outbox \
                 WHERE delivered_ms IS NULL AND NOT gave_up AND not_before_ms <= $2 \
                 AND (lease_until_ms IS NULL OR lease_until_ms <= $2) ORDER BY seq LIMIT $4 \
                 FOR UPDATE SKIP LOCKED) RETURNING {OUT_COLUMNS}, seq"
            ),
            &[&owner, &now_ms, &lease_ms, &i64::from(limit)],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push((r.try_get::<_, i64>(12)?, out_from_row(r)?));
        }
        // RETURNING gives no order: oldest first.
        out.sort_by_key(|(seq, _)| *seq);
        Ok(out.into_iter().map(|(_, r)| r).collect())
    }

    fn mark_delivered(&self, event_id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let n = self.exec(
            "UPDATE outbox SET delivered_ms = $2, lease_owner = NULL, lease_until_ms = NULL \
             WHERE event_id = $1 AND delivered_ms IS NULL",
            &[&event_id, &now_ms],
        )?;
        Ok(n == 1)
    }

    fn retry_message(
        &self,
        event_id: &str,
        owner: &str,
        not_before_ms: i64,
        error: &str,
        give_up: bool,
    ) -> Result<(), StoreError> {
        self.exec(
            "UPDATE outbox SET not_before_ms = $3, last_error = $4, gave_up = $5, \
             lease_owner = NULL, lease_until_ms = NULL \
             WHERE event_id = $1 AND lease_owner = $2 AND delivered_ms IS NULL",
            &[&event_id, &owner, &not_before_ms, &error, &give_up],
        )?;
        Ok(())
    }

    fn message(&self, event_id: &str) -> Result<Option<OutRow>, StoreError> {
        let rows = self.rows(
            &format!("SELECT {OUT_COLUMNS} FROM outbox WHERE event_id = $1"),
            &[&event_id],
        )?;
        rows.first().map(out_from_row).transpose()
    }

    fn undelivered(&self) -> Result<u64, StoreError> {
        let n: Option<i64> = self.one(
            "SELECT count(*) FROM outbox WHERE delivered_ms IS NULL AND NOT gave_up",
            &[],
        )?;
        let n = n.ok_or_else(|| StoreError::Corrupt("outbox count: no row".into()))?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("outbox count {n}")))
    }
}
