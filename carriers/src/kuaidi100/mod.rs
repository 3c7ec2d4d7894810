//! The `kuaidi100` carrier: Kuaidi100 (快递100), the aggregator most Chinese shippers use to
//! track every domestic network (ZTO `zhongtong`, YTO `yuantong`, SF `shunfeng` …) with one
//! integration. Its wire format is learnt from its public API documentation and official demo
//! SDKs (`fixtures/SOURCES.md`, no code taken). This file is the glue and the only one that
//! touches HTTP: it sends what `track`/`subscribe`/`identify` build and hands the answer to
//! their `parse`. No retries, no sleeps: the hub's call layer.
//!
//! - Track: the real-time query, one number in one network per call. A tracker names its
//!   network (`TrackQuery.network`); without one `track_parcels` refuses (fix input). The bare
//!   `track(numbers)`, whose callers cannot name a network, asks the auto-number service for
//!   the likeliest network first.
//! - Push: `subscribe` asks Kuaidi100 to POST each parcel's changes to the account's
//!   `callback_url`, signed with its `push_secret` as salt; `push::verify`/`parse` read them.
//! - Identify: the auto-number service.
//! - E-waybills (电子面单): `ship` buys the network's waybill number through Kuaidi100's
//!   `label/order` (`ewaybill.rs`) on an account with e-waybill credentials (`secret` and the
//!   network's partner account under `networks`); the service is the network. Kuaidi100 gives
//!   no label document the hub can keep (see `ewaybill.rs`), so the hub draws its 76×130 mm
//!   e-waybill. `void` cancels through the same endpoint (`method=cancel`). Capabilities are
//!   declared per carrier: an account without the credentials is refused at purchase, on the
//!   field it lacks.

mod account;
mod codes;
mod error;
mod ewaybill;
mod identify;
pub(crate) mod push;
mod sign;
mod subscribe;
#[cfg(test)]
pub(crate) mod tests;
mod track;
mod wire;

use async_trait::async_trait;

pub use account::Account;

use crate::carrier::{
    Capabilities, Capability, Carrier, CarrierCode, CarrierLimits, ServiceInfo, WeightRange,
    no_returns,
};
use crate::error::CarrierError;
use crate::http::{Answer, CarrierHttp};
use crate::model::{
    NetworkGuess, ServiceClass, ShipRequest, TrackQuery, TrackingNumber, TrackingResult, Waybill,
    WaybillRef, WeightUnit,
};
use crate::registry::{AccountError, CarrierEntry, PushIntake};
use error::{DIALECT, Op};
use rust_decimal::Decimal;

const CODE: CarrierCode = CarrierCode::from_static("kuaidi100");

/// The networks an e-waybill can be bought on: the service code is the Kuaidi100 company
/// code (the same one trackers name their network with).
const NETWORKS: &[ServiceInfo] = &[
    net("zhongtong", "中通快递"),
    net("yuantong", "圆通速递"),
    net("shentong", "申通快递"),
    net("yunda", "韵达快递"),
    net("jtexpress", "极兔速递"),
    net("jd", "京东快递"),
    net("ems", "EMS"),
];

const fn net(code: &'static str, name: &'static str) -> ServiceInfo {
    ServiceInfo {
        code,
        name,
        class: ServiceClass::Standard,
    }
}

/// Tracking, push, number detection, and e-waybills on the networks (see the module doc).
static CAPS: Capabilities = Capabilities {
    supports: &[
        Capability::Ship,
        Capability::Void,
        Capability::Track,
        Capability::PushTracking,
        Capability::Identify,
    ],
    track_batch_max: 1,
    label_formats: &[],
    services: NETWORKS,
    // The networks' common domestic parcel: 0.01 kg to 50 kg (not a published figure).
    parcel_weight: WeightRange::new(
        Decimal::from_parts(1, 0, 0, false, 2),
        Decimal::from_parts(50, 0, 0, false, 0),
        WeightUnit::Kg,
    ),
    options: &[],
};

/// The registry entry.
pub static ENTRY: CarrierEntry = CarrierEntry {
    code: CODE,
    name: "Kuaidi100 (快递100)",
    capabilities: &CAPS,
    needs_base_url: true,
    // The query and subscription host, the auto-number service's and the e-waybill's
    // (Kuaidi100 demos).
    hosts: &[
        "poll.kuaidi100.com",
        "www.kuaidi100.com",
        "api.kuaidi100.com",
    ],
    url_settings: &[],
    build,
    // An aggregator issues no numbers of its own.
    numbers: &[],
    push: Some(PushIntake {
        verify: push::verify,
        parse: push::parse,
        ack: Some(push::ACK),
        secret_to_carrier: true,
    }),
};

