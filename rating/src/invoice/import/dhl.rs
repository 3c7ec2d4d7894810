//! DHL Express e-billing CSV (`../shared/carriers/dhl_express/invoices/
//! dhl-express-invoice-csv-columns.csv`): `I` invoice header lines and `S` shipment lines,
//! one per waybill, with Weight Charge (77), two other charges, three discounts and nine extra
//! charge blocks XC1..XC9 (code, name, charge, tax code, tax, discount, total) from column 91.
//! Positions below are that document's. Weights are in kg and dimensions in cm (DHL Express
//! bills metric worldwide).

use rust_decimal::Decimal;
use shiphub_carriers::model::{LengthUnit, WeightUnit};

use super::{Parsed, Rec, Row, Scratch, amount, amount_named, date, dimensions, opt, weight};
use crate::invoice::{ChargeCategory, InvoiceCharge};

const LINE_TYPE: usize = 1;
const INVOICE_NUMBER: usize = 4;
const BILLING_ACCOUNT: usize = 12;
const INVOICE_DATE: usize = 8;
const SHIPMENT_NUMBER: usize = 24;
const SHIPMENT_DATE: usize = 25;
const SHIPMENT_REFERENCE_1: usize = 28;
const PRODUCT: usize = 31;
const PRODUCT_NAME: usize = 32;
const DIMENSIONS: usize = 63;
const CUST_SCALE_WEIGHT: usize = 64;
const WEIGHT_KG: usize = 69;
const CURRENCY: usize = 70;
const WEIGHT_CHARGE: usize = 77;
const OTHER_CHARGES: [usize; 2] = [79, 81];
const DISCOUNTS: [usize; 3] = [83, 85, 87];
const FIRST_XC: usize = 91;
const XC_BLOCKS: usize = 9;

pub(super) fn parse<'a>(
    rec: &Rec<'a>,
    line: u64,
    scratch: &mut Scratch,
) -> Result<Parsed<'a>, String> {
    let c = |p| rec.col(p);
    match c(LINE_TYPE)? {
        "S" => {}
        // Header rows of the file and the invoice lines (I) carry no package.
        _ => return Ok(Parsed::Skip),
    }
    let awb = c(SHIPMENT_NUMBER)?;
    if awb.is_empty() {
        return Err(format!(
            "Shipment Number (column {SHIPMENT_NUMBER}) is empty"
        ));
    }
    let invoice_number = c(INVOICE_NUMBER)?;
    if invoice_number.is_empty() {
        return Err(format!("Invoice Number (column {INVOICE_NUMBER}) is empty"));
    }
    let charge = |category, code: Option<&str>, description: &str, amount| InvoiceCharge {
        category,
        code: code.map(str::to_owned),
        description: description.to_owned(),
        amount,
        basis: None,
        adjustment: false,
        line,
    };
    let charges = &mut scratch.charges;
    charges.push(charge(
        ChargeCategory::Base,
        None,
        "Weight Charge",
        amount(c(WEIGHT_CHARGE)?, "Weight Charge (77)")?,
    ));
    for pos in OTHER_CHARGES {
        let name = c(pos)?;
        let amt = amount_named(c(pos + 1)?, || {
            format!("Other Charges Amount ({})", pos + 1)
        })?;
        if !name.is_empty() || !amt.is_zero() {
            charges.push(charge(
                ChargeCategory::from_description(name),
                None,
                name,
                amt,
            ));
        }
    }
    for pos in DISCOUNTS {
        let name = c(pos)?;
        let amt = amount_named(c(pos + 1)?, || format!("Discount Amount ({})", pos + 1))?;
        if !amt.is_zero() {
            // Discounts are listed as positive amounts off the total.
            charges.push(charge(ChargeCategory::Discount, None, name, -amt.abs()));
        }
    }
    for i in 0..XC_BLOCKS {
        let pos = FIRST_XC + 7 * i;
        let code = c(pos)?;
        if code.is_empty() {
            continue;
        }
        let name = c(pos + 1)?;
        let gross = amount_named(c(pos + 2)?, || format!("XC{} Charge ({})", i + 1, pos + 2))?;
        let discount = amount_named(c(pos + 5)?, || {
            format!("XC{} Discount ({})", i + 1, pos + 5)
        })?;
        charges.push(charge(
            xc_category(code, name),
            Some(code),
            name,
            gross - discount.abs(),
        ));
    }
    // Zero charges other than the weight charge are left out.
    charges.retain(|ch| !(ch.amount == Decimal::ZERO && ch.category != ChargeCategory::Base));
    let product = opt(c(PRODUCT)?);
    Ok(Parsed::Package(Row {
        account: opt(c(BILLING_ACCOUNT)?),
        tracking_number: awb,
        invoice_number,
        invoice_date: date(c(INVOICE_DATE)?, "Invoice Date (8)")?,
        ship_date: date(c(SHIPMENT_DATE)?, "Shipment Date (25)")?,
        delivered_on: None,
        reference: opt(c(SHIPMENT_REFERENCE_1)?),
        service_name: opt(c(PRODUCT_NAME)?).or(product),
        service: product,
        currency: scratch.currency(c(CURRENCY)?, "Currency (70)")?,
        entered_weight: weight(
            c(CUST_SCALE_WEIGHT)?,
            Some(WeightUnit::Kg),
            "Cust Scale Weight (64)",
        )?,
        billed_weight: weight(c(WEIGHT_KG)?, Some(WeightUnit::Kg), "Weight (kg) (69)")?,
        billed_dimensions: dimensions(c(DIMENSIONS)?, LengthUnit::Cm, "Dimensions (63)")?,
        zone: None,
    }))
}

/// DHL Express extra-charge codes (Rate & Service Guide): FF fuel, OO/OB remote area
/// delivery/pickup, YY/YB overweight/oversize piece, MA address correction (by name where the
/// code is not one of these).
fn xc_category(code: &str, name: &str) -> ChargeCategory {
    match code {
        "FF" => ChargeCategory::Fuel,
        "OO" | "OB" => ChargeCategory::DeliveryArea,
        "YY" | "YB" => ChargeCategory::AdditionalHandling,
        "MA" => ChargeCategory::AddressCorrection,
        _ => ChargeCategory::from_description(name),
    }
}
