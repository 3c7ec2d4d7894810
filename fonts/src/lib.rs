//! shiphub-fonts: the one font file the hub draws non-Latin text with, and what it covers.
//!
//! [`BYTES`] is `ShiphubSansSC.otf`, a subset of Noto Sans CJK SC 2.004 (OFL-1.1, renamed as
//! the licence asks of a modified font; `SOURCE.md` says how it is made and what it holds),
//! compiled into the binary so a fresh machine renders Chinese with no font installed and
//! nothing fetched at run time. [`face`] (ab_glyph: coverage, advance widths, rasterizing for
//! ZPL `^GF`) is parsed at most once per process, lazily, so documents that never need the
//! font never pay for it. A PDF gets [`pdf_subset`]: the glyphs of its own text cut from the
//! static bytes (allsorts), tagged `ABCDEF+ShiphubSansSC-Regular`, which printpdf embeds as
//! is (printpdf subsets only with its `text_layout` feature, which brings azul-layout and
//! fontconfig; embedding the whole 5 MB face would make every Chinese label 4 MB).

use std::collections::{HashMap, VecDeque};
use std::sync::{LazyLock, Mutex};

use ab_glyph::{Font as _, FontRef};

/// The font file (CID-keyed CFF in an OpenType wrapper).
pub static BYTES: &[u8] = include_bytes!("../ShiphubSansSC.otf");

/// The family name in the font's `name` table ("Shiphub Sans SC").
pub const FAMILY: &str = "Shiphub Sans SC";

static FACE: LazyLock<FontRef<'static>> = LazyLock::new(|| {
    // The file is compiled in and checked by this crate's tests: failing here is a build bug.
    FontRef::try_from_slice(BYTES).expect("the bundled CJK font parses")
});

/// The face for measuring and rasterizing glyphs.
pub fn face() -> &'static FontRef<'static> {
    &FACE
}

/// The PostScript name of the face, after the subset tag in a PDF.
pub const POSTSCRIPT_NAME: &str = "ShiphubSansSC-Regular";

/// Subsets kept by [`pdf_subset`]: the most recently cut, by glyph set.
pub const SUBSET_CACHE: usize = 64;

/// Subsets cut so far, by their (sorted) glyph ids, oldest first in `order`. A label
/// rendered again (a reprint, another format of the same label, the same sender and
/// receiver) reuses its subset; a new receiver's name is a new glyph set and a new cut.
#[derive(Default)]
struct Subsets {
    by_glyphs: HashMap<Vec<u16>, (printpdf::FontId, printpdf::PdfFont)>,
    order: VecDeque<Vec<u16>>,
}

static SUBSETS: LazyLock<Mutex<Subsets>> = LazyLock::new(Default::default);

/// The font for a PDF whose CJK text is `text`: a subset holding the glyphs of its
/// characters (those the font has), and the id to register it under, which printpdf also
/// writes as its /BaseFont: a six-letter subset tag (ISO 32000-1 9.6.4), derived from the
/// glyphs so the same document gives the same bytes, `+`, the PostScript name. The last
/// [`SUBSET_CACHE`] subsets are kept by glyph set: the same glyphs again are not cut again.
pub fn pdf_subset(text: &str) -> Result<(printpdf::FontId, printpdf::PdfFont), String> {
    let glyphs = glyph_set(text);
    if let Some(hit) = SUBSETS.lock().expect("subset cache").by_glyphs.get(&glyphs) {
        return Ok(hit.clone());
    }
    let cut = cut_subset(&glyphs)?;
    let mut cache = SUBSETS.lock().expect("subset cache");
    if !cache.by_glyphs.contains_key(&glyphs) {
        if cache.order.len() >= SUBSET_CACHE
            && let Some(oldest) = cache.order.pop_front()
        {
            cache.by_glyphs.remove(&oldest);
        }
        cache.order.push_back(glyphs.clone());
        cache.by_glyphs.insert(glyphs, cut.clone());
    }
    Ok(cut)
}

/// The sorted, distinct glyph ids of `text`'s characters the font has, `.notdef` first.
fn glyph_set(text: &str) -> Vec<u16> {
    let face = face();
    let mut glyphs: Vec<u16> = text
        .chars()
        .map(|c| face.glyph_id(c).0)
        .filter(|&g| g != 0)
        .collect();
    glyphs.sort_unstable();
    glyphs.dedup();
    // .notdef first: allsorts renumbers glyphs by position.
    glyphs.insert(0, 0);
    glyphs
}

/// Cuts the subset of `glyphs` (a [`glyph_set`]) from the face.
fn cut_subset(glyphs: &[u16]) -> Result<(printpdf::FontId, printpdf::PdfFont), String> {
    use allsorts::binary::read::ReadScope;
    use allsorts::font_data::FontData;
    use allsorts::subset::{CmapTarget, SubsetProfile, subset};

    let mut hash: u64 = 0xcbf2_9ce4_8422_2325; // FNV-1a over the glyph ids
    for g in glyphs {
        for b in g.to_be_bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let tag: String = (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 8)) % 26) as u8))
        .collect();
    let file = ReadScope::new(BYTES)
        .read::<FontData<'_>>()
        .map_err(|e| e.to_string())?;
    let provider = file.table_provider(0).map_err(|e| e.to_string())?;
    let bytes = subset(&provider, glyphs, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| e.to_string())?;
    let mut warnings = Vec::new();
    let font = printpdf::ParsedFont::from_bytes(&bytes, 0, &mut warnings)
        .ok_or_else(|| format!("the subset font does not parse: {warnings:?}"))?;
    Ok((
        printpdf::FontId(format!("{tag}+{POSTSCRIPT_NAME}")),
        printpdf::PdfFont::new(font),
    ))
}

