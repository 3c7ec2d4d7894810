//! Label stocks and printer resolutions: where a laid-out label lands on the medium.
//! Knows page sizes and placements only; what goes on a label is `render::layout`'s.

/// The medium a label is printed on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Stock {
    /// 4×6 in thermal label (101.6 × 152.4 mm), the carriers' standard.
    #[default]
    In4x6,
    /// 4×8 in thermal label; the extra 2 in give the GS1-128 and 2D symbols a band of their own.
    In4x8,
    /// A6 (105 × 148 mm), common in Europe: the 4×6 layout scaled by 148/152.4 (97%).
    A6,
    /// US Letter sheet, two 4×6 labels side by side, for office printers.
    Letter2Up,
    /// A4 sheet, two 4×6 labels side by side (scaled to 95% to keep 5 mm margins).
    A42Up,
    /// 100 × 150 mm Chinese e-waybill (电子面单), SF Express's standard size, in the
    /// e-waybill layout (receiver 收, sender 寄, 托寄物, 签收) rather than the 4×6 one.
    Cn100x150,
    /// 76 × 130 mm one-part e-waybill (一联单) of the domestic networks, same layout, tighter.
    Cn76x130,
}

/// Thermal printhead resolution, for ZPL and PNG. PDF is resolution-free.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Dpi {
    /// 8 dots/mm, the common Zebra head (ZD420, GK420).
    #[default]
    D203,
    /// 12 dots/mm (ZT411-300, ZD621-300).
    D300,
}

impl std::fmt::Display for Stock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stock name that is none of [`Stock::ALL`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown label stock `{0}`")]
pub struct UnknownStock(pub String);

impl std::str::FromStr for Stock {
    type Err = UnknownStock;
    /// Exactly a name of [`Stock::as_str`] (case matters: names are stored as given).
    fn from_str(s: &str) -> Result<Self, UnknownStock> {
        Stock::ALL
            .into_iter()
            .find(|n| n.as_str() == s)
            .ok_or_else(|| UnknownStock(s.to_string()))
    }
}

impl Dpi {
    /// Every resolution, lowest first.
    pub const ALL: [Dpi; 2] = [Dpi::D203, Dpi::D300];

    /// The resolution of `dpi` dots per inch, when it is one labels are drawn at.
    pub fn from_dpi(dpi: u32) -> Option<Dpi> {
        Dpi::ALL.into_iter().find(|d| d.dpi() == dpi)
    }

    /// Dots per inch.
    pub fn dpi(self) -> u32 {
        match self {
            Dpi::D203 => 203,
            Dpi::D300 => 300,
        }
    }

    /// Dots per millimetre: a 4 in wide label is 812 or 1200 dots, as printers set `^PW`.
    pub fn dots_per_mm(self) -> f32 {
        self.dpi() as f32 / 25.4
    }

    /// The whole dots per mm a ZPL renderer takes (8 or 12), as the printers' own
    /// spec sheets round them.
    pub(crate) fn whole_dots_per_mm(self) -> i32 {
        match self {
            Dpi::D203 => 8,
            Dpi::D300 => 12,
        }
    }
}

/// How to render: on which stock, at which resolution (ZPL, PNG).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RenderOptions {
    /// Medium; sheets (Letter, A4) are PDF only.
    pub stock: Stock,
    /// Printhead resolution for ZPL and PNG.
    pub dpi: Dpi,
    /// ZPL only: the printer-resident font that draws Chinese (`E:SIMSUN.TTF`). Text the
    /// printer's font 0 cannot draw goes as `^A@` naming it; without one, as a `^GF`
    /// graphic of the embedded font.
    pub printer_font: Option<PrinterFont>,
}

/// A font stored on a Zebra printer, as `^A@` names it: drive letter, colon, file name
/// with extension (`E:SIMSUN.TTF`, `E:ANMDS.TTF`, `R:MYFONT.FNT`). Kept to the characters
/// a printer file name has, so it can never end the command it sits in; at most 24 bytes
/// (Zebra file names are up to 16 characters), stored inline so options stay `Copy`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PrinterFont {
    len: u8,
    bytes: [u8; 24],
}

/// A printer font name that is not `D:NAME.EXT`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "printer font `{0}` is not a printer file name: drive letter (R, E, B, A, Z), colon, up to 16 letters, digits, `_` or `-`, a dot and a 3-letter extension, e.g. `E:SIMSUN.TTF`"
)]
pub struct InvalidPrinterFont(pub String);

