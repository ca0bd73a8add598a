//! Configuration: defaults, then a JSON config file (`--config FILE`, see
//! `config.example.json` beside this file), then command-line flags (flags
//! win).
//!
//! ```json
//! {
//!   "SmsrId": "SMSR-EXAMPLE",
//!   "Api": "127.0.0.1:8080",
//!   "Scp81": "127.0.0.1:8443",
//!   "Database": "sqlite:/var/lib/smsr/inventory.db",
//!   "PowerSafe": false,
//!   "Operators": [
//!     {"Id": "MNO1", "Token": "secret-token-1", "Roles": ["mno"]},
//!     {"Id": "SMDP1", "Token": "secret-token-2", "Roles": ["smdp"]},
//!     {"Id": "EUM1", "Token": "secret-token-3", "Roles": ["eum"]}
//!   ],
//!   "ValiditySeconds": 120,
//!   "Attempts": 5,
//!   "BackoffMs": 200,
//!   "SessionTimeoutMs": 15000,
//!   "MaxParallel": 64,
//!   "Smsc": "loopback",
//!   "MaxScp81Connections": 4096,
//!   "Scp81HandshakeTimeoutMs": 10000,
//!   "Scp81IdleTimeoutMs": 10000,
//!   "MaxApiConnections": 256,
//!   "ApiIdleTimeoutMs": 30000,
//!   "MaxBodyBytes": 8388608,
//!   "MaxBatchSize": 100000
//! }
//! ```
//!
//! The operator API speaks HTTPS with the certificate of an `ApiTls`
//! section (bearer tokens inside TLS; `api_tls.rs`); plain HTTP only with
//! `--insecure-http` (implied by `--demo`), and then only on a loopback
//! address:
//!
//! ```json
//! {"ApiTls": {"Cert": "/etc/smsr/api.pem", "Key": "/etc/smsr/api.key"}}
//! ```
//!
//! The SGP.02 ES listener (SOAP over mutual TLS, `es_tls.rs`) is on when
//! an `Es` section is given; keys are named by path, never inline:
//!
//! ```json
//! {"Es": {"Listen": "0.0.0.0:8444", "Cert": "/etc/smsr/es.pem", "Key": "/etc/smsr/es.key",
//!         "ClientCa": "/etc/smsr/clients-ca.pem", "PeerCa": "/etc/smsr/peers-ca.pem",
//!         "Clients": [{"Name": "mno1.example", "Id": "MNO1", "Roles": ["mno"]},
//!                     {"Name": "smdp1.example", "Id": "SMDP1", "Roles": ["smdp"]}],
//!         "CallbackAttempts": 5, "CallbackBackoffMs": 500}}
//! ```
//!
//! Notifications (Handle*Notification, `soap/notify.rs`) go to the
//! endpoint each MNO / SM-DP registers, retried `CallbackAttempts` times
//! with a delay doubling from `CallbackBackoffMs` up to
//! `CallbackMaxBackoffMs`, each attempt bounded by `CallbackTimeoutMs`;
//! a malformed entry is refused at start:
//!
//! ```json
//! {"Es": {"Notifications": [{"Id": "MNO1", "Url": "https://mno1.example/es4"},
//!                           {"Id": "SMDP1", "Url": "https://smdp1.example/es3"}],
//!         "CallbackMaxBackoffMs": 60000, "CallbackTimeoutMs": 10000}}
//! ```
//!
//! `Database` (and `--db`) selects the store: `sqlite:PATH` (or a bare
//! `PATH`) for the embedded SQLite file, the default, or
//! `postgres://USER[:PASSWORD]@HOST:PORT/DBNAME` for PostgreSQL, which
//! several instances can share (each claims work by lease: `LeaseMs`,
//! `--lease-ms`, longer than `SessionTimeoutMs`).
//!
//! The limits ([`Limits`]) bound what one peer can hold: past
//! `MaxScp81Connections` / `MaxApiConnections` a new connection is refused
//! at once (SCP81: closed; API: `503`), a connection that does not finish
//! its handshake or stays silent past its timeout is closed, a body over
//! `MaxBodyBytes` is `413`, a batch over `MaxBatchSize` targets is `413`;
//! each refusal is logged (`warn`) and the rest keep being served.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Parser;
use serde::Deserialize;

use crate::smpp::config::SmppConfig;

/// Engine settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// SM-SR identity for audit records.
    pub smsr_id: String,
    /// Delivery attempts per operation.
    pub attempts: u32,
    /// First retry delay.
    pub backoff_ms: u64,
    /// One attempt, trigger to answer.
    pub session_timeout_ms: u64,
    /// eUICCs served at once.
    pub max_parallel: usize,
    /// Where the eUICCs reach the SCP81 listener.
    pub scp81_addr: SocketAddr,
    /// This server instance, as the owner of its leases (unique per
    /// process).
    pub instance_id: String,
    /// How long a lease lasts unrenewed, ms.
    pub lease_ms: u64,
}

/// Connection and request limits (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// SCP81 connections open at once; more are closed on accept.
    pub max_scp81_connections: usize,
    /// Time from accept to a completed PSK-TLS handshake.
    pub scp81_handshake_timeout_ms: u64,
    /// Silence (nothing read from the card) after which an established
    /// SCP81 connection is closed.
    pub scp81_idle_timeout_ms: u64,
    /// Operator API connections open at once; more get `503`.
    pub max_api_connections: usize,
    /// Time an API connection may take to send a request head (also the
    /// idle time of a keep-alive connection).
    pub api_idle_timeout_ms: u64,
    /// Largest API request body.
    pub max_body_bytes: usize,
    /// Most targets in one fleet-wide function.
    pub max_batch_size: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_scp81_connections: 4096,
            scp81_handshake_timeout_ms: 10_000,
            scp81_idle_timeout_ms: 10_000,
            max_api_connections: 256,
            api_idle_timeout_ms: 30_000,
            max_body_bytes: 8 << 20,
            max_batch_size: 100_000,
        }
    }
}

