//! Postal-code matching, precomputed at load time. Codes are compared normalized: ASCII
//! letters and digits only, upper-case (`"sw1a 1aa"` and `"SW1A1AA"` are the same code). A
//! range compares the code's first N characters, N being the length of the range's bounds,
//! so the ZIP+4 `94105-1234` falls in `["94000", "96199"]`.
//!
//! A code is packed into a `u128`, its characters big-endian from the top byte, so equality,
//! prefixes (a mask) and ranges (numeric order equals character order for equal lengths) are
//! integer comparisons: quoting neither allocates nor calls `memcmp` for postal codes.

use std::fmt;

/// Longest normalized postal code kept; longer codes do not exist (the longest in use have 10
/// characters with separators).
const MAX: usize = 12;

/// A normalized postal code, packed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PostalKey {
    /// Characters in the top `MAX` bytes, big-endian; the low byte holds the length.
    bits: u128,
}

impl PostalKey {
    /// Normalizes `raw` (letters and digits, upper-case, at most 12 kept).
    pub fn new(raw: &str) -> PostalKey {
        let mut bits = 0u128;
        let mut len = 0usize;
        for b in raw.bytes().filter(u8::is_ascii_alphanumeric) {
            if len == MAX {
                break;
            }
            bits |= u128::from(b.to_ascii_uppercase()) << (8 * (15 - len));
            len += 1;
        }
        PostalKey {
            bits: bits | len as u128,
        }
    }
    /// Number of characters.
    pub fn len(&self) -> usize {
        (self.bits & 0xff) as usize
    }
    /// No characters (an address without a postal code).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The first `n` characters, without the length (for prefix and range comparisons).
    fn head(&self, n: usize) -> u128 {
        if n == 0 {
            0
        } else {
            self.bits & (!0u128 << (8 * (16 - n)))
        }
    }
    /// The normalized code.
    pub fn as_string(&self) -> String {
        let bytes = self.bits.to_be_bytes();
        String::from_utf8_lossy(&bytes[..self.len()]).into_owned()
    }
}

impl fmt::Debug for PostalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_string())
    }
}

/// Normalizes a code from a card (the same rule as [`PostalKey`], without the length cap).
pub fn normalize(raw: &str) -> String {
    raw.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Postal criteria of one place: empty matches every code of the country.
#[derive(Clone, Debug, Default)]
pub struct PostalSet {
    /// Sorted, for binary search.
    codes: Vec<PostalKey>,
    /// `(length, head)`.
    prefixes: Vec<(usize, u128)>,
    /// `(length, low head, high head)`, inclusive.
    ranges: Vec<(usize, u128, u128)>,
}

impl PostalSet {
    /// From normalized codes, prefixes and ranges (bounds of equal length), each at most 12
    /// characters (the loader checks).
    pub fn new(codes: Vec<String>, prefixes: Vec<String>, ranges: Vec<(String, String)>) -> Self {
        let key = |s: &str| PostalKey::new(s);
        let mut codes: Vec<PostalKey> = codes.iter().map(|c| key(c)).collect();
        codes.sort();
        codes.dedup();
        PostalSet {
            codes,
            prefixes: (prefixes.iter())
                .map(|p| (p.len(), key(p).head(p.len())))
                .collect(),
            ranges: (ranges.iter())
                .map(|(lo, hi)| (lo.len(), key(lo).head(lo.len()), key(hi).head(hi.len())))
                .collect(),
        }
    }

    /// No postal criteria: the whole country.
    pub fn is_any(&self) -> bool {
        self.codes.is_empty() && self.prefixes.is_empty() && self.ranges.is_empty()
    }

    /// Whether `key` matches; an address without a postal code matches only `is_any` sets.
    pub fn matches(&self, key: &PostalKey) -> bool {
        if self.is_any() {
            return true;
        }
        let len = key.len();
        len > 0
            && (self.codes.binary_search(key).is_ok()
                || (self.prefixes.iter()).any(|&(n, p)| len >= n && key.head(n) == p)
                || (self.ranges.iter()).any(|&(n, lo, hi)| {
                    let h = key.head(n);
                    len >= n && lo <= h && h <= hi
                }))
    }

    /// For explanations: `"postal 10000-14999"`, `"postal prefix SW"`, `"3 listed postal codes"`.
    pub fn describe(&self) -> String {
        let s = |n: usize, bits: u128| {
            PostalKey {
                bits: bits | n as u128,
            }
            .as_string()
        };
        let mut parts = Vec::new();
        if !self.prefixes.is_empty() {
            let p: Vec<_> = self.prefixes.iter().map(|&(n, b)| s(n, b)).collect();
            parts.push(format!("postal prefix {}", p.join("/")));
        }
        if !self.ranges.is_empty() {
            let r: Vec<_> = (self.ranges.iter())
                .map(|&(n, lo, hi)| format!("{}-{}", s(n, lo), s(n, hi)))
                .collect();
            parts.push(format!("postal {}", r.join(", ")));
        }
        match self.codes.len() {
            0 => {}
            1 => parts.push(format!("postal code {:?}", self.codes[0])),
            n => parts.push(format!("{n} listed postal codes")),
        }
        parts.join(" or ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> PostalSet {
        PostalSet::new(
            vec!["18565".into(), "25938".into()],
            vec!["SW1".into()],
            vec![("94000".into(), "96199".into())],
        )
    }

    #[test]
    fn codes_prefixes_and_ranges_match_normalized_input() {
        let s = set();
        assert!(s.matches(&PostalKey::new("18565")));
        assert!(s.matches(&PostalKey::new("sw1a 1aa")));
        assert!(s.matches(&PostalKey::new("SW1")));
        assert!(!s.matches(&PostalKey::new("SW")), "shorter than the prefix");
        assert!(
            s.matches(&PostalKey::new("94105-1234")),
            "ZIP+4 inside the range"
        );
        assert!(s.matches(&PostalKey::new("94000")));
        assert!(s.matches(&PostalKey::new("96199")));
        assert!(!s.matches(&PostalKey::new("96200")));
        assert!(!s.matches(&PostalKey::new("93999")));
        assert!(
            !s.matches(&PostalKey::new("9410")),
            "shorter than the bounds"
        );
        assert!(!s.matches(&PostalKey::new("18566")));
        assert!(
            !s.matches(&PostalKey::new("185651")),
            "a listed code is matched whole"
        );
        assert!(!s.matches(&PostalKey::new("")));
    }

    #[test]
    fn an_empty_set_is_the_whole_country() {
        let any = PostalSet::default();
        assert!(any.matches(&PostalKey::new("")));
        assert!(any.matches(&PostalKey::new("12345")));
    }

    #[test]
    fn keys_normalize_and_describe() {
        assert_eq!(PostalKey::new(" sw1a-1aa ").as_string(), "SW1A1AA");
        assert_eq!(
            set().describe(),
            "postal prefix SW1 or postal 94000-96199 or 2 listed postal codes"
        );
    }
}
