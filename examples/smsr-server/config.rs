//! Configuration: defaults, then a JSON config file (`--config FILE`, see
//! `config.example.json` beside this file), then command-line flags (flags
//! win).
//!
//! ```json
//! {
//!   "SmsrId": "SMSR-EXAMPLE",
//!   "Api": "127.0.0.1:8080",
//!   "Scp81": "127.0.0.1:8443",
//!   "Database": "/var/lib/smsr/inventory.db",
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
//!   "Smsc": "loopback"
//! }
//! ```

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

/// A role an operator may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
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

/// Where the SMS go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Smsc {
    /// An in-process loopback SMSC (the simulated fleet lives in this
    /// process).
    Loopback,
    /// A line-based TCP SMSC at this address (a fleet process started with
    /// `--fleet-only`).
    Tcp(SocketAddr),
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
    /// SQLite file (`None`: `smsr-inventory.db`, or a temporary file in
    /// demo mode).
    pub database: Option<PathBuf>,
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
    pub fleet: usize,
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
    database: Option<PathBuf>,
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

/// Usage text.
pub const USAGE: &str = "\
usage: smsr-server [options]

  --config FILE          JSON configuration (see the module docs of config.rs)
  --api ADDR             operator API listen address (default 127.0.0.1:8080)
  --scp81 ADDR           SCP81 PSK-TLS listen address (default 127.0.0.1:8443)
  --db FILE              SQLite inventory file (default smsr-inventory.db;
                         with --demo a temporary file)
  --power-safe           SQLite synchronous=FULL (survives power loss)
  --smsc loopback|tcp:ADDR
                         SMS gateway: in-process loopback SMSC (default) or a
                         TCP SMSC run by `--fleet-only`
  --validity SECONDS     default validity period of a function (default 120)
  --attempts N           delivery attempts per operation (default 5)
  --backoff-ms MS        first retry delay, doubled per attempt (default 200)
  --session-timeout-ms MS
                         one delivery attempt, trigger to last answer (default 15000)
  --max-parallel N       eUICCs served at once (default 64)
  --wait-ms MS           how long an API call waits before answering 202 (default 30000)
  --demo                 temporary database, simulated fleet, scripted lifecycle
  --exit                 with --demo: exit after the lifecycle
  --fleet N              fleet size for --demo (default 100)
  --fleet-only ADDR      run only a simulated fleet whose SMSC listens on ADDR
  --fleet-first N        first EID index of a --fleet-only fleet (default 0)
  --ready-file FILE      write the bound addresses as JSON once listening
  -h, --help             this text
";

impl Config {
    /// Defaults.
    pub fn defaults() -> Self {
        Self {
            smsr_id: "SMSR-EXAMPLE".into(),
            api: SocketAddr::from(([127, 0, 0, 1], 8080)),
            scp81: SocketAddr::from(([127, 0, 0, 1], 8443)),
            scp81_public: None,
            database: None,
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
        }
    }

    /// Parses the command line (without the program name).
    ///
    /// # Errors
    /// A message for a bad flag, value or config file; `Ok(None)` for
    /// `--help`.
    pub fn from_args(args: &[String]) -> Result<Option<Self>, String> {
        let mut c = Self::defaults();
        // The config file first, so that flags override it.
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--config" {
                let path = it.next().ok_or("--config needs a file")?;
                c.apply_file(path)?;
            }
        }
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut val = |name: &str| {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match a.as_str() {
                "-h" | "--help" => return Ok(None),
                "--config" => {
                    val("--config")?;
                }
                "--api" => c.api = parse(&val(a)?, a)?,
                "--scp81" => c.scp81 = parse(&val(a)?, a)?,
                "--db" => c.database = Some(PathBuf::from(val(a)?)),
                "--power-safe" => c.power_safe = true,
                "--smsc" => c.smsc = parse_smsc(&val(a)?)?,
                "--validity" => c.validity_seconds = parse(&val(a)?, a)?,
                "--attempts" => c.attempts = parse(&val(a)?, a)?,
                "--backoff-ms" => c.backoff_ms = parse(&val(a)?, a)?,
                "--session-timeout-ms" => c.session_timeout_ms = parse(&val(a)?, a)?,
                "--max-parallel" => c.max_parallel = parse(&val(a)?, a)?,
                "--wait-ms" => c.wait_ms = parse(&val(a)?, a)?,
                "--demo" => c.demo = true,
                "--exit" => c.exit = true,
                "--fleet" => c.fleet = parse(&val(a)?, a)?,
                "--fleet-only" => c.fleet_only = Some(parse(&val(a)?, a)?),
                "--fleet-first" => c.fleet_first = parse(&val(a)?, a)?,
                "--ready-file" => c.ready_file = Some(PathBuf::from(val(a)?)),
                other => return Err(format!("unknown option '{other}' (try --help)")),
            }
        }
        if c.exit && !c.demo {
            return Err("--exit only goes with --demo".into());
        }
        if c.max_parallel == 0 || c.attempts == 0 {
            return Err("--max-parallel and --attempts must be at least 1".into());
        }
        if c.demo && c.operators.is_empty() {
            c.operators = demo_operators();
        }
        Ok(Some(c))
    }

    fn apply_file(&mut self, path: &str) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let f: FileConfig = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
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
        if f.database.is_some() {
            self.database = f.database;
        }
        if f.scp81_public.is_some() {
            self.scp81_public = f.scp81_public;
        }
        if let Some(s) = f.smsc {
            self.smsc = parse_smsc(&s)?;
        }
        Ok(())
    }
}

fn parse<T: core::str::FromStr>(v: &str, flag: &str) -> Result<T, String>
where
    T::Err: core::fmt::Display,
{
    v.parse().map_err(|e| format!("{flag} {v}: {e}"))
}

fn parse_smsc(v: &str) -> Result<Smsc, String> {
    if v == "loopback" {
        return Ok(Smsc::Loopback);
    }
    match v.strip_prefix("tcp:") {
        Some(addr) => Ok(Smsc::Tcp(parse(addr, "--smsc")?)),
        None => Err(format!("--smsc {v}: expected 'loopback' or 'tcp:ADDR'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_example_file_parses() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config.example.json");
        let c = Config::from_args(&args(&["--config", path]))
            .unwrap()
            .unwrap();
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
        let c = Config::from_args(&args(&["--config", p, "--api", "127.0.0.1:9001"]))
            .unwrap()
            .unwrap();
        assert_eq!(c.api.port(), 9001);
        assert_eq!(c.attempts, 7);
        assert_eq!(c.operators.len(), 1);
        assert!(Config::from_args(&args(&["--bogus"])).is_err());
        assert!(Config::from_args(&args(&["--exit"])).is_err());
        assert!(Config::from_args(&args(&["--help"])).unwrap().is_none());
        assert_eq!(
            Config::from_args(&args(&["--smsc", "tcp:127.0.0.1:1"]))
                .unwrap()
                .unwrap()
                .smsc,
            Smsc::Tcp("127.0.0.1:1".parse().unwrap())
        );
        std::fs::write(&dir, r#"{"Nope":1}"#).unwrap();
        assert!(Config::from_args(&args(&["--config", p])).is_err());
        std::fs::remove_file(&dir).unwrap();
    }
}
