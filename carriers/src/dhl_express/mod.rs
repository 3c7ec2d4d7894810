//! The `dhl_express` carrier: DHL Express through the MyDHL API 3.1.1
//! (`../shared/carriers/dhl_express/openapi/mydhl-express-api-3.1.1.yaml`) plus the DHL
//! Shipment Tracking – Unified API for numbers created elsewhere. This file is the glue and
//! the only one that touches HTTP: it takes a request from `rate`/`ship`/`track` (pure
//! `build`/`parse`), sends it once with HTTP Basic auth (MyDHL has no OAuth: the API key is
//! the username, the secret the password, so there is no token to cache or refresh) and hands
//! the answer to `error` or back to `parse`. No retries, no sleeps: the hub's call layer.
//!
//! Address validation (`address`), pickups (`pickup`) and shipment options as value-added
//! services (`options`) follow the same pattern.
//!
//! Returns: MyDHL 3.1.1 documents no return product and no return-label service (its `PH`
//! RETURN TO SELLER and `PR`/`PT` RETURN TO ORIGIN are what happens to an undeliverable
//! shipment; DHL Express returns are an import-account arrangement the spec does not
//! describe), so `Return` is not declared and a return label answers `Unsupported`.
//!
//! Manifest: MyDHL has no close or manifest operation (a shipment is final when created), so
//! `Manifest` is not declared.
//!
//! Void: MyDHL 3.1.1 has no endpoint to cancel a shipment (only booked pickups can be
//! cancelled); an AWB that is never tendered to DHL is not billed. `void` is therefore not
//! declared and answers `Unsupported`: shiphub must not claim a cancellation DHL never made.

mod account;
mod address;
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
mod wire;

use async_trait::async_trait;
use reqwest::Method;
use serde::Serialize;
use url::Url;

pub use account::Account;
#[doc(hidden)]
pub use rate::bench_cycle as bench_rate_cycle;

use crate::carrier::WeightRange;
use crate::carrier::{Capabilities, Capability, Carrier, CarrierCode, CarrierLimits};
use crate::error::CarrierError;
use crate::http::{self, Answer, CarrierHttp, endpoint};
use crate::model::WeightUnit;
use crate::model::{
    Address, AddressCheck, LabelFormat, PickupConfirmation, PickupRef, PickupRequest, Quote,
    RateRequest, ShipRequest, TrackingNumber, TrackingResult, Waybill, WaybillRef,
};
use crate::registry::{AccountError, CarrierEntry};
use rust_decimal::Decimal;

use error::{DIALECT, Op};

/// `x-version`: required on every MyDHL call; the spec's value is `3.1.0` with "do not change
/// this field value".
const X_VERSION: &str = "3.1.0";

const CODE: CarrierCode = CarrierCode::from_static("dhl_express");

static CAPS: Capabilities = Capabilities {
    supports: &[
        Capability::Rate,
        Capability::Ship,
        Capability::Track,
        Capability::AddressValidation,
        Capability::Pickup,
    ],
    track_batch_max: track::BATCH_MAX,
    label_formats: &[LabelFormat::Pdf, LabelFormat::Zpl],
    services: &codes::SERVICES,
    // Package `weight` in mydhl-express-api-3.1.1.yaml: `minimum: 0.001` (metric: kg),
    // `multipleOf: 0.001`; its `maximum` (999999999999) is no real limit, so the maximum is DHL
    // Express's published 70 kg per piece (the spec's `pieceWeightLimit` per service point).
    parcel_weight: WeightRange::new(
        Decimal::from_parts(1, 0, 0, false, 3),
        Decimal::from_parts(70, 0, 0, false, 0),
        WeightUnit::Kg,
    ),
    options: options::OFFERED,
};

/// The registry entry.
pub static ENTRY: CarrierEntry = CarrierEntry {
    code: CODE,
    name: "DHL Express",
    capabilities: &CAPS,
    needs_base_url: true,
    // MyDHL API (production and `/mydhlapi/test`), DHL's mock server, and the Shipment
    // Tracking - Unified API (production and test) that `tracking_base_url` names.
    hosts: &[
        "express.api.dhl.com",
        "api-mock.dhl.com",
        "api-eu.dhl.com",
        "api-test.dhl.com",
    ],
    url_settings: &["/tracking_base_url"],
    build,
    numbers: number::NUMBERS,
    push: None,
};

fn build(config: serde_json::Value, http: CarrierHttp) -> Result<Box<dyn Carrier>, AccountError> {
    let account = Account::from_json(&config)?;
    let base = http::require_base_url(
        &http,
        "a DHL Express account needs an http(s) base URL: \
         https://express.api.dhl.com/mydhlapi, \
         https://express.api.dhl.com/mydhlapi/test or a simulator",
    )?;
    Ok(Box::new(DhlExpress {
        account,
        http,
        base,
    }))
}

/// The DHL Express adapter for one MyDHL account.
pub struct DhlExpress {
    account: Account,
    http: CarrierHttp,
    base: Url,
}

