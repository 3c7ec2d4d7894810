//! The `sf_express` carrier: SF Express (顺丰速运) through SF's open platform (丰桥), one
//! endpoint `POST {base}/std/service` for every service, form-encoded, each call signed with
//! `msgDigest` (`sign.rs`). This file is the glue and the only one that touches HTTP: a verb
//! builds its message (pure builders in `ship`/`track`/`billed`), `call` signs and sends it
//! once, and `error::open` opens SF's two answer layers. No retries, no sleeps: the hub's
//! call layer.
//!
//! - `ship`: service-area check, the account's price for the product (SF's order answer has
//!   none), then the order (`ship.rs` says how `orderId` keeps a retry from buying twice), extra piece numbers when needed, and SF's label through cloud print
//!   when the account names a template (otherwise `label: None` and the hub renders its own
//!   SF e-waybill).
//! - `void`: `EXP_RECE_UPDATE_ORDER` `dealType` 2 by `orderId` (kept as `carrier_shipment_id`).
//! - `track`: routes by waybill number, up to 10 per call; `push.rs` reads SF's route push.
//! - `billed_freight`: `EXP_RECE_QUERY_SFWAYBILL`, in CNY.
//! - `rate`: SF's price and time query (`EXP_RECE_QUERY_DELIVERTM`) at the account's tariff,
//!   mainland China lanes only (its addresses have no country); cross-border products are
//!   bought without a price query (`ship` takes the freight SF lists for the new waybill, or
//!   zero with a warning), and quoted from a rate card on a `table_rate` account.

mod account;
mod billed;
mod codes;
mod error;
mod number;
mod push;
mod rate;
mod ship;
pub mod sign;
#[cfg(test)]
pub(crate) mod tests;
mod track;
mod wire;

use async_trait::async_trait;
use base64::Engine as _;
use rust_decimal::Decimal;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

pub use account::Account;

use crate::carrier::{Capabilities, Capability, Carrier, CarrierCode, CarrierLimits, WeightRange};
use crate::error::CarrierError;
use crate::http::{self, CarrierHttp, endpoint};
use crate::model::{
    BilledWaybill, CHINA_STANDARD_TIME, Charge, ChargeKind, Currency, LabelDocument, LabelFormat,
    Money, Quote, RateRequest, ShipRequest, ShipmentOption, TrackingNumber, TrackingResult,
    Waybill, WaybillRef, WeightUnit,
};
use crate::registry::{AccountError, CarrierEntry, PushIntake};

use error::{DIALECT, Op};

const CODE: CarrierCode = CarrierCode::from_static("sf_express");

/// Service codes of the calls made.
const FILTER: &str = "EXP_RECE_FILTER_ORDER_BSP";
const CREATE_ORDER: &str = "EXP_RECE_CREATE_ORDER";
const SEARCH_ORDER: &str = "EXP_RECE_SEARCH_ORDER_RESP";
const SUB_MAILNO: &str = "EXP_RECE_GET_SUB_MAILNO";
const UPDATE_ORDER: &str = "EXP_RECE_UPDATE_ORDER";
const SEARCH_ROUTES: &str = "EXP_RECE_SEARCH_ROUTES";
const QUERY_SFWAYBILL: &str = "EXP_RECE_QUERY_SFWAYBILL";
const CLOUD_PRINT: &str = "COM_RECE_CLOUD_PRINT_WAYBILLS";
const QUERY_DELIVERTM: &str = "EXP_RECE_QUERY_DELIVERTM";

static CAPS: Capabilities = Capabilities {
    supports: &[
        Capability::Rate,
        Capability::Ship,
        Capability::Void,
        Capability::Track,
        Capability::PushTracking,
        Capability::BilledFreight,
    ],
    track_batch_max: track::BATCH_MAX,
    label_formats: &[LabelFormat::Pdf],
    services: &codes::SERVICES,
    // A parcel from 0.01 kg (the weight the sample cargo lines are written to) up to SF's
    // published 50 kg per piece for its express products (SOURCES.md).
    parcel_weight: WeightRange::new(
        Decimal::from_parts(1, 0, 0, false, 2),
        Decimal::from_parts(50, 0, 0, false, 0),
        WeightUnit::Kg,
    ),
    // 备注: `remark` of the order, printed on the e-waybill.
    options: &[ShipmentOption::Remark],
};

