//! Chinese text on labels and customs documents, as a PDF reader, a scanner and a printer
//! see it: `pdftotext` gives the text back, `pdffonts` shows the one embedded subset font,
//! `pdftoppm` + `zbarimg` decode the waybill barcode, the ZPL renderer draws the `^GF`
//! glyphs. Missing tools fail under `CI=true` and skip loudly elsewhere.

mod common;
use common::have_tools;
use std::path::Path;
use std::process::Command;

use rust_decimal_macros::dec;
use shiphub_carriers::model::{
    ContentType, Currency, CustomsDeclaration, CustomsItem, Incoterm, LabelFormat, Money, TaxIds,
    Weight, WeightUnit,
};
use shiphub_labels::convert::zpl_to_png;
use shiphub_labels::customs_docs::{CustomsInput, cn23};
use shiphub_labels::{Label, LabelError, LabelSpec, RenderOptions, Stock, render, render_with};

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

fn pdftotext(pdf: &[u8], dir: &Path, name: &str) -> String {
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).unwrap();
    // -raw: content-stream order, one line per baseline as the layout drew it.
    run(Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&file)
        .arg("-"))
}

/// The text with every white space removed: lines wrap where the layout wraps them.
fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn pdffonts(pdf: &[u8], dir: &Path, name: &str) -> Vec<String> {
    let file = dir.join(format!("{name}-fonts.pdf"));
    std::fs::write(&file, pdf).unwrap();
    run(Command::new("pdffonts").arg(&file))
        .lines()
        .skip(2)
        .map(str::to_owned)
        .collect()
}

fn zbar_png(png: &[u8], dir: &Path, name: &str) -> Vec<String> {
    let file = dir.join(format!("{name}.png"));
    std::fs::write(&file, png).unwrap();
    run(Command::new("zbarimg").arg("-q").arg(&file))
        .lines()
        .map(str::to_owned)
        .collect()
}

fn zbar_pdf(pdf: &[u8], dir: &Path, name: &str) -> Vec<String> {
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).unwrap();
    run(Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-singlefile"])
        .arg(&file)
        .arg(dir.join(name)));
    let png = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
    zbar_png(&png, dir, &format!("{name}-scan"))
}

fn on(stock: Stock) -> RenderOptions {
    RenderOptions {
        stock,
        ..Default::default()
    }
}

/// The one embedded font, by its pdffonts line: a 6-letter subset tag, our renamed face,
/// CID CFF, embedded, subset, with a ToUnicode map.
fn assert_one_subset_cjk_font(fonts: &[String]) {
    let embedded: Vec<&String> = fonts.iter().filter(|l| l.contains(" yes ")).collect();
    assert_eq!(embedded.len(), 1, "{fonts:#?}");
    let line = embedded[0];
    let (tag, rest) = line.split_once('+').expect("a subset tag");
    assert!(
        tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()),
        "{line}"
    );
    assert!(rest.starts_with("ShiphubSansSC-Regular"), "{line}");
    let cols: Vec<&str> = line.split_whitespace().collect();
    // name type… emb sub uni object ID
    let n = cols.len();
    assert_eq!(
        &cols[n - 5..n - 2],
        ["yes", "yes", "yes"],
        "emb sub uni: {line}"
    );
}

