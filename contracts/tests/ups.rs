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
    let mut spec = load_spec(&dir.join("ups/openapi/Rating.yaml"));
    // Rating.yaml gives `PackageServiceOptions_DeclaredValue.MonetaryValue` exactly 8
    // characters (minLength = maxLength = 8), which no amount under 10000.00 written plainly
    // meets; Shipping.yaml's same container takes 1 to 19. The minimum is dropped, the
    // maximum kept.
    let money = spec
        .pointer_mut(
            "/components/schemas/PackageServiceOptions_DeclaredValue/properties/MonetaryValue",
        )
        .expect("Rating.yaml declares DeclaredValue.MonetaryValue");
    assert_eq!(money["minLength"], 8, "the defect is still there");
    money.as_object_mut().unwrap().remove("minLength");
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

/// Address Validation requests (`XAVRequestWrapper`), one per `address/*.wire_request.json`.
#[test]
fn address_validation_requests_validate_against_address_validation_yaml() {
    let Some(dir) = shared_carriers_dir() else {
        return;
    };
    let spec = load_spec(&dir.join("ups/openapi/AddressValidation.yaml"));
    let v = component_validator(&spec, "XAVRequestWrapper");
    let cases = fixtures("address");
    assert!(!cases.is_empty(), "expected address fixtures");
    for (name, body) in &cases {
        assert_valid(&v, body, name);
    }
}

/// Pickup creation requests (`PICKUPCreationRequestWrapper`). Pickup.yaml gives
/// `PickupDateInfo.PickupDate` ("Format: yyyyMMdd") a maxLength of 4, which its own example
/// (`'20221214'`) breaks; the limit is set to the format's 8 characters and every request
/// is checked to send exactly that.
#[test]
fn pickup_requests_validate_against_pickup_yaml() {
    let Some(dir) = shared_carriers_dir() else {
        return;
    };
    let mut spec = load_spec(&dir.join("ups/openapi/Pickup.yaml"));
    let example = spec
        .pointer("/paths/~1pickupcreation~1{version}~1pickup/post/requestBody/content/application~1json/examples/1/value")
        .cloned()
        .expect("Pickup.yaml's standard creation example");
    let date = spec
        .pointer_mut(
            "/components/schemas/PickupCreationRequest_PickupDateInfo/properties/PickupDate",
        )
        .expect("Pickup.yaml declares PickupDate");
    assert_eq!(date["maxLength"], 4, "the defect is still there");
    date["maxLength"] = 8.into();
    // `TotalWeight.Weight` is exactly 6 characters (min = max = 6), yet "One decimal digit is
    // allowed. Example: 10.9" and the spec's example sends '5.5'.
    relax_min_length(
        &mut spec,
        "/components/schemas/PickupCreationRequest_TotalWeight/properties/Weight",
    );
    let v = component_validator(&spec, "PICKUPCreationRequestWrapper");
    let cases = fixtures("pickup");
    assert!(!cases.is_empty(), "expected pickup fixtures");
    for (name, body) in &cases {
        assert_valid(&v, body, name);
        assert_eq!(
            body.pointer("/PickupCreationRequest/PickupDateInfo/PickupDate")
                .and_then(Value::as_str)
                .map(str::len),
            Some(8),
            "{name}: yyyyMMdd"
        );
    }
    // The evidence for both patches, in UPS's own example.
    assert_eq!(
        example.pointer("/PickupCreationRequest/PickupDateInfo/PickupDate"),
        Some(&Value::from("20221214"))
    );
    assert_eq!(
        example.pointer("/PickupCreationRequest/TotalWeight/Weight"),
        Some(&Value::from("5.5"))
    );
}

/// Drops the `minLength` of the string property at `pointer` (a fixed-width length UPS's own
/// examples do not keep), asserting it is there to drop.
fn relax_min_length(spec: &mut Value, pointer: &str) {
    let prop = spec
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer} not in the spec"));
    assert!(
        prop.as_object_mut().unwrap().remove("minLength").is_some(),
        "{pointer}: the defect is gone; drop the patch"
    );
}

/// Our rated pickup answer against `PICKUPCreationResponseWrapper`. The amounts there are
/// exactly 8 characters by the schema (min = max = 8), which the Postman collection's own
/// pickup rate answer ("5.80", "10.46") does not keep; the minimum is dropped for them.
#[test]
fn pickup_creation_answer_validates_against_pickup_yaml() {
    let Some(dir) = shared_carriers_dir() else {
        return;
    };
    let mut spec = load_spec(&dir.join("ups/openapi/Pickup.yaml"));
    for p in [
        "/components/schemas/RateResult_ChargeDetail/properties/ChargeAmount",
        "/components/schemas/RateResult_ChargeDetail/properties/TaxAmount",
        "/components/schemas/PickupCreationResponse_RateResult/properties/GrandTotalOfAllCharge",
    ] {
        relax_min_length(&mut spec, p);
    }
    let v = component_validator(&spec, "PICKUPCreationResponseWrapper");
    let root = workspace_root().join("carriers/src/ups/fixtures");
    let name = "pickup/created_rated.wire_response.json";
    assert_valid(&v, &load(&root.join(name)), name);
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
        ("AddressValidation.yaml", "XAVResponseWrapper"),
        ("Pickup.yaml", "PICKUPCreationResponseWrapper"),
        ("Pickup.yaml", "PICKUPCancelResponseWrapper"),
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
        (
            "AddressValidation.yaml",
            "XAVResponseWrapper",
            "address/valid_residential.wire_response.json",
        ),
        (
            "AddressValidation.yaml",
            "XAVResponseWrapper",
            "address/ambiguous.wire_response.json",
        ),
        (
            "AddressValidation.yaml",
            "XAVResponseWrapper",
            "address/no_candidates.wire_response.json",
        ),
        (
            "Pickup.yaml",
            "PICKUPCancelResponseWrapper",
            "pickup/cancelled.wire_response.json",
        ),
    ] {
        let spec = load_spec(&dir.join("ups/openapi").join(file));
        let v = component_validator(&spec, component);
        assert_valid(&v, &load(&root.join(fixture)), fixture);
    }
}
