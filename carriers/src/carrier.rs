//! The `Carrier` trait and the capabilities each carrier declares as data.
#![warn(missing_docs)]

use std::{borrow::Cow, fmt, time::Duration};

use async_trait::async_trait;
use serde::Serialize;

use crate::error::CarrierError;
use crate::model::{
    Address, AddressCheck, BilledWaybill, LabelFormat, Manifest, ManifestRequest, NetworkGuess,
    PickupConfirmation, PickupRef, PickupRequest, Quote, RateRequest, ServiceClass, ShipRequest,
    ShipmentOption, TrackQuery, TrackingNumber, TrackingResult, Waybill, WaybillRef, Weight,
    WeightUnit,
};
use crate::registry::CarrierEntry;
use rust_decimal::Decimal;

/// A carrier's code (`ups`, `sandbox`): lower-case ASCII letters, digits and `_`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CarrierCode(Cow<'static, str>);

impl CarrierCode {
    /// A code known at compile time (registry entries).
    pub const fn from_static(code: &'static str) -> Self {
        CarrierCode(Cow::Borrowed(code))
    }
    /// A code from input; `None` when it is not of the allowed shape.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        ok.then(|| CarrierCode(Cow::Owned(s.to_string())))
    }
    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl fmt::Display for CarrierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl fmt::Debug for CarrierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CarrierCode({})", self.0)
    }
}

/// An operation a carrier may support. The same verbs as the trait's methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Price a shipment.
    Rate,
    /// Buy a waybill and label.
    Ship,
    /// Cancel an unused waybill.
    Void,
    /// Poll tracking status.
    Track,
    /// The carrier pushes tracking updates to us.
    PushTracking,
    /// Book a courier pickup, and cancel it.
    Pickup,
    /// Check and standardize an address, with its residential/commercial classification.
    AddressValidation,
    /// Buy return labels (`ShipRequest::is_return`).
    Return,
    /// Close a ship date with a manifest (the USPS SCAN form).
    Manifest,
    /// Name the network a number belongs to (an aggregator's number detection, such as
    /// Kuaidi100's auto-number service): the hub asks when its own detection has no answer.
    Identify,
    /// Report what the carrier billed per waybill (SF Express `EXP_RECE_QUERY_SFWAYBILL`),
    /// for reconciliation without an invoice file.
    BilledFreight,
}

impl Capability {
    /// What a parcel carrier with a full API offers: rate, buy, void, track.
    pub const PARCEL: &'static [Capability] = &[
        Capability::Rate,
        Capability::Ship,
        Capability::Void,
        Capability::Track,
    ];
}

/// One service a carrier sells.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ServiceInfo {
    /// The carrier's own code.
    pub code: &'static str,
    /// Human name.
    pub name: &'static str,
    /// Normalized class.
    pub class: ServiceClass,
}

/// How a carrier took a cancellation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoidOutcome {
    /// The waybill is void and will not be charged.
    Voided,
    /// The carrier accepted a request it still reviews (e.g. a refund for a manifested
    /// label): the label must not be used, but the charge stands until the carrier decides.
    Requested {
        /// What the carrier said (its dispute or request id, …).
        detail: String,
    },
}

/// What a carrier can do, declared as data and checked by the conformance test.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Capabilities {
    /// Supported operations.
    pub supports: &'static [Capability],
    /// Most tracking numbers one `track` call accepts.
    pub track_batch_max: usize,
    /// Label formats the carrier itself produces (empty: the hub renders labels).
    pub label_formats: &'static [LabelFormat],
    /// Services sold.
    pub services: &'static [ServiceInfo],
    /// The weight of one parcel the carrier accepts; the hub refuses a parcel outside it
    /// before calling the carrier.
    pub parcel_weight: WeightRange,
    /// The shipment options the carrier can carry (on some services: the adapter refuses a
    /// service that lacks one with a field error); the hub refuses any other on its field
    /// before calling the carrier.
    pub options: &'static [ShipmentOption],
}

