//! Chinese labels through the real binary (issue 17): a sandbox shipment within China
//! (Wuhan → Xiangyang) with Chinese names and addresses gets the 100×150 mm e-waybill by
//! default, whose text reads back with `pdftotext` and whose barcode decodes with `zbarimg`;
//! an explicit stock wins; a ZPL station with a printer font gets `^A@` naming it.

mod common;

use base64::Engine;
use common::{Api, decode_pdf_barcodes, tools_present};
use serde_json::{Value, json};

fn purchase(account: &str, format: &str, station: Option<&str>) -> Value {
    let mut body = json!({
        "from": {"name": "李四", "street": ["光谷大道77号金融港B座"], "city": "武汉市",
                 "district": "洪山区", "state": "湖北省", "postal_code": "430074",
                 "country": "CN", "phone": "13912345678"},
        "to": {"name": "张三", "street": ["人民路15号幸福小区3栋2单元501室"], "city": "襄阳市",
               "district": "樊城区", "state": "湖北省", "postal_code": "441000",
               "country": "CN", "phone": "13800138000"},
        "parcels": [{"weight": {"value": "1.2", "unit": "kg"}, "description": "服装"}],
        "carrier_account": account, "service": "standard", "label_format": format
    });
    if let Some(s) = station {
        body["print_station"] = json!(s);
    }
    body
}

/// Page width and height in mm of the first MediaBox.
fn page_mm(pdf: &[u8]) -> (f64, f64) {
    let text = String::from_utf8_lossy(pdf);
    let inner = text
        .split("/MediaBox")
        .nth(1)
        .and_then(|p| p.trim_start().strip_prefix('['))
        .and_then(|p| p.split(']').next())
        .expect("an uncompressed MediaBox");
    let n: Vec<f64> = inner
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    ((n[2] - n[0]) / 72.0 * 25.4, (n[3] - n[1]) / 72.0 * 25.4)
}

/// pdftotext in content-stream order (`-raw`): one line per baseline as the layout drew it.
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("label.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-raw", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

fn squeeze(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[tokio::test]
async fn a_shipment_within_china_gets_a_chinese_e_waybill_that_reads_back_and_scans() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let (status, s) = api
        .post("/v1/shipments", purchase(&api.account, "pdf", None))
        .await;
    assert_eq!(status, 201, "{s}");
    let id = s["id"].as_str().unwrap();
    let tracking = s["tracking_number"].as_str().unwrap().to_string();

    let (status, pdf) = api
        .bytes(&format!("/v1/shipments/{id}/label?format=pdf"))
        .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    let (w, h) = page_mm(&pdf);
    assert!(
        (w - 100.0).abs() < 0.5 && (h - 150.0).abs() < 0.5,
        "{w} × {h} mm: cn_100x150 is the default within China"
    );
    let (status, explicit) = api
        .bytes(&format!(
            "/v1/shipments/{id}/label?format=pdf&stock=cn_100x150"
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(explicit, pdf, "the default is the named stock");

    if tools_present(&["pdftotext", "pdftoppm", "zbarimg"]) {
        let raw = pdf_text(&pdf);
        assert!(
            raw.lines().any(|l| l.trim() == "收 张三 138****8000"),
            "{raw}"
        );
        let text = squeeze(&raw);
        for expected in [
            "收",
            "张三138****8000",
            "湖北省襄阳市樊城区人民路15号幸福小区3栋2单元501室",
            "寄",
            "李四139****5678",
            "湖北省武汉市洪山区光谷大道77号金融港B座",
            "托寄物：服装",
            "签收人：",
            tracking.as_str(),
        ] {
            assert!(text.contains(expected), "{expected} not in {text}");
        }
        assert!(
            decode_pdf_barcodes(&pdf).contains(&tracking),
            "the waybill barcode"
        );
    }

    // An explicit stock wins over the default.
    let (status, four_by_six) = api
        .bytes(&format!("/v1/shipments/{id}/label?format=pdf&stock=4x6"))
        .await;
    assert_eq!(status, 200);
    let (w, h) = page_mm(&four_by_six);
    assert!(
        (w - 101.6).abs() < 0.5 && (h - 152.4).abs() < 0.5,
        "{w} × {h}"
    );
    if tools_present(&["pdftotext"]) {
        let text = pdf_text(&four_by_six);
        assert!(text.lines().any(|l| l.trim() == "张三"), "{text}");
        assert!(
            text.lines()
                .any(|l| l.trim() == "湖北省襄阳市樊城区 441000"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_zpl_station_with_a_printer_font_gets_chinese_as_ci28_and_a_at() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let (status, bad) = api
        .post(
            "/v1/print-stations",
            json!({"name": "Dock CN", "format": "zpl", "printer_font": "E:SIM^XZ.TTF"}),
        )
        .await;
    assert_eq!(status, 422, "{bad}");
    assert!(bad.to_string().contains("printer_font"), "{bad}");

    let station = api
        .created(
            "/v1/print-stations",
            json!({"name": "Dock CN", "format": "zpl", "stock": "cn_100x150", "printer_font": "E:SIMSUN.TTF"}),
        )
        .await;
    assert_eq!(station["printer_font"], "E:SIMSUN.TTF");
    assert_eq!(station["stock"], "cn_100x150");
    let sid = station["id"].as_str().unwrap();
    let token = station["token"].as_str().unwrap();
    let listed = api.get_ok(&format!("/v1/print-stations/{sid}")).await;
    assert_eq!(listed["printer_font"], "E:SIMSUN.TTF");

    let (status, s) = api
        .post("/v1/shipments", purchase(&api.account, "zpl", Some(sid)))
        .await;
    assert_eq!(status, 201, "{s}");
    let res = api
        .http
        .get(format!("{}/v1/print-stations/self/jobs", api.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let jobs: Value = res.json().await.unwrap();
    let job = &jobs["jobs"][0];
    let zpl = base64::engine::general_purpose::STANDARD
        .decode(job["document"]["content"].as_str().unwrap())
        .unwrap();
    let zpl = String::from_utf8(zpl).unwrap();
    assert!(zpl.starts_with("^XA\n^CI28\n"), "{zpl}");
    let name = zpl
        .lines()
        .find(|l| l.contains("张三"))
        .expect("the name as UTF-8 text");
    assert!(
        name.contains("^A@N,") && name.contains(",E:SIMSUN.TTF^FH_^FD张三"),
        "{name}"
    );
    assert!(
        !zpl.contains("^GFA"),
        "no glyph graphics on a station with the font"
    );
}
