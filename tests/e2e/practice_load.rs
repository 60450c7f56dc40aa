//! Practice mode under load: four machines (each its own engine in this process, its own
//! `tenantry` configuration, data directory and keychain service) on one practice on the suite's
//! PostgreSQL server. In-process tasks on every machine's engine and `tenantry token` process
//! loops on every machine ask for tokens for all 60 organisations of a 12-login fixture while the
//! fake issues access tokens that live 2 s. No call may fail, Xero may never see a stale refresh
//! token, none may be spent twice, and the refreshes must be the exact minimum (every refresh
//! issued a token some caller got): the advisory lock and the re-read under it hold across
//! machines as the file lock does within one.
//!
//! CI runs 5 s (TENANTRY_PRACTICE_LOAD_SECS for longer).

use crate::load::{Caller, Tally};
use crate::practice::{self, Database, Machine};
use crate::util::*;
use chrono::Duration;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tenantry_core::Engine;
use tenantry_fake_xero::{Options, Seed};

const MACHINES: usize = 4;
const LOGINS: usize = 12;
const ORGS_EACH: usize = 5;
const TASKS_EACH: usize = 16;
const PROCESSES_EACH: usize = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_machines_under_load_refresh_the_minimum_and_spend_no_token_twice() {
    if !keyring_available("four_machines_under_load_refresh_the_minimum_and_spend_no_token_twice") {
        return;
    }
    let secs: u64 = std::env::var("TENANTRY_PRACTICE_LOAD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let db = Database::new("load");
    let it = instance_with(
        Options {
            access_lifetime: Duration::seconds(2),
            seed: Seed::generated(LOGINS, ORGS_EACH),
            ..Options::default()
        },
        VaultKind::Memory,
    )
    .await;

    // Each machine: a configuration file for its processes, and an engine in this process, both
    // on the machine's own keychain service. The first makes the practice; the others join.
    let mut machines: Vec<(Machine, Engine)> = Vec::new();
    for m in 0..MACHINES {
        let machine = practice::machine(&it, &db.url, &format!("BOX-{m}"), "Ann");
        match machines.first() {
            None => assert_eq!(machine.run(&["practice", "init"]).await.status, 0),
            Some((inviter, _)) => {
                let code = inviter.run(&["practice", "invite"]).await.stdout;
                let joined = machine.run(&["practice", "join", code.trim()]).await;
                assert_eq!(joined.status, 0, "{joined:?}");
            }
        }
        let engine = machine.engine(&it).await;
        machines.push((machine, engine));
    }

    let users: Vec<String> = it
        .fake
        .with(|w| w.users().iter().map(|u| u.email.clone()).collect());
    for user in &users {
        sign_in_on(&it.fake, &machines[0].1, user, None)
            .await
            .unwrap();
    }
    let tenants: Arc<Vec<String>> = Arc::new(
        it.fake
            .with(|w| w.tenants().iter().map(|t| t.id.clone()).collect()),
    );
    assert_eq!(tenants.len(), LOGINS * ORGS_EACH);
    // The sign-in tokens: served ones among these cost no refresh.
    let mut initial = HashSet::new();
    for tenant in tenants.iter() {
        let grant = machines[0].1.access_token_for(tenant).await.unwrap();
        initial.insert(grant.access_token.fingerprint());
    }

    let served: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(initial.clone()));
    let refreshes_before = it.fake.total_refresh_calls();
    let deadline = Instant::now() + std::time::Duration::from_secs(secs);
    let (calls, runs) = (Tally::default(), Tally::default());
    let mut workers = Vec::new();
    for (m, (machine, engine)) in machines.iter().enumerate() {
        for task in 0..TASKS_EACH {
            let who = format!("in-process on BOX-{m}");
            let caller = Caller::new(&tenants, m * TASKS_EACH + task, &served, &calls, who);
            workers.push(caller.asking_engine(engine.clone(), deadline));
        }
        for process in 0..PROCESSES_EACH {
            let cli = Arc::new(Tenantry {
                config: machine.cli.config.clone(),
                data: machine.cli.data.clone(),
                passphrase: None,
            });
            let who = format!("`tenantry token` on BOX-{m}");
            let start = (m * PROCESSES_EACH + process) * 7;
            let caller = Caller::new(&tenants, start, &served, &runs, who);
            workers.push(caller.running_tenantry(cli, deadline));
        }
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let refreshes = it.fake.total_refresh_calls() - refreshes_before;
    let (reused, invalid) = it.fake.with(|w| (w.reused_refreshes, w.invalid_grants));
    let minimum = served.lock().unwrap().difference(&initial).count();
    eprintln!(
        "practice load, {secs} s: {} in-process ok, {} failed; {} processes ok, {} failed; {refreshes} refreshes, minimum {minimum}; {reused} spent twice; {invalid} invalid_grant",
        calls.ok(),
        calls.failed(),
        runs.ok(),
        runs.failed(),
    );
    assert_eq!(
        calls.failed() + runs.failed(),
        0,
        "no call may fail under load, on any machine"
    );
    assert_eq!(invalid, 0, "Xero must never see a stale refresh token");
    assert_eq!(
        reused, 0,
        "no refresh token may be spent twice, across machines"
    );
    assert!(
        refreshes > 0,
        "the 2-second tokens did expire under the load"
    );
    assert_eq!(
        refreshes, minimum,
        "every refresh issued a token a caller got: no machine repeated another's refresh"
    );

    // Leave no practice key in the real keychain.
    let key_id = db.sql("SELECT key_id FROM practice");
    for (machine, _) in &machines {
        machine.forget_key(&key_id);
    }
}
