//! Customs documents for international shipments, drawn from a
//! [`CustomsDeclaration`]: the UPU CN 22 (4×6 in, attached to the parcel) and CN 23
//! (A4), and a commercial invoice (A4). Money is exact: line values are quantity × unit
//! value in `rust_decimal`, totals are kept per currency and printed with at least the
//! currency's minor units, never rounded away. Which form applies (CN 22 up to 300 SDR,
//! CN 23 above) needs an exchange rate, so the caller chooses.
//!
//! The total weight on the CN 22 and CN 23 is the gross weight the UPU forms ask for: the
//! parcels as weighed for the purchase, packaging included, not the sum of the items' net
//! weights (which the CN 23's item lines and the invoice show). Countries are printed by
//! name with their code, and both parties' phone and e-mail, which customs use to reach
//! them about a held parcel.
//!
//! Drawn with the label PDF writer (built-in Helvetica, WinAnsi text), so the same
//! fitting and barcode rules hold; no clock is read (the date is an input).

use rust_decimal::{Decimal, RoundingStrategy};
use shiphub_carriers::model::{
    Address, ContentType, CountryCode, Currency, CustomsDeclaration, CustomsItem, Money, TaxIds,
    TrackingNumber, Weight, WeightUnit,
};
use time::Date;

use crate::LabelError;
use crate::render::code128::Code128;
use crate::render::layout::{Element, fit};
use crate::render::pdf::{self, Meta};

/// What a customs document needs beyond the declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomsInput {
    /// Items, incoterm, content type, tax ids.
    pub declaration: CustomsDeclaration,
    /// Exporter.
    pub sender: Address,
    /// Importer.
    pub receiver: Address,
    /// Printed and drawn as Code 128 when known (CN 22/23 ride on the parcel).
    pub tracking_number: Option<TrackingNumber>,
    /// The invoice number (commercial invoice), printed on the CN 23 as its reference.
    pub invoice_number: String,
    /// Date of the documents (and the PDF creation date).
    pub date: Date,
    /// Each parcel's weight as declared for the purchase (packaging included): their sum
    /// is the gross weight on the CN 22/23. Empty: the items' net weights stand in.
    pub parcel_weights: Vec<Weight>,
}

/// Sum of quantity × unit value per currency, in order of first appearance. A validated
/// declaration has one currency; one built field by field may not, and then each
/// currency gets its own total rather than a meaningless sum.
pub fn totals(declaration: &CustomsDeclaration) -> Vec<Money> {
    let mut out: Vec<(Currency, Decimal)> = Vec::new();
    for item in &declaration.items {
        let value = line_value(item);
        match out.iter_mut().find(|(c, _)| *c == value.currency()) {
            Some((_, sum)) => *sum += value.amount(),
            None => out.push((value.currency(), value.amount())),
        }
    }
    out.into_iter().map(|(c, a)| Money::new(a, c)).collect()
}

/// Total net weight in kg, exact.
pub fn total_weight_kg(declaration: &CustomsDeclaration) -> Decimal {
    declaration.items.iter().map(line_weight_kg).sum()
}

/// Gross weight in kg, exact: the parcels' weights, or the items' net weights when no
/// parcel weight is known.
pub fn gross_weight_kg(input: &CustomsInput) -> Decimal {
    if input.parcel_weights.is_empty() {
        return total_weight_kg(&input.declaration);
    }
    input
        .parcel_weights
        .iter()
        .map(|w| w.to(WeightUnit::Kg).value())
        .sum()
}

/// "Germany (DE)": the ISO 3166-1 name with the code customs systems key on.
pub fn country_text(code: CountryCode) -> String {
    match country_name(code) {
        Some(name) => format!("{name} ({})", code.as_str()),
        None => code.as_str().to_string(),
    }
}

/// "GB United Kingdom of Great Britain and Northern Ireland", for narrow columns: when the
/// name has to be cut, the code survives.
fn country_code_first(code: CountryCode) -> String {
    match country_name(code) {
        Some(name) => format!("{} {name}", code.as_str()),
        None => code.as_str().to_string(),
    }
}

