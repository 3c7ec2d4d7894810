//! The `table_rate` carrier: a carrier with no API (regional trucking, an own fleet, a
//! consolidator), priced from its rate card. Stateless and offline, like the sandbox.
//!
//! - **Rate** quotes every card service that serves the zone, priced by the card version in
//!   force on the ship date; each charge's description carries its explanation in words.
//! - **Ship** prices the chosen service the same way and issues one tracking number per
//!   parcel (layout and check digit in `number.rs`). No label document: `Waybill.label` is
//!   `None` and the hub renders one through `labels`, as for the sandbox.
//! - **Void** accepts any well-formed table-rate waybill: nothing was booked anywhere.
//! - **Track** is not offered: no system scans these parcels, so polling would only ever
//!   answer "label created". The hub already knows that; scans for such carriers need a
//!   hub-side way in (manual events or the fleet's push), not a poll.
//!
//! Services come from the account's card, so the static [`Capabilities`] declare none; the
//! card's own list is [`TableRate::services`].
//!
//! Account config: see [`account`] (`{"rate_card": "<TOML text>" | ["<v1>", "<v2>"]}`).

pub mod account;
mod number;

use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;
use shiphub_carriers::WeightRange;
use shiphub_carriers::model::WeightUnit;
use shiphub_carriers::model::{
    Quote, RateRequest, ShipRequest, ShipmentOption, TrackingNumber, Waybill, WaybillRef,
};
use shiphub_carriers::offline;
use shiphub_carriers::{
    AccountError, Capabilities, Capability, Carrier, CarrierCode, CarrierEntry, CarrierError,
    CarrierHttp, CarrierLimits,
};
use time::{Date, OffsetDateTime};

pub use account::resolve_card_names;

use crate::book::RateCards;
use crate::card::ServiceSummary;
use crate::card::When;
use crate::quote::{QuoteOptions, RateError};

const CODE: CarrierCode = CarrierCode::from_static("table_rate");

static CAPS: Capabilities = Capabilities {
    supports: &[Capability::Rate, Capability::Ship, Capability::Void],
    track_batch_max: 0,
    label_formats: &[],
    services: &[],
    // A rate card's brackets decide what it prices (a weight beyond its last bracket gets no
    // quote); the range only keeps out what no card is meant for: 1 g to 1000 kg.
    parcel_weight: WeightRange::new(
        Decimal::ONE,
        Decimal::from_parts(1_000_000, 0, 0, false, 0),
        WeightUnit::G,
    ),
    // What a card's `signature` and `saturday` accessorials price; a card (or one of its
    // services) without the accessorial refuses the option on its field.
    options: &[
        ShipmentOption::SignatureAdult,
        ShipmentOption::SignatureDirect,
        ShipmentOption::SignatureIndirect,
        ShipmentOption::SaturdayDelivery,
    ],
};

/// The registry entry; the hub adds it to the list it composes from `shiphub_carriers::CARRIERS`.
pub static ENTRY: CarrierEntry = CarrierEntry {
    code: CODE,
    name: "Table rate (rate card)",
    capabilities: &CAPS,
    needs_base_url: false,
    hosts: &[],
    url_settings: &[],
    build,
    numbers: number::NUMBERS,
    push: None,
};

fn build(config: serde_json::Value, _http: CarrierHttp) -> Result<Box<dyn Carrier>, AccountError> {
    let cards = account::cards(&config)?;
    Ok(Box::new(TableRate::new(
        cards,
        Arc::new(|| OffsetDateTime::now_utc().date()),
    )))
}

/// Today's date for requests without a ship date: the wall clock in production, fixed in tests.
pub type Clock = Arc<dyn Fn() -> Date + Send + Sync>;

/// The table-rate carrier for one account's card.
pub struct TableRate {
    cards: RateCards,
    clock: Clock,
}

impl TableRate {
    /// A carrier over `cards` (compiled once; the hub may cache them per card and build
    /// carriers without re-parsing), reading today's date from `clock`.
    pub fn new(cards: RateCards, clock: Clock) -> Self {
        Self { cards, clock }
    }

    /// The services of the card in force on `date`.
    pub fn services(&self, date: Date) -> Vec<ServiceSummary> {
        self.cards
            .for_date(date)
            .map(|c| c.services())
            .unwrap_or_default()
    }

