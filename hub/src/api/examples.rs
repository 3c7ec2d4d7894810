//! Request and response examples for every operation of `/openapi.json`, kept here rather
//! than inside each `#[utoipa::path]`. The response examples (`examples.json`) are real answers
//! of a hub on the sandbox carrier to the requests below (ids and times as it gave them,
//! long label contents shortened); `hub/tests/openapi.rs` checks that
//! every operation has them and that each is valid against its schema, so a change of a type
//! that makes one stale fails there. Problem answers without an example of their own get one
//! made by [`Error`] itself, so their shape is the one the server sends.

use serde_json::{Value, json};
use utoipa::openapi::{OpenApi, RefOr, path::Operation};

use crate::error::Error;

/// Fills in the examples of `doc`'s operations.
pub fn add(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let ops = [
            ("GET", item.get.as_mut()),
            ("POST", item.post.as_mut()),
            ("PUT", item.put.as_mut()),
            ("PATCH", item.patch.as_mut()),
            ("DELETE", item.delete.as_mut()),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                add_to(&format!("{method} {path}"), op);
            }
        }
    }
}

fn add_to(name: &str, op: &mut Operation) {
    if let Some(RefOr::T(body)) = op.request_body.as_mut()
        && let Some(RefOr::T(content)) = body.content.get_mut("application/json")
    {
        if let Some(named) = requests(name) {
            for (title, value) in named {
                content.examples.insert(
                    title.to_string(),
                    RefOr::T(
                        utoipa::openapi::example::Example::builder()
                            .value(Some(value))
                            .build(),
                    ),
                );
            }
        } else if let Some(example) = request(name) {
            content.example = Some(example);
        }
    }
    for (status, response) in op.responses.responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        for (media, content) in response.content.iter_mut() {
            let RefOr::T(content) = content else { continue };
            if content.example.is_some() || !content.examples.is_empty() {
                continue;
            }
            content.example = if media == "application/problem+json" {
                problem(name, status)
            } else if media == "application/json" {
                answer(name, status)
            } else {
                None
            };
        }
    }
}

/// A problem of `status` as the server makes it on `name` (`POST /v1/batches`), for answers
/// documented without an example.
fn problem(name: &str, status: &str) -> Option<Value> {
    let error = match status {
        "400" => Error::Malformed("EOF while parsing an object at line 1 column 9".into()),
        "401" => Error::Unauthorized("unknown or revoked API key"),
        "404" => Error::NotFound("shipment"),
        "409" => Error::Conflict(
            "shipment shp_0193a4c1f2e37c0e9a0b4d6f8e1c2a3b is already voided".into(),
        ),
        "408" => Error::BodyTimeout,
        "413" => {
            let (method, route) = name.split_once(' ').unwrap_or((name, ""));
            Error::TooLarge(super::body_limit(method, Some(route)) as u64)
        }
        "415" => Error::UnsupportedMedia,
        "422" => Error::field("/name", "1 to 64 letters, digits, - or _"),
        "429" => Error::LoginThrottled(4),
        "500" => Error::PurchaseUnrecorded("1ZSBX0000000000001".into()),
        "502" => Error::Carrier(shiphub_carriers::CarrierError::Auth {
            carrier: shiphub_carriers::CarrierCode::from_static("ups"),
            code: Some("250003".into()),
        }),
        _ => return None,
    };
    Some(serde_json::to_value(error.problem().1).expect("a problem serializes"))
}

fn from() -> Value {
    json!({"name": "Shipper", "street": ["100 Main St"], "city": "Atlanta", "state": "GA",
        "postal_code": "30301", "country": "US", "phone": "+14045550100"})
}
fn to() -> Value {
    json!({"name": "Receiver", "street": ["1 Market St"], "city": "San Francisco", "state": "CA",
        "postal_code": "94105", "country": "US", "residential": true})
}
fn parcels() -> Value {
    json!([{"weight": {"value": "2.5", "unit": "kg"},
        "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"}}])
}