/// The ISO 3166-1 English short name. isocountry's list predates three renamings, kept
/// current here; a code it lacked would print as the code alone.
fn country_name(code: CountryCode) -> Option<&'static str> {
    Some(match code.as_str() {
        "MK" => "North Macedonia",
        "SZ" => "Eswatini",
        "TR" => "Türkiye",
        c => isocountry::CountryCode::for_alpha2(c).ok()?.name(),
    })
}

fn line_value(item: &CustomsItem) -> Money {
    item.unit_value.times(Decimal::from(item.quantity))
}

fn line_weight_kg(item: &CustomsItem) -> Decimal {
    item.unit_weight.to(WeightUnit::Kg).value() * Decimal::from(item.quantity)
}

/// "1234.50 EUR": exact, padded to the currency's minor units (JPY 0, KWD 3), never cut.
pub fn money_text(m: Money) -> String {
    let mut amount = m.amount().normalize();
    let minor = m.currency().minor_units();
    if amount.scale() < minor {
        amount.rescale(minor);
    }
    format!("{amount} {}", m.currency().code())
}

/// Kilograms to three decimals, rounded up: a declaration must never understate weight.
fn kg_text(kg: Decimal) -> String {
    let v = kg
        .round_dp_with_strategy(3, RoundingStrategy::AwayFromZero)
        .normalize();
    format!("{v} kg")
}

/// The CN 22 lines that fit a 4×6 in form; more items need a CN 23.
pub const CN22_MAX_ITEMS: usize = 5;
const A4: (f32, f32) = (210.0, 297.0);
const FORM_4X6: (f32, f32) = (101.6, 152.4);

/// The item's name, then its name in the origin's language where it has one
/// ("T-shirt / 棉质T恤"), as customs on both sides read them.
fn both_names(item: &CustomsItem) -> String {
    match item.local_description.as_deref().map(str::trim) {
        Some(local) if !local.is_empty() => format!("{} / {local}", item.description),
        _ => item.description.clone(),
    }
}

/// Refuses an input with a character no document font draws, naming the field.
fn check_drawable(input: &CustomsInput) -> Result<(), LabelError> {
    use crate::render::text::{FROM_FIELDS, TO_FIELDS, check_address, check_drawable};
    check_address(FROM_FIELDS, &input.sender)?;
    check_address(TO_FIELDS, &input.receiver)?;
    check_drawable("invoice_number", &input.invoice_number)?;
    for item in &input.declaration.items {
        check_drawable("items.description", &item.description)?;
        check_drawable(
            "items.local_description",
            item.local_description.as_deref().unwrap_or_default(),
        )?;
        check_drawable("items.sku", item.sku.as_deref().unwrap_or_default())?;
    }
    Ok(())
}

