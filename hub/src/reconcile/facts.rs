//! What the audit reads of a shipment: the facts kept at purchase (or, for older shipments,
//! its request and waybill) and what the audit expects of it.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{Charge, CountryCode, Currency, Parcel, RateRequest};
use shiphub_rating::LaneEnd;
use shiphub_rating::invoice::{ExpectedCharge, ExpectedShipment};
use time::{Date, Time};

use super::ReconcileError;
use crate::store::{ShipmentFacts, StoreError};

/// A stored shipment as the audit reads it.
pub type Facts = ShipmentFacts<FactsDoc>;

/// What the audit reads of a shipment, kept with it at purchase (`audit_facts`): what was
/// bought, the lane, the parcels and the charges as the carrier itemised them.
#[derive(Clone, Debug, Serialize)]
pub struct AuditFacts<'a> {
    pub shipment_id: &'a str,
    pub carrier: &'a str,
    pub service_code: &'a str,
    pub tracking_number: &'a str,
    pub reference: Option<&'a str>,
    pub total_amount: String,
    pub total_currency: &'a str,
    pub from: End,
    pub to: End,
    pub parcels: &'a [Parcel],
    pub breakdown: &'a [Charge],
}

/// The audit facts of a purchase, as stored.
pub fn audit_facts_json(
    s: &crate::store::ShipmentRecord,
    request: &RateRequest,
    breakdown: &[Charge],
) -> String {
    let end = |a: &shiphub_carriers::model::Address| End {
        country: a.country,
        postal_code: a.postal_code.clone(),
        residential: a.residential,
    };
    serde_json::to_string(&AuditFacts {
        shipment_id: s.id.as_str(),
        carrier: s.carrier.as_str(),
        service_code: &s.service_code,
        tracking_number: s.tracking_number.as_str(),
        reference: s.reference.as_deref(),
        total_amount: s.total.amount().to_string(),
        total_currency: s.total.currency().code(),
        from: end(&request.from),
        to: end(&request.to),
        parcels: &request.parcels,
        breakdown,
    })
    .expect("audit facts serialize")
}

/// `audit_facts` as read back, or for a shipment bought before they were kept, the same
/// fields with its request and waybill. (Plain optional fields, not `#[serde(flatten)]`:
/// flattening buffers every value first.)
#[derive(Clone, Debug, Deserialize)]
pub struct FactsDoc {
    pub shipment_id: String,
    pub carrier: String,
    pub service_code: String,
    pub tracking_number: String,
    pub reference: Option<String>,
    pub total_amount: String,
    pub total_currency: String,
    from: Option<End>,
    to: Option<End>,
    parcels: Option<Vec<Parcel>>,
    breakdown: Option<Vec<Charge>>,
    request: Option<RequestFacts>,
    waybill: Option<WaybillFacts>,
}

/// Lane, parcels and charges, from either form.
struct Bought {
    from: End,
    to: End,
    parcels: Vec<Parcel>,
    breakdown: Vec<Charge>,
}

impl FactsDoc {
    fn bought(&mut self) -> Option<Bought> {
        if let (Some(from), Some(to), Some(parcels)) =
            (self.from.take(), self.to.take(), self.parcels.take())
        {
            return Some(Bought {
                from,
                to,
                parcels,
                breakdown: self.breakdown.take().unwrap_or_default(),
            });
        }
        let (r, w) = (self.request.take()?, self.waybill.take()?);
        Some(Bought {
            from: r.from,
            to: r.to,
            parcels: r.parcels,
            breakdown: w.breakdown,
        })
    }
}

/// The parts of a stored ship request the audit reads.
#[derive(Clone, Debug, Deserialize)]
pub struct RequestFacts {
    from: End,
    to: End,
    parcels: Vec<Parcel>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct End {
    country: CountryCode,
    #[serde(default)]
    postal_code: Option<String>,
    #[serde(default)]
    residential: bool,
}

#[derive(Clone, Debug, Deserialize)]
pub struct WaybillFacts {
    #[serde(default)]
    breakdown: Vec<Charge>,
}

/// What the audit expects of a stored shipment. A multi-parcel shipment's quote covers all
/// its pieces while a package line bills one: its quote is left out (weight and surcharge
/// rules still apply to the first parcel, which carries the master tracking number).
pub fn expected(f: Facts) -> Result<ExpectedShipment, ReconcileError> {
    let mut doc = f.shipment;
    let bought = doc.bought();
    let corrupt = |what: &str, e: &dyn std::fmt::Display| {
        ReconcileError::Store(StoreError::Corrupt(format!(
            "shipment {} {what}: {e}",
            doc.shipment_id
        )))
    };
    let facts = bought.ok_or_else(|| corrupt("audit facts", &"neither kept nor derivable"))?;
    let (req, wb) = (&facts, &facts);
    let single = req.parcels.len() == 1;
    let first = req.parcels.first();
    let total = Decimal::from_str(&doc.total_amount).map_err(|e| corrupt("total", &e))?;
    let currency = Currency::from_str(&doc.total_currency).ok();
    let promised_by = f
        .promised_date
        .as_deref()
        .and_then(|d| Date::parse(d, &time::format_description::well_known::Iso8601::DATE).ok())
        .map(|d| d.with_time(Time::MAX).assume_utc());
    Ok(ExpectedShipment {
        tracking_number: doc.tracking_number.clone(),
        reference: doc.reference.clone(),
        service: billing_service(&doc.carrier, &doc.service_code),
        zone: None,
        declared_weight: first.map(|p| p.weight),
        declared_dimensions: first.and_then(|p| p.dimensions),
        residential: Some(req.to.residential),
        address_validated: false,
        quoted_total: single.then_some(total),
        currency,
        quoted: if single {
            ExpectedCharge::from_charges(&wb.breakdown)
        } else {
            Vec::new()
        },
        voided_at: f.voided_at,
        delivered_at: f.delivered_at,
        promised_by,
        guaranteed: matches!(f.service_class.as_deref(), Some("overnight" | "express")),
        lane: Some((
            LaneEnd {
                country: req.from.country,
                postal_code: req.from.postal_code.clone(),
                residential: req.from.residential,
            },
            LaneEnd {
                country: req.to.country,
                postal_code: req.to.postal_code.clone(),
                residential: req.to.residential,
            },
        )),
        previously_billed: Vec::new(),
    })
}

/// The service code as the carrier's invoice writes it. UPS bills a service under a
/// three-digit Charge Description Code that is the API's two-digit service code zero-padded
/// (`03` Ground → `003`); DHL Express invoices carry the product code the API uses. FedEx
/// invoices name the service in words, so no code is compared for FedEx.
pub fn billing_service(carrier: &str, code: &str) -> Option<String> {
    match carrier {
        "ups" => Some(format!("{code:0>3}")),
        "fedex" => None,
        _ => Some(code.to_string()),
    }
}
