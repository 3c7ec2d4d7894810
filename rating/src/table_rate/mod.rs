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
    Quote, RateRequest, ShipRequest, TrackingNumber, Waybill, WaybillRef,
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
    options: &[],
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
        let quotes = self
            .cards
            .quote(req, &QuoteOptions::default(), (self.clock)())
            .map_err(rejected)?;
        Ok(quotes
            .iter()
            .map(|q| q.to_quote(ENTRY.code.as_str()))
            .collect())
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
        let quote = self
            .cards
            .quote_service(&req.shipment, &req.service, &QuoteOptions::default(), today)
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
