//! Check digits and number shapes more than one carrier uses, so each carrier's number format
//! (declared in its registry entry) is a few lines in its own folder.

/// The Luhn check digit for a string of ASCII digits: double every second digit from the
/// right (starting with the last one), add the digits of the products, and take what
/// completes the sum to a multiple of 10. Catches every single-digit typo and most swaps.
pub fn luhn(payload: &str) -> u32 {
    let sum: u32 = (payload.bytes().rev().enumerate())
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                x / 10 + x % 10
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

/// The shape of numbers a carrier without a ledger issues itself (sandbox, table rate): a
/// letter prefix, digits carrying what tracking needs, and a [`luhn`] check digit over them.
#[derive(Clone, Copy, Debug)]
pub struct LuhnNumbers {
    /// The letters every number starts with.
    pub prefix: &'static str,
    /// The whole number's length, prefix and check digit included.
    pub len: usize,
}

impl LuhnNumbers {
    /// `payload` (ASCII digits) as a number: prefix, payload, check digit.
    pub fn issue(&self, payload: &str) -> crate::model::TrackingNumber {
        debug_assert_eq!(self.prefix.len() + payload.len() + 1, self.len);
        format!("{}{payload}{}", self.prefix, luhn(payload))
            .parse()
            .expect("ASCII letters and digits")
    }

    /// The payload of `number`; `None` when it is not of this shape or its check digit is
    /// wrong.
    pub fn payload<'a>(&self, number: &'a str) -> Option<&'a str> {
        let rest = number.strip_prefix(self.prefix)?;
        if number.len() != self.len || !digits(rest) {
            return None;
        }
        let (payload, check) = rest.split_at(rest.len() - 1);
        (luhn(payload).to_string() == check).then_some(payload)
    }
}

/// MOD 10 with weights 3, 1 from the right over all digits but the last, which is the check
/// digit (USPS Pub 199 IMpb; FedEx Ground and SmartPost use the same rule).
pub fn mod10_31_ok(digits: &str) -> bool {
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    let Some((&check, body)) = d.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, x)| if i % 2 == 0 { x * 3 } else { *x })
        .sum();
    (10 - sum % 10) % 10 == check
}

/// All ASCII digits.
pub fn digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// The 20- or 22-digit number inside an IMpb barcode read with its `420` + ZIP5 or ZIP+4
/// routing prefix (28, 30, 32 or 34 digits); `None` for any other shape.
pub fn without_routing_prefix(s: &str) -> Option<&str> {
    match s.len() {
        28 | 30 | 32 | 34 if s.starts_with("420") && digits(s) => {
            let zip = if s.len() <= 30 { 5 } else { 9 };
            Some(&s[3 + zip..])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_matches_hand_computed_examples() {
        assert_eq!(luhn("017000000000042"), 6);
        assert_eq!(luhn("260314000000004217"), 6);
    }

    #[test]
    fn routing_prefixes_are_stripped_by_zip_length() {
        let n = "9400100000000000000000";
        assert_eq!(without_routing_prefix(&format!("42012345{n}")), Some(n));
        assert_eq!(without_routing_prefix(&format!("420123456789{n}")), Some(n));
        assert_eq!(without_routing_prefix(n), None);
    }
}
