//! Postal-code matching, precomputed at load time. Codes are compared normalized: ASCII
//! letters and digits only, upper-case (`"sw1a 1aa"` and `"SW1A1AA"` are the same code). A
//! range compares the code's first N characters, N being the length of the range's bounds,
//! so the ZIP+4 `94105-1234` falls in `["94000", "96199"]`.

use std::fmt;

/// Longest normalized postal code kept; longer codes do not exist (the longest in use have 10
/// characters with separators).
const MAX: usize = 12;

/// A normalized postal code on the stack: quoting must not allocate for it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PostalKey {
    buf: [u8; MAX],
    len: u8,
}

impl PostalKey {
    pub fn new(raw: &str) -> PostalKey {
        let mut buf = [0u8; MAX];
        let mut len = 0;
        for b in raw.bytes().filter(u8::is_ascii_alphanumeric) {
            if len == MAX {
                break;
            }
            buf[len] = b.to_ascii_uppercase();
            len += 1;
        }
        PostalKey {
            buf,
            len: len as u8,
        }
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len as usize]
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl fmt::Debug for PostalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.as_bytes()))
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
    codes: Vec<Box<[u8]>>,
    prefixes: Vec<Box<[u8]>>,
    /// Inclusive bounds of equal length.
    ranges: Vec<(Box<[u8]>, Box<[u8]>)>,
}

impl PostalSet {
    pub fn new(
        mut codes: Vec<String>,
        prefixes: Vec<String>,
        ranges: Vec<(String, String)>,
    ) -> PostalSet {
        codes.sort();
        codes.dedup();
        let b = |s: String| s.into_bytes().into_boxed_slice();
        PostalSet {
            codes: codes.into_iter().map(b).collect(),
            prefixes: prefixes.into_iter().map(b).collect(),
            ranges: ranges.into_iter().map(|(lo, hi)| (b(lo), b(hi))).collect(),
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
        let k = key.as_bytes();
        if k.is_empty() {
            return false;
        }
        self.codes.binary_search_by(|c| (**c).cmp(k)).is_ok()
            || self.prefixes.iter().any(|p| k.starts_with(p))
            || self.ranges.iter().any(|(lo, hi)| {
                k.len() >= lo.len() && {
                    let head = &k[..lo.len()];
                    **lo <= *head && *head <= **hi
                }
            })
    }

    /// For explanations: `"postal 10000-14999"`, `"postal prefix SW"`, `"3 listed postal codes"`.
    pub fn describe(&self) -> String {
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let mut parts = Vec::new();
        if !self.prefixes.is_empty() {
            let p: Vec<_> = self.prefixes.iter().map(|p| s(p)).collect();
            parts.push(format!("postal prefix {}", p.join("/")));
        }
        if !self.ranges.is_empty() {
            let r: Vec<_> = (self.ranges.iter())
                .map(|(lo, hi)| format!("{}-{}", s(lo), s(hi)))
                .collect();
            parts.push(format!("postal {}", r.join(", ")));
        }
        match self.codes.len() {
            0 => {}
            1 => parts.push(format!("postal code {}", s(&self.codes[0]))),
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
        assert!(
            s.matches(&PostalKey::new("94105-1234")),
            "ZIP+4 inside the range"
        );
        assert!(s.matches(&PostalKey::new("96199")));
        assert!(!s.matches(&PostalKey::new("96200")));
        assert!(
            !s.matches(&PostalKey::new("9410")),
            "shorter than the bounds"
        );
        assert!(!s.matches(&PostalKey::new("18566")));
        assert!(!s.matches(&PostalKey::new("")));
    }

    #[test]
    fn an_empty_set_is_the_whole_country() {
        let any = PostalSet::default();
        assert!(any.matches(&PostalKey::new("")));
        assert!(any.matches(&PostalKey::new("12345")));
    }
}
