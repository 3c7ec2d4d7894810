//! Sandbox tracking numbers. `track` and `void` receive nothing but numbers and the sandbox
//! keeps no state, so a number carries everything tracking needs:
//!
//! ```text
//! SB 0 1700000000 0042 6      18 characters
//! |  | |          |    '- check digit: Luhn (mod 10) over the 15 digits before it
//! |  | |          '------ slot: 4 digits, a per-process random seed plus a process counter
//! |  | '----------------- ship time, unix seconds, zero-padded to 10 digits
//! |  '------------------- scenario digit (see `Scenario`)
//! '---------------------- prefix: a sandbox number
//! ```
//!
//! Uniqueness: two numbers differ in ship second or slot. Within one process the slot is
//! `(seed + counter) mod 10000`, so numbers repeat only after 10,000 issued in one second
//! (ten times the declared 1000 rps limit). Across restarts the seed is random, so a
//! collision needs a restart and a shipment within the same second and the same seed
//! (1 in 10,000). Good enough for a demo carrier; a real carrier issues from its own ledger.

use crate::check_digit::LuhnNumbers;
use crate::detect::Detection;
use crate::registry::NumberFormat;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::model::TrackingNumber;

/// Which scripted tracking progression a shipment follows; chosen at ship time from the
/// reference and kept in the number as one digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Scenario {
    Deliver = 0,
    Exception = 1,
    AttemptFail = 2,
    Return = 3,
    Stall = 4,
}

impl Scenario {
    pub(super) const ALL: [Scenario; 5] = [
        Scenario::Deliver,
        Scenario::Exception,
        Scenario::AttemptFail,
        Scenario::Return,
        Scenario::Stall,
    ];

    /// The scenario a shipper's reference asks for: the first of `EXCEPTION`, `ATTEMPT_FAIL`,
    /// `RETURN`, `STALL` it contains (upper-case, as a substring); otherwise a delivery.
    pub(super) fn from_reference(reference: Option<&str>) -> Scenario {
        let reference = reference.unwrap_or_default();
        [
            ("EXCEPTION", Scenario::Exception),
            ("ATTEMPT_FAIL", Scenario::AttemptFail),
            ("RETURN", Scenario::Return),
            ("STALL", Scenario::Stall),
        ]
        .into_iter()
        .find(|(token, _)| reference.contains(token))
        .map_or(Scenario::Deliver, |(_, s)| s)
    }

    fn digit(self) -> u8 {
        self as u8
    }

    fn from_digit(d: u8) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.digit() == d)
    }
}

/// What a valid sandbox number says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Decoded {
    pub scenario: Scenario,
    pub shipped_at: OffsetDateTime,
}

const SHAPE: LuhnNumbers = LuhnNumbers {
    prefix: "SB",
    len: 18,
};

/// A fresh number for a shipment of `scenario` shipped at `shipped_at`.
pub(super) fn issue(scenario: Scenario, shipped_at: OffsetDateTime) -> TrackingNumber {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let slot = (process_seed() + COUNTER.fetch_add(1, Ordering::Relaxed)) % 10_000;
    // Times before 1970 cannot occur with a real clock; clamp rather than fail a purchase.
    let secs = shipped_at.unix_timestamp().clamp(0, 9_999_999_999);
    let payload = format!("{}{secs:010}{slot:04}", scenario.digit());
    SHAPE.issue(&payload)
}

/// Reads a number back; `None` when it is not a sandbox number or its check digit is wrong.
pub(super) fn decode(number: &TrackingNumber) -> Option<Decoded> {
    let payload = SHAPE.payload(number.as_str())?;
    let scenario = Scenario::from_digit(payload.as_bytes()[0] - b'0')?;
    let secs: i64 = payload[1..11].parse().ok()?;
    let shipped_at = OffsetDateTime::from_unix_timestamp(secs).ok()?;
    Some(Decoded {
        scenario,
        shipped_at,
    })
}

/// The formats the sandbox issues (`ENTRY.numbers`).
pub(super) static NUMBERS: &[NumberFormat] = &[NumberFormat {
    name: "sandbox",
    detection: Detection::CheckDigit,
    shared: false,
    read,
}];

fn read(s: &str) -> Option<&str> {
    decode(&s.parse().ok()?).map(|_| s)
}

/// A random starting slot for this process, from the clock, the process id and an address
/// (so two processes started in the same nanosecond still differ).
fn process_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let mut h = Sha256::new();
        h.update(
            OffsetDateTime::now_utc()
                .unix_timestamp_nanos()
                .to_le_bytes(),
        );
        h.update(std::process::id().to_le_bytes());
        h.update((&SEED as *const _ as usize).to_le_bytes());
        let digest = h.finalize();
        u64::from_le_bytes(digest[..8].try_into().expect("8 bytes")) % 10_000
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check_digit::luhn as luhn_check_digit;
    use std::collections::HashSet;
    use time::macros::datetime;

    fn tn(s: &str) -> TrackingNumber {
        s.parse().unwrap()
    }

    #[test]
    fn check_digit_matches_a_hand_computed_example() {
        // Payload 0 1700000000 0042, from the right doubling positions 1, 3, 5...:
        // 2→4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7→14→1+4=5, 1, 0→0; sum 14; check (10-4)%10 = 6.
        assert_eq!(luhn_check_digit("017000000000042"), 6);
        let d = decode(&tn("SB0170000000000426")).unwrap();
        assert_eq!(d.scenario, Scenario::Deliver);
        assert_eq!(d.shipped_at, datetime!(2023-11-14 22:13:20 UTC));
    }

    #[test]
    fn wrong_check_digit_or_foreign_numbers_do_not_decode() {
        assert_eq!(decode(&tn("SB0170000000000427")), None); // check digit off by one
        assert_eq!(decode(&tn("SB0170000000000246")), None); // swapped digits
        assert_eq!(decode(&tn("1Z999AA10123456784")), None); // a UPS number
        assert_eq!(decode(&tn("SB017000000000042")), None); // too short
        assert_eq!(decode(&tn("SB9170000000000427")), None); // scenario 9 does not exist
    }

    #[test]
    fn issued_numbers_round_trip_and_are_unique() {
        let at = datetime!(2025-03-14 12:00:00 UTC);
        let mut seen = HashSet::new();
        for s in Scenario::ALL {
            for _ in 0..200 {
                let n = issue(s, at);
                assert_eq!(n.as_str().len(), 18);
                assert_eq!(
                    decode(&n),
                    Some(Decoded {
                        scenario: s,
                        shipped_at: at
                    })
                );
                assert!(seen.insert(n), "duplicate number");
            }
        }
    }

    #[test]
    fn scenario_comes_from_upper_case_reference_tokens() {
        let f = |r: &str| Scenario::from_reference(Some(r));
        assert_eq!(f("ORDER-1"), Scenario::Deliver);
        assert_eq!(f("ORDER-1-EXCEPTION"), Scenario::Exception);
        assert_eq!(f("ATTEMPT_FAIL"), Scenario::AttemptFail);
        assert_eq!(f("x RETURN y"), Scenario::Return);
        assert_eq!(f("STALL"), Scenario::Stall);
        assert_eq!(f("stall"), Scenario::Deliver);
        assert_eq!(f("STALL EXCEPTION"), Scenario::Exception); // first in the fixed order
        assert_eq!(Scenario::from_reference(None), Scenario::Deliver);
    }
}