/// Whether the font draws `c`. White space and control characters count as drawn: writers
/// turn them into spaces.
pub fn has(c: char) -> bool {
    c.is_whitespace() || c.is_control() || face().glyph_id(c).0 != 0
}

/// The first character of `text` the font cannot draw, if any.
pub fn missing(text: &str) -> Option<char> {
    text.chars().find(|&c| !has(c))
}

/// Advance width of `c` in 1/1000 em (the font has 1000 units per em), if the font has it.
pub fn advance_units(c: char) -> Option<f32> {
    let face = face();
    let id = face.glyph_id(c);
    if id.0 == 0 {
        return None;
    }
    let upem = face.units_per_em().unwrap_or(1000.0);
    Some(face.h_advance_unscaled(id) * 1000.0 / upem)
}

/// Advance width of `text` in 1/1000 em; characters the font lacks count a full em.
pub fn width_units(text: &str) -> f32 {
    text.chars()
        .map(|c| advance_units(c).unwrap_or(1000.0))
        .sum()
}

/// Ascender above the baseline, 1/1000 em (for placing rasterized lines).
pub fn ascent_units() -> f32 {
    let face = face();
    face.ascent_unscaled() * 1000.0 / face.units_per_em().unwrap_or(1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_gb2312_punctuation_and_latin() {
        // GB 2312 row 16 starts with 啊, row 87 ends with 齄; a district, a full-width form.
        for text in [
            "啊齄",
            "湖北省襄阳市樊城区",
            "信阳市浉河区",
            "宿州市埇桥区",
            "顺丰速运",
            "（）：，。、",
            "ABC xyz 0-9",
            "Zoë Müller",
        ] {
            assert_eq!(missing(text), None, "{text}");
        }
        assert_eq!(missing("a\tb\n"), None);
    }

    #[test]
    fn the_same_glyphs_reuse_their_subset_and_the_cache_stays_bounded() {
        // Order and repetition do not change the glyph set: the same subset, same tag.
        let (a, fa) = pdf_subset("郭襄阳 湖北省").unwrap();
        let (b, fb) = pdf_subset("湖北省 郭襄阳 郭").unwrap();
        assert_eq!(a, b);
        assert_eq!(fa, fb);
        assert!(
            SUBSETS
                .lock()
                .unwrap()
                .by_glyphs
                .contains_key(&glyph_set("郭襄阳 湖北省"))
        );
        // Another glyph set is another subset.
        let (c, _) = pdf_subset("张三丰").unwrap();
        assert_ne!(a, c);
        // Many distinct sets later, the oldest are gone and the cache holds at most its bound.
        let hanzi: Vec<char> = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府系".chars().collect();
        for i in 0..SUBSET_CACHE + 2 {
            pdf_subset(&format!("{}{}", hanzi[i], hanzi[i + 1])).unwrap();
        }
        let cache = SUBSETS.lock().unwrap();
        assert!(cache.by_glyphs.len() <= SUBSET_CACHE);
        assert_eq!(cache.order.len(), cache.by_glyphs.len());
    }

    #[test]
    fn names_the_first_character_it_cannot_draw() {
        // U+20000 (CJK Extension B) and an emoji are outside the subset.
        assert_eq!(missing("张𠀀三🚚"), Some('𠀀'));
        assert_eq!(missing("🚚"), Some('🚚'));
    }

    #[test]
    fn hanzi_are_a_full_em_and_latin_is_narrower() {
        assert_eq!(advance_units('中'), Some(1000.0));
        let i = advance_units('i').unwrap();
        assert!(i > 100.0 && i < 500.0, "{i}");
        assert_eq!(width_units("中文"), 2000.0);
        assert!(ascent_units() > 700.0);
    }

    #[test]
    fn a_pdf_subset_holds_the_texts_glyphs_only_and_its_tag_follows_them() {
        let (id, font) = pdf_subset("顺丰速运 SF").unwrap();
        let font = font.parsed_font;
        assert!(font.has_source_bytes());
        let gid = font
            .lookup_glyph_index('顺' as u32)
            .expect("顺 in the cmap");
        assert_eq!(font.get_glyph_width(gid), Some(1000));
        assert!(
            font.lookup_glyph_index('中' as u32).is_none(),
            "not in the text"
        );
        let size = font.source_bytes().unwrap().as_slice().len();
        // The glyphs' outlines plus the face's global subroutines, which allsorts keeps whole
        // (~20 kB): far from the 5 MB face.
        assert!(size < 40_000, "{size} bytes");
        let (tag, name) = id.0.split_once('+').unwrap();
        assert_eq!(name, POSTSCRIPT_NAME);
        assert!(tag.len() == 6 && tag.bytes().all(|b| b.is_ascii_uppercase()));
        assert_eq!(pdf_subset("顺丰速运 SF").unwrap().0, id, "deterministic");
        assert_ne!(pdf_subset("顺丰").unwrap().0, id);
    }

    #[test]
    fn the_file_is_the_renamed_subset_and_small() {
        assert!(BYTES.starts_with(b"OTTO"), "OpenType CFF");
        assert!(BYTES.len() < 8 * 1024 * 1024, "{} bytes", BYTES.len());
        let utf16: Vec<u8> = FAMILY.encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert!(
            BYTES.windows(utf16.len()).any(|w| w == utf16.as_slice()),
            "the name table says {FAMILY}"
        );
    }
}