/// The weights one parcel may have with a carrier, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WeightRange {
    /// Lightest parcel, in `unit`.
    #[schema(value_type = String, example = "0.1")]
    pub min: Decimal,
    /// Heaviest parcel, in `unit`.
    #[schema(value_type = String, example = "150")]
    pub max: Decimal,
    /// The unit of `min` and `max` (the carrier's own).
    pub unit: WeightUnit,
}

impl WeightRange {
    /// `min` to `max` `unit`s.
    pub const fn new(min: Decimal, max: Decimal, unit: WeightUnit) -> Self {
        Self { min, max, unit }
    }

    /// Whether `w` is within the range. Compared in grams, where every unit conversion is
    /// exact, so a parcel of exactly the limit in another unit is never refused by rounding.
    pub fn contains(&self, w: Weight) -> bool {
        let g = w.to(WeightUnit::G).value();
        self.grams(self.min) <= g && g <= self.grams(self.max)
    }

    /// Whether `w` is lighter than `min`.
    pub fn is_below(&self, w: Weight) -> bool {
        w.to(WeightUnit::G).value() < self.grams(self.min)
    }

    fn grams(&self, v: Decimal) -> Decimal {
        Weight::new(v, self.unit)
            .map(|b| b.to(WeightUnit::G).value())
            .unwrap_or(Decimal::ZERO)
    }

    /// Why `w` is refused, naming the range with its unit; `None` when it is accepted.
    pub fn refusal(&self, carrier: &str, w: Weight) -> Option<String> {
        if self.contains(w) {
            return None;
        }
        let unit = |u: WeightUnit| match u {
            WeightUnit::Kg => "kg",
            WeightUnit::G => "g",
            WeightUnit::Lb => "lb",
            WeightUnit::Oz => "oz",
        };
        let mut detail = format!(
            "{carrier} accepts a parcel of {} {u} to {} {u}; this one weighs {} {}",
            self.min,
            self.max,
            w.value(),
            unit(w.unit()),
            u = unit(self.unit),
        );
        if w.unit() != self.unit {
            let there = w.to(self.unit).value().round_dp(4).normalize();
            detail.push_str(&format!(" ({there} {})", unit(self.unit)));
        }
        Some(detail)
    }
}

impl Capabilities {
    /// Whether `cap` is declared.
    pub fn supports(&self, cap: Capability) -> bool {
        self.supports.contains(&cap)
    }
    /// The service with this code.
    pub fn service(&self, code: &str) -> Option<&ServiceInfo> {
        self.services.iter().find(|s| s.code == code)
    }
}

/// A carrier's documented request quotas, used by the hub's governor per carrier account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CarrierLimits {
    /// Sustained requests per second.
    pub requests_per_second: u32,
    /// Requests allowed in a burst above the sustained rate.
    pub burst: u32,
    /// How long a single call may take before the hub gives up on it.
    #[serde(serialize_with = "ser_millis")]
    pub timeout: Duration,
}

/// A sustained request quota over any period, for carriers whose quota is below one request
/// per second (USPS: about 60 an hour), which `CarrierLimits` cannot express. The hub's
/// governor replenishes one request every `per / requests` and allows `burst` at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RequestQuota {
    /// Requests per `per`.
    pub requests: u32,
    /// The period `requests` are counted over.
    #[serde(serialize_with = "ser_millis")]
    pub per: Duration,
    /// Requests allowed at once.
    pub burst: u32,
}

impl RequestQuota {
    /// `requests` per second.
    pub const fn per_second(requests: u32, burst: u32) -> Self {
        Self {
            requests,
            per: Duration::from_secs(1),
            burst,
        }
    }
    /// `requests` per hour.
    pub const fn per_hour(requests: u32, burst: u32) -> Self {
        Self {
            requests,
            per: Duration::from_secs(3600),
            burst,
        }
    }
    /// How long one request takes to be replenished (at least a nanosecond; a zero count
    /// is read as one).
    pub fn replenish_interval(&self) -> Duration {
        (self.per / self.requests.max(1)).max(Duration::from_nanos(1))
    }
}

