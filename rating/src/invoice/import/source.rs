//! Records out of the input, as byte slices: a line without quotes or bare carriage returns
//! (every line of the carriers' files in practice) is split in place in one pass; any other
//! record goes through `csv`'s parser, so quoting, doubled quotes, fields spanning lines and
//! `\r` terminators read exactly as `csv::Reader` reads them. Fields are decoded (UTF-8,
//! trimmed) only when a layout asks for them, so bytes in columns no layout maps cost nothing
//! and cannot fail a row.

use std::hash::{BuildHasherDefault, Hasher};
use std::io::Read;

/// Bytes read from the input at a time (the buffer grows past it only for a longer record).
const CHUNK: usize = 1 << 20;
/// A record still open after this many buffered bytes (an unterminated quote) is read as
/// far as it goes instead of buffering the rest of the file.
const MAX_RECORD: usize = 64 << 20;

/// One record: fields are `bytes[start(i)..ends[i]]`, `start(0) = 0`, `start(i) = ends[i-1] + 1`.
#[derive(Clone, Copy)]
pub(crate) struct Rec<'a> {
    bytes: &'a [u8],
    /// `bytes` as text when the whole record is UTF-8 (fields are then sliced from it; a
    /// field boundary is an ASCII delimiter, so always a char boundary).
    text: Option<&'a str>,
    ends: &'a [u32],
}

impl<'a> Rec<'a> {
    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// Raw bytes of the field at 1-based `pos`; empty when the row is shorter.
    pub(crate) fn raw(&self, pos: usize) -> &'a [u8] {
        let (a, b) = self.bounds(pos);
        &self.bytes[a..b]
    }

    fn bounds(&self, pos: usize) -> (usize, usize) {
        let i = pos - 1;
        match self.ends.get(i) {
            None => (0, 0),
            Some(&end) => {
                let start = if i == 0 {
                    0
                } else {
                    self.ends[i - 1] as usize + 1
                };
                (start, end as usize)
            }
        }
    }

    /// Field at 1-based `pos`, trimmed; empty when the row is shorter; an error naming the
    /// column when it is not UTF-8.
    pub(crate) fn col(&self, pos: usize) -> Result<&'a str, String> {
        let (a, b) = self.bounds(pos);
        let raw = &self.bytes[a..b];
        let s = match self.text {
            Some(t) => &t[a..b],
            None => {
                std::str::from_utf8(raw).map_err(|_| format!("column {pos} is not valid UTF-8"))?
            }
        };
        // Nothing to trim when both ends are visible ASCII (whitespace is at or below ' ').
        let visible = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x80);
        if visible(raw.first()) && visible(raw.last()) {
            return Ok(s);
        }
        Ok(s.trim())
    }

    /// Every field is empty or whitespace (a field that is not UTF-8 is not blank).
    pub(crate) fn is_blank(&self) -> bool {
        (1..=self.len()).all(|p| {
            let raw = self.raw(p);
            raw.iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
                || std::str::from_utf8(raw).is_ok_and(|s| s.trim().is_empty())
        })
    }

    /// Fields as text, invalid UTF-8 replaced (header names).
    pub(crate) fn lossy(&self) -> Vec<String> {
        (1..=self.len())
            .map(|p| String::from_utf8_lossy(self.raw(p)).into_owned())
            .collect()
    }
}

/// `csv` reads from what was buffered, then the rest of the input.
type CsvInput<R> = csv::Reader<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>;

/// Records read by `csv` one by one before the rest of the file is handed to it.
const SLOW_RECORDS: u32 = 64;

/// Splits the input into records.
pub(crate) struct Source<R> {
    /// `None` once handed to `csv` (see [`Source::csv`]).
    input: Option<R>,
    delimiter: u8,
    buf: Vec<u8>,
    /// Consumed up to here.
    start: usize,
    /// Read up to here.
    end: usize,
    eof: bool,
    /// `\n` consumed so far.
    newlines: u64,
    /// Field ends of the current record: the first `nends` slots (the rest is room, so the
    /// split loop stores without a capacity check).
    ends: Vec<u32>,
    nends: usize,
    /// Bytes that end the fast path: `\n`, `\r`, `"` (unless the delimiter).
    special: [bool; 256],
    /// Fields of a record read by `csv`, separated by one byte each (see [`Rec`]).
    slow: Vec<u8>,
    slow_record: csv::ByteRecord,
    /// Records read by `csv` so far.
    slow_count: u32,
    /// A file where quoting is the rule (every field quoted): after [`SLOW_RECORDS`]
    /// records for `csv`, the rest of the input goes to one `csv::Reader`, with the
    /// `\n` consumed before it.
    csv: Option<(CsvInput<R>, u64)>,
    /// Where the current record's bytes are: `buf[a..b]` (fast) or `slow`.
    at: (usize, usize),
    is_slow: bool,
}

