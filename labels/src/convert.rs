//! Carrier label documents converted locally for the printer at hand, no web service:
//! PNG/GIF → ZPL (`^GFA` with ZPL ASCII compression) for thermal printers, and ZPL →
//! PNG/PDF for office printers and previews, drawn by `labelize`.
//!
//! PDF → ZPL rasterizes each page with `hayro` (pure Rust, no C++ PDF library) and sends it
//! as a `^GF` graphic like an image; it is the costliest path, so callers should still ask
//! the carrier for ZPL, PNG or GIF when they know the label is for a thermal printer.

use std::collections::BTreeMap;
use std::io::Cursor;

use image::{GrayImage, imageops};
use printpdf::{
    DictItem, ExternalStream, ExternalXObject, Mm, Op, PdfDocument, PdfPage, PdfSaveOptions, Px,
    RawImage, RawImageData, RawImageFormat, XObjectTransform,
};
use shiphub_carriers::model::LabelFormat;

use crate::{Bitmap, Dpi, LabelError, RenderOptions};

/// The most bytes one `^GF` field may declare (ZPL II Programming Guide, `^GF` b/c ≤ 99999);
/// larger images go as several fields stacked on row boundaries.
const MAX_GF_BYTES: usize = 99_999;
/// Pixels at or darker than this luminance print as ink (the midpoint, after averaging).
const INK_BELOW: u32 = 128;
/// Refuses images a label could not need (a 4×8 in label at 600 dpi is 2400 × 4800).
const MAX_PIXELS: u64 = 40_000_000;

/// A PNG or GIF label as one ZPL label for `options.stock` at `options.dpi`: the image is
/// turned upright when the stock is portrait and it is landscape (UPS GIFs are), scaled
/// to fit the stock with its aspect kept, centred, and reduced to ink/paper by averaging
/// the source pixels under each dot.
pub fn image_to_zpl(image: &[u8], options: &RenderOptions) -> Result<Vec<u8>, LabelError> {
    thermal_stock(options)?;
    let gray = decode_gray(image)?;
    Ok(gray_to_zpl(&gray, options).into_bytes())
}

/// A PNG or GIF label as a PNG for `options.stock` at `options.dpi`, laid out as
/// [`image_to_zpl`] lays it out (upright, fitted, centred, ink/paper): a UPS label comes
/// as a 1400 × 800 landscape image, and a PNG asked for on 4×6 stock must be the 4×6
/// portrait label at the printer's resolution like every other label, not UPS's image.
pub fn image_to_png(image: &[u8], options: &RenderOptions) -> Result<Vec<u8>, LabelError> {
    if options.stock.is_sheet() {
        return Err(LabelError::UnsupportedStock {
            format: LabelFormat::Png,
            stock: options.stock,
            reason: "a PNG is one label: use a label stock",
        });
    }
    let gray = decode_gray(image)?;
    let (page_w, page_h) = page_dots(options.stock.page_mm(), options.dpi);
    let bitmap = fit_to_dots(&gray, page_w, page_h);
    let (x0, y0) = (
        (page_w - bitmap.width()) / 2,
        (page_h - bitmap.height()) / 2,
    );
    let page = GrayImage::from_fn(page_w as u32, page_h as u32, |x, y| {
        let (x, y) = (x as usize, y as usize);
        let ink = x >= x0
            && y >= y0
            && x - x0 < bitmap.width()
            && y - y0 < bitmap.height()
            && bitmap.get(x - x0, y - y0);
        image::Luma([if ink { 0 } else { 255 }])
    });
    let mut png = Vec::new();
    page.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| LabelError::Conversion(format!("PNG: {e}")))?;
    Ok(png)
}

