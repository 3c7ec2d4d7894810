//! Issue 19: a carrier label fetched in another format is converted once. A UPS label bought
//! as ZPL from the UPS simulator and fetched as PDF by many clients at once is converted by one
//! of them (single-flight), stored, and served byte for byte afterwards, also by a restarted
//! hub (the conversion count is `shiphub_label_conversions_total`, per process).

mod common;

use std::net::SocketAddr;

use reqwest::StatusCode;
use serde_json::json;
use shiphub_e2e::sim::{self, Sim};

fn conversions(metrics: &str, format: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("shiphub_label_conversions_total")
                && l.contains(&format!("format=\"{format}\""))
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn fetch(api: &common::Api, path: &str) -> Vec<u8> {
    let res = api.fetch(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.bytes().await.unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_converted_carrier_label_is_made_once_and_served_as_stored() {
    let ups = sim::serve(
        sim::ups::router(Sim::default()),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let mut hub = common::start(tempfile::tempdir().unwrap());
    let api = common::Api::of(&hub);
    let account = api
        .create_account(common::ups_account(&format!("http://{ups}")))
        .await;
    let bought = api
        .created(
            "/v1/shipments",
            json!({"from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US","phone":"+14045550100"},
                   "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US","residential":true,"phone":"+14155550100"},
                   "parcels":[{"weight":{"value":"2.5","unit":"kg"},"dimensions":{"length":"30","width":"20","height":"10","unit":"cm"}}],
                   "carrier_account": account, "service": "03", "label_format": "zpl"}),
        )
        .await;
    let label = format!("/v1/shipments/{}/label", bought["id"].as_str().unwrap());
    let pdf_path = format!("{label}?format=pdf");

    // Sixteen first fetches at once: one conversion, the same bytes for all.
    let firsts: Vec<Vec<u8>> = futures_join(&api, &pdf_path, 16).await;
    let pdf = firsts[0].clone();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    assert!(
        firsts.iter().all(|b| *b == pdf),
        "every caller got the one rendition"
    );
    assert_eq!(fetch(&api, &pdf_path).await, pdf, "served as stored");
    let m = api.text("/metrics").await;
    assert_eq!(conversions(&m, "pdf"), 1.0, "{m}");

    // Another rendition of the same label is a conversion of its own; the carrier's own
    // format is served as issued, no conversion.
    let tall = fetch(&api, &format!("{label}?format=pdf&stock=4x8")).await;
    assert_ne!(tall, pdf);
    let zpl = fetch(&api, &format!("{label}?format=zpl")).await;
    assert!(String::from_utf8(zpl).unwrap().contains("^XA"));
    let m = api.text("/metrics").await;
    assert_eq!(conversions(&m, "pdf"), 2.0, "{m}");
    assert_eq!(conversions(&m, "zpl"), 0.0, "{m}");

    // A restarted hub serves the stored renditions without converting.
    hub.restart();
    assert_eq!(fetch(&api, &pdf_path).await, pdf);
    assert_eq!(
        fetch(&api, &format!("{label}?format=pdf&stock=4x8")).await,
        tall
    );
    let m = api.text("/metrics").await;
    assert_eq!(conversions(&m, "pdf"), 0.0, "{m}");
}

/// `n` concurrent GETs of `path`.
async fn futures_join(api: &common::Api, path: &str, n: usize) -> Vec<Vec<u8>> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (http, url, key) = (
                api.http.clone(),
                format!("{}{path}", api.base),
                api.key.clone(),
            );
            tokio::spawn(async move {
                let res = http.get(url).bearer_auth(key).send().await.unwrap();
                assert_eq!(res.status(), StatusCode::OK);
                res.bytes().await.unwrap().to_vec()
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}
