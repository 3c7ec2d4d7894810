//! The freight SF billed per waybill (`EXP_RECE_QUERY_SFWAYBILL`, 清单运费), one waybill per
//! call, in CNY. `trackingType` 1 queries by order id (as SF's sample request-09 does), 2 by
//! waybill number, which is what the hub holds. The answer is `waybillInfo` and
//! `waybillFeeList[]` (`type`, `name`, `value`); a waybill SF has not billed yet has no fee
//! line and is left out. The answer names no currency: SF bills its domestic monthly
//! accounts in CNY.

use crate::error::CarrierError;
use crate::model::{BilledCharge, BilledWaybill, Currency, Money, TrackingNumber};

use super::wire;

/// The query for one waybill.
pub(super) fn build(number: &TrackingNumber) -> wire::QueryWaybill {
    wire::QueryWaybill {
        tracking_type: "2",
        tracking_num: number.to_string(),
    }
}

/// The billed waybill, or `None` when SF lists no fee for it yet.
pub(super) fn parse(
    resp: wire::WaybillFee,
    number: &TrackingNumber,
) -> Result<Option<BilledWaybill>, CarrierError> {
    if resp.waybill_fee_list.is_empty() {
        return Ok(None);
    }
    let cny: Currency = "CNY".parse().expect("CNY is a currency");
    let mut charges = Vec::new();
    for f in &resp.waybill_fee_list {
        let Some(mut amount) = f.value else {
            return Err(super::error::DIALECT.protocol(
                200,
                b"",
                format!("fee {:?} without a value", f.kind),
            ));
        };
        charges.push(BilledCharge {
            code: f.kind.clone(),
            description: f
                .name
                .clone()
                .or_else(|| f.kind.clone())
                .unwrap_or_else(|| "运费".into()),
            amount: {
                // CNY in its two minor units (SF writes `23` for 23.00).
                amount.rescale(cny.minor_units());
                Money::new(amount, cny)
            },
        });
    }
    let info = resp.waybill_info.as_ref();
    Ok(Some(BilledWaybill {
        tracking_number: info
            .and_then(|i| i.waybill_no.as_deref())
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| number.clone()),
        reference: info.and_then(|i| i.order_id.clone()),
        service: None,
        billed_weight: None,
        ship_date: None,
        charges,
    }))
}
