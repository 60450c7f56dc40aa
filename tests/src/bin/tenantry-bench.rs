//! `tenantry-bench`: the process-level and concurrency benchmarks (single flight, keep-alive at
//! scale, `status`/`orgs` at scale, a cold `tenantry token` against `secret-tool`, and the
//! gateway's: its token agent, its overhead, Xero's budgets shared by many clients). Each scenario
//! prints one JSON object; `scripts/bench.sh` runs them on a release build and writes
//! docs/BENCHMARKS.md. A scenario fails (exit 1) only when an exact property breaks (say, more
//! refreshes than logins); timings are reported, never asserted.
//!
//! Run it under a private keyring (scripts/bench.sh does): fixtures sign users in for real.

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tenantry_core::Engine;
use tenantry_core::clock::SystemClock;
use tenantry_core::config::Config;
use tenantry_core::engine::KEEPALIVE_CONCURRENCY;
use tenantry_core::vault::KeychainVault;
use tenantry_core::xero::XeroClient;
use tenantry_tests::bench::{
    CLIENT_ID, Fixture, Spread, Vault, callers_across_processes, concurrent_callers, expire_all,
    ms, unix_ms,
};
use tenantry_tests::{gateway_bench, practice_bench};

#[derive(Parser)]
struct Args {
    /// The `tenantry` binary (default: beside this one).
    #[arg(long, global = true)]
    tenantry: Option<PathBuf>,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand)]
