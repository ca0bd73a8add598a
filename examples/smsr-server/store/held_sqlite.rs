//! [`HeldKeys`] on SQLite.

use rusqlite::OptionalExtension;
use smsr::isdr::Eid;

use super::SqliteStore;
use crate::keys::vault::EuiccKeys;
use crate::store::StoreError;
use crate::store::held::{HeldKeys, RECORD_SQL, RECORDS_SQL};

impl HeldKeys for SqliteStore {
    fn keys(&self, eid: &Eid) -> Result<Option<EuiccKeys>, StoreError> {
        let record: Option<String> = self
            .conn()?
            .prepare_cached(&format!("{RECORD_SQL}?1"))?
            .query_row([eid.to_string()], |r| r.get(0))
            .optional()?;
        Ok(record.map(|r| self.custody.keys(eid, &r)).transpose()?)
    }

    fn records(&self) -> Result<Vec<(String, String)>, StoreError> {
        let conn = self.conn()?;
        let mut st = conn.prepare_cached(RECORDS_SQL)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
