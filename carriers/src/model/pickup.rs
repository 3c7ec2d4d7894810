//! Courier pickups and end-of-day manifests.

use serde::{Deserialize, Serialize};
use time::{Date, Time};

use super::{Address, LabelDocument, Money, TrackingNumber, Weight};

/// A courier pickup to book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupRequest {
    /// Where the courier collects (its contact name and phone are the carrier's contact).
    pub address: Address,
    /// The day of the pickup.
    pub date: Date,
    /// When the parcels are ready, local time at `address`.
    pub ready_time: Time,
    /// When the place closes, local time at `address`.
    pub close_time: Time,
    /// How many parcels.
    pub parcel_count: u32,
    /// Their total weight.
    pub total_weight: Weight,
    /// The shipments it covers (bought here), when known: their numbers, the carrier's
    /// service codes and destination countries, which some carriers want per service.
    pub shipments: Vec<PickupShipment>,
    /// Instructions for the courier (where to find the parcels).
    pub instructions: Option<String>,
}

/// One shipment a pickup covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupShipment {
    /// Its master tracking number.
    pub tracking_number: TrackingNumber,
    /// The carrier's service code it was bought with.
    pub service: String,
    /// Its destination country (ISO 3166-1 alpha-2).
    pub destination_country: String,
    /// How many parcels it has.
    pub parcels: u32,
}

/// The carrier's confirmation of a booked pickup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupConfirmation {
    /// The confirmation number (UPS PRN, FedEx `pickupConfirmationCode`, USPS
    /// `confirmationNumber`, DHL `dispatchConfirmationNumbers`).
    pub confirmation: String,
    /// The carrier's location or station code the pickup is booked with, where it names one
    /// (FedEx `location`), needed to cancel.
    pub location: Option<String>,
    /// What the carrier charges for it, when it says.
    pub charge: Option<Money>,
    /// Warnings attached to the booking.
    pub warnings: Vec<String>,
}

/// Enough to cancel a booked pickup.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickupRef {
    /// As confirmed.
    pub confirmation: String,
    /// As confirmed.
    pub location: Option<String>,
    /// The booked day.
    pub date: Date,
    /// The booked address.
    pub address: Address,
}

/// An end-of-day close: the shipments handed over on one ship date from one place.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestRequest {
    /// The ship date being closed.
    pub ship_date: Date,
    /// Where the parcels are handed over (the shipments' origin).
    pub from: Address,
    /// The shipments it covers, each as bought (master and piece numbers).
    pub shipments: Vec<super::WaybillRef>,
}

/// The carrier's manifest of a close.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The carrier's id of the manifest (the USPS SCAN form's tracking number).
    pub carrier_manifest_id: String,
    /// The document the driver scans (USPS PS Form 5630/3152 PDF), when the carrier gives one.
    pub document: Option<LabelDocument>,
    /// The numbers the carrier took into the manifest.
    pub tracking_numbers: Vec<TrackingNumber>,
    /// Warnings (numbers the carrier left out, and why).
    pub warnings: Vec<String>,
}
