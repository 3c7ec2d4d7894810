//! The hub's agent endpoints, called with the station token.

use std::time::Duration;

use serde::Deserialize;

use crate::journal::Job;

#[derive(Debug)]
pub enum HubError {
    /// Network trouble or a 5xx/429: try again later.
    Unreachable(String),
    /// The token was refused (rotated or wrong): nothing will work until it is fixed.
    Unauthorized(String),
    /// Any other answer: a bug on one side; retried, but logged loudly.
    Unexpected(String),
}

impl std::fmt::Display for HubError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HubError::Unreachable(d) => write!(f, "hub unreachable: {d}"),
            HubError::Unauthorized(d) => write!(f, "station token refused: {d}"),
            HubError::Unexpected(d) => write!(f, "unexpected answer from the hub: {d}"),
        }
    }
}

/// What the hub made of an acknowledgement.
#[derive(Debug, PartialEq, Eq)]
pub enum Acked {
    Recorded,
    /// The hub no longer takes it (404: gone; 409: another outcome recorded). Nothing to
    /// retry; logged.
    Refused(String),
}

pub struct Hub {
    http: reqwest::Client,
    base: url::Url,
    token: String,
    printer: PrinterSpec,
}

/// What the agent tells the hub about its printer with every poll (the first one after a
/// start or reconnect is the one that counts), so that jobs come rendered in the printer's
/// language and resolution. `None`: not told; the station's declaration stands.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrinterSpec {
    /// `zpl` or `pdf`.
    pub language: Option<&'static str>,
    /// 203 or 300.
    pub dpi: Option<u16>,
}

#[derive(Deserialize)]
struct Jobs {
    jobs: Vec<WireJob>,
}

#[derive(Deserialize)]
struct WireJob {
    id: String,
    tracking_number: String,
    /// The shipment's reference (hubs before it was sent: absent).
    #[serde(default)]
    reference: Option<String>,
    format: String,
    copies: u32,
    document: WireDocument,
}

#[derive(Deserialize)]
struct WireDocument {
    media_type: String,
    encoding: String,
    content: String,
}

impl Hub {
    pub fn new(base: url::Url, token: String, printer: PrinterSpec) -> Hub {
        let http = reqwest::Client::builder()
            .user_agent(concat!("shiphub-print-agent/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("HTTP client builds");
        Hub {
            http,
            base,
            token,
            printer,
        }
    }

    fn url(&self, path: &str) -> url::Url {
        self.base.join(path).expect("static paths join")
    }

    async fn check(res: reqwest::Response) -> Result<reqwest::Response, HubError> {
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        let body = res.text().await.unwrap_or_default();
        let detail = format!("{status}: {}", body.chars().take(300).collect::<String>());
        Err(match status.as_u16() {
            401 | 403 => HubError::Unauthorized(detail),
            429 | 500..=599 => HubError::Unreachable(detail),
            _ => HubError::Unexpected(detail),
        })
    }

    fn unreachable(e: reqwest::Error) -> HubError {
        HubError::Unreachable(e.to_string())
    }

    /// Long-polls for jobs (up to `wait` seconds).
    pub async fn poll(&self, wait: u64) -> Result<Vec<Job>, HubError> {
        let mut url = self.url("v1/print-stations/self/jobs");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("wait", &wait.to_string());
            if let Some(language) = self.printer.language {
                q.append_pair("printer_language", language);
            }
            if let Some(dpi) = self.printer.dpi {
                q.append_pair("dpi", &dpi.to_string());
            }
        }
        let res = self
            .http
            .get(url)
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(wait + 30))
            .send()
            .await
            .map_err(Self::unreachable)?;
        let jobs: Jobs = Self::check(res)
            .await?
            .json()
            .await
            .map_err(|e| HubError::Unexpected(format!("jobs body: {e}")))?;
        jobs.jobs
            .into_iter()
            .map(|j| {
                if j.document.encoding != "base64" {
                    return Err(HubError::Unexpected(format!(
                        "job {}: document encoding {}",
                        j.id, j.document.encoding
                    )));
                }
                Ok(Job {
                    id: j.id,
                    tracking_number: j.tracking_number,
                    format: j.format,
                    copies: j.copies,
                    media_type: j.document.media_type,
                    reference: j.reference,
                    content: j.document.content,
                })
            })
            .collect()
    }

    pub async fn ack(
        &self,
        id: &str,
        status: &str,
        detail: Option<&str>,
    ) -> Result<Acked, HubError> {
        let res = self
            .http
            .post(self.url(&format!("v1/print-jobs/{id}/ack")))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(30))
            .json(&serde_json::json!({ "status": status, "detail": detail }))
            .send()
            .await
            .map_err(Self::unreachable)?;
        match res.status().as_u16() {
            404 | 409 => Ok(Acked::Refused(
                res.text()
                    .await
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect(),
            )),
            _ => Self::check(res).await.map(|_| Acked::Recorded),
        }
    }

    pub async fn report(&self, printer: &str, detail: Option<&str>) -> Result<(), HubError> {
        let res = self
            .http
            .post(self.url("v1/print-stations/self/status"))
            .bearer_auth(&self.token)
            .timeout(Duration::from_secs(30))
            .json(&serde_json::json!({ "printer": printer, "detail": detail }))
            .send()
            .await
            .map_err(Self::unreachable)?;
        Self::check(res).await.map(|_| ())
    }
}
