//! What goes on one label. Plain owned data so the hub can build it from a stored
//! shipment without borrowing; checks that span fields happen in [`crate::render`].

use shiphub_carriers::model::{Address, TrackingNumber, Weight, WeightUnit};
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
    /// The shipment's master number when this piece has a number of its own (SF's 母单号
    /// beside the piece's 子单号); `None` for one-piece shipments.
    pub master_tracking_number: Option<TrackingNumber>,
    /// What the parcel holds, printed on Chinese e-waybills (托寄物), e.g. "服装".
    pub contents: Option<String>,
    /// A note for the courier, printed on Chinese e-waybills (备注).
    pub remark: Option<String>,
}

/// A label with the optional symbols some carriers require beside the tracking barcode.
/// [`LabelSpec`] alone (through `From`) is the plain label [`crate::render`] draws.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    /// What every label carries.
    pub spec: LabelSpec,
    /// A GS1-128 symbol (SSCC, ship-to postal code) drawn in its own band.
    pub gs1: Option<Gs1Barcode>,
    /// A QR or DataMatrix symbol drawn beside the receiver's address. `None` draws the
    /// hub's own Data Matrix of [`LabelSpec::routing_text`], so every label carries one.
    pub matrix: Option<MatrixCode>,
}

impl From<LabelSpec> for Label {
    fn from(spec: LabelSpec) -> Self {
        Label {
            spec,
            gs1: None,
            matrix: None,
        }
    }
}

impl LabelSpec {
    /// The text of the Data Matrix every label carries when the caller asks for no other
    /// 2D symbol: `SH1|<tracking number>|<destination country>|<destination postal code>`,
    /// e.g. `SH1|1Z999AA10123456784|US|94105`.
    ///
    /// `SH1` names this format (version 1), so a sorter can tell it from a carrier's
    /// symbol and a later version can add fields. Fields are separated by `|`, which none
    /// of them can contain: tracking numbers are alphanumeric, the country is ISO 3166-1
    /// alpha-2, and the postal code is upper-cased and kept to letters, digits, spaces and
    /// hyphens (`SW1A 1AA`, `1000-001`); it is empty when the address has none (Hong Kong).
    /// Short on purpose: about 30 characters fit a 22×22 symbol, whose modules stay
    /// larger than 1 mm in its 28 mm slot, eight dots each at 203 dpi.
    pub fn routing_text(&self) -> String {
        let postal: String = self
            .to
            .postal_code
            .as_deref()
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-'))
            .collect::<String>()
            .to_ascii_uppercase();
        format!(
            "SH1|{}|{}|{}",
            self.tracking_number.as_str(),
            self.to.country.as_str(),
            postal.trim()
        )
    }
}

/// The 2D symbol option. Both carry free text (a tracking URL, a carrier's routing string).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MatrixCode {
    /// QR Code, error correction level M.
    Qr(String),
    /// Data Matrix ECC 200, square symbols only (rectangular ones scan worse on thermal
    /// printers whose dots are not square at every speed).
    DataMatrix(String),
}

/// A GS1-128 symbol: element strings (application identifier + value), validated on
/// construction so rendering cannot fail on them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gs1Barcode {
    elements: Vec<(String, String)>,
}

/// Why element strings are not valid GS1-128 data.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid GS1 element string: {0}")]
pub struct InvalidGs1(String);

