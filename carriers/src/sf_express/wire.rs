//! SF's messages (`msgData`) as serde types, named as SF names them. Requests follow the SDK
//! samples in `../shared/carriers/sf_express/samples/`; answers are read leniently (SF writes
//! numbers as strings and the reverse), and a field we cannot read reads as absent.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::lenient::{self, Num};

/// The platform's envelope.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ApiResponse {
    #[serde(default, deserialize_with = "lenient::text")]
    pub(super) api_result_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub(super) api_error_msg: Option<String>,
    /// The service's answer, itself JSON in a string.
    #[serde(default, deserialize_with = "lenient::text")]
    pub(super) api_result_data: Option<String>,
}

/// `apiResultData` once parsed.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResultData {
    #[serde(default, deserialize_with = "lenient::flag")]
    pub(super) success: Option<bool>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) error_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) error_msg: Option<String>,
    #[serde(default)]
    pub(super) msg_data: Option<Value>,
    /// Where cloud print puts its answer instead of `msgData`.
    #[serde(default)]
    pub(super) obj: Option<Value>,
}

/// One party of an order (`contactInfoList[]`): `contactType` 1 sender, 2 receiver.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ContactInfo {
    pub(super) contact_type: u8,
    pub(super) contact: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) company: Option<String>,
    /// ISO 3166 code; sent on cross-border orders only (the domestic sample has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) mobile: Option<String>,
    pub(super) province: String,
    pub(super) city: String,
    pub(super) county: String,
    pub(super) address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) post_code: Option<String>,
}

/// `cargoDetails[]`: one per parcel on a domestic order, one per customs item on a
/// cross-border one, where `count`, `unit`, `weight` (of one unit), `amount` (unit price),
/// `currency` and `sourceArea` (origin country) are required for the declaration and `hsCode`
/// is optional (SOURCES.md).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CargoDetail {
    pub(super) name: String,
    pub(super) count: Num,
    pub(super) unit: &'static str,
    /// kg.
    pub(super) weight: Num,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) amount: Option<Num>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) source_area: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) hs_code: Option<String>,
}

/// `customsInfo` of a cross-border order: the declared value of the whole order and its
/// currency, and who pays duties and taxes (`taxPayMethod` 1 the sender, 2 the receiver).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CustomsInfo {
    pub(super) declared_value: Num,
    pub(super) declared_value_currency: String,
    pub(super) tax_pay_method: u8,
}

/// `EXP_RECE_CREATE_ORDER` (sample request-01).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateOrder {
    pub(super) language: &'static str,
    pub(super) order_id: String,
    pub(super) monthly_card: String,
    pub(super) express_type_id: u32,
    pub(super) pay_method: u8,
    pub(super) parcel_qty: usize,
    pub(super) total_weight: Num,
    pub(super) is_oneself_pickup: u8,
    pub(super) contact_info_list: Vec<ContactInfo>,
    pub(super) cargo_details: Vec<CargoDetail>,
    pub(super) customs_info: Value,
    pub(super) extra_info_list: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) remark: Option<String>,
}

/// A party of a service-area check (`contactInfos[]`, sample request-04).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FilterContact {
    pub(super) contact_type: u8,
    pub(super) country: String,
    pub(super) province: String,
    pub(super) city: String,
    pub(super) county: String,
    pub(super) address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) tel: Option<String>,
}

/// `EXP_RECE_FILTER_ORDER_BSP`: a list of these (sample request-04).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FilterOrder {
    pub(super) filter_type: u8,
    pub(super) order_id: String,
    pub(super) contact_infos: Vec<FilterContact>,
}

/// `EXP_RECE_UPDATE_ORDER` (sample request-03).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateOrder {
    pub(super) deal_type: u8,
    pub(super) order_id: String,
}

/// `EXP_RECE_SEARCH_ORDER_RESP` (sample request-02).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SearchOrder {
    pub(super) search_type: &'static str,
    pub(super) order_id: String,
    pub(super) language: &'static str,
}

/// `EXP_RECE_GET_SUB_MAILNO` (sample request-07).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SubMailno {
    pub(super) order_id: String,
    pub(super) parcel_qty: usize,
}

/// `EXP_RECE_SEARCH_ROUTES` (samples request-05): strings where the samples have strings.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SearchRoutes {
    pub(super) language: &'static str,
    pub(super) tracking_type: &'static str,
    pub(super) tracking_number: Vec<String>,
    pub(super) method_type: &'static str,
}

/// `EXP_RECE_QUERY_SFWAYBILL` (sample request-09).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct QueryWaybill {
    pub(super) tracking_type: &'static str,
    pub(super) tracking_num: String,
}

