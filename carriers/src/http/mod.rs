//! `CarrierHttp`: a shared HTTP client plus the account's base URL. No retries here: the
//! hub's call layer retries, so an adapter's request is sent exactly once per call. The hub's
//! client enforces its target policy (`shiphub::outbound`: official or operator-listed hosts,
//! checked on every connection, no redirects), so adapters build every URL from `base_url` or
//! a setting their entry declares in `url_settings`.
//!
//! Everything an adapter needs around a request lives here once: endpoint paths under the
//! base URL, the send with timeout, transport-failure classification (`maybe_processed`),
//! Retry-After, body capture with redaction, and the `Secret` type. A carrier folder keeps
//! only what is its own: building requests, parsing answers, its codes.

pub mod lenient;

use std::fmt;
use std::time::{Duration, SystemTime};

use url::Url;

use crate::carrier::CarrierCode;
use crate::error::{CarrierError, RawBody};
use crate::registry::AccountError;

/// HTTP access for one carrier account.
#[derive(Clone, Debug)]
pub struct CarrierHttp {
    /// Shared connection pool.
    pub client: reqwest::Client,
    /// The carrier host for this account (production, sandbox or a simulator).
    pub base_url: Option<Url>,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl CarrierHttp {
    /// A client with the hub's defaults (connection pooling, gzip, 30 s timeout).
    pub fn new(client: reqwest::Client, base_url: Option<Url>) -> Self {
        Self {
            client,
            base_url,
            timeout: Duration::from_secs(30),
        }
    }
    /// A client for tests and offline carriers.
    pub fn offline() -> Self {
        Self::new(reqwest::Client::new(), None)
    }
}

/// `path` under `base`, keeping any path prefix the base URL has (`/mydhlapi/test`).
pub fn endpoint(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend(path.split('/'));
    }
    url
}

/// The account's base URL when it is one an adapter can build endpoints on (http(s), not a
/// `mailto:`-like URL); otherwise `AccountError` on `/base_url` with `message`.
pub fn require_base_url(http: &CarrierHttp, message: &str) -> Result<Url, AccountError> {
    http.base_url
        .clone()
        .filter(|u| matches!(u.scheme(), "http" | "https") && !u.cannot_be_a_base())
        .ok_or_else(|| AccountError {
            field: "/base_url".into(),
            message: message.into(),
        })
}

/// A request that failed on the way. Only a connection never made (or a request never built)
/// is certain not to have reached the carrier; after a timeout or a dropped connection a call
/// that `buys` (a purchase) may have gone through, so it is marked `maybe_processed`.
pub fn transport(carrier: CarrierCode, buys: bool, e: &reqwest::Error) -> CarrierError {
    CarrierError::Transient {
        carrier,
        message: if e.is_timeout() {
            "timed out".into()
        } else {
            format!("transport error: {e}")
        },
        maybe_processed: buys && !e.is_connect() && !e.is_builder(),
    }
}

/// Retry-After as delta-seconds or an HTTP date (RFC 9110 §10.2.3), relative to `now`; a date
/// in the past is no wait at all.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// One answer as read off the wire: status, Retry-After (when the carrier sent one) and the
/// body.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// The Retry-After header, read now.
    pub retry_after: Option<Duration>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl Answer {
    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
    /// The body as JSON `T`; a body that does not fit is `Protocol` for `carrier`, kept
    /// through [`redact`] with `keys`.
    pub fn json<T: serde::de::DeserializeOwned>(
        &self,
        carrier: CarrierCode,
        keys: &[&str],
    ) -> Result<T, CarrierError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| protocol(carrier, self.status, &self.body, keys, e.to_string()))
    }
}

impl CarrierHttp {
    /// Sends `request` once with this account's timeout and reads the whole answer. A failure
    /// on the way is [`transport`]'s classification for `carrier` (`buys`: the call purchases).
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        carrier: CarrierCode,
        buys: bool,
    ) -> Result<Answer, CarrierError> {
        let response = request
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|e| transport(carrier.clone(), buys, &e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, SystemTime::now()));
        let body = response
            .bytes()
            .await
            .map_err(|e| transport(carrier, buys, &e))?;
        Ok(Answer {
            status,
            retry_after,
            body: body.to_vec(),
        })
    }
}

/// Bodies kept for diagnosis stop here (a label is hundreds of KiB).
pub const KEPT_BODY: usize = 8 * 1024;

/// A body kept for diagnosis: cut at [`KEPT_BODY`], with the string value of every key in
/// `keys` (tokens, secrets, label images; written with their quotes, `"\"access_token\""`)
/// blanked to `***`.
pub fn redact(body: &[u8], keys: &[&str]) -> RawBody {
    let mut text = String::from_utf8_lossy(&body[..body.len().min(KEPT_BODY)]).into_owned();
    for key in keys {
        let mut from = 0;
        while let Some(at) = text[from..].find(key).map(|i| i + from) {
            let after = at + key.len();
            let rest = &text[after..];
            let Some(open) = rest
                .find('"')
                .filter(|i| rest[..*i].trim().trim_start_matches(':').trim().is_empty())
            else {
                from = after;
                continue;
            };
            let start = after + open + 1;
            let end = text[start..]
                .find('"')
                .map(|i| start + i)
                .unwrap_or(text.len());
            text.replace_range(start..end, "***");
            from = start + 3;
        }
    }
    RawBody(text.into_bytes())
}