/// UPU CN 22 on a 4×6 in page.
pub fn cn22(input: &CustomsInput) -> Result<Vec<u8>, LabelError> {
    check_drawable(input)?;
    let d = &input.declaration;
    if d.items.len() > CN22_MAX_ITEMS {
        return Err(LabelError::InvalidSpec {
            field: "items",
            message: format!(
                "{} items do not fit a CN 22 (at most {CN22_MAX_ITEMS}): use a CN 23",
                d.items.len()
            ),
        });
    }
    let mut s = Sheet::new(FORM_4X6, 4.0);
    s.frame();
    s.line(0.0, "CUSTOMS DECLARATION CN 22", 11.0, true);
    s.line(0.0, "May be opened officially", 7.0, false);
    s.rule();
    s.categories(d.content_type);
    s.rule();
    s.columns(
        &[
            (0.0, "Quantity and description"),
            (52.0, "Weight"),
            (72.0, "Value"),
        ],
        7.0,
        true,
    );
    for item in &d.items {
        s.columns(
            &[
                (0.0, &format!("{} × {}", item.quantity, both_names(item))),
                (52.0, &kg_text(line_weight_kg(item))),
                (72.0, &money_text(line_value(item))),
            ],
            7.0,
            false,
        );
        s.line(
            3.0,
            &format!(
                "HS {}  origin {}",
                item.hs_code.as_str(),
                country_text(item.origin_country)
            ),
            6.5,
            false,
        );
    }
    s.rule();
    s.line(
        0.0,
        &format!("Total gross weight: {}", kg_text(gross_weight_kg(input))),
        8.0,
        true,
    );
    s.line(0.0, &format!("Total value: {}", totals_text(d)), 8.0, true);
    s.tax_ids("Sender", &d.exporter);
    s.tax_ids("Importer", &d.importer);
    s.rule();
    // No address block on a CN 22 (the label beside it has them): who, where, and how
    // to reach them, one party per two lines.
    for (who, a) in [("From", &input.sender), ("To", &input.receiver)] {
        s.line(
            0.0,
            &format!("{who}: {}, {}", a.name, country_text(a.country)),
            7.0,
            true,
        );
        if let Some(contact) = contact_text(a) {
            s.line(3.0, &contact, 7.0, false);
        }
    }
    s.rule();
    s.line(
        0.0,
        "I certify that the particulars given in this declaration are correct and that",
        6.0,
        false,
    );
    s.line(
        0.0,
        "this item does not contain any dangerous article prohibited by postal regulations.",
        6.0,
        false,
    );
    s.line(
        0.0,
        &format!("Date: {}   Signature: ____________", input.date),
        7.0,
        false,
    );
    s.barcode(input.tracking_number.as_ref(), 14.0)?;
    s.finish(input, "CN 22")
}

/// UPU CN 23 on A4.
pub fn cn23(input: &CustomsInput) -> Result<Vec<u8>, LabelError> {
    check_drawable(input)?;
    let d = &input.declaration;
    let mut s = Sheet::new(A4, 12.0);
    s.line(0.0, "CUSTOMS DECLARATION CN 23", 14.0, true);
    s.line(0.0, "May be opened officially", 8.0, false);
    s.barcode(input.tracking_number.as_ref(), 18.0)?;
    s.rule();
    s.parties(input);
    s.rule();
    // Origin gets room for a country name; descriptions are cut rather than names.
    let cols = [0.0, 62.0, 74.0, 95.0, 121.0, 141.0];
    s.columns(
        &[
            (cols[0], "Detailed description of contents"),
            (cols[1], "Qty"),
            (cols[2], "Net weight"),
            (cols[3], "Value"),
            (cols[4], "HS tariff no."),
            (cols[5], "Origin"),
        ],
        8.0,
        true,
    );
    for item in &d.items {
        s.columns(
            &[
                (cols[0], &both_names(item)),
                (cols[1], &item.quantity.to_string()),
                (cols[2], &kg_text(line_weight_kg(item))),
                (cols[3], &money_text(line_value(item))),
                (cols[4], item.hs_code.as_str()),
                (cols[5], &country_code_first(item.origin_country)),
            ],
            8.0,
            false,
        );
    }
    s.rule();
    s.line(
        0.0,
        &format!("Total gross weight: {}", kg_text(gross_weight_kg(input))),
        9.0,
        true,
    );
    s.line(0.0, &format!("Total value: {}", totals_text(d)), 9.0, true);
    s.categories(d.content_type);
    s.line(
        0.0,
        &format!(
            "Incoterm: {:?}   Invoice: {}",
            d.incoterm, input.invoice_number
        ),
        9.0,
        false,
    );
    s.rule();
    s.line(
        0.0,
        "I certify that the particulars given in this customs declaration are correct and that this item does not",
        7.5,
        false,
    );
    s.line(
        0.0,
        "contain any dangerous article or articles prohibited by legislation or by postal or customs regulations.",
        7.5,
        false,
    );
    s.line(
        0.0,
        &format!("Date: {}   Signature: ____________________", input.date),
        9.0,
        false,
    );
    s.finish(input, "CN 23")
}

