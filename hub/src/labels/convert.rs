//! Carrier labels served in another format or on another stock than the carrier issued.

use shiphub_carriers::model::LabelFormat;

use crate::error::Error;
use shiphub_labels::RenderOptions as LabelOptions;

/// A stored carrier label in `to`, converted locally when the carrier's format differs.
///
/// Carrier labels are taken to be 4×6 at 203 dpi (what the adapters ask for). On those
/// options a label is served as issued (or converted as before); on any other stock or
/// resolution it is first redrawn as ZPL on the asked label stock at the asked resolution
/// (rasterized, fitted, centred: `convert`), then turned into the asked format. Sheets take
/// 4×6 labels, so a sheet's ZPL is drawn on 4×6 and placed two to a page by `zpl_to_pdf`.
pub(super) fn convert_label(
    bytes: Vec<u8>,
    from: LabelFormat,
    to: LabelFormat,
    options: LabelOptions,
) -> Result<Vec<u8>, Error> {
    use shiphub_labels::convert;
    let failed = |e: shiphub_labels::LabelError| {
        Error::Internal(format!("label conversion {from:?} -> {to:?}: {e}"))
    };
    let native = shiphub_labels::RenderOptions::default();
    // A carrier's label is redrawn from its own pixels: the printer's font plays no part
    // (the caller clears it too, so renditions are keyed without it).
    let options = LabelOptions {
        printer_font: None,
        ..options
    };
    if options != LabelOptions::default() {
        let asked = options;
        // An image is turned and fitted straight onto a label stock (no ZPL round trip).
        if (from, to) == (LabelFormat::Png, LabelFormat::Png) && !asked.stock.is_sheet() {
            return convert::image_to_png(&bytes, &asked).map_err(failed);
        }
        let label_stock = shiphub_labels::RenderOptions {
            stock: if asked.stock.is_sheet() {
                shiphub_labels::Stock::In4x6
            } else {
                asked.stock
            },
            ..asked
        };
        let zpl = match from {
            LabelFormat::Zpl => {
                let mut out = Vec::new();
                for png in convert::zpl_to_png(&bytes, &native).map_err(failed)? {
                    out.extend(convert::image_to_zpl(&png, &label_stock).map_err(failed)?);
                }
                out
            }
            LabelFormat::Png => convert::image_to_zpl(&bytes, &label_stock).map_err(failed)?,
            LabelFormat::Pdf => convert::pdf_to_zpl(&bytes, &label_stock).map_err(failed)?,
        };
        return match to {
            LabelFormat::Zpl => Ok(zpl),
            LabelFormat::Pdf => convert::zpl_to_pdf(&zpl, &asked).map_err(failed),
            LabelFormat::Png => convert::zpl_to_png(&zpl, &asked)
                .map(|pages| pages.into_iter().next().unwrap_or_default())
                .map_err(failed),
        };
    }
    let converted = match (from, to) {
        // A carrier's PNG/GIF (UPS: 1400 × 800 landscape) is turned and fitted to the stock.
        (LabelFormat::Png, LabelFormat::Png) => convert::image_to_png(&bytes, &native),
        (f, t) if f == t => Ok(bytes),
        (LabelFormat::Zpl, LabelFormat::Pdf) => convert::zpl_to_pdf(&bytes, &native),
        (LabelFormat::Zpl, LabelFormat::Png) => convert::zpl_to_png(&bytes, &native)
            .map(|pages| pages.into_iter().next().unwrap_or_default()),
        (LabelFormat::Png, LabelFormat::Zpl) => convert::image_to_zpl(&bytes, &native),
        (LabelFormat::Pdf, LabelFormat::Zpl) => convert::pdf_to_zpl(&bytes, &native),
        _ => {
            return Err(Error::field(
                "/format",
                format!("the carrier issued this label as {} only", from.as_str()),
            ));
        }
    };
    converted.map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use LabelFormat::{Pdf, Png, Zpl};

    /// Width and height from a PNG's IHDR chunk.
    fn png_size(png: &[u8]) -> (u32, u32) {
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
        let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
        (be(&png[16..20]), be(&png[20..24]))
    }

    #[test]
    fn a_carrier_png_label_is_served_as_the_4x6_portrait_label() {
        // UPS's 1400 × 800 landscape label image (labels/tests/fixtures/SOURCES.md).
        let ups = include_bytes!("../../../labels/tests/fixtures/ups_landscape_label.png");
        assert_eq!(png_size(ups), (1400, 800));
        let png = convert_label(ups.to_vec(), Png, Png, LabelOptions::default()).unwrap();
        assert_eq!(png_size(&png), (812, 1218), "4×6 in at 203 dpi, portrait");
        let tall = LabelOptions {
            stock: shiphub_labels::Stock::In4x8,
            dpi: shiphub_labels::Dpi::D300,
            ..Default::default()
        };
        let png = convert_label(ups.to_vec(), Png, Png, tall).unwrap();
        let (w, h) = png_size(&png);
        assert!(
            w < h && w.abs_diff(1200) <= 24 && h.abs_diff(2400) <= 48,
            "4×8 in at 300 dpi, portrait: {w}×{h}"
        );
    }

    #[test]
    fn carrier_labels_are_served_as_issued_on_4x6_at_203_and_redrawn_for_other_stocks() {
        // A 4×6 label at 203 dpi as carriers send it: a frame and a line of text.
        let zpl =
            b"^XA^PW812^LL1218^FO20,20^GB772,1178,4^FS^FO60,80^A0N,40,40^FDSHIPHUB^FS^XZ".to_vec();
        let as_issued = convert_label(zpl.clone(), Zpl, Zpl, LabelOptions::default()).unwrap();
        assert_eq!(as_issued, zpl);
        let tall = LabelOptions {
            stock: shiphub_labels::Stock::In4x8,
            dpi: shiphub_labels::Dpi::D300,
            ..Default::default()
        };
        let redrawn =
            String::from_utf8(convert_label(zpl.clone(), Zpl, Zpl, tall).unwrap()).unwrap();
        assert!(
            redrawn.contains("^PW1200") && redrawn.contains("^LL2400"),
            "{redrawn}"
        );
        assert!(
            redrawn.contains("^GFA"),
            "a graphic of the carrier's label: {redrawn}"
        );
        let a4 = LabelOptions {
            stock: shiphub_labels::Stock::A42Up,
            ..Default::default()
        };
        let pdf = String::from_utf8_lossy(&convert_label(zpl, Zpl, Pdf, a4).unwrap()).into_owned();
        assert!(pdf.contains("595.2") && pdf.contains("841.8"), "an A4 page");
    }
}
