//! UPS contract: every wire request fixture our adapter is checked against
//! (`carriers/src/ups/fixtures/*/*.wire_request.json`) validates against UPS's own OpenAPI
//! component schema in `../shared/carriers/ups/openapi/`. Runs whenever that folder is present;
//! under `CI=true` its absence is a failure. (That every published UPS sample response parses
//! with our wire types is tested in `carriers/src/ups/tests.rs`, where the wire types live.)

use std::path::Path;

use serde_json::Value;
use shiphub_contracts::{
    assert_valid, component_validator, load, shared_carriers_dir, workspace_root,
};

/// UPS's YAML has stray tab characters (Shipping.yaml, Tracking.yaml) that a strict YAML
/// parser refuses; they only ever sit in descriptions or trailing whitespace, so they are
/// turned into spaces before loading.
fn load_spec(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    if !text.contains('\t') {
        return load(path);
    }
    serde_norway::from_str(&text.replace('\t', "  "))
        .unwrap_or_else(|e| panic!("parse {}: {e}", path.display()))
}

fn fixtures(kind: &str) -> Vec<(String, Value)> {
    let dir = workspace_root()
        .join("carriers/src/ups/fixtures")
        .join(kind);
    let mut out: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".wire_request.json"))
        .map(|p| (p.display().to_string(), load(&p)))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// UPS's `Rating.yaml` declares `Service.Code` as exactly 3 characters while listing and
/// using 2-character codes (`03`, `07`) everywhere else, including its own examples. Our Shop
/// requests send no `Service` at all, so the defect does not bite; this check makes sure that
/// stays true rather than patching UPS's schema.
#[test]
fn rate_requests_validate_against_rating_yaml() {
    let Some(dir) = shared_carriers_dir() else {
        return;
    };
    let spec = load_spec(&dir.join("ups/openapi/Rating.yaml"));
    let v = component_validator(&spec, "RATERequestWrapper");
    let cases = fixtures("rate");
    assert!(
        cases.len() >= 2,
        "expected rate fixtures, found {}",
        cases.len()
    );
    for (name, body) in &cases {
        assert_valid(&v, body, name);
        assert!(
            body.pointer("/RateRequest/Shipment/Service").is_none(),
            "{name}: Shop sends no Service"
        );
    }
}

#[test]
fn ship_requests_validate_against_shipping_yaml() {
    let Some(dir) = shared_carriers_dir() else {
        return;
    };
    let spec = load_spec(&dir.join("ups/openapi/Shipping.yaml"));
    let v = component_validator(&spec, "SHIPRequestWrapper");
    let cases = fixtures("ship");
    assert!(
        cases.len() >= 2,
        "expected ship fixtures, found {}",
        cases.len()
    );
    for (name, body) in &cases {
        assert_valid(&v, body, name);
    }
}

/// The schemas our wire types read are the ones the specs name for each operation's answer.
#[test]
fn response_components_exist_where_the_adapter_expects_them() {
    let Some(dir) = shared_carriers_dir() else {
        return;
    };
    for (file, component) in [
        ("Rating.yaml", "RATEResponseWrapper"),
        ("Shipping.yaml", "SHIPResponseWrapper"),
        ("Shipping.yaml", "VOIDSHIPMENTResponseWrapper"),
        ("Tracking.yaml", "TrackApiResponse"),
        ("OAuthClientCredentials.yaml", "tokenSuccessResponse"),
    ] {
        let spec = load_spec(&dir.join("ups/openapi").join(file));
        component_validator(&spec, component);
    }
}

/// Our own fixture responses are valid UPS answers too (the ones the golden tests parse).
/// Not listed: the ship responses. `Shipping.yaml` requires `ShipmentResults.BillingWeight`
/// with a `Weight` of exactly 8 characters (minLength = maxLength = 8), which no real weight
/// such as "9.0" satisfies; and `intl_ddp_gif` deliberately uses the pre-v2403 single-object
/// shape for `PackageResults` and `Alert`.
#[test]
fn fixture_responses_validate_against_the_response_schemas() {
    let Some(dir) = shared_carriers_dir() else {
        return;
    };
    let root = workspace_root().join("carriers/src/ups/fixtures");
    for (file, component, fixture) in [
        (
            "Rating.yaml",
            "RATEResponseWrapper",
            "rate/us_domestic_ground.wire_response.json",
        ),
        (
            "Shipping.yaml",
            "VOIDSHIPMENTResponseWrapper",
            "void/shipment.wire_response.json",
        ),
        (
            "Tracking.yaml",
            "TrackApiResponse",
            "track/delivered.wire_response.json",
        ),
        (
            "Tracking.yaml",
            "TrackApiResponse",
            "track/exception_address.wire_response.json",
        ),
    ] {
        let spec = load_spec(&dir.join("ups/openapi").join(file));
        let v = component_validator(&spec, component);
        assert_valid(&v, &load(&root.join(fixture)), fixture);
    }
}
