//! ES1.RegisterEIS over SOAP (SGP.02 §5.3.1): the EUM's signature on the
//! EIS checked before anything is stored.
//!
//! The request's `Eis` is read by our EIS types (`eis_read.rs`) and its
//! `Secrets` (our element, not SGP.02's: the keys the JSON API's
//! RegisterEIS takes, see `store::Secrets`) by [`SECRETS`]; the function
//! then runs as the JSON API's RegisterEIS. Before it runs, [`check`]
//! applies the signature policy of config `Es.Eum`:
//!
//! * an EIS with `EumSignature`: the EUM certificate (the signature's
//!   `KeyInfo/X509Data/X509Certificate`, else the one configured for the
//!   caller's identity) must chain to the configured CI and be valid now
//!   ([`smsr::soap::eum_cert`]), and the signature must verify over
//!   `EumSignedInfo` with its key ([`smsr::soap::eum_signature`]);
//! * an EIS without one is refused unless `DangerousAllowUnsignedEis`.
//!
//! Refusals (`Failed`, nothing stored): a signature that does not verify
//! `8.1` / `6.1`; an EUM certificate that is not the CI's, unreadable or
//! absent `8.1.2` / `6.1`, expired `8.1.2` / `6.3` (subject `8.1.2` "EUM
//! Certificate" is SGP.22's numbering, UNCONFIRMED for SGP.02); no
//! signature `1.6` / `2.2`; no CI configured `1.2` / `4.2`.

use std::time::{SystemTime, UNIX_EPOCH};

use smsr::inventory::FunctionExecutionStatus;
use smsr::isdr::response::StatusCode;
use smsr::soap::eum_cert::{self, EumCertError};
use smsr::soap::schema::{Ty, XsdType, one};
use smsr::soap::{Limits, eum_signature};

use crate::config::{EumTrust, Operator};
use crate::server::App;

/// `SecretsType`: the eUICC's keys as the EUM hands them to the SM-SR
/// (`store::Secrets`, element names as its JSON).
pub const SECRETS: XsdType = XsdType {
    name: "SecretsType",
    elements: &[
        one("Scp80Kvn", Ty::Simple("xs:unsignedByte")),
        one("Scp80Kic", Ty::Simple("xs:hexBinary")),
        one("Scp80Kid", Ty::Simple("xs:hexBinary")),
        one("Scp81Psk", Ty::Simple("xs:hexBinary")),
        one("Scp81Kvn", Ty::Simple("xs:unsignedByte")),
        one("Scp81KeyId", Ty::Simple("xs:unsignedByte")),
        one("Msisdn", Ty::Simple("xs:string")),
    ],
};

/// The EIS signature does not verify (8.1 eUICC, 6.1 Verification Failed).
pub const EIS_SIGNATURE_FAILED: StatusCode = StatusCode::new("8.1", "6.1");
/// The EUM certificate is not the CI's (8.1.2 EUM Certificate, 6.1).
pub const EUM_CERTIFICATE_FAILED: StatusCode = StatusCode::new("8.1.2", "6.1");
/// The EUM (or CI) certificate is not valid now (8.1.2, 6.3 Expired).
pub const EUM_CERTIFICATE_EXPIRED: StatusCode = StatusCode::new("8.1.2", "6.3");

fn failed(code: StatusCode, message: &str) -> FunctionExecutionStatus {
    FunctionExecutionStatus::failed(code, None, message)
}

/// A PEM certificate file as DER.
fn der_of(path: &std::path::Path, what: &str) -> Result<Vec<u8>, FunctionExecutionStatus> {
    let refuse = |e: &dyn std::fmt::Display| {
        tracing::error!("{what} certificate {}: {e}", path.display());
        failed(
            smsr::inventory::codes::PROVIDER_ERROR,
            &format!("the SM-SR cannot read its {what} certificate"),
        )
    };
    let pem = std::fs::read(path).map_err(|e| refuse(&e))?;
    openssl::x509::X509::from_pem(&pem)
        .and_then(|c| c.to_der())
        .map_err(|e| refuse(&e))
}

/// The EUM certificate: the signature's own, else the configured one.
fn eum_certificate(
    trust: &EumTrust,
    caller: &Operator,
    raw: &[u8],
    limits: &Limits,
) -> Result<Vec<u8>, FunctionExecutionStatus> {
    let carried = eum_signature::eum_certificate(raw, limits)
        .map_err(|e| failed(EUM_CERTIFICATE_FAILED, &format!("EUM certificate: {e}")))?;
    if let Some(c) = carried {
        return Ok(c);
    }
    match trust.certificates.iter().find(|c| c.id == caller.id) {
        Some(c) => der_of(&c.cert, "EUM"),
        None => Err(failed(
            EUM_CERTIFICATE_FAILED,
            "no EUM certificate: none in KeyInfo and none configured for this EUM",
        )),
    }
}

/// Applies the signature policy to the RegisterEIS request `raw` (the
/// envelope as received) from `caller`.
///
/// # Errors
/// The `Failed` status to answer; nothing is stored.
pub fn check(
    app: &App,
    caller: &Operator,
    raw: &[u8],
    limits: &Limits,
) -> Result<(), FunctionExecutionStatus> {
    let default = EumTrust::default();
    let trust = app.config.es.as_ref().map_or(&default, |es| &es.eum);
    let signed = eum_signature::is_signed(raw, limits).map_err(|e| {
        failed(
            smsr::inventory::codes::FUNCTION_INVALID,
            &format!("Eis: {e}"),
        )
    })?;
    if !signed {
        if trust.dangerous_allow_unsigned_eis {
            tracing::warn!(by = %caller.id, "unsigned EIS taken (DangerousAllowUnsignedEis)");
            return Ok(());
        }
        return Err(failed(
            smsr::inventory::codes::FUNCTION_MISSING_ELEMENT,
            "EumSignature missing: this SM-SR takes signed EIS only",
        ));
    }
    let Some(ci_path) = &trust.ci else {
        return Err(failed(
            smsr::inventory::codes::PROVIDER_ERROR,
            "no CI certificate configured (Es.Eum.Ci): a signed EIS cannot be verified",
        ));
    };
    let ci = der_of(ci_path, "CI")?;
    let eum = eum_certificate(trust, caller, raw, limits)?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| {
            failed(
                smsr::inventory::codes::PROVIDER_ERROR,
                "the SM-SR's clock is before 1970",
            )
        })?
        .as_secs();
    let key = eum_cert::verify_eum_certificate(&eum, &ci, now).map_err(|e| {
        let code = match e {
            EumCertError::Expired(_) => EUM_CERTIFICATE_EXPIRED,
            _ => EUM_CERTIFICATE_FAILED,
        };
        failed(code, &e.to_string())
    })?;
    eum_signature::verify(raw, limits, &key)
        .map_err(|e| failed(EIS_SIGNATURE_FAILED, &format!("EumSignature: {e}")))
}