/// A PDF label (every page one label) as a ZPL stream for `options.stock` at `options.dpi`:
/// each page rasterized by `hayro` at twice the printer's resolution, then fitted and
/// reduced to ink/paper as for images (averaging keeps thin bars true).
pub fn pdf_to_zpl(pdf: &[u8], options: &RenderOptions) -> Result<Vec<u8>, LabelError> {
    use hayro::hayro_interpret::InterpreterSettings;
    use hayro::hayro_syntax::Pdf;
    use hayro::vello_cpu::color::palette::css::WHITE;

    thermal_stock(options)?;
    let doc = Pdf::new(pdf.to_vec()).map_err(|e| LabelError::Conversion(format!("PDF: {e:?}")))?;
    let pages = doc.pages();
    if pages.is_empty() {
        return Err(LabelError::Conversion("PDF has no pages".into()));
    }
    let scale = 2.0 * options.dpi.dots_per_mm() * 25.4 / 72.0;
    let cache = hayro::RenderCache::new();
    let interpreter = InterpreterSettings::default();
    let mut out = String::new();
    for page in pages.iter() {
        let (w, h) = page.render_dimensions();
        if f64::from(w * scale) * f64::from(h * scale) > MAX_PIXELS as f64 {
            return Err(LabelError::Conversion(format!(
                "PDF page of {w} × {h} pt is larger than any label"
            )));
        }
        let pixmap = hayro::render(
            page,
            &cache,
            &interpreter,
            &hayro::RenderSettings::default(),
            &hayro::PixmapSettings {
                x_scale: scale,
                y_scale: scale,
                bg_color: WHITE,
            },
        );
        let (pw, ph) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
        let mut gray = GrayImage::new(pw, ph);
        for (out, px) in gray.pixels_mut().zip(pixmap.data()) {
            // Opaque white background: premultiplied equals straight colour here.
            let luma =
                (299 * u32::from(px.r) + 587 * u32::from(px.g) + 114 * u32::from(px.b)) / 1000;
            out.0[0] = luma as u8;
        }
        out.push_str(&gray_to_zpl(&gray, options));
    }
    Ok(out.into_bytes())
}

fn thermal_stock(options: &RenderOptions) -> Result<(), LabelError> {
    if options.stock.is_sheet() {
        return Err(LabelError::UnsupportedStock {
            format: LabelFormat::Zpl,
            stock: options.stock,
            reason: "sheets are for office printers: ask for PDF",
        });
    }
    Ok(())
}

/// One label: `gray` fitted to the stock, centred, as stacked `^GFA` fields.
fn gray_to_zpl(gray: &GrayImage, options: &RenderOptions) -> String {
    let (page_w, page_h) = page_dots(options.stock.page_mm(), options.dpi);
    let bitmap = fit_to_dots(gray, page_w, page_h);
    let (x, y) = (
        (page_w - bitmap.width()) / 2,
        (page_h - bitmap.height()) / 2,
    );
    let mut z = format!("^XA\n^PW{page_w}\n^LL{page_h}\n^LH0,0\n");
    let rows_per_field = (MAX_GF_BYTES / bitmap.width().div_ceil(8)).max(1);
    for top in (0..bitmap.height()).step_by(rows_per_field) {
        let strip = bitmap.rows(top, rows_per_field);
        z.push_str(&format!("^FO{x},{}{}^FS\n", y + top, strip.to_gfa()));
    }
    z.push_str("^XZ\n");
    z
}

/// One PNG per label in a ZPL stream (1-bit, as the printer would print it), drawn by
/// `labelize` on `options.stock` at `options.dpi`.
pub fn zpl_to_png(zpl: &[u8], options: &RenderOptions) -> Result<Vec<Vec<u8>>, LabelError> {
    if options.stock.is_sheet() {
        return Err(LabelError::UnsupportedStock {
            format: LabelFormat::Png,
            stock: options.stock,
            reason: "a PNG is one label: use a label stock",
        });
    }
    rasterize_zpl(zpl, options.stock.page_mm(), options.dpi)
}

/// A ZPL stream as a PDF with one label per page (two per page on Letter/A4), each the
/// 1-bit raster a printer of `options.dpi` would print, placed at its true size.
pub fn zpl_to_pdf(zpl: &[u8], options: &RenderOptions) -> Result<Vec<u8>, LabelError> {
    let stock = options.stock;
    // Sheets carry 4×6 labels; every other stock is drawn at its own size.
    let label_mm = if stock.is_sheet() {
        (101.6, 152.4)
    } else {
        stock.page_mm()
    };
    let pngs = rasterize_zpl(zpl, label_mm, options.dpi)?;
    let mut doc = PdfDocument::new("Converted ZPL labels");
    let (page_w, page_h) = stock.page_mm();
    let dpi = options.dpi.whole_dots_per_mm() as f32 * 25.4;
    let mut pages = Vec::new();
    let mut ops = Vec::new();
    for (i, png) in pngs.iter().enumerate() {
        // labelize's PNG is 8-bit grey: its compressed rows go into the PDF as they are (a
        // PDF image may use PNG's predictors), not decoded and compressed again.
        let (id, h) = match png_as_pdf_image(png) {
            Some(image) => {
                let h = image.height.map_or(0, |h| h.0) as u32;
                (doc.add_xobject(&image), h)
            }
            None => {
                let gray = decode_gray(png)?;
                let (w, h) = gray.dimensions();
                let id = doc.add_image(&RawImage {
                    pixels: RawImageData::U8(gray.into_raw()),
                    width: w as usize,
                    height: h as usize,
                    data_format: RawImageFormat::R8,
                    tag: Vec::new(),
                });
                (id, h)
            }
        };
        let slot = i % stock.labels_per_page();
        let p = stock.placement(slot);
        let height_mm = h as f32 / dpi * 25.4 * p.scale;
        ops.push(Op::UseXobject {
            id,
            transform: XObjectTransform {
                translate_x: Some(Mm(p.x).into()),
                translate_y: Some(Mm(page_h - p.y - height_mm).into()),
                dpi: Some(dpi / p.scale),
                ..Default::default()
            },
        });
        if slot + 1 == stock.labels_per_page() || i + 1 == pngs.len() {
            pages.push(PdfPage::new(
                Mm(page_w),
                Mm(page_h),
                std::mem::take(&mut ops),
            ));
        }
    }
    let mut warnings = Vec::new();
    Ok(doc
        .with_pages(pages)
        .save(&PdfSaveOptions::default(), &mut warnings))
}

