//! Harness for the smsr-server integration tests: builds and spawns the
//! example binary (server and `--fleet-only` fleet) on ephemeral loopback
//! ports, a blocking HTTP client for the operator API, and the SM-DP side
//! of a profile installation. Every wait is bounded; processes are killed
//! on drop.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use smsr::apdu::gp::{StoreData, StoreDataP1};
use smsr::profile::{Iccid, OidList, ProfileHeader, Services};
use smsr::remote::expanded::{Coding, c_apdu, command_script};
use smsr::tlv::Encode;

pub const EUM: &str = "eum-token";
pub const MNO_A: &str = "mno-a-token";
pub const MNO_B: &str = "mno-b-token";

/// The server binary: Cargo builds it for this package's integration tests;
/// `SMSR_SERVER_BIN` names another build (e.g. the release one, for load
/// figures).
pub fn binary() -> PathBuf {
    std::env::var_os("SMSR_SERVER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_smsr-server")),
        PathBuf::from,
    )
}

/// The master key file of every server (and import) this test process
/// starts, made once with `smsr-server keygen` in the temporary directory
/// (no key is committed: each run has its own). One per process, so that
/// several instances on one PostgreSQL database share it.
pub fn master_key_file() -> PathBuf {
    static FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let f = std::env::temp_dir().join(format!("smsr-master-{}.key", std::process::id()));
        let _ = std::fs::remove_file(&f);
        let out = Command::new(binary())
            .arg("keygen")
            .arg(&f)
            .output()
            .expect("spawn smsr-server keygen");
        assert!(
            out.status.success(),
            "smsr-server keygen: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        f
    })
    .clone()
}

/// The key custody the servers of this test process use:
/// `SMSR_TEST_CUSTODY=sealed` (the default: AES-256-GCM under
/// [`master_key_file`]) or `pkcs11` (the SoftHSM2 token `.ci/softhsm.sh`
/// makes, through a `--keys pkcs11:FILE` file written once per process;
/// the PIN stays in `SMSR_TEST_PKCS11_PIN`). Any other value fails.
pub fn custody_args() -> Vec<std::ffi::OsString> {
    match std::env::var("SMSR_TEST_CUSTODY").as_deref() {
        Err(std::env::VarError::NotPresent) | Ok("sealed") => {
            vec!["--master-key-file".into(), master_key_file().into()]
        }
        Ok("pkcs11") => vec!["--keys".into(), pkcs11_keys_arg().into()],
        other => panic!("SMSR_TEST_CUSTODY={other:?}: sealed or pkcs11"),
    }
}

/// `pkcs11:FILE` for the token of `.ci/softhsm.sh`.
pub fn pkcs11_keys_arg() -> String {
    format!("pkcs11:{}", pkcs11_file().display())
}

/// The `--keys pkcs11:FILE` file for the token of `.ci/softhsm.sh` (its
/// variables must be set: the test fails naming them otherwise).
pub fn pkcs11_file() -> PathBuf {
    static FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FILE.get_or_init(|| {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is not set: run `source .ci/softhsm.sh` first (SMSR_TEST_CUSTODY=pkcs11)")
            })
        };
        var("SOFTHSM2_CONF");
        var("SMSR_TEST_PKCS11_PIN");
        let f = std::env::temp_dir().join(format!("smsr-pkcs11-{}.json", std::process::id()));
        std::fs::write(
            &f,
            json!({
                "Module": var("SMSR_TEST_PKCS11_MODULE"),
                "TokenLabel": var("SMSR_TEST_PKCS11_TOKEN"),
                "PinEnv": "SMSR_TEST_PKCS11_PIN"
            })
            .to_string(),
        )
        .expect("write the PKCS#11 file");
        // The token's key-wrap key, made once (kept when it exists).
        let out = Command::new(binary())
            .arg("hsm-init")
            .arg(&f)
            .output()
            .expect("spawn smsr-server hsm-init");
        assert!(
            out.status.success(),
            "smsr-server hsm-init: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        f
    })
    .clone()
}

/// A fresh directory for one test, removed when the test passes (kept, with
/// its database and logs, when it fails). Declare it first so that it
/// outlives the processes.
pub struct TmpDir(PathBuf);

