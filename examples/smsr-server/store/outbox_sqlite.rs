//! [`Outbox`] on SQLite: one writer at a time (`BEGIN IMMEDIATE`), so a
//! claim is one `UPDATE … RETURNING` on the due rows.

use std::sync::LazyLock;

use rusqlite::{Connection, params};

use super::SqliteStore;
use crate::store::StoreError;
use crate::store::outbox::{
    OUT_COLUMNS, OutColumns, OutMessage, OutRow, Outbox, RawOut, claim_sql, oldest_first,
};

/// The outbox table, created at open.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL,
    interface TEXT NOT NULL,
    name TEXT NOT NULL,
    to_url TEXT,
    body TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before_ms INTEGER NOT NULL,
    delivered_ms INTEGER,
    last_error TEXT,
    gave_up INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until_ms INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox(not_before_ms, seq)
    WHERE delivered_ms IS NULL AND gave_up = 0;
";

/// Stores `msgs` (those whose event id is new) inside the caller's
/// transaction, due at `not_before_ms` or else their `created_ms`; how
/// many were new.
///
/// # Errors
/// A database failure.
pub fn insert(
    conn: &Connection,
    msgs: &[OutMessage],
    not_before_ms: Option<i64>,
) -> Result<usize, StoreError> {
    let mut st = conn.prepare_cached(
        "INSERT INTO outbox (event_id, recipient, interface, name, to_url, body, created_ms, \
         not_before_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, ?7)) \
         ON CONFLICT (event_id) DO NOTHING",
    )?;
    let mut new = 0;
    for m in msgs {
        new += st.execute(params![
            m.event_id,
            m.recipient,
            m.interface,
            m.name,
            m.to,
            m.body,
            m.created_ms,
            not_before_ms
        ])?;
    }
    Ok(new)
}

impl OutColumns for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn text(&self, i: usize) -> Result<String, Self::Error> {
        self.get(i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error> {
        self.get(i)
    }
    fn ms(&self, i: usize) -> Result<i64, Self::Error> {
        self.get(i)
    }
    fn opt_ms(&self, i: usize) -> Result<Option<i64>, Self::Error> {
        self.get(i)
    }
    fn attempts(&self, i: usize) -> Result<i64, Self::Error> {
        self.get(i)
    }
    fn flag(&self, i: usize) -> Result<bool, Self::Error> {
        self.get(i)
    }
}

/// The claim in SQLite's dialect: one writer at a time, no row locks.
static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| claim_sql('?', "gave_up = 0", ""));

/// The [`OUT_COLUMNS`] of `r` from column `at` on.
fn out_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Result<OutRow, StoreError>> {
    Ok(RawOut::read(r, at)?.decode())
}

impl Outbox for SqliteStore {
    fn put_messages(
        &self,
        msgs: &[OutMessage],
        not_before_ms: Option<i64>,
    ) -> Result<usize, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let n = insert(&tx, msgs, not_before_ms)?;
        tx.commit()?;
        Ok(n)
    }

    fn fill_message(&self, event_id: &str, body: &str, now_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .conn()?
            .prepare_cached(
                "UPDATE outbox SET body = ?2, not_before_ms = ?3 WHERE event_id = ?1 \
                 AND delivered_ms IS NULL AND (lease_until_ms IS NULL OR lease_until_ms <= ?3)",
            )?
            .execute(params![event_id, body, now_ms])?;
        Ok(n == 1)
    }

    fn claim_messages(
        &self,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<OutRow>, StoreError> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(&CLAIM_SQL)?;
        let rows = st.query_map(params![owner, now_ms, lease_ms, limit], |r| {
            let seq: i64 = r.get(0)?;
            Ok((seq, out_from_row(r, 1)?))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (seq, row) = r?;
            out.push((seq, row?));
        }
        Ok(oldest_first(out))
    }

    fn mark_delivered(&self, event_id: &str, now_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .conn()?
            .prepare_cached(
                "UPDATE outbox SET delivered_ms = ?2, lease_owner = NULL, lease_until_ms = NULL \
                 WHERE event_id = ?1 AND delivered_ms IS NULL",
            )?
            .execute(params![event_id, now_ms])?;
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
        self.conn()?
            .prepare_cached(
                "UPDATE outbox SET not_before_ms = ?3, last_error = ?4, gave_up = ?5, \
                 lease_owner = NULL, lease_until_ms = NULL \
                 WHERE event_id = ?1 AND lease_owner = ?2 AND delivered_ms IS NULL",
            )?
            .execute(params![event_id, owner, not_before_ms, error, give_up])?;
        Ok(())
    }

    fn message(&self, event_id: &str) -> Result<Option<OutRow>, StoreError> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(&format!(
            "SELECT {OUT_COLUMNS} FROM outbox WHERE event_id = ?1"
        ))?;
        let mut rows = st.query_map(params![event_id], |r| out_from_row(r, 0))?;
        match rows.next() {
            Some(r) => Ok(Some(r??)),
            None => Ok(None),
        }
    }

    fn undelivered(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()?
            .prepare_cached(
                "SELECT count(*) FROM outbox WHERE delivered_ms IS NULL AND gave_up = 0",
            )?
            .query_row([], |r| r.get(0))?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("outbox count {n}")))
    }
}