/// A non-interlaced 8-bit greyscale PNG as a PDF image XObject holding the PNG's own
/// compressed data (`FlateDecode` with the PNG predictors, PDF 1.2): no pixel is decoded or
/// compressed again. `None` for any other kind of PNG.
fn png_as_pdf_image(png: &[u8]) -> Option<ExternalXObject> {
    let mut rest = png.strip_prefix(b"\x89PNG\r\n\x1a\n")?;
    let (mut width, mut height) = (0u32, 0u32);
    let mut data = Vec::new();
    while rest.len() >= 12 {
        let len = u32::from_be_bytes(rest[..4].try_into().ok()?) as usize;
        let kind = &rest[4..8];
        let body = rest.get(8..8 + len)?;
        match kind {
            b"IHDR" => {
                // width, height, bit depth 8, colour type 0 (grey), deflate, filter 0,
                // no interlace
                if body.len() != 13 || body[8..] != [8, 0, 0, 0, 0] {
                    return None;
                }
                width = u32::from_be_bytes(body[..4].try_into().ok()?);
                height = u32::from_be_bytes(body[4..8].try_into().ok()?);
            }
            b"IDAT" => data.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        rest = rest.get(8 + len + 4..)?;
    }
    if width == 0 || height == 0 || data.is_empty() {
        return None;
    }
    let int = |n: u32| DictItem::Int(i64::from(n));
    let name = |n: &str| DictItem::Name(n.as_bytes().to_vec());
    let params = BTreeMap::from([
        ("Predictor".to_string(), DictItem::Int(15)),
        ("Colors".to_string(), DictItem::Int(1)),
        ("BitsPerComponent".to_string(), DictItem::Int(8)),
        ("Columns".to_string(), int(width)),
    ]);
    let dict = BTreeMap::from([
        ("Type".to_string(), name("XObject")),
        ("Subtype".to_string(), name("Image")),
        ("Width".to_string(), int(width)),
        ("Height".to_string(), int(height)),
        ("ColorSpace".to_string(), name("DeviceGray")),
        ("BitsPerComponent".to_string(), DictItem::Int(8)),
        ("Filter".to_string(), name("FlateDecode")),
        ("DecodeParms".to_string(), DictItem::Dict { map: params }),
    ]);
    Some(ExternalXObject {
        stream: ExternalStream {
            dict,
            content: data,
            compress: false,
        },
        width: Some(Px(width as usize)),
        height: Some(Px(height as usize)),
        dpi: None,
    })
}

/// Every label of a ZPL stream as a PNG of `page_mm` at `dpi`.
pub(crate) fn rasterize_zpl(
    zpl: &[u8],
    page_mm: (f32, f32),
    dpi: Dpi,
) -> Result<Vec<Vec<u8>>, LabelError> {
    let dpmm = dpi.whole_dots_per_mm();
    let labels = labelize::parse_labels(labelize::Language::Zpl, zpl, dpmm)
        .map_err(|e| LabelError::Conversion(format!("ZPL: {e}")))?;
    if labels.is_empty() {
        return Err(LabelError::Conversion("no ^XA…^XZ label in the ZPL".into()));
    }
    let renderer = labelize::Renderer::new();
    labels
        .iter()
        .map(|label| {
            let mut png = Vec::new();
            renderer
                .draw_label_as_png(
                    label,
                    &mut png,
                    labelize::DrawerOptions {
                        label_width_mm: f64::from(page_mm.0),
                        label_height_mm: f64::from(page_mm.1),
                        dpmm,
                        ..Default::default()
                    },
                )
                .map_err(|e| LabelError::Conversion(format!("ZPL render: {e}")))?;
            Ok(png)
        })
        .collect()
}

fn page_dots(page_mm: (f32, f32), dpi: Dpi) -> (usize, usize) {
    let d = dpi.dots_per_mm();
    (
        (page_mm.0 * d).round() as usize,
        (page_mm.1 * d).round() as usize,
    )
}

/// PNG or GIF (first frame) as luminance, transparency composited over white paper.
fn decode_gray(bytes: &[u8]) -> Result<GrayImage, LabelError> {
    let bad = |e: image::ImageError| LabelError::Conversion(format!("image: {e}"));
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| LabelError::Conversion(format!("image: {e}")))?;
    let (w, h) = reader.into_dimensions().map_err(bad)?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(LabelError::Conversion(format!(
            "image of {w} × {h} pixels is larger than any label"
        )));
    }
    let rgba = image::load_from_memory(bytes).map_err(bad)?.to_rgba8();
    let mut gray = GrayImage::new(w, h);
    for (out, px) in gray.pixels_mut().zip(rgba.pixels()) {
        let [r, g, b, a] = px.0.map(u32::from);
        // Rec. 601 luma, then over white: transparent areas are paper, not ink.
        let luma = (299 * r + 587 * g + 114 * b) / 1000;
        out.0[0] = ((luma * a + 255 * (255 - a)) / 255) as u8;
    }
    Ok(gray)
}

