//! Rendering entry point. Checks the spec, lays each label out once in millimetres
//! ([`layout`]), places it on the stock, then hands the same element list to the PDF or
//! ZPL writer, so the formats cannot drift apart in content. PNG is the ZPL drawn by the
//! ZPL renderer (`convert`): the preview shows exactly what a thermal printer prints, and
//! no second raster path (with its own font rasterizer) has to be kept in step.

pub(crate) mod code128;
pub(crate) mod ewaybill;
pub(crate) mod glyphs;
pub(crate) mod graphic;
pub(crate) mod layout;
pub(crate) mod matrix;
pub(crate) mod pdf;
pub(crate) mod text;
mod zpl;

use shiphub_carriers::model::LabelFormat;

use crate::stock::{RenderOptions, Stock};
use crate::{Gs1Barcode, Label, LabelSpec, MatrixCode};

/// Why a label could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    /// Kept for callers that match on it; every [`LabelFormat`] renders today.
    #[error("label format {0:?} is not supported (supported: Pdf, Zpl)")]
    UnsupportedFormat(LabelFormat),
    /// Sheets (Letter, A4) are PDF only; PNG holds one label.
    #[error("{format:?} cannot be rendered on {stock:?}: {reason}")]
    UnsupportedStock {
        /// The format asked for.
        format: LabelFormat,
        /// The stock asked for.
        stock: Stock,
        /// What to ask for instead.
        reason: &'static str,
    },
    /// The spec contradicts itself (piece 3 of 2).
    #[error("invalid label spec: {field}: {message}")]
    InvalidSpec {
        /// The `LabelSpec` field at fault.
        field: &'static str,
        /// What is wrong, for a human.
        message: String,
    },
    /// The PDF writer failed; a bug here, not bad input.
    #[error("PDF serialization failed")]
    Pdf(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A document handed in for conversion could not be read (corrupt PNG, empty ZPL).
    #[error("cannot convert the document: {0}")]
    Conversion(String),
}

/// Renders one 4×6 in label: PDF, ZPL II at 203 dpi, or PNG at 203 dpi.
pub fn render(spec: &LabelSpec, format: LabelFormat) -> Result<Vec<u8>, LabelError> {
    render_refs(&[(spec, None, None)], format, &RenderOptions::default())
}

/// Renders every label of a shipment into one document: a PDF with one page per label
/// (two per page on Letter/A4), or one ZPL stream of `^XA`…`^XZ` blocks. PNG takes exactly
/// one label and no sheet stock; ZPL takes no sheet stock.
pub fn render_with(
    labels: &[Label],
    format: LabelFormat,
    options: &RenderOptions,
) -> Result<Vec<u8>, LabelError> {
    let refs: Vec<_> = labels
        .iter()
        .map(|l| (&l.spec, l.gs1.as_ref(), l.matrix.as_ref()))
        .collect();
    render_refs(&refs, format, options)
}

type LabelRef<'a> = (
    &'a LabelSpec,
    Option<&'a Gs1Barcode>,
    Option<&'a MatrixCode>,
);