enum Scenario {
    /// CALLERS concurrent token requests over LOGINS expired logins, in this process and then
    /// spread over PROCESSES processes: refresh requests must equal LOGINS.
    SingleFlight {
        #[arg(long, default_value_t = 50)]
        logins: usize,
        #[arg(long, default_value_t = 1000)]
        callers: usize,
        #[arg(long, default_value_t = 8)]
        processes: usize,
    },
    /// Keep-alive over LOGINS logins with LATENCY_MS added to every token request.
    Keepalive {
        #[arg(long, default_value_t = 1000)]
        logins: usize,
        #[arg(long, default_value_t = 50)]
        latency_ms: u64,
        /// `keychain` (as users run it) or `memory` (the engine alone, without the keychain).
        #[arg(long, default_value = "keychain")]
        vault: String,
    },
    /// `tenantry status` and `tenantry orgs` with each number of logins (10 organisations each).
    Scale {
        #[arg(long, value_delimiter = ',', default_value = "10,100,1000")]
        sizes: Vec<usize>,
        #[arg(long, default_value_t = 10)]
        orgs: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// `tenantry token ORG` as a whole process against `secret-tool lookup` of the same entry,
    /// and the same with the file vault.
    ColdToken {
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// `tenantry token ORG` for one login's organisation while another login's refresh is held
    /// by a slow Xero (its process waiting on the token endpoint, its journal entry written),
    /// against the same call with nothing held: a stuck login must stall no other.
    Stalled {
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// A cold `tenantry token` answered by a running gateway's token agent, against a fresh
    /// process doing one socket round trip, `secret-tool lookup`, and the keychain path.
    GatewayAgent {
        #[arg(long, default_value_t = 30)]
        runs: usize,
    },
    /// The same GET through the gateway and straight to the fake Xero: what the gateway adds.
    GatewayOverhead {
        #[arg(long, default_value_t = 1000)]
        requests: usize,
    },
    /// CALLS calls of known sizes through a gateway (half gzip-compressed): the egress meter
    /// must equal what the clients received; then a SIGKILL mid-run, and what the store lacks.
    GatewayEgress {
        #[arg(long, default_value_t = 10_000)]
        calls: usize,
        /// How long clients call before the gateway is killed.
        #[arg(long, default_value_t = 3000)]
        kill_after_ms: u64,
    },
    /// `tenantry each --all --all-pages` over LOGINS × ORGS organisations, PAGES pages of 100
    /// contacts each, the fake answering in 100 ms: wall time against the bound Xero's limits
    /// set; no 429, every organisation read once, whole.
    Each {
        #[arg(long, default_value_t = 10)]
        logins: usize,
        #[arg(long, default_value_t = 20)]
        orgs: usize,
        #[arg(long, default_value_t = 5)]
        pages: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// `tier = "starter"`: CALLS calls to one organisation, the minute shortened to MINUTE_MS
    /// (debug builds only): exactly 1,000 reach Xero, the rest get the day's problem.
    GatewayStarter {
        #[arg(long, default_value_t = 1200)]
        calls: usize,
        #[arg(long, default_value_t = 500)]
        minute_ms: u64,
    },
    /// CLIENTS processes calling ORGS organisations through one gateway for SECONDS: no 429
    /// from Xero, at most 5 in progress, each organisation's budget used.
    GatewayBudgets {
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        #[arg(long, default_value_t = 16)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        orgs: usize,
        /// The length of Xero's minute (shorter only in debug builds: the smoke run).
        #[arg(long, default_value_t = 60_000)]
        minute_ms: u64,
    },
    /// MACHINES practice members, each a gateway with CLIENTS client processes, calling ORGS
    /// organisations for SECONDS: no 429 from Xero and at most 5 in progress across the
    /// practice, each organisation's budget used, and the shared budget's cost per call.
    GatewayPractice {
        #[arg(long, default_value_t = 4)]
        machines: usize,
        #[arg(long, default_value_t = 4)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        orgs: usize,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        /// The length of Xero's minute (shorter only in debug builds: the smoke run).
        #[arg(long, default_value_t = 60_000)]
        minute_ms: u64,
    },
    /// A long `tenantry mcp` session (the official MCP Python SDK client, PYTHON) reading two
    /// logins' organisations every second for SECONDS with LIFETIME-second access tokens: no
    /// failed call, one refresh per login per lifetime.
    GatewayMcp {
        #[arg(long, default_value_t = 120)]
        seconds: u64,
        #[arg(long, default_value_t = 6)]
        lifetime: u64,
        /// The Python with the `mcp` package (scripts/lib/setup-sdks.sh sets it).
        #[arg(long, env = "TENANTRY_SDK_PYTHON")]
        python: String,
    },
    /// Practice mode beside the local mode, in one run: the hot path, single flight and
    /// keep-alive (see `practice_bench::Sizes`).
    Practice(practice_bench::Sizes),
    /// Internal: one of gateway-budgets' clients.
    #[command(hide = true)]
    GatewayClient {
        #[arg(long)]
        url: String,
        #[arg(long)]
        key: String,
        #[arg(long, value_delimiter = ',')]
        tenants: Vec<String>,
        #[arg(long)]
        seconds: u64,
    },
    /// Internal: one of single-flight's processes.
    #[command(hide = true)]
    Caller {
        #[arg(long)]
        config: PathBuf,
        #[arg(long)]
        data: PathBuf,
        #[arg(long, value_delimiter = ',')]
        tenants: Vec<String>,
        #[arg(long)]
        callers: usize,
        /// Unix time in milliseconds at which every process starts its callers.
        #[arg(long)]
        start_at: u64,
        /// The machine this process stands for (practice mode: a member of its own).
        #[arg(long)]
        machine: Option<String>,
    },
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let tenantry = match args.tenantry {
        Some(path) => path,
        None => std::env::current_exe()?
            .parent()
            .context("the binary's directory")?
            .join("tenantry"),
    };
    let result = match args.scenario {
        Scenario::SingleFlight {
            logins,
            callers,
            processes,
        } => single_flight(logins, callers, processes).await?,
        Scenario::Keepalive {
            logins,
            latency_ms,
            vault,
        } => keepalive(logins, latency_ms, &vault).await?,
        Scenario::Scale { sizes, orgs, runs } => scale(&tenantry, &sizes, orgs, runs).await?,
        Scenario::ColdToken { runs } => cold_token(&tenantry, runs).await?,
        Scenario::Stalled { runs } => stalled(&tenantry, runs).await?,
        Scenario::GatewayAgent { runs } => gateway_bench::agent(&tenantry, runs).await?,
        Scenario::GatewayOverhead { requests } => {
            gateway_bench::overhead(&tenantry, requests).await?
        }
        Scenario::GatewayEgress {
            calls,
            kill_after_ms,
        } => {
            tenantry_tests::egress_bench::egress(
                &tenantry,
                calls,
                Duration::from_millis(kill_after_ms),
            )
            .await?
        }
        Scenario::Each {
            logins,
            orgs,
            pages,
            runs,
        } => tenantry_tests::each_bench::each(&tenantry, logins, orgs, pages, runs).await?,
        Scenario::GatewayStarter { calls, minute_ms } => {
            tenantry_tests::egress_bench::starter(&tenantry, calls, minute_ms).await?
        }
        Scenario::GatewayBudgets {
            seconds,
            clients,
            orgs,
            minute_ms,
        } => gateway_bench::budgets(&tenantry, seconds, clients, orgs, minute_ms).await?,
        Scenario::GatewayPractice {
            machines,
            clients,
            orgs,
            seconds,
            minute_ms,
        } => {
            let run = tenantry_tests::practice_gateway_bench::Run {
                machines,
                clients,
                orgs,
                seconds,
                minute_ms,
            };
            tenantry_tests::practice_gateway_bench::gateway_practice(&tenantry, &run).await?
        }
        Scenario::GatewayMcp {
            seconds,
            lifetime,
            python,
        } => gateway_bench::mcp(&tenantry, &python, seconds, lifetime).await?,
        Scenario::GatewayClient {
            url,
            key,
            tenants,
            seconds,
        } => gateway_bench::client(&url, &key, &tenants, seconds).await?,
        Scenario::Practice(sizes) => {
            practice_bench::practice(&std::env::current_exe()?, &sizes).await?
        }
        Scenario::Caller {
            config,
            data,
            tenants,
            callers,
            start_at,
            machine,
        } => caller(config, data, tenants, callers, start_at, machine).await?,
    };
    println!("{result}");
    Ok(())
}

/// The floor for a batch of refreshes: the same logins refreshed straight through `XeroClient`
/// (no engine, no keychain, no SQLite), `concurrency` at a time, against the same fake. Returns
/// each request's latency and the batch's wall time. Spends the logins' refresh tokens outside
/// the engine, so it runs last.
async fn direct_refreshes(
    fx: &Fixture,
    logins: usize,
    concurrency: usize,
) -> anyhow::Result<(Vec<f64>, Duration)> {
    let client = Arc::new(XeroClient::new(fx.config.xero.clone(), CLIENT_ID));
    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let mut tokens = Vec::new();
    for login in &fx.logins[..logins] {
        tokens.push(fx.vault.load(login)?.context("tokens")?.refresh_token);
    }
    let started = Instant::now();
    let tasks: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let (client, limit) = (client.clone(), limit.clone());
            tokio::spawn(async move {
                let _permit = limit.acquire().await.expect("open");
                let started = Instant::now();
                client.refresh(&token).await.map(|_| ms(started.elapsed()))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.push(task.await??);
    }
    Ok((latencies, started.elapsed()))
}

/// The keychain's own floor for a batch of refreshes: each login's entry read and written back
/// unchanged (the least a refresh must do to persist a rotated token), straight through
/// keyring-core with no Tenantry code, `concurrency` threads at a time, against the same keychain
/// holding the same entries.
fn keychain_alone(fx: &Fixture, logins: usize, concurrency: usize) -> anyhow::Result<Duration> {
    let store = tenantry_core::vault::platform_store()?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let service = fx.config.keychain_service.as_str();
    let started = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                scope.spawn(|| -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(login) = fx.logins[..logins].get(i) else {
                            return Ok(());
                        };
                        let entry =
                            keyring_core::Entry::new_in_store(&store, service, login.as_str())?;
                        let text = zeroize::Zeroizing::new(entry.get_password()?);
                        entry.set_password(&text)?;
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a keychain worker panicked")?;
        }
        Ok(())
    })?;
    Ok(started.elapsed())
}

async fn single_flight(logins: usize, callers: usize, processes: usize) -> anyhow::Result<Value> {
    // One login more than the callers use: its refresh token measures the floor.
    let fx = Fixture::new(
        logins + 1,
        1,
        chrono::Duration::minutes(30),
        Vault::Keychain,
    )
    .await?;
    let floor_login = &fx.logins[logins];
    let client = XeroClient::new(fx.config.xero.clone(), CLIENT_ID);
    let mut refresh_token = fx
        .vault
        .load(floor_login)?
        .context("the floor login's tokens")?
        .refresh_token;
    let mut trips = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let answer = client.refresh(&refresh_token).await?;
        trips.push(ms(started.elapsed()));
        refresh_token = answer.refresh_token.context("a rotated refresh token")?;
    }
    let round_trip = Spread::of(trips);

    let tenant_of = |i: usize| fx.tenants[i % logins][0].clone();
    expire_all(&fx, logins).await?;
    let before = fx.fake.total_refresh_calls();
    let tenants: Vec<String> = (0..callers).map(tenant_of).collect();
    let latencies = concurrent_callers(&fx.engine, &tenants).await?;
    let in_process_refreshes = fx.fake.total_refresh_calls() - before;

    expire_all(&fx, logins).await?;
    let before = fx.fake.total_refresh_calls();
    let exe = std::env::current_exe()?;
    let process_latencies =
        callers_across_processes(&fx, &exe, logins, callers, processes, false).await?;
    let process_refreshes = fx.fake.total_refresh_calls() - before;
    // The floor for callers who all need a refresh at once: the same number of refreshes sent
    // together straight to the fake (which signs tokens one at a time, as a server has limits).
    let (together, _) = direct_refreshes(&fx, logins, logins).await?;
    fx.forget();
    let (reused, invalid) = fx.fake.with(|w| (w.reused_refreshes, w.invalid_grants));
    let result = json!({
        "scenario": "single_flight", "logins": logins, "callers": callers, "processes": processes,
        "round_trip_ms": round_trip,
        "concurrent_round_trips_ms": Spread::of(together),
        "in_process": {
            "refreshes": in_process_refreshes,
            "latency_ms": Spread::of(latencies.clone()),
            "p95_ms": Spread::percentile(&latencies, 0.95),
        },
        "across_processes": {
            "refreshes": process_refreshes,
            "latency_ms": Spread::of(process_latencies.clone()),
            "p95_ms": Spread::percentile(&process_latencies, 0.95),
        },
        "reused_refresh_tokens": reused, "invalid_grants": invalid,
    });
    if in_process_refreshes != logins || process_refreshes != logins || reused + invalid > 0 {
        bail!("single flight broken: {result}");
    }
    Ok(result)
}

async fn caller(
    config: PathBuf,
    data: PathBuf,
    tenants: Vec<String>,
    callers: usize,
    start_at: u64,
    machine: Option<String>,
) -> anyhow::Result<Value> {
    let mut config = Config::load(&config)?;
    if machine.is_some() {
        config.machine_name = machine;
    }
    let vault = KeychainVault::platform(&config.keychain_service);
    let engine = Engine::open(config, &data, Arc::new(vault), Arc::new(SystemClock)).await?;
    let wait = start_at.saturating_sub(unix_ms());
    tokio::time::sleep(Duration::from_millis(wait)).await;
    let tenants: Vec<String> = (0..callers)
        .map(|i| tenants[i % tenants.len()].clone())
        .collect();
    let latencies = concurrent_callers(&engine, &tenants).await?;
    Ok(json!({ "latencies_ms": latencies }))
}

async fn keepalive(logins: usize, latency_ms: u64, vault: &str) -> anyhow::Result<Value> {
    let kind = match vault {
        "keychain" => Vault::Keychain,
        "memory" => Vault::Memory,
        other => bail!("--vault is keychain or memory, not {other}"),
    };
    let on_keychain = matches!(kind, Vault::Keychain);
    let fx = Fixture::new(logins, 1, chrono::Duration::minutes(30), kind).await?;
    let latency = Duration::from_millis(latency_ms);
    fx.fake.with(|w| {
        w.options.token_latency = latency;
        w.token_in_flight_max = 0;
    });
    let api_before: usize = fx.fake.with(|w| w.api_calls.values().sum());
    let before = fx.fake.total_refresh_calls();
    let started = Instant::now();
    let reports = fx.engine.keepalive(chrono::Duration::zero()).await?;
    let elapsed = started.elapsed();
    let refreshed = reports
        .iter()
        .filter(|r| matches!(r.outcome, tenantry_core::KeepAliveOutcome::Refreshed { .. }))
        .count();
    let requests = fx.fake.total_refresh_calls() - before;
    let (peak, api_after, invalid) = fx.fake.with(|w| {
        (
            w.token_in_flight_max,
            w.api_calls.values().sum::<usize>(),
            w.invalid_grants,
        )
    });
    // The measured floors: the same refreshes straight to the fake, as many at a time; and with
    // the keychain, the one read and one write each refresh needs at least, alone.
    let keychain = if on_keychain {
        Some(keychain_alone(&fx, logins, KEEPALIVE_CONCURRENCY)?)
    } else {
        None
    };
    let (trips, direct) = direct_refreshes(&fx, logins, KEEPALIVE_CONCURRENCY).await?;
    fx.forget();
    // The bound the limit alone sets: LOGINS requests, KEEPALIVE_CONCURRENCY at a time, each at
    // least the latency.
    let bound = logins.div_ceil(KEEPALIVE_CONCURRENCY) as f64 * latency.as_secs_f64();
    let result = json!({
        "scenario": "keepalive", "logins": logins, "latency_ms": latency_ms, "vault": vault,
        "concurrency": KEEPALIVE_CONCURRENCY,
        "elapsed_s": elapsed.as_secs_f64(), "bound_s": bound,
        "ratio": elapsed.as_secs_f64() / bound,
        "direct_s": direct.as_secs_f64(),
        "direct_round_trip_ms": Spread::of(trips),
        "ratio_to_direct": elapsed.as_secs_f64() / direct.as_secs_f64(),
        "keychain_alone_s": keychain.map(|k| k.as_secs_f64()),
        "ratio_to_keychain_alone": keychain.map(|k| elapsed.as_secs_f64() / k.as_secs_f64()),
        "refreshed": refreshed, "refresh_requests": requests,
        "peak_concurrent_token_requests": peak,
        "api_calls": api_after - api_before, "invalid_grants": invalid,
    });
    if refreshed != logins || requests != logins || peak > KEEPALIVE_CONCURRENCY || invalid > 0 {
        bail!("keep-alive broke a limit or missed a login: {result}");
    }
    Ok(result)
}

/// Runs `tenantry ARGS` under GNU time: (wall milliseconds, peak resident KiB).
fn timed_run(
    fx: &Fixture,
    tenantry: &std::path::Path,
    args: &[&str],
) -> anyhow::Result<(f64, u64)> {
    let mut command = fx.cli(std::path::Path::new("/usr/bin/time"));
    command
        .args(["-f", "%M", "--"])
        .arg(tenantry)
        .args(args)
        .stdout(std::process::Stdio::null());
    let started = Instant::now();
    let out = command
        .output()
        .context("run /usr/bin/time (apt package `time`)")?;
    let wall = ms(started.elapsed());
    if !out.status.success() {
        bail!(
            "tenantry {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kib = stderr
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .context("GNU time's peak memory")?;
    Ok((wall, kib))
}

async fn scale(
    tenantry: &std::path::Path,
    sizes: &[usize],
    orgs: usize,
    runs: usize,
) -> anyhow::Result<Value> {
    let mut rows = Vec::new();
    for &logins in sizes {
        let fx = Fixture::new(logins, orgs, chrono::Duration::minutes(30), Vault::Keychain).await?;
        let mut row = json!({ "logins": logins, "organisations": logins * orgs });
        for command in ["status", "orgs"] {
            let mut times = Vec::new();
            let mut peak = 0;
            timed_run(&fx, tenantry, &[command])?; // warm the page cache
            for _ in 0..runs {
                let (wall, kib) = timed_run(&fx, tenantry, &[command])?;
                times.push(wall);
                peak = peak.max(kib);
            }
            row[command] = json!({ "ms": Spread::of(times), "peak_kib": peak });
        }
        fx.forget();
        rows.push(row);
    }
    Ok(json!({ "scenario": "scale", "orgs_each": orgs, "runs": runs, "rows": rows }))
}

async fn cold_token(tenantry: &std::path::Path, runs: usize) -> anyhow::Result<Value> {
    let fx = Fixture::new(1, 1, chrono::Duration::minutes(30), Vault::Keychain).await?;
    let file = Fixture::new(1, 1, chrono::Duration::minutes(30), Vault::File).await?;
    let practice = Fixture::new(1, 1, chrono::Duration::minutes(30), Vault::Practice).await?;
    let tenant = fx.tenants[0][0].clone();
    let mut lookup = std::process::Command::new("secret-tool");
    lookup
        .args(["lookup", "service", &fx.config.keychain_service])
        .args(["username", fx.logins[0].as_str()])
        .stdout(std::process::Stdio::null());
    let mut token = fx.cli(tenantry);
    token
        .args(["token", &tenant])
        .stdout(std::process::Stdio::null());
    let mut from_file = file.cli(tenantry);
    from_file
        .args(["token", &file.tenants[0][0]])
        .stdout(std::process::Stdio::null());
    let mut from_practice = practice.cli(tenantry);
    from_practice
        .args(["token", &practice.tenants[0][0]])
        .stdout(std::process::Stdio::null());
    for _ in 0..3 {
        run_timed(&mut token)?;
        run_timed(&mut lookup)?;
        run_timed(&mut from_file)?;
        run_timed(&mut from_practice)?;
    }
    let (mut ours, mut floor, mut filed, mut shared) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        // Alternating, so all four see the same machine state.
        ours.push(run_timed(&mut token)?);
        floor.push(run_timed(&mut lookup)?);
        filed.push(run_timed(&mut from_file)?);
        shared.push(run_timed(&mut from_practice)?);
    }
    let refreshes = fx.fake.total_refresh_calls()
        + file.fake.total_refresh_calls()
        + practice.fake.total_refresh_calls();
    fx.forget();
    practice.forget();
    let (ours, floor, filed) = (Spread::of(ours), Spread::of(floor), Spread::of(filed));
    let shared = Spread::of(shared);
    Ok(json!({
        "scenario": "cold_token", "runs": runs,
        "tenantry_token_ms": ours, "secret_tool_lookup_ms": floor,
        "ratio_of_medians": ours.median / floor.median,
        "file_vault_token_ms": filed,
        "file_vault_ratio_to_keychain": filed.median / ours.median,
        "practice_token_ms": shared,
        "practice_ratio_to_local": shared.median / ours.median,
        "refreshes": refreshes,
    }))
}

async fn stalled(tenantry: &std::path::Path, runs: usize) -> anyhow::Result<Value> {
    let fx = Fixture::new(2, 1, chrono::Duration::minutes(30), Vault::Keychain).await?;
    let (stuck, other) = (fx.logins[0].to_string(), fx.tenants[1][0].clone());
    let store = tenantry_core::store::open(None, fx.data_dir())?;
    let mut token = fx.cli(tenantry);
    token
        .args(["token", &other])
        .stdout(std::process::Stdio::null());
    // Holds the stuck login's refresh: a `tenantry refresh` whose token request Xero answers
    // only after 20 s, once its journal entry is written and the request has reached the fake
    // (killed before that, the delay would fall on the next request instead).
    let hold = || -> anyhow::Result<std::process::Child> {
        let asked = fx.fake.recorded("/connect/token").len();
        fx.fake.inject(tenantry_fake_xero::Fault::Delay(20_000), 1);
        let mut refresh = fx.cli(tenantry);
        refresh
            .args(["refresh", &stuck])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let child = refresh.spawn()?;
        let deadline = Instant::now() + std::time::Duration::from_secs(20);
        while store.refresh_intents()?.is_empty()
            || fx.fake.recorded("/connect/token").len() == asked
        {
            if Instant::now() > deadline {
                bail!("the held refresh never began");
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Ok(child)
    };
    for _ in 0..3 {
        run_timed(&mut token)?;
    }
    let (mut free, mut held) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        free.push(run_timed(&mut token)?);
        let mut child = hold()?;
        held.push(run_timed(&mut token)?);
        let still_held = child.try_wait()?.is_none();
        child.kill()?;
        child.wait()?;
        if !still_held {
            bail!("the held refresh ended before the timed call did");
        }
        // Leave nothing unfinished for the next free run: the stuck login's own caller recovers it.
        let mut recover = fx.cli(tenantry);
        recover
            .args(["token", &fx.tenants[0][0]])
            .stdout(std::process::Stdio::null());
        run_timed(&mut recover)?;
    }
    fx.forget();
    let (free, held) = (Spread::of(free), Spread::of(held));
    Ok(json!({
        "scenario": "stalled", "runs": runs,
        "free_ms": free, "held_ms": held,
        "ratio_of_medians": held.median / free.median,
        "added_ms": held.median - free.median,
    }))
}

/// One run of `command` to its end, in wall milliseconds; a failed run fails the benchmark.
fn run_timed(command: &mut std::process::Command) -> anyhow::Result<f64> {
    let started = Instant::now();
    let status = command.status()?;
    let wall = ms(started.elapsed());
    if !status.success() {
        bail!("{command:?} failed");
    }
    Ok(wall)
}
