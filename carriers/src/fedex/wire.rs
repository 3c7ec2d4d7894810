//! FedEx REST wire types, in FedEx's own field names (camelCase), for the requests we send and
//! the parts of the responses we read. Specs: `../shared/carriers/fedex/openapi/` (rate-api,
//! ship-api, track-api, authorization-api, address-validation-api, pickup-api,
//! service-availability-special-service-options). These types never leave the `fedex` folder.
//!
//! Requests are strict: only what we mean to send, absent options omitted. Responses are
//! lenient: every field is optional and a value of the wrong JSON type reads as absent (FedEx's
//! own samples carry `"amount": "string"` placeholders and `alerts` as a bare string), so a
//! response only fails to parse when it is not JSON at all; whether it has what an operation
//! needs is decided by that operation's `parse`, which answers `Protocol` when it does not.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

pub(super) use crate::http::lenient::Num;
use crate::http::lenient::{count, decimal, flag, list, object, text};

// ---------------------------------------------------------------------------------------------
// Shared request pieces

/// `{"value": "740561073"}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct AccountNumber {
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Address {
    /// Ship only: Rate's schema has no street lines (it prices by postal code and the
    /// residential flag).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub street_lines: Vec<String>,
    pub city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_or_province_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    pub country_code: String,
    pub residential: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Contact {
    pub person_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    pub phone_number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

/// Tax identification number (EORI, VAT, IOSS) of a party.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Tin {
    pub number: String,
    pub tin_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<&'static str>,
}

/// Shipper or recipient. Rate sends the address only; Ship adds contact and tins.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Party {
    pub address: Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tins: Vec<Tin>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct Weight {
    /// `LB` or `KG`.
    pub units: &'static str,
    pub value: Num,
}

/// FedEx takes whole numbers for dimensions (`integer`, int32 in both specs).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct Dimensions {
    pub length: u32,
    pub width: u32,
    pub height: u32,
    /// `IN` or `CM`.
    pub units: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct Money {
    pub amount: Num,
    pub currency: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CustomerReference {
    pub customer_reference_type: &'static str,
    pub value: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PackageLineItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_package_count: Option<u32>,
    pub weight: Weight,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dimensions: Option<Dimensions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub customer_references: Vec<CustomerReference>,
    /// `declaredValue` (Money), FedEx's liability for this package (both specs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_value: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_special_services: Option<PackageSpecialServices>,
}

/// `PackageSpecialServicesRequested` (rate-api.json and ship-api.json): signature, dry ice,
/// batteries. Type names from the "Package Level Special Service Types" reference table.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PackageSpecialServices {
    pub special_service_types: Vec<&'static str>,
    /// `ADULT`, `DIRECT`, `INDIRECT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_option_type: Option<&'static str>,
    /// KG (both specs: "For Dry Ice the unit of measure is KG").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_ice_weight: Option<Weight>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub battery_details: Vec<BatteryDetail>,
}

/// The two specs name the same battery facts differently: Rate's `BatteryClassificationDetail`
/// (`packing`, `regulatorySubType`), Ship's `BatteryDetail` (`batteryPackingType`,
/// `batteryRegulatoryType`), and the material (`material` / `batteryMaterialType`:
/// `LITHIUM_ION`, `LITHIUM_METAL`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub(super) enum BatteryDetail {
    #[serde(rename_all = "camelCase")]
    Rate {
        material: &'static str,
        packing: &'static str,
        regulatory_sub_type: &'static str,
    },
    #[serde(rename_all = "camelCase")]
    Ship {
        battery_material_type: &'static str,
        battery_packing_type: &'static str,
        battery_regulatory_type: &'static str,
    },
}

