//! The ONCs operators set (ES4A.SetONC, SGP.02 v4 §3.21,
//! [`smsr::inventory::onc`]), kept in their own table on both backends:
//! one row per (operator, profile type; `''` for all types), the
//! notifications it discards a JSON list of operation names. An ONC set
//! with no notification is removed (its row deleted).
//!
//! SQLite: [`SQLITE_SCHEMA`], applied at open. PostgreSQL: migration
//! `0007_onc_outbox_pruning.sql`.

use smsr::inventory::Onc;
use smsr::inventory::notify::NotificationKind;

use super::StoreError;
use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;

/// The SQLite table (created at open if missing).
pub const SQLITE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS onc (
    owner TEXT NOT NULL,
    profile_type TEXT NOT NULL DEFAULT '',
    discarded TEXT NOT NULL,
    PRIMARY KEY (owner, profile_type)
);
";

/// Where ONCs are kept.
pub trait Oncs: Send + Sync {
    /// ES4A.SetONC: stores `onc`, replacing the one of the same operator
    /// and profile type; with no notification, removes it.
    ///
    /// # Errors
    /// A database failure.
    fn set_onc(&self, onc: &Onc) -> Result<(), StoreError>;

    /// The ONCs of operator `owner`, in profile type order.
    ///
    /// # Errors
    /// A database failure or a corrupt row.
    fn oncs_of(&self, owner: &str) -> Result<Vec<Onc>, StoreError>;
}

fn stored_type(onc: &Onc) -> &str {
    onc.profile_type.as_deref().unwrap_or("")
}

fn discarded_json(onc: &Onc) -> Result<String, StoreError> {
    serde_json::to_string(&onc.discarded).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn onc_row(owner: String, profile_type: String, discarded: &str) -> Result<Onc, StoreError> {
    let discarded: Vec<NotificationKind> = serde_json::from_str(discarded)
        .map_err(|e| StoreError::Corrupt(format!("onc {owner}/{profile_type}: {e}")))?;
    Ok(Onc {
        owner,
        profile_type: (!profile_type.is_empty()).then_some(profile_type),
        discarded,
    })
}

const SELECT: &str = "SELECT owner, profile_type, discarded FROM onc WHERE owner = ";

impl Oncs for SqliteStore {
    fn set_onc(&self, onc: &Onc) -> Result<(), StoreError> {
        let conn = self.conn()?;
        let key = (&onc.owner, stored_type(onc));
        if onc.discarded.is_empty() {
            conn.execute(
                "DELETE FROM onc WHERE owner = ?1 AND profile_type = ?2",
                key,
            )?;
        } else {
            conn.execute(
                "INSERT INTO onc (owner, profile_type, discarded) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (owner, profile_type) DO UPDATE SET discarded = excluded.discarded",
                (key.0, key.1, discarded_json(onc)?),
            )?;
        }
        Ok(())
    }

    fn oncs_of(&self, owner: &str) -> Result<Vec<Onc>, StoreError> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(&format!("{SELECT}?1 ORDER BY profile_type"))?;
        let rows = st.query_map([owner], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (o, t, d) = row?;
            out.push(onc_row(o, t, &d)?);
        }
        Ok(out)
    }
}

impl Oncs for PostgresStore {
    fn set_onc(&self, onc: &Onc) -> Result<(), StoreError> {
        let ty = stored_type(onc);
        if onc.discarded.is_empty() {
            self.exec(
                "DELETE FROM onc WHERE owner = $1 AND profile_type = $2",
                &[&onc.owner, &ty],
            )?;
        } else {
            self.exec(
                "INSERT INTO onc (owner, profile_type, discarded) VALUES ($1, $2, $3) \
                 ON CONFLICT (owner, profile_type) DO UPDATE SET discarded = excluded.discarded",
                &[&onc.owner, &ty, &discarded_json(onc)?],
            )?;
        }
        Ok(())
    }

    fn oncs_of(&self, owner: &str) -> Result<Vec<Onc>, StoreError> {
        let rows = self.rows(&format!("{SELECT}$1 ORDER BY profile_type"), &[&owner])?;
        rows.iter()
            .map(|r| onc_row(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
            .collect()
    }
}
