//! FedEx Billing Online CSV (`../shared/carriers/fedex/invoices/
//! fedex-billing-online-all-columns.csv`): one row per tracking ID, its charges in 25
//! (Tracking ID Charge Description, Tracking ID Charge Amount) pairs from column 106.
//! Positions below are that document's.

use shiphub_carriers::model::{Currency, LengthUnit};

use super::{
    Parsed, Rec, Row, Scratch, amount, amount_named, date, dims3, length_unit, opt, weight,
    weight_unit,
};
use crate::invoice::{ChargeCategory, InvoiceCharge};

const BILL_TO_ACCOUNT: usize = 1;
const INVOICE_DATE: usize = 2;
const INVOICE_NUMBER: usize = 3;
const TRACKING_ID: usize = 9;
const TRANSPORTATION_CHARGE: usize = 10;
const SERVICE_TYPE: usize = 12;
const GROUND_SERVICE: usize = 13;
const SHIPMENT_DATE: usize = 14;
const POD_DELIVERY_DATE: usize = 15;
const ACTUAL_WEIGHT: usize = 19;
const ACTUAL_WEIGHT_UNITS: usize = 20;
const RATED_WEIGHT: usize = 21;
const RATED_WEIGHT_UNITS: usize = 22;
const DIM_LENGTH: usize = 28;
const DIM_UNIT: usize = 32;
const ORIGINAL_CUSTOMER_REFERENCE: usize = 49;
const ZONE_CODE: usize = 64;
const FIRST_CHARGE: usize = 106;
const CHARGE_PAIRS: usize = 25;

pub(super) fn parse<'a>(
    rec: &Rec<'a>,
    line: u64,
    cur: Currency,
    scratch: &mut Scratch,
) -> Result<Parsed<'a>, String> {
    let c = |p| rec.col(p);
    if c(1)? == "Bill to Account Number" {
        return Ok(Parsed::Skip);
    }
    let tracking = c(TRACKING_ID)?;
    if tracking.is_empty() {
        return Err(format!(
            "Express or Ground Tracking ID (column {TRACKING_ID}) is empty"
        ));
    }
    let invoice_number = c(INVOICE_NUMBER)?;
    if invoice_number.is_empty() {
        return Err(format!("Invoice Number (column {INVOICE_NUMBER}) is empty"));
    }
    let charges = &mut scratch.charges;
    for i in 0..CHARGE_PAIRS {
        let pos = FIRST_CHARGE + 2 * i;
        let desc = c(pos)?;
        if desc.is_empty() {
            continue;
        }
        let amt = amount_named(c(pos + 1)?, || {
            format!("Tracking ID Charge Amount ({})", pos + 1)
        })?;
        charges.push(InvoiceCharge {
            category: ChargeCategory::from_description(desc),
            code: None,
            description: desc.to_owned(),
            amount: amt,
            basis: None,
            adjustment: false,
            line,
        });
    }
    // The pairs normally include the freight line; when they do not, Transportation Charge
    // Amount (10) is the base, so the package total still adds up.
    if !charges.iter().any(|ch| ch.category == ChargeCategory::Base) {
        let base = amount(
            c(TRANSPORTATION_CHARGE)?,
            "Transportation Charge Amount (10)",
        )?;
        if !base.is_zero() {
            charges.insert(
                0,
                InvoiceCharge {
                    category: ChargeCategory::Base,
                    code: None,
                    description: "Transportation Charge".into(),
                    amount: base,
                    basis: None,
                    adjustment: false,
                    line,
                },
            );
        }
    }
    let service = match opt(c(SERVICE_TYPE)?) {
        Some(s) => Some(s),
        None => opt(c(GROUND_SERVICE)?),
    };
    let dim_unit = length_unit(c(DIM_UNIT)?).unwrap_or(LengthUnit::In);
    Ok(Parsed::Package(Row {
        account: opt(c(BILL_TO_ACCOUNT)?),
        tracking_number: tracking,
        invoice_number,
        invoice_date: date(c(INVOICE_DATE)?, "Invoice Date (2)")?,
        ship_date: date(c(SHIPMENT_DATE)?, "Shipment Date (14)")?,
        delivered_on: date(c(POD_DELIVERY_DATE)?, "POD Delivery Date (15)")?,
        reference: opt(c(ORIGINAL_CUSTOMER_REFERENCE)?),
        service_name: service,
        service,
        currency: Some(cur),
        entered_weight: weight(
            c(ACTUAL_WEIGHT)?,
            weight_unit(c(ACTUAL_WEIGHT_UNITS)?),
            "Actual Weight Amount (19)",
        )?,
        billed_weight: weight(
            c(RATED_WEIGHT)?,
            weight_unit(c(RATED_WEIGHT_UNITS)?),
            "Rated Weight Amount (21)",
        )?,
        billed_dimensions: dims3(
            c(DIM_LENGTH)?,
            c(DIM_LENGTH + 1)?,
            c(DIM_LENGTH + 2)?,
            dim_unit,
            "Dim Length/Width/Height (28-30)",
        )?,
        zone: opt(c(ZONE_CODE)?),
    }))
}
