//! Smart routing through the real binary (issue 21), on the sandbox carrier, with a history
//! the sandbox delivers itself on its scripted, lane-dependent days (the last test) and with a
//! seeded one (`shiphub routing import-deliveries`):
//! - the transit percentiles the hub answers equal a brute-force count of the same deliveries;
//! - `deliver_by` and `on_time` choose as the hand-worked example below says;
//! - a rule excludes a carrier (and a service) and the answer says which rule and why;
//! - strategy purchases buy the chosen quote once per key, keep the quotes shown, and the cost
//!   report's savings add up to the hand-worked figure (also printed by the CLI).
//!
//! The hand-worked lane: Atlanta 30301 → San Francisco 94105 (sandbox zone 3), one 2.5 kg
//! residential parcel, which the sandbox prices economy 19.35, standard 22.50, express
//! 40.05 USD. The seeded history on it, 20 deliveries per service, shipped on Mondays:
//! - economy: 16 × 3 business days, 4 × 6 → p50 3, p75 3, p90 6; promised 5 days: on time 16/20
//! - standard: 18 × 3, 2 × 4 → p50 3, p90 3, p95 4; promised 4 days: on time 20/20
//! - express: 20 × 1 → every percentile 1; promised 2 days: on time 20/20
//!
//! Shipping on a Monday with a delivery wanted by Thursday (3 business days):
//! - `deliver_by` at 0.9: economy's p90 (6) arrives the next Tuesday, too late; standard's (3)
//!   arrives Thursday → standard, 22.50 (express also qualifies, dearer).
//! - `deliver_by` at 0.75: economy's p75 (3) arrives Thursday → economy, 19.35.
//! - `on_time` at 0.95: economy's 0.80 is short → standard; at 0.8 → economy.
//!
//! Buying once by `deliver_by` 0.9 (standard 22.50) and once by `on_time` 0.8 (economy 19.35):
//! spend 41.85; over the cheapest quoted (19.35 both times) 3.15 + 0 = 3.15; saved against
//! the fastest quoted (express 40.05 both times) 17.55 + 20.70 = 38.25.

mod common;

use common::Api;
use serde_json::{Value, json};
use time::{Date, Duration, OffsetDateTime, Weekday};

fn add_business_days(mut d: Date, mut n: u32) -> Date {
    while n > 0 {
        d = d.next_day().unwrap();
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            n -= 1;
        }
    }
    d
}

fn business_days_between(a: Date, b: Date) -> u32 {
    let mut n = 0;
    let mut d = a;
    while d < b {
        d = d.next_day().unwrap();
        if !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday) {
            n += 1;
        }
    }
    n
}

/// Mondays before today, newest first, all within the last 80 days.
fn past_mondays(today: Date) -> Vec<Date> {
    (7..80)
        .map(|i| today - Duration::days(i))
        .filter(|d| d.weekday() == Weekday::Monday)
        .collect()
}

fn address(city: &str, state: &str, postal: &str) -> Value {
    json!({"name": "R", "street": ["1 Main St"], "city": city, "state": state,
           "postal_code": postal, "country": "US", "residential": true})
}

fn shipment(to: Value, ship: Date) -> Value {
    json!({"from": {"name": "Shipper", "street": ["100 Main St"], "city": "Atlanta", "state": "GA",
                    "postal_code": "30301", "country": "US", "phone": "+14045550100"},
           "to": to,
           "parcels": [{"weight": {"value": "2.5", "unit": "kg"},
                        "dimensions": {"length": "30", "width": "20", "height": "10", "unit": "cm"}}],
           "ship_date": ship.to_string()})
}

fn sf() -> Value {
    address("San Francisco", "CA", "94105")
}

