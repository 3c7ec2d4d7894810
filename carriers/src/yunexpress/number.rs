//! YunExpress waybill numbers: `YT` + 16 digits, as in every waybill of the unofficial spec's
//! examples (`YT2233621266010029`) and in public tracking samples (`YT2621200705470145`);
//! no check digit is published, so detection is by format only.
//!
//! YTO Express (圆通) also prints `YT` numbers, but `YT` + 13 digits (15 characters): the
//! length decides. A YunExpress number is 18 characters, so the two never match the same
//! string (`tests::yto_numbers_are_not_yunexpress_numbers`).

use crate::check_digit::digits;
use crate::detect::Detection;
use crate::registry::NumberFormat;

/// The formats YunExpress issues (`ENTRY.numbers`).
pub(super) static NUMBERS: &[NumberFormat] = &[NumberFormat {
    name: "waybill",
    detection: Detection::FormatOnly,
    shared: false,
    read: waybill,
}];

/// Digits after `YT` in a YunExpress waybill number.
const WAYBILL_DIGITS: usize = 16;

pub(super) fn waybill(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("YT")?;
    (rest.len() == WAYBILL_DIGITS && digits(rest)).then_some(s)
}
