//! The test carriers' shared parts for the hub's integration tests: capabilities, limits and
//! registry entries, written with only what a test varies.

#![allow(dead_code)]

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use rust_decimal::Decimal;
use serde_json::Value;
use shiphub_carriers::model::{LabelFormat, WeightUnit};
use shiphub_carriers::{
    AccountError, Capabilities, Capability, Carrier, CarrierCode, CarrierEntry, CarrierHttp,
    CarrierLimits, WeightRange,
};

/// Capabilities for `supports`, any parcel up to 1000 kg, no services of their own.
pub const fn capabilities(
    supports: &'static [Capability],
    track_batch_max: usize,
    label_formats: &'static [LabelFormat],
) -> Capabilities {
    Capabilities {
        supports,
        track_batch_max,
        label_formats,
        services: &[],
        parcel_weight: WeightRange::new(Decimal::ZERO, Decimal::ONE_THOUSAND, WeightUnit::Kg),
        options: &[],
    }
}

pub fn limits(requests_per_second: u32, burst: u32, timeout: Duration) -> CarrierLimits {
    CarrierLimits {
        requests_per_second,
        burst,
        timeout,
    }
}

/// A registry entry for a test carrier: no base URL, hosts, settings, numbers or pushes.
pub const fn entry(
    code: &'static str,
    name: &'static str,
    capabilities: &'static Capabilities,
    build: fn(serde_json::Value, CarrierHttp) -> Result<Box<dyn Carrier>, AccountError>,
) -> CarrierEntry {
    CarrierEntry {
        code: CarrierCode::from_static(code),
        name,
        capabilities,
        needs_base_url: false,
        hosts: &[],
        url_settings: &[],
        build,
        numbers: &[],
        push: None,
    }
}

/// One request through the hub's router in process, as `bearer` (an API key or a station
/// token), with a JSON body and an `Idempotency-Key` when given: the status and the raw body.
pub async fn oneshot(
    router: &Router,
    bearer: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
    idem: Option<&str>,
) -> (StatusCode, Vec<u8>) {
    use tower::ServiceExt;
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {bearer}"));
    if let Some(k) = idem {
        req = req.header("idempotency-key", k);
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let res = router
        .clone()
        .oneshot(req.body(body).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, bytes.to_vec())
}
