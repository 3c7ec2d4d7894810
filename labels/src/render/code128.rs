//! The tracking barcode as one Code 128 symbol, shared by both formats: the PDF draws its
//! modules, the ZPL hands the printer the same subset choices as invocation codes, so
//! both print the identical symbol. Sizing on the label is the formats' business.

use super::LabelError;
use crate::Gs1Barcode;

/// Stands for FNC1 in the data handed to [`plan`].
const FNC1: char = '\x1d';

/// Light space required on each side of the symbol (ISO/IEC 15417 asks for 10 modules).
pub(crate) const QUIET_ZONE_MODULES: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subset {
    B,
    C,
}

/// A Code 128 symbol for one tracking number.
#[derive(Clone, Debug)]
pub(crate) struct Code128 {
    /// 1 = bar, 0 = space, one entry per module; no quiet zones.
    modules: Vec<u8>,
    /// The data with ZPL `^BC` mode N invocation codes (`>:` start B, `>;` start C,
    /// `>6` to B, `>5` to C).
    zpl: String,
}

impl Code128 {
    /// Encodes `data` (ASCII letters and digits, as `TrackingNumber` guarantees) with the
    /// fewest symbol characters: runs of digits go in subset C where two digits per
    /// character pay for the switch, the rest in subset B. A shorter symbol gets wider
    /// modules on the same label, which is what makes it scan.
    pub(crate) fn new(data: &str) -> Result<Self, LabelError> {
        let invalid = || LabelError::InvalidSpec {
            field: "tracking_number",
            message: format!("`{data}` cannot be encoded as Code 128"),
        };
        if data.is_empty() || !data.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid());
        }
        Self::encode(data, plan(data)).ok_or_else(invalid)
    }

    /// A GS1-128 symbol: FNC1 right after the start character marks it as GS1, further
    /// FNC1s separate variable-length elements. Data is validated by [`Gs1Barcode`].
    pub(crate) fn gs1(barcode: &Gs1Barcode) -> Result<Self, LabelError> {
        let data = barcode.data_with_fnc1();
        Self::encode(&data, plan(&data)).ok_or_else(|| LabelError::InvalidSpec {
            field: "gs1",
            message: format!(
                "`{}` cannot be encoded as GS1-128",
                barcode.human_readable()
            ),
        })
    }

    /// `data` in the given subset runs; a GS (0x1D) in the data stands for FNC1.
    fn encode(data: &str, runs: Vec<(Subset, &str)>) -> Option<Self> {
        // barcoders marks subsets in-band: Ɓ = B, Ć = C (start code first, then switches).
        let mut marked = String::with_capacity(data.len() + 2 * runs.len());
        let mut zpl = String::with_capacity(data.len() + 2 * runs.len());
        for (i, &(subset, text)) in runs.iter().enumerate() {
            marked.push(match subset {
                Subset::B => 'Ɓ',
                Subset::C => 'Ć',
            });
            zpl.push_str(match (i, subset) {
                (0, Subset::B) => ">:",
                (0, Subset::C) => ">;",
                (_, Subset::B) => ">6",
                (_, Subset::C) => ">5",
            });
            // barcoders writes FNC1 as Ź, ZPL as >8.
            marked.extend(text.chars().map(|c| if c == FNC1 { 'Ź' } else { c }));
            zpl.push_str(&text.replace(FNC1, ">8"));
        }
        let modules = barcoders::sym::code128::Code128::new(&marked)
            .ok()?
            .encode();
        Some(Self { modules, zpl })
    }

    pub(crate) fn modules(&self) -> &[u8] {
        &self.modules
    }

    pub(crate) fn zpl_data(&self) -> &str {
        &self.zpl
    }

    /// Runs of bars as (first module, module count).
    pub(crate) fn bars(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let m = &self.modules;
        (0..m.len())
            .filter(move |&i| m[i] == 1 && (i == 0 || m[i - 1] == 0))
            .map(move |start| {
                let len = m[start..].iter().take_while(|&&b| b == 1).count();
                (start, len)
            })
    }
}

