//! `load-machine CONFIG DATA TENANTS TASKS START READY GO`: one process of one practice machine in
//! the full-size practice load test (tests/e2e/practice_full.rs). It opens the profile as
//! `tenantry` does (its keychain, its practice), creates the file READY, and waits for the file GO
//! to hold UNTIL_MS (milliseconds since the epoch, the same for every process): opening is not
//! part of the run, however long a loaded machine takes for it. Then TASKS tasks ask for tokens
//! for the organisations listed in TENANTS (one per line), each from its own place in the list,
//! until the wall clock passes UNTIL_MS, and it prints what it saw as JSON: calls that worked and
//! failed, the first few failures, and the fingerprint of every access token it was handed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use tenantry_core::profile::Profile;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [config, data, tenants, tasks, start, ready, go] = args.as_slice() else {
        eprintln!("usage: load-machine CONFIG DATA TENANTS TASKS START READY GO");
        std::process::exit(2);
    };
    let tenants: Arc<Vec<String>> = Arc::new(
        std::fs::read_to_string(tenants)
            .expect("the organisations file")
            .lines()
            .map(str::to_owned)
            .collect(),
    );
    let (tasks, start): (usize, usize) =
        (tasks.parse().expect("TASKS"), start.parse().expect("START"));
    let profile = Profile::load_existing(
        "default",
        Some(std::path::Path::new(config)),
        Some(std::path::Path::new(data)),
    )
    .expect("the machine's profile");
    let engine = profile
        .open_engine()
        .await
        .expect("the machine opens the practice");
    std::fs::write(ready, "").expect("the ready marker");
    let until_ms: i64 = loop {
        let written = std::fs::read_to_string(go).ok();
        if let Some(until) = written.and_then(|t| t.trim().parse().ok()) {
            break until;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };

    let served = Arc::new(Mutex::new(HashSet::new()));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let mut workers = Vec::new();
    for task in 0..tasks {
        let (engine, tenants) = (engine.clone(), tenants.clone());
        let (served, failures) = (served.clone(), failures.clone());
        workers.push(tokio::spawn(async move {
            let (mut ok, mut n) = (0usize, start + task);
            while chrono::Utc::now().timestamp_millis() < until_ms {
                n = (n + 37) % tenants.len();
                match engine.access_token_for(&tenants[n]).await {
                    Ok(grant) => {
                        served
                            .lock()
                            .unwrap()
                            .insert(grant.access_token.fingerprint());
                        ok += 1;
                    }
                    Err(e) => failures.lock().unwrap().push(e.to_string()),
                }
                tokio::task::yield_now().await;
            }
            ok
        }));
    }
    let mut ok = 0;
    for worker in workers {
        ok += worker.await.expect("a task ends");
    }
    let failures = failures.lock().unwrap();
    let report = serde_json::json!({
        "ok": ok,
        "failed": failures.len(),
        "failures": failures.iter().take(5).collect::<Vec<_>>(),
        "served": served.lock().unwrap().iter().collect::<Vec<_>>(),
    });
    println!("{report}");
}
