//! Render time of one typical label (UPS Ground, one piece) in each supported format.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal_macros::dec;
use shiphub_carriers::model::{Address, LabelFormat, Weight, WeightUnit};
use shiphub_labels::{LabelSpec, render};
use time::{Date, Month};

fn address(name: &str, street: &str, city: &str, state: &str, postal: &str) -> Address {
    Address {
        name: name.into(),
        company: Some("Example Co".into()),
        street: vec![street.into()],
        city: city.into(),
        state: Some(state.into()),
        postal_code: Some(postal.into()),
        country: "US".parse().unwrap(),
        phone: None,
        email: None,
        residential: false,
    }
}

fn typical() -> LabelSpec {
    LabelSpec {
        carrier: "UPS".into(),
        service_name: "UPS Ground".into(),
        service_code: "03".into(),
        tracking_number: "1Z999AA10123456784".parse().unwrap(),
        from: address("Shipping Dept", "1 Warehouse Way", "Atlanta", "GA", "30303"),
        to: address(
            "Jane Receiver",
            "1 Market St",
            "San Francisco",
            "CA",
            "94105",
        ),
        weight: Weight::new(dec!(2.5), WeightUnit::Kg).unwrap(),
        reference: Some("PO-12345".into()),
        ship_date: Date::from_calendar_date(2026, Month::November, 23).unwrap(),
        piece_number: 1,
        piece_count: 1,
    }
}

fn bench(c: &mut Criterion) {
    let spec = typical();
    c.bench_function("render_pdf", |b| {
        b.iter(|| render(black_box(&spec), LabelFormat::Pdf).unwrap())
    });
    c.bench_function("render_zpl", |b| {
        b.iter(|| render(black_box(&spec), LabelFormat::Zpl).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
