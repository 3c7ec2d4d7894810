//! UPS Billing Data, the 250-column layout (`../shared/carriers/ups/invoices/
//! ups-billing-data-250-columns.csv`); positions below are that document's column numbers.
//! One row is one charge; a package's rows share the Tracking Number (21).
//!
//! Charge categories: Charge Category Code (35) says whether a row is the original shipment
//! charge (`SHP`), an adjustment (`ADJ`: detail `SCC` shipping charge correction, `ADC`
//! address correction) or a miscellaneous invoice fee (`MIS`); Charge Classification Code (44)
//! says what it is (`FRT` transportation, `FSC` fuel, `ACC` accessorial, `INF`/`EXM`/`TAX`
//! duties and taxes); Charge Description Code (45) names the accessorial (`RES` residential,
//! `RDR`/`DAS` delivery area, `SIM` special incentive modifier); the description (46) follows
//! `ups-charge-description-categories.csv`.

use shiphub_carriers::model::LengthUnit;

use super::{
    InvoiceLevelCharge, Parsed, Rec, Row, Scratch, amount, date, dimensions, length_unit, opt,
    weight, weight_unit,
};
use crate::invoice::{ChargeCategory, FuelBasis, InvoiceCharge, contains_ci};

const ACCOUNT_NUMBER: usize = 3;
const INVOICE_DATE: usize = 5;
const INVOICE_NUMBER: usize = 6;
const INVOICE_CURRENCY: usize = 10;
const TRANSACTION_DATE: usize = 12;
const SHIPMENT_REFERENCE_1: usize = 16;
const TRACKING_NUMBER: usize = 21;
const PACKAGE_REFERENCE_1: usize = 22;
const ENTERED_WEIGHT: usize = 27;
const ENTERED_WEIGHT_UNIT: usize = 28;
const BILLED_WEIGHT: usize = 29;
const BILLED_WEIGHT_UNIT: usize = 30;
const PACKAGE_DIMENSIONS: usize = 33;
const ZONE: usize = 34;
const CHARGE_CATEGORY_CODE: usize = 35;
const CHARGE_CATEGORY_DETAIL_CODE: usize = 36;
const CHARGE_CLASSIFICATION_CODE: usize = 44;
const CHARGE_DESCRIPTION_CODE: usize = 45;
const CHARGE_DESCRIPTION: usize = 46;
const BASIS_VALUE: usize = 49;
const TRANSACTION_CURRENCY: usize = 51;
const INCENTIVE_AMOUNT: usize = 52;
const NET_AMOUNT: usize = 53;
const SHIPMENT_DATE: usize = 117;
const SHIPMENT_DELIVERY_DATE: usize = 122;
const PACKAGE_DIMENSION_UNIT: usize = 196;

