//! shiphub-labels: shipping label and customs documents, and label format conversion.
//!
//! [`LabelSpec`] is the owned description the hub builds from a stored shipment;
//! [`render`] draws one 4×6 label, [`render_with`] draws all labels of a shipment on a
//! chosen [`Stock`] at a chosen [`Dpi`] as PDF, ZPL II or PNG, with an optional GS1-128
//! and a QR/DataMatrix symbol ([`Label`]; without one, the routing Data Matrix of
//! [`LabelSpec::routing_text`]). [`convert`] turns carrier documents into what a
//! given printer takes, locally (PNG/GIF → ZPL `^GF`, ZPL → PDF/PNG). [`customs_docs`]
//! draws CN22, CN23 and commercial invoices. Rendering is pure: no I/O, no clock (the
//! PDF creation date is the ship date), so the same input always gives the same bytes.

pub mod convert;
pub mod customs_docs;
pub mod manifest_doc;
pub mod merge;
mod render;
mod spec;
mod stock;

pub use render::graphic::Bitmap;
pub use render::matrix::clear_symbol_cache;
pub use render::{LabelError, render, render_with};
pub use spec::{Gs1Barcode, InvalidGs1, Label, LabelSpec, MatrixCode, predefined_length};
pub use stock::{Dpi, InvalidPrinterFont, PrinterFont, RenderOptions, Stock, UnknownStock};

#[cfg(test)]
mod tests {
    /// The library draws documents and nothing else: the print agent, which talks to the hub,
    /// lives in its own crate (`agent/`), so no runtime, HTTP client or CLI parser comes back
    /// here. (The carriers crate still brings tokio and reqwest along with its vocabulary.)
    #[test]
    fn depends_on_no_runtime_http_or_cli_crate() {
        let manifest = include_str!("../Cargo.toml");
        let deps = manifest
            .split("\n[dependencies]\n")
            .nth(1)
            .and_then(|rest| rest.split("\n[").next())
            .expect("a [dependencies] table");
        let names: Vec<&str> = deps
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split(['.', '=', ' ']).next())
            .collect();
        assert!(names.contains(&"printpdf"), "read the table: {names:?}");
        for banned in [
            "tokio",
            "reqwest",
            "clap",
            "tracing-subscriber",
            "url",
            "rand",
        ] {
            assert!(!names.contains(&banned), "labels depends on {banned}");
        }
    }
}