/// A role an operator may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
pub enum Role {
    /// EUM: ES1 (RegisterEIS).
    #[serde(rename = "eum")]
    Eum,
    /// MNO: ES4.
    #[serde(rename = "mno")]
    Mno,
    /// SM-DP: ES3.
    #[serde(rename = "smdp")]
    Smdp,
}

/// An operator of the API: its identity (matched against `Mno-id` /
/// `Smdp-id` of profiles), its bearer token and roles.
#[derive(Clone, Deserialize)]
pub struct Operator {
    /// Identity.
    #[serde(rename = "Id")]
    pub id: String,
    /// Bearer token.
    #[serde(rename = "Token")]
    pub token: String,
    /// Roles.
    #[serde(rename = "Roles")]
    pub roles: Vec<Role>,
}

impl core::fmt::Debug for Operator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Operator({}, {:?}, token redacted)", self.id, self.roles)
    }
}

/// A client of the ES listener: the name its certificate carries (a
/// subjectAltName dNSName or the subject CN) and the identity and roles it
/// gets (config `Es.Clients`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsClient {
    /// The certificate name.
    #[serde(rename = "Name")]
    pub name: String,
    /// The identity (`Mno-id`, `Smdp-id`, EUM id) it acts as.
    #[serde(rename = "Id")]
    pub id: String,
    /// Its roles.
    #[serde(rename = "Roles")]
    pub roles: Vec<Role>,
}

/// The operator API's server certificate (config `ApiTls`): PEM files,
/// named by path only, never inline.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiTls {
    /// Certificate chain (PEM).
    #[serde(rename = "Cert")]
    pub cert: PathBuf,
    /// Private key (PEM).
    #[serde(rename = "Key")]
    pub key: PathBuf,
}

/// The SGP.02 ES listener: SOAP 1.2 over mutual TLS (config `Es`). Keys are
/// named by path only, never inline.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsConfig {
    /// Listen address.
    #[serde(rename = "Listen")]
    pub listen: SocketAddr,
    /// The SM-SR's certificate chain (PEM), also its client certificate
    /// for the asynchronous answers.
    #[serde(rename = "Cert")]
    pub cert: PathBuf,
    /// Its private key (PEM file).
    #[serde(rename = "Key")]
    pub key: PathBuf,
    /// The CA(s) of allowed clients (PEM).
    #[serde(rename = "ClientCa")]
    pub client_ca: PathBuf,
    /// The CA(s) that sign the callback endpoints' server certificates
    /// (default: `ClientCa`).
    #[serde(rename = "PeerCa", default)]
    pub peer_ca: Option<PathBuf>,
    /// The allowed clients.
    #[serde(rename = "Clients")]
    pub clients: Vec<EsClient>,
    /// Delivery attempts of an asynchronous answer (default 5).
    #[serde(rename = "CallbackAttempts", default = "default_callback_attempts")]
    pub callback_attempts: u32,
    /// First retry delay of an asynchronous answer, doubled per attempt
    /// (default 500).
    #[serde(rename = "CallbackBackoffMs", default = "default_callback_backoff")]
    pub callback_backoff_ms: u64,
    /// The longest retry delay (default 60000): the doubling stops there.
    #[serde(
        rename = "CallbackMaxBackoffMs",
        default = "default_callback_max_backoff"
    )]
    pub callback_max_backoff_ms: u64,
    /// One delivery attempt, connect to answer (default 10000); an
    /// instance's claim on a message lasts three of them.
    #[serde(rename = "CallbackTimeoutMs", default = "default_callback_timeout")]
    pub callback_timeout_ms: u64,
    /// Where each MNO / SM-DP receives its Handle*Notification (ES4 / ES3
    /// callbacks, `soap/notify.rs`), reached with the SM-SR's `Cert`.
    #[serde(rename = "Notifications", default)]
    pub notifications: Vec<NotifyEndpoint>,
    /// How long a delivered outbox message is kept before it is pruned, ms
    /// (default 7 days; `store/outbox_prune.rs`).
    #[serde(rename = "OutboxRetentionMs", default = "default_outbox_retention")]
    pub outbox_retention_ms: u64,
    /// ES1.RegisterEIS's EUM signature policy and trust (`soap/register.rs`).
    #[serde(rename = "Eum", default)]
    pub eum: EumTrust,
}

/// Whom ES1.RegisterEIS trusts for the EUM signature on an EIS (config
/// `Es.Eum`): the CI certificate, the EUM certificates by EUM identity
/// (used when the signature's `KeyInfo` carries none), and whether an
/// unsigned EIS is taken. Certificates are PEM files, named by path.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EumTrust {
    /// The CI certificate (PEM) every EUM certificate must chain to.
    #[serde(rename = "Ci", default)]
    pub ci: Option<PathBuf>,
    /// EUM certificates (PEM) by the EUM's identity (`Es.Clients` `Id`).
    #[serde(rename = "Certificates", default)]
    pub certificates: Vec<EumCertificate>,
    /// Takes an EIS without `EumSignature` (default false: SGP.02 has the
    /// EUM sign every EIS, so an unsigned one is refused).
    #[serde(rename = "DangerousAllowUnsignedEis", default)]
    pub dangerous_allow_unsigned_eis: bool,
}

/// One EUM's certificate (config `Es.Eum.Certificates`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EumCertificate {
    /// The EUM's identity.
    #[serde(rename = "Id")]
    pub id: String,
    /// Its certificate (PEM).
    #[serde(rename = "Cert")]
    pub cert: PathBuf,
}

