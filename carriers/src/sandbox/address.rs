//! Sandbox address validation: scripted like the rest of the sandbox, so a demo or a test can
//! ask for each verdict. The sandbox "knows" US addresses only; it standardizes them the
//! USPS Publication 28 way (upper case, street suffixes abbreviated).
//!
//! - Outside the US: `unknown`, reason `NO_COVERAGE`, no standardized address.
//! - `NO_SUCH_STREET` in a street line: `undeliverable`, reason `NO_MATCH`.
//! - `AMBIGUOUS` in a street line: `undeliverable`, reason `MULTIPLE_MATCHES`, with two
//!   candidates (the street with ` N` and ` S` directionals), as a carrier answers a street
//!   that exists on both sides of a town.
//! - A US address without a postal code: `undeliverable`, reason `POSTAL_CODE_MISSING`.
//! - A street suffix written out (Street, Avenue, Road, Boulevard, Drive, Lane, Court):
//!   `deliverable_with_corrections`, reason `SUFFIX_STANDARDIZED` per line, the address with the
//!   suffix abbreviated.
//! - Otherwise `deliverable`, reason `CONFIRMED` (a change of letter case alone is no
//!   correction).
//! - Classification: `commercial` when the address has a company, else `residential`;
//!   `residential` in the standardized address follows it.
//! - `CARRIER_DOWN` / `REJECT` in the name or company fail as they do for rates.

use crate::error::CarrierError;
use crate::model::{Address, AddressCheck, AddressClassification, AddressReason, AddressVerdict};

/// Written-out suffixes and their USPS abbreviations (Publication 28, appendix C1).
const SUFFIXES: [(&str, &str); 7] = [
    ("STREET", "ST"),
    ("AVENUE", "AVE"),
    ("ROAD", "RD"),
    ("BOULEVARD", "BLVD"),
    ("DRIVE", "DR"),
    ("LANE", "LN"),
    ("COURT", "CT"),
];

pub(super) fn verify(address: &Address) -> Result<AddressCheck, CarrierError> {
    super::check_receiver_at(address, "/address")?;
    let classification = if address.company.is_some() {
        AddressClassification::Commercial
    } else {
        AddressClassification::Residential
    };
    let reason = |code: &str, message: &str| AddressReason {
        code: code.to_string(),
        message: message.to_string(),
    };
    let check = |verdict, address, reasons| AddressCheck {
        verdict,
        address,
        classification,
        candidates: Vec::new(),
        reasons,
    };
    if address.country.as_str() != "US" {
        return Ok(AddressCheck {
            classification: AddressClassification::Unknown,
            ..check(
                AddressVerdict::Unknown,
                None,
                vec![reason(
                    "NO_COVERAGE",
                    "the sandbox validates US addresses only",
                )],
            )
        });
    }
    if address.street.iter().any(|l| l.contains("NO_SUCH_STREET")) {
        return Ok(check(
            AddressVerdict::Undeliverable,
            None,
            vec![reason("NO_MATCH", "no such street in this city")],
        ));
    }
    if address.postal_code.is_none() {
        return Ok(check(
            AddressVerdict::Undeliverable,
            None,
            vec![reason(
                "POSTAL_CODE_MISSING",
                "a US address needs a ZIP code",
            )],
        ));
    }
    let mut standard = address.clone();
    standard.city = address.city.to_uppercase();
    standard.state = address.state.as_ref().map(|s| s.to_uppercase());
    standard.residential = classification == AddressClassification::Residential;
    let mut reasons = Vec::new();
    standard.street = address
        .street
        .iter()
        .map(|line| {
            let (line, changed) = abbreviate(line);
            if changed {
                reasons.push(reason(
                    "SUFFIX_STANDARDIZED",
                    "street suffix abbreviated (USPS Publication 28)",
                ));
            }
            line
        })
        .collect();
    if address.street.iter().any(|l| l.contains("AMBIGUOUS")) {
        let candidate = |dir: &str| {
            let mut c = standard.clone();
            c.street[0] = format!("{} {dir}", c.street[0].replace("AMBIGUOUS", "").trim());
            c
        };
        return Ok(AddressCheck {
            candidates: vec![candidate("N"), candidate("S")],
            ..check(
                AddressVerdict::Undeliverable,
                None,
                vec![reason(
                    "MULTIPLE_MATCHES",
                    "the street exists north and south; pick a candidate",
                )],
            )
        });
    }
    let verdict = if reasons.is_empty() {
        reasons.push(reason("CONFIRMED", "the address is known as given"));
        AddressVerdict::Deliverable
    } else {
        AddressVerdict::DeliverableWithCorrections
    };
    Ok(check(verdict, Some(standard), reasons))
}