impl std::str::FromStr for PrinterFont {
    type Err = InvalidPrinterFont;
    fn from_str(s: &str) -> Result<Self, InvalidPrinterFont> {
        let bad = || InvalidPrinterFont(s.to_string());
        let (drive, file) = s.split_once(':').ok_or_else(bad)?;
        let (name, ext) = file.rsplit_once('.').ok_or_else(bad)?;
        let ok = matches!(drive, "R" | "E" | "B" | "A" | "Z")
            && (1..=16).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && ext.len() == 3
            && ext.bytes().all(|b| b.is_ascii_alphanumeric());
        if !ok {
            return Err(bad());
        }
        let mut bytes = [0; 24];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Ok(PrinterFont {
            len: s.len() as u8,
            bytes,
        })
    }
}

impl PrinterFont {
    /// The name as given (`E:SIMSUN.TTF`).
    pub fn as_str(&self) -> &str {
        // Only ASCII is ever stored (checked in from_str).
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Display for PrinterFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for PrinterFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrinterFont({})", self.as_str())
    }
}

/// Where one label's layout (in its own mm) lands on a page: `page = offset + scale × layout`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Placement {
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) scale: f32,
}

use shiphub_carriers::model::LabelFormat;

use crate::render::layout::{LABEL_HEIGHT_MM, LABEL_WIDTH_MM as LAYOUT_WIDTH_MM, TALL_HEIGHT_MM};

const SHEET_MARGIN_MM: f32 = 5.0;
const SHEET_GAP_MM: f32 = 5.0;

impl Stock {
    /// Every stock, in the order the API lists them.
    pub const ALL: [Stock; 7] = [
        Stock::In4x6,
        Stock::In4x8,
        Stock::A6,
        Stock::Letter2Up,
        Stock::A42Up,
        Stock::Cn100x150,
        Stock::Cn76x130,
    ];

