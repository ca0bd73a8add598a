//! The SGP.02 ES binding: SOAP 1.2 with WS-Addressing over mutual TLS
//! (`es_tls.rs`), dispatched into the operator API's function table
//! (`api::call`), so both front ends run the same code.
//!
//! A request is refused with a SOAP fault before anything runs when the
//! envelope is wrong (`smsr::soap`: size, XML, DTD/entities, depth, SOAP
//! 1.1 → `VersionMismatch`), when `wsa:MessageID` or `wsa:Action` is
//! missing (`wsa:MessageAddressingHeaderRequired`), the action is unknown
//! (`wsa:ActionNotSupported`) or does not match the body
//! (`wsa:InvalidAddressingHeader` / `wsa:ActionMismatch`), or the caller's
//! certificate role is not the interface's (`env:Sender` with the SGP.02
//! status 1.1 / 1.2 in the detail). A request that reaches its function
//! is answered with its `…Response` and `FunctionExecutionStatus` (a bad
//! element: `Failed` 1.6 / 2.1 or 2.2; a `ValidityPeriod` of 0: `Expired`
//! 1.6 / 4.10): synchronously when the function settles within the wait,
//! else with HTTP 202 at once and the `…Response` sent to `wsa:ReplyTo`
//! (stored in the outbox and delivered by `notify.rs`). With no (or the anonymous) `ReplyTo` the answer waits
//! on the connection up to the validity period.
//!
//! `GET …?wsdl` serves our WSDL and XSD (`wsdl.rs`).

pub mod callback;
pub mod convert;
pub mod eis;
pub mod eis_read;
pub mod functions;
pub mod notify;
pub mod register;
pub mod wsdl;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde_json::{Value, json};
use smsr::inventory::FunctionExecutionStatus;
use smsr::inventory::codes;
use smsr::soap::write::{self, Headers};
use smsr::soap::{Envelope, Fault, FaultCode, GSMA_NS, Limits, SoapError, WSA_ANONYMOUS};

use crate::config::Operator;
use crate::ops::{iso8601, now_ms};
use crate::server::App;
use functions::SoapFunction;
use notify::Notifier;

/// What the binding shares across requests.
pub struct Binding {
    /// Stores asynchronous answers in the outbox (and delivers it).
    pub notifier: Arc<Notifier>,
    /// Envelope limits.
    pub limits: Limits,
}

/// A fresh message identifier (WS-Addressing 1.0 Core §3.2: an absolute
/// IRI unique in space and time): this process's start time and id, and a
/// counter.
fn message_id() -> String {
    static STARTED: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let started = *STARTED.get_or_init(now_ms);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("urn:smsr:msg:{started}-{}-{n}", std::process::id())
}

fn xml_response(status: StatusCode, xml: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(xml)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/soap+xml; charset=utf-8"),
    );
    r
}

fn fault_response(
    f: &Fault,
    relates_to: Option<&str>,
    http: Option<StatusCode>,
) -> Response<Full<Bytes>> {
    let status = http
        .or_else(|| StatusCode::from_u16(f.code.http_status()).ok())
        .unwrap_or(StatusCode::BAD_REQUEST);
    xml_response(status, f.envelope(&message_id(), relates_to))
}

/// The `env:Sender` fault for a caller whose role does not allow the
/// function, with the SGP.02 status in the detail.
fn not_allowed(caller: &Operator, why: &str) -> Fault {
    let status =
        FunctionExecutionStatus::failed(codes::REQUESTER_NOT_ALLOWED, Some(&caller.id), why);
    let mut detail = String::new();
    match serde_json::to_value(&status) {
        Ok(v) => convert::write_status(&mut detail, &v),
        Err(e) => tracing::error!("status to JSON: {e}"),
    }
    Fault {
        detail: Some(detail),
        ..Fault::new(FaultCode::Sender, why.to_owned())
    }
}

