//! Freight reconciliation through the real binary: shipments bought on the UPS simulator, a
//! UPS Billing Data file (the 250-column layout) written for them with one planted
//! discrepancy of each kind the hub can know about, imported with `POST /v1/invoices`; the
//! reconciliation must find exactly what was planted, report unreadable rows with their line,
//! refuse the same file twice, flag a later invoice that bills a package again, and give the
//! same CSV as `shiphub audit`. The PDF's text must be extractable (`pdftotext`).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{Api, Succeeds};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use shiphub_e2e::sim::{self, Sim};

/// Uploads an invoice (`query` names its layout), with an `Idempotency-Key` when given.
async fn upload(api: &Api, query: &str, body: &str, key: Option<&str>) -> (StatusCode, Value) {
    let mut req = api
        .request(Method::POST, &format!("/v1/invoices?{query}"))
        .header("content-type", "text/csv")
        .body(body.to_string());
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    common::answer(req.send().await.unwrap()).await
}

/// Polls a reconciliation until it leaves `running`.
async fn settled(api: &Api, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (s, r) = api.get(&format!("/v1/reconciliations/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        if r["status"] != "running" {
            return r;
        }
        assert!(Instant::now() < deadline, "still running: {r}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `shiphub audit PATH --carrier ups [FLAGS] --out OUT` on `db_url`, which must succeed.
fn audit_cli(path: &Path, flags: &[&str], out: &Path, db_url: &str) -> Output {
    Command::new(common::binary())
        .args(["audit", path.to_str().unwrap(), "--carrier", "ups"])
        .args(flags)
        .arg("--out")
        .arg(out)
        .args(["--database-url", db_url])
        .env_remove("SHIPHUB_MASTER_KEY")
        .succeed()
}

fn shipment(reference: &str) -> Value {
    json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},
           "to":{"name":"Receiver","company":"Receiver Inc","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","phone":"+14155550100"},
           "parcels":[{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}],
           "reference": reference})
}

/// A bought shipment: tracking number, quoted base and fuel.
#[derive(Clone, Debug)]
struct Bought {
    id: String,
    tracking: String,
    reference: String,
    base: Decimal,
    fuel: Decimal,
}

/// One row of UPS Billing Data: 250 columns, `fields` by the layout's 1-based column number.
fn ups_row(fields: &[(usize, String)]) -> String {
    let mut cols = vec![String::new(); 250];
    for (pos, v) in fields {
        cols[pos - 1] = v.clone();
    }
    cols.join(",")
}

/// A charge row for a package (invoice, tracking, reference, class, code, description, net,
/// category SHP/ADJ, billed weight, basis).
struct Charge<'a> {
    invoice: &'a str,
    tracking: &'a str,
    reference: &'a str,
    category: &'a str,
    detail: &'a str,
    class: &'a str,
    code: &'a str,
    description: &'a str,
    net: Decimal,
    incentive: Decimal,
    billed_lb: &'a str,
    basis: Decimal,
}

impl Charge<'_> {
    fn row(&self) -> String {
        ups_row(&[
            (1, "2.1".into()),
            (2, "0000A1B2C3".into()),
            (3, "0000A1B2C3".into()),
            (4, "US".into()),
            (5, "2026-11-21".into()),
            (6, self.invoice.into()),
            (7, "E".into()),
            (10, "USD".into()),
            (12, "2026-11-16".into()),
            (21, self.tracking.into()),
            (22, self.reference.into()),
            (27, "5.6".into()),
            (28, "L".into()),
            (29, self.billed_lb.into()),
            (30, "L".into()),
            (31, "PKG".into()),
            (35, self.category.into()),
            (36, self.detail.into()),
            (44, self.class.into()),
            (45, self.code.into()),
            (46, self.description.into()),
            (49, self.basis.to_string()),
            (51, "USD".into()),
            (52, self.incentive.to_string()),
            (53, self.net.to_string()),
            (117, "2026-11-16".into()),
        ])
    }
}