/// `ShipmentSpecialServicesRequested` (both specs): Saturday delivery, dry ice, returns.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipmentSpecialServices {
    pub special_service_types: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_shipment_detail: Option<ReturnShipmentDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_dry_ice_detail: Option<ShipmentDryIceDetail>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReturnShipmentDetail {
    /// `PRINT_RETURN_LABEL`.
    pub return_type: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipmentDryIceDetail {
    pub total_weight: Weight,
    pub package_count: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResponsibleParty {
    pub account_number: AccountNumber,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Payor {
    pub responsible_party: ResponsibleParty,
}

/// Who pays: `shippingChargesPayment` and `dutiesPayment`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Payment {
    pub payment_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payor: Option<Payor>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CommercialInvoice {
    pub shipment_purpose: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms_of_sale: Option<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Commodity {
    pub description: String,
    pub country_of_manufacture: String,
    pub harmonized_code: String,
    pub quantity: u32,
    pub quantity_units: &'static str,
    pub number_of_pieces: u32,
    pub unit_price: Money,
    pub customs_value: Money,
    pub weight: Weight,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part_number: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CustomsClearanceDetail {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duties_payment: Option<Payment>,
    /// Ship only (not in Rate's schema).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_document_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commercial_invoice: Option<CommercialInvoice>,
    pub commodities: Vec<Commodity>,
    /// Ship only (not in Rate's schema).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_customs_value: Option<Money>,
}

// ---------------------------------------------------------------------------------------------
// Rate request (`Full_Schema_Quote_Rate` in rate-api.json)

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateRequest {
    pub account_number: AccountNumber,
    pub rate_request_control_parameters: RateRequestControlParameters,
    pub requested_shipment: RateShipment,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateRequestControlParameters {
    pub return_transit_times: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateShipment {
    pub shipper: Party,
    pub recipient: Party,
    /// Absent: FedEx quotes every service available on the lane.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_type: Option<String>,
    pub pickup_type: String,
    pub packaging_type: &'static str,
    pub rate_request_type: Vec<&'static str>,
    /// The currency `PREFERRED` rates come in; account rates stay in the billing currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_currency: Option<&'static str>,
    /// Rate spells it `shipDateStamp`, Ship `shipDatestamp`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_date_stamp: Option<String>,
    pub total_package_count: u32,
    pub total_weight: Num,
    pub requested_package_line_items: Vec<PackageLineItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customs_clearance_detail: Option<CustomsClearanceDetail>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_special_services: Option<ShipmentSpecialServices>,
}

// ---------------------------------------------------------------------------------------------
// Ship request (`Full_Schema_Ship` in ship-api.json)

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipRequest {
    pub label_response_options: &'static str,
    pub account_number: AccountNumber,
    pub requested_shipment: ShipShipment,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipShipment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_datestamp: Option<String>,
    pub shipper: Party,
    pub recipients: Vec<Party>,
    pub pickup_type: String,
    pub service_type: String,
    pub packaging_type: &'static str,
    pub total_weight: Num,
    pub total_package_count: u32,
    pub shipping_charges_payment: Payment,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shipment_special_services: Option<ShipmentSpecialServices>,
    pub label_specification: LabelSpecification,
    pub rate_request_type: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customs_clearance_detail: Option<CustomsClearanceDetail>,
    pub requested_package_line_items: Vec<PackageLineItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct LabelSpecification {
    pub label_format_type: &'static str,
    pub image_type: &'static str,
    pub label_stock_type: &'static str,
}

// ---------------------------------------------------------------------------------------------
// Cancel request (`Full_Schema_Cancel_Shipment` in ship-api.json)

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CancelRequest {
    pub account_number: AccountNumber,
    pub email_shipment: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_country_code: Option<String>,
    pub deletion_control: &'static str,
    pub tracking_number: String,
}

// ---------------------------------------------------------------------------------------------
// Track request (`Full_Schema_Tracking_Numbers` in track-api.json)

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackRequest {
    pub include_detailed_scans: bool,
    pub tracking_info: Vec<TrackingInfo>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackingInfo {
    /// `YYYY-MM-DD`; with `ship_date_end`, narrows a reused number to the shipments of
    /// those days ("recommended … to avoid duplicates", track-api.json).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_date_begin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_date_end: Option<String>,
    pub tracking_number_info: TrackingNumberInfo,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackingNumberInfo {
    pub tracking_number: String,
}

// ---------------------------------------------------------------------------------------------
// Address validation request (`Full_Schema_Validate_Address` in address-validation-api.json)

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AddressValidationRequest {
    pub addresses_to_validate: Vec<ResolveContactAndAddress>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct ResolveContactAndAddress {
    pub address: ValidateAddress,
}

/// `Address` of address-validation-api.json: no `residential` (that is what FedEx answers).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ValidateAddress {
    pub street_lines: Vec<String>,
    pub city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_or_province_code: Option<String>,
    /// The schema lists it as required, yet its `city` note says "City is mandatory, When
    /// postalcode is not provided": left out for a country without postal codes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    pub country_code: String,
}

// ---------------------------------------------------------------------------------------------
// Pickup requests (`Full_Schema_Create_Pickup`, `Full_Schema_Cancel_Pickup` in pickup-api.json)

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreatePickupRequest {
    pub associated_account_number: AccountNumber,
    pub origin_detail: PickupOriginDetail,
    pub total_weight: Weight,
    pub package_count: u32,
    /// `FDXE` or `FDXG`.
    pub carrier_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_relationships: Option<&'static str>,
    pub pickup_type: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupOriginDetail {
    pub pickup_address_type: &'static str,
    pub pickup_location: PickupLocation,
    /// `YYYY-MM-DDTHH:MM:SS`, local to the pickup, no zone designator.
    pub ready_date_timestamp: String,
    /// `HH:MM:SS`, local.
    pub customer_close_time: String,
    /// "Mandatory for Ground Pickup".
    pub package_location: &'static str,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct PickupLocation {
    pub contact: PickupContact,
    pub address: PickupAddress,
}

/// `PickupLocationParty_address`: no residential flag (the generic `Address` it is combined
/// with has one; the pickup location's own schema does not).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupAddress {
    pub street_lines: Vec<String>,
    pub city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_or_province_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    pub country_code: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PickupContact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    pub person_name: String,
    pub phone_number: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CancelPickupRequest {
    pub associated_account_number: AccountNumber,
    pub pickup_confirmation_code: String,
    pub carrier_code: &'static str,
    /// `YYYY-MM-DD`.
    pub scheduled_date: String,
    /// Required for Express pickups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Special service options request (`Full_Schema_Special_Service_Options` in
// service-availability-special-service-options.json)

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SpecialServiceOptionsRequest {
    pub requested_shipment: OptionsShipment,
    pub account_number: AccountNumber,
    pub carrier_codes: Vec<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OptionsShipment {
    pub shipper: OptionsParty,
    pub recipient: OptionsParty,
    pub service_type: String,
    pub packaging_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ship_date_stamp: Option<String>,
    pub requested_package_line_items: Vec<OptionsPackage>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct OptionsParty {
    pub address: OptionsAddress,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OptionsAddress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    pub country_code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_or_province_code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(super) struct OptionsPackage {
    pub weight: Weight,
}

// ---------------------------------------------------------------------------------------------
// Lenient readers for responses

/// `alerts`: a list of alert objects, or (track sample) one bare string.
fn alerts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Alert>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        Value::String(s) => vec![Alert {
            code: None,
            alert_type: None,
            message: Some(s),
        }],
        _ => Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Shared response pieces

/// An entry of `errors[]` (ErrorResponseVO) or a per-item `error`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ApiError {
    #[serde(default, deserialize_with = "text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub parameter_list: Vec<Parameter>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(super) struct Parameter {
    #[serde(default, deserialize_with = "text")]
    pub key: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub value: Option<String>,
}

/// The error envelope every FedEx API answers with on 4xx/5xx (and, rarely, on 200).
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ErrorResponse {
    #[serde(default, deserialize_with = "text")]
    pub transaction_id: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub errors: Vec<ApiError>,
}

/// A NOTE / WARNING attached to a successful answer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Alert {
    #[serde(default, deserialize_with = "text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub alert_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub message: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
pub(super) struct WeightValue {
    #[serde(default, deserialize_with = "text")]
    pub units: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub value: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Surcharge {
    /// Rate says `type`, Ship `surchargeType`.
    #[serde(
        default,
        rename = "type",
        alias = "surchargeType",
        deserialize_with = "text"
    )]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub amount: Option<Decimal>,
}

// ---------------------------------------------------------------------------------------------
// OAuth token response (authorization-api.json `Response`)

// ---------------------------------------------------------------------------------------------
// Rate response (rate-api.json `RatcResponseVO`). The `errors` list of every response is
// read by `mod.rs` through `ErrorResponse` before these types see the body.

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateResponse {
    #[serde(default, deserialize_with = "object")]
    pub output: Option<RateOutput>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateOutput {
    #[serde(default, deserialize_with = "list")]
    pub rate_reply_details: Vec<RateReplyDetail>,
    #[serde(default, deserialize_with = "alerts")]
    pub alerts: Vec<Alert>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RateReplyDetail {
    #[serde(default, deserialize_with = "text")]
    pub service_type: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub rated_shipment_details: Vec<RatedShipmentDetail>,
    #[serde(default, deserialize_with = "object")]
    pub commit: Option<Commit>,
    #[serde(default, deserialize_with = "object")]
    pub operational_detail: Option<OperationalDetail>,
    #[serde(default, deserialize_with = "list")]
    pub customer_messages: Vec<Alert>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RatedShipmentDetail {
    #[serde(default, deserialize_with = "text")]
    pub rate_type: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub total_base_charge: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub total_discounts: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub total_net_charge: Option<Decimal>,
    #[serde(default, deserialize_with = "text")]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "object")]
    pub shipment_rate_detail: Option<ShipmentRateDetail>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipmentRateDetail {
    #[serde(
        default,
        rename = "surCharges",
        alias = "surcharges",
        deserialize_with = "list"
    )]
    pub surcharges: Vec<Surcharge>,
    #[serde(default, deserialize_with = "list")]
    pub taxes: Vec<Surcharge>,
    #[serde(default, deserialize_with = "object")]
    pub total_billing_weight: Option<WeightValue>,
    #[serde(default, deserialize_with = "text")]
    pub currency: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Commit {
    /// `TWO_DAYS`…
    #[serde(default, deserialize_with = "text")]
    pub days_in_transit: Option<String>,
    #[serde(default, deserialize_with = "object")]
    pub date_detail: Option<DateDetail>,
    #[serde(default, deserialize_with = "text")]
    pub guaranteed_type: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DateDetail {
    /// `2020-07-16T10:30:00`
    #[serde(default, deserialize_with = "text")]
    pub day_format: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OperationalDetail {
    /// Ground services: `THREE_DAYS`…
    #[serde(default, deserialize_with = "text")]
    pub transit_time: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub delivery_date: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Ship response (ship-api.json `SHPCResponseVO_ShipShipment`)

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipResponse {
    #[serde(default, deserialize_with = "object")]
    pub output: Option<ShipOutput>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipOutput {
    #[serde(default, deserialize_with = "list")]
    pub transaction_shipments: Vec<TransactionShipment>,
    #[serde(default, deserialize_with = "alerts")]
    pub alerts: Vec<Alert>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TransactionShipment {
    #[serde(default, deserialize_with = "text")]
    pub master_tracking_number: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub piece_responses: Vec<PieceResponse>,
    #[serde(default, deserialize_with = "object")]
    pub completed_shipment_detail: Option<CompletedShipmentDetail>,
    #[serde(default, deserialize_with = "alerts")]
    pub alerts: Vec<Alert>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PieceResponse {
    #[serde(default, deserialize_with = "text")]
    pub tracking_number: Option<String>,
    #[serde(default, deserialize_with = "count")]
    pub package_sequence_number: Option<u64>,
    #[serde(default, deserialize_with = "list")]
    pub package_documents: Vec<PackageDocument>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PackageDocument {
    #[serde(default, deserialize_with = "text")]
    pub content_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub doc_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub encoded_label: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CompletedShipmentDetail {
    #[serde(default, deserialize_with = "object")]
    pub shipment_rating: Option<ShipmentRating>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipmentRating {
    #[serde(default, deserialize_with = "text")]
    pub actual_rate_type: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub shipment_rate_details: Vec<ShipmentRateDetails>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ShipmentRateDetails {
    #[serde(default, deserialize_with = "text")]
    pub rate_type: Option<String>,
    #[serde(default, deserialize_with = "decimal")]
    pub total_base_charge: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub total_freight_discounts: Option<Decimal>,
    #[serde(default, deserialize_with = "decimal")]
    pub total_net_charge: Option<Decimal>,
    #[serde(default, deserialize_with = "list")]
    pub surcharges: Vec<Surcharge>,
    #[serde(default, deserialize_with = "list")]
    pub taxes: Vec<Surcharge>,
    #[serde(default, deserialize_with = "text")]
    pub currency: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Cancel response (ship-api.json `SHPCResponseVO_CancelShipment`)

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CancelResponse {
    #[serde(default, deserialize_with = "object")]
    pub output: Option<CancelOutput>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CancelOutput {
    #[serde(default, deserialize_with = "flag")]
    pub cancelled_shipment: Option<bool>,
    #[serde(default, deserialize_with = "text")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "alerts")]
    pub alerts: Vec<Alert>,
}

// ---------------------------------------------------------------------------------------------
// Track response (track-api.json `TrkcResponseVO_TrackingNumber`)

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackResponse {
    #[serde(default, deserialize_with = "object")]
    pub output: Option<TrackOutput>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackOutput {
    #[serde(default, deserialize_with = "list")]
    pub complete_track_results: Vec<CompleteTrackResult>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CompleteTrackResult {
    #[serde(default, deserialize_with = "text")]
    pub tracking_number: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub track_results: Vec<TrackResult>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackResult {
    #[serde(default, deserialize_with = "object")]
    pub tracking_number_info: Option<TrackedNumberInfo>,
    #[serde(default, deserialize_with = "object")]
    pub latest_status_detail: Option<StatusDetail>,
    #[serde(default, deserialize_with = "list")]
    pub scan_events: Vec<ScanEvent>,
    #[serde(default, deserialize_with = "list")]
    pub date_and_times: Vec<DateAndTime>,
    #[serde(default, deserialize_with = "object")]
    pub estimated_delivery_time_window: Option<TimeWindow>,
    #[serde(default, deserialize_with = "object")]
    pub delivery_details: Option<DeliveryDetails>,
    #[serde(default, deserialize_with = "object")]
    pub error: Option<ApiError>,
}

/// track-api.json `TrackingNumberInfo` in an answer: `trackingNumberUniqueId` tells apart
/// shipments that reuse one number.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackedNumberInfo {
    #[serde(default, deserialize_with = "text")]
    pub tracking_number_unique_id: Option<String>,
}

/// track-api.json `DeliveryDetails` (only the names of who signed and who received).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeliveryDetails {
    #[serde(default, deserialize_with = "text")]
    pub signed_by_name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub received_by_name: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StatusDetail {
    #[serde(default, deserialize_with = "text")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub derived_code: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ScanEvent {
    /// ISO 8601 with offset: `2018-02-02T12:01:00-07:00`.
    #[serde(default, deserialize_with = "text")]
    pub date: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub event_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub event_description: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub derived_status_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub exception_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub exception_description: Option<String>,
    #[serde(default, deserialize_with = "object")]
    pub scan_location: Option<ScanLocation>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ScanLocation {
    #[serde(default, deserialize_with = "text")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub state_or_province_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub postal_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub country_code: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DateAndTime {
    #[serde(default, rename = "type", deserialize_with = "text")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub date_time: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct TimeWindow {
    #[serde(default, deserialize_with = "object")]
    pub window: Option<Window>,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct Window {
    #[serde(default, deserialize_with = "text")]
    pub begins: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub ends: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Address validation response (address-validation-api.json `AdvcResponseVO`)

#[derive(Clone, Debug, Deserialize)]
pub(super) struct AddressValidationResponse {
    #[serde(default, deserialize_with = "object")]
    pub output: Option<AddressValidationOutput>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AddressValidationOutput {
    #[serde(default, deserialize_with = "list")]
    pub resolved_addresses: Vec<ResolvedAddress>,
    #[serde(default, deserialize_with = "alerts")]
    pub alerts: Vec<Alert>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResolvedAddress {
    #[serde(default, deserialize_with = "strings")]
    pub street_lines_token: Vec<String>,
    #[serde(default, deserialize_with = "text")]
    pub city: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub state_or_province_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub country_code: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub city_token: Vec<ResolutionToken>,
    #[serde(default, deserialize_with = "object")]
    pub postal_code_token: Option<ResolutionToken>,
    #[serde(default, deserialize_with = "object")]
    pub parsed_postal_code: Option<ParsedPostalCode>,
    #[serde(default, deserialize_with = "text")]
    pub classification: Option<String>,
    #[serde(default, deserialize_with = "customer_messages")]
    pub customer_message: Vec<String>,
    /// Named flags (`Resolved`, `DPV`, `MultipleMatches`, …): booleans in the spec, the
    /// strings `"true"`/`"false"` in FedEx's live answers; both read.
    #[serde(default, deserialize_with = "attributes")]
    pub attributes: Vec<(String, Value)>,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct ResolutionToken {
    #[serde(default, deserialize_with = "flag")]
    pub changed: Option<bool>,
    #[serde(default, deserialize_with = "text")]
    pub value: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ParsedPostalCode {
    #[serde(default, deserialize_with = "text")]
    pub base: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub add_on: Option<String>,
}

fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    })
}

/// `customerMessage[]`: the spec leaves its items untyped; they are codes
/// (`INTERPOLATED.STREET.ADDRESS`) as strings or `{"code": …, "message": …}` objects.
fn customer_messages<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s),
                Value::Object(o) => o.get("code")?.as_str().map(str::to_string),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

fn attributes<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<(String, Value)>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Object(map) => map.into_iter().collect(),
        _ => Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Pickup responses (pickup-api.json `PudcResponseVO_CreatePickup`, `…_CancelPickup`)

#[derive(Clone, Debug, Deserialize)]
pub(super) struct CreatePickupResponse {
    #[serde(default, deserialize_with = "object")]
    pub output: Option<CreatePickupOutput>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreatePickupOutput {
    #[serde(default, deserialize_with = "text")]
    pub pickup_confirmation_code: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub location: Option<String>,
    #[serde(default, deserialize_with = "alerts")]
    pub alerts: Vec<Alert>,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct CancelPickupResponse {
    #[serde(default, deserialize_with = "object")]
    pub output: Option<CancelPickupOutput>,
}

/// `pickupConfirmationCode`, `cancelConfirmationMessage`, `alerts`: an output at all is the
/// confirmation, and nothing in it changes what the caller does.
#[derive(Clone, Debug, Deserialize)]
pub(super) struct CancelPickupOutput {}

// ---------------------------------------------------------------------------------------------
// Special service options response (`AvailabilitycxsResponseVO`)

#[derive(Clone, Debug, Deserialize)]
pub(super) struct SpecialServiceOptionsResponse {
    #[serde(default, deserialize_with = "object")]
    pub output: Option<SpecialServiceOptionsOutput>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SpecialServiceOptionsOutput {
    #[serde(default, deserialize_with = "list")]
    pub service_options_list: Vec<OptionalServices>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OptionalServices {
    #[serde(default, deserialize_with = "text")]
    pub service_type: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub signature_options_list: Vec<CodeText>,
    #[serde(default, deserialize_with = "list")]
    pub package_special_services_list: Vec<SpecialServiceOption>,
    #[serde(default, deserialize_with = "list")]
    pub shipment_special_services_list: Vec<SpecialServiceOption>,
    #[serde(default, deserialize_with = "strings")]
    pub return_shipment_list: Vec<String>,
    #[serde(default, deserialize_with = "list")]
    pub battery_option_list: Vec<BatteryOption>,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct CodeText {
    /// The spec's own example spells the key `code:`; both are read.
    #[serde(default, alias = "code:", deserialize_with = "text")]
    pub code: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SpecialServiceOption {
    #[serde(default, deserialize_with = "text")]
    pub special_service_type: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BatteryOption {
    #[serde(default, deserialize_with = "text")]
    pub battery_packing_type: Option<String>,
    #[serde(default, deserialize_with = "text")]
    pub battery_material_type: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn numbers_are_sent_as_integers_or_shortest_doubles() {
        let v = serde_json::to_value([
            Num(dec!(22)),
            Num(dec!(5.50)),
            Num(dec!(12.45)),
            Num(dec!(0.1)),
        ])
        .unwrap();
        assert_eq!(v.to_string(), "[22,5.5,12.45,0.1]");
    }

    #[test]
    fn amounts_are_read_exactly_and_placeholders_read_as_absent() {
        let s: Surcharge = serde_json::from_str(r#"{"type":"FUEL","amount":954.17}"#).unwrap();
        assert_eq!(s.amount, Some(dec!(954.17)));
        let s: Surcharge =
            serde_json::from_str(r#"{"surchargeType":"FUEL","amount":"string"}"#).unwrap();
        assert_eq!((s.kind.as_deref(), s.amount), (Some("FUEL"), None));
        let s: Surcharge = serde_json::from_str(r#"{"amount":"12.30"}"#).unwrap();
        assert_eq!(s.amount, Some(dec!(12.30)));
    }

    #[test]
    fn alerts_may_be_a_bare_string() {
        let o: CancelOutput = serde_json::from_str(
            r#"{"alerts":"TRACKING.DATA.NOTFOUND -  Tracking data unavailable"}"#,
        )
        .unwrap();
        assert_eq!(o.alerts.len(), 1);
        assert!(
            o.alerts[0]
                .message
                .as_deref()
                .unwrap()
                .starts_with("TRACKING.DATA.NOTFOUND")
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Ground End of Day Close (`PUT /ship/v1/endofday/`, `FullSchema_GEOD_PUT` and
// `SHPCResponseVO` of FedEx's "Ship EndofDayClose API"; see fixtures/SOURCES.md)

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EndOfDayCloseRequest {
    /// `GCDR` (a Ground close; `RGCDR` is a reprint).
    pub close_req_type: &'static str,
    /// `GROUND`, the only category.
    pub ground_service_category: &'static str,
    pub account_number: AccountNumber,
    /// `YYYY-MM-DD`.
    pub close_date: String,
    pub close_document_specification: CloseDocumentSpecification,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CloseDocumentSpecification {
    /// `MANIFEST` (the Ground manifest for the driver); `OP_950` is the hazmat report.
    pub close_document_types: Vec<&'static str>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EndOfDayCloseResponse {
    #[serde(default, deserialize_with = "text")]
    pub transaction_id: Option<String>,
    #[serde(default, deserialize_with = "object")]
    pub output: Option<EndOfDayCloseOutput>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct EndOfDayCloseOutput {
    #[serde(default, deserialize_with = "alerts")]
    pub alerts: Vec<Alert>,
    #[serde(default, deserialize_with = "list")]
    pub close_documents: Vec<CloseDocument>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CloseDocument {
    /// `MANIFEST` or `OP_950`.
    #[serde(default, rename = "type", deserialize_with = "text")]
    pub kind: Option<String>,
    /// "Identifies the shipping cycle covered by the content of this document."
    #[serde(default, deserialize_with = "text")]
    pub shipping_cycle: Option<String>,
    #[serde(default, deserialize_with = "list")]
    pub parts: Vec<DocumentPart>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DocumentPart {
    #[serde(default, deserialize_with = "count")]
    pub document_part_sequence_number: Option<u64>,
    /// Base64 "graphic or printer commands for this image".
    #[serde(default, deserialize_with = "text")]
    pub image: Option<String>,
}
