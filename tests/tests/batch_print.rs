//! A batch's labels printed as ONE job, against the real hub and the real print agent
//! (`shiphub-print-agent --once` into a folder): a 20-item sandbox batch with one item the
//! sandbox rejects (`REJECT` in its reference) asked to print on a PDF station when it
//! completes, and another printed later on a ZPL station through
//! `POST /v1/batches/{id}/print` (idempotent, two copies). The agent receives one job whose
//! document holds exactly the bought labels (pages counted with `pdfinfo`, `^XA` counted in
//! ZPL) in the order asked.

mod common;

use common::Api;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// A sandbox item with reference `reference`.
fn sandbox_item(account: &str, reference: &str) -> Value {
    let mut body = common::sandbox_pdf_purchase(account, None);
    let o = body.as_object_mut().unwrap();
    o.remove("label_format");
    o.insert("reference".into(), json!(reference));
    body
}

/// 20 items, references shuffled; item 6's reference makes the sandbox reject it.
fn twenty_items(account: &str) -> Vec<Value> {
    (0..20)
        .map(|i| {
            let reference = if i == 6 {
                "REJECT-ord".to_string()
            } else {
                format!("ord-{:02}", (i * 7) % 20)
            };
            sandbox_item(account, &reference)
        })
        .collect()
}

