//! [`Store`] on PostgreSQL (`tokio-postgres` behind a `deadpool-postgres`
//! pool), for several server instances sharing one inventory.
//!
//! The guarantees are SQL, not process state:
//!
//! * an SCP80 counter is handed out by one `INSERT … ON CONFLICT … DO
//!   UPDATE … RETURNING` statement, committed before it returns (so before
//!   the packet is wrapped): two instances never hand out the same value;
//! * [`Store::update_eis`] locks the EIS row (`SELECT … FOR UPDATE`), runs
//!   the closure and writes in one transaction: updates of one eUICC
//!   serialise, those of different eUICCs do not wait on each other;
//! * [`Store::claim_next_op`] takes the oldest unsettled operation of an
//!   eUICC with `FOR UPDATE SKIP LOCKED` and leases it (owner, expiry): an
//!   instance that dies stops renewing, and its operations go to another
//!   once the lease has expired;
//! * the audit trail is append-only: a trigger refuses `UPDATE`, `DELETE`
//!   and `TRUNCATE` on it (`migrations/0001_inventory.sql`).
//!
//! The [`Store`] trait is synchronous (the SCP81 PSK callback runs inside
//! OpenSSL and cannot await). The pool's connections run on a small tokio
//! runtime of the store's own; a call from a multi-thread runtime's worker
//! hands that worker's other tasks to another thread
//! (`tokio::task::block_in_place`) while it waits for the database, so the
//! server's runtime is never blocked unknowingly.
//!
//! Every statement is prepared once per connection (the pool's statement
//! cache, [`execute_cached`] / [`query_cached`]), not on each call: an
//! uncached statement costs a second round trip and a parse and plan in
//! the backend. The writes of one [`Store::update_eis`] after its lock
//! are sent together (pipelined on the connection) and each is one
//! statement however many rows it writes.
//!
//! The database down: a call waits at most the pool's timeouts
//! ([`PostgresStore::open`]) and fails with [`StoreError::Unavailable`]; the
//! next call connects again.

use std::future::Future;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use deadpool_postgres::GenericClient;
use deadpool_postgres::{Manager, ManagerConfig, Pool, PoolError, RecyclingMethod, Runtime};
use smsr::inventory::{AuditRecord, Eis};
use smsr::isdr::Eid;
use tokio::runtime::RuntimeFlavor;
use tokio_postgres::error::SqlState;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

use super::rows::uint;
use super::rows::{self, OP_COLUMNS, RawOp, corrupt, eis_json, status_word, to_json};
use super::{
    CUSTODY_CHECK_SQL, CounterName, EidFilter, EisChange, KeyImport, Secrets, Store, StoreError,
    check_custody, initial_counters,
};
use crate::keys::Custody;
use crate::keys::sealing::Sealing;
use crate::ops::{BatchProgress, Function, FunctionExecutionStatus, NewOp, OpRecord, now_ms};

/// The schema migrations, applied in order at start (each once, recorded in
/// `schema_version`).
pub const MIGRATIONS: &[(i32, &str, &str)] = &[
    (
        1,
        "inventory",
        include_str!("../migrations/0001_inventory.sql"),
    ),
    (
        2,
        "operations_by_function",
        include_str!("../migrations/0002_operations_by_function.sql"),
    ),
    (4, "outbox", include_str!("../migrations/0004_outbox.sql")),
    (
        5,
        "authorisations",
        include_str!("../migrations/0005_authorisations.sql"),
    ),
    (
        7,
        "onc_outbox_pruning",
        include_str!("../migrations/0007_onc_outbox_pruning.sql"),
    ),
];

/// Raises a counter to at least `$3` (creating it at `$3`).
const RAISE_COUNTER_SQL: &str = "INSERT INTO counters (eid, key, value) VALUES ($1, $2, $3) \
     ON CONFLICT (eid, key) DO UPDATE SET value = GREATEST(counters.value, excluded.value)";

