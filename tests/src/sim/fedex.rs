//! FedEx simulator: the OAuth token endpoint and the Rate, Ship, Cancel and Track APIs on
//! loopback, answering in FedEx's shapes (`../shared/carriers/fedex/openapi`, the samples
//! there, and the fixtures in `carriers/src/fedex/fixtures`). It owns realistic answers and
//! scripted faults; it does not try to be FedEx's pricing or network.
//!
//! - Tokens are really issued (`POST /oauth/token`, form-encoded client credentials) and
//!   checked: an API call with a token the simulator did not issue answers 401
//!   `NOT.AUTHORIZED.ERROR`. A queued `Unauthorized` fault also revokes the token it was
//!   presented with, as an expiry would, so an adapter's single refresh shows end to end.
//! - Rate quotes ground/home delivery, 2Day, Standard and Priority Overnight inside a country,
//!   International Economy and Priority across borders, with ACCOUNT and LIST rates whose
//!   lines add up exactly (whole cents).
//! - Ship issues unique 12-digit tracking numbers (master first), one label per piece in the
//!   asked image type: a small valid 4x6 PDF, ZPL II, or a 1x1 PNG.
//! - Cancel answers `cancelledShipment: true` once per shipment, `false` after that, and 400
//!   `TRACKINGNUMBER.ENTERED.INVALID` for numbers it never issued.
//! - Track (up to 30 numbers) walks a shipped parcel through OC, PU, AR, OD, DL, one scan every
//!   two seconds after shipping; cancelled parcels show CA; unknown numbers answer FedEx's
//!   per-number `TRACKING.TRACKINGNUMBER.NOTFOUND`.
//!
//! - Rate and Ship price the special services asked (signature per package by type, Saturday
//!   delivery, dry ice per package, declared value above USD 100) as FedEx surcharge lines;
//!   Rate leaves out a service that does not carry one, Ship refuses it, as the Special Service
//!   Options answer (`POST /availability/v1/specialserviceoptions`) lists per service: Saturday
//!   delivery on Priority Overnight, 2Day and International Priority, dry ice on Express only,
//!   signature, batteries and printed return labels everywhere.
//! - Address Validation (`POST /address/v1/addresses/resolve`) standardizes US and CA
//!   addresses (upper case, ZIP+4, classification from the street: `APT`/`UNIT`/`#`
//!   residential, else business), answers a bare `<n> MAIN ST` with two directional candidates
//!   (`MultipleMatches`), other countries as not supported (`AddressType: RAW`), and postal code
//!   `00000` or a street naming `NOWHERE` with the spec's 400 `STANDARDIZED.ADDRESS.NOTFOUND`.
//! - Pickup (`POST /pickup/v1/pickups`, `PUT /pickup/v1/pickups/cancel`) checks the formats
//!   (`readyDateTimestamp` without zone, `customerCloseTime` `HH:MM:SS`, `carrierCode`
//!   FDXE/FDXG, `packageLocation` for Ground, `remarks` ≤ 60), refuses a past day with
//!   `PICKUP.REQUESTED.PREVIOUS.DAY`, answers a confirmation (and an Express `location`), and
//!   cancels once when the confirmation, date, operating company and location match.
//! - Ground End of Day Close (`PUT /ship/v1/endofday/`, FedEx's "Ship EndofDayClose API":
//!   `closeReqType` `GCDR`, `groundServiceCategory` `GROUND`, `accountNumber`, `closeDate`
//!   `YYYY-MM-DD`, else the spec's 400 `AVAILABILITY.SHIP.DATE.INVALID` for a bad date) closes
//!   the account's day: one `MANIFEST` close document whose `shippingCycle` is new each close
//!   and whose one part is the Ground manifest as base64 text (FedEx: "only available in text
//!   (.txt) format") listing the Ground parcels shipped that day (UTC), uncancelled.
//!
//! Faults come from [`Sim::take_fault`] by request path: `Unauthorized` → 401, `RateLimited`
//! → 429 (with `Retry-After` when given), `ServerError` → 500, `Slow` → the normal answer
//! late, `Malformed` → 200 with truncated JSON.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use base64::Engine;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Weekday};

use super::{FaultWords, Sim};

/// A 1×1 PNG, for `imageType: PNG`.
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==";

/// Seconds between two scripted scans.
const STEP_SECS: i64 = 2;

const SCRIPT: [(&str, &str, &str); 5] = [
    ("OC", "Shipment information sent to FedEx", "IN"),
    ("PU", "Picked up", "PU"),
    ("AR", "Arrived at FedEx location", "IT"),
    ("OD", "On FedEx vehicle for delivery", "OD"),
    ("DL", "Delivered", "DL"),
];

struct Shipped {
    at: OffsetDateTime,
    cancelled: bool,
    city: String,
    country: String,
}

struct Booked {
    carrier: String,
    location: Option<String>,
    date: Date,
    cancelled: bool,
}

#[derive(Default)]
struct FedexState {
    tokens: Mutex<HashSet<String>>,
    shipped: Mutex<HashMap<String, Shipped>>,
    pickups: Mutex<HashMap<String, Booked>>,
    next: AtomicU64,
}

#[derive(Clone)]
struct App {
    sim: Sim,
    fedex: Arc<FedexState>,
    /// First tracking number this instance issues: time-seeded, so numbers stay unique across
    /// simulator restarts against a persistent hub database.
    first_number: u64,
}

pub fn router(sim: Sim) -> Router {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let app = App {
        sim: sim.clone(),
        fedex: Arc::default(),
        first_number: 700_000_000_000 + (secs % 90_000_000) * 1000,
    };
    Router::new()
        .route("/oauth/token", post(token))
        .route("/rate/v1/rates/quotes", post(rate))
        .route("/ship/v1/shipments", post(ship))
        .route("/ship/v1/shipments/cancel", put(cancel))
        .route("/track/v1/trackingnumbers", post(track))
        .route("/address/v1/addresses/resolve", post(resolve))
        .route("/pickup/v1/pickups", post(create_pickup))
        .route("/pickup/v1/pickups/cancel", put(cancel_pickup))
        .route("/ship/v1/endofday/", put(end_of_day_close))
        .route(
            "/availability/v1/specialserviceoptions",
            post(special_options),
        )
        .with_state(app)
        .merge(super::control(sim))
}

fn transaction_id(app: &App) -> String {
    format!("sim-{:012}", app.fedex.next.fetch_add(1, Ordering::Relaxed))
}

fn fedex_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({
            "transactionId": "sim-error",
            "errors": [{"code": code, "message": message}]
        })),
    )
        .into_response()
}

/// FedEx's error codes for the simulated faults.
const FAULT_WORDS: FaultWords = FaultWords {
    unauthorized: (
        "NOT.AUTHORIZED.ERROR",
        "Access token expired. Please modify your request and try again.",
    ),
    rate_limited: ("TOO.MANY.REQUESTS", "Too many requests"),
    server_error: (
        "INTERNAL.SERVER.ERROR",
        "We encountered an unexpected error and are working to resolve the issue.",
    ),
    truncated_body: r#"{"transactionId":"sim","output":{"rateReplyDetails":[{"serviceType":"FEDEX_GR"#,
};