async fn completed(api: &Api, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let b = api.get_ok(&format!("/v1/batches/{id}?limit=100")).await;
        if b["status"] == "completed" {
            return b;
        }
        assert!(Instant::now() < deadline, "batch {id} not completed: {b}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn station(api: &Api, format: &str) -> (String, String) {
    let s = api
        .created(
            "/v1/print-stations",
            json!({"name": format!("Dock {format}"), "format": format}),
        )
        .await;
    (
        s["id"].as_str().unwrap().into(),
        s["token"].as_str().unwrap().into(),
    )
}

/// Runs the agent once for `token`, printing into `out`.
fn agent_once(hub: &common::Hub, token: &str, out: &std::path::Path) {
    let journal = tempfile::tempdir().unwrap();
    let status =
        common::agent_command(&hub.base, &format!("dir:{}", out.display()), journal.path())
            .args(["--token", token, "--wait", "1", "--once"])
            .stderr(Stdio::inherit())
            .status()
            .unwrap();
    assert!(status.success(), "{status}");
}

/// The files the agent wrote, by name.
fn files(out: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn page_contents(pdf: &[u8]) -> Vec<Vec<u8>> {
    let doc = lopdf::Document::load_mem(pdf).expect("a readable PDF");
    doc.get_pages()
        .into_values()
        .map(|p| doc.get_page_content(p))
        .collect()
}

/// The bought items' shipments sorted by `key` of the shipment: their ids.
async fn bought_sorted(api: &Api, items: &[Value], key: &str) -> Vec<(String, String)> {
    let mut out = vec![];
    for item in items.iter().filter(|i| i["status"] == "bought") {
        let sid = item["shipment_id"].as_str().unwrap().to_string();
        let s = api.get_ok(&format!("/v1/shipments/{sid}")).await;
        out.push((s[key].as_str().unwrap().to_string(), sid));
    }
    out.sort();
    out
}

#[tokio::test]
async fn a_batch_asked_to_print_sends_its_labels_as_one_pdf_job_without_the_failed_item() {
    let pdfinfo = common::tools_present(&["pdfinfo"]);
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let (station_id, token) = station(&api, "pdf").await;

    // A station of another tenant's shape, a PNG format and zero copies are refused before
    // anything is bought.
    let items = twenty_items(&api.account);
    for (print, pointer) in [
        (json!({"station_id": "pst_nope"}), "/print/station_id"),
        (
            json!({"station_id": station_id, "format": "png"}),
            "/print/format",
        ),
        (
            json!({"station_id": station_id, "format": "zpl"}),
            "/print/format",
        ),
        (
            json!({"station_id": station_id, "copies": 0}),
            "/print/copies",
        ),
    ] {
        let (status, p) = api
            .post("/v1/batches", json!({"items": items, "print": print}))
            .await;
        assert_eq!(status, 422, "{p}");
        assert_eq!(common::pointer(&p), pointer, "{p}");
    }
    assert!(api.all("/v1/shipments?limit=100").await.is_empty());

    let res = api
        .post_response(
            "/v1/batches",
            &json!({"items": items, "label_format": "pdf",
                    "print": {"station_id": station_id, "sort": "reference"}}),
            Some("print-batch-1"),
        )
        .await;
    assert_eq!(res.status(), 202);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let done = completed(&api, &id).await;
    assert_eq!(
        done["counts"],
        json!({"total": 20, "queued": 0, "bought": 19, "failed": 1})
    );
    let items = done["items"].as_array().unwrap();
    assert_eq!(items[6]["status"], "failed");
    assert_eq!(common::pointer(&items[6]["problem"]), "/reference");
    let job_id = done["print_job"]["id"].as_str().unwrap().to_string();
    assert_eq!(done["print_job"]["labels"], 19, "{done}");
    assert_eq!(done["print_job"]["status"], "queued");
    let job = api.get_ok(&format!("/v1/print-jobs/{job_id}")).await;
    assert_eq!(job["batch"], json!(id));
    assert_eq!(job["labels"], 19);
    assert_eq!(job["shipment_id"], Value::Null);
    assert_eq!(job["format"], "pdf");
    let events = api.all("/v1/events?limit=100").await;
    let completion = events
        .iter()
        .find(|e| e["type"] == "batch.completed")
        .unwrap();
    assert_eq!(completion["data"]["print_job"]["id"], json!(job_id));

    let out = tempfile::tempdir().unwrap();
    agent_once(&hub, &token, out.path());
    // ONE job: one file.
    assert_eq!(files(out.path()), vec![format!("{job_id}.pdf")]);
    let printed = std::fs::read(out.path().join(format!("{job_id}.pdf"))).unwrap();
    if pdfinfo {
        let info = Command::new("pdfinfo")
            .arg(out.path().join(format!("{job_id}.pdf")))
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&info.stdout).into_owned();
        let pages = info
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .unwrap_or_else(|| panic!("no page count in {info}"));
        assert_eq!(pages.trim(), "19", "{info}");
    }
    // In reference order: page k is the label of the k-th reference.
    let mut expected = vec![];
    for (_, sid) in bought_sorted(&api, items, "reference").await {
        let (status, pdf) = api
            .bytes(&format!("/v1/shipments/{sid}/label?format=pdf"))
            .await;
        assert_eq!(status, 200);
        expected.extend(page_contents(&pdf));
    }
    assert_eq!(expected.len(), 19);
    assert!(
        page_contents(&printed) == expected,
        "pages are not the bought labels in reference order"
    );

    let job = api.get_ok(&format!("/v1/print-jobs/{job_id}")).await;
    assert_eq!(job["status"], "printed", "{job}");
    assert_eq!(job["deliveries"], 1);
    let b = api.get_ok(&format!("/v1/batches/{id}")).await;
    assert_eq!(b["print_job"]["status"], "printed");
    let events = api.all("/v1/events?limit=100").await;
    let printed = events
        .iter()
        .find(|e| e["type"] == "print_job.printed")
        .unwrap();
    assert_eq!(printed["data"]["batch"], json!(id));
    assert_eq!(printed["data"]["labels"], 19);
}

#[tokio::test]
async fn a_completed_batch_printed_on_a_zpl_station_is_one_job_in_the_order_asked() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let (zpl_station, token) = station(&api, "zpl").await;
    let mut items = twenty_items(&api.account);
    // The single purchase's fields: a return label bought with its outbound one, and a
    // contradiction failing its item with the single purchase's problem.
    items[2]["return_label"] = json!(true);
    items[9]["is_return"] = json!(true);
    items[9]["return_label"] = json!(true);
    let res = api
        .post_response(
            "/v1/batches",
            &json!({"items": items, "label_format": "zpl"}),
            None,
        )
        .await;
    assert_eq!(res.status(), 202);
    let id = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let done = completed(&api, &id).await;
    assert_eq!(
        done["counts"],
        json!({"total": 20, "queued": 0, "bought": 18, "failed": 2})
    );
    assert!(done.get("print_job").is_none(), "{done}");
    let items = done["items"].as_array().unwrap();
    assert_eq!(common::pointer(&items[9]["problem"]), "/return_label");
    let outbound = api
        .get_ok(&format!(
            "/v1/shipments/{}",
            items[2]["shipment_id"].as_str().unwrap()
        ))
        .await;
    assert!(outbound["return_shipment_id"].is_string(), "{outbound}");

    let print = |body: Value, key: Option<&'static str>| {
        let (api, id) = (&api, &id);
        async move {
            common::answer(
                api.post_response(&format!("/v1/batches/{id}/print"), &body, key)
                    .await,
            )
            .await
        }
    };
    // Another format than the station's, a PNG, or no such station: field errors.
    for (body, pointer) in [
        (
            json!({"station_id": zpl_station, "format": "pdf"}),
            "/format",
        ),
        (
            json!({"station_id": zpl_station, "format": "png"}),
            "/format",
        ),
        (json!({"station_id": "pst_nope"}), "/station_id"),
    ] {
        let (status, p) = print(body, None).await;
        assert_eq!(status, 422, "{p}");
        assert_eq!(common::pointer(&p), pointer, "{p}");
    }
    let (status, p) = api
        .post(
            &format!("/v1/batches/bat_{}/print", "0".repeat(32)),
            json!({"station_id": zpl_station}),
        )
        .await;
    assert_eq!(status, 404, "{p}");

    let body = json!({"station_id": zpl_station, "sort": "tracking_number", "copies": 2});
    let (status, job) = print(body.clone(), Some("print-zpl-1")).await;
    assert_eq!(status, 201, "{job}");
    assert_eq!(job["batch"], json!(id));
    assert_eq!(job["labels"], 18);
    assert_eq!(job["format"], "zpl");
    assert_eq!(job["copies"], 2);
    let job_id = job["id"].as_str().unwrap().to_string();
    // The same key: the same job, not a second one.
    let (status, again) = print(body, Some("print-zpl-1")).await;
    assert_eq!(status, 201);
    assert_eq!(again["id"], json!(job_id));
    assert_eq!(api.all("/v1/print-jobs?limit=100").await.len(), 1);
    assert_eq!(
        api.get_ok(&format!("/v1/batches/{id}")).await["print_job"]["id"],
        json!(job_id)
    );

    // A label voided after the job was queued and before the agent takes it leaves the
    // document, and the job's count follows it.
    let mut sorted = bought_sorted(&api, items, "tracking_number").await;
    let (_, voided) = sorted.remove(5);
    let (status, v) = api
        .post(&format!("/v1/shipments/{voided}/void"), json!({}))
        .await;
    assert_eq!(status, 200, "{v}");

    let out = tempfile::tempdir().unwrap();
    agent_once(&hub, &token, out.path());
    // One job, two copies of its document.
    assert_eq!(
        files(out.path()),
        vec![format!("{job_id}-1.zpl"), format!("{job_id}-2.zpl")]
    );
    let zpl = std::fs::read_to_string(out.path().join(format!("{job_id}-1.zpl"))).unwrap();
    assert_eq!(
        std::fs::read_to_string(out.path().join(format!("{job_id}-2.zpl"))).unwrap(),
        zpl
    );
    assert_eq!(zpl.matches("^XA").count(), 17);
    // Label k carries the k-th tracking number (in tracking number order).
    let labels: Vec<&str> = zpl.split("^XA").skip(1).collect();
    assert_eq!(labels.len(), sorted.len());
    for (label, (number, _)) in labels.iter().zip(&sorted) {
        assert!(label.contains(number.as_str()), "{number} not in its label");
    }
    let printed = api.get_ok(&format!("/v1/print-jobs/{job_id}")).await;
    assert_eq!(printed["status"], "printed", "{printed}");
    assert_eq!(printed["labels"], 17, "{printed}");
}

