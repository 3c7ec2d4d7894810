//! ZPL II writer for 203 and 300 dpi printers (4×6 in: 812 × 1218 or 1218 × 1827 dots).
//! Text is UTF-8 under `^CI28` and always goes through `^FH` hex escapes, so nothing a
//! user types can end a field or start a command. Draws the elements as given, converting
//! mm to dots; 2D symbols go as `^GF` bitmaps of our own modules (see `matrix`).

use std::fmt::Write as _;

use super::code128::QUIET_ZONE_MODULES;
use super::layout::Element;
use super::text::{MM_PER_PT, needs_cjk};
use crate::{Dpi, PrinterFont};

/// `^BY` module width limit, as in the PDF: 0.5 mm (4 dots at 203 dpi, 6 at 300).
const MAX_MODULE_MM: f32 = 0.5;

/// Appends one `^XA`…`^XZ` label of `page_mm` (width, height).
pub(super) fn write(
    elements: &[Element],
    page_mm: (f32, f32),
    dpi: Dpi,
    printer_font: Option<&PrinterFont>,
    z: &mut String,
) {
    let dpmm = dpi.dots_per_mm();
    let dots = |mm: f32| (mm * dpmm).round().max(0.0) as u32;
    let max_module_dots = (MAX_MODULE_MM * dpmm) as u32;
    // ^CI28: field data is UTF-8. ^LH0,0: no home offset a previous job may have left.
    let _ = writeln!(
        z,
        "^XA\n^CI28\n^PW{}\n^LL{}\n^LH0,0",
        dots(page_mm.0),
        dots(page_mm.1)
    );
    for element in elements {
        // Writing to a String cannot fail.
        let _ = match element {
            // Text font 0 cannot draw (Chinese): in the station's own CJK font, named by
            // `^A@` (^CI28 above makes ^FD UTF-8), or else as a bitmap of our font.
            Element::Text(t) if needs_cjk(&t.text) => {
                let h = dots(t.size_pt * MM_PER_PT);
                match printer_font {
                    Some(font) => writeln!(
                        z,
                        "^FT{},{}^A@N,{h},{h},{font}^FH_^FD{}^FS",
                        dots(t.x),
                        dots(t.baseline),
                        escape(&t.text)
                    ),
                    None => {
                        let (bitmap, ascent) = super::glyphs::rasterize(&t.text, t.size_pt, dpmm);
                        writeln!(
                            z,
                            "^FO{},{}{}^FS",
                            dots(t.x),
                            dots(t.baseline).saturating_sub(ascent),
                            bitmap.to_gfa()
                        )
                    }
                }
            }
            Element::Text(t) => {
                // Font 0 is the printer's scalable font; its height is in dots.
                let h = dots(t.size_pt * MM_PER_PT);
                writeln!(
                    z,
                    "^FT{},{}^A0N,{h},{h}^FH_^FD{}^FS",
                    dots(t.x),
                    dots(t.baseline),
                    escape(&t.text)
                )
            }
            Element::Bar {
                x,
                y,
                width,
                height,
            } => {
                let (w, h) = (dots(*width).max(1), dots(*height).max(1));
                writeln!(z, "^FO{},{}^GB{w},{h},{}^FS", dots(*x), dots(*y), w.min(h))
            }
            Element::Frame {
                x,
                y,
                width,
                height,
                thickness,
            } => writeln!(
                z,
                "^FO{},{}^GB{},{},{}^FS",
                dots(*x),
                dots(*y),
                dots(*width),
                dots(*height),
                dots(*thickness).max(1)
            ),
            Element::Barcode {
                x,
                y,
                width,
                height,
                symbol,
            } => {
                let modules = symbol.modules().len() as u32;
                let area = dots(*width);
                // TrackingNumber caps at 40 characters (495 modules with quiet zones), so
                // one dot always fits the 772-dot area.
                let module =
                    (area / (modules + 2 * QUIET_ZONE_MODULES as u32)).clamp(1, max_module_dots);
                let left = dots(*x) + area.saturating_sub(modules * module) / 2;
                // ^BC: normal orientation, no printed interpretation line (the layout
                // prints the number itself), no check digit, mode N with our subset codes.
                writeln!(
                    z,
                    "^BY{module}^FO{left},{}^BCN,{},N,N,N,N^FD{}^FS",
                    dots(*y),
                    dots(*height),
                    symbol.zpl_data()
                )
            }
            Element::Matrix { x, y, size, matrix } => {
                let area = dots(*size) as usize;
                let module = (area / matrix.outer_side()).max(1);
                let offset = (area.saturating_sub(matrix.side * module)) / 2;
                writeln!(
                    z,
                    "^FO{},{}{}^FS",
                    dots(*x) as usize + offset,
                    dots(*y) as usize + offset,
                    matrix.gfa(module)
                )
            }
        };
    }
    z.push_str("^XZ\n");
}

/// Field data for `^FH_`: the three characters ZPL gives meaning to inside a field
/// (`^` and `~` start commands, `_` is the escape itself) and control characters become
/// `_XX` hex; everything else passes as UTF-8.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '^' | '~' | '_' | '\0'..='\x1f' | '\x7f' => {
                let _ = write!(out, "_{:02X}", c as u32);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::layout::{LABEL_HEIGHT_MM, layout};
    use crate::spec::tests::sample;

    const WIDTH_DOTS: u32 = 812;
    const HEIGHT_DOTS: u32 = 1218;

    fn write_4x6(dpi: Dpi) -> String {
        let mut z = String::new();
        let elements = layout(&sample(), None, None, LABEL_HEIGHT_MM).unwrap();
        write(&elements, (101.6, 152.4), dpi, None, &mut z);
        z
    }

    #[test]
    fn escape_turns_command_characters_into_hex() {
        assert_eq!(escape("a^XZ~JR_b"), "a_5EXZ_7EJR_5Fb");
        assert_eq!(escape("line\nbreak\x7f"), "line_0Abreak_7F");
        assert_eq!(escape("Zoë 東京"), "Zoë 東京");
    }

    #[test]
    fn every_field_position_is_on_the_label() {
        let zpl = write_4x6(Dpi::D203);
        for field in zpl
            .split("^F")
            .filter(|f| f.starts_with('O') || f.starts_with('T'))
        {
            let coords: Vec<u32> = field[1..]
                .split(|c: char| !c.is_ascii_digit())
                .take(2)
                .map(|n| n.parse().unwrap())
                .collect();
            assert!(
                coords[0] < WIDTH_DOTS && coords[1] < HEIGHT_DOTS,
                "^F{field}"
            );
        }
    }

    #[test]
    fn barcode_module_fits_the_area_with_quiet_zones() {
        let zpl = write_4x6(Dpi::D203);
        let by = zpl.split("^BY").nth(1).unwrap();
        let module: u32 = by[..by.find('^').unwrap()].parse().unwrap();
        // Mixed B/C 1Z number: 16 characters with checksum, 189 modules.
        assert_eq!(module, 3);
        assert!((189 + 20) * module <= 772, "96.6 mm");
        let zpl = write_4x6(Dpi::D300);
        assert!(zpl.contains("^PW1200\n^LL1800"), "{zpl}");
        let by = zpl.split("^BY").nth(1).unwrap();
        let module: u32 = by[..by.find('^').unwrap()].parse().unwrap();
        assert_eq!(module, 5, "96.6 mm × 11.8 dots / 209 modules");
    }
}