/// The notification endpoint of one MNO or SM-DP (config
/// `Es.Notifications`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyEndpoint {
    /// The identity (`Mno-id` / `Smdp-id`).
    #[serde(rename = "Id")]
    pub id: String,
    /// Its `https` URL.
    #[serde(rename = "Url")]
    pub url: String,
}

impl EsConfig {
    /// Refuses a malformed `Notifications` list (an empty or repeated
    /// `Id`, a `Url` that is not `https://HOST[:PORT]/…`) and retry
    /// settings that would never deliver (0 attempts or timeout, a
    /// maximum delay below the first).
    ///
    /// # Errors
    /// What is wrong, naming the entry.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::HashSet::new();
        for n in &self.notifications {
            let what = format!("Es.Notifications {:?}", n.id);
            if n.id.is_empty() || !seen.insert(n.id.as_str()) {
                return Err(format!("{what}: the Id is empty or repeated"));
            }
            let uri: hyper::Uri = n.url.parse().map_err(|e| format!("{what}: Url: {e}"))?;
            if uri.scheme_str() != Some("https") || uri.host().is_none_or(str::is_empty) {
                return Err(format!("{what}: Url must be https://HOST[:PORT]/PATH"));
            }
        }
        if self.callback_attempts == 0 || self.callback_timeout_ms == 0 {
            return Err("Es: CallbackAttempts and CallbackTimeoutMs must be at least 1".into());
        }
        if self.callback_max_backoff_ms < self.callback_backoff_ms {
            return Err("Es: CallbackMaxBackoffMs is below CallbackBackoffMs".into());
        }
        Ok(())
    }
}

fn default_callback_max_backoff() -> u64 {
    60_000
}

fn default_callback_timeout() -> u64 {
    10_000
}

fn default_outbox_retention() -> u64 {
    7 * 86_400_000
}

fn default_callback_attempts() -> u32 {
    5
}

fn default_callback_backoff() -> u64 {
    500
}

/// Where the SMS go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Smsc {
    /// No SMSC of its own: with `--demo` the in-process fleet's SMPP SMSC
    /// on 127.0.0.1 (the server's ESME binds to it); outside the demo
    /// every MT SMS is refused (no handset is attached).
    Loopback,
    /// An SMPP 3.4 SMSC (`smpp://SYSTEM_ID:PASSWORD@HOST:PORT?…`, see
    /// `smpp/config.rs` for the keys): a real one, or a fleet process
    /// started with `--fleet-only ADDR`.
    Smpp(SmppConfig),
}

/// The inventory store (`--db`, file key `Database`).
#[derive(Clone, PartialEq, Eq)]
pub enum Db {
    /// An SQLite file (`sqlite:PATH` or a bare `PATH`).
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://…` or `postgresql://…`).
    Postgres(String),
}

impl core::fmt::Debug for Db {
    /// The URL's password, if any, is never shown.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Db::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            Db::Postgres(url) => write!(f, "{}", redact_url(url)),
        }
    }
}

/// `url` with the password between `user:` and `@` replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((user, host)) if user.contains(':') => {
            let name = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{name}:***@{host}")
        }
        _ => url.to_owned(),
    }
}

/// `sqlite:PATH`, `postgres://…`/`postgresql://…`, or a bare SQLite path.
pub fn parse_db(v: &str) -> Result<Db, String> {
    if v.starts_with("postgres://") || v.starts_with("postgresql://") {
        return Ok(Db::Postgres(v.to_owned()));
    }
    let path = v.strip_prefix("sqlite:").unwrap_or(v);
    if path.is_empty() {
        return Err(format!(
            "Database {v:?}: expected sqlite:PATH or postgres://…"
        ));
    }
    Ok(Db::Sqlite(PathBuf::from(path)))
}

