//! The `fedex` carrier: FedEx's REST APIs (OAuth, Rates and Transit Times, Ship, Cancel,
//! Track, Address Validation, Pickup, Special Service Options) as published in
//! `../shared/carriers/fedex/openapi/`. This file is the glue and the only one that touches
//! HTTP for API calls: it takes a request from `rate`/`ship`/`void`/`track`/`address`/
//! `pickup`/`options` (pure `build`/`parse` pairs), attaches a bearer token from `auth`, sends
//! it once, and hands the answer to `error` or back to `parse`.
//!
//! Manifest stays `Unsupported`: FedEx Ground's end-of-day close is not among the published
//! APIs in `../shared/carriers/fedex/openapi/` (FedEx REST closes Ground days itself).
//!
//! No retries, no sleeps, no caching of answers: the hub's call layer does all of that. The
//! one exception, by design, is the OAuth token (cached in `crate::oauth`) and the single
//! repeat after a 401: FedEx says "Access token expired" with a 401, so the token is dropped,
//! a new one fetched and the call repeated exactly once; a second 401 is `Auth`.
//!
//! Account config: see `account.rs`. The base URL (`https://apis.fedex.com`,
//! `https://apis-sandbox.fedex.com`, or a simulator) comes from the account's `base_url`.

mod account;
mod address;
mod auth;
mod close;
mod codes;
mod error;
mod number;
mod options;
mod pickup;
mod rate;
mod ship;
#[cfg(test)]
pub(crate) mod tests;
mod track;
mod void;
mod wire;

use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

pub use account::Account;
#[doc(hidden)]
pub use rate::bench_cycle as bench_rate_cycle;

use crate::carrier::WeightRange;
use crate::carrier::{Capabilities, Capability, Carrier, CarrierCode, CarrierLimits};
use crate::error::CarrierError;
use crate::http::{self, CarrierHttp, endpoint};
use crate::model::WeightUnit;
use crate::model::{
    Address, AddressCheck, LabelFormat, Manifest, ManifestRequest, PickupConfirmation, PickupRef,
    PickupRequest, Quote, RateRequest, ShipRequest, TrackQuery, TrackingNumber, TrackingResult,
    Waybill, WaybillRef,
};
use crate::registry::{AccountError, CarrierEntry};
use rust_decimal::Decimal;

use account::Credentials;
use error::{DIALECT, Op};

const CODE: CarrierCode = CarrierCode::from_static("fedex");

static CAPS: Capabilities = Capabilities {
    supports: &[
        Capability::Rate,
        Capability::Ship,
        Capability::Void,
        Capability::Track,
        Capability::AddressValidation,
        Capability::Return,
        Capability::Pickup,
        Capability::Manifest,
    ],
    track_batch_max: track::BATCH_MAX,
    label_formats: &[LabelFormat::Pdf, LabelFormat::Zpl, LabelFormat::Png],
    services: &codes::SERVICES,
    // The FedEx spec leaves package weight open ("Weight Value. Example: 68.25", ship-api.json
    // `Weight`, limits by its Service Guide): 150 lb per package is FedEx's published limit for
    // Express and Ground parcels (heavier goes as freight, which this adapter does not sell);
    // 0.1 lb, the smallest weight its rate tables bill, is the lightest.
    parcel_weight: WeightRange::new(
        Decimal::from_parts(1, 0, 0, false, 1),
        Decimal::from_parts(150, 0, 0, false, 0),
        WeightUnit::Lb,
    ),
    options: options::OFFERED,
};

/// The registry entry.
pub static ENTRY: CarrierEntry = CarrierEntry {
    code: CODE,
    name: "FedEx",
    capabilities: &CAPS,
    needs_base_url: true,
    hosts: &["apis.fedex.com", "apis-sandbox.fedex.com"],
    url_settings: &[],
    build,
    numbers: number::NUMBERS,
    push: None,
};

fn build(config: serde_json::Value, http: CarrierHttp) -> Result<Box<dyn Carrier>, AccountError> {
    let account = Account::from_json(&config)?;
    let base = http::require_base_url(
        &http,
        "a FedEx account needs an http(s) base URL: https://apis.fedex.com, \
         https://apis-sandbox.fedex.com or a simulator",
    )?;
    Ok(Box::new(FedEx {
        account,
        http,
        base,
    }))
}

/// The FedEx adapter for one account.
pub struct FedEx {
    account: Account,
    http: CarrierHttp,
    base: Url,
}

/// A 2xx body as `T`, or the error it carries ("200 with errors": an `errors` list and no
/// `output`).
fn decode<T: DeserializeOwned>(
    op: Op,
    status: u16,
    retry_after: Option<Duration>,
    body: &[u8],
) -> Result<T, CarrierError> {
    if !(200..300).contains(&status) {
        return Err(error::classify(op, status, retry_after, body));
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| error::protocol(status, body, format!("not JSON: {e}")))?;
    if value.get("output").is_none_or(serde_json::Value::is_null) {
        let errors = serde_json::from_value::<wire::ErrorResponse>(value.clone())
            .map(|e| e.errors)
            .unwrap_or_default();
        if !errors.is_empty() {
            return Err(error::from_errors(op, status, body, &errors));
        }
    }
    serde_json::from_value(value).map_err(|e| error::protocol(status, body, e.to_string()))
}