/// The request's body, refused (`413` with a `Sender` fault) beyond the
/// envelope limit before any of it is parsed.
async fn read_body(req: Request<Incoming>, max: usize) -> Result<Bytes, Response<Full<Bytes>>> {
    let too_large = |len: usize| {
        let f = Fault::from_error(&SoapError::TooLarge { len, max });
        fault_response(&f, None, Some(StatusCode::PAYLOAD_TOO_LARGE))
    };
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = declared.filter(|&l| l > max) {
        return Err(too_large(len));
    }
    match Limited::new(req.into_body(), max).collect().await {
        Ok(b) => Ok(b.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(too_large(max.saturating_add(1)))
        }
        Err(e) => Err(fault_response(
            &Fault::new(FaultCode::Sender, format!("request body: {e}")),
            None,
            None,
        )),
    }
}

/// Entry point for one HTTP request on the ES listener from `caller`.
pub async fn handle(
    app: Arc<App>,
    binding: Arc<Binding>,
    caller: Arc<Operator>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() == Method::GET {
        let wsdl = req
            .uri()
            .query()
            .is_some_and(|q| q.eq_ignore_ascii_case("wsdl"));
        // The WSDL names this listener as the client reached it (HTTP/1.1
        // requires Host: RFC 9112 §3.2).
        let host = req
            .headers()
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok());
        let mut r = match (wsdl, host) {
            (true, Some(host)) => {
                let location = format!("https://{host}{}", req.uri().path());
                xml_response(StatusCode::OK, wsdl::document(&location))
            }
            (true, None) => xml_response(StatusCode::BAD_REQUEST, String::new()),
            (false, _) => xml_response(StatusCode::NOT_FOUND, String::new()),
        };
        if r.status() == StatusCode::OK {
            r.headers_mut().insert(
                hyper::header::CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("text/xml; charset=utf-8"),
            );
        }
        return Ok(r);
    }
    if req.method() != Method::POST {
        let f = Fault::new(FaultCode::Sender, "use POST (or GET ?wsdl)".into());
        return Ok(fault_response(
            &f,
            None,
            Some(StatusCode::METHOD_NOT_ALLOWED),
        ));
    }
    let body = match read_body(req, binding.limits.max_bytes).await {
        Ok(b) => b,
        Err(r) => return Ok(r),
    };
    Ok(request(&app, &binding, &caller, &body).await)
}

/// One parsed-and-checked request: the envelope, its function and the
/// request element as the endpoint's JSON.
async fn request(
    app: &Arc<App>,
    binding: &Arc<Binding>,
    caller: &Arc<Operator>,
    body: &[u8],
) -> Response<Full<Bytes>> {
    let start = now_ms();
    let env = match Envelope::parse(body, &binding.limits) {
        Ok(e) => e,
        Err(e) => return fault_response(&Fault::from_error(&e), None, None),
    };
    let (msg_id, action) = match env.addressing.required() {
        Ok(x) => x,
        Err(e) => {
            return fault_response(
                &Fault::from_error(&e),
                env.addressing.message_id.as_deref(),
                None,
            );
        }
    };
    let Some(function) = SoapFunction::by_action(action) else {
        return fault_response(&Fault::action_not_supported(action), Some(msg_id), None);
    };
    if env.body.name != function.name || env.body.namespace.as_deref() != Some(GSMA_NS) {
        let e = SoapError::InvalidAddressingHeader {
            header: "Action",
            problem: "ActionMismatch",
        };
        return fault_response(&Fault::from_error(&e), Some(msg_id), None);
    }
    if !caller.roles.contains(&function.interface.role()) {
        let why = format!(
            "{} functions are not allowed for {}",
            function.interface.name(),
            caller.id
        );
        return fault_response(&not_allowed(caller, &why), Some(msg_id), None);
    }
    let json = match convert::request_json(function, &env.body) {
        Ok(j) => j,
        Err(e) => {
            let status = FunctionExecutionStatus::failed(e.status_code(), None, &e.to_string());
            return answer(function, msg_id, &base(start, &Value::Null, &status));
        }
    };
    if function.interface == functions::Interface::Es1
        && let Err(status) = register::check(app, caller, body, &binding.limits)
    {
        return answer(function, msg_id, &base(start, &json, &status));
    }
    if let Some(id) = json
        .get("FunctionRequesterIdentifier")
        .and_then(Value::as_str)
        && id != caller.id
    {
        let why = format!("FunctionRequesterIdentifier {id:?} is not the certificate's identity");
        return fault_response(&not_allowed(caller, &why), Some(msg_id), None);
    }
    let validity = json
        .get("ValidityPeriod")
        .and_then(Value::as_u64)
        .unwrap_or(app.config.validity_seconds);
    if validity == 0 {
        let status = FunctionExecutionStatus::expired("ValidityPeriod 0: expired on arrival");
        return answer(function, msg_id, &base(start, &json, &status));
    }
    let call = Call {
        function,
        msg_id: msg_id.to_owned(),
        reply_to: env.addressing.reply_to.filter(|r| r != WSA_ANONYMOUS),
        call_id: json.get("FunctionCallIdentifier").cloned(),
        start,
        validity: Duration::from_secs(validity),
    };
    run(app.clone(), binding.clone(), caller.clone(), call, json).await
}

