//! One label document from the per-piece labels a carrier returns (FedEx, UPS and DHL answer
//! one label per package): ZPL streams are concatenated, PDFs merged page after page with
//! `lopdf`, PNGs stacked top to bottom into one image. Pure; every piece is kept, in order.

use std::collections::BTreeMap;

use lopdf::{Document, Object, ObjectId};

use crate::model::{LabelDocument, LabelFormat};

/// The pieces' labels as one document, for a waybill already bought: when they cannot be
/// joined (mixed formats, a document we cannot read), the purchase still stands, so the first
/// piece's label is kept and a warning says the others must be reprinted from the carrier.
pub(crate) fn pieces(
    labels: Vec<LabelDocument>,
    carrier: &str,
    warnings: &mut Vec<String>,
) -> Option<LabelDocument> {
    let n = labels.len();
    let first = labels.first().cloned();
    match join(labels) {
        Ok(label) => label,
        Err(why) => {
            warnings.push(format!(
                "{carrier} returned {n} piece labels that could not be joined ({why}): only the first is attached; reprint the others from {carrier}"
            ));
            first
        }
    }
}

/// The pieces' labels as one document of their format. `Err` says why they could not be
/// joined (mixed formats, an unreadable document).
pub(crate) fn join(mut labels: Vec<LabelDocument>) -> Result<Option<LabelDocument>, String> {
    if labels.len() < 2 {
        return Ok(labels.pop());
    }
    let format = labels[0].format;
    if let Some(other) = labels.iter().find(|l| l.format != format) {
        return Err(format!(
            "piece labels in different formats ({:?} and {:?})",
            format, other.format
        ));
    }
    let contents: Vec<Vec<u8>> = labels.into_iter().map(|l| l.content).collect();
    let content = match format {
        LabelFormat::Zpl => contents.concat(),
        LabelFormat::Pdf => merge_pdfs(&contents)?,
        LabelFormat::Png => stack_pngs(&contents)?,
    };
    Ok(Some(LabelDocument { format, content }))
}

/// Page attributes a page may inherit from its page-tree ancestors (PDF 32000-1 §7.7.3.4):
/// copied onto each moved page, since it leaves its old tree.
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];

/// The pages of every PDF, in order, in one PDF: the first document keeps its catalog; the
/// others' pages (and the objects they use) are renumbered into it and appended to its page
/// tree's root.
fn merge_pdfs(pdfs: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let load = |i: usize, b: &[u8]| {
        Document::load_mem(b).map_err(|e| format!("piece {} label is not a PDF: {e}", i + 1))
    };
    let mut base = load(0, &pdfs[0])?;
    let root = pages_root(&base).map_err(|e| format!("piece 1 label: {e}"))?;
    let mut added: Vec<ObjectId> = Vec::new();
    for (i, bytes) in pdfs.iter().enumerate().skip(1) {
        let mut doc = load(i, bytes)?;
        doc.renumber_objects_with(base.max_id + 1);
        let catalog = doc
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(|e| format!("piece {} label: {e}", i + 1))?;
        let their_root = pages_root(&doc).map_err(|e| format!("piece {} label: {e}", i + 1))?;
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        for &page in &pages {
            let inherited = inherited_attributes(&doc, page);
            let dict = doc
                .get_dictionary_mut(page)
                .map_err(|e| format!("piece {} label: {e}", i + 1))?;
            for (key, value) in inherited {
                if !dict.has(&key) {
                    dict.set(key, value);
                }
            }
            dict.set("Parent", Object::Reference(root));
        }
        base.max_id = base.max_id.max(doc.max_id);
        let skip = |id: &ObjectId| *id == catalog || *id == their_root;
        base.objects
            .extend(doc.objects.into_iter().filter(|(id, _)| !skip(id)));
        added.extend(pages);
    }
    let tree = base
        .get_dictionary_mut(root)
        .map_err(|e| format!("piece 1 label: {e}"))?;
    let count = tree.get(b"Count").and_then(Object::as_i64).unwrap_or(0) + added.len() as i64;
    let kids = tree
        .get_mut(b"Kids")
        .and_then(Object::as_array_mut)
        .map_err(|e| format!("piece 1 label: {e}"))?;
    kids.extend(added.into_iter().map(Object::Reference));
    tree.set("Count", Object::Integer(count));
    let mut out = Vec::new();
    base.save_to(&mut out)
        .map_err(|e| format!("joined PDF could not be written: {e}"))?;
    Ok(out)
}

fn pages_root(doc: &Document) -> Result<ObjectId, lopdf::Error> {
    doc.catalog()?.get(b"Pages")?.as_reference()
}

/// The inheritable attributes `page` lacks, from its nearest ancestor that has them.
fn inherited_attributes(doc: &Document, page: ObjectId) -> BTreeMap<Vec<u8>, Object> {
    let mut found = BTreeMap::new();
    let Ok(dict) = doc.get_dictionary(page) else {
        return found;
    };
    let mut parent = dict.get(b"Parent").and_then(Object::as_reference).ok();
    // A bounded walk: a malformed tree with a cycle must not hang.
    for _ in 0..32 {
        let Some(id) = parent else { break };
        let Ok(node) = doc.get_dictionary(id) else {
            break;
        };
        for key in INHERITED {
            if !dict.has(key)
                && !found.contains_key(key)
                && let Ok(v) = node.get(key)
            {
                found.insert(key.to_vec(), v.clone());
            }
        }
        parent = node.get(b"Parent").and_then(Object::as_reference).ok();
    }
    found
}

/// Every PNG, top to bottom, in one 8-bit RGBA PNG as wide as the widest (narrower ones
/// padded with white on the right).
fn stack_pngs(pngs: &[Vec<u8>]) -> Result<Vec<u8>, String> {
    let images = pngs
        .iter()
        .enumerate()
        .map(|(i, b)| rgba(b).map_err(|e| format!("piece {} label is not a PNG: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let width = images.iter().map(|i| i.0).max().unwrap_or(0);
    let height: u32 = images.iter().map(|i| i.1).sum();
    if u64::from(width) * u64::from(height) > 200_000_000 {
        return Err(format!(
            "{width} × {height} px is more than any label sheet"
        ));
    }
    let row = width as usize * 4;
    let mut pixels = Vec::with_capacity(row * height as usize);
    for (w, _, data) in &images {
        for line in data.chunks(*w as usize * 4) {
            pixels.extend_from_slice(line);
            pixels.resize(pixels.len() + row - line.len(), 0xff);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// A PNG as (width, height, 8-bit RGBA pixels).
fn rgba(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>), String> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    // Palette and low bit depths expanded to 8 bits, 16-bit channels cut to 8.
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
    let size = reader
        .output_buffer_size()
        .ok_or("PNG too large to decode")?;
    let mut buf = vec![0; size];
    let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
    buf.truncate(info.buffer_size());
    let px = (info.width * info.height) as usize;
    let out: Vec<u8> = match info.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf
            .chunks(3)
            .flat_map(|c| [c[0], c[1], c[2], 255])
            .collect(),
        png::ColorType::GrayscaleAlpha => buf
            .chunks(2)
            .flat_map(|c| [c[0], c[0], c[0], c[1]])
            .collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return Err("palette not expanded".into()),
    };
    if out.len() != px * 4 {
        return Err(format!("{} bytes for {px} pixels", out.len()));
    }
    Ok((info.width, info.height, out))
}
