//! Requests and cards shared by the integration tests.
#![allow(dead_code)]

use serde_json::{Value, json};
use shiphub_carriers::model::RateRequest;
use shiphub_rating::{RateCard, RateCards};

pub const EXPRESS: &str = include_str!("../../examples/express_worldwide_de_export.toml");
pub const GROUND: &str = include_str!("../../examples/ground_us_from_atlanta.toml");

/// The card, alive for the whole test (quotes borrow names from their card).
pub fn cards(text: &str) -> &'static RateCards {
    Box::leak(Box::new(RateCards::from(
        RateCard::from_toml(text).expect("example card loads"),
    )))
}

/// An address JSON in `country` with `postal`; US addresses get a state.
pub fn addr(country: &str, postal: &str, residential: bool) -> Value {
    let mut a = json!({"name": "Someone", "street": ["1 Main St"], "city": "Town",
                       "country": country, "postal_code": postal, "residential": residential});
    if country == "US" {
        a["state"] = json!("GA");
    }
    a
}

/// A parcel JSON: weight with unit, optional `[l, w, h]` with unit.
pub fn parcel(weight: &str, wunit: &str, dims: Option<([&str; 3], &str)>) -> Value {
    let mut p = json!({"weight": {"value": weight, "unit": wunit}});
    if let Some(([l, w, h], u)) = dims {
        p["dimensions"] = json!({"length": l, "width": w, "height": h, "unit": u});
    }
    p
}

pub fn request(from: Value, to: Value, parcels: Vec<Value>, ship_date: &str) -> RateRequest {
    serde_json::from_value(
        json!({"from": from, "to": to, "parcels": parcels, "ship_date": ship_date}),
    )
    .expect("test request parses")
}

/// A DDP customs declaration (one item).
pub fn ddp() -> Value {
    json!({"incoterm": "DDP", "content_type": "merchandise", "items": [{
        "description": "Shoes", "quantity": 1, "unit_value": {"amount": "80.00", "currency": "EUR"},
        "unit_weight": {"value": "1", "unit": "kg"}, "hs_code": "640399", "origin_country": "DE"}]})
}
