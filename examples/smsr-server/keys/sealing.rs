//! Undoing the seals of a store transaction that does not commit (the
//! database refusing, a bulk registration rolled back): the stores seal
//! through a [`Sealing`] and call [`Sealing::keep`] after the commit;
//! dropped without it, every record it sealed is discarded
//! ([`Custody::discard`]: on PKCS#11 the token objects the record names are
//! destroyed, by label and the seal's own random `CKA_ID`, so the objects
//! of another registration are never touched). What cannot be destroyed
//! is logged and left to `smsr-server hsm-gc` (keys/cleanup.rs).

use std::sync::Mutex;

use smsr::isdr::Eid;

use super::vault::EuiccKeys;
use super::{Custody, CustodyError};
use crate::store::Secrets;

/// A custody that remembers what it sealed, and discards it when dropped
/// before [`Sealing::keep`].
pub struct Sealing<'a> {
    custody: &'a dyn Custody,
    sealed: Mutex<Vec<(Eid, String)>>,
}

impl<'a> Sealing<'a> {
    /// Seals through `custody`.
    pub fn new(custody: &'a dyn Custody) -> Self {
        Self {
            custody,
            sealed: Mutex::new(Vec::new()),
        }
    }

    /// The store kept what was sealed (its transaction committed).
    pub fn keep(self) {
        if let Ok(mut s) = self.sealed.lock() {
            s.clear();
        }
    }
}

impl Drop for Sealing<'_> {
    fn drop(&mut self) {
        let sealed = match self.sealed.get_mut() {
            Ok(s) => core::mem::take(s),
            Err(p) => core::mem::take(p.into_inner()),
        };
        for (eid, record) in sealed {
            self.custody.discard(&eid, &record);
        }
    }
}

impl Custody for Sealing<'_> {
    fn seal(&self, eid: &Eid, secrets: &Secrets) -> Result<String, CustodyError> {
        let record = self.custody.seal(eid, secrets)?;
        match self.sealed.lock() {
            Ok(mut s) => s.push((*eid, record.clone())),
            Err(_) => {
                // Not remembered, so not kept: undone at once.
                self.custody.discard(eid, &record);
                return Err(CustodyError::Hsm {
                    eid: eid.to_string(),
                    why: "seal log lock poisoned".into(),
                });
            }
        }
        Ok(record)
    }

    fn open(&self, eid: &Eid, record: &str) -> Result<Secrets, CustodyError> {
        self.custody.open(eid, record)
    }

    fn keys(&self, eid: &Eid, record: &str) -> Result<EuiccKeys, CustodyError> {
        self.custody.keys(eid, record)
    }

    fn check(&self, eid: &Eid, record: &str) -> Result<(), CustodyError> {
        self.custody.check(eid, record)
    }

    fn discard(&self, eid: &Eid, record: &str) {
        self.custody.discard(eid, record);
    }
}
