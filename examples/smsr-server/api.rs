//! The operator API: HTTP/1.1 + JSON, modelled on the SGP.02 ES1/ES3/ES4
//! functions (SGP.02 §5.3-§5.5; element names as in the EIS type).
//!
//! Every request carries `Authorization: Bearer <token>`; the token names
//! an operator (config `Operators`) with roles `eum` (ES1), `mno` (ES4) and
//! `smdp` (ES3). A missing or unknown token is `401`, a function outside
//! the operator's roles or a profile it does not own `403`; nothing
//! changes in either case. GetEIS and AuditEIS answer with the EIS as the
//! operator may see it ([`Eis::view_for`]: other operators' profiles lose
//! their private fields).
//!
//! | method, path | function | body |
//! |---|---|---|
//! | `POST /es1/RegisterEIS` | ES1.RegisterEIS | `{"Eis": {…}, "Secrets": {…}}` |
//! | `POST /es4/GetEIS` | ES4/ES3.GetEIS | `{"Eid"}` |
//! | `POST /es4/AuditEIS` | ES4/ES3.AuditEIS | `{"Eid", "Iccid": [..]}` |
//! | `POST /es4/EnableProfile` | ES4.EnableProfile | `{"Eid", "Iccid"}` |
//! | `POST /es4/DisableProfile` | ES4.DisableProfile | `{"Eid", "Iccid"}` |
//! | `POST /es4/DeleteProfile` | ES4.DeleteProfile | `{"Eid", "Iccid"}` |
//! | `POST /es4/SetFallbackAttribute` | ES4.SetFallBackAttribute | `{"Eid", "Iccid"}` |
//! | `POST /es4/SetEmergencyProfileAttribute` | ES4.SetEmergencyProfileAttribute | `{"Eid", "Iccid"}` |
//! | `POST /es4/UpdatePolicyRules` | ES4.UpdatePolicyRules | `{"Eid", "Iccid", "Pol2": [..]}` |
//! | `POST /es4/UpdateConnectivityParameters` | ES3/ES4 | `{"Eid", "Iccid", "ConnectivityParameters": "hex"}` |
//! | `POST /es4/UpdateSubscriptionAddress` | ES4.UpdateSubscriptionAddress | `{"Eid", "Iccid", "SubscriptionAddress": {"Imsi", "Msisdn"}}` |
//! | `POST /es4/SetPLMA` | ES4(A).SetPLMA | `{"M2MSP-id", "ProfileType", "Function": [..]}` (no `Function`: revoked) |
//! | `POST /es4/GetPLMA` | ES4(A).GetPLMA | `{}`: the PLMAs granted by and to the caller |
//! | `POST /es4/SetONC` | ES4A.SetONC | `{"ProfileType", "DiscardedNotification": [..]}` (none: removed) |
//! | `POST /es4/GetONC` | ES4A.GetONC | `{}`: the caller's ONCs |
//! | `POST /es4/GetAuthorisationsOfM2MSP` | ES4 | `{"Mno-id"}` (optional): the PLMAs granted to the caller |
//! | `POST /es3/CreateISDP` | ES3.CreateISDP | `{"Eid", "Iccid", "Mno-id", "RequiredMemory"}` |
//! | `POST /es3/SendData` | ES3.SendData | `{"Eid", "sd-aid", "Data": "hex command script"}` |
//! | `POST /es3/ProfileDownloadCompleted` | ES3 | `{"Eid", "Iccid", "ProfileType", "SubscriptionAddress", "Pol2"}` |
//! | `POST /batch/EnableProfile` | fleet-wide | `{"Targets": [{"Eid","Iccid"}]}` or `{"Filter": {…}, "IccidPrefix"}` |
//! | `POST /batch/AuditEIS` | fleet-wide | `{"Eids": [..]}` or `{"Filter": {…}}` |
//! | `GET /batch/{id}` | progress | |
//! | `GET /operations/{id}` | one queued function | |
//! | `GET /stats` | fleet and queue summary | |
//!
//! Every function body may carry `FunctionCallIdentifier` (echoed) and
//! `ValidityPeriod` (seconds). Answers carry `ProcessingStart`,
//! `ProcessingEnd` and the SGP.02 `FunctionExecutionStatus` (`Status`,
//! `StatusCodeData` with `Subject`, `Reason`, `SubjectIdentifier`,
//! `Message`).
//!
//! HTTP status: `200` the function was executed or settled by the eUICC
//! (the body's status says `Executed-Success`, `Executed-WithWarning`,
//! `Failed` or `Expired`); `202` accepted and still running (poll
//! `/operations/{id}`); `400` malformed JSON or a missing element
//! (`1.6`/`2.1`, `2.2`), or an element that does not have its SGP.02
//! type (`crate::fields`: EID, ICCID with its Luhn digit, AIDs, MSISDN,
//! identifiers, key lengths; the element's subject `8.1.1`, `8.2.1`,
//! `8.2.5` or `1.6` with `2.1`), checked before anything runs;
//! `401`/`403` as above (`1.1`/`1.1`, `1.1`/`1.2`);
//! `404` unknown EID (`8.1.1`/`3.9`) or ICCID (`8.2.1`/`3.9`) or path;
//! `405` a method other than POST on a function; `409` refused by the EIS
//! rules before reaching the eUICC (the rule's SGP.02 code, e.g. POL2
//! `8.2.3`/`3.8`) or an EID registered twice; `413` a body over
//! `MaxBodyBytes` (8 MiB by default) or a batch over `MaxBatchSize`
//! targets (nothing queued); `503` past `MaxApiConnections` (see
//! `config.rs`, `server.rs`).
//!
//! Authentication is by bearer token (compared in constant time) inside
//! TLS: the listener speaks HTTPS with the certificate of config `ApiTls`
//! (`api_tls.rs`), plain HTTP only with `--insecure-http` on a loopback
//! address. SGP.02's own binding (SOAP 1.2 over mutual TLS,
//! WS-Addressing) is `soap/`, which runs the same functions through
//! [`call`] and [`settled`]. `openapi.json` beside this file describes
//! the routes in OpenAPI 3 (checked against [`ROUTES`] by
//! `openapi_check.rs`).

