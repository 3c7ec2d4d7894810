//! Benchmark fixture for freight reconciliation:
//! `cargo run --release -p shiphub --example seed_invoice -- DB_FILE INVOICE_FILE SHIPMENTS LINES`
//! stores SHIPMENTS UPS Ground shipments (tenant `bench`, ship request and waybill as the hub
//! keeps them) in a SQLite database and writes a UPS Billing Data file (250 columns) of about
//! LINES lines billing every other shipment with a freight and a fuel row; one package in a
//! hundred carries a planted discrepancy (weight correction, residential surcharge, freight
//! over the quote, a number nobody bought). Then:
//! `shiphub audit INVOICE_FILE --carrier ups --database-url sqlite://DB_FILE --out report.csv`.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use rust_decimal::Decimal;
use shiphub::ids::{AccountId, ShipmentId};
use shiphub::store::{ShipmentRecord, Store};
use shiphub_carriers::model::{Currency, Money};
use time::OffsetDateTime;

const ROWS_PER_INSERT: usize = 400;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let db = PathBuf::from(args.next().expect("DB_FILE"));
    let invoice = PathBuf::from(args.next().expect("INVOICE_FILE"));
    let n: usize = args.next().expect("SHIPMENTS").parse().expect("a number");
    let lines: usize = args.next().expect("LINES").parse().expect("a number");
    let url = format!("sqlite://{}?mode=rwc", db.display());
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let now = OffsetDateTime::now_utc();
    let tenant = store.create_tenant("bench", now).await.expect("tenant").id;
    let account = AccountId::generate();
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.expect("pool");
    sqlx::query(
        "INSERT INTO carrier_accounts (id, tenant_id, carrier, name, base_url, secret_nonce, secret, created_at) \
         VALUES ($1, $2, 'ups', 'bench', NULL, x'00', x'00', $3)",
    )
    .bind(account.as_str())
    .bind(tenant.as_str())
    .bind(0i64)
    .execute(&pool)
    .await
    .expect("account");

    // Shipments: 2.5 kg, 30x20x10 cm, Atlanta → San Francisco, Ground; base 21.60 + fuel 3.24.
    let request = r#"{"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},"to":{"name":"Receiver","company":"Receiver Inc","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","phone":"+14155550100","residential":false},"parcels":[{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}],"service":"03","label_format":"zpl","reference":"REF"}"#;
    let waybill = |tn: &str| {
        format!(
            r#"{{"pieces":["{tn}"],"carrier_shipment_id":"{tn}","breakdown":[{{"kind":"base","description":"Base service charge","amount":{{"amount":"21.60","currency":"USD"}}}},{{"kind":"fuel","code":"375","description":"Fuel surcharge","amount":{{"amount":"3.24","currency":"USD"}}}}],"warnings":[],"carrier_label":"zpl"}}"#
        )
    };
    let tracking = |i: usize| format!("1ZBENCH03{i:09}");
    // The audit facts the hub keeps with a purchase (the same for every bench shipment).
    let ship: shiphub_carriers::model::ShipRequest =
        serde_json::from_str(request).expect("request");
    let breakdown: Vec<shiphub_carriers::model::Charge> = serde_json::from_value(
        serde_json::from_str::<serde_json::Value>(&waybill("X")).expect("waybill")["breakdown"]
            .clone(),
    )
    .expect("breakdown");
    // Not read by the audit facts: parsed once, not per row.
    let (stored_request, stored_waybill): (_, shiphub::store::ShipmentWaybill) = (
        shiphub::store::StoredRequest::new(&ship),
        serde_json::from_str(&waybill("X")).expect("waybill"),
    );
    let record = |id: &ShipmentId, tn: &str, reference: &str| ShipmentRecord {
        id: id.clone(),
        carrier_account_id: account.clone(),
        carrier: shiphub_carriers::CarrierCode::from_static("ups"),
        service_code: "03".into(),
        status: shiphub::store::ShipmentStatus::Purchased,
        tracking_number: tn.parse().expect("a UPS number"),
        reference: Some(reference.into()),
        total: Money::new(Decimal::new(2484, 2), Currency::USD),
        label_format: shiphub_carriers::model::LabelFormat::Zpl,
        request: stored_request.clone(),
        waybill: stored_waybill.clone(),
        created_at: now,
        updated_at: now,
        voided_at: None,
        audit_facts: None,
        link: Default::default(),
    };
    let mut tx = pool.begin().await.expect("tx");
    let mut i = 0;
    while i < n {
        let rows = ROWS_PER_INSERT.min(n - i);
        let mut q_sql = String::new();
        let mut binds: Vec<String> = Vec::with_capacity(rows * 8);
        let mut k = 0;
        for r in 0..rows {
            let tn = tracking(i + r);
            let id = ShipmentId::generate();
            let reference = format!("ORDER-{}", i + r);
            let facts = shiphub::reconcile::audit_facts_json(
                &record(&id, &tn, &reference),
                &ship.shipment,
                &breakdown,
            );
            binds.push(id.to_string());
            binds.push(tenant.to_string());
            binds.push(account.to_string());
            binds.push(tn.clone());
            binds.push(reference);
            binds.push(request.to_string());
            binds.push(waybill(&tn));
            binds.push(facts);
        }
        q_sql.push_str(
            "INSERT INTO shipments (id, tenant_id, carrier_account_id, carrier, service_code, status, tracking_number, \
             reference, total_amount, total_currency, label_format, request, waybill, created_at, updated_at, audit_facts) VALUES ",
        );
        for r in 0..rows {
            if r > 0 {
                q_sql.push(',');
            }
            let p: Vec<String> = (0..8)
                .map(|_| {
                    k += 1;
                    format!("${k}")
                })
                .collect();
            q_sql.push_str(&format!(
                "({}, {}, {}, 'ups', '03', 'purchased', {}, {}, '24.84', 'USD', 'zpl', {}, {}, 0, 0, {})",
                p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
            ));
        }
        let mut q = sqlx::query(sqlx::AssertSqlSafe(q_sql));
        for b in &binds {
            q = q.bind(b.as_str());
        }
        q.execute(&mut *tx).await.expect("insert shipments");
        i += rows;
        if i % 100_000 == 0 {
            eprintln!("{i} shipments");
        }
    }
    tx.commit().await.expect("commit");

    // The invoice: every other shipment billed (freight + fuel), one in a hundred planted.
    let f = std::fs::File::create(&invoice).expect("invoice file");
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let mut written = 0usize;
    let mut pkg = 0usize;
    while written < lines {
        let s = (pkg * 2) % n;
        let tn = if pkg % 100 == 99 {
            format!("1ZNOBODY3{pkg:09}")
        } else {
            tracking(s)
        };
        let reference = format!("ORDER-{s}");
        let plant = pkg % 100;
        let (base, billed_lb) = match plant {
            17 => ("29.60", "11.0"),
            53 => ("24.60", "6.0"),
            _ => ("21.60", "6.0"),
        };
        let row = |class: &str, code: &str, desc: &str, net: &str, basis: &str| {
            ups_row(&[
                (1, "2.1"),
                (2, "0000A1B2C3"),
                (3, "0000A1B2C3"),
                (4, "US"),
                (5, "2026-11-21"),
                (6, "000000A1B2C3470"),
                (7, "E"),
                (10, "USD"),
                (12, "2026-11-16"),
                (21, &tn),
                (22, &reference),
                (27, "5.6"),
                (28, "L"),
                (29, billed_lb),
                (30, "L"),
                (31, "PKG"),
                (35, "SHP"),
                (44, class),
                (45, code),
                (46, desc),
                (49, basis),
                (51, "USD"),
                (52, "0.00"),
                (53, net),
                (117, "2026-11-16"),
            ])
        };
        writeln!(w, "{}", row("FRT", "003", "Ground Commercial", base, "0")).expect("write");
        let fuel = if plant == 53 { "3.69" } else { "3.24" };
        writeln!(w, "{}", row("FSC", "FSC", "Fuel Surcharge", fuel, base)).expect("write");
        written += 2;
        if plant == 41 {
            writeln!(
                w,
                "{}",
                row("ACC", "RES", "Residential Surcharge", "5.50", "0")
            )
            .expect("write");
            written += 1;
        }
        pkg += 1;
    }
    w.flush().expect("flush");
    // Fold the seeding transaction's WAL into the database file: reads through a 2 GB WAL
    // are slower and would be measured.
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await
        .expect("checkpoint");
    eprintln!(
        "seeded {n} shipments into {} and {written} invoice lines ({pkg} packages) into {}",
        db.display(),
        invoice.display()
    );
}

fn ups_row(fields: &[(usize, &str)]) -> String {
    let mut cols = vec![""; 250];
    for (pos, v) in fields {
        cols[pos - 1] = v;
    }
    cols.join(",")
}
