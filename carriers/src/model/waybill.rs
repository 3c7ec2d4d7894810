use serde::{Deserialize, Serialize};

use super::{Charge, LabelFormat, Money, TrackingNumber};

/// A label or shipping document a carrier returned.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelDocument {
    /// Format of `content`.
    pub format: LabelFormat,
    /// The raw document bytes (decoded from the carrier's base64).
    pub content: Vec<u8>,
}

impl std::fmt::Debug for LabelDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "LabelDocument({:?}, {} bytes)",
            self.format,
            self.content.len()
        )
    }
}

/// A purchased shipment as the carrier issued it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waybill {
    /// Master tracking number.
    pub tracking_number: TrackingNumber,
    /// Per-piece tracking numbers, in parcel order (the master alone for one piece).
    pub pieces: Vec<TrackingNumber>,
    /// The carrier's own shipment id (used to void).
    pub carrier_shipment_id: String,
    /// The label, when the carrier produced one; otherwise the hub renders it.
    pub label: Option<LabelDocument>,
    /// What the carrier says it will bill.
    pub total: Option<Money>,
    /// Charge lines, when the carrier itemises.
    pub breakdown: Vec<Charge>,
    /// Warnings attached to a successful purchase.
    pub warnings: Vec<String>,
}
