//! FedEx tracking numbers:
//! - Express, 12 digits: weights 1, 3, 7 from the right over the first 11 digits, sum mod 11,
//!   10 → 0 (answers.google.com/answers/threadview/id/207899.html, quoting FedEx; jkeen
//!   `couriers/fedex.json` "FedEx Express (12)").
//! - Ground, 15 digits, and `96` 22 digits (check over the last 15); SmartPost, 20 digits
//!   (`92` prepended) and 22 digits: MOD 10 with weights 3, 1 from the right, the IMpb rule
//!   (jkeen `couriers/fedex.json`; stackoverflow "how to calculate a FedEx SmartPost tracking
//!   number check digit", which cites FedEx's SmartPost job aid). SmartPost numbers are USPS
//!   IMpb numbers, so they are listed after USPS's on a tie.

use crate::check_digit::{digits, mod10_31_ok, without_routing_prefix};
use crate::detect::Detection;
use crate::registry::NumberFormat;

const fn format(name: &'static str, read: fn(&str) -> Option<&str>) -> NumberFormat {
    NumberFormat {
        name,
        detection: Detection::CheckDigit,
        shared: false,
        read,
    }
}

/// The formats FedEx issues (`ENTRY.numbers`).
pub(super) static NUMBERS: &[NumberFormat] = &[
    format("Express", express),
    format("Ground", ground),
    format("Ground 96", ground_96),
    NumberFormat {
        shared: true,
        ..format("SmartPost", smartpost)
    },
];

fn express(s: &str) -> Option<&str> {
    if s.len() != 12 || !digits(s) {
        return None;
    }
    let b = s.as_bytes();
    let sum: u32 = b[..11]
        .iter()
        .rev()
        .zip([1, 3, 7].into_iter().cycle())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    (sum % 11 % 10 == u32::from(b[11] - b'0')).then_some(s)
}

fn ground(s: &str) -> Option<&str> {
    (s.len() == 15 && digits(s) && mod10_31_ok(s)).then_some(s)
}

/// `96` is FedEx Ground's application identifier; the check digit covers the 14-digit serial
/// only.
fn ground_96(s: &str) -> Option<&str> {
    (s.len() == 22 && s.starts_with("96") && digits(s) && mod10_31_ok(&s[7..])).then_some(s)
}

/// IMpb-shaped, with or without the `420`+ZIP routing prefix; the 20-digit form leaves off
/// the `92` channel identifier.
fn smartpost(s: &str) -> Option<&str> {
    let n = without_routing_prefix(s).unwrap_or(s);
    let ok = digits(n)
        && match n.len() {
            20 => mod10_31_ok(&format!("92{n}")),
            22 => n.starts_with("92") && mod10_31_ok(n),
            _ => false,
        };
    ok.then_some(n)
}
