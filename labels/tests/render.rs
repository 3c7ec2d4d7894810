//! Labels as a scanner and a PDF reader see them: PDFs are rasterized with poppler's
//! `pdftoppm` and decoded with `zbarimg`, text is read back with `pdftotext`. Without
//! those tools the tests say they skipped, except under `CI=true`, where they fail.

mod common;
use common::have_tools;
use std::path::Path;
use std::process::Command;

use rust_decimal_macros::dec;
use shiphub_carriers::model::{Address, LabelFormat, Weight, WeightUnit};
use shiphub_labels::{LabelSpec, render};
use time::{Date, Month};

fn address(
    name: &str,
    street: &str,
    city: &str,
    state: Option<&str>,
    postal: &str,
    country: &str,
) -> Address {
    Address {
        name: name.into(),
        company: None,
        street: vec![street.into()],
        city: city.into(),
        district: None,
        state: state.map(Into::into),
        postal_code: Some(postal.into()),
        country: country.parse().unwrap(),
        phone: None,
        email: None,
        residential: false,
    }
}

fn spec(tracking: &str) -> LabelSpec {
    LabelSpec {
        carrier: "UPS".into(),
        service_name: "UPS Ground".into(),
        service_code: "03".into(),
        tracking_number: tracking.parse().unwrap(),
        from: address(
            "Shipping Dept",
            "1 Warehouse Way",
            "Atlanta",
            Some("GA"),
            "30303",
            "US",
        ),
        to: address(
            "Jane Receiver",
            "1 Market St",
            "San Francisco",
            Some("CA"),
            "94105",
            "US",
        ),
        weight: Weight::new(dec!(2.5), WeightUnit::Kg).unwrap(),
        reference: Some("PO-12345".into()),
        ship_date: Date::from_calendar_date(2026, Month::November, 23).unwrap(),
        piece_number: 1,
        piece_count: 2,
        master_tracking_number: None,
        contents: None,
        remark: None,
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?} exited {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Every Code 128 symbol zbar finds on the page rasterized at 300 dpi.
fn scan_pdf(pdf: &[u8], dir: &Path) -> Vec<String> {
    let file = dir.join("label.pdf");
    std::fs::write(&file, pdf).unwrap();
    let png = dir.join("page");
    run(Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-singlefile"])
        .arg(&file)
        .arg(&png));
    // Code 128 only, so a misread as another symbology cannot pass.
    run(Command::new("zbarimg")
        .args(["--raw", "-q", "-Sdisable", "-Scode128.enable"])
        .arg(dir.join("page.png")))
    .lines()
    .map(str::to_owned)
    .collect()
}

fn pdf_text(pdf: &[u8], dir: &Path) -> String {
    let file = dir.join("text.pdf");
    std::fs::write(&file, pdf).unwrap();
    run(Command::new("pdftotext").arg(&file).arg("-"))
}

#[test]
fn pdf_barcode_scans_as_the_tracking_number() {
    if !have_tools(&["pdftoppm", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for tracking in [
        "1Z999AA10123456784",                 // UPS: letters, then digits in subset C
        "9400111899223344556677",             // USPS: all digits, even length
        "123456789012345",                    // FedEx Express: odd digit count
        "9622001900000000000001234567890123", // FedEx Ground 96: 34 digits
        "JJD00A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R", // 40 characters, pure subset B
    ] {
        let pdf = render(&spec(tracking), LabelFormat::Pdf).unwrap();
        assert_eq!(
            scan_pdf(&pdf, dir.path()),
            vec![tracking.to_string()],
            "{tracking}"
        );
    }
}

#[test]
fn pdf_text_carries_receiver_reference_and_tracking_number() {
    if !have_tools(&["pdftotext"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = render(&spec("1Z999AA10123456784"), LabelFormat::Pdf).unwrap();
    let text = pdf_text(&pdf, dir.path());
    for expected in [
        "Jane Receiver",
        "San Francisco, CA 94105",
        "Shipping Dept",
        "PO-12345",
        "1Z999AA10123456784",
        "UPS Ground (03)",
        "2.5 KG",
        "2026-11-23",
        "1 of 2",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

#[test]
fn pdf_is_4x6_inches_and_dated_by_the_ship_date() {
    if !have_tools(&["pdfinfo"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("label.pdf");
    std::fs::write(
        &file,
        render(&spec("1Z999AA10123456784"), LabelFormat::Pdf).unwrap(),
    )
    .unwrap();
    let info = run(Command::new("pdfinfo").args(["-isodates"]).arg(&file));
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in\n{info}"))
    };
    assert_eq!(field("Pages"), "1");
    assert_eq!(field("Page size"), "288 x 432 pts", "4 x 6 in at 72 pt/in");
    assert_eq!(field("CreationDate"), "2026-11-23T00:00:00Z");
}

#[test]
fn names_outside_win_ansi_still_give_a_valid_pdf() {
    if !have_tools(&["pdftotext", "pdftoppm", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut s = spec("1Z999AA10123456784");
    s.to = address(
        "Zoë Müller 東京",
        "Ulica Łódzka 5",
        "Zürich",
        None,
        "8001",
        "CH",
    );
    s.reference = Some("Bestellung «Ärger» – Nr. 7".into());
    let pdf = render(&s, LabelFormat::Pdf).unwrap();
    let text = pdf_text(&pdf, dir.path());
    // WinAnsi keeps Latin-1 accents and strips the Polish stroke; a line with CJK is set in
    // the embedded CJK font (issue 17), accents included.
    for expected in [
        "Zoë Müller 東京",
        "Ulica Lódzka 5",
        "Zürich 8001",
        "Bestellung «Ärger» – Nr. 7",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert_eq!(
        scan_pdf(&pdf, dir.path()),
        vec!["1Z999AA10123456784".to_string()]
    );
}

#[test]
fn the_same_spec_renders_the_same_bytes() {
    let s = spec("1Z999AA10123456784");
    for format in [LabelFormat::Pdf, LabelFormat::Zpl] {
        assert_eq!(
            render(&s, format).unwrap(),
            render(&s, format).unwrap(),
            "{format:?}"
        );
    }
    let mut other = s.clone();
    other.to.name = "Someone Else".into();
    assert_ne!(
        render(&s, LabelFormat::Pdf).unwrap(),
        render(&other, LabelFormat::Pdf).unwrap()
    );
}

/// The `^FD` data of the `^BC` field, with ZPL's Code 128 invocation codes (`>` + one
/// character) removed: what the symbol encodes.
fn zpl_barcode_data(zpl: &str) -> String {
    let field = zpl.split("^BC").nth(1).expect("a ^BC field");
    let data = &field[field.find("^FD").unwrap() + 3..field.find("^FS").unwrap()];
    let mut out = String::new();
    let mut chars = data.chars();
    while let Some(c) = chars.next() {
        if c == '>' {
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn zpl_is_one_label_with_the_tracking_barcode() {
    let zpl =
        String::from_utf8(render(&spec("1Z999AA10123456784"), LabelFormat::Zpl).unwrap()).unwrap();
    assert!(zpl.starts_with("^XA"), "{zpl}");
    assert!(zpl.trim_end().ends_with("^XZ"), "{zpl}");
    assert_eq!(zpl.matches("^XA").count(), 1);
    assert_eq!(zpl.matches("^XZ").count(), 1);
    assert!(zpl.contains("^CI28"));
    assert!(zpl.contains("^PW812") && zpl.contains("^LL1218"));
    assert!(
        zpl.contains("^BY3^FO"),
        "module width for a 1Z number: {zpl}"
    );
    assert_eq!(zpl_barcode_data(&zpl), "1Z999AA10123456784");
    assert!(
        zpl.contains("^FD1Z999AA10123456784^FS"),
        "printed number: {zpl}"
    );
    assert!(zpl.contains("^GB"));
    for text in [
        "Jane Receiver",
        "San Francisco, CA 94105",
        "REF: PO-12345",
        "UPS Ground (03)",
        "1 of 2",
    ] {
        assert!(
            zpl.contains(&format!("^FD{text}^FS")),
            "{text:?} missing: {zpl}"
        );
    }
}

#[test]
fn zpl_user_text_cannot_inject_commands() {
    let mut s = spec("1Z999AA10123456784");
    s.reference = Some("^XZ~JR^XA^FO0,0^GB812,1218,812^FS_".into());
    s.to.name = "Eve ~DGR:X.GRF ^PQ99".into();
    let zpl = String::from_utf8(render(&s, LabelFormat::Zpl).unwrap()).unwrap();
    assert_eq!(zpl.matches("^XZ").count(), 1);
    assert!(zpl.trim_end().ends_with("^XZ"));
    assert_eq!(zpl.matches("^XA").count(), 1);
    assert!(
        !zpl.contains('~'),
        "no raw tilde may reach the printer: {zpl}"
    );
    assert!(!zpl.contains("^PQ"));
    assert!(
        zpl.contains("^FH_^FDREF: _5EXZ_7EJR_5EXA_5EFO0,0_5EGB812,1218,812_5EFS_5F^FS"),
        "{zpl}"
    );
    // Every field that carries user text is hex-escaped.
    for field in zpl.split("^FD").skip(1) {
        let data = &field[..field.find("^FS").unwrap()];
        assert!(!data.contains('^') && !data.contains('~'), "{data}");
    }
}

#[test]
fn zpl_keeps_utf8_text() {
    let mut s = spec("1Z999AA10123456784");
    // Latin-1 goes to the printer's font 0 as UTF-8 under ^CI28.
    s.to.name = "Zoë Müller".into();
    let zpl = String::from_utf8(render(&s, LabelFormat::Zpl).unwrap()).unwrap();
    assert!(zpl.contains("^A0N,39,39^FH_^FDZoë Müller^FS"), "{zpl}");
    // CJK goes as UTF-8 to the station's printer font (`^A@`) when it has one; without
    // one, as a graphic (tests/cjk.rs).
    s.to.name = "Zoë Müller 東京".into();
    let options = shiphub_labels::RenderOptions {
        printer_font: Some("E:SIMSUN.TTF".parse().unwrap()),
        ..Default::default()
    };
    let zpl = shiphub_labels::render_with(&[s.into()], LabelFormat::Zpl, &options).unwrap();
    let zpl = String::from_utf8(zpl).unwrap();
    assert!(
        zpl.contains(",E:SIMSUN.TTF^FH_^FDZoë Müller 東京^FS"),
        "{zpl}"
    );
}
