//! The freight SF billed per waybill (`EXP_RECE_QUERY_SFWAYBILL`, 清单运费), one waybill per
//! call (`trackingType` 1: by waybill number), in CNY. A waybill SF has not billed yet answers
//! no fee list and is left out.

use time::macros::format_description;

use crate::error::CarrierError;
use crate::model::{BilledCharge, BilledWaybill, Currency, Money, TrackingNumber, Weight, WeightUnit};

use super::wire;

/// The query for one waybill.
pub(super) fn build(number: &TrackingNumber) -> wire::QueryWaybill {
    wire::QueryWaybill {
        tracking_type: "1",
        tracking_num: number.to_string(),
    }
}

/// The billed waybill, or `None` when SF lists no fee for it yet.
pub(super) fn parse(
    resp: wire::WaybillFee,
    number: &TrackingNumber,
) -> Result<Option<BilledWaybill>, CarrierError> {
    if resp.fee_list.is_empty() {
        return Ok(None);
    }
    let cny: Currency = "CNY".parse().expect("CNY is a currency");
    let mut charges = Vec::new();
    for f in &resp.fee_list {
        let Some(amount) = f.fee_amt else {
            return Err(super::error::DIALECT.protocol(
                200,
                b"",
                format!("fee {:?} without feeAmt", f.fee_type),
            ));
        };
        let currency = match f.currency_code.as_deref() {
            None => cny,
            Some(c) => c.parse().map_err(|_| {
                super::error::DIALECT.protocol(200, b"", format!("currencyCode `{c}`"))
            })?,
        };
        charges.push(BilledCharge {
            code: f.fee_type.clone(),
            description: f
                .fee_name
                .clone()
                .or_else(|| f.fee_type.clone())
                .unwrap_or_else(|| "运费".into()),
            amount: Money::new(amount, currency),
        });
    }
    let day = format_description!("[year]-[month]-[day]");
    Ok(Some(BilledWaybill {
        tracking_number: resp
            .waybill_no
            .as_deref()
            .and_then(|w| w.parse().ok())
            .unwrap_or_else(|| number.clone()),
        reference: resp.order_no,
        service: resp.express_type_id,
        billed_weight: resp
            .meterage_weight_qty
            .and_then(|w| Weight::new(w, WeightUnit::Kg).ok()),
        ship_date: resp
            .consigned_time
            .as_deref()
            .and_then(|t| time::Date::parse(t.get(..10)?, day).ok()),
        charges,
    }))
}
