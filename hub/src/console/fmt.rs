//! How the console writes money, weights, times and query strings for people.

use rust_decimal::Decimal;
use time::OffsetDateTime;

/// `1234.5` `USD` → `1,234.50 USD`: the reconciliation PDF's rule (two decimals, more when
/// the amount has them, thousands grouped, the currency after), with a true minus sign (the
/// PDF's font has none; a page's has).
pub fn money(amount: Decimal, currency: &str) -> String {
    let s = shiphub_rating::invoice::pdf::money(amount, currency);
    match s.strip_prefix('-') {
        Some(rest) => format!("−{rest}"),
        None => s,
    }
}

/// `2026-12-07 14:03 UTC`: minutes are what a desk needs; the full instant is in the API.
pub fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The machine-readable form for `<time datetime=…>`.
pub fn iso(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Percent-encodes a query value (RFC 3986 unreserved characters stay).
pub fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn money_groups_thousands_and_keeps_cents() {
        assert_eq!(money(dec!(1234.5), "USD"), "1,234.50 USD");
        assert_eq!(money(dec!(0), "EUR"), "0.00 EUR");
        assert_eq!(money(dec!(-12.345), "CNY"), "−12.345 CNY");
        assert_eq!(money(dec!(1000000), "USD"), "1,000,000.00 USD");
        assert_eq!(money(dec!(999.99), "USD"), "999.99 USD");
    }

    #[test]
    fn times_are_minutes_in_utc() {
        let t = time::macros::datetime!(2026-12-07 14:03:59 +08:00);
        assert_eq!(when(t), "2026-12-07 06:03 UTC");
    }
}
