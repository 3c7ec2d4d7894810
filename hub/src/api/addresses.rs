//! `POST /v1/addresses/verify`: a carrier's verdict on an address (`crate::addresses`).
//! Changes nothing, so it takes no `Idempotency-Key`: asking twice is answered from the
//! tenant's cache.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use shiphub_carriers::model::{Address, AddressCheck};
use time::OffsetDateTime;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{JsonBody, Tenant};
use super::problem::Problem;
use super::responses::*;
use crate::addresses;
use crate::error::Error;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(verify_address))
}

/// An address to check, and optionally the account whose carrier checks it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyIn {
    /// The address.
    address: Address,
    /// The carrier account to validate with. Default: the tenant's oldest carrier account
    /// whose carrier declares `address_validation` (see `GET /v1/carriers`).
    #[serde(default)]
    carrier_account: Option<String>,
}

/// The carrier's verdict and where it came from.
#[derive(Serialize, ToSchema)]
pub struct VerifyOut {
    /// The account that validated.
    carrier_account: String,
    carrier: String,
    #[serde(flatten)]
    check: AddressCheck,
    /// True when answered from the tenant's cache of earlier verdicts (`--address-cache-ttl`)
    /// rather than by the carrier just now.
    cached: bool,
    /// When the carrier gave this verdict.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    checked_at: OffsetDateTime,
}

impl From<addresses::Verified> for VerifyOut {
    fn from(v: addresses::Verified) -> Self {
        VerifyOut {
            carrier_account: v.account.to_string(),
            carrier: v.carrier,
            check: v.check,
            cached: v.cached,
            checked_at: v.checked_at,
        }
    }
}

/// Checks an address with a carrier: its standardized form, residential or commercial,
/// candidates when ambiguous, a verdict (`deliverable`, `deliverable_with_corrections`,
/// `undeliverable`, `unknown`) and the carrier's reason codes. Verdicts are kept per tenant
/// for `--address-cache-ttl` seconds (default one day), keyed by the validating account and
/// the normalized address (case and spacing aside; name, phone and e-mail not part of it).
#[utoipa::path(post, path = "/v1/addresses/verify", tag = "addresses", request_body = VerifyIn,
    responses((status = 200, body = VerifyOut, description = "the carrier's verdict (an undeliverable address is a verdict, not an error)"),
        Auth, BadBody, CarrierFailure,
        (status = 422, body = Problem, content_type = "application/problem+json", description = "invalid input, no account that validates addresses, or the carrier rejected the request")))]
async fn verify_address(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    JsonBody { value: body, .. }: JsonBody<VerifyIn>,
) -> Result<axum::Json<VerifyOut>, Error> {
    let verified = addresses::verify(
        &app,
        &tenant,
        &body.address,
        body.carrier_account.as_deref(),
        "/carrier_account",
    )
    .await?;
    Ok(axum::Json(verified.into()))
}
