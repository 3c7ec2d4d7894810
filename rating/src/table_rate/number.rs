//! Table-rate tracking numbers. The carrier behind a rate card has no system to issue
//! numbers, so the hub issues them:
//!
//! ```text
//! TR 260314 000000004217 3     21 characters
//! |  |      |            '- check digit: Luhn (mod 10) over the 18 digits before it
//! |  |      '-------------- serial: a random per-process start plus a process counter
//! |  '--------------------- ship date, YYMMDD
//! '------------------------ prefix: a table-rate number
//! ```
//!
//! Uniqueness: within one process the serial repeats only after 10^12 numbers. Across
//! processes each starts at a random serial, so two collide only when their ranges meet on
//! the same ship date (for two processes issuing n numbers each, about 2n / 10^12).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use shiphub_carriers::check_digit::LuhnNumbers;
use shiphub_carriers::detect::Detection;
use shiphub_carriers::model::TrackingNumber;
use shiphub_carriers::registry::NumberFormat;
use time::{Date, Month};

const SHAPE: LuhnNumbers = LuhnNumbers {
    prefix: "TR",
    len: 21,
};
const SERIALS: u64 = 1_000_000_000_000;

/// A fresh number for a shipment shipped on `date`.
pub(crate) fn issue(date: Date) -> TrackingNumber {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    static SEED: OnceLock<u64> = OnceLock::new();
    let seed = *SEED.get_or_init(|| rand::random::<u64>() % SERIALS);
    let serial = (seed + COUNTER.fetch_add(1, Ordering::Relaxed)) % SERIALS;
    let payload = format!(
        "{:02}{:02}{:02}{serial:012}",
        date.year().rem_euclid(100),
        u8::from(date.month()),
        date.day()
    );
    SHAPE.issue(&payload)
}

/// The ship date a valid number carries; `None` when it is not a table-rate number or its
/// check digit is wrong.
pub(crate) fn decode(number: &TrackingNumber) -> Option<Date> {
    let payload = SHAPE.payload(number.as_str())?;
    let n = |r: std::ops::Range<usize>| payload[r].parse::<u8>().ok();
    let month = Month::try_from(n(2..4)?).ok()?;
    Date::from_calendar_date(2000 + i32::from(n(0..2)?), month, n(4..6)?).ok()
}

/// The table-rate number format (`ENTRY.numbers`), so `detect` recognises these numbers
/// without knowing their shape.
pub(crate) static NUMBERS: &[NumberFormat] = &[NumberFormat {
    name: "table_rate",
    detection: Detection::CheckDigit,
    shared: false,
    read,
}];

fn read(s: &str) -> Option<&str> {
    decode(&s.parse().ok()?).map(|_| s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shiphub_carriers::check_digit::luhn as luhn_check_digit;
    use std::collections::HashSet;
    use time::macros::date;

    fn tn(s: &str) -> TrackingNumber {
        s.parse().unwrap()
    }

    #[test]
    fn check_digit_matches_a_hand_computed_example() {
        // Payload 260314 000000004217, from the right, doubling positions 1, 3, 5...:
        // 7→14→5, 1, 2→4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 4→8, 1, 3→6, 0, 6→12→3, 2
        // sum = 5+1+4+4+8+1+6+3+2 = 34; check = (10 - 4) % 10 = 6.
        assert_eq!(luhn_check_digit("260314000000004217"), 6);
        assert_eq!(
            decode(&tn("TR2603140000000042176")),
            Some(date!(2026 - 03 - 14))
        );
    }

    #[test]
    fn typos_foreign_numbers_and_bad_dates_do_not_decode() {
        assert_eq!(
            decode(&tn("TR2603140000000042177")),
            None,
            "check digit off by one"
        );
        assert_eq!(
            decode(&tn("TR2603140000000042716")),
            None,
            "neighbours swapped"
        );
        assert_eq!(decode(&tn("SB0170000000000426")), None, "a sandbox number");
        assert_eq!(decode(&tn("TR260314000000004216")), None, "too short");
        let payload = "261314000000004217"; // month 13
        let n = format!("TR{payload}{}", luhn_check_digit(payload));
        assert_eq!(decode(&tn(&n)), None);
    }

    #[test]
    fn issued_numbers_carry_the_ship_date_and_are_unique() {
        let d = date!(2026 - 11 - 30);
        let mut seen = HashSet::new();
        for _ in 0..1000 {
            let n = issue(d);
            assert_eq!(n.as_str().len(), SHAPE.len);
            assert_eq!(decode(&n), Some(d));
            assert!(seen.insert(n), "duplicate number");
        }
    }

    /// Moved from `carriers/src/detect.rs` (`sandbox_and_table_rate_numbers_carry_a_luhn_digit`)
    /// now that the table-rate entry declares its own format.
    #[test]
    fn table_rate_numbers_are_detected_by_their_luhn_digit() {
        let entries: Vec<_> = shiphub_carriers::CARRIERS
            .iter()
            .copied()
            .chain([&super::super::ENTRY])
            .collect();
        let found = |s: &str| {
            shiphub_carriers::detect::detect(&entries, &tn(s))
                .into_iter()
                .map(|c| (c.carrier.to_string(), c.detection, c.number.to_string()))
                .collect::<Vec<_>>()
        };
        let only = |s: &str| {
            let f = found(s);
            assert_eq!(f.len(), 1, "{s}: {f:?}");
            assert_eq!(f[0].1, Detection::CheckDigit, "{s}");
            f[0].0.clone()
        };
        assert_eq!(only("TR2603140000000042176"), "table_rate");
        for n in [
            "TR2603140000000042177",
            "TR2603140000000042716",
            "TR260314000000004216",
        ] {
            assert_eq!(found(n), [], "{n}");
        }
        // A Luhn-valid table-rate number with month 13: 261314000000004217 + check 5.
        assert_eq!(found("TR2613140000000042175"), []);
    }
}
