//! Address Validation Street Level (XAV): `POST /api/addressvalidation/v2/3`, request option
//! 3 = validation and classification (AddressValidation.yaml, path parameter
//! `requestoption`). Pure `build`/`parse`; no I/O.
//!
//! XAV checks against the USPS database, so it answers for the US and Puerto Rico only
//! (the spec's description); `covers` keeps other countries from being sent, and
//! `mod.rs` answers them `Unknown` without a call.

use crate::error::CarrierError;
use crate::model::{Address, AddressCheck, AddressClassification, AddressReason, AddressVerdict};

use super::rate::{self, bad, cut};
use super::wire;

/// `version` default in AddressValidation.yaml.
pub(super) const VERSION: &str = "v2";
/// 3 = Address Validation and Address Classification.
const REQUEST_OPTION: &str = "3";

pub(super) fn path() -> String {
    format!("/api/addressvalidation/{VERSION}/{REQUEST_OPTION}")
}

/// Whether XAV can judge an address in this country.
pub(super) fn covers(a: &Address) -> bool {
    matches!(a.country.as_str(), "US" | "PR")
}

/// The XAV request: `AddressKeyFormat` with the ZIP+4 split into `PostcodePrimaryLow` and
/// `PostcodeExtendedLow`, lengths cut to the schema's (name 40, lines 100, city and state 30).
pub(super) fn build(a: &Address) -> wire::XavRequestWrapper {
    let (primary, extended) = split_zip(a.postal_code.as_deref());
    wire::XavRequestWrapper {
        xav_request: wire::XavRequest {
            address_key_format: wire::AddressKeyFormat {
                consignee_name: Some(cut(a.company.as_deref().unwrap_or(&a.name), 40))
                    .filter(|n| !n.trim().is_empty()),
                address_line: a.street.iter().take(3).map(|l| cut(l, 100)).collect(),
                political_division2: Some(cut(&a.city, 30)).filter(|c| !c.is_empty()),
                political_division1: a.state.as_ref().map(|s| cut(s, 30)),
                postcode_primary_low: primary,
                postcode_extended_low: extended,
                country_code: a.country.as_str().to_string(),
            },
        },
    }
}

fn split_zip(zip: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(zip) = zip.map(str::trim).filter(|z| !z.is_empty()) else {
        return (None, None);
    };
    match zip.split_once(['-', ' ']) {
        Some((p, e)) if !e.trim().is_empty() => (Some(cut(p, 10)), Some(cut(e.trim(), 10))),
        _ if zip.len() == 9 && zip.bytes().all(|b| b.is_ascii_digit()) => {
            (Some(zip[..5].into()), Some(zip[5..].into()))
        }
        _ => (Some(cut(zip, 10)), None),
    }
}

/// The verdict from an XAV answer. `ValidAddressIndicator`: deliverable (with corrections when
/// UPS's standardized form differs from the input beyond case, spacing and the ZIP+4 it
/// adds); `AmbiguousAddressIndicator`: undeliverable as given, with UPS's candidates;
/// `NoCandidatesIndicator`: undeliverable; none of them: unknown. The indicators present
/// and UPS's alerts are kept as reasons.
pub(super) fn parse(
    resp: wire::XavResponseWrapper,
    input: &Address,
) -> Result<AddressCheck, CarrierError> {
    let r = resp.xav_response;
    rate::check_status(&r.response)?;
    let classification = classify(r.address_classification.as_ref());
    let mut reasons = Vec::new();
    for (present, code, message) in [
        (
            r.valid_address_indicator.is_some(),
            "ValidAddressIndicator",
            "Indicates query found a valid match.",
        ),
        (
            r.ambiguous_address_indicator.is_some(),
            "AmbiguousAddressIndicator",
            "Indicates query could not find exact match. Candidate list follows.",
        ),
        (
            r.no_candidates_indicator.is_some(),
            "NoCandidatesIndicator",
            "No Candidate found.",
        ),
    ] {
        if present {
            reasons.push(AddressReason {
                code: code.into(),
                message: message.into(),
            });
        }
    }
    if let Some(c) = &r.address_classification {
        reasons.push(AddressReason {
            code: format!("AddressClassification {}", c.code.as_deref().unwrap_or("")),
            message: c.description.clone().unwrap_or_default(),
        });
    }
    reasons.extend(r.response.alert.iter().map(|a| AddressReason {
        code: a.code.clone().unwrap_or_default(),
        message: a.description.clone().unwrap_or_default(),
    }));
    let candidates = r
        .candidate
        .iter()
        .map(|c| candidate(c, input, classification))
        .collect::<Result<Vec<_>, _>>()?;

    let (verdict, address, candidates) = if r.valid_address_indicator.is_some() {
        let best = candidates
            .into_iter()
            .next()
            .ok_or_else(|| bad("ValidAddressIndicator without a Candidate"))?;
        let verdict = if same_address(input, &best) {
            AddressVerdict::Deliverable
        } else {
            AddressVerdict::DeliverableWithCorrections
        };
        (verdict, Some(best), Vec::new())
    } else if r.ambiguous_address_indicator.is_some() {
        (AddressVerdict::Undeliverable, None, candidates)
    } else if r.no_candidates_indicator.is_some() {
        (AddressVerdict::Undeliverable, None, Vec::new())
    } else {
        (AddressVerdict::Unknown, None, candidates)
    };
    Ok(AddressCheck {
        verdict,
        address,
        classification,
        candidates,
        reasons,
    })
}