/// The claim of [`Store::claim_next_op`]: the oldest unsettled operation
/// of eUICC `$1`, skipped while another claim holds its row; claimed for
/// `$2` until `$3 + $4` only if it is still the oldest and its lease is
/// free, expired or already `$2`'s.
static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE operations o SET lease_owner = $2, lease_until_ms = $3 + $4 \
         WHERE o.id = (SELECT id FROM operations WHERE eid = $1 AND state <> 'done' \
                       ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) \
         AND NOT EXISTS (SELECT 1 FROM operations p WHERE p.eid = $1 AND p.state <> 'done' \
                         AND p.id < o.id) \
         AND (o.lease_owner IS NULL OR o.lease_owner = $2 OR o.lease_until_ms < $3) \
         RETURNING {}",
        OP_COLUMNS
            .split(", ")
            .map(|c| format!("o.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
});

/// [`Store::mark_in_flight`]: an attempt of operation `$1` starts at `$2`.
const MARK_IN_FLIGHT_SQL: &str = "UPDATE operations SET state = 'in_flight', \
     attempts = attempts + 1, updated_ms = $2 WHERE id = $1 AND state <> 'done'";

/// The advisory lock key that serialises migrations of instances starting
/// together (any constant; this one spells "SMSR").
const MIGRATION_LOCK: i64 = 0x534D_5352;

/// How long a call waits for a connection (and to open one) before it
/// fails [`StoreError::Unavailable`].
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[path = "held_postgres.rs"]
mod held_postgres;
#[path = "hot_postgres.rs"]
mod hot_postgres;
#[path = "outbox_postgres.rs"]
pub mod outbox_postgres;

/// The PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    /// The runtime the connections run on (`Option` to shut it down
    /// without blocking when the store is dropped inside a runtime).
    rt: Option<tokio::runtime::Runtime>,
    /// Seals the secrets written, opens those read.
    custody: Arc<dyn Custody>,
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        let down = [
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
        ];
        if e.is_closed() || e.code().is_some_and(|c| down.contains(c)) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Db(Box::new(e))
        }
    }
}

/// No connection in time, or none could be opened (refused, timed out,
/// the server shutting down): the database is unreachable now.
impl From<PoolError> for StoreError {
    fn from(e: PoolError) -> Self {
        StoreError::Unavailable(e.to_string())
    }
}

fn int(v: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::Corrupt(format!("{what}: {v} out of range")))
}

/// Runs `sql` on `c`, prepared once per connection (the pool's statement
/// cache); rows changed.
///
/// # Errors
/// A database failure.
pub async fn execute_cached(
    c: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, StoreError> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.execute(&st, params).await?)
}

