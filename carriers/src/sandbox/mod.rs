//! The `sandbox` carrier: deterministic, offline, stateless. It serves demos and every
//! end-to-end test, so its behaviour is scripted and documented here; it makes no network
//! calls, keeps nothing between calls, and (like every adapter) never sleeps or retries.
//!
//! - **Rate** quotes `economy`, `standard` and `express` from a zone and weight-break table
//!   (see `rate.rs`), in USD. International shipments need a customs declaration.
//! - **Ship** returns a waybill whose tracking numbers encode the tracking scenario, the
//!   purchase time, the ship date and the quoted transit days (layout in `number.rs`), priced
//!   as the quote of that service. No label document: `Waybill.label` is `None` and the hub
//!   renders one.
//! - **Track** replays a script per scenario and delivers on the quoted day
//!   (`estimated_delivery`: ship date plus `TRANSIT_DAYS[service][zone]` business days, so
//!   transit times depend on lane and service), at the account's pace of one step every
//!   `step_seconds` at most (see `track.rs`, codes in `codes.rs`).
//! - **Options**: every `ShipmentOption`, priced per shipment without fuel (`rate.rs`):
//!   signature indirect 2.50, direct 4.75, adult 6.25; Saturday delivery 15.00 (not on
//!   economy: rates leave economy out, ship refuses it on `/options/saturday_delivery`);
//!   declared value 1.00 per started 100.00 above the first 100.00 (USD only); delivery
//!   confirmation 1.25; dry ice 5.00; lithium batteries in or with equipment 3.50, alone
//!   refused on `/options/lithium_batteries`.
//! - **Returns** (`is_return`) are scan-based: the label costs nothing when bought (total
//!   0.00 USD, no breakdown) and a warning says what the service's price will be billed when
//!   the label is first scanned. The number tracks like an outbound one.
//! - **Address validation**: scripted verdicts, see `address.rs`.
//! - **Void** accepts any valid sandbox waybill. The sandbox keeps no state, so a voided
//!   number still tracks; the hub stops tracking what it voided.
//! - **Pickup** and **Manifest**: confirmation numbers and SCAN-form-like ids derived from the
//!   request; no manifest document (the hub draws one). See `pickup.rs`.
//!
//! Failures on purpose, by upper-case tokens (case-sensitive substrings, so an ordinary
//! reference such as "Return order 12" does not trip them):
//! - `CARRIER_DOWN` in ship's `reference`, or in `to.name` / `to.company` (rate and ship):
//!   `Transient { maybe_processed: false }`, an outage before the carrier acted.
//! - `REJECT` in the same places: `Rejected` with a field error on `/reference`, `/to/name`
//!   or `/to/company`, wherever the token was found.
//! - `EXCEPTION`, `ATTEMPT_FAIL`, `RETURN` or `STALL` in ship's `reference`: that tracking
//!   script (the first found, in this order); any other reference is delivered.
//! - `LATE` in ship's `reference` (with any script): delivered 10 business days after the
//!   quoted day, so on-time rates can be tried out.
//!
//! Account config: `{}` (or `null`), or `{"step_seconds": N}` with N from 1 to 604800
//! (default 60): the most a tracking step waits, i.e. the pace at which a journey is played
//! back. Unknown fields are refused.

mod account;
mod address;
mod codes;
#[cfg(test)]
pub(crate) mod fixtures;
mod number;
mod pickup;
mod rate;
#[cfg(test)]
mod tests;
mod track;

use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;

pub use account::Account;

use crate::carrier::WeightRange;
use crate::carrier::{Capabilities, Capability, Carrier, CarrierCode, CarrierLimits};
use crate::error::CarrierError;
use crate::http::CarrierHttp;
use crate::model::WeightUnit;
use crate::model::{
    Address, AddressCheck, Currency, Manifest, ManifestRequest, Money, PickupConfirmation,
    PickupRef, PickupRequest, Quote, RateRequest, ShipRequest, TrackingNumber, TrackingResult,
    Waybill, WaybillRef,
};
use crate::offline;
use crate::registry::{AccountError, CarrierEntry};
use rust_decimal::Decimal;

const CODE: CarrierCode = CarrierCode::from_static("sandbox");

static CAPS: Capabilities = Capabilities {
    // Pickups and manifests: see `pickup.rs`.
    supports: &[
        Capability::Rate,
        Capability::Ship,
        Capability::Void,
        Capability::Track,
        Capability::AddressValidation,
        Capability::Return,
        Capability::Pickup,
        Capability::Manifest,
    ],
    track_batch_max: 50,
    label_formats: &[],
    services: &codes::SERVICES,
    // Its own rule (rate.rs, `MAX_PARCEL_KG`): up to 70 kg, like DHL Express; from 1 g.
    parcel_weight: WeightRange::new(
        Decimal::from_parts(1, 0, 0, false, 3),
        Decimal::from_parts(rate::MAX_PARCEL_KG as u32, 0, 0, false, 0),
        WeightUnit::Kg,
    ),
    options: &rate::OPTIONS,
};

/// The registry entry.
pub static ENTRY: CarrierEntry = CarrierEntry {
    code: CODE,
    name: "Sandbox",
    capabilities: &CAPS,
    needs_base_url: false,
    hosts: &[],
    url_settings: &[],
    build,
    numbers: number::NUMBERS,
    push: None,
};

fn build(config: serde_json::Value, _http: CarrierHttp) -> Result<Box<dyn Carrier>, AccountError> {
    let account = Account::from_json(&config)?;
    Ok(Box::new(Sandbox::new(
        account,
        Arc::new(OffsetDateTime::now_utc),
    )))
}

