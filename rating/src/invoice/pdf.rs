//! The finance PDF: summary table (billed, expected, disputed, recoverable by carrier and
//! reason), bar charts of recoverable by reason and by week, the top lines to dispute, and
//! what was billed per charge with the top lines' charge lines, each under the carrier's
//! description of it (`运费`, `Fuel Surcharge`) as the CSV and JSON reports give it.
//!
//! Built-in Helvetica, so `pdftotext` extracts every figure; text Helvetica cannot draw
//! (a Chinese title, a carrier's Chinese invoice number) is set in the embedded CJK font of
//! `shiphub-fonts`, subset on save with a ToUnicode map, so it extracts back too. A Latin
//! report embeds no font. The charts are drawn as
//! PDF vector bars with the same ops rather than rasterised with plotters: plotters would
//! need a TTF font bundled for its labels (ab_glyph, no system fonts) and its labels would be
//! pixels that `pdftotext` cannot read; bars are a few rectangles.

use printpdf::{
    BuiltinFont, Color, FontId, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Polygon, PolygonRing, Pt, Rgb, TextItem, WindingOrder,
};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::audit::Reason;
use super::report::{ChargeTotal, ReportSummary, Totals};

const W: f32 = 297.0; // A4 landscape
const H: f32 = 210.0;

/// `1234.5`, `USD` → `1,234.50 USD`: two decimals (more when the amount has them),
/// thousands grouped, the currency after; an ASCII minus (Helvetica's WinAnsi has no U+2212).
pub fn money(amount: Decimal, currency: &str) -> String {
    let scale = amount.scale().max(2);
    let s = format!("{:.*}", scale as usize, amount.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if amount.is_sign_negative() && !amount.is_zero() {
        "-"
    } else {
        ""
    };
    let number = if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    };
    if currency.is_empty() {
        number
    } else {
        format!("{number} {currency}")
    }
}

/// The report's header facts: invoices, accounts and period, as `(label, value)` lines.
fn facts(s: &ReportSummary) -> [(&'static str, String); 3] {
    let list = |items: Vec<&str>, more: bool, none: &str| {
        if items.is_empty() {
            return none.to_owned();
        }
        let joined = clip(&items.join(", "), 150);
        if more || joined.ends_with("...") {
            format!("{joined} (and more: see report.csv)")
        } else {
            joined
        }
    };
    let period = match (s.first_day, s.last_day) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => "no dated lines".to_owned(),
    };
    [
        (
            "Invoice number(s)",
            list(
                s.invoices.iter().map(String::as_str).collect(),
                s.more_invoices,
                "none",
            ),
        ),
        (
            "Account(s)",
            list(
                s.accounts.iter().map(String::as_str).collect(),
                false,
                "not stated in the file",
            ),
        ),
        ("Period (ship dates)", period),
    ]
}

/// The terms a reader of the report needs: the four amounts and each difference class.
pub fn terms() -> Vec<(&'static str, &'static str)> {
    let mut t = vec![
        (
            "Billed",
            "what the carrier invoiced for the package, all its charge lines",
        ),
        (
            "Expected",
            "what the package should have cost: the quote it was bought at, re-rated on the contract rate card where it changed",
        ),
        (
            "Disputed",
            "the billed amount of packages with at least one difference the carrier accepts disputes for",
        ),
        (
            "Recoverable",
            "the part of the billed amount the differences below account for: what a dispute can claim back",
        ),
    ];
    t.extend(Reason::ALL.iter().map(|r| (r.code(), r.definition())));
    t
}