/// The next queued fault for `path`, in FedEx's words (see [`Sim::fault`]). A simulated
/// expiry revokes the caller's token, so the adapter must fetch a new one.
async fn fault(app: &App, path: &str, headers: &HeaderMap) -> Option<Response> {
    let r = app.sim.fault(path, &FAULT_WORDS, fedex_error).await?;
    if r.status() == StatusCode::UNAUTHORIZED
        && let Some(t) = bearer(headers)
    {
        app.fedex.tokens.lock().unwrap().remove(t);
    }
    Some(r)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// Fault first, then the token check every FedEx API does.
async fn guard(app: &App, path: &str, headers: &HeaderMap) -> Option<Response> {
    if let Some(r) = fault(app, path, headers).await {
        return Some(r);
    }
    let known = bearer(headers).is_some_and(|t| app.fedex.tokens.lock().unwrap().contains(t));
    (!known).then(|| {
        fedex_error(
            StatusCode::UNAUTHORIZED,
            "NOT.AUTHORIZED.ERROR",
            "Access token expired. Please modify your request and try again.",
        )
    })
}

async fn token(
    State(app): State<App>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(r) = fault(&app, "/oauth/token", &headers).await {
        return r;
    }
    let given = |k: &str| form.get(k).is_some_and(|v| !v.is_empty());
    if form.get("grant_type").map(String::as_str) != Some("client_credentials")
        || !given("client_id")
        || !given("client_secret")
    {
        return fedex_error(
            StatusCode::UNAUTHORIZED,
            "NOT.AUTHORIZED.ERROR",
            "The given client credentials were not valid. Please modify your request and try again.",
        );
    }
    let n = app.fedex.next.fetch_add(1, Ordering::Relaxed);
    let t = format!("sim-fedex-token-{n}-{}", app.first_number);
    app.fedex.tokens.lock().unwrap().insert(t.clone());
    axum::Json(
        json!({"access_token": t, "token_type": "bearer", "expires_in": 3599, "scope": "CXS"}),
    )
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Pricing, in whole cents so every breakdown adds up exactly.

struct Service {
    code: &'static str,
    name: &'static str,
    base_cents: i64,
    per_lb_cents: i64,
    days: i64,
}

const DOMESTIC: [Service; 5] = [
    Service {
        code: "FEDEX_GROUND",
        name: "FedEx Ground®",
        base_cents: 950,
        per_lb_cents: 110,
        days: 4,
    },
    Service {
        code: "GROUND_HOME_DELIVERY",
        name: "FedEx Home Delivery®",
        base_cents: 990,
        per_lb_cents: 115,
        days: 4,
    },
    Service {
        code: "FEDEX_2_DAY",
        name: "FedEx 2Day®",
        base_cents: 2100,
        per_lb_cents: 290,
        days: 2,
    },
    Service {
        code: "STANDARD_OVERNIGHT",
        name: "FedEx Standard Overnight®",
        base_cents: 3800,
        per_lb_cents: 420,
        days: 1,
    },
    Service {
        code: "PRIORITY_OVERNIGHT",
        name: "FedEx Priority Overnight®",
        base_cents: 4500,
        per_lb_cents: 480,
        days: 1,
    },
];
const INTERNATIONAL: [Service; 2] = [
    Service {
        code: "INTERNATIONAL_ECONOMY",
        name: "FedEx International Economy®",
        base_cents: 5500,
        per_lb_cents: 600,
        days: 5,
    },
    Service {
        code: "FEDEX_INTERNATIONAL_PRIORITY",
        name: "FedEx International Priority®",
        base_cents: 7000,
        per_lb_cents: 800,
        days: 3,
    },
];

/// FedEx's schema types amounts as JSON numbers: whole cents written as a decimal number.
fn money(cents: i64) -> Value {
    serde_json::from_str(&Decimal::new(cents, 2).to_string()).expect("a decimal is a JSON number")
}

/// Whole pounds billed for a request's packages (KG converted, rounded up).
fn billable_lb(shipment: &Value) -> i64 {
    let items = shipment["requestedPackageLineItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // FedEx sends weights as JSON numbers; read their decimal text, never through a float.
    let lb: Decimal = items
        .iter()
        .map(|i| {
            let v = i["weight"]["value"]
                .to_string()
                .parse::<Decimal>()
                .unwrap_or(Decimal::ONE);
            if i["weight"]["units"] == "KG" {
                v / dec!(0.45359237)
            } else {
                v
            }
        })
        .sum();
    i64::try_from(lb.ceil()).unwrap_or(i64::MAX).max(1)
}

/// (net, lines) for one rate type: base, discount (account only), fuel 15% of the discounted
/// base, residential delivery when the recipient is residential.
fn price(
    s: &Service,
    lb: i64,
    residential: bool,
    account: bool,
    surcharge_key: &str,
) -> (i64, i64, i64, Vec<Value>) {
    let base = s.base_cents + s.per_lb_cents * lb;
    let discount = if account { base * 8 / 100 } else { 0 };
    let fuel = (base - discount) * 15 / 100;
    let mut lines = vec![
        json!({surcharge_key: "FUEL", "description": "Fuel Surcharge", "level": "PACKAGE", "amount": money(fuel)}),
    ];
    let mut net = base - discount + fuel;
    if residential {
        lines.push(json!({surcharge_key: "RESIDENTIAL_DELIVERY", "description": "Residential delivery surcharge", "level": "PACKAGE", "amount": money(495)}));
        net += 495;
    }
    (net, base, discount, lines)
}

fn ship_date(shipment: &Value, key: &str) -> Date {
    shipment[key]
        .as_str()
        .and_then(|s| {
            Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()
        })
        .unwrap_or_else(|| OffsetDateTime::now_utc().date())
}

fn add_business_days(mut d: Date, days: i64) -> Date {
    let mut left = days;
    while left > 0 {
        d = d.next_day().unwrap_or(d);
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            left -= 1;
        }
    }
    d
}

fn services_for(shipment: &Value, recipient: &Value) -> Vec<&'static Service> {
    let domestic =
        shipment["shipper"]["address"]["countryCode"] == recipient["address"]["countryCode"];
    let residential = recipient["address"]["residential"] == true;
    let wanted = shipment["serviceType"].as_str();
    let list: Vec<&'static Service> = if domestic {
        DOMESTIC
            .iter()
            .filter(|s| match s.code {
                "FEDEX_GROUND" => !residential,
                "GROUND_HOME_DELIVERY" => residential,
                _ => true,
            })
            .collect()
    } else {
        INTERNATIONAL.iter().collect()
    };
    list.into_iter()
        .filter(|s| wanted.is_none_or(|w| w == s.code))
        .collect()
}

