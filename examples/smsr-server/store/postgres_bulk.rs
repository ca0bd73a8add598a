//! Bulk ES1.RegisterEIS on PostgreSQL ([`super::Store::register_many`]
//! for `smsr-server import`): one statement per table per chunk, the
//! chunk's columns sent as arrays and spread into rows by `UNNEST`,
//! instead of several statements (each a prepare and an execute round
//! trip) per record. The same rows and guarantees as one
//! [`super::postgres::register_in`] per record: all or nothing (the
//! caller's transaction), an EID already registered refuses the chunk and
//! is named by its index.

use std::collections::{BTreeMap, HashSet};

use deadpool_postgres::GenericClient;
use smsr::inventory::Eis;

use super::rows::{eis_json, to_json};
use super::{Secrets, StoreError, initial_counters};
use crate::keys::Custody;

/// Column arrays of a chunk: one `Vec` per column, one entry per row.
#[derive(Default)]
struct Columns {
    eid: Vec<String>,
    eum_id: Vec<String>,
    platform: Vec<String>,
    eis: Vec<String>,
    msisdn: Vec<String>,
    secrets: Vec<String>,
    counter_eid: Vec<String>,
    counter_key: Vec<String>,
    counter_value: Vec<i64>,
    audit_eid: Vec<String>,
    audit: Vec<String>,
}

fn columns(custody: &dyn Custody, records: &[(Eis, Secrets)]) -> Result<Columns, StoreError> {
    let mut c = Columns::default();
    // One row per (eid, key), the highest value (as GREATEST would keep):
    // one statement cannot update a row twice.
    let mut counters = BTreeMap::new();
    for (eis, secrets) in records {
        let eid = eis.eid().to_string();
        c.eum_id.push(eis.eum_signed_info.eum_id.clone());
        c.platform.push(eis.eum_signed_info.platform_type.clone());
        c.eis.push(eis_json(eis)?);
        c.msisdn.push(secrets.msisdn.clone());
        c.secrets.push(custody.seal(&eis.eid(), secrets)?);
        for (name, value) in initial_counters(eis) {
            let v = i64::try_from(value).map_err(|_| {
                StoreError::Corrupt(format!("counter {name:?}: {value} out of range"))
            })?;
            let slot = counters.entry((eid.clone(), name.stored())).or_insert(v);
            *slot = (*slot).max(v);
        }
        for r in &eis.audit_trail {
            c.audit_eid.push(eid.clone());
            c.audit.push(to_json(r)?);
        }
        c.eid.push(eid);
    }
    for ((eid, key), v) in counters {
        c.counter_eid.push(eid);
        c.counter_key.push(key);
        c.counter_value.push(v);
    }
    Ok(c)
}

/// Registers `records` inside the caller's transaction `tx`, their
/// secrets sealed by `custody`: `None`, or
/// the index of the first record whose EID is registered already (the
/// caller then drops `tx`: nothing is kept).
///
/// # Errors
/// A database failure.
pub async fn register_many(
    tx: &impl GenericClient,
    custody: &dyn Custody,
    records: &[(Eis, Secrets)],
) -> Result<Option<usize>, StoreError> {
    let c = columns(custody, records)?;
    let inserted = tx
        .query(
            "INSERT INTO eis (eid, eum_id, platform_type, json) \
             SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) \
             ON CONFLICT (eid) DO NOTHING RETURNING eid",
            &[&c.eid, &c.eum_id, &c.platform, &c.eis],
        )
        .await?;
    if inserted.len() != c.eid.len() {
        let new: HashSet<String> = inserted
            .iter()
            .map(|r| r.try_get::<_, String>(0))
            .collect::<Result<_, _>>()?;
        // Fewer inserted than sent: the first EID not inserted was there
        // already, or the first repeated within the chunk is its repeat.
        let mut seen = HashSet::new();
        let first = c
            .eid
            .iter()
            .position(|e| !new.contains(e) || !seen.insert(e.as_str()));
        return first.map(Some).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "{} of {} EIS inserted, yet every EID new and distinct",
                inserted.len(),
                c.eid.len()
            ))
        });
    }
    tx.execute(
        "INSERT INTO secrets (eid, msisdn, json) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])",
        &[&c.eid, &c.msisdn, &c.secrets],
    )
    .await?;
    tx.execute(
        "INSERT INTO counters (eid, key, value) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[]) \
         ON CONFLICT (eid, key) DO UPDATE SET value = GREATEST(counters.value, excluded.value)",
        &[&c.counter_eid, &c.counter_key, &c.counter_value],
    )
    .await?;
    if !c.audit.is_empty() {
        tx.execute(
            "INSERT INTO audit (eid, json) SELECT a.eid, a.json \
             FROM UNNEST($1::text[], $2::text[]) WITH ORDINALITY AS a(eid, json, n) ORDER BY a.n",
            &[&c.audit_eid, &c.audit],
        )
        .await?;
    }
    Ok(None)
}
