//! Loading and validation: good cards load, bad ones name their line and field.

use super::*;

const EXPRESS: &str = include_str!("../../examples/express_worldwide_de_export.toml");
const GROUND: &str = include_str!("../../examples/ground_us_from_atlanta.toml");

/// A small valid card; tests break one thing in it at a time.
pub(crate) const SMALL: &str = r#"name = "small"
carrier = "Small Freight"
currency = "EUR"
valid_from = 2026-01-01
weight_unit = "kg"
length_unit = "cm"
origins = ["DE"]

[[zone]]
id = "A"
to = [{ country = "DE", postal_prefixes = ["1"] }]

[[zone]]
id = "B"
to = [{ country = "DE" }]

[[service]]
code = "road"
name = "Road"
class = "standard"
rounding = "1"
billable = "shipment"
zones = ["A", "B"]
breaks = [
  ["5", "10.00", "12.00"],
  ["10", "15.00", "18.00"],
]
"#;

fn error_of(text: &str) -> CardError {
    RateCard::from_toml(text).expect_err("the card should be rejected")
}

#[test]
fn example_cards_load() {
    let e = RateCard::from_toml(EXPRESS).unwrap();
    assert_eq!(e.name(), "express-worldwide-de-export");
    assert_eq!(e.services().len(), 2);
    assert_eq!(e.services[0].breaks.len(), 60);
    let g = RateCard::from_toml(GROUND).unwrap();
    assert_eq!(g.services[0].breaks.len(), 150);
    assert_eq!(g.services[0].discount, Some(Decimal::from(20)));
    assert!(RateCard::from_toml(SMALL).is_ok());
}

#[test]
fn a_syntax_error_names_its_line() {
    let text = SMALL.replace("class = \"standard\"", "class = standard");
    let e = error_of(&text);
    assert_eq!(e.line, 20, "{e}");
}

#[test]
fn a_misspelt_field_names_its_line_and_path() {
    let text = SMALL.replace("rounding = \"1\"", "roundin = \"1\"");
    let e = error_of(&text);
    assert_eq!(
        (e.line, e.field.as_str()),
        (21, "service[0].roundin"),
        "{e}"
    );
    assert!(e.message.contains("unknown field"), "{e}");
}

#[test]
fn a_float_price_is_refused_where_it_stands() {
    let text = SMALL.replace("\"15.00\"", "15.0");
    let e = error_of(&text);
    assert_eq!(
        (e.line, e.field.as_str()),
        (26, "service[0].breaks[1][1]"),
        "{e}"
    );
    assert!(e.message.contains("as strings"), "{e}");
}

#[test]
fn a_negative_price_and_an_unknown_country_are_refused_by_field() {
    let e = error_of(&SMALL.replace("\"18.00\"", "\"-18.00\""));
    assert_eq!(
        (e.line, e.field.as_str()),
        (26, "service[0].breaks[1][2]"),
        "{e}"
    );
    let e = error_of(&SMALL.replace("origins = [\"DE\"]", "origins = [\"XX\"]"));
    assert_eq!((e.line, e.field.as_str()), (7, "origins[0]"), "{e}");
}

#[test]
fn a_missing_field_names_the_table() {
    let e = error_of(&SMALL.replace("billable = \"shipment\"\n", ""));
    assert_eq!(e.field, "service[0]", "{e}");
    assert!(e.message.contains("billable"), "{e}");
    assert_eq!(e.line, 17, "{e}");
}

#[test]
fn decreasing_break_weights_or_prices_are_refused_on_their_row() {
    let e = error_of(&SMALL.replace("[\"10\", \"15.00\"", "[\"4\", \"15.00\""));
    assert_eq!(
        (e.line, e.field.as_str()),
        (26, "service[0].breaks[1]"),
        "{e}"
    );
    let e = error_of(&SMALL.replace("\"15.00\"", "\"9.00\""));
    assert_eq!(
        (e.line, e.field.as_str()),
        (26, "service[0].breaks[1]"),
        "{e}"
    );
    assert!(e.message.contains("zone A"), "{e}");
}

#[test]
fn a_short_price_row_is_refused() {
    let e = error_of(&SMALL.replace(", \"18.00\"]", "]"));
    assert_eq!(
        (e.line, e.field.as_str()),
        (26, "service[0].breaks[1]"),
        "{e}"
    );
    assert!(e.message.contains("3 values"), "{e}");
}

