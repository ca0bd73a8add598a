//! The store suite (tests/store_support) on the PostgreSQL store, each
//! test on a fresh database of the cluster `SMSR_TEST_POSTGRES_URL` names
//! (`source .ci/postgres.sh` starts a throw-away one and sets it). Without
//! it these tests fail, saying so: they never skip.
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
use std::time::{Duration, Instant};

use store::postgres::PostgresStore;
use store::{Store, StoreError};
use store_support::Backend;

/// The cluster's URL (`postgres://USER@HOST:PORT/DB`).
fn cluster_url() -> String {
    std::env::var("SMSR_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "SMSR_TEST_POSTGRES_URL is not set: these tests need a PostgreSQL cluster; \
             start a throw-away one with `source .ci/postgres.sh` (Debian package \
             `postgresql`) and run the tests from that shell"
        )
    })
}

/// `url` with its database name replaced by `db`.
fn with_db(url: &str, db: &str) -> String {
    let (base, _) = url.rsplit_once('/').expect("URL ends with /DBNAME");
    format!("{base}/{db}")
}

/// Runs `sql` on the database `url` names, on a connection of its own.
fn raw_sql(url: &str, sql: &str) -> Result<u64, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        let driver = tokio::spawn(conn);
        let r = client
            .execute(sql, &[])
            .await
            .map_err(|e| match e.as_db_error() {
                Some(db) => db.message().to_owned(),
                None => e.to_string(),
            });
        drop(client);
        driver
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        r
    })
}

/// A fresh database for test `name` (dropped first if a previous run
/// left it), migrated by the store.
fn fresh(name: &str) -> Backend {
    let url = cluster_url();
    let db = format!("smsr_suite_{name}");
    raw_sql(&url, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).expect("drop");
    raw_sql(&url, &format!("CREATE DATABASE {db}")).expect("create");
    let url = with_db(&url, &db);
    let store = Arc::new(PostgresStore::open(&url, 8, store_support::custody()).expect("open"));
    Backend {
        outbox: store.clone(),
        store,
        sql: Box::new(move |sql| raw_sql(&url, sql)),
        parallel_writers: true,
    }
}

store_suite!(fresh);
outbox_suite!(fresh);

/// A fresh database for an authorisations test `name`.
fn fresh_authorisations(name: &str) -> Arc<dyn store::authorisations::Authorisations> {
    let url = cluster_url();
    let db = format!("smsr_suite_{name}");
    raw_sql(&url, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).expect("drop");
    raw_sql(&url, &format!("CREATE DATABASE {db}")).expect("create");
    Arc::new(PostgresStore::open(&with_db(&url, &db), 2, store_support::custody()).expect("open"))
}

authorisations_suite!(fresh_authorisations);

/// A fresh database for an ONC test `name`.
fn fresh_oncs(name: &str) -> Arc<dyn store::onc::Oncs> {
    let url = cluster_url();
    let db = format!("smsr_suite_{name}");
    raw_sql(&url, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).expect("drop");
    raw_sql(&url, &format!("CREATE DATABASE {db}")).expect("create");
    Arc::new(PostgresStore::open(&with_db(&url, &db), 2, store_support::custody()).expect("open"))
}

onc_suite!(fresh_oncs);

/// A fresh database for an outbox pruning test `name`.
fn fresh_prunable(name: &str) -> Arc<dyn store::outbox_prune::PrunableOutbox> {
    let url = cluster_url();
    let db = format!("smsr_suite_{name}");
    raw_sql(&url, &format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).expect("drop");
    raw_sql(&url, &format!("CREATE DATABASE {db}")).expect("create");
    Arc::new(PostgresStore::open(&with_db(&url, &db), 2, store_support::custody()).expect("open"))
}

outbox_prune_suite!(fresh_prunable);

/// While another instance holds the pruning lease (the advisory lock of
/// store/outbox_prune.rs), pruning deletes nothing; once it lets go, the
/// rows go.
#[test]
fn pruning_waits_for_the_instance_holding_the_lease() {
    let o = fresh_prunable("prune_lease");
    let url = with_db(&cluster_url(), "smsr_suite_prune_lease");
    let m = store::outbox::OutMessage {
        event_id: "op/1/HandleProfileEnabledNotification/8901/ES4/MNO1".into(),
        recipient: "MNO1".into(),
        interface: "ES4".into(),
        name: "HandleProfileEnabledNotification".into(),
        to: None,
        body: "{}".into(),
        created_ms: 1_000,
    };
    o.put_messages(std::slice::from_ref(&m), None).expect("put");
    assert_eq!(
        o.claim_messages("A", 2_000, 1_000, 1).expect("claim").len(),
        1
    );
    assert!(o.mark_delivered(&m.event_id, 2_000).expect("mark"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (holder, driver) = rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("connect");
        (client, tokio::spawn(conn))
    });
    let lock = store::outbox_prune::PRUNE_LOCK;
    rt.block_on(holder.execute("SELECT pg_advisory_lock($1)", &[&lock]))
        .expect("lock");
    assert_eq!(
        o.prune_delivered(i64::MAX, 10).expect("prune"),
        0,
        "held elsewhere"
    );
    assert!(o.message(&m.event_id).expect("read").is_some());
    rt.block_on(holder.execute("SELECT pg_advisory_unlock($1)", &[&lock]))
        .expect("unlock");
    assert_eq!(o.prune_delivered(i64::MAX, 10).expect("prune"), 1);
    assert!(o.message(&m.event_id).expect("read").is_none());
    drop(holder);
    rt.block_on(driver).expect("driver").expect("connection");
}

/// The migrations are recorded and applied once: a second instance
/// opening the same database changes nothing and sees the same data.
#[test]
fn migrations_apply_once_and_instances_share_the_inventory() {
    let b = fresh("migrations_once");
    let url = with_db(&cluster_url(), "smsr_suite_migrations_once");
    let e = store_support::eis(1, "EUM1", "P1");
    assert!(
        b.store
            .register(&e, &store_support::secrets(1))
            .expect("reg")
    );
    let second = PostgresStore::open(&url, 2, store_support::custody()).expect("second instance");
    assert_eq!(second.eis(&e.eid()).expect("eis"), Some(e));
    let versions = raw_sql(&url, "SELECT 1 FROM schema_version").expect("versions");
    // One row per file in migrations/ (each recorded once).
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations/")
        .filter(|f| {
            f.as_ref()
                .is_ok_and(|f| f.path().extension().is_some_and(|x| x == "sql"))
        })
        .count();
    assert_eq!(
        versions, files as u64,
        "every migration, each recorded once"
    );
}

/// Nothing listening: a call fails `Unavailable` within the connect
/// timeout, it does not hang.
#[test]
fn unreachable_database_is_unavailable_not_a_hang() {
    // A port nothing listens on: bound, then closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let t = Instant::now();
    let r = PostgresStore::open(
        &format!("postgres://postgres@127.0.0.1:{port}/x"),
        2,
        store_support::custody(),
    );
    assert!(
        matches!(r, Err(StoreError::Unavailable(_))),
        "{:?}",
        r.err()
    );
    assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
}

/// A malformed URL is an error naming it.
#[test]
fn malformed_url_is_an_error() {
    let r = PostgresStore::open("postgres://[::1", 1, store_support::custody());
    assert!(
        matches!(&r, Err(StoreError::Db(e)) if e.to_string().contains("PostgreSQL URL")),
        "{:?}",
        r.err()
    );
}
