//! SF waybill numbers: `SF` and 12 or 13 digits (SF7444407228423 in SF's own routes sample,
//! request-05), no check digit that we could confirm, so format only.

use crate::check_digit::digits;
use crate::detect::Detection;
use crate::registry::NumberFormat;

/// The formats SF Express issues (`ENTRY.numbers`).
pub(super) static NUMBERS: &[NumberFormat] = &[NumberFormat {
    name: "waybill",
    detection: Detection::FormatOnly,
    shared: false,
    read: waybill,
}];

fn waybill(s: &str) -> Option<&str> {
    let rest = s.strip_prefix("SF")?;
    ((12..=13).contains(&rest.len()) && digits(rest)).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::waybill;

    #[test]
    fn sf_and_twelve_or_thirteen_digits() {
        assert!(waybill("SF7444407228423").is_some());
        assert!(waybill("SF144440722842").is_some());
        assert!(waybill("SF14444072284").is_none());
        assert!(waybill("SF74444072284231").is_none());
        assert!(waybill("7444407228423").is_none());
        assert!(waybill("SF74444O7228423").is_none());
    }
}
