//! Requests for pricing a lane from the command line or a form: a rate card reads only the
//! countries, postal codes, the residential flag and the parcels, so nothing else is asked.

use shiphub_carriers::model::{Address, CountryCode, Parcel, RateRequest};
use time::Date;

/// One end of a lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LaneEnd {
    /// Country.
    pub country: CountryCode,
    /// Postal code, where the country has them.
    pub postal_code: Option<String>,
    /// A private residence (destination surcharges).
    pub residential: bool,
}

/// A `RateRequest` for `parcels` from `from` to `to`, with placeholder names and streets
/// (rate cards do not read them). For `shiphub rate --card FILE --from US:30301 ...`.
pub fn lane_request(
    from: LaneEnd,
    to: LaneEnd,
    parcels: Vec<Parcel>,
    ship_date: Option<Date>,
) -> RateRequest {
    let address = |end: LaneEnd| Address {
        name: "-".into(),
        company: None,
        street: vec!["-".into()],
        city: "-".into(),
        district: None,
        state: None,
        postal_code: end.postal_code,
        country: end.country,
        phone: None,
        email: None,
        residential: end.residential,
    };
    RateRequest {
        from: address(from),
        to: address(to),
        parcels,
        customs: None,
        ship_date,
        options: Default::default(),
    }
}
