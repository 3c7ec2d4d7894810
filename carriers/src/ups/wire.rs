//! UPS wire types, in UPS's own names (`Rating.yaml`, `Shipping.yaml`, `Tracking.yaml`,
//! `OAuthClientCredentials.yaml` in `../shared/carriers/ups/openapi`). Serde only: no logic,
//! no conversions (those live in `rate.rs`, `ship.rs`, ...), and nothing here leaves the
//! `ups` folder.
//!
//! Requests carry only what we send. Responses are deliberately loose: every value is an
//! optional string (UPS sends all values as strings, and the published samples contain
//! placeholders such as `"Code": "string"` or `null`), lists accept a single object too
//! (before v2403 a one-item list came back as an object), and unknown fields are ignored.
//! Validation happens in `parse`, which can say what was wrong.

use serde::{Deserialize, Deserializer, Serialize};

/// A list that UPS may send as a single object (versions before v2403) or as an array.
fn one_or_many<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany<T> {
        Many(Vec<T>),
        One(T),
        Null(()),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Many(v) => v,
        OneOrMany::One(t) => vec![t],
        OneOrMany::Null(()) => Vec::new(),
    })
}

// ---------------------------------------------------------------- OAuth

/// `ErrorResponse` / `tokenErrorResponse`: `{"response":{"errors":[{"code","message"}]}}`.
#[derive(Debug, Deserialize)]
pub(super) struct ErrorResponse {
    pub(super) response: Option<ErrorList>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ErrorList {
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) errors: Vec<ErrorItem>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ErrorItem {
    pub(super) code: Option<String>,
    pub(super) message: Option<String>,
}

// ---------------------------------------------------------------- shared request parts

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CodeDesc {
    pub(super) code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
}

impl CodeDesc {
    pub(super) fn code(code: &str) -> Self {
        CodeDesc {
            code: code.to_string(),
            description: None,
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Address {
    pub(super) address_line: Vec<String>,
    pub(super) city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) state_province_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) postal_code: Option<String>,
    pub(super) country_code: String,
    /// Empty-tag indicator: present means residential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) residential_address_indicator: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Phone {
    pub(super) number: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Party {
    pub(super) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) attention_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) shipper_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tax_identification_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) phone: Option<Phone>,
    #[serde(rename = "EMailAddress", skip_serializing_if = "Option::is_none")]
    pub(super) email_address: Option<String>,
    pub(super) address: Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) vendor_info: Option<VendorInfo>,
}

