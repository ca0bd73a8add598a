//! [`Store`] on an embedded SQLite file (rusqlite, bundled SQLite) in WAL
//! mode. One connection behind a mutex: every method is a short
//! transaction, so writers never wait on the network. One server process
//! works a file: opening it voids the leases a previous process left
//! (several instances share a PostgreSQL store instead).
//!
//! Durability: `synchronous = NORMAL` in WAL mode survives a crash of the
//! process (SIGKILL) with every committed transaction; `FULL` (see
//! [`SqliteStore::open`]) also survives a power cut, at one fsync per
//! commit.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use smsr::inventory::{AuditRecord, Eis};
use smsr::isdr::Eid;

use super::rows;
use super::rows::{
    OP_COLUMNS, RawOp, corrupt, eis_from_json, eis_json, function_from_json, status_word, to_json,
};
use super::{
    CUSTODY_CHECK_SQL, CounterName, EidFilter, EisChange, KeyImport, Secrets, Store, StoreError,
    check_custody, initial_counters,
};
use crate::keys::Custody;
use crate::keys::sealing::Sealing;
use crate::ops::{BatchProgress, Function, FunctionExecutionStatus, NewOp, OpRecord, now_ms};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS eis (
    eid TEXT PRIMARY KEY,
    eum_id TEXT NOT NULL,
    platform_type TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS secrets (
    eid TEXT PRIMARY KEY REFERENCES eis(eid),
    msisdn TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS secrets_msisdn ON secrets(msisdn);
CREATE TABLE IF NOT EXISTS counters (
    eid TEXT NOT NULL,
    key TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (eid, key)
);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY,
    requester TEXT NOT NULL,
    function TEXT NOT NULL,
    refused INTEGER NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS operations (
    id INTEGER PRIMARY KEY,
    eid TEXT NOT NULL,
    batch INTEGER REFERENCES batches(id),
    requester TEXT NOT NULL,
    function TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    not_before_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    result TEXT,
    status TEXT,
    last_error TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until_ms INTEGER
);
CREATE INDEX IF NOT EXISTS operations_pending ON operations(eid, id) WHERE state <> 'done';
CREATE INDEX IF NOT EXISTS operations_batch ON operations(batch, status);
CREATE INDEX IF NOT EXISTS operations_eid_function ON operations(eid, function, id);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY,
    eid TEXT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_eid ON audit(eid, seq);
-- The audit trail (SGP.02 §5.1.1.3.12) is append-only.
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only: DELETE refused'); END;
";

#[path = "held_sqlite.rs"]
mod held_sqlite;
#[path = "hot_sqlite.rs"]
mod hot_sqlite;
#[path = "outbox_sqlite.rs"]
pub mod outbox_sqlite;

/// The SQLite store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// Seals the secrets written, opens those read.
    custody: Arc<dyn Custody>,
}

fn op_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Result<OpRecord, StoreError>> {
    Ok(RawOp {
        id: row.get(0)?,
        eid: row.get(1)?,
        batch: row.get(2)?,
        requester: row.get(3)?,
        function: row.get(4)?,
        state: row.get(5)?,
        attempts: row.get(6)?,
        not_before_ms: row.get(7)?,
        expires_at_ms: row.get(8)?,
        result: row.get(9)?,
        last_error: row.get(10)?,
    }
    .decode())
}

/// Adds the lease columns to a database created before they existed.
fn add_lease_columns(conn: &Connection) -> Result<(), StoreError> {
    let mut st = conn.prepare("SELECT name FROM pragma_table_info('operations')")?;
    let names = st
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for (column, ty) in [("lease_owner", "TEXT"), ("lease_until_ms", "INTEGER")] {
        if !names.iter().any(|n| n == column) {
            conn.execute_batch(&format!("ALTER TABLE operations ADD COLUMN {column} {ty}"))?;
        }
    }
    Ok(())
}

impl SqliteStore {
    /// Opens (or creates) the database at `path` in WAL mode, its secrets
    /// sealed and opened by `custody`. `power_safe` selects
    /// `synchronous = FULL`.
    ///
    /// # Errors
    /// The database cannot be opened or its schema created;
    /// [`StoreError::Custody`] when `custody` cannot open the first stored
    /// secrets (a wrong master key, clear secrets): nothing changed.
    pub fn open(
        path: &Path,
        power_safe: bool,
        custody: Arc<dyn Custody>,
    ) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(
            None,
            "synchronous",
            if power_safe { "FULL" } else { "NORMAL" },
        )?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Every statement is prepared once per connection (the profile of
        // one SCP81 operation showed SQL parsing at 17% of the server).
        conn.set_prepared_statement_cache_capacity(64);
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(outbox_sqlite::SCHEMA)?;
        conn.execute_batch(super::authorisations::SQLITE_SCHEMA)?;
        conn.execute_batch(super::onc::SQLITE_SCHEMA)?;
        conn.execute_batch(super::outbox_prune::SQLITE_SCHEMA)?;
        add_lease_columns(&conn)?;
        let ends = conn
            .prepare(CUSTODY_CHECK_SQL)?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<(String, String)>>>()?;
        check_custody(&*custody, &ends)?;
        // One process works an SQLite file: the leases a previous process
        // (killed) left are void.
        conn.execute(
            "UPDATE operations SET lease_owner = NULL, lease_until_ms = NULL \
             WHERE lease_owner IS NOT NULL",
            [],
        )?;
        Ok(Self {
            conn: Mutex::new(conn),
            custody,
        })
    }

    pub(super) fn conn(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }

    /// The journal mode in effect (`wal`).
    #[cfg(test)]
    ///
    /// # Errors
    /// A database failure.
    pub fn journal_mode(&self) -> Result<String, StoreError> {
        Ok(self
            .conn()?
            .prepare_cached("PRAGMA journal_mode")?
            .query_row([], |r| r.get(0))?)
    }
}

fn load_eis(conn: &Connection, eid: &str) -> Result<Option<Eis>, StoreError> {
    let json: Option<String> = conn
        .prepare_cached("SELECT json FROM eis WHERE eid = ?1")?
        .query_row([eid], |r| r.get(0))
        .optional()?;
    json.map(|j| eis_from_json(&j)).transpose()
}

fn insert_audit(conn: &Connection, eid: &str, records: &[AuditRecord]) -> Result<(), StoreError> {
    let mut st = conn.prepare_cached("INSERT INTO audit (eid, json) VALUES (?1, ?2)")?;
    for r in records {
        st.execute(params![eid, to_json(r)?])?;
    }
    Ok(())
}

fn settle_in(
    conn: &Connection,
    id: i64,
    result: &FunctionExecutionStatus,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE operations SET state = 'done', result = ?2, status = ?3, updated_ms = ?4, \
         lease_owner = NULL, lease_until_ms = NULL WHERE id = ?1 AND state <> 'done'",
    )?
    .execute(params![id, to_json(result)?, status_word(result), now_ms()])?;
    Ok(())
}

