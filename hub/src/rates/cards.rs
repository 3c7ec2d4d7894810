//! A tenant's rate cards for the table-rate carrier, kept by name in versions (one per
//! `valid_from`): a new version is validated alone and with the versions it joins, and errors
//! name the line, column and field (as a JSON pointer into the card).

use shiphub_rating::{CardError, RateCard, RateCards};
use time::OffsetDateTime;

use crate::error::{Error, FieldProblem};
use crate::ids::TenantId;
use crate::state::AppState;
use crate::store::{RateCardVersion, Store};

/// Stores `text` as a version of the card `name` (replacing the version with the same
/// `valid_from`); `true` when the version is new. Accounts pricing with the card use the new
/// text from their next call.
pub async fn put(app: &AppState, tenant: &TenantId, name: &str, text: &str) -> Result<bool, Error> {
    let card = RateCard::from_toml(text).map_err(|e| Error::Validation(vec![card_problem(&e)]))?;
    if card.name() != name {
        return Err(Error::field(
            "/name",
            format!(
                "the card is named `{}`; PUT it at /v1/rate-cards/{}",
                card.name(),
                card.name()
            ),
        ));
    }
    let valid_from = card.valid_from().to_string();
    // The versions must still make one consistent card with this one in place.
    let mut versions = app.store.rate_card_versions(tenant, name).await?;
    versions.retain(|v| v.valid_from != valid_from);
    let mut texts: Vec<&str> = versions.iter().map(|v| v.body.as_str()).collect();
    texts.push(text);
    RateCards::from_toml(&texts).map_err(|e| Error::Validation(vec![card_problem(&e.error)]))?;
    let created = app
        .store
        .put_rate_card(tenant, name, &valid_from, text, OffsetDateTime::now_utc())
        .await?;
    // Accounts pricing with this card rebuild from the new text on their next use.
    app.carriers
        .forget_carrier(shiphub_rating::table_rate::ENTRY.code.as_str());
    Ok(created)
}

/// A stored version with its card read.
pub struct Version {
    pub stored: RateCardVersion,
    pub card: RateCard,
}

/// Every version of the card `name`, oldest first (none when there is no such card).
pub async fn versions(store: &Store, tenant: &TenantId, name: &str) -> Result<Vec<Version>, Error> {
    read(store.rate_card_versions(tenant, name).await?)
}

/// Every version of every card of the tenant, by name, each card's oldest first.
pub async fn all(store: &Store, tenant: &TenantId) -> Result<Vec<Version>, Error> {
    read(store.list_rate_cards(tenant).await?)
}

fn read(stored: Vec<RateCardVersion>) -> Result<Vec<Version>, Error> {
    stored
        .into_iter()
        .map(|v| {
            let card = RateCard::from_toml(&v.body)
                .map_err(|e| Error::Internal(format!("stored rate card {}: {e}", v.name)))?;
            Ok(Version { stored: v, card })
        })
        .collect()
}

/// A TOML path (`service[0].breaks[3]`) as a JSON pointer (`/service/0/breaks/3`).
fn pointer(field: &str) -> String {
    if field.is_empty() {
        return "/".into();
    }
    let mut out = String::new();
    for part in field.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        out.push('/');
        out.push_str(&key.replace('~', "~0").replace('/', "~1"));
        for idx in rest.split('[') {
            let idx = idx.trim_end_matches(']');
            if !idx.is_empty() {
                out.push('/');
                out.push_str(idx);
            }
        }
    }
    out
}

fn card_problem(e: &CardError) -> FieldProblem {
    FieldProblem {
        pointer: pointer(&e.field),
        detail: format!("line {}, column {}: {}", e.line, e.column, e.message),
        code: None,
    }
}

#[cfg(test)]
mod tests {
    use super::pointer;

    #[test]
    fn toml_paths_become_json_pointers() {
        assert_eq!(pointer("service[0].breaks[3][1]"), "/service/0/breaks/3/1");
        assert_eq!(pointer("currency"), "/currency");
        assert_eq!(pointer(""), "/");
    }
}