/// A commercial invoice on A4.
pub fn commercial_invoice(input: &CustomsInput) -> Result<Vec<u8>, LabelError> {
    check_drawable(input)?;
    let d = &input.declaration;
    let mut s = Sheet::new(A4, 12.0);
    s.line(0.0, "COMMERCIAL INVOICE", 16.0, true);
    s.line(
        0.0,
        &format!("Invoice no. {}   Date {}", input.invoice_number, input.date),
        10.0,
        false,
    );
    if let Some(t) = &input.tracking_number {
        s.line(0.0, &format!("Tracking no. {t}"), 10.0, false);
    }
    s.line(
        0.0,
        &format!(
            "Incoterm: {:?}   Reason for export: {}",
            d.incoterm,
            content_name(d.content_type)
        ),
        10.0,
        false,
    );
    s.rule();
    s.parties(input);
    s.rule();
    let cols = [0.0, 8.0, 70.0, 90.0, 104.0, 116.0, 141.0, 166.0];
    s.columns(
        &[
            (cols[0], "#"),
            (cols[1], "Description"),
            (cols[2], "HS code"),
            (cols[3], "Origin"),
            (cols[4], "Qty"),
            (cols[5], "Unit value"),
            (cols[6], "Line value"),
            (cols[7], "Net weight"),
        ],
        8.0,
        true,
    );
    for (i, item) in d.items.iter().enumerate() {
        let desc = match &item.sku {
            Some(sku) => format!("{} ({sku})", both_names(item)),
            None => both_names(item),
        };
        s.columns(
            &[
                (cols[0], &(i + 1).to_string()),
                (cols[1], &desc),
                (cols[2], item.hs_code.as_str()),
                (cols[3], item.origin_country.as_str()),
                (cols[4], &item.quantity.to_string()),
                (cols[5], &money_text(item.unit_value)),
                (cols[6], &money_text(line_value(item))),
                (cols[7], &kg_text(line_weight_kg(item))),
            ],
            8.0,
            false,
        );
    }
    s.rule();
    for total in totals(d) {
        s.line(
            0.0,
            &format!("Total {}: {}", total.currency().code(), money_text(total)),
            10.0,
            true,
        );
    }
    s.line(
        0.0,
        &format!("Total net weight: {}", kg_text(total_weight_kg(d))),
        10.0,
        false,
    );
    s.line(
        0.0,
        &format!("Total gross weight: {}", kg_text(gross_weight_kg(input))),
        10.0,
        false,
    );
    s.line(
        0.0,
        &format!(
            "Number of items: {}",
            d.items.iter().map(|i| u64::from(i.quantity)).sum::<u64>()
        ),
        10.0,
        false,
    );
    s.rule();
    s.line(
        0.0,
        "I declare that the information on this invoice is true and correct and that the origin of the goods is as stated.",
        8.0,
        false,
    );
    s.line(0.0, "Signature: ____________________", 10.0, false);
    s.finish(input, "Commercial invoice")
}

/// "Tel +49 30 1234567  E-mail jane@example.de", or None when the address has neither.
fn contact_text(a: &Address) -> Option<String> {
    let parts: Vec<String> = [("Tel", &a.phone), ("E-mail", &a.email)]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
        .collect();
    (!parts.is_empty()).then(|| parts.join("  "))
}

fn totals_text(d: &CustomsDeclaration) -> String {
    totals(d)
        .into_iter()
        .map(money_text)
        .collect::<Vec<_>>()
        .join(" + ")
}

fn content_name(c: ContentType) -> &'static str {
    match c {
        ContentType::Merchandise => "Sale of goods",
        ContentType::Documents => "Documents",
        ContentType::Gift => "Gift",
        ContentType::Sample => "Commercial sample",
        ContentType::ReturnedGoods => "Returned goods",
        ContentType::Other => "Other",
    }
}

