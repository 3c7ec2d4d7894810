//! The `yunexpress` carrier: YunExpress (云途物流) cross-border parcels through its open
//! platform (`https://openapi.yunexpress.cn`, sandbox `https://openapi-sbx.yunexpress.cn`),
//! as described by the unofficial OpenAPI in `../shared/carriers/yunexpress/` and confirmed
//! (or corrected) against public integrations: `fixtures/SOURCES.md` lists every
//! disagreement and what we built.
//!
//! This file is the glue and the only one that touches HTTP: it takes a request from
//! `rate`/`ship`/`track` (pure `build`/`parse`), signs it (`auth`: a cached access token plus
//! an HMAC-SHA256 `sign` per request), sends it once and hands the answer to `error` or back
//! to `parse`. A token YunExpress refuses (401) is dropped and the call signed once more with
//! a fresh one (the refused call did nothing); nothing else is retried: the hub's call layer.
//!
//! Verbs: `rate` is the price trial (费用试算), `ship` prices the parcel through the same
//! trial (the create answer has no price), creates the order (单票寄件) and then fetches its
//! label (获取运单标签), `void` cancels the waybill (撤销运单, possible until
//! YunExpress's warehouse receives the parcel), `track` queries the waybill's trajectory
//! (查询运单轨迹).

mod account;
mod auth;
mod codes;
mod error;
mod number;
mod rate;
mod ship;
#[cfg(test)]
pub(crate) mod tests;
mod track;
mod wire;

use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use reqwest::Method;
use rust_decimal::Decimal;
use serde::Serialize;
use url::Url;

pub use account::Account;
#[doc(hidden)]
pub use rate::bench_cycle as bench_rate_cycle;

use crate::carrier::{Capabilities, Capability, Carrier, CarrierCode, CarrierLimits, WeightRange};
use crate::error::CarrierError;
use crate::http::{self, Answer, CarrierHttp, endpoint};
use crate::model::{
    LabelFormat, Quote, RateRequest, ShipRequest, TrackingNumber, TrackingResult, Waybill,
    WaybillRef, WeightUnit,
};
use crate::oauth::{ONE_MINUTE, TOKENS, Token};
use crate::registry::{AccountError, CarrierEntry};

use error::{DIALECT, Op};

const CODE: CarrierCode = CarrierCode::from_static("yunexpress");

static CAPS: Capabilities = Capabilities {
    supports: Capability::PARCEL,
    track_batch_max: track::BATCH_MAX,
    label_formats: &[LabelFormat::Pdf],
    services: &codes::SERVICES,
    // `Package.weight`: "> 0, max 3 decimal places" (minimum 0.001 kg); the price trial's
    // and weight modification's range ends at 1000. Registered lines take far less, but the
    // product limits differ by product and country: YunExpress refuses what its line cannot.
    parcel_weight: WeightRange::new(
        Decimal::from_parts(1, 0, 0, false, 3),
        Decimal::from_parts(1000, 0, 0, false, 0),
        WeightUnit::Kg,
    ),
    options: &[],
};

/// The registry entry.
pub static ENTRY: CarrierEntry = CarrierEntry {
    code: CODE,
    name: "YunExpress",
    capabilities: &CAPS,
    needs_base_url: true,
    // The spec's `servers` (production, sandbox) and the host its label answers link to.
    hosts: &[
        "openapi.yunexpress.cn",
        "openapi-sbx.yunexpress.cn",
        "label.yunexpress.cn",
    ],
    url_settings: &[],
    build,
    numbers: number::NUMBERS,
    push: None,
};

fn build(config: serde_json::Value, http: CarrierHttp) -> Result<Box<dyn Carrier>, AccountError> {
    let account = Account::from_json(&config)?;
    let base = http::require_base_url(
        &http,
        "a YunExpress account needs an http(s) base URL: https://openapi.yunexpress.cn, \
         https://openapi-sbx.yunexpress.cn or a simulator",
    )?;
    Ok(Box::new(YunExpress {
        account,
        http,
        base,
    }))
}

/// The YunExpress adapter for one open-platform application.
pub struct YunExpress {
    account: Account,
    http: CarrierHttp,
    base: Url,
}

