//! CPU per request body on the hub's busiest paths, outside any I/O: what the `JsonBody`
//! extractor does for a rate request and a purchase (JSON syntax, the published schema, the
//! handler's type), and the schema check alone. The bodies are `scripts/bench-api.sh`'s.

use std::hint::black_box;

use axum::http::Method;
use criterion::{Criterion, criterion_group, criterion_main};
use shiphub::api::extract::parse_checked;
use shiphub::api::rates::RatesIn;
use shiphub::api::schema::check_body;
use shiphub::api::shipments::ShipmentIn;

const SHIPMENT: &str = r#""from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},"to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true},"parcels":[{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}]"#;

fn bodies(c: &mut Criterion) {
    let rates = format!("{{{SHIPMENT}}}");
    let purchase = format!(
        r#"{{{SHIPMENT},"carrier_account":"car_0190a0b0c0d0e0f0a0b0c0d0e0f0a0b0","service":"economy","label_format":"pdf","reference":"ORDER-1"}}"#
    );
    let post = Method::POST;
    // Compile the schemas once, outside the measurement.
    parse_checked::<ShipmentIn>(&post, Some("/v1/shipments"), purchase.as_bytes())
        .unwrap_or_else(|_| panic!("the purchase body is valid"));
    parse_checked::<RatesIn>(&post, Some("/v1/rates"), rates.as_bytes())
        .unwrap_or_else(|_| panic!("the rate body is valid"));

    let value: serde_json::Value = serde_json::from_str(&purchase).unwrap();
    c.bench_function("check_body/purchase", |b| {
        b.iter(|| check_body(&post, black_box("/v1/shipments"), black_box(&value)).is_ok())
    });
    c.bench_function("json_body/purchase", |b| {
        b.iter(|| {
            parse_checked::<ShipmentIn>(
                &post,
                Some("/v1/shipments"),
                black_box(purchase.as_bytes()),
            )
            .is_ok()
        })
    });
    c.bench_function("json_body/rates", |b| {
        b.iter(|| {
            parse_checked::<RatesIn>(&post, Some("/v1/rates"), black_box(rates.as_bytes())).is_ok()
        })
    });
}

criterion_group!(benches, bodies);
criterion_main!(benches);
