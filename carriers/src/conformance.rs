//! Conformance: every entry in `CARRIERS` is run through its declared capabilities, so a
//! declaration is a checked promise. A declared capability must work on the carrier's sample
//! requests (never `Unsupported`); an undeclared one must answer `Unsupported` and nothing
//! else. Owns only these cross-carrier checks: per-carrier behaviour is tested in the
//! carrier's folder.
//!
//! Each carrier provides a [`Harness`] in [`harness`]. A registered carrier without one fails
//! the test: adding a carrier without conformance coverage is caught here, not in production.
//! Carriers that speak HTTP start their simulator (a wiremock server answering with their
//! fixtures) in their harness and point the account's base URL at it.

use std::collections::HashSet;

use serde_json::json;

use crate::carrier::{Capabilities, Capability, Carrier};
use crate::error::CarrierError;
use crate::http::CarrierHttp;
use crate::model::{Money, RateRequest, ShipRequest, TrackingNumber, Waybill, WaybillRef};
use crate::registry::CarrierEntry;

/// What a carrier supplies to be checked.
pub(crate) struct Harness {
    /// The account config JSON `CarrierEntry::build` receives.
    pub(crate) account: serde_json::Value,
    /// HTTP access; for HTTP carriers, a client whose base URL is the simulator.
    pub(crate) http: CarrierHttp,
    /// A request the carrier can quote.
    pub(crate) rate: RateRequest,
    /// A request the carrier can ship, with a declared service code.
    pub(crate) ship: ShipRequest,
    /// Numbers to track when the carrier tracks but does not ship (otherwise the shipped
    /// waybill's numbers are tracked).
    pub(crate) track: Vec<TrackingNumber>,
    /// Keeps a simulator running until the checks are done.
    pub(crate) _simulator: Option<wiremock::MockServer>,
}

/// The harness for each registered carrier, by code.
async fn harness(code: &str) -> Option<Harness> {
    use crate::sandbox::fixtures;
    match code {
        "sandbox" => Some(Harness {
            account: json!({}),
            http: CarrierHttp::offline(),
            rate: fixtures::rate_request(),
            ship: fixtures::ship_request("standard", "CONFORMANCE-1"),
            track: Vec::new(),
            _simulator: None,
        }),
        "ups" => Some(crate::ups::tests::conformance_harness().await),
        "fedex" => Some(crate::fedex::tests::conformance_harness().await),
        "dhl_express" => Some(crate::dhl_express::tests::conformance_harness().await),
        "usps" => Some(crate::usps::tests::conformance_harness().await),
        "kuaidi100" => Some(crate::kuaidi100::tests::conformance_harness().await),
        "yunexpress" => Some(crate::yunexpress::tests::conformance_harness().await),
        "sf_express" => Some(crate::sf_express::tests::conformance_harness().await),
        _ => None,
    }
}

