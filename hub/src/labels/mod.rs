//! Label documents: which format to ask a carrier for so the wanted one can be served, which
//! formats a bought label can be fetched in, why a label cannot be made as asked, and the
//! document itself (the carrier's, converted locally, or rendered by `shiphub-labels` for
//! carriers that issue none), plus the customs documents drawn from a declaration. Knows
//! nothing of HTTP: a refusal names the input at fault, the caller says where it was.

mod convert;
mod customs;
mod render;
mod renditions;

use shiphub_carriers::model::LabelFormat;

pub use customs::{CustomsDocument, customs_document, customs_documents};

use crate::error::Error;
use crate::ids::TenantId;
use crate::state::AppState;
use crate::store::ShipmentRecord;
use shiphub_labels::RenderOptions as LabelOptions;

/// Formats the hub renders itself for carriers that return no label document.
const RENDERED_FORMATS: &[LabelFormat] = &[LabelFormat::Pdf, LabelFormat::Zpl, LabelFormat::Png];

/// The format to ask the carrier for so that `wanted` can be served: `None` when the hub renders
/// labels itself (the carrier makes none), `Some(wanted)` when the carrier makes it, or a
/// format `labels` converts from locally (ZPL → PDF/PNG for ordinary printers, PNG → ZPL for
/// thermal ones). The outer `None`: no way to serve `wanted`.
///
/// Several pieces wanted as PDF/PNG are asked for as ZPL when the carrier offers it: carriers
/// return one document per piece, ZPL streams concatenate, and the conversion then yields one
/// PDF with every piece (carrier PDFs cannot be joined byte-wise).
pub fn carrier_format(
    offered: &[LabelFormat],
    wanted: LabelFormat,
    pieces: usize,
) -> Option<Option<LabelFormat>> {
    if offered.is_empty() {
        return RENDERED_FORMATS.contains(&wanted).then_some(None);
    }
    let joinable = wanted == LabelFormat::Zpl || pieces < 2 || !offered.contains(&LabelFormat::Zpl);
    if offered.contains(&wanted) && joinable {
        return Some(Some(wanted));
    }
    [LabelFormat::Zpl, LabelFormat::Png, LabelFormat::Pdf]
        .into_iter()
        .find(|from| offered.contains(from) && converted_formats(*from).contains(&wanted))
        .map(Some)
}

/// Formats a carrier label in `from` can be served in.
fn converted_formats(from: LabelFormat) -> &'static [LabelFormat] {
    match from {
        LabelFormat::Zpl => &[LabelFormat::Zpl, LabelFormat::Pdf, LabelFormat::Png],
        LabelFormat::Png => &[LabelFormat::Png, LabelFormat::Zpl],
        LabelFormat::Pdf => &[LabelFormat::Pdf, LabelFormat::Zpl],
    }
}

/// Every format a label can be served in: converted from the carrier's (`Some`), or rendered
/// by the hub (`None`: the carrier issues no label).
pub fn served_formats(carrier_label: Option<LabelFormat>) -> &'static [LabelFormat] {
    match carrier_label {
        Some(f) => converted_formats(f),
        None => RENDERED_FORMATS,
    }
}

/// Why a label cannot be made as asked, naming the input at fault (`format`, `stock`).
pub struct Refusal {
    field: &'static str,
    message: String,
}

impl Refusal {
    /// The validation error, with the field under `prefix` (`/query/` for a query string, `/`
    /// for a body).
    pub fn at(self, prefix: &str) -> Error {
        Error::field(format!("{prefix}{}", self.field), self.message)
    }
}