async fn rate(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/rate/v1/rates/quotes", &headers).await {
        return r;
    }
    let shipment = &body["requestedShipment"];
    if body["accountNumber"]["value"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "ACCOUNT.NUMBER.MISMATCH",
            "Please provide a valid account number.",
        );
    }
    let recipient = &shipment["recipient"];
    if recipient["address"]["postalCode"] == "00000" {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "RECIPIENT.POSTALCODE.INVALID",
            "Recipient postal code is invalid.",
        );
    }
    let lb = billable_lb(shipment);
    let residential = recipient["address"]["residential"] == true;
    let date = ship_date(shipment, "shipDateStamp");
    let asked = asked_specials(shipment);
    let details: Vec<Value> = services_for(shipment, recipient)
        .into_iter()
        .filter(|s| asked.iter().all(|a| offers(s.code, a)))
        .map(|s| {
            let rated = |account: bool| {
                let (net, base, discount, lines) =
                    priced(s, lb, residential, account, "type", shipment);
                json!({
                    "rateType": if account { "ACCOUNT" } else { "LIST" },
                    "ratedWeightMethod": "ACTUAL",
                    "totalDiscounts": money(discount),
                    "totalBaseCharge": money(base),
                    "totalNetCharge": money(net),
                    "totalNetFedExCharge": money(net),
                    "shipmentRateDetail": {
                        "rateZone": "5", "dimDivisor": 139, "fuelSurchargePercent": 15,
                        "totalSurcharges": money(net - base + discount),
                        "surCharges": lines,
                        "totalBillingWeight": {"units": "LB", "value": lb},
                        "currency": "USD"
                    },
                    "currency": "USD"
                })
            };
            let delivery = add_business_days(date, s.days);
            let days_in_transit = [
                "ONE_DAY",
                "TWO_DAYS",
                "THREE_DAYS",
                "FOUR_DAYS",
                "FIVE_DAYS",
            ][(s.days - 1) as usize];
            json!({
                "serviceType": s.code,
                "serviceName": s.name,
                "packagingType": "YOUR_PACKAGING",
                "ratedShipmentDetails": [rated(true), rated(false)],
                "commit": {
                    "daysInTransit": days_in_transit,
                    "dateDetail": {"dayFormat": format!("{delivery}T20:00:00")},
                    "saturdayDelivery": false
                }
            })
        })
        .collect();
    axum::Json(json!({
        "transactionId": transaction_id(&app),
        "output": {
            "alerts": [{"code": "VIRTUAL.RESPONSE", "message": "This is a simulated response.", "alertType": "NOTE"}],
            "rateReplyDetails": details
        }
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Special services

/// Whether the simulated `service` carries `special` (a FedEx special service type).
fn offers(service: &str, special: &str) -> bool {
    match special {
        "SIGNATURE_OPTION" | "BATTERY" | "RETURN_SHIPMENT" => true,
        "SATURDAY_DELIVERY" => matches!(
            service,
            "PRIORITY_OVERNIGHT" | "FEDEX_2_DAY" | "FEDEX_INTERNATIONAL_PRIORITY"
        ),
        "DRY_ICE" => !matches!(service, "FEDEX_GROUND" | "GROUND_HOME_DELIVERY"),
        _ => false,
    }
}

fn items(shipment: &Value) -> Vec<Value> {
    shipment["requestedPackageLineItems"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn types(v: &Value) -> Vec<String> {
    v["specialServiceTypes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Every special service type a Rate or Ship request asks for, shipment and package level.
fn asked_specials(shipment: &Value) -> Vec<String> {
    let mut out = types(&shipment["shipmentSpecialServices"]);
    for item in items(shipment) {
        for t in types(&item["packageSpecialServices"]) {
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

fn decimal(v: &Value) -> Option<Decimal> {
    v.to_string().trim_matches('"').parse().ok()
}

/// Option surcharges in cents, as FedEx surcharge lines.
fn option_lines(shipment: &Value, key: &str) -> (i64, Vec<Value>) {
    let (mut signature, mut dry_ice, mut insured) = (0, 0, 0);
    for item in items(shipment) {
        let special = &item["packageSpecialServices"];
        let t = types(special);
        if t.iter().any(|x| x == "SIGNATURE_OPTION") {
            signature += match special["signatureOptionType"].as_str() {
                Some("ADULT") => 770,
                Some("DIRECT") => 660,
                _ => 550,
            };
        }
        if t.iter().any(|x| x == "DRY_ICE") {
            dry_ice += 600;
        }
        // USD 1.10 per USD 100 (or part) declared above the USD 100 FedEx includes.
        if let Some(v) = decimal(&item["declaredValue"]["amount"]) {
            let above = (v - dec!(100)).max(Decimal::ZERO);
            let hundreds = i64::try_from((above / dec!(100)).ceil()).unwrap_or(0);
            insured += 110 * hundreds;
        }
    }
    let saturday = if types(&shipment["shipmentSpecialServices"])
        .iter()
        .any(|t| t == "SATURDAY_DELIVERY")
    {
        1600
    } else {
        0
    };
    let mut lines = Vec::new();
    for (code, description, cents) in [
        ("SIGNATURE_OPTION", "Signature option", signature),
        ("SATURDAY_DELIVERY", "Saturday delivery", saturday),
        ("DRY_ICE", "Dry ice", dry_ice),
        ("INSURED_VALUE", "Declared value", insured),
    ] {
        if cents > 0 {
            lines.push(json!({key: code, "description": description, "level": "PACKAGE", "amount": money(cents)}));
        }
    }
    (signature + saturday + dry_ice + insured, lines)
}

/// [`price`] with the options' surcharges added.
fn priced(
    s: &Service,
    lb: i64,
    residential: bool,
    account: bool,
    key: &str,
    shipment: &Value,
) -> (i64, i64, i64, Vec<Value>) {
    let (net, base, discount, mut lines) = price(s, lb, residential, account, key);
    let (extra, more) = option_lines(shipment, key);
    lines.extend(more);
    (net + extra, base, discount, lines)
}

fn invalid(message: &str) -> Response {
    fedex_error(StatusCode::BAD_REQUEST, "INVALID.INPUT.EXCEPTION", message)
}

/// Ship's checks of the special services: each must be offered on the service and carry the
/// detail Ship's schema names for it.
fn check_specials(shipment: &Value, service: &str) -> Option<Response> {
    for t in asked_specials(shipment) {
        if !offers(service, &t) {
            return Some(invalid(&format!("{t} is not available for {service}")));
        }
    }
    for item in items(shipment) {
        let special = &item["packageSpecialServices"];
        let t = types(special);
        if t.iter().any(|x| x == "SIGNATURE_OPTION")
            && !matches!(
                special["signatureOptionType"].as_str(),
                Some("ADULT" | "DIRECT" | "INDIRECT" | "NO_SIGNATURE_REQUIRED" | "SERVICE_DEFAULT")
            )
        {
            return Some(invalid(
                "signatureOptionType is required with SIGNATURE_OPTION",
            ));
        }
        if t.iter().any(|x| x == "DRY_ICE") && special["dryIceWeight"]["units"] != "KG" {
            return Some(invalid("For Dry Ice the unit of measure must be KG"));
        }
        if t.iter().any(|x| x == "BATTERY") {
            let ok = special["batteryDetails"].as_array().is_some_and(|b| {
                !b.is_empty()
                    && b.iter().all(|d| {
                        matches!(
                            d["batteryPackingType"].as_str(),
                            Some("CONTAINED_IN_EQUIPMENT" | "PACKED_WITH_EQUIPMENT")
                        ) && matches!(
                            d["batteryMaterialType"].as_str(),
                            None | Some("LITHIUM_ION" | "LITHIUM_METAL")
                        )
                    })
            });
            if !ok {
                return Some(invalid("batteryDetails[].batteryPackingType is required"));
            }
        }
    }
    let shipment_level = &shipment["shipmentSpecialServices"];
    if types(shipment_level).iter().any(|t| t == "RETURN_SHIPMENT")
        && shipment_level["returnShipmentDetail"]["returnType"] != "PRINT_RETURN_LABEL"
    {
        return Some(invalid(
            "returnType must be PRINT_RETURN_LABEL for printed return label shipments",
        ));
    }
    None
}

async fn special_options(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/availability/v1/specialserviceoptions", &headers).await {
        return r;
    }
    let shipment = &body["requestedShipment"];
    let from = shipment["shipper"]["address"]["countryCode"].as_str();
    let to = shipment["recipient"]["address"]["countryCode"].as_str();
    let (Some(from), Some(to)) = (from, to) else {
        return invalid("shipper and recipient countryCode are required");
    };
    let wanted = shipment["serviceType"].as_str();
    let codes: Vec<&str> = body["carrierCodes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let list: &[Service] = if from == to {
        &DOMESTIC
    } else {
        &INTERNATIONAL
    };
    let entries: Vec<Value> = list
        .iter()
        .filter(|s| wanted.is_none_or(|w| w == s.code))
        .map(|s| {
            let carrier = if matches!(s.code, "FEDEX_GROUND" | "GROUND_HOME_DELIVERY") {
                "FDXG"
            } else {
                "FDXE"
            };
            (s, carrier)
        })
        .filter(|(_, carrier)| codes.is_empty() || codes.contains(carrier))
        .map(|(s, carrier)| {
            let special = |level: &[&str]| -> Vec<Value> {
                level
                    .iter()
                    .filter(|t| offers(s.code, t))
                    .map(|t| json!({"specialServiceType": t}))
                    .collect()
            };
            json!({
                "serviceType": s.code,
                "carrierCode": carrier,
                "issEnabled": from != to,
                "signatureOptionsList": [
                    {"displayText": "Indirect Signature", "code": "INDIRECT"},
                    {"displayText": "Direct Signature", "code": "DIRECT"},
                    {"displayText": "Adult Signature", "code": "ADULT"}
                ],
                "packageSpecialServicesList": special(&["SIGNATURE_OPTION", "DRY_ICE", "BATTERY"]),
                "shipmentSpecialServicesList": special(&["SATURDAY_DELIVERY", "DRY_ICE", "RETURN_SHIPMENT"]),
                "returnShipmentList": ["PRINT_RETURN_LABEL"],
                "batteryOptionList": [
                    {"batteryPackingType": "CONTAINED_IN_EQUIPMENT", "batteryRegulatoryType": "IATA_SECTION_II", "batteryMaterialType": "LITHIUM_ION"},
                    {"batteryPackingType": "PACKED_WITH_EQUIPMENT", "batteryRegulatoryType": "IATA_SECTION_II", "batteryMaterialType": "LITHIUM_ION"}
                ]
            })
        })
        .collect();
    axum::Json(json!({
        "transactionId": transaction_id(&app),
        "output": {"serviceOptionsList": entries}
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Address validation

fn resolved_address(a: &Value) -> Value {
    let lines: Vec<String> = a["streetLines"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|x| {
                    x.as_str().map(|s| {
                        s.split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" ")
                            .to_uppercase()
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let city = a["city"].as_str().unwrap_or_default().to_uppercase();
    let country = a["countryCode"].as_str().unwrap_or_default();
    let postal = a["postalCode"].as_str().unwrap_or_default();
    if !matches!(country, "US" | "CA") {
        return json!({
            "streetLinesToken": lines, "city": a["city"], "countryCode": country,
            "classification": "UNKNOWN",
            "attributes": {"CountrySupported": false, "ValidlyFormed": true, "Resolved": false,
                           "AddressType": "RAW", "ResolutionInput": "RAW_ADDRESS"}
        });
    }
    let bare_main = lines.first().is_some_and(|l| {
        let words: Vec<&str> = l.split(' ').collect();
        words.len() == 3
            && words[0].chars().all(|c| c.is_ascii_digit())
            && words[1] == "MAIN"
            && words[2] == "ST"
    });
    if bare_main {
        let candidates: Vec<Value> = ["N", "S"].iter().map(|d| {
            let l = lines[0].replacen(" MAIN", &format!(" {d} MAIN"), 1);
            json!({
                "streetLinesToken": [l], "city": city, "stateOrProvinceCode": a["stateOrProvinceCode"],
                "countryCode": country, "postalCodeToken": {"changed": false, "value": postal},
                "classification": "UNKNOWN",
                "attributes": {"CountrySupported": true, "ValidlyFormed": true, "Matched": true,
                               "Resolved": false, "MultipleMatches": true, "AddressType": "NORMALIZED"}
            })
        }).collect();
        return json!({"multiple": candidates});
    }
    let residential = lines
        .iter()
        .any(|l| l.contains("APT") || l.contains("UNIT") || l.contains('#'));
    let std_postal = if country == "US" && postal.len() == 5 {
        let add_on: u32 = lines
            .iter()
            .flat_map(|l| l.bytes())
            .map(u32::from)
            .sum::<u32>()
            % 9000
            + 1000;
        format!("{postal}-{add_on}")
    } else {
        postal.to_uppercase()
    };
    json!({
        "streetLinesToken": lines,
        "city": city,
        "stateOrProvinceCode": a["stateOrProvinceCode"],
        "countryCode": country,
        "customerMessage": [],
        "cityToken": [{"changed": a["city"].as_str() != Some(city.as_str()), "value": city}],
        "postalCodeToken": {"changed": std_postal != postal, "value": std_postal},
        "parsedPostalCode": {"base": &std_postal[..std_postal.find('-').unwrap_or(std_postal.len())]},
        "classification": if residential { "RESIDENTIAL" } else { "BUSINESS" },
        "postOfficeBox": false,
        "normalizedStatusNameDPV": true,
        "standardizedStatusNameMatchSource": "Postal",
        "resolutionMethodName": if country == "US" { "USPS_VALIDATE" } else { "CA_VALIDATE" },
        "attributes": {"POBox": false, "DPV": true, "CountrySupported": true, "ValidlyFormed": true,
                       "Matched": true, "Resolved": true, "ZIP4Match": country == "US",
                       "StreetAddress": true, "MultipleMatches": false, "AddressType": "STANDARDIZED",
                       "ResolutionInput": "RAW_ADDRESS", "MatchSource": "Postal"}
    })
}

async fn resolve(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/address/v1/addresses/resolve", &headers).await {
        return r;
    }
    let Some(list) = body["addressesToValidate"]
        .as_array()
        .filter(|l| !l.is_empty() && l.len() <= 100)
    else {
        return invalid("addressesToValidate must hold 1 to 100 addresses");
    };
    let mut resolved = Vec::new();
    for entry in list {
        let a = &entry["address"];
        let has_lines = a["streetLines"]
            .as_array()
            .is_some_and(|l| !l.is_empty() && l.iter().all(Value::is_string));
        if !has_lines
            || !a["city"].is_string()
            || !a["postalCode"].is_string()
            || !a["countryCode"].is_string()
        {
            return invalid("streetLines, city, postalCode and countryCode are required");
        }
        let nowhere = a["streetLines"].as_array().unwrap().iter().any(|l| {
            l.as_str()
                .is_some_and(|l| l.to_uppercase().contains("NOWHERE"))
        });
        if a["postalCode"] == "00000" || nowhere {
            return fedex_error(
                StatusCode::BAD_REQUEST,
                "STANDARDIZED.ADDRESS.NOTFOUND",
                "Standardized address is not found.",
            );
        }
        let r = resolved_address(a);
        match r.get("multiple").and_then(Value::as_array) {
            Some(candidates) => resolved.extend(candidates.iter().cloned()),
            None => resolved.push(r),
        }
    }
    axum::Json(json!({
        "transactionId": transaction_id(&app),
        "output": {"resolvedAddresses": resolved, "alerts": []}
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Pickups

fn parse_local(s: &str) -> Option<(Date, time::Time)> {
    let s = s.strip_suffix('Z').unwrap_or(s);
    let (d, t) = s.split_once('T')?;
    let date = Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some((date, parse_time(t)?))
}

fn parse_time(t: &str) -> Option<time::Time> {
    time::Time::parse(
        t,
        time::macros::format_description!("[hour]:[minute]:[second]"),
    )
    .ok()
}

async fn create_pickup(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/pickup/v1/pickups", &headers).await {
        return r;
    }
    if body["associatedAccountNumber"]["value"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "ACCOUNT.NUMBER.MISMATCH",
            "Please provide a valid account number.",
        );
    }
    let Some(carrier) = body["carrierCode"]
        .as_str()
        .filter(|c| matches!(*c, "FDXE" | "FDXG"))
    else {
        return invalid("carrierCode must be FDXE or FDXG");
    };
    let origin = &body["originDetail"];
    let location = &origin["pickupLocation"];
    if location["address"]["postalCode"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "PICKUP.POSTALCODE.MISSING",
            "Postal code is missing for the pickup address.",
        );
    }
    if location["contact"]["phoneNumber"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return invalid("pickupLocation.contact.phoneNumber is required");
    }
    let Some((date, ready)) = origin["readyDateTimestamp"].as_str().and_then(parse_local) else {
        return invalid("readyDateTimestamp must be YYYY-MM-DDTHH:MM:SS");
    };
    let Some(close) = origin["customerCloseTime"].as_str().and_then(parse_time) else {
        return invalid("customerCloseTime must be HH:MM:SS");
    };
    if close <= ready {
        return invalid("customerCloseTime must be after the ready time");
    }
    if carrier == "FDXG" && !origin["packageLocation"].is_string() {
        return invalid("packageLocation is mandatory for Ground pickups");
    }
    if body["remarks"]
        .as_str()
        .is_some_and(|r| r.chars().count() > 60)
    {
        return invalid("remarks: maximum length is 60 characters");
    }
    if date < OffsetDateTime::now_utc().date() {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "PICKUP.REQUESTED.PREVIOUS.DAY",
            "Cannot schedule a pickup requested for a previous day.",
        );
    }
    let n = app.fedex.next.fetch_add(1, Ordering::Relaxed);
    let code = format!("{}", 3000 + n % 7000);
    let station = (carrier == "FDXE").then(|| {
        let city: String = location["address"]["city"]
            .as_str()
            .unwrap_or("MEMPHIS")
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(4)
            .collect();
        format!("{:X<4}", city.to_uppercase())
    });
    app.fedex.pickups.lock().unwrap().insert(
        code.clone(),
        Booked {
            carrier: carrier.to_string(),
            location: station.clone(),
            date,
            cancelled: false,
        },
    );
    let mut output =
        json!({"pickupConfirmationCode": code, "message": "Courier on the way", "alerts": []});
    if let Some(l) = station {
        output["location"] = json!(l);
    }
    axum::Json(json!({"transactionId": transaction_id(&app), "output": output})).into_response()
}

async fn cancel_pickup(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/pickup/v1/pickups/cancel", &headers).await {
        return r;
    }
    let code = body["pickupConfirmationCode"].as_str().unwrap_or_default();
    let carrier = body["carrierCode"].as_str().unwrap_or("FDXE");
    let date = body["scheduledDate"].as_str().and_then(|d| {
        Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
    });
    let mut pickups = app.fedex.pickups.lock().unwrap();
    let Some(p) = pickups.get_mut(code) else {
        return invalid("pickupConfirmationCode is not a pickup of this account");
    };
    if Some(p.date) != date || p.carrier != carrier {
        return invalid("scheduledDate and carrierCode must match the pickup");
    }
    if carrier == "FDXE" && body["location"].as_str() != p.location.as_deref() {
        return invalid("location is required to cancel a FedEx Express pickup");
    }
    if p.date < OffsetDateTime::now_utc().date() {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "PICKUP.NUMBER.EXPIRED",
            "PREVIOUS DAY PICKUP, CANNOT CANCEL OR UPDATE",
        );
    }
    if p.cancelled {
        return invalid("the pickup is already cancelled");
    }
    p.cancelled = true;
    axum::Json(json!({
        "transactionId": transaction_id(&app),
        "output": {"pickupConfirmationCode": code,
                   "cancelConfirmationMessage": "Requested pickup has been cancelled Successfully."}
    }))
    .into_response()
}

async fn end_of_day_close(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/ship/v1/endofday/", &headers).await {
        return r;
    }
    if body["closeReqType"] != "GCDR" {
        return invalid("closeReqType must be GCDR for a Ground close");
    }
    if body["groundServiceCategory"] != "GROUND" {
        return invalid("groundServiceCategory must be GROUND");
    }
    let Some(account) = body["accountNumber"]["value"]
        .as_str()
        .filter(|a| !a.is_empty() && a.len() <= 9)
    else {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "ACCOUNT.NUMBER.MISMATCH",
            "Please provide a valid account number.",
        );
    };
    let Some(date) = body["closeDate"].as_str().and_then(|d| {
        Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).ok()
    }) else {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "AVAILABILITY.SHIP.DATE.INVALID",
            "Ship date is invalid.",
        );
    };
    let mut lines = vec![
        "FEDEX GROUND MANIFEST".to_string(),
        format!("ACCOUNT {account}  CLOSE DATE {date}"),
    ];
    let mut parcels: Vec<String> = app
        .fedex
        .shipped
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, s)| !s.cancelled && s.at.date() == date)
        .map(|(n, _)| n.clone())
        .collect();
    parcels.sort();
    lines.extend(parcels);
    let text = lines.join("\r\n");
    let cycle = format!(
        "{:016}",
        1_003_234_523_000_000 + app.fedex.next.fetch_add(1, Ordering::Relaxed)
    );
    axum::Json(json!({
        "transactionId": transaction_id(&app),
        "output": {
            "alerts": [],
            "closeDocuments": [{
                "type": "MANIFEST",
                "shippingCycle": cycle,
                "shippingDocumentDisposition": "CONFIRMED",
                "resolution": 200,
                "copiesToPrint": 1,
                "parts": [{"documentPartSequenceNumber": 1,
                           "image": base64::engine::general_purpose::STANDARD.encode(text)}]
            }]
        }
    }))
    .into_response()
}

// ---------------------------------------------------------------------------------------------
// Labels

/// A one-page 4x6 in PDF naming `number`, with a correct cross-reference table.
fn pdf_label(number: &str) -> Vec<u8> {
    let text = format!("BT /F1 28 Tf 20 380 Td (FedEx {number}) Tj ET");
    super::one_page_pdf(432, "Helvetica", &text)
}

fn label(image_type: &str, number: &str) -> (String, &'static str) {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match image_type {
        "ZPLII" | "EPL2" => (
            b64(format!("^XA^PW812^LL1218^FO50,50^A0N,50,50^FDFedEx^FS^FO50,150^BCN,120,Y,N,N^FD{number}^FS^XZ\n").as_bytes()),
            "ZPLII",
        ),
        "PNG" => (PNG_1X1.to_string(), "PNG"),
        _ => (b64(&pdf_label(number)), "PDF"),
    }
}

async fn ship(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/ship/v1/shipments", &headers).await {
        return r;
    }
    let shipment = &body["requestedShipment"];
    let recipient = &shipment["recipients"][0];
    let items = shipment["requestedPackageLineItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if shipment["serviceType"].as_str().is_none() || items.is_empty() || recipient.is_null() {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "INVALID.INPUT.EXCEPTION",
            "Invalid field value in the input",
        );
    }
    if recipient["address"]["postalCode"] == "00000" {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "RECIPIENT.POSTALCODE.INVALID",
            "Recipient postal code is invalid.",
        );
    }
    let Some(service) = services_for(shipment, recipient).into_iter().next() else {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "SERVICE.TYPE.INVALID",
            "The service type is not available for this origin and destination.",
        );
    };
    if let Some(refusal) = check_specials(shipment, service.code) {
        return refusal;
    }
    let image_type = shipment["labelSpecification"]["imageType"]
        .as_str()
        .unwrap_or("PDF");
    let mut numbers: Vec<String> = items
        .iter()
        .map(|_| (app.first_number + app.fedex.next.fetch_add(1, Ordering::Relaxed)).to_string())
        .collect();
    if let Some(reused) = app.sim.take_reissued() {
        numbers[0] = reused;
    }
    let master = numbers[0].clone();
    let now = OffsetDateTime::now_utc();
    {
        let mut shipped = app.fedex.shipped.lock().unwrap();
        for n in &numbers {
            shipped.insert(
                n.clone(),
                Shipped {
                    at: now,
                    cancelled: false,
                    city: recipient["address"]["city"]
                        .as_str()
                        .unwrap_or("MEMPHIS")
                        .to_uppercase(),
                    country: recipient["address"]["countryCode"]
                        .as_str()
                        .unwrap_or("US")
                        .to_string(),
                },
            );
        }
    }
    let pieces: Vec<Value> = numbers
        .iter()
        .zip(&items)
        .enumerate()
        .map(|(i, (n, item))| {
            let (encoded, doc_type) = label(image_type, n);
            json!({
                "masterTrackingNumber": master,
                "trackingNumber": n,
                "packageSequenceNumber": i + 1,
                "customerReferences": item["customerReferences"].clone(),
                "packageDocuments": [{"contentType": "LABEL", "copiesToPrint": 1, "docType": doc_type, "encodedLabel": encoded}]
            })
        })
        .collect();
    let lb = billable_lb(shipment);
    let residential = recipient["address"]["residential"] == true;
    let rating = |account: bool| {
        let (net, base, discount, lines) =
            priced(service, lb, residential, account, "surchargeType", shipment);
        json!({
            "rateType": if account { "PAYOR_ACCOUNT_PACKAGE" } else { "PAYOR_LIST_PACKAGE" },
            "ratedWeightMethod": "ACTUAL",
            "totalBillingWeight": {"units": "LB", "value": lb},
            "totalBaseCharge": money(base),
            "totalFreightDiscounts": money(discount),
            "totalNetFreight": money(base - discount),
            "totalSurcharges": money(net - base + discount),
            "totalNetFedExCharge": money(net),
            "totalTaxes": 0,
            "totalNetCharge": money(net),
            "surcharges": lines,
            "taxes": [],
            "currency": "USD"
        })
    };
    axum::Json(json!({
        "transactionId": transaction_id(&app),
        "customerTransactionId": headers.get("x-customer-transaction-id").and_then(|v| v.to_str().ok()),
        "output": {"transactionShipments": [{
            "masterTrackingNumber": master,
            "serviceType": service.code,
            "serviceName": service.name,
            "shipDatestamp": ship_date(shipment, "shipDatestamp").to_string(),
            "pieceResponses": pieces,
            "completedShipmentDetail": {
                "usDomestic": shipment["shipper"]["address"]["countryCode"] == "US" && recipient["address"]["countryCode"] == "US",
                "carrierCode": "FDXE",
                "masterTrackingId": {"trackingIdType": "FEDEX", "formId": "0201", "trackingNumber": master},
                "shipmentRating": {"actualRateType": "PAYOR_ACCOUNT_PACKAGE", "shipmentRateDetails": [rating(true), rating(false)]}
            },
            "alerts": []
        }]}
    }))
    .into_response()
}

async fn cancel(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/ship/v1/shipments/cancel", &headers).await {
        return r;
    }
    let number = body["trackingNumber"].as_str().unwrap_or_default();
    let mut shipped = app.fedex.shipped.lock().unwrap();
    let Some(s) = shipped.get_mut(number) else {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "TRACKINGNUMBER.ENTERED.INVALID",
            "Invalid tracking number was entered. Please update and try again.",
        );
    };
    let output = if s.cancelled {
        json!({"cancelledShipment": false, "cancelledHistory": false,
               "alerts": [{"code": "SHIPMENT.ALREADY.CANCELLED", "alertType": "WARNING", "message": "This shipment has already been cancelled."}]})
    } else {
        s.cancelled = true;
        json!({"cancelledShipment": true, "cancelledHistory": true, "successMessage": "Success"})
    };
    axum::Json(json!({"transactionId": transaction_id(&app), "output": output})).into_response()
}

