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
        .routes(routes!(test_account))
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
    /// The settings an account's `credentials` take, for a form: which are required, which
    /// are secret (a password input; they never come back out).
    credential_fields: &'static [CredentialField],
}

/// One setting of a carrier account's `credentials`.
#[derive(Serialize, ToSchema)]
pub struct CredentialField {
    /// Its key in `credentials`.
    pub name: &'static str,
    /// What the carrier calls it.
    pub label: &'static str,
    /// `text`, `number` (a whole number) or `bool`.
    pub kind: &'static str,
    pub required: bool,
    /// A secret: entered once, stored encrypted, never shown again.
    pub secret: bool,
    /// When it applies, or its default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<&'static str>,
}

const fn field(
    name: &'static str,
    label: &'static str,
    required: bool,
    secret: bool,
) -> CredentialField {
    CredentialField {
        name,
        label,
        kind: "text",
        required,
        secret,
        hint: None,
    }
}

const fn count(name: &'static str, label: &'static str, hint: &'static str) -> CredentialField {
    CredentialField {
        name,
        label,
        kind: "number",
        required: false,
        secret: false,
        hint: Some(hint),
    }
}

const fn hinted(f: CredentialField, hint: &'static str) -> CredentialField {
    CredentialField {
        hint: Some(hint),
        ..f
    }
}

/// The credential settings of each carrier, as its adapter's account config reads them
/// (`carriers/src/*/account.rs`; a test below holds the two together). Kept here rather than
/// in the registry: only the API describes them to people.
pub fn credential_fields(code: &str) -> &'static [CredentialField] {
    const RPS: CredentialField = count(
        "requests_per_second",
        "Requests per second",
        "default per carrier: see the API reference",
    );
    const BURST: CredentialField = count(
        "burst",
        "Burst",
        "requests at once above the sustained rate",
    );
    match code {
        "ups" => {
            const F: &[CredentialField] = &[
                field("client_id", "Client ID", true, false),
                field("client_secret", "Client secret", true, true),
                field("account_number", "Account (shipper) number", true, false),
                RPS,
            ];
            F
        }
        "fedex" => {
            const F: &[CredentialField] = &[
                field("api_key", "API key", true, true),
                field("secret_key", "Secret key", true, true),
                field("account_number", "Account number", true, false),
                hinted(
                    field("track_api_key", "Track API key", false, true),
                    "with the track secret key, or neither",
                ),
                field("track_secret_key", "Track secret key", false, true),
                hinted(
                    field("pickup_type", "Pickup type", false, false),
                    "e.g. DROPOFF_AT_FEDEX_LOCATION",
                ),
                RPS,
                BURST,
                count(
                    "requests_per_day",
                    "Requests per day",
                    "the daily tracking quota",
                ),
            ];
            F
        }
        "dhl_express" => {
            const F: &[CredentialField] = &[
                field("api_key", "API key", true, true),
                field("api_secret", "API secret", true, true),
                field("account_number", "Account number", true, false),
                CredentialField {
                    kind: "bool",
                    ..field("paperless_trade", "Paperless trade", false, false)
                },
                hinted(
                    field("tracking_api_key", "Unified Tracking API key", false, true),
                    "for tracking",
                ),
                hinted(
                    field("tracking_base_url", "Tracking base URL", false, false),
                    "e.g. https://api-eu.dhl.com/track",
                ),
                RPS,
                BURST,
            ];
            F
        }
        "usps" => {
            const F: &[CredentialField] = &[
                field("client_id", "Consumer key", true, false),
                field("client_secret", "Consumer secret", true, true),
                field("crid", "CRID", true, false),
                field("mid", "MID", true, false),
                field("manifest_mid", "Manifest MID", false, false),
                hinted(
                    field("account_type", "Account type", false, false),
                    "EPS (default) or PERMIT",
                ),
                hinted(
                    field("account_number", "EPS account number", true, false),
                    "the default account type, EPS",
                ),
                hinted(
                    field("permit_number", "Permit number", false, false),
                    "required for PERMIT",
                ),
                hinted(
                    field("permit_zip", "Permit ZIP", false, false),
                    "required for PERMIT",
                ),
                hinted(
                    field("price_type", "Price type", false, false),
                    "RETAIL, COMMERCIAL or CONTRACT",
                ),
                count("requests_per_hour", "Requests per hour", "default 56"),
                BURST,
            ];
            F
        }
        "sf_express" => {
            const F: &[CredentialField] = &[
                field("partner_id", "Partner ID (顾客编码)", true, false),
                field("checkword", "Check word (校验码)", true, true),
                field("monthly_card", "Monthly card (月结卡号)", true, false),
                field("template_code", "Cloud-print template", false, false),
                field("push_secret", "Push secret", false, true),
                RPS,
                BURST,
            ];
            F
        }
        "yunexpress" => {
            const F: &[CredentialField] = &[
                field("app_id", "App ID", true, false),
                field("app_secret", "App secret", true, true),
                field("source_key", "Source key", true, true),
                hinted(
                    field("origin", "Origin", false, false),
                    "price-trial billing location, e.g. YT-SZ",
                ),
                RPS,
                BURST,
            ];
            F
        }
        "kuaidi100" => {
            const F: &[CredentialField] = &[
                field("customer", "Customer", true, false),
                field("key", "Authorization key", true, true),
                field("push_secret", "Push secret (salt)", false, true),
                field("callback_url", "Callback URL", false, false),
                RPS,
                count("daily_quota", "Daily quota", "queries a day"),
            ];
            F
        }
        "sandbox" => {
            const F: &[CredentialField] = &[
                count("step_seconds", "Seconds between tracking steps", "optional"),
                RPS,
            ];
            F
        }
        "table_rate" => {
            const F: &[CredentialField] = &[hinted(
                field("rate_card", "Rate card", true, false),
                "the name of a rate card uploaded below",
            )];
            F
        }
        _ => &[],
    }
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
            credential_fields: credential_fields(e.code.as_str()),
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

