//! Sample requests shared by the sandbox's unit tests and the conformance harness.

use serde_json::json;

use crate::model::{RateRequest, ShipRequest};

/// The canonical request as JSON: Atlanta GA 30301 → San Francisco CA 94105,
/// residential, one 2.5 kg parcel of 30×20×10 cm, shipped on Friday 2025-03-14.
pub(crate) fn canonical() -> serde_json::Value {
    json!({
        "from": {"name": "Shipper", "street": ["1 Peachtree St"], "city": "Atlanta",
                 "state": "GA", "postal_code": "30301", "country": "US"},
        "to": {"name": "Receiver", "street": ["1 Market St"], "city": "San Francisco",
               "state": "CA", "postal_code": "94105", "country": "US", "residential": true},
        "parcels": [{"weight": {"value": "2.5", "unit": "kg"},
                     "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"}}],
        "ship_date": "2025-03-14"
    })
}

/// The canonical request, typed.
pub(crate) fn rate_request() -> RateRequest {
    serde_json::from_value(canonical()).expect("canonical request parses")
}

/// The canonical shipment bought with `service`, carrying `reference`.
pub(crate) fn ship_request(service: &str, reference: &str) -> ShipRequest {
    let mut v = canonical();
    v["service"] = json!(service);
    v["reference"] = json!(reference);
    serde_json::from_value(v).expect("canonical ship request parses")
}
