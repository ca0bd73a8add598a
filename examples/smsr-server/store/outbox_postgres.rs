//! [`Outbox`] on PostgreSQL (`migrations/0004_outbox.sql`): several
//! instances claim due rows with `FOR UPDATE SKIP LOCKED`, so no two hold
//! the same message and none waits on another's rows.

use std::sync::LazyLock;

use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

use super::{PostgresStore, execute_cached};
use crate::store::StoreError;
use crate::store::outbox::{
    OUT_COLUMNS, OutColumns, OutMessage, OutRow, Outbox, RawOut, claim_sql, oldest_first,
};

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

impl OutColumns for Row {
    type Error = tokio_postgres::Error;
    fn text(&self, i: usize) -> Result<String, Self::Error> {
        self.try_get(i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error> {
        self.try_get(i)
    }
    fn ms(&self, i: usize) -> Result<i64, Self::Error> {
        self.try_get(i)
    }
    fn opt_ms(&self, i: usize) -> Result<Option<i64>, Self::Error> {
        self.try_get(i)
    }
    fn attempts(&self, i: usize) -> Result<i64, Self::Error> {
        Ok(i64::from(self.try_get::<_, i32>(i)?))
    }
    fn flag(&self, i: usize) -> Result<bool, Self::Error> {
        self.try_get(i)
    }
}

/// The claim in PostgreSQL's dialect: several instances, none waiting on
/// the rows another holds.
static CLAIM_SQL: LazyLock<String> =
    LazyLock::new(|| claim_sql('$', "NOT gave_up", "FOR UPDATE SKIP LOCKED"));

/// The [`OUT_COLUMNS`] of `r` from column `at` on.
fn out_from_row(r: &Row, at: usize) -> Result<OutRow, StoreError> {
    RawOut::read(r, at)?.decode()
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
        let rows = self.rows(&CLAIM_SQL, &[&owner, &now_ms, &lease_ms, &i64::from(limit)])?;
        let out = rows
            .iter()
            .map(|r| Ok((r.try_get::<_, i64>(0)?, out_from_row(r, 1)?)))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(oldest_first(out))
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
        rows.first().map(|r| out_from_row(r, 0)).transpose()
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