/// `AddressClassification.Code`: 0 unclassified, 1 commercial, 2 residential.
fn classify(c: Option<&wire::CodeDescIn>) -> AddressClassification {
    match c.and_then(|c| c.code.as_deref()).map(str::trim) {
        Some("1") => AddressClassification::Commercial,
        Some("2") => AddressClassification::Residential,
        _ => AddressClassification::Unknown,
    }
}

/// A candidate as an address: UPS's street, city, state and ZIP(+4) on the input's name,
/// company, phone and e-mail; `residential` from the candidate's classification, else the
/// answer's, else as given.
fn candidate(
    c: &wire::XavCandidate,
    input: &Address,
    overall: AddressClassification,
) -> Result<Address, CarrierError> {
    let k = c
        .address_key_format
        .as_ref()
        .ok_or_else(|| bad("Candidate without AddressKeyFormat"))?;
    let mut a = input.clone();
    if !k.address_line.is_empty() {
        a.street = k.address_line.clone();
    }
    if let Some(city) = given(&k.political_division2) {
        a.city = city.to_string();
    }
    if let Some(state) = given(&k.political_division1) {
        a.state = Some(state.to_string());
    }
    if let Some(p) = given(&k.postcode_primary_low) {
        a.postal_code = Some(match given(&k.postcode_extended_low) {
            Some(e) => format!("{p}-{e}"),
            None => p.to_string(),
        });
    }
    if let Some(u) = given(&k.urbanization) {
        a.district = Some(u.to_string());
    }
    if let Some(cc) = given(&k.country_code) {
        a.country = cc
            .parse()
            .map_err(|e: crate::model::InvalidValue| bad(format!("Candidate: {}", e.message)))?;
    }
    match classify(c.address_classification.as_ref()) {
        AddressClassification::Unknown => match overall {
            AddressClassification::Residential => a.residential = true,
            AddressClassification::Commercial => a.residential = false,
            AddressClassification::Unknown => {}
        },
        AddressClassification::Residential => a.residential = true,
        AddressClassification::Commercial => a.residential = false,
    }
    Ok(a)
}

fn given(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The same place written the same way: street lines, city, state and the 5-digit ZIP,
/// ignoring case and spacing (UPS answers in capitals and adds ZIP+4).
fn same_address(input: &Address, ups: &Address) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase()
    };
    let zip5 = |a: &Address| {
        a.postal_code
            .as_deref()
            .map(|p| p.chars().take(5).collect::<String>())
    };
    let lines = |a: &Address| a.street.iter().map(|l| norm(l)).collect::<Vec<_>>();
    lines(input) == lines(ups)
        && norm(&input.city) == norm(&ups.city)
        && input.state.as_deref().map(norm) == ups.state.as_deref().map(norm)
        && zip5(input) == zip5(ups)
}