/// Renders the summary as a PDF (A4 landscape, four pages: summary, charts and top lines,
/// charges, terms).
pub fn render_pdf(s: &ReportSummary, title: &str) -> Vec<u8> {
    let cur = s.currency.clone().unwrap_or_default();
    let m = |d: Decimal| money(d, &cur);
    let mut p1 = Page::default();
    p1.text(15.0, 195.0, 16.0, true, title);
    let mut y = 188.0;
    for (label, value) in facts(s) {
        p1.text(15.0, y, 9.0, true, label);
        p1.text(55.0, y, 9.0, false, &value);
        y -= 5.0;
    }
    p1.text(
        15.0,
        y - 1.0,
        9.0,
        false,
        &format!(
            "{} packages - billed {} - expected {} - disputed {} - recoverable {}",
            s.total.packages,
            m(s.total.billed),
            m(s.total.expected),
            m(s.total.disputed),
            m(s.total.recoverable)
        ),
    );
    let cols = [15.0, 60.0, 115.0, 145.0, 180.0, 215.0, 250.0];
    let header = [
        "Carrier",
        "Reason",
        "Packages",
        "Billed",
        "Expected",
        "Disputed",
        "Recoverable",
    ];
    let mut y = 164.0;
    for (x, h) in cols.iter().zip(header) {
        p1.text(*x, y, 9.0, true, h);
    }
    y -= 6.0;
    let row = |p: &mut Page, y: f32, carrier: &str, reason: &str, t: &Totals| {
        let cells = [
            carrier.to_owned(),
            reason.to_owned(),
            t.packages.to_string(),
            money(t.billed, ""),
            money(t.expected, ""),
            money(t.disputed, ""),
            money(t.recoverable, ""),
        ];
        for (x, c) in cols.iter().zip(cells) {
            p.text(*x, y, 8.0, false, &c);
        }
    };
    for (carrier, totals) in &s.by_carrier {
        if y < 20.0 {
            break;
        }
        row(&mut p1, y, carrier.code(), "all lines", totals);
        y -= 5.0;
        for (reason, t) in s.by_carrier_reason.get(carrier).into_iter().flatten() {
            if y < 20.0 {
                break;
            }
            row(&mut p1, y, "", reason.code(), t);
            y -= 5.0;
        }
    }
    row(&mut p1, y - 2.0, "Total", "", &s.total);

    let mut p2 = Page::default();
    p2.text(15.0, 195.0, 13.0, true, "Recoverable by reason");
    let reasons: Vec<(String, Decimal)> = s
        .by_reason
        .iter()
        .filter(|(_, v)| **v > Decimal::ZERO)
        .map(|(r, v)| (r.code().to_owned(), *v))
        .collect();
    p2.bars(15.0, 110.0, 130.0, 75.0, &reasons);
    p2.text(155.0, 195.0, 13.0, true, "Recoverable by week");
    let weeks: Vec<(String, Decimal)> = s
        .by_week
        .iter()
        .rev()
        .take(12)
        .rev()
        .map(|(d, v)| (d.to_string(), *v))
        .collect();
    p2.bars(155.0, 110.0, 130.0, 75.0, &weeks);
    p2.text(15.0, 95.0, 13.0, true, "Top lines to dispute");
    let mut y = 88.0;
    for t in s.top().iter().take(14) {
        let reasons: Vec<&str> = t.reasons.iter().map(|r| r.code()).collect();
        p2.text(
            15.0,
            y,
            8.0,
            false,
            &format!(
                "{} {}  invoice {}  line {}  {}  recoverable {}",
                t.carrier.code(),
                t.tracking_number,
                t.invoice_number,
                t.line,
                reasons.join(", "),
                m(t.recoverable)
            ),
        );
        y -= 5.0;
    }

    // Page 3: what was billed per charge, in the carrier's words (Chinese too), and the
    // charge lines of the top lines to dispute, as the CSV and JSON reports give them.
    let mut p3 = Page::default();
    p3.text(15.0, 195.0, 13.0, true, "Billed by charge");
    let ccols = [15.0, 100.0, 120.0];
    for (x, h) in ccols.iter().zip(["Charge", "Lines", "Billed"]) {
        p3.text(*x, 188.0, 9.0, true, h);
    }
    let mut charges: Vec<(&String, &ChargeTotal)> = s.by_charge.iter().collect();
    charges.sort_by(|a, b| b.1.billed.cmp(&a.1.billed).then(a.0.cmp(b.0)));
    let mut y = 182.0;
    let mut shown = 0;
    for (description, t) in &charges {
        if y < 20.0 {
            break;
        }
        p3.text(ccols[0], y, 8.0, false, &clip(description, 48));
        p3.text(ccols[1], y, 8.0, false, &t.lines.to_string());
        p3.text(ccols[2], y, 8.0, false, &m(t.billed));
        y -= 5.0;
        shown += 1;
    }
    if charges.is_empty() {
        p3.text(15.0, y, 8.0, false, "no charges");
    } else if shown < charges.len() {
        p3.text(
            15.0,
            15.0,
            8.0,
            false,
            &format!("{} more charges in report.csv", charges.len() - shown),
        );
    }
    p3.text(155.0, 195.0, 13.0, true, "Charges of the top lines");
    let mut y = 188.0;
    'top: for t in s.top() {
        if y < 20.0 {
            break;
        }
        p3.text(
            155.0,
            y,
            8.0,
            true,
            &format!("{}  recoverable {}", t.tracking_number, m(t.recoverable)),
        );
        y -= 5.0;
        for c in &t.charges {
            if y < 15.0 {
                break 'top;
            }
            p3.text(158.0, y, 8.0, false, &format!("line {}", c.line));
            p3.text(175.0, y, 8.0, false, &clip(&c.description, 40));
            p3.text(255.0, y, 8.0, false, &money(c.amount, ""));
            y -= 4.5;
        }
        y -= 1.5;
    }

    // Page 4: the terms, so the report reads on its own.
    let mut p4 = Page::default();
    p4.text(15.0, 195.0, 13.0, true, "Terms");
    p4.text(
        15.0,
        188.0,
        8.0,
        false,
        &format!(
            "Amounts in {}, two decimals, thousands separated by commas. Packages billed in another currency ({}) are left out of the amounts.",
            if cur.is_empty() { "the invoice currency" } else { &cur },
            s.other_currency_packages
        ),
    );
    let mut y = 180.0;
    for (term, meaning) in terms() {
        p4.text(15.0, y, 8.0, true, term);
        p4.text(65.0, y, 8.0, false, meaning);
        y -= 5.5;
    }

    let mut doc = PdfDocument::new(title);
    let mut pages = vec![p1, p2, p3, p4];
    let cjk: String = pages.iter().flat_map(|p| p.cjk.chars()).collect();
    // Cut to this report's glyphs; a subset that fails (a bug) leaves the report Latin.
    if let Some(Ok((id, font))) = (!cjk.is_empty()).then(|| shiphub_fonts::pdf_subset(&cjk)) {
        for page in &mut pages {
            for op in &mut page.ops {
                if let Op::SetFont {
                    font: PdfFontHandle::External(f),
                    ..
                } = op
                {
                    *f = id.clone();
                }
            }
        }
        doc.resources.fonts.map.insert(id, font);
    }
    let pages = pages
        .into_iter()
        .map(|p| PdfPage::new(Mm(W), Mm(H), p.ops))
        .collect();
    let mut warnings = Vec::new();
    doc.with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings)
}

