//! [`HeldKeys`] on PostgreSQL.

use smsr::isdr::Eid;

use super::PostgresStore;
use crate::keys::vault::EuiccKeys;
use crate::store::StoreError;
use crate::store::held::{HeldKeys, RECORD_SQL};

impl HeldKeys for PostgresStore {
    fn keys(&self, eid: &Eid) -> Result<Option<EuiccKeys>, StoreError> {
        let record: Option<String> = self.one(&format!("{RECORD_SQL}$1"), &[&eid.to_string()])?;
        Ok(record.map(|r| self.custody.keys(eid, &r)).transpose()?)
    }
}