/// Runs `sql` on `c`, prepared once per connection (the pool's statement
/// cache); its rows.
///
/// # Errors
/// A database failure.
pub async fn query_cached(
    c: &impl GenericClient,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, StoreError> {
    let st = c.prepare_cached(sql).await?;
    Ok(c.query(&st, params).await?)
}

fn op_from_row(row: &Row) -> Result<OpRecord, StoreError> {
    RawOp {
        id: row.try_get(0)?,
        eid: row.try_get(1)?,
        batch: row.try_get(2)?,
        requester: row.try_get(3)?,
        function: row.try_get(4)?,
        state: row.try_get(5)?,
        attempts: i64::from(row.try_get::<_, i32>(6)?),
        not_before_ms: row.try_get(7)?,
        expires_at_ms: row.try_get(8)?,
        result: row.try_get(9)?,
        last_error: row.try_get(10)?,
    }
    .decode()
}

fn eids_from_rows(rows: &[Row]) -> Result<Vec<Eid>, StoreError> {
    rows.iter()
        .map(|r| r.try_get::<_, String>(0)?.parse::<Eid>().map_err(corrupt))
        .collect()
}

/// Appends `records` to `eid`'s audit trail, in order, in one statement
/// (none sent when there are none).
async fn insert_audit(
    c: &impl GenericClient,
    eid: &str,
    records: &[AuditRecord],
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    let json = records.iter().map(to_json).collect::<Result<Vec<_>, _>>()?;
    execute_cached(
        c,
        "INSERT INTO audit (eid, json) SELECT $1, j FROM unnest($2::text[]) \
         WITH ORDINALITY AS t(j, n) ORDER BY n",
        &[&eid, &json],
    )
    .await?;
    Ok(())
}

async fn settle_in(
    c: &impl GenericClient,
    id: i64,
    result: &FunctionExecutionStatus,
) -> Result<(), StoreError> {
    execute_cached(
        c,
        "UPDATE operations SET state = 'done', result = $2, status = $3, updated_ms = $4, \
         lease_owner = NULL, lease_until_ms = NULL WHERE id = $1 AND state <> 'done'",
        &[&id, &to_json(result)?, &status_word(result), &now_ms()],
    )
    .await?;
    Ok(())
}

/// RegisterEIS inside the caller's transaction `c` (one EIS, or many in
/// a bulk registration): the EIS, its secrets, its initial SCP80 counters
/// and its audit trail; `false` (nothing written) when the EID is already
/// registered.
///
/// # Errors
/// A database failure, or an EIS that does not serialize.
pub async fn register_in(
    c: &impl GenericClient,
    custody: &dyn Custody,
    eis: &Eis,
    secrets: &Secrets,
) -> Result<bool, StoreError> {
    let eid = eis.eid().to_string();
    let inserted = execute_cached(
        c,
        "INSERT INTO eis (eid, eum_id, platform_type, json) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (eid) DO NOTHING",
        &[
            &eid,
            &eis.eum_signed_info.eum_id,
            &eis.eum_signed_info.platform_type,
            &eis_json(eis)?,
        ],
    )
    .await?;
    if inserted == 0 {
        return Ok(false);
    }
    execute_cached(
        c,
        "INSERT INTO secrets (eid, msisdn, json) VALUES ($1, $2, $3)",
        &[&eid, &secrets.msisdn, &custody.seal(&eis.eid(), secrets)?],
    )
    .await?;
    for (name, value) in initial_counters(eis) {
        let value = int(value, &format!("counter {name:?}"))?;
        execute_cached(c, RAISE_COUNTER_SQL, &[&eid, &name.stored(), &value]).await?;
    }
    insert_audit(c, &eid, &eis.audit_trail).await?;
    Ok(true)
}

/// Applies, in order and in one transaction, each migration whose version
/// is not recorded (by version, not by the highest one: a migration merged
/// with a lower number than one already applied still runs).
async fn migrate(c: &mut deadpool_postgres::Client) -> Result<(), StoreError> {
    let tx = c.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, \
         name TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
    )
    .await?;
    let mut have = std::collections::BTreeSet::new();
    for row in tx.query("SELECT version FROM schema_version", &[]).await? {
        have.insert(row.try_get::<_, i32>(0)?);
    }
    for (version, name, sql) in MIGRATIONS {
        if have.contains(version) {
            continue;
        }
        tx.batch_execute(sql)
            .await
            .map_err(|e| StoreError::Db(format!("migration {version:04} {name}: {e}").into()))?;
        tx.execute(
            "INSERT INTO schema_version (version, name, applied_ms) VALUES ($1, $2, $3)",
            &[version, name, &now_ms()],
        )
        .await?;
        tracing::info!(version, name, "PostgreSQL migration applied");
    }
    tx.commit().await?;
    Ok(())
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`, or any
    /// `tokio-postgres` connection string) with a pool of up to `pool_size`
    /// connections, applies the migrations and checks that `custody`
    /// opens the first stored secrets.
    ///
    /// # Errors
    /// A malformed URL, the database unreachable, a migration failing, or
    /// [`StoreError::Custody`] (a wrong master key, clear secrets).
    pub fn open(
        url: &str,
        pool_size: usize,
        custody: Arc<dyn Custody>,
    ) -> Result<Self, StoreError> {
        let mut pg: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Db(format!("PostgreSQL URL: {e}").into()))?;
        pg.connect_timeout(CONNECT_TIMEOUT);
        pg.application_name("smsr-server");
        let manager = Manager::from_config(
            pg,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("smsr-postgres")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Db(Box::new(e)))?;
        let pool = {
            let _in_rt = rt.enter();
            Pool::builder(manager)
                .max_size(pool_size.max(1))
                .runtime(Runtime::Tokio1)
                .wait_timeout(Some(CONNECT_TIMEOUT))
                .create_timeout(Some(CONNECT_TIMEOUT))
                .recycle_timeout(Some(CONNECT_TIMEOUT))
                .build()
                .map_err(|e| StoreError::Db(Box::new(e)))?
        };
        let store = Self {
            pool,
            rt: Some(rt),
            custody,
        };
        let ends: Vec<(String, String)> = store.run(async {
            let mut c = store.pool.get().await?;
            migrate(&mut c).await?;
            c.query(CUSTODY_CHECK_SQL, &[])
                .await?
                .iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect()
        })?;
        check_custody(&*store.custody, &ends)?;
        Ok(store)
    }

    /// Runs `f` to completion on the store's runtime from synchronous code
    /// (see the module docs).
    fn run<T>(&self, f: impl Future<Output = Result<T, StoreError>>) -> Result<T, StoreError> {
        let Some(rt) = &self.rt else {
            return Err(StoreError::Unavailable("store closed".into()));
        };
        match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Err(_) => rt.block_on(f),
            Ok(RuntimeFlavor::MultiThread) => {
                tokio::task::block_in_place(|| rt.handle().block_on(f))
            }
            Ok(flavor) => Err(StoreError::Unavailable(format!(
                "the PostgreSQL store needs a multi-thread tokio runtime, not {flavor:?}"
            ))),
        }
    }

    /// [`Store::claim_next_op`] on a pooled connection, on the runtime
    /// that polls it.
    async fn claim_in_pool(
        &self,
        eid: &Eid,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<OpRecord>, StoreError> {
        // Committed only once the row decodes: a corrupt one stays unclaimed.
        let key = eid.to_string();
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let rows = query_cached(&tx, &CLAIM_SQL, &[&key, &owner, &now_ms, &lease_ms]).await?;
        let op = rows.first().map(op_from_row).transpose()?;
        tx.commit().await?;
        Ok(op)
    }

    /// Runs `sql` with `params` (one autocommit statement); rows changed.
    pub(super) fn exec(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        self.run(async {
            let c = self.pool.get().await?;
            execute_cached(&c, sql, params).await
        })
    }

    /// Runs `sql` with `params` (one autocommit statement); its rows.
    pub(super) fn rows(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        self.run(async {
            let c = self.pool.get().await?;
            query_cached(&c, sql, params).await
        })
    }

    /// The first column of the only row of `sql`, if any.
    fn one<T: for<'a> tokio_postgres::types::FromSql<'a>>(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<T>, StoreError> {
        match self.rows(sql, params)?.first() {
            Some(r) => Ok(Some(r.try_get(0)?)),
            None => Ok(None),
        }
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl KeyImport for PostgresStore {
    fn replace_secrets(&self, records: &[(Eid, Secrets)]) -> Result<Option<usize>, StoreError> {
        self.run(async {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            for (i, (eid, secrets)) in records.iter().enumerate() {
                let sealed = self.custody.seal(eid, secrets)?;
                let n = execute_cached(
                    &tx,
                    "UPDATE secrets SET msisdn = $2, json = $3 WHERE eid = $1",
                    &[&eid.to_string(), &secrets.msisdn, &sealed],
                )
                .await?;
                if n == 0 {
                    // Dropping the transaction rolls the whole call back.
                    return Ok(Some(i));
                }
            }
            tx.commit().await?;
            Ok(None)
        })
    }
}

impl Store for PostgresStore {
    fn register(&self, eis: &Eis, secrets: &Secrets) -> Result<bool, StoreError> {
        self.run(async {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            // What is sealed is discarded unless committed (keys/cleanup.rs).
            let sealing = Sealing::new(&*self.custody);
            let inserted = register_in(&tx, &sealing, eis, secrets).await?;
            tx.commit().await?;
            sealing.keep();
            Ok(inserted)
        })
    }

    fn register_many(&self, records: &[(Eis, Secrets)]) -> Result<Option<usize>, StoreError> {
        self.run(async {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            let sealing = Sealing::new(&*self.custody);
            let refused = super::postgres_bulk::register_many(&tx, &sealing, records).await?;
            if refused.is_none() {
                tx.commit().await?;
                sealing.keep();
            }
            // Otherwise dropping the transaction rolls the whole call back.
            Ok(refused)
        })
    }

    fn eis(&self, eid: &Eid) -> Result<Option<Eis>, StoreError> {
        let json: Option<String> =
            self.one("SELECT json FROM eis WHERE eid = $1", &[&eid.to_string()])?;
        json.map(|j| rows::eis_from_json(&j)).transpose()
    }

    fn secrets(&self, eid: &Eid) -> Result<Option<Secrets>, StoreError> {
        let record: Option<String> = self.one(
            "SELECT json FROM secrets WHERE eid = $1",
            &[&eid.to_string()],
        )?;
        Ok(record.map(|r| self.custody.open(eid, &r)).transpose()?)
    }

    fn eid_by_msisdn(&self, msisdn: &str) -> Result<Option<Eid>, StoreError> {
        let eid: Option<String> = self.one(
            "SELECT eid FROM secrets WHERE msisdn = $1 ORDER BY eid LIMIT 1",
            &[&msisdn],
        )?;
        eid.map(|e| e.parse::<Eid>().map_err(corrupt)).transpose()
    }

    fn update_eis(
        &self,
        eid: &Eid,
        f: &mut dyn FnMut(&mut Eis) -> EisChange,
    ) -> Result<Option<Eis>, StoreError> {
        let key = eid.to_string();
        self.run(async {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            let locked = query_cached(
                &tx,
                "SELECT json FROM eis WHERE eid = $1 FOR UPDATE",
                &[&key],
            )
            .await?;
            let Some(row) = locked.first() else {
                return Ok(None);
            };
            let mut eis = rows::eis_from_json(&row.try_get::<_, String>(0)?)?;
            let change = f(&mut eis);
            let json = if change.changed {
                Some(eis_json(&eis)?)
            } else {
                None
            };
            // Independent writes under the lock: sent together.
            tokio::try_join!(
                async {
                    if let Some(json) = &json {
                        let sql = "UPDATE eis SET json = $2 WHERE eid = $1";
                        execute_cached(&tx, sql, &[&key, json]).await?;
                    }
                    Ok::<_, StoreError>(())
                },
                insert_audit(&tx, &key, &change.audit),
                async {
                    if let Some((id, result)) = &change.settle {
                        settle_in(&tx, *id, result).await?;
                    }
                    Ok::<_, StoreError>(())
                },
                outbox_postgres::insert(&tx, &change.outbox, None),
            )?;
            tx.commit().await?;
            Ok(Some(eis))
        })
    }

    fn eids(&self, filter: &EidFilter) -> Result<Vec<Eid>, StoreError> {
        let rows = self.rows(
            "SELECT eid FROM eis WHERE ($1::text IS NULL OR left(eid, length($1)) = $1) \
             AND ($2::text IS NULL OR eum_id = $2) AND ($3::text IS NULL OR platform_type = $3) \
             ORDER BY eid",
            &[&filter.eid_prefix, &filter.eum_id, &filter.platform_type],
        )?;
        eids_from_rows(&rows)
    }

    fn count(&self) -> Result<u64, StoreError> {
        let n: Option<i64> = self.one("SELECT count(*) FROM eis", &[])?;
        let n = n.ok_or_else(|| StoreError::Corrupt("count: no row".into()))?;
        uint(n, "count")
    }

    fn next_counter(&self, eid: &Eid, name: CounterName) -> Result<u64, StoreError> {
        // One autocommit statement: committed (durable) before it returns.
        let v: Option<i64> = self.one(
            "INSERT INTO counters (eid, key, value) VALUES ($1, $2, 1) \
             ON CONFLICT (eid, key) DO UPDATE SET value = counters.value + 1 RETURNING value",
            &[&eid.to_string(), &name.stored()],
        )?;
        let v = v.ok_or_else(|| StoreError::Corrupt(format!("counter {name:?}: no value")))?;
        uint(v, "counter")
    }

    fn counter(&self, eid: &Eid, name: CounterName) -> Result<u64, StoreError> {
        let v: Option<i64> = self.one(
            "SELECT value FROM counters WHERE eid = $1 AND key = $2",
            &[&eid.to_string(), &name.stored()],
        )?;
        v.map_or(Ok(0), |v| uint(v, "counter"))
    }

    fn raise_counter(&self, eid: &Eid, name: CounterName, value: u64) -> Result<(), StoreError> {
        self.exec(
            RAISE_COUNTER_SQL,
            &[&eid.to_string(), &name.stored(), &int(value, "counter")?],
        )?;
        Ok(())
    }

    fn create_batch(
        &self,
        requester: &str,
        function: &str,
        refused: u64,
    ) -> Result<i64, StoreError> {
        let id: Option<i64> = self.one(
            "INSERT INTO batches (requester, function, refused, created_ms) \
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&requester, &function, &int(refused, "refused")?, &now_ms()],
        )?;
        id.ok_or_else(|| StoreError::Corrupt("batch: no id".into()))
    }

    fn enqueue(&self, ops: &[NewOp]) -> Result<Vec<i64>, StoreError> {
        let functions = ops
            .iter()
            .map(|op| to_json(&op.function))
            .collect::<Result<Vec<_>, _>>()?;
        self.run(async {
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            let st = tx
                .prepare_cached(
                    "INSERT INTO operations (eid, batch, requester, function, state, \
                     not_before_ms, expires_at_ms, created_ms, updated_ms) \
                     VALUES ($1, $2, $3, $4, 'queued', $5, $6, $5, $5) RETURNING id",
                )
                .await?;
            let now = now_ms();
            let mut ids = Vec::with_capacity(ops.len());
            for (op, function) in ops.iter().zip(&functions) {
                let row = tx
                    .query_one(
                        &st,
                        &[
                            &op.eid,
                            &op.batch,
                            &op.requester,
                            function,
                            &now,
                            &op.expires_at_ms,
                        ],
                    )
                    .await?;
                ids.push(row.try_get(0)?);
            }
            tx.commit().await?;
            Ok(ids)
        })
    }

    fn op(&self, id: i64) -> Result<Option<OpRecord>, StoreError> {
        let sql = format!("SELECT {OP_COLUMNS} FROM operations WHERE id = $1");
        self.rows(&sql, &[&id])?
            .first()
            .map(op_from_row)
            .transpose()
    }

    fn pending_functions(&self, eid: &Eid) -> Result<Vec<Function>, StoreError> {
        let rows = self.rows(
            "SELECT function FROM operations WHERE eid = $1 AND state <> 'done' ORDER BY id",
            &[&eid.to_string()],
        )?;
        rows.iter()
            .map(|r| rows::function_from_json(&r.try_get::<_, String>(0)?))
            .collect()
    }

    fn latest_op_of(&self, eid: &Eid, function: &Function) -> Result<Option<OpRecord>, StoreError> {
        let sql = format!(
            "SELECT {OP_COLUMNS} FROM operations WHERE eid = $1 AND function = $2 \
             ORDER BY id DESC LIMIT 1"
        );
        self.rows(&sql, &[&eid.to_string(), &to_json(function)?])?
            .first()
            .map(op_from_row)
            .transpose()
    }

    fn claim_next_op(
        &self,
        eid: &Eid,
        owner: &str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Result<Option<OpRecord>, StoreError> {
        self.run(self.claim_in_pool(eid, owner, now_ms, lease_ms))
    }

    fn eids_with_pending(&self) -> Result<Vec<Eid>, StoreError> {
        let rows = self.rows(
            "SELECT DISTINCT eid FROM operations WHERE state <> 'done' ORDER BY eid",
            &[],
        )?;
        eids_from_rows(&rows)
    }

    fn claimable_eids(&self, now_ms: i64) -> Result<Vec<Eid>, StoreError> {
        let rows = self.rows(
            "SELECT eid FROM operations WHERE state <> 'done' GROUP BY eid \
             HAVING max(CASE WHEN lease_owner IS NOT NULL AND lease_until_ms >= $1 \
             THEN 1 ELSE 0 END) = 0 ORDER BY eid",
            &[&now_ms],
        )?;
        eids_from_rows(&rows)
    }

    fn mark_in_flight(&self, id: i64) -> Result<(), StoreError> {
        self.exec(MARK_IN_FLIGHT_SQL, &[&id, &now_ms()])?;
        Ok(())
    }

    fn reschedule(&self, id: i64, not_before_ms: i64, error: &str) -> Result<(), StoreError> {
        self.exec(
            "UPDATE operations SET state = 'queued', not_before_ms = $2, last_error = $3, \
             updated_ms = $4 WHERE id = $1 AND state <> 'done'",
            &[&id, &not_before_ms, &error, &now_ms()],
        )?;
        Ok(())
    }

    fn reschedule_in_flight(
        &self,
        id: i64,
        not_before_ms: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.exec(
            "UPDATE operations SET state = 'in_flight', not_before_ms = $2, last_error = $3, \
             updated_ms = $4 WHERE id = $1 AND state <> 'done'",
            &[&id, &not_before_ms, &error, &now_ms()],
        )?;
        Ok(())
    }

    fn settle(&self, id: i64, result: &FunctionExecutionStatus) -> Result<(), StoreError> {
        self.run(async {
            let c = self.pool.get().await?;
            settle_in(&c, id, result).await
        })
    }

    fn batch(&self, id: i64) -> Result<Option<BatchProgress>, StoreError> {
        let head = self.rows(
            "SELECT requester, function, refused FROM batches WHERE id = $1",
            &[&id],
        )?;
        let Some(head) = head.first() else {
            return Ok(None);
        };
        let head = rows::BatchHead {
            requester: head.try_get(0)?,
            function: head.try_get(1)?,
            refused: head.try_get(2)?,
        };
        let counts = self.rows(
            "SELECT coalesce(status, 'pending'), count(*) FROM operations WHERE batch = $1 \
             GROUP BY 1",
            &[&id],
        )?;
        let counts = counts
            .iter()
            .map(|r| Ok((r.try_get::<_, String>(0)?, r.try_get::<_, i64>(1)?)));
        rows::tally(id, head, counts).map(Some)
    }

    fn audit_trail(&self, eid: &Eid, limit: u32) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = self.rows(
            "SELECT json FROM (SELECT seq, json FROM audit WHERE eid = $1 \
             ORDER BY seq DESC LIMIT $2) t ORDER BY seq",
            &[&eid.to_string(), &i64::from(limit)],
        )?;
        rows.iter()
            .map(|r| serde_json::from_str(&r.try_get::<_, String>(0)?).map_err(corrupt))
            .collect()
    }
}
