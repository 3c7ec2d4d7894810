//! shiphub-rating: rate cards and freight cost that explains itself, and the table-rate
//! carrier for carriers without an API. Depends only on `shiphub-carriers` (the vocabulary).
//!
//! - [`RateCard::from_toml`] loads and validates a card (format: `rating/README.md`); a bad
//!   card is a [`CardError`] with line, column and field.
//! - [`RateCards`] holds a card's versions and prices a `RateRequest` with the one in force on
//!   the ship date: [`RatedQuote`]s whose every charge carries its [`Step`]s, convertible to
//!   the workspace `Quote` with [`RatedQuote::to_quote`].
//! - [`table_rate`] is the `Carrier` over a card, with its registry entry
//!   [`table_rate::ENTRY`].
//!
//! - [`invoice`] imports carrier invoice files (UPS, FedEx, DHL Express, mapped CSV) as a
//!   stream of packages, audits them against the hub's shipments in batches and renders the
//!   reports (CSV, JSON, PDF, dispute export per carrier).

mod book;
mod card;
mod explain;
pub mod invoice;
mod lane;
mod quote;
pub mod table_rate;

pub use book::{CardsError, RateCards};
pub use card::postal::PostalKey;
pub use card::{CardError, RateCard, ServiceSummary};
pub use explain::{
    AmountBasis, BillableRule, Increments, Measure, RatedCharge, RatedQuote, Step, SurchargeRule,
    Unit,
};
pub use lane::{LaneEnd, lane_request};
pub use quote::{QuoteOptions, RateError};

#[cfg(test)]
mod quote_tests;
