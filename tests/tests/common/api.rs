//! The one client the end-to-end tests speak to the hub's API with: a tenant's key on every
//! request, answers as `(status, JSON or null)`, and the raw response where a test reads
//! headers. Tests keep their domain steps (buy, subscribe, …) beside themselves.

use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};

use super::Hub;

/// The JSON line a freshly started hub printed on bootstrap (its API key and sandbox account).
pub fn bootstrap(hub: &Hub) -> Value {
    serde_json::from_str(&hub.stdout[0]).expect("bootstrap line")
}

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub key: String,
    /// The sandbox carrier account of the bootstrap (empty for a key given by the test).
    pub account: String,
}

impl Api {
    /// The tenant the hub bootstrapped on its fresh database: its key and sandbox account.
    pub fn of(hub: &Hub) -> Api {
        let boot = bootstrap(hub);
        Api {
            account: boot["carrier_account"].as_str().unwrap_or_default().into(),
            ..Api::with_key(hub, boot["api_key"].as_str().unwrap())
        }
    }

    /// Another tenant's key on the same hub.
    pub fn with_key(hub: &Hub, key: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: hub.base.clone(),
            key: key.into(),
            account: String::new(),
        }
    }

    /// After a restart: same tenant, the new process.
    pub fn at(&self, hub: &Hub) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: hub.base.clone(),
            ..self.clone()
        }
    }

    /// The same tenant through another client (a timeout, no pooling, …).
    pub fn using(self, http: reqwest::Client) -> Api {
        Api { http, ..self }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request with the tenant's key.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.key)
    }

    /// Sends `body` (when given) with an `Idempotency-Key` (when given); the transport's error
    /// is the caller's (a test that kills the hub expects some).
    pub async fn try_send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idem: Option<&str>,
    ) -> reqwest::Result<Response> {
        let mut req = self.request(method, path);
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(k) = idem {
            req = req.header("Idempotency-Key", k);
        }
        req.send().await
    }

    /// `try_send` that must reach the hub; the whole response.
    pub async fn response(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idem: Option<&str>,
    ) -> Response {
        self.try_send(method, path, body, idem).await.unwrap()
    }

    /// `try_send` that must reach the hub: the status and the JSON body (null when none).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        idem: Option<&str>,
    ) -> (StatusCode, Value) {
        answer(self.response(method, path, body, idem).await).await
    }

    pub async fn post(&self, path: &str, body: impl Serialize) -> (StatusCode, Value) {
        let body = serde_json::to_value(body).unwrap();
        self.send(Method::POST, path, Some(&body), None).await
    }

    /// A POST that must answer 201: what it created.
    pub async fn created(&self, path: &str, body: impl Serialize) -> Value {
        let (status, v) = self.post(path, body).await;
        assert_eq!(status, 201, "{v}");
        v
    }

    /// A POST with an `Idempotency-Key` when `idem` is given; the transport's error is the
    /// caller's.
    pub async fn try_post(
        &self,
        path: &str,
        body: &Value,
        idem: Option<&str>,
    ) -> reqwest::Result<(StatusCode, Value)> {
        let res = self.try_send(Method::POST, path, Some(body), idem).await?;
        Ok(answer(res).await)
    }

    /// A POST's whole response (for its headers), with an `Idempotency-Key` when given.
    pub async fn post_response(&self, path: &str, body: &Value, idem: Option<&str>) -> Response {
        self.response(Method::POST, path, Some(body), idem).await
    }

    /// A POST that must succeed (2xx): its JSON.
    pub async fn post_ok(&self, path: &str, body: impl Serialize) -> Value {
        let res = self
            .request(Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
        res.json().await.unwrap()
    }

    pub async fn put(&self, path: &str, body: impl Serialize) -> (StatusCode, Value) {
        let body = serde_json::to_value(body).unwrap();
        self.send(Method::PUT, path, Some(&body), None).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None, None).await
    }

    /// Sends `req` with the tenant's key: the status, content type and JSON body.
    pub async fn typed(&self, req: RequestBuilder) -> (StatusCode, String, Value) {
        typed_answer(req.bearer_auth(&self.key).send().await.unwrap()).await
    }

    pub async fn post_typed(&self, path: &str, body: &Value) -> (StatusCode, String, Value) {
        self.typed(self.http.post(self.url(path)).json(body)).await
    }

    pub async fn get_typed(&self, path: &str) -> (StatusCode, String, Value) {
        self.typed(self.http.get(self.url(path))).await
    }

    /// A GET's whole response (for its headers).
    pub async fn fetch(&self, path: &str) -> Response {
        self.response(Method::GET, path, None, None).await
    }

    /// A GET whose answer must be JSON, whatever its status.
    pub async fn json(&self, path: &str) -> Value {
        self.fetch(path).await.json().await.unwrap()
    }

    /// A GET that must answer 200: its JSON.
    pub async fn get_ok(&self, path: &str) -> Value {
        let (status, v) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {v}");
        v
    }

    /// A GET's status and body bytes (labels, CSV reports).
    pub async fn bytes(&self, path: &str) -> (StatusCode, Vec<u8>) {
        let res = self.fetch(path).await;
        (res.status(), res.bytes().await.unwrap().to_vec())
    }

    /// A GET's body as text (`/metrics`).
    pub async fn text(&self, path: &str) -> String {
        self.fetch(path).await.text().await.unwrap()
    }

    /// Buys a sandbox label (`sandbox_pdf_purchase` on the bootstrap account): the shipment.
    pub async fn buy_sandbox(&self, station: Option<&str>) -> Value {
        let body = sandbox_pdf_purchase(&self.account, station);
        let (status, s) = self.post("/v1/shipments", body).await;
        assert_eq!(status, 201, "{s}");
        s
    }

    /// Creates a carrier account (answered 201): its id.
    pub async fn create_account(&self, body: Value) -> String {
        let (status, created) = self.post("/v1/carrier-accounts", body).await;
        assert_eq!(status, 201, "{created}");
        created["id"].as_str().unwrap().to_string()
    }

    /// Every item of a cursor-paged list: `path` carries its query (`?limit=100`), the
    /// cursor is appended page by page.
    pub async fn all(&self, path: &str) -> Vec<Value> {
        let mut all = vec![];
        let mut cursor = String::new();
        loop {
            let page = self.get_ok(&format!("{path}{cursor}")).await;
            all.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = format!("&cursor={c}"),
                None => return all,
            }
        }
    }
}