/// Where the sandbox reads the time: the wall clock in production, a fixed or stepped clock
/// in tests, so a test can assert the exact progression at a given moment.
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// The sandbox adapter for one account.
pub struct Sandbox {
    account: Account,
    clock: Clock,
}

impl Sandbox {
    /// An adapter for `account` reading the time from `clock`.
    pub fn new(account: Account, clock: Clock) -> Self {
        Self { account, clock }
    }

    fn now(&self) -> OffsetDateTime {
        (self.clock)()
    }
}

#[async_trait]
impl Carrier for Sandbox {
    fn entry(&self) -> &'static CarrierEntry {
        &ENTRY
    }

    fn limits(&self) -> CarrierLimits {
        match self.account.requests_per_second {
            Some(rps) => CarrierLimits {
                requests_per_second: rps,
                burst: 1,
                ..offline::LIMITS
            },
            None => offline::LIMITS,
        }
    }

    async fn rate(&self, req: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        check_receiver(&req.to)?;
        // The sandbox's rate table prices boxes only: carrier packaging is not its to sell.
        req.unsold_packaging("the sandbox", |_| false)
            .map_err(|e| rejected(&e.field, "PACKAGING", e.message))?;
        rate::quotes(req, self.now().date())
    }

    async fn ship(&self, req: &ShipRequest) -> Result<Waybill, CarrierError> {
        if let Some(reference) = &req.reference {
            check_tokens(reference, "/reference")?;
        }
        req.shipment
            .unsold_packaging("the sandbox", |_| false)
            .map_err(|e| rejected(&e.field, "PACKAGING", e.message))?;
        let service = codes::SERVICES
            .iter()
            .find(|s| s.code == req.service)
            .ok_or_else(|| {
                rejected(
                    "/service",
                    "INVALID_SERVICE",
                    format!(
                        "unknown sandbox service `{}`; use economy, standard or express",
                        req.service
                    ),
                )
            })?;
        if let Some(refused) = rate::refusal(service.code, &req.shipment.options) {
            return Err(refused);
        }
        let now = self.now();
        check_receiver(&req.shipment.to)?;
        let quote = rate::quotes(&req.shipment, now.date())?
            .into_iter()
            .find(|q| q.service.code == service.code)
            .expect("a service `refusal` allows is quoted");
        let scenario = number::Scenario::from_reference(req.reference.as_deref());
        let journey = number::Journey::new(
            now.date(),
            req.shipment.ship_date.unwrap_or(now.date()),
            quote.transit_days.unwrap_or_default(),
            number::late_from_reference(req.reference.as_deref()),
        );
        let pieces: Vec<TrackingNumber> = req
            .shipment
            .parcels
            .iter()
            .map(|_| number::issue(scenario, now, journey))
            .collect();
        if req.is_return {
            // Scan-based: nothing is billed until the customer hands the parcel over.
            let warning = format!(
                "scan-based return: billed {} when first scanned",
                quote.total
            );
            return Ok(WAYBILLS.waybill(
                pieces,
                Money::from_minor_units(0, Currency::USD),
                Vec::new(),
                vec![warning],
            ));
        }
        Ok(WAYBILLS.waybill(pieces, quote.total, quote.breakdown, Vec::new()))
    }

    async fn verify_address(&self, address: &Address) -> Result<AddressCheck, CarrierError> {
        address::verify(address)
    }

    async fn void(&self, waybill: &WaybillRef) -> Result<(), CarrierError> {
        WAYBILLS.void(waybill)
    }

    async fn track(&self, numbers: &[TrackingNumber]) -> Result<Vec<TrackingResult>, CarrierError> {
        track::track(numbers, self.now(), self.account.step_seconds)
    }

    async fn schedule_pickup(
        &self,
        req: &PickupRequest,
    ) -> Result<PickupConfirmation, CarrierError> {
        pickup::schedule(req, self.now().date())
    }

    async fn cancel_pickup(&self, booked: &PickupRef) -> Result<(), CarrierError> {
        pickup::cancel(booked, self.now().date())
    }

    async fn manifest(&self, req: &ManifestRequest) -> Result<Manifest, CarrierError> {
        pickup::manifest(req)
    }
}

/// Numbers are issued here and carry everything; the shipment id is derived from the master.
static WAYBILLS: offline::Waybills = offline::Waybills {
    carrier: CODE,
    noun: "sandbox",
    shipment_prefix: "sbx_",
    issued: |n| number::decode(n).is_some(),
};

/// The failure tokens in the receiver's name or company.
fn check_receiver(to: &Address) -> Result<(), CarrierError> {
    check_receiver_at(to, "/to")
}

/// The failure tokens in the name or company of the address at `at`.
fn check_receiver_at(to: &Address, at: &str) -> Result<(), CarrierError> {
    check_tokens(&to.name, &format!("{at}/name"))?;
    match &to.company {
        Some(company) => check_tokens(company, &format!("{at}/company")),
        None => Ok(()),
    }
}

/// `CARRIER_DOWN` simulates an outage before anything was processed; `REJECT` a refusal of
/// the field the token was found in.
fn check_tokens(text: &str, field: &str) -> Result<(), CarrierError> {
    if text.contains("CARRIER_DOWN") {
        return Err(CarrierError::Transient {
            carrier: ENTRY.code.clone(),
            message: "simulated outage (CARRIER_DOWN)".to_string(),
            maybe_processed: false,
        });
    }
    if text.contains("REJECT") {
        return Err(rejected(field, "REJECTED", "simulated rejection (REJECT)"));
    }
    Ok(())
}

fn rejected(field: &str, code: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(ENTRY.code.clone(), field, Some(code), message)
}
