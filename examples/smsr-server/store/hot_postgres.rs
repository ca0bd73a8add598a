//! [`HotPath`] on PostgreSQL: the pooled client awaited on the caller's
//! runtime (no hand-off to the store's runtime thread).

use smsr::isdr::Eid;

use super::{MARK_IN_FLIGHT_SQL, PostgresStore, execute_cached, query_cached};
use crate::keys::vault::EuiccKeys;
use crate::ops::{OpRecord, now_ms};
use crate::store::held::RECORD_SQL;
use crate::store::hot::{Call, HotPath};

impl HotPath for PostgresStore {
    fn claim_next_op<'a>(
        &'a self,
        eid: &'a Eid,
        owner: &'a str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Call<'a, Option<OpRecord>> {
        Box::pin(self.claim_in_pool(eid, owner, now_ms, lease_ms))
    }

    fn mark_in_flight(&self, id: i64) -> Call<'_, ()> {
        Box::pin(async move {
            let c = self.pool.get().await?;
            execute_cached(&c, MARK_IN_FLIGHT_SQL, &[&id, &now_ms()]).await?;
            Ok(())
        })
    }

    fn keys<'a>(&'a self, eid: &'a Eid) -> Call<'a, Option<EuiccKeys>> {
        Box::pin(async move {
            let rows = {
                let c = self.pool.get().await?;
                query_cached(&c, &format!("{RECORD_SQL}$1"), &[&eid.to_string()]).await?
            };
            let record: Option<String> = rows.first().map(|r| r.try_get(0)).transpose()?;
            Ok(record.map(|r| self.custody.keys(eid, &r)).transpose()?)
        })
    }
}
