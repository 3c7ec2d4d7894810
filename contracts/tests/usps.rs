//! USPS v3 wire contracts, against `../shared/carriers/usps/openapi/`: every request fixture
//! of the adapter (`carriers/src/usps/fixtures/*/*.wire_request.json`) validates against the
//! component schema USPS publishes for its operation, and every response fixture against the
//! response schema. Where USPS's own files disagree with each other, the disagreement is
//! recorded in `contracts/README.md`.

use std::path::Path;

use serde_json::Value;
use shiphub_contracts::{
    assert_valid, component_validator, load, shared_carriers_dir, workspace_root,
};

fn spec(shared: &Path, file: &str) -> Value {
    load(&shared.join("usps/openapi").join(file))
}

fn fixture(rel: &str) -> Value {
    load(
        &workspace_root()
            .join("carriers/src/usps/fixtures")
            .join(rel),
    )
}

#[test]
fn usps_fixtures_validate_against_the_usps_schemas() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            "shipping-options.yaml",
            "DomesticOptionsRequest",
            "rate/us_domestic.wire_request.json",
        ),
        (
            "shipping-options.yaml",
            "DomesticOptionsResponse",
            "rate/us_domestic.wire_response.json",
        ),
        (
            "shipping-options.yaml",
            "InternationalOptionsRequest",
            "rate/us_to_ca.wire_request.json",
        ),
        (
            "shipping-options.yaml",
            "InternationalOptionsResponse",
            "rate/us_to_ca.wire_response.json",
        ),
        (
            "domestic-labels.yaml",
            "LabelRequest",
            "ship/us_domestic_pdf.wire_request.json",
        ),
        (
            "domestic-labels.yaml",
            "LabelVendorResponse",
            "ship/us_domestic_pdf.wire_response.json",
        ),
        (
            "international-labels.yaml",
            "InternationalLabelVendorResponse",
            "ship/us_to_ca_zpl.wire_response.json",
        ),
        (
            "domestic-labels.yaml",
            "CancelResponse",
            "void/canceled.wire_response.json",
        ),
        (
            "domestic-labels.yaml",
            "CancelResponse",
            "void/disputed.wire_response.json",
        ),
        (
            "tracking.yaml",
            "TrackingDetails",
            "track/delivered.wire_response.json",
        ),
    ];
    for (file, component, rel) in cases {
        let validator = component_validator(&spec(&shared, file), component);
        assert_valid(&validator, &fixture(rel), rel);
    }
}

/// `InternationalLabelRequest` cannot be met by any request: its `allOf` branches say
/// `additionalProperties: false` while declaring only their own keys, so the inherited ones
/// (`weight`, `AESITN`, `HSTariffNumber`…) are refused (recorded in `contracts/README.md`).
/// Our request must fail exactly there and nowhere else.
#[test]
fn usps_international_label_request_fails_only_on_the_spec_own_allof_conflict() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let validator = component_validator(
        &spec(&shared, "international-labels.yaml"),
        "InternationalLabelRequest",
    );
    let mut found: Vec<String> = validator
        .iter_errors(&fixture("ship/us_to_ca_zpl.wire_request.json"))
        .map(|e| format!("{} {}", e.instance_path(), e))
        .collect();
    found.sort();
    let recorded = [
        "/customsForm False schema does not allow \"NO EEI 30.37(a)\"",
        "/customsForm/contents/0 False schema does not allow \"610910\"",
        "/packageDescription Additional properties are not allowed ('dimensionsUOM', 'height', 'length', 'weight', 'weightUOM', 'width' were unexpected)",
    ];
    assert_eq!(found, recorded, "update contracts/README.md");
}

#[test]
fn usps_error_fixtures_are_usps_error_messages() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let validator = component_validator(&spec(&shared, "domestic-labels.yaml"), "ErrorMessage");
    let dir = workspace_root().join("carriers/src/usps/fixtures/error");
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        assert_valid(&validator, &load(&p)["body"], &p.display().to_string());
    }
}

#[test]
fn usps_spec_examples_validate_where_recorded() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let s = spec(&shared, "shipping-options.yaml");
    let v = component_validator(&s, "DomesticOptionsResponse");
    assert_valid(
        &v,
        &s["components"]["examples"]["DomesticOutboundOptionsExample"]["value"],
        "DomesticOutboundOptionsExample",
    );
    let s = spec(&shared, "payments.yaml");
    let v = component_validator(&s, "Parties");
    assert_valid(
        &v,
        &s["components"]["examples"]["MinimumPaymentAuthorizationRequest"]["value"],
        "MinimumPaymentAuthorizationRequest",
    );
}

