//! Stocks, resolutions, extra symbols, multi-piece documents and conversions, checked the
//! way a scanner sees them: PDFs rasterized by poppler's `pdftoppm`, ZPL drawn by
//! `labelize`, and every symbol decoded by `zbarimg` (rxing for DataMatrix, which zbar
//! cannot read). Missing tools fail under `CI=true` and skip loudly elsewhere.

mod common;
use common::have_tools;
use std::path::Path;
use std::process::Command;

use rust_decimal_macros::dec;
use shiphub_carriers::model::{Address, LabelFormat, Weight, WeightUnit};
use shiphub_labels::convert::{image_to_png, image_to_zpl, pdf_to_zpl, zpl_to_pdf, zpl_to_png};
use shiphub_labels::{
    Dpi, Gs1Barcode, Label, LabelError, LabelSpec, MatrixCode, RenderOptions, Stock, render_with,
};
use time::{Date, Month};

fn address(name: &str, city: &str, postal: &str, country: &str) -> Address {
    Address {
        name: name.into(),
        company: None,
        street: vec!["1 Market St".into()],
        city: city.into(),
        district: None,
        state: None,
        postal_code: Some(postal.into()),
        country: country.parse().unwrap(),
        phone: None,
        email: None,
        residential: false,
    }
}

fn spec(tracking: &str, piece: u16, count: u16) -> LabelSpec {
    LabelSpec {
        carrier: "Sandbox".into(),
        service_name: "Sandbox Express".into(),
        service_code: "EXP".into(),
        tracking_number: tracking.parse().unwrap(),
        from: address("Shipping Dept", "Atlanta", "30303", "US"),
        to: address("Jane Receiver", "San Francisco", "94105", "US"),
        weight: Weight::new(dec!(1.2), WeightUnit::Kg).unwrap(),
        reference: Some("PO-1".into()),
        ship_date: Date::from_calendar_date(2026, Month::November, 23).unwrap(),
        piece_number: piece,
        piece_count: count,
        master_tracking_number: None,
        contents: None,
        remark: None,
    }
}

const TRACKING: &str = "1Z999AA10123456784";
const QR_TEXT: &str = "https://hub.example/t/1Z999AA10123456784";

fn sscc() -> Gs1Barcode {
    Gs1Barcode::sscc(1, "0614141123456789").unwrap()
}

/// The SSCC as zbar reports a GS1-128 symbol: AI and data, no leading FNC1.
const SSCC_DATA: &str = "00106141411234567897";

fn full_label(matrix: MatrixCode) -> Label {
    Label {
        spec: spec(TRACKING, 1, 1),
        gs1: Some(sscc()),
        matrix: Some(matrix),
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success() || out.status.code() == Some(4),
        "{cmd:?} exited {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// PNG files of every page, rasterized at 300 dpi.
fn pdf_pages(pdf: &[u8], dir: &Path, name: &str) -> Vec<std::path::PathBuf> {
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).unwrap();
    run(Command::new("pdftoppm")
        .args(["-r", "300", "-png"])
        .arg(&file)
        .arg(dir.join(name)));
    let mut pages: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with(&format!("{name}-")) && n.ends_with(".png")
        })
        .collect();
    pages.sort();
    pages
}

/// What zbar finds in a PNG, sorted, as `SYMBOLOGY:data` (QR-Code, CODE-128).
fn zbar(png: &Path) -> Vec<String> {
    let mut found: Vec<String> = run(Command::new("zbarimg").args(["-q"]).arg(png))
        .lines()
        .map(str::to_owned)
        .collect();
    found.sort();
    found
}

fn write_png(dir: &Path, name: &str, png: &[u8]) -> std::path::PathBuf {
    let path = dir.join(format!("{name}.png"));
    std::fs::write(&path, png).unwrap();
    path
}

/// The DataMatrix rxing finds in a PNG, or None. TryHarder: the symbol sits among
/// text and bars on a whole label, where rxing's fast pass gives up early.
fn rxing_datamatrix(png: &Path) -> Option<String> {
    let img = image::open(png).unwrap().to_luma8();
    let (w, h) = img.dimensions();
    let mut hints = rxing::DecodeHints::default().with(rxing::DecodeHintValue::TryHarder(true));
    rxing::helpers::detect_in_luma_with_hints(
        img.into_raw(),
        w,
        h,
        Some(rxing::BarcodeFormat::DATA_MATRIX),
        &mut hints,
    )
    .ok()
    .map(|r| r.getText().to_owned())
}