fn scan(
    at: OffsetDateTime,
    code: &str,
    description: &str,
    derived: &str,
    city: &str,
    country: &str,
) -> Value {
    json!({
        "date": at.format(&Rfc3339).unwrap_or_default(),
        "eventType": code,
        "eventDescription": description,
        "derivedStatusCode": derived,
        "exceptionCode": "",
        "scanLocation": {"city": city, "countryCode": country, "residential": false}
    })
}

async fn track(
    State(app): State<App>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if let Some(r) = guard(&app, "/track/v1/trackingnumbers", &headers).await {
        return r;
    }
    let asked: Vec<String> = body["trackingInfo"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| {
                    i["trackingNumberInfo"]["trackingNumber"]
                        .as_str()
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    if asked.is_empty() {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "TRACKING.TRACKINGNUMBER.EMPTY",
            "Please provide tracking number.",
        );
    }
    if asked.len() > 30 {
        return fedex_error(
            StatusCode::BAD_REQUEST,
            "INVALID.INPUT.EXCEPTION",
            "At most 30 tracking numbers per request.",
        );
    }
    let now = OffsetDateTime::now_utc();
    let shipped = app.fedex.shipped.lock().unwrap();
    let results: Vec<Value> = asked
        .iter()
        .map(|n| {
            let result = match shipped.get(n) {
                None => json!({
                    "trackingNumberInfo": {"trackingNumber": n},
                    "error": {"code": "TRACKING.TRACKINGNUMBER.NOTFOUND",
                              "message": "Tracking number cannot be found. Please correct the tracking number and try again."}
                }),
                Some(s) => {
                    let mut events = vec![scan(s.at, SCRIPT[0].0, SCRIPT[0].1, SCRIPT[0].2, "MEMPHIS", "US")];
                    let latest = if s.cancelled {
                        events.push(scan(s.at, "CA", "Shipment cancelled by sender", "CA", "MEMPHIS", "US"));
                        ("CA", "Shipment cancelled")
                    } else {
                        let steps = ((now - s.at).whole_seconds() / STEP_SECS).clamp(0, 4) as usize;
                        for (i, (code, description, derived)) in SCRIPT.iter().enumerate().take(steps + 1).skip(1) {
                            let at = s.at + time::Duration::seconds(STEP_SECS * i as i64);
                            let city = if i >= 2 { s.city.as_str() } else { "MEMPHIS" };
                            let country = if i >= 2 { s.country.as_str() } else { "US" };
                            events.push(scan(at, code, description, derived, city, country));
                        }
                        (SCRIPT[steps].0, SCRIPT[steps].1)
                    };
                    events.reverse();
                    let mut r = json!({
                        "trackingNumberInfo": {"trackingNumber": n, "carrierCode": "FDXE"},
                        "latestStatusDetail": {"code": latest.0, "derivedCode": latest.0, "statusByLocale": latest.1, "description": latest.1},
                        "scanEvents": events
                    });
                    if !matches!(latest.0, "DL" | "CA") {
                        let eta = add_business_days(s.at.date(), 2);
                        r["dateAndTimes"] = json!([{"type": "ESTIMATED_DELIVERY", "dateTime": format!("{eta}T20:00:00")}]);
                    }
                    r
                }
            };
            json!({"trackingNumber": n, "trackResults": [result]})
        })
        .collect();
    axum::Json(
        json!({"transactionId": transaction_id(&app), "output": {"completeTrackResults": results}}),
    )
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    use crate::sim::{Fault, FaultKind};

    #[test]
    fn pdf_labels_have_a_correct_cross_reference_table() {
        let pdf = pdf_label("700000000001");
        let text = String::from_utf8(pdf.clone()).unwrap();
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[startxref..].starts_with("xref"));
        for (i, line) in text[startxref..].lines().skip(3).take(5).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(
                text[offset..].starts_with(&format!("{} 0 obj", i + 1)),
                "object {}",
                i + 1
            );
        }
    }

    #[test]
    fn breakdowns_add_up_in_cents() {
        let (net, base, discount, lines) = price(&DOMESTIC[2], 6, true, true, "type");
        let surcharges: i64 = lines
            .iter()
            .map(|l| (l["amount"].as_f64().unwrap() * 100.0).round() as i64)
            .sum();
        assert_eq!(net, base - discount + surcharges);
    }

    async fn start() -> (Sim, String) {
        let sim = Sim::default();
        let addr = super::super::serve(router(sim.clone()), ([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        (sim, format!("http://{addr}"))
    }

    async fn get_token(c: &reqwest::Client, base: &str) -> String {
        let r = c
            .post(format!("{base}/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", "k"),
                ("client_secret", "s"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn shipment(image_type: &str, pieces: usize) -> Value {
        json!({
            "labelResponseOptions": "LABEL",
            "accountNumber": {"value": "740561073"},
            "requestedShipment": {
                "shipper": {"address": {"streetLines": ["1 Peachtree St"], "city": "Atlanta", "postalCode": "30303", "countryCode": "US"},
                            "contact": {"personName": "S", "phoneNumber": "1"}},
                "recipients": [{"address": {"streetLines": ["1 Market St"], "city": "San Francisco", "postalCode": "94105",
                                            "countryCode": "US", "residential": true},
                                "contact": {"personName": "R", "phoneNumber": "2"}}],
                "serviceType": "FEDEX_2_DAY",
                "labelSpecification": {"imageType": image_type, "labelStockType": "PAPER_4X6"},
                "requestedPackageLineItems": vec![json!({"weight": {"units": "LB", "value": 5.5}}); pieces]
            }
        })
    }

    #[tokio::test]
    async fn token_rate_ship_track_cancel_round_trip() {
        let (_sim, base) = start().await;
        let c = reqwest::Client::new();
        let t = get_token(&c, &base).await;

        let mut rate_shipment = shipment("PDF", 1)["requestedShipment"].clone();
        rate_shipment["recipient"] = rate_shipment["recipients"][0].clone();
        let rate = c
            .post(format!("{base}/rate/v1/rates/quotes"))
            .bearer_auth(&t)
            .json(&json!({"accountNumber": {"value": "1"}, "requestedShipment": rate_shipment}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let details = rate["output"]["rateReplyDetails"].as_array().unwrap();
        assert!(details.iter().any(|d| d["serviceType"] == "FEDEX_2_DAY"));

        let ship = c
            .post(format!("{base}/ship/v1/shipments"))
            .bearer_auth(&t)
            .json(&shipment("ZPLII", 2))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        let ts = &ship["output"]["transactionShipments"][0];
        let master = ts["masterTrackingNumber"].as_str().unwrap().to_string();
        assert_eq!(master.len(), 12);
        assert_eq!(ts["pieceResponses"][0]["trackingNumber"], master.as_str());
        assert_ne!(ts["pieceResponses"][1]["trackingNumber"], master.as_str());
        let zpl = base64::engine::general_purpose::STANDARD
            .decode(
                ts["pieceResponses"][0]["packageDocuments"][0]["encodedLabel"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap();
        assert!(zpl.starts_with(b"^XA"));

        let track = c.post(format!("{base}/track/v1/trackingnumbers")).bearer_auth(&t)
            .json(&json!({"includeDetailedScans": true, "trackingInfo": [{"trackingNumberInfo": {"trackingNumber": master}},
                                                                        {"trackingNumberInfo": {"trackingNumber": "123456789012"}}]}))
            .send().await.unwrap().json::<Value>().await.unwrap();
        let results = &track["output"]["completeTrackResults"];
        assert_eq!(
            results[0]["trackResults"][0]["latestStatusDetail"]["code"],
            "OC"
        );
        assert_eq!(
            results[1]["trackResults"][0]["error"]["code"],
            "TRACKING.TRACKINGNUMBER.NOTFOUND"
        );

        let cancel = |n: String| {
            c.put(format!("{base}/ship/v1/shipments/cancel")).bearer_auth(&t)
            .json(&json!({"accountNumber": {"value": "1"}, "trackingNumber": n, "deletionControl": "DELETE_ALL_PACKAGES"})).send()
        };
        let first = cancel(master.clone())
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(first["output"]["cancelledShipment"], true);
        let again = cancel(master.clone())
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert_eq!(again["output"]["cancelledShipment"], false);
        assert_eq!(cancel("999999999999".into()).await.unwrap().status(), 400);
    }

    #[tokio::test]
    async fn unknown_tokens_and_queued_faults_answer_like_fedex() {
        let (sim, base) = start().await;
        let c = reqwest::Client::new();
        let path = "/track/v1/trackingnumbers";
        let call = |t: String| {
            c.post(format!("{base}{path}")).bearer_auth(t)
            .json(&json!({"trackingInfo": [{"trackingNumberInfo": {"trackingNumber": "123456789012"}}]})).send()
        };

        assert_eq!(call("made-up".into()).await.unwrap().status(), 401);
        let t = get_token(&c, &base).await;
        assert_eq!(call(t.clone()).await.unwrap().status(), 200);

        sim.push(Fault {
            kind: FaultKind::Unauthorized,
            path: Some(path.into()),
        });
        assert_eq!(call(t.clone()).await.unwrap().status(), 401);
        assert_eq!(
            call(t).await.unwrap().status(),
            401,
            "the faulted token stays revoked"
        );
        let t = get_token(&c, &base).await;

        sim.push(Fault {
            kind: FaultKind::RateLimited {
                retry_after_secs: Some(3),
            },
            path: Some(path.into()),
        });
        let r = call(t.clone()).await.unwrap();
        assert_eq!(
            (
                r.status().as_u16(),
                r.headers()["retry-after"].to_str().unwrap()
            ),
            (429, "3")
        );

        sim.push(Fault {
            kind: FaultKind::ServerError,
            path: None,
        });
        assert_eq!(call(t.clone()).await.unwrap().status(), 500);

        sim.push(Fault {
            kind: FaultKind::Malformed,
            path: Some(path.into()),
        });
        let body = call(t.clone()).await.unwrap().text().await.unwrap();
        assert!(serde_json::from_str::<Value>(&body).is_err());

        sim.push(Fault {
            kind: FaultKind::Slow { millis: 300 },
            path: Some(path.into()),
        });
        let started = std::time::Instant::now();
        assert_eq!(call(t).await.unwrap().status(), 200);
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(sim.hits(path) >= 8);
    }

    /// The FedEx adapter itself against this simulator: what it sends for the working-day
    /// verbs passes the simulator's checks, and the answers read back as FedEx's would.
    async fn adapter(base: &str) -> Box<dyn shiphub_carriers::carrier::Carrier> {
        let entry =
            shiphub_carriers::registry::lookup(shiphub_carriers::CARRIERS, "fedex").unwrap();
        let http =
            shiphub_carriers::CarrierHttp::new(reqwest::Client::new(), Some(base.parse().unwrap()));
        (entry.build)(
            json!({"api_key": format!("sim-day-{base}"), "secret_key": "s", "account_number": "740561073"}),
            http,
        )
        .unwrap()
    }

    fn addr(v: Value) -> shiphub_carriers::model::Address {
        serde_json::from_value(v).unwrap()
    }

    fn fields(e: &shiphub_carriers::CarrierError) -> Vec<String> {
        match e {
            shiphub_carriers::CarrierError::Rejected { errors, .. } => {
                errors.iter().map(|f| f.field.clone()).collect()
            }
            other => panic!("not a rejection: {other:?}"),
        }
    }

    #[tokio::test]
    async fn adapter_verifies_addresses_prices_options_ships_returns_and_books_pickups() {
        use shiphub_carriers::CarrierError;
        use shiphub_carriers::model::{
            AddressClassification, AddressVerdict, PickupRef, PickupRequest, RateRequest,
            ShipRequest,
        };
        let (sim, base) = start().await;
        let fedex = adapter(&base).await;

        let home = addr(
            json!({"name": "Ann", "street": ["7372 parkridge blvd", "apt 286"],
            "city": "Irving", "state": "TX", "postal_code": "75063", "country": "US"}),
        );
        let check = fedex.verify_address(&home).await.unwrap();
        assert_eq!(check.verdict, AddressVerdict::DeliverableWithCorrections);
        assert_eq!(check.classification, AddressClassification::Residential);
        let std = check.address.unwrap();
        assert_eq!(std.street[0], "7372 PARKRIDGE BLVD");
        assert!(std.postal_code.unwrap().starts_with("75063-"));
        assert_eq!(std.name, "Ann");
        let main = addr(
            json!({"name": "B", "street": ["100 Main St"], "city": "Springfield",
            "state": "IL", "postal_code": "62701", "country": "US"}),
        );
        let check = fedex.verify_address(&main).await.unwrap();
        assert_eq!(check.verdict, AddressVerdict::Undeliverable);
        assert_eq!(check.candidates.len(), 2);
        let nowhere = addr(
            json!({"name": "C", "street": ["1 Nowhere Rd"], "city": "Irving",
            "state": "TX", "postal_code": "75063", "country": "US"}),
        );
        let check = fedex.verify_address(&nowhere).await.unwrap();
        assert_eq!(check.verdict, AddressVerdict::Undeliverable);
        assert_eq!(check.reasons[0].code, "STANDARDIZED.ADDRESS.NOTFOUND");
        let abroad = addr(
            json!({"name": "D", "street": ["Rua Augusta 100"], "city": "Lisboa",
            "postal_code": "1100-053", "country": "PT"}),
        );
        assert_eq!(
            fedex.verify_address(&abroad).await.unwrap().verdict,
            AddressVerdict::Unknown
        );

        let shipment = json!({
            "from": {"name": "Shipping", "company": "Peach", "street": ["1 Peachtree St NE"], "city": "Atlanta",
                     "state": "GA", "postal_code": "30303", "country": "US", "phone": "4045550100"},
            "to": {"name": "Ann", "street": ["1 Market St"], "city": "San Francisco", "state": "CA",
                   "postal_code": "94105", "country": "US", "phone": "4155550199"},
            "parcels": [{"weight": {"value": "5.5", "unit": "lb"}}],
            "options": {"signature": "adult", "saturday_delivery": true,
                        "declared_value": {"amount": "300", "currency": "USD"}}
        });
        let rate: RateRequest = serde_json::from_value(shipment.clone()).unwrap();
        let quotes = fedex.rate(&rate).await.unwrap();
        let mut services: Vec<&str> = quotes.iter().map(|q| q.service.code.as_str()).collect();
        services.sort_unstable();
        assert_eq!(services, ["FEDEX_2_DAY", "PRIORITY_OVERNIGHT"]);
        for q in &quotes {
            let code = |c: &str| {
                q.breakdown
                    .iter()
                    .find(|l| l.code.as_deref() == Some(c))
                    .map(|l| l.amount.amount())
            };
            assert_eq!(code("SATURDAY_DELIVERY"), Some(dec!(16.00)));
            assert_eq!(code("SIGNATURE_OPTION"), Some(dec!(7.70)));
            assert_eq!(code("INSURED_VALUE"), Some(dec!(2.20)));
        }

        let mut ship = shipment.clone();
        ship["service"] = json!("FEDEX_GROUND");
        let ground: ShipRequest = serde_json::from_value(ship.clone()).unwrap();
        let before = sim.hits("/ship/v1/shipments");
        let e = fedex.ship(&ground).await.unwrap_err();
        assert_eq!(fields(&e), ["/options/saturday_delivery"]);
        assert_eq!(
            sim.hits("/ship/v1/shipments"),
            before,
            "refused before buying"
        );
        ship["service"] = json!("PRIORITY_OVERNIGHT");
        let wb = fedex
            .ship(&serde_json::from_value::<ShipRequest>(ship.clone()).unwrap())
            .await
            .unwrap();
        assert!(
            wb.breakdown
                .iter()
                .any(|l| l.code.as_deref() == Some("SATURDAY_DELIVERY"))
        );

        let ret: ShipRequest = serde_json::from_value(json!({
            "from": shipment["to"], "to": shipment["from"],
            "parcels": shipment["parcels"], "service": "FEDEX_GROUND", "is_return": true
        }))
        .unwrap();
        let wb = fedex.ship(&ret).await.unwrap();
        assert_eq!(wb.pieces.len(), 1);

        let tomorrow = OffsetDateTime::now_utc().date().next_day().unwrap();
        let pickup = |date: Date| -> PickupRequest {
            serde_json::from_value(json!({
                "address": shipment["from"], "date": date.to_string(),
                "ready_time": "09:00:00.0", "close_time": "17:00:00.0", "parcel_count": 2,
                "total_weight": {"value": "11", "unit": "lb"}, "shipments": [], "instructions": null
            }))
            .unwrap()
        };
        let booked = fedex.schedule_pickup(&pickup(tomorrow)).await.unwrap();
        assert_eq!(booked.location.as_deref(), Some("FDXE:ATLA"));
        let r = PickupRef {
            confirmation: booked.confirmation,
            location: booked.location,
            date: tomorrow,
            address: rate.from.clone(),
        };
        fedex.cancel_pickup(&r).await.unwrap();
        assert!(matches!(
            fedex.cancel_pickup(&r).await,
            Err(CarrierError::Rejected { .. })
        ));
        let yesterday = OffsetDateTime::now_utc().date().previous_day().unwrap();
        let e = fedex.schedule_pickup(&pickup(yesterday)).await.unwrap_err();
        assert_eq!(fields(&e), ["/date"]);

        sim.push(Fault {
            kind: FaultKind::ServerError,
            path: Some("/pickup/v1/pickups".into()),
        });
        assert!(matches!(
            fedex.schedule_pickup(&pickup(tomorrow)).await,
            Err(CarrierError::Transient {
                maybe_processed: true,
                ..
            })
        ));
        sim.push(Fault {
            kind: FaultKind::RateLimited {
                retry_after_secs: Some(2),
            },
            path: Some("/address/v1/addresses/resolve".into()),
        });
        assert!(matches!(
            fedex.verify_address(&home).await,
            Err(CarrierError::RateLimited { .. })
        ));
    }
}