/// The registry entry.
pub static ENTRY: CarrierEntry = CarrierEntry {
    code: CODE,
    name: "SF Express (顺丰速运)",
    capabilities: &CAPS,
    needs_base_url: true,
    // Sandbox and production (SF's SDK guide; the README of the shared folder).
    hosts: &["sfapi-sbox.sf-express.com", "sfapi.sf-express.com"],
    url_settings: &[],
    build,
    numbers: number::NUMBERS,
    push: Some(PushIntake {
        verify: push::verify,
        parse: push::parse,
        ack: Some(push::ACK),
        secret_to_carrier: false,
    }),
};

fn build(config: serde_json::Value, http: CarrierHttp) -> Result<Box<dyn Carrier>, AccountError> {
    let account = Account::from_json(&config)?;
    let base = http::require_base_url(
        &http,
        "an SF Express account needs an http(s) base URL: https://sfapi-sbox.sf-express.com \
         (sandbox), https://sfapi.sf-express.com (production) or a simulator",
    )?;
    Ok(Box::new(SfExpress {
        account,
        endpoint: endpoint(&base, "std/service"),
        http,
    }))
}

/// The SF Express adapter for one 丰桥 account.
pub struct SfExpress {
    account: Account,
    http: CarrierHttp,
    endpoint: Url,
}

/// Today in China, the default ship date of an order id.
fn today() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(CHINA_STANDARD_TIME)
        .date()
}

/// `msgData` as `T`; a shape we cannot read is `Protocol`.
fn read<T: DeserializeOwned>(v: Value) -> Result<T, CarrierError> {
    serde_json::from_value(v.clone())
        .map_err(|e| DIALECT.protocol(200, v.to_string().as_bytes(), format!("msgData: {e}")))
}

impl SfExpress {
    /// Signs and sends one call; SF's `msgData` when both layers say success.
    async fn call<B: Serialize + ?Sized>(
        &self,
        op: Op,
        service: &str,
        msg: &B,
    ) -> Result<Value, CarrierError> {
        let msg_data = serde_json::to_string(msg).expect("SF messages serialize");
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
        let request_id = uuid::Uuid::now_v7().to_string();
        let form = sign::Envelope {
            partner_id: &self.account.partner_id,
            request_id: &request_id,
            service_code: service,
            timestamp: &timestamp,
            msg_data: &msg_data,
        }
        .form(self.account.checkword.expose());
        let request = self
            .http
            .client
            .post(self.endpoint.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded;charset=UTF-8",
            )
            .body(form);
        let a = self
            .http
            .send(request, CODE, matches!(op, Op::Ship | Op::SubNumbers))
            .await?;
        error::open(op, &a)
    }

    /// The order's numbers when SF already has it (a retried purchase).
    async fn existing_order(&self, order_id: &str) -> Result<wire::OrderResponse, CarrierError> {
        let msg = wire::SearchOrder {
            search_type: "1",
            order_id: order_id.to_string(),
            language: "zh-CN",
        };
        read(self.call(Op::Ship, SEARCH_ORDER, &msg).await?)
    }

    /// What a cross-border waybill costs as far as SF says right after the order: the freight
    /// SF lists for it (`EXP_RECE_QUERY_SFWAYBILL`), else nothing yet (zero CNY, no lines).
    /// The waybill is bought either way, so a failure here is no error.
    async fn cross_border_freight(&self, waybill: &TrackingNumber) -> (Money, Vec<Charge>) {
        let cny: Currency = "CNY".parse().expect("CNY is a currency");
        let billed = match self
            .call(Op::Billed, QUERY_SFWAYBILL, &billed::build(waybill))
            .await
        {
            Ok(v) => read(v)
                .and_then(|r| billed::parse(r, waybill))
                .ok()
                .flatten(),
            Err(_) => None,
        };
        let lines: Vec<Charge> = billed
            .map(|b| b.charges)
            .unwrap_or_default()
            .into_iter()
            .map(|c| Charge {
                // Fee type 1 is the freight (运费); SF's other fee types are surcharges.
                kind: if c.code.as_deref() == Some("1") {
                    ChargeKind::Base
                } else {
                    ChargeKind::Surcharge
                },
                code: c.code,
                description: c.description,
                amount: c.amount,
            })
            .collect();
        let total = lines
            .iter()
            .try_fold(Money::zero(cny), |a, c| a.checked_add(c.amount))
            .unwrap_or(Money::zero(cny));
        let mut total = total;
        if total.amount().scale() < cny.minor_units() {
            let mut amount = total.amount();
            amount.rescale(cny.minor_units());
            total = Money::new(amount, cny);
        }
        (total, lines)
    }

