//! Practice mode's benchmarks beside the local mode's, measured side by side in one run
//! (`tenantry-bench practice`): the hot path (a valid token from an engine's memory), single
//! flight at scale (callers over many logins whose tokens just expired, spread over processes that
//! each open the profile as a machine of its own), and keep-alive over many logins. Each figure
//! is given for a local profile (SQLite and the keychain) and a practice (PostgreSQL, the sealed
//! vault, advisory locks), with the ratio of the medians. Only exact properties fail a run: a
//! refresh more than the minimum, a token spent twice, an `invalid_grant`.

use crate::bench::{Fixture, Spread, Vault, callers_across_processes, expire_all, ms};
use anyhow::bail;
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};
use tenantry_core::engine::KEEPALIVE_CONCURRENCY;

/// What to measure.
#[derive(clap::Args)]
pub struct Sizes {
    /// Logins whose tokens expire together for single flight.
    #[arg(long, default_value_t = 50)]
    pub logins: usize,
    /// Callers released together over those logins.
    #[arg(long, default_value_t = 1000)]
    pub callers: usize,
    /// Processes the callers are spread over, each in the practice a member machine.
    #[arg(long, default_value_t = 4)]
    pub machines: usize,
    /// Logins keep-alive refreshes.
    #[arg(long, default_value_t = 1000)]
    pub keep_logins: usize,
    /// Added to every token request during keep-alive.
    #[arg(long, default_value_t = 50)]
    pub latency_ms: u64,
    /// Batches of 1,000 hot calls per mode.
    #[arg(long, default_value_t = 30)]
    pub hot_batches: usize,
}

pub async fn practice(exe: &Path, sizes: &Sizes) -> anyhow::Result<Value> {
    let local = Fixture::new(
        sizes.logins,
        1,
        chrono::Duration::minutes(30),
        Vault::Keychain,
    )
    .await?;
    let shared = Fixture::new(
        sizes.logins,
        1,
        chrono::Duration::minutes(30),
        Vault::Practice,
    )
    .await?;

    // The hot path: batches of 1,000 calls for one organisation whose token is valid, alternating.
    let (mut hot_local, mut hot_shared) = (Vec::new(), Vec::new());
    for _ in 0..sizes.hot_batches {
        hot_local.push(hot_batch(&local).await?);
        hot_shared.push(hot_batch(&shared).await?);
    }

    // Single flight at scale, local then practice, each with its own fresh expiry.
    let mut flights = Vec::new();
    for fx in [&local, &shared] {
        expire_all(fx, sizes.logins).await?;
        let before = fx.fake.total_refresh_calls();
        let latencies =
            callers_across_processes(fx, exe, sizes.logins, sizes.callers, sizes.machines, true)
                .await?;
        let refreshes = fx.fake.total_refresh_calls() - before;
        let (reused, invalid) = fx.fake.with(|w| (w.reused_refreshes, w.invalid_grants));
        if refreshes != sizes.logins || reused + invalid > 0 {
            bail!(
                "single flight broken: {refreshes} refreshes for {} logins, {reused} spent twice, {invalid} invalid_grant",
                sizes.logins
            );
        }
        flights.push(json!({
            "refreshes": refreshes,
            "latency_ms": Spread::of(latencies.clone()),
            "p95_ms": Spread::percentile(&latencies, 0.95),
        }));
    }
    local.forget();
    shared.forget();

    // Keep-alive over many logins, local then practice, the fake answering each token request
    // after the same latency.
    let mut keeps = Vec::new();
    for vault in [Vault::Keychain, Vault::Practice] {
        let fx = Fixture::new(sizes.keep_logins, 1, chrono::Duration::minutes(30), vault).await?;
        fx.fake.with(|w| {
            w.options.token_latency = Duration::from_millis(sizes.latency_ms);
            w.token_in_flight_max = 0;
        });
        let before = fx.fake.total_refresh_calls();
        let started = Instant::now();
        let reports = fx.engine.keepalive(chrono::Duration::zero()).await?;
        let elapsed = started.elapsed().as_secs_f64();
        let refreshed = reports
            .iter()
            .filter(|r| matches!(r.outcome, tenantry_core::KeepAliveOutcome::Refreshed { .. }))
            .count();
        let requests = fx.fake.total_refresh_calls() - before;
        let (peak, invalid) = fx.fake.with(|w| (w.token_in_flight_max, w.invalid_grants));
        fx.forget();
        if refreshed != sizes.keep_logins
            || requests != sizes.keep_logins
            || peak > KEEPALIVE_CONCURRENCY
            || invalid > 0
        {
            bail!(
                "keep-alive missed a login or broke a limit: {refreshed} refreshed, {requests} requests, {peak} at once, {invalid} invalid_grant"
            );
        }
        keeps.push(json!({"elapsed_s": elapsed, "refreshed": refreshed, "peak_concurrent_token_requests": peak}));
    }

    let (hot_local, hot_shared) = (Spread::of(hot_local), Spread::of(hot_shared));
    let ratio = |a: &Value, b: &Value, key: &str| {
        b[key]["median"].as_f64().unwrap_or(f64::NAN)
            / a[key]["median"].as_f64().unwrap_or(f64::NAN)
    };
    Ok(json!({
        "scenario": "practice",
        "logins": sizes.logins, "callers": sizes.callers, "machines": sizes.machines,
        "keep_logins": sizes.keep_logins, "latency_ms": sizes.latency_ms,
        "concurrency": KEEPALIVE_CONCURRENCY,
        "hot_us": {"local": hot_local, "practice": hot_shared, "ratio": hot_shared.median / hot_local.median},
        "single_flight": {
            "local": flights[0], "practice": flights[1],
            "ratio": ratio(&flights[0], &flights[1], "latency_ms"),
        },
        "keepalive": {
            "local": keeps[0], "practice": keeps[1],
            "ratio": keeps[1]["elapsed_s"].as_f64().unwrap_or(f64::NAN) / keeps[0]["elapsed_s"].as_f64().unwrap_or(f64::NAN),
        },
    }))
}

/// Microseconds per call, over 1,000 calls for an organisation whose token is valid.
async fn hot_batch(fx: &Fixture) -> anyhow::Result<f64> {
    let tenant = &fx.tenants[0][0];
    let started = Instant::now();
    for _ in 0..1000 {
        fx.engine.access_token_for(tenant).await?;
    }
    Ok(ms(started.elapsed()))
}