/// Operations with several requests worth showing, each named.
fn requests(name: &str) -> Option<Vec<(&'static str, Value)>> {
    let account = "car_0193a4c0b1e27d3f8c5a6b7e9d0f1a2b";
    Some(match name {
        "POST /v1/shipments" => vec![
            ("outbound", request(name)?),
            (
                "verified_with_options_and_return_label",
                json!({"from": from(), "to": to(), "parcels": parcels(),
                "carrier_account": account, "service": "standard", "reference": "ORDER-1002",
                "verify": true, "options": {"signature": "adult", "declared_value":
                    {"amount": "250.00", "currency": "USD"}}, "return_label": true}),
            ),
            (
                "lithium_batteries",
                json!({"from": from(), "to": to(), "parcels": parcels(),
                "carrier_account": account, "service": "standard", "reference": "ORDER-1003",
                "options": {"lithium_batteries":
                    {"material": "ion", "packing": "contained_in_equipment"}}}),
            ),
            (
                "return_label",
                json!({"from": to(), "to": from(), "parcels": parcels(),
                "carrier_account": account, "service": "standard", "reference": "RMA-1002",
                "is_return": true}),
            ),
            (
                "rate_and_buy_by_strategy",
                json!({"from": from(), "to": to(), "parcels": parcels(), "reference": "ORDER-1004",
                "strategy": "deliver_by", "deliver_by": {"date": "2026-12-17", "confidence": 0.9},
                "tags": ["fragile"]}),
            ),
        ],
        "POST /v1/rates" => vec![
            ("cheapest", request(name)?),
            (
                "deliver_by",
                json!({"from": from(), "to": to(), "parcels": parcels(), "ship_date": "2026-12-14",
                "strategy": "deliver_by", "deliver_by": {"date": "2026-12-17", "confidence": 0.9}}),
            ),
            (
                "on_time",
                json!({"from": from(), "to": to(), "parcels": parcels(),
                "strategy": "on_time", "on_time": {"threshold": 0.95}, "tags": ["fragile"]}),
            ),
        ],
        _ => return None,
    })
}