/// Inserts one registration (EIS, secrets, initial counters, audit trail)
/// in the caller's transaction, with cached prepared statements; `false`
/// when the EID is already registered (nothing inserted).
fn insert_registration(
    conn: &Connection,
    custody: &dyn Custody,
    eis: &Eis,
    secrets: &Secrets,
) -> Result<bool, StoreError> {
    let eid = eis.eid().to_string();
    let inserted = conn
        .prepare_cached(
            "INSERT INTO eis (eid, eum_id, platform_type, json) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (eid) DO NOTHING",
        )?
        .execute(params![
            eid,
            eis.eum_signed_info.eum_id,
            eis.eum_signed_info.platform_type,
            eis_json(eis)?
        ])?;
    if inserted == 0 {
        return Ok(false);
    }
    conn.prepare_cached("INSERT INTO secrets (eid, msisdn, json) VALUES (?1, ?2, ?3)")?
        .execute(params![
            eid,
            secrets.msisdn,
            custody.seal(&eis.eid(), secrets)?
        ])?;
    // Initial counters from the EIS key sets (the value the eUICC holds).
    let mut counters = conn.prepare_cached(
        "INSERT INTO counters (eid, key, value) VALUES (?1, ?2, ?3) \
         ON CONFLICT (eid, key) DO UPDATE SET value = max(value, excluded.value)",
    )?;
    for (name, value) in initial_counters(eis) {
        let value = i64::try_from(value)
            .map_err(|_| StoreError::Corrupt(format!("counter {name:?}: {value}")))?;
        counters.execute(params![eid, name.stored(), value])?;
    }
    insert_audit(conn, &eid, &eis.audit_trail)?;
    Ok(true)
}

