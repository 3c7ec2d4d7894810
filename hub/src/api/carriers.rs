//! `GET /v1/carriers` and `/v1/carrier-accounts`: what carriers exist, and the tenant's
//! accounts with them (`crate::accounts` checks and keeps them). Credentials go in encrypted
//! and never come back out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use shiphub_carriers::Capabilities;
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::List;
use super::extract::{IdempotencyKey, Path, Tenant};
use super::idempotency::{self, Answer, OwnedKey};
use super::responses::*;
use crate::accounts::{self, NewAccount};
use crate::error::Error;
use crate::ids::{AccountId, TenantId};
use crate::state::AppState;
use crate::store::AccountRecord;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_carriers))
        .routes(routes!(create_account, list_accounts))
        .routes(routes!(get_account, delete_account))
}

#[derive(Serialize, ToSchema)]
pub struct CarrierOut {
    code: String,
    name: String,
    /// Whether accounts need a `base_url` (the carrier's production, sandbox or simulator host).
    needs_base_url: bool,
    /// The carrier's official API hosts: an account's `base_url` may name one of these, or a
    /// host the operator allows with `--carrier-allow`; any other is refused.
    official_hosts: Vec<String>,
    capabilities: Capabilities,
}

/// The carriers this hub can talk to and what each can do.
#[utoipa::path(get, path = "/v1/carriers", tag = "carriers",
    responses((status = 200, body = inline(List<CarrierOut>)), Auth))]
async fn list_carriers(State(app): State<AppState>, _t: Tenant) -> axum::Json<List<CarrierOut>> {
    let data = app
        .carriers
        .entries
        .iter()
        .map(|e| CarrierOut {
            code: e.code.to_string(),
            name: e.name.to_string(),
            needs_base_url: e.needs_base_url,
            official_hosts: e.hosts.iter().map(|h| h.to_string()).collect(),
            capabilities: e.capabilities.clone(),
        })
        .collect();
    axum::Json(List {
        data,
        next_cursor: None,
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountIn {
    /// Carrier code from `GET /v1/carriers`.
    carrier: String,
    /// A name for humans.
    name: String,
    /// Carrier host (required for real carriers).
    #[serde(default)]
    #[schema(value_type = Option<String>, example = "https://wwwcie.ups.com")]
    base_url: Option<url::Url>,
    #[serde(default)]
    #[schema(schema_with = credentials_schema)]
    credentials: Option<serde_json::Value>,
    /// `table_rate` accounts: the name of a rate card (`PUT /v1/rate-cards/{name}`), or a
    /// list of names; shorthand for `credentials.rate_card`.
    #[serde(default)]
    rate_card: Option<RateCardNames>,
}

/// `credentials`: carrier-specific, so open; the quota settings every carrier reads the same
/// way are documented (issue 19) and bounded through `patternProperties`, which leaves the
/// object open (the hardened schema closes every object that lists `properties`).
fn credentials_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let mut o = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(CREDENTIALS_DOC))
        .build();
    let count = |what: &str| serde_json::json!({"type": "integer", "minimum": 1, "maximum": u32::MAX, "description": what});
    o.extensions.get_or_insert_with(Default::default).insert(
        "patternProperties".into(),
        serde_json::json!({
            "^requests_per_second$": count("Sustained requests a second the hub sends this account's carrier (kept 2 % inside). Default per carrier above; no ceiling of the hub's."),
            "^requests_per_hour$": count("USPS: sustained requests an hour (default 56)."),
            "^burst$": count("Requests at once above the sustained rate, where the carrier takes it (FedEx, DHL Express, USPS, SF Express, YunExpress)."),
        }),
    );
    o
}

const CREDENTIALS_DOC: &str = "Carrier-specific credentials and settings; stored encrypted.

**Request quota** (optional, every carrier): `requests_per_second` (USPS: `requests_per_hour`) and, \
where the carrier takes one, `burst`: whole numbers from 1, with no ceiling of the hub's below what \
the carrier allows the account. The hub paces each account 2 % inside its quota. A rate request \
whose account has no slot before `deadline_ms` lists it in `errors` as `throttled` with \
`retry_after` (the carrier is not asked); a purchase waits at most 2 s for a slot, else answers 503 \
`account-throttled` with `Retry-After`. Tracking polls and batch purchases wait their turn.

Defaults and why:
- `ups`: 10/s. UPS publishes no quota (its APIs answer 429 \"Rate Limit Exceeded\"); raise it to what UPS grants the account.
- `fedex`: 140/s, burst 1,400: FedEx's published 1,400 transactions per 10 s per project.
- `dhl_express`: 5/s, burst 10. The MyDHL API states no quota: a conservative start.
- `usps`: 56/hour, burst 4. USPS gives new apps about 60 an hour; 56 with a burst of 4 never sends more than 60 in any hour.
- `sf_express`: 30/s, burst 30: SF's platform limit per API (`A1005` flow controlled above it); set lower, not higher.
- `yunexpress`: 5/s, burst 10. No published quota: a conservative start.
- `kuaidi100`: 5/s. No published per-second limit (metered by volume: `daily_quota`).
- `sandbox`: unlimited unless set (burst 1), to try the quota handling offline.";

// `rate_card`: one card name, or a list of names (kept in the credentials as sent). A plain
// comment: a doc comment would become a description the contract does not have.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(untagged)]
pub enum RateCardNames {
    One(String),
    Many(Vec<String>),
}

#[derive(Serialize, ToSchema)]
pub struct AccountOut {
    id: String,
    carrier: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    base_url: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    created_at: OffsetDateTime,
}

impl From<&AccountRecord> for AccountOut {
    fn from(a: &AccountRecord) -> Self {
        AccountOut {
            id: a.id.to_string(),
            carrier: a.carrier.clone(),
            name: a.name.clone(),
            base_url: a.base_url.clone(),
            created_at: a.created_at,
        }
    }
}

/// Adds a carrier account. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/carrier-accounts", tag = "carriers", request_body = AccountIn,
    params(IdempotencyKey),
    responses((status = 201, body = AccountOut), Auth, Idempotent, BadBody))]