/// `COM_RECE_CLOUD_PRINT_WAYBILLS`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CloudPrint {
    pub(super) template_code: String,
    pub(super) version: &'static str,
    pub(super) file_type: &'static str,
    pub(super) sync: bool,
    pub(super) documents: Vec<PrintDocument>,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PrintDocument {
    pub(super) master_waybill_no: String,
}

/// An address of the price/time query.
#[derive(Clone, Debug, Serialize)]
pub(super) struct PriceAddress {
    pub(super) province: String,
    pub(super) city: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) district: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) address: Option<String>,
}

/// `EXP_RECE_QUERY_DELIVERTM`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct QueryDeliverTm {
    /// One product; absent: every product SF offers on the lane.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) business_type: Option<String>,
    /// kg, 2 decimals.
    pub(super) weight: Num,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) consigned_time: Option<String>,
    pub(super) search_price: &'static str,
    pub(super) src_address: PriceAddress,
    pub(super) dest_address: PriceAddress,
    pub(super) monthly_card: String,
}

// ---- answers (msgData) ----

/// The price/time answer.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeliverTmResponse {
    #[serde(default, deserialize_with = "lenient::list")]
    pub(super) deliver_tm_dto: Vec<DeliverTm>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct DeliverTm {
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) business_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) business_type_desc: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) deliver_time: Option<String>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub(super) fee: Option<rust_decimal::Decimal>,
}

/// A waybill number of an order: `waybillType` 1 master (母单), 2 piece (子单), 3 return
/// receipt (签回单).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WaybillNoInfo {
    #[serde(default, deserialize_with = "lenient::count")]
    pub(super) waybill_type: Option<u64>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) waybill_no: Option<String>,
}

/// The answer of create order, search order and sub numbers.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct OrderResponse {
    #[serde(default, deserialize_with = "lenient::list")]
    pub(super) waybill_no_info_list: Vec<WaybillNoInfo>,
}

/// One order's service-area verdict: `filterResult` 1 manual check, 2 served, 3 not served.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FilterResult {
    #[serde(default, deserialize_with = "lenient::count")]
    pub(super) filter_result: Option<u64>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) remark: Option<String>,
}

/// Cancel's answer: `resStatus` 2 done, 1 the order and waybill do not match.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct UpdateResponse {
    #[serde(default, deserialize_with = "lenient::count")]
    pub(super) res_status: Option<u64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RoutesResponse {
    #[serde(default, deserialize_with = "lenient::list")]
    pub(super) route_resps: Vec<RouteResp>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RouteResp {
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) mail_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub(super) routes: Vec<Route>,
}

/// One scan.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Route {
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) accept_time: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) accept_address: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) remark: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) op_code: Option<String>,
}

/// `EXP_RECE_QUERY_SFWAYBILL`'s answer: the waybill and its fee lines.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WaybillFee {
    #[serde(default, deserialize_with = "lenient::object")]
    pub(super) waybill_info: Option<WaybillInfo>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub(super) waybill_fee_list: Vec<Fee>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WaybillInfo {
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) waybill_no: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) order_id: Option<String>,
}

/// One fee line: `type` (SF's fee type code), `name`, `value` (CNY).
#[derive(Clone, Debug, Deserialize)]
pub(super) struct Fee {
    #[serde(rename = "type", default, deserialize_with = "lenient::nonblank_text")]
    pub(super) kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) name: Option<String>,
    #[serde(default, deserialize_with = "lenient::decimal")]
    pub(super) value: Option<rust_decimal::Decimal>,
}

/// Cloud print's answer (`obj`): files to fetch with their token.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PrintResponse {
    #[serde(default, deserialize_with = "lenient::list")]
    pub(super) files: Vec<PrintFile>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PrintFile {
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) url: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) token: Option<String>,
}

/// A route push (`RoutePushService`, JSON form): `{"Body": {"WaybillRoute": [...]}}`.
#[derive(Clone, Debug, Deserialize)]
pub(super) struct RoutePush {
    #[serde(rename = "Body")]
    pub(super) body: RoutePushBody,
}

#[derive(Clone, Debug, Deserialize)]
pub(super) struct RoutePushBody {
    #[serde(rename = "WaybillRoute", default)]
    pub(super) waybill_route: Vec<PushedRoute>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PushedRoute {
    #[serde(
        rename = "mailno",
        default,
        deserialize_with = "lenient::nonblank_text"
    )]
    pub(super) mailno: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) accept_time: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) accept_address: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) remark: Option<String>,
    #[serde(default, deserialize_with = "lenient::nonblank_text")]
    pub(super) op_code: Option<String>,
}