impl<R: Read> Source<R> {
    pub(crate) fn new(input: R, delimiter: u8) -> Self {
        Self {
            input: Some(input),
            delimiter,
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            newlines: 0,
            ends: vec![0; 1024],
            nends: 0,
            special: {
                let mut t = [false; 256];
                for b in [b'\n', b'\r', b'"'] {
                    t[usize::from(b)] = b != delimiter;
                }
                t
            },
            slow: Vec::new(),
            slow_record: csv::ByteRecord::new(),
            slow_count: 0,
            csv: None,
            at: (0, 0),
            is_slow: false,
        }
    }

    /// `\n` consumed so far (the line the last record ended on).
    pub(crate) fn newlines(&self) -> u64 {
        self.newlines
    }

    /// The record read by the last successful [`Source::next`].
    pub(crate) fn record(&self) -> Rec<'_> {
        let bytes = if self.is_slow {
            &self.slow[..]
        } else {
            &self.buf[self.at.0..self.at.1]
        };
        Rec {
            bytes,
            text: std::str::from_utf8(bytes).ok(),
            ends: &self.ends[..self.nends],
        }
    }

    /// Reads more input after what is buffered; `false` at the end of the input.
    fn refill(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() < self.end + CHUNK {
            self.buf.resize(self.end + CHUNK, 0);
        }
        loop {
            let Some(input) = self.input.as_mut() else {
                self.eof = true;
                return Ok(false);
            };
            match input.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The next record and the 1-based line it starts on; `None` at the end of the input.
    pub(crate) fn next(&mut self) -> std::io::Result<Option<u64>> {
        if self.csv.is_some() {
            return self.next_csv();
        }
        loop {
            match self.next_fast()? {
                Step::Record(line) => {
                    self.is_slow = false;
                    return Ok(Some(line));
                }
                Step::End => return Ok(None),
                Step::Slow if self.slow_count >= SLOW_RECORDS => {
                    let rest = self.buf[self.start..self.end].to_vec();
                    let input = self.input.take().expect("present until handed over");
                    let rdr = csv::ReaderBuilder::new()
                        .has_headers(false)
                        .flexible(true)
                        .delimiter(self.delimiter)
                        .from_reader(std::io::Read::chain(std::io::Cursor::new(rest), input));
                    self.csv = Some((rdr, self.newlines));
                    self.buf = Vec::new();
                    (self.start, self.end) = (0, 0);
                    return self.next_csv();
                }
                Step::Slow => {
                    self.slow_count += 1;
                    if let Some(r) = self.slow_path()? {
                        return Ok(r);
                    }
                }
            }
        }
    }

    /// One pass to the end of the line, noting delimiters without a branch on them (they
    /// come every other byte in a UPS line); stops at anything that needs `csv`.
    fn next_fast(&mut self) -> std::io::Result<Step> {
        let delim = self.delimiter;
        'record: loop {
            let data = &self.buf[self.start..self.end];
            if data.len() >= u32::MAX as usize {
                return Ok(Step::Slow);
            }
            let (mut i, mut n) = (0usize, 0usize);
            let stop = loop {
                let slots = &mut self.ends[..];
                // One slot stays free for the record's end.
                let room = slots.len() - 1;
                // Eight bytes at a time while none of them needs a look.
                while i + 8 <= data.len() && n + 8 <= room {
                    let w = u64::from_le_bytes(data[i..i + 8].try_into().expect("8 bytes"));
                    if special_bytes(w) != 0 {
                        break;
                    }
                    let d = zero_bytes(w ^ (LO * u64::from(delim)));
                    for k in 0..8 {
                        slots[n] = (i + k) as u32;
                        n += ((d >> (8 * k + 7)) & 1) as usize;
                    }
                    i += 8;
                }
                while i < data.len() && n < room {
                    let b = data[i];
                    if self.special[usize::from(b)] {
                        break;
                    }
                    if b == delim {
                        slots[n] = i as u32;
                        n += 1;
                    }
                    i += 1;
                    if i % 8 == 0 && n + 8 <= room {
                        break;
                    }
                }
                if n >= room {
                    let len = self.ends.len() * 2;
                    self.ends.resize(len, 0);
                    continue;
                }
                match data.get(i) {
                    Some(&b) if !self.special[usize::from(b)] => continue,
                    other => break other.copied(),
                }
            };
            let (body_end, consumed) = match stop {
                None if !self.eof => {
                    // No line end buffered.
                    self.refill()?;
                    continue 'record;
                }
                None if data.is_empty() => return Ok(Step::End),
                None => (data.len(), data.len()),
                Some(b'\n') => (i, i + 1),
                Some(b'\r') => match data.get(i + 1) {
                    Some(b'\n') => (i, i + 2),
                    None if !self.eof => {
                        self.refill()?;
                        continue 'record;
                    }
                    _ => return Ok(Step::Slow),
                },
                Some(_) => return Ok(Step::Slow),
            };
            let line = self.newlines + 1;
            let had_newline = consumed > body_end && data[consumed - 1] == b'\n';
            self.at = (self.start, self.start + body_end);
            self.start += consumed;
            self.newlines += u64::from(had_newline);
            if body_end == 0 {
                // An empty line is no record (as `csv` reads it).
                continue;
            }
            self.ends[n] = body_end as u32;
            self.nends = n + 1;
            return Ok(Step::Record(line));
        }
    }

    fn next_csv(&mut self) -> std::io::Result<Option<u64>> {
        let (rdr, before) = self.csv.as_mut().expect("csv mode");
        let more =
            rdr.read_byte_record(&mut self.slow_record)
                .map_err(|e| match e.into_kind() {
                    csv::ErrorKind::Io(e) => e,
                    other => std::io::Error::other(format!("{other:?}")),
                })?;
        self.newlines = *before + rdr.position().line() - 1;
        if !more {
            return Ok(None);
        }
        let line = *before + self.slow_record.position().map_or(1, csv::Position::line);
        self.take_slow_record();
        Ok(Some(line))
    }

    /// The fields of `slow_record` as the current record.
    fn take_slow_record(&mut self) {
        self.slow.clear();
        if self.ends.len() <= self.slow_record.len() {
            self.ends.resize(self.slow_record.len() + 1, 0);
        }
        for (i, f) in self.slow_record.iter().enumerate() {
            self.slow.extend_from_slice(f);
            self.ends[i] = u32::try_from(self.slow.len()).unwrap_or(u32::MAX);
            self.slow.push(0);
        }
        self.nends = self.slow_record.len();
        self.is_slow = true;
    }

    /// A record with quotes or bare `\r`, read by `csv` from what is buffered: the record
    /// (`Some(Some(line))`), the end of the input (`Some(None)`), or only blank terminators
    /// consumed (`None`).
    fn slow_path(&mut self) -> std::io::Result<Option<Option<u64>>> {
        loop {
            let avail = &self.buf[self.start..self.end];
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(self.delimiter)
                .from_reader(avail);
            let more = rdr
                .read_byte_record(&mut self.slow_record)
                .map_err(std::io::Error::other)?;
            let consumed = usize::try_from(rdr.position().byte()).unwrap_or(usize::MAX);
            // The record may go on past what is buffered: read more and parse it again.
            if consumed >= avail.len() && !self.eof && avail.len() < MAX_RECORD {
                self.refill()?;
                continue;
            }
            let consumed = consumed.min(avail.len());
            let line = self.newlines + self.slow_record.position().map_or(1, csv::Position::line);
            self.newlines += avail[..consumed].iter().filter(|&&b| b == b'\n').count() as u64;
            self.start += consumed;
            if !more {
                return Ok((self.eof && self.start >= self.end).then_some(None));
            }
            self.take_slow_record();
            return Ok(Some(Some(line)));
        }
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// 0x80 in each byte of `v` that is zero, 0 elsewhere (exact, no carries across bytes).
#[inline]
fn zero_bytes(v: u64) -> u64 {
    !(((v & LOW7).wrapping_add(LOW7)) | v | LOW7)
}

/// Non-zero when `w` holds a `\n`, `\r` or `"`.
#[inline]
fn special_bytes(w: u64) -> u64 {
    zero_bytes(w ^ (LO * u64::from(b'\n')))
        | zero_bytes(w ^ (LO * u64::from(b'\r')))
        | zero_bytes(w ^ (LO * u64::from(b'"')))
}

enum Step {
    Record(u64),
    End,
    Slow,
}

/// A fast hasher for short keys (tracking numbers), FxHash with a final mix.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

const K: u64 = 0xf135_7aea_2e62_a9c5;

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut b = [0u8; 8];
            b[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(b) ^ (rest.len() as u64) << 59);
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    fn finish(&self) -> u64 {
        self.0.rotate_left(26)
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0 ^ w).wrapping_mul(K).rotate_left(23);
    }
}

