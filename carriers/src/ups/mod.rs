//! UPS adapter over UPS's official REST APIs (`../shared/carriers/ups/openapi`): OAuth client
//! credentials, Rating (Shop with time in transit), Shipping (ship, return labels, void),
//! Track, Address Validation Street Level (`address.rs`) and Pickup (`pickup.rs`). Shipment
//! options go on both the Rating and Shipping wire (`options.rs`). No manifest: UPS's APIs
//! here have no end-of-day close operation.
//!
//! This file is glue only: it is the one place that touches `CarrierHttp`, sends what
//! `rate`/`ship`/`void`/`track` build and hands the answer to their `parse`. Adapters never
//! sleep, retry or cache answers (the hub's call layer does that); the exceptions, by design,
//! are the OAuth token cache (`crate::oauth::TOKENS`) and the single refresh-and-repeat when an
//! API call answers 401 (a second 401 is `Auth`).
//!
//! Decisions: labels are ZPL or PNG (UPS has no PDF; see `ship.rs`); one tracking number per
//! `track` call (`track_batch_max = 1`, see `track.rs`).

// Until `lib.rs` lists `ups::ENTRY` in `CARRIERS` (the lead's one-line registration), only
// tests reach this module; drop this line with that change.

mod account;
mod address;
mod auth;
mod codes;
mod error;
mod number;
mod options;
mod pickup;
pub(crate) mod push;
mod rate;
mod ship;
#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_day;
mod track;
mod void;
mod wire;

use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use reqwest::Method;
use serde::de::DeserializeOwned;

pub use account::Account;
#[doc(hidden)]
pub use rate::bench_cycle as bench_rate_cycle;

use crate::carrier::WeightRange;
use crate::carrier::{Capabilities, Capability, Carrier, CarrierCode, CarrierLimits};
use crate::error::CarrierError;
use crate::http::{Answer, CarrierHttp, with_body};
use crate::model::WeightUnit;
use crate::model::{
    Address, AddressCheck, AddressClassification, AddressVerdict, LabelFormat, PickupConfirmation,
    PickupRef, PickupRequest, Quote, RateRequest, ShipRequest, TrackingNumber, TrackingResult,
    Waybill, WaybillRef,
};
use crate::oauth::TOKENS;
use crate::registry::{AccountError, CarrierEntry, PushIntake};
use error::Op;
use rust_decimal::Decimal;

const CODE: CarrierCode = CarrierCode::from_static("ups");

static CAPS: Capabilities = Capabilities {
    // No Manifest: UPS's APIs in `../shared/carriers/ups/openapi` have no end-of-day close
    // (UPS manifests electronically as labels are bought).
    supports: &[
        Capability::Rate,
        Capability::Ship,
        Capability::Void,
        Capability::Track,
        Capability::AddressValidation,
        Capability::Return,
        Capability::Pickup,
    ],
    track_batch_max: 1,
    label_formats: &[LabelFormat::Zpl, LabelFormat::Png],
    services: &codes::SERVICES,
    // UPS rounds package weights to the tenth (Shipping.yaml, PackageWeight), so 0.1 lb is the
    // lightest it can be told; 150 lb is its per-package maximum (TimeInTransit.yaml, `weight`:
    // "Maximum value is 70 kilograms or 150 pounds"; UPS's published package limit).
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
    name: "UPS",
    capabilities: &CAPS,
    needs_base_url: true,
    hosts: &["onlinetools.ups.com", "wwwcie.ups.com"],
    url_settings: &[],
    build,
    numbers: number::NUMBERS,
    push: Some(PushIntake {
        verify: push::verify_track_alert,
        parse: push::parse_track_alert,
        ack: None,
        secret_to_carrier: false,
    }),
};

fn build(config: serde_json::Value, http: CarrierHttp) -> Result<Box<dyn Carrier>, AccountError> {
    let account = Account::from_json(&config, http.base_url.as_ref())?;
    Ok(Box::new(Ups { account, http }))
}

/// The UPS adapter for one account.
pub struct Ups {
    account: Account,
    http: CarrierHttp,
}

impl Ups {
    async fn token(&self) -> Result<String, CarrierError> {
        TOKENS
            .get(
                self.account.base_url.as_str(),
                &self.account.client_id,
                || async {
                    let a = self
                        .send_raw(
                            Op::Token,
                            Method::POST,
                            auth::TOKEN_PATH,
                            &[],
                            None,
                            None,
                            &[],
                        )
                        .await?;
                    auth::parse(a.status, a.retry_after, &a.body)
                },
            )
            .await
    }