impl FedEx {
    /// Sends `body` once with a bearer token; on 401 forgets the token, fetches a new one and
    /// sends once more. The answer goes through `decode` to `parse`.
    async fn call<B: Serialize + Sync, T: DeserializeOwned, R>(
        &self,
        op: Op,
        (method, path): (Method, &str),
        body: &B,
        creds: &Credentials,
        parse: impl FnOnce(T) -> Result<R, CarrierError>,
    ) -> Result<R, CarrierError> {
        let url = endpoint(&self.base, path);
        let mut refreshed = false;
        loop {
            let token = auth::bearer(&self.http, &self.base, creds).await?;
            let request = self
                .http
                .client
                .request(method.clone(), url.clone())
                .bearer_auth(&token)
                .header(reqwest::header::ACCEPT, "application/json")
                .header("X-locale", "en_US")
                .json(body);
            let buys = matches!(op, Op::Ship | Op::Pickup | Op::Close);
            let a = self.http.send(request, CODE, buys).await?;
            if a.status == 401 && !refreshed {
                auth::forget(&self.base, creds);
                refreshed = true;
                continue;
            }
            return DIALECT.parse(&a, decode(op, a.status, a.retry_after, &a.body), parse);
        }
    }
}

#[async_trait]
impl Carrier for FedEx {
    fn entry(&self) -> &'static CarrierEntry {
        &ENTRY
    }

    fn daily_quota(&self) -> Option<u32> {
        self.account.requests_per_day
    }

    fn limits(&self) -> CarrierLimits {
        CarrierLimits {
            requests_per_second: self.account.requests_per_second,
            burst: self.account.burst,
            timeout: self.http.timeout,
        }
    }

    async fn rate(&self, req: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        let body = rate::build(req, &self.account)?;
        let to = (Method::POST, "rate/v1/rates/quotes");
        let parse = |resp| rate::parse(resp, req);
        self.call(Op::Rate, to, &body, &self.account.main, parse)
            .await
    }

    async fn ship(&self, req: &ShipRequest) -> Result<Waybill, CarrierError> {
        let body = ship::build(req, &self.account)?;
        // Options and returns are offered per service and lane: FedEx's Special Service
        // Options answer for this one before anything is bought.
        if options::needs_check(req) {
            let ask = options::availability_request(req, &self.account);
            let to = (Method::POST, "availability/v1/specialserviceoptions");
            let check = |resp| options::check_available(resp, req);
            self.call(Op::Availability, to, &ask, &self.account.main, check)
                .await?;
        }
        let to = (Method::POST, "ship/v1/shipments");
        let parse = |resp| ship::parse(resp, req);
        self.call(Op::Ship, to, &body, &self.account.main, parse)
            .await
    }

    async fn verify_address(&self, address: &Address) -> Result<AddressCheck, CarrierError> {
        let body = address::build(address)?;
        let to = (Method::POST, "address/v1/addresses/resolve");
        let parse = |resp| address::parse(resp, address);
        match self
            .call(Op::Address, to, &body, &self.account.main, parse)
            .await
        {
            Err(CarrierError::Rejected { errors, .. })
                if errors
                    .iter()
                    .any(|e| e.carrier_code.as_deref() == Some(address::NOT_FOUND)) =>
            {
                let e = errors
                    .into_iter()
                    .find(|e| e.carrier_code.as_deref() == Some(address::NOT_FOUND))
                    .expect("found above");
                Ok(address::not_found(e.message))
            }
            other => other,
        }
    }

    async fn schedule_pickup(
        &self,
        req: &PickupRequest,
    ) -> Result<PickupConfirmation, CarrierError> {
        let body = pickup::build(req, &self.account)?;
        let to = (Method::POST, "pickup/v1/pickups");
        let carrier = body.carrier_code;
        let parse = |resp| pickup::parse(resp, carrier);
        self.call(Op::Pickup, to, &body, &self.account.main, parse)
            .await
    }

    async fn cancel_pickup(&self, booked: &PickupRef) -> Result<(), CarrierError> {
        let body = pickup::build_cancel(booked, &self.account)?;
        let to = (Method::PUT, "pickup/v1/pickups/cancel");
        self.call(
            Op::CancelPickup,
            to,
            &body,
            &self.account.main,
            pickup::parse_cancel,
        )
        .await
    }

    async fn manifest(&self, req: &ManifestRequest) -> Result<Manifest, CarrierError> {
        let body = close::build(req, &self.account)?;
        let to = (Method::PUT, "ship/v1/endofday/");
        self.call(Op::Close, to, &body, &self.account.main, close::parse)
            .await
    }

    async fn void(&self, waybill: &WaybillRef) -> Result<(), CarrierError> {
        let body = void::build(waybill, &self.account);
        let to = (Method::PUT, "ship/v1/shipments/cancel");
        self.call(Op::Void, to, &body, &self.account.main, void::parse)
            .await
    }

    async fn track(&self, numbers: &[TrackingNumber]) -> Result<Vec<TrackingResult>, CarrierError> {
        let parcels: Vec<TrackQuery> = numbers.iter().cloned().map(TrackQuery::from).collect();
        self.track_parcels(&parcels).await
    }

    async fn track_parcels(
        &self,
        numbers: &[TrackQuery],
    ) -> Result<Vec<TrackingResult>, CarrierError> {
        let body = track::build(numbers)?;
        let to = (Method::POST, "track/v1/trackingnumbers");
        let parse = |resp| track::parse(resp, numbers);
        self.call(
            Op::Track,
            to,
            &body,
            self.account.track_credentials(),
            parse,
        )
        .await
    }
}
