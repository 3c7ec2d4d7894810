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
    /// China (the mainland: Hong Kong, Macao and Taiwan have their own codes).
    pub const CN: CountryCode = CountryCode(*b"CN");

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

/// Longest `state` outside China: 5 (UPS `StateProvinceCode`).
pub const MAX_STATE: usize = 5;
/// Longest `state` of a Chinese address: a province's official name (新疆维吾尔自治区 is 8).
pub const MAX_STATE_CN: usize = 12;

/// A postal address with contact details.
///
/// For `country: US` the schema also requires a USPS `state` code and a ZIP `postal_code`
/// (added to the published schema from [`US_STATES`] and [`US_ZIP_PATTERN`]).
///
/// For `country: CN` (see [`super::china`]) written in Chinese script (the city has Han
/// characters): `state` is the province, `city` the prefecture-level city, `district` the
/// county or district, all normalized to their official GB/T 2260 names. In Latin script
/// ("Shenzhen", for an international carrier) they stay free text as for other countries.
/// Either way `phone` is required (a mainland mobile, normalized to its 11 digits, or a
/// landline with its area code) and is the key field; `postal_code` is optional (6 digits).
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
    /// `StateProvinceCode`; a USPS code for the US). For CN the province: its official name
    /// (湖北省), short name (湖北) or GB/T 2260 code (42, 420000), up to 12 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 12)]
    pub state: Option<String>,
    /// Postal code, where the country uses one (at most 10 characters; `12345` or
    /// `12345-6789` for the US).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 10)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: CountryCode,
    /// Phone in international format. Required for CN: a mainland mobile (11 digits, with or
    /// without +86) or a landline with its area code (010-12345678).
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