/// The elements every answer starts with.
fn base(start: i64, json: &Value, status: &FunctionExecutionStatus) -> Value {
    json!({
        "FunctionCallIdentifier": json.get("FunctionCallIdentifier"),
        "ProcessingStart": iso8601(start),
        "ProcessingEnd": iso8601(now_ms()),
        "FunctionExecutionStatus": status,
    })
}

/// A synchronous `…Response` (HTTP 200).
fn answer(function: &SoapFunction, relates_to: &str, a: &Value) -> Response<Full<Bytes>> {
    xml_response(StatusCode::OK, envelope(function, None, relates_to, a))
}

fn envelope(function: &SoapFunction, to: Option<&str>, relates_to: &str, a: &Value) -> String {
    let action = function.response_action();
    let id = message_id();
    let headers = Headers {
        to,
        action: &action,
        message_id: &id,
        relates_to: Some(relates_to),
    };
    write::envelope(&headers, "", &convert::response_xml(function, a))
}

/// The `Receiver` fault for an accepted function whose answer could not
/// be stored (nothing was answered asynchronously).
fn stored_fault(e: &dyn std::fmt::Display) -> Fault {
    Fault::new(
        FaultCode::Receiver,
        format!("the answer cannot be stored: {e}"),
    )
}

/// What makes an asynchronous answer again after a restart (the body of
/// its parked outbox message).
#[derive(serde::Serialize, serde::Deserialize)]
struct PendingReply {
    operation: i64,
    interface: String,
    function: String,
    message_id: String,
    call_id: Option<Value>,
    start: i64,
    caller: String,
    roles: Vec<crate::config::Role>,
}

/// The `…Response` envelope of a parked answer (`marker`, to `to`) whose
/// waiter is gone: the operation's state now (an unsettled one is
/// `Expired`: its validity period is over).
///
/// # Errors
/// A marker that does not name a function of the table.
pub async fn pending_reply(app: &App, to: &str, marker: &str) -> Result<String, String> {
    let p: PendingReply =
        serde_json::from_str(marker).map_err(|e| format!("parked answer: {e}"))?;
    let function = functions::FUNCTIONS
        .iter()
        .find(|f| f.interface.name() == p.interface && f.name == p.function)
        .ok_or_else(|| format!("parked answer of {}.{}", p.interface, p.function))?;
    let caller = Operator {
        id: p.caller,
        token: String::new(),
        roles: p.roles,
    };
    let (_, a) =
        crate::api::settled(app, &caller, p.operation, function.with_eis, Duration::ZERO).await;
    let call = Call {
        function,
        msg_id: p.message_id,
        reply_to: Some(to.to_owned()),
        call_id: p.call_id,
        start: p.start,
        validity: Duration::ZERO,
    };
    Ok(envelope(function, Some(to), &call.msg_id, &call.finish(a)))
}

