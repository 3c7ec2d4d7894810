//! Charts drawn on the server as SVG (no charting script): horizontal bars, one per label,
//! each with its value written beside it, and the same numbers in a table for screen readers
//! and for copying.

use maud::{Markup, html};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// One bar: its label, its value, and how the value is written.
pub struct Bar {
    pub label: String,
    pub value: Decimal,
    pub shown: String,
}

const ROW: f64 = 26.0;
const LABEL_W: f64 = 180.0;
const BAR_W: f64 = 420.0;

/// A horizontal bar chart titled `title`; bars scale to the largest value (negative values
/// draw as empty bars, their number still written).
pub fn bars(id: &str, title: &str, bars: &[Bar]) -> Markup {
    let max = bars
        .iter()
        .map(|b| b.value)
        .fold(Decimal::ZERO, Decimal::max)
        .to_f64()
        .unwrap_or(0.0);
    let height = ROW * bars.len().max(1) as f64 + 8.0;
    let width = LABEL_W + BAR_W + 120.0;
    html! {
        figure class="chart" {
            figcaption { (title) }
            @if bars.is_empty() {
                p class="muted" { "Nothing to show yet." }
            } @else {
                svg class="chart" id=(id) role="img" aria-labelledby=(format!("{id}-t"))
                    viewBox=(format!("0 0 {width} {height}")) xmlns="http://www.w3.org/2000/svg" {
                    title id=(format!("{id}-t")) { (title) }
                    @for (i, b) in bars.iter().enumerate() {
                        @let y = 4.0 + ROW * i as f64;
                        @let w = if max > 0.0 { (b.value.to_f64().unwrap_or(0.0).max(0.0) / max) * BAR_W } else { 0.0 };
                        text x=(LABEL_W - 6.0) y=(y + 16.0) text-anchor="end" { (truncate(&b.label, 28)) }
                        rect x=(LABEL_W) y=(y + 3.0) width=(format!("{w:.1}")) height=(ROW - 8.0) fill="#0b57d0" rx="2" {}
                        text x=(LABEL_W + w + 6.0) y=(y + 16.0) { (b.shown) }
                    }
                }
                details {
                    summary { "The numbers" }
                    div class="table-wrap" {
                        table {
                            thead { tr { th scope="col" { "" } th scope="col" class="num" { "Value" } } }
                            tbody { @for b in bars { tr { th scope="row" { (b.label) } td class="num" { (b.shown) } } } }
                        }
                    }
                }
            }
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_largest_value_fills_the_bar_and_others_scale() {
        let out = bars(
            "c",
            "Spend",
            &[
                Bar {
                    label: "UPS".into(),
                    value: dec!(100),
                    shown: "100.00 USD".into(),
                },
                Bar {
                    label: "DHL".into(),
                    value: dec!(25),
                    shown: "25.00 USD".into(),
                },
                Bar {
                    label: "refund".into(),
                    value: dec!(-5),
                    shown: "−5.00 USD".into(),
                },
            ],
        )
        .into_string();
        assert!(out.contains(r#"width="420.0""#), "{out}");
        assert!(out.contains(r#"width="105.0""#), "{out}");
        assert!(out.contains(r#"width="0.0""#), "{out}");
        assert!(out.contains("25.00 USD"));
    }
}