    /// The cards it prices from.
    pub fn cards(&self) -> &RateCards {
        &self.cards
    }

    fn quotes(&self, req: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        let today = (self.clock)();
        let quotes = self
            .cards
            .quote(req, &quote_options(req), today)
            .map_err(rejected)?;
        let quotes: Vec<Quote> = quotes
            .iter()
            .filter(|q| self.unpriced(req, q.service, today).is_none())
            .map(|q| q.to_quote(ENTRY.code.as_str()))
            .collect();
        // Every service lacks an option asked for: say which, rather than quote nothing.
        if quotes.is_empty()
            && let Some(e) = self.unpriced_anywhere(req, today)
        {
            return Err(e);
        }
        Ok(quotes)
    }

    /// The first option asked for that `service` of the card in force has no accessorial
    /// for, as a rejection on the option's field: a card prices only what it lists, and an
    /// option bought without a price would be sold for nothing.
    fn unpriced(&self, req: &RateRequest, service: &str, today: Date) -> Option<CarrierError> {
        let card = self.cards.for_date(req.ship_date.unwrap_or(today))?;
        let s = card.services.iter().find(|s| &*s.code == service)?;
        let knows = |when: When| {
            s.accessorials
                .iter()
                .any(|i| card.accessorials[*i].when == when)
        };
        let asked = [
            (
                req.options.signature.is_some(),
                When::Signature,
                "/options/signature",
                "signature",
            ),
            (
                req.options.saturday_delivery,
                When::Saturday,
                "/options/saturday_delivery",
                "saturday",
            ),
        ];
        asked
            .into_iter()
            .find(|(on, when, _, _)| *on && !knows(*when))
            .map(|(_, _, field, name)| {
                CarrierError::rejected(
                    ENTRY.code.clone(),
                    field,
                    Some("OPTION_NOT_ON_CARD"),
                    format!(
                        "card {} has no `{name}` accessorial for service {service}",
                        card.name()
                    ),
                )
            })
    }

    /// `unpriced` for the first service of the card in force that lacks an option.
    fn unpriced_anywhere(&self, req: &RateRequest, today: Date) -> Option<CarrierError> {
        let card = self.cards.for_date(req.ship_date.unwrap_or(today))?;
        card.services
            .iter()
            .find_map(|s| self.unpriced(req, &s.code, today))
    }
}

/// The card's view of the options: any signature is its `signature` accessorial.
fn quote_options(req: &RateRequest) -> QuoteOptions {
    QuoteOptions {
        signature: req.options.signature.is_some(),
        saturday_delivery: req.options.saturday_delivery,
        currency: None,
    }
}

fn rejected(e: RateError) -> CarrierError {
    CarrierError::rejected(ENTRY.code.clone(), &e.field, Some(e.code), e.message)
}

/// Numbers are issued here and carry the ship date; the shipment id is derived from the
/// master.
static WAYBILLS: offline::Waybills = offline::Waybills {
    carrier: CODE,
    noun: "table-rate",
    shipment_prefix: "tr_",
    issued: |n| number::decode(n).is_some(),
};

#[async_trait]
impl Carrier for TableRate {
    fn entry(&self) -> &'static CarrierEntry {
        &ENTRY
    }

    fn limits(&self) -> CarrierLimits {
        offline::LIMITS
    }

    async fn rate(&self, req: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        self.quotes(req)
    }

    async fn ship(&self, req: &ShipRequest) -> Result<Waybill, CarrierError> {
        shiphub_carriers::carrier::no_returns(self.code(), req)?;
        let today = (self.clock)();
        if let Some(e) = self.unpriced(&req.shipment, &req.service, today) {
            return Err(e);
        }
        let quote = self
            .cards
            .quote_service(
                &req.shipment,
                &req.service,
                &quote_options(&req.shipment),
                today,
            )
            .map_err(rejected)?
            .to_quote(ENTRY.code.as_str());
        let date = req.shipment.ship_date.unwrap_or(today);
        let pieces: Vec<TrackingNumber> = req
            .shipment
            .parcels
            .iter()
            .map(|_| number::issue(date))
            .collect();
        Ok(WAYBILLS.waybill(pieces, quote.total, quote.breakdown, quote.notes))
    }

    async fn void(&self, waybill: &WaybillRef) -> Result<(), CarrierError> {
        WAYBILLS.void(waybill)
    }
}

#[cfg(test)]
mod tests;
