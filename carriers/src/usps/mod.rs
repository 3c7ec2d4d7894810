//! The `usps` carrier: the USPS v3 REST APIs as published in `../shared/carriers/usps/openapi/`
//! (Shipping Options for prices, Payments, Labels and return labels, International Labels,
//! Tracking, Addresses, Carrier Pickup, SCAN Forms) plus OAuth as in `api-examples/README.md`.
//! Shipment options are USPS extra services (`options.rs`); Saturday delivery and indirect
//! signature have no USPS code and are not declared. The Shipping Options search is USPS's
//! service-availability answer (it prices each extra service per class, or leaves it out):
//! it is called per rate request, as the rate-shop itself; a purchase does not call it again
//! (USPS grants ~60 calls an hour) and relies on the label API refusing what the class does
//! not carry. This file is the glue and the only one that touches HTTP:
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
mod manifest;
mod options;
mod pickup;
mod rate;
mod ship;
#[cfg(test)]
pub(crate) mod tests;
mod track;
mod verify;
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
    Address, AddressCheck, LabelFormat, Manifest, ManifestRequest, PickupConfirmation, PickupRef,
    PickupRequest, Quote, RateRequest, ShipRequest, TrackingNumber, TrackingResult, Waybill,
    WaybillRef,
};
use crate::registry::{AccountError, CarrierEntry};
use rust_decimal::Decimal;

use error::{DIALECT, Op};

const CODE: CarrierCode = CarrierCode::from_static("usps");

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
    // "Items must weigh 70 pounds (1120 ounces) or less" (domestic-labels.yaml and
    // international-labels.yaml, package `weight`); the floor depends on the mail class (error
    // 160098, "Weight should be greater than <weightFloor> LB", API-Error-Consolidated-List.csv):
    // 0.1 oz is the lightest any class takes.
    parcel_weight: WeightRange::new(
        Decimal::from_parts(1, 0, 0, false, 1),
        Decimal::from_parts(1120, 0, 0, false, 0),
        WeightUnit::Oz,
    ),
    options: options::OFFERED,
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