    /// The stock's name, as the API takes it and print stations store it (`4x6`, `a4-2up`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Stock::In4x6 => "4x6",
            Stock::In4x8 => "4x8",
            Stock::A6 => "a6",
            Stock::Letter2Up => "letter-2up",
            Stock::A42Up => "a4-2up",
            Stock::Cn100x150 => "cn_100x150",
            Stock::Cn76x130 => "cn_76x130",
        }
    }

    /// Why `format` cannot be produced on this stock; `None` when it can. Sheets are for
    /// office printers: PDF only.
    pub fn refuses(self, format: LabelFormat) -> Option<&'static str> {
        if !self.is_sheet() {
            return None;
        }
        match format {
            LabelFormat::Pdf => None,
            LabelFormat::Zpl => {
                Some("sheets (letter-2up, a4-2up) are for office printers: PDF only, not ZPL")
            }
            LabelFormat::Png => Some("a PNG holds one label: use a label stock (4x6, 4x8, a6)"),
        }
    }

    /// Page size in mm (width, height).
    pub fn page_mm(self) -> (f32, f32) {
        match self {
            Stock::In4x6 => (101.6, 152.4),
            Stock::In4x8 => (101.6, 203.2),
            Stock::A6 => (105.0, 148.0),
            Stock::Letter2Up => (215.9, 279.4),
            Stock::A42Up => (210.0, 297.0),
            Stock::Cn100x150 => (100.0, 150.0),
            Stock::Cn76x130 => (76.0, 130.0),
        }
    }

    /// Height of the layout drawn on this stock: the 4×8 layout is taller, every other
    /// stock carries the 4×6 one (scaled where it does not fit).
    pub(crate) fn layout_height_mm(self) -> f32 {
        match self {
            Stock::In4x8 => TALL_HEIGHT_MM,
            _ => LABEL_HEIGHT_MM,
        }
    }

    /// Labels per page.
    pub fn labels_per_page(self) -> usize {
        if self.is_sheet() { 2 } else { 1 }
    }

    /// The Chinese e-waybill stocks, drawn in their own layout at their own size.
    pub fn is_ewaybill(self) -> bool {
        matches!(self, Stock::Cn100x150 | Stock::Cn76x130)
    }

    /// Office-printer sheets: PDF only, never sent to a thermal printer.
    pub fn is_sheet(self) -> bool {
        matches!(self, Stock::Letter2Up | Stock::A42Up)
    }

    /// Where the `slot`-th label of a page goes.
    pub(crate) fn placement(self, slot: usize) -> Placement {
        let (page_w, page_h) = self.page_mm();
        let layout_h = self.layout_height_mm();
        if self.is_ewaybill() {
            // The e-waybill layout is drawn at the page's own size.
            return Placement {
                x: 0.0,
                y: 0.0,
                scale: 1.0,
            };
        }
        if !self.is_sheet() {
            // Fit the layout and centre it: identity on 4×6 and 4×8.
            let scale = (page_w / LAYOUT_WIDTH_MM).min(page_h / layout_h).min(1.0);
            return Placement {
                x: (page_w - LAYOUT_WIDTH_MM * scale) / 2.0,
                y: (page_h - layout_h * scale) / 2.0,
                scale,
            };
        }
        // Two labels side by side, never enlarged, shrunk only as far as the margins need.
        let room = page_w - 2.0 * SHEET_MARGIN_MM - SHEET_GAP_MM;
        let scale = (room / (2.0 * LAYOUT_WIDTH_MM)).min(1.0);
        let w = LAYOUT_WIDTH_MM * scale;
        let left = (page_w - 2.0 * w - SHEET_GAP_MM) / 2.0;
        Placement {
            x: left + slot as f32 * (w + SHEET_GAP_MM),
            y: SHEET_MARGIN_MM + 10.0,
            scale,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printer_fonts_are_printer_file_names_only() {
        for ok in ["E:SIMSUN.TTF", "E:ANMDS.TTF", "R:MY_FONT-2.FNT"] {
            assert_eq!(ok.parse::<PrinterFont>().unwrap().as_str(), ok);
        }
        for bad in [
            "SIMSUN.TTF",
            "E:",
            "E:.TTF",
            "E:SIM^XZ.TTF",
            "E:SIMSUN.TTF^FS",
            "Q:A.TTF",
            "E:AAAAAAAAAAAAAAAAA.TTF",
            "E:宋体.TTF",
        ] {
            assert!(bad.parse::<PrinterFont>().is_err(), "{bad}");
        }
    }

    #[test]
    fn ewaybill_stocks_are_named_and_drawn_at_their_own_size() {
        assert_eq!("cn_100x150".parse::<Stock>(), Ok(Stock::Cn100x150));
        assert_eq!("cn_76x130".parse::<Stock>(), Ok(Stock::Cn76x130));
        assert_eq!(Stock::Cn76x130.page_mm(), (76.0, 130.0));
        for stock in [Stock::Cn100x150, Stock::Cn76x130] {
            assert_eq!(stock.placement(0).scale, 1.0);
            for format in [LabelFormat::Pdf, LabelFormat::Zpl, LabelFormat::Png] {
                assert_eq!(stock.refuses(format), None, "{stock} {format:?}");
            }
        }
    }

    #[test]
    fn every_label_lies_inside_its_page_with_sheet_margins() {
        for stock in Stock::ALL.into_iter().filter(|s| !s.is_ewaybill()) {
            let (w, h) = stock.page_mm();
            let margin = if stock.is_sheet() {
                SHEET_MARGIN_MM
            } else {
                0.0
            };
            let mut right_edges = Vec::new();
            for slot in 0..stock.labels_per_page() {
                let p = stock.placement(slot);
                let right = p.x + LAYOUT_WIDTH_MM * p.scale;
                let bottom = p.y + stock.layout_height_mm() * p.scale;
                assert!(
                    p.x >= margin - 1e-3 && right <= w - margin + 1e-3,
                    "{stock:?}"
                );
                assert!(
                    p.y >= margin - 1e-3 && bottom <= h - margin + 1e-3,
                    "{stock:?}"
                );
                right_edges.push((p.x, right));
            }
            if let [(_, first_right), (second_left, _)] = right_edges[..] {
                assert!(
                    second_left - first_right >= SHEET_GAP_MM - 1e-3,
                    "{stock:?} overlap"
                );
            }
        }
        assert_eq!(Stock::In4x6.placement(0).scale, 1.0);
        assert_eq!(Stock::In4x8.placement(0).scale, 1.0);
        assert!((Stock::A6.placement(0).scale - 148.0 / 152.4).abs() < 1e-6);
    }
}