fn build(config: serde_json::Value, http: CarrierHttp) -> Result<Box<dyn Carrier>, AccountError> {
    let account = Account::from_json(&config, http.base_url.as_ref())?;
    Ok(Box::new(Kuaidi100 { account, http }))
}

/// The Kuaidi100 adapter for one enterprise account.
pub struct Kuaidi100 {
    account: Account,
    http: CarrierHttp,
}

impl Kuaidi100 {
    async fn post_form(&self, path: &str, form: &[(&str, String)]) -> Result<Answer, CarrierError> {
        let request = self.http.client.post(self.account.url(path)).form(form);
        self.http.send(request, CODE, false).await
    }

    /// One real-time query.
    async fn query(
        &self,
        network: &str,
        number: &TrackingNumber,
        phone: Option<&str>,
    ) -> Result<TrackingResult, CarrierError> {
        let form = track::form(
            network,
            number,
            phone,
            self.account.key.expose(),
            &self.account.customer,
        );
        let a = self.post_form("poll/query.do", &form).await?;
        DIALECT.read(Op::Query, &a, |resp| track::parse(resp, number))
    }

    fn one_at_a_time(n: usize) -> Result<(), CarrierError> {
        if n > CAPS.track_batch_max {
            return Err(CarrierError::rejected(
                CODE,
                "/tracking_numbers",
                None,
                "Kuaidi100 tracks one number per call; the hub splits larger batches",
            ));
        }
        Ok(())
    }
}

