//! One document out of many labels, for printing a batch in one job: PDFs have their pages
//! appended in the order given (lopdf, the PDF library printpdf already builds on), ZPL
//! documents are concatenated (a ZPL stream is any number of `^XA … ^XZ` formats).

use std::collections::BTreeMap;

use lopdf::{Dictionary, Document, Object, ObjectId};

/// Why documents could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Document `index` (in the order given) is not a readable PDF.
    #[error("document {index} is not a readable PDF: {reason}")]
    Unreadable { index: usize, reason: String },
    #[error("could not write the merged PDF: {0}")]
    Write(String),
}

/// Attributes a page may inherit from its page tree: copied onto each page before the page
/// leaves its own tree for the merged one.
const INHERITED: [&[u8]; 4] = [b"MediaBox", b"CropBox", b"Resources", b"Rotate"];

/// The pages of `docs`, in order (each document's pages in its own order), as one PDF.
/// An empty list gives a valid PDF with no pages.
pub fn merge_pdfs<D: AsRef<[u8]>>(docs: &[D]) -> Result<Vec<u8>, MergeError> {
    let mut out = Document::with_version("1.5");
    let mut objects: BTreeMap<ObjectId, Object> = BTreeMap::new();
    let mut kids: Vec<ObjectId> = Vec::new();
    let mut next_id = 1;
    for (index, bytes) in docs.iter().enumerate() {
        let mut doc = Document::load_mem(bytes.as_ref()).map_err(|e| MergeError::Unreadable {
            index,
            reason: e.to_string(),
        })?;
        doc.renumber_objects_with(next_id);
        next_id = doc.max_id + 1;
        let pages: Vec<ObjectId> = doc.get_pages().into_values().collect();
        if pages.is_empty() {
            return Err(MergeError::Unreadable {
                index,
                reason: "it has no pages".into(),
            });
        }
        for page in &pages {
            let inherited = inherited_attributes(&doc, *page);
            if let Some(Object::Dictionary(d)) = doc.objects.get_mut(page) {
                for (k, v) in inherited {
                    if !d.has(&k) {
                        d.set(k, v);
                    }
                }
            }
        }
        // Everything but the document's own catalog and page tree nodes travels.
        for (id, object) in doc.objects {
            let kind = match &object {
                Object::Dictionary(d) => d.get_type().ok().map(<[u8]>::to_vec),
                _ => None,
            };
            match kind.as_deref() {
                Some(b"Catalog") | Some(b"Pages") | Some(b"Outlines") | Some(b"Outline") => {}
                _ => {
                    objects.insert(id, object);
                }
            }
        }
        kids.extend(pages);
    }
    out.max_id = next_id;
    let pages_id = out.new_object_id();
    for kid in &kids {
        if let Some(Object::Dictionary(d)) = objects.get_mut(kid) {
            d.set("Parent", pages_id);
        }
    }
    out.objects = objects;
    let mut pages = Dictionary::new();
    pages.set("Type", "Pages");
    pages.set("Count", kids.len() as i64);
    pages.set(
        "Kids",
        kids.iter()
            .map(|k| Object::Reference(*k))
            .collect::<Vec<_>>(),
    );
    out.objects.insert(pages_id, Object::Dictionary(pages));
    let mut catalog = Dictionary::new();
    catalog.set("Type", "Catalog");
    catalog.set("Pages", pages_id);
    let catalog_id = out.add_object(catalog);
    out.trailer.set("Root", catalog_id);
    let mut bytes = Vec::new();
    out.save_to(&mut bytes)
        .map_err(|e| MergeError::Write(e.to_string()))?;
    Ok(bytes)
}

/// The inheritable attributes of `page`'s ancestors, nearest first.
fn inherited_attributes(doc: &Document, page: ObjectId) -> Vec<(Vec<u8>, Object)> {
    let mut found: Vec<(Vec<u8>, Object)> = Vec::new();
    let mut node = doc.get_dictionary(page).ok();
    // A page tree is shallow; the bound guards against a cyclic `Parent`.
    for _ in 0..32 {
        let Some(parent) = node
            .and_then(|d| d.get(b"Parent").ok())
            .and_then(|p| p.as_reference().ok())
            .and_then(|id| doc.get_dictionary(id).ok())
        else {
            break;
        };
        for key in INHERITED {
            if !found.iter().any(|(k, _)| k == key)
                && let Ok(v) = parent.get(key)
            {
                found.push((key.to_vec(), v.clone()));
            }
        }
        node = Some(parent);
    }
    found
}

