//! Load: sixteen `tenantry token` process loops and 64 in-process tasks ask for tokens for every
//! organisation of a 20-login, 200-organisation fixture while the fake issues access tokens that
//! live 2 s. No call may fail, Xero may never answer invalid_grant, no refresh token may be spent
//! twice, and the refreshes must be the minimum: every refresh issued a token some caller got
//! (counted exactly, per token), so none was redundant.
//!
//! CI runs it for 5 s; `scripts/load-report.sh` runs 60 s and writes docs/RELIABILITY.md
//! (TENANTRY_LOAD_SECS, TENANTRY_LOAD_REPORT).

use crate::util::*;
use chrono::Duration;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tenantry_fake_xero::{Options, Seed};

const LOGINS: usize = 20;
const ORGS_EACH: usize = 10;
const TASKS: usize = 64;
const PROCESSES: usize = 16;
const TOKEN_SECS: f64 = 2.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_load_every_call_succeeds_and_no_refresh_token_is_spent_twice() {
    if !keyring_available("under_load_every_call_succeeds_and_no_refresh_token_is_spent_twice") {
        return;
    }
    let secs: u64 = std::env::var("TENANTRY_LOAD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let options = Options {
        access_lifetime: Duration::seconds(TOKEN_SECS as i64),
        seed: Seed::generated(LOGINS, ORGS_EACH),
        ..Options::default()
    };
    let it = instance_with(options, VaultKind::Keychain).await;
    let users: Vec<String> = it
        .fake
        .with(|w| w.users().iter().map(|u| u.email.clone()).collect());
    for user in &users {
        it.connect(user).await;
    }
    let tenants: Arc<Vec<String>> = Arc::new(
        it.fake
            .with(|w| w.tenants().iter().map(|t| t.id.clone()).collect()),
    );
    assert_eq!(tenants.len(), LOGINS * ORGS_EACH);
    let cli = Arc::new(Tenantry::for_instance(&it));
    // The sign-in tokens: served ones among these cost no refresh.
    let initial: HashSet<String> = it
        .engine
        .logins()
        .await
        .unwrap()
        .iter()
        .map(|l| {
            it.vault
                .load(&l.id)
                .unwrap()
                .unwrap()
                .access_token
                .fingerprint()
        })
        .collect();
    let served: Arc<Mutex<HashSet<String>>> = Arc::default();
    let refreshes_before = it.fake.total_refresh_calls();
    let started = Instant::now();
    let deadline = started + std::time::Duration::from_secs(secs);
    let mut workers = Vec::new();
    let (calls, runs) = (Tally::default(), Tally::default());
    for task in 0..TASKS {
        let caller = Caller::new(&tenants, task, &served, &calls, "in-process".into());
        workers.push(caller.asking_engine(it.engine.clone(), deadline));
    }
    for process in 0..PROCESSES {
        let caller = Caller::new(
            &tenants,
            process * 11,
            &served,
            &runs,
            "`tenantry token`".into(),
        );
        workers.push(caller.running_tenantry(cli.clone(), deadline));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let refreshes = it.fake.total_refresh_calls() - refreshes_before;
    let (reused, invalid) = it.fake.with(|w| (w.reused_refreshes, w.invalid_grants));
    // The minimum, exactly: each token a refresh issued and a caller got needed one refresh.
    let minimum = served.lock().unwrap().difference(&initial).count();
    let ratio = refreshes as f64 / minimum.max(1) as f64;
    // For scale: a token is refreshed when a tenth of its life is left, so under continuous
    // demand each login needs one every 1.8 s at most.
    let bound = LOGINS as f64 * elapsed / (TOKEN_SECS * 0.9);
    let report = format!(
        "| {secs} s ({elapsed:.1} s measured) | {} | {} | {} | {} | {refreshes} | {minimum} | {ratio:.2} | {bound:.0} | {reused} | {invalid} |",
        calls.ok(),
        calls.failed(),
        runs.ok(),
        runs.failed(),
    );
    eprintln!("{report}");
    if let Some(path) = std::env::var_os("TENANTRY_LOAD_REPORT") {
        std::fs::write(
            path,
            format!(
                "| run | in-process calls ok | failed | `tenantry token` runs ok | failed | refresh requests | minimum: refreshed tokens callers got | ratio | bound for continuous demand (20 × time ÷ 1.8 s) | refresh tokens spent twice | invalid_grant |\n|---|---|---|---|---|---|---|---|---|---|---|\n{report}\n"
            ),
        )
        .unwrap();
    }
    assert_eq!(
        calls.failed() + runs.failed(),
        0,
        "no call may fail under load"
    );
    assert_eq!(invalid, 0, "Xero must never see a stale refresh token");
    assert_eq!(reused, 0, "no refresh token may be spent twice");
    assert!(runs.ok() >= PROCESSES, "every process loop got tokens");
    assert_eq!(
        refreshes, minimum,
        "every refresh issued a token a caller got: none was redundant (ratio {ratio:.2})"
    );
}

/// How many calls of one kind worked and failed.
#[derive(Clone, Default)]
pub(crate) struct Tally {
    ok: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
}

impl Tally {
    pub(crate) fn ok(&self) -> usize {
        self.ok.load(Ordering::Relaxed)
    }

    pub(crate) fn failed(&self) -> usize {
        self.failed.load(Ordering::Relaxed)
    }
}

/// One caller under load: it walks the organisations from its own start until the deadline,
/// noting every access token it is served (by fingerprint) and counting what worked.
pub(crate) struct Caller {
    tenants: Arc<Vec<String>>,
    start: usize,
    served: Arc<Mutex<HashSet<String>>>,
    tally: Tally,
    who: String,
}

impl Caller {
    pub(crate) fn new(
        tenants: &Arc<Vec<String>>,
        start: usize,
        served: &Arc<Mutex<HashSet<String>>>,
        tally: &Tally,
        who: String,
    ) -> Self {
        Self {
            tenants: tenants.clone(),
            start,
            served: served.clone(),
            tally: tally.clone(),
            who,
        }
    }

    fn counted(&self, fingerprint: Option<String>, failure: impl FnOnce() -> String) {
        match fingerprint {
            Some(fingerprint) => {
                self.served.lock().unwrap().insert(fingerprint);
                self.tally.ok.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                eprintln!("{} call failed: {}", self.who, failure());
                self.tally.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Asks `engine` in this process, yielding between calls.
    pub(crate) fn asking_engine(
        self,
        engine: tenantry_core::Engine,
        deadline: Instant,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut n = self.start;
            while Instant::now() < deadline {
                n = (n + 37) % self.tenants.len();
                match engine.access_token_for(&self.tenants[n]).await {
                    Ok(grant) => self.counted(Some(grant.access_token.fingerprint()), String::new),
                    Err(e) => self.counted(None, || e.to_string()),
                }
                tokio::task::yield_now().await;
            }
        })
    }

    /// Runs `tenantry token` processes one after another.
    pub(crate) fn running_tenantry(
        self,
        cli: Arc<Tenantry>,
        deadline: Instant,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut n = self.start;
            while Instant::now() < deadline {
                n = (n + 13) % self.tenants.len();
                let ran = cli.run(&["token", &self.tenants[n]]).await;
                let token = (ran.status == 0 && ran.stdout.starts_with("eyJ"))
                    .then(|| tenantry_core::secret::fingerprint(ran.stdout.trim()));
                self.counted(token, || format!("{ran:?}"));
            }
        })
    }
}
