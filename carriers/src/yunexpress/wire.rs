//! YunExpress open-API wire types, in YunExpress's own field names (snake_case), for the
//! requests we send and the parts of the answers we read. Shapes: the unofficial OpenAPI
//! (`../shared/carriers/yunexpress/openapi-unofficial.yaml`) where it agrees with the public
//! integrations, those integrations where it does not (`fixtures/SOURCES.md`). Never leaves
//! the folder.
//!
//! Requests are strict: only what we mean to send, absent options omitted. Answers are
//! lenient: every field optional, a value of the wrong JSON type reads as absent, so only a
//! body that is not JSON fails here; `parse` decides whether what arrived is enough.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub(super) use crate::http::lenient::Num;
use crate::http::lenient::{decimal, flag, list, nonblank_text, object, text};

// ---------------------------------------------------------------------------------------------
// Envelope

/// Every answer: `{t, success, code, msg, result}` (`ApiEnvelope_*`, `ErrorResponse`).
#[derive(Clone, Debug, Deserialize)]
#[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
pub(super) struct Envelope<T> {
    #[serde(default, deserialize_with = "flag")]
    pub success: Option<bool>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub msg: Option<String>,
    #[serde(default = "none", deserialize_with = "object")]
    pub result: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// An envelope whose `result` we do not read (cancel; error bodies).
pub(super) type Bare = Envelope<serde_json::Value>;

// ---------------------------------------------------------------------------------------------
// Create package (`CreatePackageRequest`)

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct CreatePackage {
    pub product_code: String,
    pub customer_order_number: String,
    pub weight_unit: &'static str,
    pub size_unit: &'static str,
    pub packages: Vec<Package>,
    pub receiver: Party,
    pub sender: Party,
    pub declaration_info: Vec<Declaration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customs_number: Option<CustomsNumber>,
    pub sensitive_type: &'static str,
    pub label_type: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct Package {
    pub weight: Num,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub length: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<Num>,
}

/// `ContactParty`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct Party {
    pub first_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    pub country_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    pub city: String,
    pub address_lines: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `DeclarationItem`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct Declaration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku_code: Option<String>,
    pub name_local: String,
    pub name_en: String,
    pub quantity: u32,
    pub unit_price: Num,
    pub unit_weight: Num,
    pub currency: String,
    pub hs_code: String,
}

/// `customs_number`: an object of registration numbers (SOURCES.md: the spec says string).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct CustomsNumber {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ioss_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eori_number: Option<String>,
}

/// `CreatePackageResponse`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct Created {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub waybill_number: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub tracking_number: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub track_type: Option<String>,
    #[serde(default)]
    pub remote_area: Option<serde_json::Value>,
}

/// `POST /v1/order/cancel`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct Cancel {
    pub waybill_number: String,
}

// ---------------------------------------------------------------------------------------------
// Label (`LabelResult`)

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct Label {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub url: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub label_type: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub label_string: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Price trial (`PriceTrialItem`)

#[derive(Clone, Debug, Deserialize)]
pub(super) struct PriceLine {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub product_code: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub product_name: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub fee_name: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub calculate_amount: Option<Decimal>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub interval_day: Option<String>,
}

/// The price trial's `result`: a list of lines.
#[derive(Clone, Debug, Deserialize)]
#[serde(transparent)]
pub(super) struct PriceLines(#[serde(deserialize_with = "list")] pub Vec<PriceLine>);

// ---------------------------------------------------------------------------------------------
// Tracking (`GET /v1/track-service/info/get`, as the integrations read it)

#[derive(Clone, Debug, Deserialize)]
#[serde(transparent)]
pub(super) struct TrackItems(#[serde(deserialize_with = "list")] pub Vec<TrackItem>);

#[derive(Clone, Debug, Deserialize)]
pub(super) struct TrackItem {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub order_number: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub package_status: Option<String>,
    #[serde(
        rename = "track_Info",
        alias = "track_info",
        default,
        deserialize_with = "object"
    )]
    pub track_info: Option<TrackInfo>,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct TrackInfo {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub waybill_number: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub tracking_number: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub last_mile_name: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub track_events: Vec<TrackEvent>,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct TrackEvent {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub process_time: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub process_utc_time: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub process_content: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub process_country: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub process_province: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub process_city: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub process_location: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub track_node_code: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub track_node_description: Option<String>,
}

/// The waybill detail's `status` (`GET /v1/order/info/get`, `WaybillDetail`).
#[derive(Clone, Debug, Deserialize)]
pub(super) struct WaybillDetail {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub status: Option<String>,
}
