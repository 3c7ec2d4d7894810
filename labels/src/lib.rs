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
mod render;
mod spec;
mod stock;

pub use render::graphic::Bitmap;
pub use render::{LabelError, render, render_with};
pub use spec::{Gs1Barcode, InvalidGs1, Label, LabelSpec, MatrixCode, predefined_length};
pub use stock::{Dpi, RenderOptions, Stock};