mod m2msp;
mod onc;
mod plma;
mod validity;

pub(crate) use validity::MAX_VALIDITY_SECONDS;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use smsr::inventory::{
    AuthorisedFunction, Authority, Eis, Operation, Plma, Pol2Rule, Refusal, SubscriptionAddress,
};
use smsr::isdr::Eid;
use subtle::ConstantTimeEq;

use crate::config::{Operator, Role};
use crate::ops::{
    Function, FunctionExecutionStatus, NewOp, OpRecord, OpState, codes, iso8601, now_ms,
};
use crate::server::App;
use crate::store::{EidFilter, EisChange, StoreError, outbox};

/// An early answer: HTTP status and the SGP.02 status.
struct Reject(StatusCode, FunctionExecutionStatus);

fn reject(
    http: StatusCode,
    code: smsr::isdr::response::StatusCode,
    id: Option<&str>,
    msg: &str,
) -> Reject {
    Reject(http, FunctionExecutionStatus::failed(code, id, msg))
}

fn internal(e: impl core::fmt::Display + 'static) -> Reject {
    if let Some(StoreError::Unavailable(why)) = (&e as &dyn core::any::Any).downcast_ref() {
        return unavailable(why);
    }
    tracing::error!("internal error: {e}");
    reject(
        StatusCode::INTERNAL_SERVER_ERROR,
        codes::PROVIDER_ERROR,
        None,
        &e.to_string(),
    )
}

/// The store is unreachable (database down or restarting): 503, saying
/// so; nothing was done and the caller may try again.
fn unavailable(why: &str) -> Reject {
    tracing::warn!("inventory database unavailable: {why}");
    reject(
        StatusCode::SERVICE_UNAVAILABLE,
        codes::PROVIDER_ERROR,
        None,
        &format!("inventory database unavailable, try again later: {why}"),
    )
}

/// Sets `key` of a JSON object.
fn set(v: &mut Value, key: &str, x: Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert(key.to_owned(), x);
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut r = Response::new(Full::new(Bytes::from(bytes)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            hyper::header::HeaderValue::from_static("Bearer realm=\"smsr\""),
        );
    }
    r
}

/// Common request elements.
#[derive(Debug, Default, Deserialize)]
struct Common {
    #[serde(rename = "FunctionCallIdentifier", default)]
    call_id: Option<String>,
    #[serde(rename = "ValidityPeriod", default)]
    validity: Option<u64>,
}

/// One request in flight: who, when it started, its common elements.
struct Ctx<'a> {
    app: &'a App,
    op: &'a Operator,
    start: i64,
    common: Common,
}

impl Ctx<'_> {
    fn envelope(&self, status: &FunctionExecutionStatus, extra: Value) -> Value {
        let mut v = json!({
            "ProcessingStart": iso8601(self.start),
            "ProcessingEnd": iso8601(now_ms()),
            "FunctionExecutionStatus": status,
        });
        if let Some(id) = &self.common.call_id {
            set(&mut v, "FunctionCallIdentifier", json!(id));
        }
        if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            for (k, x) in e {
                o.insert(k.clone(), x.clone());
            }
        }
        v
    }

    /// When the function's validity period ends: the request's (checked
    /// by `validity::check`) or the configured default.
    fn expires_at(&self) -> i64 {
        let secs = self
            .common
            .validity
            .unwrap_or(self.app.config.validity_seconds);
        let ms = i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        self.start.saturating_add(ms)
    }
}

/// Entry point for one HTTP request.
pub async fn handle(
    app: Arc<App>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let start = now_ms();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resp = match route(&app, req, start).await {
        Ok(r) => r,
        Err(Reject(code, status)) => {
            let v = json!({
                "ProcessingStart": iso8601(start),
                "ProcessingEnd": iso8601(now_ms()),
                "FunctionExecutionStatus": status,
            });
            json_response(code, &v)
        }
    };
    tracing::debug!(%method, %path, status = resp.status().as_u16(), "api");
    Ok(resp)
}

fn authenticate<'a>(app: &'a App, req: &Request<Incoming>) -> Result<&'a Operator, Reject> {
    let token = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    let unknown = || {
        reject(
            StatusCode::UNAUTHORIZED,
            codes::REQUESTER_UNKNOWN,
            None,
            "missing or unknown bearer token",
        )
    };
    let token = token.ok_or_else(unknown)?;
    // Constant-time comparison against every operator (no early exit on
    // a match, so timing does not reveal which one matched).
    let mut found = None;
    for op in &app.config.operators {
        if bool::from(op.token.as_bytes().ct_eq(token.as_bytes())) {
            found = Some(op);
        }
    }
    found.ok_or_else(unknown)
}

fn require(op: &Operator, roles: &[Role]) -> Result<(), Reject> {
    if op.roles.iter().any(|r| roles.contains(r)) {
        Ok(())
    } else {
        Err(reject(
            StatusCode::FORBIDDEN,
            codes::REQUESTER_NOT_ALLOWED,
            Some(&op.id),
            "function not allowed for this operator's role",
        ))
    }
}

async fn body_json(req: Request<Incoming>, max: usize) -> Result<Value, Reject> {
    let body = Limited::new(req.into_body(), max)
        .collect()
        .await
        .map_err(|e| {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                tracing::warn!(
                    limit = max,
                    "operator API body refused (413): over MaxBodyBytes"
                );
                reject(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    codes::FUNCTION_INVALID,
                    None,
                    &format!("body over MaxBodyBytes ({max} bytes)"),
                )
            } else {
                reject(
                    StatusCode::BAD_REQUEST,
                    codes::FUNCTION_INVALID,
                    None,
                    &e.to_string(),
                )
            }
        })?
        .to_bytes();
    serde_json::from_slice(&body).map_err(|e| {
        reject(
            StatusCode::BAD_REQUEST,
            codes::FUNCTION_INVALID,
            None,
            &format!("malformed JSON: {e}"),
        )
    })
}

