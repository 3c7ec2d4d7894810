//! shiphub-labels: turns one shipment piece into a printable 4×6 in shipping label.
//!
//! [`LabelSpec`] is the owned description the hub builds from a stored shipment;
//! [`render`] draws it as PDF or ZPL II. Rendering is pure: no I/O, no clock (the PDF
//! creation date is the ship date), so the same spec always gives the same bytes.
//! Used for waybills that come back without a carrier label document (sandbox,
//! table-rate); carrier-issued documents are never redrawn here.

mod render;
mod spec;

pub use render::{LabelError, render};
pub use spec::LabelSpec;
