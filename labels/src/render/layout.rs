//! Where everything goes on a label, in millimetres from its top-left corner, independent
//! of the output format and of the stock (which only places and scales the result, see
//! [`transform`]). Every line is fitted to its box here (shrunk, then cut with "..."), so
//! no writer has to measure text. The 4×6 layout squeezes the optional GS1-128 into the
//! service band and the 2D symbol beside the address; the 4×8 layout gives the extra 2 in
//! at the bottom to the GS1-128 at full width, or else to the 2D symbol.

use std::sync::Arc;

use rust_decimal::RoundingStrategy;
use shiphub_carriers::model::{Address, Weight, WeightUnit};

use super::LabelError;
use super::code128::{Code128, QUIET_ZONE_MODULES};
use super::matrix::{self, Matrix};
use super::text::width_mm;
use crate::stock::Placement;
use crate::{Gs1Barcode, LabelSpec, MatrixCode};

pub(crate) const LABEL_WIDTH_MM: f32 = 101.6;
pub(crate) const LABEL_HEIGHT_MM: f32 = 152.4;
/// The 4×8 layout's height: the 4×6 sections, then a band for the extra symbols.
pub(crate) const TALL_HEIGHT_MM: f32 = 203.2;
/// The narrowest module we accept for the GS1-128 symbol: two 203 dpi dots. Data that
/// needs narrower bars in its area is refused rather than printed unscannable.
const MIN_GS1_MODULE_MM: f32 = 0.25;
/// One thing to draw. Coordinates in mm, y grows downwards.
#[derive(Clone, Debug)]
pub(crate) enum Element {
    Text(Text),
    /// A filled rectangle: section rules.
    Bar {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
    },
    /// A rectangle outline, `thickness` drawn inwards from its bounds (as ZPL `^GB` does).
    Frame {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        thickness: f32,
    },
    /// A Code 128 symbol (tracking number or GS1-128): each writer picks a module width
    /// so the symbol plus a 10-module quiet zone on each side fits `width`, and centres
    /// it there.
    Barcode {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        symbol: Code128,
    },
    /// A QR or DataMatrix symbol in a `size` × `size` square that includes its quiet
    /// zone; writers pick the module size and centre the symbol.
    Matrix {
        x: f32,
        y: f32,
        size: f32,
        matrix: Arc<Matrix>,
    },
}

/// One line of text, already fitted; `text` is the caller's Unicode, each writer
/// encodes it for its own fonts.
#[derive(Clone, Debug)]
pub(crate) struct Text {
    pub(crate) x: f32,
    pub(crate) baseline: f32,
    pub(crate) size_pt: f32,
    pub(crate) bold: bool,
    pub(crate) text: String,
}

/// The frame: 1.5 mm in from the edge, so printers that cannot print to the edge keep it.
const FRAME: f32 = 1.5;
const FRAME_THICKNESS: f32 = 0.5;
const INNER_LEFT: f32 = FRAME + FRAME_THICKNESS;
const INNER_WIDTH: f32 = LABEL_WIDTH_MM - 2.0 * INNER_LEFT;
const RULE: f32 = 0.4;
const TEXT_LEFT: f32 = 4.0;
const TEXT_WIDTH: f32 = LABEL_WIDTH_MM - 2.0 * TEXT_LEFT;
/// The right-hand column of the top band (date, weight, piece).
const SIDE_LEFT: f32 = 66.0;
const SIDE_WIDTH: f32 = LABEL_WIDTH_MM - TEXT_LEFT - SIDE_LEFT;
const FROM_WIDTH: f32 = SIDE_LEFT - TEXT_LEFT - 2.0;
/// Section boundaries (top of each rule).
const FROM_END: f32 = 33.0;
const SHIP_TO_END: f32 = 82.0;
const SERVICE_END: f32 = 99.0;
const BARCODE_END: f32 = 140.0;
/// 4×8 only: top of the band for the GS1-128 and 2D symbols, under the reference line.
const BAND_TOP: f32 = 150.0;
const INNER_RIGHT: f32 = LABEL_WIDTH_MM - INNER_LEFT;