fn field<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, Reject> {
    T::deserialize(v).map_err(|e| {
        let msg = e.to_string();
        let code = if msg.starts_with("missing field") {
            codes::FUNCTION_MISSING_ELEMENT
        } else {
            codes::FUNCTION_INVALID
        };
        reject(StatusCode::BAD_REQUEST, code, None, &msg)
    })
}

/// An element that does not have its SGP.02 type: 400, `Failed` with the
/// element's subject and reason `2.1` (the element is named, its value
/// not echoed).
fn invalid_element(e: smsr::inventory::field::FieldError) -> Reject {
    reject(
        StatusCode::BAD_REQUEST,
        e.status_code(),
        None,
        &e.to_string(),
    )
}

fn not_found() -> Reject {
    Reject(StatusCode::NOT_FOUND, FunctionExecutionStatus::success()).with_no_status()
}

impl Reject {
    fn with_no_status(mut self) -> Self {
        self.1.status_code_data = None;
        self
    }
}

async fn route(
    app: &App,
    req: Request<Incoming>,
    start: i64,
) -> Result<Response<Full<Bytes>>, Reject> {
    let op = authenticate(app, &req)?;
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    if method == Method::GET {
        return match segs.as_slice() {
            ["operations", id] => get_operation(app, op, id),
            ["batch", id] => get_batch(app, op, id),
            ["stats"] => stats(app),
            _ => Err(not_found()),
        };
    }
    if method != Method::POST {
        return Err(Reject(
            StatusCode::METHOD_NOT_ALLOWED,
            FunctionExecutionStatus::failed(codes::FUNCTION_UNSUPPORTED, None, "use POST"),
        ));
    }
    let (iface, name) = match segs.as_slice() {
        [i, n] => (*i, *n),
        _ => return Err(not_found()),
    };
    let Some(endpoint) = Endpoint::parse(iface, name) else {
        return Err(not_found());
    };
    let body = body_json(req, app.config.limits.max_body_bytes).await?;
    dispatch(app, op, start, endpoint, &body).await
}

/// Runs one function endpoint for an authenticated operator.
async fn dispatch(
    app: &App,
    op: &Operator,
    start: i64,
    endpoint: Endpoint,
    body: &Value,
) -> Result<Response<Full<Bytes>>, Reject> {
    crate::fields::check(body).map_err(invalid_element)?;
    let common: Common = field(body)?;
    validity::check(common.validity)?;
    let ctx = Ctx {
        app,
        op,
        start,
        common,
    };
    match endpoint {
        Endpoint::RegisterEis => register_eis(&ctx, body),
        Endpoint::GetEis => get_eis(&ctx, body),
        Endpoint::AuditEis => audit_eis(&ctx, body).await,
        Endpoint::UpdatePolicyRules => update_policy_rules(&ctx, body),
        Endpoint::Profile(f) => profile_function(&ctx, f, body).await,
        Endpoint::CreateIsdp => create_isdp(&ctx, body).await,
        Endpoint::SendData => send_data(&ctx, body).await,
        Endpoint::ProfileDownloadCompleted => download_completed(&ctx, body).await,
        Endpoint::BatchEnable => batch_enable(&ctx, body),
        Endpoint::BatchAudit => batch_audit(&ctx, body),
        Endpoint::UpdateSubscriptionAddress => plma::update_subscription_address(&ctx, body),
        Endpoint::SetPlma => plma::set_plma(&ctx, body),
        Endpoint::GetPlma => plma::get_plma(&ctx, body),
        Endpoint::SetOnc => onc::set_onc(&ctx, body),
        Endpoint::GetOnc => onc::get_onc(&ctx, body),
        Endpoint::GetAuthorisationsOfM2mSp => m2msp::get_authorisations(&ctx, body),
    }
}

/// A rejection as `(HTTP status, JSON)`.
fn reject_json(Reject(code, status): Reject, start: i64) -> (StatusCode, Value) {
    let v = json!({
        "ProcessingStart": iso8601(start),
        "ProcessingEnd": iso8601(now_ms()),
        "FunctionExecutionStatus": status,
    });
    (code, v)
}

/// The answer `(HTTP status, JSON)` for a rejection or a response of
/// this module (responses are in-memory JSON).
async fn into_json(
    result: Result<Response<Full<Bytes>>, Reject>,
    start: i64,
) -> (StatusCode, Value) {
    match result {
        Ok(resp) => {
            let status = resp.status();
            let bytes = match resp.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(never) => match never {},
            };
            match serde_json::from_slice(&bytes) {
                Ok(v) => (status, v),
                Err(e) => reject_json(internal(e), start),
            }
        }
        Err(r) => reject_json(r, start),
    }
}

/// One function (`/{iface}/{name}` of the table above) called by an
/// operator authenticated elsewhere: the entry of the SOAP binding
/// (`soap/`), answered as the HTTP status and JSON this API would give.
pub async fn call(
    app: &App,
    op: &Operator,
    iface: &str,
    name: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let start = now_ms();
    let result = match Endpoint::parse(iface, name) {
        Some(endpoint) => dispatch(app, op, start, endpoint, body).await,
        None => Err(not_found()),
    };
    into_json(result, start).await
}

/// The answer to operation `id` (accepted by [`call`] with `202`) once it
/// settles, waiting up to `wait`; still `202` if it has not. `with_eis`:
/// a success carries the EIS as `op` may see it.
pub async fn settled(
    app: &App,
    op: &Operator,
    id: i64,
    with_eis: bool,
    wait: Duration,
) -> (StatusCode, Value) {
    let start = now_ms();
    let ctx = Ctx {
        app,
        op,
        start,
        common: Common::default(),
    };
    let result = match app.engine.wait(id, wait).await {
        Ok(rec) => match rec.as_ref().map(|r| parse_eid(&r.eid)).transpose() {
            Ok(Some(eid)) => op_answer(&ctx, &eid, rec, with_eis),
            Ok(None) => Err(internal("operation vanished")),
            Err(e) => Err(e),
        },
        Err(e) => Err(internal(e)),
    };
    into_json(result, start).await
}

/// The ES4 functions on one profile that go to the eUICC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProfileFunction {
    Enable,
    Disable,
    Delete,
    SetFallback,
    SetEmergency,
    UpdateConnectivity,
}