    /// One HTTP exchange. `bearer` is `None` only for the token call (which uses Basic auth).
    // One exchange's every part, passed through from `call_with`; a struct would only rename them.
    #[allow(clippy::too_many_arguments)]
    async fn send_raw(
        &self,
        op: Op,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        json: Option<&serde_json::Value>,
        bearer: Option<&str>,
        headers: &[(&'static str, String)],
    ) -> Result<Answer, CarrierError> {
        let mut rb = self
            .http
            .client
            .request(method, self.account.url(path))
            .header("transId", trans_id())
            .header("transactionSrc", "shiphub");
        for (name, value) in headers {
            rb = rb.header(*name, value);
        }
        if !query.is_empty() {
            rb = rb.query(query);
        }
        rb = match bearer {
            Some(token) => rb.bearer_auth(token),
            None => rb
                .header("Authorization", auth::basic_auth(&self.account))
                .header("x-merchant-id", &self.account.account_number)
                .form(&auth::FORM),
        };
        if let Some(body) = json {
            rb = rb.json(body);
        }
        // For a ship call, anything after the request may have left (a timeout, a dropped
        // connection while reading) means UPS may have bought the label.
        self.http.send(rb, ENTRY.code.clone(), op == Op::Ship).await
    }

    /// An API call with the cached token; on 401 the token is dropped, a new one fetched and
    /// the call repeated exactly once (UPS did not act on a request it refused as
    /// unauthorized, so repeating a ship is safe).
    async fn call<T: DeserializeOwned>(
        &self,
        op: Op,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        json: Option<&serde_json::Value>,
    ) -> Result<(T, Answer), CarrierError> {
        self.call_with(op, method, path, query, json, &[]).await
    }

    /// `call` with extra request headers (the pickup cancel's `Prn`).
    async fn call_with<T: DeserializeOwned>(
        &self,
        op: Op,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        json: Option<&serde_json::Value>,
        headers: &[(&'static str, String)],
    ) -> Result<(T, Answer), CarrierError> {
        let token = self.token().await?;
        let mut answer = self
            .send_raw(op, method.clone(), path, query, json, Some(&token), headers)
            .await?;
        if answer.status == 401 {
            TOKENS.invalidate(self.account.base_url.as_str(), &self.account.client_id);
            let token = self.token().await?;
            answer = self
                .send_raw(op, method, path, query, json, Some(&token), headers)
                .await?;
        }
        if !answer.is_success() {
            return Err(error::DIALECT.classify(op, &answer));
        }
        match serde_json::from_slice::<T>(&answer.body) {
            Ok(v) => Ok((v, answer)),
            Err(e) => Err(
                error::errors_in_success(op, &answer.body).unwrap_or_else(|| {
                    error::protocol(answer.status, &answer.body, format!("{op:?} response: {e}"))
                }),
            ),
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("wire types serialize")
}

#[async_trait]
impl Carrier for Ups {
    fn entry(&self) -> &'static CarrierEntry {
        &ENTRY
    }

    fn limits(&self) -> CarrierLimits {
        CarrierLimits {
            requests_per_second: self.account.requests_per_second,
            burst: self.account.requests_per_second,
            timeout: self.http.timeout,
        }
    }

    async fn rate(&self, req: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        let body = to_json(&rate::build(req, &self.account)?);
        let (resp, answer) = self
            .call(Op::Rate, Method::POST, &rate::path(), &[], Some(&body))
            .await?;
        rate::parse(resp, req).map_err(|e| with_body(e, &answer.body, error::REDACTED))
    }

    async fn ship(&self, req: &ShipRequest) -> Result<Waybill, CarrierError> {
        let today = time::OffsetDateTime::now_utc().date();
        let body = to_json(&ship::build(req, &self.account, today)?);
        let (resp, answer) = self
            .call(Op::Ship, Method::POST, &ship::path(), &[], Some(&body))
            .await?;
        ship::parse(resp, req).map_err(|e| with_body(e, &answer.body, error::REDACTED))
    }

    async fn verify_address(&self, address: &Address) -> Result<AddressCheck, CarrierError> {
        if !address::covers(address) {
            // XAV's street-level data is the USPS database: no verdict elsewhere.
            return Ok(AddressCheck {
                verdict: AddressVerdict::Unknown,
                address: None,
                classification: AddressClassification::Unknown,
                candidates: Vec::new(),
                reasons: Vec::new(),
            });
        }
        let body = to_json(&address::build(address));
        let (resp, answer) = self
            .call(
                Op::Address,
                Method::POST,
                &address::path(),
                &[],
                Some(&body),
            )
            .await
            .map_err(on_address)?;
        address::parse(resp, address).map_err(|e| with_body(e, &answer.body, error::REDACTED))
    }

    async fn schedule_pickup(
        &self,
        req: &PickupRequest,
    ) -> Result<PickupConfirmation, CarrierError> {
        let body = to_json(&pickup::build(req, &self.account)?);
        let (resp, answer) = self
            .call(
                Op::Pickup,
                Method::POST,
                &pickup::create_path(),
                &[],
                Some(&body),
            )
            .await
            .map_err(on_address)?;
        pickup::parse(resp).map_err(|e| with_body(e, &answer.body, error::REDACTED))
    }

    async fn cancel_pickup(&self, booked: &PickupRef) -> Result<(), CarrierError> {
        let prn = pickup::prn(&booked.confirmation)?;
        let (resp, answer) = self
            .call_with(
                Op::PickupCancel,
                Method::DELETE,
                &pickup::cancel_path(),
                &[],
                None,
                &[("Prn", prn)],
            )
            .await?;
        pickup::parse_cancel(resp).map_err(|e| with_body(e, &answer.body, error::REDACTED))
    }

    async fn void(&self, waybill: &WaybillRef) -> Result<(), CarrierError> {
        let (path, query) = void::build(waybill)?;
        let (resp, answer) = self
            .call(Op::Void, Method::DELETE, &path, &query, None)
            .await?;
        void::parse(resp, waybill).map_err(|e| with_body(e, &answer.body, error::REDACTED))
    }

    async fn track(&self, numbers: &[TrackingNumber]) -> Result<Vec<TrackingResult>, CarrierError> {
        if numbers.len() > CAPS.track_batch_max {
            return Err(CarrierError::rejected(
                ENTRY.code.clone(),
                "/tracking_numbers",
                None,
                format!(
                    "UPS tracks {} number per call; the hub splits larger batches",
                    CAPS.track_batch_max
                ),
            ));
        }
        let mut results = Vec::with_capacity(numbers.len());
        for number in numbers {
            let query: Vec<(&str, String)> = track::query()
                .iter()
                .map(|(k, v)| (*k, v.to_string()))
                .collect();
            let called = self
                .call(Op::Track, Method::GET, &track::path(number), &query, None)
                .await;
            match called {
                Ok((resp, answer)) => results.push(
                    track::parse(resp, number)
                        .map_err(|e| with_body(e, &answer.body, error::REDACTED))?,
                ),
                Err(CarrierError::Rejected { ref errors, .. })
                    if errors.iter().all(|e| {
                        track::NOT_FOUND.contains(&e.carrier_code.as_deref().unwrap_or(""))
                    }) =>
                {
                    let code = errors.iter().find_map(|e| e.carrier_code.clone());
                    let mut r = track::unknown(number);
                    r.carrier_code = code.unwrap_or_default();
                    r.warnings = errors
                        .iter()
                        .map(|e| track::note(e.carrier_code.as_deref(), Some(&e.message)))
                        .collect();
                    results.push(r)
                }
                Err(e) => return Err(e),
            }
        }
        Ok(results)
    }
}

/// Field errors of an address-only request (verification, pickup) point into `/address`:
/// UPS's messages name its own containers, which `error` reads as `/from` or `/to`.
fn on_address(e: CarrierError) -> CarrierError {
    match e {
        CarrierError::Rejected {
            carrier,
            mut errors,
        } => {
            for f in &mut errors {
                if f.field.is_empty() {
                    // The message names a part of an address without a party: read it as
                    // the one address the request has.
                    f.field = error::field_from_message(&format!("shipto {}", f.message));
                }
                let rest = f
                    .field
                    .strip_prefix("/from")
                    .or_else(|| f.field.strip_prefix("/to"))
                    .map(str::to_string);
                if let Some(rest) = rest {
                    f.field = format!("/address{rest}");
                } else if f.field == "/parcels" {
                    f.field = "/parcel_count".into();
                }
            }
            CarrierError::Rejected { carrier, errors }
        }
        other => other,
    }
}

/// UPS's `transId` (at most 32 characters): unique per request, for UPS support.
fn trans_id() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let id = format!("shub{nanos:x}{:x}", N.fetch_add(1, Ordering::Relaxed));
    id.chars().take(32).collect()
}