fn now_millis() -> String {
    let now = time::OffsetDateTime::now_utc();
    (now.unix_timestamp_nanos() / 1_000_000).to_string()
}

/// A shipper's order number for an order without a reference: unique per process and
/// millisecond (YunExpress refuses a `customer_order_number` it has seen).
fn order_number() -> String {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed) % 1000;
    format!("SH{}{n:03}", now_millis())
}

impl YunExpress {
    /// A valid access token, fetched when the cache has none.
    async fn token(&self) -> Result<String, CarrierError> {
        TOKENS
            .get(self.base.as_str(), &self.account.app_id, || {
                self.fetch_token()
            })
            .await
    }

    async fn fetch_token(&self) -> Result<Token, CarrierError> {
        let body = auth::TokenRequest {
            grant_type: "client_credentials",
            app_id: &self.account.app_id,
            app_secret: self.account.app_secret.expose(),
            source_key: self.account.source_key.expose(),
        };
        let request = self
            .http
            .client
            .post(endpoint(&self.base, auth::TOKEN_PATH))
            .json(&body);
        let a = self.http.send(request, CODE, false).await?;
        if !a.is_success() {
            return Err(DIALECT.classify(Op::Token, &a));
        }
        let parsed: auth::TokenResponse = a.json(CODE, error::REDACTED)?;
        match parsed.access_token {
            Some(access_token) => Ok(Token {
                access_token,
                expires_in: parsed
                    .expires_in
                    .map(std::time::Duration::from_secs)
                    .unwrap_or(ONE_MINUTE),
            }),
            // A 200 refusal in the envelope (`success: false`, unknown appId …).
            None => match serde_json::from_slice::<wire::Bare>(&a.body) {
                Ok(env) if env.success == Some(false) => Err(CarrierError::Auth {
                    carrier: CODE,
                    code: env.code,
                }),
                _ => Err(DIALECT.protocol(a.status, &a.body, "token answer without accessToken")),
            },
        }
    }

    /// Sends one signed request; a 401 drops the token and signs once more with a new one.
    async fn send<B: Serialize + Sync>(
        &self,
        op: Op,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<Answer, CarrierError> {
        let body = body.map(|b| serde_json::to_string(b).expect("wire types serialize"));
        let mut refreshed = false;
        loop {
            let token = self.token().await?;
            let url = endpoint(&self.base, path);
            let date = now_millis();
            let content = auth::content(&date, method.as_str(), url.path(), body.as_deref());
            let sign = auth::sign(self.account.app_secret.expose(), &content);
            let mut request = self
                .http
                .client
                .request(method.clone(), url)
                .header("token", token)
                .header("date", date)
                .header("sign", sign)
                .header(reqwest::header::ACCEPT, "application/json")
                .header(reqwest::header::ACCEPT_LANGUAGE, "en-US");
            if !query.is_empty() {
                request = request.query(query);
            }
            if let Some(b) = &body {
                request = request
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/json;charset=utf-8",
                    )
                    .body(b.clone());
            }
            let a = self.http.send(request, CODE, op == Op::Ship).await?;
            if a.status == 401 {
                TOKENS.invalidate(self.base.as_str(), &self.account.app_id);
                if !refreshed {
                    refreshed = true;
                    continue;
                }
            }
            return Ok(a);
        }
    }

    /// The label of a created waybill: inline, or downloaded from its URL.
    async fn label(
        &self,
        waybill: &TrackingNumber,
    ) -> Result<crate::model::LabelDocument, CarrierError> {
        let a = self
            .send::<()>(
                Op::Label,
                Method::GET,
                ship::LABEL_PATH,
                &track::query(waybill),
                None,
            )
            .await?;
        let source = DIALECT.read(Op::Label, &a, |env: wire::Envelope<wire::Label>| {
            ship::label(error::result(Op::Label, env)?)
        })?;
        match source {
            ship::LabelSource::Inline(doc) => Ok(doc),
            ship::LabelSource::Url(u) => {
                let url: Url = u
                    .parse()
                    .ok()
                    .filter(|u: &Url| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| {
                        DIALECT.protocol(200, &a.body, format!("label url `{u}` is not http(s)"))
                    })?;
                // A plain download: the token and signature are for the API host only.
                let got = self
                    .http
                    .send(self.http.client.get(url), CODE, false)
                    .await?;
                if !got.is_success() {
                    return Err(DIALECT.protocol(got.status, b"", "the label download failed"));
                }
                ship::pdf(got.body)
            }
        }
    }
}