impl ProfileFunction {
    /// What a PLMA must name for it.
    const fn authorised(self) -> AuthorisedFunction {
        match self {
            Self::Enable => AuthorisedFunction::EnableProfile,
            Self::Disable => AuthorisedFunction::DisableProfile,
            Self::Delete => AuthorisedFunction::DeleteProfile,
            Self::SetFallback => AuthorisedFunction::SetFallbackAttribute,
            Self::SetEmergency => AuthorisedFunction::SetEmergencyProfileAttribute,
            Self::UpdateConnectivity => AuthorisedFunction::UpdateConnectivityParameters,
        }
    }
}

/// A `POST` endpoint of the operator API (the table in the module
/// documentation), parsed from `/{interface}/{function}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    RegisterEis,
    GetEis,
    AuditEis,
    UpdatePolicyRules,
    Profile(ProfileFunction),
    CreateIsdp,
    SendData,
    ProfileDownloadCompleted,
    BatchEnable,
    BatchAudit,
    UpdateSubscriptionAddress,
    SetPlma,
    GetPlma,
    SetOnc,
    GetOnc,
    GetAuthorisationsOfM2mSp,
}

/// The function routes `POST /{interface}/{function}`: the one table the
/// router and the OpenAPI check (`openapi_check.rs`) read.
pub(crate) const ROUTES: &[(&str, &str, Endpoint)] = {
    use ProfileFunction as P;
    &[
        ("es1", "RegisterEIS", Endpoint::RegisterEis),
        ("es4", "GetEIS", Endpoint::GetEis),
        ("es4", "AuditEIS", Endpoint::AuditEis),
        ("es4", "UpdatePolicyRules", Endpoint::UpdatePolicyRules),
        ("es4", "EnableProfile", Endpoint::Profile(P::Enable)),
        ("es4", "DisableProfile", Endpoint::Profile(P::Disable)),
        ("es4", "DeleteProfile", Endpoint::Profile(P::Delete)),
        (
            "es4",
            "SetFallbackAttribute",
            Endpoint::Profile(P::SetFallback),
        ),
        (
            "es4",
            "SetEmergencyProfileAttribute",
            Endpoint::Profile(P::SetEmergency),
        ),
        (
            "es4",
            "UpdateConnectivityParameters",
            Endpoint::Profile(P::UpdateConnectivity),
        ),
        ("es3", "CreateISDP", Endpoint::CreateIsdp),
        ("es3", "SendData", Endpoint::SendData),
        (
            "es3",
            "ProfileDownloadCompleted",
            Endpoint::ProfileDownloadCompleted,
        ),
        ("batch", "EnableProfile", Endpoint::BatchEnable),
        ("batch", "AuditEIS", Endpoint::BatchAudit),
        (
            "es4",
            "UpdateSubscriptionAddress",
            Endpoint::UpdateSubscriptionAddress,
        ),
        ("es4", "SetPLMA", Endpoint::SetPlma),
        ("es4", "GetPLMA", Endpoint::GetPlma),
        ("es4", "SetONC", Endpoint::SetOnc),
        ("es4", "GetONC", Endpoint::GetOnc),
        (
            "es4",
            "GetAuthorisationsOfM2MSP",
            Endpoint::GetAuthorisationsOfM2mSp,
        ),
    ]
};

impl Endpoint {
    /// The endpoint at `/{iface}/{name}`, `None` for an unknown path.
    fn parse(iface: &str, name: &str) -> Option<Self> {
        ROUTES
            .iter()
            .find(|(i, n, _)| *i == iface && *n == name)
            .map(|(_, _, e)| *e)
    }
}

#[derive(Deserialize)]
struct EidOnly {
    #[serde(rename = "Eid")]
    eid: String,
}

fn parse_eid(s: &str) -> Result<Eid, Reject> {
    s.parse::<Eid>().map_err(|e| {
        reject(
            StatusCode::BAD_REQUEST,
            codes::FUNCTION_INVALID,
            Some(s),
            &format!("bad EID: {e}"),
        )
    })
}

fn load(app: &App, eid: &Eid) -> Result<Eis, Reject> {
    app.store.eis(eid).map_err(internal)?.ok_or_else(|| {
        reject(
            StatusCode::NOT_FOUND,
            codes::EID_UNKNOWN,
            Some(&eid.to_string()),
            "unknown EID",
        )
    })
}

/// The EIS as `op` may see it ([`Authority::view`] through `f`), with its
/// recent audit trail.
fn visible(app: &App, op: &Operator, eis: &Eis, f: AuthorisedFunction) -> Result<Value, Reject> {
    let mut full = eis.clone();
    full.audit_trail = app.store.audit_trail(&eis.eid(), 50).map_err(internal)?;
    let plmas = app.plmas.plmas_granted_to(&op.id).map_err(internal)?;
    serde_json::to_value(Authority::new(&op.id, &plmas).view(&full, f)).map_err(internal)
}

/// The RegisterEIS body, shared with `smsr-server import`.
type RegisterReq = crate::import::Registration;

fn register_eis(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Eum])?;
    let mut r: RegisterReq = field(body)?;
    if let Err(e) = crate::import::check_registration(&mut r.eis, &ctx.app.config.smsr_id) {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            codes::FUNCTION_INVALID,
            Some(&r.eis.eid().to_string()),
            &e,
        ));
    }
    let eid = r.eis.eid().to_string();
    if !ctx
        .app
        .store
        .register(&r.eis, &r.secrets)
        .map_err(internal)?
    {
        return Err(reject(
            StatusCode::CONFLICT,
            codes::EID_IN_USE,
            Some(&eid),
            "EID already registered",
        ));
    }
    tracing::info!(eid = %eid, by = %ctx.op.id, "RegisterEIS");
    Ok(json_response(
        StatusCode::OK,
        &ctx.envelope(&FunctionExecutionStatus::success(), json!({})),
    ))
}

