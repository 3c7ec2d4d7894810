//! Event stream relay throughput (BENCHMARKS.md): a backlog of EVENTS events drained by
//! `shiphub serve --events-to …` to one broker, timed from the hub's start until the last one is
//! marked relayed, then counted at the broker.
//!
//! Usage: `stream-bench SHIPHUB_BIN nats|amqp [EVENTS]` (default 100000). `nats` runs a private
//! `nats-server -js` (file storage in a temporary directory); `amqp` uses the machine's RabbitMQ
//! (127.0.0.1:5672, guest/guest) with an exchange and a durable queue of its own, deleted after.
//! The backlog is one real sandbox purchase's `shipment.created` event copied EVENTS times in
//! SQL (python3's sqlite3), ids in order, so the relay reads, signs and publishes real rows.
//! It prints the hub's CPU per event (utime+stime from /proc) and, for `nats`, the private
//! nats-server's over the drain, so hub and broker CPU per event are read side by side.
//!
//! `stream-bench - amqp-raw [EVENTS] [IN_FLIGHT]` measures the broker alone, without the hub:
//! one lapin connection publishes EVENTS persistent messages of a real event's size and headers
//! to a durable topic exchange and queue of its own, with publisher confirms, keeping at most
//! IN_FLIGHT (default 4000) unconfirmed, as the relay's four batches of 1000 do. What RabbitMQ
//! confirms per second here bounds what the relay can reach.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `shiphub serve`; its base URL and the first stdout line (the bootstrap, if any).
fn serve(bin: &str, db: &str, sink: &str) -> (Child, String, Option<String>) {
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", db])
        .args(["--events-to", sink, "--events-secret"])
        .arg("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        .args(["--key-rate", "0", "--tenant-rate", "0"])
        .env("SHIPHUB_LOG", "warn")
        .env_remove("SHIPHUB_MASTER_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn shiphub");
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("shiphub listening on ") {
                let _ = tx.send(rest.split_whitespace().next().unwrap().to_string());
            } else if line.contains("\"level\":\"WARN\"") || line.contains("ERROR") {
                eprintln!("[hub] {line}");
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("shiphub listens");
    // A fresh database prints its bootstrap line before listening (others print nothing).
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let boot = rx
        .recv_timeout(Duration::from_millis(200))
        .ok()
        .filter(|l| l.starts_with('{'));
    (child, base, boot)
}

fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const UNSTREAMED: &str = "import sqlite3,sys\n\
c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro',uri=True)\n\
print(c.execute('select count(*) from events where streamed_at is null').fetchone()[0])";

/// Copies the one event EVENTS times, ids after it in order, not yet streamed.
const SYNTHESIZE: &str = "import sqlite3,sys,time\n\
c=sqlite3.connect(sys.argv[1]); n=int(sys.argv[2])\n\
row=c.execute('select tenant_id,type,subject_id,payload,created_at from events order by id desc limit 1').fetchone()\n\
ms=int(time.time()*1000)\n\
c.executemany('insert into events (id,tenant_id,type,subject_id,payload,created_at) values (?,?,?,?,?,?)',\n\
  (('evt_%012x7%019x'%(ms,i),row[0],row[1],row[2],row[3],row[4]) for i in range(n)))\n\
c.commit()";

/// Polls until no event is left unstreamed (nor parked for a sink that failed a batch);
/// seconds since it started.
const DRAIN: &str = "import sqlite3,sys,time\n\
t=time.time(); time.sleep(0.2)\n\
c=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro',uri=True)\n\
while c.execute('select (select count(*) from events where streamed_at is null)+(select count(*) from stream_sink_backlog)').fetchone()[0]>0: time.sleep(0.02)\n\
print(time.time()-t)";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (bin, kind) = (&args[1], args[2].as_str());
    let events: usize = args.get(3).map_or(100_000, |n| n.parse().unwrap());
    if kind == "amqp-raw" {
        let in_flight = args.get(4).map_or(4000, |n| n.parse().unwrap());
        return amqp_raw(events, in_flight).await;
    }
    let dir = std::env::temp_dir().join(format!("stream-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db_file = dir.join("bench.db");
    let db = format!("sqlite://{}?mode=rwc", db_file.display());
    let tag = format!("bench{}", std::process::id());

    let mut nats_server = None;
    let sink = match kind {
        "nats" => {
            let port = free_port();
            nats_server = Some(
                Command::new("nats-server")
                    .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
                    .arg(dir.join("nats"))
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("nats-server"),
            );
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                std::thread::sleep(Duration::from_millis(50));
            }
            format!("nats://127.0.0.1:{port}")
        }
        "amqp" => {
            let _ = amqp_queue(&tag).await;
            format!("amqp://guest:guest@127.0.0.1:5672/%2f?exchange={tag}")
        }
        other => panic!("nats or amqp, not {other}"),
    };

    // One real event, relayed, so the relay exists and the copies have a real row to follow.
    let (hub, base, boot) = serve(bin, &db, &sink);
    let boot: serde_json::Value = serde_json::from_str(&boot.expect("bootstrap")).unwrap();
    let body = serde_json::json!({
        "from":{"name":"Shipper","street":["100 Main St"],"city":"Atlanta","state":"GA","postal_code":"30301","country":"US"},
        "to":{"name":"Receiver","street":["1 Market St"],"city":"San Francisco","state":"CA","postal_code":"94105","country":"US"},
        "parcels":[{"weight":{"value":"1.2","unit":"kg"}}],
        "carrier_account": boot["carrier_account"], "service": "standard", "label_format": "zpl"
    });
    let res = reqwest::Client::new()
        .post(format!("{base}/v1/shipments"))
        .bearer_auth(boot["api_key"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let db_path = db_file.display().to_string();
    while python(UNSTREAMED, &[&db_path]).trim() != "0" {
        std::thread::sleep(Duration::from_millis(100));
    }
    stop(hub);

    python(SYNTHESIZE, &[&db_path, &events.to_string()]);
    let drain = Command::new("python3")
        .arg("-c")
        .arg(DRAIN)
        .arg(&db_path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The private nats-server's CPU over the drain only (what it spent before is setup).
    let broker_cpu0 = nats_server.as_ref().map(|s| cpu_seconds(s.id()));
    let started = Instant::now();
    let (hub, _, _) = serve(bin, &db, &sink);
    let listening = started.elapsed();
    let out = drain.wait_with_output().unwrap();
    let secs: f64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let hub_cpu = cpu_seconds(hub.id());
    let broker_cpu = nats_server
        .as_ref()
        .zip(broker_cpu0)
        .map(|(s, before)| cpu_seconds(s.id()) - before);
    stop(hub);

    let at_broker = match kind {
        "nats" => {
            let client = async_nats::connect(sink.as_str()).await.unwrap();
            let js = async_nats::jetstream::new(client);
            let mut st = js.get_stream("SHIPHUB").await.unwrap();
            st.info().await.unwrap().state.messages
        }
        _ => {
            let (_conn, ch) = amqp_queue(&tag).await;
            count_and_delete(&ch, &tag).await
        }
    };
    if let Some(mut s) = nats_server {
        let _ = s.kill();
        let _ = s.wait();
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "{kind}: {events} events relayed in {secs:.2} s from the hub's start ({:.0}/s; the hub \
         listened after {listening:.2?}); {at_broker} messages at the broker (1 + {events} expected); \
         the hub's CPU {hub_cpu:.2} s, {:.1} µs per event{}",
        events as f64 / secs,
        hub_cpu * 1e6 / events as f64,
        broker_cpu.map_or(String::new(), |b| format!(
            "; nats-server's CPU {b:.2} s, {:.1} µs per event",
            b * 1e6 / events as f64
        ))
    );
}

/// RabbitMQ's own ceiling for what the relay sends: persistent, confirmed, in order.
async fn amqp_raw(events: usize, in_flight: usize) {
    use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
    use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
    let tag = format!("raw{}", std::process::id());
    let (_conn, ch) = amqp_queue(&tag).await;
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    // A sandbox purchase's `shipment.created` envelope, as the relay sends it, is about 1.2 KB.
    let body = vec![b'x'; 1200];
    // `STREAM_BENCH_TRANSIENT=1`: delivery mode 1, to see what persistence costs the broker.
    let mode = if std::env::var_os("STREAM_BENCH_TRANSIENT").is_some() {
        1
    } else {
        2
    };
    let started = Instant::now();
    let mut pending: std::collections::VecDeque<lapin::PublisherConfirm> =
        std::collections::VecDeque::with_capacity(in_flight);
    for i in 0..events {
        if pending.len() == in_flight {
            let c = pending.pop_front().unwrap();
            assert!(c.await.unwrap().is_ack());
        }
        let id = format!("evt_{i:026}");
        let mut headers = FieldTable::default();
        for (k, v) in [
            ("webhook-id", id.as_str()),
            ("webhook-timestamp", "1796659200"),
            (
                "webhook-signature",
                "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
            ),
        ] {
            headers.insert(
                ShortString::from(k),
                AMQPValue::LongString(LongString::from(v.to_string())),
            );
        }
        let props = lapin::BasicProperties::default()
            .with_message_id(ShortString::from(id.as_str()))
            .with_content_type(ShortString::from("application/json"))
            .with_delivery_mode(mode)
            .with_headers(headers);
        let c = ch
            .basic_publish(
                tag.as_str().into(),
                "t.shipment.created".into(),
                BasicPublishOptions::default(),
                &body,
                props,
            )
            .await
            .unwrap();
        pending.push_back(c);
    }
    for c in pending {
        assert!(c.await.unwrap().is_ack());
    }
    let secs = started.elapsed().as_secs_f64();
    let n = count_and_delete(&ch, &tag).await;
    println!(
        "amqp-raw: {events} messages (delivery mode {mode}) confirmed in {secs:.2} s ({:.0}/s, at most {in_flight} unconfirmed); {n} in the queue",
        events as f64 / secs
    );
}

/// The machine's RabbitMQ with a durable topic exchange `tag` and a durable queue `tag` bound
/// to all of it (declared again if they exist).
async fn amqp_queue(tag: &str) -> (lapin::Connection, lapin::Channel) {
    use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
    let conn =
        lapin::Connection::connect("amqp://guest:guest@127.0.0.1:5672/%2f", Default::default())
            .await
            .unwrap();
    let ch = conn.create_channel().await.unwrap();
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    ch.exchange_declare(
        tag.into(),
        lapin::ExchangeKind::Topic,
        durable,
        Default::default(),
    )
    .await
    .unwrap();
    let q = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    ch.queue_declare(tag.into(), q, Default::default())
        .await
        .unwrap();
    ch.queue_bind(
        tag.into(),
        tag.into(),
        "#".into(),
        QueueBindOptions::default(),
        Default::default(),
    )
    .await
    .unwrap();
    (conn, ch)
}

/// The messages in queue `tag`; then the queue and exchange `tag` are deleted.
async fn count_and_delete(ch: &lapin::Channel, tag: &str) -> u64 {
    let q = ch
        .queue_declare(
            tag.into(),
            lapin::options::QueueDeclareOptions {
                passive: true,
                durable: true,
                ..Default::default()
            },
            Default::default(),
        )
        .await
        .unwrap();
    let _ = ch.queue_delete(tag.into(), Default::default()).await;
    let _ = ch.exchange_delete(tag.into(), Default::default()).await;
    u64::from(q.message_count())
}

/// A process's CPU time so far (user + system), in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    let tick = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(100.0);
    f.iter().sum::<f64>() / tick
}