/// The 4×6 (or, with `height` = [`TALL_HEIGHT_MM`], 4×8) layout of one label.
pub(crate) fn layout(
    spec: &LabelSpec,
    gs1: Option<&Gs1Barcode>,
    matrix: Option<&MatrixCode>,
    height: f32,
) -> Result<Vec<Element>, LabelError> {
    let gs1_data = gs1;
    let tall = height >= TALL_HEIGHT_MM;
    if spec.piece_number == 0 || spec.piece_number > spec.piece_count {
        return Err(LabelError::InvalidSpec {
            field: "piece_number",
            message: format!(
                "piece {} of {} (pieces count from 1)",
                spec.piece_number, spec.piece_count
            ),
        });
    }
    let symbol = Code128::new(spec.tracking_number.as_str())?;
    let gs1 = gs1_data.map(Code128::gs1).transpose()?;
    // Without a caller's symbol the label carries the hub's routing Data Matrix, so a
    // scanner gets the tracking number and destination even where the bars are damaged.
    let routing;
    let matrix = match matrix {
        Some(m) => m,
        None => {
            routing = MatrixCode::DataMatrix(spec.routing_text());
            &routing
        }
    };
    let matrix = Some(matrix::encoded(matrix)?);
    // On 4×6 the extras take the right-hand side of their sections, so text narrows. On
    // 4×8 the 2D symbol has the band to itself, or sits beside the address as on 4×6 when
    // a GS1-128 is there: every label carries a 2D symbol, and the GS1-128 needs the
    // band's whole width (63 mm beside the symbol would refuse data that fits 4×8).
    let band_matrix = tall && gs1.is_none();
    let matrix_slot = matrix.as_ref().map(|_| {
        if band_matrix {
            (INNER_RIGHT - 0.5 - 31.0, BAND_TOP + 6.0, 31.0)
        } else {
            (INNER_RIGHT - 0.5 - 28.0, FROM_END + 2.0, 28.0)
        }
    });
    let gs1_slot = gs1.as_ref().map(|_| {
        if tall {
            // (x, y, width, bar height, HRI baseline): full width unless the 2D symbol
            // shares the band.
            (
                INNER_LEFT + 0.5,
                BAND_TOP + 4.0,
                INNER_WIDTH - 1.0,
                36.0,
                BAND_TOP + 45.0,
            )
        } else {
            let x = 40.0;
            (
                x,
                SHIP_TO_END + 1.5,
                INNER_RIGHT - 0.5 - x,
                9.0,
                SERVICE_END - 1.2,
            )
        }
    });
    let ship_to_width = match matrix_slot {
        Some((x, _, _)) if !band_matrix => x - TEXT_LEFT - 1.0,
        _ => TEXT_WIDTH,
    };
    let service_width = match gs1_slot {
        Some((x, ..)) if !tall => x - TEXT_LEFT - 1.0,
        _ => TEXT_WIDTH,
    };
    if let (Some(symbol), Some((_, _, width, _, _))) = (&gs1, gs1_slot) {
        let modules = symbol.modules().len() + 2 * QUIET_ZONE_MODULES;
        if width / (modules as f32) < MIN_GS1_MODULE_MM {
            return Err(LabelError::InvalidSpec {
                field: "gs1",
                message: format!(
                    "{} modules do not fit {width:.0} mm at {MIN_GS1_MODULE_MM} mm each{}",
                    modules,
                    if tall { "" } else { "; use the 4x8 stock" }
                ),
            });
        }
    }
    let mut out = vec![Element::Frame {
        x: FRAME,
        y: FRAME,
        width: LABEL_WIDTH_MM - 2.0 * FRAME,
        height: height - 2.0 * FRAME,
        thickness: FRAME_THICKNESS,
    }];
    let mut text = |x: f32, baseline: f32, size_pt: f32, bold: bool, s: &str, width: f32| {
        if let Some(t) = fit(x, baseline, size_pt, bold, s, width) {
            out.push(Element::Text(t));
        }
    };

    // FROM, small: the carrier needs it only for returns.
    text(TEXT_LEFT, 5.5, 6.0, true, "FROM", FROM_WIDTH);
    for (i, line) in address_lines(&spec.from).iter().enumerate() {
        text(
            TEXT_LEFT,
            9.0 + 3.4 * i as f32,
            8.0,
            i == 0,
            line,
            FROM_WIDTH,
        );
    }
    let side = [
        ("SHIP DATE", spec.ship_date.to_string()),
        ("WEIGHT", weight_text(spec.weight)),
        (
            "PIECE",
            format!("{} of {}", spec.piece_number, spec.piece_count),
        ),
    ];
    for (i, (label, value)) in side.iter().enumerate() {
        let top = 9.0 * i as f32;
        text(SIDE_LEFT, top + 5.5, 6.0, true, label, SIDE_WIDTH);
        text(SIDE_LEFT, top + 10.0, 10.0, true, value, SIDE_WIDTH);
    }

    // SHIP TO, large: sorters read it from arm's length.
    text(TEXT_LEFT, FROM_END + 4.0, 7.0, true, "SHIP TO", TEXT_WIDTH);
    let to = &spec.to;
    let mut lines: Vec<(f32, bool, &str)> = vec![(14.0, true, to.name.as_str())];
    if let Some(company) = &to.company {
        lines.push((12.0, false, company));
    }
    lines.extend(to.street.iter().map(|s| (12.0, false, s.as_str())));
    let city = city_line(to);
    lines.push((14.0, true, &city));
    lines.push((12.0, true, to.country.as_str()));
    // The receiver's phone: couriers call it when no one answers the door.
    let phone = to.phone.as_deref().map(|p| format!("TEL {p}"));
    if let Some(p) = &phone {
        lines.push((10.0, false, p));
    }
    let mut baseline = FROM_END + 4.0;
    for (size, bold, line) in lines {
        baseline += size * 0.42; // 1.2 × the size in mm
        text(TEXT_LEFT, baseline, size, bold, line, ship_to_width);
    }

    text(
        TEXT_LEFT,
        SHIP_TO_END + 7.5,
        16.0,
        true,
        &spec.carrier,
        service_width,
    );
    let service = if spec.service_code.trim().is_empty() {
        spec.service_name.clone()
    } else {
        format!("{} ({})", spec.service_name, spec.service_code)
    };
    text(
        TEXT_LEFT,
        SHIP_TO_END + 13.5,
        10.0,
        false,
        &service,
        service_width,
    );

    text(
        TEXT_LEFT,
        SERVICE_END + 4.5,
        7.0,
        true,
        "TRACKING #",
        TEXT_WIDTH,
    );
    if let Some(reference) = &spec.reference {
        text(
            TEXT_LEFT,
            BARCODE_END + 7.0,
            10.0,
            false,
            &format!("REF: {reference}"),
            TEXT_WIDTH,
        );
    }

    // The number under the bars, centred like the symbol. It may shrink to the legible
    // minimum but is never cut: 40 of the widest letter (W) at 6 pt take 80 mm.
    let number = spec.tracking_number.as_str();
    let hri = fit_down_to(
        MIN_PT,
        0.0,
        BARCODE_END - 4.0,
        12.0,
        true,
        number,
        TEXT_WIDTH,
    );
    if let Some(mut t) = hri {
        t.x = (LABEL_WIDTH_MM - width_mm(&t.text, true, t.size_pt)) / 2.0;
        out.push(Element::Text(t));
    }

    // Inside the frame with 0.5 mm to spare, so the frame never eats the quiet zone.
    out.push(Element::Barcode {
        x: INNER_LEFT + 0.5,
        y: SERVICE_END + 6.5,
        width: INNER_WIDTH - 1.0,
        height: 24.0,
        symbol,
    });
    if let (Some(symbol), Some((x, y, width, bar_height, baseline))) = (gs1, gs1_slot) {
        let hri = gs1_data.map(Gs1Barcode::human_readable).unwrap_or_default();
        if let Some(mut t) = fit_down_to(MIN_PT, 0.0, baseline, 8.0, false, &hri, width) {
            t.x = x + (width - width_mm(&t.text, false, t.size_pt)) / 2.0;
            out.push(Element::Text(t));
        }
        out.push(Element::Barcode {
            x,
            y,
            width,
            height: bar_height,
            symbol,
        });
    }
    if let (Some(matrix), Some((x, y, size))) = (matrix, matrix_slot) {
        out.push(Element::Matrix { x, y, size, matrix });
    }
    let mut rules = vec![FROM_END, SHIP_TO_END, SERVICE_END, BARCODE_END];
    if tall {
        rules.push(BAND_TOP);
    }
    for y in rules {
        out.push(Element::Bar {
            x: INNER_LEFT,
            y,
            width: INNER_WIDTH,
            height: RULE,
        });
    }
    Ok(out)
}