/// The whole configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// SM-SR identity (EIS `Smsr-id`).
    pub smsr_id: String,
    /// Operator API listen address.
    pub api: SocketAddr,
    /// SCP81 PSK-TLS listen address.
    pub scp81: SocketAddr,
    /// Host:port the trigger tells the eUICCs to connect to (defaults to
    /// the SCP81 listener's bound address).
    pub scp81_public: Option<SocketAddr>,
    /// The store (`None`: the SQLite file `smsr-inventory.db`, or a
    /// temporary one in demo mode).
    pub database: Option<Db>,
    /// How long an instance's claim on an operation lasts without renewal
    /// (another instance takes over after it), ms.
    pub lease_ms: u64,
    /// `synchronous = FULL`.
    pub power_safe: bool,
    /// API operators.
    pub operators: Vec<Operator>,
    /// Default validity period of a function, seconds.
    pub validity_seconds: u64,
    /// Delivery attempts before an operation fails.
    pub attempts: u32,
    /// First retry delay, doubled each attempt.
    pub backoff_ms: u64,
    /// How long one delivery attempt may take (trigger to last response).
    pub session_timeout_ms: u64,
    /// eUICCs served at once.
    pub max_parallel: usize,
    /// SMSC.
    pub smsc: Smsc,
    /// Demo mode.
    pub demo: bool,
    /// Exit after the demo.
    pub exit: bool,
    /// Fleet size in demo mode.
    pub fleet: u64,
    /// Run only the simulated fleet (SMSC on this address) against a
    /// separate server.
    pub fleet_only: Option<SocketAddr>,
    /// First EID index of a `--fleet-only` fleet.
    pub fleet_first: u32,
    /// How long an API call waits for its function to settle before it
    /// answers `202 Accepted`.
    pub wait_ms: u64,
    /// Write the bound addresses to this file once listening (tests).
    pub ready_file: Option<PathBuf>,
    /// The SGP.02 ES listener (SOAP over mutual TLS), when configured.
    pub es: Option<EsConfig>,
    /// The operator API's certificate (HTTPS).
    pub api_tls: Option<ApiTls>,
    /// Plain HTTP on the operator API (`--insecure-http`, implied by
    /// `--demo`; loopback only).
    pub insecure_http: bool,
    /// Connection and request limits.
    pub limits: Limits,
    /// The file holding the master key of the secrets at rest
    /// (`--master-key-file`; else `SMSR_MASTER_KEY`; never in the config
    /// file).
    pub master_key_file: Option<PathBuf>,
    /// The key custody (`--keys`): sealed at rest (default) or a PKCS#11
    /// token (`keys/`).
    pub keys: crate::keys::Backend,
    /// The SCP80 algorithm of the simulated fleet's keys
    /// (`--fleet-scp80`).
    pub fleet_scp80: crate::keys::des3::Scp80Algorithm,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(rename = "SmsrId")]
    smsr_id: Option<String>,
    #[serde(rename = "Api")]
    api: Option<SocketAddr>,
    #[serde(rename = "Scp81")]
    scp81: Option<SocketAddr>,
    #[serde(rename = "Scp81Public")]
    scp81_public: Option<SocketAddr>,
    #[serde(rename = "Database")]
    database: Option<String>,
    #[serde(rename = "LeaseMs")]
    lease_ms: Option<u64>,
    #[serde(rename = "PowerSafe")]
    power_safe: Option<bool>,
    #[serde(rename = "Operators")]
    operators: Option<Vec<Operator>>,
    #[serde(rename = "ValiditySeconds")]
    validity_seconds: Option<u64>,
    #[serde(rename = "Attempts")]
    attempts: Option<u32>,
    #[serde(rename = "BackoffMs")]
    backoff_ms: Option<u64>,
    #[serde(rename = "SessionTimeoutMs")]
    session_timeout_ms: Option<u64>,
    #[serde(rename = "MaxParallel")]
    max_parallel: Option<usize>,
    #[serde(rename = "Smsc")]
    smsc: Option<String>,
    #[serde(rename = "WaitMs")]
    wait_ms: Option<u64>,
    #[serde(rename = "Es")]
    es: Option<EsConfig>,
    #[serde(rename = "ApiTls")]
    api_tls: Option<ApiTls>,
    #[serde(rename = "MaxScp81Connections")]
    max_scp81_connections: Option<usize>,
    #[serde(rename = "Scp81HandshakeTimeoutMs")]
    scp81_handshake_timeout_ms: Option<u64>,
    #[serde(rename = "Scp81IdleTimeoutMs")]
    scp81_idle_timeout_ms: Option<u64>,
    #[serde(rename = "MaxApiConnections")]
    max_api_connections: Option<usize>,
    #[serde(rename = "ApiIdleTimeoutMs")]
    api_idle_timeout_ms: Option<u64>,
    #[serde(rename = "MaxBodyBytes")]
    max_body_bytes: Option<usize>,
    #[serde(rename = "MaxBatchSize")]
    max_batch_size: Option<usize>,
}

/// The demo operators (printed by `--demo`).
pub fn demo_operators() -> Vec<Operator> {
    let op = |id: &str, token: &str, roles: Vec<Role>| Operator {
        id: id.into(),
        token: token.into(),
        roles,
    };
    vec![
        op("EUM-DEMO", "eum-demo-token", vec![Role::Eum]),
        op("MNO-A", "mno-a-token", vec![Role::Mno, Role::Smdp]),
        op("MNO-B", "mno-b-token", vec![Role::Mno, Role::Smdp]),
    ]
}

