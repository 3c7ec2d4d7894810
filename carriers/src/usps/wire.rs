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
    /// `ExtraService` / `InternationalExtraService` codes (integers), from `options.rs`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_services: Vec<u16>,
    /// USD; "required to receive prices for Insurance".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_value: Option<Num>,
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
    /// Absent on return labels (not in `BaseReturnsPackageDescription`'s required list: USPS
    /// dates a return label by its first scan).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailing_date: Option<String>,
    /// Absent on return labels (`BaseReturnsPackageDescription` has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_entry_facility_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub customer_reference: Vec<CustomerReference>,
    /// `ExtraService` codes (integers), from `options.rs`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_services: Vec<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_options: Option<PackageOptions>,
    /// Sent (as `false`: electronic or physical signature) whenever a signature or insurance
    /// code is: the spec says the field "is required to include signature extra service code
    /// values".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_signature_required: Option<bool>,
}

/// `PackageOptions` (only `packageValue`, USD, for insurance).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PackageOptions {
    pub package_value: Num,
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

/// `ReturnLabelVendorResponse` (`domestic-labels.yaml`, `POST /labels/v3/return-label` with
/// `application/vnd.usps.labels+json`): as `LabelVendorResponse`, its image in
/// `returnLabelImage`.
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReturnLabelResponse {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub tracking_number: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub postage: Option<Decimal>,
    #[serde(default, deserialize_with = "list")]
    pub extra_services: Vec<ExtraServiceCharge>,
    #[serde(default, deserialize_with = "list")]
    pub fees: Vec<Priced>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub return_label_image: Option<String>,
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
// Addresses (`addresses.yaml`, `GET /addresses/v3/address`: the request is a query string)

/// `AddressResponse`.
#[derive(Debug, Deserialize, Default)]
pub(super) struct AddressResponse {
    #[serde(default)]
    pub address: Option<StandardAddress>,
    #[serde(default, rename = "additionalInfo")]
    pub additional_info: Option<AddressAdditionalInfo>,
    #[serde(default, deserialize_with = "list")]
    pub corrections: Vec<AddressCode>,
    #[serde(default, deserialize_with = "list")]
    pub matches: Vec<AddressCode>,
    #[serde(default, deserialize_with = "list")]
    pub warnings: Vec<String>,
}

/// `DomesticAddress` as answered.
#[derive(Debug, Deserialize, Default)]
pub(super) struct StandardAddress {
    #[serde(default, rename = "streetAddress", deserialize_with = "nonblank_text")]
    pub street_address: Option<String>,
    #[serde(
        default,
        rename = "secondaryAddress",
        deserialize_with = "nonblank_text"
    )]
    pub secondary_address: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub state: Option<String>,
    #[serde(default, rename = "ZIPCode", deserialize_with = "nonblank_text")]
    pub zip_code: Option<String>,
    #[serde(default, rename = "ZIPPlus4", deserialize_with = "nonblank_text")]
    pub zip_plus4: Option<String>,
}

/// `AddressAdditionalInfo`: `Y`/`N` flags and the DPV confirmation.
#[derive(Debug, Deserialize, Default)]
pub(super) struct AddressAdditionalInfo {
    #[serde(
        default,
        rename = "DPVConfirmation",
        deserialize_with = "nonblank_text"
    )]
    pub dpv_confirmation: Option<String>,
    #[serde(default, rename = "DPVCMRA", deserialize_with = "nonblank_text")]
    pub dpv_cmra: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub business: Option<String>,
    #[serde(
        default,
        rename = "centralDeliveryPoint",
        deserialize_with = "nonblank_text"
    )]
    pub central_delivery_point: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub vacant: Option<String>,
}

/// `AddressCorrections` / `AddressMatches` items.
#[derive(Debug, Deserialize, Default)]
pub(super) struct AddressCode {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub text: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Carrier Pickup (`carrier-pickup.yaml`)

/// `SchedulePickupRequest`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SchedulePickupRequest {
    pub pickup_date: String,
    pub pickup_address: PickupAddress,
    pub packages: Vec<PickupPackages>,
    pub estimated_weight: Num,
    pub pickup_location: PickupLocation,
}

/// `PickupAddress` (`Addressee` + `address` + `contact`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupAddress {
    pub first_name: String,
    pub last_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub firm: Option<String>,
    pub address: PickupDomesticAddress,
    pub contact: Vec<Contact>,
}

#[derive(Debug, Serialize)]
pub(super) struct PickupDomesticAddress {
    #[serde(rename = "streetAddress")]
    pub street_address: String,
    #[serde(rename = "secondaryAddress", skip_serializing_if = "Option::is_none")]
    pub secondary_address: Option<String>,
    pub city: String,
    pub state: String,
    #[serde(rename = "ZIPCode")]
    pub zip_code: String,
    #[serde(rename = "ZIPPlus4", skip_serializing_if = "Option::is_none")]
    pub zip_plus4: Option<String>,
}

/// `NotificationMethod`: `EmailNotification` or `SMSNotification`.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub(super) enum Contact {
    Email {
        email: String,
    },
    Sms {
        #[serde(rename = "cellNumber")]
        cell_number: String,
    },
}

/// `SchedulePickupRequest_packages`.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupPackages {
    pub package_type: &'static str,
    pub package_count: u32,
}

/// `SchedulePickupRequest_pickupLocation`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupLocation {
    pub package_location: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub special_instructions: Option<String>,
}

/// `PickupConfirmation` (POST answers one, GET an array of them).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupConfirmation {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub confirmation_number: Option<String>,
    #[serde(default, deserialize_with = "nonblank_text")]
    pub pickup_date: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// SCAN forms (`scan-forms.yaml`)

/// `SCANFormRequest` with a `LabelShipment`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ScanFormRequest {
    pub image_info: ScanFormImageInfo,
    pub mailing_date: String,
    pub overwrite_mailing_date: bool,
    #[serde(rename = "entryFacilityZIPCode")]
    pub entry_facility_zip_code: String,
    pub destination_entry_facility_type: &'static str,
    pub shipment: LabelShipment,
    pub from_address: LabelAddress,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ScanFormImageInfo {
    pub image_type: &'static str,
    pub label_type: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LabelShipment {
    pub tracking_numbers: Vec<String>,
}

/// `SCANFormVendorResponse` (and the `SCANFormMetaData` part of the multipart answer; there
/// `SCANFormImage` is the second part).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct ScanFormResponse {
    #[serde(default, deserialize_with = "nonblank_text")]
    pub manifest_number: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub tracking_numbers: Vec<String>,
    #[serde(default, rename = "SCANFormImage", deserialize_with = "nonblank_text")]
    pub scan_form_image: Option<String>,
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