fn render_refs(
    labels: &[LabelRef<'_>],
    format: LabelFormat,
    options: &RenderOptions,
) -> Result<Vec<u8>, LabelError> {
    let stock = options.stock;
    let Some(&(first, ..)) = labels.first() else {
        return Err(LabelError::InvalidSpec {
            field: "labels",
            message: "nothing to render".into(),
        });
    };
    let unsupported = |reason| {
        Err(LabelError::UnsupportedStock {
            format,
            stock,
            reason,
        })
    };
    if stock.is_sheet() && format != LabelFormat::Pdf {
        return unsupported("sheets are for office printers: ask for PDF");
    }
    if format == LabelFormat::Png && labels.len() > 1 {
        return unsupported("a PNG holds one label: ask for PDF or ZPL for several");
    }
    // Every label laid out and placed on its page before any writer runs, so a bad
    // piece fails the whole document rather than truncating it.
    let per_page = stock.labels_per_page();
    let mut pages: Vec<Vec<layout::Element>> = Vec::with_capacity(labels.len().div_ceil(per_page));
    for (i, &(spec, gs1, matrix)) in labels.iter().enumerate() {
        spec.check_drawable()?;
        let mut elements = if stock.is_ewaybill() {
            let (w, h) = stock.page_mm();
            ewaybill::layout(spec, w, h)?
        } else {
            layout::layout(spec, gs1, matrix, stock.layout_height_mm())?
        };
        layout::transform(&mut elements, stock.placement(i % per_page));
        if i % per_page == 0 {
            pages.push(elements);
        } else if let Some(page) = pages.last_mut() {
            page.extend(elements);
        }
    }
    match format {
        LabelFormat::Pdf => {
            let tracking: Vec<&str> = labels
                .iter()
                .map(|l| l.0.tracking_number.as_str())
                .collect();
            let meta = pdf::Meta {
                title: if labels.len() == 1 {
                    format!("Shipping label {}", first.tracking_number)
                } else {
                    format!(
                        "Shipping labels {} (+{})",
                        first.tracking_number,
                        labels.len() - 1
                    )
                },
                subject: format!("{}: {}", first.carrier, first.service_name),
                date: first.ship_date,
                id: if labels.len() == 1 {
                    format!(
                        "{}-{}-{}",
                        first.tracking_number, first.piece_number, first.piece_count
                    )
                } else {
                    tracking.join("+")
                },
            };
            pdf::write(&pages, stock.page_mm(), &meta)
        }
        LabelFormat::Zpl => Ok(zpl_stream(&pages, stock, options).into_bytes()),
        LabelFormat::Png => {
            // The preview draws Chinese as the `^GF` graphic: the renderer has no
            // printer-resident font to stand in for the station's.
            let preview = RenderOptions {
                printer_font: None,
                ..*options
            };
            let zpl = zpl_stream(&pages, stock, &preview);
            crate::convert::rasterize_zpl(zpl.as_bytes(), stock.page_mm(), options.dpi)?
                .into_iter()
                .next()
                .ok_or_else(|| LabelError::Conversion("the ZPL renderer drew no label".into()))
        }
    }
}

fn zpl_stream(pages: &[Vec<layout::Element>], stock: Stock, options: &RenderOptions) -> String {
    let mut z = String::with_capacity(4096 * pages.len());
    for elements in pages {
        zpl::write(
            elements,
            stock.page_mm(),
            options.dpi,
            options.printer_font.as_ref(),
            &mut z,
        );
    }
    z
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tests::sample;

    #[test]
    fn sheets_are_pdf_only_and_png_is_one_label() {
        let labels = vec![Label::from(sample()), Label::from(sample())];
        for stock in [Stock::Letter2Up, Stock::A42Up] {
            let options = RenderOptions {
                stock,
                ..Default::default()
            };
            for format in [LabelFormat::Zpl, LabelFormat::Png] {
                let err = render_with(&labels[..1], format, &options).unwrap_err();
                assert!(matches!(err, LabelError::UnsupportedStock { .. }), "{err}");
            }
        }
        let err = render_with(&labels, LabelFormat::Png, &RenderOptions::default()).unwrap_err();
        assert!(err.to_string().contains("one label"), "{err}");
        assert!(render_with(&[], LabelFormat::Pdf, &RenderOptions::default()).is_err());
    }

    #[test]
    fn piece_number_outside_the_count_is_rejected_in_both_formats() {
        for (number, count) in [(0, 1), (3, 2), (1, 0)] {
            let spec = LabelSpec {
                piece_number: number,
                piece_count: count,
                ..sample()
            };
            for format in [LabelFormat::Pdf, LabelFormat::Zpl] {
                let err = render(&spec, format).unwrap_err();
                assert!(
                    matches!(
                        err,
                        LabelError::InvalidSpec {
                            field: "piece_number",
                            ..
                        }
                    ),
                    "{number} of {count}: {err}"
                );
            }
        }
    }
}
