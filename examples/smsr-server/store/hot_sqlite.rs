//! [`HotPath`] on SQLite: the synchronous call, run when polled (the
//! database is a file in this process).

use smsr::isdr::Eid;

use super::SqliteStore;
use crate::keys::vault::EuiccKeys;
use crate::ops::OpRecord;
use crate::store::Store;
use crate::store::held::HeldKeys;
use crate::store::hot::{Call, HotPath};

impl HotPath for SqliteStore {
    fn claim_next_op<'a>(
        &'a self,
        eid: &'a Eid,
        owner: &'a str,
        now_ms: i64,
        lease_ms: i64,
    ) -> Call<'a, Option<OpRecord>> {
        Box::pin(async move { Store::claim_next_op(self, eid, owner, now_ms, lease_ms) })
    }

    fn mark_in_flight(&self, id: i64) -> Call<'_, ()> {
        Box::pin(async move { Store::mark_in_flight(self, id) })
    }

    fn keys<'a>(&'a self, eid: &'a Eid) -> Call<'a, Option<EuiccKeys>> {
        Box::pin(async move { HeldKeys::keys(self, eid) })
    }
}
