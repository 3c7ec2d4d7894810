//! YunExpress's code tables: its logistics products (`product_code`) with our service class,
//! the price trial's fee names, the tracking answer's `package_status` and `track_node_code`,
//! and the order status of the waybill detail. Sources in `fixtures/SOURCES.md`.

use crate::carrier::ServiceInfo;
use crate::model::{ServiceClass, TrackingStatus};

/// The products we quote and buy (`ENTRY.capabilities.services`). YunExpress sells many
/// more per account (`GET /v1/basic-data/products/getlist`); the ones here are its global
/// registered lines (云途全球专线挂号), in two speeds: 标快 (standard express) and 特惠
/// (economy), each for general goods (普货) and goods with batteries (带电).
pub(super) static SERVICES: [ServiceInfo; 4] = [
    ServiceInfo {
        code: "BKZXR",
        name: "云途全球专线挂号（标快） YunExpress Global Direct Line Registered (Standard)",
        class: ServiceClass::Standard,
    },
    ServiceInfo {
        code: "BKPHR",
        name: "云途全球专线挂号（标快普货） YunExpress Global Direct Line Registered (Standard, general goods)",
        class: ServiceClass::Standard,
    },
    ServiceInfo {
        code: "THZXR",
        name: "云途全球专线挂号（特惠） YunExpress Global Direct Line Registered (Economy)",
        class: ServiceClass::Economy,
    },
    ServiceInfo {
        code: "THPHR",
        name: "云途全球专线挂号（特惠普货） YunExpress Global Direct Line Registered (Economy, general goods)",
        class: ServiceClass::Economy,
    },
];

/// The product with this code.
pub(super) fn service_info(code: &str) -> Option<&'static ServiceInfo> {
    SERVICES.iter().find(|s| s.code == code)
}

/// What a price-trial line (`fee_name`) charges for: E1 the freight (运费), E2 the
/// registration fee (挂号费); any other code is a surcharge named by its code.
pub(super) fn fee_name(code: &str) -> Option<&'static str> {
    match code {
        "E1" => Some("Freight (运费)"),
        "E2" => Some("Registration fee (挂号费)"),
        _ => None,
    }
}

/// One entry of a status table: YunExpress's code, its meaning, our status.
#[derive(Clone, Copy, Debug)]
pub(super) struct Code {
    pub code: &'static str,
    pub description: &'static str,
    pub status: TrackingStatus,
}

const fn c(code: &'static str, description: &'static str, status: TrackingStatus) -> Code {
    Code {
        code,
        description,
        status,
    }
}

use TrackingStatus as S;

/// `package_status` of the tracking answer (包裹状态).
pub(super) static PACKAGE_STATUS: &[Code] = &[
    c("N", "Order not found (未找到订单)", S::Unknown),
    c(
        "F",
        "Electronic pre-advice received (电子预报信息接收)",
        S::PreTransit,
    ),
    c("T", "In transit (运输中)", S::InTransit),
    c("D", "Delivered (成功投递)", S::Delivered),
    c("E", "Possibly abnormal (可能异常)", S::Exception),
    c("R", "Returned (包裹退回)", S::ReturnToSender),
    c("C", "Order cancelled (订单取消)", S::Cancelled),
];

