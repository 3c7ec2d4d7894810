//! Text for the PDF's built-in fonts: the WinAnsi repertoire, transliteration into it,
//! and Helvetica advance widths so lines can be fitted to the label without a font file.
//! Knows nothing about layout or about either output format.

/// Advance widths of Helvetica, 1/1000 em, for U+0020..=U+007E (Adobe Core14 AFM).
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// Advance widths of Helvetica-Bold, 1/1000 em, for U+0020..=U+007E (Adobe Core14 AFM).
const HELVETICA_BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0..?
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // P.._
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // `..o
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // p..~
];

/// Base letters of U+00C0..=U+00FF, for measuring accented Latin-1 letters.
const LATIN1_BASE: &[u8; 64] = b"AAAAAAACEEEEIIIIDNOOOOOxOUUUUYPsaaaaaaaceeeeiiiidnooooo-ouuuuypy";

/// ASCII stand-ins for U+0100..=U+017F (Latin Extended-A), which WinAnsi mostly lacks:
/// Polish, Czech, Hungarian, Turkish, Baltic names lose the diacritic, not the letter.
const LATIN_EXT_A: &[u8; 128] = b"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi??JjKkkLlLlLlLlLlNnNnNnnNnOoOoOoOoRrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

/// The WinAnsi (CP1252) code for `c`, if it has one. This is the encoding printpdf writes
/// for the 14 built-in fonts; anything else would come out as garbage or `?`.
pub(crate) fn is_win_ansi(c: char) -> bool {
    matches!(c as u32, 0x20..=0x7E | 0xA0..=0xFF)
        || matches!(
            c,
            '€' | '‚'
                | 'ƒ'
                | '„'
                | '…'
                | '†'
                | '‡'
                | 'ˆ'
                | '‰'
                | 'Š'
                | '‹'
                | 'Œ'
                | 'Ž'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201C}'
                | '\u{201D}'
                | '•'
                | '–'
                | '—'
                | '˜'
                | '™'
                | 'š'
                | '›'
                | 'œ'
                | 'ž'
                | 'Ÿ'
        )
}

/// `text` restricted to WinAnsi: Latin letters outside it lose their diacritic (Ł → L,
/// ő → o), combining marks are dropped (so decomposed "e\u{308}" prints as "e"), and every
/// other character (CJK, Cyrillic, emoji) becomes `?`, so a reader sees that something
/// was there. The original stays in the ZPL, whose printers take UTF-8.
pub(crate) fn to_win_ansi(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(*c as u32, 0x0300..=0x036F))
        .map(|c| {
            if is_win_ansi(c) {
                c
            } else if c.is_whitespace() || c.is_control() {
                ' '
            } else {
                ascii_fallback(c).unwrap_or('?')
            }
        })
        .collect()
}

fn ascii_fallback(c: char) -> Option<char> {
    match c as u32 {
        cp @ 0x0100..=0x017F => {
            Some(LATIN_EXT_A[(cp - 0x0100) as usize] as char).filter(|c| *c != '?')
        }
        // Romanian comma-below letters, distinct from the cedilla ones above.
        0x0218 => Some('S'),
        0x0219 => Some('s'),
        0x021A => Some('T'),
        0x021B => Some('t'),
        // Hyphens and minus signs.
        0x2010..=0x2012 | 0x2212 => Some('-'),
        _ => None,
    }
}

/// Whether Helvetica cannot draw `c`, even transliterated: a line holding one is set in
/// the embedded CJK font ([`shiphub_fonts`]) instead.
pub(crate) fn needs_cjk_char(c: char) -> bool {
    !(is_win_ansi(c)
        || c.is_whitespace()
        || c.is_control()
        || matches!(c as u32, 0x0300..=0x036F)
        || ascii_fallback(c).is_some())
}

/// Whether `text` is drawn with the embedded CJK font rather than Helvetica: Latin-only
/// lines keep the built-in font, so Latin documents embed nothing.
pub(crate) fn needs_cjk(text: &str) -> bool {
    !text.is_ascii() && text.chars().any(needs_cjk_char)
}

/// Advance width of `text` in 1/1000 em. Characters outside printable ASCII are measured
/// as their base letter or, failing that, a full em, so a fitted line never overflows
/// in the PDF, nor on a printer whose font draws CJK glyphs a full em wide. A line set in
/// the CJK font is measured with that font's own widths (hanzi are a full em).
pub(crate) fn width_units(text: &str, bold: bool) -> u32 {
    if needs_cjk(text) {
        return shiphub_fonts::width_units(text).ceil() as u32;
    }
    let table = if bold { &HELVETICA_BOLD } else { &HELVETICA };
    let ascii = |b: u8| u32::from(table[usize::from(b - 0x20)]);
    text.chars()
        .map(|c| match c as u32 {
            cp @ 0x20..=0x7E => ascii(cp as u8),
            0x0300..=0x036F => 0,
            0xC6 | 0xE6 | 0x152 | 0x153 => 1000, // Æ æ Œ œ
            cp @ 0xC0..=0xFF => ascii(LATIN1_BASE[(cp - 0xC0) as usize]),
            _ => ascii_fallback(c).map_or(1000, |b| ascii(b as u8)),
        })
        .sum()
}

