//! Address validation: our `Address` to FedEx's `POST /address/v1/addresses/resolve` body
//! (address-validation-api.json `Full_Schema_Validate_Address`), and its `resolvedAddresses`
//! back to an `AddressCheck`. Pure: no HTTP.
//!
//! Decisions (the spec gives the fields, not a verdict):
//! - The verdict reads FedEx's `attributes`: `CountrySupported: false` or `AddressType: RAW`
//!   (country not supported) is `unknown`; `MultipleMatches` (or several resolved addresses)
//!   is `undeliverable` with every resolved address as a candidate; `Resolved: false` or
//!   `AddressType: NORMALIZED` ("unable to match the address against reference data") is
//!   `undeliverable`; `Resolved: true` is `deliverable`, or `deliverable_with_corrections` when
//!   a token says `changed` or the standardized street, city, state or postal code differs
//!   from what was sent (ignoring case, spacing, and a ZIP+4 added to a ZIP). Without either
//!   attribute the verdict is `unknown`. `DPV` is kept as a reason but not judged: FedEx
//!   delivers to addresses the USPS has no delivery point for.
//! - FedEx's 400 `STANDARDIZED.ADDRESS.NOTFOUND` (the spec's own example) is an answer about
//!   the address, not a bad request: `undeliverable` with that code (`mod.rs`).
//! - Reasons are every attribute FedEx set to true (named as FedEx names it, explained in the
//!   spec's words, in the spec's order), each `customerMessage` code and each alert, as given.
//! - Classification: `BUSINESS` commercial, `RESIDENTIAL` residential, `MIXED` and `UNKNOWN`
//!   unknown (the input's `residential` flag is kept then).

use serde_json::Value;

use crate::error::CarrierError;
use crate::model::{
    Address, AddressCheck, AddressClassification, AddressReason, AddressVerdict, CountryCode,
};

use super::{error, wire};

/// The code FedEx answers (HTTP 400) for an address it cannot find.
pub(super) const NOT_FOUND: &str = "STANDARDIZED.ADDRESS.NOTFOUND";

/// The spec's description of each boolean attribute (address-validation-api.json
/// `ResolvedAddress.attributes`), the message of its reason.
const ATTRIBUTES: &[(&str, &str)] = &[
    ("POBox", "The input address is a PO Box."),
    ("POBoxOnlyZIP", "A PO Box only postal code."),
    (
        "SplitZip",
        "The address comes under a new ZIP code that did not exist previously.",
    ),
    (
        "SuiteRequiredButMissing",
        "The resolved address includes a suite number, but it was missing in the request.",
    ),
    ("InvalidSuiteNumber", "An invalid suite number."),
    (
        "DPV",
        "The postal delivery address is a valid delivery point.",
    ),
    (
        "CountrySupported",
        "The country is supported by the Address Validation service.",
    ),
    ("ValidlyFormed", "The address is in a valid format."),
    (
        "Matched",
        "The address matches a record in the address validation repository.",
    ),
    ("Resolved", "The address was successfully resolved."),
    (
        "Inserted",
        "The address was inserted into the Address data repository.",
    ),
    (
        "MultiUnitBase",
        "Resolved to the base address of a multi-unit building.",
    ),
    ("ZIP11Match", "Resolved on a Zip-11 postal code match."),
    ("ZIP4Match", "Resolved on at least a ZIP+4 match."),
    (
        "UniqueZIP",
        "The postal code is unique to a specific postal customer.",
    ),
    (
        "StreetAddress",
        "The house number and street name were validated against reference data.",
    ),
    (
        "RRConversion",
        "A Rural Route conversion was applied to the address.",
    ),
    ("ValidMultiUnit", "The address contains multiple units."),
    ("MultipleMatches", "The address has multiple matches."),
    (
        "InterpolatedStreetAddress",
        "The house number is within a known range, but its existence could not be confirmed.",
    ),
    ("Intersection", "The address is an intersection."),
    (
        "MissingOrAmbiguousDirectional",
        "The address is missing a required leading or trailing directional.",
    ),
];

