use std::{fmt, str::FromStr};

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::InvalidValue;

/// An ISO 4217 currency code with its number of minor units.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

/// ISO 4217 active codes and their minor units (ISO 4217 list, "Minor unit" column).
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYU", 2),
    ("UZS", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

impl Currency {
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");
    /// Euro.
    pub const EUR: Currency = Currency(*b"EUR");
    /// Pound sterling.
    pub const GBP: Currency = Currency(*b"GBP");

    /// The three-letter code.
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).expect("currency codes are ASCII")
    }

    /// The three-letter code (same as [`Currency::code`]).
    pub fn as_str(&self) -> &str {
        self.code()
    }

    /// Digits after the decimal point in this currency's minor unit (JPY 0, USD 2, KWD 3).
    pub fn minor_units(&self) -> u32 {
        CURRENCIES
            .iter()
            .find(|(c, _)| c.as_bytes() == self.0)
            .map(|(_, m)| *m)
            .expect("constructed currencies are in the table")
    }
}

impl FromStr for Currency {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Binary search over the sorted table, without allocating (invoice audits parse one
        // per line).
        let t = s.trim().as_bytes();
        let upper: Option<[u8; 3]> = match t {
            [a, b, c] => Some([a, b, c].map(|x| x.to_ascii_uppercase())),
            _ => None,
        };
        let found = upper.and_then(|u| {
            CURRENCIES
                .binary_search_by(|(c, _)| c.as_bytes().cmp(&u[..]))
                .ok()
        });
        match found.map(|i| CURRENCIES[i]) {
            Some((c, _)) => Ok(Currency(c.as_bytes().try_into().expect("3 bytes"))),
            None => Err(InvalidValue::new(
                "",
                format!("`{s}` is not an ISO 4217 currency code"),
            )),
        }
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}
super::string_newtype!(Currency, "ISO 4217 currency code", "USD");

/// An exact amount in one currency. There is no `Add` across currencies: use [`Money::checked_add`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Money {
    /// Decimal amount, as a string in JSON (`"12.30"`).
    #[schema(value_type = String, example = "12.30", pattern = "^-?[0-9]{1,15}(\\.[0-9]{1,10})?$")]
    amount: Decimal,
    /// ISO 4217 code.
    currency: Currency,
}

/// Two amounts in different currencies were combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot combine {0} with {1}")]
pub struct CurrencyMismatch(pub Currency, pub Currency);

