//! ES4A.SetONC / ES4A.GetONC (SGP.02 v4 §3.21, §5.7): the Operator
//! Notification Configuration ([`smsr::inventory::onc`]).
//!
//! An ONC is set by the calling operator (its `Mno-id`, which a request
//! may repeat but not change) for its profiles of one `ProfileType` or
//! all; setting it again replaces it, setting it with no
//! `DiscardedNotification` removes it. The outbox worker
//! (`soap/notify.rs`) discards what it names before sending.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use serde::Deserialize;
use serde_json::json;
use smsr::inventory::Onc;
use smsr::inventory::notify::NotificationKind;

use super::{Ctx, Reject, Role, codes, field, internal, reject, require};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetOncReq {
    #[serde(rename = "FunctionRequesterIdentifier", default)]
    _requester: Option<String>,
    #[serde(rename = "FunctionCallIdentifier", default)]
    _call_id: Option<String>,
    #[serde(rename = "ValidityPeriod", default)]
    _validity: Option<u64>,
    #[serde(rename = "Mno-id", default)]
    owner: Option<String>,
    #[serde(rename = "ProfileType", default)]
    profile_type: Option<String>,
    #[serde(rename = "DiscardedNotification", default)]
    discarded: Vec<NotificationKind>,
}

/// ES4A.SetONC: sets (replaces, or with no notification removes) the ONC
/// of the calling operator for `ProfileType` (all types when absent).
pub(super) fn set_onc(
    ctx: &Ctx<'_>,
    body: &serde_json::Value,
) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno])?;
    let r: SetOncReq = field(body)?;
    if r.owner.as_ref().is_some_and(|o| *o != ctx.op.id) {
        return Err(reject(
            StatusCode::FORBIDDEN,
            codes::REQUESTER_NOT_ALLOWED,
            r.owner.as_deref(),
            "an ONC is set by the operator calling, not for another one",
        ));
    }
    if r.profile_type
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            codes::FUNCTION_INVALID,
            None,
            "`ProfileType` must not be empty",
        ));
    }
    let onc = Onc {
        owner: ctx.op.id.clone(),
        profile_type: r.profile_type,
        discarded: r.discarded,
    };
    if let Some(k) = onc.unsupported_kind() {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            codes::FUNCTION_INVALID,
            None,
            &format!(
                "an ONC discards notifications about profiles only, not {}",
                k.name()
            ),
        ));
    }
    ctx.app.oncs.set_onc(&onc).map_err(internal)?;
    tracing::info!(by = %ctx.op.id, discarded = ?onc.discarded, "SetONC");
    Ok(super::plma::success(ctx, json!({})))
}

/// ES4A.GetONC: the ONCs of the calling operator.
pub(super) fn get_onc(
    ctx: &Ctx<'_>,
    body: &serde_json::Value,
) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno])?;
    let _: super::Common = field(body)?;
    let all = ctx.app.oncs.oncs_of(&ctx.op.id).map_err(internal)?;
    Ok(super::plma::success(ctx, json!({ "Onc": all })))
}
