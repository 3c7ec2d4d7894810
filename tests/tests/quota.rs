//! Issue 19 through the real binary, on a sandbox account given a 1/s request quota: a
//! request never waits past its deadline for the account's quota. Concurrent rate requests
//! answer with the account either quoted or listed as `throttled` (with when to come back),
//! never empty at the deadline; concurrent purchases over the quota answer 503
//! `account-throttled` with `Retry-After`, nothing is bought twice, and the same request
//! (same Idempotency-Key) sent again after `Retry-After` buys.

mod common;

use std::time::{Duration, Instant};

use common::{Api, answer, is_problem, sandbox_pdf_purchase};
use reqwest::Method;
use serde_json::{Value, json};

fn rate_request(account: &str) -> Value {
    let mut body = sandbox_pdf_purchase(account, None);
    let body = body.as_object_mut().unwrap();
    for k in ["carrier_account", "service", "label_format"] {
        body.remove(k);
    }
    body.insert("carrier_accounts".into(), json!([account]));
    body.insert("deadline_ms".into(), json!(1500));
    Value::Object(body.clone())
}

#[tokio::test]
async fn requests_over_an_accounts_quota_are_answered_at_once_and_purchases_say_when_to_retry() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let account = api
        .create_account(json!({"carrier": "sandbox", "name": "one a second",
            "credentials": {"requests_per_second": 1}}))
        .await;

    // Ten rate requests at once with a 1.5 s deadline: the quota admits one now and one
    // a second later; every other is answered `throttled`, none with a deadline error.
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (api, body) = (api.clone(), rate_request(&account));
        tasks.spawn(async move { api.post("/v1/rates", body).await });
    }
    let rates = tasks.join_all().await;
    let elapsed = started.elapsed();
    let (mut quoted, mut throttled, mut wait) = (0, 0, 0);
    for (status, answer) in &rates {
        assert_eq!(*status, 200, "{answer}");
        let errors = answer["errors"].as_array().unwrap();
        if errors.is_empty() {
            assert!(!answer["quotes"].as_array().unwrap().is_empty(), "{answer}");
            quoted += 1;
            continue;
        }
        assert_eq!(errors.len(), 1, "{answer}");
        let e = &errors[0];
        assert_eq!(e["type"], "throttled", "{answer}");
        assert_eq!(e["carrier_account"], account.as_str());
        assert_eq!(e["retryable"], true);
        let retry_after = e["retry_after"].as_u64().expect("a retry hint");
        assert!(retry_after >= 1, "{e}");
        wait = wait.max(retry_after);
        throttled += 1;
    }
    assert!(
        throttled >= 1,
        "ten at once on a 1/s account: none throttled"
    );
    assert!(quoted >= 1, "the quota's first slot was not used");
    // Never more calls than the quota admits over the time the requests took (one at once,
    // then one every 1.02 s).
    let admitted = 1 + (elapsed.as_secs_f64() / 1.02) as usize;
    assert!(
        quoted <= admitted,
        "{quoted} quoted in {elapsed:?} on a 1/s account"
    );

    // Let the slots the rates took pass.
    tokio::time::sleep(Duration::from_secs(wait)).await;

    // Six purchases at once, each its own key: the quota admits the first at once and the
    // second within the 2 s purchase wait; the others are 503 with Retry-After, not queued.
    let body = sandbox_pdf_purchase(&account, None);
    let keys: Vec<String> = (0..6).map(|i| format!("quota-e2e-{i}")).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for k in &keys {
        let (api, body, k) = (api.clone(), body.clone(), k.clone());
        tasks.spawn(async move {
            let res = api
                .response(Method::POST, "/v1/shipments", Some(&body), Some(&k))
                .await;
            let retry_after = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            let problem = is_problem(&res);
            let (status, v) = answer(res).await;
            (k, status, retry_after, problem, v)
        });
    }
    let answers = tasks.join_all().await;
    let mut bought = vec![];
    let mut refused = vec![];
    for (key, status, retry_after, problem, v) in answers {
        match status.as_u16() {
            201 => bought.push(v["id"].as_str().unwrap().to_string()),
            503 => {
                assert!(problem, "problem+json: {v}");
                assert_eq!(
                    v["type"], "https://shiphub.dev/problems/account-throttled",
                    "{v}"
                );
                assert_eq!(v["retryable"], true);
                let secs = retry_after.expect("Retry-After");
                assert!(secs >= 1);
                assert_eq!(v["retry_after"], secs);
                assert!(
                    v["detail"].as_str().unwrap().contains(&account),
                    "names the account: {v}"
                );
                refused.push((key, secs));
            }
            other => panic!("purchase answered {other}: {v}"),
        }
    }
    assert!(!bought.is_empty(), "the first slot bought");
    assert!(
        !refused.is_empty(),
        "six at once on a 1/s account: none refused"
    );
    let listed = api.all("/v1/shipments?limit=100").await;
    let on_account = |l: &[Value]| {
        l.iter()
            .filter(|s| s["carrier_account"] == account.as_str())
            .count()
    };
    assert_eq!(
        on_account(&listed),
        bought.len(),
        "bought exactly once each, the refused not at all"
    );

    // The refused request, sent again as it was after its Retry-After, buys.
    let (key, secs) = &refused[0];
    tokio::time::sleep(Duration::from_secs(*secs)).await;
    let (status, again) = api
        .send(Method::POST, "/v1/shipments", Some(&body), Some(key))
        .await;
    assert_eq!(status, 201, "{again}");
    assert!(!bought.contains(&again["id"].as_str().unwrap().to_string()));
    let listed = api.all("/v1/shipments?limit=100").await;
    assert_eq!(on_account(&listed), bought.len() + 1);
}