/// Splits `data` (printable ASCII, GS for FNC1) into subset runs with the fewest symbol characters (start and switch
/// characters included), by dynamic programming over (position, current subset). Among
/// equally short encodings it takes the one with fewer switches.
fn plan(data: &str) -> Vec<(Subset, &str)> {
    const SUBSETS: [Subset; 2] = [Subset::B, Subset::C];
    // Cost = characters × SWITCH_TIE + switches: TrackingNumber's 40 characters can never
    // need SWITCH_TIE switches, so characters always decide first.
    const SWITCH_TIE: usize = 64;
    const CHAR: usize = SWITCH_TIE;
    const SWITCH: usize = SWITCH_TIE + 1;
    let b = data.as_bytes();
    let n = b.len();
    let idx = |s: Subset| s as usize;
    // cost[i][s]: cheapest encoding of b[..i] ending in subset s; from[i][s] is the state
    // it was reached from.
    let mut cost = vec![[usize::MAX; 2]; n + 1];
    let mut from = vec![[(0usize, Subset::B); 2]; n + 1];
    cost[0] = [CHAR, CHAR]; // the start character selects either subset
    for i in 0..=n {
        if i > 0 {
            for s in SUBSETS {
                let other = if s == Subset::B { Subset::C } else { Subset::B };
                let via = cost[i][idx(other)].saturating_add(SWITCH);
                if via < cost[i][idx(s)] {
                    cost[i][idx(s)] = via;
                    from[i][idx(s)] = (i, other);
                }
            }
        }
        let [in_b, in_c] = cost[i];
        let mut relax = |j: usize, s: Subset, c: usize, prev: (usize, Subset)| {
            if c < cost[j][idx(s)] {
                cost[j][idx(s)] = c;
                from[j][idx(s)] = prev;
            }
        };
        // FNC1 exists in every subset and keeps the current one.
        if i < n && b[i] == FNC1 as u8 && in_c != usize::MAX {
            relax(i + 1, Subset::C, in_c + CHAR, (i, Subset::C));
        }
        if i < n && in_b != usize::MAX {
            relax(i + 1, Subset::B, in_b + CHAR, (i, Subset::B));
        }
        if i + 1 < n && in_c != usize::MAX && b[i].is_ascii_digit() && b[i + 1].is_ascii_digit() {
            relax(i + 2, Subset::C, in_c + CHAR, (i, Subset::C));
        }
    }
    let mut state = (n, Subset::B);
    if cost[n][idx(Subset::C)] < cost[n][idx(Subset::B)] {
        state.1 = Subset::C;
    }
    // Walk back, collecting where each run starts.
    let mut runs: Vec<(Subset, &str)> = Vec::new();
    let mut end = n;
    while state.0 > 0 {
        let prev = from[state.0][idx(state.1)];
        if prev.0 == state.0 {
            runs.push((state.1, &data[state.0..end]));
            end = state.0;
        }
        state = prev;
    }
    runs.push((state.1, &data[..end]));
    runs.reverse();
    runs.retain(|(_, text)| !text.is_empty());
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subsets(data: &str) -> Vec<(Subset, &str)> {
        plan(data)
    }

    #[test]
    fn all_digit_even_length_is_pure_subset_c() {
        assert_eq!(
            subsets("9400111899223344556677"),
            vec![(Subset::C, "9400111899223344556677")]
        );
        assert_eq!(Code128::new("12").unwrap().zpl_data(), ">;12");
    }

    #[test]
    fn letters_and_short_digit_runs_stay_in_subset_b() {
        assert_eq!(subsets("AB12CD"), vec![(Subset::B, "AB12CD")]);
        // B X C 1234 B Y is as short (7 characters) but needs two switches.
        assert_eq!(subsets("X1234Y"), vec![(Subset::B, "X1234Y")]);
        assert_eq!(subsets("A123"), vec![(Subset::B, "A123")]);
    }

    #[test]
    fn four_trailing_digits_pay_for_the_switch() {
        assert_eq!(
            subsets("JD0123"),
            vec![(Subset::B, "JD"), (Subset::C, "0123")]
        );
    }

    #[test]
    fn long_trailing_digit_run_switches_to_c() {
        // B "1Z999AA1" + C "0123456784": 14 characters instead of 19 in pure B.
        assert_eq!(
            subsets("1Z999AA10123456784"),
            vec![(Subset::B, "1Z999AA1"), (Subset::C, "0123456784")]
        );
        assert_eq!(
            Code128::new("1Z999AA10123456784").unwrap().zpl_data(),
            ">:1Z999AA1>50123456784"
        );
    }

    #[test]
    fn odd_digit_count_ends_with_one_character_in_b() {
        let runs = subsets("123456789012345");
        assert_eq!(runs.len(), 2);
        assert_eq!(
            runs.iter().map(|r| r.1).collect::<String>(),
            "123456789012345"
        );
        assert_eq!(runs[0].0, Subset::C);
        assert_eq!(runs[1].0, Subset::B);
        assert_eq!(runs[1].1.len(), 1);
    }

    #[test]
    fn module_count_matches_the_character_count() {
        // Start + 7 pairs in C + switch + 1 in B = 10, then checksum (11 modules each)
        // and the 13-module stop pattern.
        let symbol = Code128::new("123456789012345").unwrap();
        assert_eq!(symbol.modules().len(), 11 * (10 + 1) + 13);
        // 40 letters in B, the longest TrackingNumber: start + 40 + checksum + stop.
        let symbol = Code128::new(&"A".repeat(40)).unwrap();
        assert_eq!(symbol.modules().len(), 11 * 42 + 13);
        assert_eq!(symbol.modules()[..2], [1, 1]);
        let bar_modules: usize = symbol.bars().map(|(_, len)| len).sum();
        assert_eq!(
            bar_modules,
            symbol.modules().iter().filter(|&&m| m == 1).count()
        );
    }

    #[test]
    fn gs1_starts_with_fnc1_in_subset_c() {
        let sscc = Gs1Barcode::sscc(1, "0614141123456789").unwrap();
        let symbol = Code128::gs1(&sscc).unwrap();
        assert_eq!(symbol.zpl_data(), ">;>800106141411234567897");
        // Start C, FNC1, 10 pairs, checksum: 13 characters of 11 modules, and the stop.
        assert_eq!(symbol.modules().len(), 11 * 13 + 13);
        let routed = Gs1Barcode::new([("420", "94105"), ("00", "106141411234567897")]).unwrap();
        assert_eq!(
            Code128::gs1(&routed).unwrap().zpl_data(),
            ">;>842094105>800106141411234567897",
            "eight digits then the separator: all in subset C"
        );
    }

    #[test]
    fn rejects_data_a_tracking_number_cannot_hold() {
        assert!(Code128::new("").is_err());
        assert!(Code128::new("AB^XZ").is_err());
        assert!(Code128::new("AB>5").is_err());
    }
}