/// `track_node_code` of a tracking event (云途物流轨迹节点表), English codes.
pub(super) static TRACK_NODES: &[Code] = &[
    c(
        "ORDER_CREATION",
        "Order information received (已收到货物信息)",
        S::PreTransit,
    ),
    c(
        "PRE_ADVICING",
        "Carrier pre-advice (服务商电子预报)",
        S::PreTransit,
    ),
    c(
        "PRE_INFO",
        "Pre-advised to the network (预上网)",
        S::PreTransit,
    ),
    c("PICKED_UP", "Picked up (揽收)", S::InTransit),
    c(
        "FIRST_MILE_ARRIVE",
        "Arrived at the origin facility (已抵达始发地设施)",
        S::InTransit,
    ),
    c(
        "FIRST_MILE_DEPART",
        "Departed the origin facility (始发地设施发出)",
        S::InTransit,
    ),
    c("TRANSIT_OUT", "Transferred out (调拨出仓)", S::InTransit),
    c("TRANSIT_IN", "Transferred in (调拨入仓)", S::InTransit),
    c("DEPART_CONFIRM_OC", "Dispatched (发货)", S::InTransit),
    c(
        "ARRIVE_CONFIRM_OC",
        "Arrived at the port (到港)",
        S::InTransit,
    ),
    c(
        "ARRIVE_ORIN_CUSTOMS",
        "Export declaration in progress (报关中)",
        S::InTransit,
    ),
    c(
        "EXPORT_CUSTOMS_COMPLETE",
        "Export declaration complete (出口报关完成)",
        S::InTransit,
    ),
    c(
        "AIRPORT_RELEASE",
        "Released by export airport security (出口机场安检放行)",
        S::InTransit,
    ),
    c(
        "MAIN_LINE_DEPART",
        "Departed on the main line (干线起飞)",
        S::InTransit,
    ),
    c(
        "MAIN_LINE_ARRIVE",
        "Arrived in the destination country (已抵达目的国)",
        S::InTransit,
    ),
    c(
        "CUSTOMS_PROCESSING",
        "Import customs clearance in progress (清关中)",
        S::InTransit,
    ),
    c(
        "CUSTOMS_COMPLETE",
        "Import customs clearance complete (清关完成)",
        S::InTransit,
    ),
    c(
        "CUSTOMS_RELEASE",
        "Released by customs (海关放行)",
        S::InTransit,
    ),
    c(
        "READY_FOR_PICKUP",
        "Ready for collection at the cargo terminal (待提取)",
        S::InTransit,
    ),
    c(
        "PICKUP_CARGO_TERMINAL",
        "Collected from the cargo terminal (货站提货)",
        S::InTransit,
    ),
    c("IN_TRANSIT", "In transit (正常中转)", S::InTransit),
    c(
        "READY_FOR_OUTBOUND",
        "Ready to go out (待发出)",
        S::InTransit,
    ),
    c(
        "TRANSITHUB_ARRIVE",
        "Handed to the last-mile carrier (交货给末端派送商)",
        S::InTransit,
    ),
    c(
        "CHANGE_WAYBILL_INFO",
        "Tracking number changed (跟踪号变更)",
        S::InTransit,
    ),
    c(
        "EDD",
        "Estimated delivery date (预计派送时间)",
        S::InTransit,
    ),
    c(
        "CARRIER_PICKUP",
        "Collected by the last-mile carrier (服务商提取)",
        S::InTransit,
    ),
    c(
        "IN_TRANSIT_CARRIER",
        "In transit with the last-mile carrier (承运商转运)",
        S::InTransit,
    ),
    c(
        "DELIVERY_ATTEMPT",
        "Delivery attempted (尝试投递)",
        S::AttemptFail,
    ),
    c("DELIVERED", "Delivered (妥投)", S::Delivered),
    c(
        "DELIVERY_FAILURE",
        "Delivery failed (末端派送失败)",
        S::Exception,
    ),
    c("CUSTOMS_DELAY", "Customs delay (清关延误)", S::Exception),
    c("CUSTOMS_HOLD", "Held by customs (海关扣留)", S::Exception),
    c(
        "CUSTOMS_INSPCTION",
        "Customs inspection (海关查验)",
        S::Exception,
    ),
    c(
        "CUSTOMS_EXCEPTION",
        "Customs exception (清关异常)",
        S::Exception,
    ),
    c(
        "AIRPORT_HOLD",
        "Held at the airport (机场扣留)",
        S::Exception,
    ),
    c(
        "AIRPORT_INSPECTION",
        "Airport inspection (机场查验)",
        S::Exception,
    ),
    c(
        "PACKAGE_EXCEPTION",
        "Parcel exception (包裹异常)",
        S::Exception,
    ),
    c("PACKAGE_LOST", "Parcel lost (包裹丢失)", S::Exception),
    c("OTHER", "Other exception (其他异常)", S::Exception),
    c("RETURNED", "Returned (退回)", S::ReturnToSender),
    c(
        "RETURNED_BACK",
        "Returned to origin (退回发件地)",
        S::ReturnToSender,
    ),
    c(
        "RETURNED_TO_SENDER",
        "Returned to the sender (退回发件人)",
        S::ReturnToSender,
    ),
];

/// `status` of the waybill detail (`GET /v1/order/info/get`, `WaybillDetail.status`): the
/// order, before and beside its scans.
pub(super) static ORDER_STATUS: &[Code] = &[
    c("A", "Forecast (已预报)", S::PreTransit),
    c("B", "In warehouse (已入仓)", S::InTransit),
    c("C", "Shipped (已出仓)", S::InTransit),
    c("D", "Completed (已完成)", S::Delivered),
    c("E", "Cancelled (已取消)", S::Cancelled),
    c("Y", "Abnormal (异常)", S::Exception),
];

/// The entry for `code` in `table` (codes compare without regard to case).
pub(super) fn lookup(table: &'static [Code], code: &str) -> Option<&'static Code> {
    table
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code.trim()))
}
