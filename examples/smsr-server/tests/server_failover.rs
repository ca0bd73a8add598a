//! The server on PostgreSQL, for real: the database stopped and started
//! again (`pg_ctl`) under a running server. Needs the throw-away cluster
//! of `.ci/postgres.sh` (its URL, data directory and `pg_ctl` in
//! `SMSR_TEST_POSTGRES_*`); without it these tests fail, saying so. They
//! stop the cluster, so they run one at a time (a lock) in this target of
//! their own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    missing_docs
)]

mod server_support;

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::json;
use server_support::*;

/// One test at a time: they stop and start the one cluster.
static CLUSTER: Mutex<()> = Mutex::new(());

/// What `.ci/postgres.sh` exported.
struct Cluster {
    url: String,
    data: String,
    pg_ctl: String,
    user: String,
    log: String,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: these tests need the throw-away PostgreSQL cluster of \
             `source .ci/postgres.sh` (Debian package `postgresql`); run them from that shell"
        )
    })
}

fn cluster() -> Cluster {
    Cluster {
        url: env("SMSR_TEST_POSTGRES_URL"),
        data: env("SMSR_TEST_POSTGRES_DATA"),
        pg_ctl: env("SMSR_TEST_POSTGRES_PG_CTL"),
        user: env("SMSR_TEST_POSTGRES_USER"),
        log: env("SMSR_TEST_POSTGRES_LOG"),
    }
}

impl Cluster {
    /// `pg_ctl ARGS` as the cluster's user (root runs it through runuser).
    fn pg_ctl(&self, args: &[&str]) {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
        let mut cmd = if root {
            let mut c = Command::new("runuser");
            c.args(["-u", &self.user, "--", &self.pg_ctl]);
            c
        } else {
            Command::new(&self.pg_ctl)
        };
        let out = cmd.args(["-D", &self.data]).args(args).output().unwrap();
        assert!(out.status.success(), "pg_ctl {args:?}: {out:?}");
    }

    fn stop(&self) {
        self.pg_ctl(&["-m", "fast", "-w", "stop"]);
    }

    fn start(&self) {
        self.pg_ctl(&["-l", &self.log, "-w", "start"]);
    }

    /// A fresh database `name` on the cluster; its URL.
    fn fresh_db(&self, name: &str) -> String {
        let admin = |sql: &str| {
            let out = Command::new("psql")
                .args([&self.url, "-v", "ON_ERROR_STOP=1", "-qc", sql])
                .output()
                .unwrap();
            assert!(out.status.success(), "psql {sql}: {out:?}");
        };
        admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        admin(&format!("CREATE DATABASE {name}"));
        let (base, _) = self.url.rsplit_once('/').unwrap();
        format!("{base}/{name}")
    }
}

/// Starts the cluster again if a test fails while it is stopped.
struct Restart<'a>(&'a Cluster, bool);

impl Drop for Restart<'_> {
    fn drop(&mut self) {
        if self.1 {
            self.0.start();
        }
    }
}

/// Audits `eids` in one batch; the batch id.
fn audit_batch(api: std::net::SocketAddr, eids: &[String]) -> i64 {
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/batch/AuditEIS",
        &json!({ "Eids": eids }),
    );
    assert_eq!(s, 202, "{v}");
    v["BatchId"].as_i64().unwrap()
}

/// The database stopped under a running server: the API answers 503
/// saying why (not a hang, not a crash); queued operations wait; when the
/// database is back the same server answers again and finishes them.
#[test]
fn database_down_is_503_then_everything_resumes() {
    let _one = CLUSTER.lock().unwrap_or_else(|p| p.into_inner());
    let pg = cluster();
    let dir = tmpdir("pg-restart");
    let fleet = start_fleet(&dir, 6);
    let url = pg.fresh_db("smsr_failover_restart");
    let mut server = start_server(&dir, Path::new(&url), &smsc(&fleet), &[]);
    let api = api(&server);
    let members = members(&fleet);
    register_all(api, &members, 2);
    let eids: Vec<String> = members.iter().map(eid_of).collect();
    let p = wait_batch(api, MNO_A, audit_batch(api, &eids), Duration::from_secs(60));
    assert_eq!(p["Succeeded"], eids.len(), "{p}");

    // Queued, then the database goes away under the running batch.
    let batch = audit_batch(api, &eids);
    pg.stop();
    let mut restart = Restart(&pg, true);
    let t = Instant::now();
    let (s, v) = call(api, MNO_A, "POST", "/es4/GetEIS", &json!({"Eid": eids[0]}));
    assert_eq!(s, 503, "{v}");
    let why = v.to_string();
    assert!(why.contains("database unavailable"), "{why}");
    assert!(
        t.elapsed() < Duration::from_secs(15),
        "answered in {:?}",
        t.elapsed()
    );
    let (s, v) = call(
        api,
        MNO_A,
        "POST",
        "/batch/AuditEIS",
        &json!({ "Eids": eids }),
    );
    assert_eq!(s, 503, "nothing queued while down: {v}");
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server survived the outage"
    );

    pg.start();
    restart.1 = false;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (s, v) = call(api, MNO_A, "POST", "/es4/GetEIS", &json!({"Eid": eids[0]}));
        if s == 200 {
            break;
        }
        assert_eq!(s, 503, "{v}");
        assert!(Instant::now() < deadline, "still down: {v}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let p = wait_batch(api, MNO_A, batch, Duration::from_secs(90));
    assert_eq!(
        (p["Succeeded"].as_u64(), p["Failed"].as_u64()),
        (Some(eids.len() as u64), Some(0)),
        "the batch queued before the outage finished: {p}"
    );
    let report = fleet_report(&smsc(&fleet));
    assert_eq!(
        report["CounterRefusals"], 0,
        "a counter was reused: {report}"
    );
}