/// A `Protocol` error for `carrier` with its body kept through [`redact`].
pub fn protocol(
    carrier: CarrierCode,
    status: u16,
    body: &[u8],
    keys: &[&str],
    message: impl Into<String>,
) -> CarrierError {
    CarrierError::Protocol {
        carrier,
        status,
        body: redact(body, keys),
        message: message.into(),
    }
}

/// A `Protocol` error raised by a pure `parse` (which has no bytes) completed with the body
/// it came from; any other error as it is.
pub fn with_body(e: CarrierError, body: &[u8], keys: &[&str]) -> CarrierError {
    match e {
        CarrierError::Protocol {
            carrier,
            status,
            message,
            ..
        } => protocol(carrier, status, body, keys, message),
        other => other,
    }
}

/// How one carrier's answers read, declared once in its `error.rs`: its code, the keys a kept
/// body blanks, and its error table for a non-2xx answer. The verbs in a carrier's `mod.rs`
/// then send, [`read`](Self::read) and are done: decoding, parsing and attaching the body to
/// a `Protocol` error raised by a pure `parse` happen here, the same for every carrier.
pub struct Dialect<Op: 'static> {
    /// The carrier's code, for the errors made here.
    pub carrier: CarrierCode,
    /// Keys whose string values never stay in a kept body (see [`redact`]).
    pub redacted: &'static [&'static str],
    /// The carrier's error for a non-2xx answer: operation, status, Retry-After, body.
    pub classify: fn(Op, u16, Option<Duration>, &[u8]) -> CarrierError,
}

impl<Op: Copy> Dialect<Op> {
    /// The error `classify` makes of `a`.
    pub fn classify(&self, op: Op, a: &Answer) -> CarrierError {
        (self.classify)(op, a.status, a.retry_after, &a.body)
    }

    /// A 2xx answer as JSON `T`; any other through the carrier's error table.
    pub fn decode<T: serde::de::DeserializeOwned>(
        &self,
        op: Op,
        a: &Answer,
    ) -> Result<T, CarrierError> {
        if !a.is_success() {
            return Err(self.classify(op, a));
        }
        a.json(self.carrier.clone(), self.redacted)
    }

    /// `parse` over the answer `decode` made, a `Protocol` error it raises completed with
    /// the body (`parse` is pure and never sees bytes).
    pub fn parse<T, R>(
        &self,
        a: &Answer,
        decoded: Result<T, CarrierError>,
        parse: impl FnOnce(T) -> Result<R, CarrierError>,
    ) -> Result<R, CarrierError> {
        parse(decoded?).map_err(|e| with_body(e, &a.body, self.redacted))
    }

    /// [`decode`](Self::decode) then [`parse`](Self::parse).
    pub fn read<T: serde::de::DeserializeOwned, R>(
        &self,
        op: Op,
        a: &Answer,
        parse: impl FnOnce(T) -> Result<R, CarrierError>,
    ) -> Result<R, CarrierError> {
        self.parse(a, self.decode(op, a), parse)
    }

    /// The CPU one call costs without the network: the `built` request serialized, then
    /// `response` deserialized and parsed. For the adapter benchmarks.
    #[doc(hidden)]
    pub fn cycle<W: serde::Serialize, T: serde::de::DeserializeOwned, R>(
        &self,
        built: W,
        response: &[u8],
        parse: impl FnOnce(T) -> Result<Vec<R>, CarrierError>,
    ) -> Result<(usize, usize), CarrierError> {
        let body = serde_json::to_vec(&built).expect("wire types serialize");
        let resp: T = serde_json::from_slice(response)
            .map_err(|e| self.protocol(200, response, e.to_string()))?;
        Ok((body.len(), parse(resp)?.len()))
    }

    /// A `Protocol` error for a body the carrier's code could not read, kept redacted.
    pub fn protocol(&self, status: u16, body: &[u8], message: impl Into<String>) -> CarrierError {
        protocol(self.carrier.clone(), status, body, self.redacted, message)
    }
}

/// A credential that never appears in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: String) -> Self {
        Self(value)
    }
    /// The credential itself, for the request that needs it only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_http_date() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(retry_after(" 120 ", now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn redaction_blanks_every_named_key_and_caps_the_body() {
        let b = br#"{"access_token": "abc", "x": {"access_token":"def"}, "label": "L"}"#;
        let kept = String::from_utf8(redact(b, &["\"access_token\"", "\"label\""]).0).unwrap();
        assert_eq!(
            kept,
            r#"{"access_token": "***", "x": {"access_token":"***"}, "label": "***"}"#
        );
        assert_eq!(redact(&vec![b'x'; 20_000], &[]).0.len(), KEPT_BODY);
        assert_eq!(format!("{:?}", Secret::new("s3cr3t".into())), "Secret(***)");
    }
}