/// `HashMap` hasher for the import's and audit's string keys.
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Records with the line each starts on.
    type Records = Vec<(u64, Vec<Vec<u8>>)>;

    /// Every record as `csv::Reader` reads it (with the line it starts on), and as `Source`.
    fn both(input: &[u8], chunk: usize) -> (Records, Records) {
        let mut want = Vec::new();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(input);
        let mut rec = csv::ByteRecord::new();
        while r.read_byte_record(&mut rec).unwrap() {
            let line = rec.position().unwrap().line();
            want.push((line, rec.iter().map(<[u8]>::to_vec).collect()));
        }
        /// Reads at most `n` bytes a call, to cross buffer ends everywhere.
        struct Trickle<'a>(&'a [u8], usize);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.1.min(buf.len()).min(self.0.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut got = Vec::new();
        let mut s = Source::new(Trickle(input, chunk), b',');
        while let Some(line) = s.next().unwrap() {
            let r = s.record();
            got.push((line, (1..=r.len()).map(|p| r.raw(p).to_vec()).collect()));
        }
        (want, got)
    }

    #[test]
    fn records_read_as_csv_reads_them() {
        let cases: &[&[u8]] = &[
            b"a,b,c\n1,2,3\n",
            b"a,b,c\r\n1,2,3\r\n",
            b"a,b,c\n1,2,3",
            b"\n\na,b\n\n\nc\n",
            b"a,\"b,1\",c\n\"x\"\"y\",z\n",
            b"a,\"multi\nline\",c\nnext,row\n",
            b"a\rb\rc,d\n",
            b"a,b\r\n\r\n,\n  ,  \n",
            b"\"unterminated,x\ny,z",
            b"a,b\r",
            b",,,\n,\n",
            b"\xff\xfe,ok\n",
        ];
        for case in cases {
            for chunk in [1, 2, 3, 7, 1 << 20] {
                let (mut want, mut got) = both(case, chunk);
                if case.contains(&b'\r')
                    || case.windows(2).any(|w| w == b"\n\n")
                    || case[0] == b'\n'
                {
                    // `csv` numbers a record from before the blank lines (or the `\n` of a
                    // `\r\n`) it skips to reach it: compare the fields only (lines below).
                    want.iter_mut().chain(got.iter_mut()).for_each(|r| r.0 = 0);
                }
                assert_eq!(got, want, "{:?} by {chunk}", String::from_utf8_lossy(case));
            }
        }
        // Long lines: the eight-bytes-at-a-time split, a quote or CR late in a line, more
        // fields than the first field list holds.
        let long = |n: usize| -> Vec<u8> {
            (0..n)
                .map(|i| ["abc", "", "1.25", "Ground Commercial", "x"][i % 5])
                .collect::<Vec<_>>()
                .join(",")
                .into_bytes()
        };
        let mut big = Vec::new();
        for n in [250, 3, 3000, 17, 250] {
            big.extend(long(n));
            big.push(b'\n');
        }
        let mut quoted = long(250);
        quoted.extend(b",\"late, \"\"quoted\"\"\nfield\",end\n");
        quoted.extend(long(100));
        quoted.extend(b"\r\n");
        quoted.extend(long(90));
        quoted.extend(b"\rlast");
        let mut all_quoted = Vec::new();
        for i in 0..300 {
            all_quoted.extend(format!("\"{i}\",\"a,b\",\"\"\"q\"\"\",plain\n").bytes());
            if i == 150 {
                all_quoted.extend(b"\"multi\nline\",x\n\nno,quotes\n");
            }
        }
        for case in [&big, &quoted, &all_quoted] {
            for chunk in [5, 8, 13, 4096, 1 << 20] {
                let (mut want, mut got) = both(case, chunk);
                if case.contains(&b'\r') {
                    want.iter_mut().chain(got.iter_mut()).for_each(|r| r.0 = 0);
                }
                assert_eq!(got.len(), want.len(), "by {chunk}");
                assert_eq!(got, want, "by {chunk}");
            }
        }
        let (_, got) = both(b"a,b\r\n\r\nc,d\r\ne\r\n", 3);
        let lines: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(lines, [1, 3, 4]);
        let (_, got) = both(b"\n\na,b\n\n\nc\n", 2);
        let lines: Vec<u64> = got.iter().map(|r| r.0).collect();
        assert_eq!(lines, [3, 6]);
    }

    #[test]
    fn fields_decode_on_demand() {
        let mut s = Source::new(&b"ok, \xff ,  trimmed  \n"[..], b',');
        assert_eq!(s.next().unwrap(), Some(1));
        let r = s.record();
        assert_eq!(r.len(), 3);
        assert_eq!(r.col(1).unwrap(), "ok");
        assert_eq!(r.col(3).unwrap(), "trimmed");
        assert_eq!(r.col(4).unwrap(), "");
        assert!(r.col(2).unwrap_err().contains("column 2"));
        assert!(!r.is_blank());
    }
}
