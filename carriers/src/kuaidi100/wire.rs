//! Kuaidi100's wire shapes, as its official demos declare them (`fixtures/SOURCES.md`): the
//! `param` JSON of the real-time query and of the `poll` subscription, the query answer (also
//! the callback's `lastResult`), the callback envelope, the auto-number answer and the common
//! `{result, returnCode, message}` envelope every refusal uses. Kuaidi100 writes numbers as
//! strings (`"state": "3"`) in some answers and as numbers in others, so codes are read leniently.

use serde::{Deserialize, Serialize};

use crate::http::lenient;

/// `param` of `poll/query.do` (the real-time query).
#[derive(Debug, Serialize)]
pub(super) struct QueryParam<'a> {
    /// The network's company code (`zhongtong`).
    pub com: &'a str,
    /// The number.
    pub num: &'a str,
    /// `4`: the events carry the advanced status (`statusCode`) and `state` is the advanced
    /// state (1001, 301 …).
    pub resultv2: &'static str,
    /// The sender's or receiver's phone (or its last four digits): SF numbers need it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<&'a str>,
}

/// `param` of `poll` (the push subscription).
#[derive(Debug, Serialize)]
pub(super) struct PollParam<'a> {
    pub company: &'a str,
    pub number: &'a str,
    /// The authorization key (the subscription is signed by nothing else).
    pub key: &'a str,
    pub parameters: PollParameters<'a>,
}

/// `param.parameters` of `poll`.
#[derive(Debug, Serialize)]
pub(super) struct PollParameters<'a> {
    /// Where Kuaidi100 POSTs the callbacks.
    pub callbackurl: &'a str,
    /// Kuaidi100 signs each callback with `MD5(param + salt)`.
    pub salt: &'a str,
    /// As the query's `resultv2`.
    pub resultv2: &'static str,
    /// As the query's `phone` ("顺丰单号必填").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<&'a str>,
}

/// The real-time query's answer, and a callback's `lastResult`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TrackAnswer {
    /// The number, as Kuaidi100 spells it.
    #[serde(default, deserialize_with = "lenient::text")]
    pub nu: Option<String>,
    /// The parcel's state (base or, with `resultv2=4`, advanced).
    #[serde(default, deserialize_with = "lenient::text")]
    pub state: Option<String>,
    /// Newest first unless asked otherwise.
    #[serde(default, deserialize_with = "lenient::list")]
    pub data: Vec<Scan>,
    /// Present on a refusal (`"500"`, `"503"` …); a success answer has none or `"200"`.
    #[serde(default, deserialize_with = "lenient::text")]
    pub return_code: Option<String>,
    /// Kuaidi100's words (`ok`, or why it refused).
    #[serde(default, deserialize_with = "lenient::text")]
    pub message: Option<String>,
}

/// One scan (`data[]`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Scan {
    /// Local time (`2023-05-04 10:21:07`), China Standard Time.
    #[serde(default, deserialize_with = "lenient::text")]
    pub time: Option<String>,
    /// The same, formatted by Kuaidi100.
    #[serde(default, deserialize_with = "lenient::text")]
    pub ftime: Option<String>,
    /// The network's words.
    #[serde(default, deserialize_with = "lenient::text")]
    pub context: Option<String>,
    /// The state's name (`在途`, `签收` …).
    #[serde(default, deserialize_with = "lenient::text")]
    pub status: Option<String>,
    /// The advanced state (`resultv2=4`).
    #[serde(default, deserialize_with = "lenient::text")]
    pub status_code: Option<String>,
    /// The administrative division's name (`广东,深圳市`).
    #[serde(default, deserialize_with = "lenient::text")]
    pub area_name: Option<String>,
}

/// A callback's `param`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Callback {
    // `status` (`polling`, `shutdown`, `abort`, `updateall`) and `message` are not read:
    // see `push.rs` for why each adds nothing beyond its scans.
    /// The whole tracking, as the query answers it.
    #[serde(default, deserialize_with = "lenient::object")]
    pub last_result: Option<TrackAnswer>,
}

/// One network the auto-number service proposes.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct AutoGuess {
    #[serde(default, deserialize_with = "lenient::text")]
    pub com_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub name: Option<String>,
}

/// The envelope of a subscription answer and of every refusal.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Envelope {
    // `result` repeats what `returnCode` says.
    #[serde(default, deserialize_with = "lenient::text")]
    pub return_code: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    pub message: Option<String>,
}
