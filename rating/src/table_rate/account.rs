//! The table-rate account config: `{"rate_card": <card>}`, where `<card>` is the card's TOML
//! text, or an array of texts for several versions (the one valid on the ship date prices).
//!
//! A tenant's stored account names its card (`{"carrier": "table_rate", "rate_card":
//! "acme-2026"}`); cards live in the hub's store, which this crate cannot read. So the hub
//! resolves the name before building, with [`resolve_card_names`], and `ENTRY.build` only
//! ever sees card text. A name that reaches `build` unresolved is refused by field.

use serde_json::Value;
use shiphub_carriers::AccountError;

use crate::book::RateCards;

fn err(field: impl Into<String>, message: impl Into<String>) -> AccountError {
    AccountError {
        field: field.into(),
        message: message.into(),
    }
}

/// A card name rather than card text: one line, no `=` (every card has `name = ...`).
fn is_name(s: &str) -> bool {
    !s.contains('\n') && !s.contains('=')
}

/// Parses the config and compiles its cards.
pub(crate) fn cards(config: &Value) -> Result<RateCards, AccountError> {
    let Value::Object(fields) = config else {
        return Err(err(
            "",
            "the table_rate account config must be a JSON object with `rate_card`",
        ));
    };
    if let Some(other) = fields.keys().find(|k| k.as_str() != "rate_card") {
        return Err(err(
            format!("/{other}"),
            "unknown field; the table_rate account accepts only `rate_card`",
        ));
    }
    let texts: Vec<(String, &str)> = match fields.get("rate_card") {
        Some(Value::String(s)) => vec![("/rate_card".into(), s.as_str())],
        Some(Value::Array(items)) if !items.is_empty() => (items.iter().enumerate())
            .map(|(i, v)| {
                v.as_str()
                    .map(|s| (format!("/rate_card/{i}"), s))
                    .ok_or_else(|| {
                        err(format!("/rate_card/{i}"), "must be a rate card's TOML text")
                    })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(err(
                "/rate_card",
                "must be a rate card's TOML text, or an array of them",
            ));
        }
        None => return Err(err("/rate_card", "is required")),
    };
    for (field, t) in &texts {
        if is_name(t) {
            return Err(err(
                field.clone(),
                format!(
                    "`{t}` is a card name; the hub resolves names to card text before building (rating::table_rate::resolve_card_names)"
                ),
            ));
        }
    }
    let only: Vec<&str> = texts.iter().map(|(_, t)| *t).collect();
    RateCards::from_toml(&only).map_err(|e| err(texts[e.index].0.clone(), e.error.to_string()))
}

/// Replaces card names in an account config by the cards' texts, as `resolve` finds them
/// (every stored version of the named card). Text already in the config is kept. The hub
/// calls this before `ENTRY.build`; an unknown name is refused on its field.
pub fn resolve_card_names(
    config: &Value,
    resolve: impl Fn(&str) -> Option<Vec<String>>,
) -> Result<Value, AccountError> {
    let mut config = config.clone();
    let Some(card) = config.get_mut("rate_card") else {
        return Ok(config);
    };
    let lookup = |field: String, name: &str| {
        resolve(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| err(field, format!("no rate card named `{name}`")))
    };
    match card {
        Value::String(s) if is_name(s) => {
            let texts = lookup("/rate_card".into(), s)?;
            *card = Value::Array(texts.into_iter().map(Value::String).collect());
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for (i, v) in items.iter().enumerate() {
                match v.as_str() {
                    Some(s) if is_name(s) => out.extend(
                        lookup(format!("/rate_card/{i}"), s)?
                            .into_iter()
                            .map(Value::String),
                    ),
                    _ => out.push(v.clone()),
                }
            }
            *items = out;
        }
        _ => {}
    }
    Ok(config)
}
