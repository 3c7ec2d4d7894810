//! PDF writer: pages of printpdf ops, built-in Helvetica (referenced, not embedded, so a
//! label stays a few kB) and barcodes as filled rectangles. A line Helvetica cannot draw
//! (Chinese) is set in the embedded CJK font instead, subset to the glyphs the document
//! uses (`shiphub_fonts::pdf_subset`); printpdf writes its ToUnicode map, so the text
//! extracts back. Latin-only documents
//! embed no font. Draws elements as given, in
//! page millimetres; it does not move or resize anything but the symbols inside their
//! areas. Customs documents use it too.

use std::collections::BTreeMap;
use std::sync::Arc;

use lopdf::{Object, StringFormat};
use printpdf::{
    BuiltinFont, DictItem, ExternalStream, ExternalXObject, FontId, Mm, Op, PaintMode, PdfDocument,
    PdfFontHandle, PdfPage, PdfSaveOptions, Point, Pt, Rect, TextItem, XObject, XObjectId,
    XObjectTransform,
};

use super::LabelError;
use super::code128::QUIET_ZONE_MODULES;
use super::layout::Element;
use super::matrix::Matrix;
use super::text::{needs_cjk, to_win_ansi};

/// One dot of a 203 dpi thermal printer, where most 4×6 PDFs end up.
const DOT_MM: f32 = 25.4 / 203.0;
/// Wider modules only make the symbol longer, not easier to scan.
const MAX_MODULE_MM: f32 = 4.0 * DOT_MM;

/// What the PDF's Info dictionary and trailer say about the document.
pub(crate) struct Meta {
    pub(crate) title: String,
    pub(crate) subject: String,
    /// Creation date: the ship date, never the clock, so reprints are byte-identical.
    pub(crate) date: time::Date,
    /// Trailer /ID; derived from the content for the same reason.
    pub(crate) id: String,
}

/// One page per element list, each `page_mm` (width, height) in size.
pub(crate) fn write(
    pages: &[Vec<Element>],
    page_mm: (f32, f32),
    meta: &Meta,
) -> Result<Vec<u8>, LabelError> {
    let page_height = page_mm.1;
    let cjk = cjk_text(pages.iter().flatten())
        .map(|text| shiphub_fonts::pdf_subset(&text))
        .transpose()
        .map_err(|e| LabelError::Pdf(e.into()))?;
    let cjk_id = cjk.as_ref().map(|(id, _)| id.clone());
    // Each 2D symbol is one form XObject (its content kept with the encoded symbol), named
    // by its order in the document so the bytes stay reproducible.
    let mut symbols: Vec<Arc<Matrix>> = Vec::new();
    for element in pages.iter().flatten() {
        if let Element::Matrix { matrix, .. } = element
            && !symbols.iter().any(|m| Arc::ptr_eq(m, matrix))
        {
            symbols.push(Arc::clone(matrix));
        }
    }
    let pdf_pages = pages
        .iter()
        .map(|elements| {
            PdfPage::new(
                Mm(page_mm.0),
                Mm(page_height),
                ops(elements, page_height, cjk_id.as_ref(), &symbols),
            )
        })
        .collect();

    let mut doc = PdfDocument::new(&meta.title);
    for (n, m) in symbols.iter().enumerate() {
        doc.resources
            .xobjects
            .map
            .insert(symbol_id(n), XObject::External(symbol_form(m)));
    }
    if let Some((id, font)) = cjk {
        // Already cut to this document's glyphs: printpdf embeds it as given.
        doc.resources.fonts.map.insert(id, font);
    }
    let info = &mut doc.metadata.info;
    let d = meta.date;
    let date = printpdf::DateTime::new_in_offset(
        printpdf::Date {
            year: d.year(),
            month: d.month().into(),
            day: d.day(),
        },
        printpdf::Time {
            hour: 0,
            minute: 0,
            second: 0,
            millisecond: 0,
        },
        printpdf::Offset {
            hours: 0,
            minutes: 0,
            seconds: 0,
            milliseconds: 0,
        },
    );
    info.creation_date = date;
    info.modification_date = date;
    info.metadata_date = date;
    info.subject = meta.subject.clone();
    info.creator = "shiphub".into();
    info.producer = concat!("shiphub-labels ", env!("CARGO_PKG_VERSION")).into();
    doc.with_pages(pdf_pages);

    // What PdfDocument::save does, except that printpdf fills the trailer /ID with
    // random text; an ID derived from the content makes the bytes reproducible.
    let opts = PdfSaveOptions::default();
    let mut warnings = Vec::new();
    let mut lo = doc.to_lopdf_document(&opts, &mut warnings);
    let id = Object::String(meta.id.clone().into_bytes(), StringFormat::Literal);
    lo.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    if opts.optimize {
        lo.compress();
    }
    let mut out = Vec::new();
    lo.save_to(&mut out)
        .map_err(|e| LabelError::Pdf(Box::new(e)))?;
    Ok(out)
}

/// Every line of the document set in the CJK font, run together (what its subset must
/// hold); `None` when every line is Latin and no font is embedded.
fn cjk_text<'a>(elements: impl Iterator<Item = &'a Element>) -> Option<String> {
    let mut text = String::new();
    for element in elements {
        if let Element::Text(t) = element
            && needs_cjk(&t.text)
        {
            text.push_str(&t.text);
        }
    }
    (!text.is_empty()).then_some(text)
}