impl Kuaidi100 {
    /// The e-waybill credentials and the network's partner account, or why the purchase
    /// cannot be made on this account.
    fn ewaybill_for(
        &self,
        network: &str,
    ) -> Result<(&account::Ewaybill, &account::Network), CarrierError> {
        let Some(e) = &self.account.ewaybill else {
            return Err(CarrierError::rejected(
                CODE,
                "/carrier_account",
                None,
                "this Kuaidi100 account tracks only: give it e-waybill credentials (credentials.secret and credentials.networks) to buy waybills",
            ));
        };
        let n = e.networks.get(network).ok_or_else(|| {
            CarrierError::rejected(
                CODE,
                "/service",
                None,
                format!(
                    "this Kuaidi100 account has no e-waybill account for `{network}` (credentials.networks.{network}); it has {}",
                    e.networks.keys().cloned().collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
        Ok((e, n))
    }

    /// One signed `label/order` call.
    async fn label_call(
        &self,
        e: &account::Ewaybill,
        method: &str,
        param: &str,
    ) -> Result<Answer, CarrierError> {
        let t = (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000).to_string();
        let key = self.account.key.expose();
        let form = [
            ("method", method.to_string()),
            ("key", key.to_string()),
            ("t", t.clone()),
            ("sign", sign::label(param, &t, key, e.secret.expose())),
            ("param", param.to_string()),
        ];
        let request = self.http.client.post(e.url.clone()).form(&form);
        self.http
            .send(request, CODE, method == ewaybill::ORDER)
            .await
    }
}

/// A `label/order` answer: `code` 200 is read by `parse`, any other is a refusal.
fn read_label<R>(
    op: Op,
    a: &Answer,
    parse: impl FnOnce(ewaybill::LabelAnswer) -> Result<R, CarrierError>,
) -> Result<R, CarrierError> {
    DIALECT.read(op, a, |ans: ewaybill::LabelAnswer| {
        match ans.code.as_deref() {
            Some("200") => parse(ans),
            Some(code) => Err(error::refusal(op, code, ans.message.as_deref())),
            None => Err(DIALECT.protocol(a.status, &[], "an e-waybill answer without code")),
        }
    })
}

fn needs_network() -> CarrierError {
    CarrierError::rejected(
        CODE,
        "/network",
        None,
        "a Kuaidi100 tracker needs its network (the Kuaidi100 company code, such as zhongtong or yuantong)",
    )
}

#[async_trait]
impl Carrier for Kuaidi100 {
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

    fn daily_quota(&self) -> Option<u32> {
        self.account.daily_quota
    }

    /// Numbers alone: each one's network is the auto-number service's likeliest guess.
    async fn track(&self, numbers: &[TrackingNumber]) -> Result<Vec<TrackingResult>, CarrierError> {
        Self::one_at_a_time(numbers.len())?;
        let mut out = Vec::with_capacity(numbers.len());
        for n in numbers {
            let network = self
                .identify(n)
                .await?
                .into_iter()
                .next()
                .ok_or_else(needs_network)?;
            out.push(self.query(&network.code, n, None).await?);
        }
        Ok(out)
    }

    async fn track_parcels(
        &self,
        parcels: &[TrackQuery],
    ) -> Result<Vec<TrackingResult>, CarrierError> {
        Self::one_at_a_time(parcels.len())?;
        let mut out = Vec::with_capacity(parcels.len());
        for p in parcels {
            let network = p.network.as_deref().ok_or_else(needs_network)?;
            out.push(self.query(network, &p.number, p.phone.as_deref()).await?);
        }
        Ok(out)
    }

    async fn ship(&self, req: &ShipRequest) -> Result<Waybill, CarrierError> {
        no_returns(CODE, req)?;
        if CAPS.service(&req.service).is_none() {
            return Err(CarrierError::rejected(
                CODE,
                "/service",
                None,
                format!(
                    "`{}` is not a network Kuaidi100 e-waybills are sold on here; one of {}",
                    req.service,
                    NETWORKS
                        .iter()
                        .map(|s| s.code)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let (e, network) = self.ewaybill_for(&req.service)?;
        let param = ewaybill::order_param(req, network, &e.pay_type)?;
        let param = serde_json::to_string(&param).expect("wire types serialize");
        let a = self.label_call(e, ewaybill::ORDER, &param).await?;
        let parcels = req.shipment.parcels.len();
        read_label(Op::LabelOrder, &a, |ans| {
            ewaybill::parse_order(ans, &req.service, parcels)
        })
    }

    async fn void(&self, waybill: &WaybillRef) -> Result<(), CarrierError> {
        let (network, kd_order) = ewaybill::parse_shipment_id(&waybill.carrier_shipment_id)?;
        let (e, account) = self.ewaybill_for(network)?;
        let param = ewaybill::cancel_param(waybill, network, kd_order, account);
        let param = serde_json::to_string(&param).expect("wire types serialize");
        let a = self.label_call(e, ewaybill::CANCEL, &param).await?;
        read_label(Op::LabelCancel, &a, |_| Ok(()))
    }

    async fn subscribe(&self, parcel: &TrackQuery) -> Result<(), CarrierError> {
        let network = parcel.network.as_deref().ok_or_else(needs_network)?;
        let Some(callback_url) = &self.account.callback_url else {
            return Err(CarrierError::rejected(
                CODE,
                "/callback_url",
                None,
                "the Kuaidi100 account has no callback_url (the hub's https://…/v1/carrier-events/kuaidi100/{account}) to subscribe with",
            ));
        };
        let Some(salt) = &self.account.salt else {
            return Err(CarrierError::rejected(
                CODE,
                "/push_secret",
                None,
                "the Kuaidi100 account has no push_secret, the salt Kuaidi100 signs callbacks with",
            ));
        };
        let form = subscribe::form(
            network,
            parcel.number.as_str(),
            parcel.phone.as_deref(),
            self.account.key.expose(),
            callback_url.as_str(),
            salt.expose(),
        );
        let a = self.post_form("poll", &form).await?;
        DIALECT.read(Op::Subscribe, &a, subscribe::parse)
    }

    async fn identify(&self, number: &TrackingNumber) -> Result<Vec<NetworkGuess>, CarrierError> {
        let request = self
            .http
            .client
            .get(self.account.autonumber_url.clone())
            .query(&identify::query(number, self.account.key.expose()));
        let a = self.http.send(request, CODE, false).await?;
        DIALECT.read(Op::AutoNumber, &a, identify::parse)
    }
}

/// The CPU one tracking call costs without the network: the query's `param` built and
/// signed, its form encoded, then `response` parsed. For the adapter benchmarks.
#[doc(hidden)]
pub fn bench_track_cycle(response: &[u8]) -> Result<(usize, usize), CarrierError> {
    let number: TrackingNumber = "75312345678901".parse().expect("a number");
    let form = track::form(
        "zhongtong",
        &number,
        None,
        "k3yK3yk3y",
        "C0FFEE0123456789ABCDEF0123456789",
    );
    let body = serde_urlencoded_len(&form);
    let answer: wire::TrackAnswer = serde_json::from_slice(response)
        .map_err(|e| DIALECT.protocol(200, response, e.to_string()))?;
    Ok((body, track::parse(answer, &number)?.events.len()))
}

fn serde_urlencoded_len(form: &[(&str, String)]) -> usize {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter().map(|(k, v)| (*k, v.as_str())))
        .finish()
        .len()
}
