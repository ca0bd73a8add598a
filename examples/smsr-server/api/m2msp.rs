//! ES4.GetAuthorisationsOfM2MSP (SGP.02 v4 §5.5; "Retrieve M2M SP
//! authorisations" in the eUICC.tech summary of chapter 5, parameters
//! UNCONFIRMED) and the HandlePLMASettingNotification that ES4A.SetPLMA
//! owes the party it authorises.
//!
//! GetAuthorisationsOfM2MSP answers the PLMAs granted to the caller (an
//! M2M SP, operator or SM-DP), those of one operator when the request
//! names its `Mno-id`. An ONC is the operator's own configuration, granted
//! to nobody: it is not part of the answer (ES4A.GetONC reads it).

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use smsr::inventory::Plma;

use super::{Ctx, Reject, Role, field, internal, require};
use crate::ops::{iso8601, now_ms};
use crate::store::outbox;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GetReq {
    #[serde(rename = "FunctionRequesterIdentifier", default)]
    _requester: Option<String>,
    #[serde(rename = "FunctionCallIdentifier", default)]
    _call_id: Option<String>,
    #[serde(rename = "ValidityPeriod", default)]
    _validity: Option<u64>,
    #[serde(rename = "Mno-id", default)]
    owner: Option<String>,
}

/// ES4.GetAuthorisationsOfM2MSP: the PLMAs granted to the caller (of
/// `Mno-id` only, when given).
pub(super) fn get_authorisations(
    ctx: &Ctx<'_>,
    body: &Value,
) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno, Role::Smdp])?;
    let r: GetReq = field(body)?;
    let mut granted = ctx
        .app
        .plmas
        .plmas_granted_to(&ctx.op.id)
        .map_err(internal)?;
    if let Some(owner) = &r.owner {
        granted.retain(|p| p.owner == *owner);
    }
    Ok(super::plma::success(ctx, json!({ "Plma": granted })))
}

/// Queues the HandlePLMASettingNotification of `plma` (just set; no
/// function: withdrawn) to its grantee: over ES3 when the grantee is
/// configured as an SM-DP only, else over ES4.
pub(super) fn notify_grantee(ctx: &Ctx<'_>, plma: &Plma) -> Result<(), Reject> {
    let smdp_only = ctx
        .app
        .config
        .operators
        .iter()
        .find(|o| o.id == plma.grantee)
        .is_some_and(|o| o.roles.iter().all(|r| *r == Role::Smdp));
    let interface = if smdp_only { "ES3" } else { "ES4" };
    let now = now_ms();
    let m = outbox::plma_setting(plma, interface, &iso8601(now), now).map_err(internal)?;
    ctx.app
        .outbox
        .put_messages(std::slice::from_ref(&m), None)
        .map_err(|e| {
            // The PLMA is stored: say that its notification is not queued.
            tracing::error!(event = %m.event_id, "PLMA set but its notification not queued: {e}");
            super::reject(
                StatusCode::INTERNAL_SERVER_ERROR,
                super::codes::PROVIDER_ERROR,
                None,
                &format!("PLMA set, its HandlePLMASettingNotification not queued: {e}"),
            )
        })?;
    Ok(())
}