/// Moves a layout onto its page: `page = offset + scale × layout`. Type sizes scale too.
pub(crate) fn transform(elements: &mut [Element], p: Placement) {
    if p == (Placement {
        x: 0.0,
        y: 0.0,
        scale: 1.0,
    }) {
        return;
    }
    let (s, dx, dy) = (p.scale, p.x, p.y);
    for e in elements {
        match e {
            Element::Text(t) => {
                t.x = dx + s * t.x;
                t.baseline = dy + s * t.baseline;
                t.size_pt *= s;
            }
            Element::Bar {
                x,
                y,
                width,
                height,
            }
            | Element::Barcode {
                x,
                y,
                width,
                height,
                ..
            } => {
                (*x, *y, *width, *height) = (dx + s * *x, dy + s * *y, s * *width, s * *height);
            }
            Element::Frame {
                x,
                y,
                width,
                height,
                thickness,
            } => {
                (*x, *y, *width, *height) = (dx + s * *x, dy + s * *y, s * *width, s * *height);
                *thickness *= s;
            }
            Element::Matrix { x, y, size, .. } => {
                (*x, *y, *size) = (dx + s * *x, dy + s * *y, s * *size);
            }
        }
    }
}

fn address_lines(a: &Address) -> Vec<String> {
    let mut lines = vec![a.name.clone()];
    lines.extend(a.company.clone());
    lines.extend(a.street.iter().cloned());
    lines.push(city_line(a));
    // The phone shares the country's line: the FROM block has no room for another.
    lines.push(match &a.phone {
        Some(p) => format!("{}  TEL {p}", a.country.as_str()),
        None => a.country.as_str().to_string(),
    });
    lines
}

