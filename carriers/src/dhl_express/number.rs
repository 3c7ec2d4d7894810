//! DHL Express tracking numbers: the 10-digit waybill, whose first 9 digits mod 7 are the
//! 10th (jkeen/tracking_number_data `couriers/dhl.json` "DHL Express", `mod7`), and piece IDs
//! (licence plates) as in the MyDHL spec, `JD` + 18 digits with no check digit.

use crate::check_digit::digits;
use crate::detect::Detection;
use crate::registry::NumberFormat;

/// The formats DHL Express issues (`ENTRY.numbers`).
pub(super) static NUMBERS: &[NumberFormat] = &[
    NumberFormat {
        name: "waybill",
        detection: Detection::CheckDigit,
        shared: false,
        read: waybill,
    },
    NumberFormat {
        name: "piece_id",
        detection: Detection::FormatOnly,
        shared: false,
        read: piece_id,
    },
];

fn waybill(s: &str) -> Option<&str> {
    let ok = s.len() == 10
        && digits(s)
        && s[..9]
            .parse::<u32>()
            .is_ok_and(|n| n % 7 == u32::from(s.as_bytes()[9] - b'0'));
    ok.then_some(s)
}

fn piece_id(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("JD")?;
    (rest.len() == 18 && digits(rest)).then_some(s)
}