fn rejected(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

/// The Address Validation body for one address.
pub(super) fn build(a: &Address) -> Result<wire::AddressValidationRequest, CarrierError> {
    if a.street.iter().all(|l| l.trim().is_empty()) {
        return Err(rejected(
            "/street",
            "FedEx validates a street address: at least one street line is required",
        ));
    }
    Ok(wire::AddressValidationRequest {
        addresses_to_validate: vec![wire::ResolveContactAndAddress {
            address: wire::ValidateAddress {
                street_lines: a
                    .street
                    .iter()
                    .filter(|l| !l.trim().is_empty())
                    .cloned()
                    .collect(),
                city: a.city.clone(),
                state_or_province_code: a.state.clone(),
                postal_code: a.postal_code.clone(),
                country_code: a.country.as_str().to_string(),
            },
        }],
    })
}

/// An attribute as a boolean: JSON `true`/`false` or the strings FedEx sends live.
fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

struct Attrs<'a>(&'a [(String, Value)]);

impl Attrs<'_> {
    fn flag(&self, name: &str) -> Option<bool> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| truth(v))
    }
    fn text(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_str())
    }
}

fn classification(c: Option<&str>) -> AddressClassification {
    match c {
        Some("BUSINESS") => AddressClassification::Commercial,
        Some("RESIDENTIAL") => AddressClassification::Residential,
        _ => AddressClassification::Unknown,
    }
}

/// The standardized address, keeping the input's contact fields.
fn standardized(r: &wire::ResolvedAddress, input: &Address) -> Address {
    let mut a = input.clone();
    if !r.street_lines_token.is_empty() {
        a.street = r.street_lines_token.clone();
    }
    if let Some(city) = r.city.clone().filter(|c| !c.trim().is_empty()) {
        a.city = city;
    }
    if let Some(state) = r.state_or_province_code.clone().filter(|s| !s.is_empty()) {
        a.state = Some(state);
    }
    let postal = r
        .postal_code_token
        .as_ref()
        .and_then(|t| t.value.clone())
        .filter(|p| !p.trim().is_empty())
        .or_else(|| {
            let p = r.parsed_postal_code.as_ref()?;
            let base = p.base.clone().filter(|b| !b.is_empty())?;
            Some(match p.add_on.as_deref().filter(|x| !x.is_empty()) {
                Some(add) => format!("{base}-{add}"),
                None => base,
            })
        });
    if let Some(p) = postal {
        a.postal_code = Some(p);
    }
    if let Some(c) = r
        .country_code
        .as_deref()
        .and_then(|c| c.parse::<CountryCode>().ok())
    {
        a.country = c;
    }
    match classification(r.classification.as_deref()) {
        AddressClassification::Residential => a.residential = true,
        AddressClassification::Commercial => a.residential = false,
        AddressClassification::Unknown => {}
    }
    a
}

