//! 1-bit bitmaps as ZPL `^GFA` graphic fields with ZPL's ASCII compression (repeat counts
//! `G`–`Y`/`g`–`z`, `,` = rest of row white, `:` = same row again). Chosen over Z64
//! because it needs no zlib/base64 and every ZPL II printer and renderer reads it; a
//! label bitmap is mostly white runs, which it shrinks 20–50×. `!` ("rest of row with
//! ones") is never written: renderers disagree on whether it means hex `F` or hex `1`
//! (labelize fills `1`), and a counted run of `F` costs two characters more.

use std::fmt::Write as _;

/// A black-and-white raster, one bit per dot, `true` = black (ink).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bitmap {
    width: usize,
    height: usize,
    /// Rows of `row_bytes()` bytes, most significant bit first, as `^GF` wants them.
    bits: Vec<u8>,
}

impl Bitmap {
    /// An all-white bitmap.
    pub fn new(width: usize, height: usize) -> Self {
        let row_bytes = width.div_ceil(8);
        Bitmap {
            width,
            height,
            bits: vec![0; row_bytes * height],
        }
    }

    /// Width in dots.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in dots.
    pub fn height(&self) -> usize {
        self.height
    }

    fn row_bytes(&self) -> usize {
        self.width.div_ceil(8)
    }

    /// Whether the dot is black; dots outside are white.
    pub fn get(&self, x: usize, y: usize) -> bool {
        x < self.width
            && y < self.height
            && self.bits[y * self.row_bytes() + x / 8] & (0x80 >> (x % 8)) != 0
    }

    /// Blackens the dot; dots outside are ignored.
    pub fn set(&mut self, x: usize, y: usize) {
        if x < self.width && y < self.height {
            let i = y * self.row_bytes() + x / 8;
            self.bits[i] |= 0x80 >> (x % 8);
        }
    }

    /// Blackens a rectangle, clipped to the bitmap.
    pub fn fill(&mut self, x: usize, y: usize, width: usize, height: usize) {
        for yy in y..(y + height).min(self.height) {
            for xx in x..(x + width).min(self.width) {
                self.set(xx, yy);
            }
        }
    }

    /// Rows `top..top + count` (clipped) as a bitmap of their own.
    pub fn rows(&self, top: usize, count: usize) -> Bitmap {
        let rb = self.row_bytes();
        let top = top.min(self.height);
        let end = (top + count).min(self.height);
        Bitmap {
            width: self.width,
            height: end - top,
            bits: self.bits[top * rb..end * rb].to_vec(),
        }
    }

    /// `^GFA,total,total,row bytes,data` with ASCII compression, ready to follow a `^FO`.
    pub fn to_gfa(&self) -> String {
        let row_bytes = self.row_bytes();
        let total = self.bits.len();
        let mut out = String::with_capacity(64 + total / 4);
        let _ = write!(out, "^GFA,{total},{total},{row_bytes},");
        let mut previous: Option<&[u8]> = None;
        let mut hex = String::with_capacity(row_bytes * 2);
        for row in self.bits.chunks(row_bytes.max(1)) {
            if previous == Some(row) {
                out.push(':');
                continue;
            }
            previous = Some(row);
            hex.clear();
            for b in row {
                let _ = write!(hex, "{b:02X}");
            }
            compress_row(&hex, &mut out);
        }
        out
    }
}

/// One row of hex digits, compressed.
fn compress_row(hex: &str, out: &mut String) {
    let bytes = hex.as_bytes();
    // A trailing run of white ends the row with one character.
    let mut end = bytes.len();
    while end > 0 && bytes[end - 1] == b'0' {
        end -= 1;
    }
    let tail = (end < bytes.len()).then_some(',');
    let mut i = 0;
    while i < end {
        let c = bytes[i];
        let run = bytes[i..end].iter().take_while(|&&b| b == c).count();
        let mut left = run;
        while left > 0 {
            let chunk = left.min(419);
            push_count(chunk, out);
            out.push(c as char);
            left -= chunk;
        }
        i += run;
    }
    if let Some(t) = tail {
        out.push(t);
    }
}

/// A repeat count as ZPL letters: `g`–`z` add 20–400, `G`–`Y` add 1–19; a count of one
/// needs no letter. At most 419 (`zY`); [`compress_row`] splits longer runs.
fn push_count(n: usize, out: &mut String) {
    debug_assert!((1..=419).contains(&n));
    if n == 1 {
        return;
    }
    if n >= 20 {
        out.push((b'f' + (n / 20) as u8) as char);
    }
    if !n.is_multiple_of(20) {
        out.push((b'F' + (n % 20) as u8) as char);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An independent reading of ZPL ASCII compression (the ZPL II Programming Guide,
    /// "Data Compression Scheme for ~DG and ^GF"), to check the writer against.
    pub(crate) fn decompress(data: &str, row_bytes: usize) -> Vec<u8> {
        let hex_per_row = row_bytes * 2;
        let mut rows: Vec<String> = Vec::new();
        let mut row = String::new();
        let mut count = 0usize;
        for c in data.chars() {
            match c {
                'G'..='Y' => count += (c as usize) - ('F' as usize),
                'g'..='z' => count += ((c as usize) - ('f' as usize)) * 20,
                ',' => {
                    while row.len() < hex_per_row {
                        row.push('0');
                    }
                }
                ':' => row = rows.last().cloned().unwrap(),
                _ => {
                    let n = count.max(1);
                    count = 0;
                    row.extend(std::iter::repeat_n(c, n));
                }
            }
            if row.len() == hex_per_row {
                rows.push(std::mem::take(&mut row));
            }
        }
        assert!(row.is_empty(), "partial row left: {row}");
        rows.concat()
            .as_bytes()
            .chunks(2)
            .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap())
            .collect()
    }

    fn payload(gfa: &str) -> (usize, &str) {
        let fields: Vec<&str> = gfa.splitn(5, ',').collect();
        (fields[3].parse().unwrap(), fields[4])
    }

    #[test]
    fn compressed_rows_expand_to_the_original_bits() {
        let mut b = Bitmap::new(203, 60);
        b.fill(0, 0, 203, 2); // all black rows
        b.fill(10, 5, 3, 20); // a narrow bar over repeated rows
        b.fill(0, 30, 100, 1);
        let mut wide = Bitmap::new(8 * 300, 1); // 600 hex digits of F then 0: split runs
        wide.fill(0, 0, 8 * 250, 1);
        let wide_gfa = wide.to_gfa();
        let (rb, d) = payload(&wide_gfa);
        assert_eq!(decompress(d, rb), wide.bits);
        b.set(202, 40); // a lone dot at the right edge
        for x in (0..203).step_by(2) {
            b.set(x, 50); // alternating dots: no runs at all
        }
        let gfa = b.to_gfa();
        let (row_bytes, data) = payload(&gfa);
        assert_eq!(row_bytes, 26);
        assert!(gfa.starts_with("^GFA,1560,1560,26,"));
        assert_eq!(decompress(data, row_bytes), b.bits);
        assert!(!data.contains('!'), "renderers read ! differently");
        assert!(data.len() < 300, "{} chars: {data}", data.len());
    }

    #[test]
    fn counts_use_both_letter_ranges() {
        let mut s = String::new();
        push_count(1, &mut s);
        assert_eq!(s, "");
        for (n, expected) in [
            (2, "H"),
            (19, "Y"),
            (20, "g"),
            (21, "gG"),
            (47, "hM"),
            (400, "z"),
            (419, "zY"),
        ] {
            let mut s = String::new();
            push_count(n, &mut s);
            assert_eq!(s, expected, "{n}");
        }
    }
}