/// The requests of a shipper's working day (options, return labels, address validation,
/// pickups, SCAN forms) against the schemas USPS publishes for them, and the answers our
/// fixtures hold against the response schemas.
#[test]
fn usps_working_day_fixtures_validate_against_the_usps_schemas() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let cases: &[(&str, &str, &str)] = &[
        (
            "shipping-options.yaml",
            "DomesticOptionsRequest",
            "rate/us_domestic_options.wire_request.json",
        ),
        (
            "domestic-labels.yaml",
            "LabelRequest",
            "ship/us_domestic_options.wire_request.json",
        ),
        (
            "domestic-labels.yaml",
            "ReturnLabelRequest",
            "ship/return_priority.wire_request.json",
        ),
        (
            "domestic-labels.yaml",
            "ReturnLabelVendorResponse",
            "ship/return_priority.wire_response.json",
        ),
        (
            "scan-forms.yaml",
            "SCANFormRequest",
            "manifest/scan_form.wire_request.json",
        ),
        (
            "addresses.yaml",
            "AddressResponse",
            "verify/st_louis.wire_response.json",
        ),
        (
            "addresses.yaml",
            "AddressResponse",
            "verify/default_address_32.wire_response.json",
        ),
        (
            "addresses.yaml",
            "ErrorMessage",
            "verify/address_not_found.wire_response.json",
        ),
    ];
    for (file, component, rel) in cases {
        let validator = component_validator(&spec(&shared, file), component);
        assert_valid(&validator, &fixture(rel), rel);
    }
    // The 404 fixture is the spec's own `Address-Not-Found` example.
    let s = spec(&shared, "addresses.yaml");
    assert_eq!(
        fixture("verify/address_not_found.wire_response.json"),
        s["components"]["examples"]["Address-Not-Found"]["value"]
    );
}

/// `GET /addresses/v3/address` takes the address as query parameters: each one we send is a
/// parameter of the operation and valid against its schema, and the required ones are there.
#[test]
fn usps_address_query_matches_the_operation_parameters() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let s = spec(&shared, "addresses.yaml");
    let params = s["paths"]["/address"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let query = fixture("verify/st_louis.wire_request.json");
    let query = query.as_object().unwrap();
    for (name, value) in query {
        let p = params
            .iter()
            .find(|p| p["name"] == name.as_str() && p["in"] == "query")
            .unwrap_or_else(|| panic!("`{name}` is not a query parameter of get-address"));
        let v = jsonschema::validator_for(&p["schema"]).unwrap();
        assert!(v.is_valid(value), "{name}={value} against {}", p["schema"]);
    }
    for p in params.iter().filter(|p| p["required"] == true) {
        let name = p["name"].as_str().unwrap();
        assert!(query.contains_key(name), "required `{name}` missing");
    }
}

/// `SchedulePickupRequest` cannot be met as published, for two reasons of the spec's own:
/// `NotificationMethod` is a `oneOf` `EmailNotification` / `SMSNotification`, both objects with
/// only optional properties and no `additionalProperties: false`, so every contact matches
/// both and fails the `oneOf`; and `PickupAddress` says `additionalProperties: false` while
/// declaring `address` only inside its `allOf`, so the address it requires is refused.
/// Our request (and the answer echoing it) must fail exactly there and nowhere else.
#[test]
fn usps_pickup_request_fails_only_on_the_spec_own_contact_one_of() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let validator = component_validator(
        &spec(&shared, "carrier-pickup.yaml"),
        "SchedulePickupRequest",
    );
    let errors = |v: &jsonschema::Validator, rel: &str| {
        let mut found: Vec<String> = v
            .iter_errors(&fixture(rel))
            .map(|e| {
                let m = e.to_string();
                let why = if m.contains("oneOf") {
                    "oneOf"
                } else if m.contains("False schema") {
                    "additionalProperties"
                } else {
                    "other"
                };
                format!("{} {why}", e.instance_path())
            })
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        errors(&validator, "pickup/schedule.wire_request.json"),
        [
            "/pickupAddress additionalProperties",
            "/pickupAddress/contact/0 oneOf",
            "/pickupAddress/contact/1 oneOf"
        ],
        "update contracts/README.md"
    );
    let answer = component_validator(&spec(&shared, "carrier-pickup.yaml"), "PickupConfirmation");
    assert_eq!(
        errors(&answer, "pickup/schedule.wire_response.json"),
        [
            "/carrierPickupRequest/pickupAddress additionalProperties",
            "/carrierPickupRequest/pickupAddress/contact/0 oneOf"
        ],
        "update contracts/README.md"
    );
    // Each contact alone is valid against the branch it is meant for.
    let s = spec(&shared, "carrier-pickup.yaml");
    let email = component_validator(&s, "EmailNotification");
    let sms = component_validator(&s, "SMSNotification");
    let req = fixture("pickup/schedule.wire_request.json");
    assert_valid(&email, &req["pickupAddress"]["contact"][0], "email contact");
    assert_valid(&sms, &req["pickupAddress"]["contact"][1], "SMS contact");
}