    /// SF's label for `master` through cloud print; a failure is a warning, since the
    /// waybill is bought and the hub can render its own.
    async fn label(
        &self,
        template: &str,
        master: &TrackingNumber,
    ) -> Result<LabelDocument, String> {
        let msg = ship::build_print(template, master);
        let v = self
            .call(Op::Print, CLOUD_PRINT, &msg)
            .await
            .map_err(|e| e.to_string())?;
        let resp: wire::PrintResponse = read(v).map_err(|e| e.to_string())?;
        let file = resp
            .files
            .into_iter()
            .find(|f| f.url.is_some())
            .ok_or("cloud print answered no file")?;
        let url = file.url.as_deref().unwrap_or_default();
        let url = Url::parse(url).map_err(|e| format!("cloud print file URL: {e}"))?;
        let mut request = self.http.client.get(url);
        if let Some(t) = &file.token {
            // The file is fetched with the token the answer gives it.
            request = request.header("X-Auth-token", t);
        }
        let a = self
            .http
            .send(request, CODE, false)
            .await
            .map_err(|e| e.to_string())?;
        if !a.is_success() {
            return Err(format!("cloud print file: HTTP {}", a.status));
        }
        // Some deployments answer the PDF base64-encoded rather than raw.
        let content = if a.body.starts_with(b"%PDF") {
            a.body
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(a.body.trim_ascii())
                .ok()
                .filter(|b| b.starts_with(b"%PDF"))
                .ok_or("cloud print file is not a PDF")?
        };
        Ok(LabelDocument {
            format: LabelFormat::Pdf,
            content,
        })
    }
}

#[async_trait]
impl Carrier for SfExpress {
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

    /// SF's 3000 calls a day per API, for the tracking scheduler's routes calls.
    fn daily_quota(&self) -> Option<u32> {
        Some(account::DAILY_CALLS_PER_API)
    }

    async fn rate(&self, req: &RateRequest) -> Result<Vec<Quote>, CarrierError> {
        let msg = rate::build(req, &self.account)?;
        let v = self.call(Op::Rate, QUERY_DELIVERTM, &msg).await?;
        rate::parse(read(v)?, req)
    }

    async fn ship(&self, req: &ShipRequest) -> Result<Waybill, CarrierError> {
        crate::carrier::no_returns(self.code(), req)?;
        let express_type = ship::check(req)?;
        let order_id = ship::order_id(req, today());
        let mut warnings = Vec::new();
        let verdict = self
            .call(Op::Filter, FILTER, &ship::build_filter(req, &order_id))
            .await?;
        warnings.extend(ship::check_filter(&verdict)?);

        // SF's order answer names no price: the account's price for this product on this lane,
        // asked before buying (nothing is bought when it fails), is what the waybill costs.
        // SF has no price query for cross-border lanes: such a waybill has no total, and
        // what it costs comes with SF's bill (billed freight).
        let quote = if codes::is_international(&req.service) {
            None
        } else {
            let mut ask = rate::build(&req.shipment, &self.account)?;
            ask.business_type = Some(req.service.clone());
            let quotes = rate::parse(
                read(self.call(Op::Rate, QUERY_DELIVERTM, &ask).await?)?,
                &req.shipment,
            )?;
            let Some(quote) = quotes.into_iter().find(|q| q.service.code == req.service) else {
                return Err(CarrierError::rejected(
                    CODE,
                    "/service",
                    None,
                    format!(
                        "SF Express offers no price for product {} on this lane",
                        req.service
                    ),
                ));
            };
            Some(quote)
        };

        let order = ship::build_order(req, &self.account, express_type, &order_id);
        let resp: wire::OrderResponse = match self.call(Op::Ship, CREATE_ORDER, &order).await {
            Ok(v) => read(v)?,
            Err(CarrierError::Rejected { errors, .. })
                if errors
                    .iter()
                    .any(|e| e.carrier_code.as_deref() == Some(error::DUPLICATE_ORDER)) =>
            {
                warnings.push(format!(
                    "SF already had order {order_id} (a retried purchase): its waybill is returned"
                ));
                self.existing_order(&order_id).await?
            }
            Err(e) => return Err(e),
        };
        let mut pieces = ship::numbers(&resp)?;
        let wanted = req.shipment.parcels.len();
        if pieces.len() < wanted {
            let msg = wire::SubMailno {
                order_id: order_id.clone(),
                parcel_qty: wanted - pieces.len(),
            };
            let more: wire::OrderResponse =
                read(self.call(Op::SubNumbers, SUB_MAILNO, &msg).await?)?;
            for w in &more.waybill_no_info_list {
                if let Some(n) = w.waybill_no.as_deref().and_then(|n| n.parse().ok())
                    && !pieces.contains(&n)
                {
                    pieces.push(n);
                }
            }
        }
        if pieces.len() != wanted {
            warnings.push(format!(
                "SF issued {} piece numbers for {wanted} parcels",
                pieces.len()
            ));
        }
        let mut waybill = ship::waybill(pieces, &order_id, warnings);
        match quote {
            Some(quote) => {
                waybill.total = Some(quote.total);
                waybill.breakdown = quote.breakdown;
            }
            None => {
                let (total, breakdown) = self.cross_border_freight(&waybill.tracking_number).await;
                if breakdown.is_empty() {
                    waybill.warnings.push(
                        "SF has not priced this cross-border waybill yet (it has no price query \
                         for cross-border lanes): the total is 0.00 CNY until SF's billed \
                         freight is pulled; price it beforehand from a rate card"
                            .to_string(),
                    );
                }
                waybill.total = Some(total);
                waybill.breakdown = breakdown;
            }
        }
        if let Some(template) = &self.account.template_code {
            match self.label(template, &waybill.tracking_number).await {
                Ok(doc) => waybill.label = Some(doc),
                Err(why) => waybill.warnings.push(format!(
                    "SF cloud print gave no label ({why}); the hub renders it"
                )),
            }
        }
        Ok(waybill)
    }