/// The line in upper case with written-out suffixes abbreviated; true when a suffix was.
fn abbreviate(line: &str) -> (String, bool) {
    let mut changed = false;
    let words: Vec<String> = line
        .split_whitespace()
        .map(|w| {
            let up = w.to_uppercase();
            match SUFFIXES.iter().find(|(long, _)| *long == up) {
                Some((_, short)) => {
                    changed = true;
                    short.to_string()
                }
                None => up,
            }
        })
        .collect();
    (words.join(" "), changed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn addr(v: serde_json::Value) -> Address {
        let mut base = json!({"name": "Receiver", "street": ["1 Market St"],
            "city": "San Francisco", "state": "CA", "postal_code": "94105", "country": "US"});
        for (k, val) in v.as_object().unwrap() {
            base[k] = val.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn a_standard_address_is_deliverable_in_upper_case() {
        let c = verify(&addr(json!({}))).unwrap();
        assert_eq!(c.verdict, AddressVerdict::Deliverable);
        assert_eq!(c.classification, AddressClassification::Residential);
        let a = c.address.unwrap();
        assert_eq!(a.street, ["1 MARKET ST"]);
        assert_eq!(a.city, "SAN FRANCISCO");
        assert!(a.residential);
        assert_eq!(c.reasons[0].code, "CONFIRMED");
    }

    #[test]
    fn a_written_out_suffix_is_a_correction_and_a_company_is_commercial() {
        let c = verify(&addr(
            json!({"street": ["1 Market Street", "Suite 5"], "company": "Acme"}),
        ))
        .unwrap();
        assert_eq!(c.verdict, AddressVerdict::DeliverableWithCorrections);
        assert_eq!(c.classification, AddressClassification::Commercial);
        let a = c.address.unwrap();
        assert_eq!(a.street, ["1 MARKET ST", "SUITE 5"]);
        assert!(!a.residential);
        assert_eq!(a.company.as_deref(), Some("Acme"));
        assert_eq!(c.reasons.len(), 1);
        assert_eq!(c.reasons[0].code, "SUFFIX_STANDARDIZED");
    }

    #[test]
    fn tokens_give_undeliverable_and_ambiguous_answers() {
        let c = verify(&addr(json!({"street": ["9 NO_SUCH_STREET"]}))).unwrap();
        assert_eq!(c.verdict, AddressVerdict::Undeliverable);
        assert!(c.address.is_none() && c.candidates.is_empty());
        assert_eq!(c.reasons[0].code, "NO_MATCH");

        let c = verify(&addr(json!({"street": ["5 Oak Avenue AMBIGUOUS"]}))).unwrap();
        assert_eq!(c.verdict, AddressVerdict::Undeliverable);
        let streets: Vec<_> = c.candidates.iter().map(|a| a.street[0].as_str()).collect();
        assert_eq!(streets, ["5 OAK AVE N", "5 OAK AVE S"]);
        assert_eq!(c.reasons.last().unwrap().code, "MULTIPLE_MATCHES");

        let mut no_zip = addr(json!({}));
        no_zip.postal_code = None;
        let c = verify(&no_zip).unwrap();
        assert_eq!(c.reasons[0].code, "POSTAL_CODE_MISSING");
    }

    #[test]
    fn outside_the_us_the_verdict_is_unknown() {
        let c = verify(&addr(
            json!({"country": "DE", "state": null, "postal_code": "10115", "city": "Berlin"}),
        ))
        .unwrap();
        assert_eq!(c.verdict, AddressVerdict::Unknown);
        assert_eq!(c.classification, AddressClassification::Unknown);
        assert_eq!(c.reasons[0].code, "NO_COVERAGE");
    }

    #[test]
    fn failure_tokens_fail_on_the_address_field() {
        let e = verify(&addr(json!({"name": "REJECT me"}))).unwrap_err();
        assert!(
            matches!(&e, CarrierError::Rejected { errors, .. } if errors[0].field == "/address/name"),
            "{e:?}"
        );
        assert!(matches!(
            verify(&addr(json!({"name": "CARRIER_DOWN"}))).unwrap_err(),
            CarrierError::Transient { .. }
        ));
    }
}