fn get_eis(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno, Role::Smdp])?;
    let r: EidOnly = field(body)?;
    let eis = load(ctx.app, &parse_eid(&r.eid)?)?;
    seen_eis(ctx, &eis, AuthorisedFunction::GetEis)?;
    let v = visible(ctx.app, ctx.op, &eis, AuthorisedFunction::GetEis)?;
    Ok(json_response(
        StatusCode::OK,
        &ctx.envelope(&FunctionExecutionStatus::success(), json!({ "Eis": v })),
    ))
}

/// Queues `function` on `eid`, waits for it to settle (up to the
/// configured wait) and answers.
async fn run_function(
    ctx: &Ctx<'_>,
    eid: &Eid,
    function: Function,
    with_eis: bool,
) -> Result<Response<Full<Bytes>>, Reject> {
    let new = NewOp {
        eid: eid.to_string(),
        batch: None,
        requester: ctx.op.id.clone(),
        function,
        expires_at_ms: ctx.expires_at(),
    };
    let id = ctx.app.engine.submit(vec![new]).map_err(internal)?;
    let id = id
        .first()
        .copied()
        .ok_or_else(|| internal("the engine queued no operation"))?;
    let wait = Duration::from_millis(ctx.app.config.wait_ms);
    let rec = ctx.app.engine.wait(id, wait).await.map_err(internal)?;
    op_answer(ctx, eid, rec, with_eis)
}

fn op_answer(
    ctx: &Ctx<'_>,
    eid: &Eid,
    rec: Option<OpRecord>,
    with_eis: bool,
) -> Result<Response<Full<Bytes>>, Reject> {
    let Some(rec) = rec else {
        return Err(internal("operation vanished"));
    };
    match (&rec.state, &rec.result) {
        (OpState::Done, Some(result)) => {
            let mut extra = json!({ "OperationId": rec.id });
            // ES3.SendData's eUICC answer, also when it settles after a
            // 202 (answered to `ReplyTo` or on a later wait).
            if let Some(data) = ctx.app.engine.take_relayed(rec.id) {
                set(
                    &mut extra,
                    "EuiccResponseData",
                    json!(hex::encode_upper(data)),
                );
            }
            if with_eis && result.is_success() {
                let eis = load(ctx.app, eid)?;
                let f = AuthorisedFunction::GetEis;
                set(&mut extra, "Eis", visible(ctx.app, ctx.op, &eis, f)?);
            }
            Ok(json_response(StatusCode::OK, &ctx.envelope(result, extra)))
        }
        _ => {
            let mut v = json!({
                "ProcessingStart": iso8601(ctx.start),
                "OperationId": rec.id,
                "State": rec.state,
            });
            if let Some(id) = &ctx.common.call_id {
                set(&mut v, "FunctionCallIdentifier", json!(id));
            }
            Ok(json_response(StatusCode::ACCEPTED, &v))
        }
    }
}

#[derive(Deserialize)]
struct AuditReq {
    #[serde(rename = "Eid")]
    eid: String,
    #[serde(rename = "Iccid", default)]
    iccids: Vec<String>,
}

async fn audit_eis(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno, Role::Smdp])?;
    let r: AuditReq = field(body)?;
    let eid = parse_eid(&r.eid)?;
    let eis = load(ctx.app, &eid)?;
    seen_eis(ctx, &eis, AuthorisedFunction::AuditEis)?;
    for i in &r.iccids {
        owned_profile(ctx, &eis, i, AuthorisedFunction::AuditEis)?;
    }
    run_function(ctx, &eid, Function::AuditEis { iccids: r.iccids }, true).await
}

/// The PLMAs granted to `ctx.op` (SGP.02 ES4.SetPLMA).
fn plmas(ctx: &Ctx<'_>) -> Result<Vec<Plma>, Reject> {
    ctx.app.plmas.plmas_granted_to(&ctx.op.id).map_err(internal)
}

/// An authorisation refusal ([`Authority`]): `403` with its SGP.02 code
/// (`1.1` / `1.2`), naming `what`.
fn not_authorised(r: Refusal, ctx: &Ctx<'_>, what: &str, f: AuthorisedFunction) -> Reject {
    tracing::info!(by = %ctx.op.id, what, ?f, "refused: not authorised");
    reject(
        StatusCode::FORBIDDEN,
        r.code,
        Some(what),
        &format!(
            "{} is neither the owner nor holds a PLMA for {f:?} here",
            ctx.op.id
        ),
    )
}

/// The profile `iccid` of `eis`, on which `ctx.op` may call `f`: it owns
/// the profile or holds a PLMA of its operator for `f` ([`Authority`]).
fn owned_profile<'e>(
    ctx: &Ctx<'_>,
    eis: &'e Eis,
    iccid: &str,
    f: AuthorisedFunction,
) -> Result<&'e smsr::inventory::ProfileInfo, Reject> {
    let p = eis.profile(iccid).ok_or_else(|| {
        reject(
            StatusCode::NOT_FOUND,
            codes::ICCID_UNKNOWN,
            Some(iccid),
            "unknown ICCID",
        )
    })?;
    let plmas = plmas(ctx)?;
    Authority::new(&ctx.op.id, &plmas)
        .check_act(p, f)
        .map_err(|r| not_authorised(r, ctx, iccid, f))?;
    Ok(p)
}

/// `eis`, which `ctx.op` may see through `f` (GetEIS, AuditEIS): it may
/// act on one of its profiles ([`Authority::check_see`]).
fn seen_eis(ctx: &Ctx<'_>, eis: &Eis, f: AuthorisedFunction) -> Result<(), Reject> {
    let plmas = plmas(ctx)?;
    Authority::new(&ctx.op.id, &plmas)
        .check_see(eis, f)
        .map_err(|r| not_authorised(r, ctx, &eis.eid().to_string(), f))
}

fn refused(r: smsr::inventory::Refusal, iccid: &str) -> Reject {
    reject(
        StatusCode::CONFLICT,
        r.code,
        Some(iccid),
        &format!("{:?}", r.reason),
    )
}

#[derive(Deserialize)]
struct ProfileReq {
    #[serde(rename = "Eid")]
    eid: String,
    #[serde(rename = "Iccid")]
    iccid: String,
    #[serde(rename = "ConnectivityParameters", default)]
    parameters: Option<smsr::inventory::HexBytes>,
}

