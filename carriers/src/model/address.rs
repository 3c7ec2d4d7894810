use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// ISO 3166-1 alpha-2 codes, officially assigned (ISO 3166 Maintenance Agency list).
const ISO3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI \
FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT \
JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ \
MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS \
RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA \
UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// An ISO 3166-1 alpha-2 country code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// United States.
    pub const US: CountryCode = CountryCode(*b"US");

    /// The two-letter code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ASCII")
    }
}

/// Which two-letter pairs are assigned codes, indexed by (first − 'A') × 26 + (second − 'A').
const COUNTRIES: [bool; 676] = {
    let b = ISO3166_ALPHA2.as_bytes();
    let mut t = [false; 676];
    let mut i = 0;
    while i + 1 < b.len() {
        t[(b[i] - b'A') as usize * 26 + (b[i + 1] - b'A') as usize] = true;
        i += 3;
    }
    t
};

impl FromStr for CountryCode {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // A table lookup, not a scan: invoice audits parse a code per stored shipment.
        let b = s.trim().as_bytes();
        if let [x, y] = b
            && x.is_ascii_alphabetic()
            && y.is_ascii_alphabetic()
        {
            let (x, y) = (x.to_ascii_uppercase(), y.to_ascii_uppercase());
            if COUNTRIES[usize::from(x - b'A') * 26 + usize::from(y - b'A')] {
                return Ok(CountryCode([x, y]));
            }
        }
        {
            Err(InvalidValue::new(
                "",
                format!("`{s}` is not an ISO 3166-1 alpha-2 country code"),
            ))
        }
    }
}
impl CountryCode {
    /// Every assigned code, for the schema's `enum`.
    pub fn assigned() -> impl Iterator<Item = &'static str> {
        ISO3166_ALPHA2.split(' ')
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
super::string_newtype!(CountryCode, "ISO 3166-1 alpha-2 country code", "US");

/// USPS two-letter codes of the states, DC, territories, freely associated states and armed
/// forces (USPS Publication 28, appendix B): the only `state` a US address may carry.
pub const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "AS", "GU", "MP", "PR", "VI", "FM", "MH", "PW", "AA", "AE", "AP",
];

/// Text a label prints (names, streets, cities): not blank, no control characters. The schema
/// attributes below spell it out (they take literals only); the hub's schema test checks them.
pub const TEXT_PATTERN: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$";

/// A US ZIP code: five digits, or ZIP+4 (`12345-6789`).
pub const US_ZIP_PATTERN: &str = "^[0-9]{5}(-[0-9]{4})?$";

/// Longest name, company and street line every carrier takes: 35 (UPS Shipping API `ShipTo.Name`,
/// `AttentionName` and each `AddressLine`; FedEx `companyName` and each `streetLines` entry).
pub const MAX_NAME: usize = 35;
/// Longest city every carrier takes: 30 (UPS Shipping API `ShipTo.Address.City`).
pub const MAX_CITY: usize = 30;

fn is_us_zip(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: &[u8]| r.iter().all(u8::is_ascii_digit);
    match b.len() {
        5 => digits(b),
        10 => digits(&b[..5]) && b[5] == b'-' && digits(&b[6..]),
        _ => false,
    }
}

/// A postal address with contact details.
///
/// For `country: US` the schema also requires a USPS `state` code and a ZIP `postal_code`
/// (added to the published schema from [`US_STATES`] and [`US_ZIP_PATTERN`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawAddress")]
pub struct Address {
    /// Person or department (at most 35 characters, UPS and FedEx).
    #[schema(
        min_length = 1,
        max_length = 35,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub name: String,
    /// Company, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 35)]
    pub company: Option<String>,
    /// One to three street lines, each at most 35 characters.
    #[schema(min_items = 1, max_items = 3, value_type = Vec<StreetLine>)]
    pub street: Vec<String>,
    /// City or town (at most 30 characters, UPS).
    #[schema(
        min_length = 1,
        max_length = 30,
        pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    pub city: String,
    /// District or county within the city (Chinese 区/县, the third level of a Chinese
    /// address), where the country's addresses have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 30)]
    pub district: Option<String>,
    /// State, province or region code, where the country uses one (at most 5 characters, UPS
    /// `StateProvinceCode`; a USPS code for the US).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 5)]
    pub state: Option<String>,
    /// Postal code, where the country uses one (at most 10 characters; `12345` or
    /// `12345-6789` for the US).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 10)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: CountryCode,
    /// Phone in international format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A private residence (carriers surcharge residential delivery).
    #[serde(default)]
    pub residential: bool,
}

/// One street line, as the schema describes it (the field stays a `String`).
struct StreetLine;