/// "City, ST 12345"; parts the address lacks are left out.
fn city_line(a: &Address) -> String {
    if super::text::needs_cjk(&a.city) || a.district.as_deref().is_some_and(super::text::needs_cjk)
    {
        // 湖北省襄阳市樊城区: province, city, district run together, the postal code after.
        let mut line = a.state.clone().unwrap_or_default();
        line.push_str(&a.city);
        line.push_str(a.district.as_deref().unwrap_or_default());
        if let Some(postal) = &a.postal_code {
            line.push(' ');
            line.push_str(postal);
        }
        return line;
    }
    let mut line = a.city.clone();
    if let Some(district) = &a.district {
        line.push_str(", ");
        line.push_str(district);
    }
    if let Some(state) = &a.state {
        line.push_str(", ");
        line.push_str(state);
    }
    if let Some(postal) = &a.postal_code {
        line.push(' ');
        line.push_str(postal);
    }
    line
}

/// "2.5 KG". Rounded up to 2 decimals: a label must never understate the weight.
pub(crate) fn weight_text(w: Weight) -> String {
    let value = w
        .value()
        .round_dp_with_strategy(2, RoundingStrategy::AwayFromZero)
        .normalize();
    let unit = match w.unit() {
        WeightUnit::Kg => "KG",
        WeightUnit::G => "G",
        WeightUnit::Lb => "LB",
        WeightUnit::Oz => "OZ",
    };
    format!("{value} {unit}")
}