#[test]
fn sf_ewaybill_pdf_reads_back_in_chinese_embeds_one_subset_font_and_scans() {
    if !have_tools(&["pdftotext", "pdffonts", "pdftoppm", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for stock in [Stock::Cn100x150, Stock::Cn76x130] {
        let pdf = render_with(
            &[Label::from(LabelSpec::example_cn())],
            LabelFormat::Pdf,
            &on(stock),
        )
        .unwrap();
        let text = pdftotext(&pdf, dir.path(), stock.as_str());
        let flat = squeeze(&text);
        for expected in [
            "顺丰速运",
            "顺丰标快",
            "SF1234567890123",
            "收",
            "张三138****8000",
            "湖北省襄阳市樊城区人民路15号幸福小区3栋2单元501室",
            "寄",
            "李四139****5678",
            "湖北省武汉市洪山区光谷大道77号金融港B座",
            "托寄物：服装",
            "备注：易碎，轻放",
            "签收人：",
        ] {
            assert!(flat.contains(expected), "{stock}: {expected} not in {text}");
        }
        // Exact lines, spaces included, where the layout keeps them on one line.
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for exact in [
            "顺丰速运 顺丰标快",
            "SF1234567890123",
            "收 张三 138****8000",
            "寄",
            "李四 139****5678",
            "托寄物：服装",
            "备注：易碎，轻放",
            "订单号：DD20261123001",
        ] {
            assert!(
                lines.contains(&exact),
                "{stock}: {exact} not a line of {text}"
            );
        }
        assert_one_subset_cjk_font(&pdffonts(&pdf, dir.path(), stock.as_str()));
        assert_eq!(
            zbar_pdf(&pdf, dir.path(), &format!("scan-{}", stock.as_str())),
            ["CODE-128:SF1234567890123"],
            "{stock}"
        );
    }
}

#[test]
fn four_by_six_label_with_chinese_names_reads_back_and_latin_embeds_nothing() {
    if !have_tools(&["pdftotext", "pdffonts", "pdftoppm", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut spec = LabelSpec::example_cn();
    spec.carrier = "SF Express".into();
    spec.service_name = "顺丰标快".into();
    let pdf = render(&spec, LabelFormat::Pdf).unwrap();
    let text = pdftotext(&pdf, dir.path(), "4x6");
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    for exact in [
        "张三",
        "人民路15号幸福小区3栋2单元501室",
        "湖北省襄阳市樊城区",
        "李四",
        "光谷大道77号金融港B座",
        "湖北省武汉市洪山区",
        "顺丰标快 (2)",
    ] {
        assert!(lines.contains(&exact), "{exact} not a line of {text}");
    }
    assert_one_subset_cjk_font(&pdffonts(&pdf, dir.path(), "4x6"));
    assert!(
        zbar_pdf(&pdf, dir.path(), "scan-4x6").contains(&"CODE-128:SF1234567890123".to_string())
    );

    // Latin-only: Helvetica referenced, no font embedded, as before.
    let latin = render(&LabelSpec::example(), LabelFormat::Pdf).unwrap();
    let fonts = pdffonts(&latin, dir.path(), "latin");
    assert!(
        !fonts.is_empty() && fonts.iter().all(|l| l.contains(" no ")),
        "{fonts:#?}"
    );
    assert!(!String::from_utf8_lossy(&latin).contains("FontFile"));
}

#[test]
fn the_same_chinese_label_gives_the_same_bytes() {
    let a = render(&LabelSpec::example_cn(), LabelFormat::Pdf).unwrap();
    let b = render(&LabelSpec::example_cn(), LabelFormat::Pdf).unwrap();
    assert_eq!(a, b);
}

#[test]
fn zpl_without_a_printer_font_draws_chinese_as_graphics_and_the_barcode_still_scans() {
    if !have_tools(&["zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let options = on(Stock::Cn100x150);
    let zpl = render_with(
        &[LabelSpec::example_cn().into()],
        LabelFormat::Zpl,
        &options,
    )
    .unwrap();
    let text = String::from_utf8(zpl.clone()).unwrap();
    assert!(!text.contains("^A@"), "no printer font named");
    assert!(
        !text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "every hanzi went into a graphic field"
    );
    // Carrier, product, 收, name, 3 address lines, 寄, …: one ^GFA per Chinese line.
    assert!(text.matches("^GFA,").count() >= 10, "{text}");
    assert!(text.contains("^FDSF1234567890123^FS") || text.contains("SF1234567890123"));
    let png = zpl_to_png(&zpl, &options).unwrap();
    assert_eq!(png.len(), 1);
    assert_eq!(
        zbar_png(&png[0], dir.path(), "gf"),
        ["CODE-128:SF1234567890123"]
    );
    // The glyphs are ink on the label: the 收 block is far from blank.
    let img = image::load_from_memory(&png[0]).unwrap().to_luma8();
    let dark = img.pixels().filter(|p| p.0[0] < 128).count();
    assert!(
        dark > (img.width() * img.height()) as usize / 50,
        "{dark} dark pixels"
    );
}

#[test]
fn zpl_with_the_stations_printer_font_names_it_under_ci28_with_utf8_text() {
    let options = RenderOptions {
        stock: Stock::Cn100x150,
        printer_font: Some("E:SIMSUN.TTF".parse().unwrap()),
        ..Default::default()
    };
    let zpl = render_with(
        &[LabelSpec::example_cn().into()],
        LabelFormat::Zpl,
        &options,
    )
    .unwrap();
    let text = String::from_utf8(zpl).unwrap();
    assert!(text.starts_with("^XA\n^CI28\n"), "{text}");
    let name_line = text
        .lines()
        .find(|l| l.contains("张三"))
        .expect("the receiver's name as text");
    assert!(
        name_line.contains(",E:SIMSUN.TTF^FH_^FD张三 138****8000^FS")
            && name_line.contains("^A@N,"),
        "{name_line}"
    );
    assert!(text.contains("^FD顺丰速运^FS"), "{text}");
    assert!(
        !text.contains("^GFA"),
        "no glyph graphics when the printer has the font"
    );

    // A Latin-only label is byte-for-byte what it was, printer font or not.
    let latin = |printer_font| {
        render_with(
            &[LabelSpec::example().into()],
            LabelFormat::Zpl,
            &RenderOptions {
                printer_font,
                ..Default::default()
            },
        )
        .unwrap()
    };
    assert_eq!(latin(None), latin(Some("E:SIMSUN.TTF".parse().unwrap())));
    assert!(!String::from_utf8(latin(None)).unwrap().contains("^A@"));
}

#[test]
fn a_character_outside_every_font_refuses_the_render_naming_field_and_character() {
    let mut spec = LabelSpec::example_cn();
    spec.to.name = "张🚚三".into();
    for format in [LabelFormat::Pdf, LabelFormat::Zpl, LabelFormat::Png] {
        let err = render_with(&[spec.clone().into()], format, &on(Stock::Cn100x150)).unwrap_err();
        match &err {
            LabelError::InvalidSpec { field, message } => {
                assert_eq!(*field, "to.name");
                assert!(message.contains("'🚚' (U+1F69A)"), "{message}");
            }
            other => panic!("{other}"),
        }
    }
    let mut spec = LabelSpec::example_cn();
    spec.from.street = vec!["𠀀路1号".into()]; // CJK Extension B, outside GBK
    let err = render(&spec, LabelFormat::Pdf).unwrap_err();
    assert!(
        err.to_string().contains("from.street") && err.to_string().contains("U+20000"),
        "{err}"
    );
}

fn customs(local: Option<&str>) -> CustomsInput {
    let mut sender = LabelSpec::example_cn().from;
    sender.city = "深圳市".into();
    sender.district = Some("宝安区".into());
    sender.state = Some("广东省".into());
    let receiver = LabelSpec::example().to;
    CustomsInput {
        declaration: CustomsDeclaration {
            incoterm: Incoterm::DDU,
            content_type: ContentType::Merchandise,
            items: vec![CustomsItem {
                description: "Cotton T-shirt".into(),
                local_description: local.map(Into::into),
                quantity: 2,
                unit_value: Money::new(dec!(12.50), Currency::USD),
                unit_weight: Weight::new(dec!(200), WeightUnit::G).unwrap(),
                hs_code: "610910".parse().unwrap(),
                origin_country: "CN".parse().unwrap(),
                sku: None,
            }],
            exporter: TaxIds::default(),
            importer: TaxIds::default(),
        },
        sender,
        receiver,
        tracking_number: Some("YT2412345678901".parse().unwrap()),
        invoice_number: "INV-1".into(),
        date: time::Date::from_calendar_date(2026, time::Month::November, 23).unwrap(),
        parcel_weights: vec![],
    }
}

#[test]
fn cn23_with_a_chinese_item_name_reads_back() {
    if !have_tools(&["pdftotext", "pdffonts"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pdf = cn23(&customs(Some("棉质T恤"))).unwrap();
    let text = pdftotext(&pdf, dir.path(), "cn23");
    assert!(text.contains("Cotton T-shirt / 棉质T恤"), "{text}");
    assert!(squeeze(&text).contains("李四"), "{text}");
    assert_one_subset_cjk_font(&pdffonts(&pdf, dir.path(), "cn23"));
    let err = cn23(&customs(Some("T恤🚚"))).unwrap_err();
    assert!(err.to_string().contains("items.local_description"), "{err}");
}

/// Every name in the GB/T 2260 division list the address vocabulary checks against can be
/// printed: the font's character set was cut before that list landed, so it is pinned here.
#[test]
fn every_gb2260_division_name_is_in_the_label_font() {
    let list = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../carriers/data/gb2260/divisions-2024.tsv"
    ))
    .expect("the division list");
    let names: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_once('\t').map(|(_, name)| name))
        .collect();
    assert!(names.len() > 3000, "{} names", names.len());
    for name in names {
        assert_eq!(shiphub_fonts::missing(name), None, "{name}");
    }
}