impl Money {
    /// An amount in `currency`.
    pub fn new(amount: Decimal, currency: Currency) -> Self {
        Self { amount, currency }
    }
    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self::new(Decimal::ZERO, currency)
    }
    /// The amount.
    pub fn amount(&self) -> Decimal {
        self.amount
    }
    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }
    /// The sum, or an error when the currencies differ.
    pub fn checked_add(self, rhs: Money) -> Result<Money, CurrencyMismatch> {
        if self.currency != rhs.currency {
            return Err(CurrencyMismatch(self.currency, rhs.currency));
        }
        Ok(Money::new(self.amount + rhs.amount, self.currency))
    }
    /// The difference, or an error when the currencies differ.
    pub fn checked_sub(self, rhs: Money) -> Result<Money, CurrencyMismatch> {
        self.checked_add(Money::new(-rhs.amount, rhs.currency))
    }
    /// Sum of `items`, all in `currency`.
    pub fn sum<'a>(
        currency: Currency,
        items: impl IntoIterator<Item = &'a Money>,
    ) -> Result<Money, CurrencyMismatch> {
        items
            .into_iter()
            .try_fold(Money::zero(currency), |acc, m| acc.checked_add(*m))
    }
    /// Multiplied by a plain factor (a quantity, a percentage as a fraction).
    pub fn times(self, factor: Decimal) -> Money {
        Money::new(self.amount * factor, self.currency)
    }
    /// Rounded half-away-from-zero to the currency's minor unit, as carriers bill.
    pub fn round(self) -> Money {
        let dp = self.currency.minor_units();
        Money::new(
            self.amount
                .round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero),
            self.currency,
        )
    }
    /// The amount in minor units (cents), rounding first. `None` when it does not fit an i64.
    pub fn to_minor_units(self) -> Option<i64> {
        let r = self.round();
        let scaled = r.amount * Decimal::from(10i64.pow(self.currency.minor_units()));
        i64::try_from(scaled.trunc()).ok()
    }
    /// An amount given in minor units.
    pub fn from_minor_units(minor: i64, currency: Currency) -> Money {
        Money::new(Decimal::new(minor, currency.minor_units()), currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.round().amount, self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn every_listed_currency_parses_and_nothing_else_does() {
        assert!(
            CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0),
            "the table must stay sorted: parsing binary-searches it"
        );
        for (code, _) in CURRENCIES {
            assert_eq!(code.parse::<Currency>().unwrap().code(), *code);
            assert_eq!(
                code.to_ascii_lowercase()
                    .parse::<Currency>()
                    .unwrap()
                    .code(),
                *code
            );
        }
        assert_eq!(" usd ".parse::<Currency>().unwrap(), Currency::USD);
        for bad in ["", "US", "USDD", "ZZZ", "AA", "U$D"] {
            assert!(bad.parse::<Currency>().is_err(), "{bad}");
        }
    }

    #[test]
    fn adding_different_currencies_is_an_error() {
        let usd = Money::new(dec!(1.10), Currency::USD);
        let eur = Money::new(dec!(2.00), Currency::EUR);
        assert_eq!(
            usd.checked_add(eur),
            Err(CurrencyMismatch(Currency::USD, Currency::EUR))
        );
        assert_eq!(usd.checked_add(usd).unwrap().amount(), dec!(2.20));
    }

    #[test]
    fn rounding_follows_the_currency_minor_unit() {
        let jpy: Currency = "jpy".parse().unwrap();
        assert_eq!(Money::new(dec!(1234.5), jpy).round().amount(), dec!(1235));
        let kwd: Currency = "KWD".parse().unwrap();
        assert_eq!(Money::new(dec!(1.2345), kwd).round().amount(), dec!(1.235));
        assert_eq!(
            Money::new(dec!(0.125), Currency::USD).round().amount(),
            dec!(0.13)
        );
        assert_eq!(
            Money::new(dec!(-0.125), Currency::USD).round().amount(),
            dec!(-0.13)
        );
    }

    #[test]
    fn cny_has_two_minor_units_fen() {
        // ISO 4217: CNY, yuan renminbi, minor unit 2 (fen).
        let cny: Currency = "cny".parse().unwrap();
        assert_eq!((cny.as_str(), cny.minor_units()), ("CNY", 2));
        let m = Money::new(dec!(23.455), cny).round();
        assert_eq!(m.amount(), dec!(23.46));
        assert_eq!(m.to_minor_units(), Some(2346));
        assert_eq!(Money::from_minor_units(2346, cny), m);
        let json: Money = serde_json::from_str(r#"{"amount":"308.00","currency":"CNY"}"#).unwrap();
        assert_eq!(json.checked_add(m).unwrap().amount(), dec!(331.46));
    }

    #[test]
    fn minor_units_round_trip() {
        let m = Money::new(dec!(12.30), Currency::USD);
        assert_eq!(m.to_minor_units(), Some(1230));
        assert_eq!(Money::from_minor_units(1230, Currency::USD), m);
    }

    #[test]
    fn unknown_currency_is_rejected_and_json_is_a_string_amount() {
        assert!("XYZ".parse::<Currency>().is_err());
        let m: Money = serde_json::from_str(r#"{"amount":"12.30","currency":"EUR"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":"12.30","currency":"EUR"}"#
        );
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"EURO"}"#).is_err());
    }
}