/// `gray` turned upright if needed and scaled to fit `w` × `h` dots, as ink/paper.
fn fit_to_dots(gray: &GrayImage, w: usize, h: usize) -> Bitmap {
    let rotated;
    let src = if gray.width() > gray.height() && w < h {
        rotated = imageops::rotate90(gray);
        &rotated
    } else {
        gray
    };
    let (sw, sh) = (src.width() as usize, src.height() as usize);
    let scale = (w as f64 / sw as f64).min(h as f64 / sh as f64);
    let (tw, th) = (
        ((sw as f64 * scale).round() as usize).clamp(1, w),
        ((sh as f64 * scale).round() as usize).clamp(1, h),
    );
    // Each dot covers a box of source pixels: averaging it keeps thin bars when
    // shrinking; when enlarging the box is the one pixel under the dot.
    let span = |t: usize, sn: usize| {
        let a = ((t as f64 / scale).floor() as usize).min(sn - 1);
        let b = (((t + 1) as f64 / scale).ceil() as usize).clamp(a + 1, sn);
        (a, b)
    };
    let xs: Vec<(usize, usize)> = (0..tw).map(|x| span(x, sw)).collect();
    let mut bitmap = Bitmap::new(tw, th);
    for ty in 0..th {
        let (y0, y1) = span(ty, sh);
        for (tx, &(x0, x1)) in xs.iter().enumerate() {
            let mut sum = 0u32;
            for y in y0..y1 {
                for x in x0..x1 {
                    sum += u32::from(src.get_pixel(x as u32, y as u32).0[0]);
                }
            }
            let count = ((y1 - y0) * (x1 - x0)) as u32;
            if sum < INK_BELOW * count {
                bitmap.set(tx, ty);
            }
        }
    }
    bitmap
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Luma;

    #[test]
    fn landscape_images_are_turned_upright_for_portrait_stock() {
        // A black square in the top-left corner of a landscape image.
        let mut img = GrayImage::from_pixel(60, 40, Luma([255]));
        for y in 0..10 {
            for x in 0..10 {
                img.put_pixel(x, y, Luma([0]));
            }
        }
        let b = fit_to_dots(&img, 40, 60);
        assert_eq!((b.width(), b.height()), (40, 60));
        // rotate90 is clockwise: the top-left corner goes to the top-right.
        assert!(b.get(35, 5) && !b.get(5, 5));
    }

    #[test]
    fn shrinking_keeps_one_pixel_bars_as_ink_only_where_they_dominate() {
        // Two-pixel bars every four pixels, shrunk by half: one dot of ink, one of paper.
        let img = GrayImage::from_fn(400, 600, |x, _| Luma([if x % 4 < 2 { 0 } else { 255 }]));
        let b = fit_to_dots(&img, 200, 300);
        assert_eq!((b.width(), b.height()), (200, 300));
        let row: Vec<bool> = (0..8).map(|x| b.get(x, 10)).collect();
        assert_eq!(row, [true, false, true, false, true, false, true, false]);
    }
}
