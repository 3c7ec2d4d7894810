//! DHL Express wire contracts, against `../shared/carriers/dhl_express/`:
//! - every request fixture of the adapter (`carriers/src/dhl_express/fixtures/*/*.wire_request
//!   .json`) validates against the MyDHL 3.1.1 component schema for its operation, and every
//!   response fixture against the response schema (MyDHL's schemas say
//!   `additionalProperties: false`, so a misspelt key fails here);
//! - the Unified Tracking fixture validates against the Unified API's schema;
//! - every published sample is validated too, and where it disagrees with the spec the
//!   disagreement must be exactly the one recorded in `contracts/README.md` (the spec wins; a
//!   new or vanished disagreement fails the test, so the README stays true).
//!
//! The MyDHL YAML contains TAB characters (see the shared README); they are replaced by spaces
//! before parsing.

use std::path::{Path, PathBuf};

use serde_json::Value;
use shiphub_contracts::{
    assert_valid, component_validator, load, shared_carriers_dir, workspace_root,
};

const S: &str = "supermodelIoLogisticsExpress";

fn mydhl(shared: &Path) -> Value {
    let path = shared.join("dhl_express/openapi/mydhl-express-api-3.1.1.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .replace('\t', "  ");
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn fixture(rel: &str) -> PathBuf {
    workspace_root()
        .join("carriers/src/dhl_express/fixtures")
        .join(rel)
}

fn fixtures(op: &str, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(op))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

/// `(instance path, first words of the message)` of every violation.
fn violations(validator: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    let mut out: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| e.instance_path().to_string())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[test]
fn dhl_request_and_response_fixtures_validate_against_mydhl_schemas() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let spec = mydhl(&shared);
    let mut checked = 0;
    for (op, request, response) in [
        ("rate", "RateRequest", "Rates"),
        ("ship", "CreateShipmentRequest", "CreateShipmentResponse"),
        ("track", "", "TrackingResponse"),
        ("pickup", "PickupRequest", "PickupResponse"),
        ("address", "", "AddressValidateResponse"),
    ] {
        for (suffix, component) in [
            (".wire_request.json", request),
            (".wire_response.json", response),
        ] {
            if component.is_empty() {
                continue;
            }
            let validator = component_validator(&spec, &format!("{S}{component}"));
            for file in fixtures(op, suffix) {
                if file.to_string_lossy().contains("unified_") {
                    continue;
                }
                assert_valid(&validator, &load(&file), &file.display().to_string());
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} fixtures checked");
}

#[test]
fn dhl_unified_tracking_fixture_validates_against_the_unified_schema() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let spec =
        load(&shared.join("dhl_express/unified-tracking/dhl-shipment-tracking-unified-1.4.1.yaml"));
    let validator = component_validator(&spec, "supermodelIoLogisticsTrackingShipments");
    for file in fixtures("track", ".wire_response.json") {
        if file.to_string_lossy().contains("unified_") {
            assert_valid(&validator, &load(&file), &file.display().to_string());
        }
    }
}

/// The published samples against the spec. Each entry: sample, component, and the instance
/// paths where the sample disagrees with the spec, as recorded in `contracts/README.md`.
#[test]
fn dhl_samples_disagree_with_the_spec_exactly_where_recorded() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let spec = mydhl(&shared);
    let cases: &[(&str, &str, &[&str])] = &[
        ("samples/rate_request.json", "RateRequest", &[]),
        (
            "samples/rate_response.json",
            "Rates",
            &[
                "/products/0/items/0/breakdown/0",
                "/products/0/pickupCapabilities",
            ],
        ),
        (
            "samples/shipment_request.json",
            "CreateShipmentRequest",
            &["/onDemandDelivery/whereToLeave"],
        ),
        (
            "samples/shipment_response.json",
            "CreateShipmentResponse",
            &[
                "/shipmentDetails/0",
                "/shipmentDetails/0/customerDetails/receiverDetails/contactInformation",
                "/shipmentDetails/0/customerDetails/receiverDetails/postalAddress",
                "/shipmentDetails/0/customerDetails/shipperDetails/contactInformation",
                "/shipmentDetails/0/customerDetails/shipperDetails/postalAddress",
            ],
        ),
        (
            "samples/tracking_response.json",
            "TrackingResponse",
            &["/shipments/0", "/shipments/0/pieces/0"],
        ),
        ("samples/error_response.json", "ErrorResponse", &["/status"]),
    ];
    let mut report = Vec::new();
    for (file, component, recorded) in cases {
        let validator = component_validator(&spec, &format!("{S}{component}"));
        let found = violations(&validator, &load(&shared.join("dhl_express").join(file)));
        if found != *recorded {
            report.push(format!("{file}: found {found:?}, recorded {recorded:?}"));
        }
    }
    // The spec's own example request carries a key its schema does not declare.
    let validator = component_validator(&spec, &format!("{S}CreateShipmentRequest"));
    let example = &spec["components"]["examples"]["nonDocInternationalShipmentRequest"]["value"];
    let found: Vec<String> = violations(&validator, example)
        .into_iter()
        .filter(|p| !p.ends_with("/weight/grossValue")) // float multipleOf noise in the validator
        .collect();
    let recorded = [
        "/content/exportDeclaration/lineItems/0",
        "/content/exportDeclaration/lineItems/1",
    ];
    if found != recorded {
        report.push(format!(
            "spec example nonDocInternationalShipmentRequest: found {found:?}"
        ));
    }
    assert!(
        report.is_empty(),
        "update contracts/README.md:\n{}",
        report.join("\n")
    );
}

#[test]
fn dhl_spec_examples_for_rates_and_shipments_validate() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let spec = mydhl(&shared);
    for (example, component) in [
        ("nonDocInternationalShipmentRatesResponse", "Rates"),
        (
            "nonDocInternationalShipmentResponse",
            "CreateShipmentResponse",
        ),
    ] {
        let validator = component_validator(&spec, &format!("{S}{component}"));
        assert_valid(
            &validator,
            &spec["components"]["examples"][example]["value"],
            example,
        );
    }
}

