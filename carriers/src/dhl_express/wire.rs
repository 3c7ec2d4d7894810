//! MyDHL API 3.1.1 wire types, in DHL's own field names (camelCase), for the requests we send
//! and the parts of the responses we read; plus the Unified Shipment Tracking response.
//! Specs: `../shared/carriers/dhl_express/openapi/mydhl-express-api-3.1.1.yaml` and
//! `unified-tracking/dhl-shipment-tracking-unified-1.4.1.yaml`. Never leaves the folder.
//!
//! Requests are strict: only what we mean to send, absent options omitted. Responses are
//! lenient: every field optional, a value of the wrong JSON type reads as absent (DHL's own
//! examples send `status` as a string where the published samples send a number), so only a
//! body that is not JSON fails here; `parse` decides whether what arrived is enough.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub(super) use crate::http::lenient::Num;
use crate::http::lenient::{decimal, list, object, text};

// ---------------------------------------------------------------------------------------------
// Requests

/// `supermodelIoLogisticsExpressAccount`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Account {
    pub type_code: &'static str,
    pub number: String,
}

/// `supermodelIoLogisticsExpressAddressRatesRequest`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateAddress {
    pub postal_code: String,
    pub city_name: String,
    pub country_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line3: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateCustomerDetails {
    pub shipper_details: RateAddress,
    pub receiver_details: RateAddress,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct Dimensions {
    pub length: Num,
    pub width: Num,
    pub height: Num,
}

/// `supermodelIoLogisticsExpressPackageRR`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct RatePackage {
    pub weight: Num,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<Dimensions>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MonetaryAmount {
    pub type_code: &'static str,
    pub value: Num,
    pub currency: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EstimatedDeliveryDate {
    pub is_requested: bool,
    pub type_code: &'static str,
}

/// `supermodelIoLogisticsExpressRateRequest` (`POST /rates`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateRequest {
    pub customer_details: RateCustomerDetails,
    pub accounts: Vec<Account>,
    pub planned_shipping_date_and_time: String,
    pub unit_of_measurement: &'static str,
    pub is_customs_declarable: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub monetary_amount: Vec<MonetaryAmount>,
    pub estimated_delivery_date: EstimatedDeliveryDate,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub value_added_services: Vec<RateValueAddedService>,
    pub packages: Vec<RatePackage>,
}

/// `supermodelIoLogisticsExpressAddressCreateShipmentRequest`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PostalAddress {
    pub postal_code: String,
    pub city_name: String,
    pub country_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province_code: Option<String>,
    pub address_line1: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_line3: Option<String>,
}

/// `supermodelIoLogisticsExpressContact`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Contact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub phone: String,
    pub company_name: String,
    pub full_name: String,
}

/// `supermodelIoLogisticsExpressRegistrationNumbers`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RegistrationNumber {
    pub type_code: &'static str,
    pub number: String,
    pub issuer_country_code: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Party {
    pub postal_address: PostalAddress,
    pub contact_information: Contact,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub registration_numbers: Vec<RegistrationNumber>,
    pub type_code: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipCustomerDetails {
    pub shipper_details: Party,
    pub receiver_details: Party,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Pickup {
    pub is_requested: bool,
}

/// `supermodelIoLogisticsExpressValueAddedServices` (`POST /shipments`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ValueAddedService {
    pub service_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dangerous_goods: Vec<DangerousGoods>,
}

impl ValueAddedService {
    /// A service with its code alone.
    pub(super) fn code(service_code: &'static str) -> Self {
        ValueAddedService {
            service_code,
            value: None,
            currency: None,
            dangerous_goods: Vec::new(),
        }
    }
}

/// `valueAddedServices[].dangerousGoods[]`: the content id of a dangerous-goods service
/// (`901` dry ice, `966`/`967` lithium ion, `969`/`970` lithium metal), with the dry ice's total net weight or the UN
/// numbers: the schema wants exactly one of `dryIceTotalNetWeight` and `unCodes`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DangerousGoods {
    pub content_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_ice_total_net_weight: Option<Num>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub un_codes: Vec<&'static str>,
}

