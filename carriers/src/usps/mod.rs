//! The `usps` carrier: the USPS v3 REST APIs as published in `../shared/carriers/usps/openapi/`
//! (Shipping Options for prices, Payments, Labels, International Labels, Tracking) plus OAuth
//! as in `api-examples/README.md`. This file is the glue and the only one that touches HTTP:
//! it takes a request from `rate`/`ship`/`void`/`track` (pure `build`/`parse`), attaches the
//! bearer token (and, for labels and cancels, the payment authorization token) from `auth`,
//! sends it once and hands the answer to `error` or back to `parse`.
//!
//! No retries, no sleeps: the hub's call layer. The exceptions, by design, are the two
//! tokens (cached in `crate::oauth`) and one repeat after a 401 with fresh tokens.
//!
//! Quota: USPS grants new apps about 60 requests an hour. `quota()` declares it (56 an hour
//! with a burst of 4, see `account.rs`) and is what the hub's governor throttles by
//! (`hub::call_layer` reads `quota()` for the limiter and `limits()` only for the timeout);
//! `limits()` keeps its per-second shape for callers that read it and says 1/s, the least it
//! can express.

mod account;
mod auth;
mod codes;
mod error;
pub(crate) mod impb;
mod rate;
mod ship;
#[cfg(test)]
pub(crate) mod tests;
mod track;
mod void;
mod wire;

use async_trait::async_trait;
use reqwest::Method;
use serde::Serialize;
use url::Url;

pub use account::Account;
#[doc(hidden)]
pub use rate::bench_cycle as bench_rate_cycle;

use crate::carrier::WeightRange;
use crate::carrier::{
    Capabilities, Capability, Carrier, CarrierCode, CarrierLimits, RequestQuota, VoidOutcome,
};
use crate::error::CarrierError;
use crate::http::{self, Answer, CarrierHttp, endpoint};
use crate::model::WeightUnit;
use crate::model::{
    LabelFormat, Quote, RateRequest, ShipRequest, TrackingNumber, TrackingResult, Waybill,
    WaybillRef,
};
use crate::registry::{AccountError, CarrierEntry};
use rust_decimal::Decimal;

use error::{DIALECT, Op};

const CODE: CarrierCode = CarrierCode::from_static("usps");

static CAPS: Capabilities = Capabilities {
    supports: Capability::PARCEL,
    track_batch_max: track::BATCH_MAX,
    label_formats: &[LabelFormat::Pdf, LabelFormat::Zpl, LabelFormat::Png],
    services: &codes::SERVICES,
    // "Items must weigh 70 pounds (1120 ounces) or less" (domestic-labels.yaml and
    // international-labels.yaml, package `weight`); the floor depends on the mail class (error
    // 160098, "Weight should be greater than <weightFloor> LB", API-Error-Consolidated-List.csv):
    // 0.1 oz is the lightest any class takes.
    parcel_weight: WeightRange::new(
        Decimal::from_parts(1, 0, 0, false, 1),
        Decimal::from_parts(1120, 0, 0, false, 0),
        WeightUnit::Oz,
    ),
    options: &[],
};

/// The registry entry.
pub static ENTRY: CarrierEntry = CarrierEntry {
    code: CODE,
    name: "USPS",
    capabilities: &CAPS,
    needs_base_url: true,
    hosts: &["apis.usps.com", "apis-tem.usps.com"],
    url_settings: &[],
    build,
    numbers: impb::NUMBERS,
    push: None,
};

fn build(config: serde_json::Value, http: CarrierHttp) -> Result<Box<dyn Carrier>, AccountError> {
    let account = Account::from_json(&config)?;
    let base = http::require_base_url(
        &http,
        "a USPS account needs an http(s) base URL: https://apis.usps.com, \
         https://apis-tem.usps.com or a simulator",
    )?;
    Ok(Box::new(Usps {
        account,
        http,
        base,
    }))
}

/// The USPS adapter for one account.
pub struct Usps {
    account: Account,
    http: CarrierHttp,
    base: Url,
}

/// The label answer as one JSON document with the base64 image inside
/// (`LabelVendorResponse`), instead of the default multipart body.
const LABELS_JSON: &str = "application/vnd.usps.labels+json";

