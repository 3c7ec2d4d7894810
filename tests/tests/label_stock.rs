//! Label stock and resolution through the real binary (issue 15): `GET …/label?stock=&dpi=`,
//! print stations and print jobs. Sizes are checked in the documents themselves: a PDF page's
//! MediaBox in points, ZPL `^PW`/`^LL` in the printhead's dots, a PNG's pixel size.

mod common;

use common::{Api, pointer};

use base64::Engine;
use serde_json::{Value, json};

async fn label(api: &Api, id: &str, query: &str) -> Vec<u8> {
    let (status, body) = api
        .bytes(&format!("/v1/shipments/{id}/label?{query}"))
        .await;
    assert_eq!(status, 200, "{query}: {}", String::from_utf8_lossy(&body));
    body
}

async fn refused(api: &Api, path: &str) -> Value {
    let (status, body) = api.bytes(path).await;
    assert_eq!(status, 422, "{path}: {}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

/// Creates a station: (answer, token).
async fn station(api: &Api, body: Value) -> (Value, String) {
    let s = api.created("/v1/print-stations", body).await;
    let token = s["token"].as_str().unwrap().to_string();
    (s, token)
}

/// The station's agent polls once: its jobs.
async fn poll(api: &Api, token: &str) -> Vec<Value> {
    poll_reporting(api, token, "").await
}

/// A poll that reports the agent's printer (`printer_language=zpl&dpi=300`).
async fn poll_reporting(api: &Api, token: &str, query: &str) -> Vec<Value> {
    let res = api
        .http
        .get(format!("{}/v1/print-stations/self/jobs?{query}", api.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["jobs"].as_array().unwrap().clone()
}

/// Width and height in points of every page's MediaBox, in file order.
fn media_boxes(pdf: &[u8]) -> Vec<(f64, f64)> {
    let text = String::from_utf8_lossy(pdf);
    let mut out = vec![];
    for part in text.split("/MediaBox").skip(1) {
        let inner = part
            .trim_start()
            .strip_prefix('[')
            .and_then(|p| p.split(']').next())
            .expect("MediaBox [x0 y0 x1 y1]");
        let n: Vec<f64> = inner
            .split_whitespace()
            .map(|v| v.parse().unwrap())
            .collect();
        out.push((n[2] - n[0], n[3] - n[1]));
    }
    assert!(!out.is_empty(), "no uncompressed MediaBox in the PDF");
    out
}

/// Inches or millimetres → PDF points.
fn pt_in(inches: f64) -> f64 {
    inches * 72.0
}
fn pt_mm(mm: f64) -> f64 {
    mm / 25.4 * 72.0
}

fn assert_page(pdf: &[u8], w: f64, h: f64, what: &str) {
    assert!(pdf.starts_with(b"%PDF"), "{what}: not a PDF");
    for (pw, ph) in media_boxes(pdf) {
        assert!(
            (pw - w).abs() < 0.5 && (ph - h).abs() < 0.5,
            "{what}: page {pw} × {ph} pt, want {w} × {h}"
        );
    }
}

/// `^PW` and `^LL` of every label in a ZPL stream.
fn zpl_sizes(zpl: &[u8]) -> Vec<(u32, u32)> {
    let text = String::from_utf8_lossy(zpl);
    let num = |label: &str, cmd: &str| -> u32 {
        let at = label
            .find(cmd)
            .unwrap_or_else(|| panic!("{cmd} missing: {label}"));
        label[at + 3..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    };
    text.split("^XZ")
        .filter(|l| l.contains("^XA"))
        .map(|l| (num(l, "^PW"), num(l, "^LL")))
        .collect()
}

fn assert_zpl(zpl: &[u8], w: u32, h: u32, what: &str) {
    let sizes = zpl_sizes(zpl);
    assert!(!sizes.is_empty(), "{what}: no label");
    assert!(
        sizes.iter().all(|&s| s == (w, h)),
        "{what}: {sizes:?}, want {w} × {h}"
    );
}

/// A PNG's size from its IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&png[16..20]), be(&png[20..24]))
}

/// Within 2 %: ZPL renderers draw 203 and 300 dpi as the printheads' 8 and 12 dots per mm
/// (203.2 and 304.8 dpi), so a preview is a dot or a few off the nominal inch count; the
/// stocks and resolutions differ from each other by far more.
fn assert_png(png: &[u8], w_in: f64, h_in: f64, dpi: f64, what: &str) {
    let (w, h) = png_size(png);
    let (ew, eh) = (w_in * dpi, h_in * dpi);
    assert!(
        (f64::from(w) / ew - 1.0).abs() < 0.02 && (f64::from(h) / eh - 1.0).abs() < 0.02,
        "{what}: {w} × {h} px, want about {ew} × {eh}"
    );
}

fn document(job: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(job["document"]["content"].as_str().unwrap())
        .unwrap()
}

#[tokio::test]
async fn a_label_comes_on_the_asked_stock_at_the_asked_resolution() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let id = api.buy_sandbox(None).await["id"]
        .as_str()
        .unwrap()
        .to_string();

    // PDF: the page is the stock (sheets: the office paper).
    let pdf = |q: &'static str| label(&api, &id, q);
    assert_page(&pdf("format=pdf").await, pt_in(4.0), pt_in(6.0), "default");
    assert_page(
        &pdf("format=pdf&stock=4x6").await,
        pt_in(4.0),
        pt_in(6.0),
        "4x6",
    );
    assert_page(
        &pdf("format=pdf&stock=4x8").await,
        pt_in(4.0),
        pt_in(8.0),
        "4x8",
    );
    assert_page(
        &pdf("format=pdf&stock=a6").await,
        pt_mm(105.0),
        pt_mm(148.0),
        "a6",
    );
    assert_page(
        &pdf("format=pdf&stock=letter-2up").await,
        pt_in(8.5),
        pt_in(11.0),
        "letter",
    );
    assert_page(
        &pdf("format=pdf&stock=a4-2up").await,
        pt_mm(210.0),
        pt_mm(297.0),
        "a4",
    );

    // ZPL: print width and label length in the printhead's dots (inches × dpi).
    assert_zpl(&pdf("format=zpl").await, 812, 1218, "zpl default");
    assert_zpl(
        &pdf("format=zpl&stock=4x6&dpi=300").await,
        1200,
        1800,
        "4x6 300",
    );
    assert_zpl(
        &pdf("format=zpl&stock=4x8&dpi=203").await,
        812,
        1624,
        "4x8 203",
    );
    assert_zpl(
        &pdf("format=zpl&stock=4x8&dpi=300").await,
        1200,
        2400,
        "4x8 300",
    );
    // A6 is 105 × 148 mm: 105 / 25.4 × 300 = 1240.2, 148 / 25.4 × 300 = 1748.0
    assert_zpl(
        &pdf("format=zpl&stock=a6&dpi=300").await,
        1240,
        1748,
        "a6 300",
    );

    // PNG: the pixels a printer of that resolution would print.
    assert_png(&pdf("format=png").await, 4.0, 6.0, 203.0, "png default");
    assert_png(&pdf("format=png&dpi=300").await, 4.0, 6.0, 300.0, "png 300");
    assert_png(
        &pdf("format=png&stock=4x8&dpi=300").await,
        4.0,
        8.0,
        300.0,
        "png 4x8",
    );

    // Unknown values, and sheets in a thermal format, are 422s naming the parameter.
    let base = format!("/v1/shipments/{id}/label");
    for (query, at) in [
        ("stock=5x7", "/query/stock"),
        ("stock=4X6", "/query/stock"),
        ("dpi=600", "/query/dpi"),
        ("dpi=high", "/query/dpi"),
        ("format=zpl&stock=letter-2up", "/query/stock"),
        ("format=png&stock=a4-2up", "/query/stock"),
    ] {
        let p = refused(&api, &format!("{base}?{query}")).await;
        assert_eq!(pointer(&p), at, "{query}: {p}");
    }
}

#[tokio::test]
async fn stations_and_jobs_render_in_the_printers_language_stock_and_resolution() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);

    // A 300 dpi Zebra loaded with 4×8 labels.
    let (zebra, zebra_token) = station(
        &api,
        json!({"name": "Dock 2 Zebra", "format": "zpl", "stock": "4x8", "dpi": 300}),
    )
    .await;
    assert_eq!(
        (&zebra["format"], &zebra["stock"], &zebra["dpi"]),
        (&json!("zpl"), &json!("4x8"), &json!(300))
    );
    assert_eq!(zebra["printer_reported"], false);
    let zebra_id = zebra["id"].as_str().unwrap();

    // Unknown values and impossible combinations name the field.
    for (body, at) in [
        (json!({"name": "x", "stock": "5x7"}), "/stock"),
        (json!({"name": "x", "dpi": 600}), "/dpi"),
        (json!({"name": "x", "dpi": "300"}), "/dpi"),
        (
            json!({"name": "x", "format": "zpl", "stock": "a4-2up"}),
            "/stock",
        ),
    ] {
        let (status, p) = api.post("/v1/print-stations", body.clone()).await;
        assert_eq!(status, 422, "{body}: {p}");
        assert_eq!(pointer(&p), at, "{body}: {p}");
    }

    // A job takes the station's stock and resolution by default, or another stock.
    let shipment = api.buy_sandbox(None).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let job = api
        .created(
            "/v1/print-jobs",
            json!({"shipment_id": shipment, "station_id": zebra_id}),
        )
        .await;
    assert_eq!(
        (&job["format"], &job["stock"], &job["dpi"]),
        (&json!("zpl"), &json!("4x8"), &json!(300))
    );
    let a6 = api
        .created(
            "/v1/print-jobs",
            json!({"shipment_id": shipment, "station_id": zebra_id, "stock": "a6", "dpi": 300}),
        )
        .await;
    assert_eq!(a6["stock"], "a6");

    // What the printer cannot print is refused when the job is created, never at the printer.
    for (extra, at) in [
        (json!({"format": "pdf"}), "/format"),
        (json!({"format": "png"}), "/format"),
        (json!({"stock": "letter-2up"}), "/stock"),
        (json!({"stock": "6x4"}), "/stock"),
        (json!({"dpi": 203}), "/dpi"),
        (json!({"dpi": 250}), "/dpi"),
    ] {
        let mut body = json!({"shipment_id": shipment, "station_id": zebra_id});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let (status, p) = api.post("/v1/print-jobs", body.clone()).await;
        assert_eq!(status, 422, "{body}: {p}");
        assert_eq!(pointer(&p), at, "{body}: {p}");
    }

    // The agent gets each job drawn for its stock at 300 dpi, and is told the stock.
    let jobs = poll(&api, &zebra_token).await;
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["format"], "zpl");
    assert_eq!(
        (&jobs[0]["stock"], &jobs[0]["dpi"]),
        (&json!("4x8"), &json!(300))
    );
    assert_zpl(
        &document(&jobs[0]),
        1200,
        2400,
        "station default 4x8 at 300",
    );
    assert_eq!(jobs[1]["stock"], "a6");
    assert_zpl(&document(&jobs[1]), 1240, 1748, "job's a6 at 300");

    // Print on purchase takes the station's stock too.
    let bought = api.buy_sandbox(Some(zebra_id)).await;
    let job_id = bought["print_job"].as_str().unwrap();
    let (_, j) = api.bytes(&format!("/v1/print-jobs/{job_id}")).await;
    let j: Value = serde_json::from_slice(&j).unwrap();
    assert_eq!(
        (&j["format"], &j["stock"], &j["dpi"]),
        (&json!("zpl"), &json!("4x8"), &json!(300))
    );

    // An office printer takes sheets: two labels to an A4 page.
    let (office, office_token) = station(
        &api,
        json!({"name": "Office", "format": "pdf", "stock": "a4-2up"}),
    )
    .await;
    api.created(
        "/v1/print-jobs",
        json!({"shipment_id": shipment, "station_id": office["id"]}),
    )
    .await;
    api.created(
        "/v1/print-jobs",
        json!({"shipment_id": shipment, "station_id": office["id"], "stock": "letter-2up"}),
    )
    .await;
    let jobs = poll(&api, &office_token).await;
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["document"]["media_type"], "application/pdf");
    assert_page(&document(&jobs[0]), pt_mm(210.0), pt_mm(297.0), "a4 job");
    assert_page(&document(&jobs[1]), pt_in(8.5), pt_in(11.0), "letter job");

    // Its agent says the printer takes ZPL: an A4 sheet cannot print there, so print on
    // purchase is refused before anything is bought.
    poll_reporting(&api, &office_token, "printer_language=zpl").await;
    let (_, before) = api.bytes("/v1/shipments?limit=100").await;
    let before = serde_json::from_slice::<Value>(&before).unwrap()["data"]
        .as_array()
        .unwrap()
        .len();
    let (status, p) = api
        .post(
            "/v1/shipments",
            json!({
                "from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
                "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US"},
                "parcels":[{"weight":{"value":"1.2","unit":"kg"}}],
                "carrier_account": api.account, "service": "standard", "print_station": office["id"]
            }),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(pointer(&p), "/print_station", "{p}");
    let (_, after) = api.bytes("/v1/shipments?limit=100").await;
    let after = serde_json::from_slice::<Value>(&after).unwrap()["data"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(after, before, "nothing was bought");
}