/// A sandbox purchase of one 1.2 kg parcel with a hub-rendered PDF label, printed on
/// `station` when given.
pub fn sandbox_pdf_purchase(account: &str, station: Option<&str>) -> Value {
    let mut body = json!({
        "from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
        "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US"},
        "parcels":[{"weight":{"value":"1.2","unit":"kg"}}],
        "carrier_account": account, "service": "standard", "label_format": "pdf"
    });
    if let Some(s) = station {
        body["print_station"] = json!(s);
    }
    body
}

/// A UPS account at `base_url` with the credentials the UPS simulator takes.
pub fn ups_account(base_url: &str) -> Value {
    json!({"carrier":"ups","name":"UPS","base_url": base_url,
        "credentials":{"client_id":"ups-client","client_secret":"ups-secret","account_number":"A1B2C3"}})
}

/// A FedEx account at `base_url` with the credentials the FedEx simulator takes.
pub fn fedex_account(base_url: &str) -> Value {
    json!({"carrier":"fedex","name":"FedEx","base_url": base_url,
        "credentials":{"api_key":"fedex-key","secret_key":"fedex-secret","account_number":"740561073"}})
}

/// A DHL Express account on the DHL simulator at `sim_url` (MyDHL API and tracking).
pub fn dhl_account(sim_url: &str) -> Value {
    json!({"carrier":"dhl_express","name":"DHL Express","base_url": format!("{sim_url}/mydhlapi"),
        "credentials":{"api_key":"dhl-key","api_secret":"dhl-secret","account_number":"123456789",
                       "tracking_api_key":"dhl-unified-key","tracking_base_url": format!("{sim_url}/track")}})
}

/// A response's status and JSON body (null when it has none).
pub async fn answer(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A response's status, content type and JSON body (null when it has none).
pub async fn typed_answer(res: Response) -> (StatusCode, String, Value) {
    let ct = content_type(&res);
    let (status, body) = answer(res).await;
    (status, ct, body)
}

pub fn content_type(res: &Response) -> String {
    res.headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

pub fn is_problem(res: &Response) -> bool {
    content_type(res) == "application/problem+json"
}

/// The pointer of a problem's first error (empty when it has none).
pub fn pointer(problem: &Value) -> &str {
    problem["errors"][0]["pointer"].as_str().unwrap_or_default()
}
