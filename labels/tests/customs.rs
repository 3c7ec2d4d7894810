//! Customs documents as a customs officer and a scanner see them: text read back with
//! `pdftotext`, the tracking barcode rasterized with `pdftoppm` and decoded with `zbarimg`.
//! Missing tools fail under `CI=true` and skip loudly elsewhere.

mod common;
use common::have_tools;
use std::path::Path;
use std::process::Command;

use rust_decimal_macros::dec;
use shiphub_carriers::model::{
    Address, ContentType, Currency, CustomsDeclaration, CustomsItem, Incoterm, Money, TaxIds,
    Weight, WeightUnit,
};
use shiphub_labels::LabelError;
use shiphub_labels::customs_docs::{CustomsInput, cn22, cn23, commercial_invoice};
use time::{Date, Month};

fn address(name: &str, city: &str, postal: &str, country: &str) -> Address {
    Address {
        name: name.into(),
        company: None,
        street: vec!["1 Main Street".into()],
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

fn item(desc: &str, qty: u32, value: rust_decimal::Decimal, hs: &str, origin: &str) -> CustomsItem {
    CustomsItem {
        description: desc.into(),
        local_description: None,
        quantity: qty,
        unit_value: Money::new(value, Currency::EUR),
        unit_weight: Weight::new(dec!(250), WeightUnit::G).unwrap(),
        hs_code: hs.parse().unwrap(),
        origin_country: origin.parse().unwrap(),
        sku: Some("SKU-1".into()),
    }
}

fn input(items: Vec<CustomsItem>) -> CustomsInput {
    CustomsInput {
        declaration: CustomsDeclaration {
            incoterm: Incoterm::DDP,
            content_type: ContentType::Merchandise,
            items,
            exporter: TaxIds {
                eori: Some("DE123456789012345".into()),
                ioss: None,
                vat: Some("DE123456789".into()),
            },
            importer: TaxIds {
                eori: None,
                ioss: Some("IM2760000001".into()),
                vat: Some("GB987654321".into()),
            },
        },
        sender: address("Versand GmbH", "Berlin", "10115", "DE"),
        receiver: address("Jane Buyer", "London", "SW1A 1AA", "GB"),
        tracking_number: Some("1Z999AA10123456784".parse().unwrap()),
        invoice_number: "INV-2026-0042".into(),
        date: Date::from_calendar_date(2026, Month::November, 23).unwrap(),
        parcel_weights: Vec::new(),
    }
}

fn two_items() -> CustomsInput {
    input(vec![
        item("Cotton T-shirt", 3, dec!(12.99), "6109.10", "PT"),
        item("Leather wallet", 1, dec!(45.5), "420231", "IT"),
    ])
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn text(pdf: &[u8], dir: &Path, name: &str) -> String {
    let file = dir.join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).unwrap();
    run(Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-"))
}

fn scan_first_page(pdf: &[u8], dir: &Path, name: &str) -> Vec<String> {
    let file = dir.join(format!("{name}-scan.pdf"));
    std::fs::write(&file, pdf).unwrap();
    run(Command::new("pdftoppm")
        .args(["-r", "300", "-png", "-singlefile", "-f", "1", "-l", "1"])
        .arg(&file)
        .arg(dir.join(name)));
    run(Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(dir.join(format!("{name}.png"))))
    .lines()
    .map(str::to_owned)
    .collect()
}

#[test]
fn commercial_invoice_carries_exact_totals_codes_and_tax_ids() {
    if !have_tools(&["pdftotext"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t = text(
        &commercial_invoice(&two_items()).unwrap(),
        dir.path(),
        "invoice",
    );
    // 3 × 12.99 = 38.97, + 45.50 = 84.47; 4 × 250 g = 1 kg.
    for expected in [
        "COMMERCIAL INVOICE",
        "INV-2026-0042",
        "1Z999AA10123456784",
        "Incoterm: DDP",
        "610910",
        "420231",
        "PT",
        "IT",
        "12.99 EUR",
        "38.97 EUR",
        "45.50 EUR",
        "Total EUR: 84.47 EUR",
        "Total net weight: 1 kg",
        "EORI: DE123456789012345",
        "VAT: DE123456789",
        "IOSS: IM2760000001",
        "VAT: GB987654321",
        "Cotton T-shirt (SKU-1)",
        "2026-11-23",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from:\n{t}");
    }
}

#[test]
fn cn22_and_cn23_read_back_and_their_barcode_scans() {
    if !have_tools(&["pdftotext", "pdftoppm", "zbarimg"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = two_items();
    let cn22 = cn22(&input).unwrap();
    let t = text(&cn22, dir.path(), "cn22");
    for expected in [
        "CN 22",
        "[X] Sale of goods",
        "Total value: 84.47 EUR",
        "Total gross weight: 1 kg",
        "HS 610910",
        "origin Portugal (PT)",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from:\n{t}");
    }
    assert_eq!(
        scan_first_page(&cn22, dir.path(), "cn22"),
        vec!["1Z999AA10123456784"]
    );

    let cn23 = cn23(&input).unwrap();
    let t = text(&cn23, dir.path(), "cn23");
    for expected in [
        "CN 23",
        "Leather wallet",
        "Total value: 84.47 EUR",
        "IOSS: IM2760000001",
        "Versand GmbH",
        "Jane Buyer",
    ] {
        assert!(t.contains(expected), "{expected:?} missing from:\n{t}");
    }
    assert_eq!(
        scan_first_page(&cn23, dir.path(), "cn23"),
        vec!["1Z999AA10123456784"]
    );
}

#[test]
fn many_items_refuse_cn22_and_run_onto_more_cn23_pages() {
    let items: Vec<CustomsItem> = (0..60)
        .map(|i| item(&format!("Part {i}"), 1, dec!(1.10), "847330", "CN"))
        .collect();
    let input = input(items);
    assert!(matches!(
        cn22(&input),
        Err(LabelError::InvalidSpec { field: "items", .. })
    ));
    let pdf = cn23(&input).unwrap();
    if !have_tools(&["pdfinfo", "pdftotext"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let info = run(Command::new("pdfinfo").arg(&file));
    assert!(info.contains("Pages:           2"), "{info}");
    // 60 × 1.10, exact.
    assert!(text(&pdf, dir.path(), "long").contains("Total value: 66.00 EUR"));
}

/// Two parcels (2.5 kg and 1 lb, packaging included) holding items of 1 kg net, with
/// both parties' phone and e-mail.
fn weighed_with_contacts() -> CustomsInput {
    let mut input = two_items();
    input.parcel_weights = vec![
        Weight::new(dec!(2.5), WeightUnit::Kg).unwrap(),
        Weight::new(dec!(1), WeightUnit::Lb).unwrap(),
    ];
    input.sender.phone = Some("+49 30 1234567".into());
    input.sender.email = Some("versand@example.de".into());
    input.receiver.phone = Some("+44 20 7946 0018".into());
    input.receiver.email = Some("jane@example.co.uk".into());
    input
}

#[test]
fn cn22_and_cn23_print_gross_weight_country_names_and_contacts() {
    if !have_tools(&["pdftotext"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = weighed_with_contacts();
    // 2.5 kg + 1 lb (0.45359237 kg) = 2.95359237 kg, rounded up to the gram.
    let gross = "Total gross weight: 2.954 kg";
    for (name, pdf) in [("cn22", cn22(&input)), ("cn23", cn23(&input))] {
        let t = text(&pdf.unwrap(), dir.path(), name);
        for expected in [
            gross,
            "Germany (DE)",
            "United Kingdom of Great Britain and Northern Ireland (GB)",
            "+49 30 1234567",
            "versand@example.de",
            "+44 20 7946 0018",
            "jane@example.co.uk",
        ] {
            assert!(
                t.contains(expected),
                "{name}: {expected:?} missing from:\n{t}"
            );
        }
        // Item origins: a line of its own on the CN 22, a column led by the code on the
        // CN 23 (a cut name keeps its code).
        let origins: [&str; 2] = if name == "cn22" {
            ["origin Portugal (PT)", "origin Italy (IT)"]
        } else {
            ["PT Portugal", "IT Italy"]
        };
        for expected in origins {
            assert!(
                t.contains(expected),
                "{name}: {expected:?} missing from:\n{t}"
            );
        }
        // The items' net weight (4 × 250 g) is never the total.
        assert!(!t.contains("Total gross weight: 1 kg"), "{name}:\n{t}");
    }
}

#[test]
fn a_full_cn22_with_both_contacts_stays_one_page() {
    if !have_tools(&["pdftotext"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut input = weighed_with_contacts();
    input.declaration.items = (0..5)
        .map(|i| item(&format!("Part {i}"), 1, dec!(1.10), "847330", "GB"))
        .collect();
    let t = text(&cn22(&input).unwrap(), dir.path(), "cn22-full");
    // pdftotext ends every page with a form feed.
    assert_eq!(t.matches('\u{c}').count(), 1, "{t}");
    assert!(t.contains("jane@example.co.uk"), "{t}");
}

#[test]
fn without_parcel_weights_the_gross_weight_falls_back_to_the_items() {
    if !have_tools(&["pdftotext"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut input = weighed_with_contacts();
    input.parcel_weights.clear();
    for (name, pdf) in [("cn22", cn22(&input)), ("cn23", cn23(&input))] {
        let t = text(&pdf.unwrap(), dir.path(), name);
        assert!(t.contains("Total gross weight: 1 kg"), "{name}:\n{t}");
    }
}