pub(super) fn parse<'a>(
    rec: &Rec<'a>,
    line: u64,
    scratch: &mut Scratch,
) -> Result<Parsed<'a>, String> {
    let c = |p| rec.col(p);
    if c(1)?.eq_ignore_ascii_case("version") {
        return Ok(Parsed::Skip);
    }
    if rec.len() < NET_AMOUNT {
        return Err(format!(
            "{} columns, the UPS layout has 250 (Net Amount is column {NET_AMOUNT})",
            rec.len()
        ));
    }
    let invoice_number = c(INVOICE_NUMBER)?;
    if invoice_number.is_empty() {
        return Err(format!("Invoice Number (column {INVOICE_NUMBER}) is empty"));
    }
    let net = amount(c(NET_AMOUNT)?, "Net Amount (53)")?;
    let description = c(CHARGE_DESCRIPTION)?;
    let tracking = c(TRACKING_NUMBER)?;
    if tracking.is_empty() {
        return Ok(Parsed::InvoiceLevel(InvoiceLevelCharge {
            invoice_number: invoice_number.to_owned(),
            description: description.to_owned(),
            amount: net,
        }));
    }
    let incentive = amount(c(INCENTIVE_AMOUNT)?, "Incentive Amount (52)")?;
    let category_code = c(CHARGE_CATEGORY_CODE)?;
    let detail = c(CHARGE_CATEGORY_DETAIL_CODE)?;
    let class = c(CHARGE_CLASSIFICATION_CODE)?;
    let code = c(CHARGE_DESCRIPTION_CODE)?;
    let category = category(class, code, detail, description);
    let basis = match (category, amount(c(BASIS_VALUE)?, "Basis Value (49)")?) {
        // Basis Value is the published charges fuel applies to; the published fuel amount is
        // net + incentive (sample: 0.79 + 2.81 = 3.60 = 19.0% of 18.95).
        (ChargeCategory::Fuel, b) if !b.is_zero() => Some(FuelBasis {
            basis: b,
            published: net + incentive,
        }),
        _ => None,
    };
    let is_adjustment = category_code == "ADJ";
    let freight = class == "FRT" && category == ChargeCategory::Base;
    let entered_unit = weight_unit(c(ENTERED_WEIGHT_UNIT)?);
    let billed_unit = weight_unit(c(BILLED_WEIGHT_UNIT)?);
    let dim_unit = length_unit(c(PACKAGE_DIMENSION_UNIT)?).unwrap_or(LengthUnit::In);
    let row = Row {
        account: opt(c(ACCOUNT_NUMBER)?),
        tracking_number: tracking,
        invoice_number,
        invoice_date: date(c(INVOICE_DATE)?, "Invoice Date (5)")?,
        ship_date: match date(c(SHIPMENT_DATE)?, "Shipment Date (117)")? {
            Some(d) => Some(d),
            // Adjustments carry the date of the correction in Transaction Date; only the
            // original shipment row's transaction date is the ship date.
            None if !is_adjustment => date(c(TRANSACTION_DATE)?, "Transaction Date (12)")?,
            None => None,
        },
        delivered_on: date(c(SHIPMENT_DELIVERY_DATE)?, "Shipment Delivery Date (122)")?,
        reference: match opt(c(PACKAGE_REFERENCE_1)?) {
            Some(r) => Some(r),
            None => opt(c(SHIPMENT_REFERENCE_1)?),
        },
        // The transportation row's Charge Description Code is the UPS service code (003 =
        // Ground) and its description the service name ("Ground Residential").
        service: (freight && !is_adjustment).then_some(code),
        service_name: (freight && !is_adjustment).then_some(description),
        currency: {
            let transaction =
                scratch.currency(c(TRANSACTION_CURRENCY)?, "Transaction Currency Code (51)")?;
            let invoice = scratch.currency(c(INVOICE_CURRENCY)?, "Invoice Currency Code (10)")?;
            transaction.or(invoice)
        },
        entered_weight: weight(
            c(ENTERED_WEIGHT)?,
            entered_unit.or(billed_unit),
            "Entered Weight (27)",
        )?,
        billed_weight: weight(c(BILLED_WEIGHT)?, billed_unit, "Billed Weight (29)")?,
        billed_dimensions: dimensions(c(PACKAGE_DIMENSIONS)?, dim_unit, "Package Dimensions (33)")?,
        zone: opt(c(ZONE)?).filter(|z| z.bytes().any(|b| b != b'0')),
    };
    scratch.charges.push(InvoiceCharge {
        category,
        code: opt(code).map(str::to_owned),
        description: description.to_owned(),
        amount: net,
        basis,
        adjustment: is_adjustment,
        line,
    });
    Ok(Parsed::Package(row))
}

fn category(class: &str, code: &str, detail: &str, description: &str) -> ChargeCategory {
    match class {
        "FSC" => ChargeCategory::Fuel,
        "INF" | "EXM" | "TAX" | "GOV" | "BRK" => ChargeCategory::Tax,
        // Address correction is billed as an FRT row under detail ADC.
        "FRT" if detail == "ADC" || contains_ci(description, "address correction") => {
            ChargeCategory::AddressCorrection
        }
        "FRT" => ChargeCategory::Base,
        _ => match code {
            "RES" => ChargeCategory::Residential,
            "RDR" | "DAS" | "ESD" | "RAS" => ChargeCategory::DeliveryArea,
            "SIM" => ChargeCategory::Discount,
            _ => ChargeCategory::from_description(description),
        },
    }
}