/// The command line (clap derive). Flags override the config file; a flag
/// given twice takes its last value.
#[derive(Debug, Parser)]
#[command(
    name = "smsr-server",
    version,
    about = "An example SM-SR (GSMA SGP.02) on the smsr crate: operator API, \
             SQLite inventory, SCP80/SCP81 delivery, simulated fleet demo",
    args_override_self = true
)]
pub struct Cli {
    /// JSON configuration (see the module docs of config.rs and
    /// config.example.json); given more than once, applied in order.
    #[arg(long = "config", value_name = "FILE")]
    config: Vec<PathBuf>,
    /// Operator API listen address [default: 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    api: Option<SocketAddr>,
    /// SCP81 PSK-TLS listen address [default: 127.0.0.1:8443].
    #[arg(long, value_name = "ADDR")]
    scp81: Option<SocketAddr>,
    /// Inventory store: sqlite:PATH (or PATH) or postgres://USER@HOST:PORT/DB
    /// [default: sqlite:smsr-inventory.db; with --demo a temporary file].
    #[arg(long = "db", value_name = "sqlite:PATH|postgres://URL", value_parser = parse_db)]
    database: Option<Db>,
    /// How long a claim on an operation lasts unrenewed, more than
    /// --session-timeout-ms [default: 2 × session timeout + 5000].
    #[arg(long = "lease-ms", value_name = "MS")]
    lease_ms: Option<u64>,
    /// SQLite synchronous=FULL (survives power loss).
    #[arg(long = "power-safe")]
    power_safe: bool,
    /// Serve the operator API over plain HTTP instead of HTTPS (config
    /// `ApiTls`); refused unless the API address is a loopback one.
    #[arg(long = "insecure-http")]
    insecure_http: bool,
    /// SMS gateway: `loopback` (the default; with --demo the fleet's own
    /// SMPP SMSC) or an SMPP SMSC as
    /// smpp://SYSTEM_ID:PASSWORD@HOST:PORT?KEY=VALUE&… (keys: system_type,
    /// data_coding, registered_delivery, binds, window, concat,
    /// enquire_link_ms, queue_ms, source_addr; see smpp/config.rs).
    #[arg(long, value_name = "loopback|smpp://URL", value_parser = parse_smsc)]
    smsc: Option<Smsc>,
    /// Default validity period of a function [default: 120].
    #[arg(long = "validity", value_name = "SECONDS")]
    validity_seconds: Option<u64>,
    /// Delivery attempts per operation, at least 1 [default: 5].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    attempts: Option<u32>,
    /// First retry delay, doubled per attempt [default: 200].
    #[arg(long = "backoff-ms", value_name = "MS")]
    backoff_ms: Option<u64>,
    /// One delivery attempt, trigger to last answer [default: 15000].
    #[arg(long = "session-timeout-ms", value_name = "MS")]
    session_timeout_ms: Option<u64>,
    /// eUICCs served at once, at least 1 [default: 64].
    #[arg(long = "max-parallel", value_name = "N", value_parser = at_least_one)]
    max_parallel: Option<usize>,
    /// How long an API call waits before answering 202 [default: 30000].
    #[arg(long = "wait-ms", value_name = "MS")]
    wait_ms: Option<u64>,
    /// Temporary database, simulated fleet, scripted lifecycle.
    #[arg(long)]
    demo: bool,
    /// With --demo: exit after the lifecycle.
    #[arg(long, requires = "demo")]
    exit: bool,
    /// Fleet size for --demo or --fleet-only [default: 100].
    #[arg(long, value_name = "N")]
    fleet: Option<u64>,
    /// Run only a simulated fleet whose SMPP SMSC listens on ADDR.
    #[arg(long = "fleet-only", value_name = "ADDR")]
    fleet_only: Option<SocketAddr>,
    /// First EID index of a --fleet-only fleet [default: 0].
    #[arg(long = "fleet-first", value_name = "N")]
    fleet_first: Option<u32>,
    /// Write the bound addresses as JSON once listening.
    #[arg(long = "ready-file", value_name = "FILE")]
    ready_file: Option<PathBuf>,
    /// SCP81 connections open at once, at least 1 [default: 4096].
    #[arg(long = "max-scp81-connections", value_name = "N", value_parser = at_least_one)]
    max_scp81_connections: Option<usize>,
    /// SCP81 accept to finished handshake [default: 10000].
    #[arg(long = "scp81-handshake-timeout-ms", value_name = "MS", value_parser = at_least_one_ms)]
    scp81_handshake_timeout_ms: Option<u64>,
    /// SCP81 silence before the connection is closed [default: 10000].
    #[arg(long = "scp81-idle-timeout-ms", value_name = "MS", value_parser = at_least_one_ms)]
    scp81_idle_timeout_ms: Option<u64>,
    /// Operator API connections open at once, at least 1 [default: 256].
    #[arg(long = "max-api-connections", value_name = "N", value_parser = at_least_one)]
    max_api_connections: Option<usize>,
    /// API request head / keep-alive idle time [default: 30000].
    #[arg(long = "api-idle-timeout-ms", value_name = "MS", value_parser = at_least_one_ms)]
    api_idle_timeout_ms: Option<u64>,
    /// Largest API request body, bytes [default: 8388608].
    #[arg(long = "max-body-bytes", value_name = "N", value_parser = at_least_one)]
    max_body_bytes: Option<usize>,
    /// Most targets in one fleet-wide function [default: 100000].
    #[arg(long = "max-batch-size", value_name = "N", value_parser = at_least_one)]
    max_batch_size: Option<usize>,
    /// The master key sealing the eUICC keys at rest, 64 hex digits
    /// (`smsr-server keygen FILE` makes one) [default: the SMSR_MASTER_KEY
    /// environment variable; with --demo and no --db a fresh one].
    #[arg(long = "master-key-file", value_name = "FILE")]
    master_key_file: Option<PathBuf>,
    /// The key custody: `sealed` (AES-256-GCM under the master key) or
    /// `pkcs11:FILE` (a PKCS#11 token: FILE is JSON with Module,
    /// TokenLabel, PinEnv or PinFile, WrapKeyLabel) [default: sealed].
    #[arg(long = "keys", value_name = "BACKEND")]
    keys: Option<crate::keys::Backend>,
    /// The SCP80 algorithm of the simulated fleet's KIc / KID: AES,
    /// 3DES-2KEY or 3DES-3KEY [default: AES].
    #[arg(long = "fleet-scp80", value_name = "ALGORITHM")]
    fleet_scp80: Option<crate::keys::des3::Scp80Algorithm>,
}

/// Why the command line gave no configuration.
#[derive(Debug)]
pub enum ArgsError {
    /// clap's answer: `--help` / `--version` (exit 0) or a usage error
    /// (exit 2); it prints itself.
    Usage(clap::Error),
    /// A config file that cannot be read or parsed, or settings that do not
    /// go together (exit 1).
    Invalid(String),
}

impl Config {
    /// Defaults.
    pub fn defaults() -> Self {
        Self {
            smsr_id: "SMSR-EXAMPLE".into(),
            api: SocketAddr::from(([127, 0, 0, 1], 8080)),
            scp81: SocketAddr::from(([127, 0, 0, 1], 8443)),
            scp81_public: None,
            database: None,
            lease_ms: 0,
            power_safe: false,
            operators: Vec::new(),
            validity_seconds: 120,
            attempts: 5,
            backoff_ms: 200,
            session_timeout_ms: 15_000,
            max_parallel: 64,
            smsc: Smsc::Loopback,
            demo: false,
            exit: false,
            fleet: 100,
            fleet_only: None,
            fleet_first: 0,
            wait_ms: 30_000,
            ready_file: None,
            es: None,
            api_tls: None,
            insecure_http: false,
            limits: Limits::default(),
            master_key_file: None,
            keys: crate::keys::Backend::Sealed,
            fleet_scp80: crate::keys::des3::Scp80Algorithm::Aes,
        }
    }