/// ZPL documents run together in order, each on its own line(s): a printer prints every
/// `^XA … ^XZ` format of the stream as its own label.
pub fn merge_zpl<D: AsRef<[u8]>>(docs: &[D]) -> Vec<u8> {
    let mut out = Vec::with_capacity(docs.iter().map(|d| d.as_ref().len() + 1).sum());
    for d in docs {
        let d = d.as_ref();
        out.extend_from_slice(d);
        if !d.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::content::{Content, Operation};
    use lopdf::{Stream, dictionary};

    /// A one-page PDF whose page says `text`, its MediaBox on the page tree (inherited) when
    /// `inherit` — the shape the merge must keep readable.
    fn one_page(text: &str, width: i64, inherit: bool) -> Vec<u8> {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        });
        let resources_id = doc.add_object(dictionary! {
            "Font" => dictionary! { "F1" => font_id },
        });
        let content = Content {
            operations: vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 12.into()]),
                Operation::new("Td", vec![10.into(), 10.into()]),
                Operation::new("Tj", vec![Object::string_literal(text)]),
                Operation::new("ET", vec![]),
            ],
        };
        let content_id = doc.add_object(Stream::new(
            dictionary! {},
            content.encode().expect("content encodes"),
        ));
        let mut page = dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content_id,
            "Resources" => resources_id,
        };
        let media: Object = vec![0.into(), 0.into(), width.into(), 432.into()].into();
        let mut pages = dictionary! { "Type" => "Pages", "Count" => 1 };
        if inherit {
            pages.set("MediaBox", media);
        } else {
            page.set("MediaBox", media);
        }
        let page_id = doc.add_object(page);
        pages.set("Kids", vec![Object::Reference(page_id)]);
        doc.objects.insert(pages_id, Object::Dictionary(pages));
        let catalog_id = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        doc.trailer.set("Root", catalog_id);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    fn page_texts(pdf: &[u8]) -> Vec<(String, i64)> {
        let doc = Document::load_mem(pdf).expect("merged PDF reads back");
        doc.get_pages()
            .into_values()
            .map(|id| {
                let content = doc.get_page_content(id);
                let text = Content::decode(&content)
                    .unwrap()
                    .operations
                    .iter()
                    .filter(|op| op.operator == "Tj")
                    .map(|op| String::from_utf8(op.operands[0].as_str().unwrap().to_vec()).unwrap())
                    .collect::<String>();
                let page = doc.get_dictionary(id).unwrap();
                let width = page.get(b"MediaBox").unwrap().as_array().unwrap()[2]
                    .as_i64()
                    .unwrap();
                (text, width)
            })
            .collect()
    }

    #[test]
    fn pages_come_out_in_the_order_given_with_their_own_size() {
        let a = one_page("first", 288, false);
        let b = one_page("second", 300, true);
        let c = one_page("third", 288, false);
        let merged = merge_pdfs(&[b.clone(), a.clone(), c]).unwrap();
        assert_eq!(
            page_texts(&merged),
            [
                ("second".to_string(), 300),
                ("first".to_string(), 288),
                ("third".to_string(), 288)
            ]
        );
    }

    #[test]
    fn a_real_label_merges_page_for_page() {
        // Labels the library draws (printpdf's output, with its fonts and resources).
        let label = crate::render(
            &crate::LabelSpec::example(),
            shiphub_carriers::model::LabelFormat::Pdf,
        )
        .unwrap();
        let merged = merge_pdfs(&[label.clone(), label.clone(), label]).unwrap();
        let doc = Document::load_mem(&merged).unwrap();
        assert_eq!(doc.get_pages().len(), 3);
    }

    #[test]
    fn an_unreadable_document_is_named_by_its_place() {
        let good = one_page("x", 288, false);
        let err = merge_pdfs(&[good, b"not a pdf".to_vec()]).unwrap_err();
        assert!(
            matches!(err, MergeError::Unreadable { index: 1, .. }),
            "{err}"
        );
    }

    #[test]
    fn zpl_formats_run_together_one_per_line() {
        let merged = merge_zpl(&[&b"^XA^FDone^FS^XZ"[..], b"^XA^FDtwo^FS^XZ\n"]);
        assert_eq!(merged, b"^XA^FDone^FS^XZ\n^XA^FDtwo^FS^XZ\n");
        assert!(merge_zpl::<&[u8]>(&[]).is_empty());
    }
}
