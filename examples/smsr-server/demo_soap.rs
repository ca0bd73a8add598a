//! The demo's ES clients: the MNOs (ES4) and their SM-DPs (ES3) talk to
//! the SM-SR in SOAP 1.2 with WS-Addressing over mutual TLS (SGP.02 §5),
//! each with its own client certificate ([`crate::demo_pki`]) and its own
//! `ReplyTo` listener (mutual TLS too), where the SM-SR sends the answers
//! of the functions it accepts and, for the MNOs, its
//! Handle*Notification calls. Each reads the SM-SR's WSDL first and
//! refuses to run unless every function it uses is an operation there,
//! with both its actions.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use smsr_smdp::reply::ReplyListener;
use smsr_smdp::soap::{self, Party, SoapClient};

use crate::config::Config;
use crate::demo_pki::{CLIENTS, DemoPki, SMSR};

/// The ES3 functions the demo's SM-DPs call.
pub const ES3_USED: [&str; 4] = [
    "GetEIS",
    "CreateISDP",
    "SendData",
    "ProfileDownloadCompleted",
];
/// The ES4 functions the demo's MNOs call.
pub const ES4_USED: [&str; 7] = [
    "GetEIS",
    "AuditEIS",
    "EnableProfile",
    "DisableProfile",
    "DeleteProfile",
    "UpdatePolicyRules",
    "SetFallBackAttribute",
];

/// The longest the demo's server holds a request for its answer
/// (`--wait-ms`, capped): a function still running then (one that needs
/// the eUICC) is answered at the caller's `ReplyTo`.
pub const DEMO_WAIT_MS: u64 = 100;

/// How long a client waits for an answer at its `ReplyTo`.
const ANSWER_WAIT: Duration = Duration::from_secs(300);

/// The PKI and the clients' `ReplyTo` listeners, made before the server
/// starts (its config names them).
pub struct Soap {
    /// The certificates.
    pub pki: DemoPki,
    /// Per client of [`CLIENTS`], its listener.
    listeners: Vec<Arc<ReplyListener>>,
}

impl Soap {
    /// Makes the PKI, starts the listeners and gives `config` its ES
    /// listener (each MNO's notifications to its MNO client's listener).
    ///
    /// # Errors
    /// `config` already has an `Es` section, or the PKI or a listener
    /// could not be made.
    pub async fn prepare(config: &mut Config) -> Result<Self, String> {
        if config.es.is_some() {
            return Err("--demo makes its own ES PKI and listener: leave Es out".into());
        }
        let pki = DemoPki::create()?;
        let any: SocketAddr = "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?;
        let mut listeners = Vec::new();
        for (name, _, _) in CLIENTS {
            listeners.push(ReplyListener::start(any, &pki.files(name), SMSR).await?);
        }
        let notify: Vec<(&str, &str)> = CLIENTS
            .iter()
            .zip(&listeners)
            .filter(|((_, _, role), _)| *role == "mno")
            .map(|((_, id, _), l)| (*id, l.url()))
            .collect();
        config.es = Some(pki.es_config(&notify)?);
        config.wait_ms = config.wait_ms.min(DEMO_WAIT_MS);
        Ok(Self { pki, listeners })
    }

    /// Client `name`'s party on port type `port_type`, once its WSDL check
    /// passed; and how many operations the WSDL has.
    ///
    /// # Errors
    /// TLS, the WSDL, or a function of `used` missing from it.
    pub async fn party(
        &self,
        es: SocketAddr,
        name: &str,
        port_type: &'static str,
        used: &[&str],
    ) -> Result<Arc<Party>, String> {
        let i = CLIENTS
            .iter()
            .position(|c| c.0 == name)
            .ok_or_else(|| format!("no demo client {name}"))?;
        let reply = self.listeners.get(i).cloned();
        let tls = soap::connector(&self.pki.files(name))?;
        let contract = soap::fetch_contract(&tls, es).await?;
        contract
            .require(port_type, used)
            .map_err(|e| format!("{name}: {e}: refusing to run"))?;
        Ok(Party::new(
            es,
            tls,
            Arc::new(contract),
            port_type,
            &format!("urn:smsr-demo:{name}"),
            reply,
            ANSWER_WAIT,
        ))
    }

    /// A party of certificate `name` that skips the WSDL check (the
    /// refusal checks: an unknown CA, a function of another role).
    ///
    /// # Errors
    /// TLS files.
    pub fn unchecked(
        &self,
        es: SocketAddr,
        name: &str,
        contract: &Arc<Party>,
        port_type: &'static str,
    ) -> Result<Arc<Party>, String> {
        let tls = soap::connector(&self.pki.files(name))?;
        Ok(Party::new(
            es,
            tls,
            contract.contract().clone(),
            port_type,
            &format!("urn:smsr-demo:{name}"),
            None,
            ANSWER_WAIT,
        ))
    }

    /// Messages that came to the listeners relating to no call (the
    /// Handle*Notification calls), by action.
    pub fn notifications(&self) -> std::collections::BTreeMap<String, u64> {
        let mut all = std::collections::BTreeMap::new();
        for l in &self.listeners {
            for (k, v) in l.unsolicited() {
                *all.entry(k).or_insert(0) += v;
            }
        }
        all
    }
}

/// A pool of `width` clients (connections) of `party`.
pub fn pool(party: &Arc<Party>, width: usize) -> Arc<Vec<Arc<SoapClient>>> {
    Arc::new(
        (0..width.max(1))
            .map(|_| Arc::new(SoapClient::new(party)))
            .collect(),
    )
}

/// Calls `name` and insists on an `Executed-…` answer.
///
/// # Errors
/// Any other answer.
pub async fn ok(c: &SoapClient, name: &str, body: Value) -> Result<Value, String> {
    let (s, v) = c.call(name, &body).await?;
    let st = v
        .pointer("/FunctionExecutionStatus/Status")
        .and_then(Value::as_str)
        .unwrap_or("");
    if s == 200 && st.starts_with("Executed") {
        Ok(v)
    } else {
        Err(format!(
            "{}.{name} {body}: HTTP {s} {v}",
            c.party().port_type()
        ))
    }
}

/// The SGP.02 status of an answer, as `Status subject/reason` (or the
/// fault's code and reason).
pub fn status(v: &Value) -> String {
    if let Some(f) = v.get("Fault") {
        let s = |k: &str| f.get(k).and_then(Value::as_str).unwrap_or("?").to_owned();
        return format!("SOAP fault {}: {}", s("Code"), s("Reason"));
    }
    let p = |k: &str| {
        v.pointer(&format!("/FunctionExecutionStatus/{k}"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()
    };
    format!(
        "{} {}/{}",
        p("Status"),
        p("StatusCodeData/Subject"),
        p("StatusCodeData/Reason")
    )
}