#[derive(Serialize, ToSchema)]
pub struct AccountTestOut {
    /// Always true: a failed test answers the carrier's problem instead.
    ok: bool,
    carrier: String,
    /// The call made: `rate` (a sample parcel), `identify` or `track` (a sample number).
    call: &'static str,
}

/// Tests an account's credentials with the cheapest authenticated call its carrier offers (a
/// rate for a sample parcel; for a tracking-only carrier, a sample number), through the same
/// call layer (quota, retries) as every other call. 200 when the carrier answered; otherwise
/// the carrier's typed problem (`carrier-auth` for refused credentials). Changes nothing.
#[utoipa::path(post, path = "/v1/carrier-accounts/{id}/test", tag = "carriers", params(("id" = String, Path)),
    responses((status = 200, body = AccountTestOut), Auth, Missing,
        (status = 502, body = super::problem::Problem, content_type = "application/problem+json", description = "the carrier refused or failed the call")))]
async fn test_account(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
) -> Result<axum::Json<AccountTestOut>, Error> {
    let (carrier, call) = accounts::test(&app, &tenant, &id).await?;
    Ok(axum::Json(AccountTestOut {
        ok: true,
        carrier,
        call,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every carrier the hub offers is described, and an empty config fails on a field the
    /// description marks required (so the form asks for what the adapter needs).
    #[test]
    fn credential_fields_describe_every_carrier_and_its_required_settings() {
        let http = shiphub_carriers::http::CarrierHttp::new(
            reqwest::Client::new(),
            Some("https://example.com".parse().unwrap()),
        );
        for e in crate::cli::carrier_entries() {
            let fields = credential_fields(e.code.as_str());
            assert!(!fields.is_empty(), "{} has no credential fields", e.code);
            let Err(err) = (e.build)(serde_json::json!({}), http.clone()) else {
                assert!(
                    fields.iter().all(|f| !f.required),
                    "{} builds without settings",
                    e.code
                );
                continue;
            };
            let name = err.field.trim_start_matches('/');
            assert!(
                fields.iter().any(|f| f.name == name && f.required),
                "{}: the adapter requires `{name}` first, the form does not",
                e.code
            );
        }
    }
}