async fn profile_function(
    ctx: &Ctx<'_>,
    which: ProfileFunction,
    body: &Value,
) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno, Role::Smdp])?;
    let r: ProfileReq = field(body)?;
    let eid = parse_eid(&r.eid)?;
    let eis = load(ctx.app, &eid)?;
    owned_profile(ctx, &eis, &r.iccid, which.authorised())?;
    let iccid = r.iccid.clone();
    let function = match which {
        ProfileFunction::Enable => Function::EnableProfile { iccid },
        ProfileFunction::Disable => Function::DisableProfile { iccid },
        ProfileFunction::Delete => Function::DeleteProfile { iccid },
        ProfileFunction::SetFallback => Function::SetFallbackAttribute { iccid },
        ProfileFunction::SetEmergency => Function::SetEmergencyProfileAttribute { iccid },
        ProfileFunction::UpdateConnectivity => Function::UpdateConnectivityParameters {
            iccid,
            parameters: r.parameters.ok_or_else(|| {
                reject(
                    StatusCode::BAD_REQUEST,
                    codes::FUNCTION_MISSING_ELEMENT,
                    None,
                    "missing field `ConnectivityParameters`",
                )
            })?,
        },
    };
    if let Some(op) = function.operation(None) {
        eis.check(&op).map_err(|e| refused(e, &r.iccid))?;
    }
    run_function(ctx, &eid, function, false).await
}

#[derive(Deserialize)]
struct PolicyReq {
    #[serde(rename = "Eid")]
    eid: String,
    #[serde(rename = "Iccid")]
    iccid: String,
    #[serde(rename = "Pol2")]
    pol2: Vec<Pol2Rule>,
}

/// ES4.UpdatePolicyRules: POL2 lives in the EIS only (SGP.02 §2.4.2), so
/// the change is applied at once.
fn update_policy_rules(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno, Role::Smdp])?;
    let r: PolicyReq = field(body)?;
    let eid = parse_eid(&r.eid)?;
    let eis = load(ctx.app, &eid)?;
    owned_profile(ctx, &eis, &r.iccid, AuthorisedFunction::UpdatePolicyRules)?;
    let mut outcome = Err(reject(
        StatusCode::NOT_FOUND,
        codes::ICCID_UNKNOWN,
        Some(&r.iccid),
        "unknown ICCID",
    ));
    ctx.app
        .store
        .update_eis(&eid, &mut |eis| {
            let before = eis.clone();
            let Some(p) = eis.profiles.iter_mut().find(|p| p.iccid == r.iccid) else {
                return EisChange::default();
            };
            p.pol2.clone_from(&r.pol2);
            outcome = Ok(());
            // No audit trail record: SGP.02 gives no operation type for it
            // (the trail records eUICC operations).
            EisChange {
                changed: true,
                outbox: outbox::by_function("UpdatePolicyRules", &before, eis, &ctx.op.id),
                ..EisChange::default()
            }
        })
        .map_err(internal)?;
    outcome?;
    Ok(json_response(
        StatusCode::OK,
        &ctx.envelope(&FunctionExecutionStatus::success(), json!({})),
    ))
}

#[derive(Deserialize)]
struct CreateReq {
    #[serde(rename = "Eid")]
    eid: String,
    #[serde(rename = "Iccid")]
    iccid: String,
    #[serde(rename = "Mno-id", default)]
    mno_id: Option<String>,
    #[serde(rename = "RequiredMemory", default)]
    required_memory: Option<u32>,
}

async fn create_isdp(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Smdp])?;
    let r: CreateReq = field(body)?;
    let eid = parse_eid(&r.eid)?;
    let mno_id = r.mno_id.unwrap_or_else(|| ctx.op.id.clone());
    let plmas = plmas(ctx)?;
    Authority::new(&ctx.op.id, &plmas)
        .check_create(&mno_id, None)
        .map_err(|e| not_authorised(e, ctx, &mno_id, AuthorisedFunction::CreateIsdp))?;
    let eis = load(ctx.app, &eid)?;
    let aid = eis
        .next_isd_p_tar()
        .and_then(|t| smsr::isdr::Aid::isd_p(t).ok())
        .ok_or_else(|| {
            reject(
                StatusCode::CONFLICT,
                smsr::isdr::response::StatusCode::new("8.1", "4.8"),
                Some(&r.eid),
                "no free ISD-P TAR",
            )
        })?;
    eis.check(&Operation::CreateIsdp {
        iccid: &r.iccid,
        isd_p_aid: aid,
        required_memory: r.required_memory,
    })
    .map_err(|e| refused(e, &r.iccid))?;
    let function = Function::CreateIsdp {
        iccid: r.iccid.clone(),
        mno_id,
        required_memory: r.required_memory,
    };
    run_function(ctx, &eid, function, true).await
}

#[derive(Deserialize)]
struct SendDataReq {
    #[serde(rename = "Eid")]
    eid: String,
    #[serde(rename = "sd-aid")]
    sd_aid: smsr::isdr::Aid,
    #[serde(rename = "Data")]
    data: smsr::inventory::HexBytes,
    #[serde(rename = "MoreToDo", alias = "moreToDo", default)]
    more_to_do: bool,
}

/// Queues `function` on `eid` for the caller and waits for it as long as
/// the API waits; the operation as it then is.
async fn submit_and_wait(
    ctx: &Ctx<'_>,
    eid: &Eid,
    function: Function,
) -> Result<Option<OpRecord>, Reject> {
    let new = NewOp {
        eid: eid.to_string(),
        batch: None,
        requester: ctx.op.id.clone(),
        function,
        expires_at_ms: ctx.expires_at(),
    };
    let ids = ctx.app.engine.submit(vec![new]).map_err(internal)?;
    let id = ids
        .first()
        .copied()
        .ok_or_else(|| internal("no operation queued"))?;
    let wait = Duration::from_millis(ctx.app.config.wait_ms);
    ctx.app.engine.wait(id, wait).await.map_err(internal)
}

