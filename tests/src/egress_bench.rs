//! The egress meter's benchmark (`tenantry-bench gateway-egress`), against a real `tenantry
//! gateway` process and a fake Xero that gzips for clients that ask: CALLS calls of known sizes
//! (half compressed), after which the meter must equal, call for call and byte for byte, what the
//! clients received on the wire and decoded; then clients calling without pause while the
//! gateway is killed with SIGKILL, and how many answered calls the store lacks afterwards.
//! A count that differs in the first part fails the run; the second is reported. Also Starter's
//! 1,000 calls a day, held by the gateway ([`starter`]).

use crate::bench::{Fixture, Vault, ms};
use crate::gateway_bench::RunningGateway;
use anyhow::bail;
use serde_json::{Value, json};
use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tenantry_core::usage::{EgressCount, Month};
use tenantry_fake_xero::Options;

/// Calls each organisation takes in the exact part: under Xero's 60 a minute, so none waits.
const PER_ORG: usize = 50;
const CLIENTS: usize = 8;

/// The paths called in turn: a small answer and a list.
const PATHS: [&str; 2] = ["/api.xro/2.0/Organisation", "/api.xro/2.0/Contacts"];

/// Where clients send their calls: a gateway's address and key.
struct Target {
    url: String,
    key: String,
}

impl Target {
    fn of(gw: &RunningGateway) -> Arc<Self> {
        Arc::new(Self {
            url: gw.url.clone(),
            key: gw.key.clone(),
        })
    }
}

#[derive(Default)]
struct Received {
    calls: AtomicU64,
    wire: AtomicU64,
    decoded: AtomicU64,
}

impl Received {
    fn count(&self) -> EgressCount {
        EgressCount {
            calls: self.calls.load(Ordering::SeqCst),
            wire: self.wire.load(Ordering::SeqCst),
            decoded: self.decoded.load(Ordering::SeqCst),
        }
    }
}

/// One call; its sizes added to `into` once its whole answer has arrived.
async fn call(
    http: &reqwest::Client,
    gw: &Target,
    tenant: &str,
    i: usize,
    into: &Received,
) -> anyhow::Result<()> {
    let mut request = http
        .get(format!("{}{}", gw.url, PATHS[i % PATHS.len()]))
        .bearer_auth(&gw.key)
        .header("xero-tenant-id", tenant);
    if i % 4 < 2 {
        request = request.header("accept-encoding", "gzip");
    }
    let answer = request.send().await?;
    if !answer.status().is_success() {
        bail!("a call was answered {}", answer.status());
    }
    let gzip = answer.headers().contains_key("content-encoding");
    let body = answer.bytes().await?;
    let decoded = if gzip {
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut plain)?;
        plain.len()
    } else {
        body.len()
    };
    into.calls.fetch_add(1, Ordering::SeqCst);
    into.wire.fetch_add(body.len() as u64, Ordering::SeqCst);
    into.decoded.fetch_add(decoded as u64, Ordering::SeqCst);
    Ok(())
}

/// The store's count for this month, read through the fixture's engine.
async fn metered(fx: &Fixture) -> anyhow::Result<EgressCount> {
    Ok(fx.engine.usage(Month::of(chrono::Utc::now())).await?.total)
}

/// Waits until the store holds `calls` calls (the meter writes as answers end), at most 10 s.
async fn settled(fx: &Fixture, calls: u64) -> anyhow::Result<EgressCount> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = metered(fx).await?;
        if now.calls >= calls || Instant::now() > deadline {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn egress(tenantry: &Path, calls: usize, kill_after: Duration) -> anyhow::Result<Value> {
    // Half the organisations for each part, so the second starts with whole minutes.
    let orgs = calls.div_ceil(PER_ORG).max(1);
    let options = Options {
        gzip: true,
        ..Options::default()
    };
    let fx = Fixture::with_options(1, 2 * orgs, Vault::Keychain, options).await?;
    let (first, second) = fx.tenants[0].split_at(orgs);
    let (tenants, fresh) = (Arc::new(first.to_vec()), Arc::new(second.to_vec()));
    let http = reqwest::Client::new();

    // Exact: every call's bytes, as the clients received them, against the store.
    let running = RunningGateway::start(&fx, tenantry)?;
    let gw = Target::of(&running);
    let received = Arc::new(Received::default());
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (gw, http, tenants) = (gw.clone(), http.clone(), tenants.clone());
        let (received, next) = (received.clone(), next.clone());
        clients.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst) as usize;
                if i >= calls {
                    return anyhow::Ok(());
                }
                call(&http, &gw, &tenants[i % tenants.len()], i, &received).await?;
            }
        }));
    }
    for c in clients {
        c.await??;
    }
    let took = started.elapsed();
    let sent = received.count();
    let meter = settled(&fx, sent.calls).await?;
    if meter != sent {
        bail!("the meter says {meter:?}; the clients received {sent:?}");
    }
    drop(running);
    // Xero's app-wide 10,000 calls a minute: let a minute that was mostly spent pass.
    if sent.calls > 5_000 {
        tokio::time::sleep(Duration::from_secs(61)).await;
    }

    // SIGKILL while clients call without pause: answered calls the store lacks after.
    let running = RunningGateway::start(&fx, tenantry)?;
    let gw = Target::of(&running);
    let before = metered(&fx).await?;
    let answered = Arc::new(Received::default());
    let failed = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (gw, http, tenants) = (gw.clone(), http.clone(), fresh.clone());
        let (answered, failed) = (answered.clone(), failed.clone());
        clients.push(tokio::spawn(async move {
            for i in (c..).step_by(CLIENTS) {
                let tenant = &tenants[i % tenants.len()];
                if call(&http, &gw, tenant, i, &answered).await.is_err() {
                    failed.fetch_add(1, Ordering::SeqCst);
                    return;
                }
            }
        }));
    }
    tokio::time::sleep(kill_after).await;
    let killed_at = Instant::now();
    // Dropping it sends SIGKILL.
    drop(running);
    for c in clients {
        c.await?;
    }
    let answered = answered.count();
    let after = metered(&fx).await?;
    let kept = EgressCount {
        calls: after.calls - before.calls,
        wire: after.wire - before.wire,
        decoded: after.decoded - before.decoded,
    };
    fx.forget();
    Ok(json!({
        "scenario": "gateway_egress",
        "calls": sent.calls, "organisations": orgs, "clients": CLIENTS,
        "seconds": took.as_secs_f64(),
        "received": sent, "metered": meter, "exact": meter == sent,
        "kill": {
            "after_ms": ms(kill_after),
            "answered_before_kill": answered,
            "in_flight_at_kill": failed.load(Ordering::SeqCst),
            "kept": kept,
            "answered_not_kept": answered.calls.saturating_sub(kept.calls),
            "kept_beyond_answered": kept.calls.saturating_sub(answered.calls),
            "reader_wait_ms": ms(killed_at.elapsed()),
        },
    }))
}