impl Gs1Barcode {
    /// An SSCC, AI (00): `extension` digit and the 16 digits of company prefix plus serial
    /// reference; the check digit is computed here (GS1 mod-10, weights 3/1 from the right).
    pub fn sscc(extension: u8, prefix_and_serial: &str) -> Result<Self, InvalidGs1> {
        if extension > 9
            || prefix_and_serial.len() != 16
            || !prefix_and_serial.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(InvalidGs1(format!(
                "an SSCC is one extension digit and 16 digits, got {extension} and `{prefix_and_serial}`"
            )));
        }
        let body = format!("{extension}{prefix_and_serial}");
        let check = gs1_check_digit(&body);
        Self::new([("00", format!("{body}{check}").as_str())])
    }

    /// Element strings in order, e.g. `[("420", "94105"), ("00", "…")]`. Values must use the
    /// GS1 character set 82 (without `>`, which ZPL reserves); AIs with a predefined length
    /// (00, 01, 11…, see [`predefined_length`]) must have exactly that length, and (00),
    /// (01), (02) must carry a valid check digit.
    pub fn new<'a>(
        elements: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, InvalidGs1> {
        let mut out = Vec::new();
        for (ai, value) in elements {
            if !(2..=4).contains(&ai.len()) || !ai.bytes().all(|b| b.is_ascii_digit()) {
                return Err(InvalidGs1(format!(
                    "`{ai}` is not an application identifier"
                )));
            }
            if value.is_empty() || ai.len() + value.len() > 48 || !value.bytes().all(is_gs1_char) {
                return Err(InvalidGs1(format!(
                    "({ai}) `{value}` is empty, too long or outside GS1 character set 82"
                )));
            }
            if let Some(len) = predefined_length(ai)
                && ai.len() + value.len() != len
            {
                return Err(InvalidGs1(format!(
                    "({ai}) takes {} characters, got `{value}`",
                    len - ai.len()
                )));
            }
            if matches!(ai, "00" | "01" | "02") {
                let (body, check) = value.split_at(value.len() - 1);
                if !value.bytes().all(|b| b.is_ascii_digit())
                    || gs1_check_digit(body).to_string() != check
                {
                    return Err(InvalidGs1(format!("({ai}) `{value}`: wrong check digit")));
                }
            }
            out.push((ai.to_owned(), value.to_owned()));
        }
        if out.is_empty() {
            return Err(InvalidGs1("no element strings".into()));
        }
        Ok(Gs1Barcode { elements: out })
    }

    /// The element strings as given.
    pub fn elements(&self) -> impl Iterator<Item = (&str, &str)> {
        self.elements.iter().map(|(a, v)| (a.as_str(), v.as_str()))
    }

    /// The human-readable line printed under the bars: "(00) 012345678901234560".
    pub fn human_readable(&self) -> String {
        self.elements
            .iter()
            .map(|(ai, v)| format!("({ai}) {v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The encoded data with `\x1d` (GS) standing for FNC1: one leading, and one after
    /// every variable-length element that is not last, as GS1 General Specifications 5.4.
    pub(crate) fn data_with_fnc1(&self) -> String {
        let mut s = String::from("\x1d");
        for (i, (ai, v)) in self.elements.iter().enumerate() {
            s.push_str(ai);
            s.push_str(v);
            if i + 1 < self.elements.len() && predefined_length(ai).is_none() {
                s.push('\x1d');
            }
        }
        s
    }
}

/// GS1 character set 82 minus `>`: the ZPL `^BC` invocation character.
fn is_gs1_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!\"%&'()*+,-./:;<=?_".contains(&b)
}

/// Total length (AI + data) of element strings whose length is fixed by their first two
/// digits, so no FNC1 separator follows them (GS1 General Specifications, figure 5.10.1-2).
pub fn predefined_length(ai: &str) -> Option<usize> {
    Some(match ai.get(..2)? {
        "00" => 20,
        "01" | "02" | "03" => 16,
        "04" => 18,
        "11" | "12" | "13" | "14" | "15" | "16" | "17" | "18" | "19" => 8,
        "20" => 4,
        "31" | "32" | "33" | "34" | "35" | "36" => 10,
        "41" => 16,
        _ => return None,
    })
}

/// GS1 mod-10 check digit over `digits` (weights 3, 1, 3… from the right).
fn gs1_check_digit(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10
}

impl LabelSpec {
    /// Refuses a spec with a character no label font draws, naming the field.
    pub(crate) fn check_drawable(&self) -> Result<(), crate::LabelError> {
        use crate::render::text::{FROM_FIELDS, TO_FIELDS, check_address, check_drawable};
        check_drawable("carrier", &self.carrier)?;
        check_drawable("service_name", &self.service_name)?;
        check_drawable("service_code", &self.service_code)?;
        check_address(FROM_FIELDS, &self.from)?;
        check_address(TO_FIELDS, &self.to)?;
        check_drawable("reference", self.reference.as_deref().unwrap_or_default())?;
        check_drawable("contents", self.contents.as_deref().unwrap_or_default())?;
        check_drawable("remark", self.remark.as_deref().unwrap_or_default())
    }

    /// A Chinese domestic one-piece SF Express label (Wuhan → Xiangyang): the e-waybill
    /// tests' and benchmarks' input.
    #[doc(hidden)]
    pub fn example_cn() -> LabelSpec {
        let address =
            |name: &str, street: &str, province: &str, city: &str, district: &str, phone: &str| {
                Address {
                    name: name.into(),
                    company: None,
                    street: vec![street.into()],
                    city: city.into(),
                    district: Some(district.into()),
                    state: Some(province.into()),
                    postal_code: None,
                    country: "CN".parse().unwrap(),
                    phone: Some(phone.into()),
                    email: None,
                    residential: false,
                }
            };
        LabelSpec {
            carrier: "顺丰速运".into(),
            service_name: "顺丰标快".into(),
            service_code: "2".into(),
            tracking_number: "SF1234567890123".parse().unwrap(),
            from: address(
                "李四",
                "光谷大道77号金融港B座",
                "湖北省",
                "武汉市",
                "洪山区",
                "13912345678",
            ),
            to: address(
                "张三",
                "人民路15号幸福小区3栋2单元501室",
                "湖北省",
                "襄阳市",
                "樊城区",
                "13800138000",
            ),
            weight: Weight::new(rust_decimal::Decimal::new(12, 1), WeightUnit::Kg).unwrap(),
            reference: Some("DD20261123001".into()),
            ship_date: Date::from_calendar_date(2026, time::Month::November, 23).unwrap(),
            piece_number: 1,
            piece_count: 1,
            master_tracking_number: None,
            contents: Some("服装".into()),
            remark: Some("易碎，轻放".into()),
        }
    }

    /// A typical one-piece UPS Ground label: the unit tests' and the benchmarks' input.
    #[doc(hidden)]
    pub fn example() -> LabelSpec {
        let address = |name: &str, street: &str, city: &str, state: &str, postal: &str| Address {
            name: name.into(),
            company: None,
            street: vec![street.into()],
            city: city.into(),
            district: None,
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
            weight: Weight::new(rust_decimal::Decimal::new(25, 1), WeightUnit::Kg).unwrap(),
            reference: Some("PO-12345".into()),
            ship_date: Date::from_calendar_date(2026, time::Month::November, 23).unwrap(),
            piece_number: 1,
            piece_count: 1,
            master_tracking_number: None,
            contents: None,
            remark: None,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A typical one-piece UPS Ground label.
    pub(crate) fn sample() -> LabelSpec {
        LabelSpec::example()
    }
}

#[cfg(test)]
mod gs1_tests {
    use super::*;

    #[test]
    fn sscc_gets_the_gs1_check_digit() {
        // The SSCC example of the GS1 General Specifications (check digit 7).
        let b = Gs1Barcode::sscc(1, "0614141123456789").unwrap();
        assert_eq!(b.human_readable(), "(00) 106141411234567897");
        assert_eq!(b.data_with_fnc1(), "\x1d00106141411234567897");
    }

    #[test]
    fn variable_length_elements_are_followed_by_fnc1_unless_last() {
        let b = Gs1Barcode::new([("420", "94105"), ("00", "106141411234567897")]).unwrap();
        assert_eq!(b.data_with_fnc1(), "\x1d42094105\x1d00106141411234567897");
        let b = Gs1Barcode::new([("00", "106141411234567897"), ("420", "94105")]).unwrap();
        assert_eq!(b.data_with_fnc1(), "\x1d0010614141123456789742094105");
    }

    #[test]
    fn routing_text_is_tracking_country_and_a_clean_postal_code() {
        let mut spec = tests::sample();
        assert_eq!(spec.routing_text(), "SH1|1Z999AA10123456784|US|94105");
        spec.to.country = "GB".parse().unwrap();
        spec.to.postal_code = Some(" sw1a 1aa|x\n".into());
        assert_eq!(spec.routing_text(), "SH1|1Z999AA10123456784|GB|SW1A 1AAX");
        spec.to.country = "HK".parse().unwrap();
        spec.to.postal_code = None;
        assert_eq!(spec.routing_text(), "SH1|1Z999AA10123456784|HK|");
    }

    #[test]
    fn bad_element_strings_are_rejected() {
        assert!(
            Gs1Barcode::new([("00", "106141411234567890")]).is_err(),
            "check digit"
        );
        assert!(Gs1Barcode::new([("00", "1234")]).is_err(), "length");
        assert!(Gs1Barcode::new([("4x0", "1")]).is_err());
        assert!(Gs1Barcode::new([("420", "941>05")]).is_err());
        assert!(Gs1Barcode::new([("420", "^XZ")]).is_err());
        assert!(Gs1Barcode::new(std::iter::empty()).is_err());
        assert!(Gs1Barcode::sscc(10, "0614141123456789").is_err());
    }
}