impl DhlExpress {
    /// Sends one MyDHL request with Basic auth and the required `x-version`.
    async fn send<B: Serialize + Sync>(
        &self,
        op: Op,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<Answer, CarrierError> {
        let mut request = self
            .http
            .client
            .request(method, endpoint(&self.base, path))
            .basic_auth(
                &self.account.api_key,
                Some(self.account.api_secret.expose()),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .header("x-version", X_VERSION);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(b) = body {
            request = request.json(b);
        }
        self.http.send(request, CODE, op.books()).await
    }

    /// `GET /address-validate` for `a` as a `pickup` or `delivery` place.
    async fn validate_place(
        &self,
        a: &Address,
        kind: &'static str,
    ) -> Result<wire::AddressValidateResponse, CarrierError> {
        let answer = self
            .send::<()>(
                Op::Address,
                Method::GET,
                "address-validate",
                &address::query(a, kind),
                None,
            )
            .await?;
        DIALECT.decode(Op::Address, &answer)
    }

    /// The Unified API for a number MyDHL does not know; `not found` when no key is set.
    async fn track_unified(&self, n: &TrackingNumber) -> Result<TrackingResult, CarrierError> {
        let Some(unified) = &self.account.unified else {
            return Ok(track::not_found(n));
        };
        let request = self
            .http
            .client
            .get(endpoint(&unified.base_url, "shipments"))
            .query(&track::unified_query(n))
            .header("DHL-API-Key", unified.api_key.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        let a = self.http.send(request, CODE, false).await?;
        if a.status == 404 {
            return Ok(track::not_found(n));
        }
        let resp: wire::UnifiedResponse = DIALECT.decode(Op::Track, &a)?;
        Ok(track::parse_unified(&resp, n).unwrap_or_else(|| track::not_found(n)))
    }
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

#[async_trait]
impl Carrier for DhlExpress {
    fn entry(&self) -> &'static CarrierEntry {
        &ENTRY
    }

    fn limits(&self) -> CarrierLimits {
        CarrierLimits {
            requests_per_second: self.account.requests_per_second,
            burst: self.account.burst,
            timeout: self.http.timeout,
        }
    }

    async fn rate(&self, req: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        let body = rate::build(req, &self.account, today())?;
        let a = self
            .send(Op::Rate, Method::POST, "rates", &[], Some(&body))
            .await?;
        DIALECT.read(Op::Rate, &a, |resp| rate::parse(resp, req))
    }

    async fn ship(&self, req: &ShipRequest) -> Result<Waybill, CarrierError> {
        if req.is_return {
            return Err(CarrierError::unsupported_because(
                self.code(),
                Capability::Return,
                "MyDHL documents no return product or return-label service; DHL Express returns are arranged on an import account outside the API",
            ));
        }
        let body = ship::build(req, &self.account, today())?;
        let a = self
            .send(Op::Ship, Method::POST, "shipments", &[], Some(&body))
            .await?;
        DIALECT.read(Op::Ship, &a, |resp| ship::parse(resp, req))
    }

    async fn verify_address(&self, address: &Address) -> Result<AddressCheck, CarrierError> {
        let a = self.validate_place(address, "delivery").await?;
        Ok(address::parse(&a, address))
    }

    async fn schedule_pickup(
        &self,
        req: &PickupRequest,
    ) -> Result<PickupConfirmation, CarrierError> {
        // DHL's own word on whether it picks up there, and the place's GMT offset for
        // `plannedPickupDateAndTime`.
        let place = self.validate_place(&req.address, "pickup").await?;
        if address::parse(&place, &req.address).address.is_none() {
            return Err(CarrierError::rejected(
                self.code(),
                "/address",
                None,
                "DHL Express does not pick up at this postal code and city (GET /address-validate found no match)",
            ));
        }
        let mut warnings = Vec::new();
        let offset = address::gmt_offset(&place).unwrap_or_else(|| {
            warnings.push(
                "DHL gave no GMT offset for the pickup area; the ready time was sent as local time with GMT+00:00"
                    .into(),
            );
            "GMT+00:00".into()
        });
        let body = pickup::build(req, &self.account, &offset, today())?;
        let a = self
            .send(Op::Pickup, Method::POST, "pickups", &[], Some(&body))
            .await?;
        DIALECT.read(Op::Pickup, &a, |resp| pickup::parse(resp, req, warnings))
    }

    async fn cancel_pickup(&self, p: &PickupRef) -> Result<(), CarrierError> {
        let n = p.confirmation.trim();
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CarrierError::rejected(
                self.code(),
                "/confirmation",
                None,
                "not a DHL dispatch confirmation number",
            ));
        }
        let query = [
            ("requestorName", p.address.name.clone()),
            ("reason", pickup::CANCEL_REASON.to_string()),
        ];
        let a = self
            .send::<()>(
                Op::CancelPickup,
                Method::DELETE,
                &format!("pickups/{n}"),
                &query,
                None,
            )
            .await?;
        if (200..300).contains(&a.status) {
            Ok(())
        } else {
            Err(DIALECT.classify(Op::CancelPickup, &a))
        }
    }

    /// MyDHL has no shipment cancel: an unused AWB is simply never billed. Saying so, rather
    /// than pretending to void, keeps shiphub from marking a shipment voided that DHL still
    /// holds; the booked courier pickup, if any, is cancelled separately.
    async fn void(&self, _waybill: &WaybillRef) -> Result<(), CarrierError> {
        Err(CarrierError::unsupported_because(
            self.code(),
            Capability::Void,
            "MyDHL has no shipment cancel; DHL bills a waybill only once it is tendered, so an unused one costs nothing",
        ))
    }

    async fn track(&self, numbers: &[TrackingNumber]) -> Result<Vec<TrackingResult>, CarrierError> {
        let n = track::check(numbers)?;
        let (path, query) = track::request(n);
        let a = self
            .send::<()>(Op::Track, Method::GET, &path, &query, None)
            .await?;
        let found = match a.status {
            // "No data found": not a MyDHL shipment of ours (yet).
            404 => None,
            _ => {
                let resp: wire::TrackingResponse = DIALECT.decode(Op::Track, &a)?;
                track::parse(&resp, n)
            }
        };
        Ok(vec![match found {
            Some(r) => r,
            None => self.track_unified(n).await?,
        }])
    }
}