/// An answer with the headers some USPS operations need: the pickup's `ETag` (for `If-Match`)
/// and the `Content-Type` (a SCAN form may come as multipart).
pub(super) struct Full {
    answer: Answer,
    etag: Option<String>,
    content_type: Option<String>,
}

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
        Ok(self
            .send_full(op, method, path, bearer, headers, body)
            .await?
            .answer)
    }

    /// As `CarrierHttp::send` (same timeout and transport classification), keeping `ETag`
    /// and `Content-Type`.
    async fn send_full<B: Serialize + Sync>(
        &self,
        op: Op,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<Full, CarrierError> {
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
        let response = request
            .timeout(self.http.timeout)
            .send()
            .await
            .map_err(|e| http::transport(CODE, op.changes(), &e))?;
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header(reqwest::header::ETAG);
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let retry_after = header(reqwest::header::RETRY_AFTER)
            .and_then(|v| http::retry_after(&v, std::time::SystemTime::now()));
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| http::transport(CODE, op.changes(), &e))?;
        Ok(Full {
            answer: Answer {
                status,
                retry_after,
                body: bytes.to_vec(),
            },
            etag,
            content_type,
        })
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
        Ok(self
            .call_full(op, method, path, pay, &[("Accept", accept)], body)
            .await?
            .answer)
    }

    /// `call` with any extra headers (`Accept` among them), keeping `ETag` and `Content-Type`.
    async fn call_full<B: Serialize + Sync>(
        &self,
        op: Op,
        method: Method,
        path: &str,
        pay: bool,
        extra: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<Full, CarrierError> {
        let mut refreshed = false;
        loop {
            let bearer = auth::bearer(self).await?;
            let payment = if pay {
                Some(auth::payment(self, &bearer).await?)
            } else {
                None
            };
            let mut headers = extra.to_vec();
            if let Some(p) = payment.as_deref() {
                headers.push(("X-Payment-Authorization-Token", p));
            }
            let a = self
                .send_full(op, method.clone(), path, Some(&bearer), &headers, body)
                .await?;
            if a.answer.status == 401 && !refreshed {
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
        let body = ship::build(req, today())?;
        let a = self
            .call(
                Op::Ship,
                Method::POST,
                ship::path(req),
                true,
                LABELS_JSON,
                Some(&body),
            )
            .await?;
        if req.is_return {
            DIALECT.read(Op::Ship, &a, |resp| ship::parse_return(resp, req))
        } else {
            DIALECT.read(Op::Ship, &a, |resp| ship::parse(resp, req))
        }
    }

    async fn verify_address(&self, address: &Address) -> Result<AddressCheck, CarrierError> {
        let Some(query) = verify::query(address)? else {
            return Ok(verify::not_covered());
        };
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let a = self
            .call::<()>(
                Op::Address,
                Method::GET,
                &format!("addresses/v3/address?{query}"),
                false,
                "application/json",
                None,
            )
            .await?;
        // "404: Address Not Found" (with the spec's examples) is USPS's verdict, not a failure.
        if a.status == 404
            && let Ok(e) = serde_json::from_slice::<wire::ErrorMessage>(&a.body)
            && e.error.is_some()
        {
            return Ok(verify::not_found(&e));
        }
        DIALECT.read(Op::Address, &a, |resp| Ok(verify::parse(resp, address)))
    }

    async fn schedule_pickup(
        &self,
        req: &PickupRequest,
    ) -> Result<PickupConfirmation, CarrierError> {
        let body = pickup::build(req)?;
        let a = self
            .call(
                Op::Pickup,
                Method::POST,
                "pickup/v3/carrier-pickup",
                false,
                "application/json",
                Some(&body),
            )
            .await?;
        DIALECT.read(Op::Pickup, &a, |resp| pickup::parse(resp, req))
    }

    /// GET for a fresh ETag ("returned in the GET operation and … good for one hour"), then
    /// DELETE with it as `If-Match`.
    async fn cancel_pickup(&self, booked: &PickupRef) -> Result<(), CarrierError> {
        let path = pickup::path(&booked.confirmation)?;
        let json = [("Accept", "application/json")];
        let got = self
            .call_full::<()>(Op::PickupCancel, Method::GET, &path, false, &json, None)
            .await?;
        DIALECT.decode::<serde_json::Value>(Op::PickupCancel, &got.answer)?;
        let etag = got.etag.ok_or_else(|| {
            error::protocol(
                got.answer.status,
                &got.answer.body,
                "the pickup answer has no ETag to cancel with",
            )
        })?;
        let headers = [("Accept", "application/json"), ("If-Match", etag.as_str())];
        let gone = self
            .call_full::<()>(
                Op::PickupCancel,
                Method::DELETE,
                &path,
                false,
                &headers,
                None,
            )
            .await?;
        if gone.answer.is_success() {
            Ok(())
        } else {
            Err(DIALECT.classify(Op::PickupCancel, &gone.answer))
        }
    }

    async fn manifest(&self, req: &ManifestRequest) -> Result<Manifest, CarrierError> {
        let body = manifest::build(req)?;
        let accept = [("Accept", LABELS_JSON)];
        let a = self
            .call_full(
                Op::Manifest,
                Method::POST,
                "scan-forms/v3/scan-form",
                false,
                &accept,
                Some(&body),
            )
            .await?;
        if a.answer.is_success() && manifest::is_multipart(a.content_type.as_deref()) {
            return manifest::parse_multipart(
                a.content_type.as_deref().unwrap_or_default(),
                &a.answer.body,
                &body,
            );
        }
        DIALECT.read(Op::Manifest, &a.answer, |resp| manifest::parse(resp, &body))
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