/// A top-down text cursor over pages of elements; starts a new page when one is full.
struct Sheet {
    page: (f32, f32),
    margin: f32,
    pages: Vec<Vec<Element>>,
    y: f32,
}

impl Sheet {
    fn new(page: (f32, f32), margin: f32) -> Self {
        Sheet {
            page,
            margin,
            pages: vec![Vec::new()],
            y: margin,
        }
    }

    fn width(&self) -> f32 {
        self.page.0 - 2.0 * self.margin
    }

    fn room(&mut self, height: f32) {
        if self.y + height > self.page.1 - self.margin {
            self.pages.push(Vec::new());
            self.y = self.margin;
        }
    }

    fn push(&mut self, e: Element) {
        self.pages.last_mut().expect("one page at least").push(e);
    }

    fn frame(&mut self) {
        self.push(Element::Frame {
            x: 1.5,
            y: 1.5,
            width: self.page.0 - 3.0,
            height: self.page.1 - 3.0,
            thickness: 0.4,
        });
    }

    /// Text columns on one line, each fitted to the space before the next column.
    fn columns(&mut self, cols: &[(f32, &str)], size: f32, bold: bool) {
        let advance = size * 0.42;
        self.room(advance);
        self.y += advance;
        for (i, &(x, text)) in cols.iter().enumerate() {
            let end = cols.get(i + 1).map_or(self.width(), |c| c.0 - 1.5);
            if let Some(t) = fit(self.margin + x, self.y, size, bold, text, end - x) {
                self.push(Element::Text(t));
            }
        }
    }

    fn line(&mut self, x: f32, text: &str, size: f32, bold: bool) {
        self.columns(&[(x, text)], size, bold);
    }

    fn rule(&mut self) {
        self.room(2.0);
        self.y += 1.2;
        let (x, width) = (self.margin, self.width());
        let y = self.y;
        self.push(Element::Bar {
            x,
            y,
            width,
            height: 0.3,
        });
        self.y += 0.8;
    }

    fn categories(&mut self, c: ContentType) {
        let all = [
            ContentType::Gift,
            ContentType::Documents,
            ContentType::Sample,
            ContentType::ReturnedGoods,
            ContentType::Merchandise,
            ContentType::Other,
        ];
        let boxes: Vec<String> = all
            .iter()
            .map(|k| format!("[{}] {}", if *k == c { "X" } else { " " }, content_name(*k)))
            .collect();
        self.line(0.0, &boxes[..3].join("  "), 7.0, false);
        self.line(0.0, &boxes[3..].join("  "), 7.0, false);
    }

