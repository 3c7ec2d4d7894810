//! What goes on one label. Plain owned data so the hub can build it from a stored
//! shipment without borrowing; checks that span fields happen in [`crate::render`].

use shiphub_carriers::model::{Address, TrackingNumber, Weight};
use time::Date;

/// One 4×6 in label for one piece of a shipment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelSpec {
    /// Carrier name as printed ("UPS").
    pub carrier: String,
    /// Service name as printed ("UPS Ground").
    pub service_name: String,
    /// The carrier's service code ("03"), printed beside the name for sorting staff.
    pub service_code: String,
    /// Printed, and encoded as the Code 128 barcode.
    pub tracking_number: TrackingNumber,
    /// Shipper.
    pub from: Address,
    /// Receiver.
    pub to: Address,
    /// This piece's weight, printed in its own unit.
    pub weight: Weight,
    /// The shipper's reference (order number).
    pub reference: Option<String>,
    /// Printed, and used as the PDF creation date.
    pub ship_date: Date,
    /// 1-based; must be at most `piece_count`.
    pub piece_number: u16,
    /// Pieces in the shipment, at least 1.
    pub piece_count: u16,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use shiphub_carriers::model::WeightUnit;

    /// A typical one-piece UPS Ground label.
    pub(crate) fn sample() -> LabelSpec {
        let address = |name: &str, street: &str, city: &str, state: &str, postal: &str| Address {
            name: name.into(),
            company: None,
            street: vec![street.into()],
            city: city.into(),
            state: Some(state.into()),
            postal_code: Some(postal.into()),
            country: "US".parse().unwrap(),
            phone: None,
            email: None,
            residential: false,
        };
        LabelSpec {
            carrier: "UPS".into(),
            service_name: "UPS Ground".into(),
            service_code: "03".into(),
            tracking_number: "1Z999AA10123456784".parse().unwrap(),
            from: address("Shipping Dept", "1 Warehouse Way", "Atlanta", "GA", "30303"),
            to: address(
                "Jane Receiver",
                "1 Market St",
                "San Francisco",
                "CA",
                "94105",
            ),
            weight: Weight::new(dec!(2.5), WeightUnit::Kg).unwrap(),
            reference: Some("PO-12345".into()),
            ship_date: Date::from_calendar_date(2026, time::Month::November, 23).unwrap(),
            piece_number: 1,
            piece_count: 1,
        }
    }
}
