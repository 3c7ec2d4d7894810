//! Address validation: `GET /addresses/v3/address` (`addresses.yaml`, operation `get-address`)
//! with the address as query parameters (`firm`, `streetAddress`, `secondaryAddress`, `city`,
//! `state`, `ZIPCode`, `ZIPPlus4`), and its `AddressResponse` back to an [`AddressCheck`]. Pure.
//!
//! Decisions (where `addresses.yaml` describes codes but not verdicts):
//! - `additionalInfo.DPVConfirmation` decides: `Y` (primary and secondary confirmed) is
//!   deliverable, with corrections when USPS's standardized street, city, state or 5-digit
//!   ZIP differ from the input (case and spacing aside; an added ZIP+4 is not a correction);
//!   `S` (secondary given but not confirmed) is deliverable with corrections; `D` (secondary
//!   missing, correction code 32: "more information is needed") and `N` are undeliverable;
//!   no DPV answer is unknown. Correction code 22 ("multiple addresses were found … and no
//!   default exists") is undeliverable whatever the DPV says.
//! - `additionalInfo.business` `Y` is commercial, `N` residential (the v3 API has no separate
//!   residential indicator); absent is unknown.
//! - Reasons keep USPS's codes: `DPVConfirmation=<v>` with the spec's meaning, `32`/`22`/`31`
//!   (corrections and matches, with USPS's text), `vacant=Y`, `DPVCMRA=Y`, `business=Y|N`,
//!   `centralDeliveryPoint=Y`, and each `warnings[]` text as `warning`.
//! - A 404 (`Address Not Found`, `Multiple Addresses Found`, `Invalid City` …, all in the spec's
//!   examples) is an undeliverable verdict with USPS's message as the reason, not an error;
//!   USPS returns no candidates (the v3 API has none to give).
//! - Only US addresses (and the territories USPS serves with ZIP Codes) are asked; any other
//!   country is `unknown` without a call.

use crate::error::CarrierError;
use crate::model::{Address, AddressCheck, AddressClassification, AddressReason, AddressVerdict};

use super::rate::is_domestic;
use super::wire;

fn reject(field: &str, message: impl Into<String>) -> CarrierError {
    CarrierError::rejected(super::CODE, field, None, message)
}

/// The query string for `a`, or `None` for an address USPS does not standardize.
pub(super) fn query(a: &Address) -> Result<Option<Vec<(&'static str, String)>>, CarrierError> {
    if !is_domestic(a) {
        return Ok(None);
    }
    let street = a
        .street
        .first()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| reject("/street", "a street line is required"))?;
    let state = a
        .state
        .as_deref()
        .filter(|s| s.len() == 2)
        .ok_or_else(|| reject("/state", "USPS needs the 2-letter state code"))?;
    let mut q = Vec::new();
    if let Some(firm) = a.company.as_deref().filter(|c| !c.trim().is_empty()) {
        q.push(("firm", firm.to_string()));
    }
    q.push(("streetAddress", street.clone()));
    let rest = a.street[1..].join(" ");
    if !rest.trim().is_empty() {
        q.push(("secondaryAddress", rest));
    }
    if !a.city.trim().is_empty() {
        q.push(("city", a.city.clone()));
    }
    q.push(("state", state.to_ascii_uppercase()));
    let digits: String = a
        .postal_code
        .as_deref()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    match digits.len() {
        0 => {}
        5 => q.push(("ZIPCode", digits)),
        9 => {
            q.push(("ZIPCode", digits[..5].to_string()));
            q.push(("ZIPPlus4", digits[5..].to_string()));
        }
        _ => {
            return Err(reject(
                "/postal_code",
                "USPS needs a 5-digit ZIP Code (or ZIP+4)",
            ));
        }
    }
    Ok(Some(q))
}

/// The check for an address USPS does not cover.
pub(super) fn not_covered() -> AddressCheck {
    AddressCheck {
        verdict: AddressVerdict::Unknown,
        address: None,
        classification: AddressClassification::Unknown,
        candidates: Vec::new(),
        reasons: vec![AddressReason {
            code: "NOT_COVERED".into(),
            message: "USPS standardizes US addresses only".into(),
        }],
    }
}

/// The verdict for a 404 `ErrorMessage` (the spec's `Address-Not-Found`, `No-Match`,
/// `Multiple-Addresses-Found` … examples).
pub(super) fn not_found(e: &wire::ErrorMessage) -> AddressCheck {
    let body = e.error.as_ref();
    AddressCheck {
        verdict: AddressVerdict::Undeliverable,
        address: None,
        classification: AddressClassification::Unknown,
        candidates: Vec::new(),
        reasons: vec![AddressReason {
            code: body
                .and_then(|b| b.code.clone())
                .unwrap_or_else(|| "404".into()),
            message: body
                .and_then(|b| b.message.clone())
                .unwrap_or_else(|| "There is no match for the address requested.".into()),
        }],
    }
}