/// A function that passed every check, ready to run.
struct Call {
    function: &'static SoapFunction,
    msg_id: String,
    reply_to: Option<String>,
    call_id: Option<Value>,
    start: i64,
    validity: Duration,
}

impl Call {
    /// The API's answer with the request's identifier and start; one still
    /// running at the end of its validity is `Expired`.
    fn finish(&self, mut a: Value) -> Value {
        if a.get("FunctionExecutionStatus").is_none() {
            let status = FunctionExecutionStatus::expired("not settled within the validity period");
            a = base(self.start, &Value::Null, &status);
        }
        if let Some(o) = a.as_object_mut() {
            o.insert("ProcessingStart".into(), json!(iso8601(self.start)));
            if let Some(id) = &self.call_id {
                o.insert("FunctionCallIdentifier".into(), id.clone());
            }
        }
        a
    }
}

/// Runs the function: a settled answer at once; an accepted one waited for
/// here (anonymous `ReplyTo`) or answered later to `ReplyTo`.
async fn run(
    app: Arc<App>,
    binding: Arc<Binding>,
    caller: Arc<Operator>,
    call: Call,
    json: Value,
) -> Response<Full<Bytes>> {
    let (iface, name) = call.function.endpoint;
    let (status, a) = crate::api::call(&app, &caller, iface, name, &json).await;
    if status != StatusCode::ACCEPTED {
        return answer(call.function, &call.msg_id, &call.finish(a));
    }
    let Some(id) = a.get("OperationId").and_then(Value::as_i64) else {
        let f = Fault::new(FaultCode::Receiver, "accepted without an operation".into());
        return fault_response(&f, Some(&call.msg_id), None);
    };
    let Some(to) = call.reply_to.clone() else {
        let (_, a) =
            crate::api::settled(&app, &caller, id, call.function.with_eis, call.validity).await;
        return answer(call.function, &call.msg_id, &call.finish(a));
    };
    // Stored before the 202, due at the end of the validity period: if
    // this process dies before the answer is known, the outbox worker of
    // whichever instance makes it then (`pending_reply`).
    let pending = PendingReply {
        operation: id,
        interface: call.function.interface.name().to_owned(),
        function: call.function.name.to_owned(),
        message_id: call.msg_id.clone(),
        call_id: call.call_id.clone(),
        start: call.start,
        caller: caller.id.clone(),
        roles: caller.roles.clone(),
    };
    let action = call.function.response_action();
    let marker = match serde_json::to_string(&pending) {
        Ok(m) => m,
        Err(e) => return fault_response(&stored_fault(&e), Some(&call.msg_id), None),
    };
    let m = notify::reply_message(id, &call.msg_id, &caller.id, &to, &action, marker);
    let validity = i64::try_from(call.validity.as_millis()).unwrap_or(i64::MAX);
    if let Err(e) = binding.notifier.park(&m, now_ms().saturating_add(validity)) {
        return fault_response(&stored_fault(&e), Some(&call.msg_id), None);
    }
    tokio::spawn(async move {
        let (_, a) =
            crate::api::settled(&app, &caller, id, call.function.with_eis, call.validity).await;
        let xml = envelope(call.function, Some(&to), &call.msg_id, &call.finish(a));
        match binding.notifier.fill(&m.event_id, &xml) {
            Ok(true) => {
                tracing::info!(%to, operation = id, "asynchronous answer stored for delivery")
            }
            Ok(false) => tracing::info!(
                operation = id,
                "asynchronous answer already made at its deadline"
            ),
            Err(e) => tracing::warn!(
                operation = id,
                "asynchronous answer left to its deadline: {e}"
            ),
        }
    });
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = StatusCode::ACCEPTED;
    r
}
