//! 2D symbols (QR, DataMatrix) as a square grid of modules, shared by every format: the
//! PDF fills the dark modules, ZPL and PNG receive the same grid as a bitmap, so no
//! printer firmware re-encodes them (mask or symbol size would otherwise differ).
//!
//! Encoding is the costly part of a label with a QR code (the encoder scores all eight masks:
//! hundreds of µs, against 16 µs for the rest of a ZPL label), and a label is drawn again on
//! every fetch and reprint: [`encoded`] keeps each symbol encoded once per process, with the
//! writers' output for it (the ZPL `^GF` field per module size, the PDF form's content).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use datamatrix::{DataMatrix, SymbolList};
use qrcode::{Color, EcLevel, QrCode};

use super::LabelError;
use super::graphic::Bitmap;
use crate::MatrixCode;

/// Symbols kept encoded; past this many the cache starts again (a symbol is about 1 kB with
/// its fields, so at most a few MB). Labels are fetched again soon after they are bought, so
/// the recent ones are the ones that matter.
const CACHE_MAX: usize = 2048;

static CACHE: LazyLock<Mutex<HashMap<MatrixCode, Arc<Matrix>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// `code` encoded, once per process while it stays in the cache.
pub(crate) fn encoded(code: &MatrixCode) -> Result<Arc<Matrix>, LabelError> {
    if let Some(m) = CACHE.lock().expect("symbol cache").get(code) {
        return Ok(Arc::clone(m));
    }
    let m = Arc::new(Matrix::new(code)?);
    let mut cache = CACHE.lock().expect("symbol cache");
    if cache.len() >= CACHE_MAX {
        cache.clear();
    }
    cache.insert(code.clone(), Arc::clone(&m));
    Ok(m)
}

/// Empties the symbol cache, so a benchmark can time the first render of a label.
pub fn clear_symbol_cache() {
    CACHE.lock().expect("symbol cache").clear();
}

/// A square symbol without its quiet zone.
#[derive(Debug)]
pub(crate) struct Matrix {
    /// Modules per side.
    pub(crate) side: usize,
    /// Row-major, `true` = dark.
    pub(crate) dark: Vec<bool>,
    /// Light modules required around the symbol: 4 for QR (ISO/IEC 18004), 1 for
    /// DataMatrix (ISO/IEC 16022); we give DataMatrix 2 because thermal bleed eats one.
    pub(crate) quiet: usize,
    /// `^GFA` fields already written, by module size in dots.
    gfa: Mutex<Vec<(usize, Arc<str>)>>,
    /// The PDF form XObject's content: the dark modules in module units.
    pdf: OnceLock<Vec<u8>>,
}

impl Matrix {
    pub(crate) fn new(code: &MatrixCode) -> Result<Self, LabelError> {
        let invalid = |kind: &str, text: &str| LabelError::InvalidSpec {
            field: "matrix",
            message: format!("`{text}` does not fit a {kind} symbol"),
        };
        match code {
            MatrixCode::Qr(text) => {
                let qr = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
                    .map_err(|_| invalid("QR", text))?;
                Ok(Matrix {
                    side: qr.width(),
                    dark: qr
                        .to_colors()
                        .into_iter()
                        .map(|c| c == Color::Dark)
                        .collect(),
                    quiet: 4,
                    gfa: Mutex::default(),
                    pdf: OnceLock::new(),
                })
            }
            MatrixCode::DataMatrix(text) => {
                let dm =
                    DataMatrix::encode(text.as_bytes(), SymbolList::default().enforce_square())
                        .map_err(|_| invalid("DataMatrix", text))?;
                let bitmap = dm.bitmap();
                let side = bitmap.width();
                let mut dark = vec![false; side * bitmap.height()];
                for (x, y) in bitmap.pixels() {
                    dark[y * side + x] = true;
                }
                Ok(Matrix {
                    side,
                    dark,
                    quiet: 2,
                    gfa: Mutex::default(),
                    pdf: OnceLock::new(),
                })
            }
        }
    }

    /// Modules per side including both quiet zones.
    pub(crate) fn outer_side(&self) -> usize {
        self.side + 2 * self.quiet
    }

    /// The symbol as a `^GFA` field of `module` × `module` dots per module (no quiet zone).
    pub(crate) fn gfa(&self, module: usize) -> Arc<str> {
        let mut fields = self.gfa.lock().expect("symbol fields");
        if let Some((_, f)) = fields.iter().find(|(m, _)| *m == module) {
            return Arc::clone(f);
        }
        let side = self.side * module;
        let mut bitmap = Bitmap::new(side, side);
        for (row, col, len) in self.runs() {
            bitmap.fill(col * module, row * module, len * module, module);
        }
        let field: Arc<str> = bitmap.to_gfa().into();
        fields.push((module, Arc::clone(&field)));
        field
    }

    /// Content of a PDF form XObject drawing the dark modules as rectangles in a unit of one
    /// module, origin at the symbol's bottom-left corner (PDF's y points up): placed with one
    /// `cm` of the module size, so the same bytes serve every size, page and document.
    pub(crate) fn pdf_form(&self) -> &[u8] {
        self.pdf.get_or_init(|| {
            let mut ops = String::with_capacity(16 * self.side * self.side / 2);
            for (row, col, len) in self.runs() {
                let _ = writeln!(ops, "{col} {} {len} 1 re", self.side - 1 - row);
            }
            ops.push_str("f\n");
            ops.into_bytes()
        })
    }

    /// Runs of dark modules per row as (row, first column, length), for writers that draw
    /// rectangles.
    pub(crate) fn runs(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.side).flat_map(move |y| {
            let row = &self.dark[y * self.side..(y + 1) * self.side];
            (0..self.side)
                .filter(move |&x| row[x] && (x == 0 || !row[x - 1]))
                .map(move |x| (y, x, row[x..].iter().take_while(|&&d| d).count()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_and_datamatrix_have_square_grids_with_their_quiet_zones() {
        let qr = Matrix::new(&MatrixCode::Qr(
            "https://hub.example/t/1Z999AA10123456784".into(),
        ))
        .unwrap();
        assert_eq!(qr.dark.len(), qr.side * qr.side);
        assert_eq!((qr.side - 17) % 4, 0, "QR sides are 21, 25, 29…");
        assert_eq!(qr.outer_side(), qr.side + 8);
        let dm = Matrix::new(&MatrixCode::DataMatrix("1Z999AA10123456784".into())).unwrap();
        assert_eq!(dm.dark.len(), dm.side * dm.side);
        assert_eq!(dm.side % 2, 0, "square ECC 200 symbols have even sides");
        // The L-shaped finder: left column and bottom row all dark.
        assert!((0..dm.side).all(|y| dm.dark[y * dm.side]));
        assert!((0..dm.side).all(|x| dm.dark[(dm.side - 1) * dm.side + x]));
        let dark_in_runs: usize = dm.runs().map(|(_, _, len)| len).sum();
        assert_eq!(dark_in_runs, dm.dark.iter().filter(|&&d| d).count());
    }

    #[test]
    fn text_too_long_for_any_symbol_is_an_invalid_spec() {
        let huge = "A".repeat(8000);
        for code in [MatrixCode::Qr(huge.clone()), MatrixCode::DataMatrix(huge)] {
            assert!(matches!(
                Matrix::new(&code),
                Err(LabelError::InvalidSpec {
                    field: "matrix",
                    ..
                })
            ));
        }
    }
}