/// `ShipFrom.VendorInfo`: the IOSS number for EU imports.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VendorInfo {
    #[serde(rename = "VendorCollectIDTypeCode")]
    pub(super) vendor_collect_id_type_code: String,
    #[serde(rename = "VendorCollectIDNumber")]
    pub(super) vendor_collect_id_number: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Weight {
    pub(super) unit_of_measurement: CodeDesc,
    pub(super) weight: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Dimensions {
    pub(super) unit_of_measurement: CodeDesc,
    pub(super) length: String,
    pub(super) width: String,
    pub(super) height: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShipmentCharge {
    #[serde(rename = "Type")]
    pub(super) kind: String,
    pub(super) bill_shipper: BillShipper,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct BillShipper {
    pub(super) account_number: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Payment {
    pub(super) shipment_charge: Vec<ShipmentCharge>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RatingOptions {
    pub(super) negotiated_rates_indicator: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct MoneyOut {
    pub(super) currency_code: String,
    pub(super) monetary_value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TransactionReference {
    pub(super) customer_context: String,
}

// ---------------------------------------------------------------- Rate request

/// `RATERequestWrapper`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RateRequestWrapper {
    pub(super) rate_request: RateRequest,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RateRequest {
    pub(super) request: RateRequestHeader,
    pub(super) shipment: RateShipment,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RateRequestHeader {
    pub(super) request_option: String,
    pub(super) transaction_reference: TransactionReference,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RateShipment {
    pub(super) shipper: Party,
    pub(super) ship_to: Party,
    pub(super) ship_from: Party,
    pub(super) payment_details: Payment,
    pub(super) shipment_rating_options: RatingOptions,
    pub(super) num_of_pieces: String,
    pub(super) shipment_total_weight: Weight,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) invoice_line_total: Option<MoneyOut>,
    pub(super) delivery_time_information: DeliveryTimeInformation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) shipment_service_options: Option<ShipmentServiceOptions>,
    pub(super) package: Vec<RatePackage>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeliveryTimeInformation {
    pub(super) package_bill_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) pickup: Option<PickupDate>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupDate {
    pub(super) date: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RatePackage {
    pub(super) packaging_type: CodeDesc,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) dimensions: Option<Dimensions>,
    pub(super) package_weight: Weight,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) package_service_options: Option<PackageServiceOptions>,
}

// ---------------------------------------------------------------- service options (both APIs)

/// `Shipment.ShipmentServiceOptions`, the parts we send. Rating.yaml and Shipping.yaml
/// (`Shipment_ShipmentServiceOptions`) share these names; `InternationalForms` is Shipping's.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShipmentServiceOptions {
    /// Empty tag: present means Saturday delivery.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) saturday_delivery_indicator: Option<String>,
    /// Shipment-level signature (DCISType 1 signature, 2 adult signature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) delivery_confirmation: Option<DeliveryConfirmation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) international_forms: Option<InternationalForms>,
}

impl ShipmentServiceOptions {
    pub(super) fn is_empty(&self) -> bool {
        self.saturday_delivery_indicator.is_none()
            && self.delivery_confirmation.is_none()
            && self.international_forms.is_none()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeliveryConfirmation {
    #[serde(rename = "DCISType")]
    pub(super) dcis_type: String,
}

/// `Package.PackageServiceOptions`, the parts we send.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PackageServiceOptions {
    /// Package-level signature (DCISType 2 signature, 3 adult signature).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) delivery_confirmation: Option<DeliveryConfirmation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) declared_value: Option<MoneyOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) dry_ice: Option<DryIce>,
}

impl PackageServiceOptions {
    pub(super) fn is_empty(&self) -> bool {
        self.delivery_confirmation.is_none()
            && self.declared_value.is_none()
            && self.dry_ice.is_none()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DryIce {
    pub(super) regulation_set: String,
    pub(super) dry_ice_weight: DryIceWeight,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DryIceWeight {
    pub(super) unit_of_measurement: CodeDesc,
    pub(super) weight: String,
}

// ---------------------------------------------------------------- Rate / Ship responses

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CodeDescIn {
    pub(super) code: Option<String>,
    pub(super) description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Response {
    pub(super) response_status: Option<CodeDescIn>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) alert: Vec<CodeDescIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct MoneyIn {
    pub(super) currency_code: Option<String>,
    pub(super) monetary_value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ItemizedCharge {
    pub(super) code: Option<String>,
    pub(super) description: Option<String>,
    pub(super) currency_code: Option<String>,
    pub(super) monetary_value: Option<String>,
    pub(super) sub_type: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TaxCharge {
    #[serde(rename = "Type")]
    pub(super) kind: Option<String>,
    pub(super) monetary_value: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct WeightIn {
    pub(super) unit_of_measurement: Option<CodeDescIn>,
    pub(super) weight: Option<String>,
}

/// The charge block shared by `RatedShipment` (published) and `ShipmentCharges` /
/// `NegotiatedRateCharges` (negotiated), which differ only in the name of the total
/// (`TotalCharges` vs `TotalCharge`) and in `BaseServiceCharge` being one or many.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Charges {
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) base_service_charge: Vec<MoneyIn>,
    pub(super) transportation_charges: Option<MoneyIn>,
    pub(super) service_options_charges: Option<MoneyIn>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) itemized_charges: Vec<ItemizedCharge>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) tax_charges: Vec<TaxCharge>,
    #[serde(alias = "TotalCharge")]
    pub(super) total_charges: Option<MoneyIn>,
    pub(super) total_charges_with_taxes: Option<MoneyIn>,
}

/// `RATEResponseWrapper`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RateResponseWrapper {
    pub(super) rate_response: RateResponse,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RateResponse {
    #[serde(default)]
    pub(super) response: Response,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) rated_shipment: Vec<RatedShipment>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RatedShipment {
    pub(super) service: Option<CodeDescIn>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) rated_shipment_alert: Vec<CodeDescIn>,
    pub(super) billing_weight: Option<WeightIn>,
    #[serde(flatten)]
    pub(super) charges: Charges,
    pub(super) negotiated_rate_charges: Option<Charges>,
    pub(super) time_in_transit: Option<TimeInTransit>,
    pub(super) guaranteed_delivery: Option<GuaranteedDelivery>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TimeInTransit {
    pub(super) service_summary: Option<ServiceSummary>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ServiceSummary {
    pub(super) guaranteed_indicator: Option<String>,
    /// `1`: Saturday delivery available with additional charges; `0`: not available or
    /// without charge (the arrival date tells).
    pub(super) saturday_delivery: Option<String>,
    pub(super) estimated_arrival: Option<EstimatedArrival>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct EstimatedArrival {
    pub(super) arrival: Option<Arrival>,
    pub(super) business_days_in_transit: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Arrival {
    pub(super) date: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GuaranteedDelivery {
    pub(super) business_days_in_transit: Option<String>,
}

// ---------------------------------------------------------------- Ship request

/// `SHIPRequestWrapper`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShipRequestWrapper {
    pub(super) shipment_request: ShipmentRequest,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShipmentRequest {
    pub(super) request: ShipRequestHeader,
    pub(super) shipment: Shipment,
    pub(super) label_specification: LabelSpecification,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShipRequestHeader {
    pub(super) request_option: String,
    pub(super) transaction_reference: TransactionReference,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Shipment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
    pub(super) shipper: Party,
    pub(super) ship_to: Party,
    pub(super) ship_from: Party,
    pub(super) payment_information: Payment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) return_service: Option<CodeDesc>,
    pub(super) service: CodeDesc,
    pub(super) shipment_rating_options: RatingOptions,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) reference_number: Vec<ReferenceNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) invoice_line_total: Option<MoneyOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) shipment_service_options: Option<ShipmentServiceOptions>,
    pub(super) package: Vec<ShipPackage>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ReferenceNumber {
    pub(super) value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShipPackage {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<String>,
    pub(super) packaging: CodeDesc,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) dimensions: Option<Dimensions>,
    pub(super) package_weight: Weight,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) reference_number: Vec<ReferenceNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) package_service_options: Option<PackageServiceOptions>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct InternationalForms {
    pub(super) form_type: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) invoice_number: Option<String>,
    pub(super) invoice_date: String,
    pub(super) reason_for_export: String,
    pub(super) currency_code: String,
    pub(super) terms_of_shipment: String,
    pub(super) contacts: FormContacts,
    pub(super) product: Vec<Product>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct FormContacts {
    pub(super) sold_to: SoldTo,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SoldTo {
    pub(super) name: String,
    pub(super) attention_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tax_identification_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) phone: Option<Phone>,
    pub(super) address: Address,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct Product {
    pub(super) description: Vec<String>,
    pub(super) unit: ProductUnit,
    pub(super) commodity_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) part_number: Option<String>,
    pub(super) origin_country_code: String,
    pub(super) product_weight: Weight,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ProductUnit {
    pub(super) number: String,
    pub(super) unit_of_measurement: CodeDesc,
    pub(super) value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LabelSpecification {
    pub(super) label_image_format: CodeDesc,
    pub(super) label_stock_size: LabelStockSize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LabelStockSize {
    pub(super) height: String,
    pub(super) width: String,
}

// ---------------------------------------------------------------- Ship response

/// `SHIPResponseWrapper`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShipResponseWrapper {
    pub(super) shipment_response: ShipmentResponse,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShipmentResponse {
    #[serde(default)]
    pub(super) response: Response,
    pub(super) shipment_results: Option<ShipmentResults>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShipmentResults {
    pub(super) shipment_charges: Option<Charges>,
    pub(super) negotiated_rate_charges: Option<Charges>,
    pub(super) shipment_identification_number: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) package_results: Vec<PackageResult>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PackageResult {
    pub(super) tracking_number: Option<String>,
    pub(super) shipping_label: Option<ShippingLabel>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ShippingLabel {
    pub(super) image_format: Option<CodeDescIn>,
    pub(super) graphic_image: Option<String>,
}

// ---------------------------------------------------------------- Void response

/// `VOIDSHIPMENTResponseWrapper`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VoidResponseWrapper {
    pub(super) void_shipment_response: VoidShipmentResponse,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VoidShipmentResponse {
    #[serde(default)]
    pub(super) response: Response,
    pub(super) summary_result: Option<SummaryResult>,
    /// The spec says `PackageLevelResults`; Karrio's sample says `PackageLevelResult`.
    #[serde(
        default,
        alias = "PackageLevelResult",
        deserialize_with = "one_or_many"
    )]
    pub(super) package_level_results: Vec<PackageLevelResult>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SummaryResult {
    pub(super) status: Option<CodeDescIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PackageLevelResult {
    pub(super) tracking_number: Option<String>,
    pub(super) status: Option<CodeDescIn>,
}

// ---------------------------------------------------------------- Track response

/// `TrackApiResponse` (camelCase, unlike the older APIs).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackApiResponse {
    pub(super) track_response: Option<TrackResponse>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackResponse {
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) shipment: Vec<TrackShipment>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackShipment {
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) package: Vec<TrackPackage>,
    /// `Tracking.yaml` `Shipment.warnings[]`: `TW0001` "Tracking Information Not Found" and
    /// others, beside or instead of packages.
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) warnings: Vec<TrackWarning>,
}

#[derive(Debug, Deserialize)]
pub(super) struct TrackWarning {
    pub(super) code: Option<String>,
    pub(super) message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackPackage {
    pub(super) tracking_number: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) activity: Vec<Activity>,
    pub(super) current_status: Option<TrackStatus>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) delivery_date: Vec<DeliveryDate>,
    pub(super) delivery_information: Option<DeliveryInformation>,
}

/// Populated only once delivered (Tracking.yaml `DeliveryInformation`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeliveryInformation {
    /// "The individual who took possession of the package at delivery."
    pub(super) received_by: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Activity {
    pub(super) date: Option<String>,
    pub(super) time: Option<String>,
    pub(super) gmt_offset: Option<String>,
    pub(super) location: Option<TrackLocation>,
    pub(super) status: Option<TrackStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackLocation {
    pub(super) address: Option<TrackAddress>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackAddress {
    pub(super) city: Option<String>,
    pub(super) state_province: Option<String>,
    pub(super) postal_code: Option<String>,
    pub(super) country_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackStatus {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) code: Option<String>,
    pub(super) description: Option<String>,
    pub(super) status_code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeliveryDate {
    #[serde(rename = "type")]
    pub(super) kind: Option<String>,
    pub(super) date: Option<String>,
}

// ---------------------------------------------------------------- Address validation (XAV)

/// A string list UPS may send as one string (the Postman sample's `AddressLine`) or an array.
fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    one_or_many(d)
}

/// `XAVRequestWrapper` (AddressValidation.yaml).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct XavRequestWrapper {
    #[serde(rename = "XAVRequest")]
    pub(super) xav_request: XavRequest,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct XavRequest {
    pub(super) address_key_format: AddressKeyFormat,
}

/// `XAVRequest_AddressKeyFormat`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AddressKeyFormat {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) consignee_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) address_line: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) political_division2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) political_division1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) postcode_primary_low: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) postcode_extended_low: Option<String>,
    pub(super) country_code: String,
}

/// `XAVResponseWrapper`.
#[derive(Debug, Deserialize)]
pub(super) struct XavResponseWrapper {
    #[serde(rename = "XAVResponse")]
    pub(super) xav_response: XavResponse,
}

/// `XAVResponse`: the three indicators are empty tags (present or absent).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct XavResponse {
    #[serde(default)]
    pub(super) response: Response,
    pub(super) valid_address_indicator: Option<String>,
    pub(super) ambiguous_address_indicator: Option<String>,
    pub(super) no_candidates_indicator: Option<String>,
    pub(super) address_classification: Option<CodeDescIn>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub(super) candidate: Vec<XavCandidate>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct XavCandidate {
    pub(super) address_classification: Option<CodeDescIn>,
    pub(super) address_key_format: Option<CandidateAddress>,
}

/// `Candidate_AddressKeyFormat`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CandidateAddress {
    #[serde(default, deserialize_with = "strings")]
    pub(super) address_line: Vec<String>,
    pub(super) political_division2: Option<String>,
    pub(super) political_division1: Option<String>,
    pub(super) postcode_primary_low: Option<String>,
    pub(super) postcode_extended_low: Option<String>,
    pub(super) urbanization: Option<String>,
    pub(super) country_code: Option<String>,
}

// ---------------------------------------------------------------- Pickup

/// `PICKUPCreationRequestWrapper` (Pickup.yaml).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupCreationRequestWrapper {
    pub(super) pickup_creation_request: PickupCreationRequest,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupCreationRequest {
    pub(super) request: PickupRequestHeader,
    pub(super) rate_pickup_indicator: String,
    pub(super) shipper: PickupShipper,
    pub(super) pickup_date_info: PickupDateInfo,
    pub(super) pickup_address: PickupAddress,
    pub(super) alternate_address_indicator: String,
    pub(super) pickup_piece: Vec<PickupPiece>,
    pub(super) total_weight: PickupWeight,
    pub(super) overweight_indicator: String,
    pub(super) payment_method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) special_instruction: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupRequestHeader {
    pub(super) transaction_reference: TransactionReference,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupShipper {
    pub(super) account: PickupAccount,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupAccount {
    pub(super) account_number: String,
    pub(super) account_country_code: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupDateInfo {
    pub(super) close_time: String,
    pub(super) ready_time: String,
    pub(super) pickup_date: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupAddress {
    pub(super) company_name: String,
    pub(super) contact_name: String,
    pub(super) address_line: Vec<String>,
    pub(super) city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) state_province: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) postal_code: Option<String>,
    pub(super) country_code: String,
    pub(super) residential_indicator: String,
    pub(super) phone: Phone,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupPiece {
    pub(super) service_code: String,
    pub(super) quantity: String,
    pub(super) destination_country_code: String,
    pub(super) container_code: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupWeight {
    pub(super) weight: String,
    pub(super) unit_of_measurement: String,
}

/// `PICKUPCreationResponseWrapper`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupCreationResponseWrapper {
    pub(super) pickup_creation_response: PickupCreationResponse,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupCreationResponse {
    #[serde(default)]
    pub(super) response: Response,
    #[serde(rename = "PRN")]
    pub(super) prn: Option<String>,
    pub(super) rate_status: Option<CodeDescIn>,
    pub(super) rate_result: Option<PickupRateResult>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupRateResult {
    pub(super) currency_code: Option<String>,
    pub(super) grand_total_of_all_charge: Option<String>,
}

/// `PICKUPCancelResponseWrapper`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupCancelResponseWrapper {
    pub(super) pickup_cancel_response: PickupCancelResponse,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PickupCancelResponse {
    #[serde(default)]
    pub(super) response: Response,
}
