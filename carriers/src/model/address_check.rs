//! A carrier's verdict on an address: standardized form, residential or commercial,
//! candidates when it is ambiguous, and the carrier's own reason codes.

use serde::{Deserialize, Serialize};

use super::Address;

/// Whether a parcel can be delivered to the address as given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddressVerdict {
    /// The carrier knows the address as given.
    Deliverable,
    /// Deliverable once the carrier's corrections (in `address`) are taken.
    DeliverableWithCorrections,
    /// The carrier cannot deliver there (no such street, number or ZIP), or it is
    /// ambiguous and the carrier offers candidates instead.
    Undeliverable,
    /// The carrier could not tell (no coverage for the country, no match data).
    Unknown,
}

/// Whether the address is a home or a business, as far as the carrier knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AddressClassification {
    /// A private residence (residential surcharges apply).
    Residential,
    /// A business.
    Commercial,
    /// The carrier did not say or does not know.
    Unknown,
}

/// One code a carrier attached to its verdict, kept as it gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AddressReason {
    /// The carrier's code (USPS `dpvConfirmation`/footnote codes, FedEx `attributes` names,
    /// UPS indicator names).
    pub code: String,
    /// What it means, in the carrier's words where it gives them.
    pub message: String,
}

/// The carrier's answer about one address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AddressCheck {
    /// The verdict.
    pub verdict: AddressVerdict,
    /// The carrier's standardized address (the input's name, company, phone and e-mail kept),
    /// when it has one; `residential` set from the classification when it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// Residential or commercial.
    pub classification: AddressClassification,
    /// Candidates when the address is ambiguous, best first (each built like `address`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<Address>,
    /// The carrier's reason codes, as given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<AddressReason>,
}
