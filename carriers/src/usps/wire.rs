//! USPS v3 wire types, in USPS's own field names, from `../shared/carriers/usps/openapi/`
//! (`shipping-options.yaml`, `domestic-labels.yaml`, `international-labels.yaml`,
//! `payments.yaml`, `tracking.yaml`). Requests are strict (exactly the keys the schemas
//! declare); responses are read leniently (USPS's published samples send booleans as strings,
//! numbers as text and `null` for absent values: see `contracts/README.md`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub(super) use crate::http::lenient::Num;
use crate::http::lenient::{decimal, flag, list, nonblank_text};

// ---------------------------------------------------------------------------------------------
// OAuth and payments

/// `POST /oauth2/v3/token` body (JSON, as in `api-examples/README.md`).
/// No `Debug`: it holds the client secret.
#[derive(Serialize)]
pub(super) struct TokenRequest<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub grant_type: &'static str,
}

/// `payments.yaml` `Parties`.
#[derive(Debug, Serialize)]
pub(super) struct PaymentAuthorizationRequest {
    pub roles: Vec<Role>,
}

/// `payments.yaml` `Role` (with its `PaymentAccount` part).
#[derive(Debug, Serialize)]
pub(super) struct Role {
    #[serde(rename = "roleName")]
    pub role_name: &'static str,
    #[serde(rename = "CRID")]
    pub crid: String,
    #[serde(rename = "MID")]
    pub mid: String,
    #[serde(rename = "manifestMID")]
    pub manifest_mid: String,
    #[serde(rename = "accountType", skip_serializing_if = "Option::is_none")]
    pub account_type: Option<&'static str>,
    #[serde(rename = "accountNumber", skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    #[serde(rename = "permitNumber", skip_serializing_if = "Option::is_none")]
    pub permit_number: Option<String>,
    #[serde(rename = "permitZIP", skip_serializing_if = "Option::is_none")]
    pub permit_zip: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(super) struct PaymentAuthorizationResponse {
    #[serde(default, rename = "paymentAuthorizationToken")]
    pub payment_authorization_token: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Shipping options (rates)

/// `shipping-options.yaml` `DomesticOptionsRequest` / `InternationalOptionsRequest`: one type,
/// the keys of the other variant left out.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OptionsRequest {
    pub pricing_options: Vec<PricingOptionRequest>,
    #[serde(rename = "originZIPCode")]
    pub origin_zip_code: String,
    #[serde(rename = "destinationZIPCode", skip_serializing_if = "Option::is_none")]
    pub destination_zip_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_entry_facility_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign_postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_country_code: Option<String>,
    pub package_description: OptionsPackage,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PricingOptionRequest {
    pub price_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_account: Option<PaymentAccount>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PaymentAccount {
    pub account_type: &'static str,
    pub account_number: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OptionsPackage {
    pub weight: Num,
    pub length: Num,
    pub height: Num,
    pub width: Num,
    pub mail_class: &'static str,
    pub mailing_date: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct OptionsResponse {
    #[serde(default, deserialize_with = "list")]
    pub pricing_options: Vec<PricingOption>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct PricingOption {
    #[serde(default, deserialize_with = "list")]
    pub shipping_options: Vec<ShippingOption>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShippingOption {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub mail_class: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub rate_options: Vec<RateOption>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateOption {
    #[serde(default)]
    pub commitment: Option<Commitment>,
    #[serde(default, deserialize_with = "decimal")]
    pub total_price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub total_base_price: Option<Decimal>,
    #[serde(default, deserialize_with = "list")]
    pub rates: Vec<Rate>,
    #[serde(default, deserialize_with = "list")]
    pub extra_services: Vec<Priced>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Commitment {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub expected_delivery_date: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub schedule_delivery_date: Option<String>,
    #[serde(default, deserialize_with = "flag")]
    pub guaranteed_delivery: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Rate {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub description: Option<String>,
    #[serde(default, rename = "SKU", deserialize_with = "nonblank_text")]
    pub sku: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub weight: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub dim_weight: Option<Decimal>,
    #[serde(default, deserialize_with = "list")]
    pub fees: Vec<Priced>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub rate_indicator: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub processing_category: Option<String>,
}

/// A priced line: a fee, or an extra service (`extraService` is its code).
#[derive(Debug, Deserialize, Default, Clone)]
#[serde(rename_all = "camelCase")]
pub(super) struct Priced {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub name: Option<String>,
    #[serde(default, rename = "SKU", deserialize_with = "nonblank_text")]
    pub sku: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub extra_service: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Labels

/// `domestic-labels.yaml` `LabelRequest` and `international-labels.yaml`
/// `InternationalLabelRequest` (the latter has no `senderAddress` use here and needs
/// `customsForm`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LabelRequest {
    pub image_info: ImageInfo,
    pub to_address: LabelAddress,
    pub from_address: LabelAddress,
    pub package_description: LabelPackage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customs_form: Option<CustomsForm>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ImageInfo {
    pub image_type: &'static str,
    pub label_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_option: Option<&'static str>,
}

/// Domestic (`DomesticLabelAddress`) or international (`InternationalLabelAddress`) address:
/// the keys of the other shape are left out.
#[derive(Debug, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct LabelAddress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firm: Option<String>,
    pub street_address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secondary_address: Option<String>,
    pub city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(rename = "ZIPCode", skip_serializing_if = "Option::is_none")]
    pub zip_code: Option<String>,
    #[serde(rename = "ZIPPlus4", skip_serializing_if = "Option::is_none")]
    pub zip_plus4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(
        rename = "countryISOAlpha2Code",
        skip_serializing_if = "Option::is_none"
    )]
    pub country_iso_alpha2_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LabelPackage {
    pub mail_class: String,
    pub rate_indicator: &'static str,
    #[serde(rename = "weightUOM")]
    pub weight_uom: &'static str,
    pub weight: Num,
    #[serde(rename = "dimensionsUOM")]
    pub dimensions_uom: &'static str,
    pub length: Num,
    pub height: Num,
    pub width: Num,
    pub processing_category: &'static str,
    pub mailing_date: String,
    pub destination_entry_facility_type: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub customer_reference: Vec<CustomerReference>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CustomerReference {
    pub reference_number: String,
    /// Domestic only (`DomesticCustomerReference`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub print_reference_number: Option<bool>,
}

/// `InternationalCustomsForm`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CustomsForm {
    #[serde(rename = "AESITN")]
    pub aesitn: String,
    pub customs_content_type: &'static str,
    pub contents: Vec<CustomsContent>,
}

/// `InternationalShippingContents`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CustomsContent {
    pub item_description: String,
    pub item_quantity: u32,
    pub item_total_value: Num,
    #[serde(rename = "weightUOM")]
    pub weight_uom: &'static str,
    pub item_total_weight: Num,
    #[serde(rename = "HSTariffNumber")]
    pub hs_tariff_number: String,
    #[serde(rename = "countryofOrigin")]
    pub countryof_origin: String,
}

/// `LabelVendorResponse` / `InternationalLabelVendorResponse` (the
/// `application/vnd.usps.labels+json` answer: metadata and base64 image in one document).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct LabelResponse {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub tracking_number: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub international_tracking_number: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub postage: Option<Decimal>,
    #[serde(default, deserialize_with = "list")]
    pub extra_services: Vec<ExtraServiceCharge>,
    #[serde(default, deserialize_with = "list")]
    pub fees: Vec<Priced>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub label_image: Option<String>,
}

/// `ExtraServiceResponse` items: `name`/`SKU` (domestic) or `serviceID`/`serviceName`/`sku`
/// (the international example).
#[derive(Debug, Deserialize, Default)]
pub(super) struct ExtraServiceCharge {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub name: Option<String>,
    #[serde(default, rename = "serviceName", deserialize_with = "nonblank_text")]
    pub service_name: Option<String>,
    #[serde(default, rename = "serviceID", deserialize_with = "nonblank_text")]
    pub service_id: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
}

/// `CancelResponse`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct CancelResponse {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub dispute_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Tracking

/// `tracking.yaml` `TrackingDetails` (asked with `expand=DETAIL`).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackingDetails {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub status_category: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub expected_delivery_time_stamp: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub predicted_delivery_date: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub tracking_events: Vec<TrackingEvent>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackingEvent {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub event_type: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub event_timestamp: Option<String>,
    #[serde(default, rename = "GMTTimestamp", deserialize_with = "nonblank_text")]
    pub gmt_timestamp: Option<String>,
    #[serde(default, rename = "GMTOffset", deserialize_with = "nonblank_text")]
    pub gmt_offset: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub event_city: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub event_state: Option<String>,
    #[serde(default, rename = "eventZIP", deserialize_with = "nonblank_text")]
    pub event_zip: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub event_country: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub event_code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// `ErrorMessage`, shared by every v3 API.
#[derive(Debug, Deserialize, Default)]
pub(super) struct ErrorMessage {
    #[serde(default)]
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct ErrorBody {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub errors: Vec<ErrorItem>,
}

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct ErrorItem {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub detail: Option<String>,
    #[serde(default)]
    pub source: Option<ErrorSource>,
}

#[derive(Debug, Deserialize, Default, Clone)]
pub(super) struct ErrorSource {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub parameter: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Lenient readers