#[tokio::test]
async fn every_registered_carrier_does_what_it_declares() {
    let mut failures = Vec::new();
    for entry in crate::CARRIERS {
        let Some(h) = harness(entry.code.as_str()).await else {
            failures.push(format!(
                "{}: no conformance harness (add one to conformance::harness)",
                entry.code
            ));
            continue;
        };
        failures.extend(check(entry, h).await);
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Every conformance failure of one carrier, each prefixed with its code.
async fn check(entry: &CarrierEntry, h: Harness) -> Vec<String> {
    let mut fail = Vec::new();
    check_declaration(entry.capabilities, &mut fail);
    match (entry.build)(h.account.clone(), h.http.clone()) {
        Ok(carrier) => check_adapter(entry, &*carrier, &h, &mut fail).await,
        Err(e) => fail.push(format!("build from the sample account failed: {e}")),
    }
    fail.into_iter()
        .map(|f| format!("{}: {f}", entry.code))
        .collect()
}

/// Checks on the declaration alone.
fn check_declaration(caps: &Capabilities, fail: &mut Vec<String>) {
    let mut codes = HashSet::new();
    for s in caps.services {
        if !codes.insert(s.code) {
            fail.push(format!("service code `{}` declared twice", s.code));
        }
    }
    let tracks = caps.supports(Capability::Track);
    if (caps.track_batch_max > 0) != tracks {
        fail.push(format!(
            "track_batch_max is {} while Track declared is {tracks}",
            caps.track_batch_max
        ));
    }
    let w = caps.parcel_weight;
    if !(w.min > rust_decimal::Decimal::ZERO && w.min < w.max) {
        fail.push(format!(
            "parcel_weight {} to {} {:?} is not a range of positive weights",
            w.min, w.max, w.unit
        ));
    }
}

async fn check_adapter(
    entry: &CarrierEntry,
    carrier: &dyn Carrier,
    h: &Harness,
    fail: &mut Vec<String>,
) {
    let (caps, ship_req) = (entry.capabilities, &h.ship);
    if carrier.code() != entry.code {
        fail.push(format!("adapter says its code is {}", carrier.code()));
    }
    if carrier.capabilities() != caps {
        fail.push("adapter capabilities differ from the entry's".into());
    }

    if let Some(quotes) = outcome(caps, Capability::Rate, carrier.rate(&h.rate).await, fail) {
        if quotes.is_empty() {
            fail.push("rate: no quotes for the sample request".into());
        }
        for q in &quotes {
            let code = &q.service.code;
            if !sums_up(q.total, &q.breakdown) {
                fail.push(format!(
                    "rate: {code} total {} is not the sum of its breakdown",
                    q.total
                ));
            }
            match caps.service(code) {
                None => fail.push(format!("rate: quoted service `{code}` is not declared")),
                Some(s) if s.class != q.service.class => fail.push(format!(
                    "rate: `{code}` quoted as {:?}, declared {:?}",
                    q.service.class, s.class
                )),
                Some(_) => {}
            }
            if q.service.carrier != entry.code.as_str() {
                fail.push(format!(
                    "rate: `{code}` quoted for carrier `{}`",
                    q.service.carrier
                ));
            }
        }
    }

    if caps.supports(Capability::Ship) && caps.service(&ship_req.service).is_none() {
        fail.push(format!(
            "harness ships undeclared service `{}`",
            ship_req.service
        ));
    }
    let waybill = outcome(caps, Capability::Ship, carrier.ship(ship_req).await, fail);
    if let Some(wb) = &waybill {
        check_waybill(wb, ship_req, caps, fail);
    }

    let numbers = match &waybill {
        Some(wb) => wb.pieces.clone(),
        None if caps.supports(Capability::Track) => h.track.clone(),
        None => vec!["CONFORMANCE1".parse().expect("valid number")],
    };
    if caps.supports(Capability::Track) && numbers.is_empty() {
        fail.push("track: declared, but nothing to track (ship or harness.track)".into());
    }
    if let Some(results) = outcome(caps, Capability::Track, carrier.track(&numbers).await, fail) {
        let asked: Vec<_> = results.iter().map(|r| &r.tracking_number).collect();
        if asked != numbers.iter().collect::<Vec<_>>() {
            fail.push(format!("track: asked {numbers:?}, answered {asked:?}"));
        }
        for r in &results {
            if !r.events.is_sorted_by_key(|e| e.occurred_at) {
                fail.push(format!(
                    "track: {} events are not oldest first",
                    r.tracking_number
                ));
            }
        }
    }
    if caps.supports(Capability::Track) && !numbers.is_empty() {
        // The hub splits batches by track_batch_max; a larger one must be refused, not
        // half-answered.
        let too_many = vec![numbers[0].clone(); caps.track_batch_max + 1];
        if !matches!(
            carrier.track(&too_many).await,
            Err(CarrierError::Rejected { .. })
        ) {
            fail.push("track: a batch above track_batch_max was not rejected".into());
        }
    }

    check_new_verbs(caps, carrier, h, waybill.as_ref(), fail).await;

    let waybill_ref = match &waybill {
        Some(wb) => WaybillRef {
            tracking_number: wb.tracking_number.clone(),
            carrier_shipment_id: wb.carrier_shipment_id.clone(),
            pieces: wb.pieces.clone(),
        },
        None if caps.supports(Capability::Void) => {
            fail.push("void: declared, but ship gave no waybill to void".into());
            return;
        }
        None => WaybillRef {
            tracking_number: numbers[0].clone(),
            carrier_shipment_id: "CONFORMANCE".into(),
            pieces: Vec::new(),
        },
    };
    outcome(
        caps,
        Capability::Void,
        carrier.void(&waybill_ref).await,
        fail,
    );
}

/// Address validation, returns, pickups and manifests, on requests built from the harness's
/// rate request (its destination verified, its origin picked up from and closed).
async fn check_new_verbs(
    caps: &Capabilities,
    carrier: &dyn Carrier,
    h: &Harness,
    waybill: Option<&Waybill>,
    fail: &mut Vec<String>,
) {
    use crate::model::{AddressVerdict, ManifestRequest, PickupRef, PickupRequest, Weight};

    let to = &h.rate.to;
    if let Some(check) = outcome(
        caps,
        Capability::AddressValidation,
        carrier.verify_address(to).await,
        fail,
    ) && matches!(
        check.verdict,
        AddressVerdict::Deliverable | AddressVerdict::DeliverableWithCorrections
    ) && check.address.is_none()
    {
        fail.push(format!(
            "verify_address: {:?} without a standardized address",
            check.verdict
        ));
    }

    if caps.supports(Capability::Ship) {
        let mut ret = h.ship.clone();
        ret.is_return = true;
        std::mem::swap(&mut ret.shipment.from, &mut ret.shipment.to);
        if let Some(wb) = outcome(caps, Capability::Return, carrier.ship(&ret).await, fail) {
            check_waybill(&wb, &ret, caps, fail);
        }
    }

    let date = time::OffsetDateTime::now_utc()
        .date()
        .next_day()
        .expect("a tomorrow");
    let parcel_weight = h.rate.parcels[0].weight;
    let pickup = PickupRequest {
        address: h.rate.from.clone(),
        date,
        ready_time: time::macros::time!(09:00),
        close_time: time::macros::time!(17:00),
        parcel_count: h.rate.parcels.len() as u32,
        total_weight: Weight::sum(
            parcel_weight.unit(),
            h.rate.parcels.iter().map(|p| p.weight),
        ),
        shipments: Vec::new(),
        instructions: None,
    };
    if let Some(c) = outcome(
        caps,
        Capability::Pickup,
        carrier.schedule_pickup(&pickup).await,
        fail,
    ) {
        if c.confirmation.trim().is_empty() {
            fail.push("schedule_pickup: an empty confirmation number".into());
        }
        let booked = PickupRef {
            confirmation: c.confirmation,
            location: c.location,
            date,
            address: pickup.address.clone(),
        };
        outcome(
            caps,
            Capability::Pickup,
            carrier.cancel_pickup(&booked).await,
            fail,
        );
    }

    let shipments = waybill
        .map(|wb| WaybillRef {
            tracking_number: wb.tracking_number.clone(),
            carrier_shipment_id: wb.carrier_shipment_id.clone(),
            pieces: wb.pieces.clone(),
        })
        .into_iter()
        .collect::<Vec<_>>();
    if caps.supports(Capability::Manifest) && shipments.is_empty() {
        fail.push("manifest: declared, but ship gave no waybill to close".into());
        return;
    }
    let close = ManifestRequest {
        ship_date: time::OffsetDateTime::now_utc().date(),
        from: h.ship.shipment.from.clone(),
        shipments,
    };
    if let Some(m) = outcome(
        caps,
        Capability::Manifest,
        carrier.manifest(&close).await,
        fail,
    ) && m.carrier_manifest_id.trim().is_empty()
    {
        fail.push("manifest: an empty manifest id".into());
    }
}

fn check_waybill(wb: &Waybill, req: &ShipRequest, caps: &Capabilities, fail: &mut Vec<String>) {
    if wb.pieces.first() != Some(&wb.tracking_number) {
        fail.push("ship: the master number is not the first piece".into());
    }
    if wb.pieces.len() != req.shipment.parcels.len() {
        fail.push(format!(
            "ship: {} pieces for {} parcels",
            wb.pieces.len(),
            req.shipment.parcels.len()
        ));
    }
    if let Some(total) = wb.total
        && !wb.breakdown.is_empty()
        && !sums_up(total, &wb.breakdown)
    {
        fail.push(format!(
            "ship: total {total} is not the sum of its breakdown"
        ));
    }
    if let Some(label) = &wb.label
        && !caps.label_formats.contains(&label.format)
    {
        fail.push(format!(
            "ship: label in undeclared format {:?}",
            label.format
        ));
    }
}

fn sums_up(total: Money, breakdown: &[crate::model::Charge]) -> bool {
    Money::sum(total.currency(), breakdown.iter().map(|c| &c.amount)) == Ok(total)
}

/// The value of a declared capability's call, recording a failure when it did not work; for
/// an undeclared one, records a failure unless it answered `Unsupported` for that capability.
fn outcome<T>(
    caps: &Capabilities,
    cap: Capability,
    result: Result<T, CarrierError>,
    fail: &mut Vec<String>,
) -> Option<T> {
    match (caps.supports(cap), result) {
        (true, Ok(v)) => Some(v),
        (true, Err(e)) => {
            fail.push(format!(
                "{cap:?} is declared but answered {}: {e}",
                e.kind()
            ));
            None
        }
        (false, Err(CarrierError::Unsupported { capability, .. })) if capability == cap => None,
        (false, Err(e)) => {
            fail.push(format!(
                "{cap:?} is not declared but answered {}: {e}",
                e.kind()
            ));
            None
        }
        (false, Ok(_)) => {
            fail.push(format!("{cap:?} is not declared but succeeded"));
            None
        }
    }
}

/// The checker itself catches a carrier whose declaration and behaviour disagree.
mod liar {
    use std::time::Duration;

    use async_trait::async_trait;

    use super::*;
    use crate::carrier::{CarrierCode, CarrierLimits};
    use crate::model::WaybillRef;

    /// Declares Rate (not implemented) and a track batch without Track; implements Void
    /// without declaring it.
    static CAPS: Capabilities = Capabilities {
        supports: &[Capability::Rate],
        track_batch_max: 10,
        label_formats: &[],
        services: &[],
        parcel_weight: crate::carrier::WeightRange::new(
            rust_decimal::Decimal::ONE,
            rust_decimal::Decimal::TEN,
            crate::model::WeightUnit::Kg,
        ),
        options: &[],
    };
    static ENTRY: CarrierEntry = CarrierEntry {
        code: CarrierCode::from_static("liar"),
        name: "Liar",
        capabilities: &CAPS,
        needs_base_url: false,
        hosts: &[],
        url_settings: &[],
        build: |_, _| Ok(Box::new(Liar)),
        numbers: &[],
        push: None,
    };

    struct Liar;

    #[async_trait]
    impl Carrier for Liar {
        fn code(&self) -> CarrierCode {
            ENTRY.code.clone()
        }
        fn capabilities(&self) -> &'static Capabilities {
            &CAPS
        }
        fn limits(&self) -> CarrierLimits {
            CarrierLimits {
                requests_per_second: 1,
                burst: 1,
                timeout: Duration::from_secs(1),
            }
        }
        async fn void(&self, _: &WaybillRef) -> Result<(), CarrierError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn conformance_catches_declarations_that_lie() {
        let h = harness("sandbox").await.expect("sandbox harness");
        let failures = check(&ENTRY, h).await.join("\n");
        for expected in [
            "liar: track_batch_max is 10 while Track declared is false",
            "liar: Rate is declared but answered unsupported",
            "liar: Void is not declared but succeeded",
        ] {
            assert!(
                failures.contains(expected),
                "missing `{expected}` in:\n{failures}"
            );
        }
        assert_eq!(failures.lines().count(), 3, "{failures}");
    }
}
