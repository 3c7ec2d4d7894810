//! Sandbox carrier (stub while being built).
use std::time::Duration;

use crate::carrier::{Capabilities, Carrier, CarrierCode, CarrierLimits};
use crate::registry::CarrierEntry;

static CAPS: Capabilities = Capabilities {
    supports: &[],
    track_batch_max: 0,
    label_formats: &[],
    services: &[],
};

pub static ENTRY: CarrierEntry = CarrierEntry {
    code: CarrierCode::from_static("sandbox"),
    name: "Sandbox",
    capabilities: &CAPS,
    needs_base_url: false,
    build: |_, _| Ok(Box::new(Sandbox)),
};

struct Sandbox;

impl Carrier for Sandbox {
    fn code(&self) -> CarrierCode {
        ENTRY.code.clone()
    }
    fn capabilities(&self) -> &'static Capabilities {
        &CAPS
    }
    fn limits(&self) -> CarrierLimits {
        CarrierLimits {
            requests_per_second: 1000,
            burst: 1000,
            timeout: Duration::from_secs(5),
        }
    }
}