fn norm(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

/// Whether FedEx changed anything that matters for delivery.
fn corrected(r: &wire::ResolvedAddress, std: &Address, input: &Address) -> bool {
    let token_changed = r.city_token.iter().any(|t| t.changed == Some(true))
        || r.postal_code_token
            .as_ref()
            .is_some_and(|t| t.changed == Some(true));
    let street = |a: &Address| {
        a.street
            .iter()
            .filter(|l| !l.trim().is_empty())
            .map(|l| norm(l))
            .collect::<Vec<_>>()
    };
    let postal_same = match (&std.postal_code, &input.postal_code) {
        (Some(s), Some(i)) => norm(s).starts_with(&norm(i)),
        (None, None) => true,
        (Some(_), None) => false,
        (None, Some(_)) => true,
    };
    token_changed
        || street(std) != street(input)
        || norm(&std.city) != norm(&input.city)
        || std.state.as_deref().map(norm) != input.state.as_deref().map(norm)
        || !postal_same
        || std.country != input.country
}

/// The attributes FedEx set to true, in the spec's order (an unlisted one after them, by
/// name: FedEx's JSON object has no order to keep).
fn reasons(r: &wire::ResolvedAddress) -> Vec<AddressReason> {
    let set: Vec<&str> = r
        .attributes
        .iter()
        .filter(|(_, v)| truth(v) == Some(true))
        .map(|(k, _)| k.as_str())
        .collect();
    let mut out: Vec<AddressReason> = ATTRIBUTES
        .iter()
        .filter(|(n, _)| set.contains(n))
        .map(|(n, m)| AddressReason {
            code: n.to_string(),
            message: m.to_string(),
        })
        .collect();
    let mut unlisted: Vec<&str> = set
        .iter()
        .copied()
        .filter(|k| !ATTRIBUTES.iter().any(|(n, _)| n == k))
        .collect();
    unlisted.sort_unstable();
    out.extend(unlisted.into_iter().map(|k| AddressReason {
        code: k.to_string(),
        message: k.to_string(),
    }));
    for code in &r.customer_message {
        out.push(AddressReason {
            code: code.clone(),
            message: code.clone(),
        });
    }
    out
}

/// The verdict on `input` from FedEx's answer.
pub(super) fn parse(
    resp: wire::AddressValidationResponse,
    input: &Address,
) -> Result<AddressCheck, CarrierError> {
    let output = resp
        .output
        .ok_or_else(|| error::protocol(200, b"", "address validation without output"))?;
    let alerts: Vec<AddressReason> = output
        .alerts
        .iter()
        .map(|a| AddressReason {
            code: a.code.clone().unwrap_or_default(),
            message: a.message.clone().unwrap_or_default(),
        })
        .collect();
    let Some(first) = output.resolved_addresses.first() else {
        return Ok(AddressCheck {
            verdict: AddressVerdict::Unknown,
            address: None,
            classification: AddressClassification::Unknown,
            candidates: Vec::new(),
            reasons: alerts,
        });
    };
    let attrs = Attrs(&first.attributes);
    let mut reasons = reasons(first);
    reasons.extend(alerts);
    let class = classification(first.classification.as_deref());
    let std = standardized(first, input);
    let address_type = attrs.text("AddressType");

    if attrs.flag("CountrySupported") == Some(false) || address_type == Some("RAW") {
        return Ok(AddressCheck {
            verdict: AddressVerdict::Unknown,
            address: None,
            classification: class,
            candidates: Vec::new(),
            reasons,
        });
    }
    if attrs.flag("MultipleMatches") == Some(true) || output.resolved_addresses.len() > 1 {
        return Ok(AddressCheck {
            verdict: AddressVerdict::Undeliverable,
            address: None,
            classification: class,
            candidates: output
                .resolved_addresses
                .iter()
                .map(|r| standardized(r, input))
                .collect(),
            reasons,
        });
    }
    let resolved = attrs.flag("Resolved");
    let verdict = if resolved == Some(false) || address_type == Some("NORMALIZED") {
        AddressVerdict::Undeliverable
    } else if resolved == Some(true) || address_type == Some("STANDARDIZED") {
        if corrected(first, &std, input) {
            AddressVerdict::DeliverableWithCorrections
        } else {
            AddressVerdict::Deliverable
        }
    } else {
        AddressVerdict::Unknown
    };
    let deliverable = matches!(
        verdict,
        AddressVerdict::Deliverable | AddressVerdict::DeliverableWithCorrections
    );
    Ok(AddressCheck {
        verdict,
        address: deliverable.then_some(std),
        classification: class,
        candidates: Vec::new(),
        reasons,
    })
}

/// FedEx's "not found" answer as a verdict.
pub(super) fn not_found(message: String) -> AddressCheck {
    AddressCheck {
        verdict: AddressVerdict::Undeliverable,
        address: None,
        classification: AddressClassification::Unknown,
        candidates: Vec::new(),
        reasons: vec![AddressReason {
            code: NOT_FOUND.into(),
            message,
        }],
    }
}