/// Countries whose addresses need a postal code for any carrier we serve. Not CN: Chinese
/// carriers key an address on the receiver's mobile and its division names, and SF's own
/// order samples carry no postcode.
pub const POSTAL_CODE_REQUIRED: &[&str] = &[
    "US", "CA", "GB", "DE", "FR", "NL", "AU", "JP", "IN", "BR", "MX", "ES", "IT",
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
            too_long(
                "/state",
                r.state.as_deref().unwrap_or(""),
                if r.country == CountryCode::CN && super::china::chinese_script(&r.city) {
                    MAX_STATE_CN
                } else {
                    MAX_STATE
                },
            ),
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
        let mut city = r.city.trim().to_string();
        let mut district = trim(r.district);
        let mut phone = trim(r.phone);
        let mut state = state;
        // A CN address in Chinese script is checked against GB/T 2260; one in Latin script (a
        // shipper abroad writing "Shenzhen" for DHL or UPS, as before this rule) keeps the
        // free-form 5-character `state`. Both need the mainland phone.
        if r.country == CountryCode::CN && super::china::chinese_script(&city) {
            let province = state.as_deref().ok_or_else(|| {
                InvalidValue::new(
                    "/state",
                    "CN addresses need the province (湖北省, 湖北 or 42)",
                )
            })?;
            let resolved = super::china::resolve(province, &city, district.as_deref())
                .map_err(super::china::Unresolved::into_invalid)?;
            state = Some(resolved.province.to_string());
            city = resolved.city.to_string();
            district = resolved.district;
        }
        if r.country == CountryCode::CN {
            let given = phone.as_deref().ok_or_else(|| {
                InvalidValue::new(
                    "/phone",
                    "is required for CN: a mobile in China is 11 digits (or a landline with \
                     its area code, 010-12345678)",
                )
            })?;
            phone = Some(super::china::phone(given)?);
            if let Some(pc) = &postal_code
                && !(pc.len() == 6 && pc.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(InvalidValue::new(
                    "/postal_code",
                    "a Chinese postcode is 6 digits",
                ));
            }
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
            city,
            district,
            state: state.map(|s| s.to_ascii_uppercase()),
            postal_code,
            country: r.country,
            phone,
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

    /// For a CN address, the GB/T 2260 division it names: the district's six-digit code when
    /// the district is a listed one, otherwise the city's (e.g. "420602", "420300"). `None`
    /// for other countries.
    pub fn china_division(&self) -> Option<super::china::Resolved> {
        if self.country != CountryCode::CN {
            return None;
        }
        // A parsed CN address already resolved; this repeats three hash lookups.
        super::china::resolve(self.state.as_deref()?, &self.city, self.district.as_deref()).ok()
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

    fn cn(v: serde_json::Value) -> Result<Address, InvalidValue> {
        let mut base = serde_json::json!({
            "name": "郭襄阳", "street": ["湖北省襄阳市襄城区环城东路122号"], "city": "襄阳市",
            "district": "襄城区", "state": "湖北省", "country": "CN", "phone": "18963828829",
        });
        for (k, x) in v.as_object().unwrap() {
            if x.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = x.clone();
            }
        }
        Address::try_from(serde_json::from_value::<RawAddress>(base).unwrap())
    }

    #[test]
    fn chinese_addresses_from_sf_samples() {
        // SF request-01, receiver.
        let a = cn(serde_json::json!({})).unwrap();
        assert_eq!(a.state.as_deref(), Some("湖北省"));
        assert_eq!(
            (a.city.as_str(), a.district.as_deref()),
            ("襄阳市", Some("襄城区"))
        );
        assert_eq!(a.postal_code, None, "no postcode needed in China");
        assert_eq!(a.china_division().unwrap().code, "420602");
        // Sender: 武当山风景区 is no statutory county; kept, the division is 十堰市's.
        let a = cn(serde_json::json!({
            "street": ["十堰市丹江口市公园路155号"], "city": "十堰市", "district": "武当山风景区",
            "phone": "17006805888", "company": "清雅轩保健品专营店",
        }))
        .unwrap();
        assert_eq!(a.district.as_deref(), Some("武当山风景区"));
        assert_eq!(a.china_division().unwrap().code, "420300");
        // request-04: empty county, a 400 service number as the sender's phone.
        let a = cn(serde_json::json!({
            "street": ["广东省深圳市南山区粤海街道创智天地大厦B栋27楼南区"], "city": "深圳市",
            "district": "", "state": "广东省", "phone": "4001118851",
        }))
        .unwrap();
        assert_eq!((a.district, a.phone.as_deref()), (None, Some("4001118851")));
        let a = cn(serde_json::json!({
            "street": ["南朗镇翠亨村101"], "city": "中山市", "district": "", "state": "广东省",
            "phone": "15888888111",
        }))
        .unwrap();
        assert_eq!(a.china_division().unwrap().code, "442000");
    }

    #[test]
    fn chinese_names_and_codes_normalize() {
        let a = cn(serde_json::json!({
            "state": "42", "city": "襄阳", "district": "襄城", "phone": "+86 189-6382-8829",
            "postal_code": "441021",
        }))
        .unwrap();
        assert_eq!(a.state.as_deref(), Some("湖北省"));
        assert_eq!(
            (a.city.as_str(), a.district.as_deref()),
            ("襄阳市", Some("襄城区"))
        );
        assert_eq!(a.phone.as_deref(), Some("18963828829"));
        assert_eq!(a.postal_code.as_deref(), Some("441021"));
        let a =
            cn(serde_json::json!({"state": "420000", "city": "仙桃市", "district": null})).unwrap();
        assert_eq!(a.china_division().unwrap().code, "429004");
        // Eight characters: over the 5 other countries get, not over a province's name.
        let a = cn(
            serde_json::json!({"state": "新疆维吾尔自治区", "city": "乌鲁木齐市",
            "district": "天山区"}),
        )
        .unwrap();
        assert_eq!(a.china_division().unwrap().code, "650102");
        let a = cn(
            serde_json::json!({"state": "北京", "city": "北京", "district": "朝阳区",
            "phone": "010-12345678"}),
        )
        .unwrap();
        assert_eq!(
            (a.city.as_str(), a.phone.as_deref()),
            ("北京市", Some("010-12345678"))
        );
        assert_eq!(a.china_division().unwrap().code, "110105");
    }

    #[test]
    fn chinese_addresses_refused_with_the_field() {
        let e = cn(serde_json::json!({"state": "湖某省"})).unwrap_err();
        assert_eq!(e.field, "/state");
        assert!(
            e.message
                .contains("`湖某省` is not a province of China (GB/T 2260)"),
            "{}",
            e.message
        );
        assert_eq!(
            cn(serde_json::json!({"state": null})).unwrap_err().field,
            "/state"
        );
        let e = cn(serde_json::json!({"state": "香港"})).unwrap_err();
        assert!(e.message.contains("`HK`"), "{}", e.message);
        let e = cn(serde_json::json!({"city": "长沙市"})).unwrap_err();
        assert_eq!(e.field, "/city");
        assert!(e.message.contains("not a city of 湖北省"), "{}", e.message);
        let e = cn(serde_json::json!({"phone": "1896382882"})).unwrap_err();
        assert_eq!(e.field, "/phone");
        assert!(
            e.message.contains("a mobile in China is 11 digits"),
            "{}",
            e.message
        );
        let e = cn(serde_json::json!({"phone": null})).unwrap_err();
        assert_eq!(e.field, "/phone");
        assert!(e.message.contains("11 digits"));
        let e = cn(serde_json::json!({"postal_code": "44102"})).unwrap_err();
        assert_eq!(e.field, "/postal_code");
        let e = cn(serde_json::json!({"state": "新疆维吾尔自治区新疆维吾尔"})).unwrap_err();
        assert_eq!(e.field, "/state");
    }

    #[test]
    fn a_chinese_address_in_latin_script_stays_free_text_but_needs_the_mobile() {
        let a = cn(
            serde_json::json!({"name": "Guo Xiangyang", "street": ["122 Huancheng East Rd"],
            "city": "Xiangyang", "district": "Xiangcheng", "state": "HB", "postal_code": "441021"}),
        )
        .unwrap();
        assert_eq!(
            (a.city.as_str(), a.state.as_deref()),
            ("Xiangyang", Some("HB"))
        );
        assert_eq!(a.china_division(), None);
        let e =
            cn(serde_json::json!({"city": "Xiangyang", "state": "Hubei Province"})).unwrap_err();
        assert_eq!(e.field, "/state");
        let e = cn(serde_json::json!({"city": "Xiangyang", "state": null, "phone": "555-0100"}))
            .unwrap_err();
        assert_eq!(e.field, "/phone");
    }

    #[test]
    fn other_countries_keep_their_rules() {
        // A 6-character state is still too long outside China, and HK needs no phone.
        let raw: RawAddress = serde_json::from_str(
            r#"{"name":"A","street":["x"],"city":"c","state":"ABCDEF","postal_code":"1","country":"DE"}"#,
        )
        .unwrap();
        assert_eq!(Address::try_from(raw).unwrap_err().field, "/state");
        let hk = r#"{"name":"A","street":["x"],"city":"Hong Kong","state":"香港","country":"HK"}"#;
        let a: Address = serde_json::from_str(hk).unwrap();
        assert_eq!(
            (a.state.as_deref(), a.china_division()),
            (Some("香港"), None)
        );
        let us = r#"{"name":"A","street":["x"],"city":"c","state":"ca","postal_code":"94105","country":"US","phone":"1"}"#;
        assert_eq!(
            serde_json::from_str::<Address>(us)
                .unwrap()
                .phone
                .as_deref(),
            Some("1")
        );
    }
}
