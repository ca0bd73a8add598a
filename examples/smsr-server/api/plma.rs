//! The ES4 functions on authorisations and subscription addresses:
//! ES4.SetPLMA / ES4.GetPLMA (SGP.02 v4, the ES4A functions of the
//! operator; names as `interfaces.md` lists them, element names
//! UNCONFIRMED) and ES4.UpdateSubscriptionAddress (SGP.02 §5.5).
//!
//! A PLMA is granted by the calling operator (its `Mno-id`, which a
//! request may repeat but not change) to a party (`M2MSP-id`) for
//! functions on its profiles, of one `ProfileType` or all; setting it
//! again replaces it, setting it with no `Function` revokes it.
//! [`smsr::inventory::Authority`] applies it to every ES3/ES4 function.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use smsr::inventory::{AuthorisedFunction, Plma, SubscriptionAddress};

use super::{
    Ctx, EisChange, FunctionExecutionStatus, Reject, Role, codes, field, internal, json_response,
    load, owned_profile, parse_eid, refused, reject, require,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetPlmaReq {
    #[serde(rename = "FunctionRequesterIdentifier", default)]
    _requester: Option<String>,
    #[serde(rename = "FunctionCallIdentifier", default)]
    _call_id: Option<String>,
    #[serde(rename = "ValidityPeriod", default)]
    _validity: Option<u64>,
    #[serde(rename = "Mno-id", default)]
    owner: Option<String>,
    #[serde(rename = "M2MSP-id")]
    grantee: String,
    #[serde(rename = "ProfileType", default)]
    profile_type: Option<String>,
    #[serde(rename = "Function", default)]
    functions: Vec<AuthorisedFunction>,
}

pub(super) fn success(ctx: &Ctx<'_>, extra: Value) -> Response<Full<Bytes>> {
    json_response(
        StatusCode::OK,
        &ctx.envelope(&FunctionExecutionStatus::success(), extra),
    )
}

/// ES4.SetPLMA: grants (replaces, or with no function revokes) the PLMA of
/// the calling operator for `M2MSP-id`.
pub(super) fn set_plma(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno])?;
    let r: SetPlmaReq = field(body)?;
    if r.owner.as_ref().is_some_and(|o| *o != ctx.op.id) {
        return Err(reject(
            StatusCode::FORBIDDEN,
            codes::REQUESTER_NOT_ALLOWED,
            r.owner.as_deref(),
            "a PLMA is granted by the operator calling, not for another one",
        ));
    }
    let blank = |s: &str| s.trim().is_empty();
    if blank(&r.grantee) || r.grantee == ctx.op.id || r.profile_type.as_deref().is_some_and(blank) {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            codes::FUNCTION_INVALID,
            Some(&r.grantee),
            "`M2MSP-id` must name another party and `ProfileType` must not be empty",
        ));
    }
    let plma = Plma {
        owner: ctx.op.id.clone(),
        grantee: r.grantee,
        profile_type: r.profile_type,
        functions: r.functions,
    };
    ctx.app.plmas.set_plma(&plma).map_err(internal)?;
    tracing::info!(by = %ctx.op.id, to = %plma.grantee, functions = ?plma.functions, "SetPLMA");
    super::m2msp::notify_grantee(ctx, &plma)?;
    Ok(success(ctx, json!({})))
}

/// ES4.GetPLMA: the PLMAs the caller granted, then those granted to it.
pub(super) fn get_plma(ctx: &Ctx<'_>, body: &Value) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno, Role::Smdp])?;
    let _: super::Common = field(body)?;
    let mut all = ctx
        .app
        .plmas
        .plmas_granted_by(&ctx.op.id)
        .map_err(internal)?;
    all.extend(
        ctx.app
            .plmas
            .plmas_granted_to(&ctx.op.id)
            .map_err(internal)?,
    );
    Ok(success(ctx, json!({ "Plma": all })))
}

#[derive(Deserialize)]
struct AddressReq {
    #[serde(rename = "Eid")]
    eid: String,
    #[serde(rename = "Iccid")]
    iccid: String,
    #[serde(rename = "SubscriptionAddress")]
    address: SubscriptionAddress,
}

/// ES4.UpdateSubscriptionAddress: the EIS's IMSI / MSISDN of a profile the
/// caller may update ([`smsr::inventory::Eis::update_subscription_address`]).
pub(super) fn update_subscription_address(
    ctx: &Ctx<'_>,
    body: &Value,
) -> Result<Response<Full<Bytes>>, Reject> {
    require(ctx.op, &[Role::Mno])?;
    let r: AddressReq = field(body)?;
    if r.address.imsi.is_none() && r.address.msisdn.is_none() {
        return Err(reject(
            StatusCode::BAD_REQUEST,
            codes::FUNCTION_MISSING_ELEMENT,
            Some(&r.iccid),
            "`SubscriptionAddress` needs `Imsi` or `Msisdn`",
        ));
    }
    let eid = parse_eid(&r.eid)?;
    let eis = load(ctx.app, &eid)?;
    owned_profile(
        ctx,
        &eis,
        &r.iccid,
        AuthorisedFunction::UpdateSubscriptionAddress,
    )?;
    let mut outcome = Ok(());
    ctx.app
        .store
        .update_eis(&eid, &mut |eis| match eis
            .update_subscription_address(&r.iccid, r.address.clone())
        {
            Ok(()) => {
                outcome = Ok(());
                EisChange {
                    changed: true,
                    ..EisChange::default()
                }
            }
            Err(e) => {
                outcome = Err(refused(e, &r.iccid));
                EisChange::default()
            }
        })
        .map_err(internal)?;
    outcome?;
    Ok(success(ctx, json!({})))
}