/// At most `n` characters of `s` (a cell's width), marked when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(n - 1).collect();
    out.push_str("...");
    out
}

/// Stands for the CJK subset's id until the report's text is known.
fn cjk_font_id() -> FontId {
    FontId("CJK".into())
}

/// Text Helvetica's WinAnsi cannot hold (beyond the accents it strips to ASCII here).
fn needs_cjk(s: &str) -> bool {
    !s.is_ascii()
        && s.chars()
            .any(|c| !c.is_ascii() && shiphub_fonts::has(c) && !c.is_whitespace())
}

#[derive(Default)]
struct Page {
    ops: Vec<Op>,
    /// The page's text set in the CJK font.
    cjk: String,
}

impl Page {
    fn text(&mut self, x: f32, y: f32, size: f32, bold: bool, s: &str) {
        if needs_cjk(s) {
            self.cjk.push_str(s);
            self.ops.extend([
                Op::StartTextSection,
                Op::SetTextCursor {
                    pos: Point::new(Mm(x), Mm(y)),
                },
                Op::SetFont {
                    font: PdfFontHandle::External(cjk_font_id()),
                    size: Pt(size),
                },
                // What the font lacks (an emoji) is left out rather than drawn as a box.
                Op::ShowText {
                    items: vec![TextItem::Text(
                        s.chars()
                            .filter(|c| shiphub_fonts::has(*c) && !c.is_control())
                            .collect(),
                    )],
                },
                Op::EndTextSection,
            ]);
            return;
        }
        let font = if bold {
            BuiltinFont::HelveticaBold
        } else {
            BuiltinFont::Helvetica
        };
        self.ops.extend([
            Op::StartTextSection,
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            Op::SetFont {
                font: PdfFontHandle::Builtin(font),
                size: Pt(size),
            },
            // Builtin fonts are WinAnsi: keep to ASCII.
            Op::ShowText {
                items: vec![TextItem::Text(s.chars().filter(char::is_ascii).collect())],
            },
            Op::EndTextSection,
        ]);
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, rgb: (f32, f32, f32)) {
        let pt = |x: f32, y: f32| LinePoint {
            p: Point::new(Mm(x), Mm(y)),
            bezier: false,
        };
        self.ops.push(Op::SetFillColor {
            col: Color::Rgb(Rgb {
                r: rgb.0,
                g: rgb.1,
                b: rgb.2,
                icc_profile: None,
            }),
        });
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon {
                rings: vec![PolygonRing {
                    points: vec![pt(x, y), pt(x + w, y), pt(x + w, y + h), pt(x, y + h)],
                }],
                mode: PaintMode::Fill,
                winding_order: WindingOrder::NonZero,
            },
        });
        self.ops.push(Op::SetFillColor {
            col: Color::Rgb(Rgb {
                r: 0.0,
                g: 0.0,
                b: 0.0,
                icc_profile: None,
            }),
        });
    }

    /// Horizontal bars: label, bar scaled to the largest value, value.
    fn bars(&mut self, x: f32, y: f32, w: f32, h: f32, data: &[(String, Decimal)]) {
        if data.is_empty() {
            self.text(x, y + h - 8.0, 9.0, false, "nothing to recover");
            return;
        }
        let max = data.iter().map(|d| d.1).max().unwrap_or(Decimal::ONE);
        let max = max.to_f32().unwrap_or(1.0).max(0.01);
        let step = (h / data.len() as f32).min(7.0);
        let label_w = 45.0;
        let bar_w = w - label_w - 25.0;
        for (i, (label, v)) in data.iter().enumerate() {
            let top = y + h - 6.0 - step * i as f32;
            self.text(x, top + 1.0, 7.0, false, label);
            // Display scaling only: f32 never touches the amounts printed.
            let len = bar_w * (v.to_f32().unwrap_or(0.0) / max);
            self.rect(x + label_w, top, len.max(0.3), step * 0.7, (0.2, 0.4, 0.7));
            self.text(
                x + label_w + len + 2.0,
                top + 1.0,
                7.0,
                false,
                &money(*v, ""),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(cmd: &str, pdf: &[u8], args: &[&str]) -> Option<String> {
        // One file per call: the tests run in parallel threads of one process.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("shiphub-fin-cjk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{cmd}-{n}.pdf"));
        std::fs::write(&path, pdf).unwrap();
        match std::process::Command::new(cmd)
            .args(args)
            .arg(&path)
            .arg("-")
            .output()
        {
            Ok(o) => {
                assert!(
                    o.status.success(),
                    "{cmd}: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
                Some(String::from_utf8(o.stdout).unwrap())
            }
            Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("{cmd} is required under CI (apt-get install poppler-utils)")
            }
            Err(_) => {
                eprintln!("SKIPPED: {cmd} not installed");
                None
            }
        }
    }

    /// An SF Express waybill billed 运费 and 保价, overcharged: a top line.
    fn sf_summary() -> ReportSummary {
        use crate::invoice::{
            AuditedPackage, ChargeCategory, Finding, InvoiceCarrier, InvoiceCharge, InvoicePackage,
            Reason,
        };
        use rust_decimal_macros::dec;
        let charge = |line, description: &str, amount| InvoiceCharge {
            category: ChargeCategory::from_description(description),
            code: None,
            description: description.to_owned(),
            amount,
            basis: None,
            adjustment: false,
            line,
        };
        let mut s = ReportSummary::new();
        s.add(&AuditedPackage {
            package: InvoicePackage {
                account: None,
                carrier: InvoiceCarrier::Other,
                tracking_number: "SF1234567890123".into(),
                reference: None,
                service: Some("2".into()),
                service_name: None,
                invoice_number: "sf_express-api".into(),
                invoice_date: None,
                ship_date: Some(time::macros::date!(2026 - 04 - 01)),
                delivered_on: None,
                currency: "CNY".parse().unwrap(),
                entered_weight: None,
                billed_weight: None,
                billed_dimensions: None,
                zone: None,
                charges: vec![
                    charge(1, "运费", dec!(30.00)),
                    charge(2, "保价", dec!(2.00)),
                    charge(3, "Fuel Surcharge", dec!(1.50)),
                ],
            },
            matched_by: None,
            billed: dec!(33.50),
            expected: Some(dec!(26.50)),
            findings: vec![Finding {
                reason: Reason::BaseRateOffContract,
                recoverable: dec!(7.00),
                dispute_supported: true,
                evidence: vec![],
                note: String::new(),
            }],
        });
        s
    }

    #[test]
    fn each_charge_is_printed_with_its_description_chinese_too() {
        let pdf = render_pdf(&sf_summary(), "Freight reconciliation");
        let Some(text) = tool("pdftotext", &pdf, &["-enc", "UTF-8", "-layout"]) else {
            return;
        };
        // Billed by charge: each description with its lines and amount.
        let row = |words: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(words))
                .unwrap_or_else(|| panic!("no row for {words} in {text}"))
                .to_string()
        };
        assert!(row("运费").contains("30.00 CNY"), "{text}");
        assert!(row("保价").contains("2.00 CNY"), "{text}");
        assert!(row("Fuel Surcharge").contains("1.50 CNY"), "{text}");
        // The top line's charge lines, each with its line number and description.
        // (Its words, however -layout spaces them.)
        let words: Vec<&str> = text.split_whitespace().collect();
        assert!(
            words
                .join(" ")
                .contains("SF1234567890123 recoverable 7.00 CNY"),
            "{text}"
        );
        for (line, words, amount) in [("line 1", "运费", "30.00"), ("line 2", "保价", "2.00")] {
            assert!(
                text.lines()
                    .any(|l| l.contains(line) && l.contains(words) && l.contains(amount)),
                "{line} {words} {amount} not in {text}"
            );
        }
    }

    #[test]
    fn a_chinese_title_extracts_back_from_the_embedded_subset_font() {
        let title = "顺丰速运 运费对账（2026年11月）";
        let pdf = render_pdf(&ReportSummary::default(), title);
        let Some(text) = tool("pdftotext", &pdf, &["-enc", "UTF-8"]) else {
            return;
        };
        assert!(text.lines().any(|l| l.trim() == title), "{text}");
        // pdffonts lists its fonts.
        let dir = std::env::temp_dir().join(format!("shiphub-fin-fonts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("title.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let fonts = std::process::Command::new("pdffonts").arg(&path).output();
        if let Ok(out) = fonts {
            let list = String::from_utf8(out.stdout).unwrap();
            let embedded: Vec<&str> = list.lines().filter(|l| l.contains(" yes ")).collect();
            assert_eq!(embedded.len(), 1, "{list}");
            let (tag, rest) = embedded[0].split_once('+').expect("a subset tag");
            assert!(
                tag.len() == 6 && rest.starts_with("ShiphubSansSC-Regular"),
                "{list}"
            );
            assert!(embedded[0].contains("yes yes yes"), "emb sub uni: {list}");
        }
        // A Latin report embeds nothing.
        let latin = render_pdf(&ReportSummary::default(), "Freight audit");
        assert!(!String::from_utf8_lossy(&latin).contains("FontFile"));
    }

    #[test]
    fn money_groups_thousands_with_its_currency() {
        use rust_decimal_macros::dec;
        assert_eq!(money(dec!(1234567.5), "USD"), "1,234,567.50 USD");
        assert_eq!(money(dec!(-12.345), "EUR"), "-12.345 EUR");
        assert_eq!(money(dec!(0), ""), "0.00");
        assert_eq!(money(dec!(999.99), "CNY"), "999.99 CNY");
    }

    /// A UPS invoice of two weeks: the first page names the invoice, the account and the
    /// period, amounts read as money, and the terms define every difference class.
    #[test]
    fn the_finance_pdf_names_invoice_account_period_and_defines_its_terms() {
        use crate::invoice::{
            AuditedPackage, ChargeCategory, Finding, InvoiceCarrier, InvoiceCharge, InvoicePackage,
        };
        use rust_decimal_macros::dec;
        let mut s = ReportSummary::new();
        for (tracking, day, amount) in [
            (
                "1Z0000000000000001",
                time::macros::date!(2026 - 11 - 09),
                dec!(1234.56),
            ),
            (
                "1Z0000000000000002",
                time::macros::date!(2026 - 11 - 17),
                dec!(42.75),
            ),
        ] {
            s.add(&AuditedPackage {
                package: InvoicePackage {
                    account: Some("0000A1B2C3".into()),
                    carrier: InvoiceCarrier::Ups,
                    tracking_number: tracking.into(),
                    reference: None,
                    service: None,
                    service_name: None,
                    invoice_number: "0000A1B2C3476".into(),
                    invoice_date: Some(time::macros::date!(2026 - 11 - 21)),
                    ship_date: Some(day),
                    delivered_on: None,
                    currency: "USD".parse().unwrap(),
                    entered_weight: None,
                    billed_weight: None,
                    billed_dimensions: None,
                    zone: None,
                    charges: vec![InvoiceCharge {
                        category: ChargeCategory::Base,
                        code: None,
                        description: "Ground Commercial".into(),
                        amount,
                        basis: None,
                        adjustment: false,
                        line: 1,
                    }],
                },
                matched_by: None,
                billed: amount,
                expected: None,
                findings: vec![Finding {
                    reason: Reason::UnknownShipment,
                    recoverable: amount,
                    dispute_supported: true,
                    evidence: vec![],
                    note: String::new(),
                }],
            });
        }
        let pdf = render_pdf(&s, "Freight reconciliation");
        let Some(text) = tool("pdftotext", &pdf, &["-enc", "UTF-8", "-layout"]) else {
            return;
        };
        let line = |label: &str| {
            text.lines()
                .find(|l| l.trim_start().starts_with(label))
                .unwrap_or_else(|| panic!("no {label} in {text}"))
                .to_string()
        };
        assert!(
            line("Invoice number(s)").contains("0000A1B2C3476"),
            "{text}"
        );
        assert!(line("Account(s)").contains("0000A1B2C3"), "{text}");
        assert!(
            line("Period (ship dates)").contains("2026-11-09 to 2026-11-17"),
            "{text}"
        );
        assert!(
            line("2 packages").contains("recoverable 1,277.31 USD"),
            "{text}"
        );
        assert!(line("Total").contains("1,277.31"), "{text}");
        assert!(text.contains("recoverable 1,234.56 USD"), "{text}");
        assert!(text.lines().any(|l| l.trim() == "Terms"), "{text}");
        for (term, _) in terms() {
            assert!(
                text.lines().any(|l| l.trim_start().starts_with(term)),
                "the term {term} is not defined: {text}"
            );
        }
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("unknown_shipment")
                    && l.contains("no shipment bought through shiphub")),
            "{text}"
        );
        // The charts' numbers are money too.
        assert!(text.contains("1,277.31"), "{text}");
    }
}