/// ES3.SendData: relays the SM-DP's data (a command script, or SCP03t
/// command TLVs for ES8, SGP.02 §4.1.3.3) to one of its ISD-Ps; `MoreToDo`
/// keeps the SCP81 session or the SCP80 chain of scripts open for the next
/// SendData ([`smsr::delivery::relay`]). The eUICC's answer goes back
/// unchanged as `EuiccResponseData` (hex; SGP.02 §5.4.5).
async fn send_data(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Smdp])?;
    let r: SendDataReq = field(body)?;
    let eid = parse_eid(&r.eid)?;
    let eis = load(ctx.app, &eid)?;
    let p = eis.profile_by_aid(&r.sd_aid).ok_or_else(|| {
        reject(
            StatusCode::NOT_FOUND,
            smsr::isdr::response::StatusCode::new("8.2", "3.9"),
            Some(&r.sd_aid.to_string()),
            "unknown security domain",
        )
    })?;
    let iccid = p.iccid.clone();
    owned_profile(ctx, &eis, &iccid, AuthorisedFunction::SendData)?;
    if r.data.0.is_empty() {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            codes::FUNCTION_MISSING_ELEMENT,
            None,
            "empty `Data`",
        ));
    }
    let function = Function::SendData {
        sd_aid: r.sd_aid,
        data: r.data,
        more_to_do: r.more_to_do,
    };
    let rec = submit_and_wait(ctx, &eid, function).await?;
    // Settled: with `EuiccResponseData`; else 202, as for any function.
    op_answer(ctx, &eid, rec, false)
}

#[derive(Deserialize)]
struct CompletedReq {
    #[serde(rename = "Eid")]
    eid: String,
    #[serde(rename = "Iccid")]
    iccid: String,
    #[serde(rename = "ProfileType", default)]
    profile_type: Option<String>,
    #[serde(rename = "SubscriptionAddress", default)]
    subscription_address: Option<SubscriptionAddress>,
    #[serde(rename = "Pol2", default)]
    pol2: Vec<Pol2Rule>,
}

/// ES3.ProfileDownloadCompleted: the SM-DP says the profile is loaded; an
/// AuditEIS of it asks the eUICC, and the EIS moves it to `Disabled` with
/// the memory it uses only when the card reports its ISD-P loaded
/// ([`smsr::inventory::Eis::profile_download_confirmed`]); otherwise the
/// call is refused and the EIS keeps the profile `Created`.
async fn download_completed(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Smdp])?;
    let r: CompletedReq = field(body)?;
    let eid = parse_eid(&r.eid)?;
    let eis = load(ctx.app, &eid)?;
    owned_profile(
        ctx,
        &eis,
        &r.iccid,
        AuthorisedFunction::ProfileDownloadCompleted,
    )?;
    eis.check(&Operation::ProfileDownloadCompleted { iccid: &r.iccid })
        .map_err(|e| refused(e, &r.iccid))?;
    let audit = Function::AuditEis {
        iccids: vec![r.iccid.clone()],
    };
    let rec = submit_and_wait(ctx, &eid, audit).await?;
    match rec.as_ref().map(|a| (&a.state, &a.result)) {
        Some((OpState::Done, Some(st))) if st.is_success() => {}
        // The audit failed (its status answers) or is still running (202).
        _ => return op_answer(ctx, &eid, rec, false),
    }
    let mut outcome = Ok(());
    ctx.app
        .store
        .update_eis(&eid, &mut |eis| {
            let before = eis.clone();
            match eis.profile_download_confirmed(
                &r.iccid,
                r.profile_type.as_deref(),
                r.subscription_address.clone(),
                &r.pol2,
            ) {
                Ok(()) => {
                    outcome = Ok(());
                    let done = "ProfileDownloadCompleted";
                    EisChange {
                        changed: true,
                        outbox: outbox::by_function(done, &before, eis, &ctx.op.id),
                        ..EisChange::default()
                    }
                }
                Err(e) => {
                    outcome = Err(refused(e, &r.iccid));
                    EisChange::default()
                }
            }
        })
        .map_err(internal)?;
    outcome?;
    Ok(json_response(
        StatusCode::OK,
        &ctx.envelope(&FunctionExecutionStatus::success(), json!({})),
    ))
}

#[derive(Deserialize)]
struct Target {
    #[serde(rename = "Eid")]
    eid: String,
    #[serde(rename = "Iccid")]
    iccid: String,
}

#[derive(Deserialize)]
struct BatchEnableReq {
    #[serde(rename = "Targets", default)]
    targets: Option<Vec<Target>>,
    #[serde(rename = "Filter", default)]
    filter: Option<EidFilter>,
    #[serde(rename = "IccidPrefix", default)]
    iccid_prefix: Option<String>,
}

/// Fleet-wide EnableProfile: every target is checked like a single call;
/// the refused ones are counted, the others queued in one transaction.
fn batch_enable(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno])?;
    let r: BatchEnableReq = field(body)?;
    let mut pairs: Vec<(Eid, Option<String>)> = Vec::new();
    match (r.targets, r.filter) {
        (Some(t), None) => {
            for x in t {
                pairs.push((parse_eid(&x.eid)?, Some(x.iccid)));
            }
        }
        (None, Some(f)) => {
            for e in ctx.app.store.eids(&f).map_err(internal)? {
                pairs.push((e, None));
            }
        }
        _ => {
            return Err(reject(
                StatusCode::BAD_REQUEST,
                codes::FUNCTION_MISSING_ELEMENT,
                None,
                "give exactly one of `Targets` and `Filter`",
            ));
        }
    }
    batch_size(ctx, pairs.len())?;
    let prefix = r.iccid_prefix.unwrap_or_default();
    let plmas = plmas(ctx)?;
    let authority = Authority::new(&ctx.op.id, &plmas);
    let enable = AuthorisedFunction::EnableProfile;
    let mut ops = Vec::new();
    let mut refused = 0u64;
    for (eid, iccid) in pairs {
        let Some(eis) = ctx.app.store.eis(&eid).map_err(internal)? else {
            refused += 1;
            continue;
        };
        // With a filter: this operator's disabled profile with the prefix.
        let iccid = iccid.or_else(|| {
            eis.profiles
                .iter()
                .find(|p| {
                    authority.may_act(p, enable)
                        && p.iccid.starts_with(&prefix)
                        && p.state == smsr::inventory::ProfileState::Disabled
                })
                .map(|p| p.iccid.clone())
        });
        let Some(iccid) = iccid else {
            refused += 1;
            continue;
        };
        let allowed = eis
            .profile(&iccid)
            .is_some_and(|p| authority.may_act(p, enable))
            && eis
                .check(&Operation::EnableProfile { iccid: &iccid })
                .is_ok();
        if !allowed {
            refused += 1;
            continue;
        }
        ops.push(NewOp {
            eid: eid.to_string(),
            batch: None,
            requester: ctx.op.id.clone(),
            function: Function::EnableProfile { iccid },
            expires_at_ms: ctx.expires_at(),
        });
    }
    queue_batch(ctx, "EnableProfile", ops, refused)
}