impl utoipa::PartialSchema for StreetLine {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .max_length(Some(MAX_NAME))
            .pattern(Some(TEXT_PATTERN))
            .into()
    }
}
impl utoipa::ToSchema for StreetLine {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAddress {
    name: String,
    #[serde(default)]
    company: Option<String>,
    street: Vec<String>,
    city: String,
    #[serde(default)]
    district: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    postal_code: Option<String>,
    country: CountryCode,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    residential: bool,
}

/// Countries whose addresses need a postal code for any carrier we serve.
pub const POSTAL_CODE_REQUIRED: &[&str] = &[
    "US", "CA", "GB", "DE", "FR", "NL", "AU", "JP", "CN", "IN", "BR", "MX", "ES", "IT",
];

impl TryFrom<RawAddress> for Address {
    type Error = InvalidValue;
    fn try_from(r: RawAddress) -> Result<Self, Self::Error> {
        let trim = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if r.name.trim().is_empty() {
            return Err(InvalidValue::new("/name", "must not be empty"));
        }
        let too_long = |field: &str, s: &str, max: usize| {
            (s.chars().count() > max)
                .then(|| InvalidValue::new(field, format!("must be at most {max} characters")))
        };
        let lengths = [
            too_long("/name", &r.name, MAX_NAME),
            too_long("/company", r.company.as_deref().unwrap_or(""), MAX_NAME),
            too_long("/city", &r.city, MAX_CITY),
            too_long("/district", r.district.as_deref().unwrap_or(""), MAX_CITY),
            too_long("/state", r.state.as_deref().unwrap_or(""), 5),
            too_long("/postal_code", r.postal_code.as_deref().unwrap_or(""), 10),
        ];
        if let Some(e) = lengths.into_iter().flatten().next() {
            return Err(e);
        }
        if let Some(i) = r.street.iter().position(|l| l.chars().count() > MAX_NAME) {
            return Err(InvalidValue::new(
                format!("/street/{i}"),
                format!("must be at most {MAX_NAME} characters"),
            ));
        }
        let street: Vec<String> = r
            .street
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if street.is_empty() || street.len() > 3 {
            return Err(InvalidValue::new(
                "/street",
                "needs one to three non-empty lines",
            ));
        }
        if r.city.trim().is_empty() {
            return Err(InvalidValue::new("/city", "must not be empty"));
        }
        let postal_code = trim(r.postal_code);
        if postal_code.is_none() && POSTAL_CODE_REQUIRED.contains(&r.country.as_str()) {
            return Err(InvalidValue::new(
                "/postal_code",
                format!("is required for {}", r.country),
            ));
        }
        let state = trim(r.state);
        if r.country == CountryCode::US
            && state
                .as_deref()
                .is_none_or(|s| !US_STATES.contains(&s.to_ascii_uppercase().as_str()))
        {
            return Err(InvalidValue::new(
                "/state",
                "US addresses need a USPS two-letter state code",
            ));
        }
        if r.country == CountryCode::US
            && let Some(zip) = &postal_code
            && !is_us_zip(zip)
        {
            return Err(InvalidValue::new(
                "/postal_code",
                "a US ZIP code is 12345 or 12345-6789",
            ));
        }
        let email = trim(r.email);
        if let Some(e) = &email
            && !e.contains('@')
        {
            return Err(InvalidValue::new("/email", "is not an e-mail address"));
        }
        Ok(Address {
            name: r.name.trim().to_string(),
            company: trim(r.company),
            street,
            city: r.city.trim().to_string(),
            district: trim(r.district),
            state: state.map(|s| s.to_ascii_uppercase()),
            postal_code,
            country: r.country,
            phone: trim(r.phone),
            email,
            residential: r.residential,
        })
    }
}

impl Address {
    /// True when both addresses are in the same country.
    pub fn is_domestic_to(&self, other: &Address) -> bool {
        self.country == other.country
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_assigned_country_code_parses_and_nothing_else_does() {
        let listed: Vec<&str> = ISO3166_ALPHA2.split(' ').collect();
        assert_eq!(listed.len(), 249);
        for a in b'A'..=b'Z' {
            for b in b'A'..=b'Z' {
                let code = String::from_utf8(vec![a, b]).unwrap();
                assert_eq!(
                    code.parse::<CountryCode>().is_ok(),
                    listed.contains(&code.as_str()),
                    "{code}"
                );
            }
        }
        assert_eq!(" de ".parse::<CountryCode>().unwrap().as_str(), "DE");
        for bad in ["", "U", "USA", "1A", "ÄÖ", "U\u{0}"] {
            assert!(bad.parse::<CountryCode>().is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_and_normalizes() {
        let a: Address = serde_json::from_str(
            r#"{"name":" Receiver ","street":["1 Market St",""],"city":"San Francisco","state":"ca","postal_code":"94105","country":"us","residential":true}"#,
        )
        .unwrap();
        assert_eq!(a.name, "Receiver");
        assert_eq!(a.street, vec!["1 Market St"]);
        assert_eq!(a.state.as_deref(), Some("CA"));
        assert_eq!(a.country, CountryCode::US);
        assert!(a.residential);
    }

    #[test]
    fn rejects_unknown_country_and_missing_postal_code() {
        let bad = r#"{"name":"A","street":["x"],"city":"c","country":"XX"}"#;
        assert!(
            serde_json::from_str::<Address>(bad)
                .unwrap_err()
                .to_string()
                .contains("ISO 3166")
        );
        let raw: RawAddress = serde_json::from_str(
            r#"{"name":"A","street":["x"],"city":"c","state":"GA","country":"US"}"#,
        )
        .unwrap();
        assert_eq!(Address::try_from(raw).unwrap_err().field, "/postal_code");
        let hk = r#"{"name":"A","street":["x"],"city":"Hong Kong","country":"HK"}"#;
        assert!(serde_json::from_str::<Address>(hk).is_ok());
    }
}
