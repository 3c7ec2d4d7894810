//! Text as a 1-bit bitmap of the embedded CJK font, for ZPL printers that have no font for
//! it (`^GF`). Rasterized with ab_glyph at the printhead's own resolution, so one pixel is
//! one dot: no scaling on the printer.

use ab_glyph::{Font as _, PxScale, ScaleFont as _, point};

use super::graphic::Bitmap;
use super::text::MM_PER_PT;

/// `text` set at `size_pt` for a head of `dots_per_mm`: the bitmap, and how many of its
/// rows lie above the baseline (the caller places the baseline where the text's goes).
pub(crate) fn rasterize(text: &str, size_pt: f32, dots_per_mm: f32) -> (Bitmap, u32) {
    let font = shiphub_fonts::face();
    // The em is `size_pt`, as in the PDF; ab_glyph scales by ascent - descent, so ask for
    // the em times that height's share of it.
    let em_px = size_pt * MM_PER_PT * dots_per_mm;
    let upem = font.units_per_em().unwrap_or(1000.0);
    let height_units = font.ascent_unscaled() - font.descent_unscaled();
    let scaled = font.as_scaled(PxScale::from(em_px * height_units / upem));
    let ascent = scaled.ascent().ceil();
    let height = (ascent - scaled.descent().floor()).max(1.0) as usize;
    let width: f32 = text
        .chars()
        .map(|c| scaled.h_advance(font.glyph_id(c)))
        .sum();
    let mut bitmap = Bitmap::new((width.ceil() as usize).max(1), height);
    let mut x = 0.0;
    for c in text.chars() {
        let id = font.glyph_id(c);
        let glyph = id.with_scale_and_position(scaled.scale(), point(x, ascent));
        x += scaled.h_advance(id);
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue; // a space
        };
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            // Thermal dots are on or off: half coverage or more prints.
            if coverage >= 0.5 {
                let (px, py) = (
                    bounds.min.x as i32 + gx as i32,
                    bounds.min.y as i32 + gy as i32,
                );
                if px >= 0
                    && py >= 0
                    && (px as usize) < bitmap.width()
                    && (py as usize) < bitmap.height()
                {
                    bitmap.set(px as usize, py as usize);
                }
            }
        });
    }
    (bitmap, ascent as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hanzi_line_is_as_tall_as_its_type_and_has_ink() {
        // 12 pt at 8 dots/mm: a 34-dot em.
        let (b, ascent) = rasterize("顺丰速运", 12.0, 8.0);
        assert!((4 * 33..=4 * 35).contains(&b.width()), "{}", b.width());
        // The line box is the face's ascent + descent, 1.448 em.
        assert!((46..=52).contains(&b.height()), "{}", b.height());
        assert!(ascent > 25 && (ascent as usize) < b.height());
        let ink = (0..b.height())
            .flat_map(|y| (0..b.width()).map(move |x| (x, y)))
            .filter(|&(x, y)| b.get(x, y))
            .count();
        assert!(ink > b.width() * b.height() / 10, "{ink} dots");
    }
}
