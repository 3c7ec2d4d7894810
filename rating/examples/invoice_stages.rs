//! Where the invoice bench's time goes: the same pipeline as `benches/invoice.rs` (500,000
//! packages, ~1 M UPS lines), each stage timed in on-CPU time of the thread (schedstat), so
//! a busy machine inflates it less than wall time.
//!
//! `cargo run --release -p shiphub-rating --example invoice_stages -- [args]`:
//! `raw` also times bare csv reads of the file; `import` times the import alone; `keep`
//! leaves the generated file in the temp dir and `cached` then imports it without
//! generating (for `perf record`); `exit` skips the teardown. `REPS=n` repeats.
#[path = "../tests/invoice_gen/mod.rs"]
mod invoice_gen;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::time::Duration;

/// On-CPU time of this thread (schedstat), so a busy machine does not count.
#[derive(Clone, Copy)]
struct Instant(u64);
impl Instant {
    fn now() -> Self {
        let s = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
        Instant(s.split_whitespace().next().unwrap().parse().unwrap())
    }
    fn elapsed(self) -> Duration {
        Duration::from_nanos(Self::now().0 - self.0)
    }
}

use shiphub_rating::invoice::{
    AuditSettings, Auditor, CsvReport, ExpectedShipment, InvoiceCarrier, InvoiceFormat,
    InvoiceReader, ReportSummary, ShipmentIndex, lookup_keys,
};

fn main() {
    let path = std::env::temp_dir().join("shiphub-stages-ups-1m.csv");
    if std::env::args().any(|a| a == "cached") {
        // Import only, from the file a previous `keep` run left.
        pipeline(&path, &HashMap::new(), &invoice_gen::settings(), true);
        return;
    }
    let mut out = BufWriter::new(File::create(&path).unwrap());
    let sc = invoice_gen::generate(InvoiceCarrier::Ups, 500_000, true, &mut out);
    out.flush().unwrap();
    drop(out);
    let store: HashMap<String, ExpectedShipment> = sc
        .shipments
        .iter()
        .map(|s| (s.tracking_number.clone(), s.clone()))
        .collect();
    let settings = invoice_gen::settings();
    let args: Vec<String> = std::env::args().collect();
    let has = |a: &str| args.iter().any(|x| x == a);
    let reps: usize = std::env::var("REPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    eprintln!("setup done");
    for _ in 0..reps {
        if has("raw") {
            raw(&path);
        }
        let f = pipeline(&path, &store, &settings, has("import"));
        if has("exit") {
            std::fs::remove_file(&path).ok();
            std::process::exit(0);
        }
        if !has("import") {
            assert_eq!(f, sc.findings.len());
        }
    }
    if !has("keep") {
        std::fs::remove_file(&path).ok();
    }
}

fn raw(path: &Path) {
    let t = Instant::now();
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, File::open(path).unwrap()));
    let mut rec = csv::ByteRecord::new();
    let mut n = 0u64;
    while r.read_byte_record(&mut rec).unwrap() {
        n += rec.len() as u64;
    }
    eprintln!("raw ByteRecord read: {:?} ({n} fields)", t.elapsed());
    let t = Instant::now();
    let mut f = BufReader::with_capacity(1 << 20, File::open(path).unwrap());
    let mut buf = Vec::new();
    let mut n = 0usize;
    while std::io::BufRead::read_until(&mut f, b'\n', &mut buf).unwrap() > 0 {
        n += buf.iter().filter(|&&b| b == b',').count();
        buf.clear();
    }
    eprintln!("raw line split: {:?} ({n} commas)", t.elapsed());
}

fn pipeline(
    path: &Path,
    store: &HashMap<String, ExpectedShipment>,
    settings: &AuditSettings,
    only_import: bool,
) -> usize {
    let total = Instant::now();
    let z = Duration::ZERO;
    let (mut imp, mut look, mut idx, mut aud, mut rep, mut sum) = (z, z, z, z, z, z);
    let mut dropping = z;
    let file = BufReader::with_capacity(1 << 20, File::open(path).unwrap());
    let mut reader = InvoiceReader::new(InvoiceFormat::Ups, file);
    let mut auditor = Auditor::new(settings, None);
    let mut csv = CsvReport::new(BufWriter::new(std::io::sink())).unwrap();
    let mut summary = ReportSummary::new();
    let mut findings = 0usize;
    loop {
        let t = Instant::now();
        let batch = reader.next_batch(10_000).unwrap();
        imp += t.elapsed();
        if batch.is_empty() {
            break;
        }
        if only_import {
            continue;
        }
        let t = Instant::now();
        let keys = lookup_keys(&batch);
        let found = keys
            .tracking_numbers
            .iter()
            .filter_map(|t| store.get(t).cloned())
            .collect();
        look += t.elapsed();
        let t = Instant::now();
        let index = ShipmentIndex::new(found);
        idx += t.elapsed();
        let t = Instant::now();
        let audited = auditor.audit_batch(batch, &index);
        aud += t.elapsed();
        let t = Instant::now();
        for a in &audited {
            findings += a.findings.len();
            csv.write(a).unwrap();
        }
        rep += t.elapsed();
        let t = Instant::now();
        for a in &audited {
            summary.add(a);
        }
        sum += t.elapsed();
        let t = Instant::now();
        drop(audited);
        drop(index);
        dropping += t.elapsed();
    }
    csv.finish().unwrap();
    eprintln!(
        "pipeline (cpu) {:?}: import {imp:?} lookup+clone {look:?} index {idx:?} audit {aud:?} drop {dropping:?} csv {rep:?} summary {sum:?}; findings {findings}",
        total.elapsed()
    );
    findings
}
