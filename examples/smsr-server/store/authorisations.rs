//! The PLMAs operators granted (ES4.SetPLMA, SGP.02 v4 ES4A), kept in
//! their own table on both backends: one row per (operator, party
//! authorised, profile type), its functions a JSON list. A PLMA set with
//! no function is revoked (its row deleted).
//!
//! SQLite: [`SQLITE_SCHEMA`], applied at open. PostgreSQL: migration
//! `0005_authorisations.sql`.

use smsr::inventory::{AuthorisedFunction, Plma};

use super::StoreError;
use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;

/// The SQLite table (created at open if missing).
pub const SQLITE_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS plma (
    owner TEXT NOT NULL,
    grantee TEXT NOT NULL,
    profile_type TEXT NOT NULL DEFAULT '',
    functions TEXT NOT NULL,
    PRIMARY KEY (owner, grantee, profile_type)
);
CREATE INDEX IF NOT EXISTS plma_grantee ON plma(grantee);
";

/// Where PLMAs are kept.
pub trait Authorisations: Send + Sync {
    /// ES4.SetPLMA: stores `plma`, replacing the one of the same operator,
    /// party and profile type; with no function, removes it.
    ///
    /// # Errors
    /// A database failure.
    fn set_plma(&self, plma: &Plma) -> Result<(), StoreError>;

    /// The PLMAs granted to `grantee`, in (operator, profile type) order.
    ///
    /// # Errors
    /// A database failure or a corrupt row.
    fn plmas_granted_to(&self, grantee: &str) -> Result<Vec<Plma>, StoreError>;

    /// The PLMAs `owner` granted, in (party, profile type) order.
    ///
    /// # Errors
    /// A database failure or a corrupt row.
    fn plmas_granted_by(&self, owner: &str) -> Result<Vec<Plma>, StoreError>;
}

/// The stored profile type: `''` for all types.
fn stored_type(plma: &Plma) -> &str {
    plma.profile_type.as_deref().unwrap_or("")
}

fn functions_json(plma: &Plma) -> Result<String, StoreError> {
    serde_json::to_string(&plma.functions).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// One stored row back as a PLMA.
fn plma_row(
    owner: String,
    grantee: String,
    profile_type: String,
    functions: &str,
) -> Result<Plma, StoreError> {
    let functions: Vec<AuthorisedFunction> = serde_json::from_str(functions)
        .map_err(|e| StoreError::Corrupt(format!("plma {owner}/{grantee}: {e}")))?;
    Ok(Plma {
        owner,
        grantee,
        profile_type: (!profile_type.is_empty()).then_some(profile_type),
        functions,
    })
}

const SELECT: &str = "SELECT owner, grantee, profile_type, functions FROM plma";

impl SqliteStore {
    fn plmas_where(&self, column: &str, id: &str) -> Result<Vec<Plma>, StoreError> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(&format!(
            "{SELECT} WHERE {column} = ?1 ORDER BY owner, grantee, profile_type"
        ))?;
        let rows = st.query_map([id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (o, g, t, f) = row?;
            out.push(plma_row(o, g, t, &f)?);
        }
        Ok(out)
    }
}

impl Authorisations for SqliteStore {
    fn set_plma(&self, plma: &Plma) -> Result<(), StoreError> {
        let conn = self.conn()?;
        let key = (&plma.owner, &plma.grantee, stored_type(plma));
        if plma.functions.is_empty() {
            conn.execute(
                "DELETE FROM plma WHERE owner = ?1 AND grantee = ?2 AND profile_type = ?3",
                key,
            )?;
        } else {
            conn.execute(
                "INSERT INTO plma (owner, grantee, profile_type, functions) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (owner, grantee, profile_type) DO UPDATE SET functions = excluded.functions",
                (key.0, key.1, key.2, functions_json(plma)?),
            )?;
        }
        Ok(())
    }

    fn plmas_granted_to(&self, grantee: &str) -> Result<Vec<Plma>, StoreError> {
        self.plmas_where("grantee", grantee)
    }

    fn plmas_granted_by(&self, owner: &str) -> Result<Vec<Plma>, StoreError> {
        self.plmas_where("owner", owner)
    }
}

impl PostgresStore {
    fn plmas_where(&self, column: &str, id: &str) -> Result<Vec<Plma>, StoreError> {
        let rows = self.rows(
            &format!("{SELECT} WHERE {column} = $1 ORDER BY owner, grantee, profile_type"),
            &[&id],
        )?;
        rows.iter()
            .map(|r| plma_row(r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?))
            .collect()
    }
}

impl Authorisations for PostgresStore {
    fn set_plma(&self, plma: &Plma) -> Result<(), StoreError> {
        let ty = stored_type(plma);
        if plma.functions.is_empty() {
            self.exec(
                "DELETE FROM plma WHERE owner = $1 AND grantee = $2 AND profile_type = $3",
                &[&plma.owner, &plma.grantee, &ty],
            )?;
        } else {
            self.exec(
                "INSERT INTO plma (owner, grantee, profile_type, functions) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (owner, grantee, profile_type) DO UPDATE SET functions = excluded.functions",
                &[&plma.owner, &plma.grantee, &ty, &functions_json(plma)?],
            )?;
        }
        Ok(())
    }

    fn plmas_granted_to(&self, grantee: &str) -> Result<Vec<Plma>, StoreError> {
        self.plmas_where("grantee", grantee)
    }

    fn plmas_granted_by(&self, owner: &str) -> Result<Vec<Plma>, StoreError> {
        self.plmas_where("owner", owner)
    }
}
