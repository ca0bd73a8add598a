//! The keys of one eUICC as OTA and the SCP81 listener use them
//! ([`EuiccKeys`]): the store reads the record it keeps in `secrets` and
//! its [`crate::keys::Custody`] makes the keys of it (in memory for the
//! sealed custody, token handles for the PKCS#11 custody). Its own trait,
//! beside [`super::Store`], which the SQLite and PostgreSQL stores both
//! implement.

use smsr::isdr::Eid;

use super::StoreError;
use crate::keys::vault::EuiccKeys;

/// The SQL reading one eUICC's record.
pub const RECORD_SQL: &str = "SELECT json FROM secrets WHERE eid = ";

/// Reads an eUICC's keys.
pub trait HeldKeys: Send + Sync {
    /// The keys of `eid`, `None` when it is not registered.
    ///
    /// # Errors
    /// A database failure; the custody refuses the record.
    fn keys(&self, eid: &Eid) -> Result<Option<EuiccKeys>, StoreError>;

    /// Every `(EID, record)` of the `secrets` table, in EID order (what
    /// `smsr-server hsm-gc` checks the token against).
    ///
    /// # Errors
    /// A database failure.
    fn records(&self) -> Result<Vec<(String, String)>, StoreError>;
}

/// The SQL reading every record.
pub const RECORDS_SQL: &str = "SELECT eid, json FROM secrets ORDER BY eid";
