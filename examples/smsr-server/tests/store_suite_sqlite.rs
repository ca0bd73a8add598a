//! The store suite (tests/store_support) on the SQLite store, each test
//! on a fresh database file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs,
    dead_code
)]

/// The custody seam and the sealed backend (keys/), without the commands.
#[path = "../keys"]
mod keys {
    mod backend;
    pub mod des3;
    pub mod guard;
    pub mod master;
    pub mod scp03_import;
    pub mod sealed;
    pub mod sealing;
    pub mod vault;
    pub use backend::{Custody, CustodyError};
}
#[path = "../hsm.rs"]
mod hsm;
#[path = "../ops.rs"]
mod ops;
#[path = "../store/mod.rs"]
mod store;
mod store_support;

#[path = "store_support/ota.rs"]
mod ota;

use std::sync::Arc;

use store::sqlite::SqliteStore;
use store_support::Backend;

/// A fresh database file for test `name` (removed first; left for
/// inspection in the temporary directory).
fn fresh(name: &str) -> Backend {
    let path = std::env::temp_dir().join(format!("smsr-suite-{}-{name}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    let store = Arc::new(SqliteStore::open(&path, false, store_support::custody()).expect("open"));
    let raw = rusqlite::Connection::open(&path).expect("raw connection");
    raw.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy timeout");
    let raw = std::sync::Mutex::new(raw);
    Backend {
        outbox: store.clone(),
        store,
        sql: Box::new(move |sql| {
            let c = raw.lock().map_err(|e| e.to_string())?;
            c.execute(sql, [])
                .map(|n| n as u64)
                .map_err(|e| e.to_string())
        }),
        parallel_writers: false,
    }
}

store_suite!(fresh);
outbox_suite!(fresh);

/// A fresh database file for an authorisations test `name`.
fn fresh_authorisations(name: &str) -> Arc<dyn store::authorisations::Authorisations> {
    let path = std::env::temp_dir().join(format!("smsr-plma-{}-{name}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    Arc::new(SqliteStore::open(&path, false, store_support::custody()).expect("open"))
}

authorisations_suite!(fresh_authorisations);

/// A fresh database file for an ONC test `name`.
fn fresh_oncs(name: &str) -> Arc<dyn store::onc::Oncs> {
    let path = std::env::temp_dir().join(format!("smsr-onc-{}-{name}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    Arc::new(SqliteStore::open(&path, false, store_support::custody()).expect("open"))
}

onc_suite!(fresh_oncs);

/// A fresh database file for an outbox pruning test `name`.
fn fresh_prunable(name: &str) -> Arc<dyn store::outbox_prune::PrunableOutbox> {
    let path = std::env::temp_dir().join(format!("smsr-prune-{}-{name}.db", std::process::id()));
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.clone().into_os_string();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    Arc::new(SqliteStore::open(&path, false, store_support::custody()).expect("open"))
}

outbox_prune_suite!(fresh_prunable);

/// A database that cannot be opened is an error at start, not a later
/// surprise.
#[test]
fn unopenable_file_is_an_error() {
    let r = SqliteStore::open(
        std::path::Path::new("/nonexistent-dir/x/inventory.db"),
        false,
        store_support::custody(),
    );
    assert!(matches!(r, Err(store::StoreError::Db(_))), "{:?}", r.err());
}
