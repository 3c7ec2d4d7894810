//! Issue 19: three `shiphub serve` instances on one PostgreSQL behind a HAProxy, under mixed
//! load (purchases retried with their Idempotency-Keys, webhooks to a slow receiver, a print
//! station served by the real print agent, trackers polled). One instance is SIGKILLed in the
//! middle: the others declare it dead within 3 s and take over everything it held within 10 s
//! (its webhook deliveries are leased for 60 s and its print jobs redelivered after 60 s, so
//! only the takeover can meet that); every purchase exists once per key, every webhook event
//! arrives (a redelivery keeps its `webhook-id`), every print job is printed exactly once, and
//! a batch the victim was running completes elsewhere, no item bought twice.

mod common;

use common::{AgentProc, Api, Frontend, Haproxy, WebhookSink};

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

const PURCHASES: usize = 60;
/// Purchases answered before the kill.
const BEFORE_KILL: usize = 30;
const CLIENTS: usize = 4;
/// Each webhook delivery takes the receiver this long: the instances hold deliveries in
/// flight and waiting when one is killed.
const RECEIVER_DELAY: Duration = Duration::from_millis(600);
/// Deliveries waiting (events answered, not yet received) when the kill comes: with this many
/// every instance holds some (each claims what its two slots and lane have room for).
const BACKLOG_AT_KILL: usize = 8;
/// Items of a batch the victim runs when it is killed (another tenant's: no webhooks, no
/// printing, so that it does not slow the takeover measured for those).
/// Enough that it is still running when the kill's other conditions are met (the kill waits
/// for it, and fails the test if it finished first).
const BATCH_ITEMS: usize = 400;

/// Per-item leases at their defaults (webhooks 60 s, print redelivery 60 s, keys 30 s): the
/// takeover must come from the registry, not from leases running out.
const ARGS: &[&str] = &[
    "--webhook-concurrency",
    "2",
    "--tracking-speedup",
    "600",
    "--tracking-tick-ms",
    "200",
];

/// Whether a client must send the purchase again (same key): no answer (the instance died
/// under it), the key is still in progress, or a retryable server error.
fn must_retry(answer: &reqwest::Result<(StatusCode, Value)>) -> bool {
    match answer {
        Err(_) => true,
        Ok((s, _)) if *s == StatusCode::CONFLICT => true,
        Ok((s, body)) => s.is_server_error() && body["retryable"] != json!(false),
    }
}

