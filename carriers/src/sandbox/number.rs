//! Sandbox tracking numbers. `track` and `void` receive nothing but numbers and the sandbox
//! keeps no state, so a number carries everything tracking needs. Numbers issued today carry
//! the parcel's journey too (22 characters); the older 18-character layout without it still
//! decodes and tracks as it always did (see `track.rs`).
//!
//! ```text
//! SB 0 1700000000 0042 50 05 3     22 characters (journey layout)
//! |  | |          |    |  |  '- check digit: Luhn (mod 10) over the 19 digits before it
//! |  | |          |    |  '---- quoted transit: business days the quote promised (00-99)
//! |  | |          |    '------- ship day: the requested ship date minus the issue date,
//! |  | |          |             in days, plus 50 (so 50 = shipped the day it was bought;
//! |  | |          |             clamped to 00-99, i.e. 50 days either way)
//! |  | |          '------------ slot: 4 digits, a per-process random seed plus a process counter
//! |  | '----------------------- issue time, unix seconds, zero-padded to 10 digits
//! |  '------------------------- scenario digit (see `Scenario`); plus 5 when the shipper's
//! |                             reference asked for a late parcel (`LATE`, see `LATE_DAYS`)
//! '---------------------------- prefix: a sandbox number
//!
//! SB 0 1700000000 0042 6           18 characters (first layout: no journey)
//! ```
//!
//! Uniqueness: two numbers differ in issue second or slot. Within one process the slot is
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
use time::{Date, Duration, OffsetDateTime};

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

/// Business days a parcel whose reference holds `LATE` arrives after its quoted day: two
/// working weeks, so that even a parcel booked with a ship date a fortnight back is still on
/// its way (and late against its promise) when the hub first tracks it.
pub(super) const LATE_DAYS: u32 = 10;

/// Whether a shipper's reference asks for a late parcel: it contains `LATE` (upper-case, as a
/// substring, like the scenario tokens; independent of the scenario).
pub(super) fn late_from_reference(reference: Option<&str>) -> bool {
    reference.is_some_and(|r| r.contains("LATE"))
}

/// The journey a number of the current layout carries: when the parcel ships and what the
/// quote promised, from which `track.rs` schedules every scan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Journey {
    /// The requested ship date minus the issue date, in days (-50 to 49).
    pub ship_offset_days: i8,
    /// Business days in transit the quote promised (`rate::TRANSIT_DAYS`).
    pub quoted_days: u8,
    /// Delivered `LATE_DAYS` business days after the quoted day.
    pub late: bool,
}

impl Journey {
    /// The journey of a parcel bought on `issued` for `ship_date` with `quoted_days` of
    /// transit; out-of-range values are clamped to what the number can hold.
    pub(super) fn new(issued: Date, ship_date: Date, quoted_days: u32, late: bool) -> Journey {
        Journey {
            ship_offset_days: (ship_date - issued).whole_days().clamp(-50, 49) as i8,
            quoted_days: quoted_days.min(99) as u8,
            late,
        }
    }

    /// The ship date, for a number issued on `issued`.
    pub(super) fn ship_date(&self, issued: Date) -> Date {
        issued + Duration::days(self.ship_offset_days.into())
    }

    /// Business days the parcel actually takes: the quoted ones, plus `LATE_DAYS` when late.
    pub(super) fn scripted_days(&self) -> u32 {
        u32::from(self.quoted_days) + if self.late { LATE_DAYS } else { 0 }
    }
}

/// What a valid sandbox number says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Decoded {
    pub scenario: Scenario,
    /// When the number was issued (the label bought).
    pub shipped_at: OffsetDateTime,
    /// `None` for a number of the first layout.
    pub journey: Option<Journey>,
}

/// The first layout: scenario, issue time, slot.
const SHAPE_V0: LuhnNumbers = LuhnNumbers {
    prefix: "SB",
    len: 18,
};

/// The current layout: the first one's digits, then ship day and quoted transit.
const SHAPE: LuhnNumbers = LuhnNumbers {
    prefix: "SB",
    len: 22,
};

/// The next slot (see the module docs).
fn next_slot() -> u64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    (process_seed() + COUNTER.fetch_add(1, Ordering::Relaxed)) % 10_000
}

/// Unix seconds as the number holds them. Times before 1970 cannot occur with a real clock;
/// clamp rather than fail a purchase.
fn issue_secs(at: OffsetDateTime) -> i64 {
    at.unix_timestamp().clamp(0, 9_999_999_999)
}

/// A fresh number of the first layout (no journey: tracks on the fixed step timing). The
/// sandbox issues the journey layout; this one stays for tests of the old numbers' timing.
#[cfg(test)]
pub(super) fn issue_v0(scenario: Scenario, shipped_at: OffsetDateTime) -> TrackingNumber {
    let payload = format!(
        "{}{:010}{:04}",
        scenario.digit(),
        issue_secs(shipped_at),
        next_slot()
    );
    SHAPE_V0.issue(&payload)
}

