//! Address validation through MyDHL's `GET /address-validate` ("Validates if DHL Express has
//! got pickup/delivery capabilities at origin/destination", `mydhl-express-api-3.1.1.yaml`).
//! Pure: query in, `AddressCheck` out.
//!
//! What it can and cannot say, mapped honestly:
//! - It checks a country / postal code / city against DHL's service areas: a match means DHL
//!   Express serves the place (`deliverable`), no match under `strictValidation=true` ("no
//!   records when exact valid match not found") means it does not, or the place is misspelt
//!   (`undeliverable`).
//! - It never sees or standardizes a street, a house number or a name: the standardized
//!   address is the input with DHL's postal code and city where DHL's differ, and a
//!   `deliverable` verdict says nothing about the street.
//! - It does not classify residential/commercial: always `unknown`, the input's flag kept.
//! - Reasons: DHL's `warnings[]` (code `warning`, DHL's words) and the matched
//!   `serviceArea` (its code, e.g. `PRG`, with DHL's description): DHL has no reason codes.
//! - `type=delivery` for `verify_address` (the address as a destination); pickups ask
//!   `type=pickup` for the pickup address, which also gives the area's `GMTOffset`.

use crate::model::{Address, AddressCheck, AddressClassification, AddressReason, AddressVerdict};

use super::wire;

/// The query of `GET /address-validate` for `a` as a pickup or delivery place.
pub(super) fn query(a: &Address, kind: &'static str) -> Vec<(&'static str, String)> {
    let mut q = vec![
        ("type", kind.to_string()),
        ("countryCode", a.country.as_str().to_string()),
    ];
    if let Some(p) = a.postal_code.as_deref().filter(|p| !p.trim().is_empty()) {
        q.push(("postalCode", p.trim().to_string()));
    }
    // The spec's `cityName` maxLength is 45; ours is 30 already.
    q.push(("cityName", a.city.trim().chars().take(45).collect()));
    q.push(("strictValidation", "true".into()));
    q
}

fn same(a: Option<&str>, b: Option<&str>) -> bool {
    let norm = |s: Option<&str>| {
        s.map(|s| {
            s.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase()
        })
        .unwrap_or_default()
    };
    norm(a) == norm(b)
}

/// The input with DHL's city and postal code where they differ beyond case and spacing;
/// whether anything changed.
fn standardized(input: &Address, m: &wire::ValidatedAddress) -> (Address, bool) {
    let mut out = input.clone();
    let mut changed = false;
    if let Some(city) = m.city_name.as_deref().filter(|c| !c.trim().is_empty())
        && !same(Some(city), Some(&input.city))
    {
        out.city = city.trim().to_string();
        changed = true;
    }
    if let Some(pc) = m.postal_code.as_deref().filter(|p| !p.trim().is_empty())
        && !same(Some(pc), input.postal_code.as_deref())
    {
        out.postal_code = Some(pc.trim().to_string());
        changed = true;
    }
    (out, changed)
}

fn matches_input(input: &Address, m: &wire::ValidatedAddress) -> bool {
    !standardized(input, m).1
}

/// DHL's verdict on `input` from its `address-validate` answer.
pub(super) fn parse(resp: &wire::AddressValidateResponse, input: &Address) -> AddressCheck {
    let mut reasons: Vec<AddressReason> = resp
        .warnings
        .iter()
        .map(|w| AddressReason {
            code: "warning".into(),
            message: w.clone(),
        })
        .collect();
    let found: Vec<&wire::ValidatedAddress> = resp
        .address
        .iter()
        .filter(|m| {
            m.country_code
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(input.country.as_str()))
        })
        .collect();
    let chosen = match found.as_slice() {
        [] => None,
        [one] => Some(*one),
        many => many.iter().copied().find(|m| matches_input(input, m)),
    };
    let Some(m) = chosen else {
        // No match, or several and none the input: undeliverable as given.
        return AddressCheck {
            verdict: AddressVerdict::Undeliverable,
            address: None,
            classification: AddressClassification::Unknown,
            candidates: found.iter().map(|m| standardized(input, m).0).collect(),
            reasons,
        };
    };
    if let Some(area) = &m.service_area
        && let Some(code) = area.code.as_deref().filter(|c| !c.is_empty())
    {
        reasons.push(AddressReason {
            code: code.to_string(),
            message: format!(
                "DHL Express service area {code}{}",
                area.description
                    .as_deref()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ),
        });
    }
    let (address, changed) = standardized(input, m);
    AddressCheck {
        verdict: if changed {
            AddressVerdict::DeliverableWithCorrections
        } else {
            AddressVerdict::Deliverable
        },
        address: Some(address),
        classification: AddressClassification::Unknown,
        candidates: Vec::new(),
        reasons,
    }
}

/// The first match's `GMTOffset` (`+01:00`) as MyDHL's `GMT+01:00`, when well formed.
pub(super) fn gmt_offset(resp: &wire::AddressValidateResponse) -> Option<String> {
    let o = resp
        .address
        .iter()
        .find_map(|m| m.service_area.as_ref()?.gmt_offset.clone())?;
    let b = o.as_bytes();
    let ok = b.len() == 6
        && matches!(b[0], b'+' | b'-')
        && b[1..3].iter().all(u8::is_ascii_digit)
        && b[3] == b':'
        && b[4..6].iter().all(u8::is_ascii_digit);
    ok.then(|| format!("GMT{o}"))
}