/// The instance id a hub registered as (its `shiphub_instance_info` metric).
async fn instance_id(hub: &common::Hub) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = reqwest::get(format!("{}/metrics", hub.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if let Some(id) = text.lines().find_map(|l| {
            l.strip_prefix("shiphub_instance_info{instance=\"")
                .and_then(|r| r.split('"').next())
                .map(String::from)
        }) {
            return id;
        }
        assert!(Instant::now() < deadline, "no shiphub_instance_info");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first line some hub logged that contains every one of `parts`.
fn logged(hubs: &[&common::Hub], parts: &[&str]) -> Option<String> {
    hubs.iter().find_map(|h| {
        h.log
            .lock()
            .unwrap()
            .iter()
            .find(|l| parts.iter().all(|p| l.contains(p)))
            .cloned()
    })
}

/// A count the reaper's log line (JSON, as the hub logs when not on a terminal) reports.
fn field(line: &str, name: &str) -> u64 {
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    v["fields"][name]
        .as_u64()
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_instances_work_is_taken_over_by_the_others_exactly_once() {
    let Some(schema) = common::PgSchema::create("takeover") else {
        return;
    };
    if !common::haproxy_present() {
        return;
    }
    let url = schema.url();
    let (a, key) = common::start_tenant_on(&url, "takeover", ARGS);
    let mut b = common::start_on(&url, ARGS);
    let c = common::start_on(&url, ARGS);
    let victim = instance_id(&b).await;
    // API clients are balanced over all three; the print station's long polls go to the
    // victim while it lives (the others are its backups), so the kill takes its station away.
    let lb = Haproxy::start(&[
        Frontend {
            backends: &[&a.base, &b.base, &c.base],
            prefer_first: false,
        },
        Frontend {
            backends: &[&b.base, &a.base, &c.base],
            prefer_first: true,
        },
    ]);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let mut api = Api {
        http,
        base: lb.bases[0].clone(),
        key: key.clone(),
        account: String::new(),
    };
    api.account = api
        .create_account(json!({"carrier": "sandbox", "name": "sandbox"}))
        .await;
    let station = api
        .created(
            "/v1/print-stations",
            json!({"name": "Dock", "format": "pdf"}),
        )
        .await;
    let (station_id, token) = (
        station["id"].as_str().unwrap().to_string(),
        station["token"].as_str().unwrap().to_string(),
    );
    let sink = WebhookSink::start(RECEIVER_DELAY).await;
    api.created(
        "/v1/webhooks",
        json!({"url": sink.url, "events": ["shipment.created"]}),
    )
    .await;
    let out = tempfile::tempdir().unwrap();
    let journal = tempfile::tempdir().unwrap();
    let mut cmd = common::agent_command(
        &lb.bases[1],
        &format!("dir:{}", out.path().display()),
        journal.path(),
    );
    cmd.args(["--token", &token, "--wait", "5", "--max-backoff", "1"]);
    let agent = AgentProc::spawn(cmd);

    // A batch created on the victim (so run by it) by a second tenant.
    let other: Value = serde_json::from_str(
        common::cli(
            &url,
            &["tenant", "create", "batcher", "--database-url", &url],
        )
        .trim(),
    )
    .unwrap();
    let mut batcher = Api::with_key(&b, other["api_key"].as_str().unwrap());
    batcher.account = batcher
        .create_account(json!({"carrier": "sandbox", "name": "sandbox"}))
        .await;
    let items: Vec<Value> = (0..BATCH_ITEMS)
        .map(|n| {
            let mut item = common::sandbox_pdf_purchase(&batcher.account, None);
            item.as_object_mut().unwrap().remove("label_format");
            item["reference"] = json!(format!("item-{n}"));
            item
        })
        .collect();
    let res = batcher
        .post_response(
            "/v1/batches",
            &json!({"items": items, "label_format": "pdf"}),
            Some("batch-1"),
        )
        .await;
    assert_eq!(res.status(), 202);
    let batch = res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let batcher = Api {
        base: lb.bases[0].clone(),
        ..batcher
    };

    // Purchases from several clients, each retried with its key until it has a final answer.
    let started = Instant::now();
    let deadline = started + Duration::from_secs(45);
    let next = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let mut clients = vec![];
    for _ in 0..CLIENTS {
        let (api, station_id, next, answered) = (
            api.clone(),
            station_id.clone(),
            next.clone(),
            answered.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut finals = vec![];
            loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n >= PURCHASES {
                    return finals;
                }
                let key = format!("tk-{n}");
                let mut body = common::sandbox_pdf_purchase(&api.account, Some(&station_id));
                body["reference"] = json!(key);
                let mut retries = 0;
                let answer = loop {
                    let answer = api.try_post("/v1/shipments", &body, Some(&key)).await;
                    if !must_retry(&answer) {
                        break answer.unwrap();
                    }
                    assert!(
                        Instant::now() < deadline,
                        "{key} never answered: {answer:?}"
                    );
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                };
                answered.fetch_add(1, Ordering::SeqCst);
                finals.push((key, answer, retries, Instant::now()));
            }
        }));
    }

    // The kill, with purchases, deliveries and print jobs in flight (a webhook backlog, unless
    // the purchases are nearly done before one builds up), once the victim holds deliveries
    // (a claimed one is in flight for at least the receiver's delay, so it still holds it when
    // the kill lands a moment later).
    let victim_holds = format!(
        "SELECT count(*) FROM webhook_deliveries WHERE lease_owner = '{victim}' \
         AND lease_token IS NOT NULL AND status = 'pending'"
    );
    loop {
        let n = answered.load(Ordering::SeqCst);
        let backlog = n.saturating_sub(sink.received().len());
        if n >= BEFORE_KILL
            && (backlog >= BACKLOG_AT_KILL || n >= PURCHASES - 10)
            && tokio::task::block_in_place(|| schema.query(&victim_holds)) != "0"
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no moment with purchases answered, a webhook backlog and deliveries held by the victim"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    b.kill();
    let killed = Instant::now();
    // Nobody else runs the batch until the victim is declared dead.
    let batch_at_kill = schema.query(&format!("SELECT status FROM batches WHERE id = '{batch}'"));
    eprintln!(
        "killed {victim} after {:?}, {} purchases answered",
        killed - started,
        answered.load(Ordering::SeqCst)
    );

    // Detection: one of the others declares it dead (one reaper acts) and says what it
    // released.
    let reaped = loop {
        if let Some(line) = logged(&[&a, &c], &["declared dead", &victim]) {
            break line;
        }
        assert!(
            killed.elapsed() < Duration::from_secs(6),
            "{victim} not declared dead"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let detected = killed.elapsed();
    eprintln!("detected after {detected:?}: {reaped}");
    assert!(
        detected <= Duration::from_secs(3),
        "detection took {detected:?}"
    );
    assert!(
        field(&reaped, "webhook_deliveries") > 0,
        "the victim held webhook deliveries at the kill: {reaped}"
    );
    assert_eq!(batch_at_kill, "running", "the batch outlasts the kill");
    // The batch is released by the reaper or, in the same instant (both wait for the same
    // silence), claimed straight from the dead owner by a live instance's orphan sweep: one
    // of the two, never both, and never left with the victim (checked below).
    assert!(field(&reaped, "batches") <= 1, "{reaped}");
    assert_eq!(
        schema.query("SELECT count(*) FROM instances"),
        "2",
        "the registry lists the live ones"
    );
    // Nothing is left claimed by the dead instance.
    for (table, held) in [
        ("trackers", "lease_owner = '{v}'"),
        (
            "webhook_deliveries",
            "lease_owner = '{v}' AND lease_token IS NOT NULL",
        ),
        (
            "idempotency_keys",
            "owner = '{v}' AND state = 'started' AND lease_until > 0",
        ),
        (
            "print_jobs",
            "delivered_by = '{v}' AND status = 'delivered'",
        ),
        ("batches", "owner = '{v}'"),
    ] {
        let sql = format!(
            "SELECT count(*) FROM {table} WHERE {}",
            held.replace("{v}", &victim)
        );
        assert_eq!(schema.query(&sql), "0", "{sql}");
    }

    let mut finals: Vec<(String, (StatusCode, Value), usize, Instant)> = vec![];
    for c in clients {
        finals.extend(c.await.unwrap());
    }
    eprintln!(
        "{PURCHASES} purchases answered in {:?}, {} retries",
        started.elapsed(),
        finals.iter().map(|f| f.2).sum::<usize>()
    );

    // Every purchase exists exactly once per key. A purchase the victim had sent to the
    // carrier without its answer coming back is answered, finally, `purchase-outcome-unknown`
    // (the crash guarantee: never bought twice under its key), and has no shipment.
    assert_eq!(finals.len(), PURCHASES);
    let mut by_key: HashMap<String, String> = HashMap::new();
    let mut jobs: HashMap<String, Instant> = HashMap::new(); // print job -> when answered
    let mut unknown = 0;
    for (key, (status, body), _, at) in &finals {
        if *status != StatusCode::CREATED {
            assert_eq!(
                body["type"], "https://shiphub.dev/problems/purchase-outcome-unknown",
                "{key}: {status} {body}"
            );
            assert_eq!(body["retryable"], json!(false));
            unknown += 1;
            continue;
        }
        by_key.insert(key.clone(), body["id"].as_str().unwrap().to_string());
        jobs.insert(body["print_job"].as_str().unwrap().to_string(), *at);
    }
    eprintln!("{unknown} purchases answered outcome-unknown");
    let held_keys = field(&reaped, "idempotency_keys") as usize;
    assert!(unknown <= held_keys, "only keys the victim held: {reaped}");
    let shipments = api.all("/v1/shipments?limit=100").await;
    assert_eq!(shipments.len(), by_key.len(), "one shipment per key");
    let mut refs: HashMap<String, String> = HashMap::new();
    for s in &shipments {
        let r = s["reference"].as_str().unwrap().to_string();
        assert!(
            refs.insert(r.clone(), s["id"].as_str().unwrap().to_string())
                .is_none(),
            "{r} bought twice"
        );
    }
    assert_eq!(refs, by_key, "each key's shipment is the one answered");

    // Takeover: what was bought before the kill is delivered and printed within 10 s of it.
    let events: HashMap<String, String> = api
        .all("/v1/events?limit=100")
        .await
        .into_iter()
        .filter(|e| e["type"] == "shipment.created")
        .map(|e| {
            (
                e["data"]["id"].as_str().unwrap().to_string(),
                e["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(events.len(), by_key.len());
    let before: BTreeSet<String> = finals
        .iter()
        .filter(|f| f.3 < killed && f.1.0 == StatusCode::CREATED)
        .map(|f| events[f.1.1["id"].as_str().unwrap()].clone())
        .collect();
    let jobs_before: Vec<&String> = jobs
        .iter()
        .filter(|(_, at)| **at < killed)
        .map(|(j, _)| j)
        .collect();
    let printed = |job: &str| out.path().join(format!("{job}.pdf")).exists();
    loop {
        let got: BTreeSet<String> = sink.received().into_iter().map(|r| r.0).collect();
        let delivered = before.is_subset(&got);
        let all_printed = jobs_before.iter().all(|j| printed(j));
        if delivered && all_printed {
            break;
        }
        assert!(
            killed.elapsed() <= Duration::from_secs(10),
            "takeover incomplete 10 s after the kill: {} of {} webhooks, {} of {} print jobs",
            before.intersection(&got).count(),
            before.len(),
            jobs_before.iter().filter(|j| printed(j)).count(),
            jobs_before.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!(
        "takeover complete after {:?}: {} webhooks and {} print jobs from before the kill",
        killed.elapsed(),
        before.len(),
        jobs_before.len()
    );

    // Every webhook event arrives: the distinct ids are exactly the events (redeliveries of
    // the same id are allowed, and counted).
    let expected: BTreeSet<String> = events.values().cloned().collect();
    let wait_all = Instant::now() + Duration::from_secs(30);
    loop {
        let got: BTreeSet<String> = sink.received().into_iter().map(|r| r.0).collect();
        if got == expected {
            break;
        }
        assert!(
            got.is_subset(&expected),
            "unexpected webhook ids: {:?}",
            got.difference(&expected).collect::<Vec<_>>()
        );
        assert!(
            Instant::now() < wait_all,
            "{} of {} webhook events arrived",
            got.len(),
            expected.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let received = sink.received();
    eprintln!(
        "{} webhook deliveries for {} events ({} redelivered with the same webhook-id)",
        received.len(),
        expected.len(),
        received.len() - expected.len()
    );

    // Every print job printed exactly once: one file each, one `printed` each.
    let all_jobs: BTreeSet<String> = jobs.keys().cloned().collect();
    common::eventually("every print job is printed", 30, || {
        let done = all_jobs.iter().all(|j| printed(j));
        async move { done }
    })
    .await;
    let files: BTreeSet<String> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(files, all_jobs, "one file per job, nothing else");
    for j in &all_jobs {
        let prints = agent_prints(&agent, j);
        assert_eq!(prints, 1, "{j} printed {prints} times");
    }

    // The batch goes on elsewhere and buys every item exactly once.
    let done = loop {
        let b = batcher.get_ok(&format!("/v1/batches/{batch}")).await;
        if b["status"] == "completed" {
            break b;
        }
        assert!(
            // 400 items, most of them bought after the kill by a debug build under load.
            killed.elapsed() < Duration::from_secs(60),
            "the batch did not complete: {b}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("batch completed {:?} after the kill", killed.elapsed());
    let counts = &done["counts"];
    assert_eq!(counts["total"], json!(BATCH_ITEMS));
    assert_eq!(counts["queued"], json!(0));
    // As for single purchases: an item in flight at the carrier when the victim died fails
    // `purchase-outcome-unknown`, never bought twice.
    let failed = counts["failed"].as_u64().unwrap() as usize;
    assert!(
        unknown + failed <= held_keys,
        "only keys the victim held: {counts}, {reaped}"
    );
    let theirs = batcher.all("/v1/shipments?limit=100").await;
    let refs: BTreeSet<&str> = theirs
        .iter()
        .map(|s| s["reference"].as_str().unwrap())
        .collect();
    assert_eq!(
        theirs.len(),
        BATCH_ITEMS - failed,
        "one shipment per item bought"
    );
    assert_eq!(refs.len(), theirs.len(), "no item bought twice");

    // Trackers are polled on: checked after the kill, none held by the dead instance.
    let kill_ms = time::OffsetDateTime::now_utc().unix_timestamp() * 1000
        - i64::try_from(killed.elapsed().as_millis()).unwrap();
    common::eventually("trackers checked after the kill", 20, || {
        let n: u64 = schema
            .query(&format!(
                "SELECT count(*) FROM trackers WHERE last_checked_at > {kill_ms}"
            ))
            .parse()
            .unwrap();
        async move { n > 0 }
    })
    .await;
    drop(agent);
    drop(lb);
}

/// How many times the agent logged printing `job` (its `printed` line, not an acknowledgement
/// with status printed).
fn agent_prints(agent: &AgentProc, job: &str) -> usize {
    let line = format!(": printed job={job} ");
    agent.count_where(|l| l.contains(&line))
}

/// An instance that stops (SIGSTOP: a VM paused, a process swapped out) for longer than
/// dead-after is declared dead by the others, and its work released; when it resumes it learns
/// so from its first heartbeat, registers anew and goes on taking work, while what it held is
/// the others' (its late writes fail their ownership checks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_instance_is_declared_dead_and_rejoins_when_it_resumes() {
    let Some(schema) = common::PgSchema::create("paused") else {
        return;
    };
    let url = schema.url();
    let (a, key) = common::start_tenant_on(&url, "paused", ARGS);
    let b = common::start_on(&url, ARGS);
    let paused = instance_id(&b).await;
    let signal = |sig: &str| {
        let status = std::process::Command::new("kill")
            .args([sig, &b.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    common::eventually("both registered", 10, || {
        let n = schema.query("SELECT count(*) FROM instances");
        async move { n == "2" }
    })
    .await;

    signal("-STOP");
    let stopped = Instant::now();
    common::eventually("the paused instance declared dead", 6, || {
        let found = logged(&[&a], &["declared dead", &paused]).is_some();
        async move { found }
    })
    .await;
    eprintln!("declared dead {:?} after the pause", stopped.elapsed());
    assert_eq!(schema.query("SELECT count(*) FROM instances"), "1");

    signal("-CONT");
    common::eventually(
        "it learns it was declared dead and registers anew",
        10,
        || {
            let rejoined = logged(&[&b], &["declared dead by another"]).is_some()
                && schema.query("SELECT count(*) FROM instances") == "2";
            async move { rejoined }
        },
    )
    .await;
    // And serves again.
    let api = Api::with_key(&b, &key);
    let account = api
        .create_account(json!({"carrier": "sandbox", "name": "sandbox"}))
        .await;
    let mut body = common::sandbox_pdf_purchase(&account, None);
    body["reference"] = json!("after-pause");
    let (status, shipment) = api
        .try_post("/v1/shipments", &body, Some("after-pause"))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::CREATED, "{shipment}");
}
