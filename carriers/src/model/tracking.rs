use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::{CountryCode, InvalidValue};

/// A carrier tracking number: 6 to 40 ASCII letters and digits, stored upper-case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingNumber(String);

impl TrackingNumber {
    /// The number as printed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl FromStr for TrackingNumber {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t: String = s
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if (6..=40).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(TrackingNumber(t))
        } else {
            Err(InvalidValue::new(
                "",
                format!("`{s}` is not a tracking number (6-40 letters and digits)"),
            ))
        }
    }
}
impl fmt::Debug for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrackingNumber({})", self.0)
    }
}
super::string_newtype!(
    TrackingNumber,
    "Carrier tracking number",
    "1Z999AA10123456784"
);

/// Normalized tracking status; the carrier's own code is kept beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrackingStatus {
    /// Label created, not yet handed over.
    PreTransit,
    /// Moving through the network.
    InTransit,
    /// On the vehicle for delivery today.
    OutForDelivery,
    /// Waiting at a pickup point or locker.
    AvailableForPickup,
    /// Delivered.
    Delivered,
    /// A delivery attempt failed; the carrier will retry or hold.
    AttemptFail,
    /// Something went wrong (damage, address problem, customs hold).
    Exception,
    /// Being returned to the shipper.
    ReturnToSender,
    /// Cancelled before pickup.
    Cancelled,
    /// The carrier stopped tracking it without delivery.
    Expired,
    /// A code we could not map.
    Unknown,
}

impl TrackingStatus {
    /// Nothing more will happen to the parcel.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Delivered | Self::Cancelled | Self::Expired)
    }
    /// The shipper should hear about it.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Self::AttemptFail | Self::Exception | Self::ReturnToSender
        )
    }
}

/// Where a scan happened.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Location {
    /// City.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<CountryCode>,
}

/// One scan or status change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrackingEvent {
    /// When it happened, with the offset the carrier gave (UTC when it gave none).
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub occurred_at: OffsetDateTime,
    /// Normalized status.
    pub status: TrackingStatus,
    /// The carrier's own event or status code.
    pub carrier_code: String,
    /// The carrier's finer sub-status, when it has one (exception reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_status: Option<String>,
    /// The carrier's words.
    pub description: String,
    /// Where.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

/// One parcel to track: its number and what the asker knows of it besides. Carriers reuse
/// numbers; a ship date picks the parcel's own shipment out of several answered under one
/// number. Built from a bare number with `From`, so callers that know nothing more say so.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TrackQuery {
    /// The number.
    pub number: TrackingNumber,
    /// The day it shipped, when known (a label bought through the hub knows it).
    pub ship_date: Option<Date>,
    /// The network an aggregator tracks the number in (Kuaidi100's company code such as
    /// `zhongtong`), when the tracker names one.
    pub network: Option<String>,
    /// A phone number of the sender or receiver, or its last four digits, when the tracker
    /// gives one: some networks show their scans only with it (Kuaidi100 for SF numbers).
    pub phone: Option<String>,
}

impl TrackQuery {
    /// A number shipped on `ship_date`, when known.
    pub fn new(number: TrackingNumber, ship_date: Option<Date>) -> Self {
        Self {
            number,
            ship_date,
            network: None,
            phone: None,
        }
    }

    /// The same parcel, with the phone hint its network wants.
    pub fn with_phone(mut self, phone: Option<String>) -> Self {
        self.phone = phone;
        self
    }

    /// The same parcel, in an aggregator's `network`.
    pub fn in_network(mut self, network: Option<String>) -> Self {
        self.network = network;
        self
    }
}

/// The offset of China Standard Time (UTC+08:00, no daylight saving): what SF Express,
/// Kuaidi100 and YunExpress timestamps without an offset mean.
pub const CHINA_STANDARD_TIME: time::UtcOffset = match time::UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => panic!("+08:00 is an offset"),
};

/// A network an aggregator says a number belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NetworkGuess {
    /// The aggregator's code for the network (Kuaidi100 `comCode`, e.g. `zhongtong`).
    pub code: String,
    /// Its name, when the aggregator gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl From<TrackingNumber> for TrackQuery {
    fn from(number: TrackingNumber) -> Self {
        Self::new(number, None)
    }
}

/// What a carrier knows about one tracking number.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TrackingResult {
    /// The number asked about.
    pub tracking_number: TrackingNumber,
    /// Current normalized status.
    pub status: TrackingStatus,
    /// The carrier's code for the current status.
    pub carrier_code: String,
    /// Events, oldest first.
    pub events: Vec<TrackingEvent>,
    /// Expected delivery date, when the carrier says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_delivery: Option<Date>,
    /// Who signed for the parcel, as the carrier spelled it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// What the carrier warned about beside (or instead of) data, each with its own code
    /// (`TW0001: Tracking Information Not Found`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Other shipments the carrier reported under the same number (numbers are reused): kept
    /// visible, never merged into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_shipments: Vec<OtherShipment>,
}

/// A shipment the carrier also reported under a tracking number, apart from the one chosen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OtherShipment {
    /// The carrier's id telling shipments under one number apart (FedEx
    /// `trackingNumberUniqueId`), when it gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier_id: Option<String>,
    /// When it shipped, when the carrier says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_date: Option<Date>,
    /// Its normalized status.
    pub status: TrackingStatus,
    /// The carrier's code for that status.
    pub carrier_code: String,
    /// Its latest scan.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_event_at: Option<OffsetDateTime>,
}

/// One event a carrier pushed to us (a tracking webhook), for the same path as polled ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PushedEvent {
    /// The parcel it is about.
    pub tracking_number: TrackingNumber,
    /// What happened.
    pub event: TrackingEvent,
    /// Expected delivery date, when the push carries one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_delivery: Option<Date>,
    /// Who signed for the parcel, when the push says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers_are_normalized_and_validated() {
        let t: TrackingNumber = "1z 999 aa1 0123456784".parse().unwrap();
        assert_eq!(t.as_str(), "1Z999AA10123456784");
        assert!("abc".parse::<TrackingNumber>().is_err());
        assert!("1Z999-AA1".parse::<TrackingNumber>().is_err());
    }
}