    async fn void(&self, waybill: &WaybillRef) -> Result<(), CarrierError> {
        let msg = wire::UpdateOrder {
            deal_type: 2,
            order_id: waybill.carrier_shipment_id.clone(),
        };
        let resp: wire::UpdateResponse = read(self.call(Op::Void, UPDATE_ORDER, &msg).await?)?;
        match resp.res_status {
            Some(2) => Ok(()),
            other => Err(CarrierError::rejected(
                CODE,
                "",
                other.map(|s| format!("resStatus {s}")).as_deref(),
                "SF did not cancel the order (its order and waybill do not match, or it was already handed over)",
            )),
        }
    }

    async fn track(&self, numbers: &[TrackingNumber]) -> Result<Vec<TrackingResult>, CarrierError> {
        track::check(numbers)?;
        let v = self
            .call(Op::Track, SEARCH_ROUTES, &track::build(numbers))
            .await?;
        Ok(track::parse(read(v)?, numbers))
    }

    async fn billed_freight(
        &self,
        numbers: &[TrackingNumber],
    ) -> Result<Vec<BilledWaybill>, CarrierError> {
        let mut out = Vec::new();
        for n in numbers {
            match self
                .call(Op::Billed, QUERY_SFWAYBILL, &billed::build(n))
                .await
            {
                Ok(v) => out.extend(billed::parse(read(v)?, n)?),
                // SF knows no bill for this waybill (yet).
                Err(CarrierError::Rejected { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// The CPU one rate call costs without the network: the price query built, signed and
/// form-encoded, then `response` (a whole SF answer) opened and parsed. For the adapter
/// benchmarks.
#[doc(hidden)]
pub fn bench_rate_cycle(
    req: &RateRequest,
    response: &[u8],
) -> Result<(usize, usize), CarrierError> {
    use std::sync::LazyLock;
    static ACCOUNT: LazyLock<Account> = LazyLock::new(|| {
        let config = serde_json::json!({"partner_id": "BENCH", "checkword": "bench-checkword", "monthly_card": "7551234567"});
        Account::from_json(&config).expect("static account")
    });
    let msg_data = serde_json::to_string(&rate::build(req, &ACCOUNT)?).expect("serializes");
    let form = sign::Envelope {
        partner_id: &ACCOUNT.partner_id,
        request_id: "00000000-0000-7000-8000-000000000000",
        service_code: QUERY_DELIVERTM,
        timestamp: "1700000000",
        msg_data: &msg_data,
    }
    .form(ACCOUNT.checkword.expose());
    let a = http::Answer {
        status: 200,
        retry_after: None,
        body: response.to_vec(),
    };
    let quotes = rate::parse(read(error::open(Op::Rate, &a)?)?, req)?;
    Ok((form.len(), quotes.len()))
}
