//! The test carriers' shared parts for the hub's integration tests: capabilities, limits and
//! registry entries, written with only what a test varies.

#![allow(dead_code)]

use std::time::Duration;

use rust_decimal::Decimal;
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
