//! Kuaidi100's parcel states (`state`, and each scan's `statusCode` when asked with
//! `resultv2=4`) mapped to our statuses. Kuaidi100 publishes 14 base states and, under each,
//! its advanced states (高级物流状态); every one is listed here with Kuaidi100's own name, and
//! the raw code is always kept beside the status (`carrier_code`). Sources: `fixtures/SOURCES.md`.
//!
//! Decisions where Kuaidi100's words leave room:
//! - 揽收 (1) and 已揽收 (103) are in transit: the network has the parcel. 已下单 (101) and
//!   待揽收 (102) are pre-transit: ordered, waiting for the courier.
//! - 派件 (5) is out for delivery; 投柜或驿站 (501), in a locker or a parcel station, is
//!   available for pickup.
//! - 签收 (3) and every way of signing (301–304, a locker signature included) are delivered.
//! - 退签 (4) is the return signed for by the sender: the parcel went back, so it is
//!   return-to-sender (a problem the shipper hears about), not delivered. 已销单 (401) and
//!   销单 (210), the waybill cancelled, are cancelled.
//! - 疑难 (2) and its reasons are exceptions, except the two that are failed delivery attempts
//!   (派件异常 204, 无法联系 206). 拒收 (203) and 拒签 (14), refused by the recipient, are
//!   exceptions with `refused`.
//! - 转投 (7) and 转递 (1003), handed to another network or re-routed, stay in transit.
//! - Customs (8, 10–12) is in transit; 清关异常 (13) is an exception.

use crate::model::TrackingStatus;

use TrackingStatus::{
    AttemptFail, AvailableForPickup, Cancelled, Delivered, Exception, InTransit, OutForDelivery,
    PreTransit, ReturnToSender,
};

/// One Kuaidi100 state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct State {
    pub code: &'static str,
    /// Kuaidi100's name for it.
    pub name: &'static str,
    /// The base state it belongs to (itself for a base state).
    pub base: &'static str,
    pub status: TrackingStatus,
    /// Why, for problem states.
    pub sub_status: Option<&'static str>,
}

const fn st(
    code: &'static str,
    name: &'static str,
    base: &'static str,
    status: TrackingStatus,
    sub_status: Option<&'static str>,
) -> State {
    State {
        code,
        name,
        base,
        status,
        sub_status,
    }
}

/// Every published state: the 14 base states, then the advanced ones under each.
pub(super) static STATES: &[State] = &[
    st("0", "在途", "0", InTransit, None),
    st("1", "揽收", "1", InTransit, None),
    st("2", "疑难", "2", Exception, Some("problem")),
    st("3", "签收", "3", Delivered, None),
    st("4", "退签", "4", ReturnToSender, Some("returned_signed")),
    st("5", "派件", "5", OutForDelivery, None),
    st("6", "退回", "6", ReturnToSender, Some("returning")),
    st("7", "转投", "7", InTransit, None),
    st("8", "清关", "8", InTransit, None),
    st("10", "待清关", "8", InTransit, None),
    st("11", "清关中", "8", InTransit, None),
    st("12", "已清关", "8", InTransit, None),
    st("13", "清关异常", "8", Exception, Some("customs")),
    st("14", "拒签", "14", Exception, Some("refused")),
    // 揽收
    st("101", "已下单", "1", PreTransit, None),
    st("102", "待揽收", "1", PreTransit, None),
    st("103", "已揽收", "1", InTransit, None),
    // 在途
    st("1001", "到达派件城市", "0", InTransit, None),
    st("1002", "干线", "0", InTransit, None),
    st("1003", "转递", "0", InTransit, None),
    // 派件
    st("501", "投柜或驿站", "5", AvailableForPickup, None),
    // 签收
    st("301", "本人签收", "3", Delivered, None),
    st("302", "派件异常后签收", "3", Delivered, None),
    st("303", "代签", "3", Delivered, None),
    st("304", "投柜或站签收", "3", Delivered, None),
    // 退签
    st("401", "已销单", "4", Cancelled, None),
    // 疑难
    st(
        "201",
        "超时未签收",
        "2",
        Exception,
        Some("not_signed_in_time"),
    ),
    st("202", "超时未更新", "2", Exception, Some("no_update")),
    st("203", "拒收", "2", Exception, Some("refused")),
    st("204", "派件异常", "2", AttemptFail, Some("delivery_failed")),
    st(
        "205",
        "柜或驿站超时未取",
        "2",
        Exception,
        Some("not_collected"),
    ),
    st(
        "206",
        "无法联系",
        "2",
        AttemptFail,
        Some("recipient_unreachable"),
    ),
    st("207", "超区", "2", Exception, Some("outside_service_area")),
    st("208", "滞留", "2", Exception, Some("held")),
    st("209", "破损", "2", Exception, Some("damaged")),
    st("210", "销单", "2", Cancelled, None),
];

/// The state with this code.
pub(super) fn state(code: &str) -> Option<&'static State> {
    STATES.iter().find(|s| s.code == code.trim())
}

/// A state by its name (a scan without `statusCode` names its state: `在途`, `签收`).
pub(super) fn state_named(name: &str) -> Option<&'static State> {
    let name = name.trim();
    // Kuaidi100 also writes 揽件 for 揽收 in scans (its older wording).
    let name = if name == "揽件" { "揽收" } else { name };
    STATES.iter().find(|s| s.name == name)
}
