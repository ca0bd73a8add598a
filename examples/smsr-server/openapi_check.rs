//! The OpenAPI 3 description of the operator API (`openapi.json`) checked
//! against the router's table ([`crate::api::ROUTES`]) and the SOAP
//! function table: every route documented with its method, every
//! documented function route routed, the SOAP functions each route runs
//! named (`x-sgp02-functions`), the SOAP request elements documented and
//! no element required here that SOAP leaves optional. What the server
//! answers to a missing required element is `tests/server_openapi.rs`.

use serde_json::Value;

use crate::api::ROUTES;
use crate::soap::functions::FUNCTIONS;

fn spec() -> Value {
    serde_json::from_str(include_str!("openapi.json")).expect("openapi.json is JSON")
}

fn schema<'a>(spec: &'a Value, path: &str) -> &'a Value {
    &spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let spec = spec();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for (i, n, _) in ROUTES {
        let path = format!("/{i}/{n}");
        assert!(
            spec["paths"][&path]["post"].is_object(),
            "{path} undocumented"
        );
        assert!(schema(&spec, &path)["properties"].is_object(), "{path}");
    }
    for (path, ops) in spec["paths"].as_object().unwrap() {
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        if ops.get("post").is_some() {
            let [i, n] = segs[..] else {
                panic!("{path}: not /{{interface}}/{{function}}")
            };
            assert!(
                ROUTES.iter().any(|(ri, rn, _)| *ri == i && *rn == n),
                "{path} documented but not routed"
            );
        } else {
            assert!(ops.get("get").is_some(), "{path}: neither GET nor POST");
        }
    }
}

#[test]
fn the_soap_functions_and_their_elements_match() {
    let spec = spec();
    for f in FUNCTIONS {
        let path = format!("/{}/{}", f.endpoint.0, f.endpoint.1);
        let name = format!("{}.{}", f.interface.name(), f.name);
        let op = &spec["paths"][&path]["post"];
        assert!(
            strings(&op["x-sgp02-functions"]).contains(&name.as_str()),
            "{path} does not name {name}"
        );
        let s = schema(&spec, &path);
        for field in f.fields {
            assert!(
                s["properties"][field.name].is_object(),
                "{name}: element {} undocumented at {path}",
                field.name
            );
        }
        for r in strings(&s["required"]) {
            assert!(
                f.fields.iter().any(|x| x.name == r && x.required),
                "{path} requires {r}, which {name} leaves optional"
            );
        }
    }
    // Every SOAP function a route names exists.
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for n in strings(&ops["post"]["x-sgp02-functions"]) {
            assert!(
                FUNCTIONS
                    .iter()
                    .any(|f| format!("{}.{}", f.interface.name(), f.name) == n),
                "{path} names {n}, no SOAP function"
            );
        }
    }
}