    fn tax_ids(&mut self, who: &str, ids: &TaxIds) {
        let parts: Vec<String> = [("EORI", &ids.eori), ("VAT", &ids.vat), ("IOSS", &ids.ioss)]
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} {v}")))
            .collect();
        if !parts.is_empty() {
            self.line(0.0, &format!("{who}: {}", parts.join("  ")), 7.0, false);
        }
    }

    /// Sender and receiver side by side, each with its registrations.
    fn parties(&mut self, input: &CustomsInput) {
        let half = self.width() / 2.0;
        let d = &input.declaration;
        let block = |title: &str, a: &Address, ids: &TaxIds| {
            let mut lines = vec![title.to_string(), a.name.clone()];
            lines.extend(a.company.clone());
            lines.extend(a.street.iter().cloned());
            let mut city = a.city.clone();
            if let Some(p) = &a.postal_code {
                city = format!("{p} {city}");
            }
            if let Some(s) = &a.state {
                city.push_str(&format!(", {s}"));
            }
            lines.push(city);
            lines.push(country_text(a.country));
            lines.extend(a.phone.as_ref().map(|p| format!("Tel: {p}")));
            lines.extend(a.email.as_ref().map(|e| format!("E-mail: {e}")));
            for (k, v) in [("EORI", &ids.eori), ("VAT", &ids.vat), ("IOSS", &ids.ioss)] {
                if let Some(v) = v {
                    lines.push(format!("{k}: {v}"));
                }
            }
            lines
        };
        let left = block("FROM (exporter)", &input.sender, &d.exporter);
        let right = block("TO (importer)", &input.receiver, &d.importer);
        for i in 0..left.len().max(right.len()) {
            let get = |v: &Vec<String>| v.get(i).cloned().unwrap_or_default();
            let bold = i == 0;
            self.columns(&[(0.0, &get(&left)), (half, &get(&right))], 9.0, bold);
        }
    }

    fn barcode(
        &mut self,
        tracking: Option<&TrackingNumber>,
        height: f32,
    ) -> Result<(), LabelError> {
        let Some(t) = tracking else { return Ok(()) };
        self.room(height + 6.0);
        self.y += 1.5;
        let (x, width, y) = (self.margin, self.width().min(100.0), self.y);
        self.push(Element::Barcode {
            x,
            y,
            width,
            height,
            symbol: Code128::new(t.as_str())?,
        });
        self.y += height;
        self.line((width - 40.0).max(0.0) / 2.0, t.as_str(), 8.0, true);
        Ok(())
    }

    fn finish(self, input: &CustomsInput, kind: &str) -> Result<Vec<u8>, LabelError> {
        let id = match &input.tracking_number {
            Some(t) => format!("{kind}-{}-{t}", input.invoice_number),
            None => format!("{kind}-{}", input.invoice_number),
        };
        pdf::write(
            &self.pages,
            self.page,
            &Meta {
                title: format!("{kind} {}", input.invoice_number),
                subject: kind.to_string(),
                date: input.date,
                id,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use shiphub_carriers::model::{Incoterm, Weight};

    fn item(value: Decimal, currency: Currency, qty: u32) -> CustomsItem {
        CustomsItem {
            description: "T-shirt".into(),
            local_description: None,
            quantity: qty,
            unit_value: Money::new(value, currency),
            unit_weight: Weight::new(dec!(0.2), WeightUnit::Kg).unwrap(),
            hs_code: "610910".parse().unwrap(),
            origin_country: "PT".parse().unwrap(),
            sku: None,
        }
    }

    #[test]
    fn totals_are_exact_and_kept_per_currency() {
        let d = CustomsDeclaration {
            incoterm: Incoterm::DAP,
            content_type: ContentType::Merchandise,
            items: vec![
                item(dec!(0.1), Currency::EUR, 3),
                item(dec!(0.2), Currency::EUR, 1),
                item(dec!(19.99), Currency::USD, 2),
            ],
            exporter: TaxIds::default(),
            importer: TaxIds::default(),
        };
        let t = totals(&d);
        // 0.1 × 3 + 0.2 is exactly 0.5, not 0.5000000001.
        assert_eq!(
            t,
            vec![
                Money::new(dec!(0.5), Currency::EUR),
                Money::new(dec!(39.98), Currency::USD)
            ]
        );
        assert_eq!(money_text(t[0]), "0.50 EUR");
        assert_eq!(total_weight_kg(&d), dec!(1.2));
    }

    #[test]
    fn money_text_pads_to_minor_units_and_never_cuts() {
        let jpy: Currency = "JPY".parse().unwrap();
        let kwd: Currency = "KWD".parse().unwrap();
        assert_eq!(money_text(Money::new(dec!(1500), jpy)), "1500 JPY");
        assert_eq!(money_text(Money::new(dec!(1.5), kwd)), "1.500 KWD");
        assert_eq!(
            money_text(Money::new(dec!(0.125), Currency::USD)),
            "0.125 USD"
        );
        assert_eq!(
            money_text(Money::new(dec!(12.300), Currency::EUR)),
            "12.30 EUR"
        );
    }

    #[test]
    fn weights_round_up() {
        assert_eq!(kg_text(dec!(0.0001)), "0.001 kg");
        assert_eq!(kg_text(dec!(2.5)), "2.5 kg");
    }
}
