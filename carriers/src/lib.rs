//! shiphub-carriers: the shipping vocabulary, the `Carrier` trait, and one folder per carrier.
//! Depends on no other workspace crate. Adapters translate; they never retry or sleep.

pub mod carrier;
pub mod check_digit;
pub mod detect;
pub mod error;
pub mod http;
pub mod model;
pub mod oauth;
pub mod offline;
pub mod registry;

#[cfg(test)]
mod conformance;
#[cfg(test)]
mod corpus;
#[cfg(test)]
mod testing;

/// Test support: says on the process's own stderr, which `cargo test` shows, that the current
/// test skipped and why (`eprintln!` is captured and shown only for failing tests, so a skip
/// would read just `ok`). libtest names each test's thread after the test.
#[cfg(test)]
pub(crate) fn report_skip(why: &str) {
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let _ = writeln!(std::io::stderr().lock(), "skipped: {test}: {why}");
}
mod dhl_express;
mod fedex;
mod join;
mod kuaidi100;
mod sandbox;
mod sf_express;
mod ups;
mod usps;
mod yunexpress;

pub use carrier::{
    Capabilities, Capability, Carrier, CarrierCode, CarrierLimits, RequestQuota, ServiceInfo,
    VoidOutcome, WeightRange,
};
pub use error::{CarrierError, FieldError, RawBody};
pub use http::CarrierHttp;
pub use registry::{AccountError, CarrierEntry};

/// Entry points for the adapter benchmarks (`benches/adapters.rs`); not an API.
#[doc(hidden)]
pub mod bench {
    pub use crate::dhl_express::bench_rate_cycle as dhl_express_rate_cycle;
    pub use crate::fedex::bench_rate_cycle as fedex_rate_cycle;
    pub use crate::kuaidi100::bench_track_cycle as kuaidi100_track_cycle;
    pub use crate::sf_express::bench_rate_cycle as sf_express_rate_cycle;
    pub use crate::ups::bench_rate_cycle as ups_rate_cycle;
    pub use crate::usps::bench_rate_cycle as usps_rate_cycle;
    pub use crate::yunexpress::bench_rate_cycle as yunexpress_rate_cycle;
}

/// Every carrier this crate ships. Adding a carrier: its folder (whose `ENTRY` declares its
/// number formats and push intake), `mod x;` above, one line here.
pub static CARRIERS: &[&CarrierEntry] = &[
    &sandbox::ENTRY,
    &ups::ENTRY,
    &fedex::ENTRY,
    &dhl_express::ENTRY,
    &usps::ENTRY,
    &kuaidi100::ENTRY,
    &yunexpress::ENTRY,
    &sf_express::ENTRY,
];
