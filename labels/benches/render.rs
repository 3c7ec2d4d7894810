//! Render time of one typical label (UPS Ground, one piece) per format and stock, of a
//! 10-piece shipment as one document, and of a carrier PNG converted to ZPL.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use shiphub_carriers::model::LabelFormat;
use shiphub_labels::{
    Dpi, Gs1Barcode, Label, LabelSpec, MatrixCode, RenderOptions, Stock, clear_symbol_cache,
    convert, render, render_with,
};

/// The unit tests' typical label, with a company on both addresses (one more line each).
fn typical() -> LabelSpec {
    let mut spec = LabelSpec::example();
    spec.from.company = Some("Example Co".into());
    spec.to.company = Some("Example Co".into());
    spec
}

fn bench(c: &mut Criterion) {
    let spec = typical();
    c.bench_function("render_pdf", |b| {
        b.iter(|| render(black_box(&spec), LabelFormat::Pdf).unwrap())
    });
    c.bench_function("render_zpl", |b| {
        b.iter(|| render(black_box(&spec), LabelFormat::Zpl).unwrap())
    });
    // Chinese names and addresses: the CJK font embedded and subset per document (parsed
    // once per process, before the timing starts), on 4×6 and on the SF e-waybill; ZPL with
    // the glyphs as ^GF graphics and with a printer font.
    let cn = LabelSpec::example_cn();
    let cn_labels = [Label::from(cn.clone())];
    c.bench_function("render_pdf_cn_4x6", |b| {
        b.iter(|| render(black_box(&cn), LabelFormat::Pdf).unwrap())
    });
    for (name, format, printer_font) in [
        ("render_pdf_cn_100x150", LabelFormat::Pdf, None),
        ("render_zpl_cn_100x150_gf", LabelFormat::Zpl, None),
        (
            "render_zpl_cn_100x150_printer_font",
            LabelFormat::Zpl,
            Some("E:SIMSUN.TTF".parse().unwrap()),
        ),
    ] {
        let options = RenderOptions {
            stock: Stock::Cn100x150,
            printer_font,
            ..Default::default()
        };
        c.bench_function(name, |b| {
            b.iter(|| render_with(black_box(&cn_labels), format, &options).unwrap())
        });
    }
    // The SF e-waybill for a new receiver every time: each render cuts a subset of its own
    // (more receivers than the subset cache holds, cycled), as when the label's glyphs were
    // never seen; `render_pdf_cn_100x150` above renders the same glyphs again (a reprint).
    let surnames: Vec<char> = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
        .chars()
        .collect();
    let given: Vec<char> = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"
        .chars()
        .collect();
    let receivers: Vec<[Label; 1]> = (0..(2 * shiphub_fonts::SUBSET_CACHE))
        .map(|i| {
            let mut spec = cn.clone();
            spec.to.name = format!(
                "{}{}{}",
                surnames[i % surnames.len()],
                given[i % given.len()],
                given[(i / given.len() + 3 * i) % given.len()]
            );
            [Label::from(spec)]
        })
        .collect();
    let options = RenderOptions {
        stock: Stock::Cn100x150,
        ..Default::default()
    };
    let mut next = 0;
    c.bench_function("render_pdf_cn_100x150_new_receiver", |b| {
        b.iter(|| {
            next = (next + 1) % receivers.len();
            render_with(black_box(&receivers[next]), LabelFormat::Pdf, &options).unwrap()
        })
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
        let options = RenderOptions {
            stock,
            dpi,
            ..Default::default()
        };
        c.bench_function(name, |b| {
            b.iter(|| render_with(black_box(&full), format, &options).unwrap())
        });
    }
    // The same labels drawn for the first time: every symbol encoded (the figures above
    // reuse the symbols encoded by the first iteration, as a reprint or a second fetch does).
    for (name, format) in [
        ("full_pdf_4x6_first", LabelFormat::Pdf),
        ("full_zpl_4x6_203_first", LabelFormat::Zpl),
    ] {
        let options = RenderOptions::default();
        c.bench_function(name, |b| {
            b.iter(|| {
                clear_symbol_cache();
                render_with(black_box(&full), format, &options).unwrap()
            })
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