/// The two rows UPS bills for a Ground package as quoted: freight and fuel.
fn billed_as_quoted(invoice: &str, b: &Bought, tracking: &str) -> Vec<String> {
    let freight = Charge {
        invoice,
        tracking,
        reference: &b.reference,
        category: "SHP",
        detail: "",
        class: "FRT",
        code: "003",
        description: "Ground Commercial",
        net: b.base,
        incentive: Decimal::ZERO,
        billed_lb: "6.0",
        basis: Decimal::ZERO,
    };
    let fuel = Charge {
        class: "FSC",
        code: "FSC",
        description: "Fuel Surcharge",
        net: b.fuel,
        basis: b.base,
        ..freight
    };
    vec![freight.row(), fuel.row()]
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

/// reason codes per tracking number, from the CSV report (one row per invoice line).
fn reasons_by_tracking(csv_text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (tn, codes) = (col("tracking_number"), col("reason_codes"));
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let set = out.entry(rec[tn].to_string()).or_default();
        set.extend(
            rec[codes]
                .split(';')
                .filter(|c| !c.is_empty())
                .map(String::from),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ups_invoice_is_reconciled_against_what_was_bought() {
    let ups_url = {
        let addr = sim::serve(
            sim::ups::router(Sim::default()),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .unwrap();
        format!("http://{addr}")
    };
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let ups = api.create_account(common::ups_account(&ups_url)).await;

    // Eight Ground shipments, 2.5 kg in a 30x20x10 cm box: billable 6 lb at UPS.
    let mut bought = Vec::new();
    for i in 0..8 {
        let mut body = shipment(&format!("ORDER-{i}"));
        body["carrier_account"] = json!(ups);
        body["service"] = json!("03");
        body["label_format"] = json!("zpl");
        let b = api.created("/v1/shipments", body).await;
        let charge = |kind: &str| {
            b["breakdown"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["kind"] == kind)
                .map(|c| dec(&c["amount"]["amount"]))
                .unwrap_or_else(|| panic!("no {kind} charge: {b}"))
        };
        bought.push(Bought {
            id: b["id"].as_str().unwrap().into(),
            tracking: b["tracking_number"].as_str().unwrap().into(),
            reference: format!("ORDER-{i}"),
            base: charge("base"),
            fuel: charge("fuel"),
        });
    }
    let [
        clean,
        heavier,
        residential,
        voided,
        overbilled,
        by_reference,
        fuel_high,
        rebilled,
    ] = <[Bought; 8]>::try_from(bought.clone()).unwrap();
    let (s, v) = api
        .post(&format!("/v1/shipments/{}/void", voided.id), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // The tenant's published fuel table: 15 % (what the simulator charges).
    let (s, settings) = api
        .put(
            "/v1/audit-settings",
            json!({"fuel": [{"carrier": "ups", "from": "2026-01-01", "percent": "15"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{settings}");

    let inv = "000000A1B2C3470";
    let mut rows = Vec::new();
    rows.extend(billed_as_quoted(inv, &clean, &clean.tracking));
    rows.extend(billed_as_quoted(inv, &rebilled, &rebilled.tracking));
    // Weight correction to 15 lb with no new measurement: our declared values support a
    // dispute of the extra freight and its fuel (8.00 + 1.20).
    rows.extend(billed_as_quoted(inv, &heavier, &heavier.tracking));
    let scc = Charge {
        invoice: inv,
        tracking: &heavier.tracking,
        reference: &heavier.reference,
        category: "ADJ",
        detail: "SCC",
        class: "FRT",
        code: "003",
        description: "Shipping Charge Correction Ground",
        net: Decimal::new(800, 2),
        incentive: Decimal::ZERO,
        billed_lb: "15.0",
        basis: Decimal::ZERO,
    };
    rows.push(scc.row());
    rows.push(
        Charge {
            class: "FSC",
            code: "FSC",
            description: "Shipping Charge Correction Fuel Surcharge",
            net: Decimal::new(120, 2),
            ..scc
        }
        .row(),
    );
    // A residential surcharge on a commercial address.
    rows.extend(billed_as_quoted(inv, &residential, &residential.tracking));
    rows.push(
        Charge {
            invoice: inv,
            tracking: &residential.tracking,
            reference: &residential.reference,
            category: "SHP",
            detail: "",
            class: "ACC",
            code: "RES",
            description: "Residential Surcharge",
            net: Decimal::new(550, 2),
            incentive: Decimal::ZERO,
            billed_lb: "0.0",
            basis: Decimal::ZERO,
        }
        .row(),
    );
    // A voided label billed.
    rows.extend(billed_as_quoted(inv, &voided, &voided.tracking));
    // Freight 3.00 over the quote (and its fuel at the table's 15 %).
    let mut over = overbilled.clone();
    over.base += Decimal::new(300, 2);
    over.fuel = (over.base * Decimal::new(15, 2)).round_dp(2);
    rows.extend(billed_as_quoted(inv, &over, &overbilled.tracking));
    // A package billed under a number we never issued but our reference: matched, clean.
    rows.extend(billed_as_quoted(inv, &by_reference, "1ZSIM9990312345675"));
    // Fuel at 18 % of the base instead of the 15 % table.
    let mut high = fuel_high.clone();
    high.fuel = (fuel_high.base * Decimal::new(18, 2)).round_dp(2);
    rows.extend(billed_as_quoted(inv, &high, &fuel_high.tracking));
    // Nobody here bought this one.
    let stranger = Bought {
        id: String::new(),
        tracking: "1ZZZZ9990398765437".into(),
        reference: "NOT-OURS".into(),
        base: Decimal::new(1500, 2),
        fuel: Decimal::new(225, 2),
    };
    rows.extend(billed_as_quoted(inv, &stranger, &stranger.tracking));
    // An unreadable row: its line number must be reported, the rest imported.
    let bad_line = rows.len() + 1;
    rows.push(rows[0].replace(&clean.base.to_string(), "12.5O"));
    let file = rows.join("\n") + "\n";

    // Import.
    let (s, started) = upload(&api, "carrier=ups", &file, Some("inv-470")).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let id = started["id"].as_str().unwrap().to_string();
    let rec = settled(&api, &id).await;
    assert_eq!(rec["status"], "completed", "{rec}");
    assert_eq!(rec["lines"], rows.len(), "{rec}");
    assert_eq!(rec["packages"], 9, "{rec}");
    assert_eq!(rec["error_count"], 1, "{rec}");
    let errors = rec["summary"]["import"]["errors"].as_array().unwrap();
    assert_eq!(errors[0]["line"], bad_line, "{rec}");

    let (s, csv_bytes) = api
        .bytes(&format!("/v1/reconciliations/{id}/report.csv"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let report = String::from_utf8(csv_bytes.clone()).unwrap();
    let found = reasons_by_tracking(&report);
    let set = |codes: &[&str]| codes.iter().map(|c| c.to_string()).collect::<BTreeSet<_>>();
    let expected: BTreeMap<String, BTreeSet<String>> = [
        (clean.tracking.clone(), set(&[])),
        (rebilled.tracking.clone(), set(&[])),
        (heavier.tracking.clone(), set(&["weight_adjustment"])),
        (residential.tracking.clone(), set(&["residential_fee"])),
        (voided.tracking.clone(), set(&["billed_after_void"])),
        (
            overbilled.tracking.clone(),
            set(&["base_rate_off_contract"]),
        ),
        ("1ZSIM9990312345675".to_string(), set(&[])),
        (fuel_high.tracking.clone(), set(&["fuel_off_table"])),
        (stranger.tracking.clone(), set(&["unknown_shipment"])),
    ]
    .into_iter()
    .collect();
    assert_eq!(found, expected, "report:\n{report}");

    // Recoverable amounts: weight 9.20, residential 5.50, the voided label whole, freight
    // 3.00, fuel 3 points of the base, the unknown package whole.
    let recoverable = dec(&rec["summary"]["report"]["total"]["recoverable"]);
    let three_points = (fuel_high.base * Decimal::new(3, 2)).round_dp(2);
    let want = Decimal::new(920, 2)
        + Decimal::new(550, 2)
        + (voided.base + voided.fuel)
        + Decimal::new(300, 2)
        + three_points
        + (stranger.base + stranger.fuel);
    assert_eq!(recoverable, want, "{rec}");

    // The other reports.
    let (s, json_report) = api
        .get(&format!("/v1/reconciliations/{id}/report.json"))
        .await;
    assert_eq!(s, StatusCode::OK, "{json_report}");
    let (s, dispute) = api
        .bytes(&format!("/v1/reconciliations/{id}/dispute.csv"))
        .await;
    assert_eq!(s, StatusCode::OK);
    let dispute = String::from_utf8(dispute).unwrap();
    for t in [&heavier.tracking, &voided.tracking, &overbilled.tracking] {
        assert!(dispute.contains(t.as_str()), "{t} not disputed:\n{dispute}");
    }
    assert!(
        !dispute.contains(&clean.tracking),
        "clean package disputed:\n{dispute}"
    );
    let (s, pdf) = api
        .bytes(&format!("/v1/reconciliations/{id}/report.pdf"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(pdf.starts_with(b"%PDF"));
    if common::tools_present(&["pdftotext"]) {
        let text = common::pdf_text(&pdf);
        assert!(
            text.contains(&recoverable.to_string()),
            "total missing:\n{text}"
        );
        assert!(text.contains(&voided.tracking), "top line missing:\n{text}");
    }

    // Completion is an event for subscribers.
    let (_, events) = api.get("/v1/events?type=reconciliation.completed").await;
    assert!(
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["data"]["id"] == id.as_str()),
        "{events}"
    );

    // The same file again: the same answer with the same key, refused without.
    let (s, again) = upload(&api, "carrier=ups", &file, Some("inv-470")).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(again["id"], id.as_str());
    let (s, refused) = upload(&api, "carrier=ups", &file, None).await;
    assert_eq!(s, StatusCode::CONFLICT, "{refused}");
    assert!(
        refused["detail"].as_str().unwrap().contains(&id),
        "{refused}"
    );

    // The CLI audits the first file the same way (re-reading an invoice is not billing twice).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("invoice.csv");
    std::fs::write(&path, &file).unwrap();
    let out_csv = dir.path().join("report.csv");
    let out = audit_cli(&path, &[], &out_csv, &hub.db_url);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{} lines", rows.len())),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("line {bad_line}:")), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&out_csv).unwrap(),
        report,
        "the CLI's report differs from the API's"
    );

    // A later invoice billing one package again is a duplicate.
    let second: String =
        billed_as_quoted("000000A1B2C3480", &rebilled, &rebilled.tracking).join("\n");
    let (s, started) = upload(&api, "carrier=ups", &second, None).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let id2 = started["id"].as_str().unwrap().to_string();
    let rec2 = settled(&api, &id2).await;
    assert_eq!(rec2["status"], "completed", "{rec2}");
    let (_, csv2) = api
        .bytes(&format!("/v1/reconciliations/{id2}/report.csv"))
        .await;
    let found2 = reasons_by_tracking(&String::from_utf8(csv2).unwrap());
    assert_eq!(found2[&rebilled.tracking], set(&["duplicate_billing"]));

    // Per-tenant tolerance: with 5.00 absolute, the 3.00 freight overcharge is no finding.
    let (s, _) = api
        .put(
            "/v1/audit-settings",
            json!({"tolerances": {"amount": "5.00"}, "fuel": [{"carrier": "ups", "from": "2026-01-01", "percent": "15"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    audit_cli(&path, &["--quiet"], &out_csv, &hub.db_url);
    let tolerant = reasons_by_tracking(&std::fs::read_to_string(&out_csv).unwrap());
    assert_eq!(tolerant[&overbilled.tracking], set(&[]));
    assert_eq!(tolerant[&heavier.tracking], set(&["weight_adjustment"]));
    // Invoice 480 (recorded above) billed this package after 470 did: re-auditing 470 does not
    // call its line the duplicate of the later one.
    assert_eq!(tolerant[&rebilled.tracking], set(&[]));
}

/// The invoice layout is parsed in one place (`InvoiceCarrier::from_layout`) for the API and the
/// CLI: `other` names a carrier in the settings but is no file layout, and the answers keep
/// their words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_layouts_are_named_and_other_is_not_one() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    for (query, pointer, detail) in [
        (
            "",
            "/query/carrier",
            "required: ups, fedex, dhl_express or generic",
        ),
        (
            "carrier=other",
            "/query/carrier",
            "`other`: must be ups, fedex, dhl_express or generic",
        ),
        (
            "carrier=dhl_express&currency=EUR",
            "/query/currency",
            "only FedEx files need a currency",
        ),
    ] {
        let (s, p) = upload(&api, query, "x\n", None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {p}");
        assert_eq!(p["errors"][0]["pointer"], pointer, "{query}: {p}");
        assert_eq!(p["errors"][0]["detail"], detail, "{query}: {p}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("invoice.csv");
    std::fs::write(&file, "x\n").unwrap();
    let out = dir.path().join("report.csv");
    for (carrier, extra, said) in [
        (
            "other",
            &[][..],
            "--carrier other: must be ups, fedex, dhl_express or generic",
        ),
        (
            "ups",
            &["--currency", "EUR"][..],
            "--currency is for FedEx files only",
        ),
        (
            "fedex",
            &["--mapping", "m.toml"][..],
            "--mapping is for --carrier generic only",
        ),
    ] {
        let mut args = vec!["audit", file.to_str().unwrap(), "--carrier", carrier];
        args.extend_from_slice(extra);
        args.extend([
            "--out",
            out.to_str().unwrap(),
            "--database-url",
            &hub.db_url,
        ]);
        let run = Command::new(common::binary()).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{carrier}: {stderr}");
        assert!(stderr.contains(said), "{carrier}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_name_the_field_and_keep_nothing() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    for (query, pointer) in [
        ("", "/query/carrier"),
        ("carrier=royal_mail", "/query/carrier"),
        ("carrier=generic", "/query/mapping"),
        ("carrier=generic&mapping=nope", "/query/mapping"),
        ("carrier=ups&currency=EUR", "/query/currency"),
        ("carrier=fedex&currency=XXX", "/query/currency"),
        ("carrier=ups&rate_card=missing", "/query/rate_card"),
    ] {
        let (s, p) = upload(&api, query, "x\n", None).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {p}");
        assert_eq!(p["errors"][0]["pointer"], pointer, "{query}: {p}");
    }
    let (s, p) = upload(&api, "carrier=ups", "", None).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (s, p) = api
        .put(
            "/v1/audit-settings",
            json!({"tolerances": {"amount": "-1"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["pointer"], "/tolerances/amount", "{p}");
    let (s, p) = api
        .put(
            "/v1/audit-settings",
            json!({"contract_cards": {"ups": "nope"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["pointer"], "/contract_cards/ups", "{p}");
    let (_, list) = api.get("/v1/reconciliations").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0, "{list}");

    // A file that is not the layout at all: the reconciliation fails (issue 14: no audit of
    // nothing), naming the rows it could not read with their lines.
    let (s, started) = upload(&api, "carrier=ups", "a,b\nc,d,e\n", None).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let rec = settled(&api, started["id"].as_str().unwrap()).await;
    assert_eq!(rec["status"], "failed", "{rec}");
    let failure = rec["failure"].as_str().unwrap();
    assert!(
        failure.contains("line 1:") && failure.contains("line 2:"),
        "{rec}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mapped_csv_is_reconciled_against_any_carriers_shipments() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let boot: Value = serde_json::from_str(&hub.stdout[0]).unwrap();
    let api = Api::of(&hub);
    let mut body = shipment("PO-1");
    body["carrier_account"] = boot["carrier_account"].clone();
    body["service"] = json!("standard");
    let b = api.created("/v1/shipments", body).await;
    let tracking = b["tracking_number"].as_str().unwrap();

    // A bad mapping is refused with the reason; a good one is stored.
    let put = |text: &'static str| {
        api.http
            .put(format!("{}/v1/invoice-mappings/regional", api.base))
            .bearer_auth(&api.key)
            .body(text)
            .send()
    };
    let res = put("carrier = \"other\"\n[columns]\ntracking_number = \"Tracking\"\n")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = res.json().await.unwrap();
    assert!(
        p["detail"].as_str().unwrap().contains("invoice_number"),
        "{p}"
    );
    let mapping = "carrier = \"other\"\ncurrency = \"USD\"\ndelimiter = \";\"\n\
        [columns]\ntracking_number = \"Tracking\"\ninvoice_number = \"Invoice\"\n\
        invoice_date = \"Date\"\ncharge_code = \"Code\"\ncharge_amount = \"Amount\"\n\
        [codes]\nbase = \"base\"\nfuel = \"fuel\"\nsurcharge = \"surcharge\"\n";
    let res = put(mapping).await.unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    // The purchase's own charges, one row each (billed as quoted), plus a package nobody bought.
    let mut file = String::from("Tracking;Invoice;Date;Code;Amount\n");
    for c in b["breakdown"].as_array().unwrap() {
        let kind = c["kind"].as_str().unwrap();
        file += &format!(
            "{tracking};R-1;2026-11-21;{kind};{}\n",
            c["amount"]["amount"].as_str().unwrap()
        );
    }
    file += "UNKNOWN-1;R-1;2026-11-21;base;9.99\n";
    let (s, started) = upload(&api, "carrier=generic&mapping=regional", &file, None).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let rec = settled(&api, started["id"].as_str().unwrap()).await;
    assert_eq!(rec["status"], "completed", "{rec}");
    assert_eq!(rec["carrier"], "generic");
    let id = rec["id"].as_str().unwrap();
    let (_, csv_bytes) = api
        .bytes(&format!("/v1/reconciliations/{id}/report.csv"))
        .await;
    let found = reasons_by_tracking(&String::from_utf8(csv_bytes).unwrap());
    assert_eq!(found[tracking], BTreeSet::new(), "{found:?}");
    assert_eq!(
        found["UNKNOWN-1"],
        ["unknown_shipment".to_string()].into_iter().collect()
    );
    assert_eq!(
        dec(&rec["summary"]["report"]["total"]["recoverable"]),
        Decimal::new(999, 2)
    );

    // Invoice files are far above the API's 1 MiB body limit: streamed, not refused.
    let mut big = String::from("Tracking;Invoice;Date;Code;Amount;Note\n");
    let note = "x".repeat(80);
    for i in 0..12_000 {
        big += &format!("NOBODY-{i:06};R-2;2026-11-21;base;1.00;{note}\n");
    }
    assert!(big.len() > 1 << 20);
    let (s, started) = upload(&api, "carrier=generic&mapping=regional", &big, None).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{started}");
    let rec = settled(&api, started["id"].as_str().unwrap()).await;
    assert_eq!(rec["status"], "completed", "{rec}");
    assert_eq!(rec["packages"], 12_000, "{rec}");
    assert_eq!(
        dec(&rec["summary"]["report"]["total"]["recoverable"]),
        Decimal::new(12_000, 0)
    );
}