impl From<CarrierLimits> for RequestQuota {
    fn from(l: CarrierLimits) -> Self {
        RequestQuota::per_second(l.requests_per_second, l.burst)
    }
}

fn ser_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// `Unsupported` for a return label, for adapters that buy outbound labels only: without it a
/// return asked of them would be sold as an outbound label.
pub fn no_returns(carrier: CarrierCode, req: &ShipRequest) -> Result<(), CarrierError> {
    if req.is_return {
        return Err(CarrierError::unsupported(carrier, Capability::Return));
    }
    Ok(())
}

/// A carrier adapter: translates our vocabulary to the carrier's wire format and back.
/// Adapters never sleep, retry, cache answers or rate-limit: the hub's call layer does that.
/// An operation a carrier does not offer answers `Unsupported`, never an empty success.
#[async_trait]
pub trait Carrier: Send + Sync {
    /// The registry entry the adapter was built from, which `code()` and `capabilities()`
    /// read, so a carrier declares them once (in its `ENTRY`). An adapter outside any
    /// registry (a test double, a wrapper) answers `code()` and `capabilities()` itself and
    /// never reaches this default.
    fn entry(&self) -> &'static CarrierEntry {
        unreachable!("an adapter outside the registry answers code() and capabilities() itself")
    }
    /// The carrier's code.
    fn code(&self) -> CarrierCode {
        self.entry().code.clone()
    }
    /// What it can do.
    fn capabilities(&self) -> &'static Capabilities {
        self.entry().capabilities
    }
    /// Its quotas.
    fn limits(&self) -> CarrierLimits;
    /// Requests allowed per day on top of `quota()` (FedEx meters tracking by a daily
    /// quota as well as a rate); `None` when the carrier has no daily cap. The scheduler
    /// spends it evenly across the day and across live instances.
    fn daily_quota(&self) -> Option<u32> {
        None
    }
    /// The quota the hub's governor enforces: `limits()` per second unless the carrier's
    /// quota is counted over a longer period.
    fn quota(&self) -> RequestQuota {
        self.limits().into()
    }
    /// Quotes for every service that can carry the shipment.
    async fn rate(&self, _req: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        Err(CarrierError::unsupported(self.code(), Capability::Rate))
    }
    /// Buys a waybill (and label, where the carrier makes one).
    async fn ship(&self, _req: &ShipRequest) -> Result<Waybill, CarrierError> {
        Err(CarrierError::unsupported(self.code(), Capability::Ship))
    }
    /// The carrier's verdict on an address.
    async fn verify_address(&self, _address: &Address) -> Result<AddressCheck, CarrierError> {
        Err(CarrierError::unsupported(
            self.code(),
            Capability::AddressValidation,
        ))
    }
    /// Books a courier pickup.
    async fn schedule_pickup(
        &self,
        _req: &PickupRequest,
    ) -> Result<PickupConfirmation, CarrierError> {
        Err(CarrierError::unsupported(self.code(), Capability::Pickup))
    }
    /// Cancels a booked pickup.
    async fn cancel_pickup(&self, _pickup: &PickupRef) -> Result<(), CarrierError> {
        Err(CarrierError::unsupported(self.code(), Capability::Pickup))
    }
    /// Closes a ship date: the carrier's manifest of the shipments handed over.
    async fn manifest(&self, _req: &ManifestRequest) -> Result<Manifest, CarrierError> {
        Err(CarrierError::unsupported(self.code(), Capability::Manifest))
    }
    /// Cancels an unused waybill.
    async fn void(&self, _waybill: &WaybillRef) -> Result<(), CarrierError> {
        Err(CarrierError::unsupported(self.code(), Capability::Void))
    }
    /// Cancels an unused waybill and says how far the carrier went: voided outright, or a
    /// request it still reviews (a refund). Carriers whose cancel is always final need not
    /// override this.
    async fn void_outcome(&self, waybill: &WaybillRef) -> Result<VoidOutcome, CarrierError> {
        self.void(waybill).await.map(|()| VoidOutcome::Voided)
    }
    /// Tracking for up to `track_batch_max` numbers.
    async fn track(
        &self,
        _numbers: &[TrackingNumber],
    ) -> Result<Vec<TrackingResult>, CarrierError> {
        Err(CarrierError::unsupported(self.code(), Capability::Track))
    }
    /// Tracking for up to `track_batch_max` parcels with what the hub knows of each (the
    /// ship date of a label bought here), one result per parcel in the order asked. A
    /// carrier that can use the hints (FedEx answers several shipments for a reused number)
    /// overrides this; the others track the numbers alone.
    async fn track_parcels(
        &self,
        parcels: &[TrackQuery],
    ) -> Result<Vec<TrackingResult>, CarrierError> {
        let numbers: Vec<TrackingNumber> = parcels.iter().map(|p| p.number.clone()).collect();
        self.track(&numbers).await
    }
    /// Asks the carrier to push this parcel's scans to the account's push URL from now on
    /// (Kuaidi100's `poll` subscription). Carriers that push every parcel of an account
    /// unasked (UPS Track Alert is set up once, outside the API) answer `Unsupported`.
    async fn subscribe(&self, _parcel: &TrackQuery) -> Result<(), CarrierError> {
        Err(CarrierError::unsupported(
            self.code(),
            Capability::PushTracking,
        ))
    }
    /// The networks a number may belong to, likeliest first (an aggregator's detection);
    /// empty when the carrier does not know it.
    async fn identify(&self, _number: &TrackingNumber) -> Result<Vec<NetworkGuess>, CarrierError> {
        Err(CarrierError::unsupported(self.code(), Capability::Identify))
    }
    /// What the carrier billed for each waybill it has billed (a waybill not billed yet is
    /// left out of the answer).
    async fn billed_freight(
        &self,
        _numbers: &[TrackingNumber],
    ) -> Result<Vec<BilledWaybill>, CarrierError> {
        Err(CarrierError::unsupported(
            self.code(),
            Capability::BilledFreight,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn w(value: Decimal, unit: WeightUnit) -> Weight {
        Weight::new(value, unit).unwrap()
    }

    #[test]
    fn weight_range_includes_its_ends_in_any_unit_and_refuses_outside() {
        let ups = WeightRange::new(dec!(0.1), dec!(150), WeightUnit::Lb);
        assert!(ups.contains(w(dec!(150), WeightUnit::Lb)));
        // 150 lb is exactly 68.0388555 kg and 2400 oz: no rounding refuses the limit.
        assert!(ups.contains(w(dec!(68.0388555), WeightUnit::Kg)));
        assert!(ups.contains(w(dec!(2400), WeightUnit::Oz)));
        assert!(!ups.contains(w(dec!(68.0388556), WeightUnit::Kg)));
        assert!(!ups.contains(w(dec!(150.0001), WeightUnit::Lb)));
        assert!(ups.contains(w(dec!(0.1), WeightUnit::Lb)));
        assert!(
            !ups.contains(w(dec!(45), WeightUnit::G)),
            "45 g is under 0.1 lb (45.359237 g)"
        );
        assert!(ups.is_below(w(dec!(45), WeightUnit::G)));
        assert!(!ups.is_below(w(dec!(200), WeightUnit::Lb)));
        assert_eq!(ups.refusal("ups", w(dec!(1), WeightUnit::Lb)), None);
        assert_eq!(
            ups.refusal("ups", w(dec!(200), WeightUnit::Lb)).unwrap(),
            "ups accepts a parcel of 0.1 lb to 150 lb; this one weighs 200 lb"
        );
        assert_eq!(
            ups.refusal("ups", w(dec!(70), WeightUnit::Kg)).unwrap(),
            "ups accepts a parcel of 0.1 lb to 150 lb; this one weighs 70 kg (154.3236 lb)"
        );
    }
}
