//! UPS tracking numbers: `1Z` + 15 characters + check digit, "modified MOD 10" per UPS
//! (letters to digits, odd positions + 2 × even positions, complement to the next multiple of
//! 10), as quoted from UPS in answers.google.com/answers/threadview/id/207899.html; letter
//! values and examples from jkeen/tracking_number_data `couriers/ups.json`.

use crate::detect::Detection;
use crate::registry::NumberFormat;

/// The formats UPS issues (`ENTRY.numbers`).
pub(super) static NUMBERS: &[NumberFormat] = &[NumberFormat {
    name: "1Z",
    detection: Detection::CheckDigit,
    shared: false,
    read: one_z,
}];

fn one_z(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("1Z")?;
    (rest.len() == 16 && check_ok(rest)).then_some(s)
}

/// Characters 3–17 (after `1Z`), letters mapped A=2 … H=9, I=0 … (`(ascii - 63) mod 10`), odd
/// positions once, even positions twice; the check digit completes to a multiple of 10.
fn check_ok(rest: &str) -> bool {
    let b = rest.as_bytes();
    if !b.iter().all(u8::is_ascii_alphanumeric) || !b[15].is_ascii_digit() {
        return false;
    }
    let sum: u32 = b[..15]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let v = if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - 63) % 10
            };
            if i % 2 == 1 { v * 2 } else { v }
        })
        .sum();
    (10 - sum % 10) % 10 == u32::from(b[15] - b'0')
}