fn same(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_ascii_uppercase()
    };
    norm(a) == norm(b)
}

/// The meaning of a `DPVConfirmation` value, in the spec's words.
fn dpv_meaning(v: &str) -> &'static str {
    match v {
        "Y" => "Address was DPV confirmed for both primary and (if present) secondary numbers",
        "D" => {
            "Address was DPV confirmed for the primary number only, and the secondary number information was missing"
        }
        "S" => {
            "Address was DPV confirmed for the primary number only, and the secondary number information was present but not confirmed"
        }
        "N" => "Both primary and (if present) secondary number information failed to DPV confirm",
        _ => "Unknown DPV confirmation value",
    }
}

/// The check from USPS's answer for `input`.
pub(super) fn parse(resp: wire::AddressResponse, input: &Address) -> AddressCheck {
    let info = resp.additional_info.unwrap_or_default();
    let mut reasons = Vec::new();
    let mut reason = |code: String, message: &str| {
        reasons.push(AddressReason {
            code,
            message: message.to_string(),
        })
    };
    let dpv = info.dpv_confirmation.as_deref();
    if let Some(v) = dpv {
        reason(format!("DPVConfirmation={v}"), dpv_meaning(v));
    }
    for c in resp.corrections.iter().chain(&resp.matches) {
        if let Some(code) = &c.code {
            reason(code.clone(), c.text.as_deref().unwrap_or(""));
        }
    }
    let flag = |v: &Option<String>| v.as_deref() == Some("Y");
    if flag(&info.vacant) {
        reason("vacant=Y".into(), "The address is not occupied");
    }
    if flag(&info.dpv_cmra) {
        reason(
            "DPVCMRA=Y".into(),
            "Commercial Mail Receiving Agency (a private mailbox)",
        );
    }
    if flag(&info.central_delivery_point) {
        reason(
            "centralDeliveryPoint=Y".into(),
            "The address is a central delivery point",
        );
    }
    if let Some(b) = &info.business {
        reason(
            format!("business={b}"),
            if b == "Y" {
                "The address is a business address"
            } else {
                "The address is not a business address"
            },
        );
    }
    for w in &resp.warnings {
        reason("warning".into(), w);
    }
    let classification = match info.business.as_deref() {
        Some("Y") => AddressClassification::Commercial,
        Some("N") => AddressClassification::Residential,
        _ => AddressClassification::Unknown,
    };
    let standard = resp.address.as_ref().and_then(|s| {
        let street = s.street_address.clone()?;
        let mut out = input.clone();
        out.street = std::iter::once(street)
            .chain(s.secondary_address.clone())
            .collect();
        out.city = s.city.clone().unwrap_or_else(|| input.city.clone());
        out.state = s.state.clone().or_else(|| input.state.clone());
        out.postal_code = match (&s.zip_code, &s.zip_plus4) {
            (Some(z), Some(p)) => Some(format!("{z}-{p}")),
            (Some(z), None) => Some(z.clone()),
            _ => input.postal_code.clone(),
        };
        match classification {
            AddressClassification::Commercial => out.residential = false,
            AddressClassification::Residential => out.residential = true,
            AddressClassification::Unknown => {}
        }
        Some(out)
    });
    let ambiguous = resp
        .corrections
        .iter()
        .any(|c| c.code.as_deref() == Some("22"));
    let corrected = standard.as_ref().is_some_and(|s| {
        let zip5 = |a: &Address| {
            a.postal_code
                .as_deref()
                .unwrap_or("")
                .chars()
                .filter(char::is_ascii_digit)
                .take(5)
                .collect::<String>()
        };
        !same(&s.street.join(" "), &input.street.join(" "))
            || !same(&s.city, &input.city)
            || !same(
                s.state.as_deref().unwrap_or(""),
                input.state.as_deref().unwrap_or(""),
            )
            || zip5(s) != zip5(input)
    });
    let verdict = match (dpv, ambiguous) {
        (_, true) => AddressVerdict::Undeliverable,
        (Some("Y"), _) if standard.is_some() && corrected => {
            AddressVerdict::DeliverableWithCorrections
        }
        (Some("Y"), _) if standard.is_some() => AddressVerdict::Deliverable,
        (Some("S"), _) if standard.is_some() => AddressVerdict::DeliverableWithCorrections,
        (Some("D" | "N"), _) => AddressVerdict::Undeliverable,
        _ => AddressVerdict::Unknown,
    };
    AddressCheck {
        verdict,
        address: standard,
        classification,
        candidates: Vec::new(),
        reasons,
    }
}
