//! SF's products (`expressTypeId`) and route operation codes (`opCode`) in our vocabulary.
//! SOURCES.md says where each comes from and which could not be confirmed.

use crate::carrier::ServiceInfo;
use crate::model::{ServiceClass, TrackingStatus};

/// The products sold, by `expressTypeId`: mainland China products, then the cross-border
/// (parcel) products in [`INTERNATIONAL`].
pub(super) static SERVICES: [ServiceInfo; 6] = [
    ServiceInfo {
        code: "1",
        name: "顺丰特快 (SF Express Priority)",
        class: ServiceClass::Express,
    },
    ServiceInfo {
        code: "2",
        name: "顺丰标快 (SF Express Standard)",
        class: ServiceClass::Standard,
    },
    ServiceInfo {
        code: "5",
        name: "顺丰次晨 (SF Next Morning)",
        class: ServiceClass::Overnight,
    },
    ServiceInfo {
        code: "6",
        name: "顺丰即日 (SF Same Day)",
        class: ServiceClass::Overnight,
    },
    ServiceInfo {
        code: "100",
        name: "顺丰国际标快 (SF International Standard Express, parcel)",
        class: ServiceClass::Express,
    },
    ServiceInfo {
        code: "24",
        name: "顺丰国际特惠 (SF International Economy Express, parcel)",
        class: ServiceClass::Economy,
    },
];

/// The cross-border products: they need a customs declaration and an address abroad (the
/// document variants 99 and 23 are not sold: the hub ships parcels).
pub(super) const INTERNATIONAL: [&str; 2] = ["100", "24"];

/// Whether `expressTypeId` is a cross-border product.
pub(super) fn is_international(express_type: &str) -> bool {
    INTERNATIONAL.contains(&express_type)
}

/// One `opCode`: our status and SF's meaning in English (the scan's own Chinese `remark` is
/// what the event shows).
pub(super) struct OpCode {
    pub(super) code: &'static str,
    pub(super) status: TrackingStatus,
    pub(super) meaning: &'static str,
}

const fn op(code: &'static str, status: TrackingStatus, meaning: &'static str) -> OpCode {
    OpCode {
        code,
        status,
        meaning,
    }
}

use TrackingStatus::*;

/// Every `opCode` we have seen documented or in published route samples.
pub(super) static OP_CODES: &[OpCode] = &[
    // Pickup.
    op(
        "50",
        InTransit,
        "picked up by the courier (顺丰速运 已收取快件)",
    ),
    op("54", InTransit, "picked up (上门收件)"),
    op("43", InTransit, "received at the outlet"),
    op("501", InTransit, "in transit after pickup"),
    // Line haul and sorting.
    op(
        "30",
        InTransit,
        "sorted, leaving for the next stop (装车/完成分拣)",
    ),
    op("31", InTransit, "arrived at a hub or outlet (快件到达)"),
    op("36", InTransit, "departed (快件离开/发车)"),
    op("105", InTransit, "flight departed"),
    op("106", InTransit, "flight arrived at the destination"),
    op("407", InTransit, "sent on to the delivering outlet"),
    op("123", InTransit, "on the way to the SF store or station"),
    // Customs (international and Hong Kong/Macau).
    op("605", InTransit, "customs clearance in progress"),
    op("310", InTransit, "customs released"),
    // Delivery.
    op("44", OutForDelivery, "out for delivery (正在派送途中)"),
    op("204", OutForDelivery, "out for delivery (派件)"),
    op(
        "130",
        AvailableForPickup,
        "at a pickup point or locker (已放入丰巢/自提点)",
    ),
    op(
        "607",
        AvailableForPickup,
        "held at a service point for collection",
    ),
    op("80", Delivered, "delivered (已签收)"),
    op(
        "8000",
        Delivered,
        "delivered, signature recorded (签收确认)",
    ),
    // Exceptions.
    op("70", AttemptFail, "delivery not completed (派送不成功)"),
    op("33", Exception, "delivery exception, held (派件异常/滞留)"),
    op("34", Exception, "held at the outlet (滞留件)"),
    op("77", Exception, "held in transit (中转滞留)"),
    // Returns.
    op(
        "99",
        ReturnToSender,
        "returned or redirected at the customer's request (退回/转寄)",
    ),
    op("647", ReturnToSender, "being returned (退回中)"),
    op("648", ReturnToSender, "returned to the sender (已退回)"),
];

/// Our status for an `opCode`, or `None` for one we do not know (the parser keeps the raw
/// code and reads it as in transit: SF reports a scan only once a parcel is in its network).
pub(super) fn status_of(op_code: &str) -> Option<&'static OpCode> {
    OP_CODES.iter().find(|o| o.code == op_code.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_the_key_ones_map() {
        let mut seen = HashSet::new();
        for o in OP_CODES {
            assert!(seen.insert(o.code), "{} twice", o.code);
        }
        for (code, want) in [
            ("50", InTransit),
            ("30", InTransit),
            ("31", InTransit),
            ("36", InTransit),
            ("44", OutForDelivery),
            ("80", Delivered),
            ("8000", Delivered),
            ("70", AttemptFail),
            ("33", Exception),
            ("99", ReturnToSender),
            ("648", ReturnToSender),
        ] {
            assert_eq!(status_of(code).map(|o| o.status), Some(want), "{code}");
        }
        assert!(status_of("123456").is_none());
    }
}