impl std::ops::Deref for TmpDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TmpDir {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// A fresh directory for one test.
pub fn tmpdir(name: &str) -> TmpDir {
    let d = std::env::temp_dir().join(format!("smsr-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TmpDir(d)
}

/// A spawned process, killed (SIGKILL) on drop.
pub struct Proc {
    pub child: Child,
    pub ready: Value,
}

impl Proc {
    /// Peak resident memory (Linux `VmHWM`), KiB.
    pub fn peak_kib(&self) -> Option<u64> {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        s.lines()
            .find(|l| l.starts_with("VmHWM:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    }

    /// SIGKILL and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_ready(child: &mut Child, file: &Path, what: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(text) = std::fs::read_to_string(file)
            && let Ok(v) = serde_json::from_str::<Value>(&text)
        {
            return v;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited early: {status}");
        }
        assert!(Instant::now() < deadline, "{what} not ready in time");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A log file in `dir` (appended to: a restarted server keeps one log).
fn log_file(dir: &Path, name: &str) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(name))
        .map_or(Stdio::inherit(), Stdio::from)
}

/// Starts a simulated fleet of `n` eUICCs behind an SMPP SMSC.
pub fn start_fleet(dir: &Path, n: usize) -> Proc {
    start_fleet_env(dir, n, &[])
}

/// [`start_fleet`] with extra environment variables.
pub fn start_fleet_env(dir: &Path, n: usize, env: &[(&str, &str)]) -> Proc {
    start_fleet_with(dir, n, &[], env)
}

/// [`start_fleet`] with extra arguments (e.g. `--fleet-scp80 3DES-2KEY`)
/// and environment variables.
pub fn start_fleet_with(dir: &Path, n: usize, args: &[&str], env: &[(&str, &str)]) -> Proc {
    let ready = dir.join("fleet.json");
    let _ = std::fs::remove_file(&ready);
    let mut child = Command::new(binary())
        .args(["--fleet-only", "127.0.0.1:0", "--fleet", &n.to_string()])
        .args(args)
        .arg("--ready-file")
        .arg(&ready)
        .env(
            "RUST_LOG",
            std::env::var("SMSR_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .envs(env.iter().copied())
        .stderr(log_file(dir, "fleet.log"))
        .spawn()
        .expect("spawn fleet");
    let ready = wait_ready(&mut child, &ready, "fleet");
    Proc { child, ready }
}

/// The SMSC address of a fleet.
pub fn smsc(fleet: &Proc) -> String {
    fleet.ready["Smsc"].as_str().unwrap().to_owned()
}

/// Starts a server on `db` using the fleet's SMSC. The operator API
/// speaks plain HTTP on 127.0.0.1 (`--insecure-http`): the one place the
/// tests choose it ([`start_server_with`] for HTTPS).
pub fn start_server(dir: &Path, db: &Path, smsc: &str, extra: &[&str]) -> Proc {
    start_server_with(dir, db, smsc, &["--insecure-http"], extra)
}

/// [`start_server`] with the API transport flags `transport` (none: the
/// configuration must carry `ApiTls`).
pub fn start_server_with(
    dir: &Path,
    db: &Path,
    smsc: &str,
    transport: &[&str],
    extra: &[&str],
) -> Proc {
    spawn_server(dir, db, smsc, transport, extra, &[])
}

/// [`start_server`] with extra environment variables (after the default
/// `RUST_LOG`, so they may replace it).
pub fn start_server_env(
    dir: &Path,
    db: &Path,
    smsc: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Proc {
    spawn_server(dir, db, smsc, &["--insecure-http"], extra, env)
}

/// The server on `db` behind the fleet's SMSC `smsc`, with the test
/// master key, `transport` flags, `extra` arguments and `env`.
fn spawn_server(
    dir: &Path,
    db: &Path,
    smsc: &str,
    transport: &[&str],
    extra: &[&str],
    env: &[(&str, &str)],
) -> Proc {
    let config = dir.join("config.json");
    std::fs::write(
        &config,
        json!({
            "SmsrId": "SMSR-TEST",
            "Operators": [
                {"Id": "EUM-DEMO", "Token": EUM, "Roles": ["eum"]},
                {"Id": "MNO-A", "Token": MNO_A, "Roles": ["mno", "smdp"]},
                {"Id": "MNO-B", "Token": MNO_B, "Roles": ["mno", "smdp"]}
            ]
        })
        .to_string(),
    )
    .unwrap();
    let ready = dir.join("server.json");
    let _ = std::fs::remove_file(&ready);
    let mut child = Command::new(binary())
        .arg("--config")
        .arg(&config)
        .args(["--api", "127.0.0.1:0", "--scp81", "127.0.0.1:0"])
        .arg("--db")
        .arg(db)
        .args(["--smsc", &format!("smpp://smsr:smsr@{smsc}")])
        .arg("--ready-file")
        .arg(&ready)
        .args(transport)
        .args(custody_args())
        .args(extra)
        .env(
            "RUST_LOG",
            std::env::var("SMSR_TEST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(log_file(dir, "server.log"))
        .spawn()
        .expect("spawn server");
    let ready = wait_ready(&mut child, &ready, "server");
    Proc { child, ready }
}

/// The operator API address of a server.
pub fn api(server: &Proc) -> SocketAddr {
    server.ready["Api"].as_str().unwrap().parse().unwrap()
}

/// One HTTP/1.1 request (`Connection: close`); returns the status code, the
/// raw head and the body parsed as JSON (`Null` when empty).
pub fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String, Value) {
    try_raw(addr, method, path, headers, body).unwrap()
}

/// [`raw`] that reports a broken connection instead of panicking.
pub fn try_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<(u16, String, Value)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes())?;
    s.write_all(body)?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let v = if body.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
    };
    Ok((status, head.to_owned(), v))
}

/// An authenticated JSON request.
pub fn call(addr: SocketAddr, token: &str, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let auth = format!("Bearer {token}");
    let b = if method == "GET" {
        Vec::new()
    } else {
        body.to_string().into_bytes()
    };
    let (s, _, v) = raw(
        addr,
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        &b,
    );
    (s, v)
}

/// POSTs and asserts `200 Executed-Success`.
pub fn ok(addr: SocketAddr, token: &str, path: &str, body: Value) -> Value {
    let (s, v) = call(addr, token, "POST", path, &body);
    assert_eq!(s, 200, "{path} {body}: {v}");
    assert_eq!(
        v["FunctionExecutionStatus"]["Status"], "Executed-Success",
        "{path} {body}: {v}"
    );
    v
}

/// The fleet's members (RegisterEIS bodies).
pub fn members(fleet: &Proc) -> Vec<Value> {
    fleet.ready["Members"].as_array().unwrap().clone()
}

/// The stock `openssl` command must be there (README: an OS package the
/// tests need); its absence fails the test instead of skipping it.
pub fn require_openssl() {
    let found = Command::new("openssl").arg("version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "the openssl command is missing (Debian package openssl)"
    );
}

/// The SGP.02 default PSK identity text of fleet member `m` (EID, ISD-R
/// AID, SCP81 key id and version), as its card sends it.
pub fn psk_identity_text(m: &Value) -> String {
    let eid: smsr::isdr::Eid = eid_of(m).parse().unwrap();
    let identity = smsr::scp81::psk_id::PskIdentity {
        format: smsr::scp81::psk_id::FORMAT_SGP02,
        eid: *eid.as_bcd(),
        isd_r_aid: smsr::scp81::http::AidBuf::from_slice(smsr::isdr::Aid::ISD_R.as_bytes())
            .unwrap(),
        key_id: m["Secrets"]["Scp81KeyId"].as_u64().unwrap() as u8,
        key_version: m["Secrets"]["Scp81Kvn"].as_u64().unwrap() as u8,
    };
    identity.to_text().unwrap().to_string()
}

pub fn eid_of(m: &Value) -> String {
    m["Eis"]["EumSignedInfo"]["Eid"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub fn msisdn_of(m: &Value) -> String {
    m["Secrets"]["Msisdn"].as_str().unwrap().to_owned()
}

/// Registers every member (ES1), `threads` at a time.
pub fn register_all(addr: SocketAddr, members: &[Value], threads: usize) {
    parallel(members.to_vec(), threads, move |m| {
        ok(addr, EUM, "/es1/RegisterEIS", m);
    });
}

/// Runs `f` over `items` on `threads` threads.
pub fn parallel<T: Send + 'static>(
    items: Vec<T>,
    threads: usize,
    f: impl Fn(T) + Send + Sync + 'static,
) {
    let f = std::sync::Arc::new(f);
    let q = std::sync::Arc::new(std::sync::Mutex::new(items));
    let hs: Vec<_> = (0..threads)
        .map(|_| {
            let (f, q) = (f.clone(), q.clone());
            std::thread::spawn(move || {
                loop {
                    let next = q.lock().unwrap().pop();
                    let Some(x) = next else { return };
                    f(x);
                }
            })
        })
        .collect();
    for h in hs {
        h.join().expect("worker thread");
    }
}

/// ICCID of MNO `mno` for member `i`.
pub fn iccid(mno: u8, i: usize) -> String {
    // 19 digits, the last the Luhn check digit (ITU-T E.118).
    let body = format!("89310{mno}{i:012}");
    let digits: Vec<u8> = body.bytes().map(|c| c - b'0').collect();
    format!("{body}{}", smsr::inventory::field::luhn_digit(&digits))
}

/// ES3.SendData's script: the profile package (a ProfileHeader with the
/// ICCID) in STORE DATA blocks.
pub fn download_script(iccid: &str) -> String {
    let h = ProfileHeader {
        major_version: 2,
        minor_version: 3,
        profile_type: Some("test"),
        iccid_raw: Iccid::from_digits(iccid).unwrap().to_header(),
        pol: None,
        mandatory_services: Services(0),
        gfste_list: OidList::new_checked(&[], 0).unwrap(),
        connectivity_parameters: None,
        mandatory_aids: None,
        iot_pix: None,
    };
    let mut pkg = Vec::new();
    h.emit(&mut pkg).unwrap();
    let items: Vec<_> = StoreData::new(StoreDataP1::NONE, &pkg)
        .blocks()
        .unwrap()
        .map(c_apdu)
        .collect();
    hex::encode_upper(command_script(items, Coding::Definite).to_vec().unwrap())
}

/// CreateISDP, SendData, ProfileDownloadCompleted as `token`'s SM-DP;
/// returns the ISD-P AID.
pub fn install(addr: SocketAddr, token: &str, eid: &str, iccid: &str, msisdn: &str) -> String {
    let v = ok(
        addr,
        token,
        "/es3/CreateISDP",
        json!({"Eid": eid, "Iccid": iccid, "RequiredMemory": 8192}),
    );
    let aid = v["Eis"]["ProfileInfo"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Iccid"] == iccid)
        .unwrap()["Isd-p-aid"]
        .as_str()
        .unwrap()
        .to_owned();
    ok(
        addr,
        token,
        "/es3/SendData",
        json!({"Eid": eid, "sd-aid": aid, "Data": download_script(iccid)}),
    );
    ok(
        addr,
        token,
        "/es3/ProfileDownloadCompleted",
        json!({"Eid": eid, "Iccid": iccid, "SubscriptionAddress": {"Msisdn": msisdn}}),
    );
    aid
}

/// GetEIS as `token`.
pub fn eis(addr: SocketAddr, token: &str, eid: &str) -> Value {
    ok(addr, token, "/es4/GetEIS", json!({"Eid": eid}))["Eis"].clone()
}

/// The state of profile `iccid` in `eis`.
pub fn state(eis: &Value, iccid: &str) -> Option<String> {
    eis["ProfileInfo"]
        .as_array()?
        .iter()
        .find(|p| p["Iccid"] == iccid)
        .map(|p| p["State"].as_str().unwrap_or("").to_owned())
}

/// Polls a batch until nothing is pending.
pub fn wait_batch(addr: SocketAddr, token: &str, id: i64, limit: Duration) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let (s, p) = call(addr, token, "GET", &format!("/batch/{id}"), &Value::Null);
        assert_eq!(s, 200, "{p}");
        if p["Pending"] == 0 {
            return p;
        }
        assert!(Instant::now() < deadline, "batch {id} not done: {p}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Submits a batch AuditEIS of `eids` as `token` (202 expected) and waits
/// up to `limit` for it: its progress.
pub fn audit_batch_and_wait(
    addr: SocketAddr,
    token: &str,
    eids: &[String],
    limit: Duration,
) -> Value {
    let (s, v) = call(
        addr,
        token,
        "POST",
        "/batch/AuditEIS",
        &json!({ "Eids": eids }),
    );
    assert_eq!(s, 202, "{v}");
    let id = v["BatchId"]
        .as_i64()
        .unwrap_or_else(|| panic!("no BatchId: {v}"));
    wait_batch(addr, token, id, limit)
}

/// The fleet's report (counters and per-card state) over its SMSC link.
pub fn fleet_report(smsc: &str) -> Value {
    let mut s = TcpStream::connect(smsc).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    s.write_all(b"STATS\n").unwrap();
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap();
    serde_json::from_str(line.trim().strip_prefix("STATS ").unwrap()).unwrap()
}