impl KeyImport for SqliteStore {
    fn replace_secrets(&self, records: &[(Eid, Secrets)]) -> Result<Option<usize>, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for (i, (eid, secrets)) in records.iter().enumerate() {
            let sealed = self.custody.seal(eid, secrets)?;
            let n = tx
                .prepare_cached("UPDATE secrets SET msisdn = ?2, json = ?3 WHERE eid = ?1")?
                .execute(params![eid.to_string(), secrets.msisdn, sealed])?;
            if n == 0 {
                // Dropping the transaction rolls the whole call back.
                return Ok(Some(i));
            }
        }
        tx.commit()?;
        Ok(None)
    }
}

impl Store for SqliteStore {
    fn register(&self, eis: &Eis, secrets: &Secrets) -> Result<bool, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // What is sealed is discarded unless committed (keys/cleanup.rs).
        let sealing = Sealing::new(&*self.custody);
        if !insert_registration(&tx, &sealing, eis, secrets)? {
            return Ok(false);
        }
        tx.commit()?;
        sealing.keep();
        Ok(true)
    }

    fn register_many(&self, records: &[(Eis, Secrets)]) -> Result<Option<usize>, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let sealing = Sealing::new(&*self.custody);
        for (i, (eis, secrets)) in records.iter().enumerate() {
            if !insert_registration(&tx, &sealing, eis, secrets)? {
                // Dropping the transaction rolls the whole call back.
                return Ok(Some(i));
            }
        }
        tx.commit()?;
        sealing.keep();
        Ok(None)
    }

    fn eis(&self, eid: &Eid) -> Result<Option<Eis>, StoreError> {
        load_eis(&*self.conn()?, &eid.to_string())
    }

    fn secrets(&self, eid: &Eid) -> Result<Option<Secrets>, StoreError> {
        let record: Option<String> = self
            .conn()?
            .prepare_cached("SELECT json FROM secrets WHERE eid = ?1")?
            .query_row([eid.to_string()], |r| r.get(0))
            .optional()?;
        Ok(record.map(|r| self.custody.open(eid, &r)).transpose()?)
    }

    fn eid_by_msisdn(&self, msisdn: &str) -> Result<Option<Eid>, StoreError> {
        let eid: Option<String> = self
            .conn()?
            .prepare_cached("SELECT eid FROM secrets WHERE msisdn = ?1")?
            .query_row([msisdn], |r| r.get(0))
            .optional()?;
        eid.map(|e| e.parse::<Eid>().map_err(corrupt)).transpose()
    }

    fn update_eis(
        &self,
        eid: &Eid,
        f: &mut dyn FnMut(&mut Eis) -> EisChange,
    ) -> Result<Option<Eis>, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let key = eid.to_string();
        let Some(mut eis) = load_eis(&tx, &key)? else {
            return Ok(None);
        };
        let change = f(&mut eis);
        if change.changed {
            tx.prepare_cached("UPDATE eis SET json = ?2 WHERE eid = ?1")?
                .execute(params![key, eis_json(&eis)?])?;
        }
        insert_audit(&tx, &key, &change.audit)?;
        if let Some((id, result)) = &change.settle {
            settle_in(&tx, *id, result)?;
        }
        outbox_sqlite::insert(&tx, &change.outbox, None)?;
        tx.commit()?;
        Ok(Some(eis))
    }

    fn eids(&self, filter: &EidFilter) -> Result<Vec<Eid>, StoreError> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(
            "SELECT eid FROM eis WHERE (?1 IS NULL OR substr(eid, 1, length(?1)) = ?1) \
             AND (?2 IS NULL OR eum_id = ?2) AND (?3 IS NULL OR platform_type = ?3) ORDER BY eid",
        )?;
        let rows = st.query_map(
            params![filter.eid_prefix, filter.eum_id, filter.platform_type],
            |r| r.get::<_, String>(0),
        )?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?.parse::<Eid>().map_err(corrupt)?);
        }
        Ok(out)
    }

    fn count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn()?
            .prepare_cached("SELECT count(*) FROM eis")?
            .query_row([], |r| r.get(0))?;
        rows::uint(n, "count of eis")
    }

    fn next_counter(&self, eid: &Eid, name: CounterName) -> Result<u64, StoreError> {
        // One autocommit statement: durable (WAL) before it returns.
        let v: i64 = self
            .conn()?
            .prepare_cached(
                "INSERT INTO counters (eid, key, value) VALUES (?1, ?2, 1) \
             ON CONFLICT (eid, key) DO UPDATE SET value = value + 1 RETURNING value",
            )?
            .query_row(params![eid.to_string(), name.stored()], |r| r.get(0))?;
        rows::uint(v, "counter")
    }

    fn counter(&self, eid: &Eid, name: CounterName) -> Result<u64, StoreError> {
        let v: Option<i64> = self
            .conn()?
            .prepare_cached("SELECT value FROM counters WHERE eid = ?1 AND key = ?2")?
            .query_row(params![eid.to_string(), name.stored()], |r| r.get(0))
            .optional()?;
        // No row: the counter was never used.
        v.map_or(Ok(0), |v| rows::uint(v, "counter"))
    }

    fn raise_counter(&self, eid: &Eid, name: CounterName, value: u64) -> Result<(), StoreError> {
        self.conn()?
            .prepare_cached(
                "INSERT INTO counters (eid, key, value) VALUES (?1, ?2, ?3) \
             ON CONFLICT (eid, key) DO UPDATE SET value = max(value, excluded.value)",
            )?
            .execute(params![
                eid.to_string(),
                name.stored(),
                i64::try_from(value).unwrap_or(i64::MAX)
            ])?;
        Ok(())
    }

    fn create_batch(
        &self,
        requester: &str,
        function: &str,
        refused: u64,
    ) -> Result<i64, StoreError> {
        let conn = self.conn()?;
        conn.prepare_cached("INSERT INTO batches (requester, function, refused, created_ms) VALUES (?1, ?2, ?3, ?4)")?.execute(params![
                requester,
                function,
                i64::try_from(refused).unwrap_or(i64::MAX),
                now_ms()
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    fn enqueue(&self, ops: &[NewOp]) -> Result<Vec<i64>, StoreError> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let now = now_ms();
        let mut ids = Vec::with_capacity(ops.len());
        {
            let mut st = tx.prepare_cached(
                "INSERT INTO operations (eid, batch, requester, function, state, not_before_ms, \
                 expires_at_ms, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?5, ?5)",
            )?;
            for op in ops {
                st.execute(params![
                    op.eid,
                    op.batch,
                    op.requester,
                    to_json(&op.function)?,
                    now,
                    op.expires_at_ms
                ])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    fn op(&self, id: i64) -> Result<Option<OpRecord>, StoreError> {
        let conn = self.conn()?;
        conn.query_row(
            &format!("SELECT {OP_COLUMNS} FROM operations WHERE id = ?1"),
            [id],
            op_from_row,
        )
        .optional()?
        .transpose()
    }

    fn eids_with_pending(&self) -> Result<Vec<Eid>, StoreError> {
        let conn = self.conn()?;
        let mut st =
            conn.prepare("SELECT DISTINCT eid FROM operations WHERE state <> 'done' ORDER BY eid")?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?.parse::<Eid>().map_err(corrupt)?);
        }
        Ok(out)
    }

    fn pending_functions(&self, eid: &Eid) -> Result<Vec<Function>, StoreError> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(
            "SELECT function FROM operations WHERE eid = ?1 AND state <> 'done' ORDER BY id",
        )?;
        let rows = st.query_map([eid.to_string()], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(function_from_json(&r?)?);
        }
        Ok(out)
    }

    fn latest_op_of(&self, eid: &Eid, function: &Function) -> Result<Option<OpRecord>, StoreError> {
        let conn = self.conn()?;
        conn.query_row(
            &format!(
                "SELECT {OP_COLUMNS} FROM operations WHERE eid = ?1 AND function = ?2 \
                 ORDER BY id DESC LIMIT 1"
            ),
            params![eid.to_string(), to_json(function)?],
            op_from_row,
        )
        .optional()?
        .transpose()
    }

    fn claim_next_op(
        &self,
        eid: &Eid,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<OpRecord>, StoreError> {
        // One connection: nobody writes between the look and the update.
        // Committed only once the row decodes: a corrupt one stays unclaimed.
        let mut conn = self.conn()?;
        let tx = conn.transaction()?;
        let head: Option<(i64, Option<String>, Option<i64>)> = tx
            .query_row(
                "SELECT id, lease_owner, lease_until_ms FROM operations \
                 WHERE eid = ?1 AND state <> 'done' ORDER BY id LIMIT 1",
                [eid.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((id, holder, until)) = head else {
            return Ok(None);
        };
        let ours = holder.as_deref() == Some(owner);
        let live = holder.is_some() && until.is_some_and(|u| u >= now_ms);
        if live && !ours {
            return Ok(None);
        }
        // Our own lease with at least half of it left: a read, not a write.
        let fresh = ours && until.is_some_and(|u| u.saturating_sub(now_ms) >= lease_ms / 2);
        let op = if fresh {
            let sql = format!("SELECT {OP_COLUMNS} FROM operations WHERE id = ?1");
            tx.query_row(&sql, [id], op_from_row)
        } else {
            let sql = format!(
                "UPDATE operations SET lease_owner = ?2, lease_until_ms = ?3 + ?4 \
                 WHERE id = ?1 RETURNING {OP_COLUMNS}"
            );
            tx.query_row(&sql, params![id, owner, now_ms, lease_ms], op_from_row)
        }
        .optional()?
        .transpose()?;
        tx.commit()?;
        Ok(op)
    }

    fn claimable_eids(&self, now_ms: i64) -> Result<Vec<Eid>, StoreError> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(
            "SELECT eid FROM operations WHERE state <> 'done' GROUP BY eid \
             HAVING max(CASE WHEN lease_owner IS NOT NULL AND lease_until_ms >= ?1 \
             THEN 1 ELSE 0 END) = 0 ORDER BY eid",
        )?;
        let rows = st.query_map([now_ms], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?.parse::<Eid>().map_err(corrupt)?);
        }
        Ok(out)
    }

    fn mark_in_flight(&self, id: i64) -> Result<(), StoreError> {
        self.conn()?.prepare_cached("UPDATE operations SET state = 'in_flight', attempts = attempts + 1, updated_ms = ?2 \
             WHERE id = ?1 AND state <> 'done'")?.execute(params![id, now_ms()],
        )?;
        Ok(())
    }

    fn reschedule(&self, id: i64, not_before_ms: i64, error: &str) -> Result<(), StoreError> {
        self.conn()?
            .prepare_cached(
                "UPDATE operations SET state = 'queued', not_before_ms = ?2, last_error = ?3, \
             updated_ms = ?4 WHERE id = ?1 AND state <> 'done'",
            )?
            .execute(params![id, not_before_ms, error, now_ms()])?;
        Ok(())
    }

    fn reschedule_in_flight(
        &self,
        id: i64,
        not_before_ms: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn()?
            .prepare_cached(
                "UPDATE operations SET state = 'in_flight', not_before_ms = ?2, last_error = ?3, \
             updated_ms = ?4 WHERE id = ?1 AND state <> 'done'",
            )?
            .execute(params![id, not_before_ms, error, now_ms()])?;
        Ok(())
    }

    fn settle(&self, id: i64, result: &FunctionExecutionStatus) -> Result<(), StoreError> {
        settle_in(&*self.conn()?, id, result)
    }

    fn batch(&self, id: i64) -> Result<Option<BatchProgress>, StoreError> {
        let conn = self.conn()?;
        let head = conn
            .prepare_cached("SELECT requester, function, refused FROM batches WHERE id = ?1")?
            .query_row([id], |r| {
                Ok(rows::BatchHead {
                    requester: r.get(0)?,
                    function: r.get(1)?,
                    refused: r.get(2)?,
                })
            })
            .optional()?;
        let Some(head) = head else {
            return Ok(None);
        };
        let mut st = conn.prepare_cached(
            "SELECT coalesce(status, 'pending'), count(*) FROM operations WHERE batch = ?1 GROUP BY 1",
        )?;
        let counts = st.query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
        rows::tally(id, head, counts.map(|c| c.map_err(StoreError::from))).map(Some)
    }

    fn audit_trail(&self, eid: &Eid, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(
            "SELECT json FROM (SELECT seq, json FROM audit WHERE eid = ?1 ORDER BY seq DESC LIMIT ?2) \
             ORDER BY seq",
        )?;
        let rows = st.query_map(params![eid.to_string(), limit], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(serde_json::from_str(&r?).map_err(corrupt)?);
        }
        Ok(out)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Db(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{Function, OpState, codes};
    use smsr::inventory::{ProfileInfo, ProfileState};
    use smsr::isdr::{Aid, Tar};

    /// A database path, its files removed before and after the test.
    struct Tmp(std::path::PathBuf);

    impl Tmp {
        fn clean(&self) {
            for suffix in ["", "-wal", "-shm"] {
                let mut p = self.0.clone().into_os_string();
                p.push(suffix);
                // Absent files are the expected case.
                let _ = std::fs::remove_file(p);
            }
        }
    }

    impl Drop for Tmp {
        fn drop(&mut self) {
            self.clean();
        }
    }

    impl std::ops::Deref for Tmp {
        type Target = std::path::Path;
        fn deref(&self) -> &std::path::Path {
            &self.0
        }
    }

    fn tmp(name: &str) -> Tmp {
        let t = Tmp(std::env::temp_dir().join(format!("smsr-store-{}-{name}", std::process::id())));
        t.clean();
        t
    }

    /// One sealed custody under a fresh master key for the whole test run.
    fn custody() -> Arc<dyn Custody> {
        static C: std::sync::OnceLock<Arc<dyn Custody>> = std::sync::OnceLock::new();
        C.get_or_init(|| {
            let key = crate::keys::master::MasterKey::generate().unwrap();
            Arc::new(crate::keys::sealed::Sealed::new(&key))
        })
        .clone()
    }

    fn eid(n: u32) -> Eid {
        Eid::with_check_digits(&format!("8904903200000000000000{n:08}")).unwrap()
    }

    fn secrets() -> Secrets {
        Secrets {
            scp80_kvn: 1,
            scp80_kic: vec![1; 16],
            scp80_kid: vec![2; 16],
            scp81_psk: vec![3; 16],
            scp81_kvn: 0x40,
            scp81_key_id: 1,
            msisdn: "491700000001".into(),
            scp80_algorithm: crate::keys::des3::Scp80Algorithm::Aes,
            scp03: None,
        }
    }

    #[test]
    fn register_get_update_and_wal() {
        let path = tmp("a");
        let s = SqliteStore::open(&path, false, custody()).unwrap();
        assert_eq!(s.journal_mode().unwrap(), "wal");
        let mut e = Eis::new(eid(1), "SMSR1");
        e.eum_signed_info.eum_id = "EUM1".into();
        let aid = Aid::isd_p(Tar::ISD_P_FIRST).unwrap();
        e.profiles.push(ProfileInfo::new(
            "8901000000000000001",
            aid,
            "MNO1",
            ProfileState::Enabled,
        ));
        assert!(s.register(&e, &secrets()).unwrap());
        assert!(!s.register(&e, &secrets()).unwrap(), "second time refused");
        assert_eq!(s.eis(&eid(1)).unwrap().unwrap(), e);
        assert_eq!(s.secrets(&eid(1)).unwrap().unwrap().scp81_psk, vec![3; 16]);
        assert_eq!(
            s.eid_by_msisdn("491700000001").unwrap(),
            Some(eid(1)),
            "route by MSISDN"
        );
        assert!(s.eis(&eid(2)).unwrap().is_none());
        let after = s
            .update_eis(&eid(1), &mut |eis| {
                eis.remaining_memory = 77;
                EisChange {
                    changed: true,
                    ..EisChange::default()
                }
            })
            .unwrap()
            .unwrap();
        assert_eq!(after.remaining_memory, 77);
        // Reopen: the change is on disk.
        drop(s);
        let s = SqliteStore::open(&path, false, custody()).unwrap();
        assert_eq!(s.eis(&eid(1)).unwrap().unwrap().remaining_memory, 77);
        let f = EidFilter {
            eum_id: Some("EUM1".into()),
            ..EidFilter::default()
        };
        assert_eq!(s.eids(&f).unwrap(), vec![eid(1)]);
        let f = EidFilter {
            eum_id: Some("other".into()),
            ..EidFilter::default()
        };
        assert!(s.eids(&f).unwrap().is_empty());
    }

    #[test]
    fn register_many_is_all_or_nothing() {
        let path = tmp("many");
        let s = SqliteStore::open(&path, false, custody()).unwrap();
        let rec = |n: u32| (Eis::new(eid(n), "SMSR1"), secrets());
        assert!(s.register(&rec(3).0, &secrets()).unwrap());
        // EID 3 is registered already: the chunk 1, 2, 3, 4 changes nothing.
        let chunk = vec![rec(1), rec(2), rec(3), rec(4)];
        assert_eq!(s.register_many(&chunk).unwrap(), Some(2));
        assert_eq!(s.count().unwrap(), 1);
        assert!(s.eis(&eid(1)).unwrap().is_none());
        // A repeated EID within the chunk: refused at its second place.
        let chunk = vec![rec(1), rec(2), rec(1)];
        assert_eq!(s.register_many(&chunk).unwrap(), Some(2));
        assert_eq!(s.count().unwrap(), 1);
        // A clean chunk: every record, secrets and counters as register's.
        let chunk = vec![rec(1), rec(2), rec(4)];
        assert_eq!(s.register_many(&chunk).unwrap(), None);
        assert_eq!(s.count().unwrap(), 4);
        assert_eq!(s.eis(&eid(4)).unwrap().unwrap(), rec(4).0);
        assert_eq!(s.secrets(&eid(2)).unwrap().unwrap(), secrets());
        assert_eq!(s.register_many(&[]).unwrap(), None);
    }

    /// An EIS whose ISD-R SCP80 key set declares counter 5: the first
    /// command packet delivery sends carries CNTR 6 (one counter mode of
    /// TS 102 225 §5.1.1: higher than the card's).
    #[test]
    fn registered_eis_counter_is_the_first_packets() {
        use smsr::delivery::{self, Delivery, Request, Transmit};
        use smsr::inventory::Function;
        use smsr::inventory::model::{KeySet, KeySetType};
        use smsr::scp80::Cntr;

        use crate::store::{EuiccCounters, EuiccEis};

        let path = tmp("cntr");
        let s = SqliteStore::open(&path, false, custody()).unwrap();
        let mut e = Eis::new(eid(1), "SMSR1");
        e.isd_r.key_sets.push(KeySet {
            version: secrets().scp80_kvn,
            key_set_type: Some(KeySetType::Scp80),
            counter: Some(5),
            keys: Vec::new(),
            certificates: Vec::new(),
        });
        assert!(s.register(&e, &secrets()).unwrap());
        let (kic, kid) = secrets().scp80_kic_kid();
        let cfg = delivery::Config {
            attempts: 1,
            backoff_ms: 1,
            attempt_timeout_ms: 1_000,
            kic,
            kid,
        };
        let counters = EuiccCounters::new(&s, eid(1));
        let mut core = Delivery::new(
            cfg,
            counters,
            EuiccEis {
                store: &s,
                eid: eid(1),
                cause: None,
            },
        );
        core.submit(Request {
            id: 1,
            function: Function::AuditEis { iccids: Vec::new() },
            requester: None,
            expires_at_ms: 60_000,
        });
        let Some(Transmit::Scp80 { cntr, tar, .. }) = core.poll_transmit(0).unwrap() else {
            panic!("an SCP80 packet");
        };
        assert_eq!(tar.0, Tar::ISD_R.0);
        assert_eq!(cntr, Cntr::from_u64(6).unwrap());
    }

    /// A load takes the next SCP80 counter value (committed before the
    /// packet is wrapped): two cores loading the same counter one after
    /// the other never get the same value, the core's store of the value
    /// it took writes nothing more, and a resynchronisation (PoR `02`)
    /// still raises the counter past the value the card refused.
    #[test]
    fn counter_load_takes_the_value_and_its_store_is_done() {
        use smsr::scp80::{Cntr, CounterKey, CounterStore, Kic, Kid, Tar};

        use crate::store::EuiccCounters;

        let path = tmp("take");
        let s = SqliteStore::open(&path, false, custody()).unwrap();
        assert!(s.register(&Eis::new(eid(1), "SMSR1"), &secrets()).unwrap());
        let (kic, kid): (Kic, Kid) = secrets().scp80_kic_kid();
        let key = CounterKey {
            tar: Tar(Tar::ISD_R.0),
            kic,
            kid,
        };
        let name = CounterName::Command(key);
        let (mut a, mut b) = (
            EuiccCounters::new(&s, eid(1)),
            EuiccCounters::new(&s, eid(1)),
        );
        let la = a.load(&key).unwrap();
        let lb = b.load(&key).unwrap();
        assert_eq!(la, Cntr::from_u64(0).unwrap());
        assert_eq!(lb, Cntr::from_u64(1).unwrap());
        a.store(&key, la.next().unwrap()).unwrap();
        b.store(&key, lb.next().unwrap()).unwrap();
        // Both values were taken by the loads; the stores wrote nothing.
        assert_eq!(s.counter(&eid(1), name).unwrap(), 2);
        // Resynchronisation: the card refused 9, the counter goes to 10.
        let raised = Cntr::from_u64(10).unwrap();
        assert!(a.load(&key).unwrap() < raised);
        a.store(&key, raised).unwrap();
        assert_eq!(s.counter(&eid(1), name).unwrap(), 10);
        assert_eq!(a.load(&key).unwrap(), raised);
    }

    const K: CounterName = CounterName::Mo(1);

    #[test]
    fn counters_survive_reopen_and_never_go_back() {
        let path = tmp("b");
        let s = SqliteStore::open(&path, false, custody()).unwrap();
        assert_eq!(s.next_counter(&eid(1), K).unwrap(), 1);
        assert_eq!(s.next_counter(&eid(1), K).unwrap(), 2);
        assert_eq!(s.next_counter(&eid(2), K).unwrap(), 1, "per eUICC");
        drop(s);
        let s = SqliteStore::open(&path, false, custody()).unwrap();
        assert_eq!(s.counter(&eid(1), K).unwrap(), 2);
        s.raise_counter(&eid(1), K, 1).unwrap();
        assert_eq!(s.next_counter(&eid(1), K).unwrap(), 3, "never lowered");
        s.raise_counter(&eid(1), K, 10).unwrap();
        assert_eq!(s.next_counter(&eid(1), K).unwrap(), 11);
    }

    #[test]
    fn queue_and_batches() {
        let s = SqliteStore::open(&tmp("c"), false, custody()).unwrap();
        let b = s.create_batch("MNO1", "EnableProfile", 1).unwrap();
        let ops: Vec<NewOp> = (1..=3)
            .map(|i| NewOp {
                eid: eid(i).to_string(),
                batch: Some(b),
                requester: "MNO1".into(),
                function: Function::EnableProfile {
                    iccid: format!("89{i}"),
                },
                expires_at_ms: now_ms() + 60_000,
            })
            .collect();
        let ids = s.enqueue(&ops).unwrap();
        assert_eq!(ids.len(), 3);
        let claim = |e| s.claim_next_op(&eid(e), "me", now_ms(), 60_000).unwrap();
        assert_eq!(claim(2).unwrap().id, ids[1]);
        s.mark_in_flight(ids[1]).unwrap();
        let o = s.op(ids[1]).unwrap().unwrap();
        assert_eq!((o.state, o.attempts), (OpState::InFlight, 1));
        s.reschedule(ids[1], 5, "no answer").unwrap();
        let o = s.op(ids[1]).unwrap().unwrap();
        assert_eq!(o.state, OpState::Queued);
        assert_eq!(o.last_error.as_deref(), Some("no answer"));
        s.settle(ids[0], &FunctionExecutionStatus::success())
            .unwrap();
        s.settle(ids[2], &FunctionExecutionStatus::expired("late"))
            .unwrap();
        // Settling twice changes nothing.
        s.settle(
            ids[2],
            &FunctionExecutionStatus::failed(codes::EXECUTION_ERROR, None, "x"),
        )
        .unwrap();
        let p = s.batch(b).unwrap().unwrap();
        assert_eq!(
            (
                p.total,
                p.pending,
                p.succeeded,
                p.expired,
                p.failed,
                p.refused
            ),
            (3, 1, 1, 1, 0, 1)
        );
        assert_eq!(s.eids_with_pending().unwrap(), vec![eid(2)]);
        assert!(claim(1).is_none());
    }
}
