//! Load-test fixture: `cargo run --release -p shiphub --example seed_trackers -- DB_FILE N`
//! creates (or reuses) a SQLite database with a `bench` tenant, a sandbox account and N
//! trackers due now, for measuring the scheduler's memory and ingest rate with `shiphub
//! serve` on it (see BENCHMARKS.md). The master key is the one `serve` uses beside the file.

use std::path::PathBuf;

use shiphub::crypto::MasterKey;
use shiphub::crypto::aad;
use shiphub::ids::AccountId;
use shiphub::store::{AccountRecord, Store};
use shiphub::tracking::{PollPolicy, new_tracker};
use time::OffsetDateTime;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let file = PathBuf::from(args.next().expect("DB_FILE"));
    let n: usize = args.next().expect("N").parse().expect("N is a number");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let store = Store::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let dir = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let key = MasterKey::load_or_create(&dir.join("shiphub-master.key")).expect("master key");
    let now = OffsetDateTime::now_utc();
    let tenant = store.create_tenant("bench", now).await.expect("tenant").id;
    let account = AccountId::generate();
    let (nonce, secret) = key.encrypt(&aad(&tenant, &account), br#"{"step_seconds":60}"#);
    store
        .insert_account(
            &tenant,
            &AccountRecord {
                id: account.clone(),
                carrier: "sandbox".into(),
                name: "bench".into(),
                base_url: None,
                secret_nonce: nonce,
                secret,
                created_at: now,
            },
            None,
        )
        .await
        .expect("account");
    let policy = PollPolicy::default();
    // Valid sandbox numbers: SB + scenario 0 + unix seconds + 4-digit slot + Luhn.
    let secs = now.unix_timestamp();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        let body = format!("0{:010}{:04}", secs - (i / 10_000) as i64, i % 10_000);
        let number = format!("SB{body}{}", luhn(&body));
        let mut t = new_tracker(
            &policy,
            now,
            &number,
            "sandbox",
            Some(account.clone()),
            None,
            None,
            None,
        );
        t.next_check_at = Some(now);
        batch.push(t);
        if batch.len() == 10_000 {
            store
                .insert_trackers(&tenant, &batch)
                .await
                .expect("insert");
            batch.clear();
        }
    }
    store
        .insert_trackers(&tenant, &batch)
        .await
        .expect("insert");
    eprintln!("seeded {n} trackers into {}", file.display());
}

fn luhn(digits: &str) -> u32 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}