#[async_trait]
impl Carrier for YunExpress {
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
        let query = rate::build(req, &self.account)?;
        let a = self
            .send::<()>(Op::Rate, Method::GET, rate::PATH, &query, None)
            .await?;
        DIALECT.read(Op::Rate, &a, |env: wire::Envelope<wire::PriceLines>| {
            rate::parse(error::result(Op::Rate, env)?, req)
        })
    }

    async fn ship(&self, req: &ShipRequest) -> Result<Waybill, CarrierError> {
        crate::carrier::no_returns(self.code(), req)?;
        let number = req.reference.clone().unwrap_or_else(order_number);
        let body = ship::build(req, &number)?;
        // The create answer carries no price: the price trial for this parcel and product,
        // asked first, is what the waybill costs (and a product YunExpress does not offer
        // for the parcel is refused before anything is bought).
        let quote = self
            .rate(&req.shipment)
            .await?
            .into_iter()
            .find(|q| q.service.code == req.service)
            .ok_or_else(|| {
                CarrierError::rejected(
                    CODE,
                    "/service",
                    None,
                    format!(
                        "YunExpress's price trial offers no {} for this parcel",
                        req.service
                    ),
                )
            })?;
        let a = self
            .send(Op::Ship, Method::POST, ship::CREATE_PATH, &[], Some(&body))
            .await?;
        let mut wb = DIALECT.read(Op::Ship, &a, |env: wire::Envelope<wire::Created>| {
            ship::parse(error::result(Op::Ship, env)?, req)
        })?;
        // The order exists now: a label that cannot be fetched is a warning, never a failed
        // purchase (it can be fetched again by waybill number).
        wb.total = Some(quote.total);
        wb.breakdown = quote.breakdown;
        wb.warnings.push(
            "The price is YunExpress's price trial; YunExpress bills the weighed parcel".into(),
        );
        match self.label(&wb.tracking_number).await {
            Ok(doc) => wb.label = Some(doc),
            Err(e) => wb
                .warnings
                .push(format!("YunExpress label not fetched: {e}")),
        }
        Ok(wb)
    }

    async fn void(&self, waybill: &WaybillRef) -> Result<(), CarrierError> {
        let body = wire::Cancel {
            waybill_number: waybill.carrier_shipment_id.clone(),
        };
        let a = self
            .send(Op::Void, Method::POST, ship::CANCEL_PATH, &[], Some(&body))
            .await?;
        DIALECT.read(Op::Void, &a, |env: wire::Bare| error::done(Op::Void, env))
    }

    async fn track(&self, numbers: &[TrackingNumber]) -> Result<Vec<TrackingResult>, CarrierError> {
        let n = track::check(numbers)?;
        let a = self
            .send::<()>(Op::Track, Method::GET, track::PATH, &track::query(n), None)
            .await?;
        let found = DIALECT.read(Op::Track, &a, |env: wire::Envelope<wire::TrackItems>| {
            if env.success == Some(true) {
                Ok(env.result.as_ref().and_then(|items| track::parse(items, n)))
            } else {
                // A refusal of the credentials stands; "not found" answers fail the envelope
                // too, and for them the waybill detail decides.
                match error::refused(Op::Track, env.code.as_deref(), env.msg.as_deref()) {
                    e @ CarrierError::Auth { .. } => Err(e),
                    _ => Ok(None),
                }
            }
        })?;
        if let Some(r) = found {
            return Ok(vec![r]);
        }
        let a = self
            .send::<()>(
                Op::Track,
                Method::GET,
                track::DETAIL_PATH,
                &track::query(n),
                None,
            )
            .await?;
        let detail = DIALECT.read(Op::Track, &a, |env: wire::Envelope<wire::WaybillDetail>| {
            Ok(env
                .result
                .filter(|_| env.success == Some(true))
                .and_then(|d| track::from_detail(&d, n)))
        })?;
        Ok(vec![detail.unwrap_or_else(|| track::not_found(n))])
    }
}
