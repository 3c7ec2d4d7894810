//! The end-of-day manifest page the hub draws when a carrier's close gives no document of its
//! own (the sandbox, carriers whose close is an API call only): who hands over what on which
//! day, the manifest id as Code 128 for the driver's scan, and every tracking number. US Letter,
//! as a SCAN form is; the numbers run in three columns, about 180 a page, then further pages.
//! Pure like the labels: the PDF creation date is the ship date, the trailer id the manifest's.

use shiphub_carriers::model::{Address, TrackingNumber};
use time::Date;

use crate::LabelError;
use crate::customs_docs::country_text;
use crate::render::code128::Code128;
use crate::render::layout::{Element, fit};
use crate::render::pdf::{self, Meta};

/// What the manifest page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestInput {
    /// The carrier's name ("USPS").
    pub carrier: String,
    /// The carrier's manifest id (drawn as Code 128).
    pub manifest_id: String,
    /// The ship date closed.
    pub ship_date: Date,
    /// Where the parcels are handed over.
    pub from: Address,
    /// How many shipments it covers.
    pub shipments: usize,
    /// Every parcel's number.
    pub tracking_numbers: Vec<TrackingNumber>,
}

const LETTER: (f32, f32) = (215.9, 279.4);
const MARGIN: f32 = 15.0;
const COLUMNS: usize = 3;
const ROW_MM: f32 = 4.2;

/// Draws the manifest.
pub fn manifest(input: &ManifestInput) -> Result<Vec<u8>, LabelError> {
    let width = LETTER.0 - 2.0 * MARGIN;
    let mut pages: Vec<Vec<Element>> = vec![Vec::new()];
    let mut y = MARGIN;
    let text = |page: &mut Vec<Element>, y: &mut f32, s: &str, size: f32, bold: bool| {
        *y += size * 0.45;
        page.extend(fit(MARGIN, *y, size, bold, s, width).map(Element::Text));
    };
    let page = pages.last_mut().expect("a first page");
    text(page, &mut y, "SHIPMENT MANIFEST - END OF DAY", 16.0, true);
    text(
        page,
        &mut y,
        &format!("{}   ship date {}", input.carrier, input.ship_date),
        11.0,
        false,
    );
    y += 2.0;
    let from = &input.from;
    let mut origin = vec![from.name.clone()];
    origin.extend(from.company.clone());
    origin.extend(from.street.iter().cloned());
    origin.push(
        [
            Some(from.city.clone()),
            from.state.clone(),
            from.postal_code.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" "),
    );
    origin.push(country_text(from.country));
    text(page, &mut y, "Handed over from", 9.0, true);
    for line in &origin {
        text(page, &mut y, line, 9.0, false);
    }
    y += 2.0;
    text(
        page,
        &mut y,
        &format!(
            "{} shipments, {} parcels",
            input.shipments,
            input.tracking_numbers.len()
        ),
        10.0,
        true,
    );
    y += 3.0;
    text(page, &mut y, "Manifest id", 9.0, true);
    y += 1.0;
    page.push(Element::Barcode {
        x: MARGIN,
        y,
        width: 110.0,
        height: 15.0,
        symbol: Code128::new(&input.manifest_id)?,
    });
    y += 15.0;
    text(page, &mut y, &input.manifest_id, 10.0, true);
    y += 2.0;
    page.push(Element::Bar {
        x: MARGIN,
        y,
        width,
        height: 0.3,
    });
    y += 2.0;
    let column = width / COLUMNS as f32;
    let mut rows_left = rows_below(y);
    let mut top = y;
    let mut i = 0;
    while i < input.tracking_numbers.len() {
        if rows_left == 0 {
            pages.push(Vec::new());
            top = MARGIN;
            rows_left = rows_below(top);
        }
        let page = pages.last_mut().expect("a page");
        let take = (rows_left * COLUMNS).min(input.tracking_numbers.len() - i);
        // Down each column, then across, as a reader checks a list.
        let rows = take.div_ceil(COLUMNS);
        for (k, n) in input.tracking_numbers[i..i + take].iter().enumerate() {
            let (col, row) = (k / rows, k % rows);
            let x = MARGIN + col as f32 * column;
            let line = format!("{:>4}  {n}", i + k + 1);
            page.extend(
                fit(
                    x,
                    top + (row + 1) as f32 * ROW_MM,
                    8.0,
                    false,
                    &line,
                    column - 2.0,
                )
                .map(Element::Text),
            );
        }
        i += take;
        rows_left = 0;
    }
    pdf::write(
        &pages,
        LETTER,
        &Meta {
            title: format!("Manifest {}", input.manifest_id),
            subject: "Manifest".to_string(),
            date: input.ship_date,
            id: format!("manifest-{}", input.manifest_id),
        },
    )
}

/// How many rows of numbers fit below `y`.
fn rows_below(y: f32) -> usize {
    ((LETTER.1 - MARGIN - y) / ROW_MM).floor().max(0.0) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn input(n: usize) -> ManifestInput {
        ManifestInput {
            carrier: "Sandbox".into(),
            manifest_id: "9475000000000000000042".into(),
            ship_date: date!(2026 - 12 - 07),
            from: serde_json::from_value(serde_json::json!({"name": "Shipper",
                "street": ["100 Main St"], "city": "Atlanta", "state": "GA",
                "postal_code": "30301", "country": "US"}))
            .unwrap(),
            shipments: n,
            tracking_numbers: (0..n)
                .map(|i| format!("SBX{i:012}").parse().unwrap())
                .collect(),
        }
    }

    fn pages(pdf: &[u8]) -> usize {
        String::from_utf8_lossy(pdf).matches("/MediaBox").count()
    }

    #[test]
    fn a_day_of_a_few_parcels_is_one_reproducible_page() {
        let a = manifest(&input(3)).unwrap();
        assert!(a.starts_with(b"%PDF"));
        assert_eq!(pages(&a), 1);
        assert_eq!(a, manifest(&input(3)).unwrap());
    }

    #[test]
    fn a_long_day_runs_onto_further_pages() {
        assert_eq!(pages(&manifest(&input(400)).unwrap()), 3);
    }
}