fn expected_with_qr(tracking: &str) -> Vec<String> {
    let mut v = vec![
        format!("CODE-128:{SSCC_DATA}"),
        format!("CODE-128:{tracking}"),
        format!("QR-Code:{QR_TEXT}"),
    ];
    v.sort();
    v
}

#[test]
fn pdf_on_every_stock_scans_tracking_gs1_and_qr() {
    if !have_tools(&["pdftoppm", "zbarimg", "pdfinfo"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let label = full_label(MatrixCode::Qr(QR_TEXT.into()));
    for (stock, size) in [
        (Stock::In4x6, "288 x 432 pts"),
        (Stock::In4x8, "288 x 576 pts"),
        (Stock::A6, "297.638 x 419.528 pts"),
        (Stock::Letter2Up, "612 x 792 pts (letter)"),
        (Stock::A42Up, "595.276 x 841.89 pts (A4)"),
    ] {
        let name = format!("{stock:?}");
        let options = RenderOptions {
            stock,
            dpi: Dpi::D203,
            ..Default::default()
        };
        let pdf = render_with(std::slice::from_ref(&label), LabelFormat::Pdf, &options).unwrap();
        let file = dir.path().join(format!("{name}-info.pdf"));
        std::fs::write(&file, &pdf).unwrap();
        let info = run(Command::new("pdfinfo").arg(&file));
        let page_size = info
            .lines()
            .find_map(|l| l.strip_prefix("Page size:"))
            .map(str::trim);
        assert_eq!(page_size, Some(size), "{stock:?}");
        let pages = pdf_pages(&pdf, dir.path(), &name);
        assert_eq!(pages.len(), 1, "{stock:?}");
        assert_eq!(zbar(&pages[0]), expected_with_qr(TRACKING), "{stock:?}");
    }
}

#[test]
fn datamatrix_option_decodes_from_pdf_zpl_and_png() {
    if !have_tools(&["pdftoppm", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let label = full_label(MatrixCode::DataMatrix(TRACKING.into()));
    let one = std::slice::from_ref(&label);
    for stock in [Stock::In4x6, Stock::In4x8] {
        let options = RenderOptions {
            stock,
            dpi: Dpi::D203,
            ..Default::default()
        };
        let pdf = render_with(one, LabelFormat::Pdf, &options).unwrap();
        let page = &pdf_pages(&pdf, dir.path(), &format!("dm-{stock:?}"))[0];
        assert_eq!(
            rxing_datamatrix(page).as_deref(),
            Some(TRACKING),
            "PDF {stock:?}"
        );
        let png = render_with(one, LabelFormat::Png, &options).unwrap();
        let png = write_png(dir.path(), &format!("dm-{stock:?}"), &png);
        assert_eq!(
            rxing_datamatrix(&png).as_deref(),
            Some(TRACKING),
            "PNG {stock:?}"
        );
        // zbar still reads both Code 128 symbols next to it.
        let mut linear = vec![
            format!("CODE-128:{SSCC_DATA}"),
            format!("CODE-128:{TRACKING}"),
        ];
        linear.sort();
        assert_eq!(zbar(&png), linear, "PNG {stock:?}");
        for dpi in [Dpi::D203, Dpi::D300] {
            let options = RenderOptions {
                stock,
                dpi,
                ..Default::default()
            };
            let zpl = render_with(one, LabelFormat::Zpl, &options).unwrap();
            let drawn = zpl_to_png(&zpl, &options).unwrap();
            let path = write_png(dir.path(), &format!("dm-zpl-{stock:?}-{dpi:?}"), &drawn[0]);
            assert_eq!(
                rxing_datamatrix(&path).as_deref(),
                Some(TRACKING),
                "ZPL {stock:?} {dpi:?}"
            );
        }
    }
}

#[test]
fn zpl_at_both_resolutions_scans_after_drawing() {
    if !have_tools(&["zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let label = full_label(MatrixCode::Qr(QR_TEXT.into()));
    for stock in [Stock::In4x6, Stock::In4x8, Stock::A6] {
        for dpi in [Dpi::D203, Dpi::D300] {
            let options = RenderOptions {
                stock,
                dpi,
                ..Default::default()
            };
            let zpl =
                render_with(std::slice::from_ref(&label), LabelFormat::Zpl, &options).unwrap();
            let text = String::from_utf8(zpl.clone()).unwrap();
            let (w, h) = stock.page_mm();
            let dots = |mm: f32| (mm * dpi.dpi() as f32 / 25.4).round() as u32;
            assert!(
                text.contains(&format!("^PW{}\n^LL{}", dots(w), dots(h))),
                "{stock:?} {dpi:?}"
            );
            let pngs = zpl_to_png(&zpl, &options).unwrap();
            assert_eq!(pngs.len(), 1);
            let path = write_png(dir.path(), &format!("zpl-{stock:?}-{dpi:?}"), &pngs[0]);
            assert_eq!(zbar(&path), expected_with_qr(TRACKING), "{stock:?} {dpi:?}");
        }
    }
}

#[test]
fn png_output_is_the_label_at_printer_resolution_and_scans() {
    if !have_tools(&["zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let label = full_label(MatrixCode::Qr(QR_TEXT.into()));
    for (dpi, width) in [(Dpi::D203, 813), (Dpi::D300, 1220)] {
        let options = RenderOptions {
            stock: Stock::In4x6,
            dpi,
            ..Default::default()
        };
        let png = render_with(std::slice::from_ref(&label), LabelFormat::Png, &options).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        // labelize rounds fractional dots up: 101.6 mm × 8 or 12 dots/mm.
        assert_eq!(img.width(), width, "{dpi:?}");
        let path = write_png(dir.path(), &format!("png-{dpi:?}"), &png);
        assert_eq!(zbar(&path), expected_with_qr(TRACKING), "{dpi:?}");
    }
}

#[test]
fn multi_piece_shipment_is_one_pdf_and_one_zpl_stream() {
    if !have_tools(&["pdftoppm", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let numbers = [
        "1Z999AA10123456784",
        "1Z999AA10123456793",
        "1Z999AA10123456800",
    ];
    let labels: Vec<Label> = numbers
        .iter()
        .enumerate()
        .map(|(i, n)| spec(n, i as u16 + 1, 3).into())
        .collect();
    let code128 = |n: &str| format!("CODE-128:{n}");

    let pdf = render_with(&labels, LabelFormat::Pdf, &RenderOptions::default()).unwrap();
    let pages = pdf_pages(&pdf, dir.path(), "multi");
    assert_eq!(pages.len(), 3);
    for (page, n) in pages.iter().zip(numbers) {
        assert_eq!(zbar(page), vec![code128(n)]);
    }

    let letter = RenderOptions {
        stock: Stock::Letter2Up,
        dpi: Dpi::D203,
        ..Default::default()
    };
    let pdf = render_with(&labels, LabelFormat::Pdf, &letter).unwrap();
    let pages = pdf_pages(&pdf, dir.path(), "letter");
    assert_eq!(
        pages.len(),
        2,
        "two labels on the first sheet, one on the second"
    );
    let mut first: Vec<String> = numbers[..2].iter().map(|n| code128(n)).collect();
    first.sort();
    assert_eq!(zbar(&pages[0]), first);
    assert_eq!(zbar(&pages[1]), vec![code128(numbers[2])]);

    let zpl = render_with(&labels, LabelFormat::Zpl, &RenderOptions::default()).unwrap();
    let text = String::from_utf8(zpl.clone()).unwrap();
    assert_eq!(text.matches("^XA").count(), 3);
    assert_eq!(text.matches("^XZ").count(), 3);
    let pngs = zpl_to_png(&zpl, &RenderOptions::default()).unwrap();
    assert_eq!(pngs.len(), 3);
    for (i, (png, n)) in pngs.iter().zip(numbers).enumerate() {
        let path = write_png(dir.path(), &format!("multi-zpl-{i}"), png);
        assert_eq!(zbar(&path), vec![code128(n)], "label {i}");
    }
}

#[test]
fn gs1_too_long_for_4x6_asks_for_4x8() {
    // 28 symbol characters: 321 modules need 85 mm at 0.25 mm, 4×6 has 59.
    let long = Gs1Barcode::new([
        ("420", "94105"),
        ("00", "106141411234567897"),
        ("400", "PO12345678"),
    ])
    .unwrap();
    let label = Label {
        spec: spec(TRACKING, 1, 1),
        gs1: Some(long),
        matrix: None,
    };
    let one = std::slice::from_ref(&label);
    let err = render_with(one, LabelFormat::Pdf, &RenderOptions::default()).unwrap_err();
    assert!(
        matches!(err, LabelError::InvalidSpec { field: "gs1", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("4x8"), "{err}");
    let tall = RenderOptions {
        stock: Stock::In4x8,
        dpi: Dpi::D203,
        ..Default::default()
    };
    let pdf = render_with(one, LabelFormat::Pdf, &tall).unwrap();
    if !have_tools(&["pdftoppm", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let page = &pdf_pages(&pdf, dir.path(), "long-gs1")[0];
    // zbar drops the leading FNC1 and reports the separator after (420) as GS.
    let mut expected = vec![
        "CODE-128:42094105\u{1d}00106141411234567897400PO12345678".to_string(),
        format!("CODE-128:{TRACKING}"),
    ];
    expected.sort();
    assert_eq!(zbar(page), expected);
}

// ---- conversions -------------------------------------------------------------------

/// A carrier-style label image drawn with barcoders directly (not this crate's code):
/// a Code 128 symbol of `data` at `module` px per module, on a white `w` × `h` canvas.
fn carrier_image(data: &str, w: u32, h: u32, module: u32) -> image::GrayImage {
    let modules = barcoders::sym::code128::Code128::new(format!("Ɓ{data}"))
        .unwrap()
        .encode();
    let mut img = image::GrayImage::from_pixel(w, h, image::Luma([255]));
    let left = (w - modules.len() as u32 * module) / 2;
    for (i, &m) in modules.iter().enumerate() {
        if m == 1 {
            for x in 0..module {
                for y in h / 3..h / 3 + h / 4 {
                    img.put_pixel(left + i as u32 * module + x, y, image::Luma([0]));
                }
            }
        }
    }
    img
}

fn encode(img: &image::GrayImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(img.clone())
        .to_rgba8()
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}

#[test]
fn carrier_png_and_gif_become_compressed_zpl_that_scans() {
    if !have_tools(&["zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = "JD014600006281234567";
    // Upright 4×6 at 203 dpi (FedEx/DHL style), and a landscape UPS-style GIF.
    let upright = carrier_image(data, 812, 1218, 3);
    let landscape = carrier_image(data, 1400, 800, 3);
    for (name, bytes) in [
        ("png", encode(&upright, image::ImageFormat::Png)),
        ("gif", encode(&landscape, image::ImageFormat::Gif)),
    ] {
        for dpi in [Dpi::D203, Dpi::D300] {
            let options = RenderOptions {
                stock: Stock::In4x6,
                dpi,
                ..Default::default()
            };
            let zpl = image_to_zpl(&bytes, &options).unwrap();
            let text = String::from_utf8(zpl.clone()).unwrap();
            assert!(text.contains("^GFA,"), "{name}");
            // Compressed: far below two hex digits per byte of bitmap.
            let raw_bytes = (812 * dpi.dpi() as usize / 203).div_ceil(8) * 1218;
            assert!(
                text.len() < raw_bytes / 4,
                "{name} {dpi:?}: {} chars",
                text.len()
            );
            let png = &zpl_to_png(&zpl, &options).unwrap()[0];
            let path = write_png(dir.path(), &format!("conv-{name}-{dpi:?}"), png);
            assert_eq!(
                zbar(&path),
                vec![format!("CODE-128:{data}")],
                "{name} {dpi:?}"
            );
        }
    }
}

/// A vector PDF as carriers send them, written with lopdf directly (not this crate's code):
/// one 4×6 in page per number, each a Code 128 symbol drawn as filled rectangles.
fn carrier_pdf(numbers: &[&str]) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut kids = vec![];
    for number in numbers {
        let modules = barcoders::sym::code128::Code128::new(format!("Ɓ{number}"))
            .unwrap()
            .encode();
        let module = 0.9; // pt: 0.32 mm, a common carrier X-dimension
        let left = (288.0 - modules.len() as f64 * module) / 2.0;
        let mut ops = String::from("0 0 0 rg\n");
        for (i, &m) in modules.iter().enumerate() {
            if m == 1 {
                ops.push_str(&format!(
                    "{:.2} 200 {module} 90 re f\n",
                    left + i as f64 * module
                ));
            }
        }
        let content = doc.add_object(Stream::new(dictionary! {}, ops.into_bytes()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 288.into(), 432.into()],
            "Contents" => content,
        });
        kids.push(Object::Reference(page));
    }
    let count = kids.len() as i64;
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => count }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = vec![];
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn carrier_pdf_becomes_zpl_that_scans() {
    if !have_tools(&["zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let numbers = ["794953535000", "JD014600006281234567"];
    let vector = carrier_pdf(&numbers);
    // Our own multi-piece label with its extra symbols, as a second, busier input.
    let ours = render_with(
        &[full_label(MatrixCode::Qr(QR_TEXT.into()))],
        LabelFormat::Pdf,
        &RenderOptions::default(),
    )
    .unwrap();
    for dpi in [Dpi::D203, Dpi::D300] {
        let options = RenderOptions {
            stock: Stock::In4x6,
            dpi,
            ..Default::default()
        };
        let zpl = pdf_to_zpl(&vector, &options).unwrap();
        let text = String::from_utf8(zpl.clone()).unwrap();
        assert_eq!(text.matches("^XA").count(), 2, "a label per page");
        assert!(text.contains("^GFA,"));
        let pngs = zpl_to_png(&zpl, &options).unwrap();
        for (i, (png, number)) in pngs.iter().zip(numbers).enumerate() {
            let path = write_png(dir.path(), &format!("pdfzpl-{dpi:?}-{i}"), png);
            assert_eq!(zbar(&path), vec![format!("CODE-128:{number}")], "{dpi:?}");
        }

        let zpl = pdf_to_zpl(&ours, &options).unwrap();
        let png = &zpl_to_png(&zpl, &options).unwrap()[0];
        let path = write_png(dir.path(), &format!("ours-{dpi:?}"), png);
        let mut expected = vec![
            format!("CODE-128:{SSCC_DATA}"),
            format!("CODE-128:{TRACKING}"),
            format!("QR-Code:{QR_TEXT}"),
        ];
        expected.sort();
        assert_eq!(zbar(&path), expected, "{dpi:?}");
    }
    // Not a PDF, and sheets (office printers), are refused with a reason.
    assert!(matches!(
        pdf_to_zpl(b"%PDF-nonsense", &RenderOptions::default()),
        Err(LabelError::Conversion(_))
    ));
    let sheet = RenderOptions {
        stock: Stock::A42Up,
        dpi: Dpi::D203,
        ..Default::default()
    };
    assert!(matches!(
        pdf_to_zpl(&vector, &sheet),
        Err(LabelError::UnsupportedStock { .. })
    ));
}

#[test]
fn carrier_zpl_becomes_pdf_and_png_that_scan() {
    if !have_tools(&["pdftoppm", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // Hand-written carrier-style ZPL: native ^BC and ^BQ, as carriers send them.
    let zpl = b"^XA^PW812^LL1218\
        ^FO50,50^A0N,40,40^FDCARRIER LABEL^FS\
        ^FO60,300^BY3^BCN,200,N,N,N^FD1Z999AA10123456784^FS\
        ^FO200,700^BQN,2,8^FDMA,https://carrier.example/1Z^FS^XZ\
        ^XA^PW812^LL1218^FO60,300^BY3^BCN,200,N,N,N^FD1Z999AA10123456793^FS^XZ";
    let mut first = vec![
        "CODE-128:1Z999AA10123456784".to_string(),
        "QR-Code:https://carrier.example/1Z".to_string(),
    ];
    first.sort();
    let second = vec!["CODE-128:1Z999AA10123456793".to_string()];

    let pdf = zpl_to_pdf(zpl, &RenderOptions::default()).unwrap();
    let pages = pdf_pages(&pdf, dir.path(), "carrier");
    assert_eq!(pages.len(), 2);
    assert_eq!(zbar(&pages[0]), first);
    assert_eq!(zbar(&pages[1]), second);

    let sheet = RenderOptions {
        stock: Stock::A42Up,
        dpi: Dpi::D203,
        ..Default::default()
    };
    let pdf = zpl_to_pdf(zpl, &sheet).unwrap();
    let pages = pdf_pages(&pdf, dir.path(), "carrier-a4");
    assert_eq!(pages.len(), 1);
    let mut both = [first.clone(), second.clone()].concat();
    both.sort();
    assert_eq!(zbar(&pages[0]), both);

    let pngs = zpl_to_png(zpl, &RenderOptions::default()).unwrap();
    assert_eq!(pngs.len(), 2);
    assert_eq!(zbar(&write_png(dir.path(), "carrier-0", &pngs[0])), first);
}

#[test]
fn unreadable_documents_are_conversion_errors() {
    let options = RenderOptions::default();
    assert!(matches!(
        image_to_zpl(b"not an image", &options),
        Err(LabelError::Conversion(_))
    ));
    assert!(matches!(
        zpl_to_png(b"no labels here", &options),
        Err(LabelError::Conversion(_))
    ));
    let sheet = RenderOptions {
        stock: Stock::Letter2Up,
        dpi: Dpi::D203,
        ..Default::default()
    };
    assert!(matches!(
        image_to_zpl(b"", &sheet),
        Err(LabelError::UnsupportedStock { .. })
    ));
}

// ---- what every label shows ------------------------------------------------------

/// The routing Data Matrix text for `spec(TRACKING, …)`, written out by hand from the
/// format documented on `LabelSpec::routing_text`.
const ROUTING: &str = "SH1|1Z999AA10123456784|US|94105";

fn with_phones(mut spec: LabelSpec) -> LabelSpec {
    spec.from.phone = Some("+1 404 555 0100".into());
    spec.to.phone = Some("+1 415 555 0199".into());
    spec
}

#[test]
fn every_label_shows_both_phones_and_a_routing_datamatrix() {
    if !have_tools(&["pdftoppm", "pdftotext", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let label = Label::from(with_phones(spec(TRACKING, 1, 1)));
    let one = std::slice::from_ref(&label);
    for stock in [
        Stock::In4x6,
        Stock::In4x8,
        Stock::A6,
        Stock::Letter2Up,
        Stock::A42Up,
    ] {
        let options = RenderOptions {
            stock,
            dpi: Dpi::D203,
            ..Default::default()
        };
        let pdf = render_with(one, LabelFormat::Pdf, &options).unwrap();
        let file = dir.path().join(format!("phones-{stock:?}.pdf"));
        std::fs::write(&file, &pdf).unwrap();
        let text = run(Command::new("pdftotext").arg(&file).arg("-"));
        for phone in ["TEL +1 404 555 0100", "TEL +1 415 555 0199"] {
            assert!(
                text.contains(phone),
                "{stock:?}: {phone:?} missing:\n{text}"
            );
        }
        let page = &pdf_pages(&pdf, dir.path(), &format!("routing-{stock:?}"))[0];
        assert_eq!(
            rxing_datamatrix(page).as_deref(),
            Some(ROUTING),
            "PDF {stock:?}"
        );
        // The tracking barcode still scans beside it.
        assert_eq!(
            zbar(page),
            vec![format!("CODE-128:{TRACKING}")],
            "PDF {stock:?}"
        );
        if stock.is_sheet() {
            continue;
        }
        for dpi in [Dpi::D203, Dpi::D300] {
            let options = RenderOptions {
                stock,
                dpi,
                ..Default::default()
            };
            let zpl = render_with(one, LabelFormat::Zpl, &options).unwrap();
            let zpl_text = String::from_utf8(zpl.clone()).unwrap();
            for phone in ["TEL +1 404 555 0100", "TEL +1 415 555 0199"] {
                assert!(zpl_text.contains(phone), "ZPL {stock:?} {dpi:?}: {phone:?}");
            }
            let drawn = zpl_to_png(&zpl, &options).unwrap();
            let path = write_png(
                dir.path(),
                &format!("routing-zpl-{stock:?}-{dpi:?}"),
                &drawn[0],
            );
            assert_eq!(
                rxing_datamatrix(&path).as_deref(),
                Some(ROUTING),
                "ZPL {stock:?} {dpi:?}"
            );
            let png = render_with(one, LabelFormat::Png, &options).unwrap();
            let path = write_png(dir.path(), &format!("routing-{stock:?}-{dpi:?}"), &png);
            assert_eq!(
                rxing_datamatrix(&path).as_deref(),
                Some(ROUTING),
                "PNG {stock:?} {dpi:?}"
            );
            assert_eq!(
                zbar(&path),
                vec![format!("CODE-128:{TRACKING}")],
                "PNG {stock:?} {dpi:?}"
            );
        }
    }
}

#[test]
fn the_routing_datamatrix_keeps_a_postal_code_with_a_space() {
    if !have_tools(&["pdftoppm"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec(TRACKING, 1, 1);
    s.to = address("Jane Buyer", "London", "sw1a 1aa", "GB");
    let pdf = render_with(&[s.into()], LabelFormat::Pdf, &RenderOptions::default()).unwrap();
    let page = &pdf_pages(&pdf, dir.path(), "routing-gb")[0];
    assert_eq!(
        rxing_datamatrix(page).as_deref(),
        Some("SH1|1Z999AA10123456784|GB|SW1A 1AA")
    );
}

// ---- UPS's landscape image as a PNG label -----------------------------------------

/// UPS's GIF label shape (1400 × 800, landscape, label turned counter-clockwise), written
/// by `fixtures/ups_landscape_label.py`; see `fixtures/SOURCES.md`.
const UPS_LANDSCAPE: &[u8] = include_bytes!("fixtures/ups_landscape_label.png");

/// zbar's symbols as `(data, orientation)`: `UP` reads left to right, upright.
fn zbar_oriented(png: &Path) -> Vec<(String, String)> {
    let xml = run(Command::new("zbarimg").args(["-q", "--xml"]).arg(png));
    xml.split("<symbol ")
        .skip(1)
        .map(|s| {
            let orientation = s
                .split("orientation='")
                .nth(1)
                .and_then(|r| r.split('\'').next())
                .unwrap_or("?")
                .to_string();
            let data = s
                .split("<![CDATA[")
                .nth(1)
                .and_then(|r| r.split("]]>").next())
                .unwrap_or("")
                .to_string();
            (data, orientation)
        })
        .collect()
}

#[test]
fn a_ups_landscape_image_becomes_an_upright_png_on_the_stock() {
    if !have_tools(&["zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fixture = write_png(dir.path(), "ups-fixture", UPS_LANDSCAPE);
    // The fixture is what the test says it is: landscape, read sideways.
    let img = image::load_from_memory(UPS_LANDSCAPE).unwrap().to_luma8();
    assert_eq!(img.dimensions(), (1400, 800));
    assert_eq!(
        zbar_oriented(&fixture),
        vec![(TRACKING.to_string(), "LEFT".to_string())]
    );
    let gif = encode(&img, image::ImageFormat::Gif);
    for (stock, dpi, size) in [
        (Stock::In4x6, Dpi::D203, (812, 1218)),
        (Stock::In4x6, Dpi::D300, (1200, 1800)),
        (Stock::In4x8, Dpi::D203, (812, 1624)),
        (Stock::A6, Dpi::D203, (839, 1183)),
    ] {
        let options = RenderOptions {
            stock,
            dpi,
            ..Default::default()
        };
        for (source, bytes) in [("png", UPS_LANDSCAPE), ("gif", gif.as_slice())] {
            let png = image_to_png(bytes, &options).unwrap();
            let out = image::load_from_memory(&png).unwrap().to_luma8();
            let what = format!("{source} {stock:?} {dpi:?}");
            assert_eq!(out.dimensions(), size, "{what}");
            let path = write_png(dir.path(), &format!("ups-{source}-{stock:?}-{dpi:?}"), &png);
            assert_eq!(
                zbar_oriented(&path),
                vec![(TRACKING.to_string(), "UP".to_string())],
                "{what}"
            );
            // The label's top-left corner mark is at the top left, not mirrored: the
            // share of ink in a corner (w/4 × h/8, wide enough for the margins a fitted
            // image leaves) is the mark's (~10 %) there, the frame's (~3 %) elsewhere.
            let (w, h) = out.dimensions();
            let ink_share = |x0: u32, y0: u32| {
                let (cw, ch) = (w / 4, h / 8);
                let dark = (x0..x0 + cw)
                    .flat_map(|x| (y0..y0 + ch).map(move |y| (x, y)))
                    .filter(|&(x, y)| out.get_pixel(x, y).0[0] < 128)
                    .count();
                dark as f64 / f64::from(cw * ch)
            };
            assert!(ink_share(0, 0) > 0.07, "{what}: no mark at the top left");
            assert!(
                ink_share(w - w / 4, 0) < 0.05,
                "{what}: mark at the top right"
            );
            assert!(
                ink_share(0, h - h / 8) < 0.05,
                "{what}: mark at the bottom left"
            );
        }
    }
    let sheet = RenderOptions {
        stock: Stock::Letter2Up,
        dpi: Dpi::D203,
        ..Default::default()
    };
    assert!(matches!(
        image_to_png(UPS_LANDSCAPE, &sheet),
        Err(LabelError::UnsupportedStock { .. })
    ));
}