#[test]
fn references_to_unknown_zones_services_and_accessorials_are_refused() {
    let e = error_of(&SMALL.replace("zones = [\"A\", \"B\"]", "zones = [\"A\", \"C\"]"));
    assert_eq!(
        (e.line, e.field.as_str()),
        (23, "service[0].zones[1]"),
        "{e}"
    );
    let text = format!("{SMALL}\n[discounts]\nair = \"10\"\n");
    let e = error_of(&text);
    assert_eq!((e.line, e.field.as_str()), (30, "discounts.air"), "{e}");
    let text = format!(
        "{SMALL}\n[[accessorial]]\ncode = \"X\"\nname = \"x\"\nwhen = \"always\"\namount = \"1\"\nunless = [\"Y\"]\n"
    );
    let e = error_of(&text);
    assert_eq!(
        (e.line, e.field.as_str()),
        (34, "accessorial[0].unless[0]"),
        "{e}"
    );
}

#[test]
fn accessorial_shape_is_checked() {
    let both = format!(
        "{SMALL}\n[[accessorial]]\ncode = \"X\"\nname = \"x\"\nwhen = \"always\"\namount = \"1\"\npercent = \"2\"\n"
    );
    let e = error_of(&both);
    assert_eq!(
        (e.line, e.field.as_str()),
        (29, "accessorial[0].amount"),
        "{e}"
    );
    let no_threshold = format!(
        "{SMALL}\n[[accessorial]]\ncode = \"X\"\nname = \"x\"\nwhen = \"oversize\"\namount = \"1\"\n"
    );
    assert_eq!(error_of(&no_threshold).field, "accessorial[0].when");
    let no_areas = format!(
        "{SMALL}\n[[accessorial]]\ncode = \"X\"\nname = \"x\"\nwhen = \"remote_area\"\namount = \"1\"\n"
    );
    assert_eq!(error_of(&no_areas).field, "accessorial[0].areas");
}

#[test]
fn dates_currency_and_postal_ranges_are_checked() {
    let e = error_of(&SMALL.replace(
        "valid_from = 2026-01-01",
        "valid_from = 2026-01-01\nvalid_to = 2025-12-31",
    ));
    assert_eq!((e.line, e.field.as_str()), (5, "valid_to"), "{e}");
    let e = error_of(&SMALL.replace(
        "valid_from = 2026-01-01",
        "valid_from = 2026-01-01T10:00:00",
    ));
    assert_eq!((e.line, e.field.as_str()), (4, "valid_from"), "{e}");
    let text = format!(
        "{SMALL}\n[currency_conversion]\nquote_currency = \"USD\"\nrates = {{ GBP = \"0.84\" }}\n"
    );
    let e = error_of(&text);
    assert_eq!(
        (e.line, e.field.as_str()),
        (30, "currency_conversion.quote_currency"),
        "{e}"
    );
    let e = error_of(&SMALL.replace(
        "postal_prefixes = [\"1\"]",
        "postal_ranges = [[\"100\", \"19\"]]",
    ));
    assert_eq!(
        (e.line, e.field.as_str()),
        (11, "zone[0].to[0].postal_ranges[0]"),
        "{e}"
    );
}

#[test]
fn the_error_reads_with_line_and_field() {
    let e = error_of(&SMALL.replace("\"18.00\"", "\"-18.00\""));
    assert!(e.to_string().starts_with("line 26, column "), "{e}");
    assert!(e.to_string().contains("service[0].breaks[1][2]"), "{e}");
}

#[test]
fn values_that_could_overflow_a_quote_are_refused() {
    let e = error_of(&SMALL.replace("\"18.00\"", "\"99999999999\""));
    assert_eq!(
        (e.line, e.field.as_str()),
        (26, "service[0].breaks[1][2]"),
        "{e}"
    );
    let e = error_of(&SMALL.replace("rounding = \"1\"", "rounding = \"0.0000000001\""));
    assert_eq!(
        (e.line, e.field.as_str()),
        (21, "service[0].rounding"),
        "{e}"
    );
    let e = error_of(&SMALL.replace("rounding = \"1\"", "rounding = \"0\""));
    assert_eq!(e.field, "service[0].rounding", "{e}");
}

#[test]
fn a_percentage_per_package_and_an_empty_origin_list_are_refused() {
    let text = format!(
        "{SMALL}\n[[accessorial]]\ncode = \"X\"\nname = \"x\"\nwhen = \"always\"\npercent = \"2\"\nper = \"package\"\n"
    );
    assert_eq!(error_of(&text).field, "accessorial[0].percent");
    let e = error_of(&SMALL.replace("origins = [\"DE\"]", "origins = []"));
    assert_eq!((e.line, e.field.as_str()), (7, "origins"), "{e}");
}