/// Cleans `raw` to one line and fits it in `max_width` mm: first by shrinking the type
/// down to 75%, then by cutting it and appending "...". Empty text gives no element.
pub(crate) fn fit(
    x: f32,
    baseline: f32,
    size_pt: f32,
    bold: bool,
    raw: &str,
    max_width: f32,
) -> Option<Text> {
    let smallest = (size_pt * 0.75).max(MIN_PT).min(size_pt);
    fit_down_to(smallest, x, baseline, size_pt, bold, raw, max_width)
}

/// The smallest type a 203 dpi thermal printer keeps legible.
const MIN_PT: f32 = 6.0;

/// [`fit`] with an explicit smallest size.
fn fit_down_to(
    smallest: f32,
    x: f32,
    baseline: f32,
    size_pt: f32,
    bold: bool,
    raw: &str,
    max_width: f32,
) -> Option<Text> {
    // Tabs and line breaks would end the line early in a PDF and mean nothing in ZPL.
    let text = raw
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        return None;
    }
    let mut size = size_pt;
    while size > smallest && width_mm(&text, bold, size) > max_width {
        size = (size - 0.5).max(smallest);
    }
    let text = if width_mm(&text, bold, size) <= max_width {
        text
    } else {
        let budget = max_width - width_mm("...", bold, size);
        let mut cut = String::new();
        for c in text.chars() {
            cut.push(c);
            if width_mm(&cut, bold, size) > budget {
                cut.pop();
                break;
            }
        }
        format!("{}...", cut.trim_end())
    };
    Some(Text {
        x,
        baseline,
        size_pt: size,
        bold,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tests::sample;
    use rust_decimal_macros::dec;

    fn texts(elements: &[Element]) -> Vec<&Text> {
        elements
            .iter()
            .filter_map(|e| match e {
                Element::Text(t) => Some(t),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn every_text_line_fits_inside_the_frame() {
        let mut spec = sample();
        spec.to.name = "Wolfgang Amadeus Mozart-Konservatorium Wiederverwertungsabteilung".into();
        spec.to.street = vec![
            "W".repeat(80),
            "Straße 1".into(),
            "東京都千代田区".repeat(5),
        ];
        spec.reference = Some("PO-".repeat(40));
        spec.tracking_number = "W".repeat(40).parse().unwrap();
        let elements = layout(&spec, None, None, LABEL_HEIGHT_MM).unwrap();
        for t in texts(&elements) {
            let right = t.x + width_mm(&t.text, t.bold, t.size_pt);
            assert!(
                t.x >= INNER_LEFT && right <= LABEL_WIDTH_MM - INNER_LEFT,
                "{:?} spans {}..{right} mm",
                t.text,
                t.x
            );
            assert!(t.size_pt >= 6.0, "{:?} shrunk to {} pt", t.text, t.size_pt);
        }
        let name = texts(&elements)
            .into_iter()
            .find(|t| t.text.starts_with("Wolfgang"))
            .unwrap();
        assert!(name.text.ends_with("..."), "{}", name.text);
        assert!(
            texts(&elements).iter().any(|t| t.text == "W".repeat(40)),
            "the tracking number is shrunk, never cut"
        );
    }

    #[test]
    fn phones_and_the_routing_symbol_fit_without_overlapping_on_both_layouts() {
        let mut spec = sample();
        spec.from.phone = Some("+1 404 555 0100 ext. 4417".into());
        spec.from.company = Some("Acme Fulfilment Center".into());
        spec.from.street = vec!["1 Warehouse Way".into(), "Dock 7".into(), "Gate B".into()];
        spec.to.phone = Some("+1 415 555 0199".into());
        spec.to.company = Some("Receiver Inc".into());
        spec.to.street = vec!["1 Market St".into(), "Suite 300".into(), "Floor 3".into()];
        for height in [LABEL_HEIGHT_MM, TALL_HEIGHT_MM] {
            let elements = layout(&spec, None, None, height).unwrap();
            let (mx, my, size) = elements
                .iter()
                .find_map(|e| match e {
                    Element::Matrix { x, y, size, .. } => Some((*x, *y, *size)),
                    _ => None,
                })
                .expect("every label carries a 2D symbol");
            let texts = texts(&elements);
            for phone in ["+1 404 555 0100 ext. 4417", "+1 415 555 0199"] {
                assert!(
                    texts.iter().any(|t| t.text.contains(phone)),
                    "{phone} missing at {height} mm"
                );
            }
            for t in texts {
                let cap = t.size_pt * super::super::text::MM_PER_PT;
                let right = t.x + width_mm(&t.text, t.bold, t.size_pt);
                let clear_vertically = t.baseline < my || t.baseline - cap > my + size;
                assert!(
                    clear_vertically || right <= mx || t.x >= mx + size,
                    "{:?} overlaps the 2D symbol at {height} mm",
                    t.text
                );
                assert!(t.size_pt >= MIN_PT, "{:?} below {MIN_PT} pt", t.text);
                // The FROM block ends above its rule, SHIP TO above the service band.
                if t.baseline < FROM_END + 4.0 {
                    assert!(t.baseline < FROM_END, "{:?} runs into SHIP TO", t.text);
                }
                if t.baseline > FROM_END + 4.0 && t.baseline < SHIP_TO_END + 4.0 {
                    assert!(
                        t.baseline < SHIP_TO_END,
                        "{:?} runs into the service",
                        t.text
                    );
                }
            }
        }
    }

    #[test]
    fn long_lines_shrink_before_they_are_cut() {
        let t = fit(0.0, 10.0, 14.0, true, "Johanna Katharina Oberhauser", 60.0).unwrap();
        assert!(t.size_pt < 14.0);
        assert_eq!(t.text, "Johanna Katharina Oberhauser");
    }

    #[test]
    fn line_breaks_and_tabs_in_user_text_become_single_spaces() {
        let t = fit(0.0, 10.0, 10.0, false, " a\r\n\tb  c ", 90.0).unwrap();
        assert_eq!(t.text, "a b c");
        assert!(fit(0.0, 10.0, 10.0, false, " \n ", 90.0).is_none());
    }

    #[test]
    fn weight_is_rounded_up_never_down() {
        let w = |v, u| weight_text(Weight::new(v, u).unwrap());
        assert_eq!(w(dec!(2.5), WeightUnit::Kg), "2.5 KG");
        assert_eq!(w(dec!(0.001), WeightUnit::Lb), "0.01 LB");
        assert_eq!(w(dec!(12.341), WeightUnit::Oz), "12.35 OZ");
        assert_eq!(w(dec!(500), WeightUnit::G), "500 G");
    }

    #[test]
    fn the_barcode_sits_inside_the_frame_clear_of_every_line() {
        let elements = layout(&sample(), None, None, LABEL_HEIGHT_MM).unwrap();
        let (x, y, width, height) = elements
            .iter()
            .find_map(|e| match e {
                Element::Barcode {
                    x,
                    y,
                    width,
                    height,
                    ..
                } => Some((*x, *y, *width, *height)),
                _ => None,
            })
            .unwrap();
        assert!(x > INNER_LEFT && x + width < LABEL_WIDTH_MM - INNER_LEFT);
        for t in texts(&elements) {
            // Baselines outside the bars' band, with room for ascenders and descenders.
            let cap = t.size_pt * super::super::text::MM_PER_PT;
            assert!(
                t.baseline < y || t.baseline - cap > y + height,
                "{:?} overlaps the barcode",
                t.text
            );
        }
    }
}