/// A fresh number for a shipment of `scenario` bought at `issued` on `journey`.
pub(super) fn issue(
    scenario: Scenario,
    issued: OffsetDateTime,
    journey: Journey,
) -> TrackingNumber {
    let digit = scenario.digit() + if journey.late { 5 } else { 0 };
    let payload = format!(
        "{digit}{:010}{:04}{:02}{:02}",
        issue_secs(issued),
        next_slot(),
        i16::from(journey.ship_offset_days) + 50,
        journey.quoted_days
    );
    SHAPE.issue(&payload)
}

/// Reads a number back (either layout); `None` when it is not a sandbox number or its check
/// digit is wrong.
pub(super) fn decode(number: &TrackingNumber) -> Option<Decoded> {
    let (payload, journey) = match SHAPE.payload(number.as_str()) {
        Some(p) => (p, true),
        None => (SHAPE_V0.payload(number.as_str())?, false),
    };
    let digit = payload.as_bytes()[0] - b'0';
    let (scenario, late) = match (journey, digit) {
        (true, 5..=9) => (Scenario::from_digit(digit - 5)?, true),
        _ => (Scenario::from_digit(digit)?, false),
    };
    let secs: i64 = payload[1..11].parse().ok()?;
    let shipped_at = OffsetDateTime::from_unix_timestamp(secs).ok()?;
    let journey = if journey {
        let offset: i16 = payload[15..17].parse().ok()?;
        Some(Journey {
            ship_offset_days: (offset - 50) as i8,
            quoted_days: payload[17..19].parse().ok()?,
            late,
        })
    } else {
        None
    };
    Some(Decoded {
        scenario,
        shipped_at,
        journey,
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
        let journeys = [
            Journey::new(at.date(), at.date(), 3, false),
            Journey::new(at.date(), at.date() - Duration::days(20), 12, true),
            Journey::new(at.date(), at.date() + Duration::days(3), 1, false),
        ];
        let mut seen = HashSet::new();
        for s in Scenario::ALL {
            for j in journeys {
                for _ in 0..70 {
                    let n = issue(s, at, j);
                    assert_eq!(n.as_str().len(), 22);
                    assert_eq!(
                        decode(&n),
                        Some(Decoded {
                            scenario: s,
                            shipped_at: at,
                            journey: Some(j)
                        })
                    );
                    assert_eq!(read(n.as_str()), Some(n.as_str()));
                    assert!(seen.insert(n), "duplicate number");
                }
            }
            let old = issue_v0(s, at);
            assert_eq!(old.as_str().len(), 18);
            let d = decode(&old).unwrap();
            assert_eq!((d.scenario, d.shipped_at, d.journey), (s, at, None));
        }
    }

    #[test]
    fn journey_digits_match_a_hand_computed_example() {
        // Scenario 0 + 5 (late), issued 1700000000 (Tuesday 2023-11-14), slot 0042, shipped
        // two days earlier (offset 48), quoted 05 days; the Luhn digit is `luhn`'s (tested
        // above and in check_digit.rs).
        let payload = "5170000000000424805";
        let n = tn(&format!("SB{payload}{}", luhn_check_digit(payload)));
        let d = decode(&n).unwrap();
        assert_eq!(d.scenario, Scenario::Deliver);
        assert_eq!(d.shipped_at, datetime!(2023-11-14 22:13:20 UTC));
        let j = d.journey.unwrap();
        assert_eq!((j.ship_offset_days, j.quoted_days, j.late), (-2, 5, true));
        assert_eq!(
            j.ship_date(d.shipped_at.date()),
            time::macros::date!(2023 - 11 - 12)
        );
        assert_eq!(j.scripted_days(), 15);
        // A scenario digit above 4 is only valid in the journey layout.
        let old = "9170000000000042";
        assert_eq!(
            decode(&tn(&format!("SB{old}{}", luhn_check_digit(old)))),
            None
        );
    }

    #[test]
    fn ship_dates_beyond_fifty_days_are_clamped() {
        let day = time::macros::date!(2025 - 03 - 14);
        let far = Journey::new(day, day - Duration::days(400), 150, false);
        assert_eq!((far.ship_offset_days, far.quoted_days), (-50, 99));
        assert_eq!(
            Journey::new(day, day + Duration::days(90), 1, false).ship_offset_days,
            49
        );
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
        assert!(late_from_reference(Some("LATE-PLAIN")));
        assert!(late_from_reference(Some("STALL LATE")));
        assert!(!late_from_reference(Some("late")));
        assert!(!late_from_reference(None));
    }
}