/// Starter's day (`tenantry-bench gateway-starter`): `tier = "starter"`, CALLS calls to one
/// organisation from 5 concurrent clients, with the minute shortened to MINUTE_MS for the fake
/// and the gateway (debug builds only honour it: bench.sh runs this one on the debug binary, as
/// 1,200 calls at Xero's 60 a minute would take 20 minutes). Exactly 1,000 must reach the fake,
/// and every other call be answered by the gateway with the day's problem.
pub async fn starter(tenantry: &Path, calls: usize, minute_ms: u64) -> anyhow::Result<Value> {
    let options = Options {
        limits: tenantry_fake_xero::Limits {
            minute: Duration::from_millis(minute_ms),
            ..Default::default()
        },
        ..Options::default()
    }
    .on_tier("starter")
    .expect("a tier the fake knows");
    let mut fx = Fixture::with_options(1, 1, Vault::Keychain, options).await?;
    fx.config.tier = Some(tenantry_core::config::Tier::Starter);
    fx.config.save(&fx.config_file)?;
    let tenant = fx.tenants[0][0].clone();
    let running = {
        let mut cli = fx.cli(tenantry);
        cli.env("TENANTRY_TEST_RATE_MINUTE_MS", minute_ms.to_string());
        RunningGateway::start_with(&fx, tenantry, cli)?
    };
    let gw = Target::of(&running);
    let http = reqwest::Client::new();
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for _ in 0..5 {
        let (gw, http, tenant, next) = (gw.clone(), http.clone(), tenant.clone(), next.clone());
        clients.push(tokio::spawn(async move {
            let mut seen: std::collections::BTreeMap<String, u64> = Default::default();
            while (next.fetch_add(1, Ordering::SeqCst) as usize) < calls {
                let answer = http
                    .get(format!("{}/api.xro/2.0/Organisation", gw.url))
                    .bearer_auth(&gw.key)
                    .header("xero-tenant-id", &tenant)
                    .send()
                    .await?;
                let problem = answer
                    .headers()
                    .get("x-rate-limit-problem")
                    .and_then(|v| v.to_str().ok())
                    .map(|p| format!(" {p}"))
                    .unwrap_or_default();
                *seen
                    .entry(format!("{}{problem}", answer.status().as_u16()))
                    .or_default() += 1;
                answer.bytes().await?;
            }
            anyhow::Ok(seen)
        }));
    }
    let mut statuses: std::collections::BTreeMap<String, u64> = Default::default();
    for c in clients {
        for (k, n) in c.await?? {
            *statuses.entry(k).or_default() += n;
        }
    }
    let took = started.elapsed();
    drop(running);
    let stats = fx.fake.with(|w| w.limit_stats(&tenant));
    let refused_by_xero: u64 = stats.refused.values().sum();
    fx.forget();
    let answered = statuses.get("200").copied().unwrap_or(0);
    let day = statuses.get("429 day").copied().unwrap_or(0);
    if stats.accepted != 1000
        || refused_by_xero > 0
        || answered != 1000
        || day != calls as u64 - 1000
    {
        bail!(
            "Starter's 1,000 a day was not kept: the fake accepted {} and refused {refused_by_xero}; the clients saw {statuses:?}",
            stats.accepted
        );
    }
    Ok(json!({
        "scenario": "gateway_starter", "calls": calls, "minute_ms": minute_ms,
        "seconds": took.as_secs_f64(), "reached_xero": stats.accepted,
        "refused_by_xero": refused_by_xero, "client_statuses": statuses,
    }))
}
