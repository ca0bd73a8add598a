//! [`HeldKeys`] on PostgreSQL.

use smsr::isdr::Eid;

use super::PostgresStore;
use crate::keys::vault::EuiccKeys;
use crate::store::StoreError;
use crate::store::held::{HeldKeys, RECORD_SQL, RECORDS_SQL};

impl HeldKeys for PostgresStore {
    fn keys(&self, eid: &Eid) -> Result<Option<EuiccKeys>, StoreError> {
        let record: Option<String> = self.one(&format!("{RECORD_SQL}$1"), &[&eid.to_string()])?;
        Ok(record.map(|r| self.custody.keys(eid, &r)).transpose()?)
    }

    fn records(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.rows(RECORDS_SQL, &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect()
    }
}