    /// Parses the command line (program name first): defaults, then each
    /// `--config` file, then the flags.
    ///
    /// # Errors
    /// [`ArgsError::Usage`] for `--help`, `--version` and a command line
    /// that does not parse; [`ArgsError::Invalid`] for a bad config file
    /// or settings that do not go together.
    pub fn from_args<I, T>(args: I) -> Result<Self, ArgsError>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let cli = Cli::try_parse_from(args).map_err(ArgsError::Usage)?;
        Self::from_cli(cli).map_err(ArgsError::Invalid)
    }

    /// The configuration a parsed command line describes.
    fn from_cli(cli: Cli) -> Result<Self, String> {
        let mut c = Self::defaults();
        for path in &cli.config {
            c.apply_file(path)?;
        }
        macro_rules! flag {
            ($($field:ident),*) => { $( if let Some(v) = cli.$field { c.$field = v; } )* };
        }
        flag!(
            api,
            scp81,
            smsc,
            validity_seconds,
            attempts,
            backoff_ms,
            session_timeout_ms,
            max_parallel,
            wait_ms,
            fleet,
            fleet_first
        );
        macro_rules! limit {
            ($($field:ident),*) => { $( if let Some(v) = cli.$field { c.limits.$field = v; } )* };
        }
        limit!(
            max_scp81_connections,
            scp81_handshake_timeout_ms,
            scp81_idle_timeout_ms,
            max_api_connections,
            api_idle_timeout_ms,
            max_body_bytes,
            max_batch_size
        );
        if cli.database.is_some() {
            c.database = cli.database;
        }
        if let Some(ms) = cli.lease_ms {
            c.lease_ms = ms;
        }
        if c.lease_ms == 0 {
            c.lease_ms = c.session_timeout_ms.saturating_mul(2).saturating_add(5_000);
        }
        if c.lease_ms <= c.session_timeout_ms {
            return Err(format!(
                "LeaseMs {} must be longer than SessionTimeoutMs {}",
                c.lease_ms, c.session_timeout_ms
            ));
        }
        c.power_safe |= cli.power_safe;
        c.demo = cli.demo;
        // The demo is one process on 127.0.0.1 with published tokens.
        c.insecure_http = cli.insecure_http || cli.demo;
        c.exit = cli.exit;
        c.fleet_only = cli.fleet_only;
        c.ready_file = cli.ready_file;
        c.master_key_file = cli.master_key_file;
        c.keys = cli.keys.unwrap_or_default();
        c.fleet_scp80 = cli.fleet_scp80.unwrap_or_default();
        if c.max_parallel == 0 || c.attempts == 0 {
            return Err("MaxParallel and Attempts must be at least 1".into());
        }
        if !(1..=crate::api::MAX_VALIDITY_SECONDS).contains(&c.validity_seconds) {
            return Err(format!(
                "ValiditySeconds {} must be 1 to {} (a request's ValidityPeriod has the same range)",
                c.validity_seconds,
                crate::api::MAX_VALIDITY_SECONDS
            ));
        }
        c.limits.check()?;
        if let Some(es) = &c.es {
            es.check()?;
        }
        if c.demo && c.operators.is_empty() {
            c.operators = demo_operators();
        }
        Ok(c)
    }

    fn apply_file(&mut self, path: &Path) -> Result<(), String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
        refuse_keys(&text).map_err(|e| format!("{shown}: {e}"))?;
        let f: FileConfig = serde_json::from_str(&text).map_err(|e| format!("{shown}: {e}"))?;
        macro_rules! take {
            ($($field:ident),*) => { $( if let Some(v) = f.$field { self.$field = v; } )* };
        }
        take!(
            smsr_id,
            api,
            scp81,
            power_safe,
            operators,
            validity_seconds,
            attempts,
            backoff_ms,
            session_timeout_ms,
            max_parallel,
            wait_ms
        );
        macro_rules! limit {
            ($($field:ident),*) => { $( if let Some(v) = f.$field { self.limits.$field = v; } )* };
        }
        limit!(
            max_scp81_connections,
            scp81_handshake_timeout_ms,
            scp81_idle_timeout_ms,
            max_api_connections,
            api_idle_timeout_ms,
            max_body_bytes,
            max_batch_size
        );
        if let Some(db) = f.database {
            self.database = Some(parse_db(&db)?);
        }
        if let Some(ms) = f.lease_ms {
            self.lease_ms = ms;
        }
        if f.scp81_public.is_some() {
            self.scp81_public = f.scp81_public;
        }
        if f.es.is_some() {
            self.es = f.es;
        }
        if f.api_tls.is_some() {
            self.api_tls = f.api_tls;
        }
        if let Some(s) = f.smsc {
            self.smsc = parse_smsc(&s)?;
        }
        Ok(())
    }
}

/// The top-level names under which keys were once put in a config file.
const KEY_FIELDS: &[&str] = &[
    "Secrets",
    "Keys",
    "Scp80Kic",
    "Scp80Kid",
    "Scp81Psk",
    "MasterKey",
];

/// A config file never holds keys: eUICC keys come in through
/// RegisterEIS or `smsr-server import-keys`, the master key through
/// `--master-key-file` or `SMSR_MASTER_KEY`.
fn refuse_keys(text: &str) -> Result<(), String> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(text) else {
        // Not an object: the typed parse says what is wrong.
        return Ok(());
    };
    match KEY_FIELDS.iter().find(|k| map.contains_key(**k)) {
        Some(k) => Err(format!(
            "{k}: keys do not belong in the config file: import eUICC keys with \
             `smsr-server import-keys --db … FILE` (or RegisterEIS), give the master key \
             with --master-key-file or SMSR_MASTER_KEY"
        )),
        None => Ok(()),
    }
}