/// The stock a label is drawn on when the request names none: the Chinese 100×150 mm
/// e-waybill for a label the hub renders for a shipment within China (CN → CN), the
/// networks' 76×130 mm one-part e-waybill (一联单) for one bought through Kuaidi100, 4×6
/// otherwise (carrier labels are 4×6 as issued).
pub fn default_stock(s: &ShipmentRecord) -> shiphub_labels::Stock {
    let domestic_cn = s.waybill.carrier_label.is_none()
        && s.request.decode().is_ok_and(|r| {
            r.shipment.from.country.as_str() == "CN" && r.shipment.to.country.as_str() == "CN"
        });
    if domestic_cn && s.carrier.as_str() == "kuaidi100" {
        shiphub_labels::Stock::Cn76x130
    } else if domestic_cn {
        shiphub_labels::Stock::Cn100x150
    } else {
        shiphub_labels::Stock::default()
    }
}

/// Whether a shipment's label can be produced in `format` on `options` (stored, converted or
/// rendered); `Some` says why not.
pub fn refusal(s: &ShipmentRecord, format: LabelFormat, options: LabelOptions) -> Option<Refusal> {
    if let Some(why) = options.stock.refuses(format) {
        return Some(Refusal {
            field: "stock",
            message: format!("{}: {why}", options.stock.as_str()),
        });
    }
    let carrier_label = s.waybill.carrier_label;
    let available = served_formats(carrier_label);
    if available.contains(&format) {
        return None;
    }
    let list: Vec<_> = available.iter().map(|x| x.as_str()).collect();
    Some(Refusal {
        field: "format",
        message: match carrier_label {
            Some(f) => format!(
                "the carrier issued this label as {}; it converts to {}",
                f.as_str(),
                list.join(", ")
            ),
            None => format!(
                "{} labels cannot be rendered; ask for {}",
                format.as_str(),
                list.join(", ")
            ),
        },
    })
}

/// A shipment's label in `format` on `options`: the carrier's document (converted locally when
/// the carrier issued another format or for another stock, once: see `renditions`) or, for
/// carriers that issue none, every piece rendered by the hub. Callers check [`refusal`] first.
pub async fn document(
    app: &AppState,
    tenant: &TenantId,
    s: &ShipmentRecord,
    format: LabelFormat,
    options: LabelOptions,
) -> Result<Vec<u8>, Error> {
    if let Some(r) = refusal(s, format, options) {
        return Err(r.at("/"));
    }
    match s.waybill.carrier_label {
        // A carrier's label is redrawn from its own pixels: the printer's font plays no part.
        Some(f) => {
            let options = LabelOptions {
                printer_font: None,
                ..options
            };
            if renditions::as_issued(f, format, options) {
                return app
                    .store
                    .get_document(tenant, &s.id, "label", f.as_str())
                    .await?
                    .ok_or_else(|| Error::Internal(format!("label document of {} missing", s.id)));
            }
            renditions::rendition(app, tenant, s, f, format, options).await
        }
        None => render::render(app, s, format, options).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use LabelFormat::{Pdf, Png, Zpl};

    #[test]
    fn the_carrier_is_asked_for_a_format_the_hub_can_serve_the_wanted_one_from() {
        // the hub renders for carriers without labels
        assert_eq!(carrier_format(&[], Pdf, 1), Some(None));
        // native formats are asked for as they are
        assert_eq!(carrier_format(&[Pdf, Zpl], Pdf, 1), Some(Some(Pdf)));
        // UPS-like: no PDF, so ZPL converted locally; PNG-only carriers convert to ZPL
        assert_eq!(carrier_format(&[Zpl, Png], Pdf, 1), Some(Some(Zpl)));
        assert_eq!(carrier_format(&[Png], Zpl, 1), Some(Some(Png)));
        // several pieces: ZPL joins, so one PDF can hold every piece
        assert_eq!(carrier_format(&[Pdf, Zpl, Png], Pdf, 3), Some(Some(Zpl)));
        assert_eq!(carrier_format(&[Pdf], Pdf, 3), Some(Some(Pdf)));
        // PDF-only carriers are rasterized for thermal printers
        assert_eq!(carrier_format(&[Pdf], Zpl, 1), Some(Some(Pdf)));
        assert_eq!(carrier_format(&[Pdf], Png, 1), None);
    }
}
