//! The real-time query (`POST poll/query.do`, form `customer`, `sign`, `param`): one number in
//! one network per call (`track_batch_max = 1`). `param` asks `resultv2=4`, so each scan
//! carries its advanced state and `state` is the advanced one. Times have no offset: they are
//! China Standard Time. "No result yet" (`returnCode` 500) is an empty result, not an error.
//! A tracker's phone hint goes as `phone` (SF numbers are shown only with the sender's or
//! receiver's phone or its last four digits).

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

use crate::error::CarrierError;
use crate::model::{
    CHINA_STANDARD_TIME, CountryCode, Location, TrackingEvent, TrackingNumber, TrackingResult,
    TrackingStatus,
};

use super::codes::{self, State};
use super::error::{Op, is_fine, refusal};
use super::wire::{QueryParam, Scan, TrackAnswer};
use super::{CODE, sign};

/// The `resultv2` the adapter asks for: advanced states in scans and `state`.
pub(super) const RESULTV2: &str = "4";

/// The form fields of a query for `number` in `network`: the `param` text is signed exactly
/// as sent.
pub(super) fn form(
    network: &str,
    number: &TrackingNumber,
    phone: Option<&str>,
    key: &str,
    customer: &str,
) -> [(&'static str, String); 3] {
    let param = serde_json::to_string(&QueryParam {
        com: network,
        num: number.as_str(),
        resultv2: RESULTV2,
        phone,
    })
    .expect("wire types serialize");
    let sign = sign::request(&param, key, customer);
    [
        ("customer", customer.to_string()),
        ("sign", sign),
        ("param", param),
    ]
}

/// The result a query answer means for `number`: its scans, oldest first, or an empty
/// result for "no result yet"; a refusal is its error.
pub(super) fn parse(
    a: TrackAnswer,
    number: &TrackingNumber,
) -> Result<TrackingResult, CarrierError> {
    if let Some(code) = a.return_code.as_deref().filter(|c| *c != "200") {
        if is_fine(Op::Query, code) {
            return Ok(no_result(number, code, a.message.as_deref()));
        }
        return Err(refusal(Op::Query, code, a.message.as_deref()));
    }
    let Some(state_code) = a.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(CarrierError::Protocol {
            carrier: CODE,
            status: 200,
            body: crate::error::RawBody(Vec::new()),
            message: "a query answer without returnCode or state".into(),
        });
    };
    let events = events(&a.data, Some(state_code))?;
    let state = codes::state(state_code);
    let mut warnings = Vec::new();
    if state.is_none() {
        warnings.push(format!("{state_code}: a Kuaidi100 state we do not know"));
    }
    Ok(TrackingResult {
        tracking_number: number.clone(),
        status: state.map_or(TrackingStatus::Unknown, |s| s.status),
        carrier_code: state_code.to_string(),
        events,
        estimated_delivery: None,
        signed_by: None,
        warnings,
        other_shipments: Vec::new(),
    })
}

/// "No result yet" for `number`: nothing known, Kuaidi100's words kept as a warning.
pub(super) fn no_result(
    number: &TrackingNumber,
    code: &str,
    message: Option<&str>,
) -> TrackingResult {
    TrackingResult {
        tracking_number: number.clone(),
        status: TrackingStatus::Unknown,
        carrier_code: code.to_string(),
        events: Vec::new(),
        estimated_delivery: None,
        signed_by: None,
        warnings: vec![format!(
            "{code}: {}",
            message.unwrap_or("no result yet").trim()
        )],
        other_shipments: Vec::new(),
    }
}

/// The scans as events, oldest first (Kuaidi100 lists newest first). A scan without its own
/// state takes it from its name, and the newest one from the parcel's `state`.
pub(super) fn events(
    data: &[Scan],
    state: Option<&str>,
) -> Result<Vec<TrackingEvent>, CarrierError> {
    let mut events = Vec::with_capacity(data.len());
    let mut newest: Option<OffsetDateTime> = None;
    for s in data {
        let at = occurred_at(s)?;
        newest = newest.max(Some(at));
        events.push((at, s));
    }
    let mut out: Vec<TrackingEvent> = events
        .into_iter()
        .map(|(at, s)| {
            let is_newest = Some(at) == newest;
            let known = scan_state(s)
                .or_else(|| is_newest.then_some(state).flatten().and_then(codes::state));
            event(at, s, known)
        })
        .collect();
    out.sort_by_key(|e| e.occurred_at);
    Ok(out)
}

/// The scan's own state: its `statusCode`, else its state's name.
fn scan_state(s: &Scan) -> Option<&'static State> {
    s.status_code
        .as_deref()
        .and_then(codes::state)
        .or_else(|| s.status.as_deref().and_then(codes::state_named))
}

fn event(at: OffsetDateTime, s: &Scan, state: Option<&'static State>) -> TrackingEvent {
    let raw = s
        .status_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .or_else(|| state.map(|st| st.code.to_string()))
        .unwrap_or_default();
    TrackingEvent {
        occurred_at: at,
        status: state.map_or(TrackingStatus::Unknown, |st| st.status),
        carrier_code: raw,
        sub_status: state.and_then(|st| st.sub_status).map(str::to_string),
        description: s.context.as_deref().unwrap_or("").trim().to_string(),
        location: location(s.area_name.as_deref()),
    }
}

/// `广东,深圳市` (province, city[, district]) as a place in China.
fn location(area: Option<&str>) -> Option<Location> {
    let mut parts = area?.split(',').map(str::trim).filter(|p| !p.is_empty());
    let state = parts.next()?.to_string();
    let city = parts.next().map(str::to_string);
    Some(Location {
        city,
        state: Some(state),
        postal_code: None,
        country: "CN".parse::<CountryCode>().ok(),
    })
}

/// The scan's time (`ftime`, else `time`: `2023-05-04 10:21:07`) in China Standard Time.
fn occurred_at(s: &Scan) -> Result<OffsetDateTime, CarrierError> {
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let text = s
        .ftime
        .as_deref()
        .or(s.time.as_deref())
        .map(str::trim)
        .unwrap_or("");
    PrimitiveDateTime::parse(text, fmt)
        .map(|t| t.assume_offset(CHINA_STANDARD_TIME))
        .map_err(|_| CarrierError::Protocol {
            carrier: CODE,
            status: 200,
            body: crate::error::RawBody(Vec::new()),
            message: format!("a scan time `{text}` that is not `YYYY-MM-DD hh:mm:ss`"),
        })
}