/// `supermodelIoLogisticsExpressValueAddedServicesRates` (`POST /rates`, and
/// `shipmentDetails[]` of `POST /pickups`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateValueAddedService {
    pub service_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl From<&ValueAddedService> for RateValueAddedService {
    fn from(v: &ValueAddedService) -> Self {
        RateValueAddedService {
            service_code: v.service_code,
            value: v.value,
            currency: v.currency.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Pickups and address validation

/// `supermodelIoLogisticsExpressPickupRequest` (`POST /pickups`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupRequest {
    pub planned_pickup_date_and_time: String,
    pub close_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub location_type: &'static str,
    pub accounts: Vec<Account>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub special_instructions: Vec<SpecialInstruction>,
    pub customer_details: PickupCustomerDetails,
    pub shipment_details: Vec<PickupShipmentDetails>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct SpecialInstruction {
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupCustomerDetails {
    pub shipper_details: PickupParty,
}

/// `shipperDetails` of a pickup: `supermodelIoLogisticsExpressAddress` and `…Contact`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupParty {
    pub postal_address: PostalAddress,
    pub contact_information: Contact,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupShipmentDetails {
    pub product_code: String,
    pub is_customs_declarable: bool,
    pub unit_of_measurement: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_tracking_number: Option<String>,
    pub packages: Vec<RatePackage>,
}

/// `supermodelIoLogisticsExpressPickupResponse`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupResponse {
    #[serde(default, deserialize_with = "list")]
    pub dispatch_confirmation_numbers: Vec<String>,
    #[serde(default, deserialize_with = "text")]
    pub ready_by_time: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub next_pickup_date: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub warnings: Vec<String>,
}

/// `supermodelIoLogisticsExpressAddressValidateResponse` (`GET /address-validate`).
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct AddressValidateResponse {
    #[serde(default, deserialize_with = "list")]
    pub warnings: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    pub address: Vec<ValidatedAddress>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ValidatedAddress {
    #[serde(default, deserialize_with = "text")]
    pub country_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub postal_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub city_name: Option<String>,
    #[serde(default, deserialize_with = "object")]
    pub service_area: Option<PlaceServiceArea>,
}

/// `address[].serviceArea` of `/address-validate`.
#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct PlaceServiceArea {
    #[serde(default, deserialize_with = "text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub description: Option<String>,
    #[serde(default, rename = "GMTOffset", deserialize_with = "text")]
    pub gmt_offset: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ImageOption {
    pub type_code: &'static str,
    pub template_name: &'static str,
    pub is_requested: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OutputImageProperties {
    #[serde(rename = "printerDPI")]
    pub printer_dpi: u32,
    pub encoding_format: &'static str,
    pub image_options: Vec<ImageOption>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Reference {
    pub value: String,
    pub type_code: &'static str,
}

/// `supermodelIoLogisticsExpressPackage`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Package {
    pub weight: Num,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<Dimensions>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub customer_references: Vec<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Quantity {
    pub value: u32,
    pub unit_of_measurement: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CommodityCode {
    pub type_code: &'static str,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LineWeight {
    pub net_value: Num,
    pub gross_value: Num,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LineItem {
    pub number: u32,
    pub description: String,
    pub price: Num,
    pub quantity: Quantity,
    pub commodity_codes: Vec<CommodityCode>,
    pub manufacturer_country: String,
    pub weight: LineWeight,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Invoice {
    pub number: String,
    pub date: String,
}

/// `supermodelIoLogisticsExpressExportDeclaration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExportDeclaration {
    pub line_items: Vec<LineItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<Invoice>,
    pub export_reason_type: &'static str,
    pub shipment_type: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Content {
    pub packages: Vec<Package>,
    pub is_customs_declarable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_value: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_value_currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_declaration: Option<ExportDeclaration>,
    pub description: String,
    pub incoterm: &'static str,
    pub unit_of_measurement: &'static str,
}

/// `supermodelIoLogisticsExpressCreateShipmentRequest` (`POST /shipments`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipmentRequest {
    pub planned_shipping_date_and_time: String,
    pub pickup: Pickup,
    pub product_code: String,
    pub get_rate_estimates: bool,
    pub accounts: Vec<Account>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub value_added_services: Vec<ValueAddedService>,
    pub output_image_properties: OutputImageProperties,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub customer_references: Vec<Reference>,
    pub customer_details: ShipCustomerDetails,
    pub content: Content,
}

// ---------------------------------------------------------------------------------------------
// Lenient readers for responses

// ---------------------------------------------------------------------------------------------
// Responses: rates

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateResponse {
    #[serde(default, deserialize_with = "list")]
    pub products: Vec<Product>,
    #[serde(default, deserialize_with = "list")]
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Product {
    #[serde(default, deserialize_with = "text")]
    pub product_code: Option<String>,
    #[serde(default)]
    pub weight: Option<ProductWeight>,
    #[serde(default, deserialize_with = "list")]
    pub total_price: Vec<Price>,
    #[serde(default, deserialize_with = "list")]
    pub total_price_breakdown: Vec<PriceBreakdown>,
    #[serde(default, deserialize_with = "list")]
    pub detailed_price_breakdown: Vec<DetailedBreakdown>,
    #[serde(default)]
    pub delivery_capabilities: Option<DeliveryCapabilities>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ProductWeight {
    #[serde(default, deserialize_with = "decimal")]
    pub volumetric: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub provided: Option<Decimal>,
    #[serde(default, deserialize_with = "text")]
    pub unit_of_measurement: Option<String>,
}

/// One `totalPrice[]` / `shipmentCharges[]` entry.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Price {
    #[serde(default, deserialize_with = "text")]
    pub currency_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub price_currency: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
    /// `shipmentCharges[].serviceBreakdown` (ship response only).
    #[serde(default, deserialize_with = "list")]
    pub service_breakdown: Vec<ServiceCharge>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ServiceCharge {
    #[serde(default, deserialize_with = "text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "text")]
    pub type_code: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PriceBreakdown {
    #[serde(default, deserialize_with = "text")]
    pub currency_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub price_currency: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub price_breakdown: Vec<TypedPrice>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TypedPrice {
    #[serde(default, deserialize_with = "text")]
    pub type_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub price_type: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DetailedBreakdown {
    #[serde(default, deserialize_with = "text")]
    pub currency_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub price_currency: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub breakdown: Vec<DetailedItem>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DetailedItem {
    #[serde(default, deserialize_with = "text")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub service_code: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "list")]
    pub price_breakdown: Vec<TypedPrice>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeliveryCapabilities {
    #[serde(default, deserialize_with = "text")]
    pub estimated_delivery_date_and_time: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub total_transit_days: Option<Decimal>,
}

// ---------------------------------------------------------------------------------------------
// Responses: shipments

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipmentResponse {
    #[serde(default, deserialize_with = "text")]
    pub shipment_tracking_number: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub packages: Vec<ShippedPackage>,
    #[serde(default, deserialize_with = "list")]
    pub documents: Vec<Document>,
    #[serde(default, deserialize_with = "list")]
    pub shipment_charges: Vec<Price>,
    #[serde(default, deserialize_with = "list")]
    pub warnings: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShippedPackage {
    #[serde(default, deserialize_with = "decimal")]
    pub reference_number: Option<Decimal>,
    #[serde(default, deserialize_with = "text")]
    pub tracking_number: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub documents: Vec<Document>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Document {
    #[serde(default, deserialize_with = "text")]
    pub image_format: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub content: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub type_code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Responses: tracking (MyDHL)

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackingResponse {
    #[serde(default, deserialize_with = "list")]
    pub shipments: Vec<TrackedShipment>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackedShipment {
    #[serde(default, deserialize_with = "text")]
    pub shipment_tracking_number: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub events: Vec<Event>,
    #[serde(default, deserialize_with = "list")]
    pub pieces: Vec<TrackedPiece>,
    #[serde(default, deserialize_with = "text")]
    pub estimated_delivery_date: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackedPiece {
    #[serde(default, deserialize_with = "text")]
    pub tracking_number: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub events: Vec<Event>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct Event {
    #[serde(default, deserialize_with = "text")]
    pub date: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub time: Option<String>,
    #[serde(rename = "GMTOffset", default, deserialize_with = "text")]
    pub gmt_offset: Option<String>,
    #[serde(rename = "typeCode", default, deserialize_with = "text")]
    pub type_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub description: Option<String>,
    #[serde(rename = "serviceArea", default, deserialize_with = "list")]
    pub service_area: Vec<ServiceArea>,
    /// Who signed; may be left empty for GDPR (mydhl-express-api-3.1.1.yaml).
    #[serde(rename = "signedBy", default, deserialize_with = "text")]
    pub signed_by: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct ServiceArea {
    #[serde(default, deserialize_with = "text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub description: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Responses: Unified Shipment Tracking

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct UnifiedResponse {
    #[serde(default, deserialize_with = "list")]
    pub shipments: Vec<UnifiedShipment>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UnifiedShipment {
    #[serde(default, deserialize_with = "text")]
    pub id: Option<String>,
    #[serde(default)]
    pub status: Option<UnifiedEvent>,
    #[serde(default, deserialize_with = "list")]
    pub events: Vec<UnifiedEvent>,
    #[serde(default, deserialize_with = "text")]
    pub estimated_time_of_delivery: Option<String>,
    #[serde(default)]
    pub details: Option<UnifiedDetails>,
}

/// `details`: only `proofOfDelivery.signed` (a Person) is read.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UnifiedDetails {
    #[serde(default)]
    pub proof_of_delivery: Option<UnifiedProofOfDelivery>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct UnifiedProofOfDelivery {
    #[serde(default)]
    pub signed: Option<UnifiedPerson>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct UnifiedPerson {
    #[serde(default, deserialize_with = "text")]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UnifiedEvent {
    #[serde(default, deserialize_with = "text")]
    pub timestamp: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub status_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub description: Option<String>,
    #[serde(default)]
    pub location: Option<UnifiedPlace>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(super) struct UnifiedPlace {
    #[serde(default)]
    pub address: Option<UnifiedAddress>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UnifiedAddress {
    #[serde(default, deserialize_with = "text")]
    pub country_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub postal_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub address_locality: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Errors

/// `supermodelIoLogisticsExpressErrorResponse` (MyDHL) and the Unified API's problem detail.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ErrorResponse {
    #[serde(default, deserialize_with = "text")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub detail: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub additional_details: Vec<String>,
}