fn with(mut v: Value, extra: Value) -> Value {
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

/// (service, total, qualifies) of each quote, in rank order.
fn ranked(answer: &Value) -> Vec<(String, String, bool)> {
    answer["quotes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["service"]["code"].as_str().unwrap().to_string(),
                q["total"]["amount"].as_str().unwrap().to_string(),
                q["qualifies"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn nearest_rank(sorted: &[u32], p: usize) -> u32 {
    sorted[(p * sorted.len()).div_ceil(100).max(1) - 1]
}

#[tokio::test]
async fn routing_learns_transit_times_chooses_by_them_obeys_rules_and_reports_savings() {
    let hub = common::start(tempfile::tempdir().unwrap());
    let api = Api::of(&hub);
    let today = OffsetDateTime::now_utc().date();
    let mondays = past_mondays(today);

    // Arrange: the hand-worked lane, and a second lane (Atlanta → Chicago) with a spread of
    // transit days from a small generator, for the brute-force comparison.
    let mut lines = vec![
        "carrier,service,from_country,from_postal,to_country,to_postal,shipped,delivered,promised"
            .to_string(),
    ];
    let plan: [(&str, Vec<u32>, u32); 3] = [
        ("economy", [vec![3; 16], vec![6; 4]].concat(), 5),
        ("standard", [vec![3; 18], vec![4; 2]].concat(), 4),
        ("express", vec![1; 20], 2),
    ];
    for (service, days, promise) in &plan {
        for (i, d) in days.iter().enumerate() {
            let s = mondays[i % mondays.len()];
            lines.push(format!(
                "sandbox,{service},US,30301,US,94105,{s},{},{}",
                add_business_days(s, *d),
                add_business_days(s, *promise)
            ));
        }
    }
    let mut seed = 7u64;
    let mut next = |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    // (shipped, delivered, promised) of the Chicago lane's standard service.
    let mut chicago = vec![];
    for _ in 0..137 {
        let shipped = today - Duration::days(next(85) as i64 + 2);
        let delivered = shipped + Duration::days(next(10) as i64);
        let promised = add_business_days(shipped, 3);
        chicago.push((shipped, delivered, promised));
        lines.push(format!(
            "sandbox,standard,US,30318,US,60601,{shipped},{delivered},{promised}"
        ));
    }
    let csv = hub.dir.path().join("deliveries.csv");
    std::fs::write(&csv, lines.join("\n")).unwrap();
    common::cli(
        &hub.db_url,
        &["routing", "import-deliveries", csv.to_str().unwrap()],
    );

    // Percentiles = brute force over the same deliveries (window: the last 90 days).
    let (status, t) = api
        .get("/v1/analytics/transit?carrier=sandbox&service=standard&from_postal=30318&to_postal=60601")
        .await;
    assert_eq!(status, 200, "{t}");
    let since = today - Duration::days(89);
    let mut days: Vec<u32> = chicago
        .iter()
        .filter(|(_, d, _)| *d >= since && *d <= today)
        .map(|(s, d, _)| business_days_between(*s, *d))
        .collect();
    days.sort_unstable();
    let on_time = chicago
        .iter()
        .filter(|(_, d, p)| *d >= since && *d <= today && d <= p)
        .count();
    let s = &t["services"][0];
    assert_eq!(t["lane"], "US:303>US:606");
    assert_eq!(s["samples"], days.len() as u64, "{t}");
    for p in [50, 75, 90, 95, 99] {
        assert_eq!(s[format!("p{p}")], nearest_rank(&days, p), "p{p}: {t}");
    }
    let rate: rust_decimal::Decimal = s["on_time_rate"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        rate,
        (rust_decimal::Decimal::from(on_time) / rust_decimal::Decimal::from(days.len()))
            .round_dp(4)
    );

    // The hand-worked lane's table.
    let (_, t) = api
        .get("/v1/analytics/transit?from_postal=30301&to_postal=94105")
        .await;
    let row = |svc: &str| {
        t["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == svc)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (row("economy")["p75"].clone(), row("economy")["p90"].clone()),
        (json!(3), json!(6))
    );
    assert_eq!(row("economy")["on_time_rate"], "0.80");
    assert_eq!(row("standard")["p95"], 4);

    // Ship next Monday, wanted by Thursday.
    let ship = (1..8)
        .map(|i| today + Duration::days(i))
        .find(|d| d.weekday() == Weekday::Monday)
        .unwrap();
    let thursday = add_business_days(ship, 3);
    let deliver_by = |confidence: f64| {
        with(
            shipment(sf(), ship),
            json!({"strategy": "deliver_by", "deliver_by": {"date": thursday.to_string(), "confidence": confidence}}),
        )
    };
    let (status, r) = api.post("/v1/rates", deliver_by(0.9)).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        ranked(&r),
        [
            ("standard".into(), "22.50".into(), true),
            ("express".into(), "40.05".into(), true),
            ("economy".into(), "19.35".into(), false),
        ]
    );
    let first = &r["quotes"][0];
    assert_eq!(first["transit"]["source"], "history");
    assert_eq!(first["transit"]["samples"], 20);
    assert_eq!(first["transit"]["p90"], 3);
    let why_not = r["quotes"][2]["rank_reason"].as_str().unwrap();
    assert!(
        why_not.contains("does not qualify") && why_not.contains(&format!("after {thursday}")),
        "{why_not}"
    );
    let (_, r) = api.post("/v1/rates", deliver_by(0.75)).await;
    assert_eq!(ranked(&r)[0], ("economy".into(), "19.35".into(), true));
    let on_time = |threshold: f64| {
        with(
            shipment(sf(), ship),
            json!({"strategy": "on_time", "on_time": {"threshold": threshold}}),
        )
    };
    let (_, r) = api.post("/v1/rates", on_time(0.95)).await;
    assert_eq!(ranked(&r)[0], ("standard".into(), "22.50".into(), true));
    assert!(!ranked(&r)[2].2, "economy is short of 95 %: {r}");
    let (_, r) = api.post("/v1/rates", on_time(0.8)).await;
    assert_eq!(ranked(&r)[0], ("economy".into(), "19.35".into(), true));
    // A strategy without its parameter is a field error.
    let (status, p) = api
        .post(
            "/v1/rates",
            with(shipment(sf(), ship), json!({"strategy": "on_time"})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["pointer"], "/on_time");

    // A lane without history: the carrier's estimate, and the quote says so.
    let (_, r) = api
        .post(
            "/v1/rates",
            shipment(address("New York", "NY", "10001"), ship),
        )
        .await;
    let t = &r["quotes"][0]["transit"];
    assert_eq!(t["source"], "carrier_estimate", "{r}");
    assert_eq!(t["samples"], 0);
    assert!(t["note"].as_str().unwrap().contains("fewer than 20"), "{t}");

    // Rules: invalid ones are refused field by field; valid ones exclude, and say why.
    let (status, p) = api
        .put(
            "/v1/routing-rules",
            json!({"rules": [{"name": "a", "then": {"exclude": [{"carrier": "nope"}]}},
                             {"name": "a", "when": {"to_country": ["usa"]}, "then": {}}]}),
        )
        .await;
    assert_eq!(status, 422, "{p}");
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/rules/0/then/exclude/0/carrier",
            "/rules/1/name",
            "/rules/1/when/to_country/0",
            "/rules/1/then"
        ]
    );
    let rules = json!({"rules": [
        {"name": "no-sandbox-to-alaska", "when": {"to_region": ["AK"]},
         "then": {"exclude": [{"carrier": "sandbox"}]}},
        {"name": "fragile-not-economy", "when": {"tags_any": ["fragile"]},
         "then": {"exclude": [{"carrier": "sandbox", "service": "economy"}]}}]});
    let (status, _) = api.put("/v1/routing-rules", &rules).await;
    assert_eq!(status, 200);
    let (_, back) = api.get("/v1/routing-rules").await;
    assert_eq!(back["rules"], rules["rules"]);
    let (_, r) = api
        .post(
            "/v1/rates",
            shipment(address("Anchorage", "AK", "99501"), ship),
        )
        .await;
    assert!(r["quotes"].as_array().unwrap().is_empty(), "{r}");
    assert_eq!(r["excluded"].as_array().unwrap().len(), 3, "{r}");
    for e in r["excluded"].as_array().unwrap() {
        assert_eq!(e["carrier"], "sandbox");
        assert_eq!(e["rules"][0]["rule"], "no-sandbox-to-alaska");
        assert_eq!(e["rules"][0]["effect"], "excluded");
        assert_eq!(e["rules"][0]["detail"], "excludes sandbox");
    }
    let (_, r) = api
        .post(
            "/v1/rates",
            with(deliver_by(0.75), json!({"tags": ["fragile"]})),
        )
        .await;
    // Economy would have won at 0.75; the rule drops it, so standard is chosen.
    assert_eq!(ranked(&r)[0], ("standard".into(), "22.50".into(), true));
    assert_eq!(r["excluded"][0]["service"], "economy");
    assert_eq!(r["excluded"][0]["rules"][0]["rule"], "fragile-not-economy");
    let (status, _) = api.put("/v1/routing-rules", json!({"rules": []})).await;
    assert_eq!(status, 200);

    // Rate-and-buy by strategy, idempotently.
    let buy = |body: Value, key: &'static str| {
        let api = api.clone();
        async move {
            api.send(
                reqwest::Method::POST,
                "/v1/shipments",
                Some(&body),
                Some(key),
            )
            .await
        }
    };
    let (status, a) = buy(deliver_by(0.9), "route-1").await;
    assert_eq!(status, 201, "{a}");
    assert_eq!(a["service"]["code"], "standard");
    assert_eq!(a["total"]["amount"], "22.50");
    let (status, again) = buy(deliver_by(0.9), "route-1").await;
    assert_eq!(status, 201);
    assert_eq!(again["id"], a["id"], "a retried key buys nothing new");
    let (status, b) = buy(on_time(0.8), "route-2").await;
    assert_eq!(status, 201, "{b}");
    assert_eq!(b["service"]["code"], "economy");
    let (status, p) = buy(
        with(on_time(0.8), json!({"carrier_account": api.account})),
        "route-3",
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"][0]["pointer"], "/carrier_account");
    let (_, kept) = api
        .get(&format!(
            "/v1/shipments/{}/quotes",
            a["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (
            &kept["strategy"],
            &kept["chosen"],
            &kept["cheapest"],
            &kept["fastest"]
        ),
        (
            &json!("deliver_by"),
            &json!("22.50"),
            &json!("19.35"),
            &json!("40.05")
        )
    );
    assert_eq!(kept["quotes"].as_array().unwrap().len(), 3);
    let (_, list) = api.get("/v1/shipments").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);

    // The cost report adds up to the hand-worked figures.
    let period = format!(
        "from={}&to={}",
        today - Duration::days(1),
        today + Duration::days(1)
    );
    let (status, cost) = api
        .get(&format!("/v1/analytics/cost?{period}&group_by=carrier"))
        .await;
    assert_eq!(status, 200, "{cost}");
    let line = &cost["rows"][0];
    assert_eq!(cost["rows"].as_array().unwrap().len(), 1, "{cost}");
    assert_eq!(
        (
            &line["parcels"],
            &line["spend"],
            &line["compared"],
            &line["over_cheapest"],
            &line["saved_vs_fastest"],
            &line["cost_per_parcel"],
            &line["cost_per_kg"]
        ),
        (
            &json!(2),
            &json!("41.85"),
            &json!(2),
            &json!("3.15"),
            &json!("38.25"),
            &json!("20.93"),
            &json!("8.37")
        )
    );
    let (_, by_service) = api
        .get(&format!("/v1/analytics/cost?{period}&group_by=service"))
        .await;
    let keys: Vec<&str> = by_service["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["sandbox/economy", "sandbox/standard"]);
    let text = common::cli(
        &hub.db_url,
        &[
            "routing",
            "cost",
            "--from",
            &(today - Duration::days(1)).to_string(),
            "--to",
            &(today + Duration::days(1)).to_string(),
        ],
    );
    let sandbox_line = text.lines().find(|l| l.starts_with("sandbox")).unwrap();
    for figure in ["41.85", "3.15", "38.25"] {
        assert!(sandbox_line.contains(figure), "{text}");
    }
}

/// Business days the sandbox takes on the lanes below (`carriers/src/sandbox/rate.rs`,
/// `TRANSIT_DAYS[service][zone]`): Atlanta 30301 → San Francisco 94105 is zone 3, → New York
/// 10001 zone 2. A reference with `LATE` adds 10 business days (`sandbox/track.rs`).
fn sandbox_transit(service: &str, to_postal: &str, late: bool) -> u32 {
    let days = match (service, to_postal) {
        ("economy", "94105") => 5,
        ("standard", "94105") => 4,
        ("economy", "10001") => 4,
        ("standard", "10001") => 3,
        other => panic!("no lane {other:?} in this test"),
    };
    days + if late { 10 } else { 0 }
}

/// The business days the hub's own promise gives a service class (`tracking::promised_date`):
/// what the on-time rate is measured against.
fn hub_promise(service: &str) -> u32 {
    match service {
        "economy" => 8,
        "standard" => 5,
        other => panic!("{other}"),
    }
}

/// Deliveries the sandbox tracks itself: parcels bought on two lanes with two services, with
/// ship dates 22 to 46 days back so that each journey is over and told whole at the first poll
/// (the delivery dated on its quoted day, 10 business days later for `LATE` references). The
/// percentiles, sample counts and on-time rates the hub answers per lane and service equal a
/// brute-force count over the transit days the sandbox's documented rule gives.
///
/// The hand-worked lane (Atlanta → San Francisco, the 2.5 kg parcel at economy 19.35, standard
/// 22.50, express 40.05), with a thin-history threshold of 5:
/// - economy: 5 × 5 days and 1 `LATE` × 15 → p75 5, p90 15;
/// - standard: 6 × 4 days → every percentile 4;
/// - express: no deliveries → its own estimate, 2 days.
///
/// Shipping on a Monday, wanted by the next Monday (5 business days):
/// - at 0.9: economy's p90 (15 days) is too late, standard's 4 arrives Friday → standard 22.50;
/// - at 0.75: economy's p75 (5) arrives Monday → economy 19.35.
///
/// Wanted by the Friday (4 business days) at 0.75: economy's 5 days miss it → standard 22.50.
#[tokio::test]
async fn sandbox_deliveries_tracked_through_the_hub_give_brute_force_percentiles() {
    let hub = common::start_with(
        tempfile::tempdir().unwrap(),
        &["--tracking-speedup", "20000", "--tracking-tick-ms", "100"],
    );
    let api = Api::of(&hub);
    let today = OffsetDateTime::now_utc().date();
    let (status, _) = api
        .put(
            "/v1/routing-rules",
            json!({"settings": {"min_samples": 5}, "rules": []}),
        )
        .await;
    assert_eq!(status, 200);

    // Arrange: (to postal, service, parcels, how many of them LATE).
    let plan = [
        ("94105", "economy", 6, 1),
        ("94105", "standard", 6, 0),
        ("10001", "economy", 5, 2),
        ("10001", "standard", 5, 0),
    ];
    // (to postal, service, ship date, late) of every parcel bought.
    let mut bought = vec![];
    for (to, service, n, late) in plan {
        for i in 0..n {
            let ship = today - Duration::days(22 + 4 * i64::from(i));
            let late = i < late;
            let to_address = match to {
                "94105" => sf(),
                _ => address("New York", "NY", "10001"),
            };
            let reference = format!("{}-{service}-{to}-{i}", if late { "LATE" } else { "ON" });
            let body = with(
                shipment(to_address, ship),
                json!({"carrier_account": api.account, "service": service, "reference": reference}),
            );
            let shp = api.created("/v1/shipments", body).await;
            assert_eq!(shp["service"]["code"], service);
            bought.push((to, service, ship, late));
        }
    }

    // Act: the scheduler polls each parcel once and finds it delivered.
    common::eventually("every parcel delivered", 60, || async {
        let events = api.all("/v1/events?limit=100").await;
        let delivered = events
            .iter()
            .filter(|e| e["type"] == "shipment.delivered")
            .count();
        delivered >= bought.len()
    })
    .await;

    // Assert: per lane and service, the hub's answer equals brute force over the scripted days.
    for (to, service, _, _) in plan {
        let mut days: Vec<u32> = vec![];
        let mut on_time = 0;
        for (_, _, ship, late) in bought.iter().filter(|b| b.0 == to && b.1 == service) {
            let delivered = add_business_days(*ship, sandbox_transit(service, to, *late));
            assert!(delivered < today, "{ship} is delivered by now");
            days.push(business_days_between(*ship, delivered));
            if delivered <= add_business_days(*ship, hub_promise(service)) {
                on_time += 1;
            }
        }
        days.sort_unstable();
        let (status, t) = api
            .get(&format!(
                "/v1/analytics/transit?carrier=sandbox&service={service}&from_postal=30301&to_postal={to}"
            ))
            .await;
        assert_eq!(status, 200, "{t}");
        assert_eq!(t["lane"], format!("US:303>US:{}", &to[..3]));
        let s = &t["services"][0];
        assert_eq!(t["services"].as_array().unwrap().len(), 1, "{t}");
        assert_eq!(s["samples"], days.len() as u64, "{service} to {to}: {t}");
        for p in [50, 75, 90, 95, 99] {
            assert_eq!(
                s[format!("p{p}")],
                nearest_rank(&days, p),
                "{service} to {to}, p{p}: {t}"
            );
        }
        let rate: rust_decimal::Decimal = s["on_time_rate"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            rate,
            (rust_decimal::Decimal::from(on_time) / rust_decimal::Decimal::from(days.len()))
                .round_dp(4),
            "{service} to {to}: {t}"
        );
    }
    // The hand-worked figures, as the brute force found them.
    let (_, t) = api
        .get("/v1/analytics/transit?from_postal=30301&to_postal=94105")
        .await;
    let stats: Vec<(String, u64, u64, u64)> = t["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["service"].as_str().unwrap().to_string(),
                s["samples"].as_u64().unwrap(),
                s["p75"].as_u64().unwrap(),
                s["p90"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stats,
        [
            ("economy".to_string(), 6, 5, 15),
            ("standard".to_string(), 6, 4, 4)
        ]
    );

    // deliver_by on the hand-worked lane.
    let ship = (1..8)
        .map(|i| today + Duration::days(i))
        .find(|d| d.weekday() == Weekday::Monday)
        .unwrap();
    let ask = |by: Date, confidence: f64| {
        with(
            shipment(sf(), ship),
            json!({"strategy": "deliver_by", "deliver_by": {"date": by.to_string(), "confidence": confidence}}),
        )
    };
    let next_monday = add_business_days(ship, 5);
    let (status, r) = api.post("/v1/rates", ask(next_monday, 0.9)).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        ranked(&r),
        [
            ("standard".into(), "22.50".into(), true),
            ("express".into(), "40.05".into(), true),
            ("economy".into(), "19.35".into(), false),
        ]
    );
    assert_eq!(r["quotes"][0]["transit"]["source"], "history", "{r}");
    assert_eq!(r["quotes"][0]["transit"]["samples"], 6);
    assert_eq!(
        r["quotes"][1]["transit"]["source"], "carrier_estimate",
        "{r}"
    );
    let (_, r) = api.post("/v1/rates", ask(next_monday, 0.75)).await;
    assert_eq!(ranked(&r)[0], ("economy".into(), "19.35".into(), true));
    let (_, r) = api
        .post("/v1/rates", ask(add_business_days(ship, 4), 0.75))
        .await;
    assert_eq!(ranked(&r)[0], ("standard".into(), "22.50".into(), true));
    assert!(!ranked(&r)[2].2, "economy misses Friday: {r}");
}
