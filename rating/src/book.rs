//! The versions of one rate card: the one in force on the ship date prices the shipment.

use std::sync::Arc;

use shiphub_carriers::model::RateRequest;
use time::Date;

use crate::card::{CardError, RateCard};
use crate::explain::RatedQuote;
use crate::quote::{QuoteOptions, RateError};

/// One or more versions of a card (for example this year's and next year's tariff). Cheap to
/// clone: the compiled cards are shared.
#[derive(Clone, Debug)]
pub struct RateCards {
    /// Ascending by `valid_from`.
    cards: Arc<[RateCard]>,
}

/// A version that did not load: its index in the list given, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("card {index}: {error}")]
pub struct CardsError {
    /// Index of the card text in the list given.
    pub index: usize,
    /// The complaint, with line and field.
    pub error: CardError,
}

impl RateCards {
    /// The versions given; at least one.
    pub fn new(mut cards: Vec<RateCard>) -> Option<RateCards> {
        if cards.is_empty() {
            return None;
        }
        cards.sort_by_key(|c| c.valid_from);
        Some(RateCards {
            cards: cards.into(),
        })
    }

    /// Parses each version's TOML text.
    pub fn from_toml<S: AsRef<str>>(texts: &[S]) -> Result<RateCards, CardsError> {
        let cards = (texts.iter().enumerate())
            .map(|(index, t)| {
                RateCard::from_toml(t.as_ref()).map_err(|error| CardsError { index, error })
            })
            .collect::<Result<Vec<_>, _>>()?;
        RateCards::new(cards).ok_or(CardsError {
            index: 0,
            error: CardError {
                line: 1,
                column: 1,
                field: String::new(),
                message: "no rate card given".into(),
            },
        })
    }

    /// The versions, oldest first.
    pub fn versions(&self) -> &[RateCard] {
        &self.cards
    }

    /// The version in force on `date`: of those valid that day, the one that started last
    /// (a new tariff supersedes an open-ended old one from its first day).
    pub fn for_date(&self, date: Date) -> Option<&RateCard> {
        self.cards.iter().rev().find(|c| c.is_valid_on(date))
    }

    fn card(&self, req: &RateRequest, today: Date) -> Result<(&RateCard, Date), RateError> {
        let date = req.ship_date.unwrap_or(today);
        match self.for_date(date) {
            Some(c) => Ok((c, date)),
            None => Err(RateError::new(
                "/ship_date",
                "NO_CARD",
                format!(
                    "no version of card {} is valid on {date}",
                    self.cards[0].name()
                ),
            )),
        }
    }

    /// Quotes of every service serving the shipment's zone, priced by the version in force on
    /// the ship date (`today` when the request has none).
    pub fn quote(
        &self,
        req: &RateRequest,
        opts: &QuoteOptions,
        today: Date,
    ) -> Result<Vec<RatedQuote<'_>>, RateError> {
        let (card, date) = self.card(req, today)?;
        card.quote_all(req, opts, date)
    }

    /// The quote of one service.
    pub fn quote_service(
        &self,
        req: &RateRequest,
        service: &str,
        opts: &QuoteOptions,
        today: Date,
    ) -> Result<RatedQuote<'_>, RateError> {
        let (card, date) = self.card(req, today)?;
        card.quote_one(req, service, opts, date)
    }
}

impl From<RateCard> for RateCards {
    fn from(card: RateCard) -> Self {
        RateCards {
            cards: Arc::from(vec![card]),
        }
    }
}