/// The ops that draw one line of text: Helvetica for what WinAnsi holds, the embedded
/// font (`cjk`, present whenever such a line is) for the rest.
pub(crate) fn text_ops(
    x: f32,
    baseline: f32,
    size_pt: f32,
    bold: bool,
    text: &str,
    page_height: f32,
    cjk: Option<&FontId>,
) -> [Op; 5] {
    let (font, text) = match cjk {
        Some(id) if needs_cjk(text) => (
            PdfFontHandle::External(id.clone()),
            text.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect(),
        ),
        _ => (
            PdfFontHandle::Builtin(if bold {
                BuiltinFont::HelveticaBold
            } else {
                BuiltinFont::Helvetica
            }),
            // The built-in fonts only encode WinAnsi.
            to_win_ansi(text),
        ),
    };
    [
        Op::StartTextSection,
        Op::SetFont {
            font,
            size: Pt(size_pt),
        },
        Op::SetTextCursor {
            pos: Point::new(Mm(x), Mm(page_height - baseline)),
        },
        Op::ShowText {
            items: vec![TextItem::Text(text)],
        },
        Op::EndTextSection,
    ]
}

/// The resource name of the document's `n`th symbol.
fn symbol_id(n: usize) -> XObjectId {
    XObjectId(format!("Sym{n}"))
}

/// A symbol as a form XObject one module per unit, `side` × `side`.
fn symbol_form(m: &Matrix) -> ExternalXObject {
    let side = DictItem::Int(m.side as i64);
    let dict = BTreeMap::from([
        ("Type".to_string(), DictItem::Name(b"XObject".to_vec())),
        ("Subtype".to_string(), DictItem::Name(b"Form".to_vec())),
        (
            "BBox".to_string(),
            DictItem::Array(vec![DictItem::Int(0), DictItem::Int(0), side.clone(), side]),
        ),
    ]);
    ExternalXObject {
        stream: ExternalStream {
            dict,
            content: m.pdf_form().to_vec(),
            compress: true,
        },
        width: None,
        height: None,
        dpi: None,
    }
}

fn ops(
    elements: &[Element],
    page_height: f32,
    cjk: Option<&FontId>,
    symbols: &[Arc<Matrix>],
) -> Vec<Op> {
    let fill = |x: f32, y: f32, w: f32, h: f32| fill(page_height, x, y, w, h);
    let mut ops = Vec::new();
    for element in elements {
        match element {
            Element::Text(t) => ops.extend(text_ops(
                t.x,
                t.baseline,
                t.size_pt,
                t.bold,
                &t.text,
                page_height,
                cjk,
            )),
            Element::Bar {
                x,
                y,
                width,
                height,
            } => ops.push(fill(*x, *y, *width, *height)),
            Element::Frame {
                x,
                y,
                width,
                height,
                thickness: t,
            } => ops.extend([
                fill(*x, *y, *width, *t),
                fill(*x, y + height - t, *width, *t),
                fill(*x, *y, *t, *height),
                fill(x + width - t, *y, *t, *height),
            ]),
            Element::Barcode {
                x,
                y,
                width,
                height,
                symbol,
            } => {
                let modules = symbol.modules().len();
                let module = module_width(*width, modules);
                let left = x + (width - module * modules as f32) / 2.0;
                ops.extend(symbol.bars().map(|(start, len)| {
                    fill(
                        left + module * start as f32,
                        *y,
                        module * len as f32,
                        *height,
                    )
                }));
            }
            Element::Matrix { x, y, size, matrix } => {
                // Exact fit: office printers and viewers have no dot grid to snap to.
                let module = size / matrix.outer_side() as f32;
                let (left, bottom) = (
                    x + module * matrix.quiet as f32,
                    y + module * (matrix.quiet + matrix.side) as f32,
                );
                let n = symbols
                    .iter()
                    .position(|m| Arc::ptr_eq(m, matrix))
                    .expect("every symbol is collected before the pages are drawn");
                let scale = Pt::from(Mm(module)).0;
                ops.push(Op::UseXobject {
                    id: symbol_id(n),
                    transform: XObjectTransform {
                        translate_x: Some(Mm(left).into()),
                        translate_y: Some(Mm(page_height - bottom).into()),
                        scale_x: Some(scale),
                        scale_y: Some(scale),
                        ..Default::default()
                    },
                });
            }
        }
    }
    ops
}

/// A filled rectangle given by its top-left corner in page coordinates (y down).
fn fill(page_height: f32, x: f32, y: f32, width: f32, height: f32) -> Op {
    Op::DrawRectangle {
        rectangle: Rect {
            x: Mm(x).into(),
            y: Mm(page_height - y - height).into(),
            width: Mm(width).into(),
            height: Mm(height).into(),
            mode: Some(PaintMode::Fill),
            winding_order: None,
        },
    }
}

/// The widest module (mm) with which `modules` plus both quiet zones fit in `area` mm.
/// Rounded down to whole 203 dpi dots when that leaves at least two, so a thermal printer
/// prints every bar of a width alike; under two dots, rounding would cost up to half the
/// width, and the exact fit scans better than a one-dot module.
fn module_width(area: f32, modules: usize) -> f32 {
    let fit = (area / (modules + 2 * QUIET_ZONE_MODULES) as f32).min(MAX_MODULE_MM);
    let dots = (fit / DOT_MM).floor();
    if dots >= 2.0 { dots * DOT_MM } else { fit }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_width_keeps_quiet_zones_inside_the_area() {
        for modules in [79, 222, 233, 475] {
            let w = module_width(96.6, modules);
            assert!(w * (modules + 20) as f32 <= 96.6 + 1e-4, "{modules}: {w}");
            assert!(w <= MAX_MODULE_MM + 1e-6);
        }
        // UPS 1Z in mixed B/C: 3 whole dots; 40 letters in B: the exact fit.
        assert!((module_width(96.6, 11 * 16 + 13) - 3.0 * DOT_MM).abs() < 1e-6);
        let long = module_width(96.6, 475);
        assert!(long > DOT_MM && long < 2.0 * DOT_MM, "{long}");
    }
}
