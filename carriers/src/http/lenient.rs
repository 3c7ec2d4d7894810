//! Lenient readers for carrier responses (`#[serde(deserialize_with = "…")]`): carriers write
//! numbers as strings and strings as numbers, and a field we cannot read reads as absent
//! rather than failing the whole answer; whether absence matters is the parser's call. `Num`
//! is the one writer: a decimal where a schema says `number`.

use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

fn lenient<'de, D: Deserializer<'de>, T>(
    d: D,
    f: impl FnOnce(Value) -> Option<T>,
) -> Result<Option<T>, D::Error> {
    Ok(f(Value::deserialize(d)?))
}

/// A JSON number or numeric string as an exact decimal, read from the number's shortest text
/// (`954.17` is 954.17, not its binary neighbour); anything else reads as absent.
pub fn decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    lenient(d, |v| match v {
        Value::Number(n) => {
            let s = n.to_string();
            Decimal::from_str(&s)
                .or_else(|_| Decimal::from_scientific(&s))
                .ok()
        }
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    })
}

/// A string, or a number written as one (some samples send ids as numbers); anything else
/// reads as absent.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    lenient(d, |v| match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// As [`text`], with a blank string also absent.
pub fn nonblank_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    lenient(d, |v| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A whole number, or one written as a string.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    lenient(d, |v| match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A boolean, or `"true"`/`"false"` in any case.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    lenient(d, |v| match v {
        Value::Bool(b) => Some(b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    })
}

/// A list whose elements that do not fit `T` are dropped; not a list reads as empty.
pub fn list<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        _ => Vec::new(),
    })
}

/// An object that fits `T`, or absent.
pub fn object<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    lenient(d, |v| serde_json::from_value(v).ok())
}

/// A decimal sent where a carrier's schema says `number`: whole values as JSON integers,
/// others as the shortest double that prints back to the same decimal (every amount and
/// weight we send has at most a few decimals, well inside a double's 15 significant digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Num(pub Decimal);

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0.normalize();
        if d.fract().is_zero()
            && let Some(i) = d.to_i64()
        {
            return s.serialize_i64(i);
        }
        match d.to_f64() {
            Some(f) => s.serialize_f64(f),
            None => Err(serde::ser::Error::custom(format!(
                "{d} does not fit a double"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Row {
        #[serde(default, deserialize_with = "decimal")]
        amount: Option<Decimal>,
        #[serde(default, deserialize_with = "text")]
        id: Option<String>,
        #[serde(default, deserialize_with = "nonblank_text")]
        note: Option<String>,
        #[serde(default, deserialize_with = "flag")]
        done: Option<bool>,
        #[serde(default, deserialize_with = "list")]
        items: Vec<u32>,
    }

    #[test]
    fn numbers_strings_and_garbage() {
        let r: Row = serde_json::from_str(
            r#"{"amount": 954.17, "id": 42, "note": " ", "done": "TRUE", "items": [1, "x", 3]}"#,
        )
        .unwrap();
        assert_eq!(r.amount, Some(Decimal::new(95417, 2)));
        assert_eq!(r.id.as_deref(), Some("42"));
        assert_eq!(r.note, None);
        assert_eq!(r.done, Some(true));
        assert_eq!(r.items, vec![1, 3]);
        let r: Row = serde_json::from_str(r#"{"amount": "n/a", "items": {}}"#).unwrap();
        assert_eq!(r.amount, None);
        assert!(r.items.is_empty());
    }
}
