//! Render time of one typical label (UPS Ground, one piece) per format and stock, of a
//! 10-piece shipment as one document, and of a carrier PNG converted to ZPL.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rust_decimal_macros::dec;
use shiphub_carriers::model::{Address, LabelFormat, Weight, WeightUnit};
use shiphub_labels::{
    Dpi, Gs1Barcode, Label, LabelSpec, MatrixCode, RenderOptions, Stock, convert, render,
    render_with,
};
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
    let full = [Label {
        spec: spec.clone(),
        gs1: Some(Gs1Barcode::sscc(1, "0614141123456789").unwrap()),
        matrix: Some(MatrixCode::Qr(
            "https://hub.example/t/1Z999AA10123456784".into(),
        )),
    }];
    for (name, format, stock, dpi) in [
        ("full_pdf_4x6", LabelFormat::Pdf, Stock::In4x6, Dpi::D203),
        (
            "full_zpl_4x6_203",
            LabelFormat::Zpl,
            Stock::In4x6,
            Dpi::D203,
        ),
        (
            "full_zpl_4x6_300",
            LabelFormat::Zpl,
            Stock::In4x6,
            Dpi::D300,
        ),
        (
            "full_pdf_letter",
            LabelFormat::Pdf,
            Stock::Letter2Up,
            Dpi::D203,
        ),
        (
            "full_png_4x6_203",
            LabelFormat::Png,
            Stock::In4x6,
            Dpi::D203,
        ),
    ] {
        let options = RenderOptions { stock, dpi };
        c.bench_function(name, |b| {
            b.iter(|| render_with(black_box(&full), format, &options).unwrap())
        });
    }
    let pieces: Vec<Label> = (1..=10)
        .map(|n| {
            Label::from(LabelSpec {
                piece_number: n,
                piece_count: 10,
                ..spec.clone()
            })
        })
        .collect();
    let options = RenderOptions::default();
    c.bench_function("ten_pieces_pdf", |b| {
        b.iter(|| render_with(black_box(&pieces), LabelFormat::Pdf, &options).unwrap())
    });
    c.bench_function("ten_pieces_zpl", |b| {
        b.iter(|| render_with(black_box(&pieces), LabelFormat::Zpl, &options).unwrap())
    });
    let png = render_with(&full, LabelFormat::Png, &options).unwrap();
    c.bench_function("convert_png_to_zpl_203", |b| {
        b.iter(|| convert::image_to_zpl(black_box(&png), &options).unwrap())
    });
    let zpl = render_with(&full, LabelFormat::Zpl, &options).unwrap();
    c.bench_function("convert_zpl_to_pdf_203", |b| {
        b.iter(|| convert::zpl_to_pdf(black_box(&zpl), &options).unwrap())
    });
    let pdf = render_with(&full, LabelFormat::Pdf, &options).unwrap();
    c.bench_function("convert_pdf_to_zpl_203", |b| {
        b.iter(|| convert::pdf_to_zpl(black_box(&pdf), &options).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
