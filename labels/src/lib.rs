//! shiphub-labels: turns one shipment piece into a printable 4×6 in shipping label.
//!
//! [`LabelSpec`] is the owned description the hub builds from a stored shipment;
//! [`render`] draws it as PDF or ZPL II. Rendering is pure: no I/O, no clock (the PDF
//! creation date is the ship date), so the same spec always gives the same bytes.
//! Carrier-issued labels are passed through by the hub untouched; this crate draws the
//! labels the hub itself issues (sandbox, reprints, carriers that return data only).

mod render;
mod spec;

pub use render::{LabelError, render};
pub use spec::LabelSpec;
