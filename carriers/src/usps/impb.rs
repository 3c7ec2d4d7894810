//! USPS tracking numbers, checked before we trust or send one:
//! - IMpb (Intelligent Mail package barcode, USPS Pub 199): 20 or 22 digits, the last a MOD 10
//!   check digit (from the right, weights 3, 1, 3, 1… over the other digits). The barcode may
//!   carry a routing prefix, `420` + ZIP (5 or 9 digits), which is not part of the number.
//! - UPU S10 (international labels, `EZ000012162US` in `international-labels.yaml`): two
//!   letters, 8 serial digits, a MOD 11 check digit (weights 8 6 4 2 3 5 9 7), two letters.
//!
//! A label answer whose number fails its check is a `Protocol` error (a garbled answer), never
//! a waybill; tracking a number that fails is refused before a request is spent on it.

use crate::check_digit::without_routing_prefix;
use crate::detect::Detection;
use crate::registry::NumberFormat;

/// The formats USPS issues (`ENTRY.numbers`).
pub(super) static NUMBERS: &[NumberFormat] = &[
    NumberFormat {
        name: "S10",
        detection: Detection::CheckDigit,
        shared: false,
        read: s10,
    },
    NumberFormat {
        name: "IMpb",
        detection: Detection::CheckDigit,
        shared: false,
        read: impb,
    },
];

/// S10 issued by USPS; other posts' S10 numbers (`…CN`) are not USPS's to track.
fn s10(s: &str) -> Option<&str> {
    (s.len() == 13 && s.ends_with("US") && matches!(check(s), Some((Kind::S10, _)))).then_some(s)
}

/// 20 or 22 digits, or either behind a `420`+ZIP routing prefix. A bare 22-digit number
/// starting `96` is FedEx Ground's (application identifier 96), never a USPS channel.
fn impb(s: &str) -> Option<&str> {
    let n = match without_routing_prefix(s) {
        Some(n) => n,
        None if s.len() == 22 && s.starts_with("96") => return None,
        None => s,
    };
    matches!(check(n), Some((Kind::Impb, _))).then_some(n)
}

/// What kind of USPS number this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Domestic IMpb; the routing prefix, if any, stripped.
    Impb,
    /// International S10.
    S10,
}

/// The number without a `420`+ZIP routing prefix, and its kind; `None` when it is neither a
/// valid IMpb nor a valid S10 number.
pub(crate) fn check(number: &str) -> Option<(Kind, &str)> {
    let n = number.trim();
    if n.bytes().all(|b| b.is_ascii_digit()) {
        let tracking = match n.len() {
            20 | 22 => n,
            // 420 + ZIP5 + 22 digits, or 420 + ZIP+4 + 22 digits.
            30 | 34 if n.starts_with("420") => &n[n.len() - 22..],
            _ => return None,
        };
        return impb_check_digit_ok(tracking).then_some((Kind::Impb, tracking));
    }
    s10_ok(n).then_some((Kind::S10, n))
}

pub(crate) fn impb_check_digit_ok(digits: &str) -> bool {
    crate::check_digit::mod10_31_ok(digits)
}

fn s10_ok(n: &str) -> bool {
    let b = n.as_bytes();
    if b.len() != 13
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[11..].iter().all(u8::is_ascii_uppercase)
        || !b[2..11].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    let sum: u32 = b[2..10]
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        c => c,
    };
    u32::from(b[10] - b'0') == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_impb_numbers_pass_and_a_changed_digit_fails() {
        // `9205590006662202169556` is the Cancel example in `domestic-labels.yaml`.
        for n in [
            "9205590006662202169556",
            "9400111899223855201011",
            "94001118992238552014",
        ] {
            assert_eq!(check(n), Some((Kind::Impb, n)), "{n}");
        }
        assert_eq!(check("9205590006662202169557"), None);
        assert_eq!(check("9205590006662202169565"), None, "swapped digits");
        assert_eq!(check("920559000666220216955"), None, "21 digits");
    }

    #[test]
    fn the_routing_prefix_is_stripped_before_the_check() {
        let full = "420201269205590006662202169556";
        assert_eq!(check(full), Some((Kind::Impb, "9205590006662202169556")));
        let zip9 = "42020126123492055900066622021695 56".replace(' ', "");
        assert_eq!(check(&zip9), Some((Kind::Impb, "9205590006662202169556")));
        assert_eq!(check("430201269205590006662202169556"), None);
    }

    #[test]
    fn s10_numbers_use_the_upu_mod_11_check() {
        assert_eq!(check("EZ000012162US"), Some((Kind::S10, "EZ000012162US")));
        assert_eq!(check("LZ123456785US"), Some((Kind::S10, "LZ123456785US")));
        assert_eq!(check("EZ000012163US"), None);
        assert_eq!(check("EZ00001216US"), None);
        assert_eq!(check("ez000012162US"), None);
    }

    #[test]
    fn the_spec_examples_that_fail_their_check_digit_are_refused() {
        // Recorded in contracts/README.md: the Cancel example `9262593519935271903671` and the
        // return-label example `9405509898644824249889` are not valid IMpb numbers.
        assert_eq!(check("9262593519935271903671"), None);
        assert_eq!(check("9405509898644824249889"), None);
    }
}
