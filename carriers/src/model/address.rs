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
impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
super::string_newtype!(CountryCode, "ISO 3166-1 alpha-2 country code", "US");

/// A postal address with contact details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(try_from = "RawAddress")]
pub struct Address {
    /// Person or department.
    pub name: String,
    /// Company, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// One to three street lines.
    pub street: Vec<String>,
    /// City or town.
    pub city: String,
    /// State, province or region code, where the country uses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Postal code, where the country uses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAddress {
    name: String,
    #[serde(default)]
    company: Option<String>,
    street: Vec<String>,
    city: String,
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
const POSTAL_CODE_REQUIRED: &[&str] = &[
    "US", "CA", "GB", "DE", "FR", "NL", "AU", "JP", "CN", "IN", "BR", "MX", "ES", "IT",
];

impl TryFrom<RawAddress> for Address {
    type Error = InvalidValue;
    fn try_from(r: RawAddress) -> Result<Self, Self::Error> {
        let trim = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        if r.name.trim().is_empty() {
            return Err(InvalidValue::new("/name", "must not be empty"));
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
        if r.country == CountryCode::US && state.as_deref().is_none_or(|s| s.len() != 2) {
            return Err(InvalidValue::new(
                "/state",
                "US addresses need a two-letter state code",
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