/// `loopback` or `smpp://…` (the `--smsc` flag and the `Smsc` file key).
fn parse_smsc(v: &str) -> Result<Smsc, String> {
    if v == "loopback" {
        return Ok(Smsc::Loopback);
    }
    // The error never repeats the URL: it holds the password.
    SmppConfig::parse(v)
        .map(Smsc::Smpp)
        .map_err(|e| format!("Smsc: {e}"))
}

impl Limits {
    /// Every limit at least 1 (a limit of 0 would refuse everything).
    fn check(&self) -> Result<(), String> {
        let counts = [
            self.max_scp81_connections,
            self.max_api_connections,
            self.max_body_bytes,
            self.max_batch_size,
        ];
        let times = [
            self.scp81_handshake_timeout_ms,
            self.scp81_idle_timeout_ms,
            self.api_idle_timeout_ms,
        ];
        if counts.contains(&0) || times.contains(&0) {
            return Err("every connection and request limit must be at least 1".into());
        }
        Ok(())
    }
}

/// A duration of at least 1 ms.
fn at_least_one_ms(v: &str) -> Result<u64, String> {
    match v.parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// A count of at least 1.
fn at_least_one(v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(a: &[&str]) -> Result<Config, ArgsError> {
        Config::from_args(core::iter::once("smsr-server").chain(a.iter().copied()))
    }

    /// The exit status clap gives a rejected command line.
    fn usage_code(a: &[&str]) -> i32 {
        match parse(a) {
            Err(ArgsError::Usage(e)) => e.exit_code(),
            other => panic!("{a:?}: {other:?}"),
        }
    }

    #[test]
    fn a_config_file_with_keys_is_refused_naming_the_import() {
        let dir = std::env::temp_dir().join(format!("smsr-config-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for field in KEY_FIELDS {
            let f = dir.join("c.json");
            std::fs::write(
                &f,
                format!("{{\"SmsrId\": \"X\", \"{field}\": \"00112233\"}}"),
            )
            .unwrap();
            let e = match parse(&["--config", f.to_str().unwrap()]) {
                Err(ArgsError::Invalid(e)) => e,
                other => panic!("{field}: {other:?}"),
            };
            assert!(e.contains("import-keys") && !e.contains("00112233"), "{e}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_example_file_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.json");
        let c = parse(&["--config", path]).unwrap();
        assert_eq!(c.operators.len(), 2);
        assert!(c.power_safe);
        assert_eq!(c.api.port(), 8080);
    }

    #[test]
    fn flags_override_file() {
        let dir = std::env::temp_dir().join(format!("smsr-cfg-{}.json", std::process::id()));
        std::fs::write(
            &dir,
            r#"{"Api":"127.0.0.1:9000","Attempts":7,"Operators":[{"Id":"M","Token":"t","Roles":["mno"]}]}"#,
        )
        .unwrap();
        let p = dir.to_str().unwrap();
        let c = parse(&["--config", p, "--api", "127.0.0.1:9001"]).unwrap();
        assert_eq!(c.api.port(), 9001);
        assert_eq!(c.attempts, 7);
        assert_eq!(c.operators.len(), 1);
        // Flags win wherever they stand, and the last of a repeated flag.
        let c = parse(&["--api", "127.0.0.1:9001", "--config", p]).unwrap();
        assert_eq!(c.api.port(), 9001);
        let c = parse(&["--attempts", "2", "--attempts", "3"]).unwrap();
        assert_eq!(c.attempts, 3);
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--exit"]).is_err());
        assert!(matches!(
            parse(&["--help"]),
            Err(ArgsError::Usage(e)) if e.kind() == clap::error::ErrorKind::DisplayHelp
        ));
        assert_eq!(
            parse(&["--smsc", "smpp://smsr:pw@127.0.0.1:2775?window=5"])
                .unwrap()
                .smsc,
            Smsc::Smpp(SmppConfig::parse("smpp://smsr:pw@127.0.0.1:2775?window=5").unwrap())
        );
        std::fs::write(&dir, r#"{"Nope":1}"#).unwrap();
        assert!(matches!(
            parse(&["--config", p]),
            Err(ArgsError::Invalid(e)) if e.contains("Nope")
        ));
        std::fs::write(&dir, r#"{"MaxScp81Connections":3,"MaxBatchSize":7}"#).unwrap();
        let c = parse(&["--config", p, "--max-batch-size", "9"]).unwrap();
        assert_eq!(c.limits.max_scp81_connections, 3);
        assert_eq!(c.limits.max_batch_size, 9);
        assert_eq!(
            c.limits.max_api_connections,
            Limits::default().max_api_connections
        );
        std::fs::write(&dir, r#"{"Scp81IdleTimeoutMs":0}"#).unwrap();
        assert!(matches!(
            parse(&["--config", p]),
            Err(ArgsError::Invalid(e)) if e.contains("limit")
        ));
        std::fs::write(&dir, r#"{"MaxParallel":0}"#).unwrap();
        assert!(matches!(
            parse(&["--config", p]),
            Err(ArgsError::Invalid(_))
        ));
        std::fs::remove_file(&dir).unwrap();
    }

    #[test]
    fn the_es_section_names_key_files_only() {
        let f = std::env::temp_dir().join(format!("smsr-cfg-es-{}.json", std::process::id()));
        let es = r#"{"Listen":"127.0.0.1:0","Cert":"s.pem","Key":"s.key","ClientCa":"ca.pem",
            "Clients":[{"Name":"mno-a","Id":"MNO-A","Roles":["mno"]}]"#;
        std::fs::write(&f, format!(r#"{{"Es":{es}}}}}"#)).unwrap();
        let p = f.to_str().unwrap();
        let c = parse(&["--config", p]).unwrap();
        let e = c.es.unwrap();
        assert_eq!(e.key, PathBuf::from("s.key"));
        assert_eq!(e.clients[0].roles, [Role::Mno]);
        assert_eq!((e.callback_attempts, e.callback_backoff_ms), (5, 500));
        assert_eq!(
            (e.callback_max_backoff_ms, e.callback_timeout_ms),
            (60_000, 10_000)
        );
        assert!(e.notifications.is_empty());
        assert!(parse(&[]).unwrap().es.is_none());
        // No place for an inline key: an unknown field is refused.
        std::fs::write(&f, format!(r#"{{"Es":{es},"KeyPem":"-----BEGIN"}}}}"#)).unwrap();
        assert!(matches!(
            parse(&["--config", p]),
            Err(ArgsError::Invalid(e)) if e.contains("KeyPem")
        ));
        std::fs::remove_file(&f).unwrap();
    }

    #[test]
    fn malformed_notification_endpoints_are_refused() {
        let f = std::env::temp_dir().join(format!("smsr-cfg-notify-{}.json", std::process::id()));
        let p = f.to_str().unwrap();
        let es = |extra: &str| {
            format!(
                r#"{{"Es":{{"Listen":"127.0.0.1:0","Cert":"s.pem","Key":"s.key","ClientCa":"ca.pem",
                "Clients":[]{extra}}}}}"#
            )
        };
        let ok = r#","Notifications":[{"Id":"MNO1","Url":"https://mno1.example:8443/es4"}]"#;
        std::fs::write(&f, es(ok)).unwrap();
        let n = parse(&["--config", p]).unwrap().es.unwrap().notifications;
        assert_eq!(n[0].url, "https://mno1.example:8443/es4");
        for (bad, why) in [
            (
                r#","Notifications":[{"Id":"MNO1","Url":"http://mno1.example/es4"}]"#,
                "https",
            ),
            (
                r#","Notifications":[{"Id":"MNO1","Url":"https://"}]"#,
                "Url",
            ),
            (
                r#","Notifications":[{"Id":"MNO1","Url":"not a url"}]"#,
                "Url",
            ),
            (
                r#","Notifications":[{"Id":"","Url":"https://a/"}]"#,
                "empty",
            ),
            (
                r#","Notifications":[{"Id":"M","Url":"https://a/"},{"Id":"M","Url":"https://b/"}]"#,
                "repeated",
            ),
            (
                r#","Notifications":[{"Id":"M","Url":"https://a/","Key":"k"}]"#,
                "Key",
            ),
            (r#","CallbackAttempts":0"#, "CallbackAttempts"),
            (
                r#","CallbackBackoffMs":900,"CallbackMaxBackoffMs":800"#,
                "below",
            ),
        ] {
            std::fs::write(&f, es(bad)).unwrap();
            match parse(&["--config", p]) {
                Err(ArgsError::Invalid(e)) => assert!(e.contains(why), "{bad}: {e}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        std::fs::remove_file(&f).unwrap();
    }

    #[test]
    fn help_exits_0_and_usage_errors_exit_2() {
        assert_eq!(usage_code(&["--help"]), 0);
        assert_eq!(usage_code(&["-h"]), 0);
        assert_eq!(usage_code(&["--version"]), 0);
        for bad in [
            &["--bogus"][..],
            &["--exit"],
            &["--api"],
            &["--api", "nowhere"],
            &["--attempts", "0"],
            &["--max-parallel", "0"],
            &["--max-scp81-connections", "0"],
            &["--scp81-idle-timeout-ms", "0"],
            &["--max-body-bytes", "x"],
            &["--smsc", "udp:1.2.3.4:5"],
            &["--smsc", "tcp:1.2.3.4:5"],
            &["--smsc", "smpp://a:b@h:1?window=0"],
            &["extra"],
        ] {
            assert_eq!(usage_code(bad), 2, "{bad:?}");
        }
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn db_selects_the_store_and_never_shows_a_password() {
        let db = |a: &[&str]| parse(a).unwrap().database;
        assert_eq!(db(&[]), None);
        assert_eq!(
            db(&["--db", "sqlite:/var/x.db"]),
            Some(Db::Sqlite("/var/x.db".into()))
        );
        assert_eq!(db(&["--db", "inv.db"]), Some(Db::Sqlite("inv.db".into())));
        let url = "postgres://smsr:s3cret@10.0.0.5:5432/smsr";
        let c = parse(&["--db", url]).unwrap();
        assert_eq!(c.database, Some(Db::Postgres(url.into())));
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            shown.contains("postgres://smsr:***@10.0.0.5:5432/smsr"),
            "{shown}"
        );
        assert_eq!(
            redact_url("postgresql://u@h/d"),
            "postgresql://u@h/d",
            "nothing to hide"
        );
        assert_eq!(usage_code(&["--db", "sqlite:"]), 2, "no path");
    }

    #[test]
    fn lease_defaults_above_the_session_timeout_and_must_stay_there() {
        let c = parse(&["--session-timeout-ms", "4000"]).unwrap();
        assert_eq!(c.lease_ms, 13_000, "twice the session timeout plus 5 s");
        assert_eq!(parse(&["--lease-ms", "20000"]).unwrap().lease_ms, 20_000);
        let r = parse(&["--session-timeout-ms", "4000", "--lease-ms", "4000"]);
        assert!(matches!(r, Err(ArgsError::Invalid(m)) if m.contains("LeaseMs")));
    }
}