async fn create_account(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    req: idempotency::Idempotent<AccountIn>,
) -> Response {
    req.run(app, tenant, add_account).await
}

async fn add_account(
    app: AppState,
    tenant: TenantId,
    input: AccountIn,
    owned: OwnedKey,
) -> Result<Answer, Error> {
    let new = NewAccount {
        carrier: input.carrier,
        name: input.name,
        base_url: input.base_url,
        credentials: input.credentials,
        rate_card: input
            .rate_card
            .map(|card| serde_json::to_value(card).expect("names serialize")),
    };
    let record = accounts::prepare(&app, &tenant, new).await?;
    let answer = Answer::json(StatusCode::CREATED, &AccountOut::from(&record));
    accounts::add(&app, &tenant, &record, answer.completion(&owned).as_ref()).await?;
    Ok(answer)
}

/// The tenant's carrier accounts.
#[utoipa::path(get, path = "/v1/carrier-accounts", tag = "carriers", responses((status = 200, body = inline(List<AccountOut>)), Auth))]
async fn list_accounts(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
) -> Result<axum::Json<List<AccountOut>>, Error> {
    let data = app
        .store
        .list_accounts(&tenant)
        .await?
        .iter()
        .map(AccountOut::from)
        .collect();
    Ok(axum::Json(List {
        data,
        next_cursor: None,
    }))
}

/// One carrier account.
#[utoipa::path(get, path = "/v1/carrier-accounts/{id}", tag = "carriers", params(("id" = String, Path)),
    responses((status = 200, body = AccountOut), Auth, Missing))]
async fn get_account(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<AccountOut>, Error> {
    let id = AccountId::parse(&id).ok_or(Error::NotFound("carrier account"))?;
    let a = app
        .store
        .get_account(&tenant, &id)
        .await?
        .ok_or(Error::NotFound("carrier account"))?;
    Ok(axum::Json(AccountOut::from(&a)))
}

/// Removes a carrier account; its shipments stay readable.
#[utoipa::path(delete, path = "/v1/carrier-accounts/{id}", tag = "carriers", params(("id" = String, Path)),
    responses((status = 204, description = "deleted"), Auth, Missing))]
async fn delete_account(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<StatusCode, Error> {
    accounts::remove(&app, &tenant, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