/// `GET /address-validate` has no body: its query (the fixture `address/*.wire_query.json`,
/// which the adapter's test compares with what it builds) is checked against each parameter's
/// schema in `components.parameters`, and every required parameter is there.
#[test]
fn dhl_address_validate_query_fixtures_satisfy_the_parameters() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let spec = mydhl(&shared);
    let params = &spec["components"]["parameters"];
    let ours = [
        "addrValType",
        "addrValCountryCode",
        "addrValPostalCode",
        "addrValCityName",
        "addrValCountyName",
        "addrValStrictVal",
    ];
    let mut checked = 0;
    for file in fixtures("address", ".wire_query.json") {
        let query = load(&file);
        let query = query.as_object().expect("a query object");
        for name in query.keys() {
            assert!(
                ours.iter().any(|p| params[p]["name"] == name.as_str()),
                "{}: `{name}` is not an /address-validate parameter",
                file.display()
            );
        }
        for p in ours {
            let param = &params[p];
            let name = param["name"].as_str().unwrap();
            let Some(value) = query.get(name) else {
                assert!(
                    param["required"] != true,
                    "{}: required `{name}` missing",
                    file.display()
                );
                continue;
            };
            // Query values travel as text; a boolean parameter is `true`/`false`.
            let typed = match param["schema"]["type"].as_str() {
                Some("boolean") => Value::Bool(value == "true"),
                _ => value.clone(),
            };
            if param["schema"]["type"] == "boolean" {
                assert!(value == "true" || value == "false", "{name}: {value}");
            }
            let validator = jsonschema::validator_for(&param["schema"]).unwrap();
            assert_valid(&validator, &typed, &format!("{}: {name}", file.display()));
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} parameters checked");
}

/// The spec's own pickup examples, and the published pickup answer, validate against the
/// schemas our pickup wire types follow.
#[test]
fn dhl_pickup_examples_and_samples_validate() {
    let Some(shared) = shared_carriers_dir() else {
        return;
    };
    let spec = mydhl(&shared);
    for (example, component) in [
        ("nonDocRequestPickup", "PickupRequest"),
        ("nonDocRequestPickupResponse", "PickupResponse"),
    ] {
        let validator = component_validator(&spec, &format!("{S}{component}"));
        let value = &spec["components"]["examples"][example]["value"];
        assert!(!value.is_null(), "example {example} missing");
        assert_valid(&validator, value, example);
    }
    // (`samples/pickup_create_request.json` carries `countryName`/`provinceName` in its
    // postal addresses, which the schema does not declare; we send neither.)
    let file = "samples/pickup_create_response.json";
    let validator = component_validator(&spec, &format!("{S}PickupResponse"));
    assert_valid(
        &validator,
        &load(&shared.join("dhl_express").join(file)),
        file,
    );
}
