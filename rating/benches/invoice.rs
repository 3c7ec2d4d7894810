//! Import + match + audit + CSV report throughput: 1,000,000 UPS Billing Data lines (250
//! columns, ~2 lines per package) streamed from a generated file on disk, matched in
//! batches of 10,000 packages against an in-memory "store" of 1,000,000 shipments, audited,
//! and written as the CSV report. The store lookup stands in for the hub's query.
//!
//! `cargo bench -p shiphub-rating --bench invoice`; prints peak RSS before and after.

#[path = "../tests/invoice_gen/mod.rs"]
mod invoice_gen;

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use shiphub_rating::invoice::{
    Auditor, CsvReport, ExpectedShipment, InvoiceCarrier, InvoiceFormat, InvoiceReader,
    ReportSummary, ShipmentIndex, lookup_keys,
};

const LINES: u64 = 1_000_000;
const STORE: usize = 1_000_000;
const BATCH: usize = 10_000;

fn peak_rss_mb() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
                    / 1024
            })
        })
        .map_or("?".into(), |mb| format!("{mb} MB"))
}

fn bench(c: &mut Criterion) {
    let path: PathBuf = std::env::temp_dir().join("shiphub-bench-ups-1m.csv");
    let mut out = BufWriter::new(File::create(&path).unwrap());
    // ~2 lines per clean package (freight + fuel) and the planted ones.
    let sc = invoice_gen::generate(InvoiceCarrier::Ups, (LINES / 2) as usize, true, &mut out);
    out.flush().unwrap();
    drop(out);
    let lines = sc.charge_lines + sc.bad_lines.len() as u64 + 1;
    let size = std::fs::metadata(&path).unwrap().len();
    let mut store: HashMap<String, ExpectedShipment> = sc
        .shipments
        .iter()
        .map(|s| (s.tracking_number.clone(), s.clone()))
        .collect();
    let template = sc.shipments[0].clone();
    for i in 0..STORE.saturating_sub(store.len()) {
        // Shipments never billed in this file.
        let t = format!("1ZZZZZZZ03{i:08}");
        store.insert(
            t.clone(),
            ExpectedShipment {
                tracking_number: t,
                ..template.clone()
            },
        );
    }
    let settings = invoice_gen::settings();
    eprintln!(
        "file: {lines} lines, {} MB; store: {} shipments; peak RSS before: {}",
        size / 1_000_000,
        store.len(),
        peak_rss_mb()
    );

    let mut g = c.benchmark_group("invoice");
    g.sample_size(10);
    g.throughput(Throughput::Elements(lines));
    g.bench_function("ups_1m_lines_import_match_audit_csv", |b| {
        b.iter(|| {
            let file = BufReader::with_capacity(1 << 20, File::open(&path).unwrap());
            let mut reader = InvoiceReader::new(InvoiceFormat::Ups, file);
            let mut auditor = Auditor::new(&settings, None);
            let mut csv = CsvReport::new(BufWriter::new(std::io::sink())).unwrap();
            let mut summary = ReportSummary::new();
            let mut findings = 0usize;
            loop {
                let batch = reader.next_batch(BATCH).unwrap();
                if batch.is_empty() {
                    break;
                }
                let keys = lookup_keys(&batch);
                let found = keys
                    .tracking_numbers
                    .iter()
                    .filter_map(|t| store.get(t).cloned())
                    .collect();
                for a in auditor.audit_batch(batch, &ShipmentIndex::new(found)) {
                    findings += a.findings.len();
                    csv.write(&a).unwrap();
                    summary.add(&a);
                }
            }
            csv.finish().unwrap();
            assert_eq!(findings, sc.findings.len());
            summary.total.packages
        })
    });
    g.finish();
    eprintln!("peak RSS after: {}", peak_rss_mb());
    std::fs::remove_file(&path).ok();
}

criterion_group!(benches, bench);
criterion_main!(benches);