/// The README's batch printing example runs as written (after the walk-through's set-up
/// block and the batch example) and does what its comments say.
#[tokio::test]
async fn the_readme_batch_print_example_runs_as_written() {
    let pdfinfo = common::tools_present(&["pdfinfo"]);
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let dir = tempfile::tempdir().unwrap();
    let agent = common::workspace_binary("shiphub-print-agent", "shiphub-print-agent");
    let path = format!(
        "{}:{}",
        agent.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let stdout = common::run_readme(
        &["batches", "batch-print"],
        dir.path(),
        &hub,
        &api.key,
        &[("PATH", path)],
        Duration::from_secs(90),
    )
    .await;
    // The answers are printed back to back (curl adds no newline).
    let job: Value = stdout
        .lines()
        .flat_map(|l| serde_json::Deserializer::from_str(l).into_iter::<Value>())
        .filter_map(Result::ok)
        .find(|v| v["batch"].is_string())
        .unwrap_or_else(|| panic!("no print job answer in {stdout}"));
    assert_eq!(job["labels"], 2, "{job}");
    assert_eq!(job["format"], "pdf");
    let id = job["id"].as_str().unwrap();
    let printed = dir.path().join("wave-printed").join(format!("{id}.pdf"));
    let pdf = std::fs::read(&printed).unwrap();
    assert_eq!(page_contents(&pdf).len(), 2);
    if pdfinfo {
        let info = Command::new("pdfinfo").arg(&printed).output().unwrap();
        assert!(
            String::from_utf8_lossy(&info.stdout)
                .lines()
                .any(|l| l.starts_with("Pages:") && l.trim_end().ends_with(" 2")),
            "{}",
            String::from_utf8_lossy(&info.stdout)
        );
    }
    assert_eq!(
        api.get_ok(&format!("/v1/print-jobs/{id}")).await["status"],
        "printed"
    );
}
