//! What a carrier billed per waybill, as its billing API reports it (SF Express
//! `EXP_RECE_QUERY_SFWAYBILL`): the input for reconciliation when there is no invoice file.

use serde::{Deserialize, Serialize};
use time::Date;

use super::{Money, TrackingNumber, Weight};

/// One billed charge of a waybill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BilledCharge {
    /// The carrier's code for the charge, when it has one.
    pub code: Option<String>,
    /// The carrier's words for it.
    pub description: String,
    /// The amount billed (negative for a credit).
    pub amount: Money,
}

/// What a carrier billed for one waybill.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BilledWaybill {
    /// The waybill (master) number.
    pub tracking_number: TrackingNumber,
    /// The shipper's order reference, when the carrier repeats it.
    pub reference: Option<String>,
    /// The product billed, in the carrier's code.
    pub service: Option<String>,
    /// The weight billed.
    pub billed_weight: Option<Weight>,
    /// The day it shipped, when the carrier says.
    pub ship_date: Option<Date>,
    /// The charges, in the carrier's order.
    pub charges: Vec<BilledCharge>,
}