impl Usps {
    /// Sends one request as given; no tokens are fetched here.
    async fn send_raw<B: Serialize + Sync>(
        &self,
        op: Op,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<Answer, CarrierError> {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut url = endpoint(&self.base, path);
        if !query.is_empty() {
            url.set_query(Some(query));
        }
        let mut request = self.http.client.request(method, url);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if !headers.iter().any(|(k, _)| *k == "Accept") {
            request = request.header(reqwest::header::ACCEPT, "application/json");
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        if let Some(b) = body {
            request = request.json(b);
        }
        self.http.send(request, CODE, op == Op::Ship).await
    }

    /// Sends with the bearer token (and the payment token when `pay`); on 401 forgets both
    /// tokens and sends once more.
    async fn call<B: Serialize + Sync>(
        &self,
        op: Op,
        method: Method,
        path: &str,
        pay: bool,
        accept: &str,
        body: Option<&B>,
    ) -> Result<Answer, CarrierError> {
        let mut refreshed = false;
        loop {
            let bearer = auth::bearer(self).await?;
            let payment = if pay {
                Some(auth::payment(self, &bearer).await?)
            } else {
                None
            };
            let mut headers = vec![("Accept", accept)];
            if let Some(p) = payment.as_deref() {
                headers.push(("X-Payment-Authorization-Token", p));
            }
            let a = self
                .send_raw(op, method.clone(), path, Some(&bearer), &headers, body)
                .await?;
            if a.status == 401 && !refreshed {
                auth::forget(self);
                refreshed = true;
                continue;
            }
            return Ok(a);
        }
    }
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

#[async_trait]
impl Carrier for Usps {
    fn entry(&self) -> &'static CarrierEntry {
        &ENTRY
    }

    /// Not the quota: 1/s is the floor of this per-second shape. Throttling reads `quota()`;
    /// the hub takes only `timeout` from here.
    fn limits(&self) -> CarrierLimits {
        CarrierLimits {
            requests_per_second: 1,
            burst: self.account.burst,
            timeout: self.http.timeout,
        }
    }

    fn quota(&self) -> RequestQuota {
        RequestQuota::per_hour(self.account.requests_per_hour, self.account.burst)
    }

    async fn rate(&self, req: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        let body = rate::build(req, &self.account, today())?;
        let a = self
            .call(
                Op::Rate,
                Method::POST,
                "shipments/v3/options/search",
                false,
                "application/json",
                Some(&body),
            )
            .await?;
        DIALECT.read(Op::Rate, &a, |resp| rate::parse(resp, req))
    }

    async fn ship(&self, req: &ShipRequest) -> Result<Waybill, CarrierError> {
        crate::carrier::no_returns(self.code(), req)?;
        let body = ship::build(req, today())?;
        let path = if ship::is_international(req) {
            "international-labels/v3/international-label"
        } else {
            "labels/v3/label"
        };
        let a = self
            .call(Op::Ship, Method::POST, path, true, LABELS_JSON, Some(&body))
            .await?;
        DIALECT.read(Op::Ship, &a, |resp| ship::parse(resp, req))
    }

    async fn void(&self, waybill: &WaybillRef) -> Result<(), CarrierError> {
        self.void_outcome(waybill).await.map(|_| ())
    }

    /// `CANCELED` is a void; `DISPUTED` is a refund request USPS still reviews.
    async fn void_outcome(&self, waybill: &WaybillRef) -> Result<VoidOutcome, CarrierError> {
        let path = void::path(waybill)?;
        let a = self
            .call::<()>(
                Op::Void,
                Method::DELETE,
                &path,
                true,
                "application/json",
                None,
            )
            .await?;
        Ok(match DIALECT.read(Op::Void, &a, void::parse)? {
            None => VoidOutcome::Voided,
            Some(dispute) => VoidOutcome::Requested {
                detail: format!(
                    "USPS took an unused-label refund request (dispute {dispute}) for review; the label was already manifested"
                ),
            },
        })
    }

    async fn track(&self, numbers: &[TrackingNumber]) -> Result<Vec<TrackingResult>, CarrierError> {
        let (n, path) = track::request(numbers)?;
        let path = format!("{path}?expand=DETAIL");
        let a = self
            .call::<()>(
                Op::Track,
                Method::GET,
                &path,
                false,
                "application/json",
                None,
            )
            .await?;
        if a.status == 404 || (a.status == 400 && not_found_codes(&a.body)) {
            return Ok(vec![track::not_found(n)]);
        }
        let result = DIALECT.read(Op::Track, &a, |resp: wire::TrackingDetails| {
            track::parse(&resp, n)
        })?;
        Ok(vec![result])
    }
}

fn not_found_codes(body: &[u8]) -> bool {
    serde_json::from_slice::<wire::ErrorMessage>(body)
        .ok()
        .and_then(|m| m.error)
        .is_some_and(|e| {
            e.errors.iter().any(|i| {
                i.code
                    .as_deref()
                    .is_some_and(|c| error::TRACKING_NOT_FOUND.contains(&c))
            })
        })
}