#[derive(Deserialize)]
struct BatchAuditReq {
    #[serde(rename = "Eids", default)]
    eids: Option<Vec<String>>,
    #[serde(rename = "Filter", default)]
    filter: Option<EidFilter>,
}

fn batch_audit(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno, Role::Smdp])?;
    let r: BatchAuditReq = field(body)?;
    let eids: Vec<Eid> = match (r.eids, r.filter) {
        (Some(list), None) => list
            .iter()
            .map(|e| parse_eid(e))
            .collect::<Result<_, _>>()?,
        (None, Some(f)) => ctx.app.store.eids(&f).map_err(internal)?,
        _ => {
            return Err(reject(
                StatusCode::BAD_REQUEST,
                codes::FUNCTION_MISSING_ELEMENT,
                None,
                "give exactly one of `Eids` and `Filter`",
            ));
        }
    };
    batch_size(ctx, eids.len())?;
    let plmas = plmas(ctx)?;
    let authority = Authority::new(&ctx.op.id, &plmas);
    let mut ops = Vec::new();
    let mut refused = 0u64;
    for eid in eids {
        // Only the eUICCs the operator may see: an unknown one and one it
        // may not audit are both counted as refused.
        let seen = ctx
            .app
            .store
            .eis(&eid)
            .map_err(internal)?
            .is_some_and(|e| authority.may_see(&e, AuthorisedFunction::AuditEis));
        if !seen {
            refused += 1;
            continue;
        }
        ops.push(NewOp {
            eid: eid.to_string(),
            batch: None,
            requester: ctx.op.id.clone(),
            function: Function::AuditEis { iccids: Vec::new() },
            expires_at_ms: ctx.expires_at(),
        });
    }
    queue_batch(ctx, "AuditEIS", ops, refused)
}

/// Refuses (413, nothing queued) a fleet-wide function over `n` targets
/// when that is more than `MaxBatchSize`.
fn batch_size(ctx: &Ctx<'_>, n: usize) -> Result<(), Reject> {
    let max = ctx.app.config.limits.max_batch_size;
    if n <= max {
        return Ok(());
    }
    tracing::warn!(targets = n, limit = max, by = %ctx.op.id, "batch refused (413): over MaxBatchSize");
    Err(reject(
        StatusCode::PAYLOAD_TOO_LARGE,
        codes::FUNCTION_INVALID,
        None,
        &format!("{n} targets, over MaxBatchSize ({max})"),
    ))
}

fn queue_batch(
    ctx: &Ctx<'_>,
    function: &str,
    mut ops: Vec<NewOp>,
    refused: u64,
) -> Result<Response<Full<Bytes>>, Reject> {
    let batch = ctx
        .app
        .store
        .create_batch(&ctx.op.id, function, refused)
        .map_err(internal)?;
    for o in &mut ops {
        o.batch = Some(batch);
    }
    let queued = ops.len();
    ctx.app.engine.submit(ops).map_err(internal)?;
    tracing::info!(batch, function, queued, refused, by = %ctx.op.id, "batch queued");
    let progress = ctx.app.store.batch(batch).map_err(internal)?;
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({
            "ProcessingStart": iso8601(ctx.start),
            "BatchId": batch,
            "Queued": queued,
            "Refused": refused,
            "Progress": progress,
        }),
    ))
}

fn parse_id(s: &str) -> Result<i64, Reject> {
    s.parse().map_err(|_| not_found())
}

fn get_operation(app: &App, op: &Operator, id: &str) -> Result<Response<Full<Bytes>>, Reject> {
    let rec = app
        .store
        .op(parse_id(id)?)
        .map_err(internal)?
        .filter(|r| r.requester == op.id)
        .ok_or_else(not_found)?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::to_value(rec).map_err(internal)?,
    ))
}

fn get_batch(app: &App, op: &Operator, id: &str) -> Result<Response<Full<Bytes>>, Reject> {
    let p = app
        .store
        .batch(parse_id(id)?)
        .map_err(internal)?
        .filter(|p| p.requester == op.id)
        .ok_or_else(not_found)?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::to_value(p).map_err(internal)?,
    ))
}

fn stats(app: &App) -> Result<Response<Full<Bytes>>, Reject> {
    let v = json!({
        "Euiccs": app.store.count().map_err(internal)?,
        "Engine": app.engine.stats(),
    });
    Ok(json_response(StatusCode::OK, &v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_exhaustively() {
        assert_eq!(
            Endpoint::parse("es4", "EnableProfile"),
            Some(Endpoint::Profile(ProfileFunction::Enable))
        );
        assert_eq!(
            Endpoint::parse("es3", "ProfileDownloadCompleted"),
            Some(Endpoint::ProfileDownloadCompleted)
        );
        assert_eq!(
            Endpoint::parse("batch", "AuditEIS"),
            Some(Endpoint::BatchAudit)
        );
        // Every other path is unknown (no catch-all arm sends it anywhere).
        assert_eq!(Endpoint::parse("es3", "Anything"), None);
        assert_eq!(Endpoint::parse("es1", "GetEIS"), None);
        assert_eq!(Endpoint::parse("batch", "DeleteProfile"), None);
    }
}
