//! Every element of a request checked against its SGP.02 type
//! ([`smsr::inventory::field`]) before the function runs, wherever it
//! occurs in the body (the request's own elements, a batch's targets, the
//! EIS of ES1.RegisterEIS and its profiles), plus the key lengths of the
//! `Secrets` the EUM hands over.
//!
//! An element of the wrong JSON type (a number where text is due) is left
//! to the request's deserialisation, which refuses it with `1.6`/`2.1`.

use serde_json::Value;
use smsr::inventory::field::{ElementType, FieldError, key_length};

/// The key elements of `Secrets` (hex): SCP80 KIc / KID and the SCP81 PSK.
const KEYS: [&str; 3] = ["Scp80Kic", "Scp80Kid", "Scp81Psk"];

/// Checks every typed element of `body`.
///
/// # Errors
/// The first element that does not have its type.
pub fn check(body: &Value) -> Result<(), FieldError> {
    match body {
        Value::Object(o) => {
            for (name, v) in o {
                element(name, v)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().try_for_each(check),
        _ => Ok(()),
    }
}

/// Checks element `name` of value `v` (a list checks each item).
fn element(name: &str, v: &Value) -> Result<(), FieldError> {
    if let Some(k) = KEYS.iter().find(|k| **k == name) {
        return match v.as_str() {
            Some(hex) if hex.len().is_multiple_of(2) => key_length(k, hex.len() / 2),
            _ => Ok(()),
        };
    }
    match (ElementType::of(name), v) {
        (Some((n, ty)), Value::String(s)) => ty.check(n, s),
        (Some((n, ty)), Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .try_for_each(|s| ty.check(n, s)),
        _ => check(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use smsr::inventory::field::Problem;

    #[test]
    fn nested_elements_are_checked() {
        let good = json!({"Eid": "89049032123451234512345678901235",
            "Iccid": ["8949449999999990015"], "Mno-id": "MNO-A",
            "SubscriptionAddress": {"Msisdn": "316100000001"}, "RequiredMemory": 5});
        assert_eq!(check(&good), Ok(()));
        let bad = json!({"Targets": [{"Eid": "89049032123451234512345678901235",
            "Iccid": "8949449999999990016"}]});
        let e = check(&bad).unwrap_err();
        assert_eq!((e.element, e.problem), ("Iccid", Problem::CheckDigits));
        let bad = json!({"SubscriptionAddress": {"Msisdn": "+31"}});
        assert_eq!(check(&bad).unwrap_err().element, "Msisdn");
        let bad = json!({"Secrets": {"Scp80Kic": "0011"}});
        assert_eq!(
            check(&bad).unwrap_err().problem,
            Problem::KeyLength { len: 2 }
        );
        // The wrong JSON type is the deserialiser's to refuse.
        assert_eq!(check(&json!({"Eid": 5})), Ok(()));
    }
}