fn request(name: &str) -> Option<Value> {
    Some(match name {
        "POST /v1/rates" => json!({"from": from(), "to": to(), "parcels": parcels(),
            "options": {"signature": "direct"}, "strategy": "cheapest", "deadline_ms": 3000}),
        "PUT /v1/routing-rules" => json!({"settings": {"window_days": 90, "lane_prefix": 3,
            "min_samples": 20}, "rules": [
            {"name": "no-economy-for-fragile", "when": {"tags_any": ["fragile"]},
             "then": {"exclude": [{"carrier": "sandbox", "service": "economy"}]}},
            {"name": "alaska-cap", "when": {"to_region": ["AK"], "max_weight_kg": "10"},
             "then": {"max_price": {"amount": "60.00", "currency": "USD"}, "require_signature": true}}]}),
        "POST /v1/addresses/verify" => json!({"address": {"name": "Receiver",
            "street": ["1 Market Street"], "city": "San Francisco", "state": "CA",
            "postal_code": "94105", "country": "US"},
            "carrier_account": "car_0193a4c0b1e27d3f8c5a6b7e9d0f1a2b"}),
        "POST /v1/shipments" => json!({"from": from(), "to": to(), "parcels": parcels(),
            "carrier_account": "car_0193a4c0b1e27d3f8c5a6b7e9d0f1a2b", "service": "standard",
            "label_format": "pdf", "reference": "ORDER-1001"}),
        "POST /v1/pickups" => json!({"carrier_account": "car_0193a4c0b1e27d3f8c5a6b7e9d0f1a2b",
            "date": "2026-12-08", "ready_time": "09:00", "close_time": "17:00",
            "shipments": ["shp_0193a4c1f2e37c0e9a0b4d6f8e1c2a3b"],
            "instructions": "Dock 3, ring twice"}),
        "POST /v1/manifests" => json!({"carrier_account": "car_0193a4c0b1e27d3f8c5a6b7e9d0f1a2b",
            "ship_date": "2026-12-07"}),
        "POST /v1/batches" => {
            let item = |reference: &str| {
                json!({"from": from(), "to": to(), "parcels": parcels(),
                "carrier_account": "car_01a24dcf0e1c7008afffcb7073a3496e", "service": "standard",
                "reference": reference})
            };
            json!({"label_format": "pdf", "items": [item("ORDER-2001"), item("REJECT-2002")]})
        }
        "POST /v1/batches/{id}/print" => {
            json!({"station_id": "pst_01a24e7005087349b032cff9751ff33f",
            "sort": "reference", "copies": 1})
        }
        "POST /v1/carrier-accounts" => json!({"carrier": "ups", "name": "UPS",
            "base_url": "https://wwwcie.ups.com", "credentials": {"client_id": "x",
            "client_secret": "y", "account_number": "A1B2C3", "push_secret": "0123456789abcdef0123"}}),
        "POST /v1/trackers" => json!({"tracking_number": "1Z204W4R0308071865", "carrier": "ups",
            "carrier_account": "car_01a24b27517171128e853c51f87b86c7"}),
        "POST /v1/print-stations" => {
            json!({"name": "Dock 3 Zebra", "format": "zpl", "stock": "4x6", "dpi": 203})
        }
        "POST /v1/print-jobs" => json!({"shipment_id": "shp_0193a4c1f2e37c0e9a0b4d6f8e1c2a3b",
            "station_id": "pst_0193a4c3a1b27e4d9c8f7a6b5e4d3c2b", "copies": 1}),
        "POST /v1/print-jobs/{id}/ack" => json!({"status": "printed"}),
        "POST /v1/print-stations/self/status" => {
            json!({"printer": "paper_out", "detail": "media out on roll 2"})
        }
        "POST /v1/webhooks" => json!({"url": "https://orders.example.com/hooks/shiphub",
            "events": ["shipment.created", "tracker.updated"], "description": "Order system"}),
        "PATCH /v1/webhooks/{id}" => json!({"description": "Order system (EU)", "enabled": true}),
        "PUT /v1/event-streams/subscription" => {
            json!({"events": ["shipment.created", "shipment.voided", "shipment.delivered"]})
        }
        "POST /v1/invoices/pull" => {
            json!({"carrier_account": "car_01a24cf9a5907775a89a38c467db7a15",
            "from": "2026-11-01", "to": "2026-11-30"})
        }
        "POST /v1/session" => json!({"tenant": "default", "email": "ann@example.com",
            "password": "correct horse battery staple"}),
        "POST /v1/users" => json!({"email": "ben@example.com", "role": "shipping"}),
        "PATCH /v1/users/{id}" => json!({"role": "viewer"}),
        "POST /v1/invitations/accept" => json!({"password": "correct horse battery staple",
            "token": "inv_9f2c4e1a7b3d5f60819a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70"}),
        "POST /v1/password-reset" => json!({"password": "a brand new passphrase",
            "token": "rst_0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f809"}),
        "POST /v1/api-keys" => json!({"name": "warehouse-scanner", "role": "warehouse"}),
        "PUT /v1/audit-settings" => json!({"tolerances": {"amount": "0.05", "percent": "0.5"},
            "fuel": [], "contract_cards": {}}),
        "POST /v1/carrier-events/{carrier}/{account}" => json!({
            "trackingNumber": "1Z204W4R0308071865", "localActivityDate": "20240423",
            "localActivityTime": "091519", "scheduledDeliveryDate": "20240423",
            "activityLocation": {"city": "Charlotte", "stateProvince": "NC", "postalCode": "30004", "country": "US"},
            "activityStatus": {"type": "I", "code": "OT", "description": "Out for Delivery", "descriptionCode": "021"},
            "gmtActivityDate": "20240423", "gmtActivityTime": "131519"}),
        "POST /v1/carrier-events/{carrier}/{account}/k/{key}" => json!({"Body": {"WaybillRoute": [{
            "mailno": "SF1440000000007", "orderid": "SH3f1c2a9b0d4e5f6a7b8c9d0e1f2a3b",
            "acceptTime": "2026-12-06 18:20:00", "acceptAddress": "襄阳市",
            "remark": "快件已放入丰巢智能柜", "opCode": "130", "id": "9001",
            "reasonCode": "", "reasonName": ""}]}}),
        _ => return None,
    })
}

/// Real answers, keyed `METHOD /path` then status (`examples.json`).
fn answer(name: &str, status: &str) -> Option<Value> {
    static ANSWERS: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let answers = ANSWERS.get_or_init(|| {
        serde_json::from_str(include_str!("examples.json")).expect("examples.json is JSON")
    });
    answers.get(name)?.get(status).cloned()
}