/// Refuses text with a character neither Helvetica nor the embedded CJK font can draw
/// (an emoji, CJK Extension B): an empty box on a label is worse than an error that says
/// which field to fix.
pub(crate) fn check_drawable(field: &'static str, text: &str) -> Result<(), super::LabelError> {
    match text
        .chars()
        .find(|&c| needs_cjk_char(c) && !shiphub_fonts::has(c))
    {
        None => Ok(()),
        Some(c) => Err(super::LabelError::InvalidSpec {
            field,
            message: format!(
                "character '{c}' (U+{:04X}) is not in the label font (Helvetica, {})",
                c as u32,
                shiphub_fonts::FAMILY
            ),
        }),
    }
}

/// [`check_drawable`] over every printed field of an address; `prefix` is "from" or "to".
pub(crate) fn check_address(
    fields: [&'static str; 8],
    a: &shiphub_carriers::model::Address,
) -> Result<(), super::LabelError> {
    let [name, company, street, city, district, state, postal, phone] = fields;
    check_drawable(name, &a.name)?;
    check_drawable(company, a.company.as_deref().unwrap_or_default())?;
    for line in &a.street {
        check_drawable(street, line)?;
    }
    check_drawable(city, &a.city)?;
    check_drawable(district, a.district.as_deref().unwrap_or_default())?;
    check_drawable(state, a.state.as_deref().unwrap_or_default())?;
    check_drawable(postal, a.postal_code.as_deref().unwrap_or_default())?;
    check_drawable(phone, a.phone.as_deref().unwrap_or_default())
}

/// Field names of [`check_address`] for the receiver and the sender.
pub(crate) const TO_FIELDS: [&str; 8] = [
    "to.name",
    "to.company",
    "to.street",
    "to.city",
    "to.district",
    "to.state",
    "to.postal_code",
    "to.phone",
];
pub(crate) const FROM_FIELDS: [&str; 8] = [
    "from.name",
    "from.company",
    "from.street",
    "from.city",
    "from.district",
    "from.state",
    "from.postal_code",
    "from.phone",
];

/// Width of `text` set at `size_pt`, in mm.
pub(crate) fn width_mm(text: &str, bold: bool, size_pt: f32) -> f32 {
    width_units(text, bold) as f32 / 1000.0 * size_pt * MM_PER_PT
}

/// 1 pt = 1/72 in.
pub(crate) const MM_PER_PT: f32 = 25.4 / 72.0;

#[cfg(test)]
mod tests {
    use super::*;
    use printpdf::BuiltinFont;

    /// The tables were typed from the AFM files; printpdf ships metric-compatible faces for
    /// the same fonts, so a typo shows up here as a mismatch.
    #[test]
    fn width_tables_match_printpdf_builtin_faces() {
        for (font, table) in [
            (BuiltinFont::Helvetica, &HELVETICA),
            (BuiltinFont::HelveticaBold, &HELVETICA_BOLD),
        ] {
            let face = font
                .get_parsed_font()
                .expect("printpdf embeds its core faces");
            let upem = f64::from(face.units_per_em);
            let mut compared = 0;
            for (i, &expected) in table.iter().enumerate() {
                let c = 0x20 + i as u32;
                // The subset faces leave out the space glyph.
                let Some(gid) = face.lookup_glyph_index(c) else {
                    continue;
                };
                let w = f64::from(face.get_glyph_width(gid).expect("width")) * 1000.0 / upem;
                assert!(
                    (w - f64::from(expected)).abs() <= 2.0,
                    "{font:?} {:?}: table {expected}, face {w}",
                    char::from_u32(c).unwrap()
                );
                compared += 1;
            }
            assert!(compared >= 94, "{font:?}: only {compared} glyphs compared");
        }
    }

    #[test]
    fn latin_extended_letters_keep_their_base_letter() {
        assert_eq!(to_win_ansi("Łódź"), "Lódz");
        assert_eq!(to_win_ansi("Győr Ştefan Ţară Ș"), "Gyor Stefan Tara S");
        assert_eq!(to_win_ansi("Čapek Ńi İzmir"), "Capek Ni Izmir");
    }

    #[test]
    fn characters_outside_win_ansi_become_question_marks() {
        assert_eq!(to_win_ansi("東京 Zoë Müller"), "?? Zoë Müller");
        assert_eq!(to_win_ansi("Москва"), "??????");
        assert_eq!(to_win_ansi("Zoe\u{308}\tA"), "Zoe A");
        assert_eq!(to_win_ansi("€ – “ok”"), "€ – “ok”");
        assert!(to_win_ansi("Ĳssel 🚚").chars().all(is_win_ansi));
    }

    #[test]
    fn unknown_characters_are_measured_a_full_em() {
        assert_eq!(width_units("東", false), 1000);
        assert_eq!(width_units("é", false), width_units("e", false));
        assert_eq!(width_units("Ł", true), width_units("L", true));
        assert!(width_mm("WWW", true, 10.0) > width_mm("iii", true, 10.0));
    }
}
